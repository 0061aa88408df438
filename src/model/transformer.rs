//! The decoder-only Transformer language model (bench-config.md), pre-LayerNorm:
//!     x_0 = E[token] + P[position]                           (b, t, c)
//!     for each block:
//!         x = x + Attn(LN1(x))      qkv = LN1(x)·W_qkv + b_qkv, heads, then ·W_o + b_o
//!         x = x + W_proj·GELU(W_fc·LN2(x))                    MLP c → 4c → c
//!     probs = softmax(LN_f(x)·W_out + b_out)                 (b, t, v)
//! Every layer handles all b·t positions at once; nothing runs position by position.

use crate::embed::embedding::{self, EmbeddingInit};
use crate::error::Result;
use crate::linalg::{vecmath, Par};
use crate::rng::Rng;

use super::params::{pair_mut, At, Layout, Parameters, Span};
use super::{attention, gelu, layernorm, linear, softmax_ce, LanguageModel, ModelConfig, TransformerConfig};

/// One block's tensors in the flat parameter buffer.
struct BlockParams {
    ln1_g: Span,  // (c)
    ln1_b: Span,  // (c)
    w_qkv: Span,  // (c, 3c)
    b_qkv: Span,  // (3c)
    w_o: Span,    // (c, c)
    b_o: Span,    // (c)
    ln2_g: Span,  // (c)
    ln2_b: Span,  // (c)
    w_fc: Span,   // (c, m)
    b_fc: Span,   // (m)
    w_proj: Span, // (m, c)
    b_proj: Span, // (c)
}

struct TransformerParams {
    wte: Span, // (vocab, c)
    wpe: Span, // (context, c)
    blocks: Vec<BlockParams>,
    lnf_g: Span, // (c)
    lnf_b: Span, // (c)
    w_out: Span, // (c, vocab)
    b_out: Span, // (vocab)
}

/// One block's activations for (b, t); the block's input is the previous block's `out`.
#[derive(Default)]
struct BlockActs {
    ln1: Vec<f32>,       // (b, t, c)
    ln1_mean: Vec<f32>,  // (b, t)
    ln1_rstd: Vec<f32>,  // (b, t)
    qkv: Vec<f32>,       // (b, t, 3c)
    att: Vec<f32>,       // (b, heads, t, t)
    atty: Vec<f32>,      // (b, t, c) heads concatenated
    resid_mid: Vec<f32>, // (b, t, c) x + attention
    ln2: Vec<f32>,       // (b, t, c)
    ln2_mean: Vec<f32>,  // (b, t)
    ln2_rstd: Vec<f32>,  // (b, t)
    fc: Vec<f32>,        // (b, t, m)
    fc_gelu: Vec<f32>,   // (b, t, m)
    out: Vec<f32>,       // (b, t, c) resid_mid + MLP
}

#[derive(Default)]
struct Acts {
    capacity: usize,
    batch: usize,
    seq: usize,
    tokens: Vec<u32>,  // (b, t)
    targets: Vec<u32>, // (b, t)
    encoded: Vec<f32>, // (b, t, c)
    blocks: Vec<BlockActs>,
    lnf: Vec<f32>,      // (b, t, c)
    lnf_mean: Vec<f32>, // (b, t)
    lnf_rstd: Vec<f32>, // (b, t)
    probs: Vec<f32>,    // (b, t, v); dlogits after backward
    losses: Vec<f32>,   // (b, t)
    // Gradient scratch, reused by every block on the way back.
    dresid: Vec<f32>,  // (b, t, c)
    dln: Vec<f32>,     // (b, t, c)
    datty: Vec<f32>,   // (b, t, c)
    dqkv: Vec<f32>,    // (b, t, 3c)
    datt: Vec<f32>,    // (b, t, t)
    dfc: Vec<f32>,     // (b, t, m)
    dfc_out: Vec<f32>, // (b, t, m)
}

/// A decoder-only Transformer language model.
pub struct Transformer {
    config: TransformerConfig,
    p: TransformerParams,
    store: Parameters,
    acts: Acts,
}

