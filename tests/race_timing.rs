//! Fair timing between race lanes. Alone in its own test binary, so no other test shares the
//! cores while it measures.

mod common;

use std::sync::Arc;

use sideways::data::{DataConfig, Dataset};
use sideways::race::{parse_lanes, Budget, LaneResult, Race};

fn race(lanes: &str, data: &Arc<Dataset>) -> Vec<LaneResult> {
    Race::new(parse_lanes(lanes).unwrap(), data.clone(), Budget::Steps(40)).run(&mut |_| {}).unwrap()
}

/// Lanes take turns on the cores, so a lane's speed in a race is its speed alone. Compared with
/// the mean of a run alone before and one after the race, to average out a drifting machine.
#[test]
fn a_lane_in_a_race_runs_as_fast_as_alone() {
    let data = Arc::new(Dataset::new(&common::small_corpus(120_000), DataConfig::default()).unwrap());
    for (lane, other) in [("rnn@1", "transformer@2"), ("transformer@1", "rnn@2")] {
        let before = race(lane, &data)[0].tokens_per_s;
        let raced = race(&format!("{lane},{other}"), &data)[0].tokens_per_s;
        let after = race(lane, &data)[0].tokens_per_s;
        let alone = (before + after) / 2.0;
        let ratio = raced / alone;
        eprintln!("{lane}: alone {before:.0} / {after:.0}, in a race with {other} {raced:.0} tokens/s ({ratio:.3})");
        assert!((ratio - 1.0).abs() < 0.15, "{lane}: {raced:.0} tokens/s in the race vs {alone:.0} alone");
    }
}
