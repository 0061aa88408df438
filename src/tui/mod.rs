//! The dashboard: a live race of the models, drawn with ratatui.
//!
//! The only module that touches the terminal. It follows the Elm architecture: [`app`] holds
//! the state and a pure update, the view modules draw it ([`view`] the screen, `lanes` and
//! `panels` its parts, `style` their colours), and [`run`] is the loop that feeds engine events,
//! keys, ticks and resizes in and carries effects out. The race runs on its own thread; events
//! arrive on an unbounded channel that the loop drains before each frame, so training never
//! waits for drawing and no event is dropped. It receives a race's options and never imports
//! the command line.

pub mod app;
mod lanes;
mod panels;
mod runtime;
mod style;
pub mod view;

pub use runtime::run;
