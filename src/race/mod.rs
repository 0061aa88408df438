//! The race: lanes (a model on some threads) train on the same data, batches, seed, optimizer
//! and starting embeddings. Each lane is a [`Run`]; the race only decides whose turn it is, and
//! tags every event with its lane.
//!
//! **Fair timing on a small machine.** Lanes take turns: one lane runs whole steps on its own
//! thread pool while the others wait, and each lane is timed on its own clock (the sum of its
//! step times). So a lane never shares the cores with another lane, and its tokens/s in a race
//! matches what it gets alone. A turn lasts at least [`TURN_STEPS`] steps and [`TURN`] of the
//! lane's clock: the first step after other lanes' turns finds the caches full of their data (a
//! Transformer step streams tens of megabytes) and its idle threads' cores asleep; it measured
//! 6–17% slow for a 4 ms RNN step, and 10% for a 2-thread Transformer behind three other lanes.
//! With several steps per turn the median step is warm. The price: a race of four lanes with a
//! 30 s budget takes about two minutes of wall time, and the lanes are compared on their clocks,
//! not on the wall clock.

mod spec;

pub use spec::{parse_lanes, LaneSpec};

use std::collections::HashMap;
use std::sync::mpsc::{channel, Receiver, Sender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::embed::vectors::WordVectors;
use crate::error::{Error, Result};
use crate::gpu::{self, Gpu, GpuChoice};
use crate::linalg::{machine, Peaks, Threads};
use crate::model::{self, ModelConfig, SizeOverrides};
use crate::train::{Budget, Control, Event, Run, RunConfig, RunResult, TrainConfig, Trainer, DEFAULT_PROMPT};

/// The shortest turn of a lane, on its own clock.
pub const TURN: f64 = 0.020;
/// The fewest steps in a turn.
pub const TURN_STEPS: u64 = 3;
/// How often a race validates and samples unless told otherwise (in steps of each lane).
pub const EVAL_EVERY: u64 = 50;
pub const SAMPLE_EVERY: u64 = 10;

/// A race, ready to run.
#[derive(Clone)]
pub struct Race {
    pub lanes: Vec<LaneSpec>,
    pub data: Arc<Dataset>,
    pub train: TrainConfig,
    pub budget: Budget,
    /// Sizes of the models (the standard ones unless changed); a context follows the sequence
    /// length.
    pub sizes: SizeOverrides,
    /// Give every lane the same starting embeddings.
    pub embeddings: Option<Arc<WordVectors>>,
    /// Validate every this many steps of a lane (0: only at the end).
    pub eval_every: u64,
    /// Report predictions and how the prompt was read every this many steps (0: never).
    pub sample_every: u64,
    pub prompt: String,
    /// Measured matrix-product peaks by thread count (a lane on an unmeasured count reports no
    /// share of peak).
    pub peaks: Peaks,
}

/// A lane's final numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaneResult {
    #[serde(flatten)]
    pub run: RunResult,
    /// Tokens/s over the same model's 1-thread lane, when the race has one.
    pub speedup: Option<f64>,
}

