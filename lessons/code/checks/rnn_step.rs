//! Hidden test of exercise 3.3: the learner's RNN step against the engine's recurrence
//! (`sideways::model::rnn_cell`), and against finite differences of the learner's own forward.

use sideways::linalg::Par;
use sideways::model::rnn_cell;
use sideways_exercises::rnn_step::{rnn_step, rnn_step_backward};

const N: usize = 5;
const T: usize = 3;

/// Small deterministic numbers in about [-0.5, 0.5].
fn numbers(count: usize, seed: u32) -> Vec<f32> {
    (0..count as u32)
        .map(|i| ((i.wrapping_mul(2_654_435_761) ^ seed.wrapping_mul(40_503)) % 1000) as f32 / 1000.0 - 0.5)
        .collect()
}

fn assert_close(what: &str, yours: &[f32], engine: &[f32]) {
    assert_eq!(yours.len(), engine.len(), "{what}: {} numbers, expected {}", yours.len(), engine.len());
    for (i, (a, b)) in yours.iter().zip(engine).enumerate() {
        assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{what}[{i}]: yours {a}, the engine's {b}");
    }
}

#[test]
fn three_steps_forward_and_backward_match_the_engine() {
    let (p, w) = (numbers(T * N, 1), numbers(N * N, 2).iter().map(|x| 2.0 * x).collect::<Vec<_>>());
    let dhs = numbers(T * N, 3);
    // The engine: all T steps in one call, h_{-1} = 0.
    let mut hs = p.clone();
    rnn_cell::forward(&mut hs, &w, T, 1, N, Par::Seq);
    // Yours, one step at a time.
    let mut mine = vec![vec![0.0; N]];
    for t in 0..T {
        let h = rnn_step(&p[t * N..(t + 1) * N], &mine[t], &w);
        mine.push(h);
    }
    assert_close("h, three steps forward", &mine[1..].concat(), &hs);
    // Backpropagation through time: the engine's, then yours, step by step from the last.
    let (mut dp, mut dw, mut dz, mut carry) = (vec![0.0; T * N], vec![0.0; N * N], vec![0.0; T * N], vec![0.0; N]);
    rnn_cell::backward(&mut dp, &mut dw, &mut dz, &mut carry, &dhs, &hs, &w, T, 1, N, Par::Seq);
    let (mut my_dp, mut my_dw, mut from_future) = (vec![0.0; T * N], vec![0.0; N * N], vec![0.0; N]);
    for t in (0..T).rev() {
        let dh: Vec<f32> = dhs[t * N..(t + 1) * N].iter().zip(&from_future).map(|(a, b)| a + b).collect();
        let g = rnn_step_backward(&dh, &mine[t + 1], &mine[t], &w);
        my_dp[t * N..(t + 1) * N].copy_from_slice(&g.dp);
        my_dw.iter_mut().zip(&g.dw_hh).for_each(|(a, b)| *a += b);
        from_future = g.dh_prev;
    }
    assert_close("dp, through time", &my_dp, &dp);
    assert_close("dW_hh, through time", &my_dw, &dw);
}

#[test]
fn the_backward_step_is_the_gradient_of_the_forward_step() {
    let (p, h_prev, w, c) = (numbers(N, 4), numbers(N, 5), numbers(N * N, 6), numbers(N, 7));
    // The loss L = Σ c_j h_j, so dL/dh = c.
    let loss = |p: &[f32], h_prev: &[f32], w: &[f32]| -> f64 {
        rnn_step(p, h_prev, w).iter().zip(&c).map(|(h, c)| (h * c) as f64).sum()
    };
    let g = rnn_step_backward(&c, &rnn_step(&p, &h_prev, &w), &h_prev, &w);
    let eps = 1e-2f32;
    let numeric = |which: usize, i: usize| -> f64 {
        let mut inputs = [p.clone(), h_prev.clone(), w.clone()];
        inputs[which][i] += eps;
        let up = loss(&inputs[0], &inputs[1], &inputs[2]);
        inputs[which][i] -= 2.0 * eps;
        let down = loss(&inputs[0], &inputs[1], &inputs[2]);
        (up - down) / (2.0 * eps as f64)
    };
    for (which, name, analytic) in [(0, "dp", &g.dp), (1, "dh_prev", &g.dh_prev), (2, "dW_hh", &g.dw_hh)] {
        for (i, &a) in analytic.iter().enumerate() {
            let n = numeric(which, i);
            assert!((a as f64 - n).abs() <= 1e-3 + 1e-2 * n.abs(), "{name}[{i}]: yours {a}, finite differences {n}");
        }
    }
}
