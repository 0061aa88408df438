//! Data-parallel training over MPI (feature `mpi`): N processes launched by `mpirun` train one
//! model, and must follow the losses of one process with the same batch, on one host and on two
//! (network namespaces, as root); a process that dies stops the others. Needs Open MPI's `mpirun` (`.ci/run` installs it); as root, Open MPI must be
//! told that is allowed.
#![cfg(feature = "mpi")]

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use sideways::model::ModelKind;

fn mpirun(ranks: usize, args: &[&str]) -> Command {
    let mut c = Command::new("mpirun");
    c.args(["-n", &ranks.to_string(), "--oversubscribe", "--bind-to", "none"])
        .arg(env!("CARGO_BIN_EXE_sideways"))
        .args(args)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_mpi_yield_when_idle", "1");
    c
}

/// The training loss of every step, from a `train --json` stream.
fn losses(out: &Output) -> Vec<f64> {
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == "step")
        .map(|v| v["loss"].as_f64().unwrap())
        .collect()
}

#[test]
fn two_processes_follow_one_process_with_the_same_batch() {
    for model in ModelKind::all().map(ModelKind::name) {
        let args = ["train", "--model", model, "--steps", "50", "--threads", "1", "--json"];
        let alone = Command::new(env!("CARGO_BIN_EXE_sideways")).args(args).output().unwrap();
        let mut shared = args.to_vec();
        shared.push("--data-parallel");
        let together = mpirun(2, &shared).output().unwrap();
        let (alone, together) = (losses(&alone), losses(&together));
        assert_eq!(alone.len(), 50, "{model}: one process reports every step");
        assert_eq!(together.len(), 50, "{model}: only process 0 reports, every step once");
        // The same windows, their gradients summed in another order: float rounding only (about
        // 1e-7 here), which 50 AdamW steps must not amplify.
        for (step, (a, b)) in alone.iter().zip(&together).enumerate() {
            assert!((a - b).abs() <= 1e-5 * a.abs(), "{model}, step {}: alone {a}, two processes {b}", step + 1);
        }
        let text = String::from_utf8_lossy(&mpirun(2, &shared).output().unwrap().stdout).to_string();
        assert!(text.contains("\"processes\":2"), "the start event carries the world size");
    }
}

