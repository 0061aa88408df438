//! The race engine: one event stream tagged by lane, results per lane, controls, and lanes that
//! really take turns.

mod common;

use std::sync::Arc;

use sideways::data::{DataConfig, Dataset};
use sideways::race::{parse_lanes, Race};
use sideways::train::{Budget, Control, Event, EventKind};

fn data() -> Arc<Dataset> {
    Arc::new(Dataset::new(&common::small_corpus(60_000), DataConfig::default()).unwrap())
}

#[test]
fn events_tell_the_whole_story_and_lanes_share_their_start() {
    let mut r = Race::new(parse_lanes("rnn@1,transformer@1,rnn@2").unwrap(), data(), Budget::Steps(6));
    r.train.batch_size = 4;
    (r.sample_every, r.eval_every) = (3, 0);
    let mut events = Vec::new();
    let results = r.run(&mut |e| events.push(e)).unwrap();
    let count = |f: &dyn Fn(&EventKind) -> bool| events.iter().filter(|e| f(&e.kind)).count();
    assert_eq!(count(&|e| matches!(e, EventKind::Start(_))), 3);
    assert_eq!(count(&|e| matches!(e, EventKind::Step(_))), 18);
    assert_eq!(count(&|e| matches!(e, EventKind::Done(_))), 3);
    assert_eq!(count(&|e| matches!(e, EventKind::Eval(_))), 3, "one validation at the end of each lane");
    assert_eq!(count(&|e| matches!(e, EventKind::Sample(_))), 6);
    // The Transformer shows its attention over the prompt, the RNN its hidden state word by word.
    for e in &events {
        if let EventKind::Sample(s) = &e.kind {
            let t = s.prompt.len();
            match e.lane {
                1 => {
                    let a = s.trace.attention.as_ref().expect("the Transformer shows its attention");
                    assert_eq!((a.len(), a[0].len(), a[1][3].len()), (2, 4, t * t), "2 blocks × 4 heads of (t, t)");
                    assert!(s.trace.hidden_norms.is_none());
                }
                _ => {
                    assert!(s.trace.hidden_norms.as_ref().is_some_and(|h| h.len() == t) && s.trace.attention.is_none())
                }
            }
            assert_eq!(s.next.len(), 5);
        }
    }
    // Every event survives the JSON schema both ways.
    for e in &events {
        let line = sideways::schema::event_line(e);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["schema"], sideways::schema::VERSION);
        assert_eq!(&serde_json::from_str::<Event>(&line).unwrap(), e, "{line}");
    }
    // Critical paths: 64 words for the RNN, 2 blocks for the Transformer.
    assert_eq!(results.iter().map(|r| r.run.critical_path).collect::<Vec<_>>(), [64, 2, 64]);
    // Same data, seed and start: the RNN on 1 and 2 threads follows the same losses.
    let losses = |lane: usize| {
        events
            .iter()
            .filter_map(|e| if let EventKind::Step(s) = &e.kind { (e.lane == lane).then_some(s.loss) } else { None })
            .collect::<Vec<_>>()
    };
    assert_eq!(losses(0), losses(2));
    assert!(results[2].speedup.is_some() && results[1].speedup == Some(1.0));
    assert!(results.iter().all(|r| r.run.steps == 6 && !r.run.stopped && r.run.val_loss().is_some()));
}

#[test]
fn lanes_take_turns_of_several_steps() {
    let mut r = Race::new(parse_lanes("rnn@1,transformer@2,rnn@2").unwrap(), data(), Budget::Steps(12));
    r.train.batch_size = 4;
    (r.sample_every, r.eval_every) = (0, 0);
    let mut order = Vec::new();
    r.run(&mut |e| {
        if let EventKind::Step(_) = e.kind {
            order.push(e.lane)
        }
    })
    .unwrap();
    // Steps come in turns of at least 3 steps of one lane (sideways::race::TURN_STEPS) — only a
    // lane's last turn may be shorter, when its budget runs out — each lane's turn over before
    // the next lane's begins: a lane never shares the cores with another.
    let mut turns: Vec<(usize, u64)> = Vec::new();
    for lane in order {
        match turns.last_mut() {
            Some((l, n)) if *l == lane => *n += 1,
            _ => turns.push((lane, 1)),
        }
    }
    let mut done = [0u64; 3];
    for &(lane, n) in &turns {
        done[lane] += n;
        assert!(n >= 3 || done[lane] == 12, "a short turn before the end: {turns:?}");
    }
    assert_eq!(done, [12, 12, 12]);
    assert_eq!(turns.iter().map(|t| t.0).take(3).collect::<Vec<_>>(), [0, 1, 2], "lanes take turns in order");
}

#[test]
fn controls_change_threads_pause_and_stop_a_running_race() {
    let mut r = Race::new(parse_lanes("rnn@1,transformer@1").unwrap(), data(), Budget::Steps(100_000));
    r.train.batch_size = 4;
    let (handle, events, controls) = r.spawn_controlled();
    let mut seen = Vec::new();
    for e in events.iter() {
        if let EventKind::Step(s) = &e.kind {
            match (e.lane, s.step) {
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
        .filter_map(|e| if let EventKind::Step(s) = &e.kind { (e.lane == 0).then_some(s.threads) } else { None })
        .collect();
    assert_eq!(threads.first(), Some(&1));
    assert_eq!(threads.last(), Some(&2), "lane 0 moved to two threads");
    assert_eq!(results.len(), 2);
    assert!(
        results.iter().all(|r| r.run.steps < 100 && r.run.stopped),
        "stopped early: {:?}",
        results.iter().map(|r| r.run.steps).collect::<Vec<_>>()
    );
    assert_eq!(seen.iter().filter(|e| matches!(e.kind, EventKind::Done(_))).count(), 2);
}
