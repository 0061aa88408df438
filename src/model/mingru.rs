//! The minimal GRU language model (Feng et al. 2024, "Were RNNs All We Needed?"): a recurrent
//! network that reads sideways.
//!     x_0 = E[token]                                   (b, t, d)   embedding
//!     for each layer, on its input x (the previous layer's states):
//!         z_t = σ(x_t·W_z + b_z),  h̃_t = x_t·W_h + b_h  (b, t, h)  one linear layer over all t
//!         h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t       (b, t, h)  a linear recurrence: a scan
//!     probs = softmax(h·W_out + b_out)                 (b, t, v)
//! The gates read only the current word, never h_{t−1}: that is what the Elman RNN's
//! tanh(h_{t−1}·W_hh + …) does and this model does not, and why its recurrence can be regrouped
//! into a parallel scan ([`scan`]) of ⌈log₂ t⌉ levels instead of a chain of t steps.
//! W_z and W_h are stored side by side as one (d, 2h) matrix, so a layer's gates are one product.
//! Activations are batch-major (b, t, ·), like the Transformer's.

use serde::{Deserialize, Serialize};

use crate::embed::embedding;
use crate::linalg::{for_each_row_block, vecmath, zero, Exec, Par, Rows};
use crate::rng::Rng;

use super::profile::{LayerClock, LayerTime, Pass, CLEAR_GRADIENTS, EMBEDDING_LAYER, HEAD_AND_LOSS, OUTPUT_LAYER};
use super::registry::{Entry, ModelConfig};
use super::spec::{check_range, ModelSpec, SizeOverrides, WorkSpan, MAX_LAYERS, MAX_WIDTH};
use super::store::{pair_mut, At, HostStore, Layout, ParamStore, Span};
use super::{head, linear, scan, softmax_ce, LanguageModel, Trace};

/// The profile's rows for the minGRU's own layers (every layer's add up in one row).
const GATE_PRODUCTS: &str = "gates: x·[W_z | W_h]";
const GATES: &str = "gates: σ, 1 − z, z ⊙ h̃";
const SCAN: &str = "scan (the recurrence, in parallel)";

/// The registry's entry: two layers as wide as the RNN's state, 3% more parameters than it.
pub const ENTRY: Entry = Entry {
    name: "mingru",
    standard: |vocab_size| {
        ModelConfig::MinGru(MinGruConfig { vocab_size, d_model: 128, hidden_size: 128, n_layers: 2 })
    },
};

/// minGRU sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinGruConfig {
    pub vocab_size: usize,
    /// Embedding width.
    pub d_model: usize,
    /// Width of every layer's state.
    pub hidden_size: usize,
    pub n_layers: usize,
}

impl MinGruConfig {
    /// Floats of the buffers the CPU and the GPU models both allocate.
    fn shared_activation_floats(&self, batch: usize, seq_len: usize) -> f64 {
        let n = (batch * seq_len) as f64;
        let (v, d, h, l) = (self.vocab_size as f64, self.d_model as f64, self.hidden_size as f64, self.n_layers as f64);
        n * (3.0 + 2.0 * d + l * 10.0 * h + v)
    }

    /// Width of layer `l`'s input: the embedding's for the first, the states' after.
    pub(super) fn input_width(&self, l: usize) -> usize {
        if l == 0 {
            self.d_model
        } else {
            self.hidden_size
        }
    }
}

/// One layer's tensors in the flat buffers.
pub(super) struct LayerParams {
    pub(super) w_zh: Span, // (d_in, 2h): W_z then W_h, column blocks
    pub(super) b_zh: Span, // (2h)
}

pub(super) struct MinGruParams {
    pub(super) wte: Span, // (vocab, d)
    pub(super) layers: Vec<LayerParams>,
    pub(super) w_out: Span, // (h, vocab)
    pub(super) b_out: Span, // (vocab)
}

