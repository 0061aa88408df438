//! Hostile input, as a user would try it against the binary: nothing may panic, hang, eat all
//! memory or destroy a file. Each class of defect is tried with its first example and another
//! input of the same kind.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn sideways(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sideways")).args(args).output().unwrap()
}

/// Exit code 1, one `error:` line that contains `expect`, and no panic.
fn refused(out: &Output, what: &str, expect: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{what} should fail: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{what}: {err}");
    assert!(errors[0].contains(expect), "{what}: expected {expect:?} in {err}");
}

fn fails(args: &[&str], expect: &str) {
    refused(&sideways(args), &format!("{args:?}"), expect);
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

/// A small corpus file and a checkpoint trained on it.
fn small_run(dir: &Path) -> (String, String) {
    let corpus = write(dir, "small.txt", common::small_corpus(20_000).text.as_bytes());
    let ckpt = dir.join("small.ckpt").to_str().unwrap().to_string();
    let out =
        sideways(&["train", "--model", "rnn", "--corpus", &corpus, "--steps", "3", "--d-model", "16", "--save", &ckpt]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (corpus, ckpt)
}

/// Class 1: a standard output that fails (a full disk) is an error, not a panic.
#[cfg(unix)]
#[test]
fn a_failing_standard_output_is_an_error_not_a_panic() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full here");
        return;
    }
    let dir = common::temp_dir("hard-stdout");
    let (corpus, ckpt) = small_run(&dir);
    let vectors = dir.join("v.txt").to_str().unwrap().to_string();
    let out = sideways(&[
        "embed",
        "train",
        "--corpus",
        &corpus,
        "-o",
        &vectors,
        "--dim",
        "8",
        "--epochs",
        "1",
        "--min-count",
        "1",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cases: [&[&str]; 7] = [
        &["corpus", "--tokens", "2000"],
        &["predict", &ckpt, "good", "--json"],
        &["predict", &ckpt, "good"],
        &["train", "--model", "rnn", "--corpus", &corpus, "--steps", "2", "--d-model", "8", "--json"],
        &["race", "--lanes", "rnn@1", "--corpus", &corpus, "--budget", "2steps", "--json"],
        &["embed", "neighbors", &vectors, "king"],
        &["compute"],
    ];
    for args in cases {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_sideways")).args(args).stdout(Stdio::from(full)).output().unwrap();
        refused(&out, &format!("{args:?} > /dev/full"), "No space left on device");
    }
}

/// Class 1: sizes from the command line that would overflow or exhaust memory are refused
/// before anything is allocated.
#[test]
fn absurd_counts_are_refused_before_allocating() {
    let dir = common::temp_dir("hard-counts");
    let (_, ckpt) = small_run(&dir);
    fails(&["corpus", "--tokens", "18446744073709551615"], "tokens");
    fails(&["corpus", "--tokens", "1000000000000"], "tokens");
    fails(&["generate", &ckpt, "--prompt", "good", "--words", "1000000000000"], "words");
    // A model whose activations cannot fit: 200 windows of 4096 tokens with 128 heads.
    let started = Instant::now();
    fails(
        &[
            "train",
            "--model",
            "transformer",
            "--seq-len",
            "4096",
            "--batch-size",
            "200",
            "--heads",
            "128",
            "--steps",
            "1",
        ],
        "memory",
    );
    assert!(started.elapsed() < Duration::from_secs(60), "refused before the work");
}

/// Class 2 and the grammar's share of class 1: a grammar that cannot be generated (or whose
/// weights cannot be drawn from) is refused when it is read.
#[test]
fn impossible_grammars_are_refused_quickly() {
    let dir = common::temp_dir("hard-grammar");
    let grammar = |opening: &str, cast: &str| {
        format!("[cast]\n{cast}\n[opening]\n{opening}\n[middle]\nx .\n[ending]\ny .\n[habit]\nz .\n")
    };
    let two = "king he him his\nqueen she her her";
    let cases = [
        (grammar("the {who} met the {other} .", "king he him his\nking he him his"), "{other}"),
        (grammar("0* a .", two), "weight 0"),
        (grammar("9000000000000000000* a .\n9000000000000000000* b .", two), "weight"),
        (grammar("999999999* a .\n999999999* b .", two), "add up to"),
    ];
    for (i, (text, expect)) in cases.iter().enumerate() {
        let path = write(&dir, &format!("g{i}.grammar"), text.as_bytes());
        let started = Instant::now();
        fails(&["corpus", "--grammar", &path, "--tokens", "1000"], expect);
        assert!(started.elapsed() < Duration::from_secs(10), "{expect}: no hang");
    }
}

/// Class 3: files that are not text files, or could not fit, are refused with the reason.
#[cfg(unix)]
#[test]
fn devices_and_pipes_are_not_corpora() {
    let base = ["train", "--model", "rnn", "--steps", "1", "--corpus"];
    fails(&[&base[..], &["/dev/zero"]].concat(), "not a regular file");
    let dir = common::temp_dir("hard-fifo");
    let fifo = dir.join("pipe.txt");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        fails(&[&base[..], &[fifo.to_str().unwrap()]].concat(), "not a regular file");
    }
}

/// Class 4: links are written through, bad output paths are found before the work.
#[cfg(unix)]
#[test]
fn saves_write_through_links_and_bad_paths_fail_first() {
    let dir = common::temp_dir("hard-files");
    let (corpus, ckpt) = small_run(&dir);
    let link = dir.join("latest.ckpt");
    std::os::unix::fs::symlink(&ckpt, &link).unwrap();
    let out = sideways(&["train", "--resume", link.to_str().unwrap(), "--corpus", &corpus, "--steps", "5"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link is still a link");
    let out = sideways(&["predict", &ckpt, "good", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["step"], 5, "the run the link points at was updated");
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Unwritable targets are found before any training.
    let nodir = dir.join("nodir/x.ckpt");
    let out = sideways(&[
        "train",
        "--model",
        "rnn",
        "--corpus",
        &corpus,
        "--steps",
        "100000",
        "--save",
        nodir.to_str().unwrap(),
    ]);
    refused(&out, "--save into a missing folder", "x.ckpt");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("step"), "no training happened");
    fails(&["embed", "train", "--corpus", &corpus, "-o", dir.join("nodir/v.bin").to_str().unwrap()], "v.bin");
    fails(
        &["race", "--lanes", "rnn@1", "--corpus", &corpus, "--results", dir.join("nodir/r.json").to_str().unwrap()],
        "r.json",
    );
}

/// Class 5: numbers that are not numbers are refused where they come in, and training that
/// stops making sense stops with an error and saves nothing.
#[test]
fn non_finite_numbers_are_refused() {
    let dir = common::temp_dir("hard-nan");
    let (corpus, ckpt) = small_run(&dir);
    let text = write(&dir, "nan.txt", b"2 3\nking 1 2 3\nqueen 4 NaN 6\n");
    fails(&["embed", "neighbors", &text, "king"], "line 3");
    let glove = write(&dir, "inf.vec", b"king 1 2\nqueen inf 4\n");
    fails(&["embed", "neighbors", &glove, "king"], "not a finite number");
    let mut bin = b"2 2\nking ".to_vec();
    bin.extend([1.0f32, 2.0].iter().flat_map(|x| x.to_le_bytes()));
    bin.extend(b"\nqueen ");
    bin.extend([f32::NAN, 2.0].iter().flat_map(|x| x.to_le_bytes()));
    bin.push(b'\n');
    fails(&["embed", "neighbors", &write(&dir, "nan.bin", &bin), "king"], "not a finite number");
    // A checkpoint holding a NaN (with a correct checksum) is refused, naming the tensor.
    let mut bytes = std::fs::read(&ckpt).unwrap();
    let body = bytes.len() - 4;
    let at = body - 4; // the last second moment
    bytes[at..body].copy_from_slice(&f32::NAN.to_le_bytes());
    let crc = crc32fast::hash(&bytes[..body]);
    bytes[body..].copy_from_slice(&crc.to_le_bytes());
    fails(&["predict", &write(&dir, "nan.ckpt", &bytes), "good"], "b_out");
    // Training whose weights stop being numbers stops with an error, and saves nothing.
    use sideways::data::{Corpus, DataConfig, Dataset};
    use sideways::model::{Buffer, ModelKind};
    use sideways::train::{Budget, Run, RunConfig, TrainConfig, Trainer};
    let data =
        std::sync::Arc::new(Dataset::new(&Corpus::load(Path::new(&corpus)).unwrap(), DataConfig::default()).unwrap());
    let kind: ModelKind = "transformer".parse().unwrap();
    let poisoned_run = |at_end: bool, saved: &Path| {
        let mut model = kind.standard(data.vocab.len()).build(1).unwrap();
        // The last entry of the output bias reaches every prediction; the first row of the
        // embedding table (`<unk>`) only the windows that hold an unknown word.
        let at = if at_end { model.store().layout().len() - 1 } else { 0 };
        model.store_mut().write(Buffer::Values, at, &[f32::NAN]);
        let train = TrainConfig { batch_size: 4, seq_len: 16, ..TrainConfig::default() };
        let trainer = Trainer::new(model, data.clone(), train, sideways::linalg::Threads::new(1).unwrap()).unwrap();
        let config = RunConfig { save: Some(saved.to_path_buf()), ..RunConfig::new("poisoned", Budget::Steps(5)) };
        Run::new(trainer, config).unwrap().run_to_end(&mut |_| {}).unwrap_err().to_string()
    };
    let saved = dir.join("diverged.ckpt");
    let e = poisoned_run(true, &saved);
    assert!(e.contains("training stopped at step 1") && e.contains("NaN"), "{e}");
    let e = poisoned_run(false, &saved);
    assert!(e.contains("wte[0] is NaN") && e.contains("nothing was written"), "{e}");
    assert!(!saved.exists(), "no checkpoint holds a value that is not a number");
}

/// Class 6: a resumed run keeps its checkpoint's configuration and says so.
#[test]
fn options_that_conflict_with_a_checkpoint_are_refused() {
    let dir = common::temp_dir("hard-resume");
    let (corpus, ckpt) = small_run(&dir);
    for option in [["--lr", "0.01"], ["--batch-size", "8"], ["--d-model", "32"], ["--warmup", "5"]] {
        fails(&[&["train", "--resume", &ckpt, "--corpus", &corpus, "--steps", "6"][..], &option].concat(), option[0]);
    }
    let out = sideways(&["train", "--resume", &ckpt, "--corpus", &corpus, "--steps", "5", "--threads", "1"]);
    assert!(out.status.success(), "threads may change: {}", String::from_utf8_lossy(&out.stderr));
}

/// Class 8: small ones.
#[test]
fn small_defects_of_input_files() {
    let dir = common::temp_dir("hard-small");
    // A byte-order mark is not a word.
    let mut text = "\u{feff}".as_bytes().to_vec();
    text.extend(common::small_corpus(20_000).text.as_bytes());
    let corpus = write(&dir, "bom.txt", &text);
    let out = sideways(&["train", "--model", "rnn", "--corpus", &corpus, "--steps", "1", "--d-model", "8", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Duplicate words and words without numbers in vector files.
    fails(&["embed", "neighbors", &write(&dir, "dup.txt", b"king 1 2\nqueen 3 4\nking 5 6\n"), "king"], "second time");
    fails(&["embed", "neighbors", &write(&dir, "bare.txt", b"king\nqueen 3 4\n"), "queen"], "no numbers");
    // Budgets in scientific notation.
    let out = sideways(&["race", "--lanes", "rnn@1", "--corpus", &corpus, "--budget", "2e0steps", "--headless"]);
    refused(&out, "2e0steps", "budget");
    let out = sideways(&["race", "--lanes", "rnn@1", "--corpus", &corpus, "--budget", "1e-2s", "--headless"]);
    assert!(out.status.success(), "1e-2s is a budget: {}", String::from_utf8_lossy(&out.stderr));
}
