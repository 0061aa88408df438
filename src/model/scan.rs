//! The linear recurrence h_t = a_t ⊙ h_{t−1} + x_t (h_{−1} = 0), elementwise over c channels:
//! the layer that lets a recurrent network read sideways.
//!
//! The Elman RNN's h_t = tanh(p_t + h_{t−1}·W_hh) must be computed one word after another,
//! because tanh of a product cannot be regrouped. Here each step is the map h ↦ a ⊙ h + x, and
//! two such maps compose into one of the same kind:
//!     (a₂, x₂) ∘ (a₁, x₁) = (a₂ ⊙ a₁, a₂ ⊙ x₁ + x₂)
//! That composition is associative, so the states of all t positions are a prefix scan, which a
//! tree computes in ⌈log₂ t⌉ levels (Hillis and Steele 1986) instead of t steps — the span the
//! work and span model counts for this layer.
//!
//! On a CPU with far fewer cores than positions, the scan is blocked (Blelloch's reduce, then
//! scan): the b·t rows (b windows of t positions, batch-major) are cut into chunks, and
//!  1. every chunk runs the recurrence from zero, keeping its last state e_j and the product
//!     P_j of its coefficients — all chunks at once, each streaming its rows through the cache;
//!  2. one short pass over the chunks carries the true state into each: c_{j+1} = e_j + P_j ⊙ c_j;
//!  3. every chunk adds its carry, decayed: h_i += (a_s ⊙ … ⊙ a_i) ⊙ c_j, up to the first row
//!     that starts a window (the state restarts there, so the carry has no effect beyond it).
//!
//! With whole windows per chunk (enough windows for the threads) no chunk starts inside a
//! window, steps 2 and 3 have nothing to do and the scan is the sequential loop; with fewer
//! windows than threads the positions of a window are cut across threads, at the price of
//! step 3's second pass over the first window of each chunk.
//!
//! Numerics: the scan runs in the linear form, not in log space. Feng et al. (2024) use log space
//! because their scan (Heinsen's) computes h_t = A_t·Σ_k x_k / A_k with A_t = a_1 ⋯ a_t, and
//! dividing by a product of coefficients in (0, 1) overflows within a few hundred positions.
//! The blocked scan never divides: it only multiplies coefficients in (0, 1) together, which
//! can at worst underflow towards zero — exactly the size of the contribution it stands for —
//! and each h_t is a convex combination of inputs (with a = 1 − z, x = z ⊙ h̃), so |h| never
//! exceeds the largest |h̃|.
//!
//! Backward: with dh the gradient arriving at every state, the gradient of each state is the
//! same recurrence run backwards, g_t = dh_t + a_{t+1} ⊙ g_{t+1}, and
//!     dx_t += g_t,   da_t += g_t ⊙ h_{t−1}
//! — computed by the same blocked scan from the end of each window.

use crate::linalg::{for_each_row_block, vecmath, Par, Rows, SplitRows};

/// The order a scan runs through a window: positions forwards (the states) or backwards (their
/// gradients).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Backward,
}

/// Rows per chunk on `par`: whole windows per thread when there are at least as many windows as
/// threads (then no chunk starts inside a window), otherwise an equal share of all positions.
pub fn chunk_rows(b: usize, t: usize, par: Par) -> usize {
    let threads = par.degree().max(1);
    if b >= threads {
        b.div_ceil(threads) * t
    } else {
        (b * t).div_ceil(threads)
    }
}

/// h (b, t, c) = the recurrence over `x` with coefficients `a`, both (b, t, c), in chunks of
/// `chunk` rows ([`chunk_rows`]; any length gives the same states). `scratch` grows to the
/// chunks' summaries.
#[allow(clippy::too_many_arguments)]
pub fn forward(
    h: &mut [f32],
    scratch: &mut Vec<f32>,
    a: &[f32],
    x: &[f32],
    (b, t, c): (usize, usize, usize),
    chunk: usize,
    par: Par,
) {
    let n = b * t;
    let emit = |h: &mut Rows, k: usize, _: usize, r: &[f32], first: bool| {
        let row = &mut h[k * c..(k + 1) * c];
        if first {
            row.copy_from_slice(r);
        } else {
            vecmath::add_assign(row, r);
        }
    };
    let chunks = prepare(scratch, n, chunk, c);
    let (dims, split) = ((n, t, c), (chunk, chunks));
    let dir = Direction::Forward;
    pass(Rows::new(&mut h[..n * c], c), scratch, x, a, dims, split, (dir, Step::Local), par, &emit);
    if chunks > 1 {
        carry(scratch, chunks, c, dir);
        pass(Rows::new(&mut h[..n * c], c), scratch, x, a, dims, split, (dir, Step::Carry), par, &emit);
    }
}

