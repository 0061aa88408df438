//! What every model's configuration knows about itself: its tensors, its arithmetic per token,
//! its chain of dependent steps, and which sizes are sensible. Each model implements
//! [`ModelSpec`] in its own file, next to the layer calls the numbers describe; nothing outside
//! the model computes them.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::store::Layout;
use super::LanguageModel;
use crate::error::{Error, Result};
use crate::gpu::Gpu;

/// A model configuration: the sizes of one architecture, and what follows from them.
pub trait ModelSpec {
    /// The registered name of the architecture (its entry in [`super::registry::MODELS`]).
    fn name(&self) -> &'static str;

    /// The model's tensors, in the order of its flat buffers; the parameter count is its length.
    fn layout(&self) -> Layout;

    fn vocab_size(&self) -> usize;

    /// Width of the token embedding (word vectors given to the model must have it).
    fn d_model(&self) -> usize;

    /// The longest window the model accepts (`None`: any length).
    fn context_len(&self) -> Option<usize>;

    /// Matrix-product FLOPs to train on one token with windows of `seq_len` (forward + backward).
    ///
    /// Every product of the forward pass has two of the same size in the backward pass (the
    /// gradient of its input and of its weight), so training costs 3× the forward products.
    /// Elementwise work (softmax, GELU, LayerNorm, tanh) is left out: it is small and not what a
    /// FLOP/s peak measures.
    fn train_flops_per_token(&self, seq_len: usize) -> f64;

    /// Floats (4 bytes each) of the activations and their gradients a forward + backward on
    /// `batch` windows of `seq_len` allocates on `threads` CPU threads, by the same sizes as the
    /// model's own buffers (tested against the allocator). The threads count because the fused
    /// output layer keeps a block of logits and a dW partial per thread (67 MB on 16 threads in
    /// the standard configuration). In f64: absurd sizes must not overflow the estimate.
    fn activation_floats(&self, batch: usize, seq_len: usize, threads: usize) -> f64;

    /// [`ModelSpec::activation_floats`] on a GPU, whose kernels may keep more than the CPU's
    /// (the Transformer's attention weights) or less (the CPU's fused output layer's scratch).
    fn device_activation_floats(&self, batch: usize, seq_len: usize) -> f64 {
        self.activation_floats(batch, seq_len, 1)
    }

    /// Floats of the largest single activation buffer (a device binds each buffer whole): the
    /// probabilities (batch · seq_len, vocabulary) unless the model has a larger one.
    fn largest_activation_floats(&self, batch: usize, seq_len: usize) -> f64 {
        (batch * seq_len) as f64 * self.vocab_size() as f64
    }

    /// Work and span of one training step on `batch` windows of `seq_len` words (see
    /// [`WorkSpan`]).
    fn work_span(&self, batch: usize, seq_len: usize) -> WorkSpan;

    /// The window length from which the work per token that grows with the window (attention
    /// over all earlier words) exceeds the rest of a layer's work; `None` if nothing grows.
    fn window_crossover(&self) -> Option<usize> {
        None
    }

    /// Replace the sizes `sizes` sets and this model has; a context that is not given follows
    /// the run's `seq_len` (a model never sees windows longer than it was trained on).
    fn resize(&mut self, sizes: &SizeOverrides, seq_len: usize);

    /// Refuse sizes that are zero, absurd or inconsistent for this architecture, with a hint
    /// (the vocabulary, the width and the total size are checked for every model by
    /// [`super::ModelConfig::validate`]).
    fn validate_sizes(&self) -> Result<()>;

    /// A model with fresh weights from `seed` (the initialisation of bench-config.md).
    fn build(&self, seed: u64) -> Box<dyn LanguageModel>;

    /// The model `build(seed)` makes, on `gpu` (the same starting weights).
    fn build_gpu(&self, _seed: u64, _gpu: Arc<Gpu>) -> Result<Box<dyn LanguageModel>> {
        Err(Error::gpu(format!("the {} has no GPU kernels", self.name()), "race it on CPU threads (e.g. @2)"))
    }
}

/// Work and span of one training step, in FLOPs of matrix products (forward and backward, as
/// [`ModelSpec::train_flops_per_token`]).
///
/// The unit of parallel work is one word's computation in one layer: different windows,
/// different words of a layer that reads them all at once, different heads can run on different
/// processors; one word's products in one layer are not split further. The span is then the
/// work along the longest chain of such units that must wait for each other. P processors need
/// at least max(W/P, S) (the work and span laws), so W/S bounds the speed-up; by Brent's theorem
/// a schedule that never idles a processor while work is ready needs at most W/P + S, within a
/// factor of two of that bound.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkSpan {
    /// FLOPs of the whole step.
    pub work: f64,
    /// Length of the longest chain of dependent operations.
    pub span: f64,
    /// Dependent steps per window: words for the RNN, blocks for the Transformer, layers ×
    /// (1 + ⌈log₂ T⌉) for the minGRU (its gates, then its scan's levels).
    pub critical_path: usize,
}

impl WorkSpan {
    /// The work and span bound on the speed-up over one processor with `p` processors: W / max(W/p, S).
    pub fn max_speedup(&self, p: f64) -> f64 {
        self.work / (self.work / p).max(self.span)
    }
}

/// Sizes the user may change; `None` keeps the model's standard size (and a context follows
/// the sequence length). A size a model does not have is ignored by it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeOverrides {
    pub d_model: Option<usize>,
    pub hidden_size: Option<usize>,
    pub n_heads: Option<usize>,
    pub n_layers: Option<usize>,
    pub context_len: Option<usize>,
}

/// Beyond these a size is a typo, not an experiment (and would exhaust memory).
pub const MAX_WIDTH: usize = 16_384;
pub const MAX_LAYERS: usize = 256;
pub const MAX_CONTEXT: usize = 65_536;
pub const MAX_VOCAB: usize = 10_000_000;
pub const MAX_PARAMS: usize = 1 << 31;

/// `value` must be in 1..=max.
pub fn check_range(name: &'static str, value: usize, max: usize) -> Result<()> {
    if value == 0 || value > max {
        return Err(Error::config(name, value, format!("use 1 to {max}")));
    }
    Ok(())
}
