//! `sideways learn` on a terminal: the state of the lesson viewer and its pure update (the Elm
//! architecture, as the dashboard's [`super::app`]). A lesson's text is shown beside its live
//! experiment, drawn with the dashboard's own widgets (its lanes are a dashboard [`App`] fed the
//! same engine events); lessons 4 and 7 add a "what if" view that projects the measured step to
//! P processors (see `lessons::experiments::projection`), which the learner moves with + and −.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, LaneView};
use crate::lessons::experiments::{Experiment, OneThreadStep, PROCESSORS};
use crate::lessons::{Catalogue, Lang, Progress};
use crate::train::{Event, EventKind};

/// Turns an experiment's result into the lines `sideways learn N --run` prints (the command
/// line's formatter, passed in: the viewer does not import the command line).
pub type Describe = fn(&Experiment) -> String;

/// What the learner asked for, or what came back.
pub enum Message {
    Key(KeyEvent),
    Resize(u16, u16),
    /// An event of the running experiment.
    Engine(Event),
    /// The experiment ended: its result, or why it failed.
    Finished(Result<Experiment, String>),
}

/// What the runtime must do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Quit,
    /// Start lesson N's experiment.
    Run(u32),
}

/// A lesson's experiment: live while it runs, then its result.
pub struct ExperimentView {
    pub lesson: u32,
    /// The lanes, drawn by the dashboard's widgets.
    pub live: App,
    /// The experiment's notes, newest last.
    pub notes: Vec<String>,
    /// The result as text, or the error.
    pub result: Option<Result<String, String>>,
    /// Lessons 4 and 7: each model's measured one-thread step, for the "what if" view.
    pub measured: Vec<OneThreadStep>,
    /// First line of the result shown (it scrolls with [ and ]).
    pub scroll: usize,
}

/// The lesson viewer.
pub struct Course {
    pub course: Catalogue,
    pub progress: Progress,
    pub describe: Describe,
    /// Index into `course.lessons`.
    pub selected: usize,
    /// First line of the lesson's text shown.
    pub scroll: usize,
    pub lang: Lang,
    pub experiment: Option<ExperimentView>,
    /// Index into [`PROCESSORS`] of the "what if" view.
    pub processors: usize,
    pub help: bool,
    pub size: (u16, u16),
    pub color: bool,
    /// A line for the footer.
    pub status: String,
}

impl Course {
    pub fn new(course: Catalogue, progress: Progress, describe: Describe, lang: Lang, lesson: Option<u32>) -> Self {
        let selected = lesson.and_then(|id| course.lessons.iter().position(|l| l.id == id)).unwrap_or(0);
        Course {
            course,
            progress,
            describe,
            selected,
            scroll: 0,
            lang,
            experiment: None,
            processors: PROCESSORS.iter().position(|&p| p == 512.0).unwrap_or(0),
            help: false,
            size: (80, 24),
            color: true,
            status: String::new(),
        }
    }

    /// The lesson on screen.
    pub fn lesson_id(&self) -> u32 {
        self.course.lessons[self.selected].id
    }

    /// The experiment of the lesson on screen, if it was started.
    pub fn shown_experiment(&self) -> Option<&ExperimentView> {
        self.experiment.as_ref().filter(|e| e.lesson == self.lesson_id())
    }

    pub fn running(&self) -> bool {
        self.experiment.as_ref().is_some_and(|e| e.result.is_none())
    }

    pub fn update(&mut self, msg: Message) -> Vec<Effect> {
        match msg {
            Message::Key(k) => return self.key(k),
            Message::Resize(w, h) => self.size = (w, h),
            Message::Engine(e) => self.engine(e),
            Message::Finished(result) => self.finished(result),
        }
        Vec::new()
    }

