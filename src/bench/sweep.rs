//! Sweeps: training speed over thread counts, GPUs and sequence lengths, and what they mean —
//! Amdahl's serial fraction per model, where work that grows with the window takes over,
//! The work and span bound on the speed-up with many more processors than this machine has, and how
//! much faster each model runs on a GPU than on the CPU.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::Result;
use crate::gpu::Gpu;
use crate::linalg::{Peaks, Threads};
use crate::model::{ModelConfig, ModelKind};
use crate::train::Preset;

use super::amdahl::AmdahlFit;
use super::speed::{measure, Hardware, SpeedPoint};

/// What to measure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepConfig {
    pub models: Vec<ModelKind>,
    /// The model sizes (and the vocabulary the data was read with).
    pub preset: Preset,
    pub threads: Vec<usize>,
    /// GPUs, by adapter number (`sideways devices`).
    pub gpus: Vec<usize>,
    pub seq_lens: Vec<usize>,
    /// Tokens per step (batch × sequence length) held constant across sequence lengths, so the
    /// output layer's work per step stays the same and only the sequence length changes.
    pub tokens_per_step: usize,
}

/// Amdahl's fit for one model at one sequence length.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelFit {
    pub model: ModelKind,
    pub seq_len: usize,
    pub fit: AmdahlFit,
}

/// The work and span bound for one model, with the measured speed-ups beside it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpanCurve {
    pub model: ModelKind,
    pub seq_len: usize,
    pub work: f64,
    pub span: f64,
    /// (processors, best possible speed-up W / max(W/P, S)).
    pub bound: Vec<(f64, f64)>,
    /// (threads, measured speed-up over 1 thread).
    pub measured: Vec<(f64, f64)>,
}

/// Where a model's work that grows with the window overtakes the rest of a layer's work.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Crossover {
    pub model: ModelKind,
    pub seq_len: usize,
}

/// The fastest model at one sequence length, on the most threads swept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fastest {
    pub seq_len: usize,
    pub threads: usize,
    pub model: ModelKind,
    pub tokens_per_s: f64,
}

/// A model on a GPU against the same model on the most CPU threads swept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GpuRatio {
    pub model: ModelKind,
    pub seq_len: usize,
    pub device: String,
    pub threads: usize,
    /// GPU tokens/s over CPU tokens/s.
    pub ratio: f64,
}

/// Everything a sweep found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepResult {
    pub config: SweepConfig,
    pub points: Vec<SpeedPoint>,
    pub amdahl: Vec<ModelFit>,
    /// For each model with work that grows with the window (the standard sizes).
    pub crossovers: Vec<Crossover>,
    /// For each swept sequence length, ascending (CPU points).
    pub fastest: Vec<Fastest>,
    pub span: Vec<SpanCurve>,
    /// Each GPU point against the CPU (when both were measured).
    #[serde(default)]
    pub gpu_ratios: Vec<GpuRatio>,
}

/// The preset's configuration of `model` for windows of `seq_len` (context = `seq_len`).
fn model_config(model: ModelKind, preset: Preset, data: &Dataset, seq_len: usize) -> ModelConfig {
    ModelConfig::new(model, data.vocab.len(), &preset.sizes(), seq_len)
}

