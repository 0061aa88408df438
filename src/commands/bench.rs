//! `sideways bench`: training speed over threads, GPUs and window lengths, Amdahl fits, where
//! work that grows with the window takes over, the work and span bound, GPU/CPU ratios; tables, CSV, JSON
//! and charts.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::bench::profile::{profile, Profile};
use crate::bench::sweep::{self, SweepConfig, SweepResult};
use crate::bench::{charts, plot, SpeedPoint};
use crate::error::{Error, Result};
use crate::fsio::write_atomically;
use crate::gpu::{adapters, GpuChoice};
use crate::linalg::{machine, Machine, Peaks, Threads};
use crate::model::ModelKind;
use crate::train::Preset;

/// Seconds of the matrix-product probe per thread count.
const PEAK_PROBE: f64 = 1.0;
/// The longest window a sweep takes.
const MAX_SEQ_LEN: usize = 4096;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchOptions {
    pub threads: Vec<usize>,
    /// GPUs to measure on (`None`: every hardware GPU found; a software adapter only when asked
    /// for).
    pub gpus: Option<Vec<GpuChoice>>,
    pub models: Vec<ModelKind>,
    /// Vocabulary and model sizes.
    pub preset: Preset,
    /// Window lengths (each model's context follows); tokens per step stay `tokens_per_step`.
    pub seq_lens: Vec<usize>,
    pub tokens_per_step: usize,
    pub corpus: Option<PathBuf>,
    /// Also chart the work and span bound.
    pub span: bool,
    /// Write sweep.csv (as points land), span.csv, sweep.json and the charts here.
    pub out: Option<PathBuf>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            threads: vec![1, 2],
            gpus: None,
            models: ModelKind::all().collect(),
            preset: Preset::Standard,
            seq_lens: vec![Preset::Standard.seq_len()],
            tokens_per_step: Preset::Standard.tokens_per_step(),
            corpus: None,
            span: false,
            out: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchResult {
    /// The machine, with its load before the sweep, and the load after.
    pub machine: Machine,
    pub load_average_after: Option<[f64; 3]>,
    pub corpus: String,
    pub vocab_size: usize,
    /// Said when the corpus has fewer words than the preset's vocabulary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vocabulary_note: Option<String>,
    /// The matrix-product peaks the shares of peak are measured against.
    pub peaks: Peaks,
    pub sweep: SweepResult,
    /// Files written into `out`.
    pub written: Vec<PathBuf>,
    /// No TrueType font was found, so no charts were drawn.
    pub charts_skipped: bool,
}

/// Every model's step divided up by layer, on each CPU thread count and window length of `o`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileResult {
    pub machine: Machine,
    pub load_average_after: Option<[f64; 3]>,
    pub corpus: String,
    pub profiles: Vec<Profile>,
}

/// Profile every (model, window length, thread count) of `o` (GPUs are not profiled: the host
/// does not see their kernels one by one); `progress` sees each profile as it lands.
pub fn profile_all(o: &BenchOptions, progress: &mut dyn FnMut(&Profile)) -> Result<ProfileResult> {
    if o.threads.is_empty() || o.models.is_empty() || o.seq_lens.is_empty() {
        return Err(Error::config("profile", "empty", "give at least one model, window length and thread count"));
    }
    if let Some(&bad) = o.seq_lens.iter().find(|&&t| t == 0 || t > MAX_SEQ_LEN) {
        return Err(Error::config("seq-len", bad, format!("use window lengths from 1 to {MAX_SEQ_LEN}")));
    }
    let pools = o.threads.iter().map(|&n| Threads::new(n)).collect::<Result<Vec<_>>>()?;
    let data = super::dataset(o.corpus.as_deref(), o.preset.data())?;
    let machine = Machine::read();
    let mut profiles = Vec::new();
    for &model in &o.models {
        for &seq in &o.seq_lens {
            let batch = (o.tokens_per_step / seq).max(1);
            for pool in &pools {
                let p = profile(model, &o.preset.sizes(), &data, (batch, seq), pool)?;
                progress(&p);
                profiles.push(p);
            }
        }
    }
    Ok(ProfileResult { machine, load_average_after: machine::load_average(), corpus: data.name.clone(), profiles })
}