impl MinGruParams {
    pub(super) fn new(c: &MinGruConfig, l: &mut Layout) -> Self {
        let (v, d, h) = (c.vocab_size, c.d_model, c.hidden_size);
        let wte = l.add(super::EMBEDDING, &[v, d]);
        let layers = (0..c.n_layers)
            .map(|i| LayerParams {
                w_zh: l.add(format!("layers.{i}.w_zh"), &[c.input_width(i), 2 * h]),
                b_zh: l.add(format!("layers.{i}.b_zh"), &[2 * h]),
            })
            .collect();
        MinGruParams { wte, layers, w_out: l.add("w_out", &[h, v]), b_out: l.add("b_out", &[v]) }
    }
}

/// ⌈log₂ t⌉: the levels of a tree scan over t positions.
fn scan_levels(t: usize) -> usize {
    t.max(1).next_power_of_two().trailing_zeros() as usize
}

impl ModelSpec for MinGruConfig {
    fn name(&self) -> &'static str {
        ENTRY.name
    }

    fn layout(&self) -> Layout {
        let mut l = Layout::default();
        MinGruParams::new(self, &mut l);
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

    /// Every layer's gate product and the head; the scan is elementwise.
    fn train_flops_per_token(&self, _seq_len: usize) -> f64 {
        let (v, h) = (self.vocab_size, self.hidden_size);
        let gates: usize = (0..self.n_layers).map(|l| 2 * self.input_width(l) * 2 * h).sum();
        3.0 * (gates + 2 * h * v) as f64
    }

    /// `Acts`: ids and losses, the embeddings and their gradient, per layer its gate
    /// pre-activations, coefficients, scan inputs and states and their four gradients, the
    /// probabilities, and the scratch of the scan (3h per chunk) and of the fused head.
    fn activation_floats(&self, batch: usize, seq_len: usize, threads: usize) -> f64 {
        let head = head::scratch_floats(threads, batch * seq_len, self.hidden_size, self.vocab_size) as f64;
        let scan = scan::scratch_floats(batch, seq_len, self.hidden_size, threads) as f64;
        self.shared_activation_floats(batch, seq_len) + scan + head
    }

    /// The same buffers on a GPU, with the GPU scan's chunk summaries, the ids grouped by word
    /// and the argmax ids, and no fused head.
    #[cfg(feature = "gpu")]
    fn device_activation_floats(&self, batch: usize, seq_len: usize) -> f64 {
        let n = batch * seq_len;
        let scan = crate::gpu::kernels::scan::scratch_floats(n, self.hidden_size);
        self.shared_activation_floats(batch, seq_len) + (2 * n + self.vocab_size + 1 + scan) as f64
    }

    /// One word's path through a layer is its gate product, then the scan's ⌈log₂ t⌉ levels
    /// (each composes two steps: a₂a₁ and a₂x₁ + x₂, 3 FLOPs per channel); then the head; ×3
    /// for the backward pass. The chain of dependent steps grows with log₂ t, not t. (The work
    /// counts matrix products only, as every model's; the levels add under 1% to the span.)
    fn work_span(&self, batch: usize, seq_len: usize) -> WorkSpan {
        let (v, h) = (self.vocab_size, self.hidden_size);
        let work = (batch * seq_len) as f64 * self.train_flops_per_token(seq_len);
        let levels = scan_levels(seq_len);
        let layers: usize = (0..self.n_layers).map(|l| 2 * self.input_width(l) * 2 * h + levels * 3 * h).sum();
        let span = 3.0 * (layers + 2 * h * v) as f64;
        WorkSpan { work, span, critical_path: self.n_layers * (1 + levels) }
    }

    fn resize(&mut self, sizes: &SizeOverrides, _seq_len: usize) {
        self.d_model = sizes.d_model.unwrap_or(self.d_model);
        self.hidden_size = sizes.hidden_size.or(sizes.d_model).unwrap_or(self.hidden_size);
        self.n_layers = sizes.n_layers.unwrap_or(self.n_layers);
    }

    fn validate_sizes(&self) -> crate::error::Result<()> {
        check_range("hidden size", self.hidden_size, MAX_WIDTH)?;
        check_range("layers", self.n_layers, MAX_LAYERS)
    }

    fn build(&self, seed: u64) -> Box<dyn LanguageModel> {
        Box::new(MinGru::new(*self, seed))
    }

    #[cfg(feature = "gpu")]
    fn build_gpu(
        &self,
        seed: u64,
        gpu: std::sync::Arc<crate::gpu::Gpu>,
    ) -> crate::error::Result<Box<dyn LanguageModel>> {
        Ok(Box::new(super::mingru_gpu::MinGruGpu::new(*self, seed, gpu)))
    }
}

