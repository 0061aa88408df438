//! Word vectors and their standard files: the original word2vec binary format, the word2vec
//! text format (a `count dim` header, also fastText's `.vec`), and GloVe's text format (no
//! header).
//!
//! Written here rather than with finalfusion, for reasons measured with finalfusion 0.18:
//! its public readers L2-normalise on load and multiply back on save, so a binary round trip
//! changed 2 of 82 bytes; it accepted a text file whose lines held 2 and 4 numbers under a
//! `2 3` header; a header announcing 4e9 × 4e9 floats panicked inside the allocation; and its
//! parse errors name neither line nor byte. Here, every size in a header is checked against
//! the file's length before anything is allocated, every line must have the announced
//! dimension, and every error names the byte (binary) or line (text) where reading stopped.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};

/// Above this a "dimension" is a corrupt header, not an embedding.
const MAX_DIM: usize = 100_000;
/// Longest word accepted in a binary file (word2vec.c uses 100).
const MAX_WORD_BYTES: usize = 1000;

/// Words and their vectors, row-major (one row of `dim` floats per word).
#[derive(Clone, Debug, PartialEq)]
pub struct WordVectors {
    words: Vec<String>,
    dim: usize,
    data: Vec<f32>,
    index: HashMap<String, usize>,
}

/// The files sideways reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VectorFormat {
    /// word2vec.c's binary format: `count dim\n`, then `word ` + dim little-endian f32 + `\n`.
    Binary,
    /// `count dim` header, then `word x1 … xdim` per line (word2vec text, fastText `.vec`).
    Text,
    /// No header, `word x1 … xdim` per line (GloVe).
    Glove,
}

/// What `embed train -o` may replace: a vectors file (or an empty file), never a corpus or a
/// checkpoint named by mistake.
pub const VECTORS_FILE: crate::fsio::Kind =
    crate::fsio::Kind { name: "a word-vectors file", begins: begins_like_vectors };

/// Whether a file's first bytes begin like vectors: a `count dim` header (text or binary), or
/// a word and two or more numbers (GloVe); a book that opens with "Chapter 1" does not.
fn begins_like_vectors(head: &[u8]) -> bool {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let Ok(line) = std::str::from_utf8(line) else { return false };
    let fields: Vec<&str> = line.split_whitespace().collect();
    match fields.as_slice() {
        [count, dim] if count.parse::<usize>().is_ok() && dim.parse::<usize>().is_ok() => true,
        [_word, numbers @ ..] => numbers.len() >= 2 && numbers.iter().all(|x| x.parse::<f32>().is_ok()),
        [] => false,
    }
}

impl VectorFormat {
    /// The format a file name suggests: `.bin` binary, anything else text (header optional).
    pub fn from_path(path: &Path) -> VectorFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some("bin") => VectorFormat::Binary,
            _ => VectorFormat::Text,
        }
    }
}

impl WordVectors {
    /// Vectors from parts; `data` holds `words.len() × dim` floats.
    pub fn new(words: Vec<String>, dim: usize, data: Vec<f32>) -> Result<Self> {
        if dim == 0 || data.len() != words.len() * dim {
            return Err(Error::config(
                "word vectors",
                format!("{} floats for {} words of dim {dim}", data.len(), words.len()),
                "give words × dim floats",
            ));
        }
        let mut index = HashMap::with_capacity(words.len());
        for (i, w) in words.iter().enumerate() {
            if w.is_empty() || w.chars().any(char::is_whitespace) {
                return Err(Error::config(
                    "word",
                    format!("{w:?}"),
                    "words must be non-empty and contain no whitespace",
                ));
            }
            index.entry(w.clone()).or_insert(i);
        }
        Ok(WordVectors { words, dim, data, index })
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// All vectors, (len, dim) row-major.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The row of `word`, if present (the first one, if a file repeats a word).
    pub fn index(&self, word: &str) -> Option<usize> {
        self.index.get(word).copied()
    }

    pub fn vector(&self, word: &str) -> Option<&[f32]> {
        self.index(word).map(|i| self.row(i))
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// Read a file in the format its name suggests ([`VectorFormat::from_path`]).
    pub fn open(path: &Path) -> Result<Self> {
        Self::read(path, VectorFormat::from_path(path))
    }

    /// Read a file in `format` (`Text` also accepts a file without a header).
    pub fn read(path: &Path, format: VectorFormat) -> Result<Self> {
        let bytes = std::fs::read(path)
            .map_err(|e| Error::io(path, e, "give the path of a vectors file (.bin or .txt/.vec)"))?;
        // A checkpoint's magic (`train::checkpoint`, a floor above): the likeliest wrong file.
        if bytes.starts_with(b"SIDEWAYS") {
            let problem = "it is a sideways checkpoint (a trained model), not word vectors, which `sideways embed train -o FILE` writes".into();
            return Err(Error::Vectors { path: path.to_path_buf(), problem });
        }
        let parsed = match format {
            VectorFormat::Binary => parse_binary(&bytes),
            VectorFormat::Text | VectorFormat::Glove => parse_text(&bytes),
        };
        parsed.map_err(|problem| Error::Vectors { path: path.to_path_buf(), problem })
    }

    /// The file's bytes in `format`.
    pub fn to_bytes(&self, format: VectorFormat) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() * 4 + self.words.len() * 12 + 32);
        if format != VectorFormat::Glove {
            out.extend_from_slice(format!("{} {}\n", self.len(), self.dim).as_bytes());
        }
        for (i, w) in self.words.iter().enumerate() {
            out.extend_from_slice(w.as_bytes());
            match format {
                VectorFormat::Binary => {
                    out.push(b' ');
                    for x in self.row(i) {
                        out.extend_from_slice(&x.to_le_bytes());
                    }
                }
                // `{}` prints the shortest decimal that reads back as the same f32.
                VectorFormat::Text | VectorFormat::Glove => {
                    for x in self.row(i) {
                        out.extend_from_slice(format!(" {x}").as_bytes());
                    }
                }
            }
            out.push(b'\n');
        }
        out
    }

