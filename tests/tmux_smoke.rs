//! The dashboard in a real terminal: tmux runs the binary, keys are sent (more threads, pause,
//! resume, help, quit), the pane is captured and checked, and the process must exit cleanly with
//! the terminal restored. Skipped, with a message, where tmux is not installed (`.ci/run`
//! installs it).

use std::process::Command;
use std::thread::sleep;
use std::time::Duration;

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().expect("tmux runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Ends the tmux session (and the dashboard in it) however the test ends.
struct KillOnDrop(String);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        tmux(&["kill-session", "-t", &self.0]);
    }
}

#[test]
fn dashboard_runs_reacts_to_keys_and_restores_the_terminal() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed (apt-get install tmux)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("sideways-tmux-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exit = dir.join("exit");
    let session = format!("sideways-smoke-{}", std::process::id());
    let command =
        format!("{} race --budget 60s; echo $? > {}; sleep 5", env!("CARGO_BIN_EXE_sideways"), exit.display());
    tmux(&["new-session", "-d", "-s", &session, "-x", "100", "-y", "30", &command]);
    let _cleanup = KillOnDrop(session.clone());
    let capture = || tmux(&["capture-pane", "-t", &session, "-p"]);
    // Wait for the first steps to reach the screen.
    let mut screen = String::new();
    for _ in 0..60 {
        sleep(Duration::from_millis(500));
        screen = capture();
        if screen.contains("64 steps in a row")
            && screen.contains("2 steps in a row")
            && !screen.contains("│0 tokens/s")
        {
            break;
        }
    }
    assert!(screen.contains("sideways race") && screen.contains("tokens/s"), "no dashboard:\n{screen}");
    for panel in
        ["training loss", "cores", "what comes next?", "how they read it", "64 steps in a row", "2 steps in a row"]
    {
        assert!(screen.contains(panel), "missing {panel:?}:\n{screen}");
    }
    tmux(&["send-keys", "-t", &session, "+"]);
    sleep(Duration::from_millis(1500));
    assert!(capture().contains("rnn@1 · 2 threads"), "+ gave the first lane a second thread:\n{}", capture());
    tmux(&["send-keys", "-t", &session, "Space"]);
    sleep(Duration::from_millis(500));
    assert!(capture().contains("PAUSED"));
    tmux(&["send-keys", "-t", &session, "Space"]);
    tmux(&["send-keys", "-t", &session, "?"]);
    sleep(Duration::from_millis(500));
    assert!(capture().contains("keys"));
    tmux(&["send-keys", "-t", &session, "q"]); // closes the help
    tmux(&["send-keys", "-t", &session, "q"]); // quits
    let mut code = None;
    for _ in 0..40 {
        sleep(Duration::from_millis(250));
        if let Ok(c) = std::fs::read_to_string(&exit) {
            code = Some(c.trim().to_string());
            break;
        }
    }
    let after = capture();
    assert_eq!(code.as_deref(), Some("0"), "the dashboard exits with 0:\n{after}");
    assert!(!after.contains("training loss"), "the terminal is restored (no dashboard left on screen):\n{after}");
}
