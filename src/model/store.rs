//! Where a model's numbers live. Every tensor sits in one flat buffer (as in llm.c) at a named,
//! shaped range (the [`Layout`]); beside it are three buffers of the same layout: the gradients
//! and AdamW's two moments.
//!
//! What a training step does to them — zero the gradients, clip their global norm, apply the
//! AdamW update — are operations on the store ([`ParamStore`]), never loops over slices in the
//! trainer. A device backend can then keep all four buffers on the device, and the host sees
//! them only through the explicit copies [`ParamStore::read`] and [`ParamStore::write`]
//! (checkpoints, starting vectors). [`HostStore`] is the CPU's store.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::adamw::{self, AdamWConfig};
use crate::error::{Error, Result};
use crate::linalg::Exec;

/// One named tensor inside the flat buffers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorSpec {
    pub name: String,
    pub shape: Vec<usize>,
    pub offset: usize,
}

impl TensorSpec {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset + self.len()
    }
}

/// Where one tensor sits in a flat buffer. `Copy`, so a model's forward pass reads
/// `w.at(p.w_out)` with no clones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// `buf.at(span)`: the tensor at `span` of a flat buffer.
pub trait At {
    fn at(&self, span: Span) -> &[f32];
    fn at_mut(&mut self, span: Span) -> &mut [f32];
}

impl At for [f32] {
    fn at(&self, s: Span) -> &[f32] {
        &self[s.start..s.end]
    }
    fn at_mut(&mut self, s: Span) -> &mut [f32] {
        &mut self[s.start..s.end]
    }
}

/// Two disjoint mutable tensors of one buffer (a layer's weight and bias gradients).
pub fn pair_mut(buf: &mut [f32], a: Span, b: Span) -> (&mut [f32], &mut [f32]) {
    let [x, y] = buf.get_disjoint_mut([a.start..a.end, b.start..b.end]).expect("parameter spans are disjoint");
    (x, y)
}

/// The ordered list of a model's tensors.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    specs: Vec<TensorSpec>,
    len: usize,
}

impl Layout {
    /// Append a tensor and return its place in the flat buffer.
    pub fn add(&mut self, name: impl Into<String>, shape: &[usize]) -> Span {
        let spec = TensorSpec { name: name.into(), shape: shape.to_vec(), offset: self.len };
        self.len += spec.len();
        let span = Span { start: spec.offset, end: self.len };
        self.specs.push(spec);
        span
    }

    /// Total number of parameters.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn specs(&self) -> &[TensorSpec] {
        &self.specs
    }

    pub fn get(&self, name: &str) -> Option<&TensorSpec> {
        self.specs.iter().find(|s| s.name == name)
    }

    /// Where the tensor `name` lives in the flat buffers, or an error naming it.
    pub fn range_of(&self, name: &str) -> Result<std::ops::Range<usize>> {
        let hint = "name a tensor of the model's layout";
        Ok(self.get(name).ok_or_else(|| Error::config("tensor", name, hint))?.range())
    }
}

/// Which of a store's four buffers a copy reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Buffer {
    Values,
    Grads,
    /// AdamW's first moment, m.
    Moment1,
    /// AdamW's second moment, v.
    Moment2,
}

/// A model's parameters, gradients and optimizer state, wherever they live.
pub trait ParamStore: Send {
    fn layout(&self) -> &Layout;

    /// Set every gradient to zero. Once per step: every backward pass adds into them.
    fn zero_grad(&mut self);

    /// Scale the gradients so that their global norm is at most `max_norm` (0: no limit).
    /// Frozen tensors' gradients are zeroed first, so they neither count nor move.
    fn clip_grads(&mut self, max_norm: f32);

    /// The global norm the last [`ParamStore::clip_grads`] found (before clipping). A device
    /// store reads it back, so it is asked for at the end of a step.
    fn read_grad_norm(&self) -> f32;

    /// One AdamW update at learning rate `lr`; frozen tensors keep their values (no step, no
    /// decay).
    fn adamw_step(&mut self, config: &AdamWConfig, lr: f32, exec: Exec);

    /// Updates made so far (Adam's step count k; a resumed run continues it).
    fn steps(&self) -> u64;

    fn set_steps(&mut self, steps: u64);

    /// Keep the tensor called `name` as it is from now on (`None`: train everything).
    fn set_frozen(&mut self, name: Option<&str>) -> Result<()>;

