//! Drawing the lesson viewer: a title bar, the lesson list (on a wide terminal), the lesson's
//! text, its experiment beside or below it (live lanes in the dashboard's loss chart, then the
//! result, and for lessons 4 and 7 the "what if" projection), and a footer of keys.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use super::course::{Course, ExperimentView};
use super::markdown::{self, Styles};
use crate::lessons::experiments::PROCESSORS;
use crate::lessons::Lang;
use crate::units::thousands;

/// Columns of the lesson list, shown from [`LIST_FROM`] columns on.
const LIST_WIDTH: u16 = 30;
const LIST_FROM: u16 = 110;
/// From this width the experiment sits beside the text, below it otherwise.
const SIDE_BY_SIDE_FROM: u16 = 140;

/// Where each part of the screen goes.
struct Areas {
    title: Rect,
    list: Option<Rect>,
    text: Rect,
    experiment: Option<Rect>,
    footer: Rect,
}

fn areas(c: &Course, area: Rect) -> Areas {
    let [title, body, footer] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)]).areas(area);
    let (list, body) = if area.width >= LIST_FROM {
        let [list, rest] = Layout::horizontal([Constraint::Length(LIST_WIDTH), Constraint::Min(20)]).areas(body);
        (Some(list), rest)
    } else {
        (None, body)
    };
    let (text, experiment) = match c.shown_experiment() {
        None => (body, None),
        Some(_) => {
            let [text, panel] = if area.width >= SIDE_BY_SIDE_FROM {
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body)
            } else {
                Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(body)
            };
            (text, Some(panel))
        }
    };
    Areas { title, list, text, experiment, footer }
}

/// The lesson's text laid out for `area` (a column of margin on each side).
fn text_lines(c: &Course, area: Rect) -> Vec<Line<'static>> {
    let text = c.course.text(c.lesson_id(), c.lang).unwrap_or("(this lesson has no text yet)");
    markdown::lines(text, usize::from(area.width.saturating_sub(2)), Styles::new(c.color))
}

/// The largest useful scroll of the lesson's text on a screen of `c.size`: its last line at the
/// bottom.
pub(super) fn last_scroll(c: &Course) -> usize {
    let text = areas(c, Rect::new(0, 0, c.size.0, c.size.1)).text;
    text_lines(c, text).len().saturating_sub(usize::from(text.height))
}

impl Widget for &Course {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let a = areas(self, area);
        title_bar(self, a.title, buf);
        footer_bar(self, a.footer, buf);
        if let Some(list) = a.list {
            lesson_list(self, list, buf);
        }
        lesson_text(self, a.text, buf);
        if let (Some(x), Some(panel)) = (self.shown_experiment(), a.experiment) {
            experiment(self, x, panel, buf);
        }
        if self.help {
            help(self, area, buf);
        }
    }
}
fn accent(c: &Course) -> Style {
    if c.color {
        Style::default().fg(Color::Yellow)
    } else {
        Style::default()
    }
}

fn title_bar(c: &Course, area: Rect, buf: &mut Buffer) {
    let l = &c.course.lessons[c.selected];
    let exercises: Vec<_> = c.course.exercises_of(l.id).collect();
    let passed = exercises.iter().filter(|e| c.progress.get(&e.id).passed).count();
    let line = Line::from(vec![
        Span::styled(" sideways learn ", accent(c).add_modifier(Modifier::BOLD)),
        Span::raw(format!("· {}/{} ", l.id, c.course.lessons.len())),
        Span::styled(l.title.get(c.lang).to_string(), Style::default().add_modifier(Modifier::BOLD)),
        Span::raw(format!(" · exercises {passed}/{}", exercises.len())),
    ]);
    Paragraph::new(line).render(area, buf);
}

fn footer_bar(c: &Course, area: Rect, buf: &mut Buffer) {
    let other = match c.lang {
        Lang::En => "中文",
        Lang::Zh => "English",
    };
    let keys = format!("←→ lesson  ↑↓ scroll  r run  l {other}  ? help  q quit");
    let text = if c.status.is_empty() { keys } else { format!("{keys} · {}", c.status) };
    Paragraph::new(Line::styled(text, Style::default().add_modifier(Modifier::DIM))).render(area, buf);
}

fn lesson_list(c: &Course, area: Rect, buf: &mut Buffer) {
    let lines: Vec<Line> = c
        .course
        .lessons
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let all: Vec<_> = c.course.exercises_of(l.id).collect();
            let passed = all.iter().filter(|e| c.progress.get(&e.id).passed).count();
            let mark = if passed == all.len() && !all.is_empty() { "✓" } else { " " };
            let style = if i == c.selected { accent(c).add_modifier(Modifier::REVERSED) } else { Style::default() };
            Line::styled(format!("{mark}{} {}", l.id, l.title.get(c.lang)), style)
        })
        .collect();
    Paragraph::new(lines).block(Block::default().borders(Borders::RIGHT).title(" lessons ")).render(area, buf);
}

fn lesson_text(c: &Course, area: Rect, buf: &mut Buffer) {
    let lines = text_lines(c, area);
    let height = usize::from(area.height);
    let top = c.scroll.min(lines.len().saturating_sub(height));
    let shown: Vec<Line> = lines.into_iter().skip(top).take(height).collect();
    let inner = Rect { x: area.x + 1, width: area.width.saturating_sub(2), ..area };
    Paragraph::new(shown).render(inner, buf);
}

