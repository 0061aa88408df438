//! The Elman RNN language model (bench-config.md):
//!     e_t = E[token_t]                      (t, b, d)   embedding
//!     p_t = e_t·W_xh + b_h                  (t, b, h)   one linear layer over all t at once
//!     h_t = tanh(p_t + h_{t−1}·W_hh)        (t, b, h)   the recurrence, one t after another
//!     probs_t = softmax(h_t·W_out + b_out)  (t, b, v)   one linear layer over all t at once
//! Activations are time-major (t, b, ·): the recurrence then reads one contiguous block per step.

use crate::embed::embedding::{self, EmbeddingInit};
use crate::error::Result;
use crate::linalg::{self, Par};
use crate::rng::Rng;

use super::params::{pair_mut, At, Layout, Parameters, Span};
use super::{linear, rnn_cell, softmax_ce, LanguageModel, ModelConfig, RnnConfig};

/// Where each tensor lives in the flat parameter buffer.
struct RnnParams {
    wte: Span,   // (vocab, d)
    w_xh: Span,  // (d, h)
    b_h: Span,   // (h)
    w_hh: Span,  // (h, h)
    w_out: Span, // (h, vocab)
    b_out: Span, // (vocab)
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
    dhs: Vec<f32>,     // (t, b, h)
    dp: Vec<f32>,      // (t, b, h)
    demb: Vec<f32>,    // (t, b, d)
    /// Seconds spent in the recurrence by the last forward + backward.
    sequential: f64,
}

/// An Elman RNN language model.
pub struct Rnn {
    config: RnnConfig,
    p: RnnParams,
    store: Parameters,
    acts: RnnActs,
}

impl Rnn {
    pub fn new(config: RnnConfig, seed: u64, embeddings: Option<&EmbeddingInit>) -> Result<Self> {
        let (v, d, h) = (config.vocab_size, config.d_model, config.hidden_size);
        let mut layout = Layout::default();
        let p = RnnParams {
            wte: layout.add("wte", &[v, d]),
            w_xh: layout.add("w_xh", &[d, h]),
            b_h: layout.add("b_h", &[h]),
            w_hh: layout.add("w_hh", &[h, h]),
            w_out: layout.add("w_out", &[h, v]),
            b_out: layout.add("b_out", &[v]),
        };
        let mut store = Parameters::new(layout);
        let params = &mut store.values[..];
        let rng = Rng::new(seed);
        // E ~ N(0, 1): with a small init the un-normalised RNN idles near the unigram loss.
        let init = embeddings.cloned().unwrap_or(EmbeddingInit::Normal { std: 1.0 });
        embedding::init(params.at_mut(p.wte), &init, &mut rng.fork(1))?;
        let bound = 1.0 / (h as f32).sqrt();
        rng.fork(2).fill_uniform(params.at_mut(p.w_xh), bound);
        rng.fork(3).fill_uniform(params.at_mut(p.w_hh), bound);
        rng.fork(4).fill_normal(params.at_mut(p.w_out), 0.02);
        Ok(Rnn { config, p, store, acts: RnnActs::default() })
    }

    fn ensure_acts(&mut self, batch: usize, seq: usize) {
        let a = &mut self.acts;
        if a.seq == seq && a.capacity >= batch {
            a.batch = batch;
            return;
        }
        let (d, h, v) = (self.config.d_model, self.config.hidden_size, self.config.vocab_size);
        let n = batch * seq;
        self.acts = RnnActs {
            capacity: batch,
            batch,
            seq,
            tokens: vec![0; n],
            targets: vec![0; n],
            emb: vec![0.0; n * d],
            hs: vec![0.0; n * h],
            probs: vec![0.0; n * v],
            losses: vec![0.0; n],
            dhs: vec![0.0; n * h],
            dp: vec![0.0; n * h],
            demb: vec![0.0; n * d],
            sequential: 0.0,
        };
    }
}

