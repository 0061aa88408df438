//! The standard intrinsic evaluations of word vectors.
//!
//! Analogies in the `questions-words.txt` form (Mikolov et al. 2013): `: section` lines, then
//! `a b c d` lines meaning a : b :: c : d; accuracy is the share whose top answer is d.
//! Word similarity in the WordSim-353 / SimLex form: `word1 word2 score` lines (tabs or spaces,
//! header lines allowed); the figure is Spearman's rank correlation between the human scores
//! and the cosines, over the pairs whose words both have vectors (the coverage).

use serde::Serialize;

use crate::error::{Error, Result};

use super::query::{Method, Similarity};

/// Results of one section of an analogy file.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Section {
    pub name: String,
    pub correct: usize,
    /// Questions answered (all four words known).
    pub answered: usize,
    /// Questions skipped because a word has no vector.
    pub skipped: usize,
}

impl Section {
    pub fn accuracy(&self) -> f32 {
        self.correct as f32 / self.answered.max(1) as f32
    }
}

/// Per-section and overall analogy results.
#[derive(Clone, Debug, Serialize)]
pub struct AnalogyReport {
    pub sections: Vec<Section>,
    pub total: Section,
}

/// Answer every question of an analogy file.
pub fn analogies(sim: &Similarity, text: &str, method: Method) -> Result<AnalogyReport> {
    let mut sections: Vec<Section> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix(':') {
            sections.push(Section { name: name.trim().to_string(), ..Default::default() });
            continue;
        }
        let words: Vec<String> = line.split_whitespace().map(str::to_lowercase).collect();
        let [a, b, c, d] = words.as_slice() else {
            return Err(Error::config(
                "analogy file",
                format!("line {}: {line:?}", i + 1),
                "each question is four words `a b c d` (a : b :: c : d)",
            ));
        };
        if sections.is_empty() {
            sections.push(Section { name: "(no section)".into(), ..Default::default() });
        }
        let section = sections.last_mut().expect("just pushed");
        match sim.analogy(a, b, c, 1, method) {
            Ok(answer) if sim.contains(d) => {
                section.answered += 1;
                section.correct += (answer.first().map(|s| s.word.as_str()) == Some(d)) as usize;
            }
            _ => section.skipped += 1,
        }
    }
    let mut total = Section { name: "total".into(), ..Default::default() };
    for s in &sections {
        total.correct += s.correct;
        total.answered += s.answered;
        total.skipped += s.skipped;
    }
    if total.answered + total.skipped == 0 {
        return Err(Error::config(
            "analogy file",
            "no questions in it",
            "each question is a line of four words `a b c d` (a : b :: c : d); `: name` lines start sections",
        ));
    }
    Ok(AnalogyReport { sections, total })
}

/// Spearman correlation and coverage on a word-similarity file.
#[derive(Clone, Debug, Serialize)]
pub struct SimilarityReport {
    pub spearman: f64,
    pub pairs: usize,
    pub covered: usize,
}

/// Score a word-similarity file.
pub fn similarity(sim: &Similarity, text: &str) -> Result<SimilarityReport> {
    let (mut human, mut model, mut pairs) = (Vec::new(), Vec::new(), 0);
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split(['\t', ' ', ',']).filter(|f| !f.is_empty()).collect();
        if fields.is_empty() || line.starts_with('#') {
            continue;
        }
        let score = fields.get(2).and_then(|s| s.parse::<f64>().ok());
        let Some(score) = score else {
            if pairs == 0 {
                continue; // a header line
            }
            return Err(Error::config(
                "similarity file",
                format!("line {}: {line:?}", i + 1),
                "each line is `word1 word2 score`",
            ));
        };
        pairs += 1;
        if let Ok(c) = sim.cosine(&fields[0].to_lowercase(), &fields[1].to_lowercase()) {
            human.push(score);
            model.push(c as f64);
        }
    }
    if human.len() < 2 {
        return Err(Error::config(
            "similarity file",
            format!("{} of {pairs} pairs covered", human.len()),
            "it needs at least two pairs whose words both have vectors",
        ));
    }
    Ok(SimilarityReport { spearman: spearman(&human, &model), pairs, covered: human.len() })
}

/// Spearman's ρ: Pearson's correlation of the ranks (ties get their mean rank).
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    let (rx, ry) = (ranks(x), ranks(y));
    let n = x.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let cov: f64 = rx.iter().zip(&ry).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = rx.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = ry.iter().map(|b| (b - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}

fn ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        for &k in &order[i..=j] {
            r[k] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_of_known_rankings() {
        assert!((spearman(&[1.0, 2.0, 3.0, 4.0], &[10.0, 20.0, 30.0, 40.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[1.0, 2.0, 3.0, 4.0], &[4.0, 3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        // Textbook example with ties: ranks [1.5, 1.5, 3, 4] vs [1, 2, 3, 4] → ρ = 0.9487.
        assert!((spearman(&[1.0, 1.0, 2.0, 3.0], &[1.0, 2.0, 3.0, 4.0]) - 0.948_683).abs() < 1e-5);
    }
}
