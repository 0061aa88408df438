//! `sideways predict` and `sideways generate`.

use std::path::PathBuf;

use clap::Args;

use super::output;
use crate::commands::predict::{generate, predict, GenerateOptions};
use crate::predict::Sampling;

#[derive(Debug, Clone, Args)]
pub struct PredictArgs {
    /// A checkpoint written by `sideways train --save`
    pub checkpoint: PathBuf,
    /// The words so far, e.g. "i ate a good"
    pub prompt: String,
    /// How many candidates to show
    #[arg(short, long, default_value_t = 5, value_parser = super::args::at_least_one)]
    pub k: usize,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// A checkpoint written by `sideways train --save`
    pub checkpoint: PathBuf,
    /// The words to continue
    #[arg(long)]
    pub prompt: String,
    /// How many words to add
    #[arg(long, default_value_t = 30)]
    pub words: usize,
    /// Below 1 sharper, above 1 more adventurous; 0 always takes the most likely word
    #[arg(long, default_value_t = 0.8)]
    pub temperature: f32,
    /// Sample only among the k most likely words (0 = all)
    #[arg(long, default_value_t = 0)]
    pub top_k: usize,
    /// Seed of the sampler
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

pub fn run_predict(a: &PredictArgs) -> anyhow::Result<()> {
    let r = predict(&a.checkpoint, &a.prompt, a.k)?;
    if a.json {
        return output::result("predict", &r);
    }
    let mut out = format!("{} after {} steps: {} ...\n", r.model, r.step, r.prompt);
    for p in &r.next {
        let bar = "#".repeat((p.prob * 40.0).round() as usize);
        out += &format!("  {:<14} {:5.1}%  {bar}\n", p.word, 100.0 * p.prob);
    }
    output::text(&out)
}

pub fn run_generate(a: &GenerateArgs) -> anyhow::Result<()> {
    let sampling = Sampling { temperature: a.temperature, top_k: a.top_k, seed: a.seed };
    let options =
        GenerateOptions { checkpoint: a.checkpoint.clone(), prompt: a.prompt.clone(), words: a.words, sampling };
    let r = generate(&options)?;
    if a.json {
        output::result("generate", &r)
    } else {
        output::line(&r.text)
    }
}
