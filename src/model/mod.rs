//! The next-word models, built from one file per layer.
//!
//! Every model reads token ids (batch, seq) and produces next-token probabilities at every
//! position. Each is a flat sequence of layer calls in `forward`, mirrored in reverse in
//! `backward`, over parameters that live in its [`ParamStore`]. The registry ([`MODELS`]) lists
//! them; each model's configuration type ([`ModelSpec`]) knows its own tensors, FLOPs and chain
//! of dependent steps.
//!
//! # The gradient convention
//!
//! **Every backward adds** the gradients it computes into the buffers it is given for them —
//! parameter gradients and input gradients alike (`+=`, faer's `Accum::Add`). A tensor used in
//! two places (the residual stream, a weight shared by two micro-batches) therefore simply
//! receives both contributions, and nothing depends on the order of the calls. The buffers start
//! at zero: [`ParamStore::zero_grad`] once per step for the parameters (so the gradients of
//! several micro-batches add up to those of their union), and each model zeroes its
//! activation-gradient buffers at the start of its `backward` — except a buffer that exactly one
//! layer writes, which that layer may overwrite instead (`linear::backward_overwrite`,
//! `gelu::backward_from_tanh`, `attention_tiled::backward`), sparing the model its zeroing: the
//! Transformer's block-internal gradients, 22 MB of a standard step (and dqkv's 6 MB on windows
//! longer than a tile). Two kinds of buffer are not
//! gradients and are simply overwritten: scratch space a layer uses internally, and the loss
//! layer's probabilities, which its backward turns into dlogits in place — the first gradient of
//! every backward pass.

pub mod adamw;
pub mod attention;
pub mod attention_tiled;
#[cfg(feature = "gpu")]
mod device_store;
pub mod gelu;
pub mod head;
pub mod layernorm;
pub mod linear;
mod mingru;
#[cfg(feature = "gpu")]
mod mingru_gpu;
pub mod position;
pub mod profile;
mod registry;
mod rnn;
pub mod rnn_cell;
#[cfg(feature = "gpu")]
mod rnn_gpu;
pub mod scan;
pub mod softmax_ce;
mod spec;
mod store;
mod transformer;
#[cfg(feature = "gpu")]
mod transformer_gpu;

pub use adamw::AdamWConfig;
pub use mingru::{gate as mingru_gate, MinGru, MinGruConfig};
pub use profile::LayerTime;
pub use registry::{Entry, ModelConfig, ModelKind, MODELS};
pub use rnn::{Rnn, RnnConfig};
pub use spec::{ModelSpec, SizeOverrides, WorkSpan};
pub use store::{At, Buffer, HostStore, Layout, ParamStore, Span, TensorSpec};
pub use transformer::{Transformer, TransformerConfig};

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::data::Vocab;
use crate::embed::vectors::{align_into, WordVectors};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::linalg::Exec;

/// The name of the token-embedding table in every model's layout (word vectors go there).
pub const EMBEDDING: &str = "wte";

/// How a model read row 0 of its last forward pass (what the dashboard draws).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// A model that reads all positions at once: attention weights (t, t) of every head, by
    /// block then head.
    pub attention: Option<Vec<Vec<Vec<f32>>>>,
    /// A model that reads one position at a time: its hidden state's norm after each position.
    pub hidden_norms: Option<Vec<f32>>,
}

/// What the trainer, the evaluator and the predictor need from a model.
///
/// The trait hands out no slices of the model's activations: a device backend keeps them where
/// they are computed, and the host asks for what it needs through the `read_*` calls.
pub trait LanguageModel: Send {
    fn config(&self) -> ModelConfig;

    /// Parameters, gradients and optimizer state.
    fn store(&self) -> &dyn ParamStore;

    fn store_mut(&mut self) -> &mut dyn ParamStore;

    /// Run the model on `inputs` (batch, seq), with `targets` the cross-entropy at every position.
    /// Activations are kept for [`LanguageModel::backward`] and the read-backs. A device model
    /// only records the work: nothing comes back until a read.
    fn forward(&mut self, inputs: &[u32], targets: Option<&[u32]>, batch: usize, seq: usize, exec: Exec);

    /// The mean cross-entropy of the last forward (which had targets).
    fn read_loss(&self) -> f32;

    /// Add into the parameter gradients those of `scale` × the mean loss of the last forward
    /// (which had targets). `scale` = 1 for a whole batch; n_k / N for a micro-batch of n_k of
    /// the step's N windows, so that the micro-batches' gradients add up to the batch's.
    fn backward(&mut self, scale: f32, exec: Exec);

    /// One training pass over a (micro-)batch: [`LanguageModel::forward`] with `targets`, then
    /// [`LanguageModel::backward`] with `scale`. The CPU models fuse their output layer with
    /// the loss here ([`head`]), so the (batch·seq, vocab) logits never leave the cache;
    /// afterwards the losses can be read, the probabilities cannot.
    fn forward_backward(&mut self, inputs: &[u32], targets: &[u32], batch: usize, seq: usize, scale: f32, exec: Exec) {
        self.forward(inputs, Some(targets), batch, seq, exec);
        self.backward(scale, exec);
    }

    /// Next-token probabilities after position `pos` of row `row` of the last forward (before
    /// its backward, which turns them into gradients).
    fn read_probs(&self, row: usize, pos: usize, out: &mut [f32]);

    /// The cross-entropy at every position of the last forward, (batch, seq) row-major.
    fn read_losses(&self, out: &mut [f32]);

    /// The most likely next token at every position of the last forward, (batch, seq) row-major.
    fn read_argmax(&self, out: &mut [u32]);

    /// How the model read row 0 of the last forward.
    fn read_trace(&self) -> Trace {
        Trace::default()
    }

    /// Seconds the last forward + backward spent in steps that must run one after another (a
    /// recurrence); 0 for a model without such a chain, or one on a device (where the host does
    /// not see them).
    fn chain_seconds(&self) -> f64 {
        0.0
    }

    /// Seconds each kind of layer took in the last forward and backward (empty for a model on
    /// a device, whose kernels the host does not time one by one).
    fn layer_times(&self) -> Vec<LayerTime> {
        Vec::new()
    }

    /// Allocate the activations of a forward + backward on `batch` windows of `seq` tokens now
    /// rather than at the first forward (so that a device can refuse them with an error).
    fn reserve(&mut self, batch: usize, seq: usize);

    /// The GPU the model runs on (`None`: the CPU).
    fn gpu(&self) -> Option<Arc<Gpu>> {
        None
    }

    fn kind(&self) -> ModelKind {
        self.config().kind()
    }
}

/// Start `model`'s embedding table from word vectors, aligned by word; words without a vector
/// keep the model's own initialisation. Returns how many words were found.
pub fn load_embeddings(model: &mut dyn LanguageModel, vocab: &Vocab, vectors: &WordVectors) -> Result<usize> {
    let store = model.store_mut();
    let range = store.layout().get(EMBEDDING).expect("every model has an embedding table").range();
    let mut table = vec![0.0; range.len()];
    store.read(Buffer::Values, range.start, &mut table);
    let found = align_into(&mut table, vocab, vectors)?;
    store.write(Buffer::Values, range.start, &table);
    Ok(found)
}
