//! The course: the catalogue in both languages, every command in it and in the lessons'
//! texts parsed by the real command line, every reference answer passing its check through the
//! binary and every untouched exercise failing it, and each lesson's experiment run headless.

use std::path::Path;
use std::process::Command;

use sideways::commands::summary::SummaryOptions;
use sideways::lessons::experiments::{self, Experiment};
use sideways::lessons::{Catalogue, Kind, Lang};
use sideways::model::ModelKind;

fn sideways(args: &[&str], progress: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sideways"))
        .args(args)
        .env("SIDEWAYS_PROGRESS", progress)
        .env("LANG", "C")
        // Code exercises build in one place across runs: only the first builds the library.
        .env("CARGO_TARGET_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/exercise-target"))
        .output()
        .unwrap()
}

/// Every `sideways …` line of a lesson's text (indented as code).
fn commands_in(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("sideways "))
        .map(|c| {
            let c = c.split("  ").next().unwrap(); // drop a trailing explanation
            let mut args = vec!["sideways".to_string()];
            args.extend(sideways::lessons::catalogue::split_words(c));
            args
        })
        .collect()
}

#[test]
fn every_lesson_and_exercise_is_there_in_both_languages_and_every_command_parses() {
    let course = Catalogue::embedded();
    assert!(!course.lessons.is_empty() && !course.exercises.is_empty());
    for l in &course.lessons {
        for lang in Lang::all() {
            let text = course.text(l.id, lang).unwrap_or_else(|| panic!("lesson {} has no {lang:?} text", l.id));
            assert!(
                text.starts_with(&format!("# {}", l.title.get(lang).replace(['“', '”'], "\"")))
                    || text.starts_with(&format!("# {}", l.title.get(lang))),
                "lesson {} ({lang:?}) opens with its title",
                l.id
            );
            let commands = commands_in(text);
            assert!(!commands.is_empty(), "lesson {} ({lang:?}) gives commands to run", l.id);
            for args in commands {
                sideways::cli::check(&args).unwrap_or_else(|e| panic!("lesson {} ({lang:?}): {args:?}: {e}", l.id));
            }
        }
        assert!(course.exercises_of(l.id).count() > 0, "lesson {} has exercises", l.id);
    }
    for e in &course.exercises {
        if matches!(e.kind, Kind::Predict | Kind::Modify) {
            let mut args = vec!["sideways".to_string()];
            args.extend(sideways::lessons::check::command_line(e, &[]).unwrap());
            sideways::cli::check(&args).unwrap_or_else(|err| panic!("exercise {}: {args:?}: {err}", e.id));
        }
    }
}

