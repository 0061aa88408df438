//! AdamW with decoupled weight decay and global-norm clipping, exactly as bench-config.md:
//!     g ← g · 1/(‖g‖ + 1e-6)          if ‖g‖ > clip
//!     p ← p − lr·wd·p                  (decoupled decay, on every parameter)
//!     m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²
//!     p ← p − lr · (m / (1 − β1^k)) / (√(v / (1 − β2^k)) + ε)
//! The update is elementwise, so it runs one block of the flat buffer per thread.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::linalg::{for_each_block, vecmath, Disjoint, Par};

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

/// Optimizer state: first and second moments, one per parameter, and the step count.
#[derive(Clone, Debug)]
pub struct AdamW {
    pub config: AdamWConfig,
    /// Number of updates made so far (k in the formulas is step + 1 during an update).
    pub step: u64,
    pub m: Vec<f32>,
    pub v: Vec<f32>,
}

impl AdamW {
    pub fn new(n_params: usize, config: AdamWConfig) -> Self {
        AdamW { config, step: 0, m: vec![0.0; n_params], v: vec![0.0; n_params] }
    }

    /// Scale `grads` so that their global norm is at most `clip`; returns the norm before.
    pub fn clip(&self, grads: &mut [f32]) -> f32 {
        let norm = vecmath::sum_squares_f64(grads).sqrt() as f32;
        if self.config.clip > 0.0 && norm > self.config.clip {
            let scale = self.config.clip / (norm + 1e-6);
            grads.iter_mut().for_each(|g| *g *= scale);
        }
        norm
    }

    /// One AdamW update of `params` from `grads` at learning rate `lr`, leaving the entries in
    /// `frozen` untouched (no step, no decay).
    pub fn update(&mut self, params: &mut [f32], grads: &[f32], lr: f32, frozen: Option<Range<usize>>, par: Par) {
        self.step += 1;
        let n = grads.len();
        match frozen {
            None => self.update_range(params, grads, lr, 0..n, par),
            Some(f) => {
                self.update_range(params, grads, lr, 0..f.start, par);
                self.update_range(params, grads, lr, f.end..n, par);
            }
        }
    }

    fn update_range(&mut self, params: &mut [f32], grads: &[f32], lr: f32, range: Range<usize>, par: Par) {
        let AdamWConfig { beta1, beta2, eps, weight_decay, .. } = self.config;
        let k = self.step as i32;
        let (c1, c2) = (1.0 - beta1.powi(k), 1.0 - beta2.powi(k));
        let (p, m, v) = (&mut params[range.clone()], &mut self.m[range.clone()], &mut self.v[range.clone()]);
        let grads = &grads[range];
        let (p, m, v) = (Disjoint::new(p), Disjoint::new(m), Disjoint::new(v));
        for_each_block(grads.len(), 1024, par, &|a, b| {
            // SAFETY: blocks are disjoint.
            let (p, m, v) = unsafe { (p.rows(a, b, 1), m.rows(a, b, 1), v.rows(a, b, 1)) };
            for (((p, m), v), &g) in p.iter_mut().zip(m).zip(v).zip(&grads[a..b]) {
                *p -= lr * weight_decay * *p;
                *m = beta1 * *m + (1.0 - beta1) * g;
                *v = beta2 * *v + (1.0 - beta2) * g * g;
                *p -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first step of Adam moves every parameter by about lr against its gradient's sign.
    #[test]
    fn first_step_matches_the_formula() {
        let c = AdamWConfig { weight_decay: 0.1, ..Default::default() };
        let mut opt = AdamW::new(3, c);
        let mut p = vec![1.0f32, -2.0, 0.5];
        let g = vec![0.5f32, -0.25, 0.0];
        opt.update(&mut p, &g, 0.01, None, Par::Seq);
        let expect = |p0: f32, g: f32| {
            let p = p0 - 0.01 * 0.1 * p0;
            let (m, v) = (0.1 * g / 0.1, 0.001 * g * g / 0.001);
            p - 0.01 * m / (v.sqrt() + 1e-8)
        };
        for (i, (&p0, &g)) in [1.0f32, -2.0, 0.5].iter().zip(&g).enumerate() {
            assert!((p[i] - expect(p0, g)).abs() < 1e-6, "{i}: {} vs {}", p[i], expect(p0, g));
        }
        let before = p.clone();
        opt.update(&mut p, &g, 0.01, Some(1..3), Par::Seq);
        assert_eq!(p[1..], before[1..], "frozen entries do not move");
        assert_ne!(p[0], before[0]);
        let mut big = vec![3.0f32, 4.0];
        assert_eq!(opt.clip(&mut big), 5.0);
        assert!((big[0] - 0.6).abs() < 1e-6 && (big[1] - 0.8).abs() < 1e-6);
    }
}
