//! `sideways bench`: the sweep's table as points land, then what it says.

use std::path::PathBuf;

use clap::Args;

use super::output;
use crate::bench::profile::Profile;
use crate::bench::sweep::SweepResult;
use crate::bench::SpeedPoint;
use crate::commands::bench::{bench, profile_all, BenchOptions};
use crate::commands::scaling::ScalingOptions;
use crate::gpu::GpuChoice;
use crate::linalg::Machine;
use crate::model::ModelKind;
use crate::train::Preset;
use crate::units::thousands;

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Thread counts to measure, comma-separated; `none` for GPUs only [default: 1,2; none with --preset gpu]
    #[arg(long)]
    pub threads: Option<String>,
    /// GPUs to measure on, comma-separated (gpu, gpu:N; `none`) [default: every hardware GPU]
    #[arg(long)]
    pub gpus: Option<String>,
    /// Models to measure, comma-separated [default: all]
    #[arg(long, value_delimiter = ',')]
    pub models: Vec<String>,
    /// standard (bench-config.md) or gpu (width 768, 12 blocks of 12 heads, vocabulary 16384)
    #[arg(long, default_value = "standard")]
    pub preset: Preset,
    /// Window lengths, comma-separated (each model's context follows); tokens per step stay the
    /// preset's (2048; 8192 with --preset gpu) [default: 64; 1024 with --preset gpu]
    #[arg(long, value_delimiter = ',')]
    pub seq_len: Vec<usize>,
    /// Corpus (the standard benchmark uses tinyshakespeare.txt) [default: the embedded corpus]
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Also chart the work and span bound T_P ≥ max(W/P, S) from P = 1 to 25,000 processors
    #[arg(long)]
    pub span: bool,
    /// Write sweep.csv, sweep.json, span.csv and the charts (SVG and PNG) into this folder
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print one JSON object instead of the tables
    #[arg(long)]
    pub json: bool,
    /// Divide each model's step up by layer instead (forward, backward and the optimizer, on
    /// the CPU threads given): where each millisecond goes
    #[arg(long)]
    pub profile: bool,
    /// Measure a step shared by the processes of an MPI run (`mpirun -n N sideways bench
    /// --data-parallel`, a build with --features mpi): tokens/s and the gradient sum
    #[arg(long)]
    pub data_parallel: bool,
}

pub fn run(a: &BenchArgs) -> anyhow::Result<()> {
    let models = if a.models.is_empty() {
        ModelKind::all().collect()
    } else {
        a.models.iter().map(|m| m.parse()).collect::<Result<Vec<ModelKind>, _>>()?
    };
    if a.data_parallel {
        let threads = match a.threads.as_deref() {
            Some(t) => thread_count(t.trim())?,
            // The processes on this host share its cores.
            None => (crate::linalg::Threads::available() / crate::dist::local_processes()).max(1),
        };
        let options = ScalingOptions { models, threads, corpus: a.corpus.clone() };
        return data_parallel(&options, a.json);
    }
    let threads = match a.threads.as_deref().map(str::trim) {
        Some("none") => Vec::new(),
        Some(list) => list.split(',').map(|t| thread_count(t.trim())).collect::<Result<_, _>>()?,
        // The gpu preset takes minutes a step on a CPU: measured there only when asked for.
        None if a.preset == Preset::Gpu => Vec::new(),
        None => vec![1, 2],
    };
    let gpus = match a.gpus.as_deref().map(str::trim) {
        None => None,
        Some("none") => Some(Vec::new()),
        Some(list) => Some(list.split(',').map(|g| g.trim().parse()).collect::<Result<Vec<GpuChoice>, _>>()?),
    };
    let options = BenchOptions {
        threads,
        gpus,
        models,
        preset: a.preset,
        seq_lens: if a.seq_len.is_empty() { vec![a.preset.seq_len()] } else { a.seq_len.clone() },
        tokens_per_step: a.preset.tokens_per_step(),
        corpus: a.corpus.clone(),
        span: a.span,
        out: a.out.clone(),
    };
    if a.profile {
        return profile(&options, a.json);
    }
    if !a.json {
        let m = Machine::read();
        output::line(&format!(
            "machine: {} ({} cores), load average {} before the run",
            m.cpu,
            m.cores,
            load(m.load_average)
        ))?;
        output::line(&format!(
            "{} tokens per step; step time = median of steps 10..50 (the first 9 warm up)\n",
            options.tokens_per_step
        ))?;
        output::line(&format!(
            "{:<12} {:>5} {:>6} {:>7} {:>11} {:>9} {:>8} {:>7} {:>8} {:>9}",
            "model", "seq", "batch", "on", "tokens/s", "step ms", "GFLOP/s", "% peak", "kernels", "device ms"
        ))?;
    }
    let mut write_error = None;
    let r = bench(&options, &mut |p: &SpeedPoint| {
        if !a.json {
            if let Err(e) = output::line(&point(p)) {
                write_error.get_or_insert(e);
            }
        }
    })?;
    if let Some(e) = write_error {
        return Err(e);
    }
    if a.json {
        return output::result("bench", &r);
    }
    output::line(&format!("load average after: {}\n", load(r.load_average_after)))?;
    let mut gpus: Vec<(usize, &str)> =
        r.sweep.points.iter().filter_map(|p| Some((p.gpu?, p.device.as_deref()?))).collect();
    gpus.dedup();
    for (index, name) in gpus {
        output::line(&format!("gpu:{index} is {name}"))?;
    }
    if let Some(note) = &r.vocabulary_note {
        output::line(&format!("note: {note}"))?;
    }
    output::text(&reading(&r.sweep, a.span))?;
    if r.charts_skipped {
        say!("charts skipped: no TrueType font found (install fonts-dejavu-core, or set SIDEWAYS_FONT to a .ttf file)");
    }
    if !r.written.is_empty() {
        let names: Vec<String> = r.written.iter().map(|p| p.display().to_string()).collect();
        say!("wrote {}", names.join(", "));
    }
    Ok(())
}

