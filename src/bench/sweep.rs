//! Sweeps: training speed over thread counts and sequence lengths, and what they mean —
//! Amdahl's serial fraction per model, where work that grows with the window takes over, and
//! Brent's bound on the speed-up with many more processors than this machine has.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::Result;
use crate::linalg::{Peaks, Threads};
use crate::model::{ModelConfig, ModelKind, SizeOverrides};

use super::amdahl::AmdahlFit;
use super::speed::{measure, SpeedPoint};

/// What to measure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepConfig {
    pub models: Vec<ModelKind>,
    pub threads: Vec<usize>,
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

/// Brent's bound for one model, with the measured speed-ups beside it.
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

/// Everything a sweep found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepResult {
    pub config: SweepConfig,
    pub points: Vec<SpeedPoint>,
    pub amdahl: Vec<ModelFit>,
    /// For each model with work that grows with the window (the standard sizes).
    pub crossovers: Vec<Crossover>,
    /// For each swept sequence length, ascending.
    pub fastest: Vec<Fastest>,
    pub span: Vec<SpanCurve>,
}

/// The standard configuration of `model` for windows of `seq_len` (context = `seq_len`).
fn model_config(model: ModelKind, data: &Dataset, seq_len: usize) -> ModelConfig {
    ModelConfig::new(model, data.vocab.len(), &SizeOverrides::default(), seq_len)
}

/// Measure every (model, sequence length, threads) point; `progress` sees each as it lands.
pub fn run(
    data: &Arc<Dataset>,
    config: SweepConfig,
    peaks: &Peaks,
    progress: &mut dyn FnMut(&SpeedPoint),
) -> Result<SweepResult> {
    let pools = config.threads.iter().map(|&n| Threads::new(n)).collect::<Result<Vec<_>>>()?;
    let mut points = Vec::new();
    for &model in &config.models {
        for &seq in &config.seq_lens {
            let batch = (config.tokens_per_step / seq).max(1);
            for pool in &pools {
                let p = measure(model, data, batch, seq, pool, peaks.get(pool.count()))?;
                progress(&p);
                points.push(p);
            }
        }
    }
    let speedups = |model: ModelKind, seq: usize| -> Vec<(f64, f64)> {
        let at = |t: usize| {
            points.iter().find(|p| p.model == model && p.seq_len == seq && p.threads == t).map(|p| p.tokens_per_s)
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
            let ws = model_config(model, data, seq).spec().work_span((config.tokens_per_step / seq).max(1), seq);
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
        if let Some(seq_len) = model.standard(data.vocab.len()).spec().window_crossover() {
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
                .filter(|p| p.seq_len == seq_len && p.threads == max_threads)
                .max_by(|a, b| a.tokens_per_s.total_cmp(&b.tokens_per_s))
                .map(|p| Fastest { seq_len, threads: max_threads, model: p.model, tokens_per_s: p.tokens_per_s })
        })
        .collect();
    Ok(SweepResult { config, points, amdahl, crossovers, fastest, span })
}

/// The points as CSV.
pub fn csv(points: &[SpeedPoint]) -> String {
    let mut out = String::from("model,seq_len,threads,batch,tokens_per_s,step_ms,gflops,peak_share\n");
    for p in points {
        let share = p.peak_share.map_or(String::new(), |s| format!("{s:.4}"));
        out.push_str(&format!(
            "{},{},{},{},{:.1},{:.3},{:.2},{share}\n",
            p.model, p.seq_len, p.threads, p.batch, p.tokens_per_s, p.step_ms, p.gflops
        ));
    }
    out
}

/// Brent's bound and the measured points as CSV.
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
