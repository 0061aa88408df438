//! Explicit thread counts: one rayon pool per [`Threads`], never the global pool, and the
//! [`Exec`] value every parallel call receives.

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

/// How one call may run: the parallelism of the pool it was installed in. Models and store
/// operations take it as a value, never from a global; a GPU backend joins here.
#[derive(Clone, Copy, Debug)]
pub struct Exec {
    /// The CPU threads the call may split its work over (`Par::Seq`: the calling thread only).
    pub par: Par,
}

impl Exec {
    /// One thread, the caller's.
    pub const SEQ: Exec = Exec { par: Par::Seq };
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

    /// The execution context of calls made inside [`Threads::install`].
    pub fn exec(&self) -> Exec {
        Exec { par: if self.count == 1 { Par::Seq } else { Par::rayon(self.count) } }
    }

    /// Run `f` inside this pool, handing it the matching [`Exec`].
    pub fn install<R: Send>(&self, f: impl FnOnce(Exec) -> R + Send) -> R {
        let exec = self.exec();
        self.pool.install(move || f(exec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_absurd_thread_counts_are_refused() {
        assert!(Threads::new(0).is_err());
        assert!(Threads::new(Threads::MAX + 1).is_err());
        assert_eq!(Threads::new(3).unwrap().exec().par.degree(), 3);
    }
}
