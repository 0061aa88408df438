//! word2vec (Mikolov et al. 2013) as the original C tool does it: skip-gram or CBOW with
//! negative sampling, subsampling of frequent words, a randomly shrunk window, noise words
//! drawn from the unigram distribution raised to 0.75, and a learning rate that decays linearly
//! to zero over all epochs.
//!
//! **Threads.** The original trains "Hogwild" (Recht et al. 2011): threads update the shared
//! matrices without locks, and colliding updates are lost. In Rust that is a data race —
//! undefined behaviour, not merely lost updates — so sideways does soundly what Hogwild
//! approximates: each thread trains its own slice of the corpus on its own copy of the two
//! matrices for a round of [`ROUND_WORDS`] words; then every row a thread changed is merged
//! (the shared row plus each thread's change to it) and every copy takes up the result. Within a
//! round a thread does not see the others' updates (in Hogwild it sees them late, or loses
//! them); here no update is lost, and a fixed seed and thread count give the same vectors run
//! after run. On one thread there are no copies and no merges: exactly the sequential algorithm.
//!
//! Skip-gram, for a centre word w and each context word c within the window (word2vec.c's
//! orientation: the context word's input vector predicts the centre word):
//!     for the pair (c, w) with label 1 and `negative` noise words n with label 0:
//!         f = in[c] · out[t],  g = (label − σ(f)) · lr
//!         Δin[c] += g · out[t],  out[t] += g · in[c]
//! which is gradient ascent on log σ(in[c]·out[w]) + Σ log σ(−in[c]·out[n]). The context words
//! of one centre word share their noise words and are updated together ([`Batch`], the HogBatch
//! scheme): twice the per-pair loop's speed here; the default corpus's 94 analogies all stay
//! right, and on tinyshakespeare gensim's own scoring puts it within the seed noise of gensim.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::data::tokenize;
use crate::error::{Error, Result};
use crate::linalg::{for_each_part, vecmath, Par, Threads};
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
/// A thread refreshes its learning rate every this many words.
const PUBLISH_EVERY: u64 = 10_000;
/// Words each thread trains between two merges: how long its copy drifts from the others.
/// Measured on tinyshakespeare with 2 threads (gensim's analogy and WordSim-353 scoring, three
/// seeds): at 50,000 words, half an epoch per thread, the vectors answered 9–11 analogies
/// against 16–23 on one thread; at 10,000 they answer 18–21, and the merges (about 65 of them)
/// cost a tenth of the run (measured while merges still ran on one thread).
pub const ROUND_WORDS: u64 = 10_000;
/// Least time between two progress reports.
const REPORT_EVERY: Duration = Duration::from_millis(100);

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
    let input: Vec<f32> = (0..v * d).map(|_| ((rng.uniform() - 0.5) / d as f64) as f32).collect();
    let mut shared = Matrices { input, output: vec![0.0f32; v * d] };
    let total_ids: u64 = counts.iter().sum();
    let task = Task {
        c: config,
        keep: keep_probabilities(&counts, config.sample),
        noise: Alias::new(&counts.iter().map(|&c| (c as f64).powf(0.75)).collect::<Vec<_>>()),
        budget: (config.epochs as u64 * total_ids) as f64,
    };
    let n = threads.count();
    let mut workers: Vec<Worker> = (0..n)
        .map(|t| Worker::new(&ids[ids.len() * t / n..ids.len() * (t + 1) / n], t, config, (n > 1).then_some(v)))
        .collect();
    // One thread trains the shared matrices; several train copies that are merged each round.
    let mut copies: Vec<Matrices> = if n > 1 { vec![shared.clone(); n] } else { Vec::new() };

    let start = Instant::now();
    let scale = corpus_words as f64 / total_ids.max(1) as f64;
    let (mut done, mut loss, mut last_loss, mut last_report) = (0u64, (0.0f64, 0u64), f32::NAN, Instant::now());
    loop {
        if n == 1 {
            workers[0].round(&mut shared, &task, done, 1);
        } else {
            let (before, task) = (done, &task);
            threads.install(|exec| {
                rayon::scope(|s| {
                    for (w, m) in workers.iter_mut().zip(copies.iter_mut()) {
                        s.spawn(move |_| w.round(m, task, before, n));
                    }
                });
                merge(&mut shared, &mut copies, &mut workers, d, exec.par);
            });
        }
        for w in &mut workers {
            done += std::mem::take(&mut w.round_words);
            loss.0 += std::mem::take(&mut w.loss_sum);
            loss.1 += std::mem::take(&mut w.loss_pairs);
        }
        let finished = workers.iter().all(|w| w.epoch >= config.epochs);
        if finished || last_report.elapsed() >= REPORT_EVERY {
            if loss.1 > 0 {
                last_loss = (loss.0 / loss.1 as f64) as f32;
            }
            loss = (0.0, 0);
            let seconds = start.elapsed().as_secs_f64();
            let words = (done as f64 * scale) as u64;
            on_progress(&Progress {
                words,
                total_words: corpus_words * config.epochs as u64,
                seconds,
                words_per_sec: words as f64 / seconds.max(1e-9),
                loss: last_loss,
                lr: learning_rate(config.lr, done, task.budget),
            });
            last_report = Instant::now();
        }
        if finished {
            break;
        }
    }
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
    Ok((WordVectors::new(words, d, shared.input)?, report))
}

