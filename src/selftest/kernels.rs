//! Every GPU kernel against its CPU layer, forward and backward, at awkward sizes (1, 7, 64,
//! 65, 129 and mixtures), from buffers at odd offsets (kernels must honour them) and with
//! gradients that start non-zero (kernels must add into them, as the CPU layers do).

use super::Checks;
use crate::embed::embedding;
use crate::gpu::kernels::{
    adamw as gadamw, attention as gattention, embedding as gembedding, gelu as ggelu, layernorm as glayernorm,
    linear as glinear, matmul as gmatmul, mingru_gate as gmingru_gate, position as gposition, rnn_cell as grnn_cell,
    scan as gscan, softmax_ce as gsoftmax_ce,
};
use crate::gpu::{Gpu, GpuBuf};
use crate::linalg::{matmul_naive, rows, Par};
use crate::model::{
    adamw, attention, gelu, layernorm, linear, mingru_gate, position, rnn_cell, scan, softmax_ce, AdamWConfig,
};
use crate::rng::Rng;

/// Deterministic values in about [-1, 1].
fn values(seed: u64, n: usize) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.normal() as f32 * 0.7).collect()
}

/// Every kernel's checks.
pub fn all(gpu: &Gpu, report: &mut Checks) {
    products_at_awkward_sizes_and_strides(gpu, report);
    linear_layer(gpu, report);
    layernorm_gelu_and_position(gpu, report);
    softmax_cross_entropy_and_argmax(gpu, report);
    causal_attention(gpu, report);
    rnn_recurrence_and_embedding(gpu, report);
    mingru_gates_and_scan(gpu, report);
    clipping_and_adamw(gpu, report);
}

/// A buffer holding `prefix` zeros and then `data`.
fn placed(gpu: &Gpu, prefix: usize, data: &[f32]) -> GpuBuf {
    let mut all = vec![0.0f32; prefix];
    all.extend_from_slice(data);
    gpu.upload(&all)
}

fn read(gpu: &Gpu, buf: &GpuBuf, offset: usize, len: usize) -> Vec<f32> {
    let mut out = vec![0.0; len];
    gpu.read_f32(buf, offset, &mut out);
    out
}

const TOL: f32 = 2e-5;

fn products_at_awkward_sizes_and_strides(gpu: &Gpu, report: &mut Checks) {
    for &(m, k, n) in &[(1, 1, 1), (7, 64, 65), (65, 7, 129), (129, 65, 7), (64, 129, 1)] {
        let (a, b) = (values(1, m * k), values(2, k * n));
        let want = matmul_naive(rows(&a, m, k), rows(&b, k, n));
        let (ga, gb, gc) = (placed(gpu, 3, &a), placed(gpu, 5, &b), placed(gpu, 2, &vec![0.5; m * n]));
        let mat = |buf, off, cols| gmatmul::Mat::rows(buf, off, cols);
        gmatmul::matmul(gpu, mat(&gc, 2, n), false, mat(&ga, 3, k), mat(&gb, 5, n), (m, n, k), (1, 1), 1.0);
        report.close("matmul", &read(gpu, &gc, 2, m * n), &want, TOL);
        // The transposes: (bᵀ)ᵀ = b, stored transposed; accumulate and alpha.
        let bt: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
        let gbt = placed(gpu, 0, &bt);
        gmatmul::matmul(gpu, mat(&gc, 2, n), true, mat(&ga, 3, k), mat(&gbt, 0, k).t(), (m, n, k), (1, 1), 0.5);
        let twice: Vec<f32> = want.iter().map(|x| 1.5 * x).collect();
        report.close("matmul transposed, accumulated", &read(gpu, &gc, 2, m * n), &twice, TOL);
    }
}

