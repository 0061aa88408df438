//! Criterion benches, one binary (one link on a 2-core machine), a module per group.
//! Each group checks its fast path against a reference once before timing.
//!
//! `cargo bench` — set SIDEWAYS_CORPORA to the shared corpora folder to train on
//! tinyshakespeare; otherwise a synthetic corpus with the same 4096-word vocabulary is used
//! (a step's cost depends only on the sizes, not on the words).

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use sideways::data::{Corpus, DataConfig, Dataset};
use sideways::linalg::Threads;
use sideways::rng::Rng;

fn dataset() -> Arc<Dataset> {
    if let Some(dir) = std::env::var_os("SIDEWAYS_CORPORA") {
        let corpus =
            Corpus::load(&std::path::Path::new(&dir).join("tinyshakespeare.txt")).expect("tinyshakespeare.txt");
        return Arc::new(Dataset::new(&corpus, DataConfig::default()).unwrap());
    }
    Arc::new(Dataset::synthetic(4096, 252_299, 1))
}

/// n values drawn from Normal(0, 0.5) with `seed`: the benches' operands.
fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut v = vec![0.0; n];
    Rng::new(seed).fill_normal(&mut v, 0.5);
    v
}

fn threads() -> [Threads; 2] {
    [Threads::new(1).unwrap(), Threads::new(2).unwrap()]
}

mod train_step {
    use super::*;
    use sideways::model::ModelKind;
    use sideways::train::{TrainConfig, Trainer};

    /// The standard step (bench-config.md) for each model at 1 and 2 threads, in tokens/s.
    pub fn bench(c: &mut Criterion) {
        let data = dataset();
        let mut g = c.benchmark_group("train_step");
        g.throughput(Throughput::Elements(32 * 64));
        g.sample_size(20).warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(8));
        for kind in ModelKind::all() {
            let make = |t: &Threads| {
                let m = kind.standard(4096).build(1337).unwrap();
                Trainer::new(m, data.clone(), TrainConfig::default(), t.clone()).unwrap()
            };
            // Reference check: one and two threads agree on the first losses.
            let [one, two] = threads();
            let (mut a, mut b) = (make(&one), make(&two));
            for _ in 0..3 {
                let (la, lb) = (a.step().loss, b.step().loss);
                assert!((la - lb).abs() < 1e-4, "{kind}: 1 thread {la} vs 2 threads {lb}");
            }
            for t in threads() {
                let mut trainer = make(&t);
                g.bench_function(format!("{kind}/{}t", t.count()), |bch| bch.iter(|| trainer.step()));
            }
        }
        g.finish();
    }
}

mod kernels {
    use super::*;
    use sideways::linalg::{matmul, matmul_naive, rows, rows_mut, Accum, Par};
    use sideways::model::{attention, attention_tiled, gelu, head, layernorm, linear, rnn_cell, scan, softmax_ce};

