//! Lesson 7: every model raced on the same budget on this machine's cores (and GPUs), then
//! each one-thread lane's step projected to many processors.

use serde::Serialize;

use crate::commands::race::{race, RaceOptions, RaceResult};
use crate::commands::summary::SummaryOptions;
use crate::error::Result;
use crate::model::ModelKind;
use crate::race::LaneSpec;
use crate::train::{Budget, Event};

use super::projection::{OneThreadStep, Projected};

/// Lesson 7, "The race".
#[derive(Clone, Debug, Serialize)]
pub struct SameBudget {
    pub race: RaceResult,
    /// Each one-thread CPU lane's step, and that step projected (not measured) to many
    /// processors.
    pub measured: Vec<OneThreadStep>,
    pub projection: Vec<Projected>,
    /// Which lane won each metric (its label).
    pub lowest_val_loss: String,
    pub most_tokens_per_s: String,
    pub shortest_time: String,
}

/// Run lesson 7's race: every model on 1 thread and on `o.threads`, and on each hardware GPU
/// this machine has, `o.steps` steps each.
pub fn same_budget(o: &SummaryOptions, emit: &mut dyn FnMut(Event)) -> Result<SameBudget> {
    let gpus: Vec<_> = crate::gpu::adapters().into_iter().filter(|a| a.is_hardware()).collect();
    let threads: Vec<usize> = if o.threads > 1 { vec![1, o.threads] } else { vec![1] };
    let lanes: Vec<LaneSpec> = LaneSpec::defaults_with(&gpus)
        .into_iter()
        .filter(|l| l.gpu.is_some())
        .chain(ModelKind::all().flat_map(|m| threads.iter().map(move |&t| LaneSpec::cpu(m, t))))
        .collect();
    let options = RaceOptions {
        lanes,
        corpus: o.corpus.clone(),
        budget: Budget::Steps(o.steps),
        seed: o.seed,
        sample_every: 0,
        ..RaceOptions::default()
    };
    let result = race(&options, emit)?;
    let tokens = (options.batch_size * options.seq_len) as f64;
    let measured: Vec<OneThreadStep> = result
        .lanes
        .iter()
        .filter(|l| l.run.threads == 1 && l.run.device.is_none())
        .filter_map(|l| {
            let (model, work, span) = (l.run.model, l.run.work, l.run.span);
            Some(OneThreadStep { model, step_ms: l.run.step_seconds? * 1e3, work, span, tokens })
        })
        .collect();
    let projection = measured.iter().flat_map(OneThreadStep::projected).collect();
    let best = |key: &dyn Fn(&crate::race::LaneResult) -> f64| {
        let lane = result.lanes.iter().min_by(|a, b| key(a).total_cmp(&key(b)));
        lane.map_or_else(String::new, |l| l.run.label.clone())
    };
    let lowest_val_loss = best(&|l| l.run.eval.as_ref().map_or(f64::INFINITY, |e| e.val_loss as f64));
    let most_tokens_per_s = best(&|l| -l.run.tokens_per_s);
    let shortest_time = best(&|l| l.run.seconds);
    Ok(SameBudget { race: result, measured, projection, lowest_val_loss, most_tokens_per_s, shortest_time })
}
