//! The race: lanes (a model on some threads) train on the same data, batches, seed, optimizer
//! and starting embeddings, and report one stream of [`Event`]s.
//!
//! **Fair timing on a small machine.** Lanes take turns: one lane runs one whole step on its
//! own thread pool while the others wait, and each lane is timed on its own clock (the sum of
//! its step times). So a lane never shares the cores with another lane, and its tokens/s in a
//! race matches what it gets alone (tested to within 15%). A turn lasts at least [`TURN_STEPS`]
//! steps and [`TURN`] of the lane's clock: the first step after other lanes' turns finds the
//! caches full of their data (a Transformer step streams tens of megabytes) and its idle
//! threads' cores asleep; it measured 6–17% slow for a 4 ms RNN step, and 10% for a 2-thread
//! Transformer behind three other lanes. With several steps per turn the median step is warm. The price: a race
//! of four lanes with a 30 s budget takes about two minutes of wall time, and the lanes are
//! compared on their clocks, not on the wall clock.

mod spec;

pub use spec::{parse_lanes, Budget, LaneSpec};

use std::sync::mpsc::{channel, Receiver, Sender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;

use serde::Serialize;

use crate::data::Dataset;
use crate::embed::vectors::WordVectors;
use crate::error::{Error, Result};
use crate::linalg::{peak, Threads};
use crate::model::{self, LanguageModel, ModelConfig, ModelKind, SizeOverrides};
use crate::predict;
use crate::train::{Control, Event, StepEvent, TrainConfig, Trainer};

/// Steps excluded from the tokens/s figure while caches and thread pools warm up.
pub const WARMUP_STEPS: usize = 3;
/// Steps in the moving median of tokens/s.
const SMOOTHING: usize = 10;
/// The shortest turn of a lane, on its own clock.
pub const TURN: f64 = 0.020;
/// The fewest steps in a turn.
pub const TURN_STEPS: u64 = 3;

/// A race, ready to run.
#[derive(Clone)]
pub struct Race {
    pub lanes: Vec<LaneSpec>,
    pub data: Arc<Dataset>,
    pub train: TrainConfig,
    pub budget: Budget,
    /// Sizes of the models (the standard ones unless changed); the Transformer's context follows
    /// the sequence length.
    pub sizes: SizeOverrides,
    /// Give every lane the same starting embeddings.
    pub embeddings: Option<Arc<WordVectors>>,
    /// Validate every this many steps of a lane (0: only at the end).
    pub eval_every: u64,
    /// Report predictions and attention/hidden-state maps every this many steps (0: never).
    pub sample_every: u64,
    pub prompt: String,
}

/// A lane's final numbers.
#[derive(Clone, Debug, Serialize)]
pub struct LaneResult {
    pub label: String,
    pub model: ModelKind,
    pub threads: usize,
    pub steps: u64,
    pub tokens: u64,
    /// The lane's own clock.
    pub seconds: f64,
    /// Mean training loss over its last 10 steps.
    pub train_loss: f32,
    pub val_loss: f32,
    /// Tokens/s at the median step time of all steps after warm-up.
    pub tokens_per_s: f64,
    /// Over the same model's 1-thread lane, when the race has one.
    pub speedup: Option<f64>,
    pub gflops: f64,
    pub peak_share: f64,
    pub critical_path: usize,
    /// Share of step time in the sequential recurrence.
    pub sequential_share: f64,
}

impl Race {
    /// A race of `lanes` on `data` with the standard training configuration.
    pub fn new(lanes: Vec<LaneSpec>, data: Arc<Dataset>, budget: Budget) -> Self {
        Race {
            lanes,
            data,
            train: TrainConfig::default(),
            budget,
            sizes: SizeOverrides::default(),
            embeddings: None,
            eval_every: 0,
            sample_every: 0,
            prompt: "i ate a good".into(),
        }
    }

    fn model_config(&self, kind: ModelKind) -> ModelConfig {
        let sizes = SizeOverrides { context_len: self.sizes.context_len.or(Some(self.train.seq_len)), ..self.sizes };
        ModelConfig::with_overrides(kind, self.data.vocab.len(), sizes)
    }

    /// Run every lane to its budget, sending events to `emit`; returns the lanes' results.
    pub fn run(&self, emit: &mut dyn FnMut(Event)) -> Result<Vec<LaneResult>> {
        let (_keep, controls) = channel();
        self.run_controlled(emit, &controls)
    }

    /// [`Race::run`], obeying [`Control`] messages between turns.
    pub fn run_controlled(&self, emit: &mut dyn FnMut(Event), controls: &Receiver<Control>) -> Result<Vec<LaneResult>> {
        if self.budget.spent(0, 0, 0.0) {
            return Err(Error::config("budget", format!("{:?}", self.budget), "give a budget above zero"));
        }
        let mut prompt = predict::encode_prompt(&self.data.vocab, &self.prompt)?;
        let mut lanes =
            self.lanes.iter().enumerate().map(|(i, spec)| Lane::new(i, *spec, self)).collect::<Result<Vec<_>>>()?;
        for lane in &lanes {
            emit(lane.start_event());
        }
        let mut stopped = false;
        while !stopped && lanes.iter().any(|l| !l.done) {
            for i in 0..lanes.len() {
                let (turn_start, first_step) = (lanes[i].clock, lanes[i].trainer.steps_done());
                loop {
                    // Controls take effect before the next step; a pause holds every clock.
                    stopped |= obey(controls, &mut lanes, &mut prompt, &self.data);
                    let lane = &mut lanes[i];
                    let turn_over =
                        lane.clock - turn_start >= TURN && lane.trainer.steps_done() - first_step >= TURN_STEPS;
                    if stopped || lane.done || turn_over {
                        break;
                    }
                    emit(Event::Step(lane.step()));
                    let step = lane.trainer.steps_done();
                    if self.eval_every > 0 && step % self.eval_every == 0 {
                        emit(lane.evaluate());
                    }
                    if self.sample_every > 0 && step % self.sample_every == 0 {
                        emit(lane.sample(&prompt, &self.data));
                    }
                    if self.budget.spent(step, lane.tokens, lane.clock) {
                        lane.done = true;
                        if self.eval_every == 0 || step % self.eval_every != 0 {
                            emit(lane.evaluate());
                        }
                        emit(Event::LaneDone {
                            lane: lane.index,
                            steps: step,
                            tokens: lane.tokens,
                            seconds: lane.clock,
                        });
                    }
                }
                if stopped {
                    break;
                }
            }
        }
        for lane in lanes.iter_mut().filter(|l| !l.done) {
            // Stopped early: report the lanes as they stand (no last validation pass, so a
            // stop is immediate).
            lane.done = true;
            emit(Event::LaneDone {
                lane: lane.index,
                steps: lane.trainer.steps_done(),
                tokens: lane.tokens,
                seconds: lane.clock,
            });
        }
        let mut results: Vec<LaneResult> = lanes.iter().map(Lane::result).collect();
        let baselines: Vec<(ModelKind, f64)> = results
            .iter()
            .filter(|r| r.threads == 1 && r.tokens_per_s > 0.0)
            .map(|r| (r.model, r.tokens_per_s))
            .collect();
        for r in &mut results {
            r.speedup = baselines.iter().find(|(m, _)| *m == r.model).map(|(_, base)| r.tokens_per_s / base);
        }
        Ok(results)
    }

    /// Run on a thread of its own; events arrive on the returned receiver as they happen.
    pub fn spawn(self) -> (JoinHandle<Result<Vec<LaneResult>>>, Receiver<Event>) {
        let (handle, events, _controls) = self.spawn_controlled();
        (handle, events)
    }

    /// [`Race::spawn`], with a sender for [`Control`] messages (pause, threads, prompt, stop).
    pub fn spawn_controlled(self) -> (JoinHandle<Result<Vec<LaneResult>>>, Receiver<Event>, Sender<Control>) {
        let (tx, rx) = channel();
        let (ctx, crx) = channel();
        let handle = std::thread::spawn(move || {
            // A front end that stopped listening does not stop the race.
            self.run_controlled(&mut |e| drop(tx.send(e)), &crx)
        });
        (handle, rx, ctx)
    }
}

/// Apply the controls waiting in `controls`; while paused, wait for the next one. Returns
/// whether the race must stop.
fn obey(controls: &Receiver<Control>, lanes: &mut [Lane], prompt: &mut Vec<u32>, data: &Dataset) -> bool {
    let mut paused = false;
    loop {
        let next = if paused { controls.recv().map_err(|_| TryRecvError::Disconnected) } else { controls.try_recv() };
        match next {
            Ok(Control::Pause) => paused = true,
            Ok(Control::Resume) => paused = false,
            Ok(Control::Stop) => return true,
            Ok(Control::SetThreads { lane, threads }) => {
                if let (Some(l), Ok(t)) = (lanes.get_mut(lane), Threads::new(threads)) {
                    l.set_threads(t);
                }
            }
            Ok(Control::SetPrompt(text)) => {
                if let Ok(ids) = predict::encode_prompt(&data.vocab, &text) {
                    *prompt = ids;
                }
            }
            Err(_) => return false,
        }
    }
}

/// One lane's trainer and bookkeeping.
struct Lane {
    index: usize,
    spec: LaneSpec,
    trainer: Trainer,
    /// A copy of the model for samples, so the trainer's activations are never reshaped.
    inspector: Box<dyn LanguageModel>,
    peak: f64,
    flops_per_token: f64,
    clock: f64,
    tokens: u64,
    times: Vec<f64>,
    losses: Vec<f32>,
    sequential: f64,
    val_loss: f32,
    done: bool,
}

impl Lane {
    fn new(index: usize, spec: LaneSpec, race: &Race) -> Result<Self> {
        if spec.threads > Threads::available() {
            eprintln!(
                "warning: lane {} asks for {} threads but this machine has {} cores; its threads will share cores",
                spec.label(),
                spec.threads,
                Threads::available()
            );
        }
        let threads = Threads::new(spec.threads)?;
        let config = race.model_config(spec.model);
        let mut m = model::build(&config, race.train.seed, None)?;
        if let Some(v) = &race.embeddings {
            model::load_embeddings(m.as_mut(), &race.data.vocab, v)?;
        }
        let inspector = model::build(&config, race.train.seed, None)?;
        let trainer = Trainer::new(m, race.data.clone(), race.train, threads.clone())?;
        Ok(Lane {
            index,
            spec,
            peak: peak::cached_matmul_gflops(&threads),
            flops_per_token: config.train_flops_per_token(race.train.seq_len),
            trainer,
            inspector,
            clock: 0.0,
            tokens: 0,
            times: Vec::new(),
            losses: Vec::new(),
            sequential: 0.0,
            val_loss: f32::NAN,
            done: false,
        })
    }

    fn start_event(&self) -> Event {
        let config = self.trainer.model.config();
        let ws = config.work_span(self.trainer.config.batch_size, self.trainer.config.seq_len);
        Event::LaneStart {
            lane: self.index,
            label: self.spec.label(),
            model: self.spec.model,
            threads: self.spec.threads,
            parameters: config.param_count(),
            critical_path: ws.critical_path,
            work: ws.work,
            span: ws.span,
            peak_gflops: self.peak,
        }
    }

    /// Tokens per second over the median of the last `window` steps after warm-up.
    fn tokens_per_s(&self, window: usize) -> f64 {
        // Skip the warm-up, unless the lane never got past it.
        let skip = if self.times.len() > WARMUP_STEPS { WARMUP_STEPS } else { 0 };
        let timed = &self.times[skip..];
        let recent = &timed[timed.len().saturating_sub(window)..];
        if recent.is_empty() {
            return 0.0;
        }
        let mut v = recent.to_vec();
        v.sort_by(f64::total_cmp);
        let tokens = (self.trainer.config.batch_size * self.trainer.config.seq_len) as f64;
        tokens / v[v.len() / 2]
    }

    /// Use another thread count from the next step; the speed figures start afresh.
    fn set_threads(&mut self, threads: Threads) {
        self.spec.threads = threads.count();
        self.peak = peak::cached_matmul_gflops(&threads);
        self.trainer.set_threads(threads);
        self.times.clear();
    }

    fn step(&mut self) -> StepEvent {
        let r = self.trainer.step();
        self.clock += r.seconds;
        self.tokens += r.tokens as u64;
        self.times.push(r.seconds);
        self.losses.push(r.loss);
        let sequential_share = self.trainer.model.sequential_seconds() / r.seconds;
        self.sequential = sequential_share;
        let tokens_per_s = self.tokens_per_s(SMOOTHING);
        let gflops = tokens_per_s * self.flops_per_token / 1e9;
        StepEvent {
            lane: self.index,
            step: r.step,
            threads: self.spec.threads,
            loss: r.loss,
            tokens: self.tokens,
            seconds: self.clock,
            step_seconds: r.seconds,
            tokens_per_s,
            gflops,
            peak_share: gflops / self.peak,
            sequential_share,
        }
    }

    fn evaluate(&mut self) -> Event {
        let e = self.trainer.evaluate();
        self.val_loss = e.loss;
        Event::Eval {
            lane: self.index,
            step: self.trainer.steps_done(),
            seconds: self.clock,
            val_loss: e.loss,
            perplexity: e.perplexity,
            accuracy: e.accuracy,
        }
    }

    fn sample(&mut self, prompt: &[u32], data: &Dataset) -> Event {
        self.inspector.params_and_grads().0.copy_from_slice(self.trainer.model.params());
        let par = self.trainer.threads().par();
        let probs = predict::next_probs(self.inspector.as_mut(), prompt, par);
        let next = predict::top_k(probs, &data.vocab, 5).into_iter().map(|p| (p.word, p.prob)).collect();
        let attention = match self.inspector.config() {
            ModelConfig::Transformer(c) => Some(
                (0..c.n_layers)
                    .map(|l| (0..c.n_heads).filter_map(|h| self.inspector.attention(l, h)).collect())
                    .collect(),
            ),
            ModelConfig::Rnn(_) => None,
        };
        Event::Sample {
            lane: self.index,
            step: self.trainer.steps_done(),
            prompt: prompt.iter().map(|&t| data.vocab.word(t).to_string()).collect(),
            next,
            attention,
            hidden_norms: self.inspector.hidden_norms(),
        }
    }

    fn result(&self) -> LaneResult {
        let tail = &self.losses[self.losses.len().saturating_sub(10)..];
        let tokens_per_s = self.tokens_per_s(usize::MAX);
        let gflops = tokens_per_s * self.flops_per_token / 1e9;
        LaneResult {
            label: self.spec.label(),
            model: self.spec.model,
            threads: self.spec.threads,
            steps: self.trainer.steps_done(),
            tokens: self.tokens,
            seconds: self.clock,
            train_loss: tail.iter().sum::<f32>() / tail.len().max(1) as f32,
            val_loss: self.val_loss,
            tokens_per_s,
            speedup: None,
            gflops,
            peak_share: gflops / self.peak,
            critical_path: self.trainer.model.config().critical_path(self.trainer.config.seq_len),
            sequential_share: self.sequential,
        }
    }
}
