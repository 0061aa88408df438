//! The dashboard's state and its pure update function (the Elm architecture): every key,
//! engine event, tick and resize is a [`Message`]; [`App::update`] changes the state and returns
//! the [`Effect`]s the runtime must carry out. Nothing here touches the terminal or the clock,
//! so scripted messages test it completely.

use std::collections::VecDeque;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::model::ModelKind;
use crate::train::{Control, EvalReport, Event, EventKind, RunResult};

/// Points kept for the tokens/s sparkline.
const SPARK: usize = 120;

/// Everything the dashboard shows about one lane.
#[derive(Clone, Debug, Default)]
pub struct LaneView {
    pub label: String,
    pub model: Option<ModelKind>,
    pub threads: usize,
    /// The GPU the lane trains on (`None`: CPU threads).
    pub device: Option<String>,
    /// On a GPU: the last step's kernel dispatches and device seconds.
    pub dispatches: Option<u64>,
    pub gpu_seconds: Option<f64>,
    pub parameters: usize,
    pub critical_path: usize,
    pub work: f64,
    pub span: f64,
    pub step: u64,
    pub tokens: u64,
    pub seconds: f64,
    pub loss: f32,
    /// The last validation.
    pub eval: Option<EvalReport>,
    pub tokens_per_s: f64,
    pub gflops: f64,
    /// Share of the measured matrix-product peak (`None` where it was not measured).
    pub peak_share: Option<f64>,
    pub sequential_share: f64,
    /// Recent tokens/s, for the sparkline.
    pub speed: VecDeque<u64>,
    /// (lane seconds, tokens, loss) after every step.
    pub curve: Vec<(f64, f64, f64)>,
    pub prompt: Vec<String>,
    pub next: Vec<(String, f32)>,
    /// A model that reads all words at once: [block][head] attention (t, t) over the prompt.
    pub attention: Option<Vec<Vec<Vec<f32>>>>,
    /// A model that reads one word at a time: hidden-state norm after each prompt word.
    pub hidden_norms: Option<Vec<f32>>,
    /// The lane's final numbers, once it is done.
    pub result: Option<RunResult>,
    pub done: bool,
}

impl LaneView {
    /// What the lane runs on, in a few characters: "2 threads" or "GPU".
    pub fn hardware(&self) -> String {
        match (&self.device, self.threads) {
            (Some(_), _) => "GPU".into(),
            (None, 1) => "1 thread".into(),
            (None, n) => format!("{n} threads"),
        }
    }

    pub fn val_loss(&self) -> Option<f32> {
        self.eval.map(|e| e.val_loss)
    }

    /// The lane's numbers as they stand: its final result once it is done, before that what
    /// its events said so far (marked as stopped: it had not spent its budget).
    pub fn snapshot(&self) -> Option<RunResult> {
        if let Some(r) = &self.result {
            return Some(r.clone());
        }
        let tail = &self.curve[self.curve.len().saturating_sub(10)..];
        Some(RunResult {
            label: self.label.clone(),
            model: self.model?,
            parameters: self.parameters,
            threads: self.threads,
            device: self.device.clone(),
            dispatches: self.dispatches,
            gpu_step_seconds: self.gpu_seconds,
            steps: self.curve.len() as u64,
            last_step: self.step,
            tokens: self.tokens,
            seconds: self.seconds,
            train_loss: (!tail.is_empty()).then(|| (tail.iter().map(|p| p.2).sum::<f64>() / tail.len() as f64) as f32),
            eval: self.eval,
            tokens_per_s: self.tokens_per_s,
            step_seconds: None,
            gflops: self.gflops,
            peak_share: self.peak_share,
            critical_path: self.critical_path,
            work: self.work,
            span: self.span,
            sequential_share: self.sequential_share,
            stopped: true,
        })
    }
}

/// The x axis of the loss chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    Seconds,
    Tokens,
}