/// dx (b, t, c) += and da (b, t, c) += the gradients of [`forward`] from `dh`, the gradient
/// arriving at every state; `h` are the forward's states.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    (dx, da): (&mut [f32], &mut [f32]),
    scratch: &mut Vec<f32>,
    dh: &[f32],
    a: &[f32],
    h: &[f32],
    (b, t, c): (usize, usize, usize),
    chunk: usize,
    par: Par,
) {
    let n = b * t;
    // Row i of a part is global row i_global; the state before it is h_{i−1}, none at a window start.
    let emit = |(dx, da): &mut (Rows, Rows), k: usize, i: usize, g: &[f32], _: bool| {
        vecmath::add_assign(&mut dx[k * c..(k + 1) * c], g);
        if !i.is_multiple_of(t) {
            let prev = &h[(i - 1) * c..i * c];
            for ((d, &g), &p) in da[k * c..(k + 1) * c].iter_mut().zip(g).zip(prev) {
                *d += g * p;
            }
        }
    };
    let chunks = prepare(scratch, n, chunk, c);
    let (dims, split) = ((n, t, c), (chunk, chunks));
    let dir = Direction::Backward;
    let outs = (Rows::new(&mut dx[..n * c], c), Rows::new(&mut da[..n * c], c));
    pass(outs, scratch, dh, a, dims, split, (dir, Step::Local), par, &emit);
    if chunks > 1 {
        carry(scratch, chunks, c, dir);
        let outs = (Rows::new(&mut dx[..n * c], c), Rows::new(&mut da[..n * c], c));
        pass(outs, scratch, dh, a, dims, split, (dir, Step::Carry), par, &emit);
    }
}

/// The reference: the recurrence one position after another, h (b, t, c) from a and x.
pub fn sequential(h: &mut [f32], a: &[f32], x: &[f32], (b, t, c): (usize, usize, usize)) {
    for i in 0..b * t {
        let (past, now) = h.split_at_mut(i * c);
        let now = &mut now[..c];
        now.copy_from_slice(&x[i * c..(i + 1) * c]);
        if !i.is_multiple_of(t) {
            let (prev, ai) = (&past[(i - 1) * c..], &a[i * c..(i + 1) * c]);
            for ((s, &p), &ai) in now.iter_mut().zip(prev).zip(ai) {
                *s += ai * p;
            }
        }
    }
}

/// The coefficient linking row `i` to the row before it in `dir`'s order (forward: a_i; backward:
/// a_{i+1}); `None` where the chain starts afresh (forward: a window's first row; backward: its
/// last).
fn link(a: &[f32], i: usize, t: usize, c: usize, dir: Direction) -> Option<&[f32]> {
    match dir {
        Direction::Forward => (!i.is_multiple_of(t)).then(|| &a[i * c..(i + 1) * c]),
        Direction::Backward => (!(i + 1).is_multiple_of(t)).then(|| &a[(i + 1) * c..(i + 2) * c]),
    }
}

/// The `k`-th of the rows `start..end` in `dir`'s order.
fn nth_row(start: usize, end: usize, k: usize, dir: Direction) -> usize {
    match dir {
        Direction::Forward => start + k,
        Direction::Backward => end - 1 - k,
    }
}

/// The two passes over the chunks' rows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Step 1: every chunk from a zero state.
    Local,
    /// Step 3: every chunk but the first adds its carry, decayed, up to its first fresh start.
    Carry,
}

/// The outputs of a pass with the chunks' summaries, cut between chunks: `k` chunks are
/// k·`chunk` rows of the outputs and k rows of summaries.
struct Chunks<'s, S> {
    outs: S,
    summaries: Rows<'s>,
    chunk: usize,
}

