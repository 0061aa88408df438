//! The Elman RNN language model (bench-config.md):
//!     e_t = E[token_t]                      (t, b, d)   embedding
//!     p_t = e_t·W_xh + b_h                  (t, b, h)   one linear layer over all t at once
//!     h_t = tanh(p_t + h_{t−1}·W_hh)        (t, b, h)   the recurrence, one t after another
//!     probs_t = softmax(h_t·W_out + b_out)  (t, b, v)   one linear layer over all t at once
//! Activations are time-major (t, b, ·): the recurrence then reads one contiguous block per step.

use std::ops::Range;

use crate::embed::embedding::{self, EmbeddingInit};
use crate::error::Result;
use crate::linalg::Par;
use crate::rng::Rng;

use super::params::{pair_mut, Layout};
use super::{linear, rnn_cell, softmax_ce, LanguageModel, ModelConfig, RnnConfig};

/// Where each tensor lives in the flat parameter buffer.
struct RnnParams {
    wte: Range<usize>,   // (vocab, d)
    w_xh: Range<usize>,  // (d, h)
    b_h: Range<usize>,   // (h)
    w_hh: Range<usize>,  // (h, h)
    w_out: Range<usize>, // (h, vocab)
    b_out: Range<usize>, // (vocab)
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
}

/// An Elman RNN language model.
pub struct Rnn {
    config: RnnConfig,
    layout: Layout,
    p: RnnParams,
    params: Vec<f32>,
    grads: Vec<f32>,
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
        let mut params = vec![0.0; layout.len()];
        let rng = Rng::new(seed);
        // E ~ N(0, 1): with a small init the un-normalised RNN idles near the unigram loss.
        let init = embeddings
            .cloned()
            .unwrap_or(EmbeddingInit::Normal { std: 1.0 });
        embedding::init(&mut params[p.wte.clone()], &init, &mut rng.fork(1))?;
        let bound = 1.0 / (h as f32).sqrt();
        rng.fork(2).fill_uniform(&mut params[p.w_xh.clone()], bound);
        rng.fork(3).fill_uniform(&mut params[p.w_hh.clone()], bound);
        rng.fork(4).fill_normal(&mut params[p.w_out.clone()], 0.02);
        Ok(Rnn {
            config,
            grads: vec![0.0; layout.len()],
            layout,
            p,
            params,
            acts: RnnActs::default(),
        })
    }

    fn ensure_acts(&mut self, batch: usize, seq: usize) {
        let a = &mut self.acts;
        if a.seq == seq && a.capacity >= batch {
            a.batch = batch;
            return;
        }
        let (d, h, v) = (
            self.config.d_model,
            self.config.hidden_size,
            self.config.vocab_size,
        );
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

    fn layout(&self) -> &Layout {
        &self.layout
    }

    fn params(&self) -> &[f32] {
        &self.params
    }

    fn params_and_grads(&mut self) -> (&mut [f32], &mut [f32]) {
        (&mut self.params, &mut self.grads)
    }

    fn forward(
        &mut self,
        inputs: &[u32],
        targets: Option<&[u32]>,
        b: usize,
        t: usize,
        par: Par,
    ) -> Option<f32> {
        self.ensure_acts(b, t);
        let (d, h, v) = (
            self.config.d_model,
            self.config.hidden_size,
            self.config.vocab_size,
        );
        let (n, p, w) = (b * t, &self.p, &self.params);
        let a = &mut self.acts;
        to_time_major(&mut a.tokens, inputs, b, t);
        if let Some(targets) = targets {
            to_time_major(&mut a.targets, targets, b, t);
        }
        embedding::forward(&mut a.emb[..n * d], &a.tokens[..n], &w[p.wte.clone()], d);
        linear::forward(
            &mut a.hs,
            &a.emb,
            &w[p.w_xh.clone()],
            &w[p.b_h.clone()],
            n,
            d,
            h,
            par,
        );
        rnn_cell::forward(&mut a.hs[..n * h], &w[p.w_hh.clone()], t, b, h, par);
        linear::forward(
            &mut a.probs,
            &a.hs,
            &w[p.w_out.clone()],
            &w[p.b_out.clone()],
            n,
            h,
            v,
            par,
        );
        let targets = targets.map(|_| &a.targets[..n]);
        softmax_ce::forward(&mut a.probs, &mut a.losses, targets, n, v, par);
        targets.map(|_| a.losses[..n].iter().map(|&l| l as f64).sum::<f64>() as f32 / n as f32)
    }

    fn backward(&mut self, par: Par) {
        let (d, h, v) = (
            self.config.d_model,
            self.config.hidden_size,
            self.config.vocab_size,
        );
        let (b, t) = (self.acts.batch, self.acts.seq);
        let (n, p, w) = (b * t, &self.p, &self.params);
        let (a, g) = (&mut self.acts, &mut self.grads);
        g.fill(0.0);
        softmax_ce::backward(&mut a.probs, &a.targets, 1.0 / n as f32, n, v, par);
        let (dw, db) = pair_mut(g, &p.w_out, &p.b_out);
        linear::backward(
            Some(&mut a.dhs),
            dw,
            db,
            &a.probs,
            &a.hs,
            &w[p.w_out.clone()],
            n,
            h,
            v,
            par,
        );
        rnn_cell::backward(
            &mut a.dp,
            &mut g[p.w_hh.clone()],
            &mut a.dhs,
            &a.hs,
            &w[p.w_hh.clone()],
            t,
            b,
            h,
            par,
        );
        let (dw, db) = pair_mut(g, &p.w_xh, &p.b_h);
        linear::backward(
            Some(&mut a.demb),
            dw,
            db,
            &a.dp,
            &a.emb,
            &w[p.w_xh.clone()],
            n,
            d,
            h,
            par,
        );
        embedding::backward(&mut g[p.wte.clone()], &a.demb[..n * d], &a.tokens[..n], d);
    }

    fn probs(&self, b: usize, t: usize) -> &[f32] {
        let v = self.config.vocab_size;
        let i = t * self.acts.batch + b;
        &self.acts.probs[i * v..(i + 1) * v]
    }

    fn losses(&self, b: usize, t: usize) -> f32 {
        self.acts.losses[t * self.acts.batch + b]
    }
}