/// One input to [`App::update`]. An engine event is larger than a key, but a few hundred a
/// second pass through: boxing them would buy nothing.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Message {
    Key(KeyEvent),
    Engine(Event),
    /// A redraw tick: wall time since the start, use of each core by the race, and the
    /// dashboard's own CPU share.
    Tick {
        elapsed: f64,
        cores: Vec<f64>,
        ui_cpu: f64,
    },
    Resize(u16, u16),
}

/// What the runtime must do after an update.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Control(Control),
    Save,
    Restart,
    Quit,
}

/// The whole dashboard.
#[derive(Clone, Debug)]
pub struct App {
    pub corpus: String,
    pub budget: String,
    pub config: String,
    pub lanes: Vec<LaneView>,
    pub selected: usize,
    pub axis: Axis,
    /// Which (block, head) of the Transformer's attention to show, flattened.
    pub head: usize,
    pub paused: bool,
    pub prompt: String,
    /// The prompt being typed, while `p` editing is on.
    pub editing: Option<String>,
    pub help: bool,
    pub elapsed: f64,
    pub cores: Vec<f64>,
    pub ui_cpu: f64,
    pub size: (u16, u16),
    pub max_threads: usize,
    pub color: bool,
    /// A line for the footer ("saved …").
    pub status: String,
}

impl App {
    /// A dashboard for lanes given as (label, threads), before the race has said anything.
    pub fn new(
        corpus: &str,
        budget: &str,
        config: &str,
        lanes: &[(String, usize)],
        prompt: &str,
        max_threads: usize,
    ) -> Self {
        App {
            corpus: corpus.into(),
            budget: budget.into(),
            config: config.into(),
            lanes: lanes
                .iter()
                .map(|(l, t)| LaneView { label: l.clone(), threads: *t, ..Default::default() })
                .collect(),
            selected: 0,
            axis: Axis::Seconds,
            head: 0,
            paused: false,
            prompt: prompt.into(),
            editing: None,
            help: false,
            elapsed: 0.0,
            cores: Vec::new(),
            ui_cpu: 0.0,
            size: (80, 24),
            max_threads: max_threads.max(1),
            color: true,
            status: String::new(),
        }
    }

    /// All lanes spent their budgets: the summary screen.
    pub fn finished(&self) -> bool {
        !self.lanes.is_empty() && self.lanes.iter().all(|l| l.done)
    }

    /// The heads of the first Transformer lane's attention, flattened (block, head).
    pub fn heads(&self) -> usize {
        self.lanes.iter().find_map(|l| l.attention.as_ref()).map_or(0, |a| a.iter().map(Vec::len).sum())
    }

    pub fn update(&mut self, msg: Message) -> Vec<Effect> {
        match msg {
            Message::Engine(e) => {
                self.engine(e);
                Vec::new()
            }
            Message::Tick { elapsed, cores, ui_cpu } => {
                (self.elapsed, self.cores, self.ui_cpu) = (elapsed, cores, ui_cpu);
                Vec::new()
            }
            Message::Resize(w, h) => {
                self.size = (w, h);
                Vec::new()
            }
            Message::Key(k) => self.key(k),
        }
    }

