//! Data: corpus loading, the embedded default corpus, the tokenizer, the vocabulary, the
//! train/validation split and deterministic batches.

mod batches;
mod corpus;
pub mod grammar;
pub mod tokenize;
mod vocab;

pub use batches::{eval_windows, Batcher, SMALLER_BATCHES};
pub use corpus::Corpus;
pub use vocab::{Vocab, VocabConfig, UNK};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How a corpus becomes token ids.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataConfig {
    pub vocab: VocabConfig,
    /// The last `val_fraction` of the tokens is the validation split (the benchmark: 0.1).
    pub val_fraction: f64,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig { vocab: VocabConfig::default(), val_fraction: 0.1 }
    }
}

/// Counts that describe a tokenised corpus (compared against bench-config.md in the tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataStats {
    pub tokens: usize,
    pub train_tokens: usize,
    pub val_tokens: usize,
    pub train_unk: usize,
    pub val_unk: usize,
}

/// A tokenised corpus: vocabulary and the two splits as ids.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub name: String,
    /// How it was made (the vocabulary settings and the validation share).
    pub config: DataConfig,
    pub vocab: Vocab,
    pub train: Vec<u32>,
    pub val: Vec<u32>,
}

impl Dataset {
    /// Tokenise `corpus`, split it, and build the vocabulary from the training split.
    pub fn new(corpus: &Corpus, config: DataConfig) -> Result<Self> {
        let (text, split) = Self::tokenize(corpus, config.val_fraction)?;
        let words: Vec<&str> = tokenize::tokens(&text).collect();
        let vocab = Vocab::build(words[..split].iter().copied(), config.vocab)?;
        if vocab.len() < 2 {
            // Only `<unk>`: every target is it, and a model would learn a loss of 0 and a
            // next-word accuracy of 100% that mean nothing.
            return Err(Error::corpus(
                &corpus.name,
                format!("no word of its training part occurs {} times or more", config.vocab.min_count),
                "give a smaller --min-count (1 keeps every word)",
            ));
        }
        Ok(Self::encode(corpus, config, &words, split, vocab))
    }

    /// Tokenise `corpus` with a vocabulary fixed in advance (a checkpoint's).
    pub fn with_vocab(corpus: &Corpus, vocab: Vocab, config: DataConfig) -> Result<Self> {
        let (text, split) = Self::tokenize(corpus, config.val_fraction)?;
        let words: Vec<&str> = tokenize::tokens(&text).collect();
        Ok(Self::encode(corpus, config, &words, split, vocab))
    }

    fn tokenize(corpus: &Corpus, val_fraction: f64) -> Result<(String, usize)> {
        if !(0.0..1.0).contains(&val_fraction) || val_fraction.is_nan() {
            return Err(Error::config("validation fraction", val_fraction, "use a number in [0, 1), e.g. 0.1"));
        }
        let text = tokenize::normalize(&corpus.text);
        let n = tokenize::tokens(&text).count();
        if n < 2 {
            return Err(Error::corpus(&corpus.name, format!("it has only {n} token(s)"), "give a longer text"));
        }
        let split = ((n as f64) * (1.0 - val_fraction)).floor() as usize;
        Ok((text, split))
    }

    fn encode(corpus: &Corpus, config: DataConfig, words: &[&str], split: usize, vocab: Vocab) -> Self {
        let ids: Vec<u32> = words.iter().map(|w| vocab.id(w)).collect();
        Dataset { name: corpus.name.clone(), config, vocab, val: ids[split..].to_vec(), train: ids[..split].to_vec() }
    }

    /// Random tokens over a `vocab_size`-word vocabulary (`w1`, `w2`, …): for speed probes, where
    /// a step's cost depends only on the sizes, never on the words.
    pub fn synthetic(vocab_size: usize, tokens: usize, seed: u64) -> Self {
        let mut rng = crate::rng::Rng::new(seed);
        let words =
            std::iter::once(UNK.to_string()).chain((1..vocab_size).map(|i| format!("w{i}"))).collect::<Vec<_>>();
        let ids: Vec<u32> = (0..tokens).map(|_| rng.below(vocab_size) as u32).collect();
        let split = tokens * 9 / 10;
        Dataset {
            name: "synthetic".into(),
            config: DataConfig { vocab: VocabConfig { max_size: vocab_size, min_count: 1 }, ..DataConfig::default() },
            vocab: Vocab::from(words),
            val: ids[split..].to_vec(),
            train: ids[..split].to_vec(),
        }
    }

    pub fn stats(&self) -> DataStats {
        let unk = |s: &[u32]| s.iter().filter(|&&t| t == 0).count();
        DataStats {
            tokens: self.train.len() + self.val.len(),
            train_tokens: self.train.len(),
            val_tokens: self.val.len(),
            train_unk: unk(&self.train),
            val_unk: unk(&self.val),
        }
    }

    /// A fingerprint of the token stream, stored in checkpoints so that a resume on other data
    /// is caught.
    pub fn fingerprint(&self) -> u32 {
        let mut h = crc32fast::Hasher::new();
        for t in self.train.iter().chain(&self.val) {
            h.update(&t.to_le_bytes());
        }
        h.finalize()
    }
}
