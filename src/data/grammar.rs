//! The generator of the default corpus: a small template grammar (`corpora/default.grammar`,
//! compiled into the binary) expanded with a seeded random number generator into stories
//! whose structure is documented in the grammar file itself.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::rng::Rng;

/// The grammar that ships with sideways.
pub const BUILTIN: &str = include_str!("../../corpora/default.grammar");

/// A character: a noun, its pronouns and its tags (which pick tagged word lists).
#[derive(Clone, Debug)]
struct Character {
    noun: String,
    he: String,
    him: String,
    his: String,
    tags: Vec<String>,
}

#[derive(Clone, Debug)]
enum Part {
    Word(String),
    Slot(String),
}

#[derive(Clone, Debug)]
struct Template {
    weight: usize,
    parts: Vec<Part>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Section {
    Cast,
    Words,
    Opening,
    Middle,
    Ending,
    Habit,
}

const TEMPLATE_SECTIONS: [Section; 4] = [Section::Opening, Section::Middle, Section::Ending, Section::Habit];

/// A parsed grammar, ready to generate text.
#[derive(Clone, Debug)]
pub struct Grammar {
    cast: Vec<Character>,
    lists: HashMap<String, Vec<String>>,
    templates: HashMap<Section, Vec<Template>>,
}

impl Grammar {
    /// Seed of the default corpus.
    pub const DEFAULT_SEED: u64 = 2017;
    /// Approximate size of the default corpus in words and punctuation marks.
    pub const DEFAULT_TOKENS: usize = 1_000_000;

    /// Each character's noun and its pronouns (he, him, his), in the order of `[cast]`.
    pub fn characters(&self) -> impl Iterator<Item = (&str, [&str; 3])> {
        self.cast.iter().map(|c| (c.noun.as_str(), [c.he.as_str(), c.him.as_str(), c.his.as_str()]))
    }

    /// The built-in grammar (checked by the test suite, so this cannot fail).
    pub fn builtin() -> Grammar {
        Grammar::parse(BUILTIN).expect("the built-in grammar parses")
    }

    /// Largest total of the template weights in one section.
    pub const MAX_WEIGHT: usize = 1_000_000_000;

