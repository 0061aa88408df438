//! Learning-rate schedules.

use serde::{Deserialize, Serialize};

/// How the learning rate changes over the steps of a run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LrSchedule {
    /// The same rate every step (the standard configuration).
    Constant,
    /// Linear warm-up from 0 over `warmup` steps, then a cosine decay to `min_ratio`·lr at `total`.
    WarmupCosine { warmup: u64, total: u64, min_ratio: f32 },
}

impl LrSchedule {
    /// The rate for 1-based `step` given the base rate `lr`.
    pub fn at(&self, step: u64, lr: f32) -> f32 {
        match *self {
            LrSchedule::Constant => lr,
            LrSchedule::WarmupCosine { warmup, total, min_ratio } => {
                if step <= warmup {
                    return lr * step as f32 / warmup.max(1) as f32;
                }
                let progress = ((step - warmup) as f32 / total.saturating_sub(warmup).max(1) as f32).min(1.0);
                let cosine = 0.5 * (1.0 + (std::f32::consts::PI * progress).cos());
                lr * (min_ratio + (1.0 - min_ratio) * cosine)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_then_cosine() {
        let s = LrSchedule::WarmupCosine { warmup: 10, total: 110, min_ratio: 0.1 };
        assert!((s.at(5, 1.0) - 0.5).abs() < 1e-6);
        assert!((s.at(10, 1.0) - 1.0).abs() < 1e-6);
        assert!((s.at(60, 1.0) - 0.55).abs() < 1e-6);
        assert!((s.at(110, 1.0) - 0.1).abs() < 1e-6);
        assert!((s.at(500, 1.0) - 0.1).abs() < 1e-6);
        assert_eq!(LrSchedule::Constant.at(77, 0.3), 0.3);
    }
}
