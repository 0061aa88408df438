//! The checkpoint format: exact round trip, and a clear error for every kind of damage.

mod common;

use std::sync::Arc;

use sideways::data::{DataConfig, Dataset};
use sideways::linalg::{Par, Threads};
use sideways::model::{self, ModelConfig, ModelKind, SizeOverrides};
use sideways::train::{Checkpoint, TrainConfig, Trainer, FORMAT_VERSION};

fn trained(kind: ModelKind) -> Trainer {
    let data = Arc::new(Dataset::new(&common::small_corpus(30_000), DataConfig::default()).unwrap());
    let config =
        ModelConfig::with_overrides(kind, data.vocab.len(), SizeOverrides { d_model: Some(16), ..Default::default() });
    let train = TrainConfig { batch_size: 4, seq_len: 16, ..TrainConfig::default() };
    let mut t = Trainer::new(model::build(&config, 1, None).unwrap(), data, train, Threads::new(1).unwrap()).unwrap();
    for _ in 0..3 {
        t.step();
    }
    t
}

#[test]
fn round_trip_keeps_everything_and_leaves_no_temp_file() {
    let dir = common::temp_dir("ckpt-roundtrip");
    for kind in ModelKind::ALL {
        let t = trained(kind);
        let path = dir.join(format!("{kind}.ckpt"));
        let saved = t.checkpoint();
        saved.save(&path).unwrap();
        let loaded = Checkpoint::load(&path).unwrap();
        assert_eq!(loaded.params, saved.params);
        assert_eq!((&loaded.optimizer.m, &loaded.optimizer.v), (&saved.optimizer.m, &saved.optimizer.v));
        assert_eq!(loaded.optimizer.step, 3);
        assert_eq!(loaded.header.vocab, saved.header.vocab);
        assert_eq!(loaded.header.model, saved.header.model);
        // The rebuilt model predicts exactly what the trained one does.
        let mut a = saved.model().unwrap();
        let mut b = loaded.model().unwrap();
        let ids = [3u32, 4, 5];
        a.forward(&ids, None, 1, 3, Par::Seq);
        b.forward(&ids, None, 1, 3, Par::Seq);
        assert_eq!(a.probs(0, 2), b.probs(0, 2));
        // Saving again over the same name works and leaves only the checkpoints.
        saved.save(&path).unwrap();
    }
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["rnn.ckpt", "transformer.ckpt"]);
}

fn load_err(dir: &std::path::Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    Checkpoint::load(&path).err().unwrap_or_else(|| panic!("{name} loaded")).to_string()
}

#[test]
fn damaged_files_are_refused_with_a_reason() {
    let dir = common::temp_dir("ckpt-damage");
    let path = dir.join("good.ckpt");
    trained(ModelKind::Transformer).checkpoint().save(&path).unwrap();
    let good = std::fs::read(&path).unwrap();

    for cut in [0, 5, 8, 14, 30, good.len() / 2, good.len() - 1] {
        let e = load_err(&dir, "cut.ckpt", &good[..cut]);
        assert!(e.contains("truncated") || e.contains("not a sideways checkpoint"), "cut at {cut}: {e}");
    }
    let mut flipped = good.clone();
    let at = flipped.len() - 100;
    flipped[at] ^= 0x40;
    assert!(load_err(&dir, "flip.ckpt", &flipped).contains("checksum"));

    let mut future = good.clone();
    future[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let e = load_err(&dir, "future.ckpt", &future);
    assert!(e.contains("format version 2") && e.contains("reads version 1"), "{e}");

    // A huge announced header must not be allocated: it is checked against the file length.
    let mut huge = good[..12].to_vec();
    huge.extend_from_slice(&u64::MAX.to_le_bytes());
    assert!(load_err(&dir, "huge.ckpt", &huge).contains("truncated"));

    // A file whose tensors are named or shaped differently loads, but builds no model.
    let mut renamed = Checkpoint::load(&path).unwrap();
    renamed.header.tensors[0].name = "token_table".into();
    let e = renamed.model().err().unwrap().to_string();
    assert!(e.contains("tensor names or shapes") && e.contains("good.ckpt"), "{e}");

    let e = load_err(&dir, "text.ckpt", b"first citizen: before we proceed");
    assert!(e.contains("not a sideways checkpoint"), "{e}");
    let e = Checkpoint::load(&dir.join("missing.ckpt")).err().unwrap().to_string();
    assert!(e.contains("missing.ckpt"), "{e}");
}

#[test]
fn saving_into_a_missing_folder_fails_cleanly() {
    let dir = common::temp_dir("ckpt-nofolder");
    let e = trained(ModelKind::Rnn).checkpoint().save(&dir.join("no/such/dir/x.ckpt")).unwrap_err();
    assert!(e.to_string().contains("writable"), "{e}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}