    /// Parse a grammar file; errors name the line.
    pub fn parse(text: &str) -> Result<Grammar> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut g = Grammar { cast: Vec::new(), lists: HashMap::new(), templates: HashMap::new() };
        let mut section = None;
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let err = |problem: String| Error::Grammar { line: Some(line_no), problem };
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = Some(match name {
                    "cast" => Section::Cast,
                    "words" => Section::Words,
                    "opening" => Section::Opening,
                    "middle" => Section::Middle,
                    "ending" => Section::Ending,
                    "habit" => Section::Habit,
                    other => {
                        return Err(err(format!(
                            "unknown section [{other}]; use [cast], [words], [opening], [middle], [ending] or [habit]"
                        )))
                    }
                });
                continue;
            }
            match section {
                None => return Err(err("text before the first [section]".into())),
                Some(Section::Cast) => {
                    let f: Vec<&str> = line.split_whitespace().collect();
                    if f.len() < 4 {
                        return Err(err("a cast line is `noun he him his tags...`".into()));
                    }
                    g.cast.push(Character {
                        noun: f[0].into(),
                        he: f[1].into(),
                        him: f[2].into(),
                        his: f[3].into(),
                        tags: f[4..].iter().map(|s| s.to_string()).collect(),
                    });
                }
                Some(Section::Words) => {
                    let (name, words) =
                        line.split_once('=').ok_or_else(|| err("a word list is `name = word | word`".into()))?;
                    let words: Vec<String> = words
                        .split('|')
                        .map(|w| w.split_whitespace().collect::<Vec<_>>().join(" "))
                        .filter(|w| !w.is_empty())
                        .collect();
                    if words.is_empty() {
                        return Err(err(format!("the list {} is empty", name.trim())));
                    }
                    if let Some(w) = words.iter().find(|w| w.contains(['{', '}'])) {
                        return Err(err(format!(
                            "the list {} holds {w:?}: word lists hold words; slots like {{who}} go in templates",
                            name.trim()
                        )));
                    }
                    g.lists.insert(name.trim().to_string(), words);
                }
                Some(s) => {
                    let (weight, body) = match line.split_once("* ") {
                        Some((w, body)) if w.chars().all(|c| c.is_ascii_digit()) => {
                            let weight = w.parse::<usize>().ok().filter(|w| (1..=Self::MAX_WEIGHT).contains(w));
                            let hint = || err(format!("weight {w}: use a whole number from 1 to {}", Self::MAX_WEIGHT));
                            (weight.ok_or_else(hint)?, body)
                        }
                        _ => (1, line),
                    };
                    let parts = parse_template(body).map_err(err)?;
                    g.templates.entry(s).or_default().push(Template { weight, parts });
                }
            }
        }
        g.check()?;
        Ok(g)
    }

    /// Every slot must name something that exists, for every character that can fill it, and
    /// everything must be possible to generate: an `{other}` needs a second noun, and a section's
    /// weights must add up to something a picker can draw from.
    fn check(&self) -> Result<()> {
        let err = |problem: String| Error::Grammar { line: None, problem };
        if self.cast.len() < 2 {
            return Err(err("the [cast] needs at least two characters".into()));
        }
        let two_nouns = self.cast.iter().any(|c| c.noun != self.cast[0].noun);
        for s in TEMPLATE_SECTIONS {
            let templates = self.templates.get(&s).ok_or_else(|| err(format!("section {s:?} has no templates")))?;
            let total = templates.iter().try_fold(0usize, |sum, t| sum.checked_add(t.weight));
            if total.is_none_or(|t| t > Self::MAX_WEIGHT) {
                return Err(err(format!("the weights of section {s:?} add up to more than {}", Self::MAX_WEIGHT)));
            }
            for t in templates {
                if !two_nouns && t.parts.iter().any(|p| matches!(p, Part::Slot(s) if s == "other")) {
                    return Err(err("{other} needs a character with another noun in the [cast]".into()));
                }
                for part in &t.parts {
                    let Part::Slot(name) = part else { continue };
                    if matches!(name.as_str(), "who" | "he" | "him" | "his" | "other") {
                        continue;
                    }
                    for c in &self.cast {
                        if self.list(name, c).is_none() {
                            return Err(err(format!(
                                "slot {{{name}}} has no word list for the {} (define `{name}` or `{name}.TAG`)",
                                c.noun
                            )));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The list `name.TAG` for the first of the character's tags that has one, else `name`.
    fn list(&self, name: &str, c: &Character) -> Option<&[String]> {
        c.tags
            .iter()
            .find_map(|t| self.lists.get(&format!("{name}.{t}")))
            .or_else(|| self.lists.get(name))
            .map(Vec::as_slice)
    }

    /// Generate about `target_tokens` tokens of stories, one paragraph per story.
    pub fn generate(&self, seed: u64, target_tokens: usize) -> String {
        let mut rng = Rng::new(seed);
        let mut out = String::with_capacity(target_tokens.saturating_mul(6).min(1 << 30));
        let mut tokens = 0;
        while tokens < target_tokens {
            for _ in 0..rng.below(4) {
                let c = &self.cast[rng.below(self.cast.len())];
                tokens += self.render(Section::Habit, c, &mut rng, &mut out);
                out.push('\n');
            }
            let c = &self.cast[rng.below(self.cast.len())];
            tokens += self.render(Section::Opening, c, &mut rng, &mut out);
            for _ in 0..2 + rng.below(4) {
                out.push(' ');
                tokens += self.render(Section::Middle, c, &mut rng, &mut out);
            }
            out.push(' ');
            tokens += self.render(Section::Ending, c, &mut rng, &mut out);
            out.push_str("\n\n");
        }
        out
    }

    /// Append one sentence from `section` about character `c`; returns its token count.
    fn render(&self, section: Section, c: &Character, rng: &mut Rng, out: &mut String) -> usize {
        let templates = &self.templates[&section];
        let total: usize = templates.iter().map(|t| t.weight).sum();
        let mut pick = rng.below(total);
        let t = templates
            .iter()
            .find(|t| {
                let hit = pick < t.weight;
                pick = pick.saturating_sub(t.weight);
                hit
            })
            .expect("pick < total weight");
        let mut words = Vec::with_capacity(t.parts.len());
        for part in &t.parts {
            let word: &str = match part {
                Part::Word(w) => w,
                Part::Slot(s) => match s.as_str() {
                    "who" => &c.noun,
                    "he" => &c.he,
                    "him" => &c.him,
                    "his" => &c.his,
                    // Drawn until another noun comes up (the parser made sure there is one); the
                    // draws are bounded all the same.
                    "other" => (0..10_000)
                        .map(|_| &self.cast[rng.below(self.cast.len())])
                        .find(|o| o.noun != c.noun)
                        .or_else(|| self.cast.iter().find(|o| o.noun != c.noun))
                        .map_or(&c.noun, |o| &o.noun),
                    name => {
                        let list = self.list(name, c).expect("checked at parse time");
                        &list[rng.below(list.len())]
                    }
                },
            };
            words.push(word);
        }
        let sentence = words.join(" ");
        out.push_str(&sentence);
        sentence.split_whitespace().count()
    }
}

fn parse_template(body: &str) -> std::result::Result<Vec<Part>, String> {
    body.split_whitespace()
        .map(|w| match w.strip_prefix('{') {
            Some(rest) => rest
                .strip_suffix('}')
                .filter(|s| !s.is_empty() && !s.contains(['{', '}']))
                .map(|s| Part::Slot(s.to_string()))
                .ok_or_else(|| format!("bad slot {w}: write slots as {{name}} separated by spaces")),
            None => Ok(Part::Word(w.to_string())),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_grammar_is_deterministic_and_about_a_million_tokens() {
        let g = Grammar::builtin();
        let a = g.generate(Grammar::DEFAULT_SEED, 20_000);
        assert_eq!(a, g.generate(Grammar::DEFAULT_SEED, 20_000));
        assert_ne!(a, g.generate(Grammar::DEFAULT_SEED + 1, 20_000));
        let n = a.split_whitespace().count();
        assert!((20_000..20_200).contains(&n), "{n}");
    }

    #[test]
    fn pronouns_agree_with_the_story_character() {
        let g = Grammar::builtin();
        let text = g.generate(5, 50_000);
        for story in text.lines().filter(|s| s.starts_with("once there was a")) {
            let words: Vec<&str> = story.split_whitespace().collect();
            let noun = words[words.iter().position(|&w| w == "who").unwrap() - 1];
            let female = ["queen", "princess", "lady", "woman", "girl", "mother", "daughter", "sister", "aunt", "wife"]
                .contains(&noun);
            let wrong = if female { "he" } else { "she" };
            assert!(!words.contains(&wrong), "{noun}: {story}");
        }
    }

    #[test]
    fn grammar_errors_name_the_line() {
        let e = Grammar::parse("[cast]\nking he him his\n[nope]\n").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
        let e = Grammar::parse(
            "[cast]\na he him his\nb she her her\n[opening]\n{missing}\n[middle]\nx\n[ending]\nx\n[habit]\nx\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("{missing}"), "{e}");
    }

    /// What could never be generated is refused when the grammar is read: no panic, no endless
    /// loop later.
    #[test]
    fn impossible_grammars_are_refused_at_parse_time() {
        let grammar = |cast: &str, opening: &str| {
            format!("[cast]\n{cast}\n[words]\nfood = bread | soup\n[opening]\n{opening}\n[middle]\nx .\n[ending]\ny .\n[habit]\nz .\n")
        };
        let two = "king he him his\nqueen she her her";
        let refused = |text: &str, expect: &str| {
            let e = Grammar::parse(text).err().unwrap_or_else(|| panic!("accepted: {text}")).to_string();
            assert!(e.contains(expect), "{e}");
        };
        refused(&grammar(two, "0* the {who} ate {food} ."), "weight 0");
        refused(&grammar(two, "9223372036854775807* a .\n9223372036854775807* b ."), "weight 9223372036854775807");
        refused(&grammar(two, "600000000* a .\n600000000* b ."), "add up to more than");
        refused(&grammar("king he him his\nking he him his", "the {who} met the {other} ."), "{other}");
        refused(&grammar(two, "{food}").replace("bread | soup", "bread | {who}"), "slots like");
        // Accepted: a byte-order mark, and {other} with two nouns; generation ends.
        let ok = Grammar::parse(&format!("\u{feff}{}", grammar(two, "the {who} met the {other} ."))).unwrap();
        let text = ok.generate(3, 500);
        assert!(text.contains("met the queen") || text.contains("met the king"), "{text}");
    }
}
