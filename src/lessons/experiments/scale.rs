//! Lesson 8: the compute of a large model — 6 × parameters × tokens — on one GPU, on 25,000,
//! and on this machine, measured.

use crate::commands::compute::{compute, ComputeOptions, ComputeResult};
use crate::commands::summary::SummaryOptions;
use crate::error::Result;
use crate::train::{Event, EventKind};

/// Run lesson 8's experiment: `sideways compute` for GPT-3 with this machine measured on
/// `o.threads` threads (a 50-step standard Transformer run); `o.steps` is not used.
pub fn many_computers(o: &SummaryOptions, emit: &mut dyn FnMut(Event)) -> Result<ComputeResult> {
    let text = format!("measuring this machine: 50 steps of the standard Transformer on {} thread(s)", o.threads);
    emit(Event { lane: 0, kind: EventKind::Note { text } });
    compute(&ComputeOptions { this_machine: Some(o.threads), ..ComputeOptions::default() })
}
