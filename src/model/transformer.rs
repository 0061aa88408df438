//! The decoder-only Transformer language model (bench-config.md), pre-LayerNorm:
//!     x_0 = E[token] + P[position]                           (b, t, c)
//!     for each block:
//!         x = x + Attn(LN1(x))      qkv = LN1(x)·W_qkv + b_qkv, heads, then ·W_o + b_o
//!         x = x + W_proj·GELU(W_fc·LN2(x))                    MLP c → 4c → c
//!     probs = softmax(LN_f(x)·W_out + b_out)                 (b, t, v)
//! Every layer handles all b·t positions at once; nothing runs position by position.

use serde::{Deserialize, Serialize};

use crate::embed::embedding;
use crate::error::{Error, Result};
use crate::linalg::{zero, Exec, Par};
use crate::rng::Rng;

use super::profile::{LayerClock, LayerTime, Pass, CLEAR_GRADIENTS, EMBEDDING_LAYER, HEAD_AND_LOSS, OUTPUT_LAYER};
use super::registry::{Entry, ModelConfig};
use super::spec::{check_range, ModelSpec, SizeOverrides, WorkSpan, MAX_CONTEXT, MAX_LAYERS, MAX_WIDTH};
use super::store::{pair_mut, At, HostStore, Layout, ParamStore, Span};
use super::{attention, attention_tiled, gelu, head, layernorm, linear, position, softmax_ce, LanguageModel, Trace};

/// The profile's rows for the Transformer's own layers (every block's add up in one row).
const LAYER_NORM: &str = "layer norm";
const QKV: &str = "attention q, k, v";
const ATTENTION: &str = "attention (scores, softmax, mix)";
const ATTENTION_OUT: &str = "attention output + residual";
const MLP_UP: &str = "MLP up";
const GELU: &str = "GELU";
const MLP_DOWN: &str = "MLP down + residual";

/// Whether windows of `t` keep their (t, t) attention weights and train with the reference
/// kernels (`attention`) instead of the tiled ones. A window of at most one tile gains nothing
/// from tiling, no tile lies wholly above the diagonal, and the tiled backward would rebuild
/// the weights the reference keeps: the reference takes 16–19% less time at T = 16 and 64
/// (criterion). Longer windows tile, so that memory grows with t, not t².
fn keeps_weights(t: usize) -> bool {
    t <= attention_tiled::TILE
}

/// Floats of one block's attention record for `batch` windows of `seq`: the (t, t) weights
/// of every head, or one log-sum-exp per row and head.
fn attention_record_floats(config: &TransformerConfig, batch: usize, seq: usize, weights: bool) -> usize {
    batch * config.n_heads * seq * if weights { seq } else { 1 }
}

/// Floats of attention's scratch for `batch` windows of `seq`: the reference backward's
/// (t, t) per window, or the tiled kernels' tiles and planes per (window, head).
fn attention_scratch_floats(config: &TransformerConfig, batch: usize, seq: usize) -> usize {
    match keeps_weights(seq) {
        true => batch * seq * seq,
        false => batch * config.n_heads * attention_tiled::scratch_floats(seq, config.d_model / config.n_heads),
    }
}

/// The registry's entry.
pub const ENTRY: Entry = Entry {
    name: "transformer",
    standard: |vocab_size| {
        ModelConfig::Transformer(TransformerConfig {
            vocab_size,
            d_model: 128,
            n_heads: 4,
            n_layers: 2,
            context_len: 64,
            mlp_size: 512,
        })
    },
};

/// Decoder-only Transformer sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransformerConfig {
    pub vocab_size: usize,
    pub d_model: usize,
    pub n_heads: usize,
    pub n_layers: usize,
    /// Longest window the learned positions cover.
    pub context_len: usize,
    /// Width of the MLP's hidden layer (4 · d_model in the standard config).
    pub mlp_size: usize,
}

