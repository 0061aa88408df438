//! The lower panels: what each model expects next, how each read the prompt (the Transformer's
//! attention, the RNN's hidden state word by word), and the cores.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use super::app::App;
use super::style::{fg, lane_color};
use crate::model::ModelKind;

pub fn next_words(app: &App, area: Rect, buf: &mut Buffer) {
    let block = Block::default().borders(Borders::ALL).title(" what comes next? (p: new prompt) ");
    let inner = block.inner(area);
    block.render(area, buf);
    let mut lines = vec![match &app.editing {
        Some(text) => Line::from(vec![Span::raw("prompt: "), Span::styled(format!("{text}▏"), fg(app, Color::Yellow))]),
        None => Line::from(vec![
            Span::raw("after "),
            Span::styled(format!("\"{} …\"", app.prompt), fg(app, Color::Yellow).add_modifier(Modifier::BOLD)),
        ]),
    }];
    for (i, l) in app.lanes.iter().enumerate() {
        let words: Vec<String> = l.next.iter().map(|(w, p)| format!("{w} {:.0}%", 100.0 * p)).collect();
        let text = if words.is_empty() { "…".to_string() } else { words.join("  ") };
        lines.push(Line::from(vec![Span::styled(format!("{:<14}", l.label), lane_color(app, i)), Span::raw(text)]));
    }
    Paragraph::new(lines).render(inner, buf);
}

/// Shades from no weight to all of it.
const SHADES: [char; 5] = [' ', '░', '▒', '▓', '█'];

fn shade(x: f32) -> char {
    SHADES[((x.clamp(0.0, 1.0) * (SHADES.len() - 1) as f32).round() as usize).min(SHADES.len() - 1)]
}

/// How the models read the prompt: the Transformer's attention over all of it at once, then the
/// size of each recurrent model's state after each word, with the chain that computed it.
pub fn maps(app: &App, area: Rect, buf: &mut Buffer) {
    let heads = app.heads();
    let block = Block::default().borders(Borders::ALL).title(format!(
        " how they read it (h/l: head {}/{}) ",
        app.head + 1,
        heads.max(1)
    ));
    let inner = block.inner(area);
    block.render(area, buf);
    let mut lines = Vec::new();
    if let Some((i, l)) = app.lanes.iter().enumerate().find(|(_, l)| l.attention.is_some()) {
        let a = l.attention.as_ref().expect("found above");
        let flat: Vec<(usize, usize, &Vec<f32>)> =
            a.iter().enumerate().flat_map(|(b, hs)| hs.iter().enumerate().map(move |(h, m)| (b, h, m))).collect();
        if let Some(&(b, h, m)) = flat.get(app.head.min(flat.len().saturating_sub(1))) {
            let t = l.prompt.len();
            lines.push(Line::styled(
                format!("{} block {} head {}: each word looks at all before it", l.label, b + 1, h + 1),
                lane_color(app, i),
            ));
            for (r, word) in l.prompt.iter().enumerate().take(inner.height.saturating_sub(4) as usize / 2 + 1) {
                let row: String =
                    (0..t).map(|c| if c <= r { shade(m[r * t + c]) } else { '·' }).flat_map(|ch| [ch, ch]).collect();
                lines.push(Line::raw(format!("{:>8} {row}", truncate(word, 8))));
            }
        }
    }
    // One lane of each model that carries a state, one under the other: the RNN's states come
    // out of a chain as long as the window, the minGRU's out of a scan.
    let mut shown: Vec<Option<ModelKind>> = Vec::new();
    for (i, l) in app.lanes.iter().enumerate() {
        let Some(norms) = l.hidden_norms.as_ref() else { continue };
        if shown.contains(&l.model) {
            continue;
        }
        shown.push(l.model);
        let max = norms.iter().copied().fold(1e-6, f32::max);
        lines.push(Line::styled(
            format!("{}: state after each word, {} steps in a row", l.label, l.critical_path),
            lane_color(app, i),
        ));
        let words: Vec<String> = l
            .prompt
            .iter()
            .zip(norms)
            .map(|(w, n)| {
                format!(
                    "{} {}",
                    truncate(w, 8),
                    "▁▂▃▄▅▆▇█".chars().nth(((n / max) * 7.0).round() as usize).unwrap_or('█')
                )
            })
            .collect();
        lines.push(Line::raw(words.join("  ")));
    }
    if lines.is_empty() {
        lines.push(Line::raw("the first samples arrive after a few steps…"));
    }
    Paragraph::new(lines).render(inner, buf);
}

fn truncate(w: &str, n: usize) -> String {
    w.chars().take(n).collect()
}

/// One gauge per core: how much of it the race's threads used since the last frame.
pub fn cores(app: &App, area: Rect, buf: &mut Buffer) {
    let block = Block::default().borders(Borders::ALL).title(" cores ");
    let inner = block.inner(area);
    block.render(area, buf);
    let width = (inner.width as usize).saturating_sub(14).max(4);
    let mut lines: Vec<Line> = app
        .cores
        .iter()
        .enumerate()
        .map(|(c, &u)| {
            let full = ((u.clamp(0.0, 1.0) * width as f64).round() as usize).min(width);
            Line::from(vec![
                Span::raw(format!("core {c:<2} ")),
                Span::styled("█".repeat(full), fg(app, Color::Green)),
                Span::styled("░".repeat(width - full), fg(app, Color::DarkGray)),
                Span::raw(format!(" {:>3.0}%", 100.0 * u)),
            ])
        })
        .collect();
    for (i, l) in app.lanes.iter().enumerate() {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<14}", l.label), lane_color(app, i)),
            Span::raw(match &l.device {
                Some(gpu) => format!("GPU {gpu}"),
                None => format!("CPU, {}", l.hardware()),
            }),
        ]));
    }
    lines.push(Line::styled(format!("dashboard: {:.1}% of a core", 100.0 * app.ui_cpu), fg(app, Color::DarkGray)));
    Paragraph::new(lines).render(inner, buf);
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;

    use super::super::app::{App, Message};

    #[test]
    fn cores_panel_draws_one_gauge_per_core_and_the_lanes_devices() {
        let mut app = App::new("c", "1s", "x", &[("rnn@1".into(), 1), ("transformer@2".into(), 2)], "good", 2);
        app.update(Message::Tick { elapsed: 1.0, cores: vec![0.5, 1.0], ui_cpu: 0.012 });
        let area = Rect::new(0, 0, 34, 7);
        let mut buf = Buffer::empty(area);
        super::cores(&app, area, &mut buf);
        let lines: Vec<String> = (0..7).map(|y| (0..34).map(|x| buf[(x, y)].symbol().to_string()).collect()).collect();
        assert_eq!(
            lines,
            [
                "┌ cores ─────────────────────────┐",
                // 32 inner columns − 14 for the labels = an 18-cell gauge.
                "│core 0  █████████░░░░░░░░░  50% │",
                "│core 1  ██████████████████ 100% │",
                "│rnn@1         CPU, 1 thread     │",
                "│transformer@2 CPU, 2 threads    │",
                "│dashboard: 1.2% of a core       │",
                "└────────────────────────────────┘",
            ]
        );
    }
}
