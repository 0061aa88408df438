//! Where a step's time goes, layer by layer: a stopwatch the models lap after each layer call.
//!
//! A lap is one `Instant::now()` (tens of nanoseconds) against layers that take milliseconds,
//! so the clock always runs: no feature flag, and the figures `sideways bench --profile`
//! prints come from the very code that trains. Layers of the same kind (the LayerNorms of every
//! block, say) share a row: a learner asks what attention costs, not what block 2's costs.

use std::time::Instant;

use serde::{Deserialize, Serialize};

/// Rows every model shares (by name, so the dashboard and bench compare models row by row).
pub const EMBEDDING_LAYER: &str = "embedding";
/// The output layer with its softmax and cross-entropy (evaluation's and prediction's path).
pub const OUTPUT_LAYER: &str = "output layer + loss";
/// The two fused for training (`model::head`): forward and backward in one pass.
pub const HEAD_AND_LOSS: &str = "output layer + loss (fused)";
/// Setting the activation gradients to zero before a backward pass adds into them.
pub const CLEAR_GRADIENTS: &str = "clear gradients";

/// Which half of a training step a lap belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    Forward,
    Backward,
}

/// Seconds one kind of layer took in the last forward and backward (over all blocks).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerTime {
    pub layer: String,
    pub forward: f64,
    pub backward: f64,
}

/// The stopwatch: one row per kind of layer, in the order the forward pass first meets them.
#[derive(Clone, Debug, Default)]
pub struct LayerClock {
    rows: Vec<(&'static str, [f64; 2])>,
    pass: usize,
    last: Option<Instant>,
}

impl LayerClock {
    /// Start timing a pass: clear its column and start the first lap now.
    pub fn start(&mut self, pass: Pass) {
        self.pass = pass as usize;
        for (_, times) in &mut self.rows {
            times[self.pass] = 0.0;
        }
        self.last = Some(Instant::now());
    }

    /// Charge the time since the previous lap (or the start) to `layer`.
    pub fn lap(&mut self, layer: &'static str) {
        let now = Instant::now();
        let seconds = self.last.map_or(0.0, |t| (now - t).as_secs_f64());
        self.last = Some(now);
        match self.rows.iter_mut().find(|(name, _)| *name == layer) {
            Some((_, times)) => times[self.pass] += seconds,
            None => {
                let mut times = [0.0; 2];
                times[self.pass] = seconds;
                self.rows.push((layer, times));
            }
        }
    }

    /// Seconds `layer` took in the last forward and backward together (0 if it never ran).
    pub fn seconds(&self, layer: &str) -> f64 {
        self.rows.iter().filter(|(name, _)| *name == layer).map(|(_, [f, b])| f + b).sum()
    }

    /// The rows of the last forward and backward.
    pub fn times(&self) -> Vec<LayerTime> {
        self.rows
            .iter()
            .map(|&(layer, [forward, backward])| LayerTime { layer: layer.into(), forward, backward })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn laps_add_up_by_layer_and_a_new_pass_clears_only_its_own_column() {
        let mut clock = LayerClock::default();
        clock.start(Pass::Forward);
        std::thread::sleep(Duration::from_millis(2));
        clock.lap("a");
        clock.lap("b");
        std::thread::sleep(Duration::from_millis(2));
        clock.lap("a");
        clock.start(Pass::Backward);
        std::thread::sleep(Duration::from_millis(3));
        clock.lap("b");
        let t = clock.times();
        assert_eq!(t.iter().map(|r| r.layer.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert!(t[0].forward >= 0.004 && t[0].backward == 0.0, "{t:?}");
        assert!(t[1].forward < 0.001 && t[1].backward >= 0.003, "{t:?}");
        clock.start(Pass::Forward);
        let t = clock.times();
        assert!(t[0].forward == 0.0 && t[1].backward >= 0.003, "{t:?}");
    }
}
