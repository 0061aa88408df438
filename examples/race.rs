//! Race an RNN against a Transformer from Rust code, reading the event stream as it happens.
//!
//!     cargo run --release --example race
//!
//! Each lane trains for 40 steps on the built-in corpus; the program prints every tenth step of
//! each lane, what the models now expect after "i ate a good", and the final table.

use std::sync::Arc;

use sideways::data::{Corpus, DataConfig, Dataset};
use sideways::race::{parse_lanes, Race};
use sideways::train::{Budget, EventKind};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = Arc::new(Dataset::new(&Corpus::default_corpus(), DataConfig::default())?);
    let mut race = Race::new(parse_lanes("rnn@1,transformer@1")?, data, Budget::Steps(40));
    race.sample_every = 20;
    race.eval_every = 20;

    let labels: Vec<String> = race.lanes.iter().map(|l| l.label()).collect();
    let (handle, events) = race.spawn();
    for event in events {
        let label = &labels[event.lane];
        match event.kind {
            EventKind::Step(s) if s.step % 10 == 0 => {
                println!(
                    "{label:<14} step {:>3}  loss {:.3}  {:>9.0} tokens/s on its clock",
                    s.step, s.loss, s.tokens_per_s
                )
            }
            EventKind::Sample(s) => {
                let words: Vec<String> = s.next.iter().map(|p| format!("{} {:.0}%", p.word, 100.0 * p.prob)).collect();
                println!("{label:<14} step {:>3}  after \"i ate a good\": {}", s.step, words.join(", "));
                if let Some(a) =
                    s.trace.attention.as_ref().and_then(|blocks| blocks.last()).and_then(|heads| heads.first())
                {
                    let t = s.prompt.len();
                    println!("{:<14}           the last word attends to: {:.2?}", "", &a[(t - 1) * t..]);
                }
                if let Some(h) = s.trace.hidden_norms {
                    println!("{:<14}           hidden-state norm word by word: {h:.2?}", "");
                }
            }
            EventKind::Eval(e) => println!("{label:<14} validation loss {:.3}", e.report.val_loss),
            _ => {}
        }
    }
    for lane in handle.join().expect("the race thread does not panic")? {
        let r = lane.run;
        println!(
            "{:<14} {} steps, {:.0} tokens/s, critical path {}",
            r.label, r.steps, r.tokens_per_s, r.critical_path
        );
    }
    Ok(())
}
