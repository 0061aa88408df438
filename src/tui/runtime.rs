//! The dashboard's loop: engine events, keys, ticks and resizes in; controls, files and
//! frames out. Redraws are capped at 20 per second.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{self, Event as TermEvent, KeyEventKind};

use super::app::{App, Effect, Message};
use super::course::{Course, Effect as CourseEffect, Message as CourseMessage};
use crate::commands::race::{self as race_command, RaceOptions};
use crate::commands::summary::SummaryOptions;
use crate::fsio::write_atomically;
use crate::lessons::experiments;
use crate::linalg::{Machine, Threads};
use crate::race::{speedups, LaneResult, Race};
use crate::train::Control;

const FRAME: Duration = Duration::from_millis(50);

/// The signal that asked the dashboard to end (0: none yet). A signal handler may only do
/// async-signal-safe work, so it records the signal here and the loop, which looks every
/// frame, restores the terminal and leaves.
static SIGNALLED: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(signal: libc::c_int) {
    SIGNALLED.store(signal, Ordering::Relaxed);
}

/// Open the dashboard for the race `options` describe (the caller checked that there is a
/// terminal). The terminal is restored however the dashboard ends: a quit, an error in the
/// race (shown after the terminal is back), a panic, or SIGTERM, SIGHUP or SIGINT.
pub fn run(options: &RaceOptions) -> anyhow::Result<()> {
    let race = race_command::prepare(options)?;
    on_screen(|terminal| dashboard(terminal, race))
}

/// Run `draw` on the terminal's alternate screen: signals are caught (the loops look at
/// [`SIGNALLED`]), standard error is set aside while the screen is drawn, and the terminal is
/// restored however `draw` ends.
fn on_screen(draw: impl FnOnce(&mut ratatui::DefaultTerminal) -> anyhow::Result<()>) -> anyhow::Result<()> {
    for signal in [libc::SIGTERM, libc::SIGHUP, libc::SIGINT] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(signal, on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t);
        }
    }
    let aside = StderrAside::new();
    let result = ratatui::try_init().map_err(anyhow::Error::from).and_then(|mut terminal| {
        let result = draw(&mut terminal);
        ratatui::restore();
        result
    });
    drop(aside);
    result
}

fn new_app(race: &Race) -> App {
    let labels: Vec<(String, usize)> = race.lanes.iter().map(|l| (l.label(), l.threads)).collect();
    let config = format!("batch {}×{} tokens, seed {}", race.train.batch_size, race.train.seq_len, race.train.seed);
    let budget = race.budget.to_string();
    let mut app = App::new(&race.data.name, &budget, &config, &labels, &race.prompt, Threads::available());
    app.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    app
}

fn dashboard(terminal: &mut ratatui::DefaultTerminal, race: Race) -> anyhow::Result<()> {
    let mut app = new_app(&race);
    let (handle, mut events, mut controls) = race.clone().spawn_controlled();
    let mut handle = Some(handle);
    let input = read_input();
    let size = terminal.size()?;
    app.update(Message::Resize(size.width, size.height));
    let (mut start, mut cores, mut last_frame) = (Instant::now(), CoreMeter::new(), Instant::now() - FRAME);
    let mut screen = Buffer::empty(Default::default());
    loop {
        while let Ok(e) = events.try_recv() {
            app.update(Message::Engine(e));
        }
        // A race that ends in an error (a lane that cannot start, training that diverged) ends
        // the dashboard with that error.
        if handle.as_ref().is_some_and(|h| h.is_finished()) {
            match handle.take().map(|h| h.join()) {
                Some(Ok(Err(e))) => return Err(e.into()),
                Some(Err(_)) => anyhow::bail!("the race stopped: one of its lanes panicked"),
                _ => {}
            }
        }
        match SIGNALLED.load(Ordering::Relaxed) {
            0 => {}
            signal => {
                let _ = controls.send(Control::Stop);
                let name = match signal {
                    libc::SIGHUP => "SIGHUP",
                    libc::SIGINT => "SIGINT",
                    _ => "SIGTERM",
                };
                anyhow::bail!("stopped by {name}");
            }
        }
        if terminal_gone() {
            let _ = controls.send(Control::Stop);
            anyhow::bail!("the terminal went away (its window closed or its session ended)");
        }
        let wait = FRAME.saturating_sub(last_frame.elapsed());
        let mut effects = Vec::new();
        match input.recv_timeout(wait) {
            Ok(TermEvent::Key(k)) if k.kind == KeyEventKind::Press => effects = app.update(Message::Key(k)),
            Ok(TermEvent::Resize(w, h)) => {
                app.update(Message::Resize(w, h));
            }
            Err(RecvTimeoutError::Disconnected) => anyhow::bail!("the terminal's input ended"),
            _ => {}
        }
        for effect in effects {
            match effect {
                Effect::Quit => {
                    // The race stops before its next step; the process ends without waiting.
                    let _ = controls.send(Control::Stop);
                    return Ok(());
                }
                Effect::Control(c) => {
                    let _ = controls.send(c);
                }
                Effect::Save => app.status = save(&app, &race, &screen),
                Effect::Restart => {
                    let _ = controls.send(Control::Stop);
                    let _ = handle.take().map(|h| h.join());
                    let (new_handle, new_events, new_controls) = race.clone().spawn_controlled();
                    (handle, events, controls) = (Some(new_handle), new_events, new_controls);
                    let size = app.size;
                    app = new_app(&race);
                    app.update(Message::Resize(size.0, size.1));
                    start = Instant::now();
                }
            }
        }
        if last_frame.elapsed() >= FRAME {
            let (per_core, ui) = cores.sample();
            if !app.paused {
                app.update(Message::Tick { elapsed: start.elapsed().as_secs_f64(), cores: per_core, ui_cpu: ui });
            }
            let frame = terminal.draw(|f| f.render_widget(&app, f.area()))?;
            screen = frame.buffer.clone();
            last_frame = Instant::now();
        }
    }
}

