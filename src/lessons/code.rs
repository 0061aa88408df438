//! Code exercises: `sideways exercise init DIR` writes a small crate that depends on the
//! sideways library, with one module per exercise whose functions the learner completes
//! (softmax, one RNN step forward and backward, causal attention weights, the skip-gram
//! gradient). `sideways exercise check ID` puts that exercise's hidden tests in a crate of their
//! own beside it (`DIR/.check`) and runs them with cargo: they compare the learner's functions
//! with the engine's own layers and with finite differences.
//!
//! The stubs, the reference solutions and the hidden tests are files in `lessons/code/`,
//! compiled into the binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};
use crate::fsio::write_atomically;

/// One code exercise: its module's name, the stub the learner starts from, a reference
/// solution (shown after a pass, and checked by the tests), and the hidden tests.
#[derive(Clone, Copy, Debug)]
pub struct CodeExercise {
    pub name: &'static str,
    pub stub: &'static str,
    pub solution: &'static str,
    pub tests: &'static str,
}

macro_rules! code_exercise {
    ($name:literal) => {
        CodeExercise {
            name: $name,
            stub: include_str!(concat!("../../lessons/code/stubs/", $name, ".rs")),
            solution: include_str!(concat!("../../lessons/code/solutions/", $name, ".rs")),
            tests: include_str!(concat!("../../lessons/code/checks/", $name, ".rs")),
        }
    };
}

/// Every code exercise, in the order of the lessons they belong to.
pub const CODE: [CodeExercise; 4] =
    [code_exercise!("softmax"), code_exercise!("rnn_step"), code_exercise!("skipgram"), code_exercise!("attention")];

/// The folder `init` and `check` use unless told.
pub const DEFAULT_DIR: &str = "sideways-exercises";

/// The learner's crate's package name (`sideways_exercises` in Rust).
const PACKAGE: &str = "sideways-exercises";

/// The code exercise called `name`.
pub fn find(name: &str) -> Result<&'static CodeExercise> {
    CODE.iter().find(|c| c.name == name).ok_or_else(|| {
        let names: Vec<&str> = CODE.iter().map(|c| c.name).collect();
        Error::config("code exercise", name, format!("use one of {}", names.join(", ")))
    })
}

