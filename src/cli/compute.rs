//! `sideways compute`: from "6 × parameters × tokens" to GPU-years, and to this machine.

use std::sync::Arc;

use clap::Args;
use serde_json::json;

use crate::bench::compute::{self, human, sig3, Estimate, DATA_SCALE};
use crate::bench::{self as speed};
use crate::data::Dataset;
use crate::error::Error;
use crate::linalg::Threads;
use crate::model::ModelKind;

#[derive(Debug, Clone, Args)]
pub struct ComputeArgs {
    /// Start from a known model: gpt3, bert-large, chinchilla, llama2-7b, llama2-70b
    #[arg(long, default_value = "gpt3")]
    pub preset: String,
    /// Parameters [default: the preset's]
    #[arg(long)]
    pub params: Option<f64>,
    /// Training tokens [default: the preset's]
    #[arg(long)]
    pub tokens: Option<f64>,
    /// Sustained FLOP/s of one GPU (28e12: a V100 in practice, the article's figure)
    #[arg(long, default_value_t = 28e12)]
    pub flops_per_gpu: f64,
    /// How many GPUs
    #[arg(long, default_value_t = 25_000.0)]
    pub gpus: f64,
    /// Also measure this computer (a short standard Transformer run) and say how long it would take
    #[arg(long)]
    pub this_machine: bool,
    /// Threads for --this-machine [default: all cores]
    #[arg(long)]
    pub threads: Option<usize>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: &ComputeArgs) -> anyhow::Result<()> {
    let names: Vec<&str> = compute::PRESETS.iter().map(|p| p.name).collect();
    let preset = compute::preset(&a.preset)
        .ok_or_else(|| Error::config("preset", &a.preset, format!("use one of {}", names.join(", "))))?;
    let (params, tokens) = (a.params.unwrap_or(preset.params), a.tokens.unwrap_or(preset.tokens));
    for (name, v) in [("params", params), ("tokens", tokens), ("flops-per-gpu", a.flops_per_gpu), ("gpus", a.gpus)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::config(name, v, "use a positive number, e.g. 175e9").into());
        }
    }
    let flops = compute::training_flops(params, tokens);
    let one = Estimate::new(flops, a.flops_per_gpu, 1.0);
    let many = Estimate::new(flops, a.flops_per_gpu, a.gpus);
    let machine = if a.this_machine { Some(measure_this_machine(a.threads)?) } else { None };
    if a.json {
        let here = machine
            .as_ref()
            .map(|(gflops, threads)| json!({"gflops": gflops, "threads": threads, "seconds": flops / (gflops * 1e9)}));
        let scale: Vec<_> = DATA_SCALE
            .iter()
            .map(|(name, t)| json!({"corpus": name, "tokens": t, "flops": compute::training_flops(params, *t)}))
            .collect();
        println!(
            "{}",
            json!({"preset": preset, "params": params, "tokens": tokens, "flops": flops, "one_gpu": one, "many_gpus": many, "this_machine": here, "data_scale": scale})
        );
        return Ok(());
    }
    if a.params.is_none() && a.tokens.is_none() {
        println!("{} ({}): {:.3e} parameters, {:.3e} training tokens", preset.name, preset.source, params, tokens);
    }
    println!("training compute ≈ 6 × parameters × tokens = 6 × {params:.3e} × {tokens:.3e} = {flops:.3e} FLOPs");
    println!("  on 1 GPU at {} TFLOP/s:              {}", sig3(a.flops_per_gpu / 1e12), human(one.seconds));
    println!("  on {} GPUs (perfect scaling):    {}", sig3(a.gpus), human(many.seconds));
    if let Some((gflops, threads)) = machine {
        println!(
            "  on this machine ({gflops:.0} GFLOP/s measured, {threads} threads): {}",
            human(flops / (gflops * 1e9))
        );
    }
    println!("\nhow much data, for a model of {params:.3e} parameters:");
    let here_col = machine.map(|(g, _)| g);
    println!(
        "  {:<54} {:>9} {:>16} {:>16}{}",
        "corpus",
        "tokens",
        "1 GPU",
        format!("{} GPUs", sig3(a.gpus)),
        if here_col.is_some() { format!("{:>18}", "this machine") } else { String::new() }
    );
    for (name, t) in DATA_SCALE {
        let f = compute::training_flops(params, t);
        let here = here_col.map_or(String::new(), |g| format!("{:>18}", human(f / (g * 1e9))));
        println!(
            "  {:<54} {:>9.1e} {:>16} {:>16}{here}",
            name,
            t,
            human(f / a.flops_per_gpu),
            human(f / (a.flops_per_gpu * a.gpus))
        );
    }
    Ok(())
}

/// Achieved GFLOP/s of the standard Transformer step here (vocabulary 4096, batch 32 × 64).
fn measure_this_machine(threads: Option<usize>) -> anyhow::Result<(f64, usize)> {
    let threads = Threads::new(threads.unwrap_or_else(Threads::available))?;
    eprintln!("measuring this machine: 50 standard Transformer steps on {} thread(s) ...", threads.count());
    let data = Arc::new(Dataset::synthetic(4096, 252_299, 1));
    let p = speed::measure(ModelKind::Transformer, &data, 64, &threads, f64::NAN)?;
    Ok((p.gflops, threads.count()))
}
