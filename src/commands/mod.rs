//! The commands of `sideways` as library functions: each takes plain options (serde, with the
//! standard values as `Default`) and returns a typed, serialisable result; the long ones also
//! report [`Event`](crate::train::Event)s as they go. The command line only parses options,
//! calls these and prints; the dashboard and the lessons call the same functions and check the
//! same results.

pub mod bench;
pub mod compute;
pub mod corpus;
pub mod embed;
pub mod predict;
pub mod race;
pub mod scaling;
pub mod summary;
pub mod train;

use std::path::Path;
use std::sync::Arc;

use crate::data::{Corpus, DataConfig, Dataset, VocabConfig};
use crate::error::Result;

/// The corpus at `path` (the embedded default corpus without one), tokenised as `config` says.
pub fn dataset(path: Option<&Path>, config: DataConfig) -> Result<Arc<Dataset>> {
    Ok(Arc::new(Dataset::new(&Corpus::from_option(path)?, config)?))
}

/// A line for when a vocabulary larger than the standard one was asked for and the corpus has
/// fewer words (the output layer, and so the speed, is then not what the sizes promise).
pub fn small_vocabulary(data: &Dataset, asked: usize) -> Option<String> {
    (asked > VocabConfig::default().max_size && data.vocab.len() < asked).then(|| {
        format!(
            "the vocabulary holds the corpus's {} words, not {asked}: give a larger --corpus (a folder of books) for the full output layer",
            data.vocab.len()
        )
    })
}