    fn engine(&mut self, e: Event) {
        let Some(l) = self.lanes.get_mut(e.lane) else { return };
        match e.kind {
            EventKind::Start(info) => {
                *l = LaneView {
                    label: info.label,
                    model: Some(info.model),
                    threads: info.threads,
                    device: info.device,
                    parameters: info.parameters,
                    critical_path: info.critical_path,
                    work: info.work,
                    span: info.span,
                    ..Default::default()
                };
            }
            EventKind::Step(s) => {
                (l.step, l.tokens, l.seconds, l.loss, l.threads) = (s.step, s.tokens, s.seconds, s.loss, s.threads);
                (l.tokens_per_s, l.gflops, l.peak_share, l.sequential_share) =
                    (s.tokens_per_s, s.gflops, s.peak_share, s.sequential_share);
                if l.speed.len() == SPARK {
                    l.speed.pop_front();
                }
                l.speed.push_back(s.tokens_per_s as u64);
                if let Some(d) = s.device {
                    (l.dispatches, l.gpu_seconds) = (Some(d.dispatches), d.gpu_seconds.or(l.gpu_seconds));
                }
                l.curve.push((s.seconds, s.tokens as f64, s.loss as f64));
            }
            EventKind::Eval(e) => l.eval = Some(e.report),
            EventKind::Sample(s) => {
                l.prompt = s.prompt;
                l.next = s.next.into_iter().map(|p| (p.word, p.prob)).collect();
                (l.attention, l.hidden_norms) = (s.trace.attention, s.trace.hidden_norms);
            }
            EventKind::Warning { text } => self.status = text,
            EventKind::Done(r) => {
                l.done = true;
                l.result = Some(r);
            }
            EventKind::Saved { .. } | EventKind::Note { .. } => {}
        }
    }

    fn key(&mut self, k: KeyEvent) -> Vec<Effect> {
        if let Some(text) = &mut self.editing {
            match k.code {
                KeyCode::Enter => {
                    let prompt = std::mem::take(text);
                    self.editing = None;
                    if prompt.trim().is_empty() {
                        return Vec::new();
                    }
                    self.prompt = prompt.clone();
                    return vec![Effect::Control(Control::SetPrompt(prompt))];
                }
                KeyCode::Esc => self.editing = None,
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => text.push(c),
                _ => {}
            }
            return Vec::new();
        }
        let ctrl_c = k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
        if self.help && !matches!(k.code, KeyCode::Char('q')) && !ctrl_c {
            self.help = false;
            return Vec::new();
        }
        match k.code {
            _ if ctrl_c => vec![Effect::Quit],
            KeyCode::Char('q') | KeyCode::Esc => vec![Effect::Quit],
            KeyCode::Char(' ') => {
                self.paused = !self.paused;
                vec![Effect::Control(if self.paused { Control::Pause } else { Control::Resume })]
            }
            KeyCode::Char('+') | KeyCode::Char('=') | KeyCode::Char('-') => {
                let up = k.code != KeyCode::Char('-');
                let Some(l) = self.lanes.get_mut(self.selected) else { return Vec::new() };
                let threads =
                    if up { (l.threads + 1).min(self.max_threads) } else { l.threads.saturating_sub(1).max(1) };
                // A GPU lane has no threads to change.
                if threads == l.threads || l.done || l.device.is_some() {
                    return Vec::new();
                }
                l.threads = threads;
                vec![Effect::Control(Control::SetThreads { lane: self.selected, threads })]
            }
            KeyCode::Tab => {
                self.selected = (self.selected + 1) % self.lanes.len().max(1);
                Vec::new()
            }
            KeyCode::BackTab => {
                self.selected = (self.selected + self.lanes.len().max(1) - 1) % self.lanes.len().max(1);
                Vec::new()
            }
            KeyCode::Char('t') => {
                self.axis = if self.axis == Axis::Seconds { Axis::Tokens } else { Axis::Seconds };
                Vec::new()
            }
            KeyCode::Char('l') | KeyCode::Right => {
                self.head = (self.head + 1) % self.heads().max(1);
                Vec::new()
            }
            KeyCode::Char('h') | KeyCode::Left => {
                let n = self.heads().max(1);
                self.head = (self.head + n - 1) % n;
                Vec::new()
            }
            KeyCode::Char('p') => {
                self.editing = Some(String::new());
                Vec::new()
            }
            KeyCode::Char('r') => {
                self.paused = false;
                vec![Effect::Restart]
            }
            KeyCode::Char('s') => vec![Effect::Save],
            KeyCode::Char('?') => {
                self.help = true;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }
}