/// `bench --profile`: one table per model, window length and thread count, as each lands.
fn profile(options: &BenchOptions, json: bool) -> anyhow::Result<()> {
    if !json {
        let m = Machine::read();
        output::line(&format!(
            "machine: {} ({} cores), load average {} before the run",
            m.cpu,
            m.cores,
            load(m.load_average)
        ))?;
        output::line("each row: the median over steps 10..50 of the milliseconds that layer took in one step\n")?;
    }
    let mut write_error = None;
    let r = profile_all(options, &mut |p| {
        if !json {
            if let Err(e) = output::text(&profile_table(p)) {
                write_error.get_or_insert(e);
            }
        }
    })?;
    if let Some(e) = write_error {
        return Err(e);
    }
    match json {
        true => output::result("bench_profile", &r),
        false => output::line(&format!("load average after: {}", load(r.load_average_after))),
    }
}

/// One profile as a table: a row per kind of layer, its share of the step.
fn profile_table(p: &Profile) -> String {
    let mut out = format!(
        "{}, T = {}, batch {}, {} thread(s): step {:.1} ms ({} tokens/s)\n",
        p.model,
        p.seq_len,
        p.batch,
        p.threads,
        p.step_ms,
        thousands((p.batch * p.seq_len) as f64 / (p.step_ms * 1e-3))
    );
    out.push_str(&format!(
        "  {:<34} {:>10} {:>11} {:>9} {:>9} {:>6}\n",
        "layer", "forward ms", "backward ms", "update ms", "total ms", "share"
    ));
    let ms = |v: f64| if v == 0.0 { "-".to_string() } else { format!("{v:.2}") };
    for r in &p.rows {
        out.push_str(&format!(
            "  {:<34} {:>10} {:>11} {:>9} {:>9.2} {:>5.1}%\n",
            r.layer,
            ms(r.forward_ms),
            ms(r.backward_ms),
            ms(r.update_ms),
            r.total_ms(),
            100.0 * r.total_ms() / p.step_ms
        ));
    }
    out
}

fn load(l: Option<[f64; 3]>) -> String {
    l.map_or("unknown".into(), |[a, b, c]| format!("{a:.2} {b:.2} {c:.2}"))
}

/// "35.2x", or "1/138 of" where a software adapter is far slower than the CPU.
fn ratio(r: f64) -> String {
    if r >= 1.0 {
        format!("{r:.1}x")
    } else {
        format!("1/{:.0} of", 1.0 / r)
    }
}

/// A thread count of `--threads`.
fn thread_count(t: &str) -> anyhow::Result<usize> {
    t.parse().map_err(|_| crate::error::Error::config("threads", t, "give thread counts like 1,2 (or none)").into())
}

/// One row of the table.
fn point(p: &SpeedPoint) -> String {
    let on = p.gpu.map_or(p.threads.to_string(), |i| format!("gpu:{i}"));
    let dash = || "-".to_string();
    format!(
        "{:<12} {:>5} {:>6} {:>7} {:>11} {:>9.1} {:>8.1} {:>7} {:>8} {:>9}",
        p.model.name(),
        p.seq_len,
        p.batch,
        on,
        thousands(p.tokens_per_s),
        p.step_ms,
        p.gflops,
        p.peak_share.map_or_else(dash, |s| format!("{:.0}%", 100.0 * s)),
        p.dispatches.map_or_else(dash, |d| d.to_string()),
        p.gpu_ms.map_or_else(dash, |ms| format!("{ms:.1}"))
    )
}

