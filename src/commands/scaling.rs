//! `sideways bench --data-parallel`, run by each process of an MPI run: the speed of a step
//! shared by all of them, the time of its gradient sum, and what the sum costs as the model
//! grows. Run it with 1, 2, 4 … processes to read the scaling off the tokens/s.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::linalg::{machine, Machine, Threads};
use crate::model::{ModelConfig, ModelKind, SizeOverrides};
use crate::train::{Budget, Event, EventKind, GradientSync, Preset, Run, RunConfig, TrainConfig, Trainer};

/// Steps of each measured run (as a bench point).
const STEPS: u64 = 50;
/// Gradient sums timed for each model width.
const SUMS: usize = 20;
/// Transformer widths whose gradient sum is timed: about 0.3 M to 13 M parameters here.
pub const WIDTHS: [usize; 4] = [64, 128, 256, 512];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalingOptions {
    pub models: Vec<ModelKind>,
    /// CPU threads of each process.
    pub threads: usize,
    pub corpus: Option<std::path::PathBuf>,
}

/// What the processes measured together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalingResult {
    /// The machine (process 0's), with its load before the runs, and the load after.
    pub machine: Machine,
    pub load_average_after: Option<[f64; 3]>,
    pub processes: usize,
    pub threads: usize,
    pub points: Vec<SharedPoint>,
    pub sums: Vec<SumCost>,
}

/// One model trained by all the processes together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedPoint {
    pub model: ModelKind,
    pub parameters: usize,
    /// Tokens per second of the whole step (all processes' windows), as every run defines it.
    pub tokens_per_s: f64,
    pub step_ms: f64,
    /// Median time of the step's gradient sum (with the wait for the slowest process).
    pub sum_ms: f64,
}

/// The gradient sum of a Transformer of one width.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SumCost {
    pub d_model: usize,
    pub parameters: usize,
    /// Median of [`SUMS`] sums of a gradient buffer of that size.
    pub sum_ms: f64,
}

/// Measure with every process of `new_sync` (each call gives this process's gradient sum);
/// every process must call this with the same options.
pub fn scaling(
    o: &ScalingOptions,
    new_sync: &dyn Fn() -> Box<dyn GradientSync>,
    emit: &mut dyn FnMut(Event),
) -> Result<ScalingResult> {
    let machine = Machine::read();
    let preset = Preset::Standard;
    let data = super::dataset(o.corpus.as_deref(), preset.data())?;
    let threads = Threads::new(o.threads)?;
    let mut points = Vec::new();
    for &kind in &o.models {
        let config = ModelConfig::new(kind, data.vocab.len(), &preset.sizes(), preset.seq_len());
        let train =
            TrainConfig { seq_len: preset.seq_len(), batch_size: preset.batch_size(), ..TrainConfig::default() };
        let mut trainer = Trainer::new(config.build(train.seed)?, data.clone(), train, threads.clone())?;
        trainer.share_steps(new_sync())?;
        let mut sums = Vec::new();
        let run = Run::new(trainer, RunConfig::new(kind.name(), Budget::Steps(STEPS)))?.run_to_end(&mut |e| {
            if let EventKind::Step(s) = &e.kind {
                sums.extend(s.sync_seconds.filter(|_| s.step > crate::train::WARMUP_STEPS as u64));
            }
            emit(e);
        })?;
        points.push(SharedPoint {
            model: kind,
            parameters: run.parameters,
            tokens_per_s: run.tokens_per_s,
            step_ms: run.step_seconds.unwrap_or(f64::NAN) * 1e3,
            sum_ms: 1e3 * median(&mut sums),
        });
    }
    let mut sync = new_sync();
    let transformer: ModelKind = "transformer".parse()?;
    let sums = WIDTHS
        .iter()
        .map(|&d_model| {
            let sizes = SizeOverrides { d_model: Some(d_model), ..preset.sizes() };
            let parameters =
                ModelConfig::new(transformer, data.vocab.len(), &sizes, preset.seq_len()).spec().layout().len();
            let mut grads = vec![0.0f32; parameters];
            let mut times: Vec<f64> = (0..SUMS)
                .map(|_| {
                    grads.fill(1.0);
                    let start = std::time::Instant::now();
                    sync.sum(&mut grads);
                    start.elapsed().as_secs_f64()
                })
                .collect();
            SumCost { d_model, parameters, sum_ms: 1e3 * median(&mut times) }
        })
        .collect();
    let processes = sync.size();
    let load_average_after = machine::load_average();
    Ok(ScalingResult { machine, load_average_after, processes, threads: o.threads, points, sums })
}

fn median(xs: &mut [f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}
