//! The one run loop: drive a [`Trainer`] to a [`Budget`], evaluating, sampling and saving on
//! the way, measuring speed by the one definition ([`Throughput`]), and reporting everything as
//! [`Event`]s. `sideways train`, the summary, every bench point and every race lane are runs;
//! a race only decides whose turn it is.
//!
//! A run keeps its own clock: the sum of its steps' wall times. Evaluations, samples and saves
//! happen between steps and are not on it, so a lane's speed is its training speed.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use super::event::{EvalMetrics, Event, EventKind, RunInfo, Sample, StepMetrics};
use super::throughput::Throughput;
use super::trainer::{EvalReport, Trainer};
use crate::error::{Error, Result};
use crate::linalg::Threads;
use crate::model::{LanguageModel, ModelKind, WorkSpan};
use crate::predict::{self, Prediction};

/// How much a run may train.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Budget {
    /// Seconds on the run's own clock.
    Seconds(f64),
    Tokens(u64),
    Steps(u64),
}

impl FromStr for Budget {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::config("budget", s, "write 30s, 20000tok or 200steps (more than zero)");
        let t = s.trim();
        // The unit is the trailing run of letters, so `1e3s` is a thousand seconds.
        let unit_len = t.chars().rev().take_while(|c| c.is_ascii_alphabetic()).count();
        let (num, unit) = t.split_at(t.len() - unit_len);
        let budget = match unit {
            "s" => Budget::Seconds(num.parse().map_err(|_| bad())?),
            "tok" | "tokens" => Budget::Tokens(num.parse().map_err(|_| bad())?),
            "steps" | "step" => Budget::Steps(num.parse().map_err(|_| bad())?),
            _ => return Err(bad()),
        };
        match budget {
            Budget::Seconds(x) if x > 0.0 && x.is_finite() => Ok(budget),
            Budget::Tokens(n) | Budget::Steps(n) if n > 0 => Ok(budget),
            _ => Err(bad()),
        }
    }
}

impl std::fmt::Display for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Budget::Seconds(s) => write!(f, "{s}s"),
            Budget::Tokens(n) => write!(f, "{n}tok"),
            Budget::Steps(n) => write!(f, "{n}steps"),
        }
    }
}

impl Budget {
    /// Whether a run with these totals is done.
    pub fn spent(&self, steps: u64, tokens: u64, seconds: f64) -> bool {
        match *self {
            Budget::Seconds(s) => seconds >= s,
            Budget::Tokens(n) => tokens >= n,
            Budget::Steps(n) => steps >= n,
        }
    }
}

/// What a run does besides training steps.
#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    /// The lane its events carry (0 for a lone run).
    pub lane: usize,
    /// How front ends name it.
    pub label: String,
    pub budget: Budget,
    /// Validate every this many steps (0: only at the end).
    pub eval_every: u64,
    /// Report next-word predictions and how the model read the prompt every this many steps
    /// (0: never).
    pub sample_every: u64,
    pub prompt: String,
    /// The matrix-product peak measured on the run's thread count, if measured.
    pub peak_gflops: Option<f64>,
    /// Write a checkpoint here at the end, and every `save_every` steps (0: only at the end).
    pub save: Option<PathBuf>,
    pub save_every: u64,
}

impl RunConfig {
    /// A lone run with this budget: no samples, validation at the end, nothing saved.
    pub fn new(label: impl Into<String>, budget: Budget) -> Self {
        RunConfig {
            lane: 0,
            label: label.into(),
            budget,
            eval_every: 0,
            sample_every: 0,
            prompt: DEFAULT_PROMPT.into(),
            peak_gflops: None,
            save: None,
            save_every: 0,
        }
    }
}

/// The prompt runs sample after unless told otherwise.
pub const DEFAULT_PROMPT: &str = "i ate a good";

/// Training losses averaged into a run's final train loss.
const LOSS_TAIL: usize = 10;