/// The two matrices of word2vec, (vocab, dim) each: input (context) and output (target) vectors.
#[derive(Clone)]
struct Matrices {
    input: Vec<f32>,
    output: Vec<f32>,
}

/// What every thread reads and nobody writes.
struct Task<'a> {
    c: &'a Word2VecConfig,
    keep: Vec<f32>,
    noise: Alias,
    /// Words of all epochs: the learning rate reaches zero there.
    budget: f64,
}

/// Fold a round into the shared matrices: every row some thread changed becomes
/// shared + Σ_threads (copy − shared), and every copy takes the result. Rows are independent,
/// so the changed rows are cut into one block per thread (`for_each_part`, the splitting rule
/// of every parallel loop here), each row summed in the same order as on one thread.
fn merge(shared: &mut Matrices, copies: &mut [Matrices], workers: &mut [Worker], d: usize, par: Par) {
    for k in 0..2 {
        let mut rows: Vec<u32> =
            workers.iter_mut().flat_map(|w| w.dirty.as_mut().map(|t| t.take(k))).flatten().collect();
        rows.sort_unstable();
        rows.dedup();
        let whole = MergePart {
            rows: &rows,
            first: 0,
            shared: shared.get(k),
            copies: copies.iter_mut().map(|c| c.get(k)).collect(),
        };
        for_each_part(whole, rows.len(), 1, par, &|part, at| part.split(at, d), &|_, part| part.merge(d));
    }
}

/// Some of the changed rows of one matrix, with the slices of the shared matrix and of every
/// copy that start at row `first` and hold them.
struct MergePart<'a> {
    rows: &'a [u32],
    first: usize,
    shared: &'a mut [f32],
    copies: Vec<&'a mut [f32]>,
}

impl MergePart<'_> {
    /// Cut before the `at`-th changed row.
    fn split(self, at: usize, d: usize) -> (Self, Self) {
        let (rows, rest) = self.rows.split_at(at);
        let cut = (rest[0] as usize - self.first) * d;
        let (shared, shared_rest) = self.shared.split_at_mut(cut);
        let (copies, copies_rest) = self.copies.into_iter().map(|c| c.split_at_mut(cut)).unzip();
        (
            MergePart { rows, first: self.first, shared, copies },
            MergePart { rows: rest, first: rest[0] as usize, shared: shared_rest, copies: copies_rest },
        )
    }

    fn merge(mut self, d: usize) {
        let mut merged = vec![0.0f32; d];
        for &r in self.rows {
            let range = (r as usize - self.first) * d..(r as usize - self.first + 1) * d;
            merged.copy_from_slice(&self.shared[range.clone()]);
            for copy in &self.copies {
                for ((m, &c), &g) in merged.iter_mut().zip(&copy[range.clone()]).zip(&self.shared[range.clone()]) {
                    *m += c - g;
                }
            }
            self.shared[range.clone()].copy_from_slice(&merged);
            for copy in &mut self.copies {
                copy[range.clone()].copy_from_slice(&merged);
            }
        }
    }
}

