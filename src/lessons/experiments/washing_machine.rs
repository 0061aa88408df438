//! Lesson 4: the thread sweep measured here, then Brent's bound projected to many processors.

use serde::{Deserialize, Serialize};

use crate::commands::summary::SummaryOptions;
use crate::data::DataConfig;
use crate::error::Result;
use crate::model::ModelKind;
use crate::train::{Event, EventKind, Preset};

/// Lesson 4, "The washing machine": both models measured on 1 thread and on every core, with
/// Amdahl's fit, then *projected* (not measured) to many processors from this machine's
/// one-thread step and the step's work and span (Brent: T_P ≥ max(W/P, S)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WashingMachine {
    /// The measured points, the Amdahl fits and each model's work and span.
    pub sweep: crate::bench::sweep::SweepResult,
    /// One row per model and processor count: labelled a projection everywhere it is shown.
    pub projection: Vec<Projected>,
}

/// A projected step on `processors` processors.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Projected {
    pub model: ModelKind,
    pub processors: f64,
    pub step_ms: f64,
    pub tokens_per_s: f64,
}

/// The processor counts lesson 4 projects to.
pub const PROCESSORS: [f64; 7] = [1.0, 2.0, 8.0, 64.0, 512.0, 4096.0, 25_000.0];

/// Run lesson 4's experiment (`o.steps` is not used: a bench point is 50 steps).
pub fn washing_machine(o: &SummaryOptions, emit: &mut dyn FnMut(Event)) -> Result<WashingMachine> {
    let data = crate::commands::dataset(o.corpus.as_deref(), DataConfig::default())?;
    let mut threads = vec![1];
    if o.threads > 1 {
        threads.push(o.threads);
    }
    let config = crate::bench::sweep::SweepConfig {
        models: ModelKind::all().collect(),
        preset: Preset::Standard,
        threads,
        gpus: Vec::new(),
        seq_lens: vec![Preset::Standard.seq_len()],
        tokens_per_step: Preset::Standard.tokens_per_step(),
    };
    // Each point is about a second or more: say so as they land.
    let sweep = crate::bench::sweep::run(&data, config, &crate::linalg::Peaks::default(), &mut |p| {
        let text = format!(
            "measured the {} on {} thread(s): {} tokens/s",
            p.model,
            p.threads,
            crate::units::thousands(p.tokens_per_s)
        );
        emit(Event { lane: 0, kind: EventKind::Note { text } });
    })?;
    let mut projection = Vec::new();
    for curve in &sweep.span {
        if let Some(one) = sweep.points.iter().find(|p| p.model == curve.model && p.threads == 1) {
            let tokens = one.batch as f64 * one.seq_len as f64;
            projection.extend(brent(curve.model, one.step_ms, curve.work, curve.span, tokens));
        }
    }
    Ok(WashingMachine { sweep, projection })
}

/// A step measured at `one_thread_ms` on one thread, projected to each of [`PROCESSORS`] by
/// Brent's bound on the step's own work and span: × max(W/P, S) / W.
pub(super) fn brent(model: ModelKind, one_thread_ms: f64, work: f64, span: f64, tokens: f64) -> Vec<Projected> {
    PROCESSORS
        .iter()
        .map(|&processors| {
            let step_ms = one_thread_ms * (work / processors).max(span) / work;
            Projected { model, processors, step_ms, tokens_per_s: tokens / (step_ms / 1e3) }
        })
        .collect()
}