    /// Copy `out.len()` values of `buffer` starting at `offset` to the host.
    fn read(&self, buffer: Buffer, offset: usize, out: &mut [f32]);

    /// Overwrite `src.len()` values of `buffer` starting at `offset`.
    fn write(&mut self, buffer: Buffer, offset: usize, src: &[f32]);

    /// All of `buffer`, as a host vector.
    fn to_vec(&self, buffer: Buffer) -> Vec<f32> {
        let mut out = vec![0.0; self.layout().len()];
        self.read(buffer, 0, &mut out);
        out
    }

    /// This store's values become those of `other` (same layout), e.g. a copy of a model for
    /// inspection.
    fn copy_values_from(&mut self, other: &dyn ParamStore);
}

/// The CPU's store: four plain vectors with one layout.
#[derive(Clone, Debug)]
pub struct HostStore {
    pub layout: Layout,
    pub values: Vec<f32>,
    pub grads: Vec<f32>,
    pub m: Vec<f32>,
    pub v: Vec<f32>,
    steps: u64,
    frozen: Option<Range<usize>>,
    grad_norm: f32,
}

impl HostStore {
    /// Zeroed buffers for `layout`.
    pub fn new(layout: Layout) -> Self {
        let n = layout.len();
        HostStore {
            values: vec![0.0; n],
            grads: vec![0.0; n],
            m: vec![0.0; n],
            v: vec![0.0; n],
            layout,
            steps: 0,
            frozen: None,
            grad_norm: 0.0,
        }
    }

    fn buffer(&self, b: Buffer) -> &[f32] {
        match b {
            Buffer::Values => &self.values,
            Buffer::Grads => &self.grads,
            Buffer::Moment1 => &self.m,
            Buffer::Moment2 => &self.v,
        }
    }

    fn buffer_mut(&mut self, b: Buffer) -> &mut [f32] {
        match b {
            Buffer::Values => &mut self.values,
            Buffer::Grads => &mut self.grads,
            Buffer::Moment1 => &mut self.m,
            Buffer::Moment2 => &mut self.v,
        }
    }

    fn update(&mut self, range: Range<usize>, config: &AdamWConfig, lr: f32, exec: Exec) {
        let r = range;
        let (p, m, v, g) =
            (&mut self.values[r.clone()], &mut self.m[r.clone()], &mut self.v[r.clone()], &self.grads[r]);
        adamw::update(p, m, v, g, config, lr, self.steps, exec.par);
    }
}

impl ParamStore for HostStore {
    fn layout(&self) -> &Layout {
        &self.layout
    }

    fn zero_grad(&mut self) {
        self.grads.fill(0.0);
    }

    fn clip_grads(&mut self, max_norm: f32) {
        if let Some(f) = &self.frozen {
            self.grads[f.clone()].fill(0.0);
        }
        self.grad_norm = adamw::clip(&mut self.grads, max_norm);
    }

    fn read_grad_norm(&self) -> f32 {
        self.grad_norm
    }

    fn adamw_step(&mut self, config: &AdamWConfig, lr: f32, exec: Exec) {
        self.steps += 1;
        let n = self.values.len();
        match self.frozen.clone() {
            None => self.update(0..n, config, lr, exec),
            Some(f) => {
                self.update(0..f.start, config, lr, exec);
                self.update(f.end..n, config, lr, exec);
            }
        }
    }

    fn steps(&self) -> u64 {
        self.steps
    }

    fn set_steps(&mut self, steps: u64) {
        self.steps = steps;
    }

    fn set_frozen(&mut self, name: Option<&str>) -> Result<()> {
        self.frozen = name.map(|name| self.layout.range_of(name)).transpose()?;
        Ok(())
    }

    fn read(&self, buffer: Buffer, offset: usize, out: &mut [f32]) {
        out.copy_from_slice(&self.buffer(buffer)[offset..offset + out.len()]);
    }

    fn write(&mut self, buffer: Buffer, offset: usize, src: &[f32]) {
        self.buffer_mut(buffer)[offset..offset + src.len()].copy_from_slice(src);
    }

    fn copy_values_from(&mut self, other: &dyn ParamStore) {
        assert_eq!(other.layout(), &self.layout, "copying values between different layouts");
        other.read(Buffer::Values, 0, &mut self.values);
    }
}