    /// The main layer kernels at the standard step's real shapes.
    pub fn bench(c: &mut Criterion) {
        let mut g = c.benchmark_group("kernels");
        g.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
        let (n, d, v, m, b, t, nh) = (2048, 128, 4096, 512, 32, 64, 4);

        // Output head: (2048, 128) · (128, 4096), checked against the naive product on 8 rows.
        let (x, w) = (values(n * d, 1), values(d * v, 2));
        let mut out = vec![0.0; n * v];
        let naive = matmul_naive(rows(&x[..8 * d], 8, d), rows(&w, d, v));
        matmul(rows_mut(&mut out, n, v), Accum::Replace, rows(&x, n, d), rows(&w, d, v), threads()[1].exec().par);
        assert!(out[..8 * v].iter().zip(&naive).all(|(a, b)| (a - b).abs() < 1e-3));
        for th in threads() {
            g.throughput(Throughput::Elements((2 * n * d * v) as u64));
            g.bench_function(format!("head_matmul_flops/{}t", th.count()), |bch| {
                bch.iter(|| {
                    th.install(|exec| {
                        matmul(rows_mut(&mut out, n, v), Accum::Replace, rows(&x, n, d), rows(&w, d, v), exec.par)
                    })
                })
            });
        }

        // Softmax + cross-entropy over (2048, 4096), forward and backward.
        let logits = values(n * v, 3);
        let targets: Vec<u32> = (0..n as u32).map(|i| i * 7 % v as u32).collect();
        let mut probs = logits.clone();
        let mut losses = vec![0.0; n];
        softmax_ce::forward(&mut probs, &mut losses, Some(&targets), n, v, Par::Seq);
        let row = &logits[..v];
        let mx = row.iter().cloned().fold(f32::MIN, f32::max);
        let lse = mx as f64 + row.iter().map(|&z| ((z - mx) as f64).exp()).sum::<f64>().ln();
        assert!((losses[0] as f64 - (lse - row[targets[0] as usize] as f64)).abs() < 1e-4);
        g.throughput(Throughput::Elements(n as u64));
        for th in threads() {
            g.bench_function(format!("softmax_ce_rows/{}t", th.count()), |bch| {
                bch.iter(|| {
                    probs.copy_from_slice(&logits);
                    th.install(|exec| {
                        let par = exec.par;
                        softmax_ce::forward(&mut probs, &mut losses, Some(&targets), n, v, par);
                        softmax_ce::backward(&mut probs, &targets, 1.0 / n as f32, n, v, par);
                    })
                })
            });
        }

        // The output layer fused with its loss (model::head), forward and backward in one pass,
        // against the unfused layers it replaces in training; checked on the losses first.
        let (bias, dlnf) = (values(v, 11), values(n * d, 12));
        let (mut dx, mut dw, mut db, mut scratch) = (dlnf.clone(), vec![0.0; d * v], vec![0.0; v], Vec::new());
        head::train(
            (&mut dx, &mut dw, &mut db),
            &mut losses,
            &mut scratch,
            &x,
            (&w, &bias),
            &targets,
            1.0 / n as f32,
            (n, d, v),
            Par::Seq,
        );
        let fused_losses = losses.clone();
        linear::forward(&mut probs, &x, &w, &bias, n, d, v, Par::Seq);
        softmax_ce::forward(&mut probs, &mut losses, Some(&targets), n, v, Par::Seq);
        assert!(fused_losses.iter().zip(&losses).all(|(a, b)| (a - b).abs() < 1e-4));
        g.throughput(Throughput::Elements((3 * 2 * n * d * v) as u64));
        for th in threads() {
            g.bench_function(format!("head_fused_flops/{}t", th.count()), |bch| {
                bch.iter(|| {
                    th.install(|exec| {
                        let outs = (&mut dx[..], &mut dw[..], &mut db[..]);
                        let weights = (&w[..], &bias[..]);
                        head::train(outs, &mut losses, &mut scratch, &x, weights, &targets, 1.0, (n, d, v), exec.par)
                    })
                })
            });
            g.bench_function(format!("head_unfused_flops/{}t", th.count()), |bch| {
                bch.iter(|| {
                    th.install(|exec| {
                        let par = exec.par;
                        linear::forward(&mut probs, &x, &w, &bias, n, d, v, par);
                        softmax_ce::forward(&mut probs, &mut losses, Some(&targets), n, v, par);
                        softmax_ce::backward(&mut probs, &targets, 1.0 / n as f32, n, v, par);
                        linear::backward(Some(&mut dx), &mut dw, &mut db, &probs, &x, &w, n, d, v, par);
                    })
                })
            });
        }

        // A weight gradient, xᵀ·dy summed over the batch's 2048 rows (the MLP's first layer,
        // 128 → 512): `matmul` takes this layout in slices of k; faer in one product beside it.
        let dy = values(n * m, 15);
        let mut dwm = vec![0.0; d * m];
        let naive = matmul_naive(rows(&x, n, d).transpose().subrows(0, 4), rows(&dy, n, m));
        matmul(rows_mut(&mut dwm, d, m), Accum::Replace, rows(&x, n, d).transpose(), rows(&dy, n, m), Par::Seq);
        assert!(dwm[..4 * m].iter().zip(&naive).all(|(a, b)| (a - b).abs() < 1e-2));
        g.throughput(Throughput::Elements((2 * n * d * m) as u64));
        for th in threads() {
            g.bench_function(format!("weight_gradient_flops/{}t", th.count()), |bch| {
                bch.iter(|| {
                    th.install(|exec| {
                        let (x, dy) = (rows(&x, n, d).transpose(), rows(&dy, n, m));
                        matmul(rows_mut(&mut dwm, d, m), Accum::Add, x, dy, exec.par)
                    })
                })
            });
        }
        g.bench_function("weight_gradient_faer_whole_flops/1t", |bch| {
            bch.iter(|| {
                let (x, dy) = (rows(&x, n, d).transpose(), rows(&dy, n, m));
                faer::linalg::matmul::matmul(rows_mut(&mut dwm, d, m), Accum::Add, x, dy, 1.0, Par::Seq)
            })
        });

        // Attention, forward and backward: the tiled kernel the Transformer trains with against
        // the reference that stores every (t, t) map, at the standard window and at 1024, and
        // one window of 1024 alone (on two threads the tiled kernel splits it by heads).
        for (ab, at) in [(4 * b, t / 4), (b, t), (2, 1024), (1, 1024)] {
            let an = ab * at;
            let qkv = values(an * 3 * d, 13);
            let dout = values(an * d, 14);
            let (mut y, mut lse, mut dqkv) = (vec![0.0; an * d], vec![0.0; ab * nh * at], vec![0.0; an * 3 * d]);
            let mut tiles = vec![0.0; ab * nh * attention_tiled::scratch_floats(at, d / nh)];
            let (mut want, mut att) = (vec![0.0; an * d], vec![0.0; ab * nh * at * at]);
            attention::forward(&mut want, &mut att, &qkv, ab, at, d, nh, Par::Seq);
            attention_tiled::forward(&mut y, &mut lse, &mut tiles, &qkv, ab, at, d, nh, Par::Seq);
            assert!(y.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-4));
            let mut scratch = vec![0.0; ab * at * at];
            g.throughput(Throughput::Elements(an as u64));
            for th in threads() {
                g.bench_function(format!("attention_tiled_tokens/{ab}x{at}/{}t", th.count()), |bch| {
                    bch.iter(|| {
                        th.install(|exec| {
                            let par = exec.par;
                            attention_tiled::forward(&mut y, &mut lse, &mut tiles, &qkv, ab, at, d, nh, par);
                            attention_tiled::backward(&mut dqkv, &mut tiles, &dout, &qkv, &y, &lse, ab, at, d, nh, par);
                        })
                    })
                });
                g.bench_function(format!("attention_reference_tokens/{ab}x{at}/{}t", th.count()), |bch| {
                    bch.iter(|| {
                        th.install(|exec| {
                            let par = exec.par;
                            attention::forward(&mut want, &mut att, &qkv, ab, at, d, nh, par);
                            attention::backward(&mut dqkv, &mut scratch, &dout, &qkv, &att, ab, at, d, nh, par);
                        })
                    })
                });
            }
        }

