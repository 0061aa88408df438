//! Every GPU kernel against its CPU layer, forward and backward, at awkward sizes, on whatever
//! adapter the machine has (in CI: Mesa's lavapipe, a software Vulkan device) — the checks of
//! `sideways selftest --gpu`, which live in `src/selftest/` so that a machine with a real GPU
//! runs exactly these. Without any adapter the tests say they were skipped, unless
//! `SIDEWAYS_GPU=required` (set by `.ci/run`).
#![cfg(feature = "gpu")]

mod common;

use common::gpu::gpu;
use sideways::selftest::{kernel_checks, model_checks, Checks};

fn assert_passed(what: &str, checks: &Checks, expected: &[&str]) {
    for c in &checks.0 {
        eprintln!("{:<40} {:>3} sizes  worst {:.1e}  tolerance {:.0e}", c.name, c.cases, c.worst, c.tolerance);
    }
    let failed: Vec<String> =
        checks.failures().map(|c| format!("{} ({:e} > {:e})", c.name, c.worst, c.tolerance)).collect();
    assert!(failed.is_empty(), "{what}: {}", failed.join(", "));
    for name in expected {
        assert!(checks.0.iter().any(|c| c.name == *name), "{what}: no check of {name}");
    }
}

#[test]
fn every_kernel_agrees_with_its_cpu_layer() {
    let Some(gpu) = gpu() else { return };
    let expected = [
        "matmul",
        "matmul transposed, accumulated",
        "linear forward",
        "linear dinp",
        "linear dw",
        "linear db",
        "layernorm forward",
        "layernorm dinp",
        "layernorm dg",
        "gelu forward",
        "gelu backward",
        "position forward",
        "position backward",
        "softmax",
        "cross-entropy",
        "argmax",
        "softmax + cross-entropy backward",
        "attention weights",
        "attention output",
        "attention dqkv",
        "rnn forward",
        "rnn dp",
        "rnn dw_hh",
        "embedding forward",
        "embedding backward",
        "gradient norm",
        "adamw params",
        "adamw m",
        "adamw v",
    ];
    assert_passed("kernels", &kernel_checks(&gpu), &expected);
}

#[test]
fn one_training_step_of_each_model_agrees_with_the_cpu() {
    let Some(gpu) = gpu() else { return };
    let checks = model_checks(&gpu).unwrap();
    assert_passed("models", &checks, &["rnn gradients", "transformer weights after AdamW"]);
}
