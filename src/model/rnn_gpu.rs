//! The Elman RNN on a GPU: the same layer calls as `rnn.rs`, line for line, each a kernel of
//! `gpu/shaders/`. The recurrence is one dispatch per word forward and one back: the chain of
//! dependent steps becomes a chain of dispatches, which is what a GPU cannot shorten.

use std::sync::Arc;

use super::device_store::{view, DeviceStore};
use super::rnn::{to_time_major, Rnn, RnnConfig, RnnParams};
use super::store::{Buffer, Layout, ParamStore};
use super::{LanguageModel, ModelConfig, Trace};
use crate::gpu::kernels::{embedding, linear, rnn_cell, softmax_ce, vecmath};
use crate::gpu::{Gpu, GpuBuf};
use crate::linalg::{vecmath as host, Exec};

/// Activations on the device for one (batch, seq), allocated once per shape.
struct Acts {
    capacity: usize,
    batch: usize,
    seq: usize,
    /// The step's ids in one upload: tokens (t, b), targets (t, b), the tokens grouped by word.
    ids: GpuBuf,
    emb: GpuBuf,    // (t, b, d)
    hs: GpuBuf,     // (t, b, h)
    probs: GpuBuf,  // (t, b, v); dlogits after backward
    losses: GpuBuf, // (t, b)
    best: GpuBuf,   // (t, b) argmax ids
    dhs: GpuBuf,    // (t, b, h)
    dp: GpuBuf,     // (t, b, h)
    demb: GpuBuf,   // (t, b, d)
    dz: GpuBuf,     // (t, b, h)
    probs_consumed: bool,
}

/// An Elman RNN language model on a GPU.
pub struct RnnGpu {
    config: RnnConfig,
    p: RnnParams,
    store: DeviceStore,
    acts: Option<Acts>,
    /// Host scratch for the ids of a step (time-major).
    tokens: Vec<u32>,
    targets: Vec<u32>,
}

impl RnnGpu {
    /// The model `Rnn::new(config, seed)` would start as, on `gpu`.
    pub fn new(config: RnnConfig, seed: u64, gpu: Arc<Gpu>) -> Self {
        let host = Rnn::new(config, seed);
        let mut layout = Layout::default();
        let p = RnnParams::new(&config, &mut layout);
        let store = DeviceStore::new(gpu, layout, &host.store().to_vec(Buffer::Values));
        RnnGpu { config, p, store, acts: None, tokens: Vec::new(), targets: Vec::new() }
    }

    fn device(&self) -> &Arc<Gpu> {
        self.store.gpu()
    }

    fn ensure_acts(&mut self, batch: usize, seq: usize) {
        if let Some(a) = &mut self.acts {
            if a.seq == seq && a.capacity >= batch {
                a.batch = batch;
                return;
            }
        }
        let (d, h, v) = (self.config.d_model, self.config.hidden_size, self.config.vocab_size);
        let n = batch * seq;
        let gpu = self.store.gpu();
        self.acts = Some(Acts {
            capacity: batch,
            batch,
            seq,
            ids: gpu.zeros(3 * n + v + 1),
            emb: gpu.zeros(n * d),
            hs: gpu.zeros(n * h),
            probs: gpu.zeros(n * v),
            losses: gpu.zeros(n),
            best: gpu.zeros(n),
            dhs: gpu.zeros(n * h),
            dp: gpu.zeros(n * h),
            demb: gpu.zeros(n * d),
            dz: gpu.zeros(n * h),
            probs_consumed: false,
        });
    }

    fn acts(&self) -> &Acts {
        self.acts.as_ref().expect("a forward ran")
    }

    /// The row of position `pos` of window `row` in the time-major activations.
    fn at(&self, row: usize, pos: usize) -> usize {
        pos * self.acts().batch + row
    }
}

impl LanguageModel for RnnGpu {
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

