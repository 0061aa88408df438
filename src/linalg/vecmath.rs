//! Vector maths written so that the compiler turns each loop into SIMD code (and, for the
//! softmax's exponentials, AVX-512 intrinsics where the target has them; for word2vec's
//! several-rows-at-once dot products, AVX2 intrinsics).
//!
//! `f32::exp` and `f32::tanh` are scalar library calls; the softmax over a 4096-word vocabulary
//! and the GELU of the Transformer call them millions of times per step. [`exp`] is the classic
//! Cephes range reduction plus a degree-6 polynomial (relative error below 2e-7), inlined, so
//! loops over it vectorise. Reductions ([`sum`], [`max`]) keep 16 independent lanes, because a
//! single running `f32` sum is a chain of dependent additions that cannot vectorise.

const LANES: usize = 16;

/// [`exp`]'s constants, shared with its 16-lane form (`avx512::exp`) so that the two cannot
/// drift apart: the clamp, ln 2 split in two for an exact range reduction, the polynomial's
/// coefficients (highest degree first), and the shift that moves n into the mantissa's bits.
const EXP_RANGE: (f32, f32) = (-87.0, 88.0);
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
const EXP_POLY: [f32; 6] = [1.987_569_2e-4, 1.398_2e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 0.5];
const EXP_SHIFT: f32 = 127.0 + 12_582_912.0;
const EXP_SHIFT_BITS: u32 = 0x4B40_0000;

/// e^x, accurate to about 2e-7 relative; clamped to e^-87 (about 1.6e-38, not 0) below -87 and to
/// e^88 above 88.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(EXP_RANGE.0, EXP_RANGE.1);
    let n = (x * std::f32::consts::LOG2_E).round_ties_even();
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = EXP_POLY[0];
    for c in &EXP_POLY[1..] {
        p = p * r + c;
    }
    let er = p * r * r + r + 1.0;
    // 2^n built from bits. n is an integer in [-126, 127]; adding 1.5·2^23 moves it into the low
    // mantissa bits, which stays in SIMD registers (a plain `n as i32` saturates, and that
    // check makes the compiler fall back to scalar code).
    let biased = (n + EXP_SHIFT).to_bits() - EXP_SHIFT_BITS;
    let scale = f32::from_bits(biased << 23);
    er * scale
}

/// tanh(x) = 1 − 2 / (e^{2x} + 1); absolute error below 3e-7.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    1.0 - 2.0 / (exp(2.0 * x) + 1.0)
}

/// Sum of a slice, 16 lanes at a time.
pub fn sum(xs: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Largest element of a non-empty slice.
pub fn max(xs: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail = chunks.remainder().iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a = a.max(x);
        }
    }
    acc.iter().copied().fold(tail, f32::max)
}

/// Dot product, 16 lanes at a time.
pub fn dot(xs: &[f32], ys: &[f32]) -> f32 {
    debug_assert_eq!(xs.len(), ys.len());
    let done = xs.len() - xs.len() % LANES;
    lanes_total(lane_sums(&xs[..done], &ys[..done]), &xs[done..], &ys[done..])
}

/// The dot products of `x` with each of R rows, each summed exactly as [`dot`] sums it (the
/// same bits), with each piece of x loaded once for all R rows: word2vec scores every context
/// word against the same 1 + K output rows. The lane loop is AVX2 intrinsics where the target
/// has them: from the plain loop ([`dot_lanes`]) the compiler made scalar code for three rows,
/// and word2vec ran 2.4 times slower with it than with three calls of `dot`.
#[inline]
pub fn dots<const R: usize>(x: &[f32], rows: [&[f32]; R]) -> [f32; R] {
    debug_assert!(rows.iter().all(|r| r.len() == x.len()));
    let done = x.len() - x.len() % LANES;
    let body = rows.map(|r| &r[..done]);
    #[cfg(all(target_arch = "x86_64", target_feature = "avx2"))]
    // SAFETY: this build's every function may use AVX2 (the cfg above says the target has it).
    let acc = unsafe { avx2::dot_lanes(&x[..done], body) };
    #[cfg(not(all(target_arch = "x86_64", target_feature = "avx2")))]
    let acc = dot_lanes(&x[..done], body);
    std::array::from_fn(|r| lanes_total(acc[r], &x[done..], &rows[r][done..]))
}

/// Each row's 16 running lane sums of x · row, the reference [`dots`]'s AVX2 form is tested
/// against.
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "avx2"))))]
fn dot_lanes<const R: usize>(x: &[f32], rows: [&[f32]; R]) -> [[f32; LANES]; R] {
    rows.map(|r| lane_sums(x, r))
}

