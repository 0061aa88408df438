//! GELU, tanh form.
//!
//! Forward:  y = ½·x·(1 + tanh(u)),  u = √(2/π)·(x + 0.044715·x³)
//! Backward: dy/dx = ½·(1 + tanh u) + ½·x·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·x²)
//!           dinp = dout · dy/dx   (overwritten)

use crate::linalg::{for_each_block, vecmath::tanh, Disjoint, Par};

const SQRT_2_OVER_PI: f32 = 0.797_884_6;
const K: f32 = 0.044_715;

/// out = gelu(inp), elementwise.
pub fn forward(out: &mut [f32], inp: &[f32], par: Par) {
    let n = inp.len();
    let out = Disjoint::new(&mut out[..n]);
    for_each_block(n, 64, par, &|a, b| {
        // SAFETY: element blocks are disjoint.
        let out = unsafe { out.rows(a, b, 1) };
        for (o, &x) in out.iter_mut().zip(&inp[a..b]) {
            *o = 0.5 * x * (1.0 + tanh(SQRT_2_OVER_PI * (x + K * x * x * x)));
        }
    });
}

/// dinp = dout · gelu'(inp), elementwise.
pub fn backward(dinp: &mut [f32], dout: &[f32], inp: &[f32], par: Par) {
    let n = inp.len();
    let dinp = Disjoint::new(&mut dinp[..n]);
    for_each_block(n, 64, par, &|a, b| {
        // SAFETY: element blocks are disjoint.
        let dinp = unsafe { dinp.rows(a, b, 1) };
        for ((d, &x), &g) in dinp.iter_mut().zip(&inp[a..b]).zip(&dout[a..b]) {
            let t = tanh(SQRT_2_OVER_PI * (x + K * x * x * x));
            let du = SQRT_2_OVER_PI * (1.0 + 3.0 * K * x * x);
            *d = g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du);
        }
    });
}
