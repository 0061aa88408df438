//! The dashboard in a real terminal: tmux runs the binary, keys are sent (more threads, pause,
//! resume, help, quit), the pane is captured and checked, and the process must exit cleanly with
//! the terminal restored — also when the race cannot start and when a SIGTERM arrives; a dumb
//! terminal gets the headless race. Skipped, with a message, where tmux is not installed (`.ci/run`
//! installs it).

use std::path::Path;
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
    // Whether the pane shows `text` within 10 s: on a loaded 2-core machine a lane that is
    // handed a thread redraws after its next step, which can take longer than a fixed wait.
    let shows = |text: &str| {
        (0..40).any(|_| {
            sleep(Duration::from_millis(250));
            capture().contains(text)
        })
    };
    tmux(&["send-keys", "-t", &session, "+"]);
    assert!(shows("rnn@1 · 2 threads"), "+ gave the first lane a second thread:\n{}", capture());
    tmux(&["send-keys", "-t", &session, "Space"]);
    assert!(shows("PAUSED"), "space pauses:\n{}", capture());
    tmux(&["send-keys", "-t", &session, "Space"]);
    tmux(&["send-keys", "-t", &session, "?"]);
    assert!(shows("keys"), "? shows the keys:\n{}", capture());
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

/// Run `command` in a fresh tmux pane; returns the pane's text once the command has written
/// its exit code (or after `wait`), and that code.
fn in_tmux(name: &str, command: &str, wait: Duration, before_exit: impl Fn(&str)) -> (String, Option<String>) {
    let dir = std::env::temp_dir().join(format!("sideways-tmux-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exit = dir.join("exit");
    let session = format!("sideways-{name}-{}", std::process::id());
    let full = format!("{command}; echo $? > {}; sleep 30", exit.display());
    tmux(&["new-session", "-d", "-s", &session, "-x", "100", "-y", "30", &full]);
    let _cleanup = KillOnDrop(session.clone());
    before_exit(&session);
    let started = std::time::Instant::now();
    let mut code = None;
    while started.elapsed() < wait {
        sleep(Duration::from_millis(200));
        if let Ok(c) = std::fs::read_to_string(&exit) {
            code = Some(c.trim().to_string());
            break;
        }
    }
    (tmux(&["capture-pane", "-t", &session, "-p"]), code)
}

#[test]
fn a_race_that_cannot_start_ends_the_dashboard_with_its_error() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed (apt-get install tmux)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("sideways-tmux-tiny-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tiny = dir.join("tiny.txt");
    std::fs::write(&tiny, "good morning . good night . ".repeat(40)).unwrap();
    let bin = env!("CARGO_BIN_EXE_sideways");
    let (screen, code) =
        in_tmux("setup", &format!("{bin} race --corpus {}", tiny.display()), Duration::from_secs(30), |_| {});
    assert_eq!(code.as_deref(), Some("1"), "{screen}");
    assert!(screen.contains("error:") && screen.contains("fewer than one batch"), "{screen}");
    assert!(!screen.contains("training loss"), "the terminal is restored:\n{screen}");
}

#[test]
fn sigterm_restores_the_terminal_and_dumb_terminals_get_text() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed (apt-get install tmux)");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_sideways");
    let (screen, code) = in_tmux("term", &format!("{bin} race --budget 61s"), Duration::from_secs(30), |session| {
        for _ in 0..50 {
            sleep(Duration::from_millis(200));
            if tmux(&["capture-pane", "-t", session, "-p"]).contains("training loss") {
                break;
            }
        }
        // The pane's shell runs the dashboard as its child: signal that child alone.
        let shell = tmux(&["display-message", "-p", "-t", session, "#{pane_pid}"]);
        let child = Command::new("pgrep").args(["-P", shell.trim()]).output().unwrap();
        let pid = String::from_utf8_lossy(&child.stdout).trim().to_string();
        assert!(!pid.is_empty(), "the dashboard runs under the pane's shell");
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    });
    assert_eq!(code.as_deref(), Some("1"), "{screen}");
    assert!(screen.contains("stopped by SIGTERM") && !screen.contains("training loss"), "{screen}");
    // TERM=dumb: the headless race, as text.
    let (screen, code) = in_tmux(
        "dumb",
        &format!("TERM=dumb {bin} race --budget 3steps --lanes rnn@1"),
        Duration::from_secs(60),
        |_| {},
    );
    assert_eq!(code.as_deref(), Some("0"), "{screen}");
    assert!(screen.contains("speed-up") && !screen.contains("training loss"), "{screen}");
}

