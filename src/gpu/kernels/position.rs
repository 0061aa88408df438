//! The learned position embedding (`model/position.rs`).

use super::u;
use crate::gpu::device::{groups, Access, Kernel};
use crate::gpu::{Gpu, GpuBuf, View};

const SOURCE: &str = include_str!("../shaders/position.wgsl");
const FORWARD: Kernel = Kernel {
    name: "position.forward",
    source: SOURCE,
    entry: "forward",
    bindings: &[(0, Access::ReadWrite), (1, Access::Read)],
};
const BACKWARD: Kernel = Kernel {
    name: "position.backward",
    source: SOURCE,
    entry: "backward",
    bindings: &[(2, Access::ReadWrite), (3, Access::Read)],
};

/// x (n rows of width c, windows of t) += P[position].
pub fn forward(gpu: &Gpu, x: &GpuBuf, wpe: View, n: usize, t: usize, c: usize) {
    gpu.dispatch(&FORWARD, &[x, wpe.buf], &[u(n), u(t), u(c), wpe.offset], groups(n * c));
}

/// dwpe (t positions used, c) += the sum over windows of dx.
pub fn backward(gpu: &Gpu, dwpe: View, dx: &GpuBuf, n: usize, t: usize, c: usize) {
    gpu.dispatch(&BACKWARD, &[dwpe.buf, dx], &[u(n), u(t), u(c), dwpe.offset], groups(t * c));
}
