//! GELU (`model/gelu.rs`), elementwise over whole buffers.

use super::u;
use crate::gpu::device::{groups, Access, Kernel};
use crate::gpu::{Gpu, GpuBuf};

const SOURCE: &str = include_str!("../shaders/gelu.wgsl");
const FORWARD: Kernel = Kernel {
    name: "gelu.forward",
    source: SOURCE,
    entry: "forward",
    bindings: &[(0, Access::ReadWrite), (1, Access::Read)],
};
const BACKWARD: Kernel = Kernel {
    name: "gelu.backward",
    source: SOURCE,
    entry: "backward",
    bindings: &[(0, Access::ReadWrite), (1, Access::Read), (2, Access::Read)],
};

/// out = gelu(inp) over the first `n` elements.
pub fn forward(gpu: &Gpu, out: &GpuBuf, inp: &GpuBuf, n: usize) {
    gpu.dispatch(&FORWARD, &[out, inp], &[u(n)], groups(n));
}

/// dinp += dout · gelu'(inp) over the first `n` elements.
pub fn backward(gpu: &Gpu, dinp: &GpuBuf, dout: &GpuBuf, inp: &GpuBuf, n: usize) {
    gpu.dispatch(&BACKWARD, &[dinp, inp, dout], &[u(n)], groups(n));
}
