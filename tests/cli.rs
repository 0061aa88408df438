//! The binary as a user runs it: the happy path, and one clear line for every kind of bad input.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn sideways(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sideways")).args(args).output().unwrap()
}

/// The command must fail with exit code 1 and one `error:` line that contains `expect`.
fn fails(args: &[&str], expect: &str) {
    let out = sideways(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?} should fail: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "{args:?}: {err}");
    assert!(lines[0].contains(expect), "{args:?}: expected {expect:?} in {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

/// A small corpus file and a trained checkpoint, shared by the tests below.
fn small_run(dir: &Path) -> (String, String) {
    let corpus = dir.join("small.txt").to_str().unwrap().to_string();
    let out = sideways(&["corpus", "--tokens", "30000", "-o", &corpus]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ckpt = dir.join("small.ckpt").to_str().unwrap().to_string();
    let out = sideways(&[
        "train",
        "--model",
        "transformer",
        "--corpus",
        &corpus,
        "--steps",
        "30",
        "--d-model",
        "32",
        "--threads",
        "1",
        "--save",
        &ckpt,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("validation loss") && err.contains("saved"), "{err}");
    (corpus, ckpt)
}

#[test]
fn train_predict_generate_happy_path() {
    let dir = common::temp_dir("cli-happy");
    let (corpus, ckpt) = small_run(&dir);
    let out = sideways(&["predict", &ckpt, "she wished him a good", "-k", "3", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["schema"].as_u64(), v["result"].as_str()), (Some(1), Some("predict")));
    assert_eq!(v["next"].as_array().unwrap().len(), 3);
    let out = sideways(&["generate", &ckpt, "--prompt", "once there was a", "--words", "12"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.starts_with("once there was a ") && text.split_whitespace().count() >= 14,
        "{text}"
    );
    // --json: the event stream (start, one object per step, the validation, done), then the result.
    let out = sideways(&["train", "--model", "rnn", "--corpus", &corpus, "--steps", "3", "--d-model", "16", "--json"]);
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<&str> = lines.iter().map(|l| l["event"].as_str().or(l["result"].as_str()).unwrap()).collect();
    assert_eq!(kinds, ["start", "step", "step", "step", "eval", "done", "train"]);
    assert!(lines.iter().all(|l| l["schema"] == 1));
    assert_eq!(lines[3]["step"], 3);
    assert_eq!(lines[6]["eval"]["val_loss"], lines[4]["val_loss"]);
    // Two micro-batches train the same run.
    let out = sideways(&[
        "train",
        "--model",
        "rnn",
        "--corpus",
        &corpus,
        "--steps",
        "2",
        "--d-model",
        "16",
        "--micro-batches",
        "2",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn bad_corpora_get_one_clear_line() {
    let dir = common::temp_dir("cli-corpus");
    let base = ["train", "--model", "rnn", "--steps", "1", "--corpus"];
    let run = |path: &str, expect: &str| fails(&[&base[..], &[path]].concat(), expect);
    run(&dir.join("nope.txt").to_string_lossy(), "nope.txt");
    run(&write(&dir, "empty.txt", b""), "empty");
    run(&write(&dir, "blank.txt", b" \n\n  \t"), "empty");
    run(&write(&dir, "binary.txt", &[0x7f, b'E', b'L', b'F', 0, 1, 2]), "binary");
    run(&write(&dir, "latin1.txt", b"caf\xe9 au lait"), "not UTF-8 (invalid byte at offset 3)");
    let utf16le: Vec<u8> = "good morning\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
    run(&write(&dir, "utf16.txt", &utf16le), "iconv -f utf-16le");
    run(&write(&dir, "utf16-bom.txt", &[&[0xFF, 0xFE][..], &utf16le].concat()), "iconv -f utf-16");
    run(&write(&dir, "tiny.txt", b"good morning. good night."), "fewer than one batch");
    let empty_dir = dir.join("nothing");
    std::fs::create_dir_all(&empty_dir).unwrap();
    run(empty_dir.to_str().unwrap(), "no .txt files");
}

#[test]
fn bad_sizes_and_names_get_one_clear_line() {
    let t = ["train", "--steps", "1", "--model"];
    fails(&[&t[..], &["lstm"]].concat(), "use `rnn`, `transformer` or `mingru`");
    fails(&[&t[..], &["rnn", "--micro-batches", "64"]].concat(), "micro-batches");
    fails(&[&t[..], &["transformer", "--heads", "3"]].concat(), "divisible");
    fails(&[&t[..], &["rnn", "--d-model", "0"]].concat(), "width");
    fails(&[&t[..], &["transformer", "--layers", "100000"]].concat(), "layers");
    fails(&[&t[..], &["transformer", "--d-model", "16000", "--layers", "200"]].concat(), "parameters");
    fails(&[&t[..], &["rnn", "--threads", "0"]].concat(), "threads");
    fails(&[&t[..], &["rnn", "--lr=-1"]].concat(), "learning rate");
    fails(&[&t[..], &["rnn", "--batch-size", "0"]].concat(), "batch size");
    fails(&[&t[..], &["transformer", "--seq-len", "128", "--context", "64"]].concat(), "context");
    // Settings that would run and print numbers that mean nothing, or do nothing asked.
    fails(&[&t[..], &["rnn", "--min-count", "100000000"]].concat(), "smaller --min-count");
    fails(&[&t[..], &["rnn", "--save-every", "5"]].concat(), "give --save PATH too");
    fails(&["compute", "--params", "1e300", "--tokens", "1e300"], "overflows");
    // With --json a failure also ends standard output with a line a script can read.
    for args in [
        &[&t[..], &["rnn", "--threads", "0", "--json"]].concat()[..],
        &["embed", "neighbors", "nope.vec", "k", "--json"],
    ] {
        let out = sideways(args);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(v["schema"], 1, "{args:?}");
        assert!(err.contains(&format!("error: {}", v["error"].as_str().unwrap())), "{args:?}: {v} vs {err}");
    }
}

#[test]
fn bad_checkpoints_and_prompts_get_one_clear_line() {
    let dir = common::temp_dir("cli-ckpt");
    let (_, ckpt) = small_run(&dir);
    let good = std::fs::read(&ckpt).unwrap();
    fails(&["predict", &write(&dir, "cut.ckpt", &good[..good.len() / 3]), "good"], "truncated");
    let mut bad = good.clone();
    let at = bad.len() / 2;
    bad[at] ^= 1;
    fails(&["predict", &write(&dir, "flip.ckpt", &bad), "good"], "checksum");
    let mut v2 = good.clone();
    v2[8] = 9;
    fails(&["predict", &write(&dir, "v9.ckpt", &v2), "good"], "format version 9");
    fails(&["predict", &write(&dir, "notes.ckpt", b"hello"), "good"], "not a sideways checkpoint");
    fails(&["predict", &ckpt, "zebra xylophone"], "none of its words is in the model's vocabulary");
    fails(&["predict", &ckpt, "   "], "no words");
    fails(&["generate", &ckpt, "--prompt", "good", "--temperature=-1"], "temperature");
    let none = sideways(&["predict", &ckpt, "good", "-k", "0"]);
    assert!(String::from_utf8_lossy(&none.stderr).contains("use 1 or more") && !none.status.success());
    fails(&["train", "--resume", &write(&dir, "cut2.ckpt", &good[..100]), "--steps", "40"], "truncated");
}

#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sideways"))
        .arg("corpus")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 64];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap(); // then the pipe closes
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn embed_commands_and_their_bad_input() {
    let dir = common::temp_dir("cli-embed");
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
        "20",
        "--epochs",
        "2",
        "--threads",
        "1",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.contains("words/s (wall clock)"), "{err}");
    let out = sideways(&["embed", "neighbors", &vectors, "king", "-k", "3", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["schema"].as_u64(), v["result"].as_str()), (Some(1), Some("neighbors")));
    assert_eq!(v["neighbors"].as_array().unwrap().len(), 3);
    let out = sideways(&["embed", "analogy", &vectors, "king", "man", "woman", "--mul"]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("CosMul"));
    let q = write(&dir, "q.txt", b": family\nman king woman queen\n");
    let out = sideways(&["embed", "eval", &vectors, "--analogies", &q]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("family"));

    fails(&["embed", "neighbors", &vectors, "zebra"], "not among");
    fails(
        &["embed", "neighbors", &write(&dir, "junk.bin", b"\x89PNG\r\n\x1a\n"), "king"],
        "not a word2vec binary file",
    );
    fails(&["embed", "neighbors", &write(&dir, "ragged.txt", b"2 3\nking 1 2\nqueen 3 4 5 6\n"), "king"], "line 2");
    fails(&["embed", "train", "--corpus", &corpus, "-o", &vectors, "--window", "0"], "window");
    fails(&["embed", "train", "--corpus", &write(&dir, "few.txt", b"one two three"), "-o", &vectors], "min-count");
    fails(&["embed", "eval", &vectors], "--analogies");
    fails(&["embed", "neighbors", &ckpt, "king"], "a sideways checkpoint (a trained model), not word vectors");
    fails(&["embed", "eval", &vectors, "--analogies", &write(&dir, "none.txt", b": family\n")], "no questions");
    let strangers = write(&dir, "strangers.txt", b"2 4\nzyzzyva 1 2 3 4\nqoph 4 3 2 1\n");
    let t = ["train", "--model", "rnn", "--corpus", &corpus, "--steps", "1", "--d-model", "4"];
    fails(&[&t[..], &["--embeddings", &strangers]].concat(), "none of them among the model's");
    fails(&["train", "--model", "rnn", "--corpus", &corpus, "--steps", "1", "--embeddings", &vectors], "--dim 128");

    // An output replaces a file of its own kind (vectors, text or binary, over vectors), never
    // another: the corpus named by mistake, a checkpoint, vectors where a checkpoint goes.
    let small = ["--dim", "8", "--epochs", "1", "--threads", "1"];
    let bin = dir.join("v.bin").to_str().unwrap().to_string();
    for out in [&vectors, &bin, &bin] {
        let out = sideways(&[&["embed", "train", "--corpus", &corpus, "-o", out][..], &small].concat());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let (text, weights) = (std::fs::read(&corpus).unwrap(), std::fs::read(&ckpt).unwrap());
    for out in [&corpus, &ckpt] {
        fails(&[&["embed", "train", "--corpus", &corpus, "-o", out][..], &small].concat(), "not a word-vectors file");
    }
    for save in [&corpus, &vectors, &bin] {
        fails(
            &["train", "--model", "rnn", "--corpus", &corpus, "--steps", "1", "--save", save],
            "not a sideways checkpoint",
        );
    }
    assert!(std::fs::read(&corpus).unwrap() == text && std::fs::read(&ckpt).unwrap() == weights, "nothing replaced");
}

/// Ctrl-C during `train` ends the run after the step in progress, saved, and says how to go on;
/// the checkpoint holds the step the result reports.
#[cfg(unix)]
#[test]
fn ctrl_c_saves_the_run_and_says_how_to_go_on() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = common::temp_dir("cli-interrupt");
    let ckpt = dir.join("int.ckpt").to_str().unwrap().to_string();
    let args = ["train", "--model", "rnn", "--steps", "1000000", "--threads", "1", "--save", &ckpt, "--json"];
    let mut child = Command::new(env!("CARGO_BIN_EXE_sideways"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines().map(Result::unwrap);
    lines.find(|l| l.contains(r#""event":"step""#)).expect("training started");
    // SAFETY: sends a signal to the child, which is still running (it has a million steps to go).
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
    // The stream ends with the run's result, then the error line of a command that failed.
    let rest: Vec<serde_json::Value> = lines.map(|l| serde_json::from_str(&l).unwrap()).collect();
    let [.., result, error] = &rest[..] else { panic!("{rest:?}") };
    assert!(error["error"].as_str().unwrap().contains("interrupted"), "{error}");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("interrupted") && err.contains(&format!("--resume {ckpt}")), "{err}");
    assert_eq!((&result["result"], &result["stopped"]), (&"train".into(), &true.into()), "{result}");
    let step = result["last_step"].as_u64().unwrap();
    assert!(step > 0 && step < 1_000_000, "{result}");
    let out = sideways(&["predict", &ckpt, "good", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["step"].as_u64(), Some(step), "the checkpoint is the run where it stopped");
}

/// A learning rate that blows the loss up gets one warning that says so; a sane one none.
#[test]
fn a_diverging_run_is_told_so_once() {
    let warnings = |lr: &str| -> Vec<String> {
        let args =
            ["train", "--model", "mingru", "--steps", "6", "--d-model", "16", "--threads", "1", "--lr", lr, "--json"];
        let out = sideways(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let lines = String::from_utf8(out.stdout).unwrap();
        let events = lines.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap());
        events.filter(|e| e["event"] == "warning").map(|e| e["text"].as_str().unwrap().to_string()).collect()
    };
    let blown = warnings("10");
    assert!(
        blown.len() == 1 && blown[0].contains("diverging") && blown[0].contains("learning rate (10, 10 at this step)"),
        "{blown:?}"
    );
    assert_eq!(warnings("0.001"), Vec::<String>::new());
}

/// `devices --json` lists the same adapters as the table, under `adapters`, with the lanes the
/// default race adds (each hardware adapter's).
#[test]
fn devices_json_lists_what_the_table_lists() {
    let out = sideways(&["devices", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((&v["schema"], &v["result"]), (&1.into(), &"devices".into()), "{v}");
    let adapters = v["adapters"].as_array().unwrap();
    let table = String::from_utf8(sideways(&["devices"]).stdout).unwrap();
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("@gpu:")).collect();
    assert_eq!(adapters.len(), rows.len(), "{v}\n{table}");
    for (a, row) in adapters.iter().zip(&rows) {
        assert!(row.starts_with(&format!("@gpu:{}", a["index"])), "{row} vs {a}");
    }
    let hardware = adapters.iter().filter(|a| ["discrete", "integrated"].contains(&a["kind"].as_str().unwrap()));
    let lanes: Vec<String> = hardware.map(|a| format!("@gpu:{}", a["index"])).collect();
    assert_eq!(v["race_lanes"], serde_json::json!(lanes), "{v}");
}

/// Without `XDG_RUNTIME_DIR` (a container, a bare SSH session) looking for GPUs prints the
/// answer and nothing else: Mesa's device-select layer would have libwayland print an `error:`
/// line about that folder, twice, though nothing is wrong.
#[test]
fn looking_for_gpus_without_a_desktop_session_prints_no_errors() {
    let out = Command::new(env!("CARGO_BIN_EXE_sideways"))
        .arg("devices")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("NODEVICE_SELECT")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "stderr");
}

#[test]
fn compute_reproduces_the_gpu_years_headline() {
    let out = sideways(&["compute", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["result"], "compute");
    let years = v["one_gpu"]["seconds"].as_f64().unwrap() / (365.25 * 86400.0);
    assert!((355.0..=357.0).contains(&years), "{years}");
    let days = v["many_gpus"]["seconds"].as_f64().unwrap() / 86400.0;
    assert!((days - 5.21).abs() < 0.01, "{days}");
    let text = String::from_utf8(sideways(&["compute"]).stdout).unwrap();
    assert!(text.contains("356 years") && text.contains("5.21 days"), "{text}");
    fails(&["compute", "--preset", "gpt5"], "use one of gpt3");
    fails(&["compute", "--gpus", "0"], "gpus");
}

#[test]
fn race_headless_json_results_and_bad_input() {
    let dir = common::temp_dir("cli-race");
    let (corpus, _) = small_run(&dir);
    let results = dir.join("race.json").to_str().unwrap().to_string();
    let out = sideways(&[
        "race",
        "--lanes",
        "rnn@1,transformer@1",
        "--corpus",
        &corpus,
        "--budget",
        "4steps",
        "--json",
        "--results",
        &results,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.iter().filter(|e| e["event"] == "step").count(), 8);
    assert_eq!(events.iter().filter(|e| e["event"] == "done").count(), 2);
    let last = events.last().unwrap();
    assert_eq!((&last["schema"], &last["result"]), (&1.into(), &"race".into()));
    // The results file is the same result, indented.
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&results).unwrap()).unwrap();
    assert_eq!(doc["result"], "race");
    assert_eq!(doc["lanes"].as_array().unwrap().len(), 2);
    assert_eq!(doc["lanes"], last["lanes"]);
    assert!(doc["machine"]["cores"].as_u64().unwrap() >= 1 && doc["sideways"].is_string());
    assert_eq!(doc["train"]["seed"], 1337);
    // The text table.
    let out = sideways(&["race", "--lanes", "rnn@1", "--corpus", &corpus, "--budget", "2steps"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("crit.path") && !table.contains("NaN"),
        "a race shorter than the warm-up still has numbers:\n{table}"
    );

    fails(&["race", "--lanes", "lstm@1"], "model@threads");
    fails(&["race", "--seq-len", "0"], "sequence length");
    fails(&["race", "--lanes", "rnn@0"], "at least one thread");
    let no_gpu_9 = match (cfg!(feature = "gpu"), sideways::gpu::adapters().is_empty()) {
        (false, _) => "this build has no GPU support",
        (true, true) => "no GPU was found",
        (true, false) => "no GPU number 9",
    };
    fails(&["race", "--lanes", "transformer@gpu:9"], no_gpu_9);
    fails(&["train", "--model", "rnn", "--device", "gpu", "--threads", "2"], "one host thread");
    fails(&["train", "--model", "rnn", "--device", "tpu"], "device");
    fails(&["race", "--budget", "0s"], "budget");
    fails(&["race", "--budget", "soon"], "budget");
    fails(&["race", "--results", "/no/such/folder/r.json"], "folder exists");
}

#[test]
fn bench_writes_its_tables_and_charts() {
    let dir = common::temp_dir("cli-bench");
    let out_dir = dir.join("sweep");
    let out = sideways(&[
        "bench",
        "--threads",
        "1",
        "--models",
        "rnn",
        "--seq-len",
        "16,32",
        "--span",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("load average") && text.contains("work and span bound"), "{text}");
    let csv = std::fs::read_to_string(out_dir.join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(out_dir.join("sweep.json")).unwrap()).unwrap();
    assert_eq!((doc["schema"].as_u64(), doc["result"].as_str()), (Some(1), Some("bench")));
    assert_eq!(doc["sweep"]["points"].as_array().unwrap().len(), 2);
    assert!(out_dir.join("span.csv").exists());
    if !err.contains("charts skipped") {
        for chart in ["seq_len.svg", "seq_len.png", "loss.png", "span.svg"] {
            assert!(std::fs::metadata(out_dir.join(chart)).unwrap().len() > 1000, "{chart}");
        }
        assert_eq!(&std::fs::read(out_dir.join("span.png")).unwrap()[1..4], b"PNG");
    }
    fails(&["bench", "--threads", "0"], "threads");
    fails(&["bench", "--out", "/proc/sideways-cannot-write-here"], "/proc/sideways-cannot-write-here");
}

/// A build without the `mpi` feature says how to get one, before any work.
#[cfg(not(feature = "mpi"))]
#[test]
fn data_parallel_without_mpi_says_how_to_build_it() {
    fails(&["train", "--model", "rnn", "--data-parallel"], "data-parallel: this sideways was built without MPI");
    fails(&["train", "--model", "rnn", "--data-parallel"], "--features mpi");
}
