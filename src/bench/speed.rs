//! Speed measurements: training tokens/s of the standard step, as bench-config.md defines it
//! (B·T over the median wall time of steps 10..50), with achieved GFLOP/s against this
//! machine's measured matmul peak and a description of the machine and its load.

use std::sync::Arc;

use serde::Serialize;

use crate::data::Dataset;
use crate::error::Result;
use crate::linalg::{peak, Threads};
use crate::model::{self, ModelConfig, ModelKind, SizeOverrides};
use crate::train::{TrainConfig, Trainer};

/// The machine a figure was measured on.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    /// 1, 5 and 15-minute load averages when read (a 2-thread figure means little on a busy machine).
    pub load_average: [f64; 3],
}

impl Machine {
    /// Read the CPU model and load from /proc (or say "unknown" elsewhere).
    pub fn read() -> Machine {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|s| s.trim().to_string())
            })
            .unwrap_or_else(|| "unknown CPU".into());
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let mut load_average = [f64::NAN; 3];
        for (slot, v) in load_average.iter_mut().zip(load.split_whitespace()) {
            *slot = v.parse().unwrap_or(f64::NAN);
        }
        Machine { cpu, cores: Threads::available(), load_average }
    }
}

/// One measured point.
#[derive(Clone, Debug, Serialize)]
pub struct SpeedPoint {
    pub model: ModelKind,
    pub threads: usize,
    pub seq_len: usize,
    pub tokens_per_s: f64,
    /// Median wall time of one whole step, milliseconds.
    pub step_ms: f64,
    /// Matrix-product GFLOP/s achieved by the whole step.
    pub gflops: f64,
    /// The same as a share of the best faer product measured on as many threads.
    pub peak_share: f64,
    /// Windows per batch.
    pub batch: usize,
    /// (seconds on the run's clock, loss) after every step.
    #[serde(skip)]
    pub losses: Vec<(f64, f32)>,
}

/// Steps 1..=9 warm up; steps 10..=50 are timed (bench-config.md).
pub const WARMUP_STEPS: u64 = 9;
pub const TIMED_STEPS: u64 = 41;

/// Train `kind` (standard sizes, context = `seq_len`) for 50 steps of the standard batch of 32
/// windows and report its speed.
pub fn measure(
    kind: ModelKind,
    data: &Arc<Dataset>,
    seq_len: usize,
    threads: &Threads,
    peak_gflops: f64,
) -> Result<SpeedPoint> {
    measure_batch(kind, data, 32, seq_len, threads, peak_gflops)
}

/// [`measure`] with `batch` windows per step.
pub fn measure_batch(
    kind: ModelKind,
    data: &Arc<Dataset>,
    batch: usize,
    seq_len: usize,
    threads: &Threads,
    peak_gflops: f64,
) -> Result<SpeedPoint> {
    let sizes = SizeOverrides { context_len: Some(seq_len), ..Default::default() };
    let config = ModelConfig::with_overrides(kind, data.vocab.len(), sizes);
    let train = TrainConfig { seq_len, batch_size: batch, ..TrainConfig::default() };
    let mut trainer = Trainer::new(model::build(&config, train.seed, None)?, data.clone(), train, threads.clone())?;
    let mut clock = 0.0;
    let mut losses = Vec::new();
    let mut times: Vec<f64> = (0..WARMUP_STEPS + TIMED_STEPS)
        .map(|_| {
            let r = trainer.step();
            clock += r.seconds;
            losses.push((clock, r.loss));
            r.seconds
        })
        .skip(WARMUP_STEPS as usize)
        .collect();
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let tokens_per_s = (batch * seq_len) as f64 / median;
    let gflops = tokens_per_s * config.train_flops_per_token(seq_len) / 1e9;
    Ok(SpeedPoint {
        model: kind,
        threads: threads.count(),
        seq_len,
        tokens_per_s,
        step_ms: median * 1e3,
        gflops,
        peak_share: gflops / peak_gflops,
        batch,
        losses,
    })
}

/// The matmul peak on `threads`, measured for about a second.
pub fn peak_gflops(threads: &Threads) -> f64 {
    peak::matmul_gflops(threads, 1.0)
}
