//! Exercise 5.3: the gradient of skip-gram with negative sampling (word2vec).
//!
//! For a word (its *center* vector c) and a word near it in the text (its *context* vector o),
//! word2vec wants σ(c · o) — the model's belief that they appear together — close to 1, and for
//! a few random *negative* words n_k, σ(c · n_k) close to 0, with σ(x) = 1 / (1 + e^(−x)). The
//! loss of one pair is
//!
//!     L = −ln σ(c · o) − Σ_k ln σ(−c · n_k)
//!
//! Using dσ(x)/dx = σ(x)(1 − σ(x)), its gradients are
//!
//!     dL/dc   = (σ(c·o) − 1) o + Σ_k σ(c·n_k) n_k
//!     dL/do   = (σ(c·o) − 1) c
//!     dL/dn_k = σ(c·n_k) c
//!
//! word2vec then moves each vector a little against its gradient: that is all of its learning.
//!
//! Careful with large dot products: σ(20) is exactly 1 in f32, and ln(1 − 1) is −∞. Compute
//! ln σ(x) = −ln(1 + e^(−x)) directly (`ln_1p` helps), so that e^(−x) never overflows either.
//!
//! Check it with `sideways exercise check 5.3`: your loss and gradients are compared with an
//! independent computation and with finite differences.

/// One pair's loss and gradients.
#[derive(Clone, Debug, PartialEq)]
pub struct SkipGramGrads {
    pub loss: f32,
    pub d_center: Vec<f32>,
    pub d_context: Vec<f32>,
    pub d_negatives: Vec<Vec<f32>>,
}

/// The loss and gradients of one (center, context) pair with its negative samples.
pub fn skipgram(center: &[f32], context: &[f32], negatives: &[Vec<f32>]) -> SkipGramGrads {
    let _ = (center, context, negatives);
    todo!("exercise 5.3: the loss, then the three gradients")
}
