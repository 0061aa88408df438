//! Global-norm clipping and AdamW (`model/adamw.rs`) on the device: the gradients never leave
//! it; the norm comes back with the loss.

use super::u;
use crate::gpu::device::{groups, rows, Access, Kernel};
use crate::gpu::{Gpu, GpuBuf};

const SOURCE: &str = include_str!("../shaders/adamw.wgsl");
const SUM_SQUARES: Kernel = Kernel {
    name: "adamw.sum_squares",
    source: SOURCE,
    entry: "sum_squares",
    bindings: &[(0, Access::Read), (1, Access::ReadWrite)],
};
const FINISH_NORM: Kernel = Kernel {
    name: "adamw.finish_norm",
    source: SOURCE,
    entry: "finish_norm",
    bindings: &[(1, Access::ReadWrite), (2, Access::ReadWrite)],
};
const UPDATE: Kernel = Kernel {
    name: "adamw.update",
    source: SOURCE,
    entry: "update",
    bindings: &[
        (0, Access::Read),
        (3, Access::ReadWrite),
        (4, Access::ReadWrite),
        (5, Access::ReadWrite),
        (6, Access::Read),
    ],
};

/// Partial sums of the norm: one per this many workgroups' worth of gradients.
pub const PARTIALS: usize = 1024;

/// norm[0] = ‖grads‖ and norm[1] = the factor that clips them to `clip` (1 when under it).
pub fn clip_norm(gpu: &Gpu, norm: &GpuBuf, partials: &GpuBuf, grads: &GpuBuf, n: usize, clip: f32) {
    let args = [u(n), 0, u(PARTIALS), clip.to_bits()];
    gpu.dispatch(&SUM_SQUARES, &[grads, partials], &args, rows(PARTIALS));
    gpu.dispatch(&FINISH_NORM, &[partials, norm], &args, [1, 1, 1]);
}

/// AdamW's hyper-parameters for one update.
#[derive(Clone, Copy, Debug)]
pub struct Hyper {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
}

/// The k-th update of `params`, `m`, `v` from `grads` × norm[1], over `range`.
#[allow(clippy::too_many_arguments)]
pub fn update(
    gpu: &Gpu,
    params: &GpuBuf,
    m: &GpuBuf,
    v: &GpuBuf,
    grads: &GpuBuf,
    norm: &GpuBuf,
    range: std::ops::Range<usize>,
    hyper: Hyper,
    k: u64,
) {
    let Hyper { lr, beta1, beta2, eps, weight_decay } = hyper;
    // As on the CPU: powi takes an i32, and β^k is 0 in f32 long before 2^31 updates.
    let k = k.min(i32::MAX as u64) as i32;
    let (c1, c2) = (1.0 - beta1.powi(k), 1.0 - beta2.powi(k));
    let f = |x: f32| x.to_bits();
    let n = range.len();
    let args = [u(n), u(range.start), u(PARTIALS), 0, f(lr), f(beta1), f(beta2), f(eps), f(weight_decay), f(c1), f(c2)];
    gpu.dispatch(&UPDATE, &[grads, params, m, v, norm], &args, groups(n));
}