/// Open the lesson viewer (the caller checked that there is a terminal); experiments run with
/// `steps` (`None`: each lesson's own) on `threads`. The terminal is restored however it ends.
pub fn learn(mut course: Course, steps: Option<u64>, threads: usize) -> anyhow::Result<()> {
    course.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    on_screen(|terminal| viewer(terminal, course, steps, threads))
}

/// Standard error, set aside while a screen is drawn: a library that writes to it (a Vulkan
/// driver looking for its runtime folder, a panic message) would scribble over the frame. What
/// was written goes to a private temporary file, written out once the terminal is back.
struct StderrAside {
    saved: libc::c_int,
    file: std::fs::File,
}

impl StderrAside {
    /// `None` (stderr left alone) where the file cannot be made or the descriptors moved.
    fn new() -> Option<Self> {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::OpenOptionsExt;
        let path = std::env::temp_dir().join(format!("sideways-stderr-{}.log", std::process::id()));
        // A new file only this user can read, never one that is already there (or a link).
        let file = std::fs::OpenOptions::new().read(true).write(true).create_new(true).mode(0o600).open(&path).ok()?;
        // Unlinked at once: it lives as long as the descriptor, and nothing is left behind.
        let _ = std::fs::remove_file(&path);
        // SAFETY: dup and dup2 on descriptors this process owns; `file` stays open across them.
        let saved = unsafe { libc::dup(libc::STDERR_FILENO) };
        if saved < 0 {
            return None;
        }
        if unsafe { libc::dup2(file.as_raw_fd(), libc::STDERR_FILENO) } < 0 {
            // SAFETY: `saved` was just made by dup and is closed once.
            unsafe { libc::close(saved) };
            return None;
        }
        Some(StderrAside { saved, file })
    }
}

impl Drop for StderrAside {
    fn drop(&mut self) {
        use std::io::{Read, Seek, Write};
        // SAFETY: `saved` is the descriptor `new` duplicated; it is restored, then closed once.
        unsafe {
            libc::dup2(self.saved, libc::STDERR_FILENO);
            libc::close(self.saved);
        }
        let mut text = Vec::new();
        if self.file.rewind().is_ok() && self.file.read_to_end(&mut text).is_ok() {
            let _ = std::io::stderr().write_all(&text);
        }
    }
}

fn viewer(
    terminal: &mut ratatui::DefaultTerminal,
    mut course: Course,
    steps: Option<u64>,
    threads: usize,
) -> anyhow::Result<()> {
    let input = read_input();
    let (tx, experiment) = channel::<CourseMessage>();
    let size = terminal.size()?;
    course.update(CourseMessage::Resize(size.width, size.height));
    loop {
        if SIGNALLED.load(Ordering::Relaxed) != 0 {
            anyhow::bail!("stopped by a signal");
        }
        if terminal_gone() {
            anyhow::bail!("the terminal went away (its window closed or its session ended)");
        }
        while let Ok(m) = experiment.try_recv() {
            course.update(m);
        }
        terminal.draw(|f| f.render_widget(&course, f.area()))?;
        let effects = match input.recv_timeout(FRAME * 2) {
            Ok(TermEvent::Key(k)) if k.kind == KeyEventKind::Press => course.update(CourseMessage::Key(k)),
            Ok(TermEvent::Resize(w, h)) => course.update(CourseMessage::Resize(w, h)),
            Err(RecvTimeoutError::Disconnected) => anyhow::bail!("the terminal's input ended"),
            _ => Vec::new(),
        };
        for effect in effects {
            match effect {
                // An experiment still running ends with the process.
                CourseEffect::Quit => return Ok(()),
                CourseEffect::Run(lesson) => {
                    let tx = tx.clone();
                    let options = SummaryOptions {
                        steps: steps.unwrap_or(experiments::default_steps(lesson)),
                        threads,
                        ..SummaryOptions::default()
                    };
                    std::thread::spawn(move || {
                        let events = tx.clone();
                        // A panic ends the experiment, not the viewer: it is reported as a failure.
                        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            experiments::run(lesson, &options, &mut |e| {
                                let _ = events.send(CourseMessage::Engine(e));
                            })
                        }));
                        let result = match run {
                            Ok(result) => result.map_err(|e| e.to_string()),
                            Err(_) => Err("the experiment stopped on an internal error (a panic)".into()),
                        };
                        let _ = tx.send(CourseMessage::Finished(result));
                    });
                }
            }
        }
    }
}