/// One block's tensors in the flat buffers.
pub(super) struct BlockParams {
    pub(super) ln1_g: Span,  // (c)
    pub(super) ln1_b: Span,  // (c)
    pub(super) w_qkv: Span,  // (c, 3c)
    pub(super) b_qkv: Span,  // (3c)
    pub(super) w_o: Span,    // (c, c)
    pub(super) b_o: Span,    // (c)
    pub(super) ln2_g: Span,  // (c)
    pub(super) ln2_b: Span,  // (c)
    pub(super) w_fc: Span,   // (c, m)
    pub(super) b_fc: Span,   // (m)
    pub(super) w_proj: Span, // (m, c)
    pub(super) b_proj: Span, // (c)
}

pub(super) struct TransformerParams {
    pub(super) wte: Span, // (vocab, c)
    pub(super) wpe: Span, // (context, c)
    pub(super) blocks: Vec<BlockParams>,
    pub(super) lnf_g: Span, // (c)
    pub(super) lnf_b: Span, // (c)
    pub(super) w_out: Span, // (c, vocab)
    pub(super) b_out: Span, // (vocab)
}

impl TransformerParams {
    pub(super) fn new(config: &TransformerConfig, l: &mut Layout) -> Self {
        let (v, c, m) = (config.vocab_size, config.d_model, config.mlp_size);
        let wte = l.add(super::EMBEDDING, &[v, c]);
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
            .collect();
        TransformerParams {
            wte,
            wpe,
            blocks,
            lnf_g: l.add("lnf.g", &[c]),
            lnf_b: l.add("lnf.b", &[c]),
            w_out: l.add("w_out", &[c, v]),
            b_out: l.add("b_out", &[v]),
        }
    }
}

