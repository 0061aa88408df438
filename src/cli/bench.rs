//! `sideways bench`: the side-by-side speed table of both models on 1, 2, … threads.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use serde_json::json;

use crate::bench::{self, Machine};
use crate::data::{Corpus, DataConfig, Dataset};
use crate::linalg::Threads;
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
    /// Window lengths to measure, comma-separated (the Transformer's context follows)
    #[arg(long, value_delimiter = ',', default_value = "64")]
    pub seq_len: Vec<usize>,
    /// Corpus (the standard benchmark uses tinyshakespeare.txt) [default: the embedded corpus]
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Print one JSON object instead of the table
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: &BenchArgs) -> anyhow::Result<()> {
    let kinds = a.models.iter().map(|m| m.parse()).collect::<Result<Vec<ModelKind>, _>>()?;
    let pools = a.threads.iter().map(|&n| Threads::new(n)).collect::<Result<Vec<_>, _>>()?;
    let corpus = Corpus::from_option(a.corpus.as_deref())?;
    let data = Arc::new(Dataset::new(&corpus, DataConfig::default())?);
    let machine = Machine::read();
    let peaks: Vec<f64> = pools.iter().map(bench::peak_gflops).collect();
    if !a.json {
        println!(
            "machine: {} ({} cores), load average {:.2} {:.2} {:.2} before the run",
            machine.cpu, machine.cores, machine.load_average[0], machine.load_average[1], machine.load_average[2]
        );
        println!(
            "corpus {}: vocabulary {}, batch 32 windows, step time = median of steps 10..50",
            data.name,
            data.vocab.len()
        );
        let peak_list: Vec<String> =
            pools.iter().zip(&peaks).map(|(t, p)| format!("{} thread(s) {p:.0}", t.count())).collect();
        println!("matmul peak (faer, 512x512x512 f32), GFLOP/s: {}\n", peak_list.join(", "));
        println!(
            "{:<12} {:>5} {:>7} {:>11} {:>9} {:>8} {:>7} {:>9}",
            "model", "seq", "threads", "tokens/s", "step ms", "GFLOP/s", "% peak", "speed-up"
        );
    }
    let mut points = Vec::new();
    for &kind in &kinds {
        for &seq in &a.seq_len {
            let mut base = None;
            for (pool, &peak) in pools.iter().zip(&peaks) {
                let p = bench::measure(kind, &data, seq, pool, peak)?;
                let speedup = p.tokens_per_s / *base.get_or_insert(p.tokens_per_s);
                if !a.json {
                    println!(
                        "{:<12} {:>5} {:>7} {:>11} {:>9.1} {:>8.1} {:>6.0}% {:>8.2}x",
                        kind.name(),
                        seq,
                        p.threads,
                        thousands(p.tokens_per_s),
                        p.step_ms,
                        p.gflops,
                        100.0 * p.peak_share,
                        speedup
                    );
                }
                points.push(p);
            }
        }
    }
    let after = Machine::read();
    if a.json {
        println!(
            "{}",
            json!({"machine": machine, "load_average_after": after.load_average, "corpus": data.name, "vocab": data.vocab.len(), "peak_gflops": peaks, "points": points})
        );
    } else {
        println!(
            "\nload average after: {:.2} {:.2} {:.2}",
            after.load_average[0], after.load_average[1], after.load_average[2]
        );
    }
    Ok(())
}
