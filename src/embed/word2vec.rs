//! word2vec (Mikolov et al. 2013) as the original C tool does it: skip-gram or CBOW with
//! negative sampling, subsampling of frequent words, a randomly shrunk window, noise words
//! drawn from the unigram distribution raised to 0.75, and a learning rate that decays linearly
//! to zero over all epochs.
//!
//! Threads train "Hogwild" (Recht et al. 2011), like the original: each thread takes its own
//! slice of the corpus and updates the shared matrices without locks. Updates to a frequent
//! word's row can collide and one of them is lost; at this scale that costs no accuracy and
//! saves all synchronisation. The price is that results are reproducible bit for bit only with
//! one thread; with more, the same seed gives slightly different vectors of the same quality.
//!
//! Skip-gram, for a centre word w and each context word c within the window (word2vec.c's
//! orientation: the context word's input vector predicts the centre word):
//!     for the pair (c, w) with label 1 and `negative` noise words n with label 0:
//!         f = in[c] · out[t],  g = (label − σ(f)) · lr
//!         Δin[c] += g · out[t],  out[t] += g · in[c]
//! which is gradient ascent on log σ(in[c]·out[w]) + Σ log σ(−in[c]·out[n]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::data::tokenize;
use crate::error::{Error, Result};
use crate::linalg::{vecmath, Threads};
use crate::rng::Rng;

use super::vectors::WordVectors;

/// Which prediction task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Architecture {
    /// Each context word predicts the centre word.
    SkipGram,
    /// The mean of the context words predicts the centre word.
    Cbow,
}

/// Hyper-parameters, with the original tool's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Word2VecConfig {
    pub architecture: Architecture,
    pub dim: usize,
    /// Largest distance between centre and context (shrunk at random per centre word).
    pub window: usize,
    /// Noise words per positive pair.
    pub negative: usize,
    /// Words seen fewer times are dropped.
    pub min_count: usize,
    /// Subsampling threshold: words more frequent than this share are randomly skipped.
    pub sample: f64,
    pub epochs: usize,
    /// Starting learning rate (the original: 0.025 for skip-gram, 0.05 for CBOW).
    pub lr: f32,
    pub seed: u64,
}

impl Default for Word2VecConfig {
    fn default() -> Self {
        Word2VecConfig {
            architecture: Architecture::SkipGram,
            dim: 100,
            window: 5,
            negative: 5,
            min_count: 5,
            sample: 1e-3,
            epochs: 5,
            lr: 0.025,
            seed: 1,
        }
    }
}

impl Word2VecConfig {
    pub fn validate(&self) -> Result<()> {
        let check = |name: &'static str, v: usize, lo: usize, hi: usize, hint: &str| {
            if v < lo || v > hi {
                Err(Error::config(name, v, format!("use {lo} to {hi} ({hint})")))
            } else {
                Ok(())
            }
        };
        check("dim", self.dim, 1, 10_000, "100 to 300 is usual")?;
        check("window", self.window, 1, 100, "5 is usual")?;
        check("negative", self.negative, 1, 100, "5 to 15 is usual")?;
        check("min-count", self.min_count, 1, 1_000_000, "5 is usual")?;
        check("epochs", self.epochs, 1, 10_000, "5 is usual")?;
        if !(0.0..1.0).contains(&self.sample) {
            return Err(Error::config("sample", self.sample, "use 0 (off) or a small share such as 1e-3"));
        }
        if !(self.lr > 0.0 && self.lr < 10.0) {
            return Err(Error::config("learning rate", self.lr, "use 0.025 for skip-gram or 0.05 for CBOW"));
        }
        Ok(())
    }
}

/// What the progress callback sees, a few times a second.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Progress {
    /// Corpus words read so far, all epochs (before subsampling, out-of-vocabulary words included).
    pub words: u64,
    pub total_words: u64,
    pub seconds: f64,
    /// Wall-clock rate: words / seconds.
    pub words_per_sec: f64,
    /// Mean negative-sampling loss per positive pair since the last report.
    pub loss: f32,
    pub lr: f32,
}

/// The result of a run.
#[derive(Clone, Debug, Serialize)]
pub struct Word2VecReport {
    pub vocab_size: usize,
    /// Tokens in the corpus (each epoch reads all of them).
    pub corpus_words: u64,
    pub epochs: usize,
    pub threads: usize,
    pub seconds: f64,
    /// corpus_words × epochs / wall-clock seconds.
    pub words_per_sec: f64,
    /// Mean loss per positive pair over the last part of training.
    pub final_loss: f32,
}

