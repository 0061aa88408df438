//! Model configurations, their validation, and the standard presets of bench-config.md.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Which architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Rnn,
    Transformer,
}

impl ModelKind {
    pub const ALL: [ModelKind; 2] = [ModelKind::Rnn, ModelKind::Transformer];

    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Rnn => "rnn",
            ModelKind::Transformer => "transformer",
        }
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "rnn" => Ok(ModelKind::Rnn),
            "transformer" => Ok(ModelKind::Transformer),
            _ => Err(Error::config("model", s, "use `rnn` or `transformer`")),
        }
    }
}

/// Elman RNN sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RnnConfig {
    pub vocab_size: usize,
    /// Embedding width.
    pub d_model: usize,
    pub hidden_size: usize,
}

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

/// Either model's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ModelConfig {
    Rnn(RnnConfig),
    Transformer(TransformerConfig),
}

/// Work and span of one training step (see [`ModelConfig::work_span`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkSpan {
    /// FLOPs of the whole step.
    pub work: f64,
    /// Length of the longest chain of dependent operations.
    pub span: f64,
    /// Dependent steps per window: words for the RNN, blocks for the Transformer.
    pub critical_path: usize,
}

impl WorkSpan {
    /// Brent's bound on the speed-up over one processor with `p` processors: W / max(W/p, S).
    pub fn max_speedup(&self, p: f64) -> f64 {
        self.work / (self.work / p).max(self.span)
    }
}

/// Sizes the user may change from the command line; `None` keeps the preset.
#[derive(Clone, Copy, Debug, Default)]
pub struct SizeOverrides {
    pub d_model: Option<usize>,
    pub hidden_size: Option<usize>,
    pub n_heads: Option<usize>,
    pub n_layers: Option<usize>,
    pub context_len: Option<usize>,
}

/// Beyond these a size is a typo, not an experiment (and would exhaust memory).
const MAX_WIDTH: usize = 16_384;
const MAX_LAYERS: usize = 256;
const MAX_CONTEXT: usize = 65_536;
const MAX_VOCAB: usize = 10_000_000;
const MAX_PARAMS: usize = 1 << 31;

impl ModelConfig {
    /// The standard configuration of bench-config.md for `vocab_size` words.
    pub fn standard(kind: ModelKind, vocab_size: usize) -> Self {
        match kind {
            ModelKind::Rnn => ModelConfig::Rnn(RnnConfig { vocab_size, d_model: 128, hidden_size: 128 }),
            ModelKind::Transformer => ModelConfig::Transformer(TransformerConfig {
                vocab_size,
                d_model: 128,
                n_heads: 4,
                n_layers: 2,
                context_len: 64,
                mlp_size: 512,
            }),
        }
    }

    /// The standard preset with some sizes replaced.
    pub fn with_overrides(kind: ModelKind, vocab_size: usize, o: SizeOverrides) -> Self {
        let mut c = Self::standard(kind, vocab_size);
        match &mut c {
            ModelConfig::Rnn(r) => {
                r.d_model = o.d_model.unwrap_or(r.d_model);
                r.hidden_size = o.hidden_size.or(o.d_model).unwrap_or(r.hidden_size);
            }
            ModelConfig::Transformer(t) => {
                t.d_model = o.d_model.unwrap_or(t.d_model);
                t.mlp_size = 4 * t.d_model;
                t.n_heads = o.n_heads.unwrap_or(t.n_heads);
                t.n_layers = o.n_layers.unwrap_or(t.n_layers);
                t.context_len = o.context_len.unwrap_or(t.context_len);
            }
        }
        c
    }

    pub fn kind(&self) -> ModelKind {
        match self {
            ModelConfig::Rnn(_) => ModelKind::Rnn,
            ModelConfig::Transformer(_) => ModelKind::Transformer,
        }
    }

    pub fn vocab_size(&self) -> usize {
        match self {
            ModelConfig::Rnn(c) => c.vocab_size,
            ModelConfig::Transformer(c) => c.vocab_size,
        }
    }

    pub fn d_model(&self) -> usize {
        match self {
            ModelConfig::Rnn(c) => c.d_model,
            ModelConfig::Transformer(c) => c.d_model,
        }
    }

    /// The longest window the model accepts (`None`: any length, the RNN).
    pub fn context_len(&self) -> Option<usize> {
        match self {
            ModelConfig::Rnn(_) => None,
            ModelConfig::Transformer(c) => Some(c.context_len),
        }
    }

    /// Number of parameters, computed from the sizes alone.
    pub fn param_count(&self) -> usize {
        match *self {
            ModelConfig::Rnn(c) => {
                let (v, d, h) = (c.vocab_size, c.d_model, c.hidden_size);
                v * d + d * h + h + h * h + h * v + v
            }
            ModelConfig::Transformer(c) => {
                let (v, d, m) = (c.vocab_size, c.d_model, c.mlp_size);
                let block = 2 * d + d * 3 * d + 3 * d + d * d + d + 2 * d + d * m + m + m * d + d;
                v * d + c.context_len * d + c.n_layers * block + 2 * d + d * v + v
            }
        }
    }