/// Measure every point of the sweep `o` describes; `progress` sees each point as it lands.
pub fn bench(o: &BenchOptions, progress: &mut dyn FnMut(&SpeedPoint)) -> Result<BenchResult> {
    if let Some(&bad) = o.threads.iter().find(|&&t| t == 0) {
        return Err(Error::config("threads", bad, "thread counts start at 1"));
    }
    if let Some(&bad) = o.seq_lens.iter().find(|&&t| t == 0 || t > MAX_SEQ_LEN) {
        return Err(Error::config("seq-len", bad, format!("use window lengths from 1 to {MAX_SEQ_LEN}")));
    }
    let found = adapters();
    let gpus = match &o.gpus {
        None => found.iter().filter(|a| a.is_hardware()).map(|a| a.index).collect(),
        Some(choices) => choices.iter().map(|c| c.resolve(&found)).collect::<Result<Vec<_>>>()?,
    };
    if (o.threads.is_empty() && gpus.is_empty()) || o.models.is_empty() || o.seq_lens.is_empty() {
        let hint = "give at least one model, window length, and thread count or GPU (no hardware GPU was found)";
        return Err(Error::config("sweep", "empty", hint));
    }
    if let Some(dir) = &o.out {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e, "give a folder that can be created and written"))?;
        crate::fsio::check_writable(&dir.join("sweep.csv"))?;
    }
    let data = super::dataset(o.corpus.as_deref(), o.preset.data())?;
    let machine = Machine::read();
    let peaks = Peaks::measure(o.threads.iter().copied(), PEAK_PROBE)?;
    let config = SweepConfig {
        models: o.models.clone(),
        preset: o.preset,
        threads: o.threads.clone(),
        gpus,
        seq_lens: o.seq_lens.clone(),
        tokens_per_step: o.tokens_per_step,
    };
    // Each point is written as it lands, so a sweep cut short keeps what it measured.
    let mut so_far: Vec<SpeedPoint> = Vec::new();
    let mut partial_error = None;
    let sweep = sweep::run(&data, config, &peaks, &mut |p| {
        so_far.push(p.clone());
        if let Some(dir) = &o.out {
            if let Err(e) = write_atomically(&dir.join("sweep.csv"), sweep::csv(&so_far).as_bytes()) {
                partial_error.get_or_insert(e);
            }
        }
        progress(p);
    })?;
    if let Some(e) = partial_error {
        return Err(e);
    }
    let mut result = BenchResult {
        machine,
        load_average_after: machine::load_average(),
        corpus: data.name.clone(),
        vocab_size: data.vocab.len(),
        vocabulary_note: super::small_vocabulary(&data, o.preset.vocab_size()),
        peaks,
        sweep,
        written: Vec::new(),
        charts_skipped: false,
    };
    if let Some(dir) = &o.out {
        write_outputs(&mut result, dir, o.span)?;
    }
    Ok(result)
}

/// Write the sweep's CSV, JSON and charts into `dir`, recording the files in `r.written`.
fn write_outputs(r: &mut BenchResult, dir: &Path, span: bool) -> Result<()> {
    let sweep_csv = dir.join("sweep.csv");
    write_atomically(&sweep_csv, sweep::csv(&r.sweep.points).as_bytes())?;
    let span_csv = dir.join("span.csv");
    write_atomically(&span_csv, sweep::span_csv(&r.sweep.span).as_bytes())?;
    r.written = vec![sweep_csv, span_csv];
    if plot::font_available() {
        for (name, chart) in charts::charts(&r.sweep, span) {
            r.written.extend(plot::write(&chart, &dir.join(name))?);
        }
    } else {
        r.charts_skipped = true;
    }
    let json = dir.join("sweep.json");
    r.written.push(json.clone());
    write_atomically(&json, crate::schema::result_pretty("bench", r).as_bytes())
}
