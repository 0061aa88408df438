//! The linear layer (`model/linear.rs`): out (n, d_out) = inp (n, d_in) · w + b, and its
//! gradients, added into dinp, dw and db. Two products through `matmul`, the bias and the
//! column sum through `shaders/linear.wgsl`.

use super::matmul::{matmul, Mat};
use super::u;
use crate::gpu::device::{groups, Access, Kernel};
use crate::gpu::{Gpu, View};

const SOURCE: &str = include_str!("../shaders/linear.wgsl");
const BIAS_ROWS: Kernel = Kernel {
    name: "linear.bias_rows",
    source: SOURCE,
    entry: "bias_rows",
    bindings: &[(0, Access::ReadWrite), (1, Access::Read)],
};
const COLUMN_SUM: Kernel = Kernel {
    name: "linear.column_sum",
    source: SOURCE,
    entry: "column_sum",
    bindings: &[(0, Access::ReadWrite), (1, Access::Read)],
};

/// out = inp · w + b.
#[allow(clippy::too_many_arguments)]
pub fn forward(gpu: &Gpu, out: View, inp: View, w: View, b: View, n: usize, d_in: usize, d_out: usize) {
    let args = [u(n), u(d_out), out.offset, b.offset];
    gpu.dispatch(&BIAS_ROWS, &[out.buf, b.buf], &args, groups(n * d_out));
    let (o, x, w) = (
        Mat::rows(out.buf, out.offset as usize, d_out),
        Mat::rows(inp.buf, inp.offset as usize, d_in),
        Mat::rows(w.buf, w.offset as usize, d_out),
    );
    matmul(gpu, o, true, x, w, (n, d_out, d_in), (1, 1), 1.0);
}

/// dinp += dout · wᵀ (when given), dw += inpᵀ · dout, db += Σ_rows dout.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    gpu: &Gpu,
    dinp: Option<View>,
    dw: View,
    db: View,
    dout: View,
    inp: View,
    w: View,
    n: usize,
    d_in: usize,
    d_out: usize,
) {
    let dy = Mat::rows(dout.buf, dout.offset as usize, d_out);
    if let Some(dinp) = dinp {
        let wt = Mat::rows(w.buf, w.offset as usize, d_out).t();
        matmul(gpu, Mat::rows(dinp.buf, dinp.offset as usize, d_in), true, dy, wt, (n, d_in, d_out), (1, 1), 1.0);
    }
    let xt = Mat::rows(inp.buf, inp.offset as usize, d_in).t();
    matmul(gpu, Mat::rows(dw.buf, dw.offset as usize, d_out), true, xt, dy, (d_in, d_out, n), (1, 1), 1.0);
    column_sum(gpu, db, dout, n, d_out);
}

/// db (d) += Σ_rows x (n, d).
pub fn column_sum(gpu: &Gpu, db: View, x: View, n: usize, d: usize) {
    gpu.dispatch(&COLUMN_SUM, &[db.buf, x.buf], &[u(n), u(d), db.offset, x.offset], groups(d));
}
