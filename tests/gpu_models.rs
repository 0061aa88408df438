//! Whole models on the GPU against the same models on the CPU: the forward read-backs, the
//! gradients of one step, and a few steps of training through the trainer (clipping and AdamW on
//! the device), from the same seed on the same batches. Then the device refusing what does not
//! fit with an error rather than a panic. Skipped without an adapter unless
//! `SIDEWAYS_GPU=required` (set by `.ci/run`, which installs the software one).
#![cfg(feature = "gpu")]

mod common;

use std::sync::Arc;

use common::gpu::{close, gpu};
use sideways::bench::sweep::{self, SweepConfig};
use sideways::commands::train::{train, TrainOptions};
use sideways::data::{DataConfig, Dataset};
use sideways::gpu::GpuChoice;
use sideways::linalg::Peaks;
use sideways::linalg::{Exec, Threads};
use sideways::model::{Buffer, LanguageModel, ModelConfig, ModelKind, SizeOverrides};
use sideways::train::{Preset, TrainConfig, Trainer};

const SEQ: usize = 12;
const BATCH: usize = 4;

fn data() -> Arc<Dataset> {
    Arc::new(Dataset::new(&common::small_corpus(20_000), DataConfig::default()).unwrap())
}

/// A small configuration with two blocks and two heads, so that every layer and the residual
/// stream between blocks is exercised.
fn config(kind: ModelKind, vocab: usize) -> ModelConfig {
    let sizes = SizeOverrides { d_model: Some(24), hidden_size: Some(20), n_heads: Some(2), ..Default::default() };
    ModelConfig::new(kind, vocab, &sizes, SEQ)
}

fn pair(
    kind: ModelKind,
    data: &Dataset,
    gpu: &Arc<sideways::gpu::Gpu>,
) -> (Box<dyn LanguageModel>, Box<dyn LanguageModel>) {
    let c = config(kind, data.vocab.len());
    (c.build(3).unwrap(), c.build_gpu(3, gpu).unwrap())
}

#[test]
fn forward_and_gradients_agree_with_the_cpu() {
    let Some(gpu) = gpu() else { return };
    let data = data();
    let n = BATCH * SEQ;
    let (inputs, targets) = (&data.train[..n], &data.train[1..n + 1]);
    for kind in ModelKind::all() {
        let (mut cpu, mut dev) = pair(kind, &data, &gpu);
        assert_eq!(cpu.store().to_vec(Buffer::Values), dev.store().to_vec(Buffer::Values), "{kind}: start");
        for m in [&mut cpu, &mut dev] {
            m.store_mut().zero_grad();
            m.forward(inputs, Some(targets), BATCH, SEQ, Exec::SEQ);
        }
        let (lc, ld) = (cpu.read_loss(), dev.read_loss());
        assert!((lc - ld).abs() < 1e-4 * lc, "{kind}: loss {ld} on the GPU, {lc} on the CPU");
        let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
        cpu.read_losses(&mut a);
        dev.read_losses(&mut b);
        close(&format!("{kind} losses"), &b, &a, 1e-4);
        let v = data.vocab.len();
        let (mut a, mut b) = (vec![0.0; v], vec![0.0; v]);
        cpu.read_probs(BATCH - 1, SEQ - 2, &mut a);
        dev.read_probs(BATCH - 1, SEQ - 2, &mut b);
        close(&format!("{kind} probabilities"), &b, &a, 1e-4);
        let (mut a, mut b) = (vec![0; n], vec![0; n]);
        cpu.read_argmax(&mut a);
        dev.read_argmax(&mut b);
        let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
        assert!(same + 1 >= n, "{kind}: argmax agrees at {same} of {n} positions");
        let (tc, td) = (cpu.read_trace(), dev.read_trace());
        let flat = |t: &sideways::model::Trace| -> Vec<f32> {
            let att = t.attention.iter().flatten().flatten().flatten().copied();
            att.chain(t.hidden_norms.iter().flatten().copied()).collect()
        };
        assert!(!flat(&tc).is_empty());
        close(&format!("{kind} trace"), &flat(&td), &flat(&tc), 1e-4);
        for m in [&mut cpu, &mut dev] {
            m.backward(1.0, Exec::SEQ);
        }
        let (gc, gd) = (cpu.store().to_vec(Buffer::Grads), dev.store().to_vec(Buffer::Grads));
        assert!(gc.iter().any(|&g| g != 0.0));
        for t in cpu.store().layout().specs() {
            let r = t.range();
            close(&format!("{kind} gradient of {}", t.name), &gd[r.clone()], &gc[r], 2e-3);
        }
    }
}

#[test]
fn training_on_the_gpu_follows_the_cpu() {
    let Some(gpu) = gpu() else { return };
    let data = data();
    let train = TrainConfig { batch_size: BATCH, seq_len: SEQ, seed: 3, ..TrainConfig::default() };
    for kind in ModelKind::all() {
        let (cpu, dev) = pair(kind, &data, &gpu);
        let mut cpu = Trainer::new(cpu, data.clone(), train, Threads::new(1).unwrap()).unwrap();
        let mut dev = Trainer::new(dev, data.clone(), train, Threads::new(1).unwrap()).unwrap();
        let dispatches = gpu.dispatches();
        for step in 0..8 {
            let (a, b) = (cpu.step(), dev.step());
            assert!((a.loss - b.loss).abs() < 2e-3 * a.loss, "{kind} step {step}: loss {} vs {}", b.loss, a.loss);
            assert!((a.grad_norm - b.grad_norm).abs() < 2e-3 * a.grad_norm, "{kind} step {step}: norm");
        }
        assert!(gpu.dispatches() > dispatches, "{kind}: the GPU trainer dispatched nothing");
        let (wc, wd) = (cpu.model().store().to_vec(Buffer::Values), dev.model().store().to_vec(Buffer::Values));
        close(&format!("{kind} weights after 8 steps"), &wd, &wc, 2e-3);
        let (ec, ed) = (cpu.evaluate(), dev.evaluate());
        assert!((ec.val_loss - ed.val_loss).abs() < 2e-3 * ec.val_loss, "{kind}: validation {ed:?} vs {ec:?}");
        assert!((ec.accuracy - ed.accuracy).abs() < 0.01, "{kind}: accuracy {ed:?} vs {ec:?}");
    }
}

