//! Training really learns, is deterministic, resumes exactly, and splits into micro-batches
//! whose gradients add up to the batch's.

mod common;

use std::sync::Arc;

use sideways::commands::summary::{summary, SummaryOptions};
use sideways::data::{Corpus, DataConfig, Dataset};
use sideways::linalg::{Exec, Threads};
use sideways::model::{Buffer, ModelConfig, ModelKind, SizeOverrides};
use sideways::train::{Checkpoint, LrSchedule, TrainConfig, Trainer};

fn small_data() -> Arc<Dataset> {
    Arc::new(Dataset::new(&common::small_corpus(60_000), DataConfig::default()).unwrap())
}

fn small_trainer(kind: ModelKind, threads: usize, micro_batches: usize) -> Trainer {
    scheduled_trainer(kind, threads, micro_batches, LrSchedule::Constant)
}

fn scheduled_trainer(kind: ModelKind, threads: usize, micro_batches: usize, schedule: LrSchedule) -> Trainer {
    let data = small_data();
    let sizes = SizeOverrides { d_model: Some(32), ..Default::default() };
    let model = ModelConfig::new(kind, data.vocab.len(), &sizes, 32).build(5).unwrap();
    let train = TrainConfig { batch_size: 8, seq_len: 32, seed: 5, micro_batches, schedule, ..TrainConfig::default() };
    Trainer::new(model, data, train, Threads::new(threads).unwrap()).unwrap()
}

fn losses(t: &mut Trainer, steps: usize) -> Vec<f32> {
    (0..steps).map(|_| t.step().loss).collect()
}

#[test]
fn same_seed_and_threads_give_identical_losses() {
    for kind in ModelKind::all() {
        for threads in [1, 2] {
            let a = losses(&mut small_trainer(kind, threads, 1), 15);
            let b = losses(&mut small_trainer(kind, threads, 1), 15);
            assert_eq!(a, b, "{kind} on {threads} threads");
            assert!(a[14] < a[0], "{kind}: the loss did not fall: {a:?}");
        }
    }
}

/// Two micro-batches of 16 windows, their gradients added into the same buffers, give the
/// gradients of one batch of 32.
#[test]
fn micro_batch_gradients_add_up_to_the_batch_gradient() {
    let data = small_data();
    let (b, t) = (32, 16);
    let inputs: Vec<u32> = data.train[..b * t].to_vec();
    let targets: Vec<u32> = data.train[1..b * t + 1].to_vec();
    for kind in ModelKind::all() {
        let config =
            ModelConfig::new(kind, data.vocab.len(), &SizeOverrides { d_model: Some(16), ..Default::default() }, t);
        let mut whole = config.build(9).unwrap();
        whole.store_mut().zero_grad();
        whole.forward(&inputs, Some(&targets), b, t, Exec::SEQ);
        whole.backward(1.0, Exec::SEQ);
        let loss = whole.read_loss();
        let mut parts = config.build(9).unwrap();
        parts.store_mut().zero_grad();
        let mut part_loss = 0.0;
        for half in [0..b / 2, b / 2..b] {
            let window = half.start * t..half.end * t;
            parts.forward(&inputs[window.clone()], Some(&targets[window]), b / 2, t, Exec::SEQ);
            part_loss += 0.5 * parts.read_loss();
            parts.backward(0.5, Exec::SEQ);
        }
        assert!((loss - part_loss).abs() < 1e-5, "{kind}: loss {loss} vs {part_loss}");
        let (g, h) = (whole.store().to_vec(Buffer::Grads), parts.store().to_vec(Buffer::Grads));
        common::check_close(&format!("{kind} gradients"), &common::to_f64(&h), &common::to_f64(&g), 1e-7, 1e-4);
        assert!(g.iter().any(|&x| x != 0.0));
    }
    // Through the trainer: the same run in 1 and in 3 uneven micro-batches (3 + 3 + 2 windows).
    for kind in ModelKind::all() {
        let (one, three) = (losses(&mut small_trainer(kind, 1, 1), 8), losses(&mut small_trainer(kind, 1, 3), 8));
        let worst = one.iter().zip(&three).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 1e-4, "{kind}: {one:?} vs {three:?}");
    }
}

