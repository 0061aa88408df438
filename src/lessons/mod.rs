//! The course: lessons that follow the article's story, in English and Simplified Chinese,
//! compiled into the binary, and the exercises that check them. Every claim of a lesson is an
//! experiment the learner runs (a library function with a typed result, here in
//! [`experiments`]); every exercise is checked by the program ([`check`]), and a learner's
//! progress is a small file written atomically ([`progress`]).
//!
//! The exercises are data (`lessons/catalogue.toml`): a teacher adds one without writing Rust.
//! Code exercises are a crate the learner completes ([`code`]).

pub mod catalogue;
pub mod check;
pub mod code;
pub mod experiments;
pub mod progress;

pub use catalogue::{Catalogue, Exercise, Kind, Lang, Lesson, MetricCheck, Text};
pub use check::Outcome;
pub use progress::Progress;
