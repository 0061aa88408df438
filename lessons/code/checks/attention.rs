//! Hidden test of exercise 6.3: the learner's causal attention weights against the engine's
//! attention layer (`sideways::model::attention`), which computes them for a whole head.

use sideways::linalg::Par;
use sideways::model::attention;
use sideways_exercises::attention::causal_attention;

fn numbers(count: usize, seed: u32) -> Vec<f32> {
    (0..count as u32)
        .map(|i| ((i.wrapping_mul(2_654_435_761) ^ seed.wrapping_mul(40_503)) % 1000) as f32 / 250.0 - 2.0)
        .collect()
}

#[test]
fn the_weights_match_the_engines_attention_layer() {
    for (t, d) in [(1, 4), (5, 4), (9, 8)] {
        let (q, k, v) = (numbers(t * d, 1), numbers(t * d, 2), numbers(t * d, 3));
        // The engine's layout: one row per word holding q, k and v side by side.
        let qkv: Vec<f32> =
            (0..t).flat_map(|i| [&q, &k, &v].map(|m| m[i * d..(i + 1) * d].to_vec()).concat()).collect();
        let (mut out, mut att) = (vec![0.0; t * d], vec![0.0; t * t]);
        attention::forward(&mut out, &mut att, &qkv, 1, t, d, 1, Par::Seq);
        let mine = causal_attention(&q, &k, t, d);
        assert_eq!(mine.len(), t * t, "a (t, t) matrix for t = {t}");
        for i in 0..t {
            for j in 0..t {
                let (a, b) = (mine[i * t + j], att[i * t + j]);
                assert!((a - b).abs() <= 1e-5, "t = {t}, d = {d}: A[{i}][{j}] is {a}, the engine's {b}");
            }
        }
    }
}

#[test]
fn a_word_never_reads_the_words_after_it() {
    let (t, d) = (6, 4);
    let (q, k) = (numbers(t * d, 4), numbers(t * d, 5));
    let before = causal_attention(&q, &k, t, d);
    // Change the last word's key: no earlier row may change.
    let mut k2 = k.clone();
    k2[(t - 1) * d..].iter_mut().for_each(|x| *x += 3.0);
    let after = causal_attention(&q, &k2, t, d);
    assert_eq!(before[..(t - 1) * t], after[..(t - 1) * t], "rows 0..{} read the last word's key", t - 1);
    for i in 0..t {
        let row = &before[i * t..(i + 1) * t];
        assert!(row[i + 1..].iter().all(|&a| a == 0.0), "row {i} gives weight to later words: {row:?}");
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5, "row {i} sums to 1: {row:?}");
    }
}
