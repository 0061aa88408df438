//! The one product kernel: a batch of strided matrices (`shaders/matmul.wgsl`). Every layer's
//! products go through it, as every CPU layer's go through `linalg::matmul`.

use crate::gpu::device::{Access, Kernel};
use crate::gpu::{Gpu, GpuBuf};

const MATMUL: Kernel = Kernel {
    name: "matmul",
    source: include_str!("../shaders/matmul.wgsl"),
    entry: "matmul",
    bindings: &[(0, Access::Read), (1, Access::Read), (2, Access::ReadWrite)],
};

/// A matrix (or a batch of them) inside a buffer: element (i, j) of matrix z = z1·nb2 + z2 is
/// at `offset + z1·s1 + z2·s2 + i·rs + j·cs`.
#[derive(Clone, Copy)]
pub struct Mat<'a> {
    pub buf: &'a GpuBuf,
    pub offset: usize,
    pub rs: usize,
    pub cs: usize,
    pub s1: usize,
    pub s2: usize,
}

impl<'a> Mat<'a> {
    /// A row-major matrix of rows `row_stride` apart, starting at `offset`.
    pub fn rows(buf: &'a GpuBuf, offset: usize, row_stride: usize) -> Self {
        Mat { buf, offset, rs: row_stride, cs: 1, s1: 0, s2: 0 }
    }

    /// The transpose (no data moves).
    pub fn t(self) -> Self {
        Mat { rs: self.cs, cs: self.rs, ..self }
    }

    /// Matrix z = z1·nb2 + z2 of a batch starts `z1·s1 + z2·s2` further on.
    pub fn batched(self, s1: usize, s2: usize) -> Self {
        Mat { s1, s2, ..self }
    }
}

/// c (m, n) = alpha · a (m, k) · b (k, n), added to c when `accumulate`, for `nb1 × nb2`
/// matrices at once.
#[allow(clippy::too_many_arguments)]
pub fn matmul(
    gpu: &Gpu,
    c: Mat,
    accumulate: bool,
    a: Mat,
    b: Mat,
    (m, n, k): (usize, usize, usize),
    (nb1, nb2): (usize, usize),
    alpha: f32,
) {
    let u = |x: usize| u32::try_from(x).expect("GPU sizes fit in 32 bits");
    let args = [
        u(m),
        u(n),
        u(k),
        u(nb2.max(1)),
        u(a.offset),
        u(a.rs),
        u(a.cs),
        u(a.s1),
        u(a.s2),
        u(b.offset),
        u(b.rs),
        u(b.cs),
        u(b.s1),
        u(b.s2),
        u(c.offset),
        u(c.rs),
        u(c.cs),
        u(c.s1),
        u(c.s2),
        accumulate as u32,
        alpha.to_bits(),
    ];
    let groups = [u(n.div_ceil(16)), u(m.div_ceil(16)), u(nb1 * nb2)];
    gpu.dispatch(&MATMUL, &[a.buf, b.buf, c.buf], &args, groups);
}
