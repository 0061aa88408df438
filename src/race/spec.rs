//! What a race is made of: lanes ("rnn@2"), each a model on some CPU threads.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::linalg::Threads;
use crate::model::ModelKind;

/// One contestant: a model on a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaneSpec {
    pub model: ModelKind,
    /// CPU threads.
    pub threads: usize,
}

impl LaneSpec {
    pub fn label(&self) -> String {
        format!("{}@{}", self.model, self.threads)
    }

    /// Every registered model on one thread and on all cores (one lane each on a 1-core machine).
    pub fn defaults() -> Vec<LaneSpec> {
        let n = Threads::available();
        let counts: Vec<usize> = if n > 1 { vec![1, n] } else { vec![1] };
        ModelKind::all().flat_map(|model| counts.iter().map(move |&threads| LaneSpec { model, threads })).collect()
    }
}

impl FromStr for LaneSpec {
    type Err = Error;
    /// `model@threads`, e.g. `rnn@1` or `transformer@2`; `model` alone uses every core.
    fn from_str(s: &str) -> Result<Self> {
        let bad = |hint: String| Error::config("lane", s, hint);
        let (model, device) = s.trim().split_once('@').unwrap_or((s.trim(), ""));
        let model: ModelKind = model.parse().map_err(|_| {
            bad(format!("write lanes as model@threads, e.g. rnn@1,transformer@2 (models: {})", ModelKind::choices()))
        })?;
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
        if threads > Threads::MAX {
            return Err(bad(format!("use at most {} threads", Threads::MAX)));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::Budget;

    #[test]
    fn lanes_and_budgets_parse_or_say_why_not() {
        let lanes = parse_lanes("rnn@1, transformer@2").unwrap();
        assert_eq!(lanes[1], LaneSpec { model: "transformer".parse().unwrap(), threads: 2 });
        assert_eq!(lanes[0].label(), "rnn@1");
        for bad in ["lstm@1", "rnn@0", "rnn@two", "rnn@gpu", "", "rnn@99999"] {
            assert!(parse_lanes(bad).is_err(), "{bad}");
        }
        assert_eq!("30s".parse::<Budget>().unwrap(), Budget::Seconds(30.0));
        assert_eq!("20000tok".parse::<Budget>().unwrap(), Budget::Tokens(20_000));
        assert_eq!("200steps".parse::<Budget>().unwrap(), Budget::Steps(200));
        assert_eq!("1e3s".parse::<Budget>().unwrap(), Budget::Seconds(1000.0));
        assert_eq!(" 2.5s ".parse::<Budget>().unwrap(), Budget::Seconds(2.5));
        for bad in ["0s", "0steps", "30", "fast", "-1s", "nans", "infs", "1e400s", "2.5steps", "s"] {
            assert!(bad.parse::<Budget>().is_err(), "{bad}");
        }
        assert!(Budget::Steps(3).spent(3, 0, 0.0) && !Budget::Seconds(1.0).spent(9, 9, 0.5));
        assert!(LaneSpec::defaults().len() >= ModelKind::all().count());
    }
}