impl Matrices {
    /// Matrix 0 (input) or 1 (output).
    fn get(&mut self, k: usize) -> &mut [f32] {
        if k == 0 {
            &mut self.input
        } else {
            &mut self.output
        }
    }
}

/// The rows of each matrix (0: input, 1: output) a thread changed since the last merge.
struct Dirty {
    marked: [Vec<bool>; 2],
    rows: [Vec<u32>; 2],
}

impl Dirty {
    fn new(vocab: usize) -> Self {
        Dirty { marked: [vec![false; vocab], vec![false; vocab]], rows: [Vec::new(), Vec::new()] }
    }

    #[inline]
    fn mark(&mut self, k: usize, row: usize) {
        if !self.marked[k][row] {
            self.marked[k][row] = true;
            self.rows[k].push(row as u32);
        }
    }

    /// The marked rows of matrix `k`, unmarking them.
    fn take(&mut self, k: usize) -> Vec<u32> {
        for &r in &self.rows[k] {
            self.marked[k][r as usize] = false;
        }
        std::mem::take(&mut self.rows[k])
    }
}

/// One thread: its slice of the corpus, where it is in it, and its running totals.
struct Worker<'a> {
    part: &'a [u32],
    rng: Rng,
    epoch: usize,
    /// Next sentence of the slice in this epoch.
    chunk: usize,
    lr: f32,
    unpublished: u64,
    /// Words trained this round, and the loss of the sampled pairs.
    round_words: u64,
    loss_sum: f64,
    loss_pairs: u64,
    /// Changed rows, tracked when there are copies to merge.
    dirty: Option<Dirty>,
    neu1: Vec<f32>,
    neu1e: Vec<f32>,
    batch: Batch,
    sentence: Vec<u32>,
}

impl<'a> Worker<'a> {
    fn new(part: &'a [u32], t: usize, c: &Word2VecConfig, track_rows_of: Option<usize>) -> Self {
        Worker {
            part,
            rng: Rng::new(c.seed).fork(t as u64 + 1),
            epoch: 0,
            chunk: 0,
            lr: c.lr,
            unpublished: 0,
            round_words: 0,
            loss_sum: 0.0,
            loss_pairs: 0,
            dirty: track_rows_of.map(Dirty::new),
            neu1: vec![0.0; c.dim],
            neu1e: vec![0.0; c.dim],
            batch: Batch::default(),
            sentence: Vec::with_capacity(SENTENCE),
        }
    }

    /// Train sentences on `m` until [`ROUND_WORDS`] words are done or the slice is finished.
    /// `done` words of all threads were trained before the round; the `threads` train at about
    /// the same rate, which sets the learning rate in between.
    fn round(&mut self, m: &mut Matrices, task: &Task, done: u64, threads: usize) {
        let c = task.c;
        let mut words = 0u64;
        while self.epoch < c.epochs && words < ROUND_WORDS {
            let Some(chunk) = self.part.chunks(SENTENCE).nth(self.chunk) else {
                (self.epoch, self.chunk) = (self.epoch + 1, 0);
                continue;
            };
            self.chunk += 1;
            self.sentence(chunk, m, task);
            words += chunk.len() as u64;
            self.unpublished += chunk.len() as u64;
            if self.unpublished >= PUBLISH_EVERY {
                self.unpublished = 0;
                self.lr = learning_rate(c.lr, done + words * threads as u64, task.budget);
            }
        }
        self.round_words = words;
    }

