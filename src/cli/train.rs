//! `sideways train`: train one model, with progress, evaluation and checkpoints.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;

use crate::data::{Corpus, Dataset};
use crate::model::{self, ModelKind};
use crate::train::{Checkpoint, TrainConfig, Trainer};

use super::args::{DataArgs, ModelArgs, RunArgs};
use super::progress::Progress;

#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// rnn or transformer (taken from the checkpoint with --resume)
    #[arg(long, required_unless_present = "resume")]
    pub model: Option<String>,
    /// Train until this many steps are done in total (a resumed run counts its earlier steps)
    #[arg(long, default_value_t = 300)]
    pub steps: u64,
    /// Write a checkpoint here at the end (and every --save-every steps)
    #[arg(long)]
    pub save: Option<PathBuf>,
    /// Save every N steps as well as at the end (0 = only at the end)
    #[arg(long, default_value_t = 0)]
    pub save_every: u64,
    /// Continue the run saved in this checkpoint (it is saved back there unless --save is given)
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Evaluate on the validation split every N steps (0 = only at the end)
    #[arg(long, default_value_t = 0)]
    pub eval_every: u64,
    /// Start the embedding table from these word vectors (from `sideways embed train`), aligned by word
    #[arg(long)]
    pub embeddings: Option<PathBuf>,
    /// Keep the starting embeddings fixed during training
    #[arg(long)]
    pub freeze_embeddings: bool,
    /// Print one JSON object per step and evaluation on stdout instead of a progress line
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub model_sizes: ModelArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(a: &TrainArgs) -> anyhow::Result<()> {
    let threads = a.run.threads()?;
    let corpus = Corpus::from_option(a.data.corpus.as_deref())?;
    let mut trainer = match &a.resume {
        Some(_) if a.embeddings.is_some() || a.freeze_embeddings => {
            let hint = "a resumed run keeps its own embeddings; leave out --embeddings / --freeze-embeddings";
            return Err(crate::error::Error::config("--embeddings", "with --resume", hint).into());
        }
        Some(path) => Trainer::resume(Checkpoint::load(path)?, &corpus, threads)?,
        None => {
            let kind: ModelKind = a.model.as_deref().unwrap_or("").parse()?;
            let data = Dataset::new(&corpus, a.data.config())?;
            let config =
                model::ModelConfig::with_overrides(kind, data.vocab.len(), a.model_sizes.overrides(a.run.seq_len));
            let mut model = model::build(&config, a.run.seed, None)?;
            if let Some(path) = &a.embeddings {
                let vectors = super::embed::load(path)?;
                let found = model::load_embeddings(model.as_mut(), &data.vocab, &vectors)?;
                if !a.json {
                    eprintln!(
                        "embeddings: {found} of {} words start from {}; {} keep the model's own random init",
                        data.vocab.len(),
                        path.display(),
                        data.vocab.len() - found
                    );
                }
            }
            let train = TrainConfig { freeze_embeddings: a.freeze_embeddings, ..a.run.config(a.steps) };
            Trainer::new(model, Arc::new(data), train, threads)?
        }
    };
    let save = a.save.clone().or_else(|| a.resume.clone());
    let kind = trainer.model.kind();
    if !a.json {
        let d = trainer.data();
        eprintln!(
            "{kind}: {} parameters, corpus {} ({} training tokens, {} words), {} threads, from step {}",
            super::progress::thousands(trainer.model.params().len() as f64),
            d.name,
            super::progress::thousands(d.train.len() as f64),
            d.vocab.len(),
            trainer.threads().count(),
            trainer.steps_done()
        );
    }
    let mut progress = Progress::new(kind.name(), a.steps, a.json);
    while trainer.steps_done() < a.steps {
        let r = trainer.step();
        progress.step(&r);
        if a.eval_every > 0 && r.step % a.eval_every == 0 && r.step < a.steps {
            let e = trainer.evaluate();
            progress.eval(r.step, &e);
        }
        if let (Some(path), true) = (&save, a.save_every > 0 && r.step % a.save_every == 0) {
            trainer.checkpoint().save(path)?;
        }
    }
    progress.finish();
    let e = trainer.evaluate();
    progress.eval(trainer.steps_done(), &e);
    if let Some(path) = &save {
        trainer.checkpoint().save(path).with_context(|| "saving the checkpoint")?;
        if !a.json {
            eprintln!("saved {}", path.display());
        }
    }
    Ok(())
}
