//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The folder of real corpora, from `SIDEWAYS_CORPORA` (set by `.ci/run`); `None`, with a
/// message saying the test was skipped, when it is not set.
pub fn shared_corpus(file: &str) -> Option<PathBuf> {
    match std::env::var_os("SIDEWAYS_CORPORA") {
        Some(dir) => {
            let path = PathBuf::from(dir).join(file);
            assert!(path.exists(), "SIDEWAYS_CORPORA is set but {} is missing", path.display());
            Some(path)
        }
        None => {
            eprintln!("skipped: set SIDEWAYS_CORPORA to the shared corpora folder to run this test");
            None
        }
    }
}
