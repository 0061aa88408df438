//! The vocabulary: id 0 is `<unk>`, then the most frequent training tokens by count
//! descending, ties broken by the token's bytes ascending, so the same text always gives the
//! same ids.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The token every out-of-vocabulary word maps to.
pub const UNK: &str = "<unk>";

/// How to choose the vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VocabConfig {
    /// Total size including `<unk>` (the benchmark uses 4096).
    pub max_size: usize,
    /// Tokens seen fewer times than this in the training split become `<unk>`.
    pub min_count: usize,
}

impl Default for VocabConfig {
    fn default() -> Self {
        VocabConfig { max_size: 4096, min_count: 1 }
    }
}

/// Words and their ids.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<String>", into = "Vec<String>")]
pub struct Vocab {
    words: Vec<String>,
    ids: HashMap<String, u32>,
}

impl From<Vec<String>> for Vocab {
    fn from(words: Vec<String>) -> Self {
        let ids = words.iter().enumerate().map(|(i, w)| (w.clone(), i as u32)).collect();
        Vocab { words, ids }
    }
}

impl From<Vocab> for Vec<String> {
    fn from(v: Vocab) -> Self {
        v.words
    }
}

impl Vocab {
    /// Count `tokens` and keep the most frequent as described in the module docs.
    pub fn build<'a>(tokens: impl IntoIterator<Item = &'a str>, config: VocabConfig) -> Result<Self> {
        if config.max_size < 2 || config.max_size > 10_000_000 {
            return Err(Error::config(
                "vocab size",
                config.max_size,
                "use between 2 and 10,000,000 words (the benchmark uses 4096)",
            ));
        }
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for t in tokens {
            *counts.entry(t).or_default() += 1;
        }
        let mut ranked: Vec<(&str, usize)> =
            counts.into_iter().filter(|&(w, c)| c >= config.min_count.max(1) && w != UNK).collect();
        ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.as_bytes().cmp(b.0.as_bytes())));
        ranked.truncate(config.max_size - 1);
        let words =
            std::iter::once(UNK.to_string()).chain(ranked.into_iter().map(|(w, _)| w.to_string())).collect::<Vec<_>>();
        Ok(Vocab::from(words))
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The id of `word`, if it is in the vocabulary.
    pub fn get(&self, word: &str) -> Option<u32> {
        self.ids.get(word).copied()
    }

    /// The id of `word`, or 0 (`<unk>`).
    pub fn id(&self, word: &str) -> u32 {
        self.get(word).unwrap_or(0)
    }

    pub fn word(&self, id: u32) -> &str {
        &self.words[id as usize]
    }

    pub fn words(&self) -> &[String] {
        &self.words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_by_count_then_bytes_and_caps_size() {
        let text = "b a c b a b d d e";
        let v = Vocab::build(text.split(' '), VocabConfig { max_size: 4, min_count: 1 }).unwrap();
        // b:3, a:2, d:2 (a < d by bytes), then c:1, e:1 cut by the cap.
        assert_eq!(v.words(), [UNK, "b", "a", "d"]);
        assert_eq!(v.id("c"), 0);
        assert_eq!(v.id("d"), 3);
        let v = Vocab::build(text.split(' '), VocabConfig { max_size: 100, min_count: 2 }).unwrap();
        assert_eq!(v.words(), [UNK, "b", "a", "d"]);
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(serde_json::from_str::<Vocab>(&json).unwrap(), v);
    }
}
