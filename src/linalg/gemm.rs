//! Matrix products over row-major `f32` slices.
//!
//! faer's own threading loses on the small products of this lab (width 128), so [`matmul`]
//! splits the *output* into one block per thread along its longer side and runs faer's
//! sequential kernel on each block: no reduction across threads, so the result does not depend
//! on scheduling, and no `unsafe`: each block is a `MatMut` cut off the output before the
//! threads start.

use faer::{Accum, MatMut, MatRef, Par};

use super::rows::for_each_part;

/// A row-major (nrows, ncols) view of `data`.
pub fn rows(data: &[f32], nrows: usize, ncols: usize) -> MatRef<'_, f32> {
    MatRef::from_row_major_slice(&data[..nrows * ncols], nrows, ncols)
}

/// A mutable row-major (nrows, ncols) view of `data`.
pub fn rows_mut(data: &mut [f32], nrows: usize, ncols: usize) -> MatMut<'_, f32> {
    MatMut::from_row_major_slice_mut(&mut data[..nrows * ncols], nrows, ncols)
}

/// A row-major (nrows, ncols) view whose rows are `stride` apart (a column block of a wider
/// matrix, e.g. one attention head inside the fused q, k, v rows).
pub fn strided(data: &[f32], nrows: usize, ncols: usize, stride: usize) -> MatRef<'_, f32> {
    let len = if nrows == 0 { 0 } else { (nrows - 1) * stride + ncols };
    MatRef::from_row_major_slice_with_stride(&data[..len], nrows, ncols, stride)
}

/// Mutable version of [`strided`].
///
/// Built as the transpose of a column-major view: faer 0.24.4's
/// `MatMut::from_row_major_slice_with_stride_mut` swaps the two strides (it yields a
/// column-major matrix), which the attention gradient check caught.
pub fn strided_mut(data: &mut [f32], nrows: usize, ncols: usize, stride: usize) -> MatMut<'_, f32> {
    let len = if nrows == 0 { 0 } else { (nrows - 1) * stride + ncols };
    MatMut::from_column_major_slice_with_stride_mut(&mut data[..len], ncols, nrows, stride).transpose_mut()
}

/// Below this many multiply-adds a product runs on one thread: splitting costs more.
const MIN_PARALLEL_WORK: usize = 1 << 18;

/// dst (m, n) = [dst +] lhs (m, k) · rhs (k, n).
pub fn matmul(dst: MatMut<'_, f32>, accum: Accum, lhs: MatRef<'_, f32>, rhs: MatRef<'_, f32>, par: Par) {
    let (m, n, k) = (dst.nrows(), dst.ncols(), lhs.ncols());
    if par.degree() <= 1 || m * n * k < MIN_PARALLEL_WORK {
        product(dst, accum, lhs, rhs);
        return;
    }
    // Each thread owns a block of the output's rows (or columns), cut off before it starts.
    if m >= n {
        for_each_part(dst, m, 16, par, &split_rows, &|a, block: MatMut<'_, f32>| {
            let rows = block.nrows();
            product(block, accum, lhs.subrows(a, rows), rhs);
        });
    } else {
        for_each_part(dst, n, 16, par, &split_cols, &|a, block: MatMut<'_, f32>| {
            let cols = block.ncols();
            product(block, accum, lhs, rhs.subcols(a, cols));
        });
    }
}

/// Slice of the inner dimension [`product`] takes at a time when the left factor is stored
/// column by column.
const K_SLICE: usize = 256;

/// faer's sequential product, with one exception. A left factor stored column by column with a
/// long inner dimension — xᵀ in a weight gradient xᵀ·dy, whose k is the batch's 2,048 rows —
/// runs faster as a sum of products over slices of [`K_SLICE`] rows of x than as one product:
/// faer's own blocking of k suits that layout less. Measured on one thread of an AMD EPYC (Zen 3)
/// at the standard step's shapes, faer alone against slices of 256: (128 × 2048)·(2048 × 384)
/// 70 → 81 GFLOP/s, (512 × 2048)·(2048 × 128) 65 → 76, (128 × 2048)·(2048 × 4096) 57 → 67.
/// Products of a row-major left factor gain nothing from slicing (2–10% slower), so they are
/// left whole.
fn product(mut dst: MatMut<'_, f32>, accum: Accum, lhs: MatRef<'_, f32>, rhs: MatRef<'_, f32>) {
    let k = lhs.ncols();
    if lhs.row_stride() != 1 || k <= K_SLICE {
        faer::linalg::matmul::matmul(dst, accum, lhs, rhs, 1.0f32, Par::Seq);
        return;
    }
    for start in (0..k).step_by(K_SLICE) {
        let width = K_SLICE.min(k - start);
        let accum = if start == 0 { accum } else { Accum::Add };
        faer::linalg::matmul::matmul(
            dst.as_mut(),
            accum,
            lhs.subcols(start, width),
            rhs.subrows(start, width),
            1.0f32,
            Par::Seq,
        );
    }
}

