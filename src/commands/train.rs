//! `sideways train`: train one model, with evaluations and checkpoints, or resume a run.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use crate::data::{Corpus, DataConfig, Dataset};
use crate::embed::vectors::WordVectors;
use crate::error::{Error, Result};
use crate::gpu::{self, GpuChoice};
use crate::linalg::Threads;
use crate::model::{self, ModelConfig, ModelKind, SizeOverrides};
use crate::train::{
    Budget, Checkpoint, Event, EventKind, GradientSync, LrSchedule, Run, RunConfig, RunResult, TrainConfig, Trainer,
};

/// What to train, on what, for how long.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// The architecture (with `resume`, the checkpoint's).
    pub model: Option<ModelKind>,
    /// A text file or folder of .txt files (`None`: the embedded default corpus).
    pub corpus: Option<PathBuf>,
    pub data: DataConfig,
    pub sizes: SizeOverrides,
    pub train: TrainConfig,
    pub threads: usize,
    /// Train on this GPU (`None`: on `threads` CPU threads).
    pub device: Option<GpuChoice>,
    /// Train until this many steps are done in total (a resumed run counts its earlier ones).
    pub steps: u64,
    /// Validate every this many steps (0: only at the end).
    pub eval_every: u64,
    /// Write a checkpoint here at the end (and every `save_every` steps); a resumed run saves
    /// back to its checkpoint unless this is given.
    pub save: Option<PathBuf>,
    pub save_every: u64,
    /// Continue the run saved in this checkpoint (its model, data and training configuration
    /// are the checkpoint's; `model`, `data`, `sizes`, `train` and `embeddings` are not used).
    pub resume: Option<PathBuf>,
    /// Start the embedding table from these word vectors.
    pub embeddings: Option<PathBuf>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            model: None,
            corpus: None,
            data: DataConfig::default(),
            sizes: SizeOverrides::default(),
            train: TrainConfig::default(),
            threads: Threads::available(),
            device: None,
            steps: 300,
            eval_every: 0,
            save: None,
            save_every: 0,
            resume: None,
            embeddings: None,
        }
    }
}

/// What a training run did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainResult {
    #[serde(flatten)]
    pub run: RunResult,
    /// The checkpoint written (at the end, or where the run was stopped), if any.
    pub saved: Option<PathBuf>,
}

/// Train as `o` says, reporting events to `emit`.
pub fn train(o: &TrainOptions, emit: &mut dyn FnMut(Event)) -> Result<TrainResult> {
    train_shared(o, None, &AtomicBool::new(false), emit)
}

/// [`train`], ending early, checkpointed if `o` saves, once `interrupted` turns true (the
/// command line sets it on Ctrl-C): the result's `stopped` says so.
pub fn train_until(o: &TrainOptions, interrupted: &AtomicBool, emit: &mut dyn FnMut(Event)) -> Result<TrainResult> {
    train_shared(o, None, interrupted, emit)
}

/// Train as `o` says, sharing every step with the processes of `sync` when given (data
/// parallelism: each process runs this with the same options; only process 0 writes
/// checkpoints).
pub fn train_shared(
    o: &TrainOptions,
    sync: Option<Box<dyn GradientSync>>,
    interrupted: &AtomicBool,
    emit: &mut dyn FnMut(Event),
) -> Result<TrainResult> {
    let writer = sync.as_ref().is_none_or(|s| s.rank() == 0);
    // A GPU run drives the device from one host thread.
    let (threads, gpu) = match o.device {
        None => (Threads::new(o.threads)?, None),
        Some(choice) => (Threads::new(1)?, Some(gpu::open(choice)?)),
    };
    if let Some(g) = gpu.as_ref().filter(|g| g.is_software()) {
        let text = format!(
            "gpu:{} is {}: a driver that runs the kernels on this CPU, far slower than `--device cpu` (its validation can take minutes); it is here to check the GPU code, not to train",
            g.index(),
            g.describe()
        );
        emit(Event { lane: 0, kind: EventKind::Warning { text } });
    }
    // A checkpoint that cannot be written is found now, not after the training.
    if let Some(path) = o.save.as_ref().filter(|_| writer) {
        crate::fsio::check_replaceable(path, &crate::train::CHECKPOINT_FILE)?;
    }
    let corpus = Corpus::from_option(o.corpus.as_deref())?;
    let trainer = match &o.resume {
        Some(_) if o.embeddings.is_some() || o.train.freeze_embeddings => {
            let hint = "a resumed run keeps its own embeddings; leave out --embeddings / --freeze-embeddings";
            return Err(Error::config("--embeddings", "with --resume", hint));
        }
        Some(path) => {
            let trainer = Trainer::resume_on(&Checkpoint::load(path)?, &corpus, threads, gpu.as_ref())?;
            if let LrSchedule::WarmupCosine { total, min_ratio, .. } = trainer.config().schedule {
                if o.steps > total {
                    let text = format!(
                        "the learning-rate schedule decays over the {total} steps its first run was given; steps after it keep the final rate ({min_ratio} × lr)"
                    );
                    emit(Event { lane: 0, kind: EventKind::Note { text } });
                }
            }
            trainer
        }
        None => {
            let hint = format!("say which model to train: {}", ModelKind::choices());
            let kind = o.model.ok_or_else(|| Error::config("model", "none", hint))?;
            let data = Dataset::new(&corpus, o.data)?;
            if let Some(text) = super::small_vocabulary(&data, o.data.vocab.max_size) {
                emit(Event { lane: 0, kind: EventKind::Note { text } });
            }
            let config = ModelConfig::new(kind, data.vocab.len(), &o.sizes, o.train.seq_len);
            let mut model = match &gpu {
                None => config.build(o.train.seed)?,
                Some(g) => config.build_gpu(o.train.seed, g)?,
            };
            if let Some(path) = &o.embeddings {
                let vectors = WordVectors::open(path)?;
                let found = model::load_embeddings(model.as_mut(), &data.vocab, &vectors)?;
                let text = format!(
                    "embeddings: {found} of {} words start from {}; {} keep the model's own random init",
                    data.vocab.len(),
                    path.display(),
                    data.vocab.len() - found
                );
                emit(Event { lane: 0, kind: EventKind::Note { text } });
            }
            Trainer::new(model, std::sync::Arc::new(data), o.train, threads)?
        }
    };
    let mut trainer = trainer;
    if let Some(sync) = sync {
        trainer.share_steps(sync)?;
    }
    let save = o.save.clone().or_else(|| o.resume.clone()).filter(|_| writer);
    let budget = Budget::Steps(o.steps.saturating_sub(trainer.steps_done()));
    let config = RunConfig {
        eval_every: o.eval_every,
        save: save.clone(),
        save_every: o.save_every,
        ..RunConfig::new(trainer.model().kind().name(), budget)
    };
    let mut run = Run::new(trainer, config)?;
    let result = run.run_until(interrupted, emit)?;
    Ok(TrainResult { run: result, saved: run.saved().map(Into::into) })
}
