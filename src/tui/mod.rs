//! The dashboard (a live race of the models) and the lesson viewer, drawn with ratatui.
//!
//! The only module that touches the terminal. It follows the Elm architecture: [`app`] holds
//! the state and a pure update, the view modules draw it ([`view`] the screen, `lanes` and
//! `panels` its parts, `style` their colours), and [`run`] is the loop that feeds engine events,
//! keys, ticks and resizes in and carries effects out. The race runs on its own thread; events
//! arrive on an unbounded channel that the loop drains before each frame, so training never
//! waits for drawing and no event is dropped. It receives a race's options and never imports
//! the command line. The lesson viewer ([`course`]) follows the same pattern and draws its live
//! experiments with the dashboard's widgets.

pub mod app;
pub mod course;
mod course_view;
mod lanes;
mod markdown;
mod panels;
mod runtime;
mod style;
pub mod view;

pub use runtime::{learn, run};
