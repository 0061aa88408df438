//! Printing for people and for scripts: events as a progress line or as JSON lines, and
//! results as text or as one JSON line (the format of `crate::schema`).

use std::io::{IsTerminal, Write};
use std::time::Instant;

use serde::Serialize;

use crate::schema;
use crate::train::{Budget, Event, EventKind};
use crate::units::{bytes, duration, thousands};

/// Print one line to standard output; a failed write (a full disk, a closed pipe) ends the
/// program with an error instead of a panic.
pub fn line(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    Ok(())
}

/// Print text as it is (several lines).
pub fn text(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// A line for people on standard error (progress, notes, errors). Standard error is the last
/// place left to report anything, so a failed write there is ignored rather than a panic.
pub fn status(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// `eprintln!` through [`status`].
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::output::status(&format!($($arg)*))
    };
}

/// Redraw the live line on a terminal's standard error.
pub fn live(text: &str) {
    let mut err = std::io::stderr();
    let _ = write!(err, "\r{text}\x1b[K");
    let _ = err.flush();
}

/// Whether the terminal can take escape codes: it exists and is not `TERM=dumb` (or unnamed).
pub fn can_draw() -> bool {
    std::env::var("TERM").is_ok_and(|t| !t.is_empty() && t != "dumb")
}

/// Whether standard error is a terminal that a live line can be redrawn on.
pub fn live_stderr() -> bool {
    can_draw() && std::io::stderr().is_terminal()
}

/// The result of command `result` as one JSON line.
pub fn result<T: Serialize>(result: &str, value: &T) -> anyhow::Result<()> {
    line(&schema::result_line(result, value))
}

/// Where the events of one run at a time go: JSON lines on stdout for scripts, or a progress
/// line on stderr for people (live on a terminal, a line every tenth of the run otherwise).
pub struct Progress {
    json: bool,
    tty: bool,
    /// Each lane's name, last step and tokens of a step (a race reports several at once).
    lanes: Vec<LaneLine>,
    last_draw: Option<Instant>,
    /// The first error writing JSON lines (reported when the run ends).
    pub error: Option<std::io::Error>,
}

/// What a progress line says about its lane.
#[derive(Clone, Debug, Default)]
struct LaneLine {
    label: String,
    total: Option<u64>,
    tokens_per_step: u64,
}

impl Progress {
    pub fn new(json: bool) -> Self {
        Progress { json, tty: live_stderr(), lanes: Vec::new(), last_draw: None, error: None }
    }

    /// Show one event.
    pub fn event(&mut self, e: &Event) {
        if self.json {
            let mut out = std::io::stdout().lock();
            if let Err(err) = writeln!(out, "{}", schema::event_line(e)) {
                self.error.get_or_insert(err);
            }
            return;
        }
        match &e.kind {
            EventKind::Start(info) => {
                if self.lanes.len() <= e.lane {
                    self.lanes.resize(e.lane + 1, LaneLine::default());
                }
                self.lanes[e.lane] = LaneLine {
                    label: info.label.clone(),
                    total: match info.budget {
                        Budget::Steps(n) => Some(info.from_step + n),
                        _ => None,
                    },
                    tokens_per_step: (info.batch_size * info.seq_len) as u64,
                };
                let hardware = match (&info.device, info.processes) {
                    (Some(device), _) => format!("on {device}"),
                    (None, 1) => format!("on {} thread{}", info.threads, if info.threads == 1 { "" } else { "s" }),
                    (None, n) => format!("on {n} processes of {} threads, sharing each step", info.threads),
                };
                say!(
                    "{}: {} parameters, corpus {} ({} training tokens, {} words), {hardware}, from step {}",
                    info.model,
                    thousands(info.parameters as f64),
                    info.corpus,
                    thousands(info.train_tokens as f64),
                    info.vocab_size,
                    info.from_step
                );
                say!(
                    "memory: {} for the weights, their gradients and AdamW's moments + {} of activations",
                    bytes(info.store_bytes),
                    bytes(info.activation_bytes)
                );
            }
            EventKind::Step(s) => {
                let lane = self.lanes.get(e.lane).cloned().unwrap_or_default();
                let total = lane.total.unwrap_or(s.step);
                let eta = total.saturating_sub(s.step) as f64 * lane.tokens_per_step as f64 / s.tokens_per_s.max(1e-9);
                let sum = s.sync_seconds.map_or(String::new(), |t| format!("  gradient sum {:.1} ms", 1e3 * t));
                let line = format!(
                    "{:<12} step {:>5}/{:<5} loss {:6.3}  {:>9} tok/s  ETA {}{sum}",
                    lane.label,
                    s.step,
                    total,
                    s.loss,
                    thousands(s.tokens_per_s),
                    duration(eta)
                );
                if self.tty {
                    // Redraw at most 10 times a second; always draw the last step.
                    let due = self.last_draw.is_none_or(|t| t.elapsed().as_millis() >= 100) || s.step == total;
                    if due {
                        live(&line);
                        self.last_draw = Some(Instant::now());
                    }
                } else if s.step.is_multiple_of((total / 10).max(1)) || s.step == total {
                    say!("{line}");
                }
            }
            EventKind::Eval(v) => {
                self.end_line();
                say!(
                    "{:<12} step {:>5}  validation loss {:.3}  perplexity {:.1}  next-word accuracy {:.1}%",
                    self.lanes.get(e.lane).map_or("", |l| l.label.as_str()),
                    v.step,
                    v.report.val_loss,
                    v.report.perplexity,
                    100.0 * v.report.accuracy
                );
            }
            EventKind::Saved { path, .. } => {
                self.end_line();
                say!("saved {}", path.display());
            }
            EventKind::Note { text } => {
                self.end_line();
                say!("{text}");
            }
            EventKind::Warning { text } => {
                self.end_line();
                say!("warning: {text}");
            }
            // A run that stopped early (Ctrl-C) leaves the live line as it was: end it, so that
            // what is printed next starts a line of its own.
            EventKind::Done(_) => self.end_line(),
            EventKind::Sample(_) => {}
        }
    }

    /// End a live line before something else is printed below it.
    fn end_line(&mut self) {
        if self.tty && self.last_draw.take().is_some() {
            say!("");
        }
    }

    /// The first error writing the stream, if any.
    pub fn finish(mut self) -> anyhow::Result<()> {
        match self.error.take() {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }
}