    /// Subsample one sentence and train on every (centre, context) pair in it.
    fn sentence(&mut self, chunk: &[u32], m: &mut Matrices, task: &Task) {
        let (c, d) = (task.c, task.c.dim);
        let rng = &mut self.rng;
        self.sentence.clear();
        self.sentence.extend(
            chunk
                .iter()
                .copied()
                .filter(|&w| task.keep[w as usize] >= 1.0 || (rng.uniform() as f32) < task.keep[w as usize]),
        );
        for (i, &w) in self.sentence.iter().enumerate() {
            let b = self.rng.below(c.window);
            let (lo, hi) = (i.saturating_sub(c.window - b), (i + c.window - b + 1).min(self.sentence.len()));
            let track = i % 8 == 0; // the loss is sampled: a log per pair would cost ~10%
            let context = (lo..hi).filter(|&j| j != i).map(|j| self.sentence[j] as usize);
            match c.architecture {
                Architecture::SkipGram => {
                    let batch = &mut self.batch;
                    batch.contexts.clear();
                    batch.contexts.extend(context);
                    if batch.contexts.is_empty() {
                        continue;
                    }
                    let loss = batch.skip_gram(w as usize, m, task, self.lr, track, &mut self.rng, self.dirty.as_mut());
                    if track {
                        self.loss_sum += loss as f64;
                        self.loss_pairs += batch.contexts.len() as u64;
                    }
                }
                Architecture::Cbow => {
                    self.neu1.fill(0.0);
                    let mut cw = 0;
                    for ctx in context.clone() {
                        vecmath::add_assign(&mut self.neu1, &m.input[ctx * d..(ctx + 1) * d]);
                        cw += 1;
                    }
                    if cw == 0 {
                        continue;
                    }
                    self.neu1.iter_mut().for_each(|x| *x /= cw as f32);
                    self.neu1e.fill(0.0);
                    let mut pair = Pair { neu1e: &mut self.neu1e, rng: &mut self.rng, dirty: self.dirty.as_mut() };
                    let loss = pair.train(&self.neu1, w as usize, &mut m.output, task, self.lr, track);
                    for ctx in context {
                        vecmath::axpy(&mut m.input[ctx * d..(ctx + 1) * d], 1.0, &self.neu1e);
                        if let Some(dirty) = &mut self.dirty {
                            dirty.mark(0, ctx);
                        }
                    }
                    if track {
                        self.loss_sum += loss as f64;
                        self.loss_pairs += 1;
                    }
                }
            }
        }
    }
}

/// One centre word's skip-gram update, HogBatch style (Ji et al. 2016, "Parallelizing Word2Vec
/// in Shared and Distributed Memory"): its C context words share one draw of noise words, so
/// the update is three small matrix products over the C input rows and the 1 + K output rows,
///     S = In_ctx · Out_tᵀ              (C, 1 + K)
///     G = (label − σ(S)) · lr
///     ΔIn_ctx = G · Out_t,  ΔOut_t = Gᵀ · In_ctx     (both from the rows as they were)
/// against word2vec.c's C separate pairs of K draws each. The products are the same FLOPs; what
/// goes is C − 1 of every C random output rows fetched, and the chain of dependent steps per
/// pair (dot, sigmoid, update, next dot): here the C·(1 + K) dots and sigmoids are independent.
/// One part is not batched: the centre word's own output row, which every context of the batch
/// shares. Each context's input gradient is taken from that row as the contexts before it left
/// it, then the context's step is added, in order, as word2vec.c does pair by pair (the same
/// FLOPs, no dot product waits on another). Taken from the row as it was for all C contexts,
/// the default corpus's similarity pairs scored a Spearman ρ of 0.63–0.70 (seeds 1–3, 1 and 2
/// threads) instead of 0.70–0.75. Making the scores sequential too (each pair's dot product
/// against the updated row) changed nothing measurable and cost 26%.
#[derive(Default)]
struct Batch {
    contexts: Vec<usize>,
    /// (row of the output matrix, label): the centre word, then the noise words.
    targets: Vec<(usize, f32)>,
    /// S, then G in place: (context, target).
    scores: Vec<f32>,
    /// ΔIn_ctx: (context, dim).
    deltas: Vec<f32>,
}

