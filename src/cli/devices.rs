//! `sideways devices` (the GPUs this machine has) and `sideways selftest --gpu` (are their
//! kernels right?).

use clap::Args;
use serde::Serialize;

use super::output;
use crate::gpu::{adapters, AdapterInfo, GpuChoice};
use crate::units::bytes;

#[derive(Debug, Clone, Args)]
pub struct DevicesArgs {
    /// Print the adapters as one JSON result line instead of a table
    #[arg(long)]
    pub json: bool,
}

/// `devices --json`: a result is an object (its fields sit beside `"schema"` and `"result"`),
/// so the list goes under a name, with the lanes the default race adds.
#[derive(Serialize)]
struct Devices<'a> {
    adapters: &'a [AdapterInfo],
    /// `@gpu:N` of each hardware adapter: the GPU lanes of the default race.
    race_lanes: Vec<String>,
}

pub fn run(a: &DevicesArgs) -> anyhow::Result<()> {
    let found = adapters();
    if a.json {
        return output::result("devices", &Devices { adapters: &found, race_lanes: race_lanes(&found) });
    }
    output::text(&table(&found))
}

/// The lanes the default race adds: one per hardware GPU (software adapters only when asked for).
fn race_lanes(found: &[AdapterInfo]) -> Vec<String> {
    found.iter().filter(|a| a.is_hardware()).map(|a| format!("@gpu:{}", a.index)).collect()
}

/// One line per adapter, and which of them the default race uses.
pub fn table(found: &[AdapterInfo]) -> String {
    if found.is_empty() {
        return if cfg!(feature = "gpu") {
            "no GPU adapter found: races use CPU threads. For Mesa's software one (Debian): apt install mesa-vulkan-drivers libvulkan1\n"
        } else {
            "this build has no GPU support (it was built with --no-default-features): races use CPU threads\n"
        }
        .into();
    }
    let mut out = format!(
        "{:<7} {:<36} {:<10} {:<7} {:>10} {:>10} {:>6} {:>10}\n",
        "lane", "adapter", "type", "backend", "binding", "buffer", "group", "timestamps"
    );
    for a in found {
        let kind = format!("{:?}", a.kind).to_lowercase();
        out.push_str(&format!(
            "{:<7} {:<36} {:<10} {:<7} {:>10} {:>10} {:>6} {:>10}\n",
            format!("@gpu:{}", a.index),
            a.name.chars().take(36).collect::<String>(),
            kind,
            a.backend,
            bytes(a.max_binding_bytes),
            bytes(a.max_buffer_bytes),
            a.max_invocations,
            if a.timestamps { "yes" } else { "no" }
        ));
        if !a.immediates {
            out.push_str(
                "        cannot pass kernel arguments as immediates (push constants): sideways cannot use it\n",
            );
        }
    }
    let hardware = race_lanes(found);
    out.push_str(&match hardware.len() {
        0 => "the default race uses CPU threads only: a software adapter runs when asked for (rnn@gpu)\n".into(),
        _ => format!("the default race adds a lane of each model on {}\n", hardware.join(", ")),
    });
    out
}

#[derive(Debug, Clone, Args)]
pub struct SelftestArgs {
    /// Check the GPU backend: every kernel and one training step of each model against the CPU
    #[arg(long)]
    pub gpu: bool,
    /// Which GPU: gpu (the first hardware GPU, else the first adapter) or gpu:N
    #[arg(long, default_value = "gpu")]
    pub device: String,
    /// Print the report as one JSON result line instead of a table
    #[arg(long)]
    pub json: bool,
}

pub fn run_selftest(a: &SelftestArgs) -> anyhow::Result<()> {
    if !a.gpu {
        let hint = "run `sideways selftest --gpu` (the CPU engine is checked by `cargo test`)";
        return Err(crate::error::Error::config("selftest", "nothing to test", hint).into());
    }
    let choice: GpuChoice = a.device.parse()?;
    let report = crate::selftest::gpu(choice)?;
    if a.json {
        output::result("selftest", &report)?;
    } else {
        let mut out = format!("selftest on {}\n", report.device);
        out.push_str(&format!("{:<36} {:>5} {:>10} {:>10}\n", "check", "sizes", "largest", "tolerance"));
        for c in report.kernels.0.iter().chain(&report.models.0) {
            out.push_str(&format!(
                "{:<36} {:>5} {:>10.1e} {:>10.0e} {}\n",
                c.name,
                c.cases,
                c.worst,
                c.tolerance,
                if c.passed() { "ok" } else { "FAILED" }
            ));
        }
        let n = report.kernels.0.len() + report.models.0.len();
        let verdict = if report.passed() { "all passed" } else { "FAILED" };
        out.push_str(&format!(
            "{n} checks, {verdict}, in {:.1} s (differences relative to the largest CPU value)\n",
            report.seconds
        ));
        output::text(&out)?;
    }
    if !report.passed() {
        anyhow::bail!("the GPU disagrees with the CPU engine: see the FAILED lines");
    }
    Ok(())
}
