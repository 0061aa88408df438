//! `sideways compute`: from "6 × parameters × tokens" to GPU-years, and to this machine.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::bench::compute::{self, Estimate, KnownModel, DATA_SCALE};
use crate::bench::{measure, Hardware};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::linalg::Threads;
use crate::model::{ModelKind, SizeOverrides};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComputeOptions {
    /// A known model: gpt3, bert-large, chinchilla, llama2-7b, llama2-70b.
    pub preset: String,
    /// Parameters and training tokens (`None`: the preset's).
    pub params: Option<f64>,
    pub tokens: Option<f64>,
    /// Sustained FLOP/s of one GPU.
    pub flops_per_gpu: f64,
    pub gpus: f64,
    /// Measure this computer too (a short standard Transformer run) on this many threads.
    pub this_machine: Option<usize>,
}

impl Default for ComputeOptions {
    fn default() -> Self {
        ComputeOptions {
            preset: "gpt3".into(),
            params: None,
            tokens: None,
            flops_per_gpu: 28e12,
            gpus: 25_000.0,
            this_machine: None,
        }
    }
}

/// This computer's measured speed and what it means for the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThisMachine {
    pub gflops: f64,
    pub threads: usize,
    /// Seconds to train the model here.
    pub seconds: f64,
}

/// One corpus size and the compute it needs for the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataScale {
    pub corpus: String,
    pub tokens: f64,
    pub flops: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ComputeResult {
    pub preset: KnownModel,
    pub params: f64,
    pub tokens: f64,
    pub flops: f64,
    pub one_gpu: Estimate,
    pub many_gpus: Estimate,
    pub this_machine: Option<ThisMachine>,
    pub data_scale: Vec<DataScale>,
}

pub fn compute(o: &ComputeOptions) -> Result<ComputeResult> {
    let names: Vec<&str> = compute::KNOWN_MODELS.iter().map(|p| p.name).collect();
    let preset = compute::known_model(&o.preset)
        .ok_or_else(|| Error::config("preset", &o.preset, format!("use one of {}", names.join(", "))))?;
    let (params, tokens) = (o.params.unwrap_or(preset.params), o.tokens.unwrap_or(preset.tokens));
    let given = [
        ("params", params, "175e9"),
        ("tokens", tokens, "300e9"),
        ("flops-per-gpu", o.flops_per_gpu, "312e12"),
        ("gpus", o.gpus, "1024"),
    ];
    for (name, v, e_g) in given {
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::config(name, v, format!("use a positive number, e.g. {e_g}")));
        }
    }
    let flops = compute::training_flops(params, tokens);
    if !flops.is_finite() {
        let hint = "6 × parameters × tokens overflows: use sizes below 1e150 each (GPT-3: 175e9 and 300e9)";
        return Err(Error::config("params × tokens", format!("{params:e} × {tokens:e}"), hint));
    }
    let this_machine = match o.this_machine {
        Some(threads) => {
            let (gflops, threads) = measure_this_machine(threads)?;
            Some(ThisMachine { gflops, threads, seconds: flops / (gflops * 1e9) })
        }
        None => None,
    };
    let data_scale = DATA_SCALE
        .iter()
        .map(|&(corpus, t)| DataScale { corpus: corpus.into(), tokens: t, flops: compute::training_flops(params, t) })
        .collect();
    Ok(ComputeResult {
        preset,
        params,
        tokens,
        flops,
        one_gpu: Estimate::new(flops, o.flops_per_gpu, 1.0),
        many_gpus: Estimate::new(flops, o.flops_per_gpu, o.gpus),
        this_machine,
        data_scale,
    })
}

/// Achieved GFLOP/s of the standard Transformer step here (vocabulary 4096, batch 32 × 64).
fn measure_this_machine(threads: usize) -> Result<(f64, usize)> {
    let threads = Threads::new(threads)?;
    let data = Arc::new(Dataset::synthetic(4096, 252_299, 1));
    let kind: ModelKind = "transformer".parse()?;
    let p = measure(kind, &SizeOverrides::default(), &data, (32, 64), Hardware::Cpu(&threads, None))?;
    Ok((p.gflops, threads.count()))
}
