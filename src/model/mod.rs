//! The two next-word models, built from one file per layer.
//!
//! Both read token ids (batch, seq) and produce next-token probabilities at every position.
//! Each model is a flat sequence of layer calls in `forward`, mirrored in reverse in `backward`.

pub mod attention;
mod config;
pub mod gelu;
pub mod layernorm;
pub mod linear;
mod params;
mod rnn;
pub mod rnn_cell;
pub mod softmax_ce;
mod transformer;

pub use config::{ModelConfig, ModelKind, RnnConfig, SizeOverrides, TransformerConfig, WorkSpan};
pub use params::{At, Layout, Parameters, Span, TensorSpec};
pub use rnn::Rnn;
pub use transformer::Transformer;

use crate::embed::embedding::EmbeddingInit;
use crate::error::Result;
use crate::linalg::Par;

/// What the trainer, the evaluator and the predictor need from a model.
pub trait LanguageModel: Send {
    fn config(&self) -> ModelConfig;

    /// The flat parameter and gradient buffers.
    fn parameters(&self) -> &Parameters;

    fn parameters_mut(&mut self) -> &mut Parameters;

    /// Names, shapes and offsets of the tensors in [`LanguageModel::params`].
    fn layout(&self) -> &Layout {
        &self.parameters().layout
    }

    /// All parameters, flat.
    fn params(&self) -> &[f32] {
        &self.parameters().values
    }

    /// Parameters and their gradients (same layout), for the optimizer.
    fn params_and_grads(&mut self) -> (&mut [f32], &mut [f32]) {
        let p = self.parameters_mut();
        (&mut p.values, &mut p.grads)
    }

    /// Run the model on `inputs` (batch, seq). With `targets`, returns the mean cross-entropy.
    /// Activations are kept for [`LanguageModel::backward`] and [`LanguageModel::probs`].
    fn forward(&mut self, inputs: &[u32], targets: Option<&[u32]>, batch: usize, seq: usize, par: Par) -> Option<f32>;

    /// Overwrite the gradients with those of the last forward's mean loss (which had targets).
    fn backward(&mut self, par: Par);

    /// Next-token probabilities after position `t` of row `b` of the last forward.
    fn probs(&self, b: usize, t: usize) -> &[f32];

    /// Cross-entropy of the prediction after position `t` of row `b` of the last forward.
    fn losses(&self, b: usize, t: usize) -> f32;

    fn kind(&self) -> ModelKind {
        self.config().kind()
    }

    /// Seconds the last forward + backward spent in steps that must run one after another (the
    /// RNN's recurrence); 0 for a model without such a chain.
    fn sequential_seconds(&self) -> f64 {
        0.0
    }

    /// Attention weights (t, t) of `head` in block `layer` for row 0 of the last forward
    /// (Transformer only).
    fn attention(&self, _layer: usize, _head: usize) -> Option<Vec<f32>> {
        None
    }

    /// The norm of the hidden state after each position of row 0 of the last forward (RNN only).
    fn hidden_norms(&self) -> Option<Vec<f32>> {
        None
    }
}

/// Build a model with fresh seeded weights (the init of bench-config.md), optionally starting
/// its embedding table from given vectors.
pub fn build(config: &ModelConfig, seed: u64, embeddings: Option<&EmbeddingInit>) -> Result<Box<dyn LanguageModel>> {
    config.validate()?;
    Ok(match config {
        ModelConfig::Rnn(c) => Box::new(Rnn::new(*c, seed, embeddings)?),
        ModelConfig::Transformer(c) => Box::new(Transformer::new(*c, seed, embeddings)?),
    })
}

/// Start `model`'s embedding table from word vectors, aligned by word; words without a vector
/// keep the model's own initialisation. Returns how many words were found.
pub fn load_embeddings(
    model: &mut dyn LanguageModel,
    vocab: &crate::data::Vocab,
    vectors: &crate::embed::vectors::WordVectors,
) -> Result<usize> {
    let wte = model.layout().get("wte").expect("both models have an embedding table").range();
    crate::embed::vectors::align_into(&mut model.params_and_grads().0[wte], vocab, vectors)
}