#[test]
fn resume_continues_the_same_loss_trajectory_with_every_schedule() {
    let dir = common::temp_dir("resume");
    let path = dir.join("run.ckpt");
    let schedules = [LrSchedule::Constant, LrSchedule::WarmupCosine { warmup: 5, total: 20, min_ratio: 0.1 }];
    for (kind, schedule) in ModelKind::all().flat_map(|k| schedules.map(|s| (k, s))) {
        let straight = losses(&mut scheduled_trainer(kind, 2, 1, schedule), 20);
        let mut first = scheduled_trainer(kind, 2, 1, schedule);
        let mut resumed_losses = losses(&mut first, 8);
        first.checkpoint().save(&path).unwrap();
        drop(first);
        let corpus = common::small_corpus(60_000);
        let mut resumed =
            Trainer::resume(&Checkpoint::load(&path).unwrap(), &corpus, Threads::new(2).unwrap()).unwrap();
        assert_eq!(resumed.steps_done(), 8);
        resumed_losses.extend(losses(&mut resumed, 12));
        assert_eq!(straight, resumed_losses, "{kind} with {schedule:?}");
        // Resuming on other data is refused.
        let other = Corpus { name: "other".into(), text: corpus.text.replace("king", "queen") };
        let e = Trainer::resume(&Checkpoint::load(&path).unwrap(), &other, Threads::new(1).unwrap()).err().unwrap();
        assert!(e.to_string().contains("differs from the corpus"), "{e}");
    }
}

#[test]
fn default_corpus_teaches_habits_and_context() {
    let options = SummaryOptions { threads: 2, ..SummaryOptions::default() };
    let r = summary(&options, &mut |_| {}).unwrap();
    assert_eq!(r.models.len(), ModelKind::all().count());
    for m in &r.models {
        let kind = m.run.model;
        let top3 = |prompt: usize| m.next[prompt].next.iter().take(3).map(|p| p.word.as_str()).collect::<Vec<_>>();
        assert!(top3(0).iter().any(|w| ["morning", "night"].contains(w)), "{kind} after 'good': {:?}", top3(0));
        assert!(
            top3(1).iter().any(|w| ["breakfast", "lunch", "dinner", "supper"].contains(w)),
            "{kind} after 'i ate a good': {:?}",
            top3(1)
        );
        let val = m.run.val_loss().unwrap();
        assert!(val < 1.6, "{kind}: validation loss {val}");
        assert_eq!(m.run.steps, 150);
    }
}

/// bench-config.md's quality bar: validation loss after exactly 300 standard steps.
#[test]
fn standard_config_reaches_the_reference_validation_loss() {
    let Some(path) = common::shared_corpus("tinyshakespeare.txt") else {
        return;
    };
    let data = Arc::new(Dataset::new(&Corpus::load(&path).unwrap(), DataConfig::default()).unwrap());
    for (kind, bound) in [("rnn", 5.10), ("transformer", 4.85), ("mingru", 5.05)] {
        let kind: ModelKind = kind.parse().unwrap();
        let model = kind.standard(4096).build(1337).unwrap();
        let mut t = Trainer::new(model, data.clone(), TrainConfig::default(), Threads::new(2).unwrap()).unwrap();
        let first = t.step().loss;
        assert!((first - (4096f32).ln()).abs() < 0.1, "{kind}: initial loss {first}, expected about ln 4096");
        for _ in 1..300 {
            t.step();
        }
        let e = t.evaluate();
        eprintln!("{kind}: validation loss after 300 steps {:.3} (bound {bound})", e.val_loss);
        assert!(e.val_loss < bound, "{kind}: validation loss {} ≥ {bound}", e.val_loss);
        assert_eq!(e.tokens, 394 * 64);
    }
}