impl Batch {
    /// Train `contexts` → centre word `w`; returns the summed loss of the C pairs when `track`.
    #[allow(clippy::too_many_arguments)]
    fn skip_gram(
        &mut self,
        w: usize,
        m: &mut Matrices,
        task: &Task,
        lr: f32,
        track: bool,
        rng: &mut Rng,
        mut dirty: Option<&mut Dirty>,
    ) -> f32 {
        let d = task.c.dim;
        let Matrices { input, output } = m;
        self.targets.clear();
        self.targets.push((w, 1.0));
        for _ in 0..task.c.negative {
            let n = task.noise.sample(rng);
            if n != w {
                self.targets.push((n, 0.0));
            }
        }
        let nt = self.targets.len();
        self.scores.clear();
        // S row by row, three output rows per load of the context's row (`dots`).
        let out_row = |t: usize| &output[t * d..(t + 1) * d];
        for &c in &self.contexts {
            let h = &input[c * d..(c + 1) * d];
            for ts in self.targets.chunks(3) {
                match ts {
                    [x, y, z] => self.scores.extend(vecmath::dots(h, [out_row(x.0), out_row(y.0), out_row(z.0)])),
                    _ => self.scores.extend(ts.iter().map(|t| vecmath::dot(h, out_row(t.0)))),
                }
            }
        }
        // σ(S) in a pass of its own, which the compiler vectorises (with the labels and the
        // sampled loss in the same loop it ran one exponential and one division at a time).
        self.scores.iter_mut().for_each(|s| *s = sigmoid(*s));
        let mut loss = 0.0;
        for row in self.scores.chunks_exact_mut(nt) {
            for (p, &(_, label)) in row.iter_mut().zip(&self.targets) {
                if track {
                    loss -= if label == 1.0 { p.max(1e-7).ln() } else { (1.0 - *p).max(1e-7).ln() };
                }
                *p = (label - *p) * lr;
            }
        }
        self.deltas.clear();
        self.deltas.resize(self.contexts.len() * d, 0.0);
        for (delta, g) in self.deltas.chunks_exact_mut(d).zip(self.scores.chunks_exact(nt)) {
            let noise = self.targets.iter().zip(g).skip(1);
            vecmath::axpys(delta, noise.map(|(&(t, _), &g)| (g, out_row(t))));
        }
        // The centre word's row: each context's gradient from the row as the contexts before it
        // left it, then that context's step.
        let centre = &mut output[w * d..(w + 1) * d];
        for ((&c, g), delta) in
            self.contexts.iter().zip(self.scores.chunks_exact(nt)).zip(self.deltas.chunks_exact_mut(d))
        {
            vecmath::axpy(delta, g[0], centre);
            vecmath::axpy(centre, g[0], &input[c * d..(c + 1) * d]);
        }
        for (k, &(t, _)) in self.targets.iter().enumerate().skip(1) {
            let contexts = self.contexts.iter().zip(self.scores.chunks_exact(nt));
            let terms = contexts.map(|(&c, g)| (g[k], &input[c * d..(c + 1) * d]));
            vecmath::axpys(&mut output[t * d..(t + 1) * d], terms);
            if let Some(dirty) = dirty.as_deref_mut() {
                dirty.mark(1, t);
            }
        }
        if let Some(dirty) = dirty.as_deref_mut() {
            dirty.mark(1, w);
        }
        for (&c, delta) in self.contexts.iter().zip(self.deltas.chunks_exact(d)) {
            vecmath::axpy(&mut input[c * d..(c + 1) * d], 1.0, delta);
            if let Some(dirty) = dirty.as_deref_mut() {
                dirty.mark(0, c);
            }
        }
        loss
    }
}

