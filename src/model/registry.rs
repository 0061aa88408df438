//! The models sideways knows, in one place. Adding a model is its own file (its config type
//! implementing [`ModelSpec`], its network implementing [`super::LanguageModel`]) plus one entry
//! here: a variant of [`ModelConfig`], its two arms in `spec` / `spec_mut`, and a line in
//! [`MODELS`]. Everything else — training, races, benches, the dashboard, the summary — asks
//! the registry and the trait, and never names a model.

use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::mingru::{self, MinGruConfig};
use super::rnn::{self, RnnConfig};
use super::spec::{check_range, ModelSpec, SizeOverrides, MAX_PARAMS, MAX_VOCAB, MAX_WIDTH};
use super::transformer::{self, TransformerConfig};
use super::LanguageModel;
use crate::error::{Error, Result};
use crate::gpu::Gpu;
use crate::linalg::machine;

/// One architecture: its name and its standard configuration.
pub struct Entry {
    /// What `--model`, lanes (`rnn@2`) and files call it.
    pub name: &'static str,
    /// The standard configuration (bench-config.md) for a vocabulary of this size.
    pub standard: fn(vocab_size: usize) -> ModelConfig,
}

/// Every model, in the order races and tables show them.
pub const MODELS: [Entry; 3] = [rnn::ENTRY, transformer::ENTRY, mingru::ENTRY];

/// A model's configuration; serialised with its name as `"kind"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ModelConfig {
    Rnn(RnnConfig),
    Transformer(TransformerConfig),
    MinGru(MinGruConfig),
}

impl ModelConfig {
    /// The configuration's own arithmetic (the one dispatch on the model).
    pub fn spec(&self) -> &dyn ModelSpec {
        match self {
            ModelConfig::Rnn(c) => c,
            ModelConfig::Transformer(c) => c,
            ModelConfig::MinGru(c) => c,
        }
    }

    fn spec_mut(&mut self) -> &mut dyn ModelSpec {
        match self {
            ModelConfig::Rnn(c) => c,
            ModelConfig::Transformer(c) => c,
            ModelConfig::MinGru(c) => c,
        }
    }

    /// Which architecture.
    pub fn kind(&self) -> ModelKind {
        ModelKind(self.spec().name())
    }

    /// The standard configuration of `kind` with `sizes` applied, for windows of `seq_len`.
    pub fn new(kind: ModelKind, vocab_size: usize, sizes: &SizeOverrides, seq_len: usize) -> Self {
        let mut c = kind.standard(vocab_size);
        c.spec_mut().resize(sizes, seq_len);
        c
    }

    pub fn vocab_size(&self) -> usize {
        self.spec().vocab_size()
    }

    pub fn d_model(&self) -> usize {
        self.spec().d_model()
    }

    pub fn context_len(&self) -> Option<usize> {
        self.spec().context_len()
    }

    /// Number of parameters: the length of the model's layout.
    pub fn param_count(&self) -> usize {
        self.spec().layout().len()
    }

    /// The parameter count as messages write it: "86,188,257".
    fn parameters(&self) -> String {
        crate::units::thousands(self.param_count() as f64)
    }

    /// Refuse zero, absurd or inconsistent sizes with a message that says what would work.
    pub fn validate(&self) -> Result<()> {
        check_range("vocab size", self.vocab_size(), MAX_VOCAB)?;
        check_range("width (d_model)", self.d_model(), MAX_WIDTH)?;
        self.spec().validate_sizes()?;
        let n = self.param_count();
        if n > MAX_PARAMS {
            return Err(Error::config(
                "model size",
                format!("{n} parameters"),
                "use smaller sizes (at most 2^31 parameters)",
            ));
        }
        Ok(())
    }

    /// Bytes of the model's store: values, gradients and AdamW's two moments.
    pub fn store_bytes(&self) -> u64 {
        16 * self.param_count() as u64
    }

