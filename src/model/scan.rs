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
//! On a CPU with far fewer cores than positions, the scan is blocked (reduce, then scan, as in
//! Blelloch's): the b·t rows (b windows of t positions, batch-major) are cut into chunks, each
//! streamed through the cache by one thread.
//!  - With at least as many windows as threads, every chunk holds whole windows: no state
//!    crosses a chunk, and one pass runs every chunk's recurrence from zero, side by side.
//!  - With fewer windows than threads, a window's positions are cut across threads, into one
//!    chunk more than there are threads:
//!     1. the first chunk runs its recurrence; every other chunk but the last only *reduces*:
//!        its last state e_j from zero and the product P_j of its coefficients (what the chunk
//!        does to a state entering it is h ↦ P_j ⊙ h + e_j), writing nothing;
//!     2. one short pass over the chunks carries the true state into each,
//!        c_{j+1} = e_j + P_j ⊙ c_j;
//!     3. every chunk but the first runs its recurrence from its carry.
//!
//! "First", "last" and "next" follow the direction: the backward runs from the last chunk to the
//! first, c_{j−1} = e_j + P_j ⊙ c_j.
//!
//! Each thread then streams two chunks of n/(p + 1) rows, one per pass: p threads finish in
//! 2n/(p + 1) row-times against n for one — 1.5× on two threads on paper. Measured on a 2-core
//! VM it is no faster than one thread: the scan does one multiply-add per value it reads, so both
//! passes are bound by the memory traffic the cores share (README, "Criterion").
//!
//! Numerics: the scan runs in the linear form, not in log space. Feng et al. (2024) use log space
//! because their scan (Heinsen's) computes h_t = A_t·Σ_k x_k / A_k with A_t = a_1 ⋯ a_t, and
//! dividing by a product of coefficients in (0, 1) overflows within a few hundred positions.
//! The blocked scan never divides: it only multiplies coefficients in (0, 1) together, which
//! can at worst underflow towards zero — exactly the size of the contribution it stands for —
//! and each h_t is a weighted sum of the window's h̃ with weights that add up to at most 1 (with
//! a = 1 − z, x = z ⊙ h̃), so |h| never exceeds the largest |h̃|.
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

/// Rows per chunk on `threads` threads: whole windows per thread when there are at least as many windows as
/// threads, otherwise one chunk more than threads, cut inside the windows (see the module doc).
pub fn chunk_rows(b: usize, t: usize, threads: usize) -> usize {
    let threads = threads.max(1);
    if b >= threads {
        b.div_ceil(threads) * t
    } else {
        (b * t).div_ceil(threads + 1)
    }
}

/// Floats of the chunks' summaries (3c per chunk) the scan keeps in its scratch for `b`
/// windows of `t` rows of width `c` on `threads` threads.
pub fn scratch_floats(b: usize, t: usize, c: usize, threads: usize) -> usize {
    3 * c * (b * t).div_ceil(chunk_rows(b, t, threads)).max(1)
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
    if b * t == 0 {
        return;
    }
    let plan = Plan::new(scratch, (b * t, t, c), chunk, Direction::Forward);
    let emit = |h: &mut Rows, k: usize, _: usize, r: &[f32]| h[k * c..(k + 1) * c].copy_from_slice(r);
    let n = plan.n;
    plan.run(scratch, &mut |scratch, range, step| {
        plan.pass(Rows::new(&mut h[..n * c], c), scratch, x, a, range, step, par, &emit)
    });
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
    if b * t == 0 {
        return;
    }
    let plan = Plan::new(scratch, (b * t, t, c), chunk, Direction::Backward);
    // g is row i's gradient; the state before row i is h_{i−1}, none at a window's start.
    let emit = |(dx, da): &mut (Rows, Rows), k: usize, i: usize, g: &[f32]| {
        vecmath::add_assign(&mut dx[k * c..(k + 1) * c], g);
        if !i.is_multiple_of(t) {
            let prev = &h[(i - 1) * c..i * c];
            for ((d, &g), &p) in da[k * c..(k + 1) * c].iter_mut().zip(g).zip(prev) {
                *d += g * p;
            }
        }
    };
    let n = plan.n;
    plan.run(scratch, &mut |scratch, range, step| {
        let outs = (Rows::new(&mut dx[..n * c], c), Rows::new(&mut da[..n * c], c));
        plan.pass(outs, scratch, dh, a, range, step, par, &emit)
    });
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

/// One pass over a range of chunks, given the scratch of summaries (the caller builds the
/// outputs' views afresh for each pass).
type PassFn<'a> = dyn FnMut(&mut [f32], std::ops::Range<usize>, Step) + 'a;

/// What a pass does with a chunk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Step 1: the first chunk runs its recurrence; the others reduce to (e_j, P_j).
    Reduce,
    /// Step 3 (or the only pass, when chunks hold whole windows): run the recurrence from the
    /// state entering the chunk.
    Scan,
}

/// How one scan is cut: n rows of windows of t, c channels, chunks of `chunk` rows, a direction.
struct Plan {
    n: usize,
    t: usize,
    c: usize,
    chunk: usize,
    chunks: usize,
    dir: Direction,
}

impl Plan {
    /// The plan, with room in `scratch` for the chunks' summaries: per chunk its state e_j, its
    /// coefficients' product P_j and the carry c_j entering it.
    fn new(scratch: &mut Vec<f32>, (n, t, c): (usize, usize, usize), chunk: usize, dir: Direction) -> Self {
        let chunk = chunk.max(1);
        let chunks = n.div_ceil(chunk);
        if scratch.len() < chunks * 3 * c {
            scratch.resize(chunks * 3 * c, 0.0);
        }
        Plan { n, t, c, chunk, chunks, dir }
    }