        // LayerNorm (2048, 128) and GELU (2048, 512), forward and backward.
        let dout = values(n * d, 5);
        let (gain, bias) = (values(d, 6), values(d, 7));
        let (mut ln, mut mean, mut rstd, mut dx, mut dg, mut db) =
            (vec![0.0; n * d], vec![0.0; n], vec![0.0; n], vec![0.0; n * d], vec![0.0; d], vec![0.0; d]);
        let h = values(n * m, 8);
        let (mut gl, mut dh) = (vec![0.0; n * m], vec![0.0; n * m]);
        for th in threads() {
            g.bench_function(format!("layernorm_tokens/{}t", th.count()), |bch| {
                bch.iter(|| {
                    th.install(|exec| {
                        let par = exec.par;
                        layernorm::forward(&mut ln, &mut mean, &mut rstd, &x, &gain, &bias, n, d, par);
                        layernorm::backward(&mut dx, &mut dg, &mut db, &dout, &x, &mean, &rstd, &gain, n, d, par);
                    })
                })
            });
            g.bench_function(format!("gelu_tokens/{}t", th.count()), |bch| {
                bch.iter(|| {
                    th.install(|exec| {
                        let par = exec.par;
                        gelu::forward(&mut gl, &h, par);
                        gelu::backward(&mut dh, &h, &h, par);
                    })
                })
            });
            // What the Transformer runs: tanh u kept from the forward in the gradient's buffer,
            // and the bias of the product before added as the input is read.
            g.bench_function(format!("gelu_kept_tanh_tokens/{}t", th.count()), |bch| {
                bch.iter(|| {
                    th.install(|exec| {
                        let par = exec.par;
                        gelu::forward_keeping_tanh(&mut gl, &mut dh, &h, &h[..m], par);
                        gelu::backward_from_tanh(&mut dh, &h, &h, &h[..m], par);
                    })
                })
            });
        }

        // The RNN recurrence: 64 dependent steps of (32, 128) · (128, 128), forward and backward.
        let whh = values(d * d, 9);
        let pre = values(n * d, 10);
        let (mut hs, mut dp, mut dw, mut dz, mut carry) =
            (vec![0.0; n * d], vec![0.0; n * d], vec![0.0; d * d], vec![0.0; n * d], vec![0.0; b * d]);
        for th in threads() {
            g.bench_function(format!("rnn_recurrence_tokens/{}t", th.count()), |bch| {
                bch.iter(|| {
                    hs.copy_from_slice(&pre);
                    th.install(|exec| {
                        let par = exec.par;
                        rnn_cell::forward(&mut hs, &whh, t, b, d, par);
                        rnn_cell::backward(&mut dp, &mut dw, &mut dz, &mut carry, &dout, &hs, &whh, t, b, d, par);
                    })
                })
            });
        }

