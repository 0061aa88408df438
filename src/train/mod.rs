//! Training: the step (forward, backward, clip, AdamW on the model's store), evaluation, the
//! one run loop with its one throughput definition and one event vocabulary, learning-rate
//! schedules and checkpoints, and the gradient sum that lets several processes share a step
//! (data parallelism).

mod checkpoint;
mod event;
mod preset;
mod run;
mod schedule;
mod sync;
mod throughput;
mod trainer;

pub use crate::model::AdamWConfig;
pub use checkpoint::{Checkpoint, Header, CHECKPOINT_FILE, FORMAT_VERSION};
pub use event::{Control, EvalMetrics, Event, EventKind, RunInfo, Sample, StepMetrics};
pub use preset::Preset;
pub use run::{Budget, Run, RunConfig, RunResult, DEFAULT_PROMPT};
pub use schedule::LrSchedule;
pub use sync::{fingerprint, share, GradientSync};
pub use throughput::{Throughput, WARMUP_STEPS, WINDOW};
pub use trainer::{DeviceStep, EvalReport, Scored, StepReport, TrainConfig, Trainer};
