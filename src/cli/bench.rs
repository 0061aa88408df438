//! `sideways bench`: measure training speed over threads and sequence lengths, fit Amdahl's law,
//! find where attention's T² cost takes over, and chart Brent's bound.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use serde_json::json;

use crate::bench::plot::{self, Chart, Series};
use crate::bench::sweep::{self, SweepConfig, SweepResult};
use crate::bench::{Machine, SpeedPoint};
use crate::data::{Corpus, DataConfig, Dataset};
use crate::error::Error;
use crate::fsio::write_atomically;
use crate::model::ModelKind;

use super::progress::thousands;

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Thread counts to measure, comma-separated
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub threads: Vec<usize>,
    /// Models to measure, comma-separated
    #[arg(long, value_delimiter = ',', default_value = "rnn,transformer")]
    pub models: Vec<String>,
    /// Window lengths, comma-separated (the Transformer's context follows); tokens per step stay 2048
    #[arg(long, value_delimiter = ',', default_value = "64")]
    pub seq_len: Vec<usize>,
    /// Corpus (the standard benchmark uses tinyshakespeare.txt) [default: the embedded corpus]
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Also chart Brent's bound T_P ≥ max(W/P, S) from P = 1 to 25,000 processors
    #[arg(long)]
    pub span: bool,
    /// Write sweep.csv, sweep.json, span.csv and the charts (SVG and PNG) into this folder
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print one JSON object instead of the tables
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: &BenchArgs) -> anyhow::Result<()> {
    let models = a.models.iter().map(|m| m.parse()).collect::<Result<Vec<ModelKind>, _>>()?;
    if let Some(&bad) = a.threads.iter().find(|&&t| t == 0) {
        return Err(Error::config("threads", bad, "thread counts start at 1").into());
    }
    if let Some(&bad) = a.seq_len.iter().find(|&&t| t == 0 || t > 4096) {
        return Err(Error::config("seq-len", bad, "use window lengths from 1 to 4096").into());
    }
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e, "give a folder that can be created and written"))?;
    }
    let corpus = Corpus::from_option(a.corpus.as_deref())?;
    let data = Arc::new(Dataset::new(&corpus, DataConfig::default())?);
    let machine = Machine::read();
    if !a.json {
        let [l1, l5, l15] = machine.load_average;
        println!(
            "machine: {} ({} cores), load average {l1:.2} {l5:.2} {l15:.2} before the run",
            machine.cpu, machine.cores
        );
        println!(
            "corpus {}: vocabulary {}, 2048 tokens per step, step time = median of steps 10..50\n",
            data.name,
            data.vocab.len()
        );
        println!(
            "{:<12} {:>5} {:>6} {:>7} {:>11} {:>9} {:>8} {:>7}",
            "model", "seq", "batch", "threads", "tokens/s", "step ms", "GFLOP/s", "% peak"
        );
    }
    let config = SweepConfig { models, threads: a.threads.clone(), seq_lens: a.seq_len.clone(), tokens_per_step: 2048 };
    let quiet = a.json;
    // Each point is written as it lands, so a sweep cut short keeps what it measured.
    let mut so_far: Vec<SpeedPoint> = Vec::new();
    let mut partial_error = None;
    let result = sweep::run(&data, config, &mut |p: &SpeedPoint| {
        so_far.push(p.clone());
        if let Some(dir) = &a.out {
            if let Err(e) = write_atomically(&dir.join("sweep.csv"), sweep::csv(&so_far).as_bytes()) {
                partial_error.get_or_insert(e);
            }
        }
        if !quiet {
            println!(
                "{:<12} {:>5} {:>6} {:>7} {:>11} {:>9.1} {:>8.1} {:>6.0}%",
                p.model.name(),
                p.seq_len,
                p.batch,
                p.threads,
                thousands(p.tokens_per_s),
                p.step_ms,
                p.gflops,
                100.0 * p.peak_share
            );
        }
    })?;
    if let Some(e) = partial_error {
        return Err(e.into());
    }
    let after = Machine::read();
    if a.json {
        println!(
            "{}",
            json!({"machine": machine, "load_average_after": after.load_average, "corpus": data.name, "result": result})
        );
    } else {
        let [l1, l5, l15] = after.load_average;
        println!("load average after: {l1:.2} {l5:.2} {l15:.2}\n");
        print!("{}", reading(&result, a.span));
    }
    if let Some(dir) = &a.out {
        write_atomically(&dir.join("sweep.csv"), sweep::csv(&result.points).as_bytes())?;
        write_atomically(&dir.join("span.csv"), sweep::span_csv(&result.span).as_bytes())?;
        let doc = json!({"machine": machine, "load_average_after": after.load_average, "corpus": data.name, "result": result});
        write_atomically(&dir.join("sweep.json"), serde_json::to_string_pretty(&doc).expect("serialises").as_bytes())?;
        let mut written = vec![dir.join("sweep.csv"), dir.join("span.csv"), dir.join("sweep.json")];
        if plot::font_available() {
            for (name, chart) in charts(&result, a.span) {
                written.extend(plot::write(&chart, &dir.join(name))?);
            }
        } else {
            eprintln!("charts skipped: no TrueType font found (install fonts-dejavu-core, or set SIDEWAYS_FONT to a .ttf file)");
        }
        if !a.json {
            let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
            eprintln!("wrote {}", names.join(", "));
        }
    }
    Ok(())
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
    out.push_str(&format!(
        "attention's T² FLOPs overtake the rest of a standard Transformer block from T = {} (2·d + mlp)\n",
        r.attention_crossover
    ));
    match r.measured_crossover {
        Some(t) => {
            out.push_str(&format!("measured: the Transformer trains fewer tokens/s than the RNN from T = {t} on\n"))
        }
        None => out.push_str("measured: the Transformer never falls behind the RNN within this sweep\n"),
    }
    if span {
        for c in &r.span {
            let measured: Vec<String> = c.measured.iter().map(|(p, s)| format!("{s:.2}x on {p:.0}")).collect();
            out.push_str(&format!(
                "Brent's bound, {} at T = {}: work {:.2e} FLOPs per step, span {:.2e} → at most {:.0}x on 25,000 processors (W/S = {:.0}); measured here: {}\n",
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

/// The charts of a sweep: (file stem, chart).
fn charts(r: &SweepResult, span: bool) -> Vec<(&'static str, Chart)> {
    let mut charts = Vec::new();
    let models: Vec<ModelKind> = r.config.models.clone();
    let line = |name: String, points: Vec<(f64, f64)>| Series { name, points, markers: false };
    let by = |m: ModelKind, seq: usize| r.points.iter().filter(move |p| p.model == m && p.seq_len == seq);
    let seq0 = r.config.seq_lens[0];
    let max_threads = *r.config.threads.iter().max().unwrap_or(&1);
    if r.config.threads.len() > 1 {
        let series = models
            .iter()
            .map(|&m| {
                line(format!("{m} (T = {seq0})"), by(m, seq0).map(|p| (p.threads as f64, p.tokens_per_s)).collect())
            })
            .collect();
        charts.push((
            "threads",
            Chart {
                title: "Training speed vs threads".into(),
                x_label: "threads".into(),
                y_label: "tokens / s".into(),
                log_x: false,
                log_y: false,
                series,
            },
        ));
    }
    if r.config.seq_lens.len() > 1 {
        let series = models
            .iter()
            .map(|&m| {
                line(
                    format!("{m} ({max_threads} threads)"),
                    r.points
                        .iter()
                        .filter(|p| p.model == m && p.threads == max_threads)
                        .map(|p| (p.seq_len as f64, p.tokens_per_s))
                        .collect(),
                )
            })
            .collect();
        charts.push((
            "seq_len",
            Chart {
                title: "Training speed vs sequence length (2048 tokens per step)".into(),
                x_label: "sequence length T".into(),
                y_label: "tokens / s".into(),
                log_x: true,
                log_y: true,
                series,
            },
        ));
    }
    let series = models
        .iter()
        .filter_map(|&m| {
            by(m, seq0).find(|p| p.threads == max_threads).map(|p| {
                line(format!("{m} ({max_threads} threads)"), p.losses.iter().map(|&(s, l)| (s, l as f64)).collect())
            })
        })
        .collect();
    charts.push((
        "loss",
        Chart {
            title: format!("Training loss vs wall-clock time (T = {seq0})"),
            x_label: "seconds".into(),
            y_label: "loss".into(),
            log_x: false,
            log_y: false,
            series,
        },
    ));
    if span {
        let mut series: Vec<Series> =
            r.span.iter().map(|c| line(format!("{} bound (T = {})", c.model, c.seq_len), c.bound.clone())).collect();
        series.extend(r.span.iter().filter(|c| c.seq_len == seq0 && c.measured.len() > 1).map(|c| Series {
            name: format!("{} measured here (T = {})", c.model, c.seq_len),
            points: c.measured.clone(),
            markers: true,
        }));
        charts.push((
            "span",
            Chart {
                title: "Brent's bound: best possible speed-up with P processors".into(),
                x_label: "processors P".into(),
                y_label: "speed-up".into(),
                log_x: true,
                log_y: true,
                series,
            },
        ));
    }
    charts
}