fn linear_layer(gpu: &Gpu, report: &mut Checks) {
    for &(n, di, dout) in &[(1, 7, 1), (65, 7, 129), (7, 64, 65)] {
        let (x, w, b, dy) = (values(3, n * di), values(4, di * dout), values(5, dout), values(6, n * dout));
        let mut out = vec![0.0; n * dout];
        linear::forward(&mut out, &x, &w, &b, n, di, dout, Par::Seq);
        let params = placed(gpu, 3, &[w.clone(), b.clone()].concat());
        let (gx, gout) = (placed(gpu, 0, &x), gpu.zeros(n * dout));
        glinear::forward(
            gpu,
            gout.all(),
            gx.all(),
            params.at(3, di * dout),
            params.at(3 + di * dout, dout),
            n,
            di,
            dout,
        );
        report.close("linear forward", &gpu.to_vec(&gout), &out, TOL);
        let (mut dx, mut dw, mut db) = (values(7, n * di), values(8, di * dout), values(9, dout));
        let grads = placed(gpu, 1, &[dw.clone(), db.clone()].concat());
        let gdx = placed(gpu, 0, &dx);
        let gdy = placed(gpu, 0, &dy);
        linear::backward(Some(&mut dx), &mut dw, &mut db, &dy, &x, &w, n, di, dout, Par::Seq);
        let (dwv, dbv) = (grads.at(1, di * dout), grads.at(1 + di * dout, dout));
        glinear::backward(gpu, Some(gdx.all()), dwv, dbv, gdy.all(), gx.all(), params.at(3, di * dout), n, di, dout);
        report.close("linear dinp", &gpu.to_vec(&gdx), &dx, TOL);
        report.close("linear dw", &read(gpu, &grads, 1, di * dout), &dw, TOL);
        report.close("linear db", &read(gpu, &grads, 1 + di * dout, dout), &db, TOL);
    }
}

fn layernorm_gelu_and_position(gpu: &Gpu, report: &mut Checks) {
    for &(n, c) in &[(1, 7), (65, 64), (7, 129)] {
        let (x, g, b, dy) = (values(10, n * c), values(11, c), values(12, c), values(13, n * c));
        let (mut out, mut mean, mut rstd) = (vec![0.0; n * c], vec![0.0; n], vec![0.0; n]);
        layernorm::forward(&mut out, &mut mean, &mut rstd, &x, &g, &b, n, c, Par::Seq);
        let params = placed(gpu, 2, &[g.clone(), b.clone()].concat());
        let (gx, gout, gmean, grstd) = (gpu.upload(&x), gpu.zeros(n * c), gpu.zeros(n), gpu.zeros(n));
        let (gv, bv) = (params.at(2, c), params.at(2 + c, c));
        glayernorm::forward(gpu, &gout, &gmean, &grstd, &gx, gv, bv, n, c);
        report.close("layernorm forward", &gpu.to_vec(&gout), &out, TOL);
        report.close("layernorm rstd", &gpu.to_vec(&grstd), &rstd, TOL);
        let (mut dx, mut dg, mut db) = (values(14, n * c), values(15, c), values(16, c));
        let (gdx, grads, gdy) = (gpu.upload(&dx), placed(gpu, 4, &[dg.clone(), db.clone()].concat()), gpu.upload(&dy));
        layernorm::backward(&mut dx, &mut dg, &mut db, &dy, &x, &mean, &rstd, &g, n, c, Par::Seq);
        glayernorm::backward(gpu, &gdx, grads.at(4, c), grads.at(4 + c, c), &gdy, &gx, &gmean, &grstd, gv, n, c);
        report.close("layernorm dinp", &gpu.to_vec(&gdx), &dx, 1e-4);
        report.close("layernorm dg", &read(gpu, &grads, 4, c), &dg, 1e-4);
        report.close("layernorm db", &read(gpu, &grads, 4 + c, c), &db, 1e-4);

        let xs: Vec<f32> = x.iter().map(|v| v * 3.0).collect();
        let mut y = vec![0.0; n * c];
        gelu::forward(&mut y, &xs, Par::Seq);
        let (gxs, gy) = (gpu.upload(&xs), gpu.zeros(n * c));
        ggelu::forward(gpu, &gy, &gxs, n * c);
        report.close("gelu forward", &gpu.to_vec(&gy), &y, TOL);
        let mut dgl = values(17, n * c);
        let gdgl = gpu.upload(&dgl);
        gelu::backward(&mut dgl, &dy, &xs, Par::Seq);
        ggelu::backward(gpu, &gdgl, &gdy, &gxs, n * c);
        report.close("gelu backward", &gpu.to_vec(&gdgl), &dgl, TOL);
    }
    // Positions: windows of t inside n rows.
    let (n, t, c) = (12, 4, 7);
    let (wpe, x0, dx) = (values(18, 5 * c), values(19, n * c), values(20, n * c));
    let mut x = x0.clone();
    position::forward(&mut x, &wpe, n, t, c);
    let (params, gx) = (placed(gpu, 3, &wpe), gpu.upload(&x0));
    gposition::forward(gpu, &gx, params.at(3, 5 * c), n, t, c);
    report.close("position forward", &gpu.to_vec(&gx), &x, TOL);
    let mut dwpe = values(21, 5 * c);
    let (grads, gdx) = (placed(gpu, 1, &dwpe), gpu.upload(&dx));
    position::backward(&mut dwpe, &dx, n, t, c);
    gposition::backward(gpu, grads.at(1, 5 * c), &gdx, n, t, c);
    report.close("position backward", &read(gpu, &grads, 1, 5 * c), &dwpe, TOL);
}

