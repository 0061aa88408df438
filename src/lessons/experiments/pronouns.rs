//! Lesson 3: the hidden state carried word by word, scored on pronouns far from their noun.

use serde::{Deserialize, Serialize};

use crate::commands::summary::SummaryOptions;
use crate::data::DataConfig;
use crate::error::Result;
use crate::linalg::Threads;
use crate::model::{ModelConfig, ModelKind, SizeOverrides};
use crate::predict::Bigram;
use crate::train::{Budget, Event, Run, RunConfig, TrainConfig, Trainer};

/// Lesson 3, "One word at a time": does a model keep the right pronoun for the character last
/// named, 1 to 60 words later? Scored on every pronoun of the validation split whose character
/// was named earlier in the same window: right when the model gives the pronoun more probability
/// than the other gender's word in its place (he/she, him/her, his/her).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pronouns {
    pub steps: u64,
    /// Distance buckets, words after the character's noun: (from, to) inclusive.
    pub distances: Vec<(usize, usize)>,
    pub models: Vec<PronounScores>,
}

/// One model's pronoun scores, bucket by bucket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PronounScores {
    pub model: String,
    /// Share right in each distance bucket, and how many pronouns the bucket held.
    pub right: Vec<f64>,
    pub cases: Vec<usize>,
    /// Share of the training step spent in work that waits for the previous word.
    pub sequential_share: f64,
}

/// The distance buckets of lesson 3.
pub const DISTANCES: [(usize, usize); 5] = [(1, 9), (10, 19), (20, 29), (30, 39), (40, 63)];

/// One pronoun to score: where it is predicted, the word, and the other gender's words.
struct PronounCase {
    window: usize,
    at: usize,
    right: u32,
    rivals: Vec<u32>,
    bucket: usize,
}

/// Every pronoun of `val` (read in windows of `t`) whose character was named before it in the
/// same window.
fn pronoun_cases(val: &[u32], t: usize, vocab: &crate::data::Vocab) -> Vec<PronounCase> {
    let grammar = crate::data::grammar::Grammar::builtin();
    let triple = |words: [&str; 3]| words.map(|w| vocab.get(w));
    let cast: Vec<(Option<u32>, [Option<u32>; 3])> =
        grammar.characters().map(|(n, p)| (vocab.get(n), triple(p))).collect();
    // The distinct pronoun sets (he him his, she her her): each character's rivals are the others.
    let mut sets: Vec<[Option<u32>; 3]> = Vec::new();
    for c in &cast {
        if !sets.contains(&c.1) {
            sets.push(c.1);
        }
    }
    let mut cases = Vec::new();
    for window in 0..crate::data::eval_windows(val.len(), t) {
        let mut named: Option<(usize, [Option<u32>; 3])> = None;
        for j in 0..t {
            let input = val[window * t + j];
            if let Some(c) = cast.iter().find(|c| c.0 == Some(input)) {
                named = Some((j, c.1));
            }
            let target = val[window * t + j + 1];
            let Some((at, set)) = named else { continue };
            let slots: Vec<usize> = (0..3).filter(|&k| set[k] == Some(target)).collect();
            if slots.is_empty() {
                continue;
            }
            let rivals: Vec<u32> = sets
                .iter()
                .filter(|s| **s != set)
                .flat_map(|s| slots.iter().filter_map(move |&k| s[k]))
                .filter(|&w| w != target)
                .collect();
            let distance = j + 1 - at;
            if let Some(bucket) = DISTANCES.iter().position(|&(lo, hi)| (lo..=hi).contains(&distance)) {
                if !rivals.is_empty() {
                    cases.push(PronounCase { window, at: j, right: target, rivals, bucket });
                }
            }
        }
    }
    cases
}

/// Run lesson 3's experiment: every model trained `o.steps` steps, then every pronoun scored.
pub fn pronouns(o: &SummaryOptions, emit: &mut dyn FnMut(Event)) -> Result<Pronouns> {
    let data = crate::commands::dataset(o.corpus.as_deref(), DataConfig::default())?;
    let threads = Threads::new(o.threads)?;
    let train = TrainConfig { seed: o.seed, ..TrainConfig::default() };
    let t = train.seq_len;
    let cases = pronoun_cases(&data.val, t, &data.vocab);
    let bigram = Bigram::fit(&data);
    let counted: Vec<(f64, f64)> = cases
        .iter()
        .map(|c| {
            let p = bigram.probs(data.val[c.window * t + c.at]);
            (p[c.right as usize], c.rivals.iter().map(|&r| p[r as usize]).fold(0.0, f64::max))
        })
        .collect();
    let mut models = vec![score("bigram", &cases, &counted, 0.0)];
    for (lane, kind) in ModelKind::all().enumerate() {
        let config = ModelConfig::new(kind, data.vocab.len(), &SizeOverrides::default(), t);
        let trainer = Trainer::new(config.build(o.seed)?, data.clone(), train, threads.clone())?;
        let mut run = Run::new(
            trainer,
            RunConfig { lane, eval_every: 0, ..RunConfig::new(kind.name(), Budget::Steps(o.steps)) },
        )?;
        let result = run.run_to_end(emit)?;
        let val = &data.val;
        let probs: Vec<(f64, f64)> = run.trainer_mut().with_model(|m, exec| {
            let mut row = vec![0.0f32; data.vocab.len()];
            let mut last = usize::MAX;
            cases
                .iter()
                .map(|c| {
                    if c.window != last {
                        m.forward(&val[c.window * t..(c.window + 1) * t], None, 1, t, exec);
                        last = c.window;
                    }
                    m.read_probs(0, c.at, &mut row);
                    (row[c.right as usize] as f64, c.rivals.iter().map(|&r| row[r as usize] as f64).fold(0.0, f64::max))
                })
                .collect()
        });
        models.push(score(kind.name(), &cases, &probs, result.sequential_share));
    }
    Ok(Pronouns { steps: o.steps, distances: DISTANCES.to_vec(), models })
}

/// The share of `cases` in each bucket where the model gave the right word (first of each
/// pair in `probs`) more probability than its best rival (second).
fn score(model: &str, cases: &[PronounCase], probs: &[(f64, f64)], sequential_share: f64) -> PronounScores {
    let (mut right, mut n) = (vec![0usize; DISTANCES.len()], vec![0usize; DISTANCES.len()]);
    for (c, &(good, rival)) in cases.iter().zip(probs) {
        n[c.bucket] += 1;
        right[c.bucket] += usize::from(good > rival);
    }
    PronounScores {
        model: model.into(),
        right: right.iter().zip(&n).map(|(&r, &n)| r as f64 / n.max(1) as f64).collect(),
        cases: n,
        sequential_share,
    }
}
