//! The catalogue: which lessons there are, their texts in each language, and the exercises,
//! read from `lessons/catalogue.toml` (compiled in) or a teacher's own file of the same form.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A language of the course. The corpus and the words the models predict stay English.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// The language the locale asks for (`LC_ALL`, `LC_MESSAGES`, `LANG`): Chinese for `zh*`,
    /// English otherwise.
    pub fn from_env() -> Lang {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty())
            .unwrap_or_default();
        if locale.to_ascii_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    pub fn all() -> [Lang; 2] {
        [Lang::En, Lang::Zh]
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
}

impl FromStr for Lang {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Ok(Lang::En),
            "zh" | "zh-cn" | "zh_cn" => Ok(Lang::Zh),
            _ => Err(Error::config("language", s, "use en (English) or zh (简体中文)")),
        }
    }
}

/// One text in every language of the course.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub en: String,
    pub zh: String,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

/// One lesson: its number, the stem of its files (`lessons/en/01-<slug>.md`) and its title.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lesson {
    pub id: u32,
    pub slug: String,
    pub title: Text,
}

/// What kind of answer an exercise takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Pick one of `choices`.
    Quiz,
    /// Commit to a number, then the experiment (`command`) measures it: passes within the
    /// check's `within` or `within_factor`.
    Predict,
    /// Add options to `command` so that its result meets the check.
    Modify,
    /// Complete a function of the crate `sideways exercise init` writes; hidden tests check it
    /// against the engine's own layers (see [`super::code`]).
    Code,
}

/// A number a command's JSON result must meet: `metric` is a dotted path into it
/// (`eval.val_loss`, `models.1.eval.accuracy`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricCheck {
    pub metric: String,
    pub below: Option<f64>,
    pub above: Option<f64>,
    /// For a prediction: how far from the measurement it may be.
    pub within: Option<f64>,
    /// For a prediction of a quantity that spans orders of magnitude (FLOPs, seconds): the
    /// most it may be off by as a factor, either way (2: from half to twice the measurement).
    pub within_factor: Option<f64>,
}

/// One exercise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    /// "1.2": the lesson, then the exercise's place in it.
    pub id: String,
    pub lesson: u32,
    pub kind: Kind,
    pub prompt: Text,
    /// A quiz's choices, and the number (from 1) of the right one.
    #[serde(default)]
    pub choices: Vec<Text>,
    pub answer: Option<usize>,
    /// The command a predict or modify exercise runs (`sideways …`; its `--json` result is
    /// checked).
    pub command: Option<String>,
    pub check: Option<MetricCheck>,
    /// A code exercise's module: one of [`super::code::CODE`].
    pub code: Option<String>,
    /// Revealed one at a time.
    #[serde(default)]
    pub hints: Vec<Text>,
    /// Why the answer is what it is: shown only after a pass.
    pub solution: Text,
    /// A reference answer the tests check passes: a predict exercise's number, a modify
    /// exercise's options (the command alone must not pass).
    pub reference: Option<String>,
}

impl Exercise {
    /// The words of `command` without the program's name, quotes grouping words.
    pub fn command_args(&self) -> Vec<String> {
        let mut args = split_words(self.command.as_deref().unwrap_or(""));
        if args.first().is_some_and(|a| a == "sideways") {
            args.remove(0);
        }
        args
    }
}

