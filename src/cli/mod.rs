//! The `sideways` command line: clap definitions that turn options into the library's option
//! structs, call a command of [`crate::commands`] (or the dashboard) and print its result as
//! text or as the one JSON format.

#[macro_use]
mod output;
mod args;
mod bench;
mod compute;
mod corpus;
mod devices;
mod embed;
mod learn;
mod lesson_output;
mod predict;
mod race;
mod summary;
mod train;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

pub use args::{DataArgs, ModelArgs, RunArgs};

/// sideways: an RNN reads a sentence one word at a time, a Transformer reads it all at once.
/// Train both on the same words and measure the difference.
/// With no command it runs the race, so the race's options go straight after the name
/// (`sideways --budget 30s`, `cargo run --release -- --lanes rnn@1,transformer@1`).
#[derive(Debug, Parser)]
#[command(name = "sideways", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten, next_help_heading = "Race options (with no command)")]
    pub race: race::RaceArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train one model and report loss, speed and validation metrics.
    Train(Box<train::TrainArgs>),
    /// Show the most likely next words after a prompt.
    Predict(predict::PredictArgs),
    /// Continue a prompt with sampled words.
    Generate(predict::GenerateArgs),
    /// Print or write the default corpus (or one generated from your own grammar file).
    Corpus(corpus::CorpusArgs),
    /// How long training takes: 6 × parameters × tokens, in GPU-years and on this machine
    Compute(compute::ComputeArgs),
    /// word2vec: train word vectors, find neighbours and analogies, evaluate
    Embed(embed::EmbedArgs),
    /// Race the models side by side: the live dashboard, or a table/JSON without a terminal
    Race(race::RaceArgs),
    /// Measure training speed of every model on 1, 2, … threads, side by side.
    Bench(bench::BenchArgs),
    /// Train every model briefly on the default corpus and print them side by side.
    Summary(summary::SummaryArgs),
    /// List the GPUs this machine has (the adapters lanes like rnn@gpu:0 use)
    Devices(devices::DevicesArgs),
    /// Check the GPU backend against the CPU engine (`selftest --gpu`)
    Selftest(devices::SelftestArgs),
    /// The course: lessons that follow the article, with experiments to run (`learn 1 --run`)
    Learn(learn::LearnArgs),
    /// The lessons' exercises, checked by the program: list, check, hint, reset
    Exercise(learn::ExerciseArgs),
}

/// Parse a command line (the program's name first) as `sideways` does, options and their
/// values included, without running anything: the error is clap's message, or the library's
/// for a value clap takes as text (a lane, a budget, a model).
pub fn check(args: &[String]) -> Result<(), String> {
    let cli = Cli::try_parse_from(args).map_err(|e| e.to_string())?;
    let check = |r: anyhow::Result<()>| r.map_err(|e| format!("{e:#}"));
    match cli.command {
        None => check(cli.race.options().map(drop)),
        Some(Command::Race(a)) => check(a.options().map(drop)),
        Some(Command::Train(a)) => {
            check(a.model.map_or(Ok(()), |m| m.parse::<crate::model::ModelKind>().map(drop).map_err(Into::into)))
        }
        _ => Ok(()),
    }
}

/// Run the command line; returns the process exit code.
pub fn main() -> std::process::ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let result = match cli.command {
        None => race::run(&cli.race),
        Some(Command::Summary(a)) => summary::run(&a),
        Some(Command::Train(a)) => train::run(&a),
        Some(Command::Predict(a)) => predict::run_predict(&a),
        Some(Command::Generate(a)) => predict::run_generate(&a),
        Some(Command::Corpus(a)) => corpus::run(&a),
        Some(Command::Bench(a)) => bench::run(&a),
        Some(Command::Embed(a)) => embed::run(&a),
        Some(Command::Compute(a)) => compute::run(&a),
        Some(Command::Race(a)) => race::run(&a),
        Some(Command::Devices(a)) => devices::run(&a),
        Some(Command::Selftest(a)) => devices::run_selftest(&a),
        Some(Command::Learn(a)) => learn::run_learn(&a),
        Some(Command::Exercise(a)) => learn::run_exercise(&a),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            say!("error: {e:#}");
            if wants_json(&matches) {
                // Standard output may be the thing that failed: nothing more to say then.
                let _ = output::line(&crate::schema::error_line(&format!("{e:#}")));
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// Whether `--json` was given to the command or any of its subcommands.
fn wants_json(m: &ArgMatches) -> bool {
    m.try_get_one::<bool>("json").ok().flatten().copied().unwrap_or(false)
        || m.subcommand().is_some_and(|(_, sub)| wants_json(sub))
}
