//! The one event vocabulary: what a training run reports as it goes. `train --json`, every race
//! lane, the dashboard, benches and lessons all read these, and nothing else. A race tags each
//! event with its lane; a lone run is lane 0.
//!
//! In JSON an event is one flat object: `{"lane": 0, "event": "step", "step": 12, …}` (with the
//! schema version added by the printer, see `crate::schema`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::run::{Budget, RunResult};
use super::trainer::EvalReport;
use crate::model::{ModelConfig, ModelKind};
use crate::predict::Prediction;
use crate::train::trainer::DeviceStep;

/// Something a run reports, and which run (a race's lane) it came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub lane: usize,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// A run is ready: what it trains and what its step costs in principle.
    Start(RunInfo),
    /// One training step.
    Step(StepMetrics),
    /// A validation pass (not counted on the run's clock).
    Eval(EvalMetrics),
    /// What the model now expects after the run's prompt, and how it read the prompt.
    Sample(Sample),
    /// A checkpoint was written.
    Saved {
        step: u64,
        path: PathBuf,
    },
    /// Something the user should know that does not stop the run.
    Note {
        text: String,
    },
    Warning {
        text: String,
    },
    /// The run spent its budget (or was stopped): its final numbers.
    Done(RunResult),
}

/// What a run trains, on what, and what its step costs in principle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// How front ends name the run ("rnn@2" in a race).
    pub label: String,
    pub model: ModelKind,
    pub config: ModelConfig,
    pub parameters: usize,
    /// The corpus, its training tokens and its vocabulary.
    pub corpus: String,
    pub train_tokens: usize,
    pub vocab_size: usize,
    /// CPU threads (a GPU run's one host thread), in each process.
    pub threads: usize,
    /// Processes sharing each step (data parallelism; 1 for a run of its own).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub processes: usize,
    /// The GPU it trains on, as `sideways devices` describes it (`None`: the CPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    pub batch_size: usize,
    pub seq_len: usize,
    /// Steps already done before this run (a resumed run).
    pub from_step: u64,
    pub budget: Budget,
    /// Dependent steps per window: words for the RNN, blocks for the Transformer.
    pub critical_path: usize,
    /// FLOPs and span of one training step (see `WorkSpan`).
    pub work: f64,
    pub span: f64,
    /// Best matrix-product GFLOP/s measured here on this many threads, if it was measured.
    pub peak_gflops: Option<f64>,
    /// Bytes the run holds on its device, as estimated (and checked) before anything was
    /// allocated: the model's store (values, gradients, AdamW's moments), and the activations
    /// of one forward + backward.
    pub store_bytes: u64,
    pub activation_bytes: u64,
}

/// The numbers of one step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepMetrics {
    /// 1-based, counting the steps of earlier runs this one resumed.
    pub step: u64,
    /// Mean cross-entropy of the batch (nats).
    pub loss: f32,
    pub lr: f32,
    /// Global gradient norm before clipping.
    pub grad_norm: f32,
    /// Threads the step ran on (they can change during a race).
    pub threads: usize,
    /// Tokens trained on so far in this run.
    pub tokens: u64,
    /// The run's own clock: the wall time of its steps so far.
    pub seconds: f64,
    /// Wall time of this step.
    pub step_seconds: f64,
    /// Training tokens per second, as `Throughput` defines it.
    pub tokens_per_s: f64,
    /// Matrix-product GFLOP/s at that rate, and its share of the measured peak.
    pub gflops: f64,
    pub peak_share: Option<f64>,
    /// Share of the step spent in a chain of dependent steps (a recurrence; 0 without one).
    pub sequential_share: f64,
    /// On a GPU: the step's kernel dispatches and device time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceStep>,
    /// With data parallelism: seconds of the step spent summing gradients with the other
    /// processes (the all-reduce, with the wait for the slowest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_seconds: Option<f64>,
}

/// A validation pass.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalMetrics {
    pub step: u64,
    /// The run's clock when it ran.
    pub seconds: f64,
    #[serde(flatten)]
    pub report: EvalReport,
}

/// The model's next words after a prompt, and how it read the prompt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub step: u64,
    pub prompt: Vec<String>,
    /// The five most likely next words.
    pub next: Vec<Prediction>,
    #[serde(flatten)]
    pub trace: crate::model::Trace,
}

/// What a front end can ask of a running race.
#[derive(Clone, Debug, PartialEq)]
pub enum Control {
    /// Hold every lane after its current step (the clocks stop too).
    Pause,
    Resume,
    /// End the race now; lanes report what they have.
    Stop,
    /// Run a lane on another number of threads from its next step.
    SetThreads {
        lane: usize,
        threads: usize,
    },
    /// Sample predictions after these words from now on.
    SetPrompt(String),
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}
