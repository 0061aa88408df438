//! GELU, tanh form.
//!
//! Forward:  y = ½·x·(1 + tanh(u)),  u = √(2/π)·(x + 0.044715·x³)
//! Backward: dy/dx = ½·(1 + tanh u) + ½·x·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·x²)
//!           dinp += dout · dy/dx   (or = , [`backward_overwrite`])

use crate::linalg::{for_each_row_block, vecmath::tanh, Par, Rows};

const SQRT_2_OVER_PI: f32 = 0.797_884_6;
const K: f32 = 0.044_715;

/// out = gelu(inp), elementwise.
pub fn forward(out: &mut [f32], inp: &[f32], par: Par) {
    let n = inp.len();
    for_each_row_block(Rows::new(&mut out[..n], 1), n, 64, par, &|a, mut out| {
        for (o, &x) in out.iter_mut().zip(&inp[a..]) {
            *o = 0.5 * x * (1.0 + tanh(SQRT_2_OVER_PI * (x + K * x * x * x)));
        }
    });
}

/// dinp += dout · gelu'(inp), elementwise.
pub fn backward(dinp: &mut [f32], dout: &[f32], inp: &[f32], par: Par) {
    backward_into(dinp, dout, inp, true, par);
}

/// dinp = dout · gelu'(inp): for a gradient no other layer adds to, which then needs no zeroing.
pub fn backward_overwrite(dinp: &mut [f32], dout: &[f32], inp: &[f32], par: Par) {
    backward_into(dinp, dout, inp, false, par);
}

fn backward_into(dinp: &mut [f32], dout: &[f32], inp: &[f32], add: bool, par: Par) {
    let n = inp.len();
    for_each_row_block(Rows::new(&mut dinp[..n], 1), n, 64, par, &|a, mut dinp| {
        for ((d, &x), &g) in dinp.iter_mut().zip(&inp[a..]).zip(&dout[a..]) {
            let t = tanh(SQRT_2_OVER_PI * (x + K * x * x * x));
            let du = SQRT_2_OVER_PI * (1.0 + 3.0 * K * x * x);
            let grad = g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du);
            *d = if add { *d + grad } else { grad };
        }
    });
}
