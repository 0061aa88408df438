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

/// The ordered list of a model's tensors.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    specs: Vec<TensorSpec>,
    len: usize,
}

impl Layout {
    /// Append a tensor and return its range in the flat buffer.
    pub fn add(&mut self, name: impl Into<String>, shape: &[usize]) -> Range<usize> {
        let spec = TensorSpec {
            name: name.into(),
            shape: shape.to_vec(),
            offset: self.len,
        };
        self.len += spec.len();
        let range = spec.range();
        self.specs.push(spec);
        range
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

/// Two disjoint mutable ranges of one buffer (a layer's weight and bias gradients).
pub fn pair_mut<'a>(
    buf: &'a mut [f32],
    a: &Range<usize>,
    b: &Range<usize>,
) -> (&'a mut [f32], &'a mut [f32]) {
    let [x, y] = buf
        .get_disjoint_mut([a.clone(), b.clone()])
        .expect("parameter ranges are disjoint");
    (x, y)
}