    /// Every chunk starts a window (or there is one chunk): no state crosses between chunks.
    fn aligned(&self) -> bool {
        self.chunks <= 1 || self.chunk.is_multiple_of(self.t)
    }

    /// The chunk the direction meets first (its carry is zero).
    fn first(&self) -> usize {
        match self.dir {
            Direction::Forward => 0,
            Direction::Backward => self.chunks - 1,
        }
    }

    /// The `k`-th of `count` things (rows of a chunk from `start`, or chunks) in the direction's order.
    fn nth(&self, start: usize, count: usize, k: usize) -> usize {
        match self.dir {
            Direction::Forward => start + k,
            Direction::Backward => start + count - 1 - k,
        }
    }

    /// The coefficient linking row `i` to the row before it in the direction's order (forward:
    /// a_i; backward: a_{i+1}); `None` where the chain starts afresh (forward: a window's first
    /// row; backward: its last).
    fn link<'a>(&self, a: &'a [f32], i: usize) -> Option<&'a [f32]> {
        let (t, c) = (self.t, self.c);
        match self.dir {
            Direction::Forward => (!i.is_multiple_of(t)).then(|| &a[i * c..(i + 1) * c]),
            Direction::Backward => (!(i + 1).is_multiple_of(t)).then(|| &a[(i + 1) * c..(i + 2) * c]),
        }
    }

    /// The passes: one over every chunk when they hold whole windows; otherwise reduce every
    /// chunk but the last, carry, and scan every chunk but the first (in the direction's order).
    fn run(&self, scratch: &mut [f32], pass: &mut PassFn<'_>) {
        let all = 0..self.chunks;
        if self.aligned() {
            pass(scratch, all, Step::Scan);
            return;
        }
        let (head, tail) = match self.dir {
            Direction::Forward => (0..self.chunks - 1, 1..self.chunks),
            Direction::Backward => (1..self.chunks, 0..self.chunks - 1),
        };
        pass(scratch, head, Step::Reduce);
        self.carry(scratch);
        pass(scratch, tail, Step::Scan);
    }

    /// Step 2: the true state entering each chunk, c_{j+1} = e_j + P_j ⊙ c_j in the direction's
    /// order of chunks, from c = 0 entering the first.
    fn carry(&self, scratch: &mut [f32]) {
        let (c, width) = (self.c, 3 * self.c);
        let first = self.first();
        scratch[first * width + 2 * c..(first + 1) * width].fill(0.0);
        for k in 1..self.chunks {
            let (from, to) = (self.nth(0, self.chunks, k - 1) * width, self.nth(0, self.chunks, k) * width + 2 * c);
            for j in 0..c {
                scratch[to + j] = scratch[from + j] + scratch[from + c + j] * scratch[from + 2 * c + j];
            }
        }
    }

    /// One pass over the chunks `range` of the n rows of `input`: each row's
    /// r_i = link_i ⊙ r_prev + input_i, in the direction's order, handed to
    /// `emit(part, row in part, row, r)` when the chunk runs its recurrence; a reducing chunk keeps
    /// only its summary.
    #[allow(clippy::too_many_arguments)]
    fn pass<S: SplitRows>(
        &self,
        outs: S,
        scratch: &mut [f32],
        input: &[f32],
        a: &[f32],
        range: std::ops::Range<usize>,
        step: Step,
        par: Par,
        emit: &(impl Fn(&mut S, usize, usize, &[f32]) + Sync),
    ) {
        let (c, chunk, width) = (self.c, self.chunk, 3 * self.c);
        let rows_end = (range.end * chunk).min(self.n);
        let (_, outs) = outs.split_at_row(range.start * chunk);
        let (outs, _) = outs.split_at_row(rows_end - range.start * chunk);
        let summaries = Rows::new(&mut scratch[range.start * width..range.end * width], width);
        let parts = Chunks { outs, summaries, chunk };
        let (first, aligned, lo) = (self.first(), self.aligned(), range.start);
        for_each_row_block(parts, range.len(), 1, par, &|j0, Chunks { outs: mut o, summaries: mut s, .. }| {
            let base = (lo + j0) * chunk;
            for (jj, summary) in s.chunks_exact_mut(width).enumerate() {
                let j = lo + j0 + jj;
                let (state, rest) = summary.split_at_mut(c);
                let (product, carry) = rest.split_at_mut(c);
                let (start, end) = (j * chunk, ((j + 1) * chunk).min(self.n));
                let reduce = step == Step::Reduce && j != first;
                if step == Step::Scan && !aligned && j != first {
                    state.copy_from_slice(carry);
                } else {
                    state.fill(0.0);
                }
                // Only a reducing chunk's product is read (the first chunk's multiplies its carry
                // of zero).
                if reduce {
                    product.fill(1.0);
                }
                for k in 0..end - start {
                    let i = self.nth(start, end - start, k);
                    let x = &input[i * c..(i + 1) * c];
                    match self.link(a, i) {
                        Some(l) if reduce => {
                            for (((r, &l), &x), p) in state.iter_mut().zip(l).zip(x).zip(product.iter_mut()) {
                                *r = l * *r + x;
                                *p *= l;
                            }
                        }
                        Some(l) => state.iter_mut().zip(l).zip(x).for_each(|((r, &l), &x)| *r = l * *r + x),
                        None => {
                            state.copy_from_slice(x);
                            if reduce {
                                product.fill(0.0);
                            }
                        }
                    }
                    if !reduce {
                        emit(&mut o, i - base, i, state);
                    }
                }
            }
        });
    }
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
