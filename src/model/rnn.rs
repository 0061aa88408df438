//! The Elman RNN language model (bench-config.md):
//!     e_t = E[token_t]                      (t, b, d)   embedding
//!     p_t = e_t·W_xh + b_h                  (t, b, h)   one linear layer over all t at once
//!     h_t = tanh(p_t + h_{t−1}·W_hh)        (t, b, h)   the recurrence, one t after another
//!     probs_t = softmax(h_t·W_out + b_out)  (t, b, v)   one linear layer over all t at once
//! Activations are time-major (t, b, ·): the recurrence then reads one contiguous block per step.

use serde::{Deserialize, Serialize};

use crate::embed::embedding;
use crate::linalg::{vecmath, zero, Exec, Par};
use crate::rng::Rng;

use super::profile::{LayerClock, LayerTime, Pass, CLEAR_GRADIENTS, EMBEDDING_LAYER, HEAD_AND_LOSS, OUTPUT_LAYER};
use super::registry::{Entry, ModelConfig};
use super::spec::{check_range, ModelSpec, SizeOverrides, WorkSpan, MAX_WIDTH};
use super::store::{pair_mut, At, HostStore, Layout, ParamStore, Span};
use super::{head, linear, rnn_cell, softmax_ce, LanguageModel, Trace};

/// The profile's rows for the RNN's own layers.
const INPUT_LAYER: &str = "input projection";
const RECURRENCE: &str = "recurrence (the chain)";

/// The registry's entry.
pub const ENTRY: Entry = Entry {
    name: "rnn",
    standard: |vocab_size| ModelConfig::Rnn(RnnConfig { vocab_size, d_model: 128, hidden_size: 128 }),
};

/// Elman RNN sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RnnConfig {
    pub vocab_size: usize,
    /// Embedding width.
    pub d_model: usize,
    pub hidden_size: usize,
}

/// Where each tensor lives in the flat buffers.
pub(super) struct RnnParams {
    pub(super) wte: Span,   // (vocab, d)
    pub(super) w_xh: Span,  // (d, h)
    pub(super) b_h: Span,   // (h)
    pub(super) w_hh: Span,  // (h, h)
    pub(super) w_out: Span, // (h, vocab)
    pub(super) b_out: Span, // (vocab)
}

impl RnnParams {
    pub(super) fn new(c: &RnnConfig, l: &mut Layout) -> Self {
        let (v, d, h) = (c.vocab_size, c.d_model, c.hidden_size);
        RnnParams {
            wte: l.add(super::EMBEDDING, &[v, d]),
            w_xh: l.add("w_xh", &[d, h]),
            b_h: l.add("b_h", &[h]),
            w_hh: l.add("w_hh", &[h, h]),
            w_out: l.add("w_out", &[h, v]),
            b_out: l.add("b_out", &[v]),
        }
    }
}

impl ModelSpec for RnnConfig {
    fn name(&self) -> &'static str {
        ENTRY.name
    }

    fn layout(&self) -> Layout {
        let mut l = Layout::default();
        RnnParams::new(self, &mut l);
        l
    }

    fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    fn d_model(&self) -> usize {
        self.d_model
    }

    fn context_len(&self) -> Option<usize> {
        None
    }

    fn train_flops_per_token(&self, _seq_len: usize) -> f64 {
        let (v, d, h) = (self.vocab_size, self.d_model, self.hidden_size);
        3.0 * (2 * (d * h + h * h + h * v)) as f64
    }

    /// `RnnActs`: ids, embeddings, hidden states, probabilities and losses, their gradients,
    /// the recurrence's scratch and the fused head's.
    fn activation_floats(&self, batch: usize, seq_len: usize, threads: usize) -> f64 {
        let (b, n) = (batch as f64, (batch * seq_len) as f64);
        let (v, d, h) = (self.vocab_size as f64, self.d_model as f64, self.hidden_size as f64);
        let head = head::scratch_floats(threads, batch * seq_len, self.hidden_size, self.vocab_size) as f64;
        n * (3.0 + 2.0 * d + 4.0 * h + v) + b * h + head
    }

    /// The chain runs through every word of a window — h_t = tanh(… + h_{t−1}·W_hh) — so the
    /// span grows with the sequence length: the first word's input projection, every step of
    /// the recurrence, the last word's head; ×3 for the backward pass.
    fn work_span(&self, batch: usize, seq_len: usize) -> WorkSpan {
        let (v, d, h) = (self.vocab_size, self.d_model, self.hidden_size);
        let work = (batch * seq_len) as f64 * self.train_flops_per_token(seq_len);
        let span = 3.0 * (2.0 * (d * h) as f64 + seq_len as f64 * 2.0 * (h * h) as f64 + 2.0 * (h * v) as f64);
        WorkSpan { work, span, critical_path: seq_len }
    }

    fn resize(&mut self, sizes: &SizeOverrides, _seq_len: usize) {
        self.d_model = sizes.d_model.unwrap_or(self.d_model);
        self.hidden_size = sizes.hidden_size.or(sizes.d_model).unwrap_or(self.hidden_size);
    }

    fn validate_sizes(&self) -> crate::error::Result<()> {
        check_range("hidden size", self.hidden_size, MAX_WIDTH)
    }

    fn build(&self, seed: u64) -> Box<dyn LanguageModel> {
        Box::new(Rnn::new(*self, seed))
    }

    #[cfg(feature = "gpu")]
    fn build_gpu(
        &self,
        seed: u64,
        gpu: std::sync::Arc<crate::gpu::Gpu>,
    ) -> crate::error::Result<Box<dyn LanguageModel>> {
        Ok(Box::new(super::rnn_gpu::RnnGpu::new(*self, seed, gpu)))
    }
}

