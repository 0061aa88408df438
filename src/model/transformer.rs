//! The decoder-only Transformer language model (bench-config.md), pre-LayerNorm:
//!     x_0 = E[token] + P[position]                           (b, t, c)
//!     for each block:
//!         x = x + Attn(LN1(x))      qkv = LN1(x)·W_qkv + b_qkv, heads, then ·W_o + b_o
//!         x = x + W_proj·GELU(W_fc·LN2(x))                    MLP c → 4c → c
//!     probs = softmax(LN_f(x)·W_out + b_out)                 (b, t, v)
//! Every layer handles all b·t positions at once; nothing runs position by position.

use std::ops::Range;

use crate::embed::embedding::{self, EmbeddingInit};
use crate::error::Result;
use crate::linalg::{vecmath, Par};
use crate::rng::Rng;

use super::params::{pair_mut, Layout};
use super::{
    attention, gelu, layernorm, linear, softmax_ce, LanguageModel, ModelConfig, TransformerConfig,
};

/// One block's tensors in the flat parameter buffer.
struct BlockParams {
    ln1_g: Range<usize>,  // (c)
    ln1_b: Range<usize>,  // (c)
    w_qkv: Range<usize>,  // (c, 3c)
    b_qkv: Range<usize>,  // (3c)
    w_o: Range<usize>,    // (c, c)
    b_o: Range<usize>,    // (c)
    ln2_g: Range<usize>,  // (c)
    ln2_b: Range<usize>,  // (c)
    w_fc: Range<usize>,   // (c, m)
    b_fc: Range<usize>,   // (m)
    w_proj: Range<usize>, // (m, c)
    b_proj: Range<usize>, // (c)
}

struct TransformerParams {
    wte: Range<usize>, // (vocab, c)
    wpe: Range<usize>, // (context, c)
    blocks: Vec<BlockParams>,
    lnf_g: Range<usize>, // (c)
    lnf_b: Range<usize>, // (c)
    w_out: Range<usize>, // (c, vocab)
    b_out: Range<usize>, // (vocab)
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
    layout: Layout,
    p: TransformerParams,
    params: Vec<f32>,
    grads: Vec<f32>,
    acts: Acts,
}

impl Transformer {
    pub fn new(
        config: TransformerConfig,
        seed: u64,
        embeddings: Option<&EmbeddingInit>,
    ) -> Result<Self> {
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
        let mut params = vec![0.0; l.len()];
        let rng = Rng::new(seed);
        let init = embeddings
            .cloned()
            .unwrap_or(EmbeddingInit::Normal { std: 0.02 });
        embedding::init(&mut params[p.wte.clone()], &init, &mut rng.fork(1))?;
        let mut normal = vec![p.wpe.clone(), p.w_out.clone()];
        for b in &p.blocks {
            normal.extend([
                b.w_qkv.clone(),
                b.w_o.clone(),
                b.w_fc.clone(),
                b.w_proj.clone(),
            ]);
            for g in [&b.ln1_g, &b.ln2_g] {
                params[g.clone()].fill(1.0);
            }
        }
        params[p.lnf_g.clone()].fill(1.0);
        for (i, r) in normal.into_iter().enumerate() {
            rng.fork(2 + i as u64).fill_normal(&mut params[r], 0.02);
        }
        Ok(Transformer {
            config,
            grads: vec![0.0; l.len()],
            layout: l,
            p,
            params,
            acts: Acts::default(),
        })
    }

