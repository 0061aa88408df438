//! The machine a figure is measured on: its CPU, cores and load, and a short probe of its
//! matrix-product throughput, the yardstick for "share of peak".
//!
//! Hard-coding a vendor's peak (or another chip's) is how utilisation figures end up lying;
//! sideways measures the best faer product rate here, on the threads a run will use. The probe
//! takes a fraction of a second, so callers measure it once, before a race or sweep starts, and
//! pass the value in ([`Peaks`]); nothing is cached behind their back.

use std::collections::BTreeMap;
use std::time::Instant;

use faer::Accum;
use serde::{Deserialize, Serialize};

use super::{matmul, rows, rows_mut, Threads};
use crate::error::{Error, Result};

/// The CPU, its cores and how busy it was.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    /// 1, 5 and 15-minute load averages when read (a 2-thread figure means little on a busy
    /// machine); `None` where the system does not say.
    pub load_average: Option<[f64; 3]>,
}

impl Machine {
    /// Read the CPU model and load from /proc ("unknown CPU" and no load elsewhere).
    pub fn read() -> Machine {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|s| s.trim().to_string())
            })
            .unwrap_or_else(|| "unknown CPU".into());
        Machine { cpu, cores: Threads::available(), load_average: load_average() }
    }
}

/// The load averages now, from /proc/loadavg.
pub fn load_average() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut it = text.split_whitespace().map(|v| v.parse::<f64>().ok());
    Some([it.next()??, it.next()??, it.next()??])
}

/// Memory the system says it can give this process without swapping (Linux's MemAvailable);
/// `None` where it does not say.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// Refuse `needed` bytes for `what` when the machine does not have them available, before
/// anything is allocated: a failed allocation aborts the process with no word of what to do.
pub fn ensure_memory(what: impl Into<String>, needed: u64, hint: impl Into<String>) -> Result<()> {
    match available_memory() {
        Some(available) if needed > available => {
            Err(Error::Memory { what: what.into(), needed, available, hint: hint.into() })
        }
        _ => Ok(()),
    }
}

/// Best GFLOP/s of a (512 × 512) · (512 × 512) f32 product on `threads`, over about `seconds`.
pub fn matmul_gflops(threads: &Threads, seconds: f64) -> f64 {
    const N: usize = 512;
    let a: Vec<f32> = (0..N * N).map(|i| (i % 7) as f32 * 0.1).collect();
    let b: Vec<f32> = (0..N * N).map(|i| (i % 5) as f32 * 0.1).collect();
    let mut c = vec![0.0f32; N * N];
    let flops = 2.0 * (N * N * N) as f64;
    let start = Instant::now();
    let mut best = f64::INFINITY;
    while start.elapsed().as_secs_f64() < seconds || best.is_infinite() {
        let t = Instant::now();
        threads.install(|x| matmul(rows_mut(&mut c, N, N), Accum::Replace, rows(&a, N, N), rows(&b, N, N), x.par));
        best = best.min(t.elapsed().as_secs_f64());
    }
    flops / best / 1e9
}

/// Measured matrix-product peaks (GFLOP/s) by thread count.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Peaks(BTreeMap<usize, f64>);

impl Peaks {
    /// Probe each thread count in `counts` for about `seconds`.
    pub fn measure(counts: impl IntoIterator<Item = usize>, seconds: f64) -> Result<Peaks> {
        let mut peaks = BTreeMap::new();
        for n in counts {
            if let std::collections::btree_map::Entry::Vacant(slot) = peaks.entry(n) {
                slot.insert(matmul_gflops(&Threads::new(n)?, seconds));
            }
        }
        Ok(Peaks(peaks))
    }

    /// The peak on `threads`, if it was measured.
    pub fn get(&self, threads: usize) -> Option<f64> {
        self.0.get(&threads).copied()
    }
}
