//! Next-word prediction and generation from a trained model, and the bigram count model every
//! trained model is compared with.

mod bigram;

pub use bigram::{Bigram, BigramReport};

use serde::{Deserialize, Serialize};

use crate::data::{tokenize, Vocab};
use crate::error::{Error, Result};
use crate::linalg::Exec;
use crate::model::LanguageModel;
use crate::rng::Rng;

/// One candidate next word.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub word: String,
    pub prob: f32,
}

/// Token ids of `prompt`, refusing one with no known word.
pub fn encode_prompt(vocab: &Vocab, prompt: &str) -> Result<Vec<u32>> {
    let text = tokenize::normalize(prompt);
    let ids: Vec<u32> = tokenize::tokens(&text).map(|w| vocab.id(w)).collect();
    if ids.is_empty() {
        return Err(Error::Prompt {
            prompt: prompt.into(),
            problem: "it has no words".into(),
            hint: "give a few words, e.g. \"i ate a good\"".into(),
        });
    }
    if ids.iter().all(|&id| id == 0) {
        let known: Vec<&str> = vocab.words().iter().skip(1).take(8).map(String::as_str).collect();
        return Err(Error::Prompt {
            prompt: prompt.into(),
            problem: "none of its words is in the model's vocabulary".into(),
            hint: format!("use words from the training corpus, e.g. {}", known.join(", ")),
        });
    }
    Ok(ids)
}

/// The probabilities of the word after `ids` (the last `context` of them for a model with a
/// limited context).
pub fn next_probs(model: &mut dyn LanguageModel, ids: &[u32], exec: Exec) -> Vec<f32> {
    let ctx = model.config().context_len().unwrap_or(usize::MAX);
    let window = &ids[ids.len().saturating_sub(ctx)..];
    model.forward(window, None, 1, window.len(), exec);
    let mut probs = vec![0.0; model.config().vocab_size()];
    model.read_probs(0, window.len() - 1, &mut probs);
    probs
}

/// The `k` most likely next words, most likely first (ties by id).
pub fn top_k(probs: &[f32], vocab: &Vocab, k: usize) -> Vec<Prediction> {
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]).then(a.cmp(&b)));
    order.into_iter().take(k).map(|i| Prediction { word: vocab.word(i as u32).to_string(), prob: probs[i] }).collect()
}

/// The most words one generation may add (each is a forward pass over the context).
pub const MAX_WORDS: usize = 100_000;

/// How to sample during generation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sampling {
    /// Divides the log-probabilities: below 1 sharper, above 1 flatter; 0 means always the most likely.
    pub temperature: f32,
    /// Keep only the k most likely words (0 = all).
    pub top_k: usize,
    pub seed: u64,
}

/// Continue `ids` by `n_words` sampled tokens (never `<unk>`), returning the new words. Each
/// word is predicted from the last `window` words at most (the Transformer's context, when
/// shorter): the length of window a recurrent model was trained on, from a zero state, so
/// each new word costs the same however long the text grows.
pub fn generate(
    model: &mut dyn LanguageModel,
    vocab: &Vocab,
    ids: &[u32],
    n_words: usize,
    (s, window): (Sampling, usize),
    exec: Exec,
) -> Result<Vec<String>> {
    if n_words > MAX_WORDS {
        return Err(Error::config("words", n_words, format!("generate at most {MAX_WORDS} words at a time")));
    }
    if !(s.temperature >= 0.0 && s.temperature <= 100.0) {
        return Err(Error::config("temperature", s.temperature, "use 0 (greedy) to 100; 1 samples the model as it is"));
    }
    let mut rng = Rng::new(s.seed);
    let mut ids = ids.to_vec();
    let mut out = Vec::with_capacity(n_words);
    let window = window.max(1);
    for _ in 0..n_words {
        let probs = next_probs(model, &ids[ids.len().saturating_sub(window)..], exec);
        let mut cand: Vec<(usize, f32)> = probs.iter().copied().enumerate().skip(1).collect();
        cand.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        if s.top_k > 0 {
            cand.truncate(s.top_k);
        }
        let next = cand[pick(&cand, s.temperature, &mut rng)].0;
        ids.push(next as u32);
        out.push(vocab.word(next as u32).to_string());
    }
    Ok(out)
}

/// Which of `cand` (most likely first) to take at `temperature`: the first at 0, else one drawn
/// with weights p^(1/T).
fn pick(cand: &[(usize, f32)], temperature: f32, rng: &mut Rng) -> usize {
    if temperature == 0.0 {
        return 0;
    }
    // Each power relative to the likeliest word's: for a small T the plain powers are all below
    // the smallest double, and nothing would be left to draw from.
    let top = cand[0].1.max(1e-30) as f64;
    let weights: Vec<f64> =
        cand.iter().map(|&(_, p)| (p.max(1e-30) as f64 / top).powf(1.0 / temperature as f64)).collect();
    let mut x = rng.uniform() * weights.iter().sum::<f64>();
    let drawn = weights.iter().position(|&w| {
        x -= w;
        x < 0.0
    });
    drawn.unwrap_or(cand.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelConfig, ModelKind, SizeOverrides};

    #[test]
    fn a_small_temperature_takes_the_likeliest_word_and_one_draws_by_probability() {
        let cand = [(7, 0.5f32), (3, 0.3), (9, 0.2)];
        let mut rng = Rng::new(1);
        for t in [1e-30, 1e-6, 1e-3, 0.0] {
            assert!((0..200).all(|_| pick(&cand, t, &mut rng) == 0), "T = {t}");
        }
        let draws = 20_000;
        let mut counts = [0usize; 3];
        for _ in 0..draws {
            counts[pick(&cand, 1.0, &mut rng)] += 1;
        }
        for (&c, &(_, p)) in counts.iter().zip(&cand) {
            assert!((c as f64 / draws as f64 - p as f64).abs() < 0.015, "{counts:?}");
        }
    }

    /// Whatever came before the last `window` words changes nothing: every model continues two
    /// texts that end alike in the same way. (A wider window sees the difference; shown with the
    /// Transformer, whose attention reaches every word alike, where an untrained RNN's state has
    /// all but forgotten them.)
    #[test]
    fn generation_reads_only_the_last_window_of_words() {
        let words: Vec<String> = (0..30).map(|i| format!("w{i}")).collect();
        let vocab = Vocab::from(words);
        let sizes = SizeOverrides { d_model: Some(16), n_heads: Some(2), ..Default::default() };
        let (window, sampling) = (6, Sampling { temperature: 1.0, top_k: 0, seed: 9 });
        let shared: Vec<u32> = (0..window as u32).map(|i| 1 + i * 4).collect();
        for kind in ModelKind::all() {
            let mut model = ModelConfig::new(kind, vocab.len(), &sizes, 16).build(5).unwrap();
            let mut continue_after = |start: &[u32], window: usize| {
                let ids = [start, &shared].concat();
                generate(model.as_mut(), &vocab, &ids, 12, (sampling, window), Exec::SEQ).unwrap()
            };
            assert_eq!(continue_after(&[3, 5, 7], window), continue_after(&[20], window), "{kind}");
            if kind.name() == "transformer" {
                let wider = window + 3;
                assert_ne!(
                    continue_after(&[3, 5, 7], wider),
                    continue_after(&[20], wider),
                    "a wider window reads them"
                );
            }
        }
    }
}
