//! What a race is made of: lanes ("rnn@2", "transformer@gpu"), each a model on some CPU
//! threads or on a GPU.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::gpu::{adapters, AdapterInfo, GpuChoice};
use crate::linalg::Threads;
use crate::model::ModelKind;

/// One contestant: a model on a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaneSpec {
    pub model: ModelKind,
    /// CPU threads (a GPU lane's one host thread).
    pub threads: usize,
    /// The GPU it trains on (`None`: the CPU threads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuChoice>,
}

impl LaneSpec {
    /// A lane of `model` on `threads` CPU threads.
    pub fn cpu(model: ModelKind, threads: usize) -> Self {
        LaneSpec { model, threads, gpu: None }
    }

    /// A lane of `model` on a GPU.
    pub fn gpu(model: ModelKind, gpu: GpuChoice) -> Self {
        LaneSpec { model, threads: 1, gpu: Some(gpu) }
    }

    pub fn label(&self) -> String {
        match self.gpu {
            None => format!("{}@{}", self.model, self.threads),
            Some(GpuChoice::Best) => format!("{}@gpu", self.model),
            Some(GpuChoice::Index(i)) => format!("{}@gpu:{i}", self.model),
        }
    }

    /// Every registered model on one thread and on all cores (one lane each on a 1-core
    /// machine), and on each hardware GPU of `found` (never on a software adapter).
    pub fn defaults_with(found: &[AdapterInfo]) -> Vec<LaneSpec> {
        let n = Threads::available();
        let counts: Vec<usize> = if n > 1 { vec![1, n] } else { vec![1] };
        let gpus: Vec<usize> = found.iter().filter(|a| a.is_hardware()).map(|a| a.index).collect();
        // One GPU is plain `@gpu`; several are told apart by number.
        let single = gpus.len() == 1;
        let gpu = move |i: usize| if single { GpuChoice::Best } else { GpuChoice::Index(i) };
        ModelKind::all()
            .flat_map(|model| {
                let cpu = counts.iter().map(move |&threads| LaneSpec::cpu(model, threads));
                cpu.chain(gpus.clone().into_iter().map(move |i| LaneSpec::gpu(model, gpu(i))))
            })
            .collect()
    }

    /// [`LaneSpec::defaults_with`] the adapters of this machine.
    pub fn defaults() -> Vec<LaneSpec> {
        Self::defaults_with(&adapters())
    }
}

impl FromStr for LaneSpec {
    type Err = Error;
    /// `model@threads` (`rnn@1`, `transformer@2`), `model@gpu` or `model@gpu:N`; `model` alone
    /// uses every core.
    fn from_str(s: &str) -> Result<Self> {
        let bad = |hint: String| Error::config("lane", s, hint);
        // `model` alone: every core; `model@` with nothing after is a lane half written.
        let (model, device) = match s.trim().split_once('@') {
            Some((model, device)) => (model, Some(device)),
            None => (s.trim(), None),
        };
        let model: ModelKind = model.parse().map_err(|_| {
            bad(format!(
                "write lanes as model@threads or model@gpu, e.g. rnn@1,transformer@gpu (models: {})",
                ModelKind::choices()
            ))
        })?;
        if let Some(device) = device.filter(|d| d.starts_with("gpu")) {
            let gpu =
                device.parse().map_err(|_| bad(format!("after gpu: give an adapter number, e.g. {model}@gpu:0")))?;
            return Ok(LaneSpec::gpu(model, gpu));
        }
        let threads = match device {
            None => Threads::available(),
            Some(n) => n
                .parse::<usize>()
                .map_err(|_| bad(format!("after @ give a thread count or gpu, e.g. {model}@2 or {model}@gpu")))?,
        };
        if threads == 0 {
            return Err(bad("a lane needs at least one thread".into()));
        }
        if threads > Threads::MAX {
            return Err(bad(format!("use at most {} threads", Threads::MAX)));
        }
        Ok(LaneSpec::cpu(model, threads))
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
    use crate::gpu::DeviceKind;
    use crate::train::Budget;

    #[test]
    fn lanes_and_budgets_parse_or_say_why_not() {
        let lanes = parse_lanes("rnn@1, transformer@2, rnn@gpu, transformer@gpu:1").unwrap();
        let (rnn, transformer) = ("rnn".parse().unwrap(), "transformer".parse().unwrap());
        assert_eq!(lanes[1], LaneSpec::cpu(transformer, 2));
        assert_eq!(lanes[2], LaneSpec::gpu(rnn, GpuChoice::Best));
        assert_eq!(lanes[3], LaneSpec::gpu(transformer, GpuChoice::Index(1)));
        let labels: Vec<String> = lanes.iter().map(LaneSpec::label).collect();
        assert_eq!(labels, ["rnn@1", "transformer@2", "rnn@gpu", "transformer@gpu:1"]);
        for bad in ["lstm@1", "rnn@0", "rnn@two", "rnn@gpu:x", "rnn@gpu:", "", "rnn@99999", "rnn@", "rnn@all"] {
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

    fn adapter(index: usize, kind: DeviceKind) -> AdapterInfo {
        AdapterInfo {
            index,
            name: format!("gpu {index}"),
            backend: "Vulkan".into(),
            kind,
            driver: String::new(),
            max_binding_bytes: 1 << 27,
            max_buffer_bytes: 1 << 28,
            max_workgroup_bytes: 1 << 14,
            max_invocations: 256,
            immediates: true,
            timestamps: true,
        }
    }

    /// Hardware GPUs join the default race; a software adapter only when asked for.
    #[test]
    fn default_lanes_race_hardware_gpus_only() {
        let cpu_only = LaneSpec::defaults_with(&[]);
        assert!(cpu_only.iter().all(|l| l.gpu.is_none()));
        let software = [adapter(0, DeviceKind::Software)];
        assert_eq!(LaneSpec::defaults_with(&software), cpu_only);
        assert_eq!(GpuChoice::Best.resolve(&software).unwrap(), 0);
        let both = [adapter(0, DeviceKind::Software), adapter(1, DeviceKind::Discrete)];
        let lanes = LaneSpec::defaults_with(&both);
        let gpu: Vec<String> = lanes.iter().filter(|l| l.gpu.is_some()).map(LaneSpec::label).collect();
        let every = |suffix: &str| ModelKind::all().map(|m| format!("{m}{suffix}")).collect::<Vec<_>>();
        assert_eq!(gpu, every("@gpu"));
        let two = [adapter(0, DeviceKind::Integrated), adapter(1, DeviceKind::Discrete)];
        let gpu: Vec<String> =
            LaneSpec::defaults_with(&two).iter().filter(|l| l.gpu.is_some()).map(LaneSpec::label).collect();
        let numbered: Vec<String> =
            every("@gpu:0").into_iter().zip(every("@gpu:1")).flat_map(|(a, b)| [a, b]).collect();
        assert_eq!(gpu, numbered);
        assert_eq!(GpuChoice::Best.resolve(&both).unwrap(), 1);
        assert!(GpuChoice::Index(2).resolve(&both).unwrap_err().to_string().contains("gpu:0 to gpu:1"));
        let none = if cfg!(feature = "gpu") { "no GPU was found" } else { "no GPU support" };
        assert!(GpuChoice::Best.resolve(&[]).unwrap_err().to_string().contains(none));
    }
}
