//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

#[cfg(feature = "gpu")]
pub mod gpu;

/// The folder of real corpora, from `SIDEWAYS_CORPORA` (set by `.ci/run`); `None`, with a
/// message saying the test was skipped, when it is not set.
pub fn shared_corpus(file: &str) -> Option<PathBuf> {
    match std::env::var_os("SIDEWAYS_CORPORA") {
        Some(dir) => {
            let path = PathBuf::from(dir).join(file);
            assert!(path.exists(), "SIDEWAYS_CORPORA is set but {} is missing", path.display());
            Some(path)
        }
        None => {
            eprintln!("skipped: set SIDEWAYS_CORPORA to the shared corpora folder to run this test");
            None
        }
    }
}

/// Compare two gradients: every entry must satisfy |a − b| ≤ atol + rtol·max(|a|, |b|).
/// On failure, print the first mismatches and the largest difference.
pub fn check_close(what: &str, got: &[f64], want: &[f64], atol: f64, rtol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    let mut bad = Vec::new();
    let mut worst = (0.0f64, 0usize);
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let diff = (g - w).abs();
        if diff > worst.0 {
            worst = (diff, i);
        }
        if diff > atol + rtol * g.abs().max(w.abs()) || !g.is_finite() {
            bad.push(format!("  [{i}] analytic {g:.6e} numeric {w:.6e}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{what}: {} of {} entries differ; largest difference {:.3e} at [{}]\n{}",
        bad.len(),
        got.len(),
        worst.0,
        worst.1,
        bad.iter().take(8).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// Central finite difference of `loss` with respect to every entry of `x`.
pub fn numeric_grad(x: &mut [f32], eps: f32, mut loss: impl FnMut(&[f32]) -> f64) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let orig = x[i];
            x[i] = orig + eps;
            let up = loss(x);
            x[i] = orig - eps;
            let down = loss(x);
            x[i] = orig;
            (up - down) / (2.0 * eps as f64)
        })
        .collect()
}

/// Σ r_i · out_i in f64: a scalar whose gradient with respect to `out` is `r`.
pub fn project(out: &[f32], r: &[f32]) -> f64 {
    out.iter().zip(r).map(|(&o, &r)| o as f64 * r as f64).sum()
}

/// Deterministic test values in about [-1, 1].
pub fn values(seed: u64, n: usize) -> Vec<f32> {
    let mut rng = sideways::rng::Rng::new(seed);
    (0..n).map(|_| rng.normal() as f32 * 0.7).collect()
}

pub fn to_f64(x: &[f32]) -> Vec<f64> {
    x.iter().map(|&v| v as f64).collect()
}

/// A fresh empty folder under the system temp dir, unique to this test and process.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sideways-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A small corpus from the built-in grammar (fast to train on).
pub fn small_corpus(tokens: usize) -> sideways::data::Corpus {
    let g = sideways::data::grammar::Grammar::builtin();
    sideways::data::Corpus { name: "small".into(), text: g.generate(7, tokens) }
}