/// Activations for one (batch, seq), allocated once and reused by every step of that shape.
#[derive(Default)]
struct RnnActs {
    capacity: usize, // rows allocated
    batch: usize,    // rows of the last forward
    seq: usize,
    tokens: Vec<u32>,  // (t, b)
    targets: Vec<u32>, // (t, b)
    emb: Vec<f32>,     // (t, b, d)
    hs: Vec<f32>,      // (t, b, h)
    probs: Vec<f32>,   // (t, b, v); dlogits after backward
    losses: Vec<f32>,  // (t, b)
    // Gradients of the activations, zeroed at the start of each backward.
    dhs: Vec<f32>,  // (t, b, h)
    dp: Vec<f32>,   // (t, b, h)
    demb: Vec<f32>, // (t, b, d)
    // Scratch of the recurrence's backward.
    dz: Vec<f32>,    // (t, b, h)
    carry: Vec<f32>, // (b, h)
    /// Whether `probs` holds gradients (backward ran since the last forward).
    probs_consumed: bool,
    /// The fused output layer's blocks of logits and per-thread partials (`head::train`).
    head_scratch: Vec<f32>,
}

/// An Elman RNN language model.
pub struct Rnn {
    config: RnnConfig,
    p: RnnParams,
    store: HostStore,
    acts: RnnActs,
    clock: LayerClock,
}

impl Rnn {
    pub fn new(config: RnnConfig, seed: u64) -> Self {
        let mut layout = Layout::default();
        let p = RnnParams::new(&config, &mut layout);
        let mut store = HostStore::new(layout);
        let params = &mut store.values[..];
        let rng = Rng::new(seed);
        // E ~ N(0, 1): with a small init the un-normalised RNN idles near the unigram loss.
        rng.fork(1).fill_normal(params.at_mut(p.wte), 1.0);
        let bound = 1.0 / (config.hidden_size as f32).sqrt();
        rng.fork(2).fill_uniform(params.at_mut(p.w_xh), bound);
        rng.fork(3).fill_uniform(params.at_mut(p.w_hh), bound);
        rng.fork(4).fill_normal(params.at_mut(p.w_out), 0.02);
        Rnn { config, p, store, acts: RnnActs::default(), clock: LayerClock::default() }
    }

    fn ensure_acts(&mut self, batch: usize, seq: usize) {
        let a = &mut self.acts;
        if a.seq == seq && a.capacity >= batch {
            a.batch = batch;
            return;
        }
        let (d, h, v) = (self.config.d_model, self.config.hidden_size, self.config.vocab_size);
        let n = batch * seq;
        let z = |len: usize| vec![0.0f32; len];
        self.acts = RnnActs {
            capacity: batch,
            batch,
            seq,
            tokens: vec![0; n],
            targets: vec![0; n],
            emb: z(n * d),
            hs: z(n * h),
            probs: z(n * v),
            losses: z(n),
            dhs: z(n * h),
            dp: z(n * h),
            demb: z(n * d),
            dz: z(n * h),
            carry: z(batch * h),
            probs_consumed: false,
            head_scratch: Vec::new(),
        };
    }