/// One positive pair and its noise words (CBOW's update): what [`Pair::train`] writes besides
/// the output rows.
struct Pair<'w> {
    /// The gradient for the input side, accumulated.
    neu1e: &'w mut [f32],
    rng: &'w mut Rng,
    dirty: Option<&'w mut Dirty>,
}

impl Pair<'_> {
    /// The positive pair (h → w) and `negative` noise words: update the output rows,
    /// accumulate the input gradient in `neu1e`; returns the pair's loss when `track`.
    #[inline]
    fn train(&mut self, h: &[f32], w: usize, output: &mut [f32], task: &Task, lr: f32, track: bool) -> f32 {
        let d = h.len();
        let mut loss = 0.0;
        for k in 0..=task.c.negative {
            let (target, label) = if k == 0 {
                (w, 1.0)
            } else {
                let n = task.noise.sample(self.rng);
                if n == w {
                    continue;
                }
                (n, 0.0)
            };
            let l2 = &mut output[target * d..(target + 1) * d];
            let f = vecmath::dot(h, l2);
            let p = sigmoid(f);
            if track {
                loss -= if label == 1.0 { p.max(1e-7).ln() } else { (1.0 - p).max(1e-7).ln() };
            }
            let g = (label - p) * lr;
            vecmath::axpy(self.neu1e, g, l2);
            vecmath::axpy(l2, g, h);
            if let Some(dirty) = self.dirty.as_deref_mut() {
                dirty.mark(1, target);
            }
        }
        loss
    }
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

