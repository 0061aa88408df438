//! `sideways corpus`: show the default corpus, or generate one from an edited grammar.

use std::path::PathBuf;

use clap::Args;

use super::output;
use crate::commands::corpus::generate;
use crate::data::grammar::{Grammar, BUILTIN};
use crate::fsio::write_atomically;

#[derive(Debug, Clone, Args)]
pub struct CorpusArgs {
    /// A grammar file to use instead of the built-in one (start from `--print-grammar`)
    #[arg(long)]
    pub grammar: Option<PathBuf>,
    /// Print the built-in grammar (to copy and edit) and stop
    #[arg(long)]
    pub print_grammar: bool,
    /// Approximate number of tokens
    #[arg(long, default_value_t = Grammar::DEFAULT_TOKENS)]
    pub tokens: usize,
    /// Seed of the generator
    #[arg(long, default_value_t = Grammar::DEFAULT_SEED)]
    pub seed: u64,
    /// Write to this file instead of standard output
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

pub fn run(a: &CorpusArgs) -> anyhow::Result<()> {
    if a.print_grammar {
        return output::text(BUILTIN);
    }
    let text = generate(a.grammar.as_deref(), a.seed, a.tokens)?;
    match &a.output {
        Some(path) => {
            write_atomically(path, text.as_bytes())?;
            say!("wrote {} ({} tokens)", path.display(), text.split_whitespace().count());
            Ok(())
        }
        None => output::text(&text),
    }
}
