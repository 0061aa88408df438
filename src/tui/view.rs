//! The whole screen: `impl Widget for &App`. Layout from top to bottom: header, one card per
//! lane (in rows of cards when they do not fit side by side), the loss chart beside the cores,
//! the next-word and attention/hidden-state panels, footer. Overlays: help and the end-of-race summary. Below 80×24 a message asks for room.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::app::App;
use super::style::fg;
use super::{lanes, panels};
use crate::units::thousands;

pub const MIN_SIZE: (u16, u16) = (80, 24);

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
            too_small(area, buf);
            return;
        }
        let tall = area.height >= 36;
        let (card, panels) = if tall { (8, 14) } else { (7, 7) };
        // Cards wrap into more rows while the loss chart keeps 7 lines to be read in; past that
        // they share one row, narrower.
        let wanted = lanes::card_rows(self.lanes.len(), area.width);
        let card_rows = if area.height >= 2 + wanted * card + 7 + panels { wanted } else { 1 };
        let [header, lane_row, middle, bottom, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(card_rows * card),
            Constraint::Fill(1),
            Constraint::Length(panels),
            Constraint::Length(1),
        ])
        .areas(area);
        self.header(header, buf);
        lanes::columns(self, lane_row, card_rows, buf);
        let [chart, cores] = Layout::horizontal([Constraint::Percentage(64), Constraint::Percentage(36)]).areas(middle);
        lanes::loss_chart(self, chart, buf);
        panels::cores(self, cores, buf);
        let [next, maps] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
        panels::next_words(self, next, buf);
        panels::maps(self, maps, buf);
        self.footer(footer, buf);
        if self.help {
            help(self, area, buf);
        } else if self.finished() {
            summary(self, area, buf);
        }
    }
}

impl App {
    fn header(&self, area: Rect, buf: &mut Buffer) {
        let mut spans = vec![Span::styled(
            " sideways race ",
            fg(self, Color::Black).bg(if self.color { Color::Cyan } else { Color::Reset }).add_modifier(Modifier::BOLD),
        )];
        if self.paused {
            // First, so that a narrow terminal never cuts it off.
            spans.push(Span::styled(" PAUSED", fg(self, Color::Yellow).add_modifier(Modifier::BOLD)));
        }
        spans.push(Span::raw(format!(
            " elapsed {:.1} s · budget {} per lane · corpus {} · {}",
            self.elapsed, self.budget, self.corpus, self.config
        )));
        Line::from(spans).render(area, buf);
    }

    fn footer(&self, area: Rect, buf: &mut Buffer) {
        // The course is named first, where an 80-column terminal still shows it.
        let keys = "? help  q quit  new here? `sideways learn`  │ space pause  +/- threads  tab lane  t axis  h/l head  p prompt  r restart  s save";
        let text = if self.status.is_empty() { keys.to_string() } else { format!("{}  │ {}", self.status, keys) };
        Line::styled(text, fg(self, Color::DarkGray)).render(area, buf);
    }
}

fn too_small(area: Rect, buf: &mut Buffer) {
    let text = format!("sideways needs a terminal of at least {}×{} (this one is {}×{}): please enlarge the window, or run `sideways race --headless`", MIN_SIZE.0, MIN_SIZE.1, area.width, area.height);
    Paragraph::new(text).wrap(Wrap { trim: true }).render(area, buf);
}

/// A centred box of `w` × `h`, cleared.
fn popup(area: Rect, w: u16, h: u16, title: &str, buf: &mut Buffer) -> Rect {
    let r = Rect {
        x: area.x + area.width.saturating_sub(w) / 2,
        y: area.y + area.height.saturating_sub(h) / 2,
        width: w.min(area.width),
        height: h.min(area.height),
    };
    Clear.render(r, buf);
    let block = Block::default().borders(Borders::ALL).title(title.to_string());
    let inner = block.inner(r);
    block.render(r, buf);
    inner
}

fn help(app: &App, area: Rect, buf: &mut Buffer) {
    let inner = popup(area, 68, 16, " keys ", buf);
    let lines = [
        "space      pause / resume every lane (their clocks stop too)",
        "+ / -      one more / one fewer thread for the selected lane",
        "tab        select the next lane",
        "t          loss against wall-clock time / against tokens seen",
        "h / l      previous / next attention head (block by block)",
        "p          type a new prompt, Enter to use it, Esc to cancel",
        "r          restart the race",
        "s          save the results (JSON) and this screen (text)",
        "?          this help; any key closes it",
        "q, Esc     quit (also Ctrl-C)",
        "",
        "Lanes take turns on the cores, each timed on its own clock.",
    ];
    Paragraph::new(lines.iter().map(|l| Line::raw(*l)).collect::<Vec<_>>())
        .style(fg(app, Color::White))
        .render(inner, buf);
}

/// The end of the race: who won what, and why.
pub fn summary(app: &App, area: Rect, buf: &mut Buffer) {
    let inner = popup(area, 76, 12, " race over — q to quit, r to race again ", buf);
    Paragraph::new(summary_lines(app)).wrap(Wrap { trim: true }).render(inner, buf);
}

/// The summary's sentences (also used by the text snapshot of the screen).
pub fn summary_lines(app: &App) -> Vec<Line<'static>> {
    let best = |key: &dyn Fn(&super::app::LaneView) -> f64| app.lanes.iter().max_by(|a, b| key(a).total_cmp(&key(b)));
    let mut lines = Vec::new();
    if let Some(l) = best(&|l| -(l.val_loss().unwrap_or(f32::INFINITY) as f64)) {
        lines.push(Line::raw(format!("lowest validation loss: {} ({:.3})", l.label, l.val_loss().unwrap_or(f32::NAN))));
    }
    if let Some(l) = best(&|l| l.tokens_per_s) {
        lines.push(Line::raw(format!("most tokens per second: {} ({} tokens/s)", l.label, thousands(l.tokens_per_s))));
    }
    for l in &app.lanes {
        let base = app.lanes.iter().find(|b| b.model == l.model && b.threads == 1 && b.tokens_per_s > 0.0);
        if let (Some(b), true) = (base, l.threads > 1) {
            lines.push(Line::raw(format!(
                "speed-up of {} over 1 thread: {:.2}x",
                l.label,
                l.tokens_per_s / b.tokens_per_s
            )));
        }
    }
    // The work and span bound per model: W / S processors at most (the first lane of each model).
    let mut caps: Vec<String> = Vec::new();
    for (i, l) in app.lanes.iter().enumerate() {
        let first = app.lanes.iter().position(|o| o.model == l.model) == Some(i);
        if let (Some(model), true, true) = (l.model, first, l.span > 0.0) {
            caps.push(format!("{:.0} for the {model}", l.work / l.span));
        }
    }
    if !caps.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::raw(format!(
            "The moral: here, on {} cores, speed comes from arithmetic per word. With thousands of processors the chains decide how many can help a step: at most {}.",
            app.max_threads,
            caps.join(", ")
        )));
    }
    lines
}
