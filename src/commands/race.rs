//! `sideways race`: lanes train side by side, taking turns on the cores (see [`crate::race`]).

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::embed::vectors::WordVectors;
use crate::error::Result;
use crate::linalg::{machine, Machine, Peaks};
use crate::race::{LaneResult, LaneSpec, Race, EVAL_EVERY, SAMPLE_EVERY};
use crate::train::{Budget, Event, EventKind, Preset, TrainConfig, DEFAULT_PROMPT};

/// Seconds of the matrix-product probe per thread count before a race.
const PEAK_PROBE: f64 = 0.3;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaceOptions {
    pub lanes: Vec<LaneSpec>,
    pub corpus: Option<PathBuf>,
    /// Each lane's budget.
    pub budget: Budget,
    /// The vocabulary and model sizes (the window and batch are set below).
    pub preset: Preset,
    /// Tokens per window (a model's context follows).
    pub seq_len: usize,
    pub batch_size: usize,
    pub seed: u64,
    /// Give every lane these starting word vectors.
    pub embeddings: Option<PathBuf>,
    /// Validate every this many steps of each lane (0: only at the end).
    pub eval_every: u64,
    /// Sample predictions and maps every this many steps of each lane (0: never).
    pub sample_every: u64,
    pub prompt: String,
}

impl Default for RaceOptions {
    fn default() -> Self {
        RaceOptions {
            lanes: LaneSpec::defaults(),
            corpus: None,
            budget: Budget::Seconds(10.0),
            preset: Preset::Standard,
            seq_len: Preset::Standard.seq_len(),
            batch_size: Preset::Standard.batch_size(),
            seed: 1337,
            embeddings: None,
            eval_every: EVAL_EVERY,
            sample_every: SAMPLE_EVERY,
            prompt: DEFAULT_PROMPT.into(),
        }
    }
}

/// Everything a race found, with what is needed to compare it with another run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaceResult {
    /// The sideways version that ran it.
    pub sideways: String,
    /// The machine, with its load before the race, and the load after.
    pub machine: Machine,
    pub load_average_after: Option<[f64; 3]>,
    pub corpus: String,
    pub vocab_size: usize,
    pub train_tokens: usize,
    pub budget: Budget,
    pub train: TrainConfig,
    pub lanes: Vec<LaneResult>,
}

/// The race `o` describes, ready to run: data loaded, starting vectors read, and the
/// matrix-product peak measured on each lane's thread count.
pub fn prepare(o: &RaceOptions) -> Result<Race> {
    let data = super::dataset(o.corpus.as_deref(), o.preset.data())?;
    let mut race = Race::new(o.lanes.clone(), data, o.budget);
    race.sizes = o.preset.sizes();
    race.train = TrainConfig { batch_size: o.batch_size, seq_len: o.seq_len, seed: o.seed, ..TrainConfig::default() };
    race.train.validate()?;
    (race.eval_every, race.sample_every, race.prompt) = (o.eval_every, o.sample_every, o.prompt.clone());
    if let Some(path) = &o.embeddings {
        race.embeddings = Some(Arc::new(WordVectors::open(path)?));
    }
    race.peaks = Peaks::measure(o.lanes.iter().map(|l| l.threads), PEAK_PROBE)?;
    Ok(race)
}

/// The result of a finished race on `machine` (read before it started).
pub fn result(race: &Race, machine: Machine, lanes: Vec<LaneResult>) -> RaceResult {
    RaceResult {
        sideways: env!("CARGO_PKG_VERSION").into(),
        machine,
        load_average_after: machine::load_average(),
        corpus: race.data.name.clone(),
        vocab_size: race.data.vocab.len(),
        train_tokens: race.data.train.len(),
        budget: race.budget,
        train: race.train,
        lanes,
    }
}

/// Run the race `o` describes, reporting events to `emit`.
pub fn race(o: &RaceOptions, emit: &mut dyn FnMut(Event)) -> Result<RaceResult> {
    let race = prepare(o)?;
    if let Some(text) = super::small_vocabulary(&race.data, o.preset.vocab_size()) {
        emit(Event { lane: 0, kind: EventKind::Note { text } });
    }
    let machine = Machine::read();
    let lanes = race.run(emit)?;
    Ok(result(&race, machine, lanes))
}
