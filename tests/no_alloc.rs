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
use sideways::linalg::{matmul, rows, rows_mut, Accum, Par, Threads};
use sideways::model::{attention_tiled, ModelConfig, ModelKind, SizeOverrides};
use sideways::train::{TrainConfig, Trainer};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The tests of this file count allocations process-wide, so they take turns.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn training_steps_do_not_allocate() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
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

/// The memory a model and its training step need is estimated before anything is allocated
/// (to refuse what would not fit); the estimates must match what is then allocated.
#[test]
fn memory_estimates_match_what_is_allocated() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let data = Arc::new(Dataset::new(&common::small_corpus(40_000), DataConfig::default()).unwrap());
    // The standard window, and for the Transformer one longer than an attention tile as well
    // (short windows keep their attention weights, long ones their log-sum-exps and tiles).
    let long = 2 * attention_tiled::TILE;
    let transformer =
        ModelConfig::new("transformer".parse().unwrap(), data.vocab.len(), &SizeOverrides::default(), long);
    let standard = ModelKind::all().map(|kind| (kind.standard(data.vocab.len()), 8, 64));
    for (config, batch, seq) in standard.chain([(transformer, 2, long)]) {
        let kind = format!("{} at T = {seq}", config.kind());
        let before = BYTES.load(Ordering::SeqCst);
        let model = config.build(1).unwrap();
        let store = (BYTES.load(Ordering::SeqCst) - before) as f64;
        drop(model);
        let est_store = config.store_bytes() as f64;
        eprintln!("{kind}: store {store} vs {est_store} estimated");
        assert!((0.98..1.1).contains(&(store / est_store)), "{kind}: store {store} bytes, estimated {est_store}");
        let train = TrainConfig { batch_size: batch, seq_len: seq, ..TrainConfig::default() };
        // On 3 threads the fused output layer keeps a block of logits and a dW partial per thread,
        // and the minGRU's scan a summary per chunk: the estimate must follow the threads.
        for count in [1, 3] {
            // faer's product kernel reserves a packing buffer per thread the first time a thread
            // multiplies (twice the L3 cache, mostly untouched virtual memory): a warm-up step on
            // the same pool, and a product on every one of its threads (work stealing may leave
            // a thread out of the step), take that out of the measurement.
            let threads = Threads::new(count).unwrap();
            Trainer::new(config.build(2).unwrap(), data.clone(), train, threads.clone()).unwrap().step();
            threads.install(|_| {
                rayon::broadcast(|_| {
                    let (a, mut c) = (vec![1.0f32; 256 * 256], vec![0.0f32; 256 * 256]);
                    let (a, c_view) = (rows(&a, 256, 256), rows_mut(&mut c, 256, 256));
                    matmul(c_view, Accum::Replace, a, a, Par::Seq);
                })
            });
            let mut t = Trainer::new(config.build(1).unwrap(), data.clone(), train, threads).unwrap();
            let before = BYTES.load(Ordering::SeqCst);
            t.step();
            let acts = (BYTES.load(Ordering::SeqCst) - before) as f64;
            let est_acts = config.activation_bytes(batch, seq, count) as f64;
            eprintln!("{kind} on {count} threads: activations {acts} vs {est_acts} estimated");
            assert!(
                (0.98..1.1).contains(&(acts / est_acts)),
                "{kind} on {count} threads: activations {acts} bytes, estimated {est_acts}"
            );
        }
    }
}