/// Words per sentence: context windows do not cross these boundaries (as in word2vec.c).
const SENTENCE: usize = 1000;
/// Threads publish their word count and loss every this many words.
const PUBLISH_EVERY: u64 = 10_000;

/// Train word vectors on `text` (lowercased and tokenised like the language models' data).
pub fn train(
    text: &str,
    config: &Word2VecConfig,
    threads: &Threads,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<(WordVectors, Word2VecReport)> {
    config.validate()?;
    let lower = tokenize::normalize(text);
    let tokens: Vec<&str> = tokenize::tokens(&lower).collect();
    let (words, counts) = vocabulary(&tokens, config.min_count)?;
    let index: std::collections::HashMap<&str, u32> =
        words.iter().enumerate().map(|(i, w)| (w.as_str(), i as u32)).collect();
    let ids: Vec<u32> = tokens.iter().filter_map(|t| index.get(t).copied()).collect();
    let corpus_words = tokens.len() as u64;
    drop(tokens);

    let (v, d) = (words.len(), config.dim);
    let mut rng = Rng::new(config.seed);
    // word2vec.c's init: input vectors uniform in ±0.5/dim, output vectors zero.
    let mut input: Vec<f32> = (0..v * d).map(|_| ((rng.uniform() - 0.5) / d as f64) as f32).collect();
    let mut output = vec![0.0f32; v * d];
    let total_ids: u64 = counts.iter().sum();
    let keep = keep_probabilities(&counts, config.sample);
    let noise = Alias::new(&counts.iter().map(|&c| (c as f64).powf(0.75)).collect::<Vec<_>>());

    let shared = Shared {
        input: input.as_mut_ptr(),
        output: output.as_mut_ptr(),
        done: AtomicU64::new(0),
        loss: Mutex::new((0.0, 0)),
    };
    let budget = (config.epochs as u64 * total_ids) as f64;
    let n = threads.count();
    let start = Instant::now();
    let scale = corpus_words as f64 / total_ids.max(1) as f64;
    let mut last_loss = f32::NAN;
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..n)
            .map(|t| {
                let part = &ids[ids.len() * t / n..ids.len() * (t + 1) / n];
                let (shared, keep, noise) = (&shared, &keep, &noise);
                s.spawn(move || worker(part, t, config, shared, keep, noise, budget))
            })
            .collect();
        let mut seen_loss = (0.0f64, 0u64);
        let report = |last: &mut f32, seen: &mut (f64, u64)| {
            let (sum, count) = *shared.loss.lock().expect("no worker panics holding the lock");
            if count > seen.1 {
                *last = ((sum - seen.0) / (count - seen.1) as f64) as f32;
            }
            *seen = (sum, count);
            let done = shared.done.load(Ordering::Relaxed);
            let seconds = start.elapsed().as_secs_f64();
            let words = (done as f64 * scale) as u64;
            Progress {
                words,
                total_words: corpus_words * config.epochs as u64,
                seconds,
                words_per_sec: words as f64 / seconds.max(1e-9),
                loss: *last,
                lr: learning_rate(config.lr, done, budget),
            }
        };
        while !workers.iter().all(|w| w.is_finished()) {
            std::thread::sleep(Duration::from_millis(50));
            if start.elapsed() > Duration::from_millis(200) && !workers.iter().all(|w| w.is_finished()) {
                on_progress(&report(&mut last_loss, &mut seen_loss));
            }
        }
        on_progress(&report(&mut last_loss, &mut seen_loss));
    });
    let seconds = start.elapsed().as_secs_f64();
    let report = Word2VecReport {
        vocab_size: v,
        corpus_words,
        epochs: config.epochs,
        threads: n,
        seconds,
        words_per_sec: corpus_words as f64 * config.epochs as f64 / seconds,
        final_loss: last_loss,
    };
    Ok((WordVectors::new(words, d, input)?, report))
}