    fn forward(&mut self, inputs: &[u32], targets: Option<&[u32]>, b: usize, t: usize, _exec: Exec) {
        self.ensure_acts(b, t);
        let (d, h, v) = (self.config.d_model, self.config.hidden_size, self.config.vocab_size);
        let n = b * t;
        self.tokens.resize(n, 0);
        self.targets.resize(n, 0);
        to_time_major(&mut self.tokens, inputs, b, t);
        if let Some(targets) = targets {
            to_time_major(&mut self.targets, targets, b, t);
        }
        let mut ids = self.tokens.clone();
        ids.extend_from_slice(&self.targets);
        ids.extend(embedding::index(&self.tokens, v));
        let (gpu, p, w) = (self.store.gpu(), &self.p, &self.store.values);
        let a = self.acts.as_mut().expect("allocated above");
        a.probs_consumed = false;
        gpu.write(&a.ids, 0, &ids);
        embedding::forward(gpu, &a.emb, &a.ids, view(w, p.wte), n, d);
        linear::forward(gpu, a.hs.all(), a.emb.all(), view(w, p.w_xh), view(w, p.b_h), n, d, h);
        rnn_cell::forward(gpu, &a.hs, view(w, p.w_hh), t, b, h);
        linear::forward(gpu, a.probs.all(), a.hs.all(), view(w, p.w_out), view(w, p.b_out), n, h, v);
        softmax_ce::forward(gpu, &a.probs, &a.losses, targets.map(|_| a.ids.at(n, n)), n, v);
    }

    fn read_loss(&self) -> f32 {
        let a = self.acts();
        let mut losses = vec![0.0; a.batch * a.seq];
        self.device().read_f32(&a.losses, 0, &mut losses);
        super::softmax_ce::mean(&losses)
    }

    fn backward(&mut self, scale: f32, _exec: Exec) {
        let (d, h, v) = (self.config.d_model, self.config.hidden_size, self.config.vocab_size);
        let (gpu, p, w, g) = (self.store.gpu(), &self.p, &self.store.values, &self.store.grads);
        let a = self.acts.as_mut().expect("a forward ran");
        let (b, t) = (a.batch, a.seq);
        let n = b * t;
        for buf in [&a.dhs, &a.dp, &a.demb] {
            vecmath::fill(gpu, buf.all(), 0.0);
        }
        a.probs_consumed = true;
        softmax_ce::backward(gpu, &a.probs, a.ids.at(n, n), scale / n as f32, n, v);
        linear::backward(
            gpu,
            Some(a.dhs.all()),
            view(g, p.w_out),
            view(g, p.b_out),
            a.probs.all(),
            a.hs.all(),
            view(w, p.w_out),
            n,
            h,
            v,
        );
        rnn_cell::backward(gpu, &a.dp, view(g, p.w_hh), &a.dz, &a.dhs, &a.hs, view(w, p.w_hh), t, b, h);
        linear::backward(
            gpu,
            Some(a.demb.all()),
            view(g, p.w_xh),
            view(g, p.b_h),
            a.dp.all(),
            a.emb.all(),
            view(w, p.w_xh),
            n,
            d,
            h,
        );
        embedding::backward(gpu, view(g, p.wte), &a.demb, a.ids.at(2 * n, v + 1 + n), v, d);
    }

    fn read_probs(&self, row: usize, pos: usize, out: &mut [f32]) {
        assert!(!self.acts().probs_consumed, "read_probs after backward: run forward again");
        let (v, i) = (self.config.vocab_size, self.at(row, pos));
        self.device().read_f32(&self.acts().probs, i * v, out);
    }

    fn read_losses(&self, out: &mut [f32]) {
        let a = self.acts();
        let (b, t) = (a.batch, a.seq);
        let mut time_major = vec![0.0; b * t];
        self.device().read_f32(&a.losses, 0, &mut time_major);
        for (k, o) in out[..b * t].iter_mut().enumerate() {
            *o = time_major[self.at(k / t, k % t)];
        }
    }

    fn read_argmax(&self, out: &mut [u32]) {
        let a = self.acts();
        assert!(!a.probs_consumed, "read_argmax after backward: run forward again");
        let (b, t) = (a.batch, a.seq);
        softmax_ce::argmax(self.device(), &a.best, &a.probs, b * t, self.config.vocab_size);
        let mut time_major = vec![0u32; b * t];
        self.device().read(&a.best, 0, &mut time_major);
        for (k, o) in out[..b * t].iter_mut().enumerate() {
            *o = time_major[self.at(k / t, k % t)];
        }
    }

    fn read_trace(&self) -> Trace {
        let a = self.acts();
        let h = self.config.hidden_size;
        let norms = (0..a.seq)
            .map(|t| {
                let mut state = vec![0.0; h];
                self.device().read_f32(&a.hs, t * a.batch * h, &mut state);
                host::dot(&state, &state).sqrt()
            })
            .collect();
        Trace { attention: None, hidden_norms: Some(norms) }
    }

    fn gpu(&self) -> Option<Arc<Gpu>> {
        Some(self.store.gpu().clone())
    }
}
