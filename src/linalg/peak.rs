//! A short probe of this machine's matrix-product throughput, the yardstick for "share of peak".
//!
//! Hard-coding a vendor's peak (or another chip's) is how utilisation figures end up lying;
//! sideways measures the best faer product rate here, on the threads the run will use.

use std::time::Instant;

use faer::Accum;

use super::{matmul, rows, rows_mut, Threads};

/// Best GFLOP/s of a (512 × 512) · (512 × 512) f32 product on `threads`, over about `seconds`.
pub fn matmul_gflops(threads: &Threads, seconds: f64) -> f64 {
    const N: usize = 512;
    let a: Vec<f32> = (0..N * N).map(|i| (i % 7) as f32 * 0.1).collect();
    let b: Vec<f32> = (0..N * N).map(|i| (i % 5) as f32 * 0.1).collect();
    let mut c = vec![0.0f32; N * N];
    let flops = 2.0 * (N * N * N) as f64;
    let start = Instant::now();
    let mut best = f64::INFINITY;
    while start.elapsed().as_secs_f64() < seconds || best.is_infinite() {
        let t = Instant::now();
        threads.install(|par| matmul(rows_mut(&mut c, N, N), Accum::Replace, rows(&a, N, N), rows(&b, N, N), par));
        best = best.min(t.elapsed().as_secs_f64());
    }
    flops / best / 1e9
}

/// [`matmul_gflops`] measured once per thread count per process (a short probe), then cached.
pub fn cached_matmul_gflops(threads: &Threads) -> f64 {
    static CACHE: std::sync::Mutex<Vec<(usize, f64)>> = std::sync::Mutex::new(Vec::new());
    let mut cache = CACHE.lock().expect("no panic while probing");
    if let Some(&(_, g)) = cache.iter().find(|(n, _)| *n == threads.count()) {
        return g;
    }
    let g = matmul_gflops(threads, 0.3);
    cache.push((threads.count(), g));
    g
}