/// Words with at least `min_count` occurrences, by count descending then bytes ascending.
fn vocabulary(tokens: &[&str], min_count: usize) -> Result<(Vec<String>, Vec<u64>)> {
    let mut counts: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    for t in tokens {
        *counts.entry(t).or_default() += 1;
    }
    let mut ranked: Vec<(&str, u64)> = counts.into_iter().filter(|&(_, c)| c >= min_count as u64).collect();
    ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.as_bytes().cmp(b.0.as_bytes())));
    if ranked.len() < 2 {
        return Err(Error::corpus(
            format!("of {} tokens", tokens.len()),
            format!("fewer than two words appear at least {min_count} times"),
            "use a larger corpus or a smaller --min-count",
        ));
    }
    Ok(ranked.into_iter().map(|(w, c)| (w.to_string(), c)).unzip())
}

/// word2vec.c's subsampling: keep a word of count c out of T with probability
/// (√(c / (s·T)) + 1) · (s·T) / c (≥ 1 means always).
fn keep_probabilities(counts: &[u64], sample: f64) -> Vec<f32> {
    let total: u64 = counts.iter().sum();
    let st = sample * total as f64;
    counts
        .iter()
        .map(|&c| if sample <= 0.0 { 1.0 } else { (((c as f64 / st).sqrt() + 1.0) * st / c as f64).min(1.0) as f32 })
        .collect()
}

fn learning_rate(lr: f32, done: u64, budget: f64) -> f32 {
    lr * (1.0 - done as f64 / (budget + 1.0)).max(1e-4) as f32
}

/// Walker's alias method: draws word i with probability w_i / Σw in O(1), from tables the
/// size of the vocabulary (the original's 100-million-entry table does not fit in cache).
pub struct Alias {
    prob: Vec<f32>,
    alias: Vec<u32>,
}

impl Alias {
    pub fn new(weights: &[f64]) -> Self {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| scaled[i] < 1.0);
        let mut prob = vec![1.0f32; n];
        let mut alias: Vec<u32> = (0..n as u32).collect();
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            prob[s] = scaled[s] as f32;
            alias[s] = l as u32;
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        Alias { prob, alias }
    }

    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> usize {
        let r = rng.next_u64();
        let i = (((r >> 32) * self.prob.len() as u64) >> 32) as usize;
        let u = (r & 0xFFFF_FFFF) as f32 * (1.0 / 4_294_967_296.0);
        if u < self.prob[i] {
            i
        } else {
            self.alias[i] as usize
        }
    }
}

/// The matrices every thread writes to, and the shared counters.
struct Shared {
    input: *mut f32,
    output: *mut f32,
    done: AtomicU64,
    loss: Mutex<(f64, u64)>,
}

// SAFETY: Hogwild (module docs): threads read and write rows of `input` and `output` without
// synchronisation by design; both buffers outlive the scoped threads.
unsafe impl Sync for Shared {}

impl Shared {
    /// Row `i` of width `d` of one matrix.
    ///
    /// # Safety
    /// `i` < vocabulary size; concurrent writers may interleave (Hogwild).
    #[inline]
    #[allow(clippy::mut_from_ref)]
    unsafe fn row(&self, m: *mut f32, i: usize, d: usize) -> &mut [f32] {
        std::slice::from_raw_parts_mut(m.add(i * d), d)
    }
}

#[inline]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + vecmath::exp(-x))
}

