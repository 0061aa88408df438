//! Loading a corpus: one UTF-8 text file, a folder of `.txt` files, or the embedded default.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::linalg::machine;

use super::grammar::Grammar;

/// Raw text and where it came from.
#[derive(Clone, Debug)]
pub struct Corpus {
    /// A short label for reports: the file name, or `default`.
    pub name: String,
    pub text: String,
}

impl Corpus {
    /// The default corpus: generated from the grammar compiled into the binary.
    pub fn default_corpus() -> Corpus {
        Corpus {
            name: "default".to_string(),
            text: Grammar::builtin().generate(Grammar::DEFAULT_SEED, Grammar::DEFAULT_TOKENS),
        }
    }

    /// `path` as given on the command line, or the default corpus when `None`.
    pub fn from_option(path: Option<&Path>) -> Result<Corpus> {
        path.map_or_else(|| Ok(Corpus::default_corpus()), Corpus::load)
    }

    /// Read a UTF-8 text file, or every `.txt` file in a folder (by name order, joined by
    /// blank lines).
    pub fn load(path: &Path) -> Result<Corpus> {
        let what = path.display().to_string();
        let meta = std::fs::metadata(path)
            .map_err(|e| Error::io(path, e, "give the path of a UTF-8 .txt file or a folder of them"))?;
        let files: Vec<PathBuf> = if meta.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| Error::io(path, e, "check the folder's permissions"))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "txt") && p.is_file())
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(Error::corpus(what, "the folder holds no .txt files", "put UTF-8 .txt files in it"));
            }
            files
        } else if meta.is_file() {
            vec![path.to_path_buf()]
        } else {
            return Err(Error::corpus(
                what,
                "it is not a regular file (a device, a pipe or a socket)",
                "give a UTF-8 .txt file or a folder of them; save a stream to a file first",
            ));
        };
        let size: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
        let what_size = format!("the corpus {what} ({})", crate::units::bytes(size));
        machine::ensure_memory(what_size, size.saturating_mul(MEMORY_PER_BYTE), "give a smaller corpus")?;
        let mut text = String::new();
        for file in &files {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(&read_text(file)?);
        }
        if text.split_whitespace().next().is_none() {
            return Err(Error::corpus(what, "it is empty", "give a file with some text in it"));
        }
        let name = path.file_name().map_or(what.clone(), |n| n.to_string_lossy().into_owned());
        Ok(Corpus { name, text })
    }
}

/// Bytes of memory a corpus takes per byte of text while it becomes token ids: the text, its
/// lowercase copy, a 16-byte slice per token (about one per 5 bytes), the ids, the vocabulary.
const MEMORY_PER_BYTE: u64 = 12;

/// Read one file as text, refusing binary files and invalid UTF-8 with the offending offset.
fn read_text(path: &Path) -> Result<String> {
    let what = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e, "check that the file exists and is readable"))?;
    // UTF-16 (Windows' "Unicode") has a byte-order mark, or a zero byte beside every ASCII letter.
    let head = &bytes[..bytes.len().min(64)];
    let ascii_in_utf16 = |zeros: usize| {
        head.len() >= 4
            && head.iter().enumerate().all(|(i, &b)| match i % 2 == zeros {
                true => b == 0,
                false => b.is_ascii_graphic() || b.is_ascii_whitespace(),
            })
    };
    // iconv reads a byte-order mark; without one it must be told the byte order (its plain
    // `utf-16` would take big-endian, and Windows writes little-endian).
    let from = if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        Some("utf-16")
    } else if ascii_in_utf16(1) {
        Some("utf-16le")
    } else if ascii_in_utf16(0) {
        Some("utf-16be")
    } else {
        None
    };
    if let Some(from) = from {
        return Err(Error::corpus(
            what,
            "it is UTF-16 text",
            format!("convert it to UTF-8, e.g. `iconv -f {from} -t utf-8`"),
        ));
    }
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        return Err(Error::corpus(
            what,
            format!("it looks binary (a NUL byte at offset {pos})"),
            "give a plain UTF-8 text file",
        ));
    }
    let mut text = String::from_utf8(bytes).map_err(|e| {
        Error::corpus(
            what,
            format!("it is not UTF-8 (invalid byte at offset {})", e.utf8_error().valid_up_to()),
            "convert it to UTF-8, e.g. `iconv -f latin1 -t utf-8`",
        )
    })?;
    // A byte-order mark is not text.
    if text.starts_with('\u{feff}') {
        text.drain(..3);
    }
    Ok(text)
}
