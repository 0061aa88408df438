//! What GPUs this machine has: `sideways devices`, and the choice of the default lanes.

use serde::{Deserialize, Serialize};

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