/// What the sweep says, in sentences.
fn reading(r: &SweepResult, span: bool) -> String {
    let mut out = String::new();
    for f in &r.amdahl {
        out.push_str(&format!(
            "Amdahl fit, {} at T = {}: serial fraction {:.1}% → at most {:.1}x on any number of cores\n",
            f.model,
            f.seq_len,
            100.0 * f.fit.serial_fraction,
            f.fit.speedup(f64::INFINITY)
        ));
    }
    for c in &r.crossovers {
        out.push_str(&format!(
            "the {}'s work that grows with the window (attention) overtakes the rest of a layer from T = {}\n",
            c.model, c.seq_len
        ));
    }
    for g in &r.gpu_ratios {
        out.push_str(&format!(
            "on {}: the {} at T = {} trains {} the tokens/s of {} CPU thread(s)\n",
            g.device,
            g.model,
            g.seq_len,
            ratio(g.ratio),
            g.threads
        ));
    }
    if r.config.models.len() > 1 && !r.fastest.is_empty() {
        let fastest: Vec<String> = r.fastest.iter().map(|f| format!("{} at T = {}", f.model, f.seq_len)).collect();
        let threads = r.fastest.first().map_or(1, |f| f.threads);
        out.push_str(&format!("measured, fastest on {threads} thread(s): {}\n", fastest.join(", ")));
    }
    if span {
        for c in &r.span {
            let measured: Vec<String> = c.measured.iter().map(|(p, s)| format!("{s:.2}x on {p:.0}")).collect();
            out.push_str(&format!(
                "work and span bound, {} at T = {}: work {:.2e} FLOPs per step, span {:.2e} → at most {:.0}x on 25,000 processors (W/S = {:.0}); measured here: {}\n",
                c.model,
                c.seq_len,
                c.work,
                c.span,
                c.work / (c.work / 25_000.0).max(c.span),
                c.work / c.span,
                measured.join(", ")
            ));
        }
    }
    out
}

/// `bench --data-parallel` on one process of an MPI run: process 0 prints.
#[cfg(feature = "mpi")]
fn data_parallel(options: &ScalingOptions, json: bool) -> anyhow::Result<()> {
    let mpi = crate::dist::Mpi::start()?;
    let rank = mpi.rank();
    let result = crate::commands::scaling::scaling(options, &|| Box::new(mpi.sync()), &mut |_| {});
    match result {
        Ok(r) if rank == 0 => match json {
            true => output::result("bench_data_parallel", &r),
            false => output::text(&scaling_table(&r)),
        },
        Ok(_) => Ok(()),
        Err(e) if mpi.size() > 1 => {
            eprintln!("error (process {rank} of {}): {e}", mpi.size());
            mpi.abort(1)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(feature = "mpi"))]
fn data_parallel(_: &ScalingOptions, _: bool) -> anyhow::Result<()> {
    Err(crate::dist::not_built().into())
}

/// The data-parallel measurements as tables.
#[cfg(feature = "mpi")]
fn scaling_table(r: &crate::commands::scaling::ScalingResult) -> String {
    let mut out = format!(
        "data-parallel: {} process(es) × {} thread(s), standard configuration (each step's windows split between them)\n",
        r.processes, r.threads
    );
    out.push_str(&format!(
        "  {:<12} {:>10} {:>10} {:>9} {:>13} {:>8}\n",
        "model", "parameters", "tokens/s", "step ms", "gradient sum", "of step"
    ));
    for p in &r.points {
        out.push_str(&format!(
            "  {:<12} {:>10} {:>10} {:>9.1} {:>10.2} ms {:>7.0}%\n",
            p.model.name(),
            thousands(p.parameters as f64),
            thousands(p.tokens_per_s),
            p.step_ms,
            p.sum_ms,
            100.0 * p.sum_ms / p.step_ms
        ));
    }
    out.push_str("the gradient sum as the Transformer grows (median of 20):\n");
    out.push_str(&format!("  {:>7} {:>11} {:>8} {:>8} {:>8}\n", "d_model", "parameters", "MB", "sum ms", "GB/s"));
    for s in &r.sums {
        let bytes = 4.0 * s.parameters as f64;
        out.push_str(&format!(
            "  {:>7} {:>11} {:>8.1} {:>8.2} {:>8.2}\n",
            s.d_model,
            thousands(s.parameters as f64),
            bytes / 1e6,
            s.sum_ms,
            bytes / (s.sum_ms * 1e-3) / 1e9
        ));
    }
    let load = |l: Option<[f64; 3]>| l.map_or("?".into(), |l| format!("{:.2}", l[0]));
    out.push_str(&format!(
        "load average {} before, {} after; run with 1, 2, 4 … processes to read the scaling off tokens/s\n",
        load(r.machine.load_average),
        load(r.load_average_after)
    ));
    out
}
