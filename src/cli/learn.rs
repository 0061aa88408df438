//! `sideways learn` (the lessons) and `sideways exercise` (their checked exercises).

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use clap::{Args, Subcommand};

use super::{lesson_output, output};
use crate::commands::summary::SummaryOptions;
use crate::error::Error;
use crate::lessons::experiments;
use crate::lessons::{check, code, Catalogue, Exercise, Kind, Lang, Outcome, Progress};
use crate::linalg::Threads;

#[derive(Debug, Clone, Args)]
pub struct LearnArgs {
    /// The lesson to show [default: the list of lessons]
    pub lesson: Option<u32>,
    /// Print the lesson's text instead of opening the viewer (automatic without a terminal)
    #[arg(long)]
    pub print: bool,
    /// Run the lesson's experiment and print what it measured
    #[arg(long, requires = "lesson")]
    pub run: bool,
    /// Training steps of each model in the experiment [default: the lesson's: 100 to 600]
    #[arg(long)]
    pub steps: Option<u64>,
    /// Worker threads [default: all cores]
    #[arg(long)]
    pub threads: Option<usize>,
    /// With --run: print the experiment's result as JSON
    #[arg(long, requires = "run")]
    pub json: bool,
    /// en or zh [default: from the locale]
    #[arg(long)]
    pub lang: Option<Lang>,
}

pub fn run_learn(a: &LearnArgs) -> anyhow::Result<()> {
    let course = Catalogue::embedded();
    let lang = a.lang.unwrap_or_else(Lang::from_env);
    if let Some(id) = a.lesson {
        course.lesson(id)?;
    }
    // On a terminal that can draw, the viewer; otherwise (or with --print) plain text.
    let terminal = output::can_draw() && std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if terminal && !a.print && !a.run && !a.json {
        let progress = Progress::load(&Progress::default_path())?;
        let viewer = crate::tui::course::Course::new(course, progress, lesson_output::describe, lang, a.lesson);
        return crate::tui::learn(viewer, a.steps, a.threads.unwrap_or_else(Threads::available));
    }
    let Some(id) = a.lesson else {
        return output::text(&lesson_list(&course, &Progress::load(&Progress::default_path())?, lang));
    };
    let lesson = course.lesson(id)?;
    if a.run {
        let o = SummaryOptions {
            steps: a.steps.unwrap_or(experiments::default_steps(id)),
            threads: a.threads.unwrap_or_else(Threads::available),
            ..Default::default()
        };
        let mut progress = output::Progress::new(a.json);
        let result = experiments::run(id, &o, &mut |e| progress.event(&e))?;
        progress.finish()?;
        return match a.json {
            true => output::result("lesson", &result),
            false => output::text(&lesson_output::describe(&result)),
        };
    }
    let mut out = match course.text(id, lang) {
        Some(text) => text.to_string(),
        None => format!("# {}\n\n(this lesson has no text yet)\n", lesson.title.get(lang)),
    };
    let lines = exercise_lines(&course, id, &Progress::load(&Progress::default_path())?, lang);
    if !lines.is_empty() {
        out.push_str(&format!("\nexercises (sideways exercise check ID):\n{lines}"));
    }
    output::text(&out)
}

/// Every lesson with its exercises passed.
fn lesson_list(course: &Catalogue, progress: &Progress, lang: Lang) -> String {
    let mut out = String::new();
    for l in &course.lessons {
        let all: Vec<&Exercise> = course.exercises_of(l.id).collect();
        let passed = all.iter().filter(|e| progress.get(&e.id).passed).count();
        out.push_str(&format!("{:>2}  {} {passed}/{} exercises\n", l.id, pad(l.title.get(lang), 44), all.len()));
    }
    out.push_str(
        "\nsideways learn N: read lesson N · sideways learn N --run: its experiment · sideways exercise list\n",
    );
    out
}

/// The exercises of lesson `id`, one line each.
fn exercise_lines(course: &Catalogue, id: u32, progress: &Progress, lang: Lang) -> String {
    let mut out = String::new();
    for e in course.exercises_of(id) {
        let mark = if progress.get(&e.id).passed { "✓" } else { " " };
        let first = first_line(e.prompt.get(lang));
        out.push_str(&format!("[{mark}] {:<5} {:<8} {first}\n", e.id, kind_name(e.kind)));
    }
    out
}

/// `text` padded with spaces to `width` terminal columns (a Chinese character takes two).
fn pad(text: &str, width: usize) -> String {
    let used = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Quiz => "quiz",
        Kind::Predict => "predict",
        Kind::Modify => "modify",
        Kind::Code => "code",
    }
}

