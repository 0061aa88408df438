//! The linear recurrence (`model/scan.rs`) as the same blocked scan in three dispatches: every
//! chunk reduced to its last state and coefficient product, the carries between chunks, every
//! chunk's recurrence from its carry. The GPU has thousands of invocations for the chunks, so it
//! always takes all three steps.

use super::u;
use crate::gpu::device::{groups, Access, Kernel};
use crate::gpu::{Gpu, GpuBuf};

const SOURCE: &str = include_str!("../shaders/scan.wgsl");
const FORWARD: [Kernel; 3] = [
    Kernel { name: "scan.reduce_forward", source: SOURCE, entry: "reduce_forward", bindings: REDUCE },
    Kernel { name: "scan.carry_forward", source: SOURCE, entry: "carry_forward", bindings: CARRY },
    Kernel {
        name: "scan.scan_forward",
        source: SOURCE,
        entry: "scan_forward",
        bindings: &[(0, Access::ReadWrite), (2, Access::Read), (3, Access::Read), (5, Access::ReadWrite)],
    },
];
const BACKWARD: [Kernel; 3] = [
    Kernel { name: "scan.reduce_backward", source: SOURCE, entry: "reduce_backward", bindings: REDUCE },
    Kernel { name: "scan.carry_backward", source: SOURCE, entry: "carry_backward", bindings: CARRY },
    Kernel {
        name: "scan.scan_backward",
        source: SOURCE,
        entry: "scan_backward",
        bindings: &[
            (0, Access::ReadWrite),
            (1, Access::ReadWrite),
            (2, Access::Read),
            (3, Access::Read),
            (4, Access::Read),
            (5, Access::ReadWrite),
        ],
    },
];
/// The reduce reads the inputs and coefficients and writes the summaries; the carry only
/// touches the summaries.
const REDUCE: &[(u32, Access)] = &[(2, Access::Read), (3, Access::Read), (5, Access::ReadWrite)];
const CARRY: &[(u32, Access)] = &[(5, Access::ReadWrite)];

/// Rows per chunk on a GPU: ⌈√n⌉, so that a chunk's own loop and the carries' loop over the
/// chunks are both about √n steps long (thousands of invocations run the chunks side by side).
pub fn chunk_rows(n: usize) -> usize {
    (n as f64).sqrt().ceil().max(1.0) as usize
}

/// Floats of the chunks' summaries for `n` rows of `c` channels.
pub fn scratch_floats(n: usize, c: usize) -> usize {
    3 * n.div_ceil(chunk_rows(n)).max(1) * c
}

/// The three dispatches of one direction; `outs` are the scan's outputs (h, or dx and da),
/// `states` the forward's states where the backward needs them.
#[allow(clippy::too_many_arguments)]
fn run(
    gpu: &Gpu,
    kernels: &[Kernel; 3],
    outs: &[&GpuBuf],
    input: &GpuBuf,
    a: &GpuBuf,
    states: Option<&GpuBuf>,
    scratch: &GpuBuf,
    (b, t, c): (usize, usize, usize),
) {
    let n = b * t;
    if n == 0 {
        return;
    }
    let chunk = chunk_rows(n);
    let chunks = n.div_ceil(chunk);
    let args = [u(n), u(t), u(c), u(chunk), u(chunks)];
    gpu.dispatch(&kernels[0], &[input, a, scratch], &args, groups(chunks * c));
    gpu.dispatch(&kernels[1], &[scratch], &args, groups(c));
    let mut scan: Vec<&GpuBuf> = outs.to_vec();
    scan.extend([input, a]);
    scan.extend(states);
    scan.push(scratch);
    gpu.dispatch(&kernels[2], &scan, &args, groups(chunks * c));
}

/// h (b, t, c) = the recurrence over `x` with coefficients `a`.
pub fn forward(gpu: &Gpu, h: &GpuBuf, scratch: &GpuBuf, a: &GpuBuf, x: &GpuBuf, dims: (usize, usize, usize)) {
    run(gpu, &FORWARD, &[h], x, a, None, scratch, dims);
}

/// dx += and da += the gradients of [`forward`] from `dh`; `h` are its states.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    gpu: &Gpu,
    (dx, da): (&GpuBuf, &GpuBuf),
    scratch: &GpuBuf,
    dh: &GpuBuf,
    a: &GpuBuf,
    h: &GpuBuf,
    dims: (usize, usize, usize),
) {
    run(gpu, &BACKWARD, &[dx, da], dh, a, Some(h), scratch, dims);
}
