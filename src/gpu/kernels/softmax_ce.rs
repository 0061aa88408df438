//! Softmax and cross-entropy (`model/softmax_ce.rs`), and the argmax the evaluation counts.

use super::u;
use crate::gpu::device::{groups, rows, Access, Kernel};
use crate::gpu::{Gpu, GpuBuf, View};

const SOURCE: &str = include_str!("../shaders/softmax_ce.wgsl");
const FORWARD: Kernel = Kernel {
    name: "softmax_ce.forward",
    source: SOURCE,
    entry: "forward",
    bindings: &[(0, Access::ReadWrite), (1, Access::ReadWrite), (2, Access::Read)],
};
const BACKWARD: Kernel = Kernel {
    name: "softmax_ce.backward",
    source: SOURCE,
    entry: "backward",
    bindings: &[(0, Access::ReadWrite), (2, Access::Read)],
};
const ARGMAX: Kernel = Kernel {
    name: "softmax_ce.argmax",
    source: SOURCE,
    entry: "argmax",
    bindings: &[(3, Access::ReadWrite), (4, Access::Read)],
};

/// Softmax of each row of the logits in `probs` (n, v), in place; with targets (n ids),
/// `losses` (n).
pub fn forward(gpu: &Gpu, probs: &GpuBuf, losses: &GpuBuf, targets: Option<View>, n: usize, v: usize) {
    let (t, t_off) = targets.map_or((probs, 0), |t| (t.buf, t.offset));
    let args = [u(n), u(v), targets.is_some() as u32, 0, t_off];
    gpu.dispatch(&FORWARD, &[probs, losses, t], &args, rows(n));
}

/// Probabilities into the gradient of `dloss` × (sum of row losses), in place.
pub fn backward(gpu: &Gpu, probs: &GpuBuf, targets: View, dloss: f32, n: usize, v: usize) {
    let args = [u(n), u(v), 1, dloss.to_bits(), targets.offset];
    gpu.dispatch(&BACKWARD, &[probs, targets.buf], &args, groups(n * v));
}

/// The index of each row's largest probability into `best` (n).
pub fn argmax(gpu: &Gpu, best: &GpuBuf, probs: &GpuBuf, n: usize, v: usize) {
    gpu.dispatch(&ARGMAX, &[best, probs], &[u(n), u(v), 0, 0, 0], rows(n));
}
