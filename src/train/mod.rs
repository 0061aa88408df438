//! Training: the AdamW optimizer, learning-rate schedules, the step loop with evaluation, and
//! checkpoints.

mod adamw;
mod checkpoint;
mod event;
mod schedule;
mod trainer;

pub use adamw::{AdamW, AdamWConfig};
pub use checkpoint::{Checkpoint, Header, FORMAT_VERSION};
pub use event::{Control, Event, StepEvent};
pub use schedule::LrSchedule;
pub use trainer::{argmax, EvalReport, StepReport, TrainConfig, Trainer};
