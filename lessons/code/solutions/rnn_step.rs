//! Exercise 3.3: one step of the Elman RNN — a reference solution.

/// The gradients of one step's inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct StepGrads {
    pub dp: Vec<f32>,
    pub dh_prev: Vec<f32>,
    pub dw_hh: Vec<f32>,
}

/// h = tanh(p + h_prev · W_hh).
pub fn rnn_step(p: &[f32], h_prev: &[f32], w_hh: &[f32]) -> Vec<f32> {
    let n = p.len();
    (0..n).map(|j| (p[j] + (0..n).map(|i| h_prev[i] * w_hh[i * n + j]).sum::<f32>()).tanh()).collect()
}

/// The gradients of the step that read `h_prev` and produced `h`, given `dh` at `h`.
pub fn rnn_step_backward(dh: &[f32], h: &[f32], h_prev: &[f32], w_hh: &[f32]) -> StepGrads {
    let n = h.len();
    let dz: Vec<f32> = dh.iter().zip(h).map(|(g, h)| g * (1.0 - h * h)).collect();
    let dh_prev = (0..n).map(|i| (0..n).map(|j| dz[j] * w_hh[i * n + j]).sum()).collect();
    let dw_hh = (0..n * n).map(|ij| h_prev[ij / n] * dz[ij % n]).collect();
    StepGrads { dp: dz, dh_prev, dw_hh }
}
