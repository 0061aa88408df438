//! `sideways embed`: train word2vec vectors and ask them questions.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::output;
use crate::commands::embed::{self, EmbedTrainOptions};
use crate::embed::query::{Method, Scored};
use crate::embed::word2vec::{Architecture, Word2VecConfig};
use crate::linalg::Threads;
use crate::schema;
use crate::units::{duration, thousands};

#[derive(Debug, Clone, Args)]
pub struct EmbedArgs {
    #[command(subcommand)]
    pub command: EmbedCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum EmbedCommand {
    /// Train word2vec vectors on a corpus
    Train(TrainArgs),
    /// The words nearest to a word (cosine similarity)
    Neighbors(NeighborsArgs),
    /// a − b + c: `analogy VECTORS king man woman` asks king − man + woman
    Analogy(AnalogyArgs),
    /// Score vectors on an analogy file and/or a word-similarity file
    Eval(EvalArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Arch {
    SkipGram,
    Cbow,
}

#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// A UTF-8 text file or a folder of .txt files [default: the embedded default corpus]
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Where to write the vectors (.bin: word2vec binary; anything else: word2vec text)
    #[arg(short, long)]
    pub output: PathBuf,
    #[arg(long, value_enum, default_value = "skip-gram")]
    pub arch: Arch,
    #[arg(long, default_value_t = 100)]
    pub dim: usize,
    #[arg(long, default_value_t = 5)]
    pub window: usize,
    /// Noise words per positive pair
    #[arg(long, default_value_t = 5)]
    pub negative: usize,
    #[arg(long, default_value_t = 5)]
    pub min_count: usize,
    /// Subsampling threshold for frequent words (0 = off)
    #[arg(long, default_value_t = 1e-3)]
    pub sample: f64,
    #[arg(long, default_value_t = 5)]
    pub epochs: usize,
    /// Starting learning rate [default: 0.025 for skip-gram, 0.05 for CBOW]
    #[arg(long)]
    pub lr: Option<f32>,
    /// Seed of the initial vectors and of the sampling (same seed and threads, same vectors)
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads [default: all cores]
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print JSON lines (progress, then the report) instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct NeighborsArgs {
    /// A vectors file (.bin, or text: word2vec / fastText .vec / GloVe)
    pub vectors: PathBuf,
    pub word: String,
    /// How many neighbours to show
    #[arg(short, long, default_value_t = 10, value_parser = super::args::at_least_one)]
    pub k: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct AnalogyArgs {
    /// A vectors file (.bin, or text: word2vec / fastText .vec / GloVe)
    pub vectors: PathBuf,
    /// The word to start from (king)
    pub a: String,
    /// The word to take away (man)
    pub b: String,
    /// The word to add (woman)
    pub c: String,
    /// How many answers to show
    #[arg(short, long, default_value_t = 5, value_parser = super::args::at_least_one)]
    pub k: usize,
    /// 3CosMul instead of 3CosAdd
    #[arg(long)]
    pub mul: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// A vectors file (.bin, or text: word2vec / fastText .vec / GloVe)
    pub vectors: PathBuf,
    /// An analogy file in the questions-words form (`: section`, then `a b c d` lines)
    #[arg(long)]
    pub analogies: Option<PathBuf>,
    /// A word-similarity file (`word1 word2 score` lines)
    #[arg(long)]
    pub similarity: Option<PathBuf>,
    /// 3CosMul instead of 3CosAdd for the analogies
    #[arg(long)]
    pub mul: bool,
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: &EmbedArgs) -> anyhow::Result<()> {
    match &a.command {
        EmbedCommand::Train(t) => train(t),
        EmbedCommand::Neighbors(n) => neighbors(n),
        EmbedCommand::Analogy(q) => analogy(q),
        EmbedCommand::Eval(e) => eval(e),
    }
}

fn train(a: &TrainArgs) -> anyhow::Result<()> {
    let architecture = match a.arch {
        Arch::SkipGram => Architecture::SkipGram,
        Arch::Cbow => Architecture::Cbow,
    };
    let config = Word2VecConfig {
        architecture,
        dim: a.dim,
        window: a.window,
        negative: a.negative,
        min_count: a.min_count,
        sample: a.sample,
        epochs: a.epochs,
        lr: a.lr.unwrap_or(if architecture == Architecture::Cbow { 0.05 } else { 0.025 }),
        seed: a.seed,
    };
    let options = EmbedTrainOptions {
        corpus: a.corpus.clone(),
        output: a.output.clone(),
        config,
        threads: a.threads.unwrap_or_else(Threads::available),
    };
    let tty = output::live_stderr();
    let mut last_line = std::time::Instant::now();
    let mut write_error = None;
    let r = embed::train(&options, &mut |p| {
        if a.json {
            if let Err(e) = output::line(&schema::event_line(&ProgressEvent { event: "progress", progress: p })) {
                write_error.get_or_insert(e);
            }
        } else if tty || last_line.elapsed().as_secs_f64() >= 1.0 {
            let eta = (p.total_words.saturating_sub(p.words)) as f64 / p.words_per_sec.max(1.0);
            let line = format!(
                "word2vec {:>5.1}%  {:>10} words/s  loss {:.3}  lr {:.5}  ETA {}",
                100.0 * p.words as f64 / p.total_words.max(1) as f64,
                thousands(p.words_per_sec),
                p.loss,
                p.lr,
                duration(eta)
            );
            if tty {
                super::output::live(&line);
            } else {
                say!("{line}");
            }
            last_line = std::time::Instant::now();
        }
    })?;
    if let Some(e) = write_error {
        return Err(e);
    }
    if a.json {
        return output::result("embed_train", &r);
    }
    if tty {
        say!("");
    }
    let w = &r.report;
    say!(
        "{} vectors of {} for {} words ({} corpus words × {} epochs) in {:.2} s on {} thread(s): {} words/s (wall clock); wrote {}",
        thousands(w.vocab_size as f64),
        r.dim,
        r.corpus,
        thousands(w.corpus_words as f64),
        w.epochs,
        w.seconds,
        w.threads,
        thousands(w.words_per_sec),
        r.output.display()
    );
    Ok(())
}

/// word2vec's progress as a line of the event stream.
#[derive(serde::Serialize)]
struct ProgressEvent<'a> {
    event: &'static str,
    #[serde(flatten)]
    progress: &'a crate::embed::word2vec::Progress,
}

fn print_scored(title: &str, scored: &[Scored]) -> anyhow::Result<()> {
    let mut out = format!("{title}\n");
    for s in scored {
        out += &format!("  {:<16} {:.3}\n", s.word, s.score);
    }
    output::text(&out)
}

fn neighbors(a: &NeighborsArgs) -> anyhow::Result<()> {
    let r = embed::neighbors(&a.vectors, &a.word, a.k)?;
    if a.json {
        return output::result("neighbors", &r);
    }
    print_scored(&format!("nearest to {}:", a.word), &r.neighbors)
}

fn analogy(a: &AnalogyArgs) -> anyhow::Result<()> {
    let method = if a.mul { Method::CosMul } else { Method::CosAdd };
    let r = embed::analogy(&a.vectors, [&a.a, &a.b, &a.c], a.k, method)?;
    if a.json {
        return output::result("analogy", &r);
    }
    print_scored(&format!("{} − {} + {} ≈ ({method:?})", a.a, a.b, a.c), &r.answers)
}

fn eval(a: &EvalArgs) -> anyhow::Result<()> {
    let method = if a.mul { Method::CosMul } else { Method::CosAdd };
    let r = embed::eval(&a.vectors, a.analogies.as_deref(), a.similarity.as_deref(), method)?;
    if a.json {
        return output::result("embed_eval", &r);
    }
    let mut out = String::new();
    if let Some(r) = &r.analogies {
        out += &format!("{:<28} {:>8} {:>9} {:>8}\n", "analogy section", "correct", "answered", "skipped");
        for s in r.sections.iter().chain(std::iter::once(&r.total)) {
            out += &format!("{:<28} {:>7.1}% {:>9} {:>8}\n", s.name, 100.0 * s.accuracy(), s.answered, s.skipped);
        }
    }
    if let Some(s) = &r.similarity {
        out += &format!(
            "word similarity: Spearman {:.3} over {} of {} pairs ({:.0}% coverage)\n",
            s.spearman,
            s.covered,
            s.pairs,
            100.0 * s.covered as f64 / s.pairs as f64
        );
    }
    output::text(&out)
}
