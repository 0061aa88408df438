//! Progress of a training run, for people (one live line on a terminal, a line every tenth of
//! the run otherwise) or for scripts (one JSON object per step on stdout).

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::time::Instant;

use serde_json::json;

use crate::train::{EvalReport, StepReport};

/// Steps in the moving window of the tokens/s figure.
const WINDOW: usize = 20;

pub struct Progress {
    label: String,
    total: u64,
    json: bool,
    tty: bool,
    recent: VecDeque<f64>,
    tokens: usize,
    last_draw: Option<Instant>,
}

impl Progress {
    pub fn new(label: &str, total: u64, json: bool) -> Self {
        Progress {
            label: label.to_string(),
            total,
            json,
            tty: std::io::stderr().is_terminal(),
            recent: VecDeque::with_capacity(WINDOW),
            tokens: 0,
            last_draw: None,
        }
    }

    /// Training tokens per second over the last few steps (wall clock).
    pub fn tokens_per_sec(&self) -> f64 {
        let secs: f64 = self.recent.iter().sum();
        if secs > 0.0 {
            self.tokens as f64 * self.recent.len() as f64 / secs
        } else {
            0.0
        }
    }

    pub fn step(&mut self, r: &StepReport) {
        if self.recent.len() == WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(r.seconds);
        self.tokens = r.tokens;
        let tps = self.tokens_per_sec();
        if self.json {
            let line = json!({"event": "step", "model": self.label, "step": r.step, "loss": r.loss, "lr": r.lr,
                "grad_norm": r.grad_norm, "seconds": r.seconds, "tokens_per_s": tps});
            println!("{line}");
            return;
        }
        let eta =
            (self.total.saturating_sub(r.step)) as f64 * self.recent.iter().sum::<f64>() / self.recent.len() as f64;
        let line = format!(
            "{:<12} step {:>5}/{:<5} loss {:6.3}  {:>9} tok/s  ETA {}",
            self.label,
            r.step,
            self.total,
            r.loss,
            thousands(tps),
            duration(eta)
        );
        if self.tty {
            // Redraw at most 10 times a second; always draw the last step.
            let due = self.last_draw.is_none_or(|t| t.elapsed().as_millis() >= 100) || r.step == self.total;
            if due {
                eprint!("\r{line}\x1b[K");
                let _ = std::io::stderr().flush();
                self.last_draw = Some(Instant::now());
            }
        } else if r.step.is_multiple_of((self.total / 10).max(1)) || r.step == self.total {
            eprintln!("{line}");
        }
    }

    pub fn eval(&mut self, step: u64, e: &EvalReport) {
        if self.json {
            let line = json!({"event": "eval", "model": self.label, "step": step, "val_loss": e.loss,
                "perplexity": e.perplexity, "accuracy": e.accuracy, "tokens": e.tokens});
            println!("{line}");
        } else {
            if self.tty {
                eprintln!();
            }
            eprintln!(
                "{:<12} step {:>5}  validation loss {:.3}  perplexity {:.1}  next-word accuracy {:.1}%",
                self.label,
                step,
                e.loss,
                e.perplexity,
                100.0 * e.accuracy
            );
        }
    }

    /// End the live line.
    pub fn finish(&self) {
        if self.tty && !self.json {
            eprintln!();
        }
    }
}

pub use crate::units::{duration, thousands};