#[derive(Debug, Clone, Args)]
pub struct ExerciseArgs {
    #[command(subcommand)]
    pub action: ExerciseAction,
    /// A catalogue of your own (the form of lessons/catalogue.toml) [default: the built-in one]
    #[arg(long, global = true)]
    pub catalogue: Option<PathBuf>,
    /// The progress file [default: $SIDEWAYS_PROGRESS, else ~/.local/state/sideways/progress.json]
    #[arg(long, global = true)]
    pub progress: Option<PathBuf>,
    /// en or zh [default: from the locale]
    #[arg(long, global = true)]
    pub lang: Option<Lang>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ExerciseAction {
    /// Every exercise, lesson by lesson, with what you have passed
    List,
    /// Write the crate of the code exercises (functions to complete) into a new folder
    Init {
        /// The folder [default: sideways-exercises]
        dir: Option<PathBuf>,
        /// The sideways source the crate builds against [default: the one this program was built from]
        #[arg(long)]
        sideways: Option<PathBuf>,
    },
    /// Check an exercise: `--answer` for a quiz or a prediction; options after `--` for a modify
    /// exercise; a code exercise is built and tested in its folder
    Check {
        id: String,
        /// A quiz's choice (its number or text), or a prediction (a number; 30% means 0.3)
        #[arg(long)]
        answer: Option<String>,
        /// A code exercise's folder (made by `sideways exercise init`) [default: sideways-exercises]
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Options added to a modify exercise's command
        #[arg(last = true)]
        options: Vec<String>,
    },
    /// Reveal the next hint of an exercise
    Hint { id: String },
    /// Forget one exercise's progress
    Reset { id: String },
    /// Your results for a teacher: every exercise, your answers and measurements, this machine
    Report {
        /// A spreadsheet's CSV instead of JSON
        #[arg(long)]
        csv: bool,
    },
    /// Forget all progress
    ResetAll,
}

pub fn run_exercise(a: &ExerciseArgs) -> anyhow::Result<()> {
    let course = match &a.catalogue {
        None => Catalogue::embedded(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e, "give a catalogue file (TOML)"))?;
            Catalogue::parse(&text, &path.display().to_string())?
        }
    };
    let lang = a.lang.unwrap_or_else(Lang::from_env);
    let path = a.progress.clone().unwrap_or_else(Progress::default_path);
    let mut progress = Progress::load(&path)?;
    match &a.action {
        ExerciseAction::List => {
            let mut out = String::new();
            for l in &course.lessons {
                out.push_str(&format!("{} {}\n", l.id, l.title.get(lang)));
                out.push_str(&exercise_lines(&course, l.id, &progress, lang));
            }
            let passed = course.exercises.iter().filter(|e| progress.get(&e.id).passed).count();
            out.push_str(&format!(
                "\n{passed} of {} passed (progress in {})\n",
                course.exercises.len(),
                path.display()
            ));
            output::text(&out)
        }
        ExerciseAction::Init { dir, sideways } => {
            let dir = dir.clone().unwrap_or_else(|| code::DEFAULT_DIR.into());
            code::init(&dir, &sideways.clone().unwrap_or_else(code::engine_source))?;
            let mut out = format!("wrote the code exercises into {}:\n", dir.display());
            for e in course.exercises.iter().filter(|e| e.kind == Kind::Code) {
                let module = e.code.as_deref().unwrap_or("");
                out.push_str(&format!("  {:<5} src/{module}.rs  {}\n", e.id, first_line(e.prompt.get(lang))));
            }
            out.push_str(&format!(
                "complete a function, then `sideways exercise check ID --dir {}` (the first check builds the \
                 sideways library: a few minutes)\n",
                dir.display()
            ));
            output::text(&out)
        }
        ExerciseAction::Check { id, answer, dir, options } => {
            let e = course.exercise(id)?;
            output::text(&format!("{} {}\n{}\n", e.id, kind_name(e.kind), e.prompt.get(lang)))?;
            let dir = dir.clone().unwrap_or_else(|| code::DEFAULT_DIR.into());
            let outcome = check_one(e, answer.as_deref(), options, &dir, lang)?;
            progress.record(&e.id, &outcome);
            progress.save(&path)?;
            let measured = outcome.measured.map_or(String::new(), |m| format!("measured {m:.4}; "));
            if outcome.passed {
                let reference = match e.code.as_deref().map(code::find) {
                    Some(Ok(c)) => format!("\na reference solution:\n\n{}", c.solution),
                    _ => String::new(),
                };
                output::text(&format!(
                    "✓ passed ({measured}needed {})\n\n{}\n{reference}",
                    outcome.target,
                    e.solution.get(lang)
                ))
            } else {
                output::text(&format!("✗ not yet ({measured}needed {})\n", outcome.target))?;
                let hint = match e.hints.is_empty() {
                    true => "try again".to_string(),
                    false => format!("`sideways exercise hint {}` reveals a hint", e.id),
                };
                anyhow::bail!("exercise {} is not passed yet: {hint}", e.id)
            }
        }
        ExerciseAction::Hint { id } => {
            let e = course.exercise(id)?;
            if e.hints.is_empty() {
                return output::text(&format!("exercise {} has no hints\n", e.id));
            }
            let shown = progress.reveal_hint(&e.id, e.hints.len());
            progress.save(&path)?;
            let mut out = String::new();
            for (k, h) in e.hints.iter().take(shown).enumerate() {
                out.push_str(&format!("hint {}/{}: {}\n", k + 1, e.hints.len(), h.get(lang)));
            }
            output::text(&out)
        }
        ExerciseAction::Reset { id } => {
            let e = course.exercise(id)?;
            progress.reset(&e.id);
            progress.save(&path)?;
            output::text(&format!("exercise {} reset\n", e.id))
        }
        ExerciseAction::Report { csv } => {
            let report = crate::lessons::progress::Report::new(&course, &progress);
            match csv {
                true => output::text(&report.csv()),
                false => output::result("exercise_report", &report),
            }
        }
        ExerciseAction::ResetAll => {
            Progress::default().save(&path)?;
            output::text(&format!("all progress reset ({})\n", path.display()))
        }
    }
}

