//! Exercise 1.4: softmax, the last layer of every model in the lab.
//!
//! A model ends with one score (a *logit*) per word of the vocabulary. Softmax turns the
//! scores into probabilities: p_i = exp(x_i) / Σ_j exp(x_j). They are positive and sum to 1,
//! and a larger score gets a larger share.
//!
//! One trap: exp(1000) is infinity in f32. Subtracting the largest score from every score
//! first changes nothing mathematically (the factor exp(−max) cancels) and keeps every
//! exponent at most 0.
//!
//! Check it with `sideways exercise check 1.4`.

/// Replace the scores in `row` by their softmax probabilities, in place.
pub fn softmax(row: &mut [f32]) {
    let _ = row;
    todo!("exercise 1.4: turn the scores into probabilities")
}
