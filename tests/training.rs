//! Training really learns, is deterministic, and resumes exactly.

mod common;

use std::sync::Arc;

use sideways::cli::summary::train_and_summarise;
use sideways::data::{Corpus, DataConfig, Dataset};
use sideways::linalg::Threads;
use sideways::model::{self, ModelConfig, ModelKind, SizeOverrides};
use sideways::train::{Checkpoint, TrainConfig, Trainer};

fn small_trainer(kind: ModelKind, threads: usize) -> Trainer {
    let data = Arc::new(Dataset::new(&common::small_corpus(60_000), DataConfig::default()).unwrap());
    let sizes = SizeOverrides { d_model: Some(32), ..Default::default() };
    let config = ModelConfig::with_overrides(kind, data.vocab.len(), sizes);
    let model = model::build(&config, 5, None).unwrap();
    let train = TrainConfig { batch_size: 8, seq_len: 32, seed: 5, ..TrainConfig::default() };
    Trainer::new(model, data, train, Threads::new(threads).unwrap()).unwrap()
}

fn losses(t: &mut Trainer, steps: usize) -> Vec<f32> {
    (0..steps).map(|_| t.step().loss).collect()
}

#[test]
fn same_seed_and_threads_give_identical_losses() {
    for kind in ModelKind::ALL {
        for threads in [1, 2] {
            let a = losses(&mut small_trainer(kind, threads), 15);
            let b = losses(&mut small_trainer(kind, threads), 15);
            assert_eq!(a, b, "{kind} on {threads} threads");
            assert!(a[14] < a[0], "{kind}: the loss did not fall: {a:?}");
        }
    }
}

#[test]
fn resume_continues_the_same_loss_trajectory() {
    let dir = common::temp_dir("resume");
    let path = dir.join("run.ckpt");
    for kind in ModelKind::ALL {
        let straight = losses(&mut small_trainer(kind, 2), 20);
        let mut first = small_trainer(kind, 2);
        let mut resumed_losses = losses(&mut first, 8);
        first.checkpoint().save(&path).unwrap();
        drop(first);
        let corpus = common::small_corpus(60_000);
        let mut resumed = Trainer::resume(Checkpoint::load(&path).unwrap(), &corpus, Threads::new(2).unwrap()).unwrap();
        assert_eq!(resumed.steps_done(), 8);
        resumed_losses.extend(losses(&mut resumed, 12));
        assert_eq!(straight, resumed_losses, "{kind}");
        // Resuming on other data is refused.
        let other = Corpus { name: "other".into(), text: corpus.text.replace("king", "queen") };
        let e = Trainer::resume(Checkpoint::load(&path).unwrap(), &other, Threads::new(1).unwrap()).err().unwrap();
        assert!(e.to_string().contains("differs from the corpus"), "{e}");
    }
}

#[test]
fn default_corpus_teaches_habits_and_context() {
    let data = Arc::new(Dataset::new(&Corpus::default_corpus(), DataConfig::default()).unwrap());
    for kind in ModelKind::ALL {
        let s = train_and_summarise(kind, &data, 150, 1337, Threads::new(2).unwrap(), true).unwrap();
        let top3 = |prompt: usize| s.next[prompt].1.iter().take(3).map(|p| p.word.as_str()).collect::<Vec<_>>();
        assert!(top3(0).iter().any(|w| ["morning", "night"].contains(w)), "{kind} after 'good': {:?}", top3(0));
        assert!(
            top3(1).iter().any(|w| ["breakfast", "lunch", "dinner", "supper"].contains(w)),
            "{kind} after 'i ate a good': {:?}",
            top3(1)
        );
        assert!(s.val_loss < 1.6, "{kind}: validation loss {}", s.val_loss);
    }
}

/// bench-config.md's quality bar: validation loss after exactly 300 standard steps.
#[test]
fn standard_config_reaches_the_reference_validation_loss() {
    let Some(path) = common::shared_corpus("tinyshakespeare.txt") else {
        return;
    };
    let data = Arc::new(Dataset::new(&Corpus::load(&path).unwrap(), DataConfig::default()).unwrap());
    for (kind, bound) in [(ModelKind::Rnn, 5.10), (ModelKind::Transformer, 4.85)] {
        let model = model::build(&ModelConfig::standard(kind, 4096), 1337, None).unwrap();
        let mut t = Trainer::new(model, data.clone(), TrainConfig::default(), Threads::new(2).unwrap()).unwrap();
        let first = t.step().loss;
        assert!((first - (4096f32).ln()).abs() < 0.1, "{kind}: initial loss {first}, expected about ln 4096");
        for _ in 1..300 {
            t.step();
        }
        let e = t.evaluate();
        eprintln!("{kind}: validation loss after 300 steps {:.3} (bound {bound})", e.loss);
        assert!(e.loss < bound, "{kind}: validation loss {} ≥ {bound}", e.loss);
        assert_eq!(e.tokens, 394 * 64);
    }
}
