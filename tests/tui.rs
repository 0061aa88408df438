//! The dashboard without a terminal: scripted messages against the state, and whole screens
//! rendered into ratatui's TestBackend and compared with snapshots.

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

use sideways::model::ModelKind;
use sideways::predict::Prediction;
use sideways::train::{
    Budget, Control, EvalMetrics, EvalReport, Event, EventKind, RunInfo, RunResult, Sample, StepMetrics,
};
use sideways::tui::app::{App, Axis, Effect, Message};

fn key(c: KeyCode) -> Message {
    Message::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn engine(lane: usize, kind: EventKind) -> Message {
    Message::Engine(Event { lane, kind })
}

fn step(step: u64, loss: f32, tps: f64) -> EventKind {
    EventKind::Step(StepMetrics {
        step,
        loss,
        lr: 1e-3,
        grad_norm: 1.0,
        threads: 1,
        tokens: step * 2048,
        seconds: step as f64 * 2048.0 / tps,
        step_seconds: 2048.0 / tps,
        tokens_per_s: tps,
        gflops: tps * 3.3e-3,
        peak_share: Some(0.6),
        sequential_share: 0.04,
        device: None,
        sync_seconds: None,
    })
}

fn eval(step: u64, seconds: f64, val_loss: f32) -> EventKind {
    let report = EvalReport { val_loss, perplexity: val_loss.exp(), accuracy: 0.15, tokens: 25_216 };
    EventKind::Eval(EvalMetrics { step, seconds, report })
}

fn predictions(words: &[(&str, f32)]) -> Vec<Prediction> {
    words.iter().map(|&(w, p)| Prediction { word: w.into(), prob: p }).collect()
}

/// The start of a lane of `model`, on the CPU, at the standard sizes.
fn start(label: &str, model: ModelKind) -> RunInfo {
    RunInfo {
        label: label.into(),
        model,
        config: model.standard(4096),
        parameters: 1_000_000,
        corpus: "default".into(),
        train_tokens: 900_000,
        vocab_size: 4096,
        threads: 1,
        processes: 1,
        batch_size: 32,
        seq_len: 64,
        from_step: 0,
        budget: Budget::Seconds(10.0),
        critical_path: model.standard(4096).spec().work_span(32, 64).critical_path,
        work: 6.8e9,
        span: 9.5e6,
        peak_gflops: None,
        device: None,
        store_bytes: 16_000_000,
        activation_bytes: 50_000_000,
    }
}

/// A race of two lanes, 30 steps in, with a sample and a validation each.
fn scripted() -> App {
    let mut app = App::new(
        "default",
        "10s",
        "batch 32×64 tokens, seed 1337",
        &[("rnn@1".into(), 1), ("transformer@1".into(), 1)],
        "i ate a good",
        2,
    );
    for (lane, model, path, work, span) in [(0, "rnn", 64, 6.8e9, 9.5e6), (1, "transformer", 2, 1.2e10, 5.7e6)] {
        let model: ModelKind = model.parse().unwrap();
        let info = RunInfo {
            critical_path: path,
            work,
            span,
            peak_gflops: Some(250.0),
            ..start(&app.lanes[lane].label, model)
        };
        app.update(engine(lane, EventKind::Start(info)));
    }
    for s in 1..=30u64 {
        app.update(engine(0, step(s, 8.0 - s as f32 * 0.1, 45_000.0 + s as f64 * 10.0)));
        app.update(engine(1, step(s, 8.0 - s as f32 * 0.12, 27_000.0)));
    }
    let prompt: Vec<String> = ["i", "ate", "a", "good"].map(String::from).to_vec();
    let causal: Vec<f32> = (0..16).map(|k| if k % 4 <= k / 4 { 1.0 / (k / 4 + 1) as f32 } else { 0.0 }).collect();
    let sample = |next: &[(&str, f32)], trace: sideways::model::Trace| {
        EventKind::Sample(Sample { step: 30, prompt: prompt.clone(), next: predictions(next), trace })
    };
    let rnn_trace = sideways::model::Trace { attention: None, hidden_norms: Some(vec![5.0, 7.5, 9.0, 10.0]) };
    app.update(engine(0, sample(&[("breakfast", 0.21), ("lunch", 0.2), ("dinner", 0.19)], rnn_trace)));
    let tf_trace =
        sideways::model::Trace { attention: Some(vec![vec![causal.clone(); 4], vec![causal; 4]]), hidden_norms: None };
    app.update(engine(1, sample(&[("dinner", 0.3), ("supper", 0.25), ("lunch", 0.2)], tf_trace)));
    app.update(engine(0, eval(30, 1.4, 5.1)));
    app.update(engine(1, eval(30, 2.3, 4.9)));
    app.update(Message::Tick { elapsed: 3.7, cores: vec![0.95, 0.1], ui_cpu: 0.004 });
    app
}

fn screen(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| f.render_widget(app, f.area())).unwrap();
    let buf = t.backend().buffer().clone();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>().trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn keys_become_controls_and_state() {
    let mut app = scripted();
    assert_eq!(app.update(key(KeyCode::Char(' '))), [Effect::Control(Control::Pause)]);
    assert!(app.paused);
    assert_eq!(app.update(key(KeyCode::Char(' '))), [Effect::Control(Control::Resume)]);
    assert_eq!(app.update(key(KeyCode::Char('+'))), [Effect::Control(Control::SetThreads { lane: 0, threads: 2 })]);
    assert!(app.update(key(KeyCode::Char('+'))).is_empty(), "no more threads than cores");
    app.update(key(KeyCode::Tab));
    assert_eq!(app.selected, 1);
    assert!(app.update(key(KeyCode::Char('-'))).is_empty(), "never below one thread");
    app.update(key(KeyCode::Char('t')));
    assert_eq!(app.axis, Axis::Tokens);
    assert_eq!(app.heads(), 8);
    app.update(key(KeyCode::Char('h')));
    assert_eq!(app.head, 7, "h wraps to the last head");
    app.update(key(KeyCode::Char('p')));
    for c in "she wished".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    app.update(key(KeyCode::Backspace));
    assert_eq!(app.update(key(KeyCode::Enter)), [Effect::Control(Control::SetPrompt("she wishe".into()))]);
    assert_eq!(app.prompt, "she wishe");
    app.update(key(KeyCode::Char('?')));
    assert!(app.help);
    assert!(app.update(key(KeyCode::Char('x'))).is_empty() && !app.help, "any key closes the help");
    assert_eq!(app.update(key(KeyCode::Char('s'))), [Effect::Save]);
    assert_eq!(app.update(key(KeyCode::Char('r'))), [Effect::Restart]);
    assert_eq!(app.update(Message::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))), [Effect::Quit]);
    assert_eq!(app.update(key(KeyCode::Esc)), [Effect::Quit]);
    app.update(Message::Resize(120, 40));
    assert_eq!(app.size, (120, 40));
}