    fn ensure_acts(&mut self, batch: usize, seq: usize) {
        let a = &mut self.acts;
        if a.seq == seq && a.capacity >= batch {
            a.batch = batch;
            return;
        }
        let TransformerConfig {
            vocab_size: v,
            d_model: c,
            mlp_size: m,
            n_heads: nh,
            ..
        } = self.config;
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
        assert!(
            t <= self.config.context_len,
            "window of {t} exceeds the context of {}",
            self.config.context_len
        );
        self.ensure_acts(b, t);
        let TransformerConfig {
            vocab_size: v,
            d_model: c,
            mlp_size: m,
            n_heads: nh,
            ..
        } = self.config;
        let (n, p, w) = (b * t, &self.p, &self.params);
        let a = &mut self.acts;
        a.tokens[..n].copy_from_slice(inputs);
        if let Some(targets) = targets {
            a.targets[..n].copy_from_slice(targets);
        }
        embedding::forward(&mut a.encoded[..n * c], inputs, &w[p.wte.clone()], c);
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
                &w[bp.ln1_g.clone()],
                &w[bp.ln1_b.clone()],
                n,
                c,
                par,
            );
            linear::forward(
                &mut k.qkv,
                &k.ln1,
                &w[bp.w_qkv.clone()],
                &w[bp.b_qkv.clone()],
                n,
                c,
                3 * c,
                par,
            );
            attention::forward(&mut k.atty, &mut k.att, &k.qkv, b, t, c, nh, par);
            linear::forward(
                &mut k.resid_mid,
                &k.atty,
                &w[bp.w_o.clone()],
                &w[bp.b_o.clone()],
                n,
                c,
                c,
                par,
            );
            vecmath::add_assign(&mut k.resid_mid[..n * c], &x[..n * c]);
            layernorm::forward(
                &mut k.ln2,
                &mut k.ln2_mean,
                &mut k.ln2_rstd,
                &k.resid_mid,
                &w[bp.ln2_g.clone()],
                &w[bp.ln2_b.clone()],
                n,
                c,
                par,
            );
            linear::forward(
                &mut k.fc,
                &k.ln2,
                &w[bp.w_fc.clone()],
                &w[bp.b_fc.clone()],
                n,
                c,
                m,
                par,
            );
            gelu::forward(&mut k.fc_gelu, &k.fc[..n * m], par);
            linear::forward(
                &mut k.out,
                &k.fc_gelu,
                &w[bp.w_proj.clone()],
                &w[bp.b_proj.clone()],
                n,
                m,
                c,
                par,
            );
            vecmath::add_assign(&mut k.out[..n * c], &k.resid_mid[..n * c]);
        }
        let x = a.blocks.last().map_or(&a.encoded, |k| &k.out);
        layernorm::forward(
            &mut a.lnf,
            &mut a.lnf_mean,
            &mut a.lnf_rstd,
            x,
            &w[p.lnf_g.clone()],
            &w[p.lnf_b.clone()],
            n,
            c,
            par,
        );
        linear::forward(
            &mut a.probs,
            &a.lnf,
            &w[p.w_out.clone()],
            &w[p.b_out.clone()],
            n,
            c,
            v,
            par,
        );
        let targets = targets.map(|_| &a.targets[..n]);
        softmax_ce::forward(&mut a.probs, &mut a.losses, targets, n, v, par);
        targets.map(|_| a.losses[..n].iter().map(|&l| l as f64).sum::<f64>() as f32 / n as f32)
    }

    fn backward(&mut self, par: Par) {
        let TransformerConfig {
            vocab_size: v,
            d_model: c,
            mlp_size: m,
            n_heads: nh,
            ..
        } = self.config;
        let (b, t) = (self.acts.batch, self.acts.seq);
        let (n, p, w) = (b * t, &self.p, &self.params);
        let (a, g) = (&mut self.acts, &mut self.grads);
        g.fill(0.0);
        softmax_ce::backward(&mut a.probs, &a.targets, 1.0 / n as f32, n, v, par);
        let (dw, db) = pair_mut(g, &p.w_out, &p.b_out);
        linear::backward(
            Some(&mut a.dln),
            dw,
            db,
            &a.probs,
            &a.lnf,
            &w[p.w_out.clone()],
            n,
            c,
            v,
            par,
        );
        a.dresid[..n * c].fill(0.0);
        let x = a.blocks.last().map_or(&a.encoded, |k| &k.out);
        let (dg, db) = pair_mut(g, &p.lnf_g, &p.lnf_b);
        layernorm::backward(
            &mut a.dresid,
            dg,
            db,
            &a.dln,
            x,
            &a.lnf_mean,
            &a.lnf_rstd,
            &w[p.lnf_g.clone()],
            n,
            c,
            par,
        );
        // a.dresid is now d(loss)/d(output of the last block); walk the blocks backwards.
        for (l, bp) in p.blocks.iter().enumerate().rev() {
            let x = if l == 0 {
                &a.encoded
            } else {
                &a.blocks[l - 1].out
            };
            let k = &a.blocks[l];
            let (dw, db) = pair_mut(g, &bp.w_proj, &bp.b_proj);
            linear::backward(
                Some(&mut a.dfc_out),
                dw,
                db,
                &a.dresid,
                &k.fc_gelu,
                &w[bp.w_proj.clone()],
                n,
                m,
                c,
                par,
            );
            gelu::backward(&mut a.dfc, &a.dfc_out[..n * m], &k.fc[..n * m], par);
            let (dw, db) = pair_mut(g, &bp.w_fc, &bp.b_fc);
            linear::backward(
                Some(&mut a.dln),
                dw,
                db,
                &a.dfc,
                &k.ln2,
                &w[bp.w_fc.clone()],
                n,
                c,
                m,
                par,
            );
            let (dg, db) = pair_mut(g, &bp.ln2_g, &bp.ln2_b);
            layernorm::backward(
                &mut a.dresid,
                dg,
                db,
                &a.dln,
                &k.resid_mid,
                &k.ln2_mean,
                &k.ln2_rstd,
                &w[bp.ln2_g.clone()],
                n,
                c,
                par,
            );
            // a.dresid is now d/d(resid_mid): the MLP branch and the skip connection summed.
            let (dw, db) = pair_mut(g, &bp.w_o, &bp.b_o);
            linear::backward(
                Some(&mut a.datty),
                dw,
                db,
                &a.dresid,
                &k.atty,
                &w[bp.w_o.clone()],
                n,
                c,
                c,
                par,
            );
            attention::backward(
                &mut a.dqkv,
                &mut a.datt,
                &a.datty,
                &k.qkv,
                &k.att,
                b,
                t,
                c,
                nh,
                par,
            );
            let (dw, db) = pair_mut(g, &bp.w_qkv, &bp.b_qkv);
            linear::backward(
                Some(&mut a.dln),
                dw,
                db,
                &a.dqkv,
                &k.ln1,
                &w[bp.w_qkv.clone()],
                n,
                c,
                3 * c,
                par,
            );
            let (dg, db) = pair_mut(g, &bp.ln1_g, &bp.ln1_b);
            layernorm::backward(
                &mut a.dresid,
                dg,
                db,
                &a.dln,
                x,
                &k.ln1_mean,
                &k.ln1_rstd,
                &w[bp.ln1_g.clone()],
                n,
                c,
                par,
            );
        }
        embedding::backward(&mut g[p.wte.clone()], &a.dresid[..n * c], &a.tokens[..n], c);
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
}
