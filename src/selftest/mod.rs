//! `sideways selftest --gpu`: every GPU kernel against its CPU layer, then one training step of
//! each model on the GPU against the same step on the CPU, on random inputs, with the largest
//! difference of each. It is how a machine with a real GPU is checked in under a minute; the
//! test suite runs the same checks on the software adapter.

#[cfg(feature = "gpu")]
mod kernels;
#[cfg(feature = "gpu")]
mod models;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::gpu::GpuChoice;

/// One comparison, over every size it was made at.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    /// The largest difference, relative to the largest magnitude of the CPU's result (for ids:
    /// the number that differ); infinite when the GPU's result was not finite or not the same
    /// length.
    pub worst: f32,
    pub tolerance: f32,
    /// Sizes compared.
    pub cases: usize,
}

impl Check {
    pub fn passed(&self) -> bool {
        self.worst <= self.tolerance
    }
}

/// Comparisons as they are made.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Checks(pub Vec<Check>);

impl Checks {
    /// Compare floats: the largest |got − want| over the largest |want| (at least 1e-3).
    pub fn close(&mut self, name: &str, got: &[f32], want: &[f32], tolerance: f32) {
        let scale = want.iter().fold(1e-3f32, |m, x| m.max(x.abs()));
        let worst = if got.len() != want.len() || got.iter().any(|x| !x.is_finite()) {
            f32::INFINITY
        } else {
            got.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max) / scale
        };
        self.record(name, worst, tolerance);
    }

    /// Compare ids: how many differ.
    pub fn same(&mut self, name: &str, got: &[u32], want: &[u32]) {
        let worst = if got.len() != want.len() {
            f32::INFINITY
        } else {
            got.iter().zip(want).filter(|(a, b)| a != b).count() as f32
        };
        self.record(name, worst, 0.0);
    }

    fn record(&mut self, name: &str, worst: f32, tolerance: f32) {
        match self.0.iter_mut().find(|c| c.name == name) {
            Some(c) => {
                c.worst = if worst.is_nan() { f32::INFINITY } else { c.worst.max(worst) };
                c.tolerance = c.tolerance.min(tolerance);
                c.cases += 1;
            }
            None => self.0.push(Check { name: name.into(), worst, tolerance, cases: 1 }),
        }
    }

    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.0.iter().filter(|c| !c.passed())
    }
}

/// What `selftest --gpu` found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GpuReport {
    /// The adapter, as `sideways devices` describes it.
    pub device: String,
    pub kernels: Checks,
    pub models: Checks,
    /// Wall time of the whole test.
    pub seconds: f64,
}

impl GpuReport {
    pub fn passed(&self) -> bool {
        self.kernels.failures().chain(self.models.failures()).next().is_none()
    }
}

/// Run every check on the GPU `choice` names.
pub fn gpu(choice: GpuChoice) -> Result<GpuReport> {
    let gpu = crate::gpu::open(choice)?;
    #[cfg(feature = "gpu")]
    {
        let start = std::time::Instant::now();
        let (mut kernels, mut models) = (Checks::default(), Checks::default());
        kernels::all(&gpu, &mut kernels);
        models::all(&gpu, &mut models)?;
        Ok(GpuReport { device: gpu.describe(), kernels, models, seconds: start.elapsed().as_secs_f64() })
    }
    #[cfg(not(feature = "gpu"))]
    match *gpu {}
}

/// The kernel checks alone, on an opened GPU (for the tests).
#[cfg(feature = "gpu")]
pub fn kernel_checks(gpu: &crate::gpu::Gpu) -> Checks {
    let mut report = Checks::default();
    kernels::all(gpu, &mut report);
    report
}

/// The model checks alone, on an opened GPU (for the tests).
#[cfg(feature = "gpu")]
pub fn model_checks(gpu: &std::sync::Arc<crate::gpu::Gpu>) -> Result<Checks> {
    let mut report = Checks::default();
    models::all(gpu, &mut report)?;
    Ok(report)
}