#[test]
fn engine_events_fill_the_lanes_and_the_end_shows_the_summary() {
    let mut app = scripted();
    let rnn = &app.lanes[0];
    assert_eq!((rnn.step, rnn.critical_path, rnn.val_loss()), (30, 64, Some(5.1)));
    assert_eq!(rnn.curve.len(), 30);
    assert!(!app.finished());
    // A snapshot of a running lane says what its events said, and that it had not finished.
    let snap = app.lanes[1].snapshot().unwrap();
    assert_eq!((snap.steps, snap.last_step, snap.tokens_per_s, snap.stopped), (30, 30, 27_000.0, true));
    assert_eq!(snap.model.name(), "transformer");
    for lane in 0..2 {
        let mut done: RunResult = app.lanes[lane].snapshot().unwrap();
        done.stopped = false;
        app.update(engine(lane, EventKind::Done(done)));
    }
    assert!(app.finished());
    assert!(!app.lanes[0].snapshot().unwrap().stopped, "once done, the lane's own result");
    let text = screen(&app, 100, 30);
    assert!(text.contains("race over") && text.contains("lowest validation loss: transformer@1"), "{text}");
}

#[test]
fn screens_at_80x24_and_160x48() {
    let app = scripted();
    insta::assert_snapshot!("dashboard_80x24", screen(&app, 80, 24));
    insta::assert_snapshot!("dashboard_160x48", screen(&app, 160, 48));
}

#[test]
fn a_small_terminal_gets_a_message_and_no_colour_still_draws() {
    let mut app = scripted();
    let text = screen(&app, 60, 20);
    assert!(text.contains("at least 80×24") && text.contains("60×20"), "{text}");
    insta::assert_snapshot!("too_small_60x20", text);
    app.color = false;
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| f.render_widget(&app, f.area())).unwrap();
    let buf = t.backend().buffer();
    assert!(buf.content().iter().all(|c| c.fg == ratatui::style::Color::Reset), "NO_COLOR: no foreground colours");
}

#[test]
fn a_gpu_lane_shows_its_device_and_kernel_chain_and_ignores_thread_keys() {
    let mut app =
        App::new("default", "10s", "batch 32×64 tokens, seed 1337", &[("rnn@gpu".into(), 1)], "i ate a good", 2);
    let model: ModelKind = "rnn".parse().unwrap();
    let info = RunInfo { device: Some("Test GPU 9000".into()), ..start("rnn@gpu", model) };
    app.update(engine(0, EventKind::Start(info)));
    for s in 1..=5u64 {
        let mut kind = step(s, 8.0 - s as f32 * 0.1, 90_000.0);
        if let EventKind::Step(m) = &mut kind {
            m.peak_share = None;
            m.device = Some(sideways::train::DeviceStep { dispatches: 517, gpu_seconds: Some(0.02) });
        }
        app.update(engine(0, kind));
    }
    let text = screen(&app, 120, 36);
    assert!(text.contains("GPU") && text.contains("Test GPU 9000"), "{text}");
    assert!(text.contains("517 kernels"), "the dispatch chain is shown: {text}");
    assert!(app.update(key(KeyCode::Char('+'))).is_empty(), "a GPU lane has no thread count to change");
}