    /// Matrix-product FLOPs to train on one token with windows of `seq_len` (forward + backward).
    ///
    /// Every product of the forward pass has two of the same size in the backward pass (the
    /// gradient of its input and of its weight), so training costs 3× the forward products.
    /// Elementwise work (softmax, GELU, LayerNorm, tanh) is left out: it is small and not what
    /// a FLOP/s peak measures.
    pub fn train_flops_per_token(&self, seq_len: usize) -> f64 {
        let forward = match *self {
            ModelConfig::Rnn(c) => {
                let (v, d, h) = (c.vocab_size, c.d_model, c.hidden_size);
                2 * (d * h + h * h + h * v)
            }
            ModelConfig::Transformer(c) => {
                let (v, d, m, t) = (c.vocab_size, c.d_model, c.mlp_size, seq_len);
                // qkv, output projection, MLP, and the two attention products (q·kᵀ and A·v,
                // computed over the full t × t square).
                let block = 2 * (d * 3 * d + d * d + 2 * d * m) + 4 * t * d;
                c.n_layers * block + 2 * d * v
            }
        };
        3.0 * forward as f64
    }

    /// The number of steps that must run one after another to process one window: the RNN's
    /// hidden state at word t needs the one at word t − 1, so its chain is `seq_len` long; a
    /// Transformer block sees all positions at once, so its chain is one step per block.
    pub fn critical_path(&self, seq_len: usize) -> usize {
        match self {
            ModelConfig::Rnn(_) => seq_len,
            ModelConfig::Transformer(c) => c.n_layers,
        }
    }

    /// Work and span of one training step on `batch` windows of `seq_len` words, in FLOPs of
    /// matrix products (forward and backward, as [`Self::train_flops_per_token`]).
    ///
    /// The unit of parallel work is one word's computation in one layer: different windows,
    /// different words of a window in a Transformer layer, different heads can run on different
    /// processors; one word's products in one layer are not split further. The span is then the
    /// work on the longest chain of such units. For the RNN it runs through every word of a
    /// window — the recurrence h_t = tanh(… + h_{t−1}·W_hh) — so it grows with the sequence
    /// length; for the Transformer it runs through one word per block (that word's attention
    /// reads all the window's keys, but the blocks are the only chain). By Brent's theorem, P
    /// processors need at least max(W/P, S): W/S bounds the speed-up.
    pub fn work_span(&self, batch: usize, seq_len: usize) -> WorkSpan {
        let work = (batch * seq_len) as f64 * self.train_flops_per_token(seq_len);
        // Backward passes cost twice their forward products: 3 × the forward chain.
        let span = 3.0
            * match *self {
                ModelConfig::Rnn(c) => {
                    let (v, d, h) = (c.vocab_size, c.d_model, c.hidden_size);
                    // First word's input projection, every step of the recurrence, last word's head.
                    2.0 * (d * h) as f64 + seq_len as f64 * 2.0 * (h * h) as f64 + 2.0 * (h * v) as f64
                }
                ModelConfig::Transformer(c) => {
                    let (v, d, m, t) = (c.vocab_size, c.d_model, c.mlp_size, seq_len);
                    // One word through each block: q/k/v, attention over t keys, output
                    // projection, MLP; then the head.
                    let block = 2 * d * 3 * d + 4 * t * d + 2 * d * d + 4 * d * m;
                    (c.n_layers * block + 2 * d * v) as f64
                }
            };
        WorkSpan { work, span, critical_path: self.critical_path(seq_len) }
    }

    /// Refuse zero, absurd or inconsistent sizes with a message that says what would work.
    pub fn validate(&self) -> Result<()> {
        let in_range = |name: &'static str, v: usize, max: usize| {
            if v == 0 || v > max {
                Err(Error::config(name, v, format!("use 1 to {max}")))
            } else {
                Ok(())
            }
        };
        in_range("vocab size", self.vocab_size(), MAX_VOCAB)?;
        in_range("width (d_model)", self.d_model(), MAX_WIDTH)?;
        match self {
            ModelConfig::Rnn(c) => in_range("hidden size", c.hidden_size, MAX_WIDTH)?,
            ModelConfig::Transformer(c) => {
                in_range("heads", c.n_heads, c.d_model)?;
                in_range("layers", c.n_layers, MAX_LAYERS)?;
                in_range("context length", c.context_len, MAX_CONTEXT)?;
                in_range("MLP size", c.mlp_size, 4 * MAX_WIDTH)?;
                if c.d_model % c.n_heads != 0 {
                    return Err(Error::config(
                        "heads",
                        c.n_heads,
                        format!(
                            "the width {} must be divisible by the number of heads; try {}",
                            c.d_model,
                            divisors_near(c.d_model, c.n_heads)
                        ),
                    ));
                }
            }
        }
        let n = self.param_count();
        if n > MAX_PARAMS {
            return Err(Error::config(
                "model size",
                format!("{n} parameters"),
                "use smaller sizes (at most 2^31 parameters)",
            ));
        }
        Ok(())
    }
}

