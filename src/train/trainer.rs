//! The training step: batch assembly, forward, loss, backward, clip, AdamW update, all timed
//! together on the wall clock (bench-config.md's definition of a step), and evaluation.

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::schedule::LrSchedule;
use super::sync::{fingerprint, share, GradientSync};
use crate::data::{eval_windows, Batcher, Dataset, SMALLER_BATCHES};
use crate::error::{Error, Result};
use crate::linalg::{machine, Exec, Threads};
use crate::model::{AdamWConfig, Buffer, LanguageModel, EMBEDDING};

/// Everything about a run except the model's sizes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub batch_size: usize,
    pub seq_len: usize,
    /// Seed of the initial weights.
    pub seed: u64,
    /// Seed of the batch order (0: the standard order of bench-config.md, see [`Batcher`]).
    pub data_seed: u64,
    pub optimizer: AdamWConfig,
    pub schedule: LrSchedule,
    /// Keep the embedding table as it started (e.g. word2vec vectors): no gradient step, no decay.
    pub freeze_embeddings: bool,
    /// Split each step's batch into this many micro-batches whose gradients add up (the same
    /// step in less memory; data-parallel training splits it across processes the same way).
    #[serde(default = "one")]
    pub micro_batches: usize,
}

fn one() -> usize {
    1
}

impl Default for TrainConfig {
    /// The standard configuration of bench-config.md.
    fn default() -> Self {
        TrainConfig {
            batch_size: 32,
            seq_len: 64,
            seed: 1337,
            data_seed: 0,
            optimizer: AdamWConfig::default(),
            schedule: LrSchedule::Constant,
            freeze_embeddings: false,
            micro_batches: 1,
        }
    }
}

impl TrainConfig {
    pub fn validate(&self) -> Result<()> {
        if self.batch_size == 0 || self.batch_size > 65_536 {
            return Err(Error::config("batch size", self.batch_size, "use 1 to 65536 (the benchmark uses 32)"));
        }
        if self.seq_len == 0 || self.seq_len > 65_536 {
            return Err(Error::config("sequence length", self.seq_len, "use 1 to 65536 (the benchmark uses 64)"));
        }
        if self.micro_batches == 0 || self.micro_batches > self.batch_size {
            return Err(Error::config(
                "micro-batches",
                self.micro_batches,
                format!("use 1 to the batch size ({})", self.batch_size),
            ));
        }
        self.optimizer.validate()
    }

    /// Predicted tokens per step.
    pub fn tokens_per_step(&self) -> usize {
        self.batch_size * self.seq_len
    }
}

/// What one training step did.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    /// 1-based number of this step.
    pub step: u64,
    /// Mean cross-entropy of the batch (nats).
    pub loss: f32,
    pub lr: f32,
    /// Global gradient norm before clipping.
    pub grad_norm: f32,
    /// Wall-clock seconds of the whole step.
    pub seconds: f64,
    /// Predicted tokens in the step (batch × sequence length).
    pub tokens: usize,
    /// What the step did on a GPU (`None` on the CPU).
    pub device: Option<DeviceStep>,
    /// Seconds of the step spent summing gradients with the other processes (data parallelism).
    pub sync_seconds: Option<f64>,
}

/// A training step on a GPU.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceStep {
    /// Kernels dispatched: the chain of dependent launches the device runs one after another.
    pub dispatches: u64,
    /// Seconds from the start of the step's first kernel to the end of its last, on the
    /// device's clock (adapters with timestamp queries).
    pub gpu_seconds: Option<f64>,
}

/// One scored prediction of the validation split.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scored {
    /// The word just read, the word that came, and the model's most likely word.
    pub previous: u32,
    pub target: u32,
    pub guess: u32,
    /// −ln p(target).
    pub loss: f32,
}

/// Validation metrics.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// Mean cross-entropy over every validation prediction (nats).
    pub val_loss: f32,
    pub perplexity: f32,
    /// Share of predictions whose most likely word is the right one.
    pub accuracy: f32,
    /// Predictions evaluated.
    pub tokens: usize,
}

/// A model and its data, advancing one step at a time.
pub struct Trainer {
    model: Box<dyn LanguageModel>,
    config: TrainConfig,
    data: Arc<Dataset>,
    batcher: Batcher,
    threads: Threads,
    inputs: Vec<u32>,
    targets: Vec<u32>,
    /// Data parallelism: the other processes, and a buffer for the gradients' sum.
    sync: Option<(Box<dyn GradientSync>, Vec<f32>)>,
    /// Seconds the last step spent clipping and applying AdamW (the profile's last row).
    update_seconds: f64,
}