/// Where this program's own source is: the learner's crate depends on it by path.
pub fn engine_source() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A manifest depending on the sideways library at `engine` (without the GPU backend, which the
/// exercises do not need and which doubles the build), as its own workspace so that a folder
/// made inside another project stays separate.
fn manifest(package: &str, engine: &Path, extra: &str) -> String {
    format!(
        "[package]\nname = \"{package}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\nsideways = {{ path = {}, default-features = false }}\n{extra}\n[workspace]\n",
        toml_string(&engine.display().to_string())
    )
}

/// `text` as a TOML basic string: quoted, with backslashes, quotes and control characters
/// escaped (a folder's name may hold any of them).
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Write the learner's crate into `dir`, depending on the sideways source at `engine`; the
/// files written. A crate already there is kept: the learner's work is never overwritten.
pub fn init(dir: &Path, engine: &Path) -> Result<Vec<PathBuf>> {
    if dir.join("Cargo.toml").exists() {
        return Err(Error::config(
            "exercise folder",
            dir.display(),
            "it already holds a crate, kept as it is: check an exercise in it with `sideways exercise check ID --dir DIR`, \
             or choose another folder",
        ));
    }
    if !engine.join("Cargo.toml").is_file() || !engine.join("src/lib.rs").is_file() {
        return Err(Error::config(
            "sideways source",
            engine.display(),
            "the exercises build against the sideways library: give the folder of a sideways checkout with --sideways",
        ));
    }
    let engine = engine.canonicalize().map_err(|e| Error::io(engine, e, "give the folder of a sideways checkout"))?;
    let mut lib = String::from(
        "//! Your sideways exercises: complete the functions of each module, then check one with\n\
         //! `sideways exercise check ID` (`sideways exercise list` shows the IDs).\n\n",
    );
    for c in &CODE {
        lib.push_str(&format!("pub mod {};\n", c.name));
    }
    let mut files = vec![
        (PathBuf::from("Cargo.toml"), manifest(PACKAGE, &engine, "")),
        (PathBuf::from("src/lib.rs"), lib),
        (PathBuf::from(".gitignore"), "/target\n/.check\n".to_string()),
    ];
    files.extend(CODE.iter().map(|c| (PathBuf::from(format!("src/{}.rs", c.name)), c.stub.to_string())));
    let mut written = Vec::new();
    for (path, text) in files {
        let path = dir.join(path);
        write(&path, text.as_bytes())?;
        written.push(path);
    }
    // The engine's lock file, so that the crate builds with the versions sideways was tested
    // with, from what is already downloaded.
    if let Ok(lock) = std::fs::read(engine.join("Cargo.lock")) {
        write_atomically(&dir.join("Cargo.lock"), &lock)?;
    }
    Ok(written)
}

/// Write `text` to `path`, making its folder first.
fn write(path: &Path, text: &[u8]) -> Result<()> {
    let folder = path.parent().expect("a file in a folder");
    std::fs::create_dir_all(folder).map_err(|e| Error::io(folder, e, "choose a folder you can write to"))?;
    write_atomically(path, text)
}

/// The sideways source the crate in `dir` depends on (from its manifest).
fn engine_of(dir: &Path) -> Result<PathBuf> {
    let not_a_crate = || {
        Error::config(
            "exercise folder",
            dir.display(),
            format!("it holds no exercise crate: make one with `sideways exercise init {}`", dir.display()),
        )
    };
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).map_err(|_| not_a_crate())?;
    let manifest: toml::Table = text.parse().map_err(|_| not_a_crate())?;
    let path = manifest
        .get("dependencies")
        .and_then(|d| d.get("sideways"))
        .and_then(|s| s.get("path"))
        .and_then(|p| p.as_str())
        .ok_or_else(not_a_crate)?;
    Ok(PathBuf::from(path))
}

/// Put the hidden tests of `exercise` beside the crate in `dir` (in `dir/.check`) and return
/// the cargo command that builds both and runs them; it passes when cargo exits with success.
pub fn check_command(dir: &Path, exercise: &CodeExercise) -> Result<Command> {
    let engine = engine_of(dir)?;
    let check = dir.join(".check");
    let extra = format!("{PACKAGE} = {{ path = \"..\" }}\n");
    write(&check.join("Cargo.toml"), manifest("sideways-exercise-check", &engine, &extra).as_bytes())?;
    write(&check.join("src/lib.rs"), b"//! The hidden tests are in tests/.\n")?;
    // Only this exercise's tests: another exercise's unfinished stub must not fail this one.
    if let Ok(old) = std::fs::read_dir(check.join("tests")) {
        for file in old.flatten() {
            std::fs::remove_file(file.path())
                .map_err(|e| Error::io(file.path(), e, "check the folder's permissions"))?;
        }
    }
    write(&check.join("tests").join(format!("{}.rs", exercise.name)), exercise.tests.as_bytes())?;
    if let Ok(lock) = std::fs::read(dir.join("Cargo.lock")) {
        write_atomically(&check.join("Cargo.lock"), &lock)?;
    }
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo.arg("test").arg("--quiet").arg("--manifest-path").arg(check.join("Cargo.toml"));
    cargo.args(["--test", exercise.name]);
    // A failed assertion says what is wrong; a backtrace of the test harness does not help.
    cargo.env("RUST_BACKTRACE", "0");
    // One build folder for the learner's crate and the checks, unless the learner chose one.
    if std::env::var_os("CARGO_TARGET_DIR").is_none() {
        cargo.env("CARGO_TARGET_DIR", dir.join("target"));
    }
    Ok(cargo)
}
