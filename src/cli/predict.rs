//! `sideways predict` and `sideways generate`.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::data::tokenize;
use crate::linalg::Threads;
use crate::predict::{self, Sampling};
use crate::train::Checkpoint;

#[derive(Debug, Clone, Args)]
pub struct PredictArgs {
    /// A checkpoint written by `sideways train --save`
    pub checkpoint: PathBuf,
    /// The words so far, e.g. "i ate a good"
    pub prompt: String,
    /// How many candidates to show
    #[arg(short, long, default_value_t = 5)]
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
    let ckpt = Checkpoint::load(&a.checkpoint)?;
    let vocab = &ckpt.header.vocab;
    let ids = predict::encode_prompt(vocab, &a.prompt)?;
    let mut model = ckpt.model()?;
    let par = Threads::new(1)?.par();
    let top = predict::top_k(predict::next_probs(model.as_mut(), &ids, par), vocab, a.k);
    if a.json {
        println!(
            "{}",
            json!({"model": model.kind().name(), "prompt": a.prompt, "step": ckpt.header.step, "next": top})
        );
        return Ok(());
    }
    println!("{} after {} steps: {} ...", model.kind(), ckpt.header.step, a.prompt);
    for p in &top {
        println!("  {:<14} {:5.1}%  {}", p.word, 100.0 * p.prob, "#".repeat((p.prob * 40.0).round() as usize));
    }
    Ok(())
}

pub fn run_generate(a: &GenerateArgs) -> anyhow::Result<()> {
    let ckpt = Checkpoint::load(&a.checkpoint)?;
    let vocab = &ckpt.header.vocab;
    let ids = predict::encode_prompt(vocab, &a.prompt)?;
    let mut model = ckpt.model()?;
    let sampling = Sampling { temperature: a.temperature, top_k: a.top_k, seed: a.seed };
    let words = predict::generate(model.as_mut(), vocab, &ids, a.words, sampling, Threads::new(1)?.par())?;
    if a.json {
        println!("{}", json!({"model": model.kind().name(), "prompt": a.prompt, "words": words}));
    } else {
        let prompt: Vec<String> = ids.iter().map(|&i| vocab.word(i).to_string()).collect();
        println!("{}", tokenize::detokenize(&[prompt, words].concat()));
    }
    Ok(())
}
