//! The scan layer (`model::scan`): the blocked parallel scan equals the sequential recurrence at
//! awkward lengths, chunkings and thread counts; its backward and the minGRU's gates pass
//! finite-difference checks; and the whole minGRU gives the same gradients on several threads
//! (chunks cut inside a window) as on one.

mod common;

use common::{check_close, numeric_grad, project, to_f64, values};
use sideways::linalg::{Exec, Par, Threads};
use sideways::model::{mingru_gate, scan, Buffer, MinGruConfig, ModelConfig};

const EPS: f32 = 1e-2;
const ATOL: f64 = 2e-3;
const RTOL: f64 = 1e-2;

/// Coefficients in (0.05, 0.95), as 1 − σ gives them.
fn coefficients(seed: u64, n: usize) -> Vec<f32> {
    values(seed, n).iter().map(|v| 0.5 + 0.45 * v.tanh()).collect()
}

fn worst_relative(got: &[f32], want: &[f32]) -> f32 {
    got.iter().zip(want).map(|(g, w)| (g - w).abs() / (1.0 + w.abs())).fold(0.0, f32::max)
}

/// The chunkings a test tries: the model's own choice, single rows, odd sizes, one whole window
/// and everything in one chunk.
fn chunkings(b: usize, t: usize, par: Par) -> Vec<usize> {
    vec![scan::chunk_rows(b, t, par.degree()), 1, 7, 64, t, b * t]
}

#[test]
fn parallel_scan_equals_the_sequential_recurrence() {
    let c = 5;
    for t in [1, 2, 3, 63, 64, 65, 1000] {
        for b in [1, 3] {
            let n = b * t;
            let (a, x) = (coefficients(1, n * c), values(2, n * c));
            let mut want = vec![0.0; n * c];
            scan::sequential(&mut want, &a, &x, (b, t, c));
            for threads in [1, 2, 3] {
                Threads::new(threads).unwrap().install(|e| {
                    for chunk in chunkings(b, t, e.par) {
                        let mut h = vec![f32::NAN; n * c];
                        scan::forward(&mut h, &mut Vec::new(), &a, &x, (b, t, c), chunk, e.par);
                        let worst = worst_relative(&h, &want);
                        assert!(worst < 1e-5, "t {t}, b {b}, {threads} threads, chunks of {chunk}: off by {worst:e}");
                    }
                });
            }
        }
    }
}

/// An independent backward: g_t = dh_t + a_{t+1} g_{t+1} one position at a time, from the end.
fn sequential_backward(dh: &[f32], a: &[f32], h: &[f32], (b, t, c): (usize, usize, usize)) -> (Vec<f32>, Vec<f32>) {
    let (mut dx, mut da) = (vec![0.0; b * t * c], vec![0.0; b * t * c]);
    for w in 0..b {
        let mut g = vec![0.0f32; c];
        for s in (0..t).rev() {
            let i = w * t + s;
            for k in 0..c {
                let next = if s + 1 < t { a[(i + 1) * c + k] * g[k] } else { 0.0 };
                g[k] = dh[i * c + k] + next;
                dx[i * c + k] = g[k];
                da[i * c + k] = if s > 0 { g[k] * h[(i - 1) * c + k] } else { 0.0 };
            }
        }
    }
    (dx, da)
}

#[test]
fn parallel_backward_equals_the_sequential_one_and_adds() {
    let c = 4;
    for t in [1, 2, 3, 63, 64, 65, 1000] {
        let b = 2;
        let n = b * t;
        let (a, x, dh) = (coefficients(3, n * c), values(4, n * c), values(5, n * c));
        let mut h = vec![0.0; n * c];
        scan::sequential(&mut h, &a, &x, (b, t, c));
        let (want_dx, want_da) = sequential_backward(&dh, &a, &h, (b, t, c));
        for threads in [1, 3] {
            Threads::new(threads).unwrap().install(|e| {
                for chunk in chunkings(b, t, e.par) {
                    // Start from ones: the gradients must land on top of what is there.
                    let (mut dx, mut da) = (vec![1.0; n * c], vec![1.0; n * c]);
                    scan::backward((&mut dx, &mut da), &mut Vec::new(), &dh, &a, &h, (b, t, c), chunk, e.par);
                    let (dx, da): (Vec<f32>, Vec<f32>) =
                        (dx.iter().map(|v| v - 1.0).collect(), da.iter().map(|v| v - 1.0).collect());
                    let (wx, wa) = (worst_relative(&dx, &want_dx), worst_relative(&da, &want_da));
                    assert!(
                        wx < 1e-5 && wa < 1e-5,
                        "t {t}, {threads} threads, chunks of {chunk}: dx {wx:e}, da {wa:e}"
                    );
                }
            });
        }
    }
}

