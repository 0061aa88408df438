//! Checkpoints: one portable little-endian file with everything needed to predict or resume.
//!
//! ```text
//! "SIDEWAYS"                 8 bytes, magic
//! format version             u32
//! header length              u64
//! header                     JSON: configs, vocabulary, step, tensor names and shapes
//! parameter count n          u64
//! parameters, m, v           3 × n f32 (AdamW's moments, for an exact resume)
//! CRC-32 of all of the above u32
//! ```
//! Sizes are checked against the file length (with checked arithmetic) before anything is
//! allocated, and the CRC catches corruption. Files are written to a temporary name and renamed,
//! so a crash never leaves a half-written checkpoint under the real name. The store's buffers
//! travel through its explicit copies ([`ParamStore::read`] / [`ParamStore::write`]), so a
//! checkpoint loads on any device whatever device wrote it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::trainer::{TrainConfig, Trainer};
use crate::data::{Corpus, DataConfig, Dataset, Vocab};
use crate::error::{Error, Result};
use crate::fsio::write_atomically;
use crate::gpu::Gpu;
use crate::linalg::Threads;
use crate::model::{Buffer, LanguageModel, ModelConfig, ParamStore, TensorSpec};

const MAGIC: &[u8; 8] = b"SIDEWAYS";

/// What a save may replace: a checkpoint (or an empty file), never a corpus named by mistake.
pub const CHECKPOINT_FILE: crate::fsio::Kind =
    crate::fsio::Kind { name: "a sideways checkpoint", begins: |b| b.starts_with(MAGIC) };
/// Bump when the layout of the file changes.
pub const FORMAT_VERSION: u32 = 1;

/// The JSON part of a checkpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Header {
    pub model: ModelConfig,
    pub train: TrainConfig,
    pub data: DataConfig,
    /// Name of the corpus the run trained on (`default` for the embedded one).
    pub corpus: String,
    /// CRC of the token stream, to refuse a resume on other data.
    pub data_fingerprint: u32,
    /// Steps completed.
    pub step: u64,
    pub vocab: Vocab,
    pub tensors: Vec<TensorSpec>,
}

/// A checkpoint in memory.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    /// The file it was read from (empty for one made in memory).
    pub path: PathBuf,
    pub header: Header,
    pub params: Vec<f32>,
    /// AdamW's first and second moments.
    pub m: Vec<f32>,
    pub v: Vec<f32>,
}

