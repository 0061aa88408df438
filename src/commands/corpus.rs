//! `sideways corpus`: the default corpus, or one generated from an edited grammar.

use std::path::Path;

use crate::data::grammar::Grammar;
use crate::error::{Error, Result};
use crate::linalg::machine;

/// The most tokens a corpus may have (a thousand times the default corpus).
pub const MAX_TOKENS: usize = 1_000_000_000;

/// About `tokens` tokens of stories from the grammar at `grammar` (the built-in one without).
pub fn generate(grammar: Option<&Path>, seed: u64, tokens: usize) -> Result<String> {
    if tokens == 0 || tokens > MAX_TOKENS {
        return Err(Error::config(
            "tokens",
            tokens,
            format!("use 1 to {MAX_TOKENS} (the default corpus has 1,000,000)"),
        ));
    }
    // About 6 bytes of text per token, grown twice over while the string doubles.
    machine::ensure_memory(format!("a corpus of {tokens} tokens"), tokens as u64 * 12, "ask for fewer --tokens")?;
    let grammar = match grammar {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::io(path, e, "give a grammar file (see --print-grammar)"))?;
            Grammar::parse(&text)?
        }
        None => Grammar::builtin(),
    };
    Ok(grammar.generate(seed, tokens))
}