/// The minGRU's gates and the scan, at window lengths that leave the GPU's chunks (⌈√n⌉ rows)
/// cutting inside windows and windows inside chunks; gradients start non-zero.
fn mingru_gates_and_scan(gpu: &Gpu, report: &mut Checks) {
    for &(b, t, h) in &[(1, 1, 3), (2, 7, 5), (3, 65, 16), (1, 129, 7)] {
        let n = b * t;
        let zh = values(40, n * 2 * h);
        let (mut a, mut x) = (vec![0.0; n * h], vec![0.0; n * h]);
        mingru_gate::forward(&mut a, &mut x, &zh, n, h, Par::Seq);
        let (gzh, ga, gx) = (gpu.upload(&zh), gpu.zeros(n * h), gpu.zeros(n * h));
        gmingru_gate::forward(gpu, &ga, &gx, &gzh, n, h);
        report.close("minGRU gates forward", &gpu.to_vec(&ga), &a, TOL);
        report.close("minGRU gates x", &gpu.to_vec(&gx), &x, TOL);
        let mut hs = vec![0.0; n * h];
        scan::forward(&mut hs, &mut Vec::new(), &a, &x, (b, t, h), n, Par::Seq);
        let (ghs, scratch) = (gpu.zeros(n * h), gpu.zeros(gscan::scratch_floats(n, h)));
        gscan::forward(gpu, &ghs, &scratch, &ga, &gx, (b, t, h));
        report.close("scan forward", &gpu.to_vec(&ghs), &hs, 1e-4);
        let (dh, mut dx, mut da) = (values(41, n * h), values(42, n * h), values(43, n * h));
        let (gdh, gdx, gda) = (gpu.upload(&dh), gpu.upload(&dx), gpu.upload(&da));
        scan::backward((&mut dx, &mut da), &mut Vec::new(), &dh, &a, &hs, (b, t, h), n, Par::Seq);
        gscan::backward(gpu, (&gdx, &gda), &scratch, &gdh, &ga, &ghs, (b, t, h));
        report.close("scan dx", &gpu.to_vec(&gdx), &dx, 1e-4);
        report.close("scan da", &gpu.to_vec(&gda), &da, 1e-4);
        let mut dzh = values(44, n * 2 * h);
        let gdzh = gpu.upload(&dzh);
        mingru_gate::backward(&mut dzh, &da, &dx, &zh, n, h, Par::Seq);
        gmingru_gate::backward(gpu, &gdzh, &gda, &gdx, &gzh, n, h);
        report.close("minGRU gates backward", &gpu.to_vec(&gdzh), &dzh, 1e-4);
    }
}