/// Measure every (model, sequence length, threads or GPU) point; `progress` sees each as it
/// lands.
pub fn run(
    data: &Arc<Dataset>,
    config: SweepConfig,
    peaks: &Peaks,
    progress: &mut dyn FnMut(&SpeedPoint),
) -> Result<SweepResult> {
    let pools = config.threads.iter().map(|&n| Threads::new(n)).collect::<Result<Vec<_>>>()?;
    let gpus = config.gpus.iter().map(|&i| Gpu::open(i)).collect::<Result<Vec<_>>>()?;
    let hardware = pools
        .iter()
        .map(|pool| Hardware::Cpu(pool, peaks.get(pool.count())))
        .chain(gpus.iter().map(Hardware::Gpu))
        .collect::<Vec<_>>();
    let sizes = config.preset.sizes();
    let mut points = Vec::new();
    for &model in &config.models {
        for &seq in &config.seq_lens {
            let batch = (config.tokens_per_step / seq).max(1);
            for &on in &hardware {
                let p = measure(model, &sizes, data, (batch, seq), on)?;
                progress(&p);
                points.push(p);
            }
        }
    }
    let cpu = |p: &&SpeedPoint| p.device.is_none();
    let speedups = |model: ModelKind, seq: usize| -> Vec<(f64, f64)> {
        let at = |t: usize| {
            points
                .iter()
                .filter(cpu)
                .find(|p| p.model == model && p.seq_len == seq && p.threads == t)
                .map(|p| p.tokens_per_s)
        };
        let Some(base) = at(1) else { return Vec::new() };
        config.threads.iter().filter_map(|&t| at(t).map(|v| (t as f64, v / base))).collect()
    };
    let mut amdahl = Vec::new();
    let mut span = Vec::new();
    let mut crossovers = Vec::new();
    for &model in &config.models {
        for &seq in &config.seq_lens {
            if let Some(fit) = AmdahlFit::fit(&speedups(model, seq)) {
                amdahl.push(ModelFit { model, seq_len: seq, fit });
            }
            let ws = model_config(model, config.preset, data, seq)
                .spec()
                .work_span((config.tokens_per_step / seq).max(1), seq);
            let bound = (0..44)
                .map(|i| 10f64.powf(i as f64 / 10.0))
                .chain([25_000.0])
                .map(|p| (p, ws.max_speedup(p)))
                .collect();
            span.push(SpanCurve {
                model,
                seq_len: seq,
                work: ws.work,
                span: ws.span,
                bound,
                measured: speedups(model, seq),
            });
        }
        let sized = model_config(model, config.preset, data, config.preset.seq_len());
        if let Some(seq_len) = sized.spec().window_crossover() {
            crossovers.push(Crossover { model, seq_len });
        }
    }
    let max_threads = *config.threads.iter().max().unwrap_or(&1);
    let mut ascending = config.seq_lens.clone();
    ascending.sort_unstable();
    ascending.dedup();
    let fastest = ascending
        .into_iter()
        .filter_map(|seq_len| {
            points
                .iter()
                .filter(cpu)
                .filter(|p| p.seq_len == seq_len && p.threads == max_threads)
                .max_by(|a, b| a.tokens_per_s.total_cmp(&b.tokens_per_s))
                .map(|p| Fastest { seq_len, threads: max_threads, model: p.model, tokens_per_s: p.tokens_per_s })
        })
        .collect();
    let gpu_ratios = gpu_ratios(&points, max_threads);
    Ok(SweepResult { config, points, amdahl, crossovers, fastest, span, gpu_ratios })
}

/// Each GPU point over the same model and window on `threads` CPU threads.
fn gpu_ratios(points: &[SpeedPoint], threads: usize) -> Vec<GpuRatio> {
    let on_cpu = |g: &SpeedPoint| {
        points
            .iter()
            .find(|p| p.device.is_none() && p.threads == threads && p.model == g.model && p.seq_len == g.seq_len)
    };
    points
        .iter()
        .filter_map(|g| {
            let device = g.device.clone()?;
            let c = on_cpu(g).filter(|c| c.tokens_per_s > 0.0)?;
            Some(GpuRatio {
                model: g.model,
                seq_len: g.seq_len,
                device,
                threads,
                ratio: g.tokens_per_s / c.tokens_per_s,
            })
        })
        .collect()
}

/// The points as CSV.
pub fn csv(points: &[SpeedPoint]) -> String {
    let mut out =
        String::from("model,seq_len,threads,device,batch,tokens_per_s,step_ms,gflops,peak_share,dispatches,gpu_ms\n");
    for p in points {
        let share = p.peak_share.map_or(String::new(), |s| format!("{s:.4}"));
        let dispatches = p.dispatches.map_or(String::new(), |d| d.to_string());
        let gpu_ms = p.gpu_ms.map_or(String::new(), |ms| format!("{ms:.3}"));
        // Adapter names hold commas and parentheses ("llvmpipe (LLVM 15, 256 bits)").
        let device = p.device.as_deref().map_or(String::new(), |d| format!("\"{}\"", d.replace('"', "\"\"")));
        out.push_str(&format!(
            "{},{},{},{device},{},{:.1},{:.3},{:.2},{share},{dispatches},{gpu_ms}\n",
            p.model, p.seq_len, p.threads, p.batch, p.tokens_per_s, p.step_ms, p.gflops
        ));
    }
    out
}

/// The work and span bound and the measured points as CSV.
pub fn span_csv(curves: &[SpanCurve]) -> String {
    let mut out = String::from("model,seq_len,processors,brent_max_speedup,measured_speedup\n");
    for c in curves {
        for &(p, s) in &c.bound {
            out.push_str(&format!("{},{},{p:.1},{s:.3},\n", c.model, c.seq_len));
        }
        for &(p, s) in &c.measured {
            out.push_str(&format!("{},{},{p:.0},,{s:.3}\n", c.model, c.seq_len));
        }
    }
    out
}
