//! Explicit thread counts: one rayon pool per [`Threads`], never the global pool.

use std::sync::Arc;

use faer::Par;

use crate::error::{Error, Result};

/// A fixed number of worker threads for the engine's parallel loops and products.
///
/// The whole training step runs inside [`Threads::install`], so every parallel loop below it
/// uses this pool and no pool is ever nested in another (the cause of the 20× slow-downs users
/// of other frameworks report when two pools fight for the same cores).
#[derive(Clone)]
pub struct Threads {
    count: usize,
    pool: Arc<rayon::ThreadPool>,
}

impl std::fmt::Debug for Threads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Threads({})", self.count)
    }
}

impl Threads {
    /// More than this is certainly a typo.
    pub const MAX: usize = 1024;

    /// A pool of exactly `count` threads.
    pub fn new(count: usize) -> Result<Self> {
        if count == 0 || count > Self::MAX {
            return Err(Error::config(
                "threads",
                count,
                format!("use 1 to {} (this machine has {} cores)", Self::MAX, Self::available()),
            ));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(count)
            .thread_name(|i| format!("sideways-{i}"))
            .build()
            .map_err(|e| Error::config("threads", count, format!("cannot start threads: {e}")))?;
        Ok(Threads { count, pool: Arc::new(pool) })
    }

    /// The number of cores this machine offers to the process.
    pub fn available() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// The parallelism value to pass down to layers and products.
    pub fn par(&self) -> Par {
        if self.count == 1 {
            Par::Seq
        } else {
            Par::rayon(self.count)
        }
    }

    /// Run `f` inside this pool, handing it the matching [`Par`].
    pub fn install<R: Send>(&self, f: impl FnOnce(Par) -> R + Send) -> R {
        let par = self.par();
        self.pool.install(move || f(par))
    }
}

/// Split `0..n` into `par.degree()` contiguous blocks (boundaries rounded to `align`) and run
/// `f(start, end)` on each, in parallel when `par` allows.
///
/// The blocks depend only on `n`, `align` and the degree, so results are the same run after run.
pub fn for_each_block(n: usize, align: usize, par: Par, f: &(dyn Fn(usize, usize) + Sync)) {
    let blocks = par.degree().max(1);
    if blocks == 1 || n <= align {
        f(0, n);
        return;
    }
    let per = n.div_ceil(blocks).next_multiple_of(align.max(1));
    split(0, n, per, f);
}

fn split(start: usize, end: usize, per: usize, f: &(dyn Fn(usize, usize) + Sync)) {
    if end - start <= per {
        f(start, end);
        return;
    }
    let blocks = (end - start).div_ceil(per);
    let mid = start + blocks / 2 * per;
    rayon::join(|| split(start, mid, per, f), || split(mid, end, per, f));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn blocks_cover_range_exactly_once() {
        for threads in [1, 2, 3, 7] {
            let t = Threads::new(threads).unwrap();
            for n in [0, 1, 15, 16, 17, 100, 1000] {
                let seen = Mutex::new(vec![0u8; n]);
                t.install(|par| {
                    for_each_block(n, 8, par, &|a, b| {
                        let mut s = seen.lock().unwrap();
                        s[a..b].iter_mut().for_each(|x| *x += 1);
                    })
                });
                assert!(seen.into_inner().unwrap().iter().all(|&x| x == 1));
            }
        }
    }

    #[test]
    fn zero_and_absurd_thread_counts_are_refused() {
        assert!(Threads::new(0).is_err());
        assert!(Threads::new(Threads::MAX + 1).is_err());
    }
}
