//! Filling and adding stretches of buffers (`shaders/vecmath.wgsl`).

use super::u;
use crate::gpu::device::{groups, Access, Kernel};
use crate::gpu::{Gpu, View};

const SOURCE: &str = include_str!("../shaders/vecmath.wgsl");
const FILL: Kernel =
    Kernel { name: "vecmath.fill", source: SOURCE, entry: "fill", bindings: &[(0, Access::ReadWrite)] };
const ADD: Kernel = Kernel {
    name: "vecmath.add",
    source: SOURCE,
    entry: "add",
    bindings: &[(0, Access::ReadWrite), (1, Access::Read)],
};

/// Every element of `out` becomes `value`.
pub fn fill(gpu: &Gpu, out: View, value: f32) {
    let n = out.len as usize;
    gpu.dispatch(&FILL, &[out.buf], &[u(n), out.offset, 0, value.to_bits()], groups(n));
}

/// out += inp, elementwise (same lengths).
pub fn add(gpu: &Gpu, out: View, inp: View) {
    assert_eq!(out.len, inp.len, "add: lengths differ");
    let n = out.len as usize;
    gpu.dispatch(&ADD, &[out.buf, inp.buf], &[u(n), out.offset, inp.offset, 0], groups(n));
}
