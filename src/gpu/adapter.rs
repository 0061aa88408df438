//! What GPUs this machine has: `sideways devices`, and the choice of the default lanes.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What to do instead when there is no GPU to use, for `train --device` and race lanes alike.
pub(super) const CPU_INSTEAD: &str = "train on CPU threads (`--device cpu`, lanes such as rnn@2)";

/// What kind of device an adapter drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    Discrete,
    Integrated,
    Virtual,
    /// A driver that runs on the CPU (Mesa's lavapipe or llvmpipe, WARP): usable on request,
    /// never raced by default, always labelled.
    Software,
    Other,
}

/// One adapter: what `sideways devices` lists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdapterInfo {
    /// Its number in `@gpu:N`.
    pub index: usize,
    pub name: String,
    pub backend: String,
    pub kind: DeviceKind,
    pub driver: String,
    /// The largest storage buffer a kernel may bind, and the largest buffer.
    pub max_binding_bytes: u64,
    pub max_buffer_bytes: u64,
    pub max_workgroup_bytes: u32,
    pub max_invocations: u32,
    /// Whether kernels can receive their arguments as immediates (push constants), which the
    /// backend needs.
    pub immediates: bool,
    /// Whether GPU time can be measured with timestamp queries.
    pub timestamps: bool,
}

impl AdapterInfo {
    /// A GPU of silicon, raced by default.
    pub fn is_hardware(&self) -> bool {
        matches!(self.kind, DeviceKind::Discrete | DeviceKind::Integrated)
    }

    /// What a lane on it is called in tables: "H200 (discrete, Vulkan)", "llvmpipe (software)".
    pub fn describe(&self) -> String {
        let kind = match self.kind {
            DeviceKind::Discrete => "discrete",
            DeviceKind::Integrated => "integrated",
            DeviceKind::Virtual => "virtual",
            DeviceKind::Software => "software",
            DeviceKind::Other => "other",
        };
        format!("{} ({kind}, {})", self.name, self.backend)
    }
}

/// Which GPU a lane asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GpuChoice {
    /// `@gpu`: the first hardware GPU, or else the first adapter (a software one, labelled so).
    Best,
    /// `@gpu:N`: adapter N of `sideways devices`.
    Index(usize),
}

impl std::str::FromStr for GpuChoice {
    type Err = Error;
    /// `gpu` or `gpu:N`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::config("GPU", s, "write gpu (the first hardware GPU) or gpu:N (see sideways devices)");
        match s.trim() {
            "gpu" => Ok(GpuChoice::Best),
            other => other.strip_prefix("gpu:").and_then(|n| n.parse().ok()).map(GpuChoice::Index).ok_or_else(bad),
        }
    }
}

impl GpuChoice {
    /// The adapter this choice names among `found`, or why there is none.
    pub fn resolve(self, found: &[AdapterInfo]) -> Result<usize> {
        let none = || match cfg!(feature = "gpu") {
            true => Error::gpu(
                "no GPU was found",
                format!("{CPU_INSTEAD}, or install a Vulkan driver (Debian: mesa-vulkan-drivers libvulkan1)"),
            ),
            false => Error::gpu(
                "this build has no GPU support",
                format!("{CPU_INSTEAD}, or build with the default features (`cargo build --release`)"),
            ),
        };
        match self {
            GpuChoice::Best => {
                found.iter().find(|a| a.is_hardware()).or(found.first()).map(|a| a.index).ok_or_else(none)
            }
            GpuChoice::Index(i) if i < found.len() => Ok(i),
            GpuChoice::Index(i) => Err(match found.len() {
                0 => none(),
                n => Error::gpu(
                    format!("there is no GPU number {i}"),
                    match n {
                        1 => "this machine has one, gpu:0 (`--device gpu:0`, lanes such as rnn@gpu:0); `sideways devices` lists it".to_string(),
                        n => format!(
                            "this machine has {n}, gpu:0 to gpu:{} (`--device gpu:N`, lanes such as rnn@gpu:N); `sideways devices` lists them",
                            n - 1
                        ),
                    },
                ),
            }),
        }
    }
}

/// Every adapter wgpu finds (none without the `gpu` feature).
pub fn adapters() -> Vec<AdapterInfo> {
    #[cfg(feature = "gpu")]
    {
        super::device::enumerate().iter().enumerate().map(|(i, a)| describe(i, a)).collect()
    }
    #[cfg(not(feature = "gpu"))]
    {
        Vec::new()
    }
}

#[cfg(feature = "gpu")]
pub(super) fn describe(index: usize, a: &wgpu::Adapter) -> AdapterInfo {
    let info = a.get_info();
    let limits = a.limits();
    let features = a.features();
    AdapterInfo {
        index,
        name: info.name.clone(),
        backend: format!("{:?}", info.backend),
        kind: match info.device_type {
            wgpu::DeviceType::DiscreteGpu => DeviceKind::Discrete,
            wgpu::DeviceType::IntegratedGpu => DeviceKind::Integrated,
            wgpu::DeviceType::VirtualGpu => DeviceKind::Virtual,
            wgpu::DeviceType::Cpu => DeviceKind::Software,
            wgpu::DeviceType::Other => DeviceKind::Other,
        },
        driver: [info.driver.as_str(), info.driver_info.as_str()].join(" ").trim().to_string(),
        max_binding_bytes: limits.max_storage_buffer_binding_size,
        max_buffer_bytes: limits.max_buffer_size,
        max_workgroup_bytes: limits.max_compute_workgroup_storage_size,
        max_invocations: limits.max_compute_invocations_per_workgroup,
        immediates: features.contains(wgpu::Features::IMMEDIATES) && limits.max_immediate_size >= 128,
        timestamps: features.contains(wgpu::Features::TIMESTAMP_QUERY),
    }
}
