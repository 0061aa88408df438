//! The linear recurrence (`model/scan.rs`) as the same blocked scan in three dispatches: every
//! chunk from zero, the carries between chunks, every chunk's carry added.

use super::u;
use crate::gpu::device::{groups, Access, Kernel};
use crate::gpu::{Gpu, GpuBuf};

const SOURCE: &str = include_str!("../shaders/scan.wgsl");
const FORWARD: [Kernel; 3] = [
    Kernel {
        name: "scan.local_forward",
        source: SOURCE,
        entry: "local_forward",
        bindings: &[(0, Access::ReadWrite), (2, Access::Read), (3, Access::Read), (5, Access::ReadWrite)],
    },
    Kernel { name: "scan.carry_forward", source: SOURCE, entry: "carry_forward", bindings: &[(5, Access::ReadWrite)] },
    Kernel {
        name: "scan.fix_forward",
        source: SOURCE,
        entry: "fix_forward",
        bindings: &[(0, Access::ReadWrite), (3, Access::Read), (5, Access::ReadWrite)],
    },
];
const BACKWARD: [Kernel; 3] = [
    Kernel {
        name: "scan.local_backward",
        source: SOURCE,
        entry: "local_backward",
        bindings: &[
            (0, Access::ReadWrite),
            (1, Access::ReadWrite),
            (2, Access::Read),
            (3, Access::Read),
            (4, Access::Read),
            (5, Access::ReadWrite),
        ],
    },
    Kernel {
        name: "scan.carry_backward",
        source: SOURCE,
        entry: "carry_backward",
        bindings: &[(5, Access::ReadWrite)],
    },
    Kernel {
        name: "scan.fix_backward",
        source: SOURCE,
        entry: "fix_backward",
        bindings: &[
            (0, Access::ReadWrite),
            (1, Access::ReadWrite),
            (3, Access::Read),
            (4, Access::Read),
            (5, Access::ReadWrite),
        ],
    },
];

/// Rows per chunk on a GPU: ⌈√n⌉, so that a chunk's own loop and the carries' loop over the
/// chunks are both about √n steps long (thousands of invocations run the chunks side by side).
pub fn chunk_rows(n: usize) -> usize {
    (n as f64).sqrt().ceil().max(1.0) as usize
}

/// Floats of the chunks' summaries for `n` rows of `c` channels.
pub fn scratch_floats(n: usize, c: usize) -> usize {
    3 * n.div_ceil(chunk_rows(n)).max(1) * c
}

/// The three dispatches of one direction; `buffers` in the local kernel's binding order.
fn run(gpu: &Gpu, kernels: &[Kernel; 3], buffers: &[&GpuBuf], scratch: &GpuBuf, (b, t, c): (usize, usize, usize)) {
    let n = b * t;
    let chunk = chunk_rows(n);
    let chunks = n.div_ceil(chunk);
    let args = [u(n), u(t), u(c), u(chunk), u(chunks)];
    gpu.dispatch(&kernels[0], buffers, &args, groups(chunks * c));
    if chunks > 1 {
        gpu.dispatch(&kernels[1], &[scratch], &args, groups(c));
        // The fix kernels bind everything but the inputs (binding 2).
        let fix: Vec<&GpuBuf> = buffers
            .iter()
            .zip(kernels[0].bindings)
            .filter(|(_, &(binding, _))| binding != 2)
            .map(|(b, _)| *b)
            .collect();
        gpu.dispatch(&kernels[2], &fix, &args, groups(chunks * c));
    }
}

/// h (b, t, c) = the recurrence over `x` with coefficients `a`.
pub fn forward(gpu: &Gpu, h: &GpuBuf, scratch: &GpuBuf, a: &GpuBuf, x: &GpuBuf, dims: (usize, usize, usize)) {
    run(gpu, &FORWARD, &[h, x, a, scratch], scratch, dims);
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
    run(gpu, &BACKWARD, &[dx, da, dh, a, h, scratch], scratch, dims);
}