    /// Write atomically (temporary file, then rename).
    pub fn write(&self, path: &Path, format: VectorFormat) -> Result<()> {
        crate::fsio::write_atomically(path, &self.to_bytes(format))
    }
}

/// Parse word2vec.c's binary format.
pub fn parse_binary(bytes: &[u8]) -> std::result::Result<WordVectors, String> {
    let header_end = bytes
        .iter()
        .take(64)
        .position(|&b| b == b'\n')
        .ok_or("no `count dim` header line in the first 64 bytes: not a word2vec binary file")?;
    let header = std::str::from_utf8(&bytes[..header_end])
        .map_err(|_| "the header line is not text: not a word2vec binary file".to_string())?;
    let (n, dim) = parse_header(header)
        .ok_or_else(|| format!("header {header:?} is not `count dim`: not a word2vec binary file"))?;
    check_dim(dim)?;
    let body = &bytes[header_end + 1..];
    // Each entry needs at least one byte of word, a space and dim floats.
    let min = n.checked_mul(4 * dim + 2).filter(|&m| m <= body.len());
    if min.is_none() {
        return Err(format!(
            "truncated: the header announces {n} vectors of {dim} floats (at least {} bytes), but {} bytes follow it",
            n.saturating_mul(4 * dim + 2),
            body.len()
        ));
    }
    let mut words = Vec::with_capacity(n);
    let mut data = Vec::with_capacity(n * dim);
    let mut seen = HashMap::with_capacity(n);
    let mut pos = header_end + 1;
    for i in 0..n {
        while bytes.get(pos) == Some(&b'\n') {
            pos += 1;
        }
        let start = pos;
        let space = bytes[start..].iter().take(MAX_WORD_BYTES + 1).position(|&b| b == b' ');
        let Some(len) = space.filter(|&l| l > 0) else {
            return Err(format!(
                "byte {start}: entry {} has no word followed by a space (truncated or not word2vec binary)",
                i + 1
            ));
        };
        let word = std::str::from_utf8(&bytes[start..start + len])
            .map_err(|e| format!("byte {}: the word of entry {} is not UTF-8", start + e.valid_up_to(), i + 1))?;
        pos = start + len + 1;
        let Some(raw) = bytes.get(pos..pos + 4 * dim) else {
            return Err(format!(
                "byte {pos}: truncated in the vector of {word:?} (entry {} of {n}, needs {} bytes, {} left)",
                i + 1,
                4 * dim,
                bytes.len() - pos
            ));
        };
        for (k, c) in raw.chunks_exact(4).enumerate() {
            let x = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            if !x.is_finite() {
                return Err(format!("byte {}: the vector of {word:?} holds {x}, not a finite number", pos + 4 * k));
            }
            data.push(x);
        }
        if let Some(first) = seen.insert(word.to_string(), start) {
            return Err(format!("byte {start}: the word {word:?} appears a second time (first at byte {first})"));
        }
        words.push(word.to_string());
        pos += 4 * dim;
    }
    if let Some(extra) = bytes[pos..].iter().position(|b| !b.is_ascii_whitespace()) {
        return Err(format!(
            "byte {}: data after the {n} vectors the header announced (a dimension mismatch?)",
            pos + extra
        ));
    }
    WordVectors::new(words, dim, data).map_err(|e| e.to_string())
}