/// Split a command line into words; "double quotes" group words.
pub fn split_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quoted, mut started) = (Vec::new(), String::new(), false, false);
    for c in line.chars() {
        match c {
            '"' => (quoted, started) = (!quoted, true),
            c if c.is_whitespace() && !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            c => (word, started) = (word + &c.to_string(), true),
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// The whole course.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Catalogue {
    #[serde(rename = "lesson")]
    pub lessons: Vec<Lesson>,
    #[serde(rename = "exercise", default)]
    pub exercises: Vec<Exercise>,
}

/// The catalogue compiled into the binary.
const EMBEDDED: &str = include_str!("../../lessons/catalogue.toml");

/// Each lesson's text, by number: (English, Chinese).
const TEXTS: &[(u32, &str, &str)] = &[
    (
        1,
        include_str!("../../lessons/en/01-what-comes-after-good.md"),
        include_str!("../../lessons/zh/01-what-comes-after-good.md"),
    ),
    (
        2,
        include_str!("../../lessons/en/02-sentences-are-long.md"),
        include_str!("../../lessons/zh/02-sentences-are-long.md"),
    ),
    (
        3,
        include_str!("../../lessons/en/03-one-word-at-a-time.md"),
        include_str!("../../lessons/zh/03-one-word-at-a-time.md"),
    ),
    (
        4,
        include_str!("../../lessons/en/04-the-washing-machine.md"),
        include_str!("../../lessons/zh/04-the-washing-machine.md"),
    ),
    (
        5,
        include_str!("../../lessons/en/05-words-as-numbers.md"),
        include_str!("../../lessons/zh/05-words-as-numbers.md"),
    ),
    (
        6,
        include_str!("../../lessons/en/06-the-whole-sentence-at-once.md"),
        include_str!("../../lessons/zh/06-the-whole-sentence-at-once.md"),
    ),
    (7, include_str!("../../lessons/en/07-the-race.md"), include_str!("../../lessons/zh/07-the-race.md")),
    (8, include_str!("../../lessons/en/08-25000-computers.md"), include_str!("../../lessons/zh/08-25000-computers.md")),
];

impl Catalogue {
    /// The course compiled into the binary.
    pub fn embedded() -> Catalogue {
        Catalogue::parse(EMBEDDED, "the built-in catalogue").expect("the built-in catalogue is checked by the tests")
    }

    /// Read a catalogue (a teacher's own, or the built-in one) and check it: `name` says where
    /// it came from in errors.
    pub fn parse(text: &str, name: &str) -> Result<Catalogue> {
        let hint = "see lessons/catalogue.toml for the form";
        let c: Catalogue =
            toml::from_str(text).map_err(|e| Error::config("catalogue", name, format!("{e} ({hint})")))?;
        c.validate().map_err(|problem| Error::config("catalogue", name, format!("{problem} ({hint})")))?;
        Ok(c)
    }

    pub fn lesson(&self, id: u32) -> Result<&Lesson> {
        self.lessons.iter().find(|l| l.id == id).ok_or_else(|| {
            let ids: Vec<String> = self.lessons.iter().map(|l| l.id.to_string()).collect();
            Error::config("lesson", id, format!("choose one of {}", ids.join(", ")))
        })
    }

    pub fn exercise(&self, id: &str) -> Result<&Exercise> {
        self.exercises
            .iter()
            .find(|e| e.id == id.trim())
            .ok_or_else(|| Error::config("exercise", id, "see `sideways exercise list` for their names"))
    }

    /// The exercises of lesson `id`.
    pub fn exercises_of(&self, id: u32) -> impl Iterator<Item = &Exercise> {
        self.exercises.iter().filter(move |e| e.lesson == id)
    }

    /// A lesson's text, or `None` for a lesson a teacher's catalogue adds without one.
    pub fn text(&self, id: u32, lang: Lang) -> Option<&'static str> {
        TEXTS.iter().find(|t| t.0 == id).map(|t| if lang == Lang::En { t.1 } else { t.2 })
    }

    /// Every rule a reader relies on; the problem in words.
    fn validate(&self) -> std::result::Result<(), String> {
        let texts = |t: &Text, what: &str| -> std::result::Result<(), String> {
            for lang in Lang::all() {
                if t.get(lang).trim().is_empty() {
                    return Err(format!("{what} has no {} text", lang.code()));
                }
            }
            Ok(())
        };
        for (i, l) in self.lessons.iter().enumerate() {
            if self.lessons[..i].iter().any(|o| o.id == l.id) {
                return Err(format!("lesson {} appears twice", l.id));
            }
            texts(&l.title, &format!("lesson {}'s title", l.id))?;
        }
        for (i, e) in self.exercises.iter().enumerate() {
            let at = format!("exercise {}", e.id);
            if self.exercises[..i].iter().any(|o| o.id == e.id) {
                return Err(format!("{at} appears twice"));
            }
            if !self.lessons.iter().any(|l| l.id == e.lesson) {
                return Err(format!("{at} belongs to lesson {}, which the catalogue does not have", e.lesson));
            }
            texts(&e.prompt, &at)?;
            texts(&e.solution, &format!("{at}'s solution"))?;
            for (k, h) in e.hints.iter().enumerate() {
                texts(h, &format!("{at}'s hint {}", k + 1))?;
            }
            match e.kind {
                Kind::Quiz => {
                    if e.choices.len() < 2 {
                        return Err(format!("{at} is a quiz with fewer than two choices"));
                    }
                    for c in &e.choices {
                        texts(c, &format!("{at}'s choice"))?;
                    }
                    match e.answer {
                        Some(a) if (1..=e.choices.len()).contains(&a) => {}
                        _ => return Err(format!("{at}: `answer` must number one of its {} choices", e.choices.len())),
                    }
                }
                Kind::Code => match e.code.as_deref().map(super::code::find) {
                    Some(Ok(_)) if e.command.is_none() && e.check.is_none() => {}
                    Some(Err(err)) => return Err(format!("{at}: {err}")),
                    _ => return Err(format!("{at}: a code exercise names its `code` module and has no command")),
                },
                Kind::Predict | Kind::Modify => {
                    if e.command_args().is_empty() {
                        return Err(format!("{at} has no command to run"));
                    }
                    if e.reference.is_none() {
                        return Err(format!("{at} has no `reference` answer for the tests"));
                    }
                    let Some(c) = &e.check else { return Err(format!("{at} has no check")) };
                    let set = |b: &[Option<f64>]| b.iter().filter(|b| b.is_some()).count();
                    let (limits, tolerances) = (set(&[c.below, c.above]), set(&[c.within, c.within_factor]));
                    let ok = match e.kind {
                        Kind::Predict => limits == 0 && tolerances == 1 && c.within_factor.is_none_or(|f| f > 1.0),
                        _ => limits >= 1 && tolerances == 0,
                    };
                    if !ok {
                        return Err(format!(
                            "{at}: a predict check has `within` or `within_factor` (above 1), a modify check \
                             `below` and/or `above`"
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_with_quotes_and_locales_choose_a_language() {
        assert_eq!(
            split_words(r#"sideways predict --prompt "i ate a good"  --k 3"#),
            ["sideways", "predict", "--prompt", "i ate a good", "--k", "3"]
        );
        assert_eq!(split_words(r#"a "" b"#), ["a", "", "b"]);
        assert_eq!("zh_CN".parse::<Lang>().unwrap(), Lang::Zh);
        assert!("fr".parse::<Lang>().is_err());
    }

    #[test]
    fn a_broken_catalogue_says_what_is_wrong() {
        let lesson = "[[lesson]]\nid = 1\nslug = \"a\"\ntitle = { en = \"A\", zh = \"甲\" }\n";
        let quiz = |answer: &str| {
            format!(
                "{lesson}[[exercise]]\nid = \"1.1\"\nlesson = 1\nkind = \"quiz\"\nprompt = {{ en = \"?\", zh = \"？\" }}\nchoices = [{{ en = \"x\", zh = \"x\" }}, {{ en = \"y\", zh = \"y\" }}]\n{answer}solution = {{ en = \"s\", zh = \"s\" }}\n"
            )
        };
        assert!(Catalogue::parse(&quiz("answer = 2\n"), "t").is_ok());
        let e = Catalogue::parse(&quiz("answer = 3\n"), "t").unwrap_err().to_string();
        assert!(e.contains("must number one of its 2 choices"), "{e}");
        let e = Catalogue::parse(&quiz("answer = 1\nfoo = 1\n"), "t").unwrap_err().to_string();
        assert!(e.contains("foo"), "{e}");
        let e = Catalogue::parse(&lesson.replace("甲", ""), "t").unwrap_err().to_string();
        assert!(e.contains("no zh text"), "{e}");
    }
}
