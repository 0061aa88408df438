//! The checkpoint format: exact round trip, and a clear error for every kind of damage.

mod common;

use std::sync::Arc;

use sideways::data::{DataConfig, Dataset};
use sideways::linalg::{Exec, Threads};
use sideways::model::{Buffer, ModelConfig, ModelKind, SizeOverrides};
use sideways::train::{Checkpoint, TrainConfig, Trainer, FORMAT_VERSION};

fn trained(kind: ModelKind) -> Trainer {
    let data = Arc::new(Dataset::new(&common::small_corpus(30_000), DataConfig::default()).unwrap());
    let config =
        ModelConfig::new(kind, data.vocab.len(), &SizeOverrides { d_model: Some(16), ..Default::default() }, 16);
    let train = TrainConfig { batch_size: 4, seq_len: 16, ..TrainConfig::default() };
    let mut t = Trainer::new(config.build(1).unwrap(), data, train, Threads::new(1).unwrap()).unwrap();
    for _ in 0..3 {
        t.step();
    }
    t
}

#[test]
fn round_trip_keeps_everything_and_leaves_no_temp_file() {
    let dir = common::temp_dir("ckpt-roundtrip");
    for kind in ModelKind::all() {
        let t = trained(kind);
        let path = dir.join(format!("{kind}.ckpt"));
        let saved = t.checkpoint();
        saved.save(&path).unwrap();
        let loaded = Checkpoint::load(&path).unwrap();
        assert_eq!(loaded.params, saved.params);
        assert_eq!((&loaded.m, &loaded.v), (&saved.m, &saved.v));
        assert!(loaded.m.iter().any(|&m| m != 0.0), "the moments are saved too");
        assert_eq!(loaded.header.step, 3);
        assert_eq!(loaded.header.vocab, saved.header.vocab);
        assert_eq!(loaded.header.model, saved.header.model);
        // The rebuilt model predicts exactly what the trained one does, and carries the
        // optimizer's state.
        let (mut a, mut b) = (saved.model().unwrap(), loaded.model().unwrap());
        let ids = [3u32, 4, 5];
        a.forward(&ids, None, 1, 3, Exec::SEQ);
        b.forward(&ids, None, 1, 3, Exec::SEQ);
        let (mut pa, mut pb) = (vec![0.0; saved.header.vocab.len()], vec![0.0; saved.header.vocab.len()]);
        a.read_probs(0, 2, &mut pa);
        b.read_probs(0, 2, &mut pb);
        assert_eq!(pa, pb);
        assert_eq!(b.store().to_vec(Buffer::Moment2), saved.v);
        assert_eq!(b.store().steps(), 3);
        // Saving again over the same name works and leaves only the checkpoints.
        saved.save(&path).unwrap();
    }
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    let mut every: Vec<String> = ModelKind::all().map(|m| format!("{m}.ckpt")).collect();
    every.sort();
    assert_eq!(names, every);
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
    trained("transformer".parse().unwrap()).checkpoint().save(&path).unwrap();
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
    // Parameter counts whose byte count wraps around are refused, not trusted.
    let header_len = u64::from_le_bytes(good[12..20].try_into().unwrap()) as usize;
    for n in [u64::MAX, u64::MAX / 12, (u64::MAX - 3) / 12 + 1, 1 << 62] {
        let mut forged = good[..20 + header_len].to_vec();
        forged.extend_from_slice(&n.to_le_bytes());
        forged.extend_from_slice(&[0; 64]);
        let e = load_err(&dir, "forged.ckpt", &forged);
        assert!(e.contains(&format!("announces {n} parameters, more than its 64 bytes left hold")), "{e}");
    }
    let mut padded = good.clone();
    padded.extend_from_slice(&[0; 12]);
    let e = load_err(&dir, "padded.ckpt", &padded);
    assert!(e.contains("truncated or padded") && e.contains("more bytes, the file has"), "{e}");

    // A file whose tensor list does not add up to what it holds is refused, and says so.
    let mut reshaped = Checkpoint::load(&path).unwrap();
    reshaped.header.tensors[0].shape[0] += 1;
    let e = load_err(&dir, "reshaped.ckpt", &{
        reshaped.save(&dir.join("tmp.ckpt")).unwrap();
        std::fs::read(dir.join("tmp.ckpt")).unwrap()
    });
    assert!(e.contains("tensor list adds up to"), "{e}");
    let mut forged = Checkpoint::load(&path).unwrap();
    forged.header.tensors[0].shape = vec![usize::MAX, 3];
    forged.save(&dir.join("tmp.ckpt")).unwrap();
    let e = load_err(&dir, "overflowing.ckpt", &std::fs::read(dir.join("tmp.ckpt")).unwrap());
    assert!(e.contains("more than can be counted"), "{e}");
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
    let e = trained("rnn".parse().unwrap()).checkpoint().save(&dir.join("no/such/dir/x.ckpt")).unwrap_err();
    assert!(e.to_string().contains("writable"), "{e}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}
