//! Lesson 4: the thread sweep measured here, then the step projected to many processors.

use serde::{Deserialize, Serialize};

use crate::commands::summary::SummaryOptions;
use crate::data::DataConfig;
use crate::error::Result;
use crate::model::ModelKind;
use crate::train::{Event, EventKind, Preset};

use super::projection::{OneThreadStep, Projected};

/// Lesson 4, "The washing machine": every model measured on 1 thread and on every core, with
/// Amdahl's fit, then *projected* (not measured) to many processors from this machine's
/// one-thread step and the step's work and span (see [`super::projection`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WashingMachine {
    /// The measured points, the Amdahl fits and each model's work and span.
    pub sweep: crate::bench::sweep::SweepResult,
    /// Each model's one-thread step, and the step projected to many processors.
    pub measured: Vec<OneThreadStep>,
    pub projection: Vec<Projected>,
}

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
    let measured: Vec<OneThreadStep> = sweep
        .span
        .iter()
        .filter_map(|curve| {
            let one = sweep.points.iter().find(|p| p.model == curve.model && p.threads == 1)?;
            let tokens = one.batch as f64 * one.seq_len as f64;
            Some(OneThreadStep { model: curve.model, step_ms: one.step_ms, work: curve.work, span: curve.span, tokens })
        })
        .collect();
    let projection = measured.iter().flat_map(OneThreadStep::projected).collect();
    Ok(WashingMachine { sweep, measured, projection })
}
