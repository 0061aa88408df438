//! Exercise 3.3: one step of the Elman RNN, forward and backward.
//!
//! The RNN reads word t by mixing it into its hidden state h (n numbers):
//!
//!     z = p + h_prev · W_hh          h = tanh(z)
//!
//! where p = x_t · W_xh + b was already computed for every word at once (that part is
//! parallel), and W_hh is n × n, row-major: (h_prev · W_hh)_j = Σ_i h_prev[i] · W_hh[i·n + j].
//! This product with the previous state is the chain: step t cannot start before step t − 1.
//!
//! Backward: given dh, the gradient of the loss at h, find the gradients at everything the step
//! read. tanh'(z) = 1 − tanh(z)² = 1 − h², so
//!
//!     dz = dh ⊙ (1 − h²)
//!     dp = dz                        dh_prev = dz · W_hhᵀ
//!     dW_hh[i·n + j] = h_prev[i] · dz[j]
//!
//! Check it with `sideways exercise check 3.3`: your step is run three times in a row and
//! compared with the engine's recurrence, forward and backward (through time), and your
//! gradients with finite differences of your forward.

/// The gradients of one step's inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct StepGrads {
    pub dp: Vec<f32>,
    pub dh_prev: Vec<f32>,
    pub dw_hh: Vec<f32>,
}

/// h = tanh(p + h_prev · W_hh).
pub fn rnn_step(p: &[f32], h_prev: &[f32], w_hh: &[f32]) -> Vec<f32> {
    let _ = (p, h_prev, w_hh);
    todo!("exercise 3.3: the forward step")
}

/// The gradients of the step that read `h_prev` and produced `h`, given `dh` at `h`.
pub fn rnn_step_backward(dh: &[f32], h: &[f32], h_prev: &[f32], w_hh: &[f32]) -> StepGrads {
    let _ = (dh, h, h_prev, w_hh);
    todo!("exercise 3.3: the backward step")
}
