//! What must hold for any input, checked by the fuzz targets (`fuzz/`, nightly) and replayed on
//! every input they ever found a problem with (`tests/fuzz_regressions.rs`, stable). Each check
//! panics when a property breaks; the code under test must only ever return errors.
#![allow(dead_code)]

use std::path::Path;

use sideways::data::grammar::Grammar;
use sideways::data::tokenize;
use sideways::embed::vectors::{parse_binary, parse_text, VectorFormat};
use sideways::train::Checkpoint;

/// A checkpoint reader: an error or a checkpoint that builds its model, holds only finite
/// numbers and writes back to a file that reads the same.
pub fn checkpoint(data: &[u8]) {
    let Ok(ckpt) = Checkpoint::from_bytes(data, Path::new("fuzz.ckpt")) else { return };
    assert!(ckpt.params.iter().chain(&ckpt.m).chain(&ckpt.v).all(|x| x.is_finite()));
    let _ = ckpt.model();
    let again = Checkpoint::from_bytes(&ckpt.to_bytes(), Path::new("again.ckpt")).expect("a written checkpoint reads");
    assert_eq!((again.params, again.m, again.v), (ckpt.params, ckpt.m, ckpt.v));
    assert_eq!(again.header.step, ckpt.header.step);
}

/// word2vec's binary format: an error, or vectors that write back byte for byte the same way.
pub fn vectors_binary(data: &[u8]) {
    let Ok(v) = parse_binary(data) else { return };
    assert!(v.data().iter().all(|x| x.is_finite()));
    let bytes = v.to_bytes(VectorFormat::Binary);
    assert_eq!(parse_binary(&bytes).expect("written vectors read"), v);
}

/// The text formats (word2vec text, fastText .vec, GloVe). A GloVe file whose first line is
/// two whole numbers ("28 3": the word "28" with one number) reads as a `count dim` header: the
/// formats cannot tell them apart, so that round trip is not asked for.
pub fn vectors_text(data: &[u8]) {
    let Ok(v) = parse_text(data) else { return };
    assert!(v.data().iter().all(|x| x.is_finite()));
    for format in [VectorFormat::Text, VectorFormat::Glove] {
        let bytes = v.to_bytes(format);
        let first = String::from_utf8_lossy(&bytes).lines().next().unwrap_or_default().to_string();
        let fields: Vec<&str> = first.split_ascii_whitespace().collect();
        let reads_as_header = fields.len() == 2 && fields.iter().all(|f| f.parse::<usize>().is_ok());
        if format == VectorFormat::Glove && reads_as_header {
            continue;
        }
        assert_eq!(parse_text(&bytes).expect("written vectors read"), v, "{format:?}");
    }
}

/// The grammar: an error, or a grammar that generates what was asked, promptly.
pub fn grammar(data: &[u8]) {
    let Ok(g) = Grammar::parse(&String::from_utf8_lossy(data)) else { return };
    let text = g.generate(7, 300);
    assert!(text.split_whitespace().count() >= 300, "asked for 300 tokens, got {text:?}");
}

/// The tokenizer: every token is a run of word characters or one other character, never
/// whitespace, and together they hold every non-whitespace character of the text in order.
pub fn tokenizer(data: &[u8]) {
    let text = tokenize::normalize(&String::from_utf8_lossy(data));
    let tokens: Vec<&str> = tokenize::tokens(&text).collect();
    for t in &tokens {
        assert!(!t.is_empty() && !t.chars().any(char::is_whitespace), "{t:?}");
        let word = t.chars().all(|c| c.is_ascii_lowercase() || c == '\'');
        assert!(word || t.chars().count() == 1, "{t:?}");
    }
    let kept: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert_eq!(tokens.concat(), kept);
    let _ = tokenize::detokenize(&tokens);
}

/// The command line: any arguments parse or are refused with a message; none panics.
pub fn cli(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let args: Vec<String> = std::iter::once("sideways".to_string()).chain(text.split('\0').map(String::from)).collect();
    let _ = sideways::cli::check(&args);
}