fn softmax_cross_entropy_and_argmax(gpu: &Gpu, report: &mut Checks) {
    for &(n, v) in &[(1, 7), (7, 65), (65, 129), (3, 4096)] {
        let logits: Vec<f32> = values(22, n * v).iter().map(|x| x * 4.0).collect();
        let targets: Vec<u32> = (0..n).map(|i| (i * 7 % v) as u32).collect();
        let (mut probs, mut losses) = (logits.clone(), vec![0.0; n]);
        softmax_ce::forward(&mut probs, &mut losses, Some(&targets), n, v, Par::Seq);
        let (gp, gl) = (gpu.upload(&logits), gpu.zeros(n));
        let gt = gpu.zeros(n);
        gpu.write(&gt, 0, &targets);
        gsoftmax_ce::forward(gpu, &gp, &gl, Some(gt.all()), n, v);
        report.close("softmax", &gpu.to_vec(&gp), &probs, 1e-5);
        report.close("cross-entropy", &gpu.to_vec(&gl), &losses, 1e-5);
        let best = gpu.zeros(n);
        gsoftmax_ce::argmax(gpu, &best, &gp, n, v);
        let mut got = vec![0u32; n];
        gpu.read(&best, 0, &mut got);
        let want: Vec<u32> = probs.chunks(v).map(|r| softmax_ce::argmax(r) as u32).collect();
        report.same("argmax", &got, &want);
        softmax_ce::backward(&mut probs, &targets, 0.25 / n as f32, n, v, Par::Seq);
        gsoftmax_ce::backward(gpu, &gp, gt.all(), 0.25 / n as f32, n, v);
        report.close("softmax + cross-entropy backward", &gpu.to_vec(&gp), &probs, 1e-5);
    }
}

fn causal_attention(gpu: &Gpu, report: &mut Checks) {
    for &(b, t, c, nh) in &[(1, 1, 4, 1), (2, 7, 8, 2), (3, 65, 16, 4)] {
        let (qkv, dy) = (values(23, b * t * 3 * c), values(24, b * t * c));
        let (mut out, mut att) = (vec![0.0; b * t * c], vec![0.0; b * nh * t * t]);
        attention::forward(&mut out, &mut att, &qkv, b, t, c, nh, Par::Seq);
        let (gq, gout, gatt) = (gpu.upload(&qkv), gpu.zeros(b * t * c), gpu.zeros(b * nh * t * t));
        gattention::forward(gpu, &gout, &gatt, &gq, b, t, c, nh);
        report.close("attention weights", &gpu.to_vec(&gatt), &att, 1e-5);
        report.close("attention output", &gpu.to_vec(&gout), &out, 1e-5);
        let mut dqkv = values(25, b * t * 3 * c);
        let (gd, gdy, scratch) = (gpu.upload(&dqkv), gpu.upload(&dy), gpu.zeros(b * nh * t * t));
        attention::backward(&mut dqkv, &mut vec![0.0; b * t * t], &dy, &qkv, &att, b, t, c, nh, Par::Seq);
        gattention::backward(gpu, &gd, &scratch, &gdy, &gq, &gatt, b, t, c, nh);
        report.close("attention dqkv", &gpu.to_vec(&gd), &dqkv, 1e-4);
    }
}

