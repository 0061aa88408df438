//! One measured point: a model's training speed at one thread count and window length, from a
//! 50-step run (bench-config.md: the median of steps 10..50, by the one definition in
//! `train::Throughput`), with achieved GFLOP/s against this machine's measured peak.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::Result;
use crate::linalg::Threads;
use crate::model::{ModelConfig, ModelKind, SizeOverrides};
use crate::train::{Budget, EventKind, Run, RunConfig, TrainConfig, Trainer, WARMUP_STEPS, WINDOW};

/// Steps of a measurement: the warm-up, then the timed window.
pub const STEPS: u64 = (WARMUP_STEPS + WINDOW) as u64;

/// One measured point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpeedPoint {
    pub model: ModelKind,
    pub threads: usize,
    pub seq_len: usize,
    /// Windows per batch.
    pub batch: usize,
    pub tokens_per_s: f64,
    /// Median wall time of one whole step, milliseconds.
    pub step_ms: f64,
    /// Matrix-product GFLOP/s achieved by the whole step.
    pub gflops: f64,
    /// The same as a share of the best faer product measured on as many threads.
    pub peak_share: Option<f64>,
    /// (seconds on the run's clock, loss) after every step.
    pub losses: Vec<(f64, f32)>,
}

/// Train `kind` (standard sizes, context = `seq_len`) for [`STEPS`] steps of `batch` windows
/// and report its speed.
pub fn measure(
    kind: ModelKind,
    data: &Arc<Dataset>,
    batch: usize,
    seq_len: usize,
    threads: &Threads,
    peak_gflops: Option<f64>,
) -> Result<SpeedPoint> {
    let config = ModelConfig::new(kind, data.vocab.len(), &SizeOverrides::default(), seq_len);
    let train = TrainConfig { seq_len, batch_size: batch, ..TrainConfig::default() };
    let trainer = Trainer::new(config.build(train.seed)?, data.clone(), train, threads.clone())?;
    let run_config = RunConfig { peak_gflops, ..RunConfig::new(kind.name(), Budget::Steps(STEPS)) };
    let mut losses = Vec::new();
    let r = Run::new(trainer, run_config)?.run_to_end(&mut |e| {
        if let EventKind::Step(s) = e.kind {
            losses.push((s.seconds, s.loss));
        }
    })?;
    Ok(SpeedPoint {
        model: kind,
        threads: threads.count(),
        seq_len,
        batch,
        tokens_per_s: r.tokens_per_s,
        step_ms: r.step_seconds.unwrap_or(f64::NAN) * 1e3,
        gflops: r.gflops,
        peak_share: r.peak_share,
        losses,
    })
}
