//! The token embedding layer, shared by the RNN and the Transformer.
//!
//! Forward gathers rows: out[i] = table[token[i]].
//! Backward scatter-adds: dtable[token[i]] += dout[i]. Two positions with the same token add
//! into the same row, so this loop stays sequential (it is a tiny share of a step).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rng::Rng;

/// How the table starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum EmbeddingInit {
    /// Independent Normal(0, std) entries.
    Normal { std: f32 },
    /// A given (vocab_size, width) row-major matrix, e.g. word2vec vectors aligned to the vocabulary.
    Matrix(Vec<f32>),
}

/// out (n, width) = table[tokens] with table (vocab_size, width).
pub fn forward(out: &mut [f32], tokens: &[u32], table: &[f32], width: usize) {
    for (row, &t) in out.chunks_exact_mut(width).zip(tokens) {
        let t = t as usize;
        row.copy_from_slice(&table[t * width..(t + 1) * width]);
    }
}

/// dtable[tokens[i]] += dout[i] for every position i.
pub fn backward(dtable: &mut [f32], dout: &[f32], tokens: &[u32], width: usize) {
    for (row, &t) in dout.chunks_exact(width).zip(tokens) {
        let t = t as usize;
        crate::linalg::vecmath::add_assign(&mut dtable[t * width..(t + 1) * width], row);
    }
}

/// Fill `table` (vocab_size, width) as `init` says.
pub fn init(table: &mut [f32], init: &EmbeddingInit, rng: &mut Rng) -> Result<()> {
    match init {
        EmbeddingInit::Normal { std } => rng.fill_normal(table, *std),
        EmbeddingInit::Matrix(m) => {
            if m.len() != table.len() {
                return Err(Error::config(
                    "embedding matrix",
                    format!("{} values", m.len()),
                    format!(
                        "the model's table holds {} (vocabulary × width); align the vectors to the vocabulary first",
                        table.len()
                    ),
                ));
            }
            table.copy_from_slice(m);
        }
    }
    Ok(())
}
