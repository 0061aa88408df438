//! One card per lane (speed, loss, GFLOP/s, the chain of dependent steps) and the loss chart.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis as ChartAxis, Block, Borders, Chart, Dataset, GraphType, Paragraph, Sparkline, Widget};

use super::app::{App, Axis, LaneView};
use super::style::{fg, lane_color};
use crate::units::thousands;

/// A lane's card is at least this wide, so that its lines ("195,109 tokens/s", "64 steps in a
/// row") are not cut; more lanes than fit side by side wrap into further rows of cards.
const MIN_CARD_WIDTH: u16 = 24;

/// Rows of cards `lanes` need across `width` columns.
pub fn card_rows(lanes: usize, width: u16) -> u16 {
    let per_row = (width / MIN_CARD_WIDTH).max(1) as usize;
    lanes.max(1).div_ceil(per_row) as u16
}

/// The lanes' cards in `rows` rows of equal height, filled left to right.
pub fn columns(app: &App, area: Rect, rows: u16, buf: &mut Buffer) {
    let n = app.lanes.len().max(1);
    let rows = rows.clamp(1, n as u16) as usize;
    let per_row = n.div_ceil(rows);
    let bands = Layout::vertical(vec![Constraint::Ratio(1, rows as u32); rows]).split(area);
    for (r, band) in bands.iter().enumerate() {
        let cols = Layout::horizontal(vec![Constraint::Ratio(1, per_row as u32); per_row]).split(*band);
        for (k, col) in cols.iter().enumerate() {
            let i = r * per_row + k;
            if let Some(lane) = app.lanes.get(i) {
                column(app, i, lane, *col, buf);
            }
        }
    }
}

fn column(app: &App, i: usize, l: &LaneView, area: Rect, buf: &mut Buffer) {
    let selected = i == app.selected;
    let title = format!(" {} · {}{} ", l.label, l.hardware(), if l.done { " · done" } else { "" });
    let border = if selected { lane_color(app, i).add_modifier(Modifier::BOLD) } else { fg(app, Color::DarkGray) };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(title, lane_color(app, i).add_modifier(Modifier::BOLD)));
    let inner = block.inner(area);
    block.render(area, buf);
    let [speed, spark, loss, flops, chain] = Layout::vertical([Constraint::Length(1); 5]).areas(inner);
    Line::from(vec![
        Span::styled(thousands(l.tokens_per_s), lane_color(app, i).add_modifier(Modifier::BOLD)),
        Span::raw(" tokens/s"),
    ])
    .render(speed, buf);
    let data: Vec<u64> = l.speed.iter().copied().collect();
    let width = spark.width as usize;
    Sparkline::default().data(&data[data.len().saturating_sub(width)..]).style(lane_color(app, i)).render(spark, buf);
    let val = l.val_loss().map_or("-".to_string(), |v| format!("{v:.2}"));
    let wide = inner.width >= 28;
    let loss_text = if wide {
        format!("loss {:.3}  val {val}  step {}", l.loss, l.step)
    } else {
        format!("loss {:.2} val {val}", l.loss)
    };
    Line::raw(loss_text).render(loss, buf);
    let share = l.peak_share.map_or("–".to_string(), |s| format!("{:.0}", 100.0 * s));
    // A GPU lane's chain is its kernel launches: they run one after another.
    let flops_text = match (l.dispatches, wide) {
        (Some(k), true) => format!("{:.0} GFLOP/s · {k} kernels/step", l.gflops),
        (Some(k), false) => format!("{:.0} GF/s {k} kern", l.gflops),
        (None, true) => format!("{:.0} GFLOP/s · {share}% of peak", l.gflops),
        (None, false) => format!("{:.0} GFLOP/s {share}%pk", l.gflops),
    };
    Line::raw(flops_text).render(flops, buf);
    chain_row(app, i, l, chain, buf);
}

/// The chain of steps that must run one after another for one window: the RNN's is a long row
/// of blocks, the Transformer's a couple, the minGRU's a few per layer. It fills as steps go by.
fn chain_row(app: &App, i: usize, l: &LaneView, area: Rect, buf: &mut Buffer) {
    if l.critical_path == 0 {
        Line::raw("starting…").render(area, buf);
        return;
    }
    let label = format!(" {} steps in a row", l.critical_path);
    let room = (area.width as usize).saturating_sub(label.len() + 1).max(1);
    let shown = l.critical_path.min(room);
    let tokens_per_step = if l.step > 0 { l.tokens as f64 / l.step as f64 } else { 1.0 };
    let phase = (app.elapsed * l.tokens_per_s / tokens_per_step.max(1.0)).fract();
    let filled = if l.done { shown } else { (phase * shown as f64).round() as usize };
    let more = if l.critical_path > shown { "…" } else { "" };
    Line::from(vec![
        Span::styled("■".repeat(filled), lane_color(app, i)),
        Span::styled("□".repeat(shown - filled), fg(app, Color::DarkGray)),
        Span::raw(format!("{more}{label}")),
    ])
    .render(area, buf);
}

/// Loss of every lane against its own clock (or tokens seen, `t`).
pub fn loss_chart(app: &App, area: Rect, buf: &mut Buffer) {
    let pick = |p: &(f64, f64, f64)| match app.axis {
        Axis::Seconds => (p.0, p.2),
        Axis::Tokens => (p.1, p.2),
    };
    let series: Vec<Vec<(f64, f64)>> = app.lanes.iter().map(|l| l.curve.iter().map(pick).collect()).collect();
    let (mut x1, mut y0, mut y1) = (1e-9f64, f64::MAX, f64::MIN);
    for &(x, y) in series.iter().flatten() {
        (x1, y0, y1) = (x1.max(x), y0.min(y), y1.max(y));
    }
    if y0 > y1 {
        (y0, y1) = (0.0, 1.0);
    }
    let datasets: Vec<Dataset> = app
        .lanes
        .iter()
        .zip(&series)
        .enumerate()
        .map(|(i, (l, s))| {
            Dataset::default()
                .name(l.label.clone())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(lane_color(app, i))
                .data(s)
        })
        .collect();
    let (x_title, x_label) = match app.axis {
        Axis::Seconds => ("seconds (each lane's clock; t: tokens)", format!("{x1:.1}")),
        Axis::Tokens => ("tokens seen (t: seconds)", thousands(x1)),
    };
    Chart::new(datasets)
        .block(Block::default().borders(Borders::ALL).title(" training loss "))
        .x_axis(ChartAxis::default().title(x_title).bounds([0.0, x1]).labels(vec![Line::raw("0"), Line::raw(x_label)]))
        .y_axis(
            ChartAxis::default()
                .bounds([y0, y1])
                .labels(vec![Line::raw(format!("{y0:.1}")), Line::raw(format!("{y1:.1}"))]),
        )
        .render(area, buf);
    if app.lanes.iter().all(|l| l.curve.is_empty()) {
        let inner = Rect { x: area.x + 2, y: area.y + 1, width: area.width.saturating_sub(4), height: 1 };
        Paragraph::new("warming up: the first steps are on their way…").render(inner, buf);
    }
}