/// The gates between a layer's product and its scan.
///
/// Forward, from the pre-activations zh = [x·W_z + b_z | x·W_h + b_h] (n, 2h):
///     z = σ(zh_z),  a = 1 − z = σ(−zh_z),  x = z ⊙ h̃   (a: the scan's coefficients, x: its inputs)
/// Backward, from the scan's gradients da and dx:
///     dz = dx ⊙ h̃ − da,  dzh_z += dz ⊙ z(1 − z),  dzh_h += dx ⊙ z
pub mod gate {
    use super::*;

    fn sigmoid(x: f32) -> f32 {
        1.0 / (1.0 + vecmath::exp(-x))
    }

    /// a (n, h) and x (n, h) from zh (n, 2h).
    pub fn forward(a: &mut [f32], x: &mut [f32], zh: &[f32], n: usize, h: usize, par: Par) {
        let outs = (Rows::new(&mut a[..n * h], h), Rows::new(&mut x[..n * h], h));
        for_each_row_block(outs, n, 16, par, &|r0, (mut a, mut x)| {
            let rows = a.chunks_exact_mut(h).zip(x.chunks_exact_mut(h)).zip(zh[r0 * 2 * h..].chunks_exact(2 * h));
            for ((a, x), zh) in rows {
                let (zp, hp) = zh.split_at(h);
                for (((a, x), &zp), &hp) in a.iter_mut().zip(x.iter_mut()).zip(zp).zip(hp) {
                    // One exponential for both: z = 1 / (1 + e^−v) and 1 − z = e^−v · z, which
                    // stays exact where z is near 1 (1 − z would cancel).
                    let e = vecmath::exp(-zp);
                    let z = 1.0 / (1.0 + e);
                    *a = e * z;
                    *x = z * hp;
                }
            }
        });
    }

    /// dzh (n, 2h) += the gradient from da and dx (n, h).
    #[allow(clippy::too_many_arguments)]
    pub fn backward(dzh: &mut [f32], da: &[f32], dx: &[f32], zh: &[f32], n: usize, h: usize, par: Par) {
        for_each_row_block(Rows::new(&mut dzh[..n * 2 * h], 2 * h), n, 16, par, &|r0, mut dzh| {
            for (k, dzh) in dzh.chunks_exact_mut(2 * h).enumerate() {
                let i = r0 + k;
                let (zp, hp) = zh[i * 2 * h..(i + 1) * 2 * h].split_at(h);
                let (da, dx) = (&da[i * h..(i + 1) * h], &dx[i * h..(i + 1) * h]);
                let (dz, dh) = dzh.split_at_mut(h);
                for j in 0..h {
                    let z = sigmoid(zp[j]);
                    dz[j] += (dx[j] * hp[j] - da[j]) * z * (1.0 - z);
                    dh[j] += dx[j] * z;
                }
            }
        });
    }
}

