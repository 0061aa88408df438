//! `sideways bench --profile`: where each millisecond of a training step goes, layer by layer.
//!
//! The models lap a stopwatch after every layer call (`model::profile`); this runs the same
//! 50 steps as a speed point and takes, for every row, the median of steps 10..50 — the
//! window the step time itself is the median of — so the rows and the step they divide up are
//! read the same way.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::Result;
use crate::linalg::Threads;
use crate::model::{ModelConfig, ModelKind, SizeOverrides};
use crate::train::{TrainConfig, Trainer, WARMUP_STEPS};

use super::STEPS;

/// The optimizer's row and the remainder's, after the model's own layers.
pub const UPDATE_ROW: &str = "clip + AdamW (every parameter)";
pub const REST_ROW: &str = "rest (batch, bookkeeping)";

/// One row of the profile: medians over the timed steps, in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileRow {
    pub layer: String,
    pub forward_ms: f64,
    pub backward_ms: f64,
    /// The optimizer's row only.
    pub update_ms: f64,
}

impl ProfileRow {
    pub fn total_ms(&self) -> f64 {
        self.forward_ms + self.backward_ms + self.update_ms
    }
}

/// A model's step on some threads, divided up by layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub model: ModelKind,
    pub threads: usize,
    pub seq_len: usize,
    pub batch: usize,
    /// Median wall time of the whole step.
    pub step_ms: f64,
    /// The model's layers in forward order, then the optimizer, then the rest of the step.
    pub rows: Vec<ProfileRow>,
}

/// Train `kind` on `threads` for [`STEPS`] steps and divide its step time up by layer.
pub fn profile(
    kind: ModelKind,
    sizes: &SizeOverrides,
    data: &Arc<Dataset>,
    (batch, seq_len): (usize, usize),
    threads: &Threads,
) -> Result<Profile> {
    let config = ModelConfig::new(kind, data.vocab.len(), sizes, seq_len);
    let train = TrainConfig { seq_len, batch_size: batch, ..TrainConfig::default() };
    let model = config.build(train.seed)?;
    let mut trainer = Trainer::new(model, data.clone(), train, threads.clone())?;
    // Per row: (forward, backward, update) of every timed step, in milliseconds.
    let mut samples: Vec<(String, Vec<[f64; 3]>)> = Vec::new();
    let mut steps = Vec::new();
    for step in 1..=STEPS {
        let report = trainer.step();
        if step as usize <= WARMUP_STEPS {
            continue;
        }
        let layers = trainer.model().layer_times();
        let counted: f64 = layers.iter().map(|l| l.forward + l.backward).sum::<f64>() + trainer.update_seconds();
        let rows = layers
            .into_iter()
            .map(|l| (l.layer, [l.forward, l.backward, 0.0]))
            .chain([(UPDATE_ROW.to_string(), [0.0, 0.0, trainer.update_seconds()])])
            .chain([(REST_ROW.to_string(), [0.0, 0.0, report.seconds - counted])]);
        for (layer, seconds) in rows {
            let ms = seconds.map(|s| s * 1e3);
            match samples.iter_mut().find(|(name, _)| *name == layer) {
                Some((_, v)) => v.push(ms),
                None => samples.push((layer, vec![ms])),
            }
        }
        steps.push(report.seconds * 1e3);
    }
    let rows = samples
        .into_iter()
        .map(|(layer, v)| {
            let column = |i: usize| median(v.iter().map(|s| s[i]).collect());
            ProfileRow { layer, forward_ms: column(0), backward_ms: column(1), update_ms: column(2) }
        })
        .collect();
    Ok(Profile { model: kind, threads: threads.count(), seq_len, batch, step_ms: median(steps), rows })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layer_of_every_model_is_timed_and_the_rows_add_up_to_the_step() {
        let data = Arc::new(Dataset::synthetic(64, 4000, 3));
        let threads = Threads::new(1).unwrap();
        let sizes = SizeOverrides { d_model: Some(16), ..SizeOverrides::default() };
        let profiles: Vec<(ModelKind, Profile)> =
            ModelKind::all().map(|kind| (kind, profile(kind, &sizes, &data, (4, 16), &threads).unwrap())).collect();
        let names = |p: &Profile| p.rows.iter().map(|r| r.layer.clone()).collect::<Vec<String>>();
        for (kind, p) in &profiles {
            let own = names(p);
            for shared in ["embedding", "output layer + loss (fused)", UPDATE_ROW, REST_ROW] {
                assert!(own.iter().any(|n| n == shared), "{kind}: {own:?}");
            }
            // Each model times a layer no other model has (the recurrence, attention, the scan).
            let others: Vec<String> = profiles.iter().filter(|(k, _)| k != kind).flat_map(|(_, q)| names(q)).collect();
            assert!(own.iter().any(|n| !others.contains(n)), "{kind} times none of its own layers: {own:?}");
            // Every row took time; the sum of the medians is near the median of the sums.
            assert!(p.rows.iter().filter(|r| r.layer != REST_ROW).all(|r| r.total_ms() > 0.0), "{kind}: {:?}", p.rows);
            let sum: f64 = p.rows.iter().map(ProfileRow::total_ms).sum();
            assert!((sum - p.step_ms).abs() < 0.25 * p.step_ms, "{kind}: rows {sum} ms, step {} ms", p.step_ms);
        }
    }
}
