//! Every layer on several threads gives what it gives on one. The parallel loops split their
//! output into blocks and never add across threads, so elementwise layers must agree bit for
//! bit, and layers with products to within float rounding of a differently blocked product.

mod common;

use common::values;
use sideways::linalg::{Exec, Threads};
use sideways::model::{adamw, attention, gelu, layernorm, linear, rnn_cell, softmax_ce, AdamWConfig};

/// Run `f` on 1, 2 and 3 threads and compare each output buffer with the 1-thread one.
fn same_on_all_threads(what: &str, rel_tol: f32, f: impl Fn(Exec) -> Vec<Vec<f32>> + Sync) {
    let one = Threads::new(1).unwrap().install(&f);
    for n in [2, 3] {
        let many = Threads::new(n).unwrap().install(&f);
        for (k, (a, b)) in one.iter().zip(&many).enumerate() {
            let scale = a.iter().fold(1e-6f32, |m, x| m.max(x.abs()));
            let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
            assert!(
                worst <= rel_tol * scale,
                "{what}, output {k}: {n} threads differ from 1 by {worst:e} (largest value {scale})"
            );
        }
    }
}

// Sizes large enough that every parallel path splits (products over 2^18 multiply-adds).
const N: usize = 256;
const C: usize = 64;
const M: usize = 96;

#[test]
fn linear_layer_forward_and_backward() {
    let (x, w, b, dout) = (values(1, N * C), values(2, C * M), values(3, M), values(4, N * M));
    same_on_all_threads("linear", 1e-6, |e| {
        let mut out = vec![0.0; N * M];
        linear::forward(&mut out, &x, &w, &b, N, C, M, e.par);
        let (mut dx, mut dw, mut db) = (vec![0.0; N * C], vec![0.0; C * M], vec![0.0; M]);
        linear::backward(Some(&mut dx), &mut dw, &mut db, &dout, &x, &w, N, C, M, e.par);
        vec![out, dx, dw, db]
    });
}

#[test]
fn elementwise_and_row_layers_agree_bit_for_bit() {
    let (x, g, b, dout) = (values(5, N * C), values(6, C), values(7, C), values(8, N * C));
    same_on_all_threads("layernorm", 0.0, |e| {
        let (mut out, mut mean, mut rstd) = (vec![0.0; N * C], vec![0.0; N], vec![0.0; N]);
        layernorm::forward(&mut out, &mut mean, &mut rstd, &x, &g, &b, N, C, e.par);
        let (mut dx, mut dg, mut db) = (vec![0.0; N * C], vec![0.0; C], vec![0.0; C]);
        layernorm::backward(&mut dx, &mut dg, &mut db, &dout, &x, &mean, &rstd, &g, N, C, e.par);
        vec![out, mean, rstd, dx, dg, db]
    });
    same_on_all_threads("gelu", 0.0, |e| {
        let (mut out, mut dx) = (vec![0.0; N * C], vec![0.0; N * C]);
        gelu::forward(&mut out, &x, e.par);
        gelu::backward(&mut dx, &dout, &x, e.par);
        vec![out, dx]
    });
    let targets: Vec<u32> = (0..N as u32).map(|i| i * 7 % C as u32).collect();
    same_on_all_threads("softmax + cross-entropy", 0.0, |e| {
        let (mut probs, mut losses) = (x.clone(), vec![0.0; N]);
        softmax_ce::forward(&mut probs, &mut losses, Some(&targets), N, C, e.par);
        let forward = probs.clone();
        softmax_ce::backward(&mut probs, &targets, 1.0 / N as f32, N, C, e.par);
        vec![forward, losses, probs]
    });
    same_on_all_threads("column sum", 0.0, |e| {
        let mut db = vec![0.5; C];
        linear::column_sum(&mut db, &x, N, C, e.par);
        vec![db]
    });
    let grads = values(9, N * C);
    same_on_all_threads("AdamW", 0.0, |e| {
        let (mut p, mut m, mut v) = (x.clone(), vec![0.0; N * C], vec![0.0; N * C]);
        for k in 1..=3 {
            adamw::update(&mut p, &mut m, &mut v, &grads, &AdamWConfig::default(), 1e-2, k, e.par);
        }
        vec![p, m, v]
    });
}

#[test]
fn attention_forward_and_backward() {
    let (b, t, c, nh) = (8, 32, 64, 4);
    let (qkv, dout) = (values(10, b * t * 3 * c), values(11, b * t * c));
    same_on_all_threads("attention", 1e-6, |e| {
        let (mut out, mut att) = (vec![0.0; b * t * c], vec![0.0; b * nh * t * t]);
        attention::forward(&mut out, &mut att, &qkv, b, t, c, nh, e.par);
        let (mut dqkv, mut scratch) = (vec![0.0; b * t * 3 * c], vec![0.0; b * t * t]);
        attention::backward(&mut dqkv, &mut scratch, &dout, &qkv, &att, b, t, c, nh, e.par);
        vec![out, att, dqkv]
    });
}

#[test]
fn rnn_recurrence_forward_and_backward() {
    let (t, b, h) = (16, 64, 64);
    let (p, w, dhs) = (values(12, t * b * h), values(13, h * h), values(14, t * b * h));
    let w: Vec<f32> = w.iter().map(|x| x * 0.2).collect();
    same_on_all_threads("rnn cell", 1e-5, |e| {
        let mut hs = p.clone();
        rnn_cell::forward(&mut hs, &w, t, b, h, e.par);
        let (mut dp, mut dw, mut dz, mut carry) =
            (vec![0.0; t * b * h], vec![0.0; h * h], vec![0.0; t * b * h], vec![0.0; b * h]);
        rnn_cell::backward(&mut dp, &mut dw, &mut dz, &mut carry, &dhs, &hs, &w, t, b, h, e.par);
        vec![hs, dp, dw]
    });
}