fn rnn_recurrence_and_embedding(gpu: &Gpu, report: &mut Checks) {
    for &(t, b, h) in &[(1, 1, 1), (7, 3, 5), (65, 2, 64)] {
        let p = values(26, t * b * h);
        let w: Vec<f32> = values(27, h * h).iter().map(|x| x * 0.3).collect();
        let dhs = values(28, t * b * h);
        let mut hs = p.clone();
        rnn_cell::forward(&mut hs, &w, t, b, h, Par::Seq);
        let (params, ghs) = (placed(gpu, 5, &w), gpu.upload(&p));
        grnn_cell::forward(gpu, &ghs, params.at(5, h * h), t, b, h);
        report.close("rnn forward", &gpu.to_vec(&ghs), &hs, 1e-4);
        let (mut dp, mut dw) = (values(29, t * b * h), values(30, h * h));
        let (gdp, grads, gdz, gdhs) = (gpu.upload(&dp), placed(gpu, 2, &dw), gpu.zeros(t * b * h), gpu.upload(&dhs));
        rnn_cell::backward(
            &mut dp,
            &mut dw,
            &mut vec![0.0; t * b * h],
            &mut vec![0.0; b * h],
            &dhs,
            &hs,
            &w,
            t,
            b,
            h,
            Par::Seq,
        );
        grnn_cell::backward(gpu, &gdp, grads.at(2, h * h), &gdz, &gdhs, &ghs, params.at(5, h * h), t, b, h);
        report.close("rnn dp", &gpu.to_vec(&gdp), &dp, 1e-4);
        report.close("rnn dw_hh", &read(gpu, &grads, 2, h * h), &dw, 1e-4);
    }
    for &(v, d, n) in &[(1, 1, 1), (7, 5, 65), (65, 7, 7)] {
        let table = values(31, v * d);
        let tokens: Vec<u32> = (0..n).map(|i| ((i * 13 + 3) % v) as u32).collect();
        let mut out = vec![0.0; n * d];
        embedding::forward(&mut out, &tokens, &table, d);
        let (params, gtok, gout) = (placed(gpu, 3, &table), gpu.zeros(n), gpu.zeros(n * d));
        gpu.write(&gtok, 0, &tokens);
        gembedding::forward(gpu, &gout, &gtok, params.at(3, v * d), n, d);
        report.close("embedding forward", &gpu.to_vec(&gout), &out, 0.0);
        let (dout, mut dtable) = (values(32, n * d), values(33, v * d));
        let (grads, gdout) = (placed(gpu, 1, &dtable), gpu.upload(&dout));
        let index = gembedding::index(&tokens, v);
        let gindex = gpu.zeros(index.len() + 2);
        gpu.write(&gindex, 2, &index);
        embedding::backward(&mut dtable, &dout, &tokens, d);
        gembedding::backward(gpu, grads.at(1, v * d), &gdout, gindex.at(2, index.len()), v, d);
        report.close("embedding backward", &read(gpu, &grads, 1, v * d), &dtable, 1e-6);
    }
}

fn clipping_and_adamw(gpu: &Gpu, report: &mut Checks) {
    for &(n, clip) in &[(1, 1.0), (1000, 0.5), (70_000, 100.0), (70_000, 0.0)] {
        let (mut p, g) = (values(34, n), values(35, n));
        let (mut m, mut v) = (values(36, n).iter().map(|x| x * 0.01).collect::<Vec<_>>(), vec![0.01; n]);
        let (gp, gm, gv, gg) = (gpu.upload(&p), gpu.upload(&m), gpu.upload(&v), gpu.upload(&g));
        let (norm, partials) = (gpu.zeros(2), gpu.zeros(gadamw::PARTIALS));
        gadamw::clip_norm(gpu, &norm, &partials, &gg, n, clip);
        let mut gc = g.clone();
        let want_norm = adamw::clip(&mut gc, clip);
        let got = gpu.to_vec(&norm);
        report.close("gradient norm", &got[..1], &[want_norm], 1e-5);
        let c = AdamWConfig::default();
        let hyper = gadamw::Hyper { lr: 0.01, beta1: c.beta1, beta2: c.beta2, eps: c.eps, weight_decay: 0.1 };
        gadamw::update(gpu, &gp, &gm, &gv, &gg, &norm, 0..n, hyper, 3);
        let config = AdamWConfig { weight_decay: 0.1, ..c };
        adamw::update(&mut p, &mut m, &mut v, &gc, &config, 0.01, 3, Par::Seq);
        report.close("adamw params", &gpu.to_vec(&gp), &p, 1e-5);
        report.close("adamw m", &gpu.to_vec(&gm), &m, 1e-5);
        report.close("adamw v", &gpu.to_vec(&gv), &v, 1e-4);
    }
}
