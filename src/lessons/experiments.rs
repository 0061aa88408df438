//! The experiments the lessons ask the learner to run, as library functions with typed
//! results: `sideways learn N --run` prints them, the exercises check numbers in their JSON,
//! and the tests run them with tiny settings.

use serde::{Deserialize, Serialize};

use crate::commands::summary::{summary_on, PromptNext, SummaryOptions, SummaryResult};
use crate::data::DataConfig;
use crate::error::{Error, Result};
use crate::linalg::Threads;
use crate::model::{ModelConfig, ModelKind, SizeOverrides};
use crate::predict::{encode_prompt, Bigram, BigramReport};
use crate::train::{Budget, Event, Preset, Run, RunConfig, TrainConfig, Trainer};

/// Lesson 1, "What comes after good?": the bigram count model beside the trained models, on
/// the same validation words and prompts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WhatComesNext {
    pub bigram: BigramSide,
    /// Every model trained for the same steps (as `sideways summary`).
    pub trained: SummaryResult,
}

/// The bigram model's side of lesson 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BigramSide {
    /// Every next word of the validation split, predicted from the word before it.
    pub eval: BigramReport,
    /// The five most likely words after each prompt.
    pub next: Vec<PromptNext>,
}

/// Run lesson 1's experiment: count bigrams, train each model for `o.steps`, compare.
pub fn what_comes_next(o: &SummaryOptions, emit: &mut dyn FnMut(Event)) -> Result<WhatComesNext> {
    let data = crate::commands::dataset(o.corpus.as_deref(), DataConfig::default())?;
    let bigram = Bigram::fit(&data);
    let next = o
        .prompts
        .iter()
        .map(|p| {
            Ok(PromptNext { prompt: p.clone(), next: bigram.next(&encode_prompt(&data.vocab, p)?, &data.vocab, 5) })
        })
        .collect::<Result<Vec<_>>>()?;
    let side = BigramSide { eval: bigram.evaluate(&data.val), next };
    Ok(WhatComesNext { bigram: side, trained: summary_on(&data, o, emit)? })
}

/// Lesson 2, "Sentences are long": the same Transformer trained on windows of 1, 2, 4, 8, 16
/// and 32 words (the same words per step, the same steps), scored on every validation word and
/// on the words after "good", where the right choice depends on words further back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LongerContext {
    pub model: ModelKind,
    pub steps: u64,
    pub points: Vec<ContextPoint>,
    /// The bigram model on the same words after "good" (one word of context, counted).
    pub bigram_after_good: f64,
}

/// One window length of [`LongerContext`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContextPoint {
    /// Words per window: the most a prediction can look back.
    pub words: usize,
    pub val_loss: f64,
    pub accuracy: f64,
    /// Accuracy on the validation words that follow "good".
    pub after_good: f64,
}

/// The window lengths lesson 2 compares.
pub const CONTEXTS: [usize; 6] = [1, 2, 4, 8, 16, 32];

/// Run lesson 2's experiment with `o.steps` steps per window length.
pub fn longer_context(o: &SummaryOptions, emit: &mut dyn FnMut(Event)) -> Result<LongerContext> {
    let data = crate::commands::dataset(o.corpus.as_deref(), DataConfig::default())?;
    let threads = Threads::new(o.threads)?;
    let good = encode_prompt(&data.vocab, "good")?[0];
    let model: ModelKind = "transformer".parse()?;
    let tokens_per_step = Preset::Standard.tokens_per_step();
    let mut points = Vec::new();
    for (lane, words) in CONTEXTS.into_iter().enumerate() {
        let train =
            TrainConfig { seq_len: words, batch_size: tokens_per_step / words, seed: o.seed, ..Default::default() };
        let config = ModelConfig::new(model, data.vocab.len(), &SizeOverrides::default(), words);
        let trainer = Trainer::new(config.build(o.seed)?, data.clone(), train, threads.clone())?;
        let label = format!("{model} reading {words}");
        let run_config = RunConfig { lane, eval_every: 0, ..RunConfig::new(label, Budget::Steps(o.steps)) };
        let mut run = Run::new(trainer, run_config)?;
        let result = run.run_to_end(emit)?;
        let (mut after, mut right) = (0usize, 0usize);
        run.trainer_mut().evaluate_each(&mut |p| {
            if p.previous == good {
                after += 1;
                right += usize::from(p.guess == p.target);
            }
        });
        let eval = result.eval.expect("a run ends with a validation");
        points.push(ContextPoint {
            words,
            val_loss: eval.val_loss as f64,
            accuracy: eval.accuracy as f64,
            after_good: right as f64 / after.max(1) as f64,
        });
    }
    let guess = Bigram::fit(&data).guess(good);
    let next: Vec<u32> = data.val.windows(2).filter(|w| w[0] == good).map(|w| w[1]).collect();
    let bigram_after_good = next.iter().filter(|&&w| w == guess).count() as f64 / next.len().max(1) as f64;
    Ok(LongerContext { model, steps: o.steps, points, bigram_after_good })
}

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