impl<S: SplitRows> SplitRows for Chunks<'_, S> {
    fn split_at_row(self, k: usize) -> (Self, Self) {
        let (o0, o1) = self.outs.split_at_row(k * self.chunk);
        let (s0, s1) = self.summaries.split_at_row(k);
        let chunk = self.chunk;
        (Chunks { outs: o0, summaries: s0, chunk }, Chunks { outs: o1, summaries: s1, chunk })
    }
}

/// Make room for the chunks' summaries in `scratch`: per chunk its running state (e_j after
/// step 1), its coefficients' product P_j and the carry c_j entering it. Returns the count.
fn prepare(scratch: &mut Vec<f32>, n: usize, chunk: usize, c: usize) -> usize {
    let chunks = n.div_ceil(chunk.max(1));
    if scratch.len() < chunks * 3 * c {
        scratch.resize(chunks * 3 * c, 0.0);
    }
    chunks
}

/// One pass of the blocked scan over the n rows of `input`: r_i = link_i ⊙ r_prev + input_i
/// (step 1) or r_i = link_i ⊙ r_prev from the carry (step 3), in `dir`'s order, each r handed to
/// `emit(part, row in part, row, r, first)` — `first`: r is the row's own value (step 1),
/// otherwise a contribution to add.
#[allow(clippy::too_many_arguments)]
fn pass<S: SplitRows>(
    outs: S,
    scratch: &mut [f32],
    input: &[f32],
    a: &[f32],
    (n, t, c): (usize, usize, usize),
    (chunk, chunks): (usize, usize),
    (dir, step): (Direction, Step),
    par: Par,
    emit: &(impl Fn(&mut S, usize, usize, &[f32], bool) + Sync),
) {
    let width = 3 * c;
    let parts = Chunks { outs, summaries: Rows::new(&mut scratch[..chunks * width], width), chunk };
    let first_chunk = if dir == Direction::Forward { 0 } else { chunks - 1 };
    for_each_row_block(parts, chunks, 1, par, &|j0, Chunks { outs: mut o, summaries: mut s, .. }| {
        let base = j0 * chunk;
        for (jj, summary) in s.chunks_exact_mut(width).enumerate() {
            let j = j0 + jj;
            let (state, rest) = summary.split_at_mut(c);
            let (product, carry) = rest.split_at_mut(c);
            let (start, end) = (j * chunk, ((j + 1) * chunk).min(n));
            let rows = (0..end - start).map(|k| nth_row(start, end, k, dir));
            match step {
                Step::Local => {
                    state.fill(0.0);
                    product.fill(1.0);
                    for i in rows {
                        let x = &input[i * c..(i + 1) * c];
                        match link(a, i, t, c, dir) {
                            Some(l) => {
                                for (((r, &l), &x), p) in state.iter_mut().zip(l).zip(x).zip(product.iter_mut()) {
                                    *r = l * *r + x;
                                    *p *= l;
                                }
                            }
                            None => {
                                state.copy_from_slice(x);
                                product.fill(0.0);
                            }
                        }
                        emit(&mut o, i - base, i, state, true);
                    }
                }
                Step::Carry if j != first_chunk => {
                    state.copy_from_slice(carry);
                    for i in rows {
                        let Some(l) = link(a, i, t, c, dir) else { break };
                        state.iter_mut().zip(l).for_each(|(r, &l)| *r *= l);
                        emit(&mut o, i - base, i, state, false);
                    }
                }
                Step::Carry => {}
            }
        }
    });
}

/// Step 2: the true state entering each chunk, c_{j+1} = e_j + P_j ⊙ c_j in `dir`'s order of
/// chunks, from c = 0 entering the first.
fn carry(scratch: &mut [f32], chunks: usize, c: usize, dir: Direction) {
    let width = 3 * c;
    let first = nth_row(0, chunks, 0, dir);
    scratch[first * width + 2 * c..(first + 1) * width].fill(0.0);
    for k in 1..chunks {
        let (from, to) = (nth_row(0, chunks, k - 1, dir) * width, nth_row(0, chunks, k, dir) * width + 2 * c);
        for k in 0..c {
            scratch[to + k] = scratch[from + k] + scratch[from + c + k] * scratch[from + 2 * c + k];
        }
    }
}
