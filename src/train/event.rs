//! Metric events: the one stream every front end (text, JSON, the dashboard) consumes.

use serde::Serialize;

use crate::model::ModelKind;

/// Something a race lane reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A lane is ready: what it is and what its step costs in principle.
    LaneStart {
        lane: usize,
        label: String,
        model: ModelKind,
        threads: usize,
        parameters: usize,
        /// Dependent steps per window: words for the RNN, blocks for the Transformer.
        critical_path: usize,
        /// FLOPs and span of one training step (see `ModelConfig::work_span`).
        work: f64,
        span: f64,
        /// Best matrix-product GFLOP/s measured here on this many threads.
        peak_gflops: f64,
    },
    /// One training step.
    Step(StepEvent),
    /// A validation pass (not counted on the lane's clock).
    Eval { lane: usize, step: u64, seconds: f64, val_loss: f32, perplexity: f32, accuracy: f32 },
    /// What the model now expects after the race's prompt, and how it read the prompt.
    Sample {
        lane: usize,
        step: u64,
        prompt: Vec<String>,
        /// The five most likely next words and their probabilities.
        next: Vec<(String, f32)>,
        /// Transformer: attention weights (t, t) of every head, by block then head.
        attention: Option<Vec<Vec<Vec<f32>>>>,
        /// RNN: the hidden state's norm after each word.
        hidden_norms: Option<Vec<f32>>,
    },
    /// A lane spent its budget.
    LaneDone { lane: usize, steps: u64, tokens: u64, seconds: f64 },
}

/// The numbers of one step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StepEvent {
    pub lane: usize,
    pub step: u64,
    /// Threads the step ran on (they can change during a race).
    pub threads: usize,
    pub loss: f32,
    /// Tokens trained on so far.
    pub tokens: u64,
    /// The lane's own clock: the wall time of its steps so far.
    pub seconds: f64,
    pub step_seconds: f64,
    /// Median over the last steps, warm-up excluded (0 until there are any).
    pub tokens_per_s: f64,
    /// Matrix-product GFLOP/s at that rate, and its share of the measured peak.
    pub gflops: f64,
    pub peak_share: f64,
    /// Share of the step spent in the sequential recurrence (0 for the Transformer).
    pub sequential_share: f64,
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