impl ModelSpec for TransformerConfig {
    fn name(&self) -> &'static str {
        ENTRY.name
    }

    fn layout(&self) -> Layout {
        let mut l = Layout::default();
        TransformerParams::new(self, &mut l);
        l
    }

    fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    fn d_model(&self) -> usize {
        self.d_model
    }

    fn context_len(&self) -> Option<usize> {
        Some(self.context_len)
    }

    /// Per block: q/k/v, the output projection and the MLP, and the two attention products
    /// (q·kᵀ and A·v, computed over the full t × t square); then the head.
    fn train_flops_per_token(&self, seq_len: usize) -> f64 {
        let (v, d, m, t) = (self.vocab_size, self.d_model, self.mlp_size, seq_len);
        let block = 2 * (d * 3 * d + d * d + 2 * d * m) + 4 * t * d;
        3.0 * (self.n_layers * block + 2 * d * v) as f64
    }

    /// `Acts`: per block its activations and their gradients (attention's record among them:
    /// weights for short windows, log-sum-exps for long ones), then the embeddings, the final
    /// LayerNorm, the probabilities and the scratch of attention and of the fused output layer.
    fn activation_floats(&self, batch: usize, seq_len: usize, threads: usize) -> f64 {
        let n = (batch * seq_len) as f64;
        let (v, c, m) = (self.vocab_size as f64, self.d_model as f64, self.mlp_size as f64);
        let record = attention_record_floats(self, batch, seq_len, keeps_weights(seq_len)) as f64;
        let block = 14.0 * n * c + 4.0 * n + 4.0 * n * m + record;
        let head = head::scratch_floats(threads, batch * seq_len, self.d_model, self.vocab_size) as f64;
        let scratch = attention_scratch_floats(self, batch, seq_len) as f64;
        self.n_layers as f64 * block + 4.0 * n * c + 5.0 * n + n * v + scratch + head
    }

    /// The GPU keeps every block's (t, t) attention weights per head at any window and their
    /// gradient's scratch, and has no fused output layer.
    fn device_activation_floats(&self, batch: usize, seq_len: usize) -> f64 {
        let maps = attention_record_floats(self, batch, seq_len, true) as f64;
        let head = head::scratch_floats(1, batch * seq_len, self.d_model, self.vocab_size) as f64;
        let scratch = attention_scratch_floats(self, batch, seq_len) as f64;
        let record = attention_record_floats(self, batch, seq_len, keeps_weights(seq_len)) as f64;
        self.activation_floats(batch, seq_len, 1) - head - scratch + maps + self.n_layers as f64 * (maps - record)
    }

    /// The probabilities, or a block's attention maps (batch, heads, t, t) (the GPU's, and the
    /// CPU's for windows of one tile or less), or its MLP.
    fn largest_activation_floats(&self, batch: usize, seq_len: usize) -> f64 {
        let (b, t) = (batch as f64, seq_len as f64);
        let n = b * t;
        (n * self.vocab_size as f64).max(b * self.n_heads as f64 * t * t).max(n * self.mlp_size as f64)
    }

    /// The chain runs through one word per block — that word's attention reads all the
    /// window's keys, but the blocks are the only steps that wait for each other — so the
    /// critical path is the number of blocks at any window length.
    fn work_span(&self, batch: usize, seq_len: usize) -> WorkSpan {
        let (v, d, m, t) = (self.vocab_size, self.d_model, self.mlp_size, seq_len);
        let work = (batch * seq_len) as f64 * self.train_flops_per_token(seq_len);
        // One word through each block: q/k/v, attention over t keys, output projection, MLP;
        // then the head. ×3 for the backward pass.
        let block = 2 * d * 3 * d + 4 * t * d + 2 * d * d + 4 * d * m;
        let span = 3.0 * (self.n_layers * block + 2 * d * v) as f64;
        WorkSpan { work, span, critical_path: self.n_layers }
    }

    /// Attention's 4·T·d FLOPs per token overtake the rest of a block, 2·(4d² + 2dm), at
    /// T = 2d + m.
    fn window_crossover(&self) -> Option<usize> {
        Some(2 * self.d_model + self.mlp_size)
    }

    fn resize(&mut self, sizes: &SizeOverrides, seq_len: usize) {
        self.d_model = sizes.d_model.unwrap_or(self.d_model);
        self.mlp_size = 4 * self.d_model;
        self.n_heads = sizes.n_heads.unwrap_or(self.n_heads);
        self.n_layers = sizes.n_layers.unwrap_or(self.n_layers);
        self.context_len = sizes.context_len.unwrap_or(seq_len);
    }

    fn validate_sizes(&self) -> Result<()> {
        check_range("heads", self.n_heads, self.d_model)?;
        check_range("layers", self.n_layers, MAX_LAYERS)?;
        check_range("context length", self.context_len, MAX_CONTEXT)?;
        check_range("MLP size", self.mlp_size, 4 * MAX_WIDTH)?;
        if !self.d_model.is_multiple_of(self.n_heads) {
            let mut near: Vec<usize> = (1..=self.d_model.min(64)).filter(|h| self.d_model.is_multiple_of(*h)).collect();
            near.sort_by_key(|&h| h.abs_diff(self.n_heads));
            let near: Vec<String> = near.iter().take(3).map(|h| h.to_string()).collect();
            return Err(Error::config(
                "heads",
                self.n_heads,
                format!("the width {} must be divisible by the number of heads; try {}", self.d_model, near.join(", ")),
            ));
        }
        Ok(())
    }

    fn build(&self, seed: u64) -> Box<dyn LanguageModel> {
        Box::new(Transformer::new(*self, seed))
    }

    #[cfg(feature = "gpu")]
    fn build_gpu(&self, seed: u64, gpu: std::sync::Arc<crate::gpu::Gpu>) -> Result<Box<dyn LanguageModel>> {
        Ok(Box::new(super::transformer_gpu::TransformerGpu::new(*self, seed, gpu)))
    }
}

/// One block's activations for (b, t); the block's input is the previous block's `out`. The
/// buffers are host vectors here and device buffers in the GPU twin: the same shapes.
#[derive(Default)]
pub(super) struct BlockActs<B = Vec<f32>> {
    pub(super) ln1: B,      // (b, t, c)
    pub(super) ln1_mean: B, // (b, t)
    pub(super) ln1_rstd: B, // (b, t)
    pub(super) qkv: B,      // (b, t, 3c)
    /// The GPU's attention weights (b, heads, t, t); on the CPU, whose tiled attention never
    /// stores them, each row's log-sum-exp of scores (b, heads, t), from which any tile is rebuilt.
    pub(super) att: B,
    pub(super) atty: B,      // (b, t, c) heads concatenated
    pub(super) resid_mid: B, // (b, t, c) x + attention
    pub(super) ln2: B,       // (b, t, c)
    pub(super) ln2_mean: B,  // (b, t)
    pub(super) ln2_rstd: B,  // (b, t)
    pub(super) fc: B,        // (b, t, m)
    pub(super) fc_gelu: B,   // (b, t, m)
    pub(super) out: B,       // (b, t, c) resid_mid + MLP
}

