//! Linear layer.
//!
//! Forward:  out (n, d_out) = inp (n, d_in) · w (d_in, d_out) + b (d_out)
//! Backward: dinp (n, d_in)      += dout · wᵀ   (or = , [`backward_overwrite`])
//!           dw   (d_in, d_out)  += inpᵀ · dout
//!           db   (d_out)        += Σ_rows dout
//! Two products and a column sum: every row is independent, so all of it is parallel work.

use crate::linalg::{for_each_row_block, matmul, rows, rows_mut, vecmath, Accum, Par, Rows};

/// out = inp · w + b.
#[allow(clippy::too_many_arguments)]
pub fn forward(out: &mut [f32], inp: &[f32], w: &[f32], b: &[f32], n: usize, d_in: usize, d_out: usize, par: Par) {
    for_each_row_block(Rows::new(&mut out[..n * d_out], d_out), n, 1, par, &|_, mut out| {
        out.chunks_exact_mut(d_out).for_each(|row| row.copy_from_slice(b));
    });
    matmul(rows_mut(out, n, d_out), Accum::Add, rows(inp, n, d_in), rows(w, d_in, d_out), par);
}

/// out = inp · w, the bias left to the layer that reads `out` next (the Transformer's GELU adds
/// it as it reads): no copy of the bias into every row, and a product that stores without
/// reading what was there.
pub fn forward_without_bias(out: &mut [f32], inp: &[f32], w: &[f32], n: usize, d_in: usize, d_out: usize, par: Par) {
    matmul(rows_mut(out, n, d_out), Accum::Replace, rows(inp, n, d_in), rows(w, d_in, d_out), par);
}

/// out = residual + inp · w + b: a layer whose output joins the residual stream. The sum starts
/// as residual + b, in the pass that would otherwise only copy the bias, and the product adds
/// onto it.
#[allow(clippy::too_many_arguments)]
pub fn forward_residual(
    out: &mut [f32],
    residual: &[f32],
    inp: &[f32],
    w: &[f32],
    b: &[f32],
    n: usize,
    d_in: usize,
    d_out: usize,
    par: Par,
) {
    for_each_row_block(Rows::new(&mut out[..n * d_out], d_out), n, 1, par, &|r0, mut out| {
        for (row, res) in out.chunks_exact_mut(d_out).zip(residual[r0 * d_out..].chunks_exact(d_out)) {
            row.iter_mut().zip(res).zip(b).for_each(|((o, &r), &b)| *o = r + b);
        }
    });
    matmul(rows_mut(out, n, d_out), Accum::Add, rows(inp, n, d_in), rows(w, d_in, d_out), par);
}

/// Gradients of a linear layer, added into `dinp`, `dw` and `db`; `dinp` may be `None` when
/// the input needs no gradient.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    dinp: Option<&mut [f32]>,
    dw: &mut [f32],
    db: &mut [f32],
    dout: &[f32],
    inp: &[f32],
    w: &[f32],
    n: usize,
    d_in: usize,
    d_out: usize,
    par: Par,
) {
    backward_into(dinp.map(|d| (d, Accum::Add)), dw, db, dout, inp, w, n, d_in, d_out, par);
}

/// [`backward`] with `dinp` written over instead of added into: for an input gradient that no
/// other layer adds to, which then needs no zeroing before the backward pass (the Transformer's
/// block-internal gradients: megabytes a step not cleared, and a product that stores without
/// reading). The weight and bias gradients still add.
#[allow(clippy::too_many_arguments)]
pub fn backward_overwrite(
    dinp: &mut [f32],
    dw: &mut [f32],
    db: &mut [f32],
    dout: &[f32],
    inp: &[f32],
    w: &[f32],
    n: usize,
    d_in: usize,
    d_out: usize,
    par: Par,
) {
    backward_into(Some((dinp, Accum::Replace)), dw, db, dout, inp, w, n, d_in, d_out, par);
}

#[allow(clippy::too_many_arguments)]
fn backward_into(
    dinp: Option<(&mut [f32], Accum)>,
    dw: &mut [f32],
    db: &mut [f32],
    dout: &[f32],
    inp: &[f32],
    w: &[f32],
    n: usize,
    d_in: usize,
    d_out: usize,
    par: Par,
) {
    if let Some((dinp, accum)) = dinp {
        matmul(rows_mut(dinp, n, d_in), accum, rows(dout, n, d_out), rows(w, d_in, d_out).transpose(), par);
    }
    matmul(rows_mut(dw, d_in, d_out), Accum::Add, rows(inp, n, d_in).transpose(), rows(dout, n, d_out), par);
    column_sum(db, dout, n, d_out, par);
}

/// db (d) += Σ_rows x (n, d), split over blocks of columns so no two threads add to one entry.
pub fn column_sum(db: &mut [f32], x: &[f32], n: usize, d: usize, par: Par) {
    for_each_row_block(Rows::new(&mut db[..d], 1), d, 64, par, &|a, mut acc| {
        let cols = a..a + acc.len();
        for row in x[..n * d].chunks_exact(d) {
            vecmath::add_assign(&mut acc, &row[cols.clone()]);
        }
    });
}
