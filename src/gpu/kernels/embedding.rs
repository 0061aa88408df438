//! The token embedding layer (`embed/embedding.rs`): gather rows forward; backward each word's
//! row sums its positions, found through a counting sort made on the host.

use super::u;
use crate::gpu::device::{groups, Access, Kernel};
use crate::gpu::{Gpu, GpuBuf, View};

const SOURCE: &str = include_str!("../shaders/embedding.wgsl");
const FORWARD: Kernel = Kernel {
    name: "embedding.forward",
    source: SOURCE,
    entry: "forward",
    bindings: &[(0, Access::ReadWrite), (1, Access::Read), (2, Access::Read)],
};
const BACKWARD: Kernel = Kernel {
    name: "embedding.backward",
    source: SOURCE,
    entry: "backward",
    bindings: &[(3, Access::ReadWrite), (4, Access::Read), (5, Access::Read)],
};

/// out (n, width) = table[tokens].
pub fn forward(gpu: &Gpu, out: &GpuBuf, tokens: &GpuBuf, table: View, n: usize, width: usize) {
    gpu.dispatch(&FORWARD, &[out, tokens, table.buf], &[u(n), u(width), table.offset, 0, 0], groups(n * width));
}

/// The positions of `tokens` grouped by word, as the backward kernel reads them: for each of
/// the `words` words the start of its positions (words + 1 entries), then the positions.
pub fn index(tokens: &[u32], words: usize) -> Vec<u32> {
    let mut starts = vec![0u32; words + 1];
    for &t in tokens {
        starts[t as usize + 1] += 1;
    }
    for i in 0..words {
        starts[i + 1] += starts[i];
    }
    let mut next = starts.clone();
    let mut positions = vec![0u32; tokens.len()];
    for (i, &t) in tokens.iter().enumerate() {
        positions[next[t as usize] as usize] = i as u32;
        next[t as usize] += 1;
    }
    starts.extend(positions);
    starts
}

/// dtable (words, width) += the rows of dout (n, width) at their tokens; `index` from [`index`].
pub fn backward(gpu: &Gpu, dtable: View, dout: &GpuBuf, index: View, words: usize, width: usize) {
    let args = [0, u(width), dtable.offset, u(words), index.offset];
    gpu.dispatch(&BACKWARD, &[dtable.buf, dout, index.buf], &args, groups(words * width));
}