    /// Bytes the activations of one forward + backward on `batch` windows of `seq_len` take on
    /// `threads` CPU threads.
    pub fn activation_bytes(&self, batch: usize, seq_len: usize, threads: usize) -> u64 {
        (4.0 * self.spec().activation_floats(batch, seq_len, threads)).min(u64::MAX as f64) as u64
    }

    /// [`ModelConfig::activation_bytes`] on a GPU.
    pub fn device_activation_bytes(&self, batch: usize, seq_len: usize) -> u64 {
        (4.0 * self.spec().device_activation_floats(batch, seq_len)).min(u64::MAX as f64) as u64
    }

    /// Bytes of the largest single buffer a forward + backward on `batch` windows of `seq_len`
    /// allocates.
    pub fn largest_activation_bytes(&self, batch: usize, seq_len: usize) -> u64 {
        (4.0 * self.spec().largest_activation_floats(batch, seq_len)).min(u64::MAX as f64) as u64
    }

    /// A model with fresh seeded weights (refused before anything is allocated when its store
    /// would not fit in memory).
    pub fn build(&self, seed: u64) -> Result<Box<dyn LanguageModel>> {
        self.validate()?;
        let what =
            format!("a {} of {} parameters (values, gradients, AdamW's moments)", self.kind(), self.parameters());
        machine::ensure_memory(what, self.store_bytes(), "use smaller sizes (--d-model, --layers, --vocab-size)")?;
        Ok(self.spec().build(seed))
    }

    /// [`ModelConfig::build`] on `gpu`: the same starting weights, refused with an error when
    /// its store does not fit in the device's memory or buffers.
    pub fn build_gpu(&self, seed: u64, gpu: &Arc<Gpu>) -> Result<Box<dyn LanguageModel>> {
        self.validate()?;
        let what = format!("a {} of {} parameters", self.kind(), self.parameters());
        gpu.ensure_fits(&what, self.store_bytes(), 4 * self.param_count() as u64)?;
        gpu.allocating(&what, || self.spec().build_gpu(seed, gpu.clone()))?
    }
}

/// An architecture, by its registered name. Serialised as the name ("rnn").
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModelKind(&'static str);

impl ModelKind {
    /// Every registered model.
    pub fn all() -> impl Iterator<Item = ModelKind> {
        MODELS.iter().map(|e| ModelKind(e.name))
    }

    pub fn name(self) -> &'static str {
        self.0
    }

    fn entry(self) -> &'static Entry {
        MODELS.iter().find(|e| e.name == self.0).expect("a ModelKind names a registered model")
    }

    /// The standard configuration for a vocabulary of `vocab_size` words.
    pub fn standard(self, vocab_size: usize) -> ModelConfig {
        (self.entry().standard)(vocab_size)
    }

    /// The registered names, for error messages: "`rnn`, `transformer` or `mingru`".
    pub fn choices() -> String {
        let names: Vec<String> = MODELS.iter().map(|e| format!("`{}`", e.name)).collect();
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => names.concat(),
        }
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::fmt::Debug for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl FromStr for ModelKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim().to_ascii_lowercase();
        MODELS
            .iter()
            .find(|e| e.name == wanted)
            .map(|e| ModelKind(e.name))
            .ok_or_else(|| Error::config("model", s, format!("use {}", ModelKind::choices())))
    }
}

impl Serialize for ModelKind {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for ModelKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_consistent_with_its_configuration() {
        for kind in ModelKind::all() {
            let c = kind.standard(100);
            assert_eq!(c.kind(), kind);
            let tag = serde_json::to_value(c).unwrap()["kind"].clone();
            assert_eq!(tag, kind.name(), "the serialised tag of {kind}'s configuration is its name");
            assert_eq!(kind.to_string().parse::<ModelKind>().unwrap(), kind);
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<ModelConfig>(&json).unwrap(), c);
            c.validate().unwrap();
        }
        let e = "lstm".parse::<ModelKind>().unwrap_err().to_string();
        assert!(e.contains("`rnn`, `transformer` or `mingru`"), "{e}");
    }
}