/// The gradients of one block's activations (the residual stream's gradient is shared).
#[derive(Default)]
pub(super) struct BlockGrads<B = Vec<f32>> {
    pub(super) dln1: B,     // (b, t, c)
    pub(super) dqkv: B,     // (b, t, 3c)
    pub(super) datty: B,    // (b, t, c)
    pub(super) dln2: B,     // (b, t, c)
    pub(super) dfc: B,      // (b, t, m)
    pub(super) dfc_gelu: B, // (b, t, m)
}

impl<B> BlockActs<B> {
    /// One block's activations for `batch` windows of `seq`, each buffer made by `z(len)`;
    /// `maps`: whether attention keeps its (t, t) weights (the GPU) or their log-sum-exps.
    pub(super) fn new(
        config: &TransformerConfig,
        batch: usize,
        seq: usize,
        maps: bool,
        z: &impl Fn(usize) -> B,
    ) -> Self {
        let (n, c, m) = (batch * seq, config.d_model, config.mlp_size);
        BlockActs {
            ln1: z(n * c),
            ln1_mean: z(n),
            ln1_rstd: z(n),
            qkv: z(n * 3 * c),
            att: z(attention_record_floats(config, batch, seq, maps)),
            atty: z(n * c),
            resid_mid: z(n * c),
            ln2: z(n * c),
            ln2_mean: z(n),
            ln2_rstd: z(n),
            fc: z(n * m),
            fc_gelu: z(n * m),
            out: z(n * c),
        }
    }
}

impl<B> BlockGrads<B> {
    /// The gradients of [`BlockActs::new`]'s activations that a backward pass keeps.
    pub(super) fn new(config: &TransformerConfig, n: usize, z: &impl Fn(usize) -> B) -> Self {
        let (c, m) = (config.d_model, config.mlp_size);
        BlockGrads {
            dln1: z(n * c),
            dqkv: z(n * 3 * c),
            datty: z(n * c),
            dln2: z(n * c),
            dfc: z(n * m),
            dfc_gelu: z(n * m),
        }
    }
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
    // Gradients of the activations, zeroed at the start of each backward.
    dresid: Vec<f32>, // (b, t, c) the residual stream, from the top block down to the embeddings
    dlnf: Vec<f32>,   // (b, t, c)
    dblocks: Vec<BlockGrads>,
    datt: Vec<f32>, // attention's scratch: (b, t, t) weights' gradients, or tiles and planes per (b, head)
    probs_consumed: bool,
    /// The fused output layer's blocks of logits and per-thread partials (`head::train`).
    head_scratch: Vec<f32>,
}

/// A decoder-only Transformer language model.
pub struct Transformer {
    config: TransformerConfig,
    p: TransformerParams,
    store: HostStore,
    acts: Acts,
    clock: LayerClock,
}

impl Transformer {
    pub fn new(config: TransformerConfig, seed: u64) -> Self {
        let mut layout = Layout::default();
        let p = TransformerParams::new(&config, &mut layout);
        let mut store = HostStore::new(layout);
        let params = &mut store.values[..];
        let rng = Rng::new(seed);
        rng.fork(1).fill_normal(params.at_mut(p.wte), 0.02);
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
        Transformer { config, p, store, acts: Acts::default(), clock: LayerClock::default() }
    }

