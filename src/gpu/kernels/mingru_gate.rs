//! The minGRU's gates (`model/mingru.rs`'s `gate`), elementwise over (rows, channels).

use super::u;
use crate::gpu::device::{groups, Access, Kernel};
use crate::gpu::{Gpu, GpuBuf};

const SOURCE: &str = include_str!("../shaders/mingru_gate.wgsl");
const FORWARD: Kernel = Kernel {
    name: "mingru_gate.forward",
    source: SOURCE,
    entry: "forward",
    bindings: &[(0, Access::ReadWrite), (1, Access::ReadWrite), (2, Access::Read)],
};
const BACKWARD: Kernel = Kernel {
    name: "mingru_gate.backward",
    source: SOURCE,
    entry: "backward",
    bindings: &[(0, Access::ReadWrite), (2, Access::Read), (3, Access::Read), (4, Access::Read)],
};

/// a (n, h) and x (n, h) from the pre-activations zh (n, 2h).
pub fn forward(gpu: &Gpu, a: &GpuBuf, x: &GpuBuf, zh: &GpuBuf, n: usize, h: usize) {
    gpu.dispatch(&FORWARD, &[a, x, zh], &[u(n), u(h)], groups(n * h));
}

/// dzh (n, 2h) += the gradient from da and dx (n, h).
pub fn backward(gpu: &Gpu, dzh: &GpuBuf, da: &GpuBuf, dx: &GpuBuf, zh: &GpuBuf, n: usize, h: usize) {
    gpu.dispatch(&BACKWARD, &[dzh, zh, da, dx], &[u(n), u(h)], groups(n * h));
}
