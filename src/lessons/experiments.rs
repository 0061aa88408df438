//! The experiments the lessons ask the learner to run, as library functions with typed
//! results: `sideways learn N --run` prints them, the exercises check numbers in their JSON,
//! and the tests run them with tiny settings.

use serde::{Deserialize, Serialize};

use crate::commands::summary::{summary, PromptNext, SummaryOptions, SummaryResult};
use crate::data::DataConfig;
use crate::error::{Error, Result};
use crate::predict::{encode_prompt, Bigram, BigramReport};
use crate::train::Event;

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
    Ok(WhatComesNext { bigram: side, trained: summary(o, emit)? })
}

/// A lesson's experiment, run with `o`'s settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "experiment", rename_all = "snake_case")]
pub enum Experiment {
    WhatComesNext(WhatComesNext),
}

/// Run lesson `lesson`'s experiment.
pub fn run(lesson: u32, o: &SummaryOptions, emit: &mut dyn FnMut(Event)) -> Result<Experiment> {
    match lesson {
        1 => Ok(Experiment::WhatComesNext(what_comes_next(o, emit)?)),
        n => Err(Error::config("lesson", n, "only lesson 1 has an experiment so far")),
    }
}
