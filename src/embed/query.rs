//! Questions to word vectors: nearest neighbours and analogies.
//!
//! Rows are normalised once, so a cosine is a dot product and a query against the whole
//! vocabulary is one matrix-vector product: instant even for 100,000 words.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::linalg::vecmath;

use super::vectors::WordVectors;

/// One answer and its score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scored {
    pub word: String,
    pub score: f32,
}

/// How to score an analogy a : b :: c : ? (Levy & Goldberg 2014).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Method {
    /// argmax cos(x, b) − cos(x, a) + cos(x, c): the vector-offset king − man + woman.
    CosAdd,
    /// argmax cos'(x, b) · cos'(x, c) / (cos'(x, a) + ε), cosines shifted to [0, 1]: no single
    /// large similarity can dominate the answer.
    CosMul,
}

/// Unit-length copies of a set of word vectors, ready for queries.
pub struct Similarity<'v> {
    vectors: &'v WordVectors,
    unit: Vec<f32>,
}

impl<'v> Similarity<'v> {
    pub fn new(vectors: &'v WordVectors) -> Self {
        let d = vectors.dim();
        let mut unit = vectors.data().to_vec();
        for row in unit.chunks_exact_mut(d) {
            let norm = vecmath::dot(row, row).sqrt();
            if norm > 0.0 {
                row.iter_mut().for_each(|x| *x /= norm);
            }
        }
        Similarity { vectors, unit }
    }

    fn id(&self, word: &str) -> Result<usize> {
        self.vectors.index(word).ok_or_else(|| {
            Error::config("word", word, format!("it is not among the {} words of these vectors", self.vectors.len()))
        })
    }

    fn unit_row(&self, i: usize) -> &[f32] {
        let d = self.vectors.dim();
        &self.unit[i * d..(i + 1) * d]
    }

    /// Cosine similarity of every word to the unit vector `q`.
    fn cosines(&self, q: &[f32]) -> Vec<f32> {
        self.unit.chunks_exact(self.vectors.dim()).map(|row| vecmath::dot(row, q)).collect()
    }

    /// Whether `word` has a vector.
    pub fn contains(&self, word: &str) -> bool {
        self.vectors.index(word).is_some()
    }

    /// Cosine similarity of two words.
    pub fn cosine(&self, a: &str, b: &str) -> Result<f32> {
        Ok(vecmath::dot(self.unit_row(self.id(a)?), self.unit_row(self.id(b)?)))
    }

    /// The `k` words closest to `word` (itself excluded).
    pub fn neighbours(&self, word: &str, k: usize) -> Result<Vec<Scored>> {
        let i = self.id(word)?;
        Ok(self.top(&self.cosines(self.unit_row(i)), k, &[i]))
    }

    /// a : b :: c : ?, i.e. b − a + c ("king − man + woman" is `analogy("man", "king", "woman")`),
    /// the question words excluded from the answers.
    pub fn analogy(&self, a: &str, b: &str, c: &str, k: usize, method: Method) -> Result<Vec<Scored>> {
        let (ia, ib, ic) = (self.id(a)?, self.id(b)?, self.id(c)?);
        let scores: Vec<f32> = match method {
            Method::CosAdd => {
                let q: Vec<f32> = (0..self.vectors.dim())
                    .map(|j| self.unit_row(ib)[j] - self.unit_row(ia)[j] + self.unit_row(ic)[j])
                    .collect();
                self.cosines(&q)
            }
            Method::CosMul => {
                let [sa, sb, sc] = [ia, ib, ic].map(|i| self.cosines(self.unit_row(i)));
                let shift = |x: f32| (x + 1.0) / 2.0;
                (0..sa.len()).map(|x| shift(sb[x]) * shift(sc[x]) / (shift(sa[x]) + 1e-3)).collect()
            }
        };
        Ok(self.top(&scores, k, &[ia, ib, ic]))
    }

    /// The `k` best scores, ties broken by vocabulary order, skipping `exclude`.
    fn top(&self, scores: &[f32], k: usize, exclude: &[usize]) -> Vec<Scored> {
        let mut order: Vec<usize> = (0..scores.len()).filter(|i| !exclude.contains(i)).collect();
        let k = k.min(order.len());
        if k == 0 {
            return Vec::new();
        }
        let by_score = |a: &usize, b: &usize| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b));
        order.select_nth_unstable_by(k - 1, by_score);
        order.truncate(k);
        order.sort_by(by_score);
        order.into_iter().map(|i| Scored { word: self.vectors.words()[i].clone(), score: scores[i] }).collect()
    }
}