impl Trainer {
    pub fn new(
        mut model: Box<dyn LanguageModel>,
        data: Arc<Dataset>,
        config: TrainConfig,
        threads: Threads,
    ) -> Result<Self> {
        config.validate()?;
        if let Some(ctx) = model.config().context_len() {
            if config.seq_len > ctx {
                return Err(Error::config(
                    "sequence length",
                    config.seq_len,
                    format!("the model's context is {ctx}; use --seq-len ≤ {ctx} or a larger --context"),
                ));
            }
        }
        if model.config().vocab_size() != data.vocab.len() {
            return Err(Error::config(
                "vocab size",
                model.config().vocab_size(),
                format!("the data has {} words; build the model from the data's vocabulary", data.vocab.len()),
            ));
        }
        let need = config.batch_size * config.seq_len + 1;
        if data.train.len() < need {
            return Err(Error::corpus(
                &data.name,
                format!("its training split has {} tokens, fewer than one batch needs ({need})", data.train.len()),
                SMALLER_BATCHES,
            ));
        }
        let batcher = Batcher::new(data.train.len(), config.batch_size, config.seq_len, config.data_seed)?;
        if eval_windows(data.val.len(), config.seq_len) == 0 {
            return Err(Error::corpus(
                &data.name,
                format!(
                    "the validation split ({} tokens) holds no window of {} tokens",
                    data.val.len(),
                    config.seq_len
                ),
                "use a larger corpus or a shorter --seq-len",
            ));
        }
        let rows = config.batch_size.div_ceil(config.micro_batches);
        let what = format!("training on {rows} windows of {} tokens at a time", config.seq_len);
        match model.gpu() {
            None => {
                let acts = model.config().activation_bytes(rows, config.seq_len, threads.count());
                machine::ensure_memory(what, acts, "use a smaller --batch-size or --seq-len, or more --micro-batches")?
            }
            Some(gpu) => {
                let c = model.config();
                let (total, largest) =
                    (c.device_activation_bytes(rows, config.seq_len), c.largest_activation_bytes(rows, config.seq_len));
                gpu.ensure_fits(&what, total, largest)?;
                gpu.allocating(&what, || model.reserve(rows, config.seq_len))?
            }
        }
        model.store_mut().set_frozen(config.freeze_embeddings.then_some(EMBEDDING))?;
        let n = config.tokens_per_step();
        Ok(Trainer {
            model,
            config,
            data,
            batcher,
            threads,
            inputs: vec![0; n],
            targets: vec![0; n],
            sync: None,
            update_seconds: 0.0,
        })
    }

    /// Seconds the last step spent clipping the gradients and applying AdamW (on a device: in
    /// recording that work).
    pub fn update_seconds(&self) -> f64 {
        self.update_seconds
    }

    /// Number of steps completed (a resumed run counts the earlier ones).
    pub fn steps_done(&self) -> u64 {
        self.model.store().steps()
    }

    pub fn model(&self) -> &dyn LanguageModel {
        self.model.as_ref()
    }

    /// Run `f` on the model with the trainer's threads (for measures of one's own).
    pub fn with_model<R: Send>(&mut self, f: impl FnOnce(&mut dyn LanguageModel, Exec) -> R + Send) -> R {
        let model = self.model.as_mut();
        self.threads.install(|exec| f(model, exec))
    }

    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    pub fn data(&self) -> &Arc<Dataset> {
        &self.data
    }

    pub fn threads(&self) -> &Threads {
        &self.threads
    }

    /// Use another thread count from the next step on.
    pub fn set_threads(&mut self, threads: Threads) {
        self.threads = threads;
    }

    /// Share every step with the other processes of `sync` (data parallelism): this process
    /// trains on its share of each batch's windows and the gradients are summed before the
    /// update. First checks that every process starts from the same configuration, vocabulary
    /// and weights.
    pub fn share_steps(&mut self, mut sync: Box<dyn GradientSync>) -> Result<()> {
        let config = serde_json::to_vec(&self.config).expect("a training configuration serialises");
        let words = self.data.vocab.words().join("\n");
        let values = self.model.store().to_vec(Buffer::Values);
        let values: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        sync.agree(fingerprint(&[&config, words.as_bytes(), &values]))?;
        let grads = vec![0.0; self.model.store().layout().len()];
        self.sync = Some((sync, grads));
        Ok(())
    }

    /// The number of processes sharing each step (1 without data parallelism).
    pub fn processes(&self) -> usize {
        self.sync.as_ref().map_or(1, |s| s.0.size())
    }

