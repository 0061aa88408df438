//! Hidden test of exercise 1.4: the learner's softmax against the engine's.

use sideways::model::softmax_ce::softmax_row;
use sideways_exercises::softmax::softmax;

fn close(a: &[f32], b: &[f32], tol: f32) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
}

#[test]
fn softmax_matches_the_engine() {
    let rows: [&[f32]; 4] = [&[1.0, 2.0, 3.0], &[0.5; 7], &[-3.0, 0.0, 4.5, 1.25, -0.5], &[2.0]];
    for row in rows {
        let (mut mine, mut engine) = (row.to_vec(), row.to_vec());
        softmax(&mut mine);
        softmax_row(&mut engine);
        assert!(close(&mine, &engine, 1e-5), "softmax({row:?}): yours {mine:?}, the engine's {engine:?}");
    }
}

#[test]
fn softmax_is_safe_with_large_scores() {
    let mut row = vec![1000.0, 999.0, -1000.0];
    softmax(&mut row);
    assert!(
        row.iter().all(|p| p.is_finite()),
        "softmax of [1000, 999, -1000] gave {row:?}: subtract the maximum first"
    );
    assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5, "probabilities sum to 1: {row:?}");
    assert!((row[0] - 0.7310586).abs() < 1e-5, "p(1000) = 1 / (1 + e^-1): {row:?}");
}
