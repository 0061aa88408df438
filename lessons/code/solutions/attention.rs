//! Exercise 6.3: the attention weights of one causal head — a reference solution.

/// The (t, t) attention weights, row-major, of queries `q` and keys `k`, both (t, d).
pub fn causal_attention(q: &[f32], k: &[f32], t: usize, d: usize) -> Vec<f32> {
    let scale = 1.0 / (d as f32).sqrt();
    let mut a = vec![0.0; t * t];
    for i in 0..t {
        let row = &mut a[i * t..i * t + i + 1];
        for (j, s) in row.iter_mut().enumerate() {
            *s = (0..d).map(|c| q[i * d + c] * k[j * d + c]).sum::<f32>() * scale;
        }
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        row.iter_mut().for_each(|s| *s = (*s - max).exp());
        let sum: f32 = row.iter().sum();
        row.iter_mut().for_each(|s| *s /= sum);
    }
    a
}