#[inline]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + vecmath::exp(-x))
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

    /// One skip-gram batch against its update written out pair by pair in [`Batch`]'s
    /// documented order (every score from the rows as they were; the centre word's row taken
    /// and updated context by context; noise rows, then input rows), with a context word twice,
    /// noise words drawn more than once and a width that leaves tails: the same bits.
    #[test]
    fn skip_gram_batch_is_its_documented_update() {
        let (v, d, lr) = (6, 37, 0.025f32);
        let config = Word2VecConfig { dim: d, negative: 5, ..Word2VecConfig::default() };
        // Noise from words 4 and 5 only, so five draws repeat one.
        let noise = Alias::new(&[0.0, 0.0, 0.0, 0.0, 1.0, 1.0]);
        let task = Task { c: &config, keep: vec![1.0; v], noise, budget: 1.0 };
        let mut init = Rng::new(7);
        let mut fill = |n| (0..n).map(|_| init.uniform() as f32 - 0.5).collect::<Vec<f32>>();
        let before = Matrices { input: fill(v * d), output: fill(v * d) };
        let (w, contexts) = (0, vec![1, 2, 1, 3]);

        let mut got = before.clone();
        let mut batch = Batch { contexts: contexts.clone(), ..Batch::default() };
        let got_loss = batch.skip_gram(w, &mut got, &task, lr, true, &mut Rng::new(11), None);

        let rng = &mut Rng::new(11);
        let mut targets = vec![(w, 1.0f32)];
        targets.extend((0..config.negative).map(|_| (task.noise.sample(rng), 0.0)).filter(|&(n, _)| n != w));
        assert_eq!(targets.len(), 6);
        let Matrices { mut input, mut output } = before.clone();
        let row = |m: &[f32], r: usize| m[r * d..(r + 1) * d].to_vec();
        let mut want_loss = 0.0f32;
        let g: Vec<Vec<f32>> = contexts
            .iter()
            .map(|&c| {
                let scores = targets.iter().map(|&(t, _)| vecmath::dot(&row(&input, c), &row(&output, t)));
                scores
                    .zip(&targets)
                    .map(|(s, &(_, label))| {
                        let p = sigmoid(s);
                        want_loss -= if label == 1.0 { p.max(1e-7).ln() } else { (1.0 - p).max(1e-7).ln() };
                        (label - p) * lr
                    })
                    .collect()
            })
            .collect();
        let mut deltas = vec![vec![0.0f32; d]; contexts.len()];
        for (delta, g) in deltas.iter_mut().zip(&g) {
            for (&(t, _), &g) in targets.iter().zip(g).skip(1) {
                vecmath::axpy(delta, g, &row(&output, t));
            }
        }
        for ((&c, delta), g) in contexts.iter().zip(&mut deltas).zip(&g) {
            vecmath::axpy(delta, g[0], &row(&output, w));
            vecmath::axpy(&mut output[w * d..(w + 1) * d], g[0], &row(&input, c));
        }
        for (k, &(t, _)) in targets.iter().enumerate().skip(1) {
            for (&c, g) in contexts.iter().zip(&g) {
                vecmath::axpy(&mut output[t * d..(t + 1) * d], g[k], &row(&input, c));
            }
        }
        for (&c, delta) in contexts.iter().zip(&deltas) {
            vecmath::axpy(&mut input[c * d..(c + 1) * d], 1.0, delta);
        }
        let bits = |m: &[f32]| m.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got.input), bits(&input));
        assert_eq!(bits(&got.output), bits(&output));
        assert_eq!(got_loss.to_bits(), want_loss.to_bits());
        assert_ne!(bits(&got.output), bits(&before.output));
    }

    /// The merge after a round, cut into blocks across 3 threads: every changed row of both
    /// matrices becomes shared + Σ_copies (copy − shared), in copy order, and every copy takes
    /// it, the first and last rows included.
    #[test]
    fn merge_folds_every_copys_change_into_every_row() {
        let (v, d) = (7, 5);
        let config = Word2VecConfig { dim: d, ..Word2VecConfig::default() };
        let fill = |seed| {
            let mut r = Rng::new(seed);
            (0..v * d).map(|_| r.uniform() as f32).collect::<Vec<f32>>()
        };
        let before = Matrices { input: fill(1), output: fill(2) };
        let mut copies = vec![before.clone(); 3];
        let ids = [0u32; 3];
        let mut workers: Vec<Worker> = (0..3).map(|t| Worker::new(&ids, t, &config, Some(v))).collect();
        for (t, rows) in [vec![0, 3, 6], vec![3, 4], vec![6, 1, 0]].into_iter().enumerate() {
            for r in rows {
                for k in 0..2 {
                    let row = &mut copies[t].get(k)[r * d..(r + 1) * d];
                    row.iter_mut().enumerate().for_each(|(i, x)| *x += (t * 10 + i + k) as f32 * 0.013);
                    workers[t].dirty.as_mut().expect("tracked").mark(k, r);
                }
            }
        }
        let mut want = before.clone();
        for k in 0..2 {
            for (i, w) in want.get(k).iter_mut().enumerate() {
                let g = if k == 0 { before.input[i] } else { before.output[i] };
                for copy in &copies {
                    *w += if k == 0 { copy.input[i] } else { copy.output[i] } - g;
                }
            }
        }
        let mut shared = before.clone();
        Threads::new(3).unwrap().install(|e| merge(&mut shared, &mut copies, &mut workers, d, e.par));
        let bits = |m: &Matrices| [&m.input, &m.output].map(|x| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        assert_eq!(bits(&shared), bits(&want));
        assert!(copies.iter().all(|c| bits(c) == bits(&want)));
        assert_ne!(bits(&shared), bits(&before));
    }

    #[test]
    fn subsampling_keeps_rare_words_and_thins_frequent_ones() {
        let keep = keep_probabilities(&[1_000_000, 1000, 10], 1e-3);
        assert!(keep[0] < 0.05 && keep[2] == 1.0, "{keep:?}");
    }
}