/// A terminal that goes away (its window closed: the shell killed and the session ended) ends
/// the dashboard: nobody can press `q` any more.
#[test]
fn a_dashboard_whose_terminal_goes_away_ends() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed (apt-get install tmux)");
        return;
    }
    let session = format!("sideways-gone-{}", std::process::id());
    let command = format!("{} race --budget 62s; sleep 30", env!("CARGO_BIN_EXE_sideways"));
    tmux(&["new-session", "-d", "-s", &session, "-x", "100", "-y", "30", &command]);
    let cleanup = KillOnDrop(session.clone());
    sleep(Duration::from_millis(1500));
    let shell = tmux(&["display-message", "-p", "-t", &session, "#{pane_pid}"]);
    let child = Command::new("pgrep").args(["-P", shell.trim()]).output().unwrap();
    let pid = String::from_utf8_lossy(&child.stdout).trim().to_string();
    assert!(!pid.is_empty(), "the dashboard runs under the pane's shell");
    Command::new("kill").args(["-9", shell.trim()]).status().unwrap();
    drop(cleanup);
    let alive = || Path::new(&format!("/proc/{pid}")).exists();
    for _ in 0..50 {
        if !alive() {
            return;
        }
        sleep(Duration::from_millis(100));
    }
    Command::new("kill").args(["-9", &pid]).status().unwrap();
    panic!("the dashboard kept running after its terminal went away");
}

/// A learner's first session, at 80×24: the viewer opens on lesson 1, scrolls, runs the
/// experiment beside the text and quits; then an exercise is checked and the viewer shows it.
#[test]
fn a_learner_walks_through_lesson_1_and_an_exercise_at_80_by_24() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed (apt-get install tmux)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("sideways-tmux-learn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (progress, exit) = (dir.join("progress.json"), dir.join("exit"));
    let bin = env!("CARGO_BIN_EXE_sideways");
    let session = format!("sideways-learn-{}", std::process::id());
    // A shell, so that the learner can type one command after another.
    let shell = format!("env SIDEWAYS_PROGRESS={} LANG=C sh", progress.display());
    tmux(&["new-session", "-d", "-s", &session, "-x", "80", "-y", "24", &shell]);
    let _cleanup = KillOnDrop(session.clone());
    let capture = || tmux(&["capture-pane", "-t", &session, "-p"]);
    let wait_for = |what: &str, seconds: u64| {
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_secs(seconds) {
            if capture().contains(what) {
                return capture();
            }
            sleep(Duration::from_millis(250));
        }
        panic!("{what:?} never appeared:\n{}", capture())
    };
    let typed = |line: &str| tmux(&["send-keys", "-t", &session, line, "Enter"]);
    typed(&format!("{bin} learn --steps 5; echo $? > {}", exit.display()));
    let screen = wait_for("1/8 What comes after", 20);
    assert!(screen.contains("exercises 0/4") && screen.contains("q quit"), "{screen}");
    assert!(screen.lines().all(|l| l.chars().count() <= 80));
    // Reading on: the lesson scrolls.
    for _ in 0..12 {
        tmux(&["send-keys", "-t", &session, "Down"]);
    }
    let screen = wait_for("The simplest model", 5);
    assert!(!screen.contains("A language model does one thing"), "scrolled past the opening:\n{screen}");
    // The experiment runs beside the text and ends with the bigram's numbers.
    tmux(&["send-keys", "-t", &session, "r"]);
    let screen = wait_for("experiment: done", 60);
    assert!(screen.contains("bigram") && screen.contains("after \"good\""), "{screen}");
    tmux(&["send-keys", "-t", &session, "q"]);
    for _ in 0..40 {
        if exit.exists() {
            break;
        }
        sleep(Duration::from_millis(250));
    }
    assert_eq!(std::fs::read_to_string(&exit).unwrap().trim(), "0", "{}", capture());
    assert!(!capture().contains("experiment: done"), "the terminal is restored:\n{}", capture());
    // The first exercise, answered at the prompt.
    typed("clear");
    typed(&format!("{bin} exercise check 1.1 --answer 2"));
    let screen = wait_for("passed", 20);
    assert!(screen.contains("✓ passed (needed the right choice)"), "{screen}");
    // The viewer now counts it.
    typed(&format!("{bin} learn 1"));
    wait_for("exercises 1/4", 20);
    tmux(&["send-keys", "-t", &session, "q"]);
}