/// Run lesson 3's experiment: both models trained `o.steps` steps, then every pronoun scored.
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

/// Lesson 4, "The washing machine": both models measured on 1 thread and on every core, with
/// Amdahl's fit, then *projected* (not measured) to many processors from this machine's
/// one-thread step and the step's work and span (Brent: T_P ≥ max(W/P, S)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WashingMachine {
    /// The measured points, the Amdahl fits and each model's work and span.
    pub sweep: crate::bench::sweep::SweepResult,
    /// One row per model and processor count: labelled a projection everywhere it is shown.
    pub projection: Vec<Projected>,
}

/// A projected step on `processors` processors.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Projected {
    pub model: ModelKind,
    pub processors: f64,
    pub step_ms: f64,
    pub tokens_per_s: f64,
}

/// The processor counts lesson 4 projects to.
pub const PROCESSORS: [f64; 7] = [1.0, 2.0, 8.0, 64.0, 512.0, 4096.0, 25_000.0];

/// Run lesson 4's experiment (`o.steps` is not used: a bench point is 50 steps).
pub fn washing_machine(o: &SummaryOptions, emit: &mut dyn FnMut(Event)) -> Result<WashingMachine> {
    let data = crate::commands::dataset(o.corpus.as_deref(), DataConfig::default())?;
    let mut threads = vec![1];
    if o.threads > 1 {
        threads.push(o.threads);
    }
    let config = crate::bench::sweep::SweepConfig {
        models: ModelKind::all().collect(),
        preset: Preset::Standard,
        threads,
        gpus: Vec::new(),
        seq_lens: vec![Preset::Standard.seq_len()],
        tokens_per_step: Preset::Standard.tokens_per_step(),
    };
    // Each point is about a second or more: say so as they land.
    let sweep = crate::bench::sweep::run(&data, config, &crate::linalg::Peaks::default(), &mut |p| {
        let text = format!(
            "measured the {} on {} thread(s): {} tokens/s",
            p.model,
            p.threads,
            crate::units::thousands(p.tokens_per_s)
        );
        emit(Event { lane: 0, kind: crate::train::EventKind::Note { text } });
    })?;
    let mut projection = Vec::new();
    for curve in &sweep.span {
        let Some(one) = sweep.points.iter().find(|p| p.model == curve.model && p.threads == 1) else { continue };
        for p in PROCESSORS {
            // The measured one-thread step, scaled by Brent's bound on the step's own work and span.
            let step_ms = one.step_ms * (curve.work / p).max(curve.span) / curve.work;
            let tokens_per_s = one.batch as f64 * one.seq_len as f64 / (step_ms / 1e3);
            projection.push(Projected { model: curve.model, processors: p, step_ms, tokens_per_s });
        }
    }
    Ok(WashingMachine { sweep, projection })
}

/// A lesson's experiment, run with `o`'s settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "experiment", rename_all = "snake_case")]
pub enum Experiment {
    WhatComesNext(WhatComesNext),
    LongerContext(LongerContext),
    Pronouns(Pronouns),
    WashingMachine(WashingMachine),
}

/// Training steps of lesson `lesson`'s experiment unless told: lesson 2 trains six models, so
/// fewer steps each keep it under a minute; lesson 3 needs the RNN trained long enough to learn
/// pronouns; lesson 4's bench points are 50 steps whatever this says.
pub fn default_steps(lesson: u32) -> u64 {
    match lesson {
        2 => 100,
        3 => 600,
        _ => 150,
    }
}

/// Run lesson `lesson`'s experiment.
pub fn run(lesson: u32, o: &SummaryOptions, emit: &mut dyn FnMut(Event)) -> Result<Experiment> {
    match lesson {
        1 => Ok(Experiment::WhatComesNext(what_comes_next(o, emit)?)),
        2 => Ok(Experiment::LongerContext(longer_context(o, emit)?)),
        3 => Ok(Experiment::Pronouns(pronouns(o, emit)?)),
        4 => Ok(Experiment::WashingMachine(washing_machine(o, emit)?)),
        n => Err(Error::config("lesson", n, "lessons 1 to 4 have experiments so far")),
    }
}
