//! The learned position embedding: how the Transformer, which reads every word of a window at
//! once, knows which word came first.
//!
//! Forward:  x[b, t] += P[t]          (in place, on the token embeddings; P is (context, c))
//! Backward: dP[t]   += Σ_b dx[b, t]  (x's own gradient passes through unchanged: the
//!                                    derivative of an addition is the identity)

use crate::linalg::vecmath;

/// x (b, t, c) += P[position] for every window of `t` positions.
pub fn forward(x: &mut [f32], wpe: &[f32], n: usize, t: usize, c: usize) {
    for (i, row) in x[..n * c].chunks_exact_mut(c).enumerate() {
        let pos = (i % t) * c;
        vecmath::add_assign(row, &wpe[pos..pos + c]);
    }
}

/// dwpe (context, c) += the sum over windows of dx (b, t, c) at each position.
pub fn backward(dwpe: &mut [f32], dx: &[f32], n: usize, t: usize, c: usize) {
    for (i, row) in dx[..n * c].chunks_exact(c).enumerate() {
        let pos = (i % t) * c;
        vecmath::add_assign(&mut dwpe[pos..pos + c], row);
    }
}
