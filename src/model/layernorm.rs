//! Layer normalisation over the last dimension (width c), with learned gain g and bias b.
//!
//! Forward:  μ = mean(x), rstd = 1/√(var(x) + ε), x̂ = (x − μ)·rstd, out = x̂·g + b
//! Backward: with dx̂ = dout·g,
//!           dx += rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂·x̂))
//!           dg += Σ_rows dout·x̂,  db += Σ_rows dout
//! Rows are independent: the forward and dx run one block of rows per thread.

use crate::linalg::{for_each_row_block, vecmath, Par, Rows};

pub const EPS: f32 = 1e-5;

/// out (n, c), mean (n), rstd (n) from inp (n, c).
#[allow(clippy::too_many_arguments)]
pub fn forward(
    out: &mut [f32],
    mean: &mut [f32],
    rstd: &mut [f32],
    inp: &[f32],
    g: &[f32],
    b: &[f32],
    n: usize,
    c: usize,
    par: Par,
) {
    let blocks = (Rows::new(&mut out[..n * c], c), Rows::new(&mut mean[..n], 1), Rows::new(&mut rstd[..n], 1));
    for_each_row_block(blocks, n, 1, par, &|r0, (mut out, mut mean, mut rstd)| {
        for (i, o) in out.chunks_exact_mut(c).enumerate() {
            let x = &inp[(r0 + i) * c..(r0 + i + 1) * c];
            let m = vecmath::sum(x) / c as f32;
            let var = vecmath::sum_squared_deviations(x, m) / c as f32;
            let s = 1.0 / (var + EPS).sqrt();
            for (((o, &x), &g), &b) in o.iter_mut().zip(x).zip(g).zip(b) {
                *o = (x - m) * s * g + b;
            }
            mean[i] = m;
            rstd[i] = s;
        }
    });
}

/// dinp (n, c) += …, dg (c) += …, db (c) += … (see the module docs).
#[allow(clippy::too_many_arguments)]
pub fn backward(
    dinp: &mut [f32],
    dg: &mut [f32],
    db: &mut [f32],
    dout: &[f32],
    inp: &[f32],
    mean: &[f32],
    rstd: &[f32],
    g: &[f32],
    n: usize,
    c: usize,
    par: Par,
) {
    // Parameter gradients sum over rows: a short sequential loop, the same on any thread count.
    for i in 0..n {
        let (x, d) = (&inp[i * c..(i + 1) * c], &dout[i * c..(i + 1) * c]);
        for j in 0..c {
            dg[j] += d[j] * (x[j] - mean[i]) * rstd[i];
            db[j] += d[j];
        }
    }
    for_each_row_block(Rows::new(&mut dinp[..n * c], c), n, 1, par, &|r0, mut dinp| {
        for (k, dx) in dinp.chunks_exact_mut(c).enumerate() {
            let i = r0 + k;
            let (x, d) = (&inp[i * c..(i + 1) * c], &dout[i * c..(i + 1) * c]);
            let (m, s) = (mean[i], rstd[i]);
            // Σ dnorm and Σ dnorm·x̂, with dnorm = d·g and x̂ = (x − m)·s.
            let sum_d = vecmath::dot(d, g);
            let mean_d = sum_d / c as f32;
            let mean_dx = vecmath::dot_centered(d, g, x, m) * s / c as f32;
            for j in 0..c {
                let xhat = (x[j] - m) * s;
                dx[j] += s * (d[j] * g[j] - mean_d - xhat * mean_dx);
            }
        }
    });
}