#[test]
fn a_data_parallel_run_resumes_from_process_0s_checkpoint() {
    let dir = std::env::temp_dir().join(format!("sideways-mpi-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let checkpoint = dir.join("run.ckpt");
    let path = checkpoint.to_str().unwrap();
    let common = ["--threads", "1", "--json", "--data-parallel"];
    let first = ["train", "--model", "rnn", "--steps", "20", "--save", path];
    assert!(mpirun(2, &[&first[..], &common[..]].concat()).output().unwrap().status.success());
    let resumed =
        mpirun(2, &[&["train", "--resume", path, "--steps", "40"][..], &common[..]].concat()).output().unwrap();
    let whole = Command::new(env!("CARGO_BIN_EXE_sideways"))
        .args(["train", "--model", "rnn", "--steps", "40", "--threads", "1", "--json"])
        .output()
        .unwrap();
    let (resumed, whole) = (losses(&resumed), losses(&whole));
    assert_eq!(resumed.len(), 20, "steps 21 to 40, reported once");
    for (step, (a, b)) in whole[20..].iter().zip(&resumed).enumerate() {
        assert!((a - b).abs() <= 1e-5 * a.abs(), "step {}: uninterrupted {a}, resumed on 2 processes {b}", step + 21);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_process_that_dies_stops_the_others() {
    let dir = std::env::temp_dir().join(format!("sideways-mpi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let checkpoint = dir.join("run.ckpt");
    let mut run = mpirun(
        2,
        &[
            "train",
            "--model",
            "rnn",
            "--steps",
            "100000",
            "--threads",
            "1",
            "--data-parallel",
            "--save-every",
            "20",
            "--save",
        ],
    );
    let mut child = run.arg(&checkpoint).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    // Wait until training is under way (a first checkpoint), then kill one process.
    let started = Instant::now();
    while !checkpoint.exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "no checkpoint within a minute");
        std::thread::sleep(Duration::from_millis(100));
    }
    let pids = Command::new("pgrep").args(["-f", "sideways train --model rnn --steps 100000"]).output().unwrap();
    let pids: Vec<String> = String::from_utf8_lossy(&pids.stdout).lines().map(String::from).collect();
    assert!(pids.len() >= 2, "both processes run: {pids:?}");
    let killed = Instant::now();
    Command::new("kill").args(["-9", pids.last().unwrap()]).status().unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(killed.elapsed() < Duration::from_secs(20), "the other process still runs 20 s after one died");
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(!status.success(), "{err}");
    assert!(err.contains("signal 9") || err.contains("Killed") || err.contains("exited"), "says why: {err}");
    eprintln!("the run ended {:.1} s after a process was killed", killed.elapsed().as_secs_f64());
    // What was saved before is intact (written atomically by process 0 alone).
    let saved = sideways::train::Checkpoint::load(&checkpoint).unwrap();
    assert!(saved.header.step > 0 && saved.header.step.is_multiple_of(20), "{:?}", saved.header);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bench_measures_a_shared_step_and_the_gradient_sum() {
    let out = mpirun(2, &["bench", "--data-parallel", "--threads", "1", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let results: Vec<serde_json::Value> = stdout.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert_eq!(results.len(), 1, "process 0 alone prints: {stdout}");
    let r = &results[0];
    assert_eq!((r["result"].as_str(), r["processes"].as_u64()), (Some("bench_data_parallel"), Some(2)));
    let points = r["points"].as_array().unwrap();
    assert_eq!(points.len(), ModelKind::all().count(), "every model");
    for p in points {
        let (sum, step) = (p["sum_ms"].as_f64().unwrap(), p["step_ms"].as_f64().unwrap());
        assert!(p["tokens_per_s"].as_f64().unwrap() > 0.0 && sum > 0.0 && sum < step, "{p}");
    }
    let sums: Vec<(u64, f64)> = r["sums"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["parameters"].as_u64().unwrap(), s["sum_ms"].as_f64().unwrap()))
        .collect();
    assert!(sums.windows(2).all(|w| w[0].0 < w[1].0), "{sums:?}");
    assert!(sums[3].1 > sums[0].1, "summing 40 times the numbers takes longer: {sums:?}");
}

/// Two network namespaces joined by a veth pair, each with its own address: two hosts on one
/// machine, torn down however the test ends.
struct TwoHosts {
    namespaces: [String; 2],
}

impl TwoHosts {
    const ADDRESSES: [&str; 2] = ["198.51.100.1", "198.51.100.2"];

    /// `None` where this process may not make namespaces (not root, no CAP_NET_ADMIN).
    fn new() -> Option<TwoHosts> {
        let id = std::process::id();
        let hosts = TwoHosts { namespaces: [format!("swa{id}"), format!("swb{id}")] };
        let [a, b] = &hosts.namespaces;
        let ip = |args: &[&str]| Command::new("ip").args(args).status().is_ok_and(|s| s.success());
        if !ip(&["netns", "add", a]) {
            return None;
        }
        let ok = ip(&["netns", "add", b])
            && ip(&["link", "add", a, "type", "veth", "peer", "name", b])
            && [(a, Self::ADDRESSES[0]), (b, Self::ADDRESSES[1])].iter().all(|(ns, addr)| {
                ip(&["link", "set", ns, "netns", ns])
                    && ip(&["-n", ns, "addr", "add", &format!("{addr}/24"), "dev", ns])
                    && ip(&["-n", ns, "link", "set", ns, "up"])
                    && ip(&["-n", ns, "link", "set", "lo", "up"])
            });
        assert!(ok, "the namespaces and the veth pair could be made");
        Some(hosts)
    }
}

impl Drop for TwoHosts {
    fn drop(&mut self) {
        for ns in &self.namespaces {
            let _ = Command::new("ip").args(["netns", "delete", ns]).status();
        }
    }
}

#[test]
fn two_hosts_train_one_model_over_tcp() {
    let Some(hosts) = TwoHosts::new() else {
        // .ci/run runs as root and requires this test.
        assert!(
            std::env::var_os("SIDEWAYS_MPI_HOSTS").is_none(),
            "SIDEWAYS_MPI_HOSTS is set: network namespaces are required"
        );
        eprintln!("skipped: making network namespaces needs root (CAP_NET_ADMIN)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("sideways-hosts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Open MPI reaches the second host with this instead of ssh: the command runs in the
    // namespace that owns the address, under a hostname of its own.
    let agent = dir.join("agent.sh");
    let [a, b] = &hosts.namespaces;
    let [addr_a, addr_b] = TwoHosts::ADDRESSES;
    std::fs::write(
        &agent,
        format!(
            "#!/bin/sh\nhost=\"$1\"; shift\ncase \"$host\" in\n  {addr_a}) ns={a} ;;\n  {addr_b}) ns={b} ;;\n  *) exit 1 ;;\nesac\n\
             exec ip netns exec \"$ns\" unshare --uts sh -c \"hostname $ns; $*\"\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&agent, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let hostfile = dir.join("hosts");
    std::fs::write(&hostfile, format!("{addr_a} slots=1\n{addr_b} slots=1\n")).unwrap();
    let args = "train --model rnn --steps 30 --threads 1 --json";
    let mpirun = format!(
        "hostname {a}; mpirun -n 2 --hostfile {} --mca plm_rsh_agent {} --mca btl self,tcp \
         --mca btl_tcp_if_include 198.51.100.0/24 --mca oob_tcp_if_include 198.51.100.0/24 --bind-to none \
         -x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM {} {args} --data-parallel",
        hostfile.display(),
        agent.display(),
        env!("CARGO_BIN_EXE_sideways")
    );
    let together = Command::new("ip")
        .args(["netns", "exec", a, "unshare", "--uts", "sh", "-c", &mpirun])
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .output()
        .unwrap();
    let alone = Command::new(env!("CARGO_BIN_EXE_sideways")).args(args.split(' ')).output().unwrap();
    let (alone, together) = (losses(&alone), losses(&together));
    assert_eq!(together.len(), 30);
    for (step, (x, y)) in alone.iter().zip(&together).enumerate() {
        assert!((x - y).abs() <= 1e-5 * x.abs(), "step {}: alone {x}, two hosts {y}", step + 1);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
