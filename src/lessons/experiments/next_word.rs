//! Lessons 1 and 2: next-word prediction, and how much it gains from a longer context.

use serde::{Deserialize, Serialize};

use crate::commands::summary::{summary_on, PromptNext, SummaryOptions, SummaryResult};
use crate::data::DataConfig;
use crate::error::Result;
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
