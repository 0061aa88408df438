//! Option groups shared by several commands, and their translation into library options.

use std::path::PathBuf;

use clap::Args;

use crate::data::{DataConfig, VocabConfig};
use crate::linalg::Threads;
use crate::model::{AdamWConfig, SizeOverrides};
use crate::train::{LrSchedule, Preset, TrainConfig};

/// Which text to learn from.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// A UTF-8 text file or a folder of .txt files [default: the embedded default corpus]
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Vocabulary size including <unk> [default: 4096; the gpu preset's 16384]
    #[arg(long)]
    pub vocab_size: Option<usize>,
    /// Words seen fewer times in the training split become <unk> [default: 1]
    #[arg(long)]
    pub min_count: Option<usize>,
}

impl DataArgs {
    /// How to read the data: `preset`'s, with the options given.
    pub fn config(&self, preset: Preset) -> DataConfig {
        let d = preset.data();
        DataConfig {
            vocab: VocabConfig {
                max_size: self.vocab_size.unwrap_or(d.vocab.max_size),
                min_count: self.min_count.unwrap_or(d.vocab.min_count),
            },
            ..d
        }
    }

    /// The options given that fix how the data is read.
    pub fn given(&self) -> Vec<&'static str> {
        given(&[("--vocab-size", self.vocab_size.is_some()), ("--min-count", self.min_count.is_some())])
    }
}

/// The names of the options that were given.
fn given(options: &[(&'static str, bool)]) -> Vec<&'static str> {
    options.iter().filter(|o| o.1).map(|o| o.0).collect()
}

/// Model sizes (the standard configuration of bench-config.md unless changed).
#[derive(Debug, Clone, Default, Args)]
pub struct ModelArgs {
    /// standard (bench-config.md) or gpu (width 768, 12 blocks of 12 heads, vocabulary 16384,
    /// 8 windows of 1024 words); the sizes given below override it [default: standard]
    #[arg(long)]
    pub preset: Option<Preset>,
    /// Embedding and model width [default: 128]
    #[arg(long)]
    pub d_model: Option<usize>,
    /// Hidden size of the RNN and the minGRU [default: the width]
    #[arg(long)]
    pub hidden: Option<usize>,
    /// Transformer attention heads [default: 4]
    #[arg(long)]
    pub heads: Option<usize>,
    /// Transformer blocks, minGRU layers [default: 2 each]
    #[arg(long)]
    pub layers: Option<usize>,
    /// Transformer context length [default: the sequence length]
    #[arg(long)]
    pub context: Option<usize>,
}

impl ModelArgs {
    pub fn preset(&self) -> Preset {
        self.preset.unwrap_or_default()
    }

    /// The preset's sizes with those given.
    pub fn overrides(&self) -> SizeOverrides {
        let p = self.preset().sizes();
        SizeOverrides {
            d_model: self.d_model.or(p.d_model),
            hidden_size: self.hidden.or(p.hidden_size),
            n_heads: self.heads.or(p.n_heads),
            n_layers: self.layers.or(p.n_layers),
            context_len: self.context.or(p.context_len),
        }
    }

    /// The sizes given.
    pub fn given(&self) -> Vec<&'static str> {
        given(&[
            ("--preset", self.preset.is_some()),
            ("--d-model", self.d_model.is_some()),
            ("--hidden", self.hidden.is_some()),
            ("--heads", self.heads.is_some()),
            ("--layers", self.layers.is_some()),
            ("--context", self.context.is_some()),
        ])
    }
}

/// How long and how to train.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Worker threads [default: all cores]
    #[arg(long)]
    pub threads: Option<usize>,
    /// Seed of the initial weights [default: 1337]
    #[arg(long)]
    pub seed: Option<u64>,
    /// Seed of the batch order (0 = the standard order of bench-config.md) [default: 0]
    #[arg(long)]
    pub data_seed: Option<u64>,
    /// Windows per batch [default: 32; the gpu preset's 8]
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Split each batch into this many micro-batches whose gradients add up (less memory, same step) [default: 1]
    #[arg(long)]
    pub micro_batches: Option<usize>,
    /// Tokens per window [default: 64; the gpu preset's 1024]
    #[arg(long)]
    pub seq_len: Option<usize>,
    /// Learning rate [default: 0.001]
    #[arg(long)]
    pub lr: Option<f32>,
    /// Warm-up steps, then cosine decay to 10% over the run (0 = constant rate, the standard) [default: 0]
    #[arg(long)]
    pub warmup: Option<u64>,
    /// AdamW decoupled weight decay [default: 0.01]
    #[arg(long)]
    pub weight_decay: Option<f32>,
}

impl RunArgs {
    pub fn threads(&self) -> usize {
        self.threads.unwrap_or_else(Threads::available)
    }

    /// The training configuration for a run of `steps` steps in total: `preset`'s, with the
    /// options given.
    pub fn config(&self, steps: u64, preset: Preset) -> TrainConfig {
        let d = preset.train();
        let warmup = self.warmup.unwrap_or(0);
        TrainConfig {
            batch_size: self.batch_size.unwrap_or(d.batch_size),
            seq_len: self.seq_len.unwrap_or(d.seq_len),
            seed: self.seed.unwrap_or(d.seed),
            data_seed: self.data_seed.unwrap_or(d.data_seed),
            optimizer: AdamWConfig {
                lr: self.lr.unwrap_or(d.optimizer.lr),
                weight_decay: self.weight_decay.unwrap_or(d.optimizer.weight_decay),
                ..d.optimizer
            },
            freeze_embeddings: false,
            micro_batches: self.micro_batches.unwrap_or(d.micro_batches),
            schedule: if warmup == 0 {
                LrSchedule::Constant
            } else {
                LrSchedule::WarmupCosine { warmup, total: steps, min_ratio: 0.1 }
            },
        }
    }

    /// The options given that a checkpoint fixes (all but the thread count).
    pub fn given(&self) -> Vec<&'static str> {
        given(&[
            ("--seed", self.seed.is_some()),
            ("--data-seed", self.data_seed.is_some()),
            ("--batch-size", self.batch_size.is_some()),
            ("--micro-batches", self.micro_batches.is_some()),
            ("--seq-len", self.seq_len.is_some()),
            ("--lr", self.lr.is_some()),
            ("--warmup", self.warmup.is_some()),
            ("--weight-decay", self.weight_decay.is_some()),
        ])
    }
}

/// A count of at least one, for options such as `-k` where 0 would show nothing.
pub fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("use 1 or more".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{e}: give a whole number, 1 or more")),
    }
}