    /// The row of position `pos` of window `row` in the time-major activations.
    fn at(&self, row: usize, pos: usize) -> usize {
        pos * self.acts.batch + row
    }
}

/// Copy (b, t) row-major ids into (t, b) time-major order.
pub(super) fn to_time_major(out: &mut [u32], ids: &[u32], b: usize, t: usize) {
    for bi in 0..b {
        for ti in 0..t {
            out[ti * b + bi] = ids[bi * t + ti];
        }
    }
}

impl Rnn {
    /// Everything below the output layer: embeddings, input projection, recurrence → `hs`.
    fn forward_features(&mut self, inputs: &[u32], targets: Option<&[u32]>, b: usize, t: usize, par: Par) {
        self.ensure_acts(b, t);
        let (d, h) = (self.config.d_model, self.config.hidden_size);
        let (n, p, w) = (b * t, &self.p, &self.store.values[..]);
        let (a, clock) = (&mut self.acts, &mut self.clock);
        clock.start(Pass::Forward);
        a.probs_consumed = false;
        to_time_major(&mut a.tokens, inputs, b, t);
        if let Some(targets) = targets {
            to_time_major(&mut a.targets, targets, b, t);
        }
        embedding::forward(&mut a.emb[..n * d], &a.tokens[..n], w.at(p.wte), d);
        clock.lap(EMBEDDING_LAYER);
        linear::forward(&mut a.hs, &a.emb, w.at(p.w_xh), w.at(p.b_h), n, d, h, par);
        clock.lap(INPUT_LAYER);
        rnn_cell::forward(&mut a.hs[..n * h], w.at(p.w_hh), t, b, h, par);
        clock.lap(RECURRENCE);
    }

    /// Start a backward pass: the activation gradients to zero.
    fn clear_gradients(&mut self, par: Par) {
        let (d, h) = (self.config.d_model, self.config.hidden_size);
        let n = self.acts.batch * self.acts.seq;
        let a = &mut self.acts;
        self.clock.start(Pass::Backward);
        for buf in [&mut a.dhs[..n * h], &mut a.dp[..n * h], &mut a.demb[..n * d]] {
            zero(buf, par);
        }
        self.clock.lap(CLEAR_GRADIENTS);
    }

    /// From the gradient at the hidden states (`dhs`) down to the embeddings.
    fn backward_features(&mut self, par: Par) {
        let (d, h) = (self.config.d_model, self.config.hidden_size);
        let (b, t) = (self.acts.batch, self.acts.seq);
        let (n, p, w) = (b * t, &self.p, &self.store.values[..]);
        let (a, g, clock) = (&mut self.acts, &mut self.store.grads[..], &mut self.clock);
        rnn_cell::backward(
            &mut a.dp,
            g.at_mut(p.w_hh),
            &mut a.dz,
            &mut a.carry,
            &a.dhs,
            &a.hs,
            w.at(p.w_hh),
            t,
            b,
            h,
            par,
        );
        clock.lap(RECURRENCE);
        let (dw, db) = pair_mut(g, p.w_xh, p.b_h);
        linear::backward(Some(&mut a.demb), dw, db, &a.dp, &a.emb, w.at(p.w_xh), n, d, h, par);
        clock.lap(INPUT_LAYER);
        embedding::backward(g.at_mut(p.wte), &a.demb[..n * d], &a.tokens[..n], d);
        clock.lap(EMBEDDING_LAYER);
    }
}

impl LanguageModel for Rnn {
    fn config(&self) -> ModelConfig {
        ModelConfig::Rnn(self.config)
    }

    fn store(&self) -> &dyn ParamStore {
        &self.store
    }

    fn store_mut(&mut self) -> &mut dyn ParamStore {
        &mut self.store
    }

    fn reserve(&mut self, batch: usize, seq: usize) {
        self.ensure_acts(batch, seq);
    }

