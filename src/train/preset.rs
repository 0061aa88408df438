//! Presets: the whole shape of a run (vocabulary, model sizes, window, batch) under one name.
//!
//! `standard` is bench-config.md's configuration, sized so that two CPU cores train it in
//! seconds. `gpu` is sized for a data-centre GPU: a GPT-2-small-like Transformer (width 768,
//! 12 blocks of 12 heads, context 1024) and an RNN of the same width, on windows of 1024
//! words. It is where attention's few large products fill a GPU while the RNN still takes
//! its 1024 steps one after another; on a CPU it is minutes per step.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::TrainConfig;
use crate::data::{DataConfig, VocabConfig};
use crate::error::{Error, Result};
use crate::model::SizeOverrides;

/// A named run shape; options given beside it override its parts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// bench-config.md: vocabulary 4096, width 128, 2 blocks of 4 heads, 32 windows of 64.
    #[default]
    Standard,
    /// Vocabulary 16384, width 768, 12 blocks of 12 heads, 8 windows of 1024.
    Gpu,
}

impl Preset {
    /// The most words the vocabulary keeps.
    pub fn vocab_size(self) -> usize {
        match self {
            Preset::Standard => VocabConfig::default().max_size,
            Preset::Gpu => 16_384,
        }
    }

    /// Model sizes (every model takes those it has; the context follows the window).
    pub fn sizes(self) -> SizeOverrides {
        match self {
            Preset::Standard => SizeOverrides::default(),
            Preset::Gpu => SizeOverrides {
                d_model: Some(768),
                hidden_size: Some(768),
                n_heads: Some(12),
                n_layers: Some(12),
                context_len: None,
            },
        }
    }

    /// Words per window.
    pub fn seq_len(self) -> usize {
        match self {
            Preset::Standard => TrainConfig::default().seq_len,
            Preset::Gpu => 1024,
        }
    }

    /// Windows per batch.
    pub fn batch_size(self) -> usize {
        match self {
            Preset::Standard => TrainConfig::default().batch_size,
            Preset::Gpu => 8,
        }
    }

    /// Tokens per step, which a window-length sweep holds constant.
    pub fn tokens_per_step(self) -> usize {
        self.seq_len() * self.batch_size()
    }

    /// How the data is read.
    pub fn data(self) -> DataConfig {
        DataConfig {
            vocab: VocabConfig { max_size: self.vocab_size(), ..VocabConfig::default() },
            ..DataConfig::default()
        }
    }

    /// The training configuration (the standard one with this window and batch).
    pub fn train(self) -> TrainConfig {
        TrainConfig { seq_len: self.seq_len(), batch_size: self.batch_size(), ..TrainConfig::default() }
    }

    pub fn name(self) -> &'static str {
        match self {
            Preset::Standard => "standard",
            Preset::Gpu => "gpu",
        }
    }
}

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "standard" => Ok(Preset::Standard),
            "gpu" => Ok(Preset::Gpu),
            _ => Err(Error::config("preset", s, "use `standard` (bench-config.md) or `gpu` (width 768, context 1024)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelConfig, ModelKind};

    #[test]
    fn presets_parse_and_the_gpu_one_has_the_sizes_it_promises() {
        assert_eq!("GPU".parse::<Preset>().unwrap(), Preset::Gpu);
        assert!("huge".parse::<Preset>().unwrap_err().to_string().contains("standard"));
        let t: ModelKind = "transformer".parse().unwrap();
        let p = Preset::Gpu;
        let c = ModelConfig::new(t, p.vocab_size(), &p.sizes(), p.seq_len());
        assert_eq!((c.d_model(), c.context_len(), c.vocab_size()), (768, Some(1024), 16_384));
        // GPT-2 small's blocks (85M) and a 16384-word embedding and output layer.
        let params = c.param_count() as f64;
        assert!((100e6..130e6).contains(&params), "{params}");
        let standard = ModelConfig::new(t, 4096, &Preset::Standard.sizes(), Preset::Standard.seq_len());
        assert_eq!(standard, t.standard(4096));
        assert_eq!(Preset::Gpu.tokens_per_step(), 8192);
    }
}
