//! Causal multi-head self-attention (`model/attention.rs`) over every window and head at once:
//! the products are batched strided `matmul`s straight out of the fused q, k, v rows, the causal
//! softmax is `shaders/attention.wgsl`.

use super::matmul::{matmul, Mat};
use super::u;
use crate::gpu::device::{rows, Access, Kernel};
use crate::gpu::{Gpu, GpuBuf};

const SOURCE: &str = include_str!("../shaders/attention.wgsl");
const SOFTMAX_FORWARD: Kernel = Kernel {
    name: "attention.softmax_forward",
    source: SOURCE,
    entry: "softmax_forward",
    bindings: &[(0, Access::ReadWrite)],
};
const SOFTMAX_BACKWARD: Kernel = Kernel {
    name: "attention.softmax_backward",
    source: SOURCE,
    entry: "softmax_backward",
    bindings: &[(1, Access::ReadWrite), (2, Access::Read)],
};

/// q, k and v of head h: matrices (t, hd) inside the (b, t, 3c) rows, one per (window, head).
fn head(qkv: &GpuBuf, part: usize, t: usize, c: usize, hd: usize) -> Mat<'_> {
    Mat::rows(qkv, part * c, 3 * c).batched(t * 3 * c, hd)
}

/// out (b, t, c) and att (b, heads, t, t) from qkv (b, t, 3c).
#[allow(clippy::too_many_arguments)]
pub fn forward(gpu: &Gpu, out: &GpuBuf, att: &GpuBuf, qkv: &GpuBuf, b: usize, t: usize, c: usize, n_heads: usize) {
    let hd = c / n_heads;
    let scale = 1.0 / (hd as f32).sqrt();
    let (q, k, v) = (head(qkv, 0, t, c, hd), head(qkv, 1, t, c, hd), head(qkv, 2, t, c, hd));
    let a = Mat::rows(att, 0, t).batched(n_heads * t * t, t * t);
    matmul(gpu, a, false, q, k.t(), (t, t, hd), (b, n_heads), scale);
    let args = [u(b * n_heads * t), u(t), 0];
    gpu.dispatch(&SOFTMAX_FORWARD, &[att], &args, rows(b * n_heads * t));
    let y = Mat::rows(out, 0, c).batched(t * c, hd);
    matmul(gpu, y, false, a, v, (t, hd, t), (b, n_heads), 1.0);
}

/// dqkv (b, t, 3c) += the gradient from dout (b, t, c); `scratch` (b, heads, t, t) is
/// overwritten.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    gpu: &Gpu,
    dqkv: &GpuBuf,
    scratch: &GpuBuf,
    dout: &GpuBuf,
    qkv: &GpuBuf,
    att: &GpuBuf,
    b: usize,
    t: usize,
    c: usize,
    n_heads: usize,
) {
    let hd = c / n_heads;
    let scale = 1.0 / (hd as f32).sqrt();
    let (q, k, v) = (head(qkv, 0, t, c, hd), head(qkv, 1, t, c, hd), head(qkv, 2, t, c, hd));
    let (dq, dk, dv) = (head(dqkv, 0, t, c, hd), head(dqkv, 1, t, c, hd), head(dqkv, 2, t, c, hd));
    let a = Mat::rows(att, 0, t).batched(n_heads * t * t, t * t);
    let da = Mat::rows(scratch, 0, t).batched(n_heads * t * t, t * t);
    let dy = Mat::rows(dout, 0, c).batched(t * c, hd);
    matmul(gpu, dv, true, a.t(), dy, (t, hd, t), (b, n_heads), 1.0);
    matmul(gpu, da, false, dy, v.t(), (t, t, hd), (b, n_heads), 1.0);
    let args = [u(b * n_heads * t), u(t), scale.to_bits()];
    gpu.dispatch(&SOFTMAX_BACKWARD, &[scratch, att], &args, rows(b * n_heads * t));
    matmul(gpu, dq, true, da, k, (t, hd, t), (b, n_heads), 1.0);
    matmul(gpu, dk, true, da.t(), q, (t, hd, t), (b, n_heads), 1.0);
}
