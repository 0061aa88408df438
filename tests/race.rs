//! The race engine: fair timing between lanes, one event stream, results per lane.

mod common;

use std::sync::Arc;

use sideways::data::{DataConfig, Dataset};
use sideways::race::{parse_lanes, Budget, Race};
use sideways::train::Event;

#[test]
fn events_tell_the_whole_story_and_lanes_share_their_start() {
    let data = Arc::new(Dataset::new(&common::small_corpus(60_000), DataConfig::default()).unwrap());
    let mut r = Race::new(parse_lanes("rnn@1,transformer@1,rnn@2").unwrap(), data, Budget::Steps(6));
    r.train.batch_size = 4;
    r.sample_every = 3;
    let mut events = Vec::new();
    let results = r.run(&mut |e| events.push(e)).unwrap();
    let count = |f: &dyn Fn(&Event) -> bool| events.iter().filter(|e| f(e)).count();
    assert_eq!(count(&|e| matches!(e, Event::LaneStart { .. })), 3);
    assert_eq!(count(&|e| matches!(e, Event::Step(_))), 18);
    assert_eq!(count(&|e| matches!(e, Event::LaneDone { .. })), 3);
    assert_eq!(count(&|e| matches!(e, Event::Eval { .. })), 3);
    // The Transformer shows its attention over the prompt, the RNN its hidden state word by word.
    for e in &events {
        if let Event::Sample { attention, hidden_norms, prompt, lane, .. } = e {
            let t = prompt.len();
            match lane {
                1 => {
                    let a = attention.as_ref().expect("the Transformer shows its attention");
                    assert_eq!((a.len(), a[0].len(), a[1][3].len()), (2, 4, t * t), "2 blocks × 4 heads of (t, t)");
                    assert!(hidden_norms.is_none());
                }
                _ => assert!(hidden_norms.as_ref().is_some_and(|h| h.len() == t) && attention.is_none()),
            }
        }
    }
    // Critical paths: 64 words for the RNN, 2 blocks for the Transformer.
    assert_eq!(results.iter().map(|r| r.critical_path).collect::<Vec<_>>(), [64, 2, 64]);
    // Same data, seed and start: the RNN on 1 and 2 threads follows the same losses.
    let losses = |lane: usize| {
        events
            .iter()
            .filter_map(|e| if let Event::Step(s) = e { (s.lane == lane).then_some(s.loss) } else { None })
            .collect::<Vec<_>>()
    };
    assert_eq!(losses(0), losses(2));
    assert!(results[2].speedup.is_some() && results[1].speedup == Some(1.0));
}

#[test]
fn controls_change_threads_pause_and_stop_a_running_race() {
    use sideways::train::Control;
    let data = Arc::new(Dataset::new(&common::small_corpus(60_000), DataConfig::default()).unwrap());
    let mut r = Race::new(parse_lanes("rnn@1,transformer@1").unwrap(), data, Budget::Steps(100_000));
    r.train.batch_size = 4;
    let (handle, events, controls) = r.spawn_controlled();
    let mut seen = Vec::new();
    for e in events.iter() {
        if let Event::Step(s) = &e {
            match (s.lane, s.step) {
                (0, 3) => controls.send(Control::SetThreads { lane: 0, threads: 2 }).unwrap(),
                (1, 6) => {
                    controls.send(Control::Pause).unwrap();
                    controls.send(Control::SetPrompt("she wished him a good".into())).unwrap();
                    controls.send(Control::Resume).unwrap();
                }
                (0, 12) => controls.send(Control::Stop).unwrap(),
                _ => {}
            }
        }
        seen.push(e);
    }
    let results = handle.join().unwrap().unwrap();
    let threads: Vec<usize> = seen
        .iter()
        .filter_map(|e| if let Event::Step(s) = e { (s.lane == 0).then_some(s.threads) } else { None })
        .collect();
    assert_eq!(threads.first(), Some(&1));
    assert_eq!(threads.last(), Some(&2), "lane 0 moved to two threads");
    assert_eq!(results.len(), 2);
    assert!(
        results.iter().all(|r| r.steps < 100),
        "stopped early: {:?}",
        results.iter().map(|r| r.steps).collect::<Vec<_>>()
    );
    assert_eq!(seen.iter().filter(|e| matches!(e, Event::LaneDone { .. })).count(), 2);
}