/// One layer's activations for (b, t) and their gradients.
#[derive(Default)]
struct LayerActs {
    zh: Vec<f32>, // (n, 2h) gate pre-activations
    a: Vec<f32>,  // (n, h) the scan's coefficients, 1 − z
    x: Vec<f32>,  // (n, h) the scan's inputs, z ⊙ h̃
    h: Vec<f32>,  // (n, h) states: the layer's output
    // Gradients, zeroed at the start of each backward.
    dh: Vec<f32>,  // (n, h) arriving at the states: from the head or the layer above
    dx: Vec<f32>,  // (n, h)
    da: Vec<f32>,  // (n, h)
    dzh: Vec<f32>, // (n, 2h)
}

/// Activations for one (batch, seq), allocated once and reused by every step of that shape.
#[derive(Default)]
struct Acts {
    capacity: usize,
    batch: usize,
    seq: usize,
    tokens: Vec<u32>,  // (b, t)
    targets: Vec<u32>, // (b, t)
    emb: Vec<f32>,     // (b, t, d)
    layers: Vec<LayerActs>,
    probs: Vec<f32>,  // (b, t, v); dlogits after backward
    losses: Vec<f32>, // (b, t)
    demb: Vec<f32>,   // (b, t, d)
    /// The scan's chunk summaries.
    scan_scratch: Vec<f32>,
    probs_consumed: bool,
    /// The fused output layer's blocks of logits and per-thread partials (`head::train`).
    head_scratch: Vec<f32>,
}

/// A minGRU language model.
pub struct MinGru {
    config: MinGruConfig,
    p: MinGruParams,
    store: HostStore,
    acts: Acts,
    clock: LayerClock,
}

impl MinGru {
    /// Fresh weights: embeddings N(0, 1) and gate products uniform in ±1/√d_in as the Elman
    /// RNN's (the states are not normalised either), the output layer N(0, 0.02).
    pub fn new(config: MinGruConfig, seed: u64) -> Self {
        let mut layout = Layout::default();
        let p = MinGruParams::new(&config, &mut layout);
        let mut store = HostStore::new(layout);
        let params = &mut store.values[..];
        let rng = Rng::new(seed);
        rng.fork(1).fill_normal(params.at_mut(p.wte), 1.0);
        for (l, lp) in p.layers.iter().enumerate() {
            let bound = 1.0 / (config.input_width(l) as f32).sqrt();
            rng.fork(2 + l as u64).fill_uniform(params.at_mut(lp.w_zh), bound);
        }
        rng.fork(1000).fill_normal(params.at_mut(p.w_out), 0.02);
        MinGru { config, p, store, acts: Acts::default(), clock: LayerClock::default() }
    }

    fn ensure_acts(&mut self, batch: usize, seq: usize) {
        let a = &mut self.acts;
        if a.seq == seq && a.capacity >= batch {
            a.batch = batch;
            return;
        }
        let MinGruConfig { vocab_size: v, d_model: d, hidden_size: h, n_layers } = self.config;
        let n = batch * seq;
        let z = |len: usize| vec![0.0f32; len];
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
        self.acts = Acts {
            capacity: batch,
            batch,
            seq,
            tokens: vec![0; n],
            targets: vec![0; n],
            emb: z(n * d),
            layers: (0..n_layers).map(|_| layer()).collect(),
            probs: z(n * v),
            losses: z(n),
            demb: z(n * d),
            scan_scratch: z(3 * h),
            probs_consumed: false,
            head_scratch: Vec::new(),
        };
    }

    /// The top layer's states: what the head reads.
    fn states(&self) -> &[f32] {
        &self.acts.layers.last().expect("at least one layer").h
    }

