//! The Elman recurrence (`model/rnn_cell.rs`): one dispatch per word forward and one per word
//! back — the chain made visible as a chain of dispatches.

use super::matmul::{matmul, Mat};
use super::u;
use super::vecmath;
use crate::gpu::device::{Access, Kernel, WORKGROUP};
use crate::gpu::{Gpu, GpuBuf, View};

const SOURCE: &str = include_str!("../shaders/rnn_cell.wgsl");
const FORWARD_STEP: Kernel = Kernel {
    name: "rnn_cell.forward_step",
    source: SOURCE,
    entry: "forward_step",
    bindings: &[(0, Access::ReadWrite), (1, Access::Read)],
};
const BACKWARD_STEP: Kernel = Kernel {
    name: "rnn_cell.backward_step",
    source: SOURCE,
    entry: "backward_step",
    bindings: &[(2, Access::ReadWrite), (3, Access::Read), (4, Access::Read), (1, Access::Read)],
};

fn step_groups(b: usize, h: usize) -> [u32; 3] {
    [u((b * h).div_ceil(WORKGROUP as usize)), 1, 1]
}

/// `hs` (t, b, h): p on entry, hidden states on exit.
pub fn forward(gpu: &Gpu, hs: &GpuBuf, w_hh: View, t: usize, b: usize, h: usize) {
    for s in 0..t {
        gpu.dispatch(&FORWARD_STEP, &[hs, w_hh.buf], &[u(b), u(h), u(s), w_hh.offset, 0], step_groups(b, h));
    }
}

/// dp (t, b, h) += …, dw_hh (h, h) += … from `dhs` (t, b, h); `dz` (t, b, h) is scratch.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    gpu: &Gpu,
    dp: &GpuBuf,
    dw_hh: View,
    dz: &GpuBuf,
    dhs: &GpuBuf,
    hs: &GpuBuf,
    w_hh: View,
    t: usize,
    b: usize,
    h: usize,
) {
    for s in (0..t).rev() {
        let args = [u(b), u(h), u(s), w_hh.offset, (s + 1 < t) as u32];
        gpu.dispatch(&BACKWARD_STEP, &[dz, dhs, hs, w_hh.buf], &args, step_groups(b, h));
    }
    let n = t * b;
    vecmath::add(gpu, dp.at(0, n * h), dz.at(0, n * h));
    if t > 1 {
        let n = (t - 1) * b;
        let prev = Mat::rows(hs, 0, h).t();
        let next = Mat::rows(dz, b * h, h);
        matmul(gpu, Mat::rows(dw_hh.buf, dw_hh.offset as usize, h), true, prev, next, (h, h, n), (1, 1), 1.0);
    }
}
