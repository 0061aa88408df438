//! File output that never leaves a half-written file behind, never replaces what it should
//! write through, and is checked before long work starts.
//!
//! - A regular file (or a new one) is written to a temporary file in the same folder, flushed,
//!   then renamed over the target: readers see the old file or the new one, never a mix. The
//!   temporary's name depends only on the target (`.NAME.sideways-tmp`), so one left behind by a
//!   killed save is reused, and removed, by the next save.
//! - A symbolic link is followed: its target is written as above, and the link stays a link
//!   (`latest.ckpt -> run-7.ckpt` keeps pointing at the run it names).
//! - Anything else that exists — a device such as `/dev/stdout` or `/dev/full`, a pipe — is
//!   written directly, never replaced by a regular file, and its errors (a full disk) reported.
//! - A save of some [`Kind`] (a checkpoint, word vectors) is checked before the work not to
//!   replace a file of another kind: `-o` naming the corpus by mistake would destroy it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Links followed before giving up (a loop of links).
const MAX_LINKS: usize = 40;

const HINT: &str = "check that the folder exists and is writable";

/// What `path` names once symbolic links are followed (it may not exist yet).
fn resolve(path: &Path) -> Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&p).map_err(|e| Error::io(&p, e, HINT))?;
                p = match p.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(Error::io(path, std::io::Error::other("too many levels of symbolic links"), "fix the links"))
}

/// The temporary file a save of `target` writes first.
fn temporary(target: &Path) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    folder(target).join(format!(".{name}.sideways-tmp"))
}

fn folder(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Whether `path` exists and is not a regular file (a device, a pipe, a socket).
fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Write `bytes` to `path` as the module docs describe.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let target = resolve(path)?;
    if is_special(&target) {
        let mut f = std::fs::OpenOptions::new().write(true).open(&target).map_err(|e| Error::io(path, e, HINT))?;
        return f.write_all(bytes).and_then(|_| f.flush()).map_err(|e| Error::io(path, e, "check the device"));
    }
    if target.is_dir() {
        let e = std::io::Error::other("it is a folder");
        return Err(Error::io(path, e, "give a file name, not a folder"));
    }
    let tmp = temporary(&target);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e, HINT)
    })
}

/// Check, before long work, that [`write_atomically`] will be able to write `path`: its folder
/// exists and takes a new file (or `path` is a device that opens for writing).
pub fn check_writable(path: &Path) -> Result<()> {
    let target = resolve(path)?;
    if is_special(&target) {
        return std::fs::OpenOptions::new().write(true).open(&target).map(drop).map_err(|e| Error::io(path, e, HINT));
    }
    if target.is_dir() {
        let e = std::io::Error::other("it is a folder");
        return Err(Error::io(path, e, "give a file name, not a folder"));
    }
    let tmp = temporary(&target);
    std::fs::File::create(&tmp).map_err(|e| Error::io(path, e, HINT))?;
    std::fs::remove_file(&tmp).map_err(|e| Error::io(path, e, HINT))
}

/// A kind of file sideways writes, and how to recognise one from its first bytes.
pub struct Kind {
    /// "a sideways checkpoint", "a word-vectors file": said when another kind is in the way.
    pub name: &'static str,
    /// Whether these first bytes (up to [`KIND_BYTES`] of them) begin a file of the kind.
    pub begins: fn(&[u8]) -> bool,
}

/// How much of an existing file [`check_replaceable`] reads to recognise it.
pub const KIND_BYTES: usize = 64 * 1024;

/// [`check_writable`], and refuse to replace a non-empty regular file that is not of `kind`.
pub fn check_replaceable(path: &Path, kind: &Kind) -> Result<()> {
    check_writable(path)?;
    let target = resolve(path)?;
    if !std::fs::metadata(&target).is_ok_and(|m| m.is_file() && m.len() > 0) {
        return Ok(());
    }
    let unreadable = "it cannot be read to see what it is: give another output name";
    let mut head = Vec::with_capacity(KIND_BYTES);
    let file = std::fs::File::open(&target).map_err(|e| Error::io(path, e, unreadable))?;
    file.take(KIND_BYTES as u64).read_to_end(&mut head).map_err(|e| Error::io(path, e, unreadable))?;
    if (kind.begins)(&head) {
        return Ok(());
    }
    let e = std::io::Error::other(format!("it exists and is not {}, so it is not replaced", kind.name));
    Err(Error::io(path, e, "give another output name, or move that file away first"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("sideways-fsio-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn files_are_replaced_whole_and_a_killed_saves_temporary_is_reused() {
        let d = dir("replace");
        let f = d.join("a.ckpt");
        write_atomically(&f, b"one").unwrap();
        // A save killed after creating its temporary leaves it behind; the next one takes it over.
        std::fs::write(temporary(&f), b"half").unwrap();
        write_atomically(&f, b"two").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["a.ckpt"], "no temporary is left");
        assert!(check_writable(&d.join("new.bin")).is_ok());
        assert!(check_writable(&d.join("no/such/x.bin")).is_err());
        assert!(write_atomically(&d, b"x").is_err(), "a folder is not replaced");
    }

    #[cfg(unix)]
    #[test]
    fn links_are_written_through_and_devices_written_directly() {
        let d = dir("links");
        std::fs::write(d.join("run-7.ckpt"), b"old").unwrap();
        std::os::unix::fs::symlink("run-7.ckpt", d.join("latest.ckpt")).unwrap();
        write_atomically(&d.join("latest.ckpt"), b"new").unwrap();
        assert!(std::fs::symlink_metadata(d.join("latest.ckpt")).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(d.join("run-7.ckpt")).unwrap(), b"new");
        // A dangling link gets its target created.
        std::os::unix::fs::symlink(d.join("later.bin"), d.join("soon.bin")).unwrap();
        write_atomically(&d.join("soon.bin"), b"x").unwrap();
        assert_eq!(std::fs::read(d.join("later.bin")).unwrap(), b"x");
        // Devices: /dev/null takes the bytes and stays a device; /dev/full reports a full disk.
        write_atomically(Path::new("/dev/null"), b"gone").unwrap();
        assert!(!std::fs::metadata("/dev/null").unwrap().is_file());
        if Path::new("/dev/full").exists() {
            let e = write_atomically(Path::new("/dev/full"), b"x").unwrap_err().to_string();
            assert!(e.contains("/dev/full"), "{e}");
        }
    }

    #[test]
    fn a_save_does_not_replace_a_file_of_another_kind() {
        let d = dir("kind");
        let kind = Kind { name: "a test file", begins: |b| b.starts_with(b"TEST") };
        std::fs::write(d.join("corpus.txt"), b"first citizen: before we proceed").unwrap();
        std::fs::write(d.join("old.test"), b"TEST and more").unwrap();
        std::fs::write(d.join("empty"), b"").unwrap();
        let e = check_replaceable(&d.join("corpus.txt"), &kind).unwrap_err().to_string();
        assert!(e.contains("corpus.txt") && e.contains("not a test file"), "{e}");
        assert_eq!(std::fs::read(d.join("corpus.txt")).unwrap(), b"first citizen: before we proceed");
        for fine in ["old.test", "empty", "new.test"] {
            check_replaceable(&d.join(fine), &kind).unwrap();
        }
        assert!(check_replaceable(&d.join("no/such/x.test"), &kind).is_err(), "still checks the folder");
    }
}
