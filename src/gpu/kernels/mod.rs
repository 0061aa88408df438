//! One module per CPU layer, each dispatching the kernels of its shader file in
//! `src/gpu/shaders/`. Signatures mirror the CPU layers: outputs and gradients first, then
//! inputs, then sizes; a tensor inside a larger buffer is a [`View`](super::View).

pub mod adamw;
pub mod attention;
pub mod embedding;
pub mod gelu;
pub mod layernorm;
pub mod linear;
pub mod matmul;
pub mod mingru_gate;
pub mod position;
pub mod rnn_cell;
pub mod scan;
pub mod softmax_ce;
pub mod vecmath;

/// A size as a kernel argument.
fn u(x: usize) -> u32 {
    u32::try_from(x).expect("GPU sizes and offsets fit in 32 bits")
}
