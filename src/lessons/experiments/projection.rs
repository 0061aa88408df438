//! The projection of lessons 4 and 7: a step measured on one thread, scaled to P processors by
//! the work and span laws. P processors need at least max(W/P, S): none does more than its
//! share faster, and no chain runs faster than itself. Brent's theorem adds that a schedule which
//! never leaves a processor idle while work is ready needs at most W/P + S, so the projection is
//! never more than twice too hopeful about the arithmetic. It leaves out what real machines add
//! (moving data, starting work), and is labelled a projection wherever it is shown.

use serde::{Deserialize, Serialize};

use crate::model::ModelKind;

/// The processor counts the lessons project to.
pub const PROCESSORS: [f64; 7] = [1.0, 2.0, 8.0, 64.0, 512.0, 4096.0, 25_000.0];

/// A model's training step measured on one thread, with that step's work and span.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OneThreadStep {
    pub model: ModelKind,
    pub step_ms: f64,
    /// FLOPs of the step, and along its longest chain.
    pub work: f64,
    pub span: f64,
    /// Tokens the step trains on.
    pub tokens: f64,
}

impl OneThreadStep {
    /// The step on `processors` processors: × max(W/P, S) / W.
    pub fn projected_ms(&self, processors: f64) -> f64 {
        self.step_ms * (self.work / processors).max(self.span) / self.work
    }

    /// W/S: the most processors the step can keep busy.
    pub fn parallelism(&self) -> f64 {
        self.work / self.span
    }

    /// The step projected to each of [`PROCESSORS`].
    pub fn projected(&self) -> impl Iterator<Item = Projected> + '_ {
        PROCESSORS.iter().map(|&processors| {
            let step_ms = self.projected_ms(processors);
            Projected { model: self.model, processors, step_ms, tokens_per_s: self.tokens / (step_ms / 1e3) }
        })
    }
}

/// A projected step on `processors` processors.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Projected {
    pub model: ModelKind,
    pub processors: f64,
    pub step_ms: f64,
    pub tokens_per_s: f64,
}
