//! Option groups shared by several commands, and their translation into library options.

use std::path::PathBuf;

use clap::Args;

use crate::data::{DataConfig, VocabConfig};
use crate::linalg::Threads;
use crate::model::{AdamWConfig, SizeOverrides};
use crate::train::{LrSchedule, TrainConfig};

/// Which text to learn from.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// A UTF-8 text file or a folder of .txt files [default: the embedded default corpus]
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Vocabulary size including <unk>
    #[arg(long, default_value_t = 4096)]
    pub vocab_size: usize,
    /// Words seen fewer times in the training split become <unk>
    #[arg(long, default_value_t = 1)]
    pub min_count: usize,
}

impl DataArgs {
    pub fn config(&self) -> DataConfig {
        DataConfig {
            vocab: VocabConfig { max_size: self.vocab_size, min_count: self.min_count },
            ..DataConfig::default()
        }
    }
}

/// Model sizes (the standard configuration of bench-config.md unless changed).
#[derive(Debug, Clone, Default, Args)]
pub struct ModelArgs {
    /// Embedding and model width [default: 128]
    #[arg(long)]
    pub d_model: Option<usize>,
    /// RNN hidden size [default: the width]
    #[arg(long)]
    pub hidden: Option<usize>,
    /// Transformer attention heads [default: 4]
    #[arg(long)]
    pub heads: Option<usize>,
    /// Transformer blocks [default: 2]
    #[arg(long)]
    pub layers: Option<usize>,
    /// Transformer context length [default: the sequence length]
    #[arg(long)]
    pub context: Option<usize>,
}

impl ModelArgs {
    pub fn overrides(&self) -> SizeOverrides {
        SizeOverrides {
            d_model: self.d_model,
            hidden_size: self.hidden,
            n_heads: self.heads,
            n_layers: self.layers,
            context_len: self.context,
        }
    }
}

/// How long and how to train.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Worker threads [default: all cores]
    #[arg(long)]
    pub threads: Option<usize>,
    /// Seed of the initial weights
    #[arg(long, default_value_t = 1337)]
    pub seed: u64,
    /// Seed of the batch order (0 = the standard order of bench-config.md)
    #[arg(long, default_value_t = 0)]
    pub data_seed: u64,
    /// Windows per batch
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Split each batch into this many micro-batches whose gradients add up (less memory, same step)
    #[arg(long, default_value_t = 1)]
    pub micro_batches: usize,
    /// Tokens per window
    #[arg(long, default_value_t = 64)]
    pub seq_len: usize,
    /// Learning rate
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f32,
    /// Warm-up steps, then cosine decay to 10% over the run (0 = constant rate, the standard)
    #[arg(long, default_value_t = 0)]
    pub warmup: u64,
    /// AdamW decoupled weight decay
    #[arg(long, default_value_t = 0.01)]
    pub weight_decay: f32,
}

impl RunArgs {
    pub fn threads(&self) -> usize {
        self.threads.unwrap_or_else(Threads::available)
    }

    /// The training configuration for a run of `steps` steps in total.
    pub fn config(&self, steps: u64) -> TrainConfig {
        TrainConfig {
            batch_size: self.batch_size,
            seq_len: self.seq_len,
            seed: self.seed,
            data_seed: self.data_seed,
            optimizer: AdamWConfig { lr: self.lr, weight_decay: self.weight_decay, ..AdamWConfig::default() },
            freeze_embeddings: false,
            micro_batches: self.micro_batches,
            schedule: if self.warmup == 0 {
                LrSchedule::Constant
            } else {
                LrSchedule::WarmupCosine { warmup: self.warmup, total: steps, min_ratio: 0.1 }
            },
        }
    }
}