fn experiment(c: &Course, x: &ExperimentView, area: Rect, buf: &mut Buffer) {
    let state = match &x.result {
        None => "running",
        Some(Ok(_)) => "done ([ ] scroll)",
        Some(Err(_)) => "failed",
    };
    let block = Block::default().borders(Borders::ALL).title(format!(" lesson {} experiment: {state} ", x.lesson));
    let inner = block.inner(area);
    block.render(area, buf);
    let mut rest = inner;
    if !x.measured.is_empty() {
        let rows = what_if(c, x);
        let height = (rows.len() as u16).min(rest.height);
        let [top, below] = Layout::vertical([Constraint::Length(height), Constraint::Min(0)]).areas(rest);
        Paragraph::new(rows).render(top, buf);
        rest = below;
    }
    match &x.result {
        Some(Ok(text)) => {
            let lines: Vec<Line> = text.lines().skip(x.scroll).map(|l| Line::raw(l.to_string())).collect();
            Paragraph::new(lines).render(rest, buf);
        }
        Some(Err(e)) => {
            let style = if c.color { Style::default().fg(Color::Red) } else { Style::default() };
            Paragraph::new(Line::styled(format!("error: {e}"), style))
                .wrap(ratatui::widgets::Wrap { trim: true })
                .render(rest, buf);
        }
        None => {
            let notes = (x.notes.len() as u16).min(3).min(rest.height);
            let [top, chart] = Layout::vertical([Constraint::Length(notes), Constraint::Min(0)]).areas(rest);
            let shown: Vec<Line> =
                x.notes.iter().rev().take(usize::from(notes)).rev().map(|n| Line::raw(n.clone())).collect();
            Paragraph::new(shown).render(top, buf);
            if !x.live.lanes.is_empty() && chart.height >= 5 {
                super::lanes::loss_chart(&x.live, chart, buf);
            }
        }
    }
}

/// The "what if" rows: each model's projected step on P processors, labelled as a projection.
fn what_if(c: &Course, x: &ExperimentView) -> Vec<Line<'static>> {
    let p = PROCESSORS[c.processors];
    let mut rows = vec![
        Line::styled(
            format!("what if: {} processors (+ −) — PROJECTED, not measured", thousands(p)),
            accent(c).add_modifier(Modifier::BOLD),
        ),
        Line::raw(format!("  {:<12} {:>11} {:>16} {:>9}", "model", "a step", "tokens/s", "speed-up")),
    ];
    for m in &x.measured {
        let ms = m.projected_ms(p);
        rows.push(Line::raw(format!(
            "  {:<12} {:>8.3} ms {:>16} {:>8.0}x",
            m.model.name(),
            ms,
            thousands(m.tokens / (ms / 1e3)),
            m.step_ms / ms
        )));
    }
    rows.push(Line::default());
    rows
}

fn help(c: &Course, area: Rect, buf: &mut Buffer) {
    let lines = [
        "← → or p n   previous / next lesson (or its number)",
        "↑ ↓ PgUp PgDn   scroll the lesson",
        "r   run the lesson's experiment (live, beside the text)",
        "[ ]   scroll the experiment's result",
        "+ −   lessons 4 and 7: processors of the projection",
        "l   English / 中文",
        "q   quit (exercises: sideways exercise list)",
    ];
    let width = (lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u16 + 4).min(area.width);
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    Clear.render(popup, buf);
    Paragraph::new(lines.map(Line::raw).to_vec())
        .block(Block::default().borders(Borders::ALL).title(" keys ").border_style(accent(c)))
        .render(popup, buf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::experiments::OneThreadStep;
    use crate::lessons::{Catalogue, Progress};
    use crate::tui::course::Message;
    use crate::tui::runtime::screen_text;

    fn draw(c: &Course, w: u16, h: u16) -> String {
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        c.render(buf.area, &mut buf);
        screen_text(&buf)
    }

    fn course(lang: Lang, lesson: u32) -> Course {
        let mut c =
            Course::new(Catalogue::embedded(), Progress::default(), |_| "the result".into(), lang, Some(lesson));
        c.color = false;
        c
    }

    #[test]
    fn a_lesson_fits_80_by_24_in_both_languages() {
        for lang in Lang::all() {
            for id in 1..=8 {
                let c = course(lang, id);
                let screen = draw(&c, 80, 24);
                let title = c.course.lessons[c.selected].title.get(lang);
                assert!(screen.lines().next().unwrap().contains(title), "{lang:?} {id}:\n{screen}");
                assert!(screen.contains("q quit"), "{screen}");
                for line in screen.lines() {
                    assert!(unicode_width::UnicodeWidthStr::width(line) <= 80, "{lang:?} {id}: {line}");
                }
            }
        }
        // The Chinese text arrives whole: its first paragraph's opening characters are on screen.
        let zh = draw(&course(Lang::Zh, 1), 80, 24);
        assert!(zh.contains("“good”后面是什么？"), "{zh}");
    }

    #[test]
    fn a_wide_terminal_lists_the_lessons_and_puts_the_experiment_beside_the_text() {
        let mut c = course(Lang::En, 4);
        c.update(Message::Key(ratatui::crossterm::event::KeyEvent::from(ratatui::crossterm::event::KeyCode::Char(
            'r',
        ))));
        let screen = draw(&c, 160, 40);
        assert!(screen.contains("8 25,000 computers") && screen.contains("lesson 4 experiment: running"), "{screen}");
        c.update(Message::Finished(Err("stopped".into())));
        c.experiment.as_mut().unwrap().measured = vec![OneThreadStep {
            model: "transformer".parse().unwrap(),
            step_ms: 100.0,
            work: 2048.0,
            span: 1.0,
            tokens: 2048.0,
        }];
        let screen = draw(&c, 80, 24);
        assert!(screen.contains("PROJECTED, not measured") && screen.contains("512 processors"), "{screen}");
        assert!(screen.contains("0.195 ms"), "100 ms × 4 / 2048 at 512 processors:\n{screen}");
        assert!(screen.contains("error: stopped"), "{screen}");
    }
}
