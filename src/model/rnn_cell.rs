//! The Elman recurrence (the part of the RNN that reads one word at a time).
//!
//! Forward:  h_t = tanh(z_t),  z_t = p_t + h_{t−1}·W_hh,  h_{−1} = 0, where p_t = e_t·W_xh + b_h
//!           was computed for every t at once by a linear layer (that part is parallel).
//! Backward (backpropagation through time), with dh_t the gradient arriving from the output:
//!           for t = T−1 down to 0:
//!               g_t  = dh_t + dz_{t+1}·W_hhᵀ      (the future's gradient flows back)
//!               dz_t = g_t ⊙ (1 − h_t²)
//!           dp    += dz                         (z_t = p_t + …: the gradient passes through)
//!           dW_hh += Σ_t h_{t−1}ᵀ·dz_t           (one product over all t, after the loop)
//! Both loops over t are a chain: step t cannot start before step t−1 (forward) or t+1
//! (backward) is done. That chain is the critical path that no number of cores can shorten.
//! Layout is time-major, (t, b, h), so each step's batch is one contiguous block.

use crate::linalg::{matmul, rows, rows_mut, vecmath, vecmath::tanh, Accum, Par};

/// `hs` (t, b, h): p on entry, hidden states on exit.
pub fn forward(hs: &mut [f32], w_hh: &[f32], t: usize, b: usize, h: usize, par: Par) {
    let step = b * h;
    for s in 0..t {
        let (past, now) = hs.split_at_mut(s * step);
        let now = &mut now[..step];
        if s > 0 {
            let prev = &past[(s - 1) * step..];
            matmul(rows_mut(now, b, h), Accum::Add, rows(prev, b, h), rows(w_hh, h, h), par);
        }
        for x in now.iter_mut() {
            *x = tanh(*x);
        }
    }
}

/// dp (t, b, h) += …, dw_hh (h, h) += … from `dhs` (t, b, h), the gradient arriving at each
/// hidden state from above. `dz` (t, b, h) and `carry` (b, h) are scratch.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    dp: &mut [f32],
    dw_hh: &mut [f32],
    dz: &mut [f32],
    carry: &mut [f32],
    dhs: &[f32],
    hs: &[f32],
    w_hh: &[f32],
    t: usize,
    b: usize,
    h: usize,
    par: Par,
) {
    let step = b * h;
    let carry = &mut carry[..step];
    for s in (0..t).rev() {
        carry.copy_from_slice(&dhs[s * step..(s + 1) * step]);
        if s + 1 < t {
            let dnext = &dz[(s + 1) * step..(s + 2) * step];
            matmul(rows_mut(carry, b, h), Accum::Add, rows(dnext, b, h), rows(w_hh, h, h).transpose(), par);
        }
        let hs_now = &hs[s * step..(s + 1) * step];
        for ((d, &g), &hv) in dz[s * step..(s + 1) * step].iter_mut().zip(carry.iter()).zip(hs_now) {
            *d = g * (1.0 - hv * hv);
        }
    }
    let n = t * b;
    vecmath::add_assign(&mut dp[..n * h], &dz[..n * h]);
    if t > 1 {
        let n = (t - 1) * b;
        matmul(rows_mut(dw_hh, h, h), Accum::Add, rows(&hs[..n * h], n, h).transpose(), rows(&dz[step..], n, h), par);
    }
}
