//! Exercise 6.3: the attention weights of one causal head.
//!
//! Each of the t words of a window has a query q_i and a key k_i (d numbers each, rows of q and
//! k, row-major). Word i scores every word j by how well its query matches j's key, scaled so
//! that the scores do not grow with d:
//!
//!     s_ij = q_i · k_j / √d
//!
//! A model that predicts the next word must not read it: word i may only look at words j ≤ i
//! (the *causal mask*). Its weights are the softmax of its scores over j ≤ i, and 0 for j > i:
//!
//!     A_ij = exp(s_ij) / Σ_{j' ≤ i} exp(s_ij')   for j ≤ i,      A_ij = 0 for j > i
//!
//! Every row can be computed at the same time as the others: nothing here waits for another
//! word's result. That is the Transformer's "reading sideways".
//!
//! Check it with `sideways exercise check 6.3`: it is compared with the engine's attention
//! layer.

/// The (t, t) attention weights, row-major, of queries `q` and keys `k`, both (t, d).
pub fn causal_attention(q: &[f32], k: &[f32], t: usize, d: usize) -> Vec<f32> {
    let _ = (q, k, t, d);
    todo!("exercise 6.3: scores, the causal mask, and a softmax per row")
}
