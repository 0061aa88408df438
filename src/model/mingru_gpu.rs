//! The minGRU on a GPU: the same layer calls as `mingru.rs`, line for line, each a kernel of
//! `gpu/shaders/`. The scan is three dispatches per layer and direction whatever the window's
//! length: the recurrence no longer becomes a chain of dispatches, as the Elman RNN's does.

use std::sync::Arc;

use super::device_store::{view, DeviceStore};
use super::mingru::{MinGru, MinGruConfig, MinGruParams};
use super::store::{Buffer, Layout, ParamStore};
use super::{LanguageModel, ModelConfig, Trace};
use crate::gpu::kernels::{embedding, linear, mingru_gate, scan, softmax_ce, vecmath};
use crate::gpu::{Gpu, GpuBuf};
use crate::linalg::{vecmath as host, Exec};

/// One layer's activations and gradients on the device, in the shapes of `mingru.rs`'s.
struct LayerActs {
    zh: GpuBuf,  // (n, 2h)
    a: GpuBuf,   // (n, h)
    x: GpuBuf,   // (n, h)
    h: GpuBuf,   // (n, h)
    dh: GpuBuf,  // (n, h)
    dx: GpuBuf,  // (n, h)
    da: GpuBuf,  // (n, h)
    dzh: GpuBuf, // (n, 2h)
}

/// The step's activations on the device.
struct Acts {
    capacity: usize,
    batch: usize,
    seq: usize,
    /// The step's ids in one upload: tokens (b, t), targets (b, t), the tokens grouped by word.
    ids: GpuBuf,
    emb: GpuBuf, // (b, t, d)
    layers: Vec<LayerActs>,
    probs: GpuBuf,  // (b, t, v); dlogits after backward
    losses: GpuBuf, // (b, t)
    best: GpuBuf,   // (b, t) argmax ids
    demb: GpuBuf,   // (b, t, d)
    scan_scratch: GpuBuf,
    probs_consumed: bool,
}

impl Acts {
    fn new(gpu: &Gpu, config: &MinGruConfig, batch: usize, seq: usize) -> Self {
        let MinGruConfig { vocab_size: v, d_model: d, hidden_size: h, n_layers } = *config;
        let n = batch * seq;
        let z = |len: usize| gpu.zeros(len);
        let layer = || LayerActs {
            zh: z(n * 2 * h),
            a: z(n * h),
            x: z(n * h),
            h: z(n * h),
            dh: z(n * h),
            dx: z(n * h),
            da: z(n * h),
            dzh: z(n * 2 * h),
        };
        Acts {
            capacity: batch,
            batch,
            seq,
            ids: z(3 * n + v + 1),
            emb: z(n * d),
            layers: (0..n_layers).map(|_| layer()).collect(),
            probs: z(n * v),
            losses: z(n),
            best: z(n),
            demb: z(n * d),
            scan_scratch: z(scan::scratch_floats(n, h)),
            probs_consumed: false,
        }
    }

    fn top(&self) -> &LayerActs {
        self.layers.last().expect("at least one layer")
    }
}

/// A minGRU language model on a GPU.
pub struct MinGruGpu {
    config: MinGruConfig,
    p: MinGruParams,
    store: DeviceStore,
    acts: Option<Acts>,
}

impl MinGruGpu {
    /// The model `MinGru::new(config, seed)` would start as, on `gpu`.
    pub fn new(config: MinGruConfig, seed: u64, gpu: Arc<Gpu>) -> Self {
        let host = MinGru::new(config, seed);
        let mut layout = Layout::default();
        let p = MinGruParams::new(&config, &mut layout);
        let store = DeviceStore::new(gpu, layout, &host.store().to_vec(Buffer::Values));
        MinGruGpu { config, p, store, acts: None }
    }

    fn device(&self) -> &Arc<Gpu> {
        self.store.gpu()
    }

    fn acts(&self) -> &Acts {
        self.acts.as_ref().expect("a forward ran")
    }

    fn ensure_acts(&mut self, batch: usize, seq: usize) {
        if let Some(a) = &mut self.acts {
            if a.seq == seq && a.capacity >= batch {
                a.batch = batch;
                return;
            }
        }
        self.acts = Some(Acts::new(self.store.gpu(), &self.config, batch, seq));
    }
}