    fn ensure_acts(&mut self, batch: usize, seq: usize) {
        let a = &mut self.acts;
        if a.seq == seq && a.capacity >= batch {
            a.batch = batch;
            return;
        }
        let TransformerConfig { vocab_size: v, d_model: c, .. } = self.config;
        let n = batch * seq;
        let z = |len: usize| vec![0.0f32; len];
        let block = || BlockActs::new(&self.config, batch, seq, keeps_weights(seq), &z);
        let grads = || BlockGrads::new(&self.config, n, &z);
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
            dlnf: z(n * c),
            dblocks: (0..self.config.n_layers).map(|_| grads()).collect(),
            datt: z(attention_scratch_floats(&self.config, batch, seq)),
            probs_consumed: false,
            head_scratch: Vec::new(),
        };
    }
}

impl Transformer {
    /// Everything below the output layer: embeddings, the blocks, the final LayerNorm → `lnf`.
    fn forward_features(&mut self, inputs: &[u32], targets: Option<&[u32]>, b: usize, t: usize, par: Par) {
        assert!(t <= self.config.context_len, "window of {t} exceeds the context of {}", self.config.context_len);
        self.ensure_acts(b, t);
        let TransformerConfig { d_model: c, mlp_size: m, n_heads: nh, .. } = self.config;
        let (n, p, w) = (b * t, &self.p, &self.store.values[..]);
        let (a, clock) = (&mut self.acts, &mut self.clock);
        clock.start(Pass::Forward);
        a.probs_consumed = false;
        a.tokens[..n].copy_from_slice(inputs);
        if let Some(targets) = targets {
            a.targets[..n].copy_from_slice(targets);
        }
        embedding::forward(&mut a.encoded[..n * c], inputs, w.at(p.wte), c);
        position::forward(&mut a.encoded, w.at(p.wpe), n, t, c);
        clock.lap(EMBEDDING_LAYER);
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
            clock.lap(LAYER_NORM);
            linear::forward(&mut k.qkv, &k.ln1, w.at(bp.w_qkv), w.at(bp.b_qkv), n, c, 3 * c, par);
            clock.lap(QKV);
            if keeps_weights(t) {
                attention::forward(&mut k.atty, &mut k.att, &k.qkv, b, t, c, nh, par);
            } else {
                attention_tiled::forward(&mut k.atty, &mut k.att, &mut a.datt, &k.qkv, b, t, c, nh, par);
            }
            clock.lap(ATTENTION);
            linear::forward_residual(&mut k.resid_mid, x, &k.atty, w.at(bp.w_o), w.at(bp.b_o), n, c, c, par);
            clock.lap(ATTENTION_OUT);
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
            clock.lap(LAYER_NORM);
            // fc holds ln2 · W_fc without its bias: GELU adds b_fc as it reads.
            linear::forward_without_bias(&mut k.fc, &k.ln2, w.at(bp.w_fc), n, c, m, par);
            clock.lap(MLP_UP);
            // tanh u waits in dfc, the gradient buffer the backward pass overwrites.
            gelu::forward_keeping_tanh(&mut k.fc_gelu, &mut a.dblocks[l].dfc, &k.fc[..n * m], w.at(bp.b_fc), par);
            clock.lap(GELU);
            linear::forward_residual(
                &mut k.out,
                &k.resid_mid,
                &k.fc_gelu,
                w.at(bp.w_proj),
                w.at(bp.b_proj),
                n,
                m,
                c,
                par,
            );
            clock.lap(MLP_DOWN);
        }
        let x = a.blocks.last().map_or(&a.encoded, |k| &k.out);
        layernorm::forward(&mut a.lnf, &mut a.lnf_mean, &mut a.lnf_rstd, x, w.at(p.lnf_g), w.at(p.lnf_b), n, c, par);
        clock.lap(LAYER_NORM);
    }

    /// Start a backward pass: the activation gradients that several layers add into to zero.
    /// A block's dln1, datty, dln2, dfc and dfc_gelu each have one writer, which overwrites them
    /// (`*_overwrite`), so they are not cleared: 22 MB of the 31 MB a standard step would clear;
    /// nor is dqkv on windows longer than a tile, which the tiled attention writes over.
    fn clear_gradients(&mut self, par: Par) {
        let c = self.config.d_model;
        let n = self.acts.batch * self.acts.seq;
        let (a, clock) = (&mut self.acts, &mut self.clock);
        clock.start(Pass::Backward);
        zero(&mut a.dresid[..n * c], par);
        zero(&mut a.dlnf[..n * c], par);
        // The reference attention adds its gradient into dqkv; the tiled one overwrites it.
        if keeps_weights(a.seq) {
            for d in &mut a.dblocks {
                zero(&mut d.dqkv[..n * 3 * c], par);
            }
        }
        clock.lap(CLEAR_GRADIENTS);
    }

    /// From the gradient at the final LayerNorm's output (`dlnf`) down to the embeddings.
    fn backward_features(&mut self, par: Par) {
        let TransformerConfig { d_model: c, mlp_size: m, n_heads: nh, .. } = self.config;
        let (b, t) = (self.acts.batch, self.acts.seq);
        let (n, p, w) = (b * t, &self.p, &self.store.values[..]);
        let (a, g, clock) = (&mut self.acts, &mut self.store.grads[..], &mut self.clock);
        let x = a.blocks.last().map_or(&a.encoded, |k| &k.out);
        let (dg, db) = pair_mut(g, p.lnf_g, p.lnf_b);
        layernorm::backward(&mut a.dresid, dg, db, &a.dlnf, x, &a.lnf_mean, &a.lnf_rstd, w.at(p.lnf_g), n, c, par);
        clock.lap(LAYER_NORM);
        // a.dresid is now d(loss)/d(output of the last block); walk the blocks backwards.
        for (l, bp) in p.blocks.iter().enumerate().rev() {
            let x = if l == 0 { &a.encoded } else { &a.blocks[l - 1].out };
            let (k, d) = (&a.blocks[l], &mut a.dblocks[l]);
            let (dw, db) = pair_mut(g, bp.w_proj, bp.b_proj);
            linear::backward_overwrite(&mut d.dfc_gelu, dw, db, &a.dresid, &k.fc_gelu, w.at(bp.w_proj), n, m, c, par);
            clock.lap(MLP_DOWN);
            gelu::backward_from_tanh(&mut d.dfc, &d.dfc_gelu[..n * m], &k.fc[..n * m], w.at(bp.b_fc), par);
            clock.lap(GELU);
            let (dw, db) = pair_mut(g, bp.w_fc, bp.b_fc);
            linear::backward_overwrite(&mut d.dln2, dw, db, &d.dfc, &k.ln2, w.at(bp.w_fc), n, c, m, par);
            clock.lap(MLP_UP);
            let (dg, db) = pair_mut(g, bp.ln2_g, bp.ln2_b);
            layernorm::backward(
                &mut a.dresid,
                dg,
                db,
                &d.dln2,
                &k.resid_mid,
                &k.ln2_mean,
                &k.ln2_rstd,
                w.at(bp.ln2_g),
                n,
                c,
                par,
            );
            clock.lap(LAYER_NORM);
            // a.dresid is now d/d(resid_mid): the MLP branch and the skip connection summed.
            let (dw, db) = pair_mut(g, bp.w_o, bp.b_o);
            linear::backward_overwrite(&mut d.datty, dw, db, &a.dresid, &k.atty, w.at(bp.w_o), n, c, c, par);
            clock.lap(ATTENTION_OUT);
            if keeps_weights(t) {
                attention::backward(&mut d.dqkv, &mut a.datt, &d.datty, &k.qkv, &k.att, b, t, c, nh, par);
            } else {
                attention_tiled::backward(
                    &mut d.dqkv,
                    &mut a.datt,
                    &d.datty,
                    &k.qkv,
                    &k.atty,
                    &k.att,
                    b,
                    t,
                    c,
                    nh,
                    par,
                );
            }
            clock.lap(ATTENTION);
            let (dw, db) = pair_mut(g, bp.w_qkv, bp.b_qkv);
            linear::backward_overwrite(&mut d.dln1, dw, db, &d.dqkv, &k.ln1, w.at(bp.w_qkv), n, c, 3 * c, par);
            clock.lap(QKV);
            let (dg, db) = pair_mut(g, bp.ln1_g, bp.ln1_b);
            layernorm::backward(&mut a.dresid, dg, db, &d.dln1, x, &k.ln1_mean, &k.ln1_rstd, w.at(bp.ln1_g), n, c, par);
            clock.lap(LAYER_NORM);
        }
        // a.dresid is now d(loss)/d(x_0), x_0 = E[token] + P[position].
        embedding::backward(g.at_mut(p.wte), &a.dresid[..n * c], &a.tokens[..n], c);
        position::backward(g.at_mut(p.wpe), &a.dresid, n, t, c);
        clock.lap(EMBEDDING_LAYER);
    }
}