impl Transformer {
    pub fn new(config: TransformerConfig, seed: u64, embeddings: Option<&EmbeddingInit>) -> Result<Self> {
        let (v, c, m) = (config.vocab_size, config.d_model, config.mlp_size);
        let mut l = Layout::default();
        let wte = l.add("wte", &[v, c]);
        let wpe = l.add("wpe", &[config.context_len, c]);
        let blocks = (0..config.n_layers)
            .map(|i| BlockParams {
                ln1_g: l.add(format!("blocks.{i}.ln1.g"), &[c]),
                ln1_b: l.add(format!("blocks.{i}.ln1.b"), &[c]),
                w_qkv: l.add(format!("blocks.{i}.attn.w_qkv"), &[c, 3 * c]),
                b_qkv: l.add(format!("blocks.{i}.attn.b_qkv"), &[3 * c]),
                w_o: l.add(format!("blocks.{i}.attn.w_o"), &[c, c]),
                b_o: l.add(format!("blocks.{i}.attn.b_o"), &[c]),
                ln2_g: l.add(format!("blocks.{i}.ln2.g"), &[c]),
                ln2_b: l.add(format!("blocks.{i}.ln2.b"), &[c]),
                w_fc: l.add(format!("blocks.{i}.mlp.w_fc"), &[c, m]),
                b_fc: l.add(format!("blocks.{i}.mlp.b_fc"), &[m]),
                w_proj: l.add(format!("blocks.{i}.mlp.w_proj"), &[m, c]),
                b_proj: l.add(format!("blocks.{i}.mlp.b_proj"), &[c]),
            })
            .collect::<Vec<_>>();
        let p = TransformerParams {
            wte,
            wpe,
            blocks,
            lnf_g: l.add("lnf.g", &[c]),
            lnf_b: l.add("lnf.b", &[c]),
            w_out: l.add("w_out", &[c, v]),
            b_out: l.add("b_out", &[v]),
        };
        let mut store = Parameters::new(l);
        let params = &mut store.values[..];
        let rng = Rng::new(seed);
        let init = embeddings.cloned().unwrap_or(EmbeddingInit::Normal { std: 0.02 });
        embedding::init(params.at_mut(p.wte), &init, &mut rng.fork(1))?;
        let mut normal = vec![p.wpe, p.w_out];
        for b in &p.blocks {
            normal.extend([b.w_qkv, b.w_o, b.w_fc, b.w_proj]);
            for g in [&b.ln1_g, &b.ln2_g] {
                params.at_mut(*g).fill(1.0);
            }
        }
        params.at_mut(p.lnf_g).fill(1.0);
        for (i, r) in normal.into_iter().enumerate() {
            rng.fork(2 + i as u64).fill_normal(params.at_mut(r), 0.02);
        }
        Ok(Transformer { config, p, store, acts: Acts::default() })
    }

    fn ensure_acts(&mut self, batch: usize, seq: usize) {
        let a = &mut self.acts;
        if a.seq == seq && a.capacity >= batch {
            a.batch = batch;
            return;
        }
        let TransformerConfig { vocab_size: v, d_model: c, mlp_size: m, n_heads: nh, .. } = self.config;
        let n = batch * seq;
        let z = |len: usize| vec![0.0f32; len];
        let block = || BlockActs {
            ln1: z(n * c),
            ln1_mean: z(n),
            ln1_rstd: z(n),
            qkv: z(n * 3 * c),
            att: z(batch * nh * seq * seq),
            atty: z(n * c),
            resid_mid: z(n * c),
            ln2: z(n * c),
            ln2_mean: z(n),
            ln2_rstd: z(n),
            fc: z(n * m),
            fc_gelu: z(n * m),
            out: z(n * c),
        };
        self.acts = Acts {
            capacity: batch,
            batch,
            seq,
            tokens: vec![0; n],
            targets: vec![0; n],
            encoded: z(n * c),
            blocks: (0..self.config.n_layers).map(|_| block()).collect(),
            lnf: z(n * c),
            lnf_mean: z(n),
            lnf_rstd: z(n),
            probs: z(n * v),
            losses: z(n),
            dresid: z(n * c),
            dln: z(n * c),
            datty: z(n * c),
            dqkv: z(n * 3 * c),
            datt: z(batch * seq * seq),
            dfc: z(n * m),
            dfc_out: z(n * m),
        };
    }
}