/// A run's final numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub label: String,
    pub model: ModelKind,
    pub parameters: usize,
    pub threads: usize,
    /// The GPU it trained on (`None`: the CPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// On a GPU: kernel dispatches per step, and the median device time of a step (adapters
    /// with timestamp queries), over the same steps as `step_seconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatches: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_step_seconds: Option<f64>,
    /// Steps this run made, and the number of the last one (they differ after a resume).
    pub steps: u64,
    pub last_step: u64,
    pub tokens: u64,
    /// The run's own clock.
    pub seconds: f64,
    /// Mean training loss over the last 10 steps.
    pub train_loss: Option<f32>,
    /// The last validation.
    pub eval: Option<EvalReport>,
    /// Training tokens per second (`Throughput`) and the median step time it comes from.
    pub tokens_per_s: f64,
    pub step_seconds: Option<f64>,
    /// Matrix-product GFLOP/s at that rate, and its share of the measured peak.
    pub gflops: f64,
    pub peak_share: Option<f64>,
    /// Dependent steps per window, and the work and span of one step.
    pub critical_path: usize,
    pub work: f64,
    pub span: f64,
    /// Share of the last step spent in a chain of dependent steps (the recurrence).
    pub sequential_share: f64,
    /// Stopped before its budget was spent.
    pub stopped: bool,
}

impl RunResult {
    pub fn val_loss(&self) -> Option<f32> {
        self.eval.map(|e| e.val_loss)
    }
}

/// A trainer on its way to a budget.
pub struct Run {
    config: RunConfig,
    trainer: Trainer,
    /// A copy of the model for samples and predictions, so the trainer's activations keep their
    /// shape (no allocation in a training step).
    inspector: Option<Box<dyn LanguageModel>>,
    prompt: Vec<u32>,
    speed: Throughput,
    /// Device time per step, measured over the same steps as `speed` (a GPU with timestamps).
    gpu_time: Throughput,
    /// The last step's kernel dispatches (a GPU run).
    dispatches: Option<u64>,
    work_span: WorkSpan,
    flops_per_token: f64,
    clock: f64,
    tokens: u64,
    steps: u64,
    losses: VecDeque<f32>,
    sequential_share: f64,
    last_eval: Option<(u64, EvalReport)>,
    last_save: Option<u64>,
    /// Whether the run has said that its loss is diverging (it says so once).
    warned_diverging: bool,
    done: bool,
    stopped: bool,
}

impl Run {
    /// A run of `trainer` as `config` says; the prompt must have a word the data knows when
    /// the run samples.
    pub fn new(trainer: Trainer, config: RunConfig) -> Result<Run> {
        let prompt = if config.sample_every > 0 {
            predict::encode_prompt(&trainer.data().vocab, &config.prompt)?
        } else {
            Vec::new()
        };
        let t = trainer.config();
        let spec = trainer.model().config();
        Ok(Run {
            speed: Throughput::new(t.tokens_per_step()),
            gpu_time: Throughput::new(t.tokens_per_step()),
            dispatches: None,
            work_span: spec.spec().work_span(t.batch_size, t.seq_len),
            flops_per_token: spec.spec().train_flops_per_token(t.seq_len),
            config,
            trainer,
            inspector: None,
            prompt,
            clock: 0.0,
            tokens: 0,
            steps: 0,
            losses: VecDeque::with_capacity(LOSS_TAIL),
            sequential_share: 0.0,
            last_eval: None,
            last_save: None,
            warned_diverging: false,
            done: false,
            stopped: false,
        })
    }

    pub fn trainer(&self) -> &Trainer {
        &self.trainer
    }

    /// The trainer, for measures of one's own after the run (see [`Trainer::evaluate_each`]).
    pub fn trainer_mut(&mut self) -> &mut Trainer {
        &mut self.trainer
    }