    /// Run one training step.
    pub fn step(&mut self) -> StepReport {
        let start = Instant::now();
        let step = self.steps_done() + 1;
        let (b, t, parts) = (self.config.batch_size, self.config.seq_len, self.config.micro_batches);
        self.batcher.fill(&self.data.train, step, &mut self.inputs, &mut self.targets);
        let lr = self.config.schedule.at(step, self.config.optimizer.lr);
        let (model, optimizer) = (&mut self.model, &self.config.optimizer);
        let (inputs, targets) = (&self.inputs, &self.targets);
        let gpu = model.gpu();
        let dispatched = gpu.as_ref().map(|g| {
            g.start_timer();
            g.dispatches()
        });
        // With data parallelism this process trains on its share of the windows; each window's
        // gradient still carries the weight 1/b of the whole batch, so the shares add up.
        let (first, end) = match &self.sync {
            Some((s, _)) => share(b, s.rank(), s.size()),
            None => (0, b),
        };
        let whole = parts == 1 && end - first == b;
        let sync = &mut self.sync;
        // One pass on the pool per step, the gradient sum included (MPI is started for calls
        // from any one thread at a time).
        let (loss, grad_norm, sync_seconds, update_seconds) = self.threads.install(|exec| {
            model.store_mut().zero_grad();
            let mut loss = 0.0f64;
            // Micro-batch k takes windows [k·n/parts, (k+1)·n/parts) of this process's n: sizes
            // differ by at most one.
            let n = end - first;
            for k in 0..parts {
                let (from, to) = (first + k * n / parts, first + (k + 1) * n / parts);
                if from == to {
                    continue;
                }
                let (rows, share) = (to - from, (to - from) as f64 / b as f64);
                let window = from * t..to * t;
                model.forward_backward(&inputs[window.clone()], &targets[window], rows, t, share as f32, exec);
                if !whole {
                    loss += model.read_loss() as f64 * share;
                }
            }
            let mut sync_seconds = None;
            if let Some((sync, grads)) = sync {
                let summing = Instant::now();
                let store = model.store_mut();
                store.read(Buffer::Grads, 0, grads);
                sync.sum(grads);
                store.write(Buffer::Grads, 0, grads);
                loss = sync.sum_f64(loss);
                sync_seconds = Some(summing.elapsed().as_secs_f64());
            }
            let updating = Instant::now();
            let store = model.store_mut();
            store.clip_grads(optimizer.clip);
            store.adamw_step(optimizer, lr, exec);
            let update_seconds = updating.elapsed().as_secs_f64();
            // Read back last: a device model runs the whole step before anything comes back.
            let loss = if whole { model.read_loss() } else { loss as f32 };
            (loss, model.store().read_grad_norm(), sync_seconds, update_seconds)
        });
        self.update_seconds = update_seconds;
        let seconds = start.elapsed().as_secs_f64();
        let device = gpu
            .zip(dispatched)
            .map(|(g, before)| DeviceStep { dispatches: g.dispatches() - before, gpu_seconds: g.stop_timer() });
        StepReport { step, loss, lr, grad_norm, seconds, tokens: b * t, device, sync_seconds }
    }

    /// Loss, perplexity and next-word accuracy over every non-overlapping validation window.
    pub fn evaluate(&mut self) -> EvalReport {
        let (mut sum, mut correct, mut n) = (0.0f64, 0usize, 0usize);
        self.evaluate_each(&mut |p| {
            sum += p.loss as f64;
            correct += usize::from(p.guess == p.target);
            n += 1;
        });
        let loss = (sum / n.max(1) as f64) as f32;
        EvalReport { val_loss: loss, perplexity: loss.exp(), accuracy: correct as f32 / n.max(1) as f32, tokens: n }
    }

    /// Every prediction of [`Trainer::evaluate`], in order, for measures of its own (the
    /// accuracy on the words after one word, say).
    pub fn evaluate_each(&mut self, visit: &mut (dyn FnMut(Scored) + Send)) {
        let (bmax, t) = (self.config.batch_size, self.config.seq_len);
        let val = &self.data.val;
        let windows = eval_windows(val.len(), t);
        let (model, inputs, targets) = (&mut self.model, &mut self.inputs, &mut self.targets);
        let mut losses = vec![0.0f32; bmax * t];
        let mut best = vec![0u32; bmax * t];
        self.threads.install(|exec| {
            for first in (0..windows).step_by(bmax) {
                let b = bmax.min(windows - first);
                for i in 0..b {
                    let start = (first + i) * t;
                    inputs[i * t..(i + 1) * t].copy_from_slice(&val[start..start + t]);
                    targets[i * t..(i + 1) * t].copy_from_slice(&val[start + 1..start + t + 1]);
                }
                let n = b * t;
                model.forward(&inputs[..n], Some(&targets[..n]), b, t, exec);
                model.read_losses(&mut losses[..n]);
                model.read_argmax(&mut best[..n]);
                for i in 0..n {
                    visit(Scored { previous: inputs[i], target: targets[i], guess: best[i], loss: losses[i] });
                }
            }
        });
    }
}
