//! Sweeps: training speed over thread counts and sequence lengths, and what they mean —
//! Amdahl's serial fraction per model, where attention's T² cost takes over, and Brent's bound
//! on the speed-up with many more processors than this machine has.

use std::sync::Arc;

use serde::Serialize;

use crate::data::Dataset;
use crate::error::Result;
use crate::linalg::Threads;
use crate::model::{ModelConfig, ModelKind, SizeOverrides};

use super::amdahl::AmdahlFit;
use super::speed::{measure_batch, peak_gflops, SpeedPoint};

/// What to measure.
#[derive(Clone, Debug, Serialize)]
pub struct SweepConfig {
    pub models: Vec<ModelKind>,
    pub threads: Vec<usize>,
    pub seq_lens: Vec<usize>,
    /// Tokens per step (batch × sequence length) held constant across sequence lengths, so the
    /// output layer's work per step stays the same and only the sequence length changes.
    pub tokens_per_step: usize,
}

/// Amdahl's fit for one model at one sequence length.
#[derive(Clone, Debug, Serialize)]
pub struct ModelFit {
    pub model: ModelKind,
    pub seq_len: usize,
    pub fit: AmdahlFit,
}

/// Brent's bound for one model, with the measured speed-ups beside it.
#[derive(Clone, Debug, Serialize)]
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

/// Everything a sweep found.
#[derive(Clone, Debug, Serialize)]
pub struct SweepResult {
    pub config: SweepConfig,
    pub points: Vec<SpeedPoint>,
    pub amdahl: Vec<ModelFit>,
    /// The sequence length from which attention costs more FLOPs than the rest of a block
    /// (2·d + mlp for the standard Transformer).
    pub attention_crossover: usize,
    /// The shortest swept sequence length at which the Transformer trains fewer tokens/s than
    /// the RNN on the same threads, if any.
    pub measured_crossover: Option<usize>,
    pub span: Vec<SpanCurve>,
}

/// Measure every (model, sequence length, threads) point; `progress` sees each as it lands.
pub fn run(data: &Arc<Dataset>, config: SweepConfig, progress: &mut dyn FnMut(&SpeedPoint)) -> Result<SweepResult> {
    let pools = config.threads.iter().map(|&n| Threads::new(n)).collect::<Result<Vec<_>>>()?;
    let peaks: Vec<f64> = pools.iter().map(peak_gflops).collect();
    let mut points = Vec::new();
    for &model in &config.models {
        for &seq in &config.seq_lens {
            let batch = (config.tokens_per_step / seq).max(1);
            for (pool, &peak) in pools.iter().zip(&peaks) {
                let p = measure_batch(model, data, batch, seq, pool, peak)?;
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
    let vocab = data.vocab.len();
    for &model in &config.models {
        for &seq in &config.seq_lens {
            if let Some(fit) = AmdahlFit::fit(&speedups(model, seq)) {
                amdahl.push(ModelFit { model, seq_len: seq, fit });
            }
        }
        for &seq in &config.seq_lens {
            let mc = ModelConfig::with_overrides(
                model,
                vocab,
                SizeOverrides { context_len: Some(seq), ..Default::default() },
            );
            let ws = mc.work_span((config.tokens_per_step / seq).max(1), seq);
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
    }
    let standard = ModelConfig::standard(ModelKind::Transformer, vocab);
    let attention_crossover = match standard {
        ModelConfig::Transformer(c) => 2 * c.d_model + c.mlp_size,
        ModelConfig::Rnn(_) => unreachable!("a Transformer config"),
    };
    let max_threads = *config.threads.iter().max().unwrap_or(&1);
    let tps = |m: ModelKind, s: usize| {
        points.iter().find(|p| p.model == m && p.seq_len == s && p.threads == max_threads).map(|p| p.tokens_per_s)
    };
    let mut ascending = config.seq_lens.clone();
    ascending.sort_unstable();
    let measured_crossover = ascending
        .into_iter()
        .find(|&s| matches!((tps(ModelKind::Transformer, s), tps(ModelKind::Rnn, s)), (Some(t), Some(r)) if t < r));
    Ok(SweepResult { config, points, amdahl, attention_crossover, measured_crossover, span })
}

/// The points as CSV.
pub fn csv(points: &[SpeedPoint]) -> String {
    let mut out = String::from("model,seq_len,threads,batch,tokens_per_s,step_ms,gflops,peak_share\n");
    for p in points {
        out.push_str(&format!(
            "{},{},{},{},{:.1},{:.3},{:.2},{:.4}\n",
            p.model, p.seq_len, p.threads, p.batch, p.tokens_per_s, p.step_ms, p.gflops, p.peak_share
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
