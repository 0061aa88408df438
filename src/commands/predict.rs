//! `sideways predict` and `sideways generate`: a trained checkpoint continues a prompt.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::data::tokenize;
use crate::error::Result;
use crate::linalg::Exec;
use crate::model::ModelKind;
use crate::predict::{self, Prediction, Sampling};
use crate::train::Checkpoint;

/// The most likely next words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PredictResult {
    pub model: ModelKind,
    /// Training steps behind the checkpoint.
    pub step: u64,
    pub prompt: String,
    pub next: Vec<Prediction>,
}

/// The `k` most likely words after `prompt`, by the model in `checkpoint`.
pub fn predict(checkpoint: &std::path::Path, prompt: &str, k: usize) -> Result<PredictResult> {
    let ckpt = Checkpoint::load(checkpoint)?;
    let vocab = &ckpt.header.vocab;
    let ids = predict::encode_prompt(vocab, prompt)?;
    let mut model = ckpt.model()?;
    let next = predict::top_k(&predict::next_probs(model.as_mut(), &ids, Exec::SEQ), vocab, k);
    Ok(PredictResult { model: model.kind(), step: ckpt.header.step, prompt: prompt.into(), next })
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenerateOptions {
    pub checkpoint: PathBuf,
    pub prompt: String,
    /// How many words to add.
    pub words: usize,
    pub sampling: Sampling,
}

/// A prompt continued word by word.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenerateResult {
    pub model: ModelKind,
    pub step: u64,
    pub prompt: String,
    /// The new words.
    pub words: Vec<String>,
    /// The prompt's known words and the new ones, as readable text.
    pub text: String,
}

/// Continue `o.prompt` by `o.words` sampled words.
pub fn generate(o: &GenerateOptions) -> Result<GenerateResult> {
    let ckpt = Checkpoint::load(&o.checkpoint)?;
    let vocab = &ckpt.header.vocab;
    let ids = predict::encode_prompt(vocab, &o.prompt)?;
    let mut model = ckpt.model()?;
    let how = (o.sampling, ckpt.header.train.seq_len);
    let words = predict::generate(model.as_mut(), vocab, &ids, o.words, how, Exec::SEQ)?;
    let prompt: Vec<String> = ids.iter().map(|&i| vocab.word(i).to_string()).collect();
    let text = tokenize::detokenize(&[prompt, words.clone()].concat());
    Ok(GenerateResult { model: model.kind(), step: ckpt.header.step, prompt: o.prompt.clone(), words, text })
}
