//! What `sideways learn N --run` prints: each lesson's experiment in a few lines and tables.

use crate::embed::query::Scored;
use crate::lessons::experiments::{
    Experiment, OneThreadStep, Projected, SameBudget, WholeSentence, WordsAsNumbers, PROCESSORS,
};
use crate::train::Budget;
use crate::units::thousands;

/// An experiment's result in a few lines.
pub fn describe(r: &Experiment) -> String {
    match r {
        Experiment::WhatComesNext(w) => {
            let mut out = format!(
                "{:<12} {:>9} {:>9}   (validation split of {}, {} words)\n",
                "model", "val loss", "accuracy", w.trained.corpus, w.trained.vocab_size
            );
            out.push_str(&format!(
                "{:<12} {:>9.3} {:>9}   counts of the word after each word\n",
                "bigram",
                w.bigram.eval.val_loss,
                pct(w.bigram.eval.accuracy)
            ));
            for m in &w.trained.models {
                let eval = m.run.eval.as_ref();
                out.push_str(&format!(
                    "{:<12} {:>9} {:>9}   trained {} steps, {} tokens/s\n",
                    m.run.model.name(),
                    eval.map_or("-".into(), |e| format!("{:.3}", e.val_loss)),
                    eval.map_or("-".into(), |e| pct(e.accuracy as f64)),
                    w.trained.steps,
                    thousands(m.run.tokens_per_s)
                ));
            }
            for (i, p) in w.bigram.next.iter().enumerate() {
                out.push_str(&format!("\nafter \"{}\":\n", p.prompt));
                let row = |name: &str, next: &[crate::predict::Prediction]| {
                    let words: Vec<String> =
                        next.iter().map(|n| format!("{} {:.0}%", n.word, 100.0 * n.prob)).collect();
                    format!("  {name:<12} {}\n", words.join("  "))
                };
                out.push_str(&row("bigram", &p.next));
                for m in &w.trained.models {
                    out.push_str(&row(m.run.model.name(), &m.next[i].next));
                }
            }
            out
        }
        Experiment::LongerContext(c) => {
            let mut out = format!(
                "the {} trained {} steps on windows of each length (2,048 words a step)\n{:>6} {:>9} {:>9} {:>12}\n",
                c.model, c.steps, "words", "val loss", "accuracy", "after good"
            );
            for p in &c.points {
                out.push_str(&format!(
                    "{:>6} {:>9.3} {:>9} {:>12}\n",
                    p.words,
                    p.val_loss,
                    pct(p.accuracy),
                    pct(p.after_good)
                ));
            }
            out.push_str(&format!(
                "bigram (counts, one word) guesses {} of the words after \"good\"\n",
                pct(c.bigram_after_good)
            ));
            out
        }
        Experiment::Pronouns(p) => {
            let mut out = format!(
                "right pronoun for the character last named, by words since the name ({} steps)\n{:<12}",
                p.steps, "model"
            );
            for (lo, hi) in &p.distances {
                out.push_str(&format!(" {:>8}", format!("{lo}-{hi}")));
            }
            out.push_str("  recurrence\n");
            for m in &p.models {
                out.push_str(&format!("{:<12}", m.model));
                for r in &m.right {
                    out.push_str(&format!(" {:>8}", pct(*r)));
                }
                let share = if m.sequential_share > 0.0 { pct(m.sequential_share) } else { "-".into() };
                out.push_str(&format!("  {share:>10}\n"));
            }
            if let Some(m) = p.models.first() {
                let n: Vec<String> = m.cases.iter().map(|c| c.to_string()).collect();
                out.push_str(&format!(
                    "{:<12} {}\n",
                    "pronouns",
                    n.iter().map(|c| format!("{c:>8}")).collect::<Vec<_>>().join(" ")
                ));
            }
            out
        }
        Experiment::WashingMachine(w) => {
            let mut out = String::from("measured here, 2,048 tokens a step (median of steps 10..50):\n");
            for p in &w.sweep.points {
                let base = w.sweep.points.iter().find(|b| b.model == p.model && b.threads == 1);
                let speedup = base.map_or(String::new(), |b| format!("  {:.2}x", p.tokens_per_s / b.tokens_per_s));
                out.push_str(&format!(
                    "  {:<12} {:>2} thread(s) {:>9} tokens/s {:>8.1} ms a step{speedup}\n",
                    p.model.name(),
                    p.threads,
                    thousands(p.tokens_per_s),
                    p.step_ms
                ));
            }
            for f in &w.sweep.amdahl {
                out.push_str(&format!(
                    "  Amdahl, {}: serial fraction {:.0}% → at most {:.1}x on any number of cores\n",
                    f.model,
                    100.0 * f.fit.serial_fraction,
                    f.fit.speedup(f64::INFINITY)
                ));
            }
            out.push_str(&projection(&w.projection, &w.measured));
            out
        }
        Experiment::WordsAsNumbers(w) => words_as_numbers(w),
        Experiment::WholeSentence(w) => whole_sentence(w),
        Experiment::SameBudget(r) => same_budget(r),
        Experiment::ManyComputers(r) => super::compute::text(r, true),
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// The projection table: one row per measured model, with its W/S.
fn projection(rows: &[Projected], measured: &[OneThreadStep]) -> String {
    let mut out =
        String::from("\nPROJECTED, not measured: this machine's one-thread step × max(W/P, S) / W (work and span)\n");
    out.push_str(&format!("  {:<12}", "processors"));
    for p in PROCESSORS {
        out.push_str(&format!(" {:>10}", thousands(p)));
    }
    for m in measured {
        out.push_str(&format!("\n  {:<12}", m.model.name()));
        for p in rows.iter().filter(|p| p.model == m.model) {
            out.push_str(&format!(" {:>8.2}ms", p.step_ms));
        }
        out.push_str(&format!("   (W/S = {:.0})", m.parallelism()));
    }
    out.push('\n');
    out
}

fn words_as_numbers(w: &WordsAsNumbers) -> String {
    let t = &w.training;
    let mut out = format!(
        "word2vec (skip-gram): {} vectors from {} words × {} epochs in {:.2} s on {} thread(s), {} words/s\n",
        t.vocab_size,
        thousands(t.corpus_words as f64),
        t.epochs,
        t.seconds,
        t.threads,
        thousands(t.words_per_sec)
    );
    let scored =
        |list: &[Scored]| list.iter().map(|s| format!("{} {:.2}", s.word, s.score)).collect::<Vec<_>>().join("  ");
    for n in &w.neighbours {
        out.push_str(&format!("\nnearest to {:<10} {}", n.word, scored(&n.nearest)));
    }
    out.push('\n');
    for a in &w.analogies {
        let verdict = match (&a.expected, a.answers.first()) {
            (Some(e), Some(first)) if *e == first.word => format!("right, by {:.2}", a.lead),
            (Some(e), _) => format!("wrong: the corpus says {e}"),
            (None, _) => format!("no answer in the corpus: a lead of only {:.2}", a.lead),
        };
        out.push_str(&format!(
            "\n{} − {} + {} ≈ {}\n    {verdict}",
            a.b,
            a.a,
            a.c,
            scored(&a.answers[..a.answers.len().min(3)])
        ));
    }
    let e = &w.eval.total;
    out.push_str(&format!(
        "\n\nthe default corpus's {} analogy questions: {} right ({}), {} skipped\n",
        e.answered + e.skipped,
        e.correct,
        pct(e.accuracy() as f64),
        e.skipped
    ));
    out
}

fn whole_sentence(w: &WholeSentence) -> String {
    let mut out = format!(
        "the Transformer after {} steps (validation loss {:.3}) reads:\n  {}\n",
        w.steps,
        w.val_loss,
        w.sentence.join(" ")
    );
    let last = w.sentence.last().map_or("", String::as_str);
    for (b, heads) in w.last_word_looks_at.iter().enumerate() {
        for (h, word) in heads.iter().enumerate() {
            out.push_str(&format!("  block {} head {}: \"{last}\" looks most at \"{word}\"\n", b + 1, h + 1));
        }
    }
    let next: Vec<String> = w.next.iter().map(|n| format!("{} {:.0}%", n.word, 100.0 * n.prob)).collect();
    out.push_str(&format!("  next word: {}\n", next.join("  ")));
    // Draw the head that reads furthest back: the one doing what a recurrence cannot do at once.
    let heads = w.look_back.iter().enumerate().flat_map(|(b, h)| h.iter().enumerate().map(move |(i, &d)| (b, i, d)));
    if let Some((b, h, d)) = heads.max_by(|x, y| x.2.total_cmp(&y.2)) {
        out.push_str(&format!(
            "\nblock {} head {}, the head that reads furthest back ({d:.1} words on average)\n\
             row: a word; columns: the words it may read; darkest: where its attention is greatest\n",
            b + 1,
            h + 1
        ));
        out.push_str(&heatmap(&w.attention[b][h], &w.sentence));
    }
    out.push_str(&format!(
        "\n{:<12} {:>8} {:>16} {:>22}\n",
        "model", "window", "dependent steps", "processors it can use"
    ));
    for c in &w.chains {
        out.push_str(&format!(
            "{:<12} {:>8} {:>16} {:>22}\n",
            c.model.name(),
            c.seq_len,
            c.dependent_steps,
            thousands(c.parallelism)
        ));
    }
    out
}

/// Attention weights as shades, one character per weight, each row scaled to its largest
/// weight (a word's attention is spread over more words the further it is in), with its word.
fn heatmap(rows: &[Vec<f32>], words: &[String]) -> String {
    const SHADES: [char; 5] = [' ', '░', '▒', '▓', '█'];
    let mut out = String::new();
    for (row, word) in rows.iter().zip(words) {
        let most = row.iter().copied().fold(f32::MIN_POSITIVE, f32::max);
        let cells: String = row.iter().map(|&w| SHADES[((w / most * 4.0).round() as usize).min(4)]).collect();
        out.push_str(&format!("  {word:>8} |{cells}|\n"));
    }
    out
}

fn same_budget(r: &SameBudget) -> String {
    let budget = match r.race.budget {
        Budget::Steps(n) => format!("{n} steps"),
        b => b.to_string(),
    };
    let mut out = format!("every lane trains {budget} on the same data, seed and batches\n");
    out.push_str(&super::race::table(&r.race.lanes));
    out.push_str(&format!(
        "\nlowest validation loss: {} · most tokens/s: {} · first to finish: {}\n",
        r.lowest_val_loss, r.most_tokens_per_s, r.shortest_time
    ));
    out.push_str(&projection(&r.projection, &r.measured));
    out
}