        // The minGRU's scan, forward and backward: the standard (32, 64, 128), whole windows per
        // thread; and one window of 2,048, which only the cuts inside the window can share.
        for (sb, st) in [(b, t), (1, 2048)] {
            let sn = sb * st;
            let a: Vec<f32> = values(sn * d, 11).iter().map(|v| 0.5 + 0.45 * v.tanh()).collect();
            let xs = values(sn * d, 12);
            let (mut hs, mut want, mut dx, mut da) =
                (vec![0.0; sn * d], vec![0.0; sn * d], vec![0.0; sn * d], vec![0.0; sn * d]);
            let mut scratch = Vec::new();
            scan::sequential(&mut want, &a, &xs, (sb, st, d));
            let [_, two] = threads();
            two.install(|exec| {
                let chunk = scan::chunk_rows(sb, st, exec.par.degree());
                scan::forward(&mut hs, &mut scratch, &a, &xs, (sb, st, d), chunk, exec.par)
            });
            assert!(hs.iter().zip(&want).all(|(h, w)| (h - w).abs() < 1e-4 * (1.0 + w.abs())));
            g.throughput(Throughput::Elements(sn as u64));
            for th in threads() {
                g.bench_function(format!("scan_tokens/b{sb}xt{st}/{}t", th.count()), |bch| {
                    bch.iter(|| {
                        th.install(|exec| {
                            let (par, dims) = (exec.par, (sb, st, d));
                            let chunk = scan::chunk_rows(sb, st, par.degree());
                            scan::forward(&mut hs, &mut scratch, &a, &xs, dims, chunk, par);
                            scan::backward((&mut dx, &mut da), &mut scratch, &xs, &a, &hs, dims, chunk, par);
                        })
                    })
                });
            }
        }
        g.finish();
    }
}

mod word2vec {
    use super::*;
    use sideways::embed::word2vec::{train, Word2VecConfig};

    /// One epoch of skip-gram (dim 100, window 5, negative 5, min-count 5, sample 1e-3) on
    /// tinyshakespeare (or the default corpus), in corpus words per second.
    pub fn bench(c: &mut Criterion) {
        let text = match std::env::var_os("SIDEWAYS_CORPORA") {
            Some(dir) => std::fs::read_to_string(std::path::Path::new(&dir).join("tinyshakespeare.txt")).unwrap(),
            None => Corpus::default_corpus().text,
        };
        let config = Word2VecConfig { epochs: 1, ..Word2VecConfig::default() };
        let mut g = c.benchmark_group("word2vec");
        g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
        for t in threads() {
            let (_, report) = train(&text, &config, &t, &mut |_| {}).unwrap();
            g.throughput(Throughput::Elements(report.corpus_words));
            g.bench_function(format!("skipgram_epoch_words/{}t", t.count()), |b| {
                b.iter(|| train(&text, &config, &t, &mut |_| {}).unwrap())
            });
        }
        g.finish();
        kernels(c);
    }

    /// The inner loop's two kernels at its shapes (d = 100; one context word against the centre
    /// word and 5 noise words; a noise word's row plus the 10 context rows of a full window),
    /// each against the one-row-at-a-time form it replaced, after checking both give the same
    /// bits.
    fn kernels(c: &mut Criterion) {
        use sideways::linalg::vecmath::{axpy, axpys, dot, dots};
        let d = 100;
        let (h, rows, coeffs) = (values(d, 1), values(10 * d, 2), values(10, 3));
        let row = |k: usize| &rows[k * d..(k + 1) * d];
        let one_by_one = || std::array::from_fn::<f32, 6, _>(|k| dot(&h, row(k)));
        let by_three = || {
            let (a, b) = (dots(&h, [row(0), row(1), row(2)]), dots(&h, [row(3), row(4), row(5)]));
            [a[0], a[1], a[2], b[0], b[1], b[2]]
        };
        assert_eq!(one_by_one().map(f32::to_bits), by_three().map(f32::to_bits));
        let terms = || coeffs.iter().enumerate().map(|(k, &a)| (a, row(k)));
        let (mut y1, mut y2) = (h.clone(), h.clone());
        terms().for_each(|(a, x)| axpy(&mut y1, a, x));
        axpys(&mut y2, terms());
        assert_eq!(
            y1.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            y2.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );

        let mut g = c.benchmark_group("word2vec_kernels");
        g.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
        g.throughput(Throughput::Elements(6));
        g.bench_function("score_6_rows/dot_each", |b| b.iter(|| std::hint::black_box(one_by_one())));
        g.bench_function("score_6_rows/dots_3", |b| b.iter(|| std::hint::black_box(by_three())));
        g.throughput(Throughput::Elements(10));
        g.bench_function("add_10_rows/axpy_each", |b| {
            b.iter(|| terms().for_each(|(a, x)| axpy(std::hint::black_box(&mut y1), a, x)))
        });
        g.bench_function("add_10_rows/axpys", |b| b.iter(|| axpys(std::hint::black_box(&mut y2), terms())));
        g.finish();
    }
}

criterion_group!(benches, train_step::bench, kernels::bench, word2vec::bench);
criterion_main!(benches);
