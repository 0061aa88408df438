//! The token embedding layer, shared by every language model.
//!
//! Forward gathers rows: out[i] = table[token[i]].
//! Backward scatter-adds: dtable[token[i]] += dout[i]. Two positions with the same token add
//! into the same row, so this loop stays sequential (it is a tiny share of a step).

/// out (n, width) = table[tokens] with table (vocab_size, width).
pub fn forward(out: &mut [f32], tokens: &[u32], table: &[f32], width: usize) {
    for (row, &t) in out.chunks_exact_mut(width).zip(tokens) {
        let t = t as usize;
        row.copy_from_slice(&table[t * width..(t + 1) * width]);
    }
}

/// dtable[tokens[i]] += dout[i] for every position i.
pub fn backward(dtable: &mut [f32], dout: &[f32], tokens: &[u32], width: usize) {
    for (row, &t) in dout.chunks_exact(width).zip(tokens) {
        let t = t as usize;
        crate::linalg::vecmath::add_assign(&mut dtable[t * width..(t + 1) * width], row);
    }
}
