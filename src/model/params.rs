//! Parameter layout: every tensor of a model lives in one flat `Vec<f32>` (as in llm.c), at a
//! named, shaped range. The optimizer walks the flat buffer; checkpoints record the names and
//! shapes so that a file for another architecture is refused, not misread.

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// One named tensor inside the flat parameter buffer.
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
}

/// A model's parameters and their gradients: two flat buffers with one layout.
#[derive(Clone, Debug)]
pub struct Parameters {
    pub layout: Layout,
    pub values: Vec<f32>,
    pub grads: Vec<f32>,
}

impl Parameters {
    /// Zeroed values and gradients for `layout`.
    pub fn new(layout: Layout) -> Self {
        Parameters { values: vec![0.0; layout.len()], grads: vec![0.0; layout.len()], layout }
    }
}

/// Two disjoint mutable tensors of one buffer (a layer's weight and bias gradients).
pub fn pair_mut(buf: &mut [f32], a: Span, b: Span) -> (&mut [f32], &mut [f32]) {
    let [x, y] = buf.get_disjoint_mut([a.start..a.end, b.start..b.end]).expect("parameter spans are disjoint");
    (x, y)
}