    /// Embeddings, then every layer's gates and scan → the top layer's states.
    fn forward_features(&mut self, inputs: &[u32], targets: Option<&[u32]>, b: usize, t: usize, par: Par) {
        self.ensure_acts(b, t);
        let MinGruConfig { d_model: d, hidden_size: h, .. } = self.config;
        let (n, p, w) = (b * t, &self.p, &self.store.values[..]);
        let (a, clock) = (&mut self.acts, &mut self.clock);
        clock.start(Pass::Forward);
        a.probs_consumed = false;
        a.tokens[..n].copy_from_slice(inputs);
        if let Some(targets) = targets {
            a.targets[..n].copy_from_slice(targets);
        }
        embedding::forward(&mut a.emb[..n * d], inputs, w.at(p.wte), d);
        clock.lap(EMBEDDING_LAYER);
        let chunk = scan::chunk_rows(b, t, par.degree());
        for (l, lp) in p.layers.iter().enumerate() {
            let (done, rest) = a.layers.split_at_mut(l);
            let (x, k) = (if l == 0 { &a.emb } else { &done[l - 1].h }, &mut rest[0]);
            let d_in = self.config.input_width(l);
            linear::forward(&mut k.zh, x, w.at(lp.w_zh), w.at(lp.b_zh), n, d_in, 2 * h, par);
            clock.lap(GATE_PRODUCTS);
            gate::forward(&mut k.a, &mut k.x, &k.zh, n, h, par);
            clock.lap(GATES);
            scan::forward(&mut k.h, &mut a.scan_scratch, &k.a, &k.x, (b, t, h), chunk, par);
            clock.lap(SCAN);
        }
    }

    /// Start a backward pass: the activation gradients to zero.
    fn clear_gradients(&mut self, par: Par) {
        let MinGruConfig { d_model: d, hidden_size: h, .. } = self.config;
        let n = self.acts.batch * self.acts.seq;
        let a = &mut self.acts;
        self.clock.start(Pass::Backward);
        zero(&mut a.demb[..n * d], par);
        for k in &mut a.layers {
            for buf in [&mut k.dh, &mut k.dx, &mut k.da] {
                zero(&mut buf[..n * h], par);
            }
            zero(&mut k.dzh[..n * 2 * h], par);
        }
        self.clock.lap(CLEAR_GRADIENTS);
    }

    /// From the gradient at the top layer's states down to the embeddings.
    fn backward_features(&mut self, par: Par) {
        let MinGruConfig { d_model: d, hidden_size: h, .. } = self.config;
        let (b, t) = (self.acts.batch, self.acts.seq);
        let (n, p, w) = (b * t, &self.p, &self.store.values[..]);
        let (a, g, clock) = (&mut self.acts, &mut self.store.grads[..], &mut self.clock);
        let chunk = scan::chunk_rows(b, t, par.degree());
        for (l, lp) in p.layers.iter().enumerate().rev() {
            let (below, rest) = a.layers.split_at_mut(l);
            let k = &mut rest[0];
            scan::backward((&mut k.dx, &mut k.da), &mut a.scan_scratch, &k.dh, &k.a, &k.h, (b, t, h), chunk, par);
            clock.lap(SCAN);
            gate::backward(&mut k.dzh, &k.da, &k.dx, &k.zh, n, h, par);
            clock.lap(GATES);
            let (x, dx) = match below.last_mut() {
                Some(prev) => (&prev.h, &mut prev.dh),
                None => (&a.emb, &mut a.demb),
            };
            let (dw, db) = pair_mut(g, lp.w_zh, lp.b_zh);
            let d_in = self.config.input_width(l);
            linear::backward(Some(dx), dw, db, &k.dzh, x, w.at(lp.w_zh), n, d_in, 2 * h, par);
            clock.lap(GATE_PRODUCTS);
        }
        embedding::backward(g.at_mut(p.wte), &a.demb[..n * d], &a.tokens[..n], d);
        clock.lap(EMBEDDING_LAYER);
    }
}

impl LanguageModel for MinGru {
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

