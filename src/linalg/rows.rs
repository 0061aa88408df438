//! Handing disjoint blocks of one work range to several threads, safely.
//!
//! Every parallel loop of the engine splits its output the same way: `n` rows (or columns, or
//! elements) into one contiguous block per thread, with block boundaries that depend only on
//! `n`, an alignment and the thread count, so results are the same run after run. The output is
//! cut with `split_at_mut` (or faer's `split_at_row_mut`) before the threads start, so each
//! thread owns its block outright: no `unsafe`, and the borrow checker sees every block.

use std::ops::{Deref, DerefMut};

use faer::Par;

/// A mutable buffer seen as rows of `width` values: one part of the output of a parallel loop.
pub struct Rows<'a> {
    data: &'a mut [f32],
    width: usize,
}

impl<'a> Rows<'a> {
    /// `data` as rows of `width` (its length must be a multiple of `width`).
    pub fn new(data: &'a mut [f32], width: usize) -> Self {
        assert!(width > 0 && data.len().is_multiple_of(width), "{} values are not rows of {width}", data.len());
        Rows { data, width }
    }
}

impl Deref for Rows<'_> {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        self.data
    }
}

impl DerefMut for Rows<'_> {
    fn deref_mut(&mut self) -> &mut [f32] {
        self.data
    }
}

/// Something that can be cut in two at a row: one [`Rows`], or a tuple of them with different
/// widths that share their row count (a LayerNorm's output (n, c) with its mean (n) and rstd (n)).
pub trait SplitRows: Send + Sized {
    fn split_at_row(self, row: usize) -> (Self, Self);
}

impl SplitRows for Rows<'_> {
    fn split_at_row(self, row: usize) -> (Self, Self) {
        let width = self.width;
        let (a, b) = self.data.split_at_mut(row * width);
        (Rows { data: a, width }, Rows { data: b, width })
    }
}

impl<A: SplitRows, B: SplitRows> SplitRows for (A, B) {
    fn split_at_row(self, row: usize) -> (Self, Self) {
        let ((a0, a1), (b0, b1)) = (self.0.split_at_row(row), self.1.split_at_row(row));
        ((a0, b0), (a1, b1))
    }
}

impl<A: SplitRows, B: SplitRows, C: SplitRows> SplitRows for (A, B, C) {
    fn split_at_row(self, row: usize) -> (Self, Self) {
        let ((a0, a1), (b0, b1), (c0, c1)) =
            (self.0.split_at_row(row), self.1.split_at_row(row), self.2.split_at_row(row));
        ((a0, b0, c0), (a1, b1, c1))
    }
}

/// Run `f(first_row, block)` on one block of the `n` rows of `rows` per thread (the whole of it
/// for `Par::Seq`). Block boundaries are multiples of `align` rows.
pub fn for_each_row_block<S: SplitRows>(rows: S, n: usize, align: usize, par: Par, f: &(impl Fn(usize, S) + Sync)) {
    for_each_part(rows, n, align, par, &|r: S, at| r.split_at_row(at), f)
}

/// Set `buf` to zero, one block per thread (the activation gradients of a step are tens of
/// megabytes: one core alone cannot clear them at memory speed).
pub fn zero(buf: &mut [f32], par: Par) {
    let n = buf.len();
    for_each_row_block(Rows::new(buf, 1), n, 1 << 14, par, &|_, mut block| block.fill(0.0));
}

/// The one splitting rule: `whole` covers `n` units; cut it with `split(part, units)` into
/// `par.degree()` contiguous blocks of `⌈n / degree⌉` units rounded up to `align`, and run
/// `f(first_unit, block)` on each, in parallel (a balanced tree of `rayon::join`).
pub fn for_each_part<T: Send>(
    whole: T,
    n: usize,
    align: usize,
    par: Par,
    split: &(impl Fn(T, usize) -> (T, T) + Sync),
    f: &(impl Fn(usize, T) + Sync),
) {
    let blocks = par.degree().max(1);
    if blocks == 1 || n <= align {
        f(0, whole);
        return;
    }
    let per = n.div_ceil(blocks).next_multiple_of(align.max(1));
    split_blocks(whole, 0, n, per, split, f);
}

fn split_blocks<T: Send>(
    part: T,
    start: usize,
    end: usize,
    per: usize,
    split: &(impl Fn(T, usize) -> (T, T) + Sync),
    f: &(impl Fn(usize, T) + Sync),
) {
    if end - start <= per {
        f(start, part);
        return;
    }
    let mid = start + (end - start).div_ceil(per) / 2 * per;
    let (a, b) = split(part, mid - start);
    rayon::join(|| split_blocks(a, start, mid, per, split, f), || split_blocks(b, mid, end, per, split, f));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::Threads;
    use std::sync::Mutex;

    #[test]
    fn blocks_cover_the_range_exactly_once_and_rows_line_up() {
        for threads in [1, 2, 3, 7] {
            let t = Threads::new(threads).unwrap();
            for n in [0, 1, 15, 16, 17, 100, 1000] {
                let seen = Mutex::new(vec![0u8; n]);
                let split = |r: std::ops::Range<usize>, at: usize| (r.start..r.start + at, r.start + at..r.end);
                t.install(|x| {
                    for_each_part(0..n, n, 8, x.par, &split, &|a, r: std::ops::Range<usize>| {
                        assert_eq!(a, r.start);
                        let mut s = seen.lock().unwrap();
                        s[r].iter_mut().for_each(|x| *x += 1);
                    })
                });
                assert!(seen.into_inner().unwrap().iter().all(|&x| x == 1));
                // Two buffers of different widths split at the same rows: each row is written
                // once, with its own row number.
                let (mut wide, mut narrow) = (vec![0.0f32; n * 3], vec![0.0f32; n]);
                t.install(|x| {
                    for_each_row_block(
                        (Rows::new(&mut wide, 3), Rows::new(&mut narrow, 1)),
                        n,
                        4,
                        x.par,
                        &|r0, (mut w, mut s)| {
                            for (i, v) in s.iter_mut().enumerate() {
                                *v += (r0 + i) as f32;
                                w[3 * i..3 * i + 3].iter_mut().for_each(|x| *x += (r0 + i) as f32);
                            }
                        },
                    )
                });
                assert!(narrow.iter().enumerate().all(|(i, &v)| v == i as f32));
                assert!(wide.iter().enumerate().all(|(i, &v)| v == (i / 3) as f32));
            }
        }
    }
}
