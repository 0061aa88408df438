//! Hidden test of exercise 5.3: the learner's skip-gram loss against an independent computation
//! in f64, and the gradients against finite differences of that loss.

use sideways_exercises::skipgram::skipgram;

const D: usize = 6;

fn numbers(count: usize, seed: u32) -> Vec<f32> {
    (0..count as u32)
        .map(|i| ((i.wrapping_mul(2_654_435_761) ^ seed.wrapping_mul(40_503)) % 1000) as f32 / 1000.0 - 0.5)
        .collect()
}

/// −ln σ(c·o) − Σ ln σ(−c·n), in f64.
fn loss(c: &[f32], o: &[f32], negatives: &[Vec<f32>]) -> f64 {
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum::<f64>();
    let log_sigmoid = |x: f64| -(1.0 + (-x).exp()).ln();
    -log_sigmoid(dot(c, o)) - negatives.iter().map(|n| log_sigmoid(-dot(c, n))).sum::<f64>()
}

#[test]
fn the_loss_and_its_gradients_are_right() {
    let (c, o) = (numbers(D, 1), numbers(D, 2));
    let negatives: Vec<Vec<f32>> = (3..6).map(|s| numbers(D, s)).collect();
    let g = skipgram(&c, &o, &negatives);
    let l = loss(&c, &o, &negatives);
    assert!((g.loss as f64 - l).abs() < 1e-4 * (1.0 + l), "loss: yours {}, expected {l}", g.loss);
    assert_eq!((g.d_center.len(), g.d_context.len(), g.d_negatives.len()), (D, D, negatives.len()));
    assert!(g.d_negatives.iter().all(|d| d.len() == D), "one gradient of {D} numbers per negative");
    // Central differences of the loss, one number at a time.
    let eps = 1e-3f32;
    let check = |name: &str, analytic: &[f32], nudge: &dyn Fn(usize, f32) -> f64| {
        for (i, &a) in analytic.iter().enumerate() {
            let numeric = (nudge(i, eps) - nudge(i, -eps)) / (2.0 * eps as f64);
            assert!((a as f64 - numeric).abs() < 1e-3, "{name}[{i}]: yours {a}, finite differences {numeric}");
        }
    };
    check("d_center", &g.d_center, &|i, e| {
        let mut c = c.clone();
        c[i] += e;
        loss(&c, &o, &negatives)
    });
    check("d_context", &g.d_context, &|i, e| {
        let mut o = o.clone();
        o[i] += e;
        loss(&c, &o, &negatives)
    });
    for k in 0..negatives.len() {
        check(&format!("d_negatives[{k}]"), &g.d_negatives[k], &|i, e| {
            let mut n = negatives.clone();
            n[k][i] += e;
            loss(&c, &o, &n)
        });
    }
}

#[test]
fn large_dot_products_give_finite_numbers() {
    // σ(±60) rounds to 1 or 0 in f32: ln σ must not be computed as the ln of that.
    let (c, o) = (vec![10.0; D], vec![1.0; D]);
    let negatives = [vec![-1.0; D], vec![1.0; D]];
    let (g, l) = (skipgram(&c, &o, &negatives), loss(&c, &o, &negatives));
    assert!(g.loss.is_finite() && (g.loss as f64 - l).abs() < 1e-3 * l, "loss: yours {}, expected {l}", g.loss);
    assert!(g.d_center.iter().chain(&g.d_context).all(|x| x.is_finite()), "finite gradients");
}

#[test]
fn a_pair_it_already_believes_costs_little() {
    let c = vec![1.0; D];
    let g = skipgram(&c, &c, &[vec![-1.0; D]]);
    assert!(g.loss < 0.01 && g.loss > 0.0, "σ(6) ≈ 1 and σ(−6) ≈ 0 give a loss near 0, not {}", g.loss);
}
