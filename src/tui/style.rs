//! Colours, shared by every panel: one per lane, and none at all under `NO_COLOR`.

use ratatui::style::{Color, Style};

use super::app::App;

/// Lane colours, in order.
pub const COLORS: [Color; 4] = [Color::Red, Color::Magenta, Color::Green, Color::Cyan];

/// A style with `color` as foreground, or plain when colours are off (`NO_COLOR`).
pub fn fg(app: &App, color: Color) -> Style {
    if app.color {
        Style::default().fg(color)
    } else {
        Style::default()
    }
}

/// Lane `i`'s colour.
pub fn lane_color(app: &App, i: usize) -> Style {
    fg(app, COLORS[i % COLORS.len()])
}