fn split_rows(d: MatMut<'_, f32>, at: usize) -> (MatMut<'_, f32>, MatMut<'_, f32>) {
    d.split_at_row_mut(at)
}

fn split_cols(d: MatMut<'_, f32>, at: usize) -> (MatMut<'_, f32>, MatMut<'_, f32>) {
    d.split_at_col_mut(at)
}

/// The textbook triple loop with f64 accumulation: the reference the fast path is checked
/// against. Returns the row-major (m, n) product of two row-major views.
pub fn matmul_naive(lhs: MatRef<'_, f32>, rhs: MatRef<'_, f32>) -> Vec<f32> {
    let (m, k, n) = (lhs.nrows(), lhs.ncols(), rhs.ncols());
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0f64;
            for p in 0..k {
                acc += lhs[(i, p)] as f64 * rhs[(p, j)] as f64;
            }
            out[i * n + j] = acc as f32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::Threads;
    use crate::rng::Rng;

    #[test]
    fn strided_views_address_row_major_blocks() {
        let mut data: Vec<f32> = (0..12).map(|i| i as f32).collect();
        // Rows of 3 inside rows of 4: columns 1..4 of a (3, 4) matrix.
        assert_eq!(strided(&data[1..], 3, 3, 4)[(2, 0)], 9.0);
        strided_mut(&mut data[1..], 3, 3, 4)[(2, 0)] = -1.0;
        assert_eq!(data[9], -1.0);
    }

    #[test]
    fn fast_product_matches_naive_at_awkward_sizes_and_thread_counts() {
        let mut rng = Rng::new(3);
        for &(m, k, n) in &[(1, 1, 1), (15, 16, 17), (127, 128, 129), (129, 64, 700), (64, 200, 64)] {
            let mut a = vec![0.0; m * k];
            let mut b = vec![0.0; n * k];
            rng.fill_normal(&mut a, 1.0);
            rng.fill_normal(&mut b, 1.0);
            let expect = matmul_naive(rows(&a, m, k), rows(&b, n, k).transpose());
            for threads in [1, 2, 3] {
                let t = Threads::new(threads).unwrap();
                let mut out = vec![1.0; m * n];
                t.install(|x| {
                    matmul(rows_mut(&mut out, m, n), Accum::Replace, rows(&a, m, k), rows(&b, n, k).transpose(), x.par)
                });
                let worst = out.iter().zip(&expect).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
                assert!(worst < 1e-3 * (k as f32).sqrt(), "{m}x{k}x{n} threads {threads}: {worst}");
            }
        }
    }

    /// A weight gradient's shape, xᵀ·dy with x stored by rows: the product runs in slices of
    /// k, the first slice honouring `accum` and the rest adding. k = 600 leaves a short last
    /// slice; k = K_SLICE is one product.
    #[test]
    fn column_major_left_factor_sliced_over_k_matches_naive() {
        let mut rng = Rng::new(5);
        for &(m, k, n) in &[(13, 600, 40), (128, K_SLICE, 9), (70, 2 * K_SLICE + 1, 300)] {
            let (mut x, mut dy) = (vec![0.0; k * m], vec![0.0; k * n]);
            rng.fill_normal(&mut x, 1.0);
            rng.fill_normal(&mut dy, 1.0);
            let product = matmul_naive(rows(&x, k, m).transpose(), rows(&dy, k, n));
            for (accum, start) in [(Accum::Replace, 7.0), (Accum::Add, 0.5)] {
                let expect: Vec<f32> =
                    product.iter().map(|p| if accum == Accum::Add { p + start } else { *p }).collect();
                for threads in [1, 2, 3] {
                    let t = Threads::new(threads).unwrap();
                    let mut out = vec![start; m * n];
                    t.install(|e| {
                        matmul(rows_mut(&mut out, m, n), accum, rows(&x, k, m).transpose(), rows(&dy, k, n), e.par)
                    });
                    let worst = out.iter().zip(&expect).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
                    assert!(worst < 1e-3 * (k as f32).sqrt(), "{m}x{k}x{n} {accum:?} threads {threads}: {worst}");
                }
            }
        }
    }
}
