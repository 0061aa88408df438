//! The compute calculator: how long training takes, from the rule of thumb that training a
//! Transformer costs about 6 FLOPs per parameter per token (2 for the forward pass, 4 for the
//! backward pass; Kaplan et al. 2020). With GPT-3's 175 billion parameters and 300 billion
//! tokens that is 3.15e23 FLOPs: 356 years on one GPU sustaining 28 TFLOP/s — the article's
//! "355 GPU-years" (the GPT-3 paper's own total, 3.14e23, gives 355) — or about five days on
//! 25,000 such GPUs if the work divides perfectly.

use serde::Serialize;

/// Seconds in a Julian year.
pub const YEAR: f64 = 365.25 * 24.0 * 3600.0;
pub const DAY: f64 = 24.0 * 3600.0;

/// A model with its published size and training tokens.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct KnownModel {
    pub name: &'static str,
    pub params: f64,
    pub tokens: f64,
    /// Where the numbers come from.
    pub source: &'static str,
}

/// Well-known models, with parameter and token counts from their papers.
pub const KNOWN_MODELS: [KnownModel; 5] = [
    KnownModel {
        name: "gpt3",
        params: 175e9,
        tokens: 300e9,
        source: "Brown et al. 2020, Language Models are Few-Shot Learners",
    },
    KnownModel {
        name: "bert-large",
        params: 340e6,
        tokens: 131e9,
        source: "Devlin et al. 2019: 1M steps x 256 sequences x 512 tokens",
    },
    KnownModel {
        name: "chinchilla",
        params: 70e9,
        tokens: 1.4e12,
        source: "Hoffmann et al. 2022, Training Compute-Optimal LLMs",
    },
    KnownModel { name: "llama2-7b", params: 7e9, tokens: 2e12, source: "Touvron et al. 2023, Llama 2" },
    KnownModel { name: "llama2-70b", params: 70e9, tokens: 2e12, source: "Touvron et al. 2023, Llama 2" },
];

/// Look up a preset by name.
pub fn known_model(name: &str) -> Option<KnownModel> {
    KNOWN_MODELS.iter().copied().find(|p| p.name.eq_ignore_ascii_case(name))
}

/// Training FLOPs ≈ 6 · parameters · tokens.
pub fn training_flops(params: f64, tokens: f64) -> f64 {
    6.0 * params * tokens
}

/// One row of the answer: how long on some hardware.
#[derive(Clone, Debug, Serialize)]
pub struct Estimate {
    pub flops: f64,
    /// Sustained FLOP/s of one device.
    pub flops_per_device: f64,
    pub devices: f64,
    pub seconds: f64,
}

impl Estimate {
    /// Time for `flops` on `devices` devices of `flops_per_device` each, perfectly parallel.
    pub fn new(flops: f64, flops_per_device: f64, devices: f64) -> Self {
        Estimate { flops, flops_per_device, devices, seconds: flops / (flops_per_device * devices) }
    }

    pub fn years(&self) -> f64 {
        self.seconds / YEAR
    }
}

/// A duration in the largest unit that reads well ("356 years", "5.2 days", "3.1 hours").
pub fn human(seconds: f64) -> String {
    match seconds {
        s if s >= 2.0 * YEAR => format!("{} years", sig3(s / YEAR)),
        s if s >= 2.0 * DAY => format!("{} days", sig3(s / DAY)),
        s if s >= 7200.0 => format!("{} hours", sig3(s / 3600.0)),
        s if s >= 120.0 => format!("{} minutes", sig3(s / 60.0)),
        s => format!("{} seconds", sig3(s)),
    }
}

/// Three significant figures, without an exponent for everyday magnitudes.
pub fn sig3(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = x.abs().log10().floor() as i32;
    if !(-3..9).contains(&digits) {
        return format!("{x:.2e}");
    }
    let decimals = (2 - digits).max(0) as usize;
    let s = format!("{x:.decimals$}");
    // 356 years, 1,230,000 years: group the thousands of whole numbers.
    if decimals == 0 {
        let n = s.trim_start_matches('-');
        let grouped: String = n
            .chars()
            .rev()
            .collect::<Vec<_>>()
            .chunks(3)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(",")
            .chars()
            .rev()
            .collect();
        return if x < 0.0 { format!("-{grouped}") } else { grouped };
    }
    s
}

/// Corpus sizes from the sequence models of the 2010s to today's, in tokens.
pub const DATA_SCALE: [(&str, f64); 7] = [
    ("Penn Treebank (1990s-2010s language-model benchmark)", 1e6),
    ("this lab's default corpus", 1e6),
    ("WikiText-103 (2016)", 103e6),
    ("One Billion Word benchmark (2013)", 0.8e9),
    ("BERT's books + Wikipedia (2018)", 3.3e9),
    ("GPT-3 (2020)", 300e9),
    ("Llama 2 (2023)", 2e12),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpt3_takes_about_355_gpu_years() {
        let g = known_model("gpt3").unwrap();
        let flops = training_flops(g.params, g.tokens);
        assert!((flops - 3.15e23).abs() < 1e20);
        let one = Estimate::new(flops, 28e12, 1.0);
        assert!((355.0..=357.0).contains(&one.years()), "{}", one.years());
        assert!((Estimate::new(3.14e23, 28e12, 1.0).years() - 355.4).abs() < 0.1);
        let many = Estimate::new(flops, 28e12, 25_000.0);
        assert!((many.seconds / DAY - 5.21).abs() < 0.01, "{} days", many.seconds / DAY);
        assert_eq!(human(one.seconds), "356 years");
        assert_eq!(human(many.seconds), "5.21 days");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(sig3(1234567.0), "1,234,567");
        assert_eq!(sig3(12.345), "12.3");
        assert_eq!(sig3(0.01234), "0.0123");
        assert_eq!(sig3(3.2e12), "3.20e12");
        assert_eq!(human(90.0), "90.0 seconds");
    }
}