/// Each run's speed-up over the first 1-thread run of the same model, if there is one.
pub fn speedups(runs: &[RunResult]) -> Vec<Option<f64>> {
    let base = |r: &RunResult| {
        runs.iter().find(|b| b.model == r.model && b.threads == 1 && b.device.is_none() && b.tokens_per_s > 0.0)
    };
    runs.iter().map(|r| base(r).map(|b| r.tokens_per_s / b.tokens_per_s)).collect()
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
            eval_every: EVAL_EVERY,
            sample_every: SAMPLE_EVERY,
            prompt: DEFAULT_PROMPT.into(),
            peaks: Peaks::default(),
        }
    }

    /// The model configuration of a lane.
    pub fn model_config(&self, lane: &LaneSpec) -> ModelConfig {
        ModelConfig::new(lane.model, self.data.vocab.len(), &self.sizes, self.train.seq_len)
    }

    /// Refuse a race whose lanes together would not fit in memory: each holds a model (and a
    /// copy of it for samples) and its activations. A GPU lane holds only the copy here; the
    /// device refuses what it cannot hold when the lane is built.
    fn ensure_memory(&self) -> Result<()> {
        let per_lane = |l: &LaneSpec| {
            let c = self.model_config(l);
            let (b, t) = (self.train.batch_size.div_ceil(self.train.micro_batches), self.train.seq_len);
            match l.gpu {
                None => 2 * c.store_bytes() + c.activation_bytes(b, t, l.threads),
                Some(_) => c.store_bytes(),
            }
        };
        let total = self.lanes.iter().map(per_lane).fold(0u64, u64::saturating_add);
        let what = format!("a race of {} lanes", self.lanes.len());
        machine::ensure_memory(what, total, "race fewer lanes, or use a smaller --batch-size or --seq-len")
    }

    /// Open each GPU the lanes ask for, once: lane `i` trains on `gpus[i]` (`None`: CPU).
    fn open_gpus(&self) -> Result<Vec<Option<Arc<Gpu>>>> {
        if self.lanes.iter().all(|l| l.gpu.is_none()) {
            return Ok(vec![None; self.lanes.len()]);
        }
        let found = gpu::adapters();
        let mut opened: HashMap<usize, Arc<Gpu>> = HashMap::new();
        let mut open = |choice: GpuChoice| -> Result<Arc<Gpu>> {
            let index = choice.resolve(&found)?;
            if let Some(g) = opened.get(&index) {
                return Ok(g.clone());
            }
            let g = Gpu::open(index)?;
            opened.insert(index, g.clone());
            Ok(g)
        };
        self.lanes.iter().map(|l| l.gpu.map(&mut open).transpose()).collect()
    }

    /// The run of lane `i`, on `gpu` if it has one.
    fn lane(&self, i: usize, gpu: Option<&Arc<Gpu>>) -> Result<Run> {
        let spec = &self.lanes[i];
        let config = self.model_config(spec);
        let mut m = match gpu {
            None => config.build(self.train.seed)?,
            Some(g) => config.build_gpu(self.train.seed, g)?,
        };
        if let Some(v) = &self.embeddings {
            model::load_embeddings(m.as_mut(), &self.data.vocab, v)?;
        }
        let trainer = Trainer::new(m, self.data.clone(), self.train, Threads::new(spec.threads)?)?;
        let config = RunConfig {
            lane: i,
            eval_every: self.eval_every,
            sample_every: self.sample_every,
            prompt: self.prompt.clone(),
            // A GPU lane's peak is not the CPU's.
            peak_gflops: if spec.gpu.is_some() { None } else { self.peaks.get(spec.threads) },
            ..RunConfig::new(spec.label(), self.budget)
        };
        Run::new(trainer, config)
    }

    /// Run every lane to its budget, sending events to `emit`; returns the lanes' results.
    pub fn run(&self, emit: &mut dyn FnMut(Event)) -> Result<Vec<LaneResult>> {
        let (_keep, controls) = channel();
        self.run_controlled(emit, &controls)
    }

    /// [`Race::run`], obeying [`Control`] messages between steps.
    pub fn run_controlled(&self, emit: &mut dyn FnMut(Event), controls: &Receiver<Control>) -> Result<Vec<LaneResult>> {
        if self.lanes.is_empty() {
            return Err(Error::config("lanes", "none", "give at least one lane, e.g. rnn@1,transformer@1"));
        }
        self.ensure_memory()?;
        let gpus = self.open_gpus()?;
        let mut runs = gpus.iter().enumerate().map(|(i, g)| self.lane(i, g.as_ref())).collect::<Result<Vec<_>>>()?;
        for run in &runs {
            run.start(emit);
        }
        let mut stopped = false;
        while !stopped && runs.iter().any(|r| !r.is_done()) {
            for i in 0..runs.len() {
                let (turn_start, first_step) = (runs[i].clock(), runs[i].trainer().steps_done());
                loop {
                    // Controls take effect before the next step; a pause holds every clock.
                    stopped |= self.obey(controls, &mut runs, emit);
                    let run = &runs[i];
                    let turn_over =
                        run.clock() - turn_start >= TURN && run.trainer().steps_done() - first_step >= TURN_STEPS;
                    if stopped || run.is_done() || turn_over {
                        break;
                    }
                    runs[i].step(emit)?;
                }
                if stopped {
                    break;
                }
            }
        }
        for run in &mut runs {
            run.stop(emit);
        }
        let results: Vec<RunResult> = runs.iter().map(Run::result).collect();
        let speedups = speedups(&results);
        Ok(results.into_iter().zip(speedups).map(|(run, speedup)| LaneResult { run, speedup }).collect())
    }

    /// Apply the controls waiting in `controls`; while paused, wait for the next one. Returns
    /// whether the race must stop.
    fn obey(&self, controls: &Receiver<Control>, runs: &mut [Run], emit: &mut dyn FnMut(Event)) -> bool {
        let mut paused = false;
        loop {
            let next =
                if paused { controls.recv().map_err(|_| TryRecvError::Disconnected) } else { controls.try_recv() };
            match next {
                Ok(Control::Pause) => paused = true,
                Ok(Control::Resume) => paused = false,
                Ok(Control::Stop) => return true,
                Ok(Control::SetThreads { lane, threads }) => {
                    if let (Some(run), Ok(t)) = (runs.get_mut(lane), Threads::new(threads)) {
                        run.set_threads(t, self.peaks.get(threads), emit);
                    }
                }
                Ok(Control::SetPrompt(text)) => {
                    // A prompt with no known word is ignored: the lanes keep the last good one.
                    for run in runs.iter_mut() {
                        let _ = run.set_prompt(&text);
                    }
                }
                Err(_) => return false,
            }
        }
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