impl LanguageModel for Transformer {
    fn config(&self) -> ModelConfig {
        ModelConfig::Transformer(self.config)
    }

    fn parameters(&self) -> &Parameters {
        &self.store
    }

    fn parameters_mut(&mut self) -> &mut Parameters {
        &mut self.store
    }

    fn forward(&mut self, inputs: &[u32], targets: Option<&[u32]>, b: usize, t: usize, par: Par) -> Option<f32> {
        assert!(t <= self.config.context_len, "window of {t} exceeds the context of {}", self.config.context_len);
        self.ensure_acts(b, t);
        let TransformerConfig { vocab_size: v, d_model: c, mlp_size: m, n_heads: nh, .. } = self.config;
        let (n, p, w) = (b * t, &self.p, &self.store.values[..]);
        let a = &mut self.acts;
        a.tokens[..n].copy_from_slice(inputs);
        if let Some(targets) = targets {
            a.targets[..n].copy_from_slice(targets);
        }
        embedding::forward(&mut a.encoded[..n * c], inputs, w.at(p.wte), c);
        for (i, row) in a.encoded[..n * c].chunks_exact_mut(c).enumerate() {
            let pos = (i % t) * c;
            vecmath::add_assign(row, &w[p.wpe.start + pos..p.wpe.start + pos + c]);
        }
        for (l, bp) in p.blocks.iter().enumerate() {
            let (done, rest) = a.blocks.split_at_mut(l);
            let x = if l == 0 { &a.encoded } else { &done[l - 1].out };
            let k = &mut rest[0];
            layernorm::forward(
                &mut k.ln1,
                &mut k.ln1_mean,
                &mut k.ln1_rstd,
                x,
                w.at(bp.ln1_g),
                w.at(bp.ln1_b),
                n,
                c,
                par,
            );
            linear::forward(&mut k.qkv, &k.ln1, w.at(bp.w_qkv), w.at(bp.b_qkv), n, c, 3 * c, par);
            attention::forward(&mut k.atty, &mut k.att, &k.qkv, b, t, c, nh, par);
            linear::forward(&mut k.resid_mid, &k.atty, w.at(bp.w_o), w.at(bp.b_o), n, c, c, par);
            vecmath::add_assign(&mut k.resid_mid[..n * c], &x[..n * c]);
            layernorm::forward(
                &mut k.ln2,
                &mut k.ln2_mean,
                &mut k.ln2_rstd,
                &k.resid_mid,
                w.at(bp.ln2_g),
                w.at(bp.ln2_b),
                n,
                c,
                par,
            );
            linear::forward(&mut k.fc, &k.ln2, w.at(bp.w_fc), w.at(bp.b_fc), n, c, m, par);
            gelu::forward(&mut k.fc_gelu, &k.fc[..n * m], par);
            linear::forward(&mut k.out, &k.fc_gelu, w.at(bp.w_proj), w.at(bp.b_proj), n, m, c, par);
            vecmath::add_assign(&mut k.out[..n * c], &k.resid_mid[..n * c]);
        }
        let x = a.blocks.last().map_or(&a.encoded, |k| &k.out);
        layernorm::forward(&mut a.lnf, &mut a.lnf_mean, &mut a.lnf_rstd, x, w.at(p.lnf_g), w.at(p.lnf_b), n, c, par);
        linear::forward(&mut a.probs, &a.lnf, w.at(p.w_out), w.at(p.b_out), n, c, v, par);
        let targets = targets.map(|_| &a.targets[..n]);
        softmax_ce::forward(&mut a.probs, &mut a.losses, targets, n, v, par);
        targets.map(|_| softmax_ce::mean(&a.losses[..n]))
    }