/// Parse the text formats, with or without a `count dim` header.
pub fn parse_text(bytes: &[u8]) -> std::result::Result<WordVectors, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        format!(
            "line {line} (byte {}): not UTF-8 text (a binary file? use a .bin name for word2vec binary)",
            e.valid_up_to()
        )
    })?;
    // A byte-order mark is not part of the first word.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).peekable();
    let header = lines.peek().and_then(|(_, l)| parse_header(l));
    if let Some((n, dim)) = header {
        lines.next();
        check_dim(dim)?;
        // A number needs at least two bytes ("0 "), so this bounds the allocation by the file.
        if n.checked_mul(2 * dim).is_none_or(|m| m > bytes.len()) {
            return Err(format!(
                "line 1: the header announces {n} vectors of {dim} numbers, more than a {}-byte file can hold",
                bytes.len()
            ));
        }
    }
    let mut words = Vec::new();
    let mut data = Vec::new();
    let mut seen = HashMap::new();
    let mut dim = header.map(|h| h.1);
    for (i, line) in lines {
        let mut parts = line.split_ascii_whitespace();
        let Some(word) = parts.next() else { continue };
        if word.starts_with('\u{feff}') {
            return Err(format!("line {}: a word starts with a byte-order mark (U+FEFF)", i + 1));
        }
        let before = data.len();
        for p in parts {
            let x = p.parse::<f32>().map_err(|_| format!("line {}: {p:?} is not a number (word {word:?})", i + 1))?;
            if !x.is_finite() {
                return Err(format!("line {}: {p:?} is not a finite number (word {word:?})", i + 1));
            }
            data.push(x);
        }
        let got = data.len() - before;
        if got == 0 {
            return Err(format!("line {}: word {word:?} has no numbers after it", i + 1));
        }
        let want = *dim.get_or_insert(got);
        if got != want {
            return Err(format!("line {}: word {word:?} has {got} numbers, expected {want}", i + 1));
        }
        if let Some(first) = seen.insert(word.to_string(), i + 1) {
            return Err(format!("line {}: the word {word:?} appears a second time (first on line {first})", i + 1));
        }
        words.push(word.to_string());
    }
    let Some(dim) = dim.filter(|_| !words.is_empty()) else {
        return Err("no vectors in the file".into());
    };
    if let Some((n, _)) = header {
        if n != words.len() {
            return Err(format!("the header announces {n} vectors but the file holds {}", words.len()));
        }
    }
    WordVectors::new(words, dim, data).map_err(|e| e.to_string())
}

/// `count dim`: two whole numbers and nothing else.
fn parse_header(line: &str) -> Option<(usize, usize)> {
    let mut it = line.split_ascii_whitespace();
    let n = it.next()?.parse().ok()?;
    let dim: usize = it.next()?.parse().ok()?;
    it.next().is_none().then_some((n, dim))
}

/// Refuse a dimension no embedding has.
fn check_dim(dim: usize) -> std::result::Result<(), String> {
    if (1..=MAX_DIM).contains(&dim) {
        Ok(())
    } else {
        Err(format!("line 1: the header announces dimension {dim}; expected 1 to {MAX_DIM} (a corrupt header?)"))
    }
}

/// Copy the vector of every vocabulary word that has one into its row of `table`
/// (vocab_size, width); other rows keep the model's own initialisation. Returns how many
/// words were found.
///
/// Two adjustments keep the meaning and fit the model: the vectors are centred (word2vec
/// vectors share one large common direction, which makes all words look alike to a freshly
/// initialised network — Mu & Viswanath 2018), then scaled so that their root-mean-square
/// entry equals the table's, because each model's training is tuned to its own initial scale
/// (the RNN's N(0, 1), the Transformer's N(0, 0.02)). Directions relative to the mean, and
/// relative lengths, are unchanged.
pub fn align_into(table: &mut [f32], vocab: &crate::data::Vocab, vectors: &WordVectors) -> Result<usize> {
    let width = table.len() / vocab.len().max(1);
    if vectors.dim() != width {
        return Err(Error::config(
            "embedding width",
            format!("{} (vectors) vs {width} (model)", vectors.dim()),
            format!(
                "train vectors as wide as the model, `sideways embed train --dim {width}` (or, for `sideways train`, give the model --d-model {})",
                vectors.dim()
            ),
        ));
    }
    let rows: Vec<(usize, &[f32])> =
        vocab.words().iter().enumerate().filter_map(|(id, w)| Some((id, vectors.vector(w)?))).collect();
    if rows.is_empty() {
        return Err(Error::config(
            "embeddings",
            format!("vectors of {} words, none of them among the model's {}", vectors.len(), vocab.len()),
            format!("train the vectors on this corpus: `sideways embed train --corpus FILE --dim {width}`"),
        ));
    }
    let mut mean = vec![0.0f64; width];
    for (_, v) in &rows {
        mean.iter_mut().zip(v.iter()).for_each(|(m, &x)| *m += x as f64 / rows.len() as f64);
    }
    let sum_sq = |xs: &mut dyn Iterator<Item = f64>| xs.map(|x| x * x).sum::<f64>();
    let target = (sum_sq(&mut table.iter().map(|&x| x as f64)) / table.len().max(1) as f64).sqrt();
    let source = (rows.iter().map(|(_, v)| sum_sq(&mut v.iter().zip(&mean).map(|(&x, m)| x as f64 - m))).sum::<f64>()
        / (rows.len() * width).max(1) as f64)
        .sqrt();
    let scale = if source > 0.0 && target > 0.0 { target / source } else { 1.0 };
    for &(id, v) in &rows {
        for ((t, &x), m) in table[id * width..(id + 1) * width].iter_mut().zip(v).zip(&mean) {
            *t = ((x as f64 - m) * scale) as f32;
        }
    }
    Ok(rows.len())
}
