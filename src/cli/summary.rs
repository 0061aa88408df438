//! `sideways summary`: every model trains briefly on the same words; the side-by-side table.

use std::path::PathBuf;

use clap::Args;

use super::output::{self, Progress};
use crate::commands::summary::{summary, SummaryOptions, SummaryResult};
use crate::linalg::Threads;
use crate::units::thousands;

#[derive(Debug, Clone, Args)]
pub struct SummaryArgs {
    /// Training steps per model
    #[arg(long, default_value_t = 150)]
    pub steps: u64,
    /// Worker threads [default: all cores]
    #[arg(long)]
    pub threads: Option<usize>,
    /// Seed of the initial weights
    #[arg(long, default_value_t = 1337)]
    pub seed: u64,
    /// A UTF-8 text file or folder of .txt files [default: the embedded default corpus]
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Print one JSON object instead of the table
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: &SummaryArgs) -> anyhow::Result<()> {
    let options = SummaryOptions {
        steps: a.steps,
        threads: a.threads.unwrap_or_else(Threads::available),
        seed: a.seed,
        corpus: a.corpus.clone(),
        ..SummaryOptions::default()
    };
    if a.json {
        let r = summary(&options, &mut |_| {})?;
        return output::result("summary", &r);
    }
    output::line(
        "sideways: an RNN reads one word at a time, a Transformer reads the whole window at once, a minGRU carries a state from word to word like the RNN but computes every state at once (a scan).",
    )?;
    let mut progress = Progress::new(false);
    let r = summary(&options, &mut |e| progress.event(&e))?;
    output::line(&format!(
        "\ncorpus {}: {} training tokens, {} words. Each model trained {} steps of {} windows x {} tokens on {} thread(s), seed {}.\n",
        r.corpus,
        thousands(r.train_tokens as f64),
        r.vocab_size,
        r.steps,
        r.batch_size,
        r.seq_len,
        r.threads,
        r.seed
    ))?;
    output::text(&table(&r))?;
    output::line(&format!("\n{}", moral(&r)))
}

/// One sentence that reads the table: who learned most per step, who was fastest per second.
pub fn moral(r: &SummaryResult) -> String {
    let val = |m: &crate::commands::summary::ModelSummary| m.run.val_loss().unwrap_or(f32::INFINITY);
    let (Some(learner), Some(fastest)) = (
        r.models.iter().min_by(|a, b| val(a).total_cmp(&val(b))),
        r.models.iter().max_by(|a, b| a.run.tokens_per_s.total_cmp(&b.run.tokens_per_s)),
    ) else {
        return String::new();
    };
    let others = |chosen: &str, f: &dyn Fn(&crate::commands::summary::ModelSummary) -> String| {
        r.models.iter().filter(|m| m.run.label != chosen).map(f).collect::<Vec<_>>().join(", ")
    };
    format!(
        "In {} steps the {} learned most per step (validation loss {:.3}; {}); the {} got through most words per second on {} thread(s) ({} tokens/s; {}).\n\
         See `sideways bench` for how each one scales with threads.",
        r.steps,
        learner.run.model,
        val(learner),
        others(&learner.run.label, &|m| format!("{} {:.3}", m.run.model, val(m))),
        fastest.run.model,
        r.threads,
        thousands(fastest.run.tokens_per_s),
        others(&fastest.run.label, &|m| format!("{} {}", m.run.model, thousands(m.run.tokens_per_s)))
    )
}

/// The side-by-side table.
pub fn table(r: &SummaryResult) -> String {
    let col =
        |f: &dyn Fn(&crate::commands::summary::ModelSummary) -> String| r.models.iter().map(f).collect::<Vec<_>>();
    let mut rows: Vec<(String, Vec<String>)> = vec![
        ("".into(), col(&|m| m.run.model.to_string())),
        ("parameters".into(), col(&|m| thousands(m.run.parameters as f64))),
        ("train loss (last 10 steps)".into(), col(&|m| m.run.train_loss.map_or("-".into(), |l| format!("{l:.3}")))),
        ("validation loss".into(), col(&|m| m.run.val_loss().map_or("-".into(), |l| format!("{l:.3}")))),
        (
            "next-word accuracy".into(),
            col(&|m| m.run.eval.map_or("-".into(), |e| format!("{:.1}%", 100.0 * e.accuracy))),
        ),
        ("training tokens/s".into(), col(&|m| thousands(m.run.tokens_per_s))),
        ("training time".into(), col(&|m| format!("{:.1} s", m.run.seconds))),
    ];
    let prompts = r.models.first().map_or(0, |m| m.next.len());
    for i in 0..prompts {
        for k in 0..5 {
            let label = if k == 0 { format!("after \"{}\"", r.models[0].next[i].prompt) } else { String::new() };
            let cells = col(&|m| {
                m.next[i].next.get(k).map_or(String::new(), |p| format!("{:<10} {:4.1}%", p.word, 100.0 * p.prob))
            });
            rows.push((label, cells));
        }
    }
    let mut out = String::new();
    for (label, cells) in rows {
        let mut line = format!("{label:<28}");
        for c in cells {
            line.push_str(&format!("{c:<20}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
