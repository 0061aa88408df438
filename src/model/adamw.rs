//! AdamW with decoupled weight decay, and global-norm clipping, exactly as bench-config.md:
//!     g ← g · clip / (‖g‖ + 1e-6)      if ‖g‖ > clip   (‖g‖ over every gradient at once)
//!     p ← p − lr·wd·p                   (decoupled decay, on every parameter)
//!     m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²
//!     p ← p − lr · (m / (1 − β1^k)) / (√(v / (1 − β2^k)) + ε)      (k: 1-based update count)
//! These are the kernels a parameter store runs ([`super::store::ParamStore`]); the update is
//! elementwise, so it runs one block of the flat buffers per thread.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::linalg::{for_each_row_block, vecmath, Par, Rows};

/// Optimizer hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamWConfig {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
    /// Global gradient-norm limit; 0 turns clipping off.
    pub clip: f32,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01, clip: 1.0 }
    }
}

impl AdamWConfig {
    pub fn validate(&self) -> Result<()> {
        if !(self.lr > 0.0 && self.lr <= 10.0) {
            return Err(Error::config(
                "learning rate",
                self.lr,
                "use a positive number no larger than 10 (the benchmark uses 1e-3)",
            ));
        }
        for (name, b) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&b) {
                return Err(Error::config(name, b, "use a number in [0, 1), e.g. 0.9 and 0.999"));
            }
        }
        if !(self.weight_decay >= 0.0 && self.weight_decay < 1.0 / self.lr) {
            return Err(Error::config("weight decay", self.weight_decay, "use a small non-negative number, e.g. 0.01"));
        }
        if !(self.clip >= 0.0 && self.eps > 0.0) {
            return Err(Error::config(
                "clip / eps",
                format!("{} / {}", self.clip, self.eps),
                "clip ≥ 0 (0 = off) and eps > 0",
            ));
        }
        Ok(())
    }
}

/// Scale `grads` so that their global norm is at most `clip` (0: no limit); returns the norm
/// before.
pub fn clip(grads: &mut [f32], clip: f32) -> f32 {
    let norm = vecmath::sum_squares_f64(grads).sqrt() as f32;
    if clip > 0.0 && norm > clip {
        let scale = clip / (norm + 1e-6);
        grads.iter_mut().for_each(|g| *g *= scale);
    }
    norm
}

/// The `k`-th AdamW update (1-based) of `params` with moments `m`, `v` from `grads`, at
/// learning rate `lr`. All four slices have the same length.
#[allow(clippy::too_many_arguments)]
pub fn update(
    params: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
    grads: &[f32],
    config: &AdamWConfig,
    lr: f32,
    k: u64,
    par: Par,
) {
    let AdamWConfig { beta1, beta2, eps, weight_decay, .. } = *config;
    let k = k.min(i32::MAX as u64) as i32;
    let (c1, c2) = (1.0 - beta1.powi(k), 1.0 - beta2.powi(k));
    let n = grads.len();
    let blocks = (Rows::new(&mut params[..n], 1), Rows::new(&mut m[..n], 1), Rows::new(&mut v[..n], 1));
    for_each_row_block(blocks, n, 1024, par, &|a, (mut p, mut m, mut v)| {
        for (((p, m), v), &g) in p.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(&grads[a..]) {
            *p -= lr * weight_decay * *p;
            *m = beta1 * *m + (1.0 - beta1) * g;
            *v = beta2 * *v + (1.0 - beta2) * g * g;
            *p -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first step of Adam moves every parameter by about lr against its gradient's sign.
    #[test]
    fn first_step_matches_the_formula_and_clipping_scales_to_the_limit() {
        let c = AdamWConfig { weight_decay: 0.1, ..Default::default() };
        let mut p = vec![1.0f32, -2.0, 0.5];
        let (mut m, mut v) = (vec![0.0; 3], vec![0.0; 3]);
        let g = vec![0.5f32, -0.25, 0.0];
        update(&mut p, &mut m, &mut v, &g, &c, 0.01, 1, Par::Seq);
        let expect = |p0: f32, g: f32| {
            let p = p0 - 0.01 * 0.1 * p0;
            let (m, v) = (0.1 * g / 0.1, 0.001 * g * g / 0.001);
            p - 0.01 * m / (v.sqrt() + 1e-8)
        };
        for (i, (&p0, &g)) in [1.0f32, -2.0, 0.5].iter().zip(&g).enumerate() {
            assert!((p[i] - expect(p0, g)).abs() < 1e-6, "{i}: {} vs {}", p[i], expect(p0, g));
        }
        let mut big = vec![3.0f32, 4.0];
        assert_eq!(clip(&mut big, 1.0), 5.0);
        assert!((big[0] - 0.6).abs() < 1e-6 && (big[1] - 0.8).abs() < 1e-6);
        // The update count is 64 bits: past 2^31 updates β^k is 0 in f32, so the bias correction
        // stays at 1 instead of wrapping around.
        let (mut a, mut b) = (vec![1.0f32], vec![1.0f32]);
        let (mut ma, mut va, mut mb, mut vb) = (vec![0.1], vec![0.01], vec![0.1], vec![0.01]);
        update(&mut a, &mut ma, &mut va, &[0.5], &c, 0.01, u64::MAX, Par::Seq);
        update(&mut b, &mut mb, &mut vb, &[0.5], &c, 0.01, 1 << 40, Par::Seq);
        assert!(a[0].is_finite() && a == b, "{a:?} vs {b:?}");
        let mut small = vec![0.3f32, 0.4];
        assert_eq!(clip(&mut small, 1.0), 0.5);
        assert_eq!(small, [0.3, 0.4], "below the limit nothing changes");
    }
}
