//! Exercise 5.3: the gradient of skip-gram with negative sampling — a reference solution.

/// One pair's loss and gradients.
#[derive(Clone, Debug, PartialEq)]
pub struct SkipGramGrads {
    pub loss: f32,
    pub d_center: Vec<f32>,
    pub d_context: Vec<f32>,
    pub d_negatives: Vec<Vec<f32>>,
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// ln σ(x) = −ln(1 + e^(−x)), written so that neither a large nor a very negative x overflows.
fn ln_sigmoid(x: f32) -> f32 {
    -((-x).max(0.0) + (-x.abs()).exp().ln_1p())
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The loss and gradients of one (center, context) pair with its negative samples.
pub fn skipgram(center: &[f32], context: &[f32], negatives: &[Vec<f32>]) -> SkipGramGrads {
    let x = dot(center, context);
    let mut loss = -ln_sigmoid(x);
    let g = sigmoid(x) - 1.0;
    let mut d_center: Vec<f32> = context.iter().map(|o| g * o).collect();
    let d_context = center.iter().map(|c| g * c).collect();
    let mut d_negatives = Vec::new();
    for n in negatives {
        let x = dot(center, n);
        let s = sigmoid(x);
        loss -= ln_sigmoid(-x);
        d_center.iter_mut().zip(n).for_each(|(d, x)| *d += s * x);
        d_negatives.push(center.iter().map(|c| s * c).collect());
    }
    SkipGramGrads { loss, d_center, d_context, d_negatives }
}
