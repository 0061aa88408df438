//! Lesson 5: word2vec trained live on the corpus, then asked for neighbours and analogies,
//! one of which has no answer in the text.

use serde::Serialize;

use crate::commands::summary::SummaryOptions;
use crate::data::Corpus;
use crate::embed::evaluate::{self, AnalogyReport};
use crate::embed::query::{Method, Scored, Similarity};
use crate::embed::word2vec::{self, Word2VecConfig, Word2VecReport};
use crate::error::Result;
use crate::linalg::Threads;
use crate::train::{Event, EventKind};

/// The default corpus's analogy questions (`questions-words` form), compiled in so that the
/// lesson needs no file.
const DEFAULT_ANALOGIES: &str = include_str!("../../../corpora/default-analogies.txt");

/// Lesson 5, "Words as numbers".
#[derive(Clone, Debug, Serialize)]
pub struct WordsAsNumbers {
    /// How the vectors were trained: words, epochs, threads, seconds, words/s.
    pub training: Word2VecReport,
    pub neighbours: Vec<Neighbours>,
    pub analogies: Vec<Analogy>,
    /// Every question of the default corpus's analogy file.
    pub eval: AnalogyReport,
}

/// The words nearest to one word.
#[derive(Clone, Debug, Serialize)]
pub struct Neighbours {
    pub word: String,
    pub nearest: Vec<Scored>,
}

/// `b − a + c`: "king − man + woman" is a = man, b = king, c = woman.
#[derive(Clone, Debug, Serialize)]
pub struct Analogy {
    pub a: String,
    pub b: String,
    pub c: String,
    /// The word the corpus supports (`None`: the text never says).
    pub expected: Option<String>,
    pub answers: Vec<Scored>,
    /// The first answer's score minus the second's: how clearly the vectors decide.
    pub lead: f32,
}

/// Words whose neighbours the lesson shows.
pub const NEIGHBOURS: [&str; 3] = ["queen", "dinner", "village"];

/// The analogies the lesson asks, as (a, b, c, expected). The last has no answer in the default
/// corpus: it never says which meal is eaten at which time of day.
pub const ANALOGIES: [(&str, &str, &str, Option<&str>); 4] = [
    ("man", "king", "woman", Some("queen")),
    ("boy", "prince", "girl", Some("princess")),
    ("him", "he", "her", Some("she")),
    ("morning", "breakfast", "night", None),
];

/// Run lesson 5's experiment: word2vec (skip-gram, the standard settings) on `o.threads`
/// threads; `o.steps` is not used.
pub fn words_as_numbers(o: &SummaryOptions, emit: &mut dyn FnMut(Event)) -> Result<WordsAsNumbers> {
    let corpus = Corpus::from_option(o.corpus.as_deref())?;
    let threads = Threads::new(o.threads)?;
    let config = Word2VecConfig { seed: o.seed, ..Word2VecConfig::default() };
    let mut said = 0;
    let (vectors, training) = word2vec::train(&corpus.text, &config, &threads, &mut |p| {
        // A note per epoch: enough to see it move without flooding a log.
        let epoch = (p.words * config.epochs as u64 / p.total_words.max(1)) as usize;
        if epoch > said {
            said = epoch;
            let text = format!("word2vec: epoch {epoch} of {}, loss {:.3}", config.epochs, p.loss);
            emit(Event { lane: 0, kind: EventKind::Note { text } });
        }
    })?;
    let sim = Similarity::new(&vectors);
    let neighbours = NEIGHBOURS
        .iter()
        .filter(|w| sim.contains(w))
        .map(|w| Ok(Neighbours { word: w.to_string(), nearest: sim.neighbours(w, 5)? }))
        .collect::<Result<Vec<_>>>()?;
    let analogies = ANALOGIES
        .iter()
        .filter(|(a, b, c, _)| [a, b, c].iter().all(|w| sim.contains(w)))
        .map(|&(a, b, c, expected)| {
            let answers = sim.analogy(a, b, c, 5, Method::CosAdd)?;
            let lead = match answers.as_slice() {
                [first, second, ..] => first.score - second.score,
                _ => 0.0,
            };
            Ok(Analogy { a: a.into(), b: b.into(), c: c.into(), expected: expected.map(Into::into), answers, lead })
        })
        .collect::<Result<Vec<_>>>()?;
    let eval = evaluate::analogies(&sim, DEFAULT_ANALOGIES, Method::CosAdd)?;
    Ok(WordsAsNumbers { training, neighbours, analogies, eval })
}