/// Keys and resizes, read on a thread of their own: a terminal that hangs up makes crossterm's
/// reader spin on end-of-file, and the loop must still see signals and the hang-up.
fn read_input() -> Receiver<TermEvent> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        while let Ok(e) = event::read() {
            if tx.send(e).is_err() {
                break;
            }
        }
    });
    rx
}

/// Whether the terminal hung up (its window closed, its tmux session killed): nobody sees the
/// dashboard any more, and no key can come to end it.
fn terminal_gone() -> bool {
    let mut fd = libc::pollfd { fd: libc::STDIN_FILENO, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd for the duration of the call, and no waiting.
    let ready = unsafe { libc::poll(&mut fd, 1, 0) };
    ready > 0 && fd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
}

/// Write the results (the race's JSON, lanes still running as they stand) and the screen
/// (text) to the current folder; returns a status line.
fn save(app: &App, race: &Race, screen: &Buffer) -> String {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let runs: Vec<_> = app.lanes.iter().filter_map(|l| l.snapshot()).collect();
    let lanes = runs.iter().cloned().zip(speedups(&runs)).map(|(run, speedup)| LaneResult { run, speedup }).collect();
    let result = race_command::result(race, Machine::read(), lanes);
    let (json, text) = (format!("sideways-race-{stamp}.json"), format!("sideways-race-{stamp}.txt"));
    let written = write_atomically(json.as_ref(), crate::schema::result_pretty("race", &result).as_bytes())
        .and_then(|_| write_atomically(text.as_ref(), screen_text(screen).as_bytes()));
    match written {
        Ok(()) => format!("saved {json} and {text}"),
        Err(e) => format!("could not save: {e}"),
    }
}

/// A buffer as plain text, one line per row.
pub fn screen_text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        // A wide character (Chinese) fills two cells: the second is not read.
        let (mut line, mut x) = (String::new(), 0);
        while x < buf.area.width {
            let symbol = buf[(x, y)].symbol();
            line.push_str(symbol);
            x += (unicode_width::UnicodeWidthStr::width(symbol) as u16).max(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// CPU use per core by this process's threads (from /proc/self/task), and by the UI thread.
struct CoreMeter {
    last: Instant,
    threads: std::collections::HashMap<String, u64>,
    ui: u64,
    tick: f64,
    /// What the last window measured, shown until the next window closes.
    shown: Option<(Vec<f64>, f64)>,
}

/// The kernel counts CPU time in clock ticks (10 ms): over one 50 ms frame a thread reads as 0%
/// or 20%, so use is measured over half a second.
const METER_WINDOW: Duration = Duration::from_millis(500);

impl CoreMeter {
    fn new() -> Self {
        // SAFETY: sysconf has no preconditions.
        let tick = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        CoreMeter {
            last: Instant::now(),
            threads: Default::default(),
            ui: ticks("/proc/thread-self/stat").map_or(0, |t| t.0),
            tick,
            shown: None,
        }
    }

    /// Share of each core used over the last window, and the UI thread's share of one core.
    fn sample(&mut self) -> (Vec<f64>, f64) {
        if let Some(shown) = self.shown.as_ref().filter(|_| self.last.elapsed() < METER_WINDOW) {
            return shown.clone();
        }
        let secs = self.last.elapsed().as_secs_f64().max(1e-3);
        self.last = Instant::now();
        let mut per_core = vec![0.0; Threads::available()];
        if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
            for task in dir.flatten() {
                let path = task.path().join("stat");
                if let Some((t, cpu)) = ticks(&path.to_string_lossy()) {
                    let key = task.file_name().to_string_lossy().into_owned();
                    let before = self.threads.insert(key, t).unwrap_or(t);
                    if let Some(c) = per_core.get_mut(cpu) {
                        *c += (t - before) as f64 / self.tick / secs;
                    }
                }
            }
        }
        let ui_now = ticks("/proc/thread-self/stat").map_or(self.ui, |t| t.0);
        let ui = (ui_now.saturating_sub(self.ui)) as f64 / self.tick / secs;
        self.ui = ui_now;
        let measured = (per_core.into_iter().map(|c| c.min(1.0)).collect::<Vec<_>>(), ui);
        self.shown = Some(measured.clone());
        measured
    }
}

/// utime + stime (clock ticks) and the last CPU of a /proc stat file.
fn ticks(path: &str) -> Option<(u64, usize)> {
    let s = std::fs::read_to_string(path).ok()?;
    let fields: Vec<&str> = s[s.rfind(')')? + 1..].split_whitespace().collect();
    let t = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some((t, fields.get(36)?.parse().ok()?))
}