/// No windows, or windows of no positions: nothing to do, and nothing is touched.
#[test]
fn empty_inputs_are_a_no_op() {
    for (b, t) in [(0, 5), (3, 0)] {
        let mut h: Vec<f32> = Vec::new();
        scan::forward(&mut h, &mut Vec::new(), &[], &[], (b, t, 4), 1, Par::Seq);
        let (mut dx, mut da): (Vec<f32>, Vec<f32>) = (Vec::new(), Vec::new());
        scan::backward((&mut dx, &mut da), &mut Vec::new(), &[], &[], &[], (b, t, 4), 1, Par::Seq);
    }
}

#[test]
fn scan_layer_gradients() {
    let (b, t, c) = (2, 7, 3);
    let n = b * t;
    let (mut a, mut x, r) = (coefficients(6, n * c), values(7, n * c), values(8, n * c));
    // Chunks of 3 rows cut inside both windows, so the check covers the carries too.
    let run = |a: &[f32], x: &[f32]| {
        let mut h = vec![0.0; n * c];
        scan::forward(&mut h, &mut Vec::new(), a, x, (b, t, c), 3, Par::Seq);
        project(&h, &r)
    };
    let mut h = vec![0.0; n * c];
    scan::forward(&mut h, &mut Vec::new(), &a, &x, (b, t, c), 3, Par::Seq);
    let (mut dx, mut da) = (vec![0.0; n * c], vec![0.0; n * c]);
    scan::backward((&mut dx, &mut da), &mut Vec::new(), &r, &a, &h, (b, t, c), 3, Par::Seq);
    let (a0, x0) = (a.clone(), x.clone());
    check_close("scan dx", &to_f64(&dx), &numeric_grad(&mut x, EPS, |x| run(&a0, x)), ATOL, RTOL);
    check_close("scan da", &to_f64(&da), &numeric_grad(&mut a, EPS, |a| run(a, &x0)), ATOL, RTOL);
}

#[test]
fn mingru_gate_gradients() {
    let (n, h) = (5, 3);
    let (mut zh, ra, rx) = (values(9, n * 2 * h), values(10, n * h), values(11, n * h));
    let run = |zh: &[f32]| {
        let (mut a, mut x) = (vec![0.0; n * h], vec![0.0; n * h]);
        mingru_gate::forward(&mut a, &mut x, zh, n, h, Par::Seq);
        assert!(a.iter().all(|&a| a > 0.0 && a < 1.0), "coefficients are 1 − σ, in (0, 1)");
        project(&a, &ra) + project(&x, &rx)
    };
    let mut dzh = vec![0.0; n * 2 * h];
    mingru_gate::backward(&mut dzh, &ra, &rx, &zh, n, h, Par::Seq);
    check_close("gate dzh", &to_f64(&dzh), &numeric_grad(&mut zh, EPS, run), ATOL, RTOL);
}

/// Fewer windows than threads: the scan's chunks start inside a window, and the gradients still
/// match one thread's to float rounding (short windows keep the carries large enough to matter).
#[test]
fn mingru_gradients_on_several_threads_match_one() {
    let config = ModelConfig::MinGru(MinGruConfig { vocab_size: 50, d_model: 16, hidden_size: 24, n_layers: 2 });
    for (b, t) in [(1, 7), (2, 9), (1, 300)] {
        let inputs: Vec<u32> = (0..b * t).map(|i| (i as u32 * 7 + 3) % 50).collect();
        let targets: Vec<u32> = (0..b * t).map(|i| (i as u32 * 5 + 1) % 50).collect();
        let grads = |threads: usize| {
            let mut m = config.build(5).unwrap();
            Threads::new(threads).unwrap().install(|e: Exec| {
                m.store_mut().zero_grad();
                m.forward_backward(&inputs, &targets, b, t, 1.0, e);
            });
            (m.read_loss(), m.store().to_vec(Buffer::Grads))
        };
        let (one_loss, one) = grads(1);
        let (many_loss, many) = grads(3);
        assert!((one_loss - many_loss).abs() < 1e-5, "({b}, {t}): loss {many_loss} on 3 threads, {one_loss} on 1");
        let scale = one.iter().fold(1e-6f32, |m, g| m.max(g.abs()));
        let worst = one.iter().zip(&many).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(worst < 1e-4 * scale, "({b}, {t}): gradients on 3 threads differ by {worst:e} (largest {scale})");
    }
}
