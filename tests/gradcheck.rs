//! Finite-difference gradient checks: every layer's hand-written backward against central
//! differences of its forward, then both whole models along random directions per tensor.

mod common;

use common::{check_close, numeric_grad, project, to_f64, values};
use sideways::embed::embedding;
use sideways::linalg::{Exec, Par, Threads};
use sideways::model::{
    attention, attention_tiled, gelu, layernorm, linear, position, rnn_cell, softmax_ce, Buffer, MinGruConfig,
    ModelConfig, RnnConfig, TransformerConfig,
};

const EPS: f32 = 1e-2;
const ATOL: f64 = 2e-3;
const RTOL: f64 = 1e-2;

#[test]
fn linear_layer() {
    let (n, di, dout) = (3, 4, 5);
    let (mut x, mut w, mut b) = (values(1, n * di), values(2, di * dout), values(3, dout));
    let r = values(4, n * dout);
    let run = |x: &[f32], w: &[f32], b: &[f32]| {
        let mut out = vec![0.0; n * dout];
        linear::forward(&mut out, x, w, b, n, di, dout, Par::Seq);
        project(&out, &r)
    };
    let (mut dx, mut dw, mut db) = (vec![0.0; n * di], vec![0.0; di * dout], vec![0.0; dout]);
    linear::backward(Some(&mut dx), &mut dw, &mut db, &r, &x, &w, n, di, dout, Par::Seq);
    let (w0, b0, x0) = (w.clone(), b.clone(), x.clone());
    check_close("linear dx", &to_f64(&dx), &numeric_grad(&mut x, EPS, |x| run(x, &w0, &b0)), ATOL, RTOL);
    check_close("linear dw", &to_f64(&dw), &numeric_grad(&mut w, EPS, |w| run(&x0, w, &b0)), ATOL, RTOL);
    check_close("linear db", &to_f64(&db), &numeric_grad(&mut b, EPS, |b| run(&x0, &w0, b)), ATOL, RTOL);
}

#[test]
fn layernorm_layer() {
    let (n, c) = (3, 7);
    let (mut x, mut g, mut b) = (values(5, n * c), values(6, c), values(7, c));
    let r = values(8, n * c);
    let run = |x: &[f32], g: &[f32], b: &[f32]| {
        let (mut out, mut m, mut s) = (vec![0.0; n * c], vec![0.0; n], vec![0.0; n]);
        layernorm::forward(&mut out, &mut m, &mut s, x, g, b, n, c, Par::Seq);
        project(&out, &r)
    };
    let (mut out, mut m, mut s) = (vec![0.0; n * c], vec![0.0; n], vec![0.0; n]);
    layernorm::forward(&mut out, &mut m, &mut s, &x, &g, &b, n, c, Par::Seq);
    let (mut dx, mut dg, mut db) = (vec![0.0; n * c], vec![0.0; c], vec![0.0; c]);
    layernorm::backward(&mut dx, &mut dg, &mut db, &r, &x, &m, &s, &g, n, c, Par::Seq);
    let (x0, g0, b0) = (x.clone(), g.clone(), b.clone());
    check_close("layernorm dx", &to_f64(&dx), &numeric_grad(&mut x, EPS, |x| run(x, &g0, &b0)), ATOL, RTOL);
    check_close("layernorm dg", &to_f64(&dg), &numeric_grad(&mut g, EPS, |g| run(&x0, g, &b0)), ATOL, RTOL);
    check_close("layernorm db", &to_f64(&db), &numeric_grad(&mut b, EPS, |b| run(&x0, &g0, b)), ATOL, RTOL);
}

#[test]
fn gelu_layer() {
    let mut x: Vec<f32> = values(9, 40).iter().map(|v| v * 4.0).collect();
    let r = values(10, 40);
    let mut dx = vec![0.0; 40];
    gelu::backward(&mut dx, &r, &x, Par::Seq);
    let num = numeric_grad(&mut x, 1e-3, |x| {
        let mut out = vec![0.0; 40];
        gelu::forward(&mut out, x, Par::Seq);
        project(&out, &r)
    });
    check_close("gelu dx", &to_f64(&dx), &num, ATOL, RTOL);
}