#[test]
fn reference_answers_pass_through_the_binary_and_untouched_exercises_fail() {
    let dir = std::env::temp_dir().join(format!("sideways-lessons-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let progress = dir.join("progress.json");
    let code = dir.join("code");
    let init = sideways(&["exercise", "init", code.to_str().unwrap()], &progress);
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let again = sideways(&["exercise", "init", code.to_str().unwrap()], &progress);
    assert!(String::from_utf8_lossy(&again.stderr).contains("kept as it is"), "init never overwrites a learner's work");
    let course = Catalogue::embedded();
    for e in &course.exercises {
        let (pass, fail): (Vec<String>, Vec<String>) = match e.kind {
            Kind::Quiz => {
                let right = e.answer.unwrap();
                let wrong = if right == 1 { 2 } else { 1 };
                (vec!["--answer".into(), right.to_string()], vec!["--answer".into(), wrong.to_string()])
            }
            // Far from any measurement, by difference and by ratio.
            Kind::Predict => {
                (vec!["--answer".into(), e.reference.clone().unwrap()], vec!["--answer".into(), "1e30".into()])
            }
            Kind::Modify => {
                let mut pass = vec!["--".to_string()];
                pass.extend(sideways::lessons::catalogue::split_words(e.reference.as_deref().unwrap()));
                (pass, vec![])
            }
            Kind::Code => {
                let folder = vec!["--dir".to_string(), code.display().to_string()];
                (folder.clone(), folder)
            }
        };
        let run = |extra: &[String]| {
            let mut args = vec!["exercise", "check", e.id.as_str()];
            args.extend(extra.iter().map(String::as_str));
            sideways(&args, &progress)
        };
        let out = run(&fail);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "exercise {}: untouched must fail: {err}", e.id);
        assert!(err.contains("not passed yet"), "{}: {err}", e.id);
        if let Some(module) = &e.code {
            // The stub's own `todo!` is what failed; then the reference solution goes in.
            let said = format!("{}{err}", String::from_utf8_lossy(&out.stdout));
            assert!(said.contains(&format!("not yet implemented: exercise {}", e.id)), "{}: {said}", e.id);
            let solution = sideways::lessons::code::find(module).unwrap().solution;
            std::fs::write(code.join("src").join(format!("{module}.rs")), solution).unwrap();
        } else {
            assert!(!err.contains("panicked"), "{}: {err}", e.id);
        }
        let out = run(&pass);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "exercise {}: the reference must pass: {text}{}",
            e.id,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("✓ passed") && text.contains(&e.solution.en), "{}: {text}", e.id);
    }
    // The progress file says so, and a reset forgets one exercise.
    let list = String::from_utf8_lossy(&sideways(&["exercise", "list"], &progress).stdout).to_string();
    let n = course.exercises.len();
    assert!(list.contains(&format!("{n} of {n} passed")), "{list}");
    let first = &course.exercises[0].id;
    assert!(sideways(&["exercise", "reset", first], &progress).status.success());
    let list = String::from_utf8_lossy(&sideways(&["exercise", "list", "--lang", "zh"], &progress).stdout).to_string();
    assert!(list.contains(&format!("{} of {n} passed", n - 1)) && list.contains("“good”后面是什么？"), "{list}");
    // A teacher's report: every exercise, as JSON and as CSV, with what was tried.
    let out = sideways(&["exercise", "report"], &progress);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["result"], "exercise_report");
    assert_eq!(report["passed"].as_u64(), Some(n as u64 - 1));
    assert_eq!(report["exercises"].as_array().unwrap().len(), n);
    let csv = String::from_utf8_lossy(&sideways(&["exercise", "report", "--csv"], &progress).stdout).to_string();
    assert_eq!(csv.lines().count(), n + 1, "{csv}");
    let modify = course.exercises.iter().find(|e| e.kind == Kind::Modify).unwrap();
    let row = csv.lines().find(|l| l.starts_with(&format!("\"{}\"", modify.id))).unwrap();
    assert!(row.contains(modify.reference.as_deref().unwrap()), "the options tried are reported: {row}");
    // Hints come one at a time.
    let hint = |p: &Path| String::from_utf8_lossy(&sideways(&["exercise", "hint", "1.3"], p).stdout).to_string();
    assert!(hint(&progress).contains("hint 1/2") && !hint(&progress).contains("hint 3/"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_lessons_experiments_show_what_one_word_of_context_cannot_see() {
    let o = SummaryOptions { steps: 3, threads: 1, ..SummaryOptions::default() };
    let Experiment::WhatComesNext(w) = experiments::run(1, &o, &mut |_| {}).unwrap() else {
        panic!("lesson 1 runs its own experiment")
    };
    // The bigram's guesses after "good" and after "i ate a good" are the same: only the last
    // word reaches it.
    assert_eq!(w.bigram.next[0].next, w.bigram.next[1].next);
    assert_eq!(w.bigram.next[0].next[0].word, "night");
    // One word of context already guesses a good share of this regular corpus.
    assert!((0.3..0.5).contains(&w.bigram.eval.accuracy), "{:?}", w.bigram.eval);
    assert_eq!(w.trained.models.len(), ModelKind::all().count());
    assert!(w.trained.models.iter().all(|m| m.next.len() == 2 && m.run.eval.is_some()));
    let Experiment::LongerContext(c) =
        experiments::run(2, &SummaryOptions { steps: 2, ..o.clone() }, &mut |_| {}).unwrap()
    else {
        panic!("lesson 2 runs its own experiment")
    };
    let words: Vec<usize> = c.points.iter().map(|p| p.words).collect();
    assert_eq!(words, experiments::CONTEXTS);
    assert!(c.points.iter().all(|p| (0.0..=1.0).contains(&p.after_good) && p.val_loss.is_finite()));
    assert!((0.25..0.4).contains(&c.bigram_after_good), "counted after \"good\": {}", c.bigram_after_good);
    // Lesson 3 finds the pronouns whose character was named in the same window and scores
    // every model on the same ones; counting one word back is no better than a coin.
    let Experiment::Pronouns(p) = experiments::run(3, &SummaryOptions { steps: 2, ..o.clone() }, &mut |_| {}).unwrap()
    else {
        panic!("lesson 3 runs its own experiment")
    };
    let names: Vec<&str> = p.models.iter().map(|m| m.model.as_str()).collect();
    let every: Vec<&str> = std::iter::once("bigram").chain(ModelKind::all().map(ModelKind::name)).collect();
    assert_eq!(names, every);
    assert!(p.models.iter().all(|m| m.cases == p.models[0].cases && m.right.len() == experiments::DISTANCES.len()));
    assert!(p.models[0].cases[0] > 1000 && p.models[0].cases.iter().all(|&n| n > 10), "{:?}", p.models[0].cases);
    assert!((0.4..0.6).contains(&p.models[0].right[0]), "the bigram guesses at chance: {:?}", p.models[0].right);
    // Lesson 4 measures one thread and projects from it: one processor reproduces the measured
    // step, and no number of processors beats the span.
    let Experiment::WashingMachine(w) = experiments::run(4, &o, &mut |_| {}).unwrap() else {
        panic!("lesson 4 runs its own experiment")
    };
    for curve in &w.sweep.span {
        let one = w.sweep.points.iter().find(|p| p.model == curve.model && p.threads == 1).unwrap();
        let projected: Vec<&experiments::Projected> = w.projection.iter().filter(|p| p.model == curve.model).collect();
        assert_eq!(projected.len(), experiments::PROCESSORS.len());
        assert!((projected[0].step_ms - one.step_ms).abs() < 1e-9 * one.step_ms);
        let floor = one.step_ms * curve.span / curve.work;
        assert!(projected.windows(2).all(|p| p[1].step_ms <= p[0].step_ms && p[1].step_ms >= floor * (1.0 - 1e-12)));
    }
    let ratio = |m: &str| {
        let c = w.sweep.span.iter().find(|c| c.model.name() == m).unwrap();
        c.work / c.span
    };
    assert!(ratio("transformer") > 10.0 * ratio("rnn"), "the Transformer's step has far more parallel work");
    let e = experiments::run(99, &o, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("lesson"), "{e}");
}

#[test]
fn the_later_lessons_experiments_show_vectors_attention_the_race_and_the_scale() {
    let o = SummaryOptions { steps: 3, threads: 1, ..SummaryOptions::default() };
    // Lesson 5: the corpus supports king − man + woman = queen clearly, and the meal analogy,
    // which it never supports, only by a hair.
    let Experiment::WordsAsNumbers(w) = experiments::run(5, &o, &mut |_| {}).unwrap() else {
        panic!("lesson 5 runs its own experiment")
    };
    assert_eq!(w.analogies.len(), experiments::ANALOGIES.len());
    let (supported, unsupported): (Vec<_>, Vec<_>) = w.analogies.iter().partition(|a| a.expected.is_some());
    let unsure = unsupported.iter().map(|a| a.lead).fold(0.0, f32::max);
    assert!(unsure < 0.05, "{unsupported:?}");
    for a in &supported {
        assert_eq!(a.answers[0].word, *a.expected.as_ref().unwrap(), "{a:?}");
        assert!(a.lead > 0.05 && a.lead > 3.0 * unsure, "{a:?} against a lead of {unsure} without support");
    }
    assert!(w.eval.total.correct as f64 >= 0.9 * w.eval.total.answered as f64, "{:?}", w.eval.total);
    assert_eq!(w.neighbours.len(), experiments::NEIGHBOURS.len());
    // Lesson 6: attention rows are shares of the earlier words (the causal mask), and the chain
    // of dependent steps is the window for the RNN and the blocks for the Transformer.
    let Experiment::WholeSentence(s) = experiments::run(6, &o, &mut |_| {}).unwrap() else {
        panic!("lesson 6 runs its own experiment")
    };
    let n = s.sentence.len();
    assert_eq!(s.sentence.join(" "), experiments::SENTENCE);
    for head in s.attention.iter().flatten() {
        assert_eq!(head.len(), n);
        for (i, row) in head.iter().enumerate() {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-4 && row[i + 1..].iter().all(|&w| w == 0.0));
        }
    }
    assert!(s.look_back.iter().flatten().all(|&d| (0.0..n as f32).contains(&d)));
    for c in &s.chains {
        // The minGRU: per layer its gates, then a scan of ⌈log₂ T⌉ levels.
        let log2 = c.seq_len.next_power_of_two().trailing_zeros() as usize;
        let expected = match c.model.name() {
            "rnn" => c.seq_len,
            "mingru" => 2 * (1 + log2),
            _ => 2,
        };
        assert_eq!(c.dependent_steps, expected, "{c:?}");
    }
    let parallelism =
        |m: &str, t: usize| s.chains.iter().find(|c| c.model.name() == m && c.seq_len == t).unwrap().parallelism;
    assert!(parallelism("transformer", 1024) > 50.0 * parallelism("transformer", 16));
    assert!(parallelism("rnn", 1024) < 2.0 * parallelism("rnn", 16), "a longer window lengthens the RNN's chain too");
    assert!(parallelism("mingru", 1024) > 10.0 * parallelism("rnn", 1024), "the minGRU's chain grows as log T, not T");
    // Lesson 7: one CPU lane per model on one thread (and one on each hardware GPU), the same
    // steps, and a projection from each CPU lane.
    let Experiment::SameBudget(r) = experiments::run(7, &o, &mut |_| {}).unwrap() else {
        panic!("lesson 7 runs its own experiment")
    };
    let labels: Vec<&str> = r.race.lanes.iter().map(|l| l.run.label.as_str()).collect();
    let cpu: Vec<&str> = r.race.lanes.iter().filter(|l| l.run.device.is_none()).map(|l| l.run.label.as_str()).collect();
    assert_eq!(cpu, ModelKind::all().map(|m| format!("{m}@1")).collect::<Vec<_>>());
    assert!(r.race.lanes.iter().all(|l| l.run.steps == 3 && l.run.eval.is_some()));
    assert_eq!(r.projection.len(), ModelKind::all().count() * experiments::PROCESSORS.len());
    assert!(labels.contains(&r.lowest_val_loss.as_str()) && labels.contains(&r.most_tokens_per_s.as_str()));
    // Lesson 8: 6 × parameters × tokens, and this machine's time is that over its measured rate.
    let Experiment::ManyComputers(c) = experiments::run(8, &o, &mut |_| {}).unwrap() else {
        panic!("lesson 8 runs its own experiment")
    };
    assert_eq!(c.flops, 6.0 * 175e9 * 300e9);
    let here = c.this_machine.unwrap();
    assert!(here.gflops > 0.0 && (here.seconds * here.gflops * 1e9 / c.flops - 1.0).abs() < 1e-9);
}
