//! `sideways embed`: train word2vec vectors and ask them questions.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use crate::data::Corpus;
use crate::embed::evaluate;
use crate::embed::query::{Method, Similarity};
use crate::embed::vectors::{VectorFormat, WordVectors};
use crate::embed::word2vec::{self, Architecture, Word2VecConfig};
use crate::error::Error;
use crate::linalg::Threads;

use super::progress::{duration, thousands};

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
    #[arg(short, long, default_value_t = 10)]
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
    #[arg(short, long, default_value_t = 5)]
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

/// Read vectors, choosing the format from the file name.
pub fn load(path: &std::path::Path) -> crate::error::Result<WordVectors> {
    WordVectors::read(path, VectorFormat::from_path(path))
}

fn train(a: &TrainArgs) -> anyhow::Result<()> {
    let threads = Threads::new(a.threads.unwrap_or_else(Threads::available))?;
    let corpus = Corpus::from_option(a.corpus.as_deref())?;
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
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut last_line = std::time::Instant::now();
    let (vectors, report) = word2vec::train(&corpus.text, &config, &threads, &mut |p| {
        if a.json {
            println!(
                "{}",
                json!({"event": "progress", "words": p.words, "total_words": p.total_words, "seconds": p.seconds, "words_per_s": p.words_per_sec, "loss": p.loss, "lr": p.lr})
            );
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
                eprint!("\r{line}\x1b[K");
            } else {
                eprintln!("{line}");
            }
            last_line = std::time::Instant::now();
        }
    })?;
    if tty && !a.json {
        eprintln!();
    }
    vectors.write(&a.output, VectorFormat::from_path(&a.output))?;
    if a.json {
        println!("{}", json!({"event": "done", "report": report, "output": a.output}));
    } else {
        eprintln!(
            "{} vectors of {} for {} words ({} corpus words × {} epochs) in {:.2} s on {} thread(s): {} words/s (wall clock); wrote {}",
            thousands(report.vocab_size as f64),
            a.dim,
            corpus.name,
            thousands(report.corpus_words as f64),
            report.epochs,
            report.seconds,
            report.threads,
            thousands(report.words_per_sec),
            a.output.display()
        );
    }
    Ok(())
}

fn print_scored(title: &str, scored: &[crate::embed::query::Scored]) {
    println!("{title}");
    for s in scored {
        println!("  {:<16} {:.3}", s.word, s.score);
    }
}

fn neighbors(a: &NeighborsArgs) -> anyhow::Result<()> {
    let vectors = load(&a.vectors)?;
    let found = Similarity::new(&vectors).neighbours(&a.word.to_lowercase(), a.k)?;
    if a.json {
        println!("{}", json!({"word": a.word, "neighbors": found}));
    } else {
        print_scored(&format!("nearest to {}:", a.word), &found);
    }
    Ok(())
}

fn analogy(a: &AnalogyArgs) -> anyhow::Result<()> {
    let vectors = load(&a.vectors)?;
    let method = if a.mul { Method::CosMul } else { Method::CosAdd };
    let [x, y, z] = [&a.a, &a.b, &a.c].map(|w| w.to_lowercase());
    let found = Similarity::new(&vectors).analogy(&y, &x, &z, a.k, method)?;
    if a.json {
        println!("{}", json!({"query": [a.a, a.b, a.c], "method": method, "answers": found}));
    } else {
        print_scored(&format!("{} − {} + {} ≈ ({method:?})", a.a, a.b, a.c), &found);
    }
    Ok(())
}

fn eval(a: &EvalArgs) -> anyhow::Result<()> {
    if a.analogies.is_none() && a.similarity.is_none() {
        return Err(Error::config("eval", "nothing to do", "give --analogies FILE and/or --similarity FILE").into());
    }
    let vectors = load(&a.vectors)?;
    let sim = Similarity::new(&vectors);
    let read = |p: &PathBuf| std::fs::read_to_string(p).map_err(|e| Error::io(p, e, "give a readable UTF-8 text file"));
    let analogies = a
        .analogies
        .as_ref()
        .map(|p| evaluate::analogies(&sim, &read(p)?, if a.mul { Method::CosMul } else { Method::CosAdd }))
        .transpose()?;
    let similarity = a.similarity.as_ref().map(|p| evaluate::similarity(&sim, &read(p)?)).transpose()?;
    if a.json {
        println!("{}", json!({"analogies": analogies, "similarity": similarity}));
        return Ok(());
    }
    if let Some(r) = &analogies {
        println!("{:<28} {:>8} {:>9} {:>8}", "analogy section", "correct", "answered", "skipped");
        for s in r.sections.iter().chain(std::iter::once(&r.total)) {
            println!("{:<28} {:>7.1}% {:>9} {:>8}", s.name, 100.0 * s.accuracy(), s.answered, s.skipped);
        }
    }
    if let Some(s) = &similarity {
        println!(
            "word similarity: Spearman {:.3} over {} of {} pairs ({:.0}% coverage)",
            s.spearman,
            s.covered,
            s.pairs,
            100.0 * s.covered as f64 / s.pairs as f64
        );
    }
    Ok(())
}
