//! The one JSON format of everything sideways writes for scripts: `--json` output, event
//! streams and results files.
//!
//! Every JSON object sideways prints or writes at the top level carries `"schema"`: the version
//! of this format, [`VERSION`], raised whenever a field changes meaning or disappears (new
//! fields may appear without it). Besides it, an object has exactly one of
//! - `"event"`: one line of a stream, an [`Event`](crate::train::Event) (`start`, `step`,
//!   `eval`, `sample`, `saved`, `note`, `warning`, `done`), with the `"lane"` it came from;
//! - `"result"`: the final result of a command (`train`, `summary`, `race`, `bench`,
//!   `bench_profile`, `bench_data_parallel`, `predict`, `generate`, `compute`, `embed_train`,
//!   `neighbors`, `analogy`, `embed_eval`, `lesson`, `exercise_report`, `devices`, `selftest`).
//!
//! - `"error"`: the message of a command that failed (`--json` only; it also goes to standard
//!   error, and the exit code is 1), so a script reading standard output always gets a line.
//!
//! A result's value must serialise as an object (a struct or a map): its fields sit beside
//! `"schema"` and `"result"`, so a list goes under a name of its own.
//!
//! A `--json` stream is zero or more event lines followed by one result line; a command that
//! fails ends with an error line (after the result, when it has one: a stopped training run).
//! The README lists the fields of each.

use serde::Serialize;

/// The version of the JSON format.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct EventLine<'a, T: Serialize> {
    schema: u32,
    #[serde(flatten)]
    event: &'a T,
}

#[derive(Serialize)]
struct ResultDoc<'a, T: Serialize> {
    schema: u32,
    result: &'a str,
    #[serde(flatten)]
    value: &'a T,
}

/// One line of an event stream.
pub fn event_line<T: Serialize>(event: &T) -> String {
    serde_json::to_string(&EventLine { schema: VERSION, event }).expect("events serialise")
}

/// The result of command `result` as one line.
pub fn result_line<T: Serialize>(result: &str, value: &T) -> String {
    serde_json::to_string(&ResultDoc { schema: VERSION, result, value }).expect("results serialise")
}

#[derive(Serialize)]
struct ErrorLine<'a> {
    schema: u32,
    error: &'a str,
}

/// The line a failed command ends its `--json` output with.
pub fn error_line(message: &str) -> String {
    serde_json::to_string(&ErrorLine { schema: VERSION, error: message }).expect("errors serialise")
}

/// The result of command `result`, indented (for results files).
pub fn result_pretty<T: Serialize>(result: &str, value: &T) -> String {
    serde_json::to_string_pretty(&ResultDoc { schema: VERSION, result, value }).expect("results serialise")
}