impl LanguageModel for Transformer {
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

    fn forward(&mut self, inputs: &[u32], targets: Option<&[u32]>, b: usize, t: usize, exec: Exec) {
        self.forward_features(inputs, targets, b, t, exec.par);
        let TransformerConfig { vocab_size: v, d_model: c, .. } = self.config;
        let (n, par) = (b * t, exec.par);
        let (p, w, a, clock) = (&self.p, &self.store.values[..], &mut self.acts, &mut self.clock);
        let targets = targets.map(|_| &a.targets[..n]);
        let weights = (w.at(p.w_out), w.at(p.b_out));
        head::forward(&mut a.probs, &mut a.losses, targets, &a.lnf, weights, (n, c, v), par);
        clock.lap(OUTPUT_LAYER);
    }

    fn read_loss(&self) -> f32 {
        softmax_ce::mean(&self.acts.losses[..self.acts.batch * self.acts.seq])
    }

    fn backward(&mut self, scale: f32, exec: Exec) {
        self.clear_gradients(exec.par);
        let TransformerConfig { vocab_size: v, d_model: c, .. } = self.config;
        let (n, par) = (self.acts.batch * self.acts.seq, exec.par);
        let (p, w, g) = (&self.p, &self.store.values[..], &mut self.store.grads[..]);
        let (a, clock) = (&mut self.acts, &mut self.clock);
        a.probs_consumed = true;
        let (dw, db) = pair_mut(g, p.w_out, p.b_out);
        let (inp, dloss) = (&a.lnf[..], scale / n as f32);
        head::backward((&mut a.dlnf, dw, db), &mut a.probs, &a.targets, inp, w.at(p.w_out), dloss, (n, c, v), par);
        clock.lap(OUTPUT_LAYER);
        self.backward_features(par);
    }

