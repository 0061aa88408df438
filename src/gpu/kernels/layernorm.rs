//! Layer normalisation (`model/layernorm.rs`): a row kernel forward; backward a row kernel for
//! dinp and a column kernel for dg and db.

use super::u;
use crate::gpu::device::{rows, Access, Kernel};
use crate::gpu::{Gpu, GpuBuf, View};

const SOURCE: &str = include_str!("../shaders/layernorm.wgsl");
const FORWARD: Kernel = Kernel {
    name: "layernorm.forward",
    source: SOURCE,
    entry: "forward",
    bindings: &[
        (0, Access::ReadWrite),
        (1, Access::ReadWrite),
        (2, Access::ReadWrite),
        (3, Access::Read),
        (4, Access::Read),
    ],
};
const BACKWARD_ROWS: Kernel = Kernel {
    name: "layernorm.backward_rows",
    source: SOURCE,
    entry: "backward_rows",
    bindings: &[
        (5, Access::ReadWrite),
        (6, Access::Read),
        (3, Access::Read),
        (7, Access::Read),
        (8, Access::Read),
        (4, Access::Read),
    ],
};
const BACKWARD_PARAMS: Kernel = Kernel {
    name: "layernorm.backward_params",
    source: SOURCE,
    entry: "backward_params",
    bindings: &[(5, Access::ReadWrite), (6, Access::Read), (3, Access::Read), (7, Access::Read), (8, Access::Read)],
};

/// out (n, c), mean (n), rstd (n) from inp (n, c) with gain g and bias b.
#[allow(clippy::too_many_arguments)]
pub fn forward(
    gpu: &Gpu,
    out: &GpuBuf,
    mean: &GpuBuf,
    rstd: &GpuBuf,
    inp: &GpuBuf,
    g: View,
    b: View,
    n: usize,
    c: usize,
) {
    assert!(std::ptr::eq(g.buf, b.buf), "g and b live in one parameter buffer");
    gpu.dispatch(&FORWARD, &[out, mean, rstd, inp, g.buf], &[u(n), u(c), g.offset, b.offset], rows(n));
}

/// dinp (n, c) += …; dg (c) += …; db (c) += … (dg and db in one gradient buffer).
#[allow(clippy::too_many_arguments)]
pub fn backward(
    gpu: &Gpu,
    dinp: &GpuBuf,
    dg: View,
    db: View,
    dout: &GpuBuf,
    inp: &GpuBuf,
    mean: &GpuBuf,
    rstd: &GpuBuf,
    g: View,
    n: usize,
    c: usize,
) {
    assert!(std::ptr::eq(dg.buf, db.buf), "dg and db live in one gradient buffer");
    gpu.dispatch(&BACKWARD_ROWS, &[dinp, dout, inp, mean, rstd, g.buf], &[u(n), u(c), g.offset, 0], rows(n));
    let groups = [u(c.div_ceil(64)), 1, 1];
    gpu.dispatch(&BACKWARD_PARAMS, &[dg.buf, dout, inp, mean, rstd], &[u(n), u(c), dg.offset, db.offset], groups);
}
