//! `sideways summary`: every model trains briefly on the same words, then they are compared
//! side by side — loss, speed, and what each now expects after a few prompts.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::data::{DataConfig, Dataset};
use crate::error::Result;
use crate::linalg::Threads;
use crate::model::{ModelConfig, ModelKind, SizeOverrides};
use crate::predict::Prediction;
use crate::train::{Budget, Event, Run, RunConfig, RunResult, TrainConfig, Trainer};

/// The prompts a summary shows unless told otherwise.
pub const PROMPTS: [&str; 2] = ["good", "i ate a good"];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryOptions {
    /// Training steps per model.
    pub steps: u64,
    pub threads: usize,
    /// Seed of the initial weights.
    pub seed: u64,
    pub corpus: Option<PathBuf>,
    /// Whose next words to show.
    pub prompts: Vec<String>,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions {
            steps: 150,
            threads: Threads::available(),
            seed: 1337,
            corpus: None,
            prompts: PROMPTS.map(String::from).to_vec(),
        }
    }
}

/// The next words after one prompt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PromptNext {
    pub prompt: String,
    pub next: Vec<Prediction>,
}

/// One model's results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    #[serde(flatten)]
    pub run: RunResult,
    /// The five most likely next words after each prompt.
    pub next: Vec<PromptNext>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryResult {
    pub corpus: String,
    pub train_tokens: usize,
    pub vocab_size: usize,
    pub threads: usize,
    pub seed: u64,
    pub steps: u64,
    pub batch_size: usize,
    pub seq_len: usize,
    /// In the registry's order.
    pub models: Vec<ModelSummary>,
}

/// Train every registered model for `o.steps` on the same data and describe the results.
pub fn summary(o: &SummaryOptions, emit: &mut dyn FnMut(Event)) -> Result<SummaryResult> {
    summary_on(&super::dataset(o.corpus.as_deref(), DataConfig::default())?, o, emit)
}

/// [`summary`] on `data`, already read (`o.corpus` is not used).
pub fn summary_on(data: &Arc<Dataset>, o: &SummaryOptions, emit: &mut dyn FnMut(Event)) -> Result<SummaryResult> {
    let threads = Threads::new(o.threads)?;
    let train = TrainConfig { seed: o.seed, ..TrainConfig::default() };
    let mut models = Vec::new();
    for (lane, kind) in ModelKind::all().enumerate() {
        let config = ModelConfig::new(kind, data.vocab.len(), &SizeOverrides::default(), train.seq_len);
        let trainer = Trainer::new(config.build(o.seed)?, data.clone(), train, threads.clone())?;
        let mut run = Run::new(trainer, RunConfig { lane, ..RunConfig::new(kind.name(), Budget::Steps(o.steps)) })?;
        let result = run.run_to_end(emit)?;
        let next = o
            .prompts
            .iter()
            .map(|p| Ok(PromptNext { prompt: p.clone(), next: run.predict(p, 5)? }))
            .collect::<Result<Vec<_>>>()?;
        models.push(ModelSummary { run: result, next });
    }
    Ok(SummaryResult {
        corpus: data.name.clone(),
        train_tokens: data.train.len(),
        vocab_size: data.vocab.len(),
        threads: threads.count(),
        seed: o.seed,
        steps: o.steps,
        batch_size: train.batch_size,
        seq_len: train.seq_len,
        models,
    })
}
