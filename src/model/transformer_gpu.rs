//! The Transformer on a GPU: the same layer calls as `transformer.rs`, line for line, each a
//! kernel of `gpu/shaders/`. Every kernel covers all b·t positions at once, so a step is a fixed
//! number of dispatches per block whatever the window's length — the sideways reading.

use std::sync::Arc;

use super::device_store::{view, DeviceStore};
use super::store::{Buffer, Layout, ParamStore};
use super::transformer::{BlockActs, BlockGrads, Transformer, TransformerConfig, TransformerParams};
use super::{LanguageModel, ModelConfig, Trace};
use crate::gpu::kernels::{attention, embedding, gelu, layernorm, linear, position, softmax_ce, vecmath};
use crate::gpu::{Gpu, GpuBuf};
use crate::linalg::Exec;

/// The step's activations on the device, in the shapes of `transformer.rs`'s.
struct Acts {
    capacity: usize,
    batch: usize,
    seq: usize,
    /// The step's ids in one upload: tokens (b, t), targets (b, t), the tokens grouped by word.
    ids: GpuBuf,
    encoded: GpuBuf, // (b, t, c)
    blocks: Vec<BlockActs<GpuBuf>>,
    lnf: GpuBuf,      // (b, t, c)
    lnf_mean: GpuBuf, // (b, t)
    lnf_rstd: GpuBuf, // (b, t)
    probs: GpuBuf,    // (b, t, v); dlogits after backward
    losses: GpuBuf,   // (b, t)
    best: GpuBuf,     // (b, t) argmax ids
    dresid: GpuBuf,   // (b, t, c)
    dlnf: GpuBuf,     // (b, t, c)
    dblocks: Vec<BlockGrads<GpuBuf>>,
    datt: GpuBuf, // (b, heads, t, t) attention's scratch
    probs_consumed: bool,
}

impl Acts {
    fn new(gpu: &Gpu, config: &TransformerConfig, batch: usize, seq: usize) -> Self {
        let TransformerConfig { vocab_size: v, d_model: c, n_heads: nh, n_layers, .. } = *config;
        let n = batch * seq;
        let z = |len: usize| gpu.zeros(len);
        let block = || BlockActs::new(config, batch, seq, true, &z);
        let grads = || BlockGrads::new(config, n, &z);
        Acts {
            capacity: batch,
            batch,
            seq,
            ids: z(3 * n + v + 1),
            encoded: z(n * c),
            blocks: (0..n_layers).map(|_| block()).collect(),
            lnf: z(n * c),
            lnf_mean: z(n),
            lnf_rstd: z(n),
            probs: z(n * v),
            losses: z(n),
            best: z(n),
            dresid: z(n * c),
            dlnf: z(n * c),
            dblocks: (0..n_layers).map(|_| grads()).collect(),
            datt: z(batch * nh * seq * seq),
            probs_consumed: false,
        }
    }
}

/// A decoder-only Transformer language model on a GPU.
pub struct TransformerGpu {
    config: TransformerConfig,
    p: TransformerParams,
    store: DeviceStore,
    acts: Option<Acts>,
}