/// The 16 running lane sums of x · y (equal lengths, a multiple of 16): lane i adds the
/// products of elements i, i + 16, i + 32, … in order.
#[inline(always)]
fn lane_sums(x: &[f32], y: &[f32]) -> [f32; LANES] {
    let mut acc = [0.0f32; LANES];
    for (c, d) in x.chunks_exact(LANES).zip(y.chunks_exact(LANES)) {
        for ((a, x), y) in acc.iter_mut().zip(c).zip(d) {
            *a += x * y;
        }
    }
    acc
}

/// A dot product's end: its 16 lane sums added in order, then the products of the last
/// `len % 16` elements (`x_tail`, `y_tail`), summed in order.
#[inline]
fn lanes_total(acc: [f32; LANES], x_tail: &[f32], y_tail: &[f32]) -> f32 {
    let tail: f32 = x_tail.iter().zip(y_tail).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// [`dots`]'s loop on AVX2: 16 lanes as two 8-lane registers per row, each lane multiplied
/// then added (no fused multiply-add), as the portable loop does.
#[cfg(all(target_arch = "x86_64", target_feature = "avx2"))]
mod avx2 {
    use std::arch::x86_64::*;

    use super::LANES;

    /// 8 floats from a piece of exactly 8. Inline, because `dot_lanes` is generic: compiled in
    /// another crate (the benches), it would otherwise call this out of line, 5 times slower.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn load(c: &[f32]) -> __m256 {
        assert_eq!(c.len(), 8);
        // SAFETY: 8 floats are there; loadu needs no alignment.
        unsafe { _mm256_loadu_ps(c.as_ptr()) }
    }

    /// Each row's 16 running lane sums of x · row; x and every row have the same length, a
    /// multiple of 16.
    #[target_feature(enable = "avx2")]
    pub(super) fn dot_lanes<const R: usize>(x: &[f32], rows: [&[f32]; R]) -> [[f32; LANES]; R] {
        assert!(x.len().is_multiple_of(LANES) && rows.iter().all(|r| r.len() == x.len()));
        let (mut lo, mut hi) = ([_mm256_setzero_ps(); R], [_mm256_setzero_ps(); R]);
        for (at, xs) in (0..x.len()).step_by(LANES).zip(x.chunks_exact(LANES)) {
            let (xl, xh) = (load(&xs[..8]), load(&xs[8..]));
            for r in 0..R {
                let ys = &rows[r][at..at + LANES];
                lo[r] = _mm256_add_ps(lo[r], _mm256_mul_ps(xl, load(&ys[..8])));
                hi[r] = _mm256_add_ps(hi[r], _mm256_mul_ps(xh, load(&ys[8..])));
            }
        }
        let mut out = [[0.0; LANES]; R];
        for (out, (lo, hi)) in out.iter_mut().zip(lo.iter().zip(&hi)) {
            let (l, h) = out.split_at_mut(8);
            // SAFETY: 8 floats in each half; storeu needs no alignment.
            unsafe {
                _mm256_storeu_ps(l.as_mut_ptr(), *lo);
                _mm256_storeu_ps(h.as_mut_ptr(), *hi);
            }
        }
        out
    }
}