    fn forward(&mut self, inputs: &[u32], targets: Option<&[u32]>, b: usize, t: usize, exec: Exec) {
        self.forward_features(inputs, targets, b, t, exec.par);
        let MinGruConfig { vocab_size: v, hidden_size: h, .. } = self.config;
        let (n, par) = (b * t, exec.par);
        let (p, w, a, clock) = (&self.p, &self.store.values[..], &mut self.acts, &mut self.clock);
        let targets = targets.map(|_| &a.targets[..n]);
        let weights = (w.at(p.w_out), w.at(p.b_out));
        let top = &a.layers.last().expect("at least one layer").h;
        head::forward(&mut a.probs, &mut a.losses, targets, top, weights, (n, h, v), par);
        clock.lap(OUTPUT_LAYER);
    }

    fn read_loss(&self) -> f32 {
        softmax_ce::mean(&self.acts.losses[..self.acts.batch * self.acts.seq])
    }

    fn backward(&mut self, scale: f32, exec: Exec) {
        self.clear_gradients(exec.par);
        let MinGruConfig { vocab_size: v, hidden_size: h, .. } = self.config;
        let (n, par) = (self.acts.batch * self.acts.seq, exec.par);
        let (p, w, g) = (&self.p, &self.store.values[..], &mut self.store.grads[..]);
        let (a, clock) = (&mut self.acts, &mut self.clock);
        a.probs_consumed = true;
        let (dw, db) = pair_mut(g, p.w_out, p.b_out);
        let top = a.layers.last_mut().expect("at least one layer");
        let dloss = scale / n as f32;
        head::backward((&mut top.dh, dw, db), &mut a.probs, &a.targets, &top.h, w.at(p.w_out), dloss, (n, h, v), par);
        clock.lap(OUTPUT_LAYER);
        self.backward_features(par);
    }

    fn forward_backward(&mut self, inputs: &[u32], targets: &[u32], b: usize, t: usize, scale: f32, exec: Exec) {
        self.forward_features(inputs, Some(targets), b, t, exec.par);
        self.clear_gradients(exec.par);
        let MinGruConfig { vocab_size: v, hidden_size: h, .. } = self.config;
        let (n, par) = (b * t, exec.par);
        let (p, w, g) = (&self.p, &self.store.values[..], &mut self.store.grads[..]);
        let (a, clock) = (&mut self.acts, &mut self.clock);
        a.probs_consumed = true;
        let (dw, db) = pair_mut(g, p.w_out, p.b_out);
        let weights = (w.at(p.w_out), w.at(p.b_out));
        let top = a.layers.last_mut().expect("at least one layer");
        head::train(
            (&mut top.dh[..], dw, db),
            &mut a.losses,
            &mut a.head_scratch,
            &top.h,
            weights,
            &a.targets[..n],
            scale / n as f32,
            (n, h, v),
            par,
        );
        clock.lap(HEAD_AND_LOSS);
        self.backward_features(par);
    }

    fn read_probs(&self, row: usize, pos: usize, out: &mut [f32]) {
        assert!(!self.acts.probs_consumed, "read_probs after backward: run forward again");
        let (v, i) = (self.config.vocab_size, row * self.acts.seq + pos);
        out.copy_from_slice(&self.acts.probs[i * v..(i + 1) * v]);
    }

    fn read_losses(&self, out: &mut [f32]) {
        let n = self.acts.batch * self.acts.seq;
        out[..n].copy_from_slice(&self.acts.losses[..n]);
    }

    fn read_argmax(&self, out: &mut [u32]) {
        assert!(!self.acts.probs_consumed, "read_argmax after backward: run forward again");
        let n = self.acts.batch * self.acts.seq;
        softmax_ce::argmax_rows(&mut out[..n], &self.acts.probs[..n * self.config.vocab_size], self.config.vocab_size);
    }

    /// Row 0's top-layer state norm after each position, as the RNN's.
    fn read_trace(&self) -> Trace {
        let h = self.config.hidden_size;
        let norms = self.states()[..self.acts.seq * h].chunks_exact(h).map(|s| vecmath::dot(s, s).sqrt()).collect();
        Trace { attention: None, hidden_norms: Some(norms) }
    }

    fn layer_times(&self) -> Vec<LayerTime> {
        self.clock.times()
    }
}
