//! `sideways race` without a terminal: a live line, then the side-by-side table (or JSON events).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use serde_json::json;

use crate::bench::Machine;
use crate::data::{Corpus, DataConfig, Dataset};
use crate::error::Error;
use crate::fsio::write_atomically;
use crate::linalg::Threads;
use crate::race::{parse_lanes, Budget, LaneResult, Race};
use crate::train::{Event, TrainConfig};

use super::progress::thousands;

#[derive(Debug, Clone, Args)]
pub struct RaceArgs {
    /// Lanes as model@threads, comma-separated [default: rnn@1,rnn@N,transformer@1,transformer@N, N = all cores]
    #[arg(long)]
    pub lanes: Option<String>,
    /// A UTF-8 text file or a folder of .txt files [default: the embedded default corpus]
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Each lane's budget: seconds on its own clock (30s), tokens (20000tok) or steps (200steps)
    #[arg(long, default_value = "10s")]
    pub budget: String,
    /// Tokens per window (the Transformer's context follows)
    #[arg(long, default_value_t = 64)]
    pub seq_len: usize,
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 1337)]
    pub seed: u64,
    /// Give every lane these starting word vectors (from `sideways embed train --dim 128`)
    #[arg(long)]
    pub embeddings: Option<PathBuf>,
    /// Validate every N steps of each lane (0 = only at the end)
    #[arg(long, default_value_t = 0)]
    pub eval_every: u64,
    /// The prompt whose next words are sampled along the way
    #[arg(long, default_value = "i ate a good")]
    pub prompt: String,
    /// Print the event stream as JSON lines instead of text (implies --headless)
    #[arg(long)]
    pub json: bool,
    /// Print progress and a table instead of opening the dashboard (automatic without a terminal)
    #[arg(long)]
    pub headless: bool,
    /// Write the results (config, seed, versions, machine, lanes) to this JSON file
    #[arg(long)]
    pub results: Option<PathBuf>,
}

impl RaceArgs {
    /// The race these options describe (shared with the dashboard).
    pub fn race(&self) -> anyhow::Result<Race> {
        let n = Threads::available();
        let lanes =
            parse_lanes(self.lanes.as_deref().unwrap_or(&format!("rnn@1,rnn@{n},transformer@1,transformer@{n}")))?;
        let budget: Budget = self.budget.parse()?;
        let corpus = Corpus::from_option(self.corpus.as_deref())?;
        let data = Arc::new(Dataset::new(&corpus, DataConfig::default())?);
        let mut race = Race::new(lanes, data, budget);
        race.train = TrainConfig {
            batch_size: self.batch_size,
            seq_len: self.seq_len,
            seed: self.seed,
            ..TrainConfig::default()
        };
        race.eval_every = self.eval_every;
        race.sample_every = if self.json { 25 } else { 0 };
        race.prompt = self.prompt.clone();
        if let Some(path) = &self.embeddings {
            race.embeddings = Some(Arc::new(super::embed::load(path)?));
        }
        Ok(race)
    }
}

pub fn run(a: &RaceArgs) -> anyhow::Result<()> {
    if let Some(path) = &a.results {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        if !dir.is_dir() {
            return Err(Error::config(
                "--results",
                path.display(),
                format!("the folder {} does not exist; create it or pick another path", dir.display()),
            )
            .into());
        }
    }
    let race = a.race()?;
    let machine = Machine::read();
    if !a.json {
        eprintln!(
            "race on {} ({} training tokens): {} lanes take turns on the cores, each timed on its own clock; budget {} per lane",
            race.data.name,
            thousands(race.data.train.len() as f64),
            race.lanes.len(),
            a.budget
        );
    }
    let tty = std::io::stderr().is_terminal();
    let mut live: Vec<String> = race.lanes.iter().map(|l| l.label()).collect();
    // Without a terminal, a status line every few seconds instead of a live one.
    let mut last_line = std::time::Instant::now();
    let results = race.run(&mut |event| {
        if a.json {
            println!("{}", serde_json::to_string(&event).expect("events serialise"));
            return;
        }
        match &event {
            Event::Step(s) => {
                live[s.lane] = format!(
                    "{} {:.1}s loss {:.2} {} tok/s",
                    race.lanes[s.lane].label(),
                    s.seconds,
                    s.loss,
                    thousands(s.tokens_per_s)
                );
                if tty {
                    eprint!("\r{}\x1b[K", live.join(" | "));
                    let _ = std::io::stderr().flush();
                } else if last_line.elapsed().as_secs() >= 5 {
                    eprintln!("{}", live.join(" | "));
                    last_line = std::time::Instant::now();
                }
            }
            Event::Eval { lane, step, val_loss, .. } if !tty => {
                eprintln!("{:<16} step {step:>5}  validation loss {val_loss:.3}", race.lanes[*lane].label());
            }
            Event::LaneDone { lane, steps, seconds, .. } if !tty => {
                eprintln!("{:<16} done: {steps} steps in {seconds:.1} s", race.lanes[*lane].label());
            }
            _ => {}
        }
    })?;
    if tty && !a.json {
        eprintln!();
    }
    if !a.json {
        print!("{}", table(&results));
    }
    if let Some(path) = &a.results {
        let doc = json!({
            "sideways": env!("CARGO_PKG_VERSION"),
            "machine": {"cpu": machine.cpu, "cores": machine.cores, "load_average": machine.load_average, "gpu": null},
            "corpus": race.data.name, "vocab": race.data.vocab.len(), "seed": a.seed, "budget": race.budget,
            "train": race.train, "lanes": results,
        });
        write_atomically(path, serde_json::to_string_pretty(&doc).expect("serialises").as_bytes())?;
        if !a.json {
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(())
}

/// The side-by-side table of a finished race.
pub fn table(results: &[LaneResult]) -> String {
    let mut out = format!(
        "{:<16} {:>6} {:>9} {:>8} {:>7} {:>7} {:>10} {:>8} {:>8} {:>6} {:>9} {:>10}\n",
        "lane",
        "steps",
        "tokens",
        "clock s",
        "loss",
        "val",
        "tokens/s",
        "speed-up",
        "GFLOP/s",
        "%peak",
        "crit.path",
        "sequential"
    );
    for r in results {
        out.push_str(&format!(
            "{:<16} {:>6} {:>9} {:>8.1} {:>7.3} {:>7.3} {:>10} {:>8} {:>8.1} {:>5.0}% {:>9} {:>9.0}%\n",
            r.label,
            r.steps,
            thousands(r.tokens as f64),
            r.seconds,
            r.train_loss,
            r.val_loss,
            thousands(r.tokens_per_s),
            r.speedup.map_or("-".into(), |s| format!("{s:.2}x")),
            r.gflops,
            100.0 * r.peak_share,
            r.critical_path,
            100.0 * r.sequential_share
        ));
    }
    out
}
