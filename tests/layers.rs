//! The floors of the library (docs/architecture.md): a module may use only the modules on its
//! own floor or below, and the terminal crates only in the dashboard. Read from the sources, so
//! a `use` that climbs a floor fails here, naming the file and the line.

use std::path::Path;

/// Floor by floor, bottom first.
const FLOORS: &[&[&str]] = &[
    &["error", "rng", "units", "fsio", "schema"],
    &["linalg"],
    &["gpu"],
    &["data"],
    &["embed"],
    &["model"],
    &["predict"],
    &["train"],
    &["race", "bench", "selftest", "dist"],
    &["commands"],
    &["lessons"],
    &["tui"],
    &["cli"],
];

/// External crates that only one module may use.
const ONLY_IN: &[(&str, &str)] =
    &[("ratatui", "tui"), ("crossterm", "tui"), ("clap", "cli"), ("plotters", "bench"), ("wgpu", "gpu")];

fn floor(module: &str) -> usize {
    FLOORS.iter().position(|f| f.contains(&module)).unwrap_or_else(|| panic!("module `{module}` is on no floor"))
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_uses_a_module_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel.iter().next().unwrap().to_string_lossy().trim_end_matches(".rs").to_string();
        if first == "main" || first == "lib" {
            continue;
        }
        let own = floor(&first);
        let text = std::fs::read_to_string(file).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap();
            for (at, _) in code.match_indices("crate::") {
                let name: String = code[at + 7..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() && floor(&name) > own {
                    problems.push(format!("{}:{}: `{first}` uses `{name}`, a floor above it", rel.display(), i + 1));
                }
            }
            for &(krate, home) in ONLY_IN {
                if first != home && (code.contains(&format!("{krate}::")) || code.contains(&format!("use {krate}"))) {
                    problems.push(format!("{}:{}: `{krate}` outside `{home}`", rel.display(), i + 1));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(files.len() > 50, "the sources were found ({} files)", files.len());
}

/// Every source file is part of the build: a file no `mod` names is dead code nobody compiles.
#[test]
fn every_source_file_is_a_module() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut orphans = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let (parent, name) = match (rel.parent().filter(|p| !p.as_os_str().is_empty()), stem.as_str()) {
            (None, "lib" | "main") => continue,
            (None, _) => (src.join("lib.rs"), stem.clone()),
            (Some(dir), "mod") => {
                let up = dir.parent().filter(|p| !p.as_os_str().is_empty());
                let parent = up.map_or(src.join("lib.rs"), |u| src.join(u).join("mod.rs"));
                (parent, dir.file_name().unwrap().to_string_lossy().into_owned())
            }
            (Some(dir), _) => (src.join(dir).join("mod.rs"), stem.clone()),
        };
        let text = std::fs::read_to_string(&parent).unwrap_or_default();
        let declared = text.lines().any(|l| {
            let l = l.trim();
            l == format!("mod {name};") || l == format!("pub mod {name};")
        });
        if !declared {
            orphans.push(rel.display().to_string());
        }
    }
    assert!(orphans.is_empty(), "files no module declares: {orphans:?}");
}