#[test]
fn softmax_cross_entropy_layer() {
    let (n, v) = (4, 6);
    let mut logits: Vec<f32> = values(11, n * v).iter().map(|x| x * 3.0).collect();
    let targets = [0u32, 5, 2, 2];
    let mean_loss = |l: &[f32]| {
        let (mut p, mut losses) = (l.to_vec(), vec![0.0; n]);
        softmax_ce::forward(&mut p, &mut losses, Some(&targets), n, v, Par::Seq);
        losses.iter().map(|&x| x as f64).sum::<f64>() / n as f64
    };
    let (mut probs, mut losses) = (logits.clone(), vec![0.0; n]);
    softmax_ce::forward(&mut probs, &mut losses, Some(&targets), n, v, Par::Seq);
    for row in probs.chunks(v) {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }
    softmax_ce::backward(&mut probs, &targets, 1.0 / n as f32, n, v, Par::Seq);
    check_close("softmax+ce dlogits", &to_f64(&probs), &numeric_grad(&mut logits, EPS, mean_loss), ATOL, RTOL);
}

#[test]
fn causal_attention_layer() {
    let (b, t, c, nh) = (2, 4, 6, 2);
    let mut qkv = values(12, b * t * 3 * c);
    let r = values(13, b * t * c);
    let run = |qkv: &[f32]| {
        let (mut out, mut att) = (vec![0.0; b * t * c], vec![0.0; b * nh * t * t]);
        attention::forward(&mut out, &mut att, qkv, b, t, c, nh, Par::Seq);
        project(&out, &r)
    };
    let (mut out, mut att) = (vec![0.0; b * t * c], vec![0.0; b * nh * t * t]);
    attention::forward(&mut out, &mut att, &qkv, b, t, c, nh, Par::Seq);
    // Causality: nothing above the diagonal, each row a distribution.
    for (i, row) in att.chunks(t).enumerate() {
        let pos = i % t;
        assert!(row[pos + 1..].iter().all(|&a| a == 0.0));
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }
    let (mut dqkv, mut scratch) = (vec![0.0; qkv.len()], vec![0.0; b * t * t]);
    attention::backward(&mut dqkv, &mut scratch, &r, &qkv, &att, b, t, c, nh, Par::Seq);
    check_close("attention dqkv", &to_f64(&dqkv), &numeric_grad(&mut qkv, EPS, run), ATOL, RTOL);
}

/// The tiled attention the Transformer trains with, across a tile boundary (three tiles of
/// keys, the last one short), checked along random directions of qkv.
#[test]
fn tiled_causal_attention_layer() {
    let (b, t, c, nh) = (1, 2 * attention_tiled::TILE + 3, 4, 2);
    let qkv = values(14, b * t * 3 * c);
    let r = values(15, b * t * c);
    let scratch = || vec![0.0; b * nh * attention_tiled::scratch_floats(t, c / nh)];
    let run = |qkv: &[f32]| {
        let (mut out, mut lse) = (vec![0.0; b * t * c], vec![0.0; b * nh * t]);
        attention_tiled::forward(&mut out, &mut lse, &mut scratch(), qkv, b, t, c, nh, Par::Seq);
        (project(&out, &r), out, lse)
    };
    let (_, out, lse) = run(&qkv);
    let mut dqkv = vec![0.0; qkv.len()];
    attention_tiled::backward(&mut dqkv, &mut scratch(), &r, &qkv, &out, &lse, b, t, c, nh, Par::Seq);
    let (mut analytic, mut numeric) = (Vec::new(), Vec::new());
    for dir in 0..4 {
        let u = values(200 + dir, qkv.len());
        analytic.push(dqkv.iter().zip(&u).map(|(&g, &u)| g as f64 * u as f64).sum::<f64>());
        let at = |sign: f32| run(&qkv.iter().zip(&u).map(|(q, u)| q + sign * EPS * u).collect::<Vec<_>>()).0;
        numeric.push((at(1.0) - at(-1.0)) / (2.0 * EPS as f64));
    }
    check_close("tiled attention dqkv", &analytic, &numeric, ATOL, RTOL);
}

#[test]
fn rnn_cell_recurrence() {
    let (t, b, h) = (4, 2, 3);
    let (mut p, mut w) = (values(14, t * b * h), values(15, h * h));
    let r = values(16, t * b * h);
    let run = |p: &[f32], w: &[f32]| {
        let mut hs = p.to_vec();
        rnn_cell::forward(&mut hs, w, t, b, h, Par::Seq);
        project(&hs, &r)
    };
    let mut hs = p.clone();
    rnn_cell::forward(&mut hs, &w, t, b, h, Par::Seq);
    let (mut dp, mut dw, mut dz, mut carry) =
        (vec![0.0; t * b * h], vec![0.0; h * h], vec![0.0; t * b * h], vec![0.0; b * h]);
    rnn_cell::backward(&mut dp, &mut dw, &mut dz, &mut carry, &r, &hs, &w, t, b, h, Par::Seq);
    let (p0, w0) = (p.clone(), w.clone());
    check_close("rnn cell dp", &to_f64(&dp), &numeric_grad(&mut p, EPS, |p| run(p, &w0)), ATOL, RTOL);
    check_close("rnn cell dw_hh", &to_f64(&dw), &numeric_grad(&mut w, EPS, |w| run(&p0, w)), ATOL, RTOL);
}

