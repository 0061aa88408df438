//! What a race is made of: lanes ("rnn@2") and a budget ("30s", "20000tok", "200steps").

use std::str::FromStr;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::linalg::Threads;
use crate::model::ModelKind;

/// One contestant: a model on a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LaneSpec {
    pub model: ModelKind,
    /// CPU threads.
    pub threads: usize,
}

impl LaneSpec {
    pub fn label(&self) -> String {
        format!("{}@{}", self.model, self.threads)
    }
}

impl FromStr for LaneSpec {
    type Err = Error;
    /// `model@threads`, e.g. `rnn@1` or `transformer@2`; `model` alone uses every core.
    fn from_str(s: &str) -> Result<Self> {
        let bad = |hint: String| Error::config("lane", s, hint);
        let (model, device) = s.trim().split_once('@').unwrap_or((s.trim(), ""));
        let model: ModelKind =
            model.parse().map_err(|_| bad("write lanes as model@threads, e.g. rnn@1,transformer@2".into()))?;
        let threads = match device {
            "" => Threads::available(),
            "gpu" => {
                return Err(bad("this build has no GPU backend yet; race on CPU threads, e.g. transformer@2".into()))
            }
            n => n.parse::<usize>().map_err(|_| bad(format!("after @ give a thread count, e.g. {model}@2")))?,
        };
        if threads == 0 {
            return Err(bad("a lane needs at least one thread".into()));
        }
        Ok(LaneSpec { model, threads })
    }
}

/// Comma-separated lanes.
pub fn parse_lanes(s: &str) -> Result<Vec<LaneSpec>> {
    let lanes = s.split(',').filter(|l| !l.trim().is_empty()).map(str::parse).collect::<Result<Vec<LaneSpec>>>()?;
    if lanes.is_empty() {
        return Err(Error::config("lanes", s, "give at least one lane, e.g. rnn@1,transformer@1"));
    }
    Ok(lanes)
}

/// How much each lane may train.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Budget {
    /// Seconds on the lane's own clock.
    Seconds(f64),
    Tokens(u64),
    Steps(u64),
}

impl FromStr for Budget {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::config("budget", s, "write 30s, 20000tok or 200steps (more than zero)");
        let t = s.trim();
        let (num, unit) = t.split_at(t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len()));
        let budget = match unit {
            "s" => Budget::Seconds(num.parse().map_err(|_| bad())?),
            "tok" | "tokens" => Budget::Tokens(num.parse().map_err(|_| bad())?),
            "steps" | "step" => Budget::Steps(num.parse().map_err(|_| bad())?),
            _ => return Err(bad()),
        };
        match budget {
            Budget::Seconds(x) if x > 0.0 && x.is_finite() => Ok(budget),
            Budget::Tokens(n) | Budget::Steps(n) if n > 0 => Ok(budget),
            _ => Err(bad()),
        }
    }
}

impl Budget {
    /// Whether a lane with these totals is done.
    pub fn spent(&self, steps: u64, tokens: u64, seconds: f64) -> bool {
        match *self {
            Budget::Seconds(s) => seconds >= s,
            Budget::Tokens(n) => tokens >= n,
            Budget::Steps(n) => steps >= n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_and_budgets_parse_or_say_why_not() {
        let lanes = parse_lanes("rnn@1, transformer@2").unwrap();
        assert_eq!(lanes[1], LaneSpec { model: ModelKind::Transformer, threads: 2 });
        assert_eq!(lanes[0].label(), "rnn@1");
        for bad in ["lstm@1", "rnn@0", "rnn@two", "rnn@gpu", ""] {
            assert!(parse_lanes(bad).is_err(), "{bad}");
        }
        assert_eq!("30s".parse::<Budget>().unwrap(), Budget::Seconds(30.0));
        assert_eq!("20000tok".parse::<Budget>().unwrap(), Budget::Tokens(20_000));
        assert_eq!("200steps".parse::<Budget>().unwrap(), Budget::Steps(200));
        for bad in ["0s", "0steps", "30", "fast", "-1s"] {
            assert!(bad.parse::<Budget>().is_err(), "{bad}");
        }
        assert!(Budget::Steps(3).spent(3, 0, 0.0) && !Budget::Seconds(1.0).spent(9, 9, 0.5));
    }
}