impl LanguageModel for MinGruGpu {
    fn config(&self) -> ModelConfig {
        ModelConfig::MinGru(self.config)
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
        let MinGruConfig { vocab_size: v, d_model: d, hidden_size: h, .. } = self.config;
        let n = b * t;
        let mut ids = inputs.to_vec();
        ids.extend_from_slice(targets.unwrap_or(inputs));
        ids.extend(embedding::index(inputs, v));
        let (gpu, p, w) = (self.store.gpu(), &self.p, &self.store.values);
        let a = self.acts.as_mut().expect("allocated above");
        a.probs_consumed = false;
        gpu.write(&a.ids, 0, &ids);
        embedding::forward(gpu, &a.emb, &a.ids, view(w, p.wte), n, d);
        for (l, lp) in p.layers.iter().enumerate() {
            let x = if l == 0 { &a.emb } else { &a.layers[l - 1].h };
            let k = &a.layers[l];
            let d_in = self.config.input_width(l);
            linear::forward(gpu, k.zh.all(), x.all(), view(w, lp.w_zh), view(w, lp.b_zh), n, d_in, 2 * h);
            mingru_gate::forward(gpu, &k.a, &k.x, &k.zh, n, h);
            scan::forward(gpu, &k.h, &a.scan_scratch, &k.a, &k.x, (b, t, h));
        }
        let top = a.top();
        linear::forward(gpu, a.probs.all(), top.h.all(), view(w, p.w_out), view(w, p.b_out), n, h, v);
        softmax_ce::forward(gpu, &a.probs, &a.losses, targets.map(|_| a.ids.at(n, n)), n, v);
    }

    fn read_loss(&self) -> f32 {
        let a = self.acts();
        let mut losses = vec![0.0; a.batch * a.seq];
        self.device().read_f32(&a.losses, 0, &mut losses);
        super::softmax_ce::mean(&losses)
    }

    fn backward(&mut self, scale: f32, _exec: Exec) {
        let MinGruConfig { vocab_size: v, d_model: d, hidden_size: h, .. } = self.config;
        let (gpu, p, w, g) = (self.store.gpu(), &self.p, &self.store.values, &self.store.grads);
        let a = self.acts.as_mut().expect("a forward ran");
        let (b, t) = (a.batch, a.seq);
        let n = b * t;
        vecmath::fill(gpu, a.demb.at(0, n * d), 0.0);
        for k in &a.layers {
            for buf in [&k.dh, &k.dx, &k.da, &k.dzh] {
                vecmath::fill(gpu, buf.all(), 0.0);
            }
        }
        a.probs_consumed = true;
        softmax_ce::backward(gpu, &a.probs, a.ids.at(n, n), scale / n as f32, n, v);
        let top = a.top();
        let (dw, db) = (view(g, p.w_out), view(g, p.b_out));
        linear::backward(gpu, Some(top.dh.all()), dw, db, a.probs.all(), top.h.all(), view(w, p.w_out), n, h, v);
        for (l, lp) in p.layers.iter().enumerate().rev() {
            let k = &a.layers[l];
            scan::backward(gpu, (&k.dx, &k.da), &a.scan_scratch, &k.dh, &k.a, &k.h, (b, t, h));
            mingru_gate::backward(gpu, &k.dzh, &k.da, &k.dx, &k.zh, n, h);
            let (x, dx) = if l == 0 { (&a.emb, &a.demb) } else { (&a.layers[l - 1].h, &a.layers[l - 1].dh) };
            let (dw, db) = (view(g, lp.w_zh), view(g, lp.b_zh));
            let d_in = self.config.input_width(l);
            linear::backward(gpu, Some(dx.all()), dw, db, k.dzh.all(), x.all(), view(w, lp.w_zh), n, d_in, 2 * h);
        }
        embedding::backward(gpu, view(g, p.wte), &a.demb, a.ids.at(2 * n, v + 1 + n), v, d);
    }

    fn read_probs(&self, row: usize, pos: usize, out: &mut [f32]) {
        let a = self.acts();
        assert!(!a.probs_consumed, "read_probs after backward: run forward again");
        let (v, i) = (self.config.vocab_size, row * a.seq + pos);
        self.device().read_f32(&a.probs, i * v, out);
    }

    fn read_losses(&self, out: &mut [f32]) {
        let a = self.acts();
        self.device().read_f32(&a.losses, 0, &mut out[..a.batch * a.seq]);
    }

    fn read_argmax(&self, out: &mut [u32]) {
        let a = self.acts();
        assert!(!a.probs_consumed, "read_argmax after backward: run forward again");
        let n = a.batch * a.seq;
        softmax_ce::argmax(self.device(), &a.best, &a.probs, n, self.config.vocab_size);
        self.device().read(&a.best, 0, &mut out[..n]);
    }

    /// Row 0's top-layer state norm after each position, as on the CPU.
    fn read_trace(&self) -> Trace {
        let a = self.acts();
        let h = self.config.hidden_size;
        let mut states = vec![0.0; a.seq * h];
        self.device().read_f32(&a.top().h, 0, &mut states);
        let norms = states.chunks_exact(h).map(|s| host::dot(s, s).sqrt()).collect();
        Trace { attention: None, hidden_norms: Some(norms) }
    }

    fn gpu(&self) -> Option<Arc<Gpu>> {
        Some(self.store.gpu().clone())
    }
}