impl TransformerGpu {
    /// The model `Transformer::new(config, seed)` would start as, on `gpu`.
    pub fn new(config: TransformerConfig, seed: u64, gpu: Arc<Gpu>) -> Self {
        let host = Transformer::new(config, seed);
        let mut layout = Layout::default();
        let p = TransformerParams::new(&config, &mut layout);
        let store = DeviceStore::new(gpu, layout, &host.store().to_vec(Buffer::Values));
        TransformerGpu { config, p, store, acts: None }
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

impl LanguageModel for TransformerGpu {
    fn config(&self) -> ModelConfig {
        ModelConfig::Transformer(self.config)
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
        assert!(t <= self.config.context_len, "window of {t} exceeds the context of {}", self.config.context_len);
        self.ensure_acts(b, t);
        let TransformerConfig { vocab_size: v, d_model: c, mlp_size: m, n_heads: nh, .. } = self.config;
        let n = b * t;
        let mut ids = inputs.to_vec();
        ids.extend_from_slice(targets.unwrap_or(inputs));
        ids.extend(embedding::index(inputs, v));
        let (gpu, p, w) = (self.store.gpu(), &self.p, &self.store.values);
        let a = self.acts.as_mut().expect("allocated above");
        a.probs_consumed = false;
        gpu.write(&a.ids, 0, &ids);
        embedding::forward(gpu, &a.encoded, &a.ids, view(w, p.wte), n, c);
        position::forward(gpu, &a.encoded, view(w, p.wpe), n, t, c);
        for (l, bp) in p.blocks.iter().enumerate() {
            let x = if l == 0 { &a.encoded } else { &a.blocks[l - 1].out };
            let k = &a.blocks[l];
            layernorm::forward(gpu, &k.ln1, &k.ln1_mean, &k.ln1_rstd, x, view(w, bp.ln1_g), view(w, bp.ln1_b), n, c);
            linear::forward(gpu, k.qkv.all(), k.ln1.all(), view(w, bp.w_qkv), view(w, bp.b_qkv), n, c, 3 * c);
            attention::forward(gpu, &k.atty, &k.att, &k.qkv, b, t, c, nh);
            linear::forward(gpu, k.resid_mid.all(), k.atty.all(), view(w, bp.w_o), view(w, bp.b_o), n, c, c);
            vecmath::add(gpu, k.resid_mid.at(0, n * c), x.at(0, n * c));
            let (g2, b2) = (view(w, bp.ln2_g), view(w, bp.ln2_b));
            layernorm::forward(gpu, &k.ln2, &k.ln2_mean, &k.ln2_rstd, &k.resid_mid, g2, b2, n, c);
            linear::forward(gpu, k.fc.all(), k.ln2.all(), view(w, bp.w_fc), view(w, bp.b_fc), n, c, m);
            gelu::forward(gpu, &k.fc_gelu, &k.fc, n * m);
            linear::forward(gpu, k.out.all(), k.fc_gelu.all(), view(w, bp.w_proj), view(w, bp.b_proj), n, m, c);
            vecmath::add(gpu, k.out.at(0, n * c), k.resid_mid.at(0, n * c));
        }
        let x = a.blocks.last().map_or(&a.encoded, |k| &k.out);
        layernorm::forward(gpu, &a.lnf, &a.lnf_mean, &a.lnf_rstd, x, view(w, p.lnf_g), view(w, p.lnf_b), n, c);
        linear::forward(gpu, a.probs.all(), a.lnf.all(), view(w, p.w_out), view(w, p.b_out), n, c, v);
        softmax_ce::forward(gpu, &a.probs, &a.losses, targets.map(|_| a.ids.at(n, n)), n, v);
    }

    fn read_loss(&self) -> f32 {
        let a = self.acts();
        let mut losses = vec![0.0; a.batch * a.seq];
        self.device().read_f32(&a.losses, 0, &mut losses);
        super::softmax_ce::mean(&losses)
    }

    fn backward(&mut self, scale: f32, _exec: Exec) {
        let TransformerConfig { vocab_size: v, d_model: c, mlp_size: m, n_heads: nh, .. } = self.config;
        let (gpu, p, w, g) = (self.store.gpu(), &self.p, &self.store.values, &self.store.grads);
        let a = self.acts.as_mut().expect("a forward ran");
        let (b, t) = (a.batch, a.seq);
        let n = b * t;
        vecmath::fill(gpu, a.dresid.at(0, n * c), 0.0);
        vecmath::fill(gpu, a.dlnf.at(0, n * c), 0.0);
        for d in &a.dblocks {
            for buf in [&d.dln1, &d.dqkv, &d.datty, &d.dln2, &d.dfc, &d.dfc_gelu] {
                vecmath::fill(gpu, buf.all(), 0.0);
            }
        }
        a.probs_consumed = true;
        softmax_ce::backward(gpu, &a.probs, a.ids.at(n, n), scale / n as f32, n, v);
        let (dw, db) = (view(g, p.w_out), view(g, p.b_out));
        linear::backward(gpu, Some(a.dlnf.all()), dw, db, a.probs.all(), a.lnf.all(), view(w, p.w_out), n, c, v);
        let x = a.blocks.last().map_or(&a.encoded, |k| &k.out);
        let (dg, db) = (view(g, p.lnf_g), view(g, p.lnf_b));
        layernorm::backward(gpu, &a.dresid, dg, db, &a.dlnf, x, &a.lnf_mean, &a.lnf_rstd, view(w, p.lnf_g), n, c);
        // a.dresid is now d(loss)/d(output of the last block); walk the blocks backwards.
        for (l, bp) in p.blocks.iter().enumerate().rev() {
            let x = if l == 0 { &a.encoded } else { &a.blocks[l - 1].out };
            let (k, d) = (&a.blocks[l], &a.dblocks[l]);
            let (dw, db) = (view(g, bp.w_proj), view(g, bp.b_proj));
            let wp = view(w, bp.w_proj);
            linear::backward(gpu, Some(d.dfc_gelu.all()), dw, db, a.dresid.all(), k.fc_gelu.all(), wp, n, m, c);
            gelu::backward(gpu, &d.dfc, &d.dfc_gelu, &k.fc, n * m);
            let (dw, db) = (view(g, bp.w_fc), view(g, bp.b_fc));
            linear::backward(gpu, Some(d.dln2.all()), dw, db, d.dfc.all(), k.ln2.all(), view(w, bp.w_fc), n, c, m);
            let (dg, db, g2) = (view(g, bp.ln2_g), view(g, bp.ln2_b), view(w, bp.ln2_g));
            layernorm::backward(gpu, &a.dresid, dg, db, &d.dln2, &k.resid_mid, &k.ln2_mean, &k.ln2_rstd, g2, n, c);
            // a.dresid is now d/d(resid_mid): the MLP branch and the skip connection summed.
            let (dw, db) = (view(g, bp.w_o), view(g, bp.b_o));
            linear::backward(gpu, Some(d.datty.all()), dw, db, a.dresid.all(), k.atty.all(), view(w, bp.w_o), n, c, c);
            attention::backward(gpu, &d.dqkv, &a.datt, &d.datty, &k.qkv, &k.att, b, t, c, nh);
            let (dw, db, wq) = (view(g, bp.w_qkv), view(g, bp.b_qkv), view(w, bp.w_qkv));
            linear::backward(gpu, Some(d.dln1.all()), dw, db, d.dqkv.all(), k.ln1.all(), wq, n, c, 3 * c);
            let (dg, db, g1) = (view(g, bp.ln1_g), view(g, bp.ln1_b), view(w, bp.ln1_g));
            layernorm::backward(gpu, &a.dresid, dg, db, &d.dln1, x, &k.ln1_mean, &k.ln1_rstd, g1, n, c);
        }
        // a.dresid is now d(loss)/d(x_0), x_0 = E[token] + P[position].
        embedding::backward(gpu, view(g, p.wte), &a.dresid, a.ids.at(2 * n, v + 1 + n), v, c);
        position::backward(gpu, view(g, p.wpe), &a.dresid, n, t, c);
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

    fn read_trace(&self) -> Trace {
        let a = self.acts();
        let (t, heads) = (a.seq, self.config.n_heads);
        let attention = a
            .blocks
            .iter()
            .map(|k| {
                let mut maps = vec![0.0; heads * t * t];
                self.device().read_f32(&k.att, 0, &mut maps);
                maps.chunks(t * t).map(<[f32]>::to_vec).collect()
            })
            .collect();
        Trace { attention: Some(attention), hidden_norms: None }
    }

    fn gpu(&self) -> Option<Arc<Gpu>> {
        Some(self.store.gpu().clone())
    }
}
