//! Every input the fuzz targets (`fuzz/`) found a problem with, replayed on stable with the same
//! checks: a file under `tests/fuzz_regressions/TARGET/` must pass `fuzzing::TARGET`.

mod fuzzing;

use std::path::Path;

/// A target's name and its check.
type Target = (&'static str, fn(&[u8]));

#[test]
fn every_saved_input_passes_its_target_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let targets: [Target; 6] = [
        ("checkpoint", fuzzing::checkpoint),
        ("vectors_binary", fuzzing::vectors_binary),
        ("vectors_text", fuzzing::vectors_text),
        ("grammar", fuzzing::grammar),
        ("tokenizer", fuzzing::tokenizer),
        ("cli", fuzzing::cli),
    ];
    let mut replayed = 0;
    for (name, check) in targets {
        let Ok(dir) = std::fs::read_dir(root.join(name)) else { continue };
        for entry in dir {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&bytes));
            assert!(outcome.is_ok(), "{} breaks the {name} check", path.display());
            replayed += 1;
        }
    }
    assert!(replayed > 0, "the regression inputs were found under {}", root.display());
}