/// Σ (x − m)², 16 lanes at a time (a LayerNorm's variance).
pub fn sum_squared_deviations(xs: &[f32], m: f32) -> f32 {
    let mut acc = [0.0f32; LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().map(|x| (x - m) * (x - m)).sum();
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += (x - m) * (x - m);
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Σ x·y·(z − m), 16 lanes at a time (a LayerNorm's backward).
pub fn dot_centered(xs: &[f32], ys: &[f32], zs: &[f32], m: f32) -> f32 {
    let mut acc = [0.0f32; LANES];
    let (cx, cy, cz) = (xs.chunks_exact(LANES), ys.chunks_exact(LANES), zs.chunks_exact(LANES));
    let tail: f32 =
        cx.remainder().iter().zip(cy.remainder()).zip(cz.remainder()).map(|((x, y), z)| x * y * (z - m)).sum();
    for ((a, b), c) in cx.zip(cy).zip(cz) {
        for (((acc, x), y), z) in acc.iter_mut().zip(a).zip(b).zip(c) {
            *acc += x * y * (z - m);
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Adds `bias` into `row` and returns the largest result (a softmax's first pass).
pub fn add_max(row: &mut [f32], bias: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let (cr, cb) = (row.chunks_exact_mut(LANES), bias.chunks_exact(LANES));
    let mut tail = f32::NEG_INFINITY;
    for (r, b) in cr.zip(cb) {
        for ((a, x), b) in acc.iter_mut().zip(r).zip(b) {
            *x += b;
            *a = a.max(*x);
        }
    }
    let done = row.len() - row.len() % LANES;
    for (x, b) in row[done..].iter_mut().zip(&bias[done..]) {
        *x += b;
        tail = tail.max(*x);
    }
    acc.iter().copied().fold(tail, f32::max)
}

/// Replaces each x with e^{x − m} and returns their sum (a softmax's second pass).
pub fn exp_sum(row: &mut [f32], m: f32) -> f32 {
    let done = row.len() - row.len() % LANES;
    #[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
    // SAFETY: this build's every function may use AVX-512 (the cfg above says the target has it).
    let acc = unsafe { avx512::exp_sum_lanes(&mut row[..done], m) };
    #[cfg(not(all(target_arch = "x86_64", target_feature = "avx512f")))]
    let acc = {
        let mut acc = [0.0f32; LANES];
        for c in row[..done].chunks_exact_mut(LANES) {
            for (a, x) in acc.iter_mut().zip(c) {
                *x = exp(*x - m);
                *a += *x;
            }
        }
        acc
    };
    let mut tail = 0.0;
    for x in &mut row[done..] {
        *x = exp(*x - m);
        tail += *x;
    }
    acc.iter().sum::<f32>() + tail
}

/// The exponentials of a softmax on AVX-512, 16 lanes to a register, written with intrinsics:
/// LLVM tunes these CPUs to prefer 256-bit vectors and would split the loop in two, and this
/// loop is the output layer's costliest after its products (one whole-row pass at 16 lanes took
/// 2–3 ms off a training step here; the same for the bias-and-maximum pass gained nothing
/// measurable). It does the portable loop's operations in the same order, lane by lane, so both
/// give the same bits (tested).
#[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{EXP_POLY, EXP_RANGE, EXP_SHIFT, EXP_SHIFT_BITS, LANES, LN2_HI, LN2_LO};

    /// 16 floats from a chunk of exactly 16.
    #[target_feature(enable = "avx512f")]
    fn load(c: &[f32]) -> __m512 {
        assert_eq!(c.len(), LANES);
        // SAFETY: 16 floats are there; loadu needs no alignment.
        unsafe { _mm512_loadu_ps(c.as_ptr()) }
    }

    /// Write 16 floats into a chunk of exactly 16.
    #[target_feature(enable = "avx512f")]
    fn store(c: &mut [f32], v: __m512) {
        assert_eq!(c.len(), LANES);
        // SAFETY: 16 floats are there; storeu needs no alignment.
        unsafe { _mm512_storeu_ps(c.as_mut_ptr(), v) }
    }

    #[target_feature(enable = "avx512f")]
    fn lanes(v: __m512) -> [f32; LANES] {
        let mut out = [0.0; LANES];
        store(&mut out, v);
        out
    }

    /// `exp_sum` over whole chunks: x ← e^{x − m}, and each lane's sum.
    #[target_feature(enable = "avx512f")]
    pub(super) fn exp_sum_lanes(row: &mut [f32], m: f32) -> [f32; LANES] {
        let m = _mm512_set1_ps(m);
        let mut acc = _mm512_setzero_ps();
        for c in row.chunks_exact_mut(LANES) {
            let e = exp(_mm512_sub_ps(load(c), m));
            store(c, e);
            acc = _mm512_add_ps(acc, e);
        }
        lanes(acc)
    }

    /// [`super::exp`] on 16 lanes: the same constants, operations and order (no fused
    /// multiply-adds, as the scalar code has none).
    #[target_feature(enable = "avx512f")]
    fn exp(x: __m512) -> __m512 {
        let c = _mm512_set1_ps;
        let x = _mm512_max_ps(_mm512_min_ps(x, c(EXP_RANGE.1)), c(EXP_RANGE.0));
        let log2e = c(std::f32::consts::LOG2_E);
        let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm512_mul_ps(x, log2e));
        let r = _mm512_sub_ps(_mm512_sub_ps(x, _mm512_mul_ps(n, c(LN2_HI))), _mm512_mul_ps(n, c(LN2_LO)));
        let mut p = c(EXP_POLY[0]);
        for &k in &EXP_POLY[1..] {
            p = _mm512_add_ps(_mm512_mul_ps(p, r), c(k));
        }
        let er = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(p, r), r), r), c(1.0));
        let n_bits = _mm512_castps_si512(_mm512_add_ps(n, c(EXP_SHIFT)));
        let biased = _mm512_sub_epi32(n_bits, _mm512_set1_epi32(EXP_SHIFT_BITS as i32));
        _mm512_mul_ps(er, _mm512_castsi512_ps(_mm512_slli_epi32::<23>(biased)))
    }
}

/// Sum of squares in f64 (for the global gradient norm, where 1.4 million terms meet).
pub fn sum_squares_f64(xs: &[f32]) -> f64 {
    xs.chunks(4096).map(|c| dot(c, c) as f64).sum()
}

/// y += a · x.
#[inline]
pub fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// y += a₁·x₁ + a₂·x₂ + …, each element's terms added in order, so the bits are those of one
/// [`axpy`] per term. What differs is the memory traffic: each 32-float piece of y is loaded
/// and stored once for all the terms instead of once per term (word2vec adds up to ten rows
/// into each row it updates, and the stores were its inner loop's bottleneck). `terms` is
/// walked once per piece, so each clone must yield the same terms.
///
/// The rows are taken in pieces of 32, then of 4 (d = 100 is 3 · 32 + 4), then one by one:
/// left to itself the compiler runs a short tail with masked loads and stores, which Zen 1
/// microcodes, and that tail then cost more than the rest of the row.
#[inline]
pub fn axpys<'x>(y: &mut [f32], terms: impl Iterator<Item = (f32, &'x [f32])> + Clone) {
    let wide = y.len() - y.len() % (2 * LANES);
    let narrow = y.len() - y.len() % 4;
    axpys_pieces::<{ 2 * LANES }>(&mut y[..wide], 0, terms.clone());
    axpys_pieces::<4>(&mut y[wide..narrow], wide, terms.clone());
    axpys_pieces::<1>(&mut y[narrow..], narrow, terms);
}

