//! `sideways corpus`: the default corpus, or one generated from an edited grammar.

use std::path::Path;

use crate::data::grammar::Grammar;
use crate::error::{Error, Result};

/// About `tokens` tokens of stories from the grammar at `grammar` (the built-in one without).
pub fn generate(grammar: Option<&Path>, seed: u64, tokens: usize) -> Result<String> {
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
