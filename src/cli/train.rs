//! `sideways train`: train one model, with progress, evaluation and checkpoints.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Args;

use super::args::{DataArgs, ModelArgs, RunArgs};
use super::output::{self, Progress};
use crate::commands::train::{train_until, TrainOptions};
use crate::error::Error;

#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// rnn, transformer or mingru (taken from the checkpoint with --resume)
    #[arg(long, required_unless_present = "resume")]
    pub model: Option<String>,
    /// Train until this many steps are done in total (a resumed run counts its earlier steps)
    #[arg(long, default_value_t = 300)]
    pub steps: u64,
    /// Write a checkpoint here at the end (and every --save-every steps)
    #[arg(long)]
    pub save: Option<PathBuf>,
    /// Save every N steps as well as at the end (0 = only at the end)
    #[arg(long, default_value_t = 0)]
    pub save_every: u64,
    /// Continue the run saved in this checkpoint (it is saved back there unless --save is given)
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Evaluate on the validation split every N steps (0 = only at the end)
    #[arg(long, default_value_t = 0)]
    pub eval_every: u64,
    /// Start the embedding table from these word vectors (from `sideways embed train`), aligned by word
    #[arg(long)]
    pub embeddings: Option<PathBuf>,
    /// Keep the starting embeddings fixed during training
    #[arg(long, requires = "embeddings")]
    pub freeze_embeddings: bool,
    /// Where to train: cpu (on --threads threads), gpu (the first hardware GPU, else the first adapter) or gpu:N (see `sideways devices`)
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Print JSON lines on stdout (the events, then the result) instead of a progress line
    #[arg(long)]
    pub json: bool,
    /// Share every step with the other processes of an MPI run, started with `mpirun -n N` (a
    /// build with --features mpi); each process's --threads defaults to its share of the cores
    #[arg(long)]
    pub data_parallel: bool,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub model_sizes: ModelArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(a: &TrainArgs) -> anyhow::Result<()> {
    if a.resume.is_some() {
        let mut fixed = a.run.given();
        fixed.extend(a.data.given());
        fixed.extend(a.model_sizes.given());
        fixed.extend(
            [
                ("--model", a.model.is_some()),
                ("--embeddings", a.embeddings.is_some()),
                ("--freeze-embeddings", a.freeze_embeddings),
            ]
            .iter()
            .filter(|o| o.1)
            .map(|o| o.0),
        );
        if !fixed.is_empty() {
            let hint = "a resumed run keeps the configuration in its checkpoint: leave these out (--steps, --threads, --eval-every and --save* may change), or start a new run";
            return Err(Error::config("options with --resume", fixed.join(" "), hint).into());
        }
    }
    if a.save_every > 0 && a.save.is_none() && a.resume.is_none() {
        let hint = "give --save PATH too: --save-every says how often to write it";
        return Err(Error::config("--save-every", a.save_every, hint).into());
    }
    let device = match a.device.trim() {
        "cpu" => None,
        gpu => Some(gpu.parse()?),
    };
    if let Some(threads) = a.run.threads.filter(|_| device.is_some()) {
        let hint = "a GPU run drives the device from one host thread: leave out --threads, or train with --device cpu";
        return Err(Error::config("--threads", threads, hint).into());
    }
    let options = TrainOptions {
        model: a.model.as_deref().map(str::parse).transpose()?,
        corpus: a.data.corpus.clone(),
        data: a.data.config(a.model_sizes.preset()),
        sizes: a.model_sizes.overrides(),
        train: crate::train::TrainConfig {
            freeze_embeddings: a.freeze_embeddings,
            ..a.run.config(a.steps, a.model_sizes.preset())
        },
        threads: a.run.threads(),
        device,
        steps: a.steps,
        eval_every: a.eval_every,
        save: a.save.clone(),
        save_every: a.save_every,
        resume: a.resume.clone(),
        embeddings: a.embeddings.clone(),
    };
    if a.data_parallel {
        return data_parallel(options, a.json, a.run.threads.is_some());
    }
    let mut progress = Progress::new(a.json);
    let result = train_until(&options, &INTERRUPTED, &mut |e| {
        // Until the run starts (reading the corpus, building the model) there is nothing to
        // keep, and Ctrl-C ends the program as usual.
        if matches!(e.kind, crate::train::EventKind::Start(_)) {
            catch_interrupts();
        }
        progress.event(&e)
    })?;
    progress.finish()?;
    if a.json {
        output::result("train", &result)?;
    }
    if !result.run.stopped {
        return Ok(());
    }
    let hint = match (&result.saved, &a.resume) {
        (Some(path), _) => format!(
            "the run is saved in {0}: `sideways train --resume {0} --steps {1}` goes on from there",
            path.display(),
            a.steps
        ),
        (None, Some(path)) if result.run.steps == 0 => {
            format!("no step was taken, so {} still holds the run as it was", path.display())
        }
        (None, _) => {
            "nothing was saved: give --save PATH (and --save-every N on long runs) to keep a run you may stop".into()
        }
    };
    Err(Error::Training { step: result.run.last_step, problem: "interrupted".into(), hint }.into())
}

/// Set by the first Ctrl-C (or SIGTERM) once training runs: the run ends after the step in
/// progress and saves.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Said at once, so that the wait for the step (and a validation, and the save) is not taken
/// for a hang, and the second Ctrl-C that would lose the run is not pressed without thought.
const STOPPING: &[u8] = b"\nstopping after this step (and saving, if the run saves); Ctrl-C again to quit at once\n";

extern "C" fn on_interrupt(signal: libc::c_int) {
    if INTERRUPTED.swap(true, Ordering::Relaxed) {
        // A second one: the user will not wait for the step; end as the signal would have.
        // SAFETY: `signal` and `raise` are async-signal-safe.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
    } else {
        // SAFETY: `write` is async-signal-safe, and the bytes are a static's.
        unsafe {
            libc::write(2, STOPPING.as_ptr().cast(), STOPPING.len());
        }
    }
}

/// Let the first SIGINT or SIGTERM stop the training at the end of a step instead of losing it.
fn catch_interrupts() {
    #[cfg(unix)]
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only touches an atomic and calls async-signal-safe functions.
        unsafe {
            libc::signal(signal, on_interrupt as extern "C" fn(libc::c_int) as libc::sighandler_t);
        }
    }
}

/// Train as one of the processes of an MPI run: process 0 prints and writes checkpoints; an error
/// on any process stops them all.
#[cfg(feature = "mpi")]
fn data_parallel(mut options: TrainOptions, json: bool, threads_given: bool) -> anyhow::Result<()> {
    use crate::commands::train::train_shared;
    use crate::dist::{local_processes, Mpi};
    let mpi = Mpi::start()?;
    if !threads_given {
        // The processes on this host share its cores.
        options.threads = (crate::linalg::Threads::available() / local_processes()).max(1);
    }
    let (rank, size) = (mpi.rank(), mpi.size());
    let mut progress = Progress::new(json);
    let never = AtomicBool::new(false);
    let result = train_shared(&options, Some(Box::new(mpi.sync())), &never, &mut |e| {
        if rank == 0 {
            progress.event(&e)
        }
    });
    match result {
        Ok(result) if rank == 0 => {
            progress.finish()?;
            if json {
                output::result("train", &result)?;
            }
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(e) if size > 1 => {
            // The others would wait for this process in their next all-reduce: stop them all.
            eprintln!("error (process {rank} of {size}): {e}");
            mpi.abort(1)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(feature = "mpi"))]
fn data_parallel(_: TrainOptions, _: bool, _: bool) -> anyhow::Result<()> {
    Err(crate::dist::not_built().into())
}
