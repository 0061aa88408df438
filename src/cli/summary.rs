//! What plain `sideways` does: train the RNN and the Transformer briefly on the same words
//! and print them side by side (loss, speed, and what each now expects after two prompts).

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use serde::Serialize;

use crate::data::{Corpus, DataConfig, Dataset};
use crate::linalg::Threads;
use crate::model::{self, ModelConfig, ModelKind};
use crate::predict::{self, Prediction};
use crate::train::{TrainConfig, Trainer};

use super::progress::{thousands, Progress};

/// The prompts every summary shows.
pub const PROMPTS: [&str; 2] = ["good", "i ate a good"];

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

impl Default for SummaryArgs {
    fn default() -> Self {
        SummaryArgs { steps: 150, threads: None, seed: 1337, corpus: None, json: false }
    }
}

/// One model's results.
#[derive(Debug, Clone, Serialize)]
pub struct ModelSummary {
    pub model: ModelKind,
    pub parameters: usize,
    pub steps: u64,
    /// Mean training loss of the last 10 steps.
    pub train_loss: f32,
    pub val_loss: f32,
    pub accuracy: f32,
    /// Training tokens per second: batch tokens over the median step time after warm-up.
    pub tokens_per_s: f64,
    pub seconds: f64,
    /// Top-5 next words after each of [`PROMPTS`].
    pub next: Vec<(String, Vec<Prediction>)>,
}

/// Train `kind` for `steps` on `data` and describe the result.
pub fn train_and_summarise(
    kind: ModelKind,
    data: &Arc<Dataset>,
    steps: u64,
    seed: u64,
    threads: Threads,
    json: bool,
) -> crate::error::Result<ModelSummary> {
    let config = TrainConfig { seed, ..TrainConfig::default() };
    let model = model::build(&ModelConfig::standard(kind, data.vocab.len()), seed, None)?;
    let mut trainer = Trainer::new(model, data.clone(), config, threads.clone())?;
    let mut progress = Progress::new(kind.name(), steps, json);
    let (mut times, mut losses) = (Vec::new(), Vec::new());
    for _ in 0..steps {
        let r = trainer.step();
        if !json {
            progress.step(&r);
        }
        times.push(r.seconds);
        losses.push(r.loss);
    }
    progress.finish();
    let eval = trainer.evaluate();
    let par = threads.par();
    let next = PROMPTS
        .iter()
        .map(|p| {
            let ids = predict::encode_prompt(&data.vocab, p)?;
            let probs = predict::next_probs(trainer.model.as_mut(), &ids, par);
            Ok((p.to_string(), predict::top_k(probs, &data.vocab, 5)))
        })
        .collect::<crate::error::Result<Vec<_>>>()?;
    let tail = &losses[losses.len().saturating_sub(10)..];
    Ok(ModelSummary {
        model: kind,
        parameters: trainer.model.params().len(),
        steps,
        train_loss: tail.iter().sum::<f32>() / tail.len().max(1) as f32,
        val_loss: eval.loss,
        accuracy: eval.accuracy,
        tokens_per_s: (config.batch_size * config.seq_len) as f64 / median(&times[times.len().min(9)..]),
        seconds: times.iter().sum(),
        next,
    })
}

/// Median of a non-empty slice (the upper middle for even lengths).
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

pub fn run(a: &SummaryArgs) -> anyhow::Result<()> {
    let threads = Threads::new(a.threads.unwrap_or_else(Threads::available))?;
    let corpus = Corpus::from_option(a.corpus.as_deref())?;
    let data = Arc::new(Dataset::new(&corpus, DataConfig::default())?);
    if !a.json {
        println!("sideways: an RNN reads one word at a time, a Transformer reads the whole window at once.");
        println!(
            "corpus {}: {} training tokens, {} words. Each model trains {} steps of 32 windows x 64 tokens on {} thread(s), seed {}.\n",
            data.name,
            thousands(data.train.len() as f64),
            data.vocab.len(),
            a.steps,
            threads.count(),
            a.seed
        );
    }
    let results = ModelKind::ALL
        .iter()
        .map(|&kind| train_and_summarise(kind, &data, a.steps, a.seed, threads.clone(), a.json))
        .collect::<crate::error::Result<Vec<_>>>()?;
    if a.json {
        println!(
            "{}",
            serde_json::json!({"corpus": data.name, "threads": threads.count(), "seed": a.seed, "models": results})
        );
    } else {
        print!("{}", table(&results));
        println!("\n{}", moral(&results, threads.count()));
    }
    Ok(())
}

/// One sentence that reads the table: who learned more per step, who was faster per second.
pub fn moral(results: &[ModelSummary], threads: usize) -> String {
    let best = |key: &dyn Fn(&ModelSummary) -> f64| {
        results.iter().max_by(|a, b| key(a).total_cmp(&key(b))).expect("two models")
    };
    let (learner, fastest) = (best(&|r| -r.val_loss as f64), best(&|r| r.tokens_per_s));
    let other = |r: &ModelSummary| results.iter().find(|o| o.model != r.model).expect("two models");
    format!(
        "In {} steps the {} learned more per step (validation loss {:.3} vs {:.3}); the {} got through more words per second on {threads} thread(s) ({} vs {} tokens/s).\n\
         See `sideways bench` for how each one scales with threads.",
        learner.steps,
        learner.model,
        learner.val_loss,
        other(learner).val_loss,
        fastest.model,
        thousands(fastest.tokens_per_s),
        thousands(other(fastest).tokens_per_s)
    )
}

/// The side-by-side table.
pub fn table(results: &[ModelSummary]) -> String {
    let mut rows: Vec<(String, Vec<String>)> = vec![
        ("".into(), results.iter().map(|r| r.model.name().to_string()).collect()),
        ("parameters".into(), results.iter().map(|r| thousands(r.parameters as f64)).collect()),
        ("train loss (last 10 steps)".into(), results.iter().map(|r| format!("{:.3}", r.train_loss)).collect()),
        ("validation loss".into(), results.iter().map(|r| format!("{:.3}", r.val_loss)).collect()),
        ("next-word accuracy".into(), results.iter().map(|r| format!("{:.1}%", 100.0 * r.accuracy)).collect()),
        ("training tokens/s".into(), results.iter().map(|r| thousands(r.tokens_per_s)).collect()),
        ("training time".into(), results.iter().map(|r| format!("{:.1} s", r.seconds)).collect()),
    ];
    for (i, prompt) in PROMPTS.iter().enumerate() {
        for k in 0..5 {
            let label = if k == 0 { format!("after \"{prompt}\"") } else { String::new() };
            rows.push((
                label,
                results
                    .iter()
                    .map(|r| {
                        r.next[i].1.get(k).map_or(String::new(), |p| format!("{:<10} {:4.1}%", p.word, 100.0 * p.prob))
                    })
                    .collect(),
            ));
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
