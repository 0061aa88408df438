//! GELU, tanh form.
//!
//! Forward:  y = ½·x·(1 + tanh(u)),  u = √(2/π)·(x + 0.044715·x³)
//! Backward: dy/dx = ½·(1 + tanh u) + ½·x·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·x²)
//!           dinp += dout · dy/dx
//! tanh u is an exponential and a division, most of this layer's arithmetic. The Transformer
//! computes it once: [`forward_keeping_tanh`] leaves it in the buffer the gradient later goes
//! to, and [`backward_from_tanh`] turns it into the gradient in place. Both add the bias of
//! the MLP's first layer as they read its output, so that product need not start from a copy
//! of the bias in every row.

use crate::linalg::{for_each_row_block, vecmath::tanh, Par, Rows};

const SQRT_2_OVER_PI: f32 = 0.797_884_6;
const K: f32 = 0.044_715;

/// tanh u for input x.
#[inline(always)]
fn tanh_u(x: f32) -> f32 {
    tanh(SQRT_2_OVER_PI * (x + K * x * x * x))
}

/// dy/dx at input x, given t = tanh u.
#[inline(always)]
fn slope(x: f32, t: f32) -> f32 {
    let du = SQRT_2_OVER_PI * (1.0 + 3.0 * K * x * x);
    0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du
}

/// out = gelu(inp), elementwise.
pub fn forward(out: &mut [f32], inp: &[f32], par: Par) {
    let n = inp.len();
    for_each_row_block(Rows::new(&mut out[..n], 1), n, 64, par, &|a, mut out| {
        for (o, &x) in out.iter_mut().zip(&inp[a..]) {
            *o = 0.5 * x * (1.0 + tanh_u(x));
        }
    });
}

/// [`forward`] of `inp + bias` (rows of `bias.len()`), also writing tanh u into `tanh_out` for
/// [`backward_from_tanh`]: the buffer of the input's gradient, unused until the backward pass
/// overwrites it. The bias is the one of the product before (the MLP's first layer), added here
/// as the input is read instead of copied into every row before the product: one pass over
/// the (n, 4c) activations fewer, and a product that stores without reading.
pub fn forward_keeping_tanh(out: &mut [f32], tanh_out: &mut [f32], inp: &[f32], bias: &[f32], par: Par) {
    let (width, n) = (bias.len(), inp.len());
    let blocks = (Rows::new(&mut out[..n], width), Rows::new(&mut tanh_out[..n], width));
    for_each_row_block(blocks, n / width, 1, par, &|r0, (mut out, mut kept)| {
        let rows = out.chunks_exact_mut(width).zip(kept.chunks_exact_mut(width));
        for ((out, kept), inp) in rows.zip(inp[r0 * width..].chunks_exact(width)) {
            for (((o, t), &x), &b) in out.iter_mut().zip(kept.iter_mut()).zip(inp).zip(bias) {
                let x = x + b;
                *t = tanh_u(x);
                *o = 0.5 * x * (1.0 + *t);
            }
        }
    });
}

/// dinp += dout · gelu'(inp), elementwise.
pub fn backward(dinp: &mut [f32], dout: &[f32], inp: &[f32], par: Par) {
    let n = inp.len();
    for_each_row_block(Rows::new(&mut dinp[..n], 1), n, 64, par, &|a, mut dinp| {
        for ((d, &x), &g) in dinp.iter_mut().zip(&inp[a..]).zip(&dout[a..]) {
            *d += g * slope(x, tanh_u(x));
        }
    });
}

/// dinp = dout · gelu'(inp + bias), where `dinp` holds the tanh u that [`forward_keeping_tanh`]
/// left there: the gradient with one writer, written over, with no exponential computed again.
pub fn backward_from_tanh(dinp: &mut [f32], dout: &[f32], inp: &[f32], bias: &[f32], par: Par) {
    let (width, n) = (bias.len(), inp.len());
    for_each_row_block(Rows::new(&mut dinp[..n], width), n / width, 1, par, &|r0, mut dinp| {
        let rows = dinp.chunks_exact_mut(width).zip(inp[r0 * width..].chunks_exact(width));
        for ((dinp, inp), dout) in rows.zip(dout[r0 * width..].chunks_exact(width)) {
            for (((d, &x), &b), &g) in dinp.iter_mut().zip(inp).zip(bias).zip(dout) {
                *d = g * slope(x + b, *d);
            }
        }
    });
}
