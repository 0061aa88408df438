//! Lesson 6: self-attention read off a trained Transformer, and the chain of dependent steps a
//! window costs each model as the window grows.

use serde::Serialize;

use crate::commands::summary::SummaryOptions;
use crate::data::DataConfig;
use crate::error::Result;
use crate::linalg::Threads;
use crate::model::{ModelConfig, ModelKind, SizeOverrides};
use crate::predict::encode_prompt;
use crate::train::{Budget, Event, Run, RunConfig, TrainConfig, Trainer};

/// Lesson 6, "Reading the whole sentence at once".
#[derive(Clone, Debug, Serialize)]
pub struct WholeSentence {
    pub steps: u64,
    pub val_loss: f64,
    /// The sentence the trained Transformer read, word by word.
    pub sentence: Vec<String>,
    /// Attention weights by block, then head: row i is how word i shares its attention over
    /// words 0..=i (each row sums to 1; later words get 0, the causal mask).
    pub attention: Vec<Vec<Vec<Vec<f32>>>>,
    /// For each block and head, how far back a word looks on average: Σ weight × distance,
    /// averaged over the words.
    pub look_back: Vec<Vec<f32>>,
    /// For each block and head, the word the last word attends to most.
    pub last_word_looks_at: Vec<Vec<String>>,
    /// The Transformer's five most likely next words after the sentence.
    pub next: Vec<crate::predict::Prediction>,
    /// Dependent steps per window for each model and window length.
    pub chains: Vec<Chain>,
}

/// One model at one window length.
#[derive(Clone, Debug, Serialize)]
pub struct Chain {
    pub model: ModelKind,
    pub seq_len: usize,
    /// Steps of one window's forward pass that must wait for each other.
    pub dependent_steps: usize,
    /// Work ÷ span of a training step on one window: the most processors it can use.
    pub parallelism: f64,
}

/// The sentence lesson 6 reads: a character, then a pronoun that must point back at it.
pub const SENTENCE: &str = "there was once a queen who kept a red crown . she told the guard about her";

/// Window lengths of the chain table: this lab's 16 and 64, and long windows.
pub const WINDOWS: [usize; 4] = [16, 64, 256, 1024];

/// Run lesson 6's experiment: train the Transformer `o.steps` steps, read [`SENTENCE`] with it,
/// and work out the chains.
pub fn whole_sentence(o: &SummaryOptions, emit: &mut dyn FnMut(Event)) -> Result<WholeSentence> {
    let data = crate::commands::dataset(o.corpus.as_deref(), DataConfig::default())?;
    let threads = Threads::new(o.threads)?;
    let kind: ModelKind = "transformer".parse()?;
    let train = TrainConfig { seed: o.seed, ..TrainConfig::default() };
    let config = ModelConfig::new(kind, data.vocab.len(), &SizeOverrides::default(), train.seq_len);
    let trainer = Trainer::new(config.build(o.seed)?, data.clone(), train, threads)?;
    let mut run = Run::new(trainer, RunConfig::new(kind.name(), Budget::Steps(o.steps)))?;
    let result = run.run_to_end(emit)?;
    let mut ids = encode_prompt(&data.vocab, SENTENCE)?;
    ids.truncate(train.seq_len);
    let n = ids.len();
    let (trace, probs) = run.trainer_mut().with_model(|m, exec| {
        m.forward(&ids, None, 1, n, exec);
        let mut probs = vec![0.0f32; data.vocab.len()];
        m.read_probs(0, n - 1, &mut probs);
        (m.read_trace(), probs)
    });
    let sentence: Vec<String> = ids.iter().map(|&i| data.vocab.word(i).to_string()).collect();
    let attention: Vec<Vec<Vec<Vec<f32>>>> = trace
        .attention
        .unwrap_or_default()
        .into_iter()
        .map(|block| block.into_iter().map(|head| head.chunks(n).map(<[f32]>::to_vec).collect()).collect())
        .collect();
    let last_word_looks_at = attention
        .iter()
        .map(|block| {
            block
                .iter()
                .map(|head: &Vec<Vec<f32>>| {
                    let row = &head[n - 1];
                    let most = (0..n).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap_or(0);
                    sentence[most].clone()
                })
                .collect()
        })
        .collect();
    let look_back = attention
        .iter()
        .map(|block| {
            let distance = |(i, row): (usize, &Vec<f32>)| {
                row.iter().enumerate().map(|(j, w)| w * (i - j.min(i)) as f32).sum::<f32>()
            };
            block.iter().map(|head| head.iter().enumerate().map(distance).sum::<f32>() / n as f32).collect()
        })
        .collect();
    let next = crate::predict::top_k(&probs, &data.vocab, 5);
    let chains = WINDOWS
        .iter()
        .flat_map(|&t| {
            let vocab = data.vocab.len();
            ModelKind::all().map(move |model| {
                let ws = ModelConfig::new(model, vocab, &SizeOverrides::default(), t).spec().work_span(1, t);
                Chain { model, seq_len: t, dependent_steps: ws.critical_path, parallelism: ws.work / ws.span }
            })
        })
        .collect();
    let val_loss = result.eval.map_or(f64::NAN, |e| e.val_loss as f64);
    Ok(WholeSentence { steps: o.steps, val_loss, sentence, attention, look_back, last_word_looks_at, next, chains })
}