    fn forward(&mut self, inputs: &[u32], targets: Option<&[u32]>, b: usize, t: usize, exec: Exec) {
        self.forward_features(inputs, targets, b, t, exec.par);
        let (h, v, n, par) = (self.config.hidden_size, self.config.vocab_size, b * t, exec.par);
        let (p, w, a, clock) = (&self.p, &self.store.values[..], &mut self.acts, &mut self.clock);
        let targets = targets.map(|_| &a.targets[..n]);
        let weights = (w.at(p.w_out), w.at(p.b_out));
        head::forward(&mut a.probs, &mut a.losses, targets, &a.hs, weights, (n, h, v), par);
        clock.lap(OUTPUT_LAYER);
    }

    fn read_loss(&self) -> f32 {
        softmax_ce::mean(&self.acts.losses[..self.acts.batch * self.acts.seq])
    }

    fn backward(&mut self, scale: f32, exec: Exec) {
        self.clear_gradients(exec.par);
        let (h, v, par) = (self.config.hidden_size, self.config.vocab_size, exec.par);
        let n = self.acts.batch * self.acts.seq;
        let (p, w, g) = (&self.p, &self.store.values[..], &mut self.store.grads[..]);
        let (a, clock) = (&mut self.acts, &mut self.clock);
        a.probs_consumed = true;
        let (dw, db) = pair_mut(g, p.w_out, p.b_out);
        let (inp, dloss) = (&a.hs[..], scale / n as f32);
        head::backward((&mut a.dhs, dw, db), &mut a.probs, &a.targets, inp, w.at(p.w_out), dloss, (n, h, v), par);
        clock.lap(OUTPUT_LAYER);
        self.backward_features(par);
    }

    fn forward_backward(&mut self, inputs: &[u32], targets: &[u32], b: usize, t: usize, scale: f32, exec: Exec) {
        self.forward_features(inputs, Some(targets), b, t, exec.par);
        self.clear_gradients(exec.par);
        let (h, v, n, par) = (self.config.hidden_size, self.config.vocab_size, b * t, exec.par);
        let (p, w, g) = (&self.p, &self.store.values[..], &mut self.store.grads[..]);
        let (a, clock) = (&mut self.acts, &mut self.clock);
        a.probs_consumed = true;
        let (dw, db) = pair_mut(g, p.w_out, p.b_out);
        let weights = (w.at(p.w_out), w.at(p.b_out));
        let targets = &a.targets[..n];
        let outs = (&mut a.dhs[..], dw, db);
        head::train(
            outs,
            &mut a.losses,
            &mut a.head_scratch,
            &a.hs,
            weights,
            targets,
            scale / n as f32,
            (n, h, v),
            par,
        );
        clock.lap(HEAD_AND_LOSS);
        self.backward_features(par);
    }

    fn read_probs(&self, row: usize, pos: usize, out: &mut [f32]) {
        assert!(!self.acts.probs_consumed, "read_probs after backward: run forward again");
        let (v, i) = (self.config.vocab_size, self.at(row, pos));
        out.copy_from_slice(&self.acts.probs[i * v..(i + 1) * v]);
    }

    fn read_losses(&self, out: &mut [f32]) {
        let (b, t) = (self.acts.batch, self.acts.seq);
        for (k, o) in out[..b * t].iter_mut().enumerate() {
            *o = self.acts.losses[self.at(k / t, k % t)];
        }
    }

    fn read_argmax(&self, out: &mut [u32]) {
        assert!(!self.acts.probs_consumed, "read_argmax after backward: run forward again");
        let (b, t, v) = (self.acts.batch, self.acts.seq, self.config.vocab_size);
        for (k, o) in out[..b * t].iter_mut().enumerate() {
            let i = self.at(k / t, k % t);
            *o = softmax_ce::argmax(&self.acts.probs[i * v..(i + 1) * v]) as u32;
        }
    }

    fn read_trace(&self) -> Trace {
        let (b, h) = (self.acts.batch, self.config.hidden_size);
        let norm = |t: usize| {
            let state = &self.acts.hs[t * b * h..t * b * h + h];
            vecmath::dot(state, state).sqrt()
        };
        Trace { attention: None, hidden_norms: Some((0..self.acts.seq).map(norm).collect()) }
    }

    fn chain_seconds(&self) -> f64 {
        self.clock.seconds(RECURRENCE)
    }

    fn layer_times(&self) -> Vec<LayerTime> {
        self.clock.times()
    }
}