/// Copy (b, t) row-major ids into (t, b) time-major order.
fn to_time_major(out: &mut [u32], ids: &[u32], b: usize, t: usize) {
    for bi in 0..b {
        for ti in 0..t {
            out[ti * b + bi] = ids[bi * t + ti];
        }
    }
}

impl LanguageModel for Rnn {
    fn config(&self) -> ModelConfig {
        ModelConfig::Rnn(self.config)
    }

    fn parameters(&self) -> &Parameters {
        &self.store
    }

    fn parameters_mut(&mut self) -> &mut Parameters {
        &mut self.store
    }

    fn forward(&mut self, inputs: &[u32], targets: Option<&[u32]>, b: usize, t: usize, par: Par) -> Option<f32> {
        self.ensure_acts(b, t);
        let (d, h, v) = (self.config.d_model, self.config.hidden_size, self.config.vocab_size);
        let (n, p, w) = (b * t, &self.p, &self.store.values[..]);
        let a = &mut self.acts;
        to_time_major(&mut a.tokens, inputs, b, t);
        if let Some(targets) = targets {
            to_time_major(&mut a.targets, targets, b, t);
        }
        embedding::forward(&mut a.emb[..n * d], &a.tokens[..n], w.at(p.wte), d);
        linear::forward(&mut a.hs, &a.emb, w.at(p.w_xh), w.at(p.b_h), n, d, h, par);
        let chain = std::time::Instant::now();
        rnn_cell::forward(&mut a.hs[..n * h], w.at(p.w_hh), t, b, h, par);
        a.sequential = chain.elapsed().as_secs_f64();
        linear::forward(&mut a.probs, &a.hs, w.at(p.w_out), w.at(p.b_out), n, h, v, par);
        let targets = targets.map(|_| &a.targets[..n]);
        softmax_ce::forward(&mut a.probs, &mut a.losses, targets, n, v, par);
        targets.map(|_| softmax_ce::mean(&a.losses[..n]))
    }

    fn backward(&mut self, par: Par) {
        let (d, h, v) = (self.config.d_model, self.config.hidden_size, self.config.vocab_size);
        let (b, t) = (self.acts.batch, self.acts.seq);
        let (n, p, w) = (b * t, &self.p, &self.store.values[..]);
        let (a, g) = (&mut self.acts, &mut self.store.grads[..]);
        g.fill(0.0);
        softmax_ce::backward(&mut a.probs, &a.targets, 1.0 / n as f32, n, v, par);
        let (dw, db) = pair_mut(g, p.w_out, p.b_out);
        linear::backward(Some(&mut a.dhs), dw, db, &a.probs, &a.hs, w.at(p.w_out), n, h, v, par);
        let chain = std::time::Instant::now();
        rnn_cell::backward(&mut a.dp, g.at_mut(p.w_hh), &mut a.dhs, &a.hs, w.at(p.w_hh), t, b, h, par);
        a.sequential += chain.elapsed().as_secs_f64();
        let (dw, db) = pair_mut(g, p.w_xh, p.b_h);
        linear::backward(Some(&mut a.demb), dw, db, &a.dp, &a.emb, w.at(p.w_xh), n, d, h, par);
        embedding::backward(g.at_mut(p.wte), &a.demb[..n * d], &a.tokens[..n], d);
    }

    fn probs(&self, b: usize, t: usize) -> &[f32] {
        let v = self.config.vocab_size;
        let i = t * self.acts.batch + b;
        &self.acts.probs[i * v..(i + 1) * v]
    }

    fn losses(&self, b: usize, t: usize) -> f32 {
        self.acts.losses[t * self.acts.batch + b]
    }

    fn sequential_seconds(&self) -> f64 {
        self.acts.sequential
    }

    fn hidden_norms(&self) -> Option<Vec<f32>> {
        let (b, h) = (self.acts.batch, self.config.hidden_size);
        Some(
            (0..self.acts.seq)
                .map(|t| {
                    linalg::vecmath::dot(
                        &self.acts.hs[t * b * h..t * b * h + h],
                        &self.acts.hs[t * b * h..t * b * h + h],
                    )
                    .sqrt()
                })
                .collect(),
        )
    }
}