#[test]
fn what_does_not_fit_on_the_device_is_an_error() {
    let Some(gpu) = gpu() else { return };
    let data = data();
    let max = gpu.info.max_binding_bytes as usize;
    for kind in ModelKind::all() {
        // Probabilities (batch · seq, vocab) larger than one binding.
        let mut m = config(kind, data.vocab.len()).build_gpu(3, &gpu).unwrap();
        let batch = max / (4 * SEQ * data.vocab.len()) + 1;
        let e = gpu.allocating("a huge batch", || m.reserve(batch, SEQ)).expect_err("refused");
        assert!(e.to_string().contains("binds at most"), "{kind}: {e}");
        // A model whose parameters alone exceed one binding is refused before anything is built.
        let vocab = max / 4 / 24 + 1;
        let Err(e) = config(kind, vocab).build_gpu(3, &gpu) else { panic!("{kind}: not refused") };
        assert!(e.to_string().contains("binds at most"), "{kind}: {e}");
    }
}

/// A sweep with GPU points: each is measured on the device and compared with the CPU, and the
/// chain of kernels shows the critical path — the RNN's grows with the window, the
/// Transformer's and the minGRU's (a scan of three dispatches) do not.
#[test]
fn a_bench_sweep_measures_gpu_points_and_their_kernel_chains() {
    let Some(gpu) = gpu() else { return };
    let config = SweepConfig {
        models: ModelKind::all().collect(),
        preset: Preset::Standard,
        threads: vec![1],
        gpus: vec![gpu.index()],
        seq_lens: vec![4, 8],
        tokens_per_step: 16,
    };
    let r = sweep::run(&data(), config, &Peaks::default(), &mut |_| {}).unwrap();
    let models = ModelKind::all().count();
    assert_eq!(r.points.len(), 4 * models);
    let on_gpu = |model: &str, seq: usize| {
        let p = r.points.iter().find(|p| p.model.name() == model && p.seq_len == seq && p.gpu.is_some()).unwrap();
        assert!(p.tokens_per_s > 0.0 && p.device.is_some() && p.peak_share.is_none(), "{p:?}");
        p.dispatches.expect("a GPU point counts its kernels")
    };
    let (rnn4, rnn8) = (on_gpu("rnn", 4), on_gpu("rnn", 8));
    assert!(rnn8 > rnn4 + 4, "the RNN's chain grows with the window: {rnn4} → {rnn8}");
    assert_eq!(on_gpu("transformer", 4), on_gpu("transformer", 8), "the Transformer's does not");
    assert_eq!(on_gpu("mingru", 4), on_gpu("mingru", 8), "nor does the minGRU's scan");
    assert_eq!(r.gpu_ratios.len(), 2 * models, "every GPU point against the CPU");
    assert!(r.points.iter().filter(|p| p.gpu.is_none()).all(|p| p.dispatches.is_none() && p.device.is_none()));
    assert!(r.fastest.iter().all(|f| f.threads == 1), "the fastest CPU lane is a CPU lane");
    // The charts draw the GPU beside the CPU, each its own curve over the windows.
    let charts = sideways::bench::charts::charts(&r, false);
    let (_, by_window) = charts.iter().find(|(name, _)| *name == "seq_len").unwrap();
    let names: Vec<&str> = by_window.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names.len(), 2 * models, "{names:?}");
    assert!(by_window.series.iter().all(|s| s.points.len() == 2), "{names:?}");
    assert!(names.contains(&format!("rnn (gpu:{})", gpu.index()).as_str()), "{names:?}");
}

/// `--preset gpu` is refused, with the numbers, by an adapter that cannot hold it (the software
/// one binds 128 MiB; the preset's Transformer is over 300 MiB of weights).
#[test]
fn the_gpu_preset_is_refused_with_numbers_where_it_does_not_fit() {
    let Some(gpu) = gpu() else { return };
    let p = Preset::Gpu;
    let options = TrainOptions {
        model: Some("transformer".parse().unwrap()),
        corpus: None,
        data: p.data(),
        sizes: p.sizes(),
        train: p.train(),
        device: Some(GpuChoice::Index(gpu.index())),
        steps: 1,
        ..TrainOptions::default()
    };
    let config = ModelConfig::new("transformer".parse().unwrap(), 225, &p.sizes(), p.seq_len());
    if 4 * config.param_count() as u64 <= gpu.info.max_binding_bytes {
        eprintln!("skipped: {} holds the gpu preset", gpu.describe());
        return;
    }
    let e = train(&options, &mut |_| {}).expect_err("refused");
    let text = e.to_string();
    assert!(text.contains("binds at most") && text.contains("MiB"), "{text}");
}
