//! `sideways embed`: train word2vec vectors and ask them questions.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::data::Corpus;
use crate::embed::evaluate::{self, AnalogyReport, SimilarityReport};
use crate::embed::query::{Method, Scored, Similarity};
use crate::embed::vectors::{VectorFormat, WordVectors};
use crate::embed::word2vec::{self, Progress, Word2VecConfig, Word2VecReport};
use crate::error::{Error, Result};
use crate::linalg::Threads;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmbedTrainOptions {
    pub corpus: Option<PathBuf>,
    /// Where to write the vectors (.bin: word2vec binary; anything else: word2vec text).
    pub output: PathBuf,
    pub config: Word2VecConfig,
    pub threads: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct EmbedTrainResult {
    pub corpus: String,
    pub output: PathBuf,
    pub dim: usize,
    #[serde(flatten)]
    pub report: Word2VecReport,
}

/// Train vectors on the corpus and write them; `progress` sees the run a few times a second.
pub fn train(o: &EmbedTrainOptions, progress: &mut dyn FnMut(&Progress)) -> Result<EmbedTrainResult> {
    let threads = Threads::new(o.threads)?;
    crate::fsio::check_replaceable(&o.output, &crate::embed::vectors::VECTORS_FILE)?;
    let corpus = Corpus::from_option(o.corpus.as_deref())?;
    let (vectors, report) = word2vec::train(&corpus.text, &o.config, &threads, progress)?;
    vectors.write(&o.output, VectorFormat::from_path(&o.output))?;
    Ok(EmbedTrainResult { corpus: corpus.name, output: o.output.clone(), dim: o.config.dim, report })
}

#[derive(Clone, Debug, Serialize)]
pub struct NeighborsResult {
    pub word: String,
    pub neighbors: Vec<Scored>,
}

/// The `k` words nearest to `word`.
pub fn neighbors(vectors: &Path, word: &str, k: usize) -> Result<NeighborsResult> {
    let v = WordVectors::open(vectors)?;
    let neighbors = Similarity::new(&v).neighbours(&word.to_lowercase(), k)?;
    Ok(NeighborsResult { word: word.into(), neighbors })
}

#[derive(Clone, Debug, Serialize)]
pub struct AnalogyResult {
    /// a − b + c.
    pub query: [String; 3],
    pub method: Method,
    pub answers: Vec<Scored>,
}

/// a − b + c ("king man woman" asks king − man + woman), the question words excluded.
pub fn analogy(vectors: &Path, [a, b, c]: [&str; 3], k: usize, method: Method) -> Result<AnalogyResult> {
    let v = WordVectors::open(vectors)?;
    let [x, y, z] = [a, b, c].map(str::to_lowercase);
    let answers = Similarity::new(&v).analogy(&y, &x, &z, k, method)?;
    Ok(AnalogyResult { query: [a, b, c].map(String::from), method, answers })
}

#[derive(Clone, Debug, Serialize)]
pub struct EvalResult {
    pub analogies: Option<AnalogyReport>,
    pub similarity: Option<SimilarityReport>,
}

/// Score vectors on an analogy file and/or a word-similarity file.
pub fn eval(vectors: &Path, analogies: Option<&Path>, similarity: Option<&Path>, method: Method) -> Result<EvalResult> {
    if analogies.is_none() && similarity.is_none() {
        return Err(Error::config("eval", "nothing to do", "give --analogies FILE and/or --similarity FILE"));
    }
    let v = WordVectors::open(vectors)?;
    let sim = Similarity::new(&v);
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| Error::io(p, e, "give a readable UTF-8 text file"));
    let analogies = analogies.map(|p| evaluate::analogies(&sim, &read(p)?, method)).transpose()?;
    let similarity = similarity.map(|p| evaluate::similarity(&sim, &read(p)?)).transpose()?;
    Ok(EvalResult { analogies, similarity })
}