/// Check `e` with the learner's answer or options.
fn check_one(
    e: &Exercise,
    answer: Option<&str>,
    options: &[String],
    dir: &std::path::Path,
    lang: Lang,
) -> anyhow::Result<Outcome> {
    let need_answer = || Error::config("answer", "none", "give one with --answer");
    match e.kind {
        Kind::Quiz => {
            for (k, c) in e.choices.iter().enumerate() {
                output::text(&format!("  {}. {}\n", k + 1, c.get(lang)))?;
            }
            Ok(check::quiz(e, answer.ok_or_else(need_answer)?)?)
        }
        Kind::Predict => {
            let guess = prediction(answer.ok_or_else(need_answer)?)?;
            let result = run_command(&check::command_line(e, options)?)?;
            Ok(check::measured(e, &result, Some(guess))?)
        }
        Kind::Modify => {
            let result = run_command(&check::command_line(e, options)?)?;
            // The options tried are the answer a teacher wants to see.
            Ok(Outcome { answer: options.join(" "), ..check::measured(e, &result, None)? })
        }
        Kind::Code => {
            let exercise = code::find(e.code.as_deref().unwrap_or_default())?;
            let mut cargo = code::check_command(dir, exercise)?;
            output::text(&format!(
                "building {} and running the hidden tests of {} ...\n",
                dir.display(),
                exercise.name
            ))?;
            let status = cargo.stdin(Stdio::null()).status().map_err(|err| {
                anyhow::anyhow!("could not run cargo ({err}): code exercises need Rust's cargo (https://rustup.rs)")
            })?;
            Ok(Outcome {
                passed: status.success(),
                answer: dir.display().to_string(),
                measured: None,
                target: format!("the hidden tests of src/{}.rs to pass", exercise.name),
            })
        }
    }
}

/// The first line of a text.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// "0.3", or "30%".
fn prediction(answer: &str) -> anyhow::Result<f64> {
    let a = answer.trim();
    let (number, scale) = a.strip_suffix('%').map_or((a, 1.0), |n| (n.trim(), 0.01));
    number
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .map(|x| x * scale)
        .ok_or_else(|| Error::config("prediction", answer, "give a number, e.g. 0.3 or 30%").into())
}

/// Run this program with `args` (progress on stderr as usual) and read its JSON result.
fn run_command(args: &[String]) -> anyhow::Result<serde_json::Value> {
    output::text(&format!("running: sideways {}\n", args.join(" ")))?;
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe).args(args).stdin(Stdio::null()).stdout(Stdio::piped()).spawn()?;
    let mut stdout = String::new();
    child.stdout.take().expect("piped").read_to_string(&mut stdout)?;
    let status = child.wait()?;
    if !status.success() {
        anyhow::bail!("the exercise's command failed (its error is above): change the options and check again");
    }
    stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok().filter(|v| v.get("result").is_some()))
        .ok_or_else(|| anyhow::anyhow!("the command printed no JSON result"))
}
