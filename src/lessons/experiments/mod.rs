//! The experiments the lessons ask the learner to run, as library functions with typed
//! results: `sideways learn N --run` prints them, the exercises check numbers in their JSON,
//! and the tests run them with tiny settings. One file per lesson (lessons 1 and 2 share one).

mod attention;
mod next_word;
mod projection;
mod pronouns;
mod race;
mod scale;
mod washing_machine;
mod word_vectors;

use serde::Serialize;

pub use attention::{whole_sentence, Chain, WholeSentence, SENTENCE, WINDOWS};
pub use next_word::{
    longer_context, what_comes_next, BigramSide, ContextPoint, LongerContext, WhatComesNext, CONTEXTS,
};
pub use projection::{OneThreadStep, Projected, PROCESSORS};
pub use pronouns::{pronouns, PronounScores, Pronouns, DISTANCES};
pub use race::{same_budget, SameBudget};
pub use scale::many_computers;
pub use washing_machine::{washing_machine, WashingMachine};
pub use word_vectors::{words_as_numbers, Analogy, Neighbours, WordsAsNumbers, ANALOGIES, NEIGHBOURS};

use crate::commands::compute::ComputeResult;
use crate::commands::summary::SummaryOptions;
use crate::error::{Error, Result};
use crate::train::Event;

/// The result of a lesson's experiment.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "experiment", rename_all = "snake_case")]
pub enum Experiment {
    WhatComesNext(WhatComesNext),
    LongerContext(LongerContext),
    Pronouns(Pronouns),
    WashingMachine(WashingMachine),
    WordsAsNumbers(WordsAsNumbers),
    WholeSentence(WholeSentence),
    SameBudget(SameBudget),
    ManyComputers(ComputeResult),
}

impl Experiment {
    /// The one-thread steps a lesson projects to many processors (lessons 4 and 7).
    pub fn one_thread_steps(&self) -> &[OneThreadStep] {
        match self {
            Experiment::WashingMachine(w) => &w.measured,
            Experiment::SameBudget(r) => &r.measured,
            _ => &[],
        }
    }
}

/// Training steps of lesson `lesson`'s experiment unless told: lesson 2 trains six models, so
/// fewer steps each keep it under a minute; lesson 3 needs the RNN trained long enough to learn
/// pronouns, and lesson 6 the Transformer long enough that a head finds the noun a pronoun
/// refers to. Lessons 4, 5 and 8 train no model for a number
/// of steps (bench points are 50 steps; word2vec runs 5 epochs) and ignore it.
pub fn default_steps(lesson: u32) -> u64 {
    match lesson {
        2 => 100,
        3 => 600,
        6 => 300,
        _ => 150,
    }
}

/// Run lesson `lesson`'s experiment.
pub fn run(lesson: u32, o: &SummaryOptions, emit: &mut dyn FnMut(Event)) -> Result<Experiment> {
    Ok(match lesson {
        1 => Experiment::WhatComesNext(what_comes_next(o, emit)?),
        2 => Experiment::LongerContext(longer_context(o, emit)?),
        3 => Experiment::Pronouns(pronouns(o, emit)?),
        4 => Experiment::WashingMachine(washing_machine(o, emit)?),
        5 => Experiment::WordsAsNumbers(words_as_numbers(o, emit)?),
        6 => Experiment::WholeSentence(whole_sentence(o, emit)?),
        7 => Experiment::SameBudget(same_budget(o, emit)?),
        8 => Experiment::ManyComputers(many_computers(o, emit)?),
        n => Err(Error::config("lesson", n, "the lessons are numbered 1 to 8"))?,
    })
}