#[test]
fn embedding_layer() {
    let (v, d) = (5, 3);
    let mut table = values(17, v * d);
    let tokens = [4u32, 1, 4, 0];
    let r = values(18, tokens.len() * d);
    let mut dtable = vec![0.0; v * d];
    embedding::backward(&mut dtable, &r, &tokens, d);
    let num = numeric_grad(&mut table, EPS, |tab| {
        let mut out = vec![0.0; tokens.len() * d];
        embedding::forward(&mut out, &tokens, tab, d);
        project(&out, &r)
    });
    check_close("embedding dtable", &to_f64(&dtable), &num, ATOL, RTOL);
}

#[test]
fn position_embedding_layer() {
    let (b, t, c) = (2, 3, 4);
    let mut wpe = values(19, 5 * c); // a context of 5: rows 3 and 4 get no gradient
    let x = values(20, b * t * c);
    let r = values(21, b * t * c);
    let mut dwpe = vec![0.0; 5 * c];
    position::backward(&mut dwpe, &r, b * t, t, c);
    let num = numeric_grad(&mut wpe, EPS, |p| {
        let mut out = x.clone();
        position::forward(&mut out, p, b * t, t, c);
        project(&out, &r)
    });
    check_close("position dwpe", &to_f64(&dwpe), &num, ATOL, RTOL);
    assert!(dwpe[3 * c..].iter().all(|&g| g == 0.0));
}

/// Every backward adds into the gradients it is given: run twice, get twice the gradient.
#[test]
fn backward_passes_accumulate() {
    let (n, di, dout) = (3, 4, 5);
    let (x, w, r) = (values(1, n * di), values(2, di * dout), values(4, n * dout));
    let (mut dx, mut dw, mut db) = (vec![0.0; n * di], vec![0.0; di * dout], vec![0.0; dout]);
    linear::backward(Some(&mut dx), &mut dw, &mut db, &r, &x, &w, n, di, dout, Par::Seq);
    let once = (dx.clone(), dw.clone(), db.clone());
    linear::backward(Some(&mut dx), &mut dw, &mut db, &r, &x, &w, n, di, dout, Par::Seq);
    for (twice, once) in [(&dx, &once.0), (&dw, &once.1), (&db, &once.2)] {
        assert!(twice.iter().zip(once).all(|(a, b)| (a - 2.0 * b).abs() < 1e-5));
    }
    // The same for an elementwise layer: starting from ones, the gradient lands on top of them.
    let (h, g) = (values(9, 40), values(10, 40));
    let (mut from_one, mut from_zero) = (vec![1.0; 40], vec![0.0; 40]);
    gelu::backward(&mut from_one, &g, &h, Par::Seq);
    gelu::backward(&mut from_zero, &g, &h, Par::Seq);
    assert!(from_one.iter().zip(&from_zero).all(|(a, b)| (a - 1.0 - b).abs() < 1e-6));
}

/// The overwriting backwards (for gradients with one writer, which are then never zeroed) give
/// over whatever a buffer held what the adding ones give into zeros; weights and biases still add.
#[test]
fn overwriting_backwards_ignore_what_was_there() {
    let (n, di, dout) = (5, 4, 6);
    let (x, w, r) = (values(11, n * di), values(12, di * dout), values(13, n * dout));
    let (mut want, mut dw, mut db) = (vec![0.0; n * di], vec![0.0; di * dout], vec![0.0; dout]);
    linear::backward(Some(&mut want), &mut dw, &mut db, &r, &x, &w, n, di, dout, Par::Seq);
    let (mut got, mut dw2, mut db2) = (values(14, n * di), dw.clone(), db.clone());
    linear::backward_overwrite(&mut got, &mut dw2, &mut db2, &r, &x, &w, n, di, dout, Par::Seq);
    assert!(got.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-6), "{got:?} vs {want:?}");
    assert!(dw2.iter().zip(&dw).all(|(a, b)| (a - 2.0 * b).abs() < 1e-5), "weight gradients still add");
    // GELU's gradient buffer holds the forward's tanh u in between, whatever it held before;
    // the kept-tanh pair adds the bias of the product before as it reads, on any thread count.
    let (h, bias, g) = (values(15, 40), values(18, 8), values(16, 40));
    let biased: Vec<f32> = h.iter().enumerate().map(|(i, x)| x + bias[i % 8]).collect();
    let (mut want, mut y) = (vec![0.0; 40], vec![0.0; 40]);
    gelu::forward(&mut y, &biased, Par::Seq);
    gelu::backward(&mut want, &g, &biased, Par::Seq);
    for threads in [1, 2, 3] {
        let (mut got, mut y_kept) = (values(17, 40), vec![0.0; 40]);
        Threads::new(threads).unwrap().install(|e| {
            gelu::forward_keeping_tanh(&mut y_kept, &mut got, &h, &bias, e.par);
            gelu::backward_from_tanh(&mut got, &g, &h, &bias, e.par);
        });
        assert_eq!(y_kept, y, "{threads} threads");
        assert_eq!(got, want, "{threads} threads");
    }
}