/// A short list of head counts that divide `d`, nearest to `wanted` first.
fn divisors_near(d: usize, wanted: usize) -> String {
    let mut ds: Vec<usize> = (1..=d.min(64)).filter(|h| d.is_multiple_of(*h)).collect();
    ds.sort_by_key(|&h| h.abs_diff(wanted));
    ds.iter().take(3).map(|h| h.to_string()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_parameter_counts_match_bench_config() {
        assert_eq!(ModelConfig::standard(ModelKind::Rnn, 4096).param_count(), 1_085_568);
        assert_eq!(ModelConfig::standard(ModelKind::Transformer, 4096).param_count(), 1_457_664);
    }

    #[test]
    fn flops_of_the_standard_step() {
        // RNN: 6 · (128·128 + 128·128 + 128·4096) per token.
        assert_eq!(ModelConfig::standard(ModelKind::Rnn, 4096).train_flops_per_token(64), 3_342_336.0);
        // Transformer: 3 · (2 · 425,984 + 2 · 128 · 4096) per token.
        assert_eq!(ModelConfig::standard(ModelKind::Transformer, 4096).train_flops_per_token(64), 5_701_632.0);
    }

    #[test]
    fn critical_path_and_span_at_two_sequence_lengths() {
        let rnn = ModelConfig::standard(ModelKind::Rnn, 4096);
        let tf = |t| {
            ModelConfig::with_overrides(
                ModelKind::Transformer,
                4096,
                SizeOverrides { context_len: Some(t), ..Default::default() },
            )
        };
        // 2048 tokens per step at both lengths: 32 windows of 64, 8 of 256.
        let (r64, r256) = (rnn.work_span(32, 64), rnn.work_span(8, 256));
        let (t64, t256) = (tf(64).work_span(32, 64), tf(256).work_span(8, 256));
        assert_eq!((r64.critical_path, r256.critical_path), (64, 256));
        assert_eq!((t64.critical_path, t256.critical_path), (2, 2));
        // RNN by hand, d = h = 128, v = 4096: per word 2·(dh + h² + hv) = 1,114,112 forward FLOPs.
        assert_eq!(r64.work, 3.0 * 2048.0 * 1_114_112.0);
        // The chain: 2dh + T·2h² + 2hv forward, ×3 with the backward pass.
        assert_eq!(r64.span, 3.0 * (32_768.0 + 64.0 * 32_768.0 + 1_048_576.0));
        assert_eq!(r256.span - r64.span, 3.0 * 192.0 * 32_768.0);
        // So the RNN's best speed-up shrinks as its windows grow: 2048·1,114,112 / 3,178,496 = 718
        // at T = 64, and 241 at T = 256.
        assert_eq!(r64.max_speedup(1e12).round(), 718.0);
        assert_eq!(r256.max_speedup(1e12).round(), 241.0);
        // The Transformer's chain is one word per block: every token of the step runs in parallel,
        // W / S = 2048 at both lengths (its span grows only through attention's 4·T·d).
        assert_eq!(t64.span, 3.0 * (2.0 * (98_304.0 + 32_768.0 + 32_768.0 + 262_144.0) + 1_048_576.0));
        assert_eq!(t256.span - t64.span, 3.0 * 2.0 * 4.0 * 192.0 * 128.0);
        assert_eq!((t64.work / t64.span, t256.work / t256.span), (2048.0, 2048.0));
        // Brent with few processors: no bound bites yet.
        assert!((r64.max_speedup(2.0) - 2.0).abs() < 1e-9);
    }

    #[test]
    fn bad_sizes_are_refused_with_a_hint() {
        let o = SizeOverrides { n_heads: Some(3), ..Default::default() };
        let e = ModelConfig::with_overrides(ModelKind::Transformer, 100, o).validate().unwrap_err();
        assert!(e.to_string().contains("divisible"), "{e}");
        let o = SizeOverrides { d_model: Some(0), ..Default::default() };
        assert!(ModelConfig::with_overrides(ModelKind::Rnn, 100, o).validate().is_err());
        let o = SizeOverrides { d_model: Some(16_000), n_layers: Some(200), ..Default::default() };
        let e = ModelConfig::with_overrides(ModelKind::Transformer, 100, o).validate().unwrap_err();
        assert!(e.to_string().contains("parameters"), "{e}");
        assert!("lstm".parse::<ModelKind>().is_err());
    }
}
