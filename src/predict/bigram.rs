//! The simplest next-word model: count which word follows which in the training split, and
//! predict from the previous word alone. It is what a trained model must beat, and what it
//! cannot see past: after "i ate a good" it knows only "good".

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{top_k, Prediction};
use crate::data::{Dataset, Vocab};

/// Counts of (previous word, next word) pairs, smoothed towards the unigram distribution.
pub struct Bigram {
    /// For each previous word: how often each next word followed it.
    follows: Vec<HashMap<u32, u32>>,
    /// How often each previous word was followed by anything.
    totals: Vec<u32>,
    /// P(next) with add-one smoothing: the prior every row falls back on.
    unigram: Vec<f64>,
}

/// How many pseudo-counts of the unigram distribution each row adds: a word seen once after
/// "good" is likely, but not certain.
const PRIOR: f64 = 1.0;

/// Loss and next-word accuracy over a token sequence (as the models' evaluation reports them).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BigramReport {
    /// Mean cross-entropy of each next word, nats.
    pub val_loss: f64,
    /// Share of next words that are the model's most likely guess.
    pub accuracy: f64,
    /// Next words scored.
    pub tokens: usize,
}

impl Bigram {
    /// Count the pairs of `data`'s training split.
    pub fn fit(data: &Dataset) -> Self {
        let v = data.vocab.len();
        let mut follows = vec![HashMap::new(); v];
        let mut totals = vec![0u32; v];
        let mut counts = vec![1.0f64; v];
        for pair in data.train.windows(2) {
            *follows[pair[0] as usize].entry(pair[1]).or_insert(0) += 1;
            totals[pair[0] as usize] += 1;
            counts[pair[1] as usize] += 1.0;
        }
        let sum: f64 = counts.iter().sum();
        Bigram { follows, totals, unigram: counts.into_iter().map(|c| c / sum).collect() }
    }

    /// P(next = w | previous = `prev`) for every word w.
    pub fn probs(&self, prev: u32) -> Vec<f64> {
        let total = self.totals[prev as usize] as f64 + PRIOR;
        let mut p: Vec<f64> = self.unigram.iter().map(|u| PRIOR * u / total).collect();
        for (&next, &c) in &self.follows[prev as usize] {
            p[next as usize] += c as f64 / total;
        }
        p
    }

    /// The `k` most likely words after the last word of `ids`.
    pub fn next(&self, ids: &[u32], vocab: &Vocab, k: usize) -> Vec<Prediction> {
        let last = ids.last().copied().unwrap_or(0);
        let p: Vec<f32> = self.probs(last).into_iter().map(|x| x as f32).collect();
        top_k(&p, vocab, k)
    }

    /// The most likely word after `prev`.
    pub fn guess(&self, prev: u32) -> u32 {
        argmax(&self.probs(prev)) as u32
    }

    /// Loss and accuracy of predicting each token of `tokens` from the one before it.
    pub fn evaluate(&self, tokens: &[u32]) -> BigramReport {
        let mut best = vec![None; self.totals.len()];
        let (mut loss, mut correct) = (0.0, 0usize);
        for pair in tokens.windows(2) {
            let (prev, next) = (pair[0] as usize, pair[1] as usize);
            let row = &self.follows[prev];
            let total = self.totals[prev] as f64 + PRIOR;
            let p = (row.get(&pair[1]).copied().unwrap_or(0) as f64 + PRIOR * self.unigram[next]) / total;
            loss -= p.ln();
            let guess = *best[prev].get_or_insert_with(|| argmax(&self.probs(prev as u32)));
            correct += usize::from(guess == next);
        }
        let n = tokens.len().saturating_sub(1);
        BigramReport { val_loss: loss / n.max(1) as f64, accuracy: correct as f64 / n.max(1) as f64, tokens: n }
    }
}

/// Index of the largest value (the first of equals).
fn argmax(p: &[f64]) -> usize {
    p.iter().enumerate().fold(0, |best, (i, &x)| if x > p[best] { i } else { best })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_become_a_distribution_and_the_loss_matches_a_direct_sum() {
        let data = Dataset::synthetic(50, 5_000, 7);
        let b = Bigram::fit(&data);
        for prev in [0u32, 3, 49] {
            let p = b.probs(prev);
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "row {prev} sums to 1");
        }
        // The loss by the evaluator equals the mean of -ln p computed from the full rows.
        let r = b.evaluate(&data.val);
        let direct: f64 =
            data.val.windows(2).map(|w| -b.probs(w[0])[w[1] as usize].ln()).sum::<f64>() / (data.val.len() - 1) as f64;
        assert!((r.val_loss - direct).abs() < 1e-9, "{} vs {direct}", r.val_loss);
        assert!(r.accuracy > 0.0 && r.accuracy <= 1.0);
    }
}
