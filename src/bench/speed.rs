//! One measured point: a model's training speed on some CPU threads or a GPU at one window
//! length, from a 50-step run (bench-config.md: the median of steps 10..50, by the one
//! definition in `train::Throughput`), with achieved GFLOP/s against this machine's measured
//! peak (CPU), or the device's own time and chain of kernels (GPU).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::Result;
use crate::gpu::Gpu;
use crate::linalg::Threads;
use crate::model::{ModelConfig, ModelKind, SizeOverrides};
use crate::train::{Budget, EventKind, Run, RunConfig, TrainConfig, Trainer, WARMUP_STEPS, WINDOW};

/// Steps of a measurement: the warm-up, then the timed window.
pub const STEPS: u64 = (WARMUP_STEPS + WINDOW) as u64;

/// Where a point is measured.
#[derive(Clone, Copy)]
pub enum Hardware<'a> {
    /// CPU threads, and the best matrix-product GFLOP/s measured on as many.
    Cpu(&'a Threads, Option<f64>),
    Gpu(&'a Arc<Gpu>),
}

/// One measured point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpeedPoint {
    pub model: ModelKind,
    /// CPU threads (a GPU point's one host thread).
    pub threads: usize,
    /// The GPU it ran on, by number and as `sideways devices` names it (`None`: the CPU
    /// threads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Kernels dispatched per step (GPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatches: Option<u64>,
    /// Median device time of a step from timestamp queries, milliseconds (GPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_ms: Option<f64>,
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

/// Train `kind` (`sizes`, context = `seq_len`) on `on` for [`STEPS`] steps of `batch` windows
/// and report its speed.
pub fn measure(
    kind: ModelKind,
    sizes: &SizeOverrides,
    data: &Arc<Dataset>,
    (batch, seq_len): (usize, usize),
    on: Hardware,
) -> Result<SpeedPoint> {
    let config = ModelConfig::new(kind, data.vocab.len(), sizes, seq_len);
    let train = TrainConfig { seq_len, batch_size: batch, ..TrainConfig::default() };
    let (model, threads, peak_gflops) = match on {
        Hardware::Cpu(threads, peak) => (config.build(train.seed)?, threads.clone(), peak),
        // A GPU run drives the device from one host thread.
        Hardware::Gpu(gpu) => (config.build_gpu(train.seed, gpu)?, Threads::new(1)?, None),
    };
    let trainer = Trainer::new(model, data.clone(), train, threads)?;
    let run_config = RunConfig { peak_gflops, ..RunConfig::new(kind.name(), Budget::Steps(STEPS)) };
    let mut losses = Vec::new();
    let r = Run::new(trainer, run_config)?.run_to_end(&mut |e| {
        if let EventKind::Step(s) = e.kind {
            losses.push((s.seconds, s.loss));
        }
    })?;
    Ok(SpeedPoint {
        model: kind,
        threads: r.threads,
        gpu: match on {
            Hardware::Cpu(..) => None,
            Hardware::Gpu(g) => Some(g.index()),
        },
        device: r.device,
        dispatches: r.dispatches,
        gpu_ms: r.gpu_step_seconds.map(|s| s * 1e3),
        seq_len,
        batch,
        tokens_per_s: r.tokens_per_s,
        step_ms: r.step_seconds.unwrap_or(f64::NAN) * 1e3,
        gflops: r.gflops,
        peak_share: r.peak_share,
        losses,
    })
}
