//! A learner's progress: which exercises passed, attempts, hints seen. One small JSON file,
//! written atomically, so an interrupted check never loses what was done before.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::catalogue::{Catalogue, Kind};
use super::check::Outcome;
use crate::error::{Error, Result};
use crate::fsio::write_atomically;
use crate::linalg::Machine;

/// One exercise's record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExerciseState {
    pub passed: bool,
    pub attempts: u32,
    /// Hints revealed so far.
    pub hints: usize,
    /// The last check.
    pub last: Option<Outcome>,
}

/// Every exercise's record, by id.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub exercises: BTreeMap<String, ExerciseState>,
}

impl Progress {
    /// Where progress is kept: `SIDEWAYS_PROGRESS`, else the XDG state folder
    /// (`~/.local/state/sideways/progress.json`), else the current folder.
    pub fn default_path() -> PathBuf {
        if let Some(p) = std::env::var_os("SIDEWAYS_PROGRESS") {
            return p.into();
        }
        let state = std::env::var_os("XDG_STATE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/state")));
        match state {
            Some(dir) => dir.join("sideways").join("progress.json"),
            None => PathBuf::from(".sideways-progress.json"),
        }
    }

    /// The progress in `path`; none yet when the file does not exist.
    pub fn load(path: &Path) -> Result<Progress> {
        match std::fs::read(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Progress::default()),
            Err(e) => Err(Error::io(path, e, "check the file's permissions, or set SIDEWAYS_PROGRESS to another file")),
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                let hint = "it is not a sideways progress file: move it away, or start again with `sideways exercise reset-all`";
                Error::config("progress file", format!("{} ({e})", path.display()), hint)
            }),
        }
    }

    /// Write to `path` (temporary file + rename), creating its folder.
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(dir, e, "set SIDEWAYS_PROGRESS to a file in a writable folder"))?;
        }
        let text = serde_json::to_string_pretty(self).expect("progress serialises");
        write_atomically(path, text.as_bytes())
    }

    pub fn get(&self, id: &str) -> ExerciseState {
        self.exercises.get(id).cloned().unwrap_or_default()
    }

    /// Record a check: a pass stays a pass.
    pub fn record(&mut self, id: &str, outcome: &Outcome) {
        let s = self.exercises.entry(id.into()).or_default();
        s.attempts += 1;
        s.passed |= outcome.passed;
        s.last = Some(outcome.clone());
    }

    /// Reveal one more hint of the `available`; returns how many are now revealed.
    pub fn reveal_hint(&mut self, id: &str, available: usize) -> usize {
        let s = self.exercises.entry(id.into()).or_default();
        s.hints = (s.hints + 1).min(available);
        s.hints
    }

    pub fn reset(&mut self, id: &str) {
        self.exercises.remove(id);
    }
}

/// A learner's results for a teacher: every exercise of the catalogue, with the machine the
/// measurements were made on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub sideways: String,
    pub machine: Machine,
    pub passed: usize,
    pub exercises: Vec<ReportRow>,
}

/// One exercise of a [`Report`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportRow {
    pub id: String,
    pub lesson: u32,
    pub kind: Kind,
    #[serde(flatten)]
    pub state: ExerciseState,
}

impl Report {
    /// The report of `progress` on `course`'s exercises, measured on this machine.
    pub fn new(course: &Catalogue, progress: &Progress) -> Report {
        let exercises: Vec<ReportRow> = course
            .exercises
            .iter()
            .map(|e| ReportRow { id: e.id.clone(), lesson: e.lesson, kind: e.kind, state: progress.get(&e.id) })
            .collect();
        Report {
            sideways: env!("CARGO_PKG_VERSION").into(),
            machine: Machine::read(),
            passed: exercises.iter().filter(|r| r.state.passed).count(),
            exercises,
        }
    }

    /// One line per exercise, for a spreadsheet.
    pub fn csv(&self) -> String {
        let mut out = String::from("id,lesson,kind,passed,attempts,hints,answer,measured,target,cpu,cores\n");
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        for r in &self.exercises {
            let last = r.state.last.as_ref();
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{}\n",
                quote(&r.id),
                r.lesson,
                serde_json::to_value(r.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
                r.state.passed,
                r.state.attempts,
                r.state.hints,
                quote(last.map_or("", |l| l.answer.as_str())),
                last.and_then(|l| l.measured).map_or(String::new(), |m| m.to_string()),
                quote(last.map_or("", |l| l.target.as_str())),
                quote(&self.machine.cpu),
                self.machine.cores
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_round_trips_and_a_damaged_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("sideways-progress-{}", std::process::id()));
        let path = dir.join("p.json");
        let mut p = Progress::load(&path).unwrap();
        let fail = Outcome { passed: false, answer: "1".into(), measured: None, target: "one choice".into() };
        p.record("1.1", &fail);
        p.record("1.1", &Outcome { passed: true, ..fail.clone() });
        p.record("1.1", &fail);
        assert_eq!((p.get("1.1").passed, p.get("1.1").attempts), (true, 3), "a pass stays a pass");
        assert_eq!((p.reveal_hint("1.2", 2), p.reveal_hint("1.2", 2), p.reveal_hint("1.2", 2)), (1, 2, 2));
        p.save(&path).unwrap();
        assert_eq!(Progress::load(&path).unwrap(), p);
        std::fs::write(&path, b"{\"exercises\": 3}").unwrap();
        assert!(Progress::load(&path).unwrap_err().to_string().contains("reset-all"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
