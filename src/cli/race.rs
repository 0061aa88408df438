//! `sideways race`: the dashboard on a terminal; without one, a live status and the
//! side-by-side table (or JSON events).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;

use super::output;
use crate::commands::race::{race, RaceOptions};
use crate::fsio::write_atomically;
use crate::race::{parse_lanes, LaneResult, LaneSpec, EVAL_EVERY, SAMPLE_EVERY};
use crate::schema;
use crate::train::{EventKind, Preset, DEFAULT_PROMPT};
use crate::units::thousands;

#[derive(Debug, Clone, Args)]
pub struct RaceArgs {
    /// Lanes as model@threads or model@gpu[:N], comma-separated [default: every model on 1 thread,
    /// on all cores, and on each hardware GPU]
    #[arg(long)]
    pub lanes: Option<String>,
    /// A UTF-8 text file or a folder of .txt files [default: the embedded default corpus]
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Each lane's budget: seconds on its own clock (30s), tokens (20000tok) or steps (200steps)
    #[arg(long, default_value = "10s")]
    pub budget: String,
    /// standard (bench-config.md) or gpu (width 768, 12 blocks of 12 heads, vocabulary 16384, 8 windows of 1024 words)
    #[arg(long, default_value = "standard")]
    pub preset: Preset,
    /// Tokens per window (the Transformer's context follows) [default: the preset's, 64]
    #[arg(long)]
    pub seq_len: Option<usize>,
    /// Windows per batch [default: the preset's, 32]
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Seed of every lane's initial weights (the same for all lanes)
    #[arg(long, default_value_t = 1337)]
    pub seed: u64,
    /// Give every lane these starting word vectors (from `sideways embed train --dim 128`)
    #[arg(long)]
    pub embeddings: Option<PathBuf>,
    /// Validate every N steps of each lane (0 = only at the end)
    #[arg(long, default_value_t = EVAL_EVERY)]
    pub eval_every: u64,
    /// The prompt whose next words are sampled along the way
    #[arg(long, default_value = DEFAULT_PROMPT)]
    pub prompt: String,
    /// Print the event stream as JSON lines, then the result (implies --headless)
    #[arg(long)]
    pub json: bool,
    /// Print progress and a table instead of opening the dashboard (automatic without a terminal)
    #[arg(long)]
    pub headless: bool,
    /// Write the results (config, seed, version, machine, lanes) to this JSON file (implies --headless)
    #[arg(long)]
    pub results: Option<PathBuf>,
}

impl RaceArgs {
    /// The race these options describe.
    pub fn options(&self) -> anyhow::Result<RaceOptions> {
        Ok(RaceOptions {
            lanes: match &self.lanes {
                Some(s) => parse_lanes(s)?,
                None => LaneSpec::defaults(),
            },
            corpus: self.corpus.clone(),
            budget: self.budget.parse()?,
            preset: self.preset,
            seq_len: self.seq_len.unwrap_or(self.preset.seq_len()),
            batch_size: self.batch_size.unwrap_or(self.preset.batch_size()),
            seed: self.seed,
            embeddings: self.embeddings.clone(),
            eval_every: self.eval_every,
            sample_every: SAMPLE_EVERY,
            prompt: self.prompt.clone(),
        })
    }
}

/// The dashboard where there is a terminal (and no --headless / --json), the headless race
/// otherwise: never an escape code into a pipe.
pub fn run(a: &RaceArgs) -> anyhow::Result<()> {
    let options = a.options()?;
    // A terminal that cannot draw (TERM=dumb, or no TERM at all) gets the headless race.
    let terminal = output::can_draw() && std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if terminal && !a.headless && !a.json && a.results.is_none() {
        return crate::tui::run(&options);
    }
    if let Some(path) = &a.results {
        crate::fsio::check_writable(path)?;
    }
    let labels: Vec<String> = options.lanes.iter().map(LaneSpec::label).collect();
    if !a.json {
        say!(
            "race: {} lane{} take turns on the cores, each timed on its own clock; budget {} per lane",
            labels.len(),
            if labels.len() == 1 { "" } else { "s" },
            options.budget
        );
    }
    let tty = output::live_stderr();
    let mut live = labels.clone();
    // Without a terminal, a status line every few seconds instead of a live one.
    let mut last_line = std::time::Instant::now();
    let mut write_error = None;
    let result = race(&options, &mut |event| {
        if a.json {
            if let Err(e) = writeln!(std::io::stdout().lock(), "{}", schema::event_line(&event)) {
                write_error.get_or_insert(e);
            }
            return;
        }
        let label = &labels[event.lane];
        match &event.kind {
            EventKind::Step(s) => {
                live[event.lane] =
                    format!("{label} {:.1}s loss {:.2} {} tok/s", s.seconds, s.loss, thousands(s.tokens_per_s));
                if tty {
                    super::output::live(&live.join(" | "));
                } else if last_line.elapsed().as_secs() >= 5 {
                    say!("{}", live.join(" | "));
                    last_line = std::time::Instant::now();
                }
            }
            EventKind::Eval(v) if !tty => {
                say!("{label:<16} step {:>5}  validation loss {:.3}", v.step, v.report.val_loss);
            }
            EventKind::Done(r) if !tty => say!("{label:<16} done: {} steps in {:.1} s", r.steps, r.seconds),
            EventKind::Warning { text } => say!("\nwarning: {text}"),
            _ => {}
        }
    })?;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    if a.json {
        output::result("race", &result)?;
    } else {
        if tty {
            say!("");
        }
        output::text(&table(&result.lanes))?;
    }
    if let Some(path) = &a.results {
        write_atomically(path, schema::result_pretty("race", &result).as_bytes())?;
        if !a.json {
            say!("wrote {}", path.display());
        }
    }
    Ok(())
}

/// The side-by-side table of a finished race.
pub fn table(lanes: &[LaneResult]) -> String {
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
    let num = |x: Option<f32>| x.map_or("-".to_string(), |v| format!("{v:.3}"));
    for l in lanes {
        let r = &l.run;
        out.push_str(&format!(
            "{:<16} {:>6} {:>9} {:>8.1} {:>7} {:>7} {:>10} {:>8} {:>8.1} {:>6} {:>9} {:>10}\n",
            r.label,
            r.steps,
            thousands(r.tokens as f64),
            r.seconds,
            num(r.train_loss),
            num(r.val_loss()),
            thousands(r.tokens_per_s),
            l.speedup.map_or("-".into(), |s| format!("{s:.2}x")),
            r.gflops,
            r.peak_share.map_or("-".into(), |s| format!("{:.0}%", 100.0 * s)),
            r.critical_path,
            // Measured on the CPU's clock: a GPU lane's chain is its kernels, below.
            match r.device {
                None => format!("{:.0}%", 100.0 * r.sequential_share),
                Some(_) => "-".into(),
            }
        ));
    }
    // A GPU lane's chain is its kernel launches, and its device time is its own clock's.
    for r in lanes.iter().map(|l| &l.run) {
        if let Some(device) = &r.device {
            let busy = match (r.gpu_step_seconds, r.step_seconds) {
                (Some(g), Some(w)) => format!(", device busy {:.1} of {:.1} ms a step", 1e3 * g, 1e3 * w),
                _ => String::new(),
            };
            let kernels = r.dispatches.map_or(String::new(), |k| format!(": {k} kernels a step"));
            out.push_str(&format!("{} on {device}{kernels}{busy}\n", r.label));
        }
    }
    out
}