    /// The GPU the run trains on, described (`None`: the CPU).
    fn device(&self) -> Option<String> {
        self.trainer.model().gpu().map(|g| g.describe())
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The run's own clock (seconds of training steps).
    pub fn clock(&self) -> f64 {
        self.clock
    }

    fn emit(&self, emit: &mut dyn FnMut(Event), kind: EventKind) {
        emit(Event { lane: self.config.lane, kind });
    }

    /// Announce the run (and anything odd about it).
    pub fn start(&self, emit: &mut dyn FnMut(Event)) {
        let model = self.trainer.model();
        let t = self.trainer.config();
        let threads = self.trainer.threads().count();
        let info = RunInfo {
            label: self.config.label.clone(),
            model: model.kind(),
            config: model.config(),
            parameters: model.store().layout().len(),
            corpus: self.trainer.data().name.clone(),
            train_tokens: self.trainer.data().train.len(),
            vocab_size: self.trainer.data().vocab.len(),
            threads,
            processes: self.trainer.processes(),
            device: self.device(),
            batch_size: t.batch_size,
            seq_len: t.seq_len,
            from_step: self.trainer.steps_done(),
            budget: self.config.budget,
            critical_path: self.work_span.critical_path,
            work: self.work_span.work,
            span: self.work_span.span,
            peak_gflops: self.config.peak_gflops,
            store_bytes: model.config().store_bytes(),
            activation_bytes: match model.gpu() {
                None => model.config().activation_bytes(t.batch_size.div_ceil(t.micro_batches), t.seq_len, threads),
                Some(_) => model.config().device_activation_bytes(t.batch_size.div_ceil(t.micro_batches), t.seq_len),
            },
        };
        self.emit(emit, EventKind::Start(info));
        self.warn_if_oversubscribed(threads, emit);
    }

    fn warn_if_oversubscribed(&self, threads: usize, emit: &mut dyn FnMut(Event)) {
        let cores = Threads::available();
        if threads > cores {
            let text = format!(
                "{} runs on {threads} threads but this machine has {cores} cores; its threads share cores, so its speed says little",
                self.config.label
            );
            self.emit(emit, EventKind::Warning { text });
        }
    }

    /// Train to the budget (evaluating, sampling and saving as configured); the final result.
    pub fn run_to_end(&mut self, emit: &mut dyn FnMut(Event)) -> Result<RunResult> {
        self.run_until(&AtomicBool::new(false), emit)
    }

    /// [`Self::run_to_end`], unless `interrupted` turns true first (a Ctrl-C): then the run ends
    /// after the step in progress, checkpointed as it stands if it saves at all, so that
    /// `--resume` goes on from there; the result says `stopped`.
    pub fn run_until(&mut self, interrupted: &AtomicBool, emit: &mut dyn FnMut(Event)) -> Result<RunResult> {
        self.start(emit);
        if self.config.budget.spent(0, 0, 0.0) {
            self.finish(emit)?;
        }
        while !self.done {
            if interrupted.load(Ordering::Relaxed) {
                if self.steps > 0 && self.last_save != Some(self.trainer.steps_done()) {
                    self.save(emit)?;
                }
                self.stop(emit);
                break;
            }
            self.step(emit)?;
        }
        Ok(self.result())
    }

    /// One training step, then whatever is due: a validation, a sample, a checkpoint, the end.
    pub fn step(&mut self, emit: &mut dyn FnMut(Event)) -> Result<()> {
        assert!(!self.done, "a finished run takes no more steps");
        let r = self.trainer.step();
        if !(r.loss.is_finite() && r.grad_norm.is_finite()) {
            return Err(Error::Training {
                step: r.step,
                problem: format!("the loss is {} and the gradient norm {}", r.loss, r.grad_norm),
                hint: format!(
                    "the weights stopped being numbers: lower the learning rate (now {}), add --warmup, or check the starting vectors; nothing was saved from this step on",
                    r.lr
                ),
            });
        }
        self.clock += r.seconds;
        self.tokens += r.tokens as u64;
        self.steps += 1;
        self.speed.record(r.seconds);
        if let Some(d) = r.device {
            self.dispatches = Some(d.dispatches);
            if let Some(s) = d.gpu_seconds {
                self.gpu_time.record(s);
            }
        }
        if self.losses.len() == LOSS_TAIL {
            self.losses.pop_front();
        }
        self.losses.push_back(r.loss);
        self.sequential_share = self.trainer.model().chain_seconds() / r.seconds;
        let tokens_per_s = self.speed.tokens_per_s();
        let gflops = tokens_per_s * self.flops_per_token / 1e9;
        let metrics = StepMetrics {
            step: r.step,
            loss: r.loss,
            lr: r.lr,
            grad_norm: r.grad_norm,
            threads: self.trainer.threads().count(),
            tokens: self.tokens,
            seconds: self.clock,
            step_seconds: r.seconds,
            tokens_per_s,
            gflops,
            peak_share: self.config.peak_gflops.map(|p| gflops / p),
            sequential_share: self.sequential_share,
            device: r.device,
            sync_seconds: r.sync_seconds,
        };
        self.emit(emit, EventKind::Step(metrics));
        self.warn_if_diverging(r.step, r.loss, r.lr, emit);
        let every = |n: u64| n > 0 && r.step.is_multiple_of(n);
        if every(self.config.eval_every) {
            self.evaluate(emit);
        }
        if every(self.config.sample_every) {
            self.sample(emit);
        }
        if every(self.config.save_every) {
            self.save(emit)?;
        }
        if self.config.budget.spent(self.steps, self.tokens, self.clock) {
            self.finish(emit)?;
        }
        Ok(())
    }

    /// Say once when the loss has gone far above guessing every word alike (ln V, where every
    /// model starts): the numbers still print, but they are those of a run blowing up, most
    /// often from a learning rate set too high.
    fn warn_if_diverging(&mut self, step: u64, loss: f32, lr: f32, emit: &mut dyn FnMut(Event)) {
        let guessing = (self.trainer.data().vocab.len() as f32).ln();
        if self.warned_diverging || loss <= 2.0 * guessing {
            return;
        }
        self.warned_diverging = true;
        let peak = self.trainer.config().optimizer.lr;
        let text = format!(
            "{}: loss {loss:.3} at step {step}, far above the {guessing:.3} of guessing every word alike: training is diverging; lower the learning rate ({peak}, {lr} at this step) or warm it up",
            self.config.label
        );
        self.emit(emit, EventKind::Warning { text });
    }

    /// The budget is spent: a last validation (unless this step had one), a last checkpoint,
    /// and the result.
    fn finish(&mut self, emit: &mut dyn FnMut(Event)) -> Result<()> {
        let step = self.trainer.steps_done();
        if self.last_eval.is_none_or(|(s, _)| s != step) {
            self.evaluate(emit);
        }
        if self.last_save != Some(step) {
            self.save(emit)?;
        }
        self.done = true;
        self.emit(emit, EventKind::Done(self.result()));
        Ok(())
    }

    /// End the run now, as it stands (no last validation, so a stop is immediate).
    pub fn stop(&mut self, emit: &mut dyn FnMut(Event)) {
        if !self.done {
            (self.done, self.stopped) = (true, true);
            self.emit(emit, EventKind::Done(self.result()));
        }
    }

    /// Validate now.
    pub fn evaluate(&mut self, emit: &mut dyn FnMut(Event)) -> EvalReport {
        let report = self.trainer.evaluate();
        let step = self.trainer.steps_done();
        self.last_eval = Some((step, report));
        self.emit(emit, EventKind::Eval(EvalMetrics { step, seconds: self.clock, report }));
        report
    }

    fn save(&mut self, emit: &mut dyn FnMut(Event)) -> Result<()> {
        let Some(path) = self.config.save.clone() else { return Ok(()) };
        let step = self.trainer.steps_done();
        self.trainer.checkpoint().save(&path)?;
        self.last_save = Some(step);
        self.emit(emit, EventKind::Saved { step, path });
        Ok(())
    }

    /// The checkpoint this run has written, if it has written one.
    pub fn saved(&self) -> Option<&std::path::Path> {
        self.last_save.and(self.config.save.as_deref())
    }

    /// The inspector, holding the trainer's current weights.
    fn inspector(&mut self) -> &mut dyn LanguageModel {
        let trainer = &self.trainer;
        let inspector = self.inspector.get_or_insert_with(|| trainer.model().config().spec().build(0));
        inspector.store_mut().copy_values_from(trainer.model().store());
        inspector.as_mut()
    }

    fn sample(&mut self, emit: &mut dyn FnMut(Event)) {
        let step = self.trainer.steps_done();
        let (prompt, exec) = (self.prompt.clone(), self.trainer.threads().exec());
        let data = self.trainer.data().clone();
        let model = self.inspector();
        let probs = predict::next_probs(model, &prompt, exec);
        let next = predict::top_k(&probs, &data.vocab, 5);
        let sample = Sample {
            step,
            prompt: prompt.iter().map(|&t| data.vocab.word(t).to_string()).collect(),
            next,
            trace: model.read_trace(),
        };
        self.emit(emit, EventKind::Sample(sample));
    }

    /// The `k` most likely words after `prompt`, by the model as it stands.
    pub fn predict(&mut self, prompt: &str, k: usize) -> Result<Vec<Prediction>> {
        let data = self.trainer.data().clone();
        let ids = predict::encode_prompt(&data.vocab, prompt)?;
        let exec = self.trainer.threads().exec();
        let probs = predict::next_probs(self.inspector(), &ids, exec);
        Ok(predict::top_k(&probs, &data.vocab, k))
    }

    /// Sample after another prompt from now on.
    pub fn set_prompt(&mut self, text: &str) -> Result<()> {
        self.prompt = predict::encode_prompt(&self.trainer.data().vocab, text)?;
        self.config.prompt = text.to_string();
        Ok(())
    }

    /// Train on other threads from the next step; the speed figures start afresh.
    pub fn set_threads(&mut self, threads: Threads, peak_gflops: Option<f64>, emit: &mut dyn FnMut(Event)) {
        self.warn_if_oversubscribed(threads.count(), emit);
        self.trainer.set_threads(threads);
        self.config.peak_gflops = peak_gflops;
        self.speed.reset();
        self.gpu_time.reset();
    }

    /// The run's numbers as they stand.
    pub fn result(&self) -> RunResult {
        let mut speed = self.speed.clone();
        let tokens_per_s = speed.tokens_per_s();
        let gflops = tokens_per_s * self.flops_per_token / 1e9;
        let model = self.trainer.model();
        RunResult {
            label: self.config.label.clone(),
            model: model.kind(),
            parameters: model.store().layout().len(),
            threads: self.trainer.threads().count(),
            device: self.device(),
            dispatches: self.dispatches,
            gpu_step_seconds: self.gpu_time.clone().step_seconds(),
            steps: self.steps,
            last_step: self.trainer.steps_done(),
            tokens: self.tokens,
            seconds: self.clock,
            train_loss: (!self.losses.is_empty()).then(|| self.losses.iter().sum::<f32>() / self.losses.len() as f32),
            eval: self.last_eval.map(|(_, e)| e),
            tokens_per_s,
            step_seconds: speed.step_seconds(),
            gflops,
            peak_share: self.config.peak_gflops.map(|p| gflops / p),
            critical_path: self.work_span.critical_path,
            work: self.work_span.work,
            span: self.work_span.span,
            sequential_share: self.sequential_share,
            stopped: self.stopped,
        }
    }
}
