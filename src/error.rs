//! The one error type of the engine. Every variant says what went wrong, with the path or value
//! involved, and a hint that tells the user what to do next. Programming errors panic instead.

use std::path::PathBuf;

/// Result with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Bad input, reported as one line: what is wrong, then what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("{}: {io}; {hint}", path.display())]
    Io {
        path: PathBuf,
        // Not marked as `source`: the message already includes it, once.
        io: std::io::Error,
        hint: &'static str,
    },
    /// The corpus is missing, empty, not text, or too small for the configuration.
    #[error("corpus {what}: {problem}; {hint}")]
    Corpus { what: String, problem: String, hint: String },
    /// A hyper-parameter or size is out of range or inconsistent.
    #[error("invalid {name} = {value}: {hint}")]
    Config { name: &'static str, value: String, hint: String },
    /// A checkpoint file is truncated, corrupt, from another version or another model.
    #[error("checkpoint {}: {problem}; {hint}", path.display())]
    Checkpoint { path: PathBuf, problem: String, hint: String },
    /// A word-vectors file that cannot be read.
    #[error("vectors {}: {problem}; give a word2vec .bin file or a text file of `word x1 … xn` lines", path.display())]
    Vectors { path: PathBuf, problem: String },
    /// A prompt the model cannot use.
    #[error("prompt {prompt:?}: {problem}; {hint}")]
    Prompt { prompt: String, problem: String, hint: String },
    /// The default-corpus grammar file has a mistake.
    #[error("grammar{}: {problem}", .line.map_or(String::new(), |l| format!(" line {l}")))]
    Grammar { line: Option<usize>, problem: String },
    /// What was asked would not fit in this machine's memory.
    #[error("{what} needs about {} of memory but {} are available; {hint}", crate::units::bytes(*.needed), crate::units::bytes(*.available))]
    Memory { what: String, needed: u64, available: u64, hint: String },
    /// The GPU cannot be used as asked (none found, this build has no GPU support, the adapter
    /// lacks a feature, a kernel failed).
    #[error("GPU: {problem}; {hint}")]
    Gpu { problem: String, hint: String },
    /// Several processes cannot train together: no MPI in this build, or processes that do
    /// not start from the same point.
    #[error("data-parallel: {problem}; {hint}")]
    Distributed { problem: String, hint: String },
    /// Training stopped before its end: the loss or the gradients are no longer numbers, or it
    /// was interrupted (Ctrl-C).
    #[error("training stopped at step {step}: {problem}; {hint}")]
    Training { step: u64, problem: String, hint: String },
}

impl Error {
    /// A configuration error with its hint.
    pub fn config(name: &'static str, value: impl ToString, hint: impl Into<String>) -> Self {
        Error::Config { name, value: value.to_string(), hint: hint.into() }
    }

    /// A corpus error with its hint.
    pub fn corpus(what: impl Into<String>, problem: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Corpus { what: what.into(), problem: problem.into(), hint: hint.into() }
    }

    /// A GPU error with its hint.
    pub fn gpu(problem: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Gpu { problem: problem.into(), hint: hint.into() }
    }

    /// A data-parallel error with its hint.
    pub fn distributed(problem: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Distributed { problem: problem.into(), hint: hint.into() }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, io: std::io::Error, hint: &'static str) -> Self {
        Error::Io { path: path.into(), io, hint }
    }
}