    fn forward_backward(&mut self, inputs: &[u32], targets: &[u32], b: usize, t: usize, scale: f32, exec: Exec) {
        self.forward_features(inputs, Some(targets), b, t, exec.par);
        self.clear_gradients(exec.par);
        let TransformerConfig { vocab_size: v, d_model: c, .. } = self.config;
        let (n, par) = (b * t, exec.par);
        let (p, w, g) = (&self.p, &self.store.values[..], &mut self.store.grads[..]);
        let (a, clock) = (&mut self.acts, &mut self.clock);
        a.probs_consumed = true;
        let (dw, db) = pair_mut(g, p.w_out, p.b_out);
        let weights = (w.at(p.w_out), w.at(p.b_out));
        let targets = &a.targets[..n];
        let outs = (&mut a.dlnf[..], dw, db);
        head::train(
            outs,
            &mut a.losses,
            &mut a.head_scratch,
            &a.lnf,
            weights,
            targets,
            scale / n as f32,
            (n, c, v),
            par,
        );
        clock.lap(HEAD_AND_LOSS);
        self.backward_features(par);
    }

    fn layer_times(&self) -> Vec<LayerTime> {
        self.clock.times()
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

    fn read_trace(&self) -> Trace {
        let (t, c, heads) = (self.acts.seq, self.config.d_model, self.config.n_heads);
        let attention = self.acts.blocks.iter().map(|k| {
            if keeps_weights(t) {
                k.att[..heads * t * t].chunks_exact(t * t).map(<[f32]>::to_vec).collect()
            } else {
                attention_tiled::weights(&k.qkv, &k.att, 0, t, c, heads)
            }
        });
        Trace { attention: Some(attention.collect()), hidden_norms: None }
    }
}