/// For each tensor, the directional derivative along three random directions restricted to it.
/// The step is small because the Transformer's embeddings start at N(0, 0.02), where LayerNorm
/// is sharply curved.
fn check_whole_model(config: ModelConfig, b: usize, t: usize) {
    const EPS: f32 = 1e-3;
    let mut m = config.build(3).unwrap();
    let v = config.vocab_size() as u32;
    let inputs: Vec<u32> = (0..b * t).map(|i| (i as u32 * 7 + 3) % v).collect();
    let targets: Vec<u32> = (0..b * t).map(|i| (i as u32 * 5 + 1) % v).collect();
    m.store_mut().zero_grad();
    m.forward(&inputs, Some(&targets), b, t, Exec::SEQ);
    m.backward(1.0, Exec::SEQ);
    let grads = m.store().to_vec(Buffer::Grads);
    let unfused_loss = m.read_loss();
    // The training step's fused path (the output layer and its loss in one pass) gives the
    // same loss and gradients as forward then backward, which the differences below check.
    m.store_mut().zero_grad();
    m.forward_backward(&inputs, &targets, b, t, 1.0, Exec::SEQ);
    let fused = m.store().to_vec(Buffer::Grads);
    assert!((m.read_loss() - unfused_loss).abs() < 1e-6, "fused loss {} vs {unfused_loss}", m.read_loss());
    let worst = fused.iter().zip(&grads).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(worst < 1e-6, "{:?}: fused gradients differ by {worst}", config.kind());
    let layout = m.store().layout().clone();
    let mut params = m.store().to_vec(Buffer::Values);
    for (k, spec) in layout.specs().iter().enumerate() {
        let mut analytic = Vec::new();
        let mut numeric = Vec::new();
        for dir in 0..3 {
            let u = values(100 + 10 * k as u64 + dir, spec.len());
            analytic.push(grads[spec.range()].iter().zip(&u).map(|(&g, &u)| g as f64 * u as f64).sum::<f64>());
            let mut loss_at = |sign: f32| {
                let original = params[spec.range()].to_vec();
                for (p, &u) in params[spec.range()].iter_mut().zip(&u) {
                    *p += sign * EPS * u;
                }
                m.store_mut().write(Buffer::Values, spec.offset, &params[spec.range()]);
                m.forward(&inputs, Some(&targets), b, t, Exec::SEQ);
                let l = m.read_loss() as f64;
                params[spec.range()].copy_from_slice(&original);
                m.store_mut().write(Buffer::Values, spec.offset, &original);
                l
            };
            numeric.push((loss_at(1.0) - loss_at(-1.0)) / (2.0 * EPS as f64));
        }
        check_close(&format!("{:?} {}", config.kind(), spec.name), &analytic, &numeric, 2e-4, 2e-2);
    }
}

#[test]
fn whole_rnn_model() {
    check_whole_model(ModelConfig::Rnn(RnnConfig { vocab_size: 11, d_model: 5, hidden_size: 6 }), 2, 5);
}

#[test]
fn whole_transformer_model() {
    let config =
        TransformerConfig { vocab_size: 11, d_model: 8, n_heads: 2, n_layers: 2, context_len: 6, mlp_size: 12 };
    check_whole_model(ModelConfig::Transformer(config), 2, 5);
}

/// A window longer than one attention tile trains with the tiled kernels (shorter ones keep
/// their weights and use the reference, as above).
#[test]
fn whole_transformer_model_on_a_window_longer_than_a_tile() {
    let t = attention_tiled::TILE + 3;
    let config =
        TransformerConfig { vocab_size: 11, d_model: 8, n_heads: 2, n_layers: 2, context_len: t, mlp_size: 12 };
    check_whole_model(ModelConfig::Transformer(config), 1, t);
}

/// Two layers of different input widths (the embedding's 5, then the states' 6).
#[test]
fn whole_mingru_model() {
    check_whole_model(
        ModelConfig::MinGru(MinGruConfig { vocab_size: 11, d_model: 5, hidden_size: 6, n_layers: 2 }),
        2,
        5,
    );
}