/// [`axpys`] over `y` = the terms' elements from `offset` on, in pieces of N held in registers.
#[inline(always)]
fn axpys_pieces<'x, const N: usize>(
    y: &mut [f32],
    offset: usize,
    terms: impl Iterator<Item = (f32, &'x [f32])> + Clone,
) {
    for (i, piece) in y.chunks_exact_mut(N).enumerate() {
        let at = offset + i * N;
        let mut acc: [f32; N] = piece.try_into().expect("a piece of N");
        for (a, x) in terms.clone() {
            for (acc, x) in acc.iter_mut().zip(&x[at..at + N]) {
                *acc += a * x;
            }
        }
        piece.copy_from_slice(&acc);
    }
}

/// out += xs.
pub fn add_assign(out: &mut [f32], xs: &[f32]) {
    for (o, x) in out.iter_mut().zip(xs) {
        *o += x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_and_tanh_match_std_across_their_range() {
        let mut worst_exp = 0.0f64;
        let mut worst_tanh = 0.0f64;
        for i in -20_000..=20_000 {
            let x = i as f32 * 0.004; // -80 .. 80
            let e = exp(x) as f64;
            let want = (x as f64).exp();
            worst_exp = worst_exp.max(((e - want) / want).abs());
            let t = x / 8.0;
            worst_tanh = worst_tanh.max((tanh(t) as f64 - (t as f64).tanh()).abs());
        }
        assert!(worst_exp < 5e-7, "exp relative error {worst_exp}");
        assert!(worst_tanh < 5e-7, "tanh absolute error {worst_tanh}");
        assert_eq!(exp(-1000.0), exp(-87.0));
        assert!(exp(-1000.0) < 1e-37);
    }

    /// exp_sum (16 lanes in one AVX-512 register where the CPU has them) gives the bits of
    /// [`exp`] element by element and of 16 running lane sums added up in order, down to the
    /// clamp at −87.
    #[test]
    fn exp_sum_is_exp_lane_by_lane() {
        for n in [0, 1, 15, 16, 17, 100, 4096] {
            let row: Vec<f32> = (0..n).map(|i| -((i * 7919 % 4099) as f32) * 0.061).collect();
            let want: Vec<f32> = row.iter().map(|&x| exp(x - 0.5)).collect();
            let done = n - n % LANES;
            let mut lanes = [0.0f32; LANES];
            want[..done].iter().enumerate().for_each(|(i, w)| lanes[i % LANES] += w);
            let tail: f32 = want[done..].iter().sum();
            let mut got = row.clone();
            let total = exp_sum(&mut got, 0.5);
            assert_eq!(got, want, "length {n}");
            assert_eq!(total, lanes.iter().sum::<f32>() + tail, "length {n}");
        }
    }

    /// Lengths around every piece size of `axpys` and the 16 lanes of `dots`.
    const AWKWARD: [usize; 16] = [0, 1, 3, 4, 15, 16, 17, 31, 32, 33, 36, 37, 39, 64, 100, 103];

    fn ramp(n: usize, mul: usize, add: usize, scale: f32, shift: f32) -> Vec<f32> {
        (0..n).map(|i| ((i * mul + add) % 23) as f32 * scale - shift).collect()
    }

    /// axpys gives the bits of one axpy per term, in order, signed zeros included.
    #[test]
    fn axpys_is_axpy_term_by_term() {
        for n in AWKWARD {
            let xs: Vec<Vec<f32>> = (0..5).map(|j| ramp(n, 31, 7 * j, 0.37, 4.1)).collect();
            let coeffs = [0.3f32, -1.7, 1e-3, 2.5, -0.0];
            let start: Vec<f32> = (0..n).map(|i| [-0.0, 0.0, 0.11, -0.2][i % 4]).collect();
            let mut want = start.clone();
            for (a, x) in coeffs.iter().zip(&xs) {
                axpy(&mut want, *a, x);
            }
            let mut got = start;
            axpys(&mut got, coeffs.iter().zip(&xs).map(|(&a, x)| (a, x.as_slice())));
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "length {n}");
        }
    }

    /// dots gives the bits of one dot per row, for one, two and three rows at a time; where the
    /// build has the AVX2 loop, its lanes are the portable loop's.
    #[test]
    fn dots_is_dot_row_by_row() {
        for n in AWKWARD {
            let x = ramp(n, 13, 0, 0.29, 2.3);
            let rows: Vec<Vec<f32>> = (0..3).map(|j| ramp(n, 31, 7 * j, 0.37, 4.1)).collect();
            let want = [0, 1, 2].map(|j| dot(&x, &rows[j]).to_bits());
            assert_eq!(dots(&x, [&rows[0][..], &rows[1], &rows[2]]).map(f32::to_bits), want, "length {n}");
            assert_eq!(dots(&x, [&rows[2][..], &rows[0]]).map(f32::to_bits), [want[2], want[0]], "length {n}");
            assert_eq!(dots(&x, [&rows[1][..]]).map(f32::to_bits), [want[1]], "length {n}");
            #[cfg(all(target_arch = "x86_64", target_feature = "avx2"))]
            {
                let done = n - n % LANES;
                let body = [&x[..done], &rows[0][..done], &rows[1][..done]];
                let bits = |l: [[f32; LANES]; 3]| l.map(|r| r.map(f32::to_bits));
                // SAFETY: the cfg above says this build's target has AVX2.
                let fast = unsafe { avx2::dot_lanes(&x[..done], body) };
                assert_eq!(bits(fast), bits(dot_lanes(&x[..done], body)), "length {n}");
            }
        }
    }

    #[test]
    fn reductions_match_simple_loops() {
        let xs: Vec<f32> = (0..1000).map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.25).collect();
        for n in [1, 15, 16, 17, 1000] {
            let s = &xs[..n];
            let naive: f64 = s.iter().map(|&x| x as f64).sum();
            assert!((sum(s) as f64 - naive).abs() < 1e-3);
            assert_eq!(max(s), s.iter().copied().fold(f32::MIN, f32::max));
            let d: f64 = s.iter().map(|&x| x as f64 * x as f64).sum();
            assert!((dot(s, s) as f64 - d).abs() < 1e-2 * d.max(1.0));
            let m = 0.3f32;
            let dev: f64 = s.iter().map(|&x| (x as f64 - m as f64).powi(2)).sum();
            assert!((sum_squared_deviations(s, m) as f64 - dev).abs() < 1e-3 * dev.max(1.0));
            let d3: f64 = s.iter().map(|&x| x as f64 * x as f64 * (x as f64 - 1.0)).sum();
            assert!((dot_centered(s, s, s, 1.0) as f64 - d3).abs() < 1e-3 * d3.abs().max(1.0));
            let bias: Vec<f32> = (0..n).map(|i| (i % 3) as f32).collect();
            let mut row = s.to_vec();
            let top = add_max(&mut row, &bias);
            assert!(row.iter().zip(s).zip(&bias).all(|((r, x), b)| *r == x + b));
            assert_eq!(top, row.iter().copied().fold(f32::MIN, f32::max));
            let want: Vec<f32> = row.iter().map(|&x| exp(x - top)).collect();
            let total = exp_sum(&mut row, top);
            assert_eq!(row, want);
            assert!((total - want.iter().sum::<f32>()).abs() < 1e-5 * total);
        }
    }
}