    fn backward(&mut self, par: Par) {
        let TransformerConfig { vocab_size: v, d_model: c, mlp_size: m, n_heads: nh, .. } = self.config;
        let (b, t) = (self.acts.batch, self.acts.seq);
        let (n, p, w) = (b * t, &self.p, &self.store.values[..]);
        let (a, g) = (&mut self.acts, &mut self.store.grads[..]);
        g.fill(0.0);
        softmax_ce::backward(&mut a.probs, &a.targets, 1.0 / n as f32, n, v, par);
        let (dw, db) = pair_mut(g, p.w_out, p.b_out);
        linear::backward(Some(&mut a.dln), dw, db, &a.probs, &a.lnf, w.at(p.w_out), n, c, v, par);
        a.dresid[..n * c].fill(0.0);
        let x = a.blocks.last().map_or(&a.encoded, |k| &k.out);
        let (dg, db) = pair_mut(g, p.lnf_g, p.lnf_b);
        layernorm::backward(&mut a.dresid, dg, db, &a.dln, x, &a.lnf_mean, &a.lnf_rstd, w.at(p.lnf_g), n, c, par);
        // a.dresid is now d(loss)/d(output of the last block); walk the blocks backwards.
        for (l, bp) in p.blocks.iter().enumerate().rev() {
            let x = if l == 0 { &a.encoded } else { &a.blocks[l - 1].out };
            let k = &a.blocks[l];
            let (dw, db) = pair_mut(g, bp.w_proj, bp.b_proj);
            linear::backward(Some(&mut a.dfc_out), dw, db, &a.dresid, &k.fc_gelu, w.at(bp.w_proj), n, m, c, par);
            gelu::backward(&mut a.dfc, &a.dfc_out[..n * m], &k.fc[..n * m], par);
            let (dw, db) = pair_mut(g, bp.w_fc, bp.b_fc);
            linear::backward(Some(&mut a.dln), dw, db, &a.dfc, &k.ln2, w.at(bp.w_fc), n, c, m, par);
            let (dg, db) = pair_mut(g, bp.ln2_g, bp.ln2_b);
            layernorm::backward(
                &mut a.dresid,
                dg,
                db,
                &a.dln,
                &k.resid_mid,
                &k.ln2_mean,
                &k.ln2_rstd,
                w.at(bp.ln2_g),
                n,
                c,
                par,
            );
            // a.dresid is now d/d(resid_mid): the MLP branch and the skip connection summed.
            let (dw, db) = pair_mut(g, bp.w_o, bp.b_o);
            linear::backward(Some(&mut a.datty), dw, db, &a.dresid, &k.atty, w.at(bp.w_o), n, c, c, par);
            attention::backward(&mut a.dqkv, &mut a.datt, &a.datty, &k.qkv, &k.att, b, t, c, nh, par);
            let (dw, db) = pair_mut(g, bp.w_qkv, bp.b_qkv);
            linear::backward(Some(&mut a.dln), dw, db, &a.dqkv, &k.ln1, w.at(bp.w_qkv), n, c, 3 * c, par);
            let (dg, db) = pair_mut(g, bp.ln1_g, bp.ln1_b);
            layernorm::backward(&mut a.dresid, dg, db, &a.dln, x, &k.ln1_mean, &k.ln1_rstd, w.at(bp.ln1_g), n, c, par);
        }
        embedding::backward(g.at_mut(p.wte), &a.dresid[..n * c], &a.tokens[..n], c);
        for (i, row) in a.dresid[..n * c].chunks_exact(c).enumerate() {
            let pos = p.wpe.start + (i % t) * c;
            vecmath::add_assign(&mut g[pos..pos + c], row);
        }
    }

    fn probs(&self, b: usize, t: usize) -> &[f32] {
        let v = self.config.vocab_size;
        let i = b * self.acts.seq + t;
        &self.acts.probs[i * v..(i + 1) * v]
    }

    fn losses(&self, b: usize, t: usize) -> f32 {
        self.acts.losses[b * self.acts.seq + t]
    }

    fn attention(&self, layer: usize, head: usize) -> Option<Vec<f32>> {
        let t = self.acts.seq;
        let block = self.acts.blocks.get(layer)?;
        (head < self.config.n_heads).then(|| block.att[head * t * t..(head + 1) * t * t].to_vec())
    }
}
