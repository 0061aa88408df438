//! `sideways compute`: from "6 × parameters × tokens" to GPU-years, and to this machine.

use clap::Args;

use super::output;
use crate::bench::compute::{human, sig3};
use crate::commands::compute::{compute, ComputeOptions, ComputeResult};
use crate::linalg::Threads;

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
    let threads = a.threads.unwrap_or_else(Threads::available);
    let options = ComputeOptions {
        preset: a.preset.clone(),
        params: a.params,
        tokens: a.tokens,
        flops_per_gpu: a.flops_per_gpu,
        gpus: a.gpus,
        this_machine: a.this_machine.then_some(threads),
    };
    if a.this_machine && !a.json {
        say!("measuring this machine: 50 standard Transformer steps on {threads} thread(s) ...");
    }
    let r = compute(&options)?;
    if a.json {
        return output::result("compute", &r);
    }
    output::text(&text(&r, a.params.is_none() && a.tokens.is_none()))
}

/// A compute estimate in words and tables (`named`: say which known model it is).
pub fn text(r: &ComputeResult, named: bool) -> String {
    let mut out = String::new();
    if named {
        let p = &r.preset;
        out += &format!("{} ({}): {:.3e} parameters, {:.3e} training tokens\n", p.name, p.source, r.params, r.tokens);
    }
    out += &format!(
        "training compute ≈ 6 × parameters × tokens = 6 × {:.3e} × {:.3e} = {:.3e} FLOPs\n",
        r.params, r.tokens, r.flops
    );
    out += &format!(
        "  on 1 GPU at {} TFLOP/s:              {}\n",
        sig3(r.one_gpu.flops_per_device / 1e12),
        human(r.one_gpu.seconds)
    );
    out += &format!("  on {} GPUs (perfect scaling):    {}\n", sig3(r.many_gpus.devices), human(r.many_gpus.seconds));
    if let Some(m) = &r.this_machine {
        out += &format!(
            "  on this machine ({:.0} GFLOP/s measured, {} threads): {}\n",
            m.gflops,
            m.threads,
            human(m.seconds)
        );
    }
    out += &format!("\nhow much data, for a model of {:.3e} parameters:\n", r.params);
    let here = r.this_machine.as_ref().map(|m| m.gflops);
    out += &format!(
        "  {:<54} {:>9} {:>16} {:>16}{}\n",
        "corpus",
        "tokens",
        "1 GPU",
        format!("{} GPUs", sig3(r.many_gpus.devices)),
        if here.is_some() { format!("{:>18}", "this machine") } else { String::new() }
    );
    for d in &r.data_scale {
        let on_here = here.map_or(String::new(), |g| format!("{:>18}", human(d.flops / (g * 1e9))));
        out += &format!(
            "  {:<54} {:>9.1e} {:>16} {:>16}{on_here}\n",
            d.corpus,
            d.tokens,
            human(d.flops / r.one_gpu.flops_per_device),
            human(d.flops / (r.one_gpu.flops_per_device * r.many_gpus.devices))
        );
    }
    out
}
