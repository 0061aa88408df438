//! A training step allocates nothing once its activations exist: every buffer is preallocated
//! per (batch, sequence length). Checked with a counting global allocator, across all threads.
//! Warm-up is excluded: besides the activations, faer keeps a per-thread workspace that grows
//! the first time a worker thread happens to run a larger block (rayon may run both halves of
//! a split on one thread), which can take a few steps on two threads.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use sideways::data::{DataConfig, Dataset};
use sideways::linalg::Threads;
use sideways::model::ModelKind;
use sideways::train::{TrainConfig, Trainer};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn training_steps_do_not_allocate() {
    let data = Arc::new(Dataset::new(&common::small_corpus(40_000), DataConfig::default()).unwrap());
    for kind in ModelKind::all() {
        for (threads, micro_batches) in [(1, 1), (2, 1), (1, 2)] {
            let model = kind.standard(data.vocab.len()).build(1).unwrap();
            let config = TrainConfig { batch_size: 8, micro_batches, ..TrainConfig::default() };
            let mut t = Trainer::new(model, data.clone(), config, Threads::new(threads).unwrap()).unwrap();
            let start = ALLOCATIONS.load(Ordering::SeqCst);
            t.step();
            assert!(ALLOCATIONS.load(Ordering::SeqCst) > start, "the first step allocates its activations");
            for _ in 0..10 {
                t.step();
            }
            // A per-step allocation shows in every window; one-off workspace growth does not.
            let mut during = usize::MAX;
            for _window in 0..3 {
                let before = ALLOCATIONS.load(Ordering::SeqCst);
                for _ in 0..5 {
                    t.step();
                }
                during = ALLOCATIONS.load(Ordering::SeqCst) - before;
                if during == 0 {
                    break;
                }
            }
            assert_eq!(during, 0, "{kind} on {threads} threads: {during} allocations in each of three 5-step windows");
        }
    }
}