#[inline]
fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// One thread: all epochs over its slice of the corpus.
fn worker(part: &[u32], t: usize, c: &Word2VecConfig, s: &Shared, keep: &[f32], noise: &Alias, budget: f64) {
    let d = c.dim;
    let mut rng = Rng::new(c.seed).fork(t as u64 + 1);
    let mut neu1 = vec![0.0f32; d];
    let mut neu1e = vec![0.0f32; d];
    let mut sentence: Vec<u32> = Vec::with_capacity(SENTENCE);
    let (mut unpublished, mut loss_sum, mut loss_n) = (0u64, 0.0f64, 0u64);
    let mut lr = c.lr;
    for _ in 0..c.epochs {
        for chunk in part.chunks(SENTENCE) {
            sentence.clear();
            sentence.extend(
                chunk.iter().copied().filter(|&w| keep[w as usize] >= 1.0 || (rng.uniform() as f32) < keep[w as usize]),
            );
            for (i, &w) in sentence.iter().enumerate() {
                let b = rng.below(c.window);
                let (lo, hi) = (i.saturating_sub(c.window - b), (i + c.window - b + 1).min(sentence.len()));
                let track = i % 8 == 0; // the loss is sampled: a log per pair would cost ~10%
                match c.architecture {
                    Architecture::SkipGram => {
                        for j in (lo..hi).filter(|&j| j != i) {
                            // SAFETY: ids are < vocabulary size.
                            let l1 = unsafe { s.row(s.input, sentence[j] as usize, d) };
                            neu1e.fill(0.0);
                            let loss = train_pair(l1, w as usize, &mut neu1e, c, s, noise, &mut rng, lr, track);
                            axpy(l1, 1.0, &neu1e);
                            if track {
                                loss_sum += loss as f64;
                                loss_n += 1;
                            }
                        }
                    }
                    Architecture::Cbow => {
                        neu1.fill(0.0);
                        let mut cw = 0;
                        for j in (lo..hi).filter(|&j| j != i) {
                            // SAFETY: ids are < vocabulary size.
                            vecmath::add_assign(&mut neu1, unsafe { s.row(s.input, sentence[j] as usize, d) });
                            cw += 1;
                        }
                        if cw == 0 {
                            continue;
                        }
                        neu1.iter_mut().for_each(|x| *x /= cw as f32);
                        neu1e.fill(0.0);
                        let loss = train_pair(&neu1, w as usize, &mut neu1e, c, s, noise, &mut rng, lr, track);
                        for j in (lo..hi).filter(|&j| j != i) {
                            // SAFETY: ids are < vocabulary size.
                            axpy(unsafe { s.row(s.input, sentence[j] as usize, d) }, 1.0, &neu1e);
                        }
                        if track {
                            loss_sum += loss as f64;
                            loss_n += 1;
                        }
                    }
                }
            }
            unpublished += chunk.len() as u64;
            if unpublished >= PUBLISH_EVERY {
                let done = s.done.fetch_add(unpublished, Ordering::Relaxed) + unpublished;
                lr = learning_rate(c.lr, done, budget);
                let mut l = s.loss.lock().expect("no worker panics holding the lock");
                l.0 += loss_sum;
                l.1 += loss_n;
                (unpublished, loss_sum, loss_n) = (0, 0.0, 0);
            }
        }
    }
    s.done.fetch_add(unpublished, Ordering::Relaxed);
    let mut l = s.loss.lock().expect("no worker panics holding the lock");
    l.0 += loss_sum;
    l.1 += loss_n;
}

/// The positive pair (h → w) and `negative` noise words: update the output rows, accumulate
/// the input gradient in `neu1e`; returns the pair's loss when `track`.
#[allow(clippy::too_many_arguments)]
#[inline]
fn train_pair(
    h: &[f32],
    w: usize,
    neu1e: &mut [f32],
    c: &Word2VecConfig,
    s: &Shared,
    noise: &Alias,
    rng: &mut Rng,
    lr: f32,
    track: bool,
) -> f32 {
    let d = c.dim;
    let mut loss = 0.0;
    for k in 0..=c.negative {
        let (target, label) = if k == 0 {
            (w, 1.0)
        } else {
            let n = noise.sample(rng);
            if n == w {
                continue;
            }
            (n, 0.0)
        };
        // SAFETY: target < vocabulary size.
        let l2 = unsafe { s.row(s.output, target, d) };
        let f = vecmath::dot(h, l2);
        let p = sigmoid(f);
        if track {
            loss -= if label == 1.0 { p.max(1e-7).ln() } else { (1.0 - p).max(1e-7).ln() };
        }
        let g = (label - p) * lr;
        axpy(neu1e, g, l2);
        axpy(l2, g, h);
    }
    loss
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_draws_in_proportion() {
        let a = Alias::new(&[1.0, 2.0, 7.0]);
        let mut rng = Rng::new(3);
        let mut counts = [0usize; 3];
        for _ in 0..200_000 {
            counts[a.sample(&mut rng)] += 1;
        }
        for (c, want) in counts.iter().zip([0.1, 0.2, 0.7]) {
            assert!((*c as f64 / 200_000.0 - want).abs() < 0.005, "{counts:?}");
        }
    }

    #[test]
    fn subsampling_keeps_rare_words_and_thins_frequent_ones() {
        let keep = keep_probabilities(&[1_000_000, 1000, 10], 1e-3);
        assert!(keep[0] < 0.05 && keep[2] == 1.0, "{keep:?}");
    }
}
