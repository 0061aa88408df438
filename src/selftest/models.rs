//! One training step of every model on the GPU against the same step on the CPU: the same
//! seeded weights, random token ids, then the loss, every parameter's gradient, the gradient
//! norm and the weights after clipping and AdamW.

use std::sync::Arc;

use super::Checks;
use crate::error::Result;
use crate::gpu::Gpu;
use crate::linalg::Exec;
use crate::model::{AdamWConfig, Buffer, LanguageModel, ModelConfig, ModelKind, SizeOverrides};
use crate::rng::Rng;

/// Small sizes that still have two blocks of two heads, a window longer than a tile, and a
/// vocabulary that is not a multiple of anything.
const VOCAB: usize = 97;
const BATCH: usize = 3;
const SEQ: usize = 19;

pub fn all(gpu: &Arc<Gpu>, report: &mut Checks) -> Result<()> {
    let mut rng = Rng::new(11);
    let ids: Vec<u32> = (0..BATCH * SEQ + 1).map(|_| rng.below(VOCAB) as u32).collect();
    let (inputs, targets) = (&ids[..BATCH * SEQ], &ids[1..]);
    let sizes = SizeOverrides { d_model: Some(24), hidden_size: Some(20), n_heads: Some(2), ..Default::default() };
    for kind in ModelKind::all() {
        let config = ModelConfig::new(kind, VOCAB, &sizes, SEQ);
        let mut cpu = config.build(7)?;
        let mut dev = config.build_gpu(7, gpu)?;
        let (lc, ld) = (step(cpu.as_mut(), inputs, targets), step(dev.as_mut(), inputs, targets));
        report.close(&format!("{kind} loss"), &[ld.loss], &[lc.loss], 1e-4);
        report.close(&format!("{kind} gradients"), &ld.grads, &lc.grads, 5e-4);
        report.close(&format!("{kind} gradient norm"), &[ld.norm], &[lc.norm], 1e-3);
        let (wc, wd) = (cpu.store().to_vec(Buffer::Values), dev.store().to_vec(Buffer::Values));
        report.close(&format!("{kind} weights after AdamW"), &wd, &wc, 2e-3);
    }
    Ok(())
}

struct Step {
    loss: f32,
    /// Before clipping (a CPU store scales them in place, a device one inside the update).
    grads: Vec<f32>,
    norm: f32,
}

/// One step as the trainer takes it.
fn step(model: &mut dyn LanguageModel, inputs: &[u32], targets: &[u32]) -> Step {
    let config = AdamWConfig::default();
    model.store_mut().zero_grad();
    model.forward_backward(inputs, targets, BATCH, SEQ, 1.0, Exec::SEQ);
    let grads = model.store().to_vec(Buffer::Grads);
    let store = model.store_mut();
    store.clip_grads(config.clip);
    store.adamw_step(&config, config.lr, Exec::SEQ);
    Step { loss: model.read_loss(), grads, norm: model.store().read_grad_norm() }
}