impl Checkpoint {
    /// Write atomically (see `fsio`); a model holding values that are not finite numbers is
    /// refused, so a checkpoint always holds a model that can resume.
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(problem) = self.non_finite() {
            return Err(Error::Checkpoint {
                path: path.to_path_buf(),
                problem,
                hint: "nothing was written; lower the learning rate and train again".into(),
            });
        }
        write_atomically(path, &self.to_bytes())
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&self.header).expect("a header always serialises");
        let n = self.params.len();
        let mut bytes = Vec::with_capacity(32 + header.len() + 12 * n);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(header.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&header);
        bytes.extend_from_slice(&(n as u64).to_le_bytes());
        for buf in [&self.params, &self.m, &self.v] {
            for x in buf.iter() {
                bytes.extend_from_slice(&x.to_le_bytes());
            }
        }
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        bytes
    }

    /// Read and validate a checkpoint.
    pub fn load(path: &Path) -> Result<Checkpoint> {
        let hint = "check the checkpoint path (written by `sideways train --save`)";
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
            let e = std::io::Error::other("not a regular file");
            return Err(Error::io(path, e, "give a checkpoint file"));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e, hint))?;
        Checkpoint::from_bytes(&bytes, path)
    }

    /// Validate a checkpoint's bytes (`path` names it in errors).
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Checkpoint> {
        let bad = |problem: String, hint: &str| Error::Checkpoint {
            path: path.to_path_buf(),
            problem,
            hint: hint.to_string(),
        };
        let corrupt = "the file is damaged; use another checkpoint or train again";
        if bytes.len() < 8 || &bytes[..8] != MAGIC {
            return Err(bad(
                "not a sideways checkpoint (no SIDEWAYS magic at byte 0)".into(),
                "give a file written by `sideways train --save`",
            ));
        }
        let mut r = Reader { bytes, pos: 8 };
        let version = r.u32().ok_or_else(|| bad("truncated in the header".into(), corrupt))?;
        if version != FORMAT_VERSION {
            return Err(bad(
                format!("format version {version}, but this build reads version {FORMAT_VERSION}"),
                "use the sideways version that wrote it, or train again",
            ));
        }
        let header_len = r.u64().ok_or_else(|| bad("truncated in the header".into(), corrupt))?;
        // Every length is checked against what is left of the file before it is used.
        let header = r.take(header_len).ok_or_else(|| {
            bad(format!("truncated: header of {header_len} bytes announced, {} left", r.left()), corrupt)
        })?;
        let n = r.u64().ok_or_else(|| bad("truncated before the parameters".into(), corrupt))?;
        let left = r.left() as u64;
        match n.checked_mul(12).and_then(|p| p.checked_add(4)) {
            Some(need) if need == left => {}
            Some(need) if n <= left => {
                let problem =
                    format!("truncated or padded: {n} parameters need {need} more bytes, the file has {left}");
                return Err(bad(problem, corrupt));
            }
            _ => {
                return Err(bad(format!("it announces {n} parameters, more than its {left} bytes left hold"), corrupt))
            }
        }
        let body_end = bytes.len() - 4;
        let stored =
            u32::from_le_bytes([bytes[body_end], bytes[body_end + 1], bytes[body_end + 2], bytes[body_end + 3]]);
        if crc32fast::hash(&bytes[..body_end]) != stored {
            return Err(bad("checksum mismatch: its bytes are not the ones that were saved".into(), corrupt));
        }
        let header: Header =
            serde_json::from_slice(header).map_err(|e| bad(format!("unreadable header: {e}"), corrupt))?;
        // n · 12 + 4 bytes remain (checked above), so each of the three blocks is n · 4 bytes.
        let n = n as usize;
        let floats = |block: usize| -> Vec<f32> {
            let start = r.pos + block * 4 * n;
            bytes[start..start + 4 * n].chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
        };
        let (params, m, v) = (floats(0), floats(1), floats(2));
        header.model.validate()?;
        let expected = header.model.param_count();
        if n != expected {
            return Err(bad(format!("holds {n} parameters but its model configuration needs {expected}"), corrupt));
        }
        let listed = header.tensors.iter().try_fold(0usize, |sum, t| {
            let len = t.shape.iter().try_fold(1usize, |p, &d| p.checked_mul(d))?;
            sum.checked_add(len)
        });
        if listed != Some(n) {
            let listed = listed.map_or("more than can be counted".to_string(), |l| l.to_string());
            return Err(bad(format!("its tensor list adds up to {listed} parameters, but it holds {n}"), corrupt));
        }
        if header.vocab.len() != header.model.vocab_size() {
            return Err(bad(
                format!("vocabulary of {} words for a model of {}", header.vocab.len(), header.model.vocab_size()),
                corrupt,
            ));
        }
        let ckpt = Checkpoint { path: path.to_path_buf(), header, params, m, v };
        if let Some(problem) = ckpt.non_finite() {
            return Err(bad(problem, corrupt));
        }
        Ok(ckpt)
    }

    /// Where the first value that is not a finite number sits, if there is one.
    fn non_finite(&self) -> Option<String> {
        for (what, buf) in [("parameter", &self.params), ("first moment", &self.m), ("second moment", &self.v)] {
            if let Some(i) = buf.iter().position(|x| !x.is_finite()) {
                let tensor = self.header.tensors.iter().find(|t| t.range().contains(&i));
                let place = tensor.map_or(format!("entry {i}"), |t| format!("{}[{}]", t.name, i - t.offset));
                return Some(format!("{what} {place} is {}, not a finite number", buf[i]));
            }
        }
        None
    }

    /// Build the model this checkpoint describes, with its trained weights and optimizer state;
    /// refuses a file whose tensor names or shapes differ from this build's model.
    pub fn model(&self) -> Result<Box<dyn LanguageModel>> {
        self.model_on(None)
    }

    /// [`Checkpoint::model`] on `gpu` (`None`: the CPU).
    pub fn model_on(&self, gpu: Option<&Arc<Gpu>>) -> Result<Box<dyn LanguageModel>> {
        let mut model = match gpu {
            None => self.header.model.build(0)?,
            Some(g) => self.header.model.build_gpu(0, g)?,
        };
        let store = model.store_mut();
        if store.layout().specs() != self.header.tensors.as_slice() {
            return Err(Error::Checkpoint {
                path: self.path.clone(),
                problem: "its tensor names or shapes differ from this build's model".into(),
                hint: "use the sideways version that wrote it, or train again".into(),
            });
        }
        store.write(Buffer::Values, 0, &self.params);
        store.write(Buffer::Moment1, 0, &self.m);
        store.write(Buffer::Moment2, 0, &self.v);
        store.set_steps(self.header.step);
        Ok(model)
    }
}

impl Trainer {
    /// Everything needed to predict with this model or to resume this run.
    pub fn checkpoint(&self) -> Checkpoint {
        let data = self.data();
        let store: &dyn ParamStore = self.model().store();
        Checkpoint {
            path: Default::default(),
            header: Header {
                model: self.model().config(),
                train: *self.config(),
                data: data.config,
                corpus: data.name.clone(),
                data_fingerprint: data.fingerprint(),
                step: self.steps_done(),
                vocab: data.vocab.clone(),
                tensors: store.layout().specs().to_vec(),
            },
            params: store.to_vec(Buffer::Values),
            m: store.to_vec(Buffer::Moment1),
            v: store.to_vec(Buffer::Moment2),
        }
    }

    /// Resume the run saved in `ckpt` on `corpus` (which must be the corpus it trained on).
    pub fn resume(ckpt: &Checkpoint, corpus: &Corpus, threads: Threads) -> Result<Trainer> {
        Self::resume_on(ckpt, corpus, threads, None)
    }

    /// [`Trainer::resume`] on `gpu` (`None`: the CPU): a checkpoint does not say where it was
    /// trained.
    pub fn resume_on(ckpt: &Checkpoint, corpus: &Corpus, threads: Threads, gpu: Option<&Arc<Gpu>>) -> Result<Trainer> {
        let h = &ckpt.header;
        let data = Dataset::with_vocab(corpus, h.vocab.clone(), h.data)?;
        if data.fingerprint() != h.data_fingerprint {
            return Err(Error::corpus(
                &corpus.name,
                format!("it differs from the corpus the checkpoint was trained on ({})", h.corpus),
                if h.corpus == "default" {
                    "leave out --corpus to use the default corpus".to_string()
                } else {
                    format!("pass --corpus with the same text as {}", h.corpus)
                },
            ));
        }
        Trainer::new(ckpt.model_on(gpu)?, Arc::new(data), h.train, threads)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// The next `n` bytes, if the file has them.
    fn take(&mut self, n: u64) -> Option<&'a [u8]> {
        let n = usize::try_from(n).ok().filter(|&n| n <= self.left())?;
        self.pos += n;
        Some(&self.bytes[self.pos - n..self.pos])
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Option<u64> {
        self.take(8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes)
    }
}
