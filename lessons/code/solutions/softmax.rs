//! Exercise 1.4: softmax — a reference solution.

/// Replace the scores in `row` by their softmax probabilities, in place.
pub fn softmax(row: &mut [f32]) {
    // Subtract the largest score: every exponent is then at most 0, so nothing overflows.
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in row.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    for x in row.iter_mut() {
        *x /= sum;
    }
}