    fn key(&mut self, k: KeyEvent) -> Vec<Effect> {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            return vec![Effect::Quit];
        }
        if self.help {
            self.help = false;
            return Vec::new();
        }
        let page = usize::from(self.size.1.saturating_sub(6)).max(1);
        match k.code {
            KeyCode::Char('q') | KeyCode::Esc => return vec![Effect::Quit],
            KeyCode::Char('?') => self.help = true,
            KeyCode::Right | KeyCode::Char('n') => self.select(self.selected + 1),
            KeyCode::Left | KeyCode::Char('p') => self.select(self.selected.saturating_sub(1)),
            KeyCode::Char(c @ '1'..='9') => {
                if let Some(i) = self.course.lessons.iter().position(|l| l.id == c as u32 - '0' as u32) {
                    self.select(i);
                }
            }
            KeyCode::Down | KeyCode::Char('j') => self.scroll += 1,
            KeyCode::Up | KeyCode::Char('k') => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => self.scroll += page,
            KeyCode::PageUp => self.scroll = self.scroll.saturating_sub(page),
            KeyCode::Home => self.scroll = 0,
            KeyCode::Char(']') => self.scroll_result(1),
            KeyCode::Char('[') => self.scroll_result(-1),
            KeyCode::Char('+') | KeyCode::Char('=') => {
                self.processors = (self.processors + 1).min(PROCESSORS.len() - 1)
            }
            KeyCode::Char('-') => self.processors = self.processors.saturating_sub(1),
            KeyCode::Char('l') => {
                self.lang = match self.lang {
                    Lang::En => Lang::Zh,
                    Lang::Zh => Lang::En,
                };
            }
            KeyCode::Char('r') => return self.run(),
            _ => {}
        }
        // Scrolling stops at the end, so that the way back is as long as the way there.
        self.scroll = self.scroll.min(super::course_view::last_scroll(self));
        Vec::new()
    }

    fn select(&mut self, i: usize) {
        let i = i.min(self.course.lessons.len() - 1);
        if i != self.selected {
            (self.selected, self.scroll) = (i, 0);
        }
    }

    fn scroll_result(&mut self, by: isize) {
        if let Some(e) = self.experiment.as_mut() {
            let lines = e.result.as_ref().and_then(|r| r.as_ref().ok()).map_or(0, |t| t.lines().count());
            e.scroll = e.scroll.saturating_add_signed(by).min(lines.saturating_sub(1));
        }
    }

    fn run(&mut self) -> Vec<Effect> {
        if let Some(e) = self.experiment.as_ref().filter(|e| e.result.is_none()) {
            self.status = format!("lesson {}'s experiment is still running", e.lesson);
            return Vec::new();
        }
        let lesson = self.lesson_id();
        let mut live = App::new("", "", "", &[], "", 1);
        live.color = self.color;
        self.experiment =
            Some(ExperimentView { lesson, live, notes: Vec::new(), result: None, measured: Vec::new(), scroll: 0 });
        self.status = format!("running lesson {lesson}'s experiment");
        vec![Effect::Run(lesson)]
    }

    fn engine(&mut self, e: Event) {
        let Some(x) = self.experiment.as_mut() else { return };
        match &e.kind {
            EventKind::Note { text } | EventKind::Warning { text } => x.notes.push(text.clone()),
            EventKind::Start(_) if x.live.lanes.len() <= e.lane => {
                x.live.lanes.resize(e.lane + 1, LaneView::default());
            }
            _ => {}
        }
        x.live.update(super::app::Message::Engine(e));
    }

    fn finished(&mut self, result: Result<Experiment, String>) {
        let describe = self.describe;
        let Some(x) = self.experiment.as_mut() else { return };
        x.measured = result.as_ref().map_or(Vec::new(), |r| r.one_thread_steps().to_vec());
        self.status = match &result {
            Ok(_) => format!("lesson {}'s experiment is done", x.lesson),
            Err(_) => format!("lesson {}'s experiment failed", x.lesson),
        };
        x.result = Some(result.map(|r| describe(&r)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::EventKind;

    fn key(c: KeyCode) -> Message {
        Message::Key(KeyEvent::new(c, KeyModifiers::NONE))
    }

    fn course() -> Course {
        Course::new(Catalogue::embedded(), Progress::default(), |_| "result".into(), Lang::En, Some(2))
    }

    #[test]
    fn keys_move_between_lessons_scroll_and_quit() {
        let mut c = course();
        assert_eq!(c.lesson_id(), 2);
        c.update(key(KeyCode::Down));
        c.update(key(KeyCode::Down));
        assert_eq!(c.scroll, 2);
        for _ in 0..1000 {
            c.update(key(KeyCode::PageDown));
        }
        let end = c.scroll;
        assert!(end > 2 && end < 200, "scrolling stops at the end of the lesson: {end}");
        c.update(key(KeyCode::Up));
        assert_eq!(c.scroll, end - 1, "and the first key back moves back");
        c.update(key(KeyCode::Right));
        assert_eq!((c.lesson_id(), c.scroll), (3, 0), "a new lesson starts at its top");
        c.update(key(KeyCode::Char('8')));
        c.update(key(KeyCode::Right));
        assert_eq!(c.lesson_id(), 8, "the last lesson stays the last");
        c.update(key(KeyCode::Char('l')));
        assert_eq!(c.lang, Lang::Zh);
        c.update(key(KeyCode::Char('?')));
        assert!(c.help);
        assert!(c.update(key(KeyCode::Char('q'))).is_empty() && !c.help, "q first closes the help");
        assert_eq!(c.update(key(KeyCode::Char('q'))), [Effect::Quit]);
    }

    #[test]
    fn an_experiment_runs_once_at_a_time_and_its_lanes_appear_as_they_start() {
        let mut c = course();
        assert_eq!(c.update(key(KeyCode::Char('r'))), [Effect::Run(2)]);
        assert!(c.update(key(KeyCode::Char('r'))).is_empty() && c.status.contains("still running"));
        let note = Event { lane: 0, kind: EventKind::Note { text: "measuring".into() } };
        c.update(Message::Engine(note));
        assert_eq!(c.shown_experiment().unwrap().notes, ["measuring"]);
        c.update(Message::Finished(Err("no corpus".into())));
        assert!(!c.running());
        assert_eq!(c.shown_experiment().unwrap().result, Some(Err("no corpus".into())));
        c.update(key(KeyCode::Right));
        assert!(c.shown_experiment().is_none(), "lesson 3 has not run its own");
    }

    #[test]
    fn the_what_if_view_projects_by_the_work_and_span_bound() {
        let m =
            OneThreadStep { model: "rnn".parse().unwrap(), step_ms: 10.0, work: 1000.0, span: 10.0, tokens: 2048.0 };
        assert_eq!(m.projected_ms(1.0), 10.0);
        assert_eq!(m.projected_ms(10.0), 1.0);
        assert_eq!(m.projected_ms(25_000.0), 0.1, "never below the span");
        let mut c = course();
        let start = c.processors;
        c.update(key(KeyCode::Char('+')));
        assert_eq!(c.processors, start + 1);
        for _ in 0..20 {
            c.update(key(KeyCode::Char('-')));
        }
        assert_eq!(PROCESSORS[c.processors], 1.0);
    }
}
