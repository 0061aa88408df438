//! Amdahl's law: with a serial fraction f, p processors give a speed-up of 1 / (f + (1 − f)/p).
//! Fitting f to measured speed-ups tells how much of a step did not parallelise.

use serde::{Deserialize, Serialize};

/// The serial fraction that best explains measured speed-ups.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AmdahlFit {
    pub serial_fraction: f64,
}

impl AmdahlFit {
    /// Least squares on the linear form 1/S − 1/p = f · (1 − 1/p), over points (p, S) with
    /// p > 1; `None` without such a point.
    pub fn fit(points: &[(f64, f64)]) -> Option<AmdahlFit> {
        let (mut xy, mut xx) = (0.0, 0.0);
        for &(p, s) in points.iter().filter(|(p, s)| *p > 1.0 && *s > 0.0) {
            let x = 1.0 - 1.0 / p;
            xy += x * (1.0 / s - 1.0 / p);
            xx += x * x;
        }
        (xx > 0.0).then(|| AmdahlFit { serial_fraction: (xy / xx).clamp(0.0, 1.0) })
    }

    /// The predicted speed-up on `p` processors.
    pub fn speedup(&self, p: f64) -> f64 {
        1.0 / (self.serial_fraction + (1.0 - self.serial_fraction) / p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_known_serial_fraction_from_synthetic_timings() {
        // Step times of a job with 12% serial work on 1..16 processors, with ±2% measurement noise.
        let f = 0.12;
        let t1 = 0.250;
        let noise = [1.01, 0.99, 1.02, 0.98, 1.0, 1.015];
        let points: Vec<(f64, f64)> = [1.0, 2.0, 4.0, 6.0, 8.0, 16.0]
            .iter()
            .zip(noise)
            .map(|(&p, n)| (p, t1 / (t1 * (f + (1.0 - f) / p) * n)))
            .collect();
        let fit = AmdahlFit::fit(&points).unwrap();
        assert!((fit.serial_fraction - f).abs() < 0.01, "{fit:?}");
        assert!((fit.speedup(1e9) - 1.0 / fit.serial_fraction).abs() < 1e-3);
        // Exact data, exact answer; no multi-processor point, no fit.
        let exact: Vec<(f64, f64)> = [2.0, 8.0].iter().map(|&p| (p, 1.0 / (0.3 + 0.7 / p))).collect();
        assert!((AmdahlFit::fit(&exact).unwrap().serial_fraction - 0.3).abs() < 1e-12);
        assert!(AmdahlFit::fit(&[(1.0, 1.0)]).is_none());
    }
}
