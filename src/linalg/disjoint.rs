//! Handing disjoint row blocks of one buffer to several threads.

use std::marker::PhantomData;

use faer::Par;

use super::threads::for_each_block;

/// A mutable slice shared by the blocks of [`for_each_rows`]: each block takes only its own rows.
pub struct Disjoint<'a> {
    ptr: *mut f32,
    len: usize,
    _borrow: PhantomData<&'a mut [f32]>,
}

// SAFETY: the only access is `rows`, whose callers (blocks of one `for_each_rows` call) take
// disjoint ranges.
unsafe impl Send for Disjoint<'_> {}
unsafe impl Sync for Disjoint<'_> {}

impl<'a> Disjoint<'a> {
    pub fn new(data: &'a mut [f32]) -> Self {
        Disjoint { ptr: data.as_mut_ptr(), len: data.len(), _borrow: PhantomData }
    }

    /// Rows `start..end` of width `width`.
    ///
    /// # Safety
    /// No two live results may overlap: call it only with the block handed to you by
    /// [`for_each_rows`].
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn rows(&self, start: usize, end: usize, width: usize) -> &'a mut [f32] {
        assert!(
            start <= end && end * width <= self.len,
            "rows {start}..{end} of width {width} outside a buffer of {}",
            self.len
        );
        std::slice::from_raw_parts_mut(self.ptr.add(start * width), (end - start) * width)
    }
}

/// Run `f(start, end)` on one block of rows `0..n` per thread (sequentially for `Par::Seq`).
pub fn for_each_rows(n: usize, par: Par, f: &(dyn Fn(usize, usize) + Sync)) {
    for_each_block(n, 1, par, f)
}
