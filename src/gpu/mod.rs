//! The GPU backend: wgpu over Vulkan, Metal or DX12, with WGSL compute kernels that mirror the
//! CPU layers one for one, in files named like them (`shaders/linear.wgsl` beside
//! `model/linear.rs`). A model's whole training step runs on the device; only the batch's token
//! ids go up, and the loss and gradient norm come back.
//!
//! Built with the `gpu` feature (on by default). Without it [`adapters`] is empty and
//! [`Gpu::open`] says the build has no GPU support, so every GPU lane is refused with that line
//! and the CPU lanes run as before.

mod adapter;
#[cfg(feature = "gpu")]
mod buffer;
#[cfg(feature = "gpu")]
mod device;
#[cfg(feature = "gpu")]
pub mod kernels;

pub use adapter::{adapters, AdapterInfo, DeviceKind};
#[cfg(feature = "gpu")]
pub use buffer::{GpuBuf, View};
#[cfg(feature = "gpu")]
pub use device::Gpu;

/// Without the `gpu` feature: the type exists so that signatures need no `cfg`, and opening one
/// says what to do.
#[cfg(not(feature = "gpu"))]
pub struct Gpu;

#[cfg(not(feature = "gpu"))]
impl Gpu {
    pub fn open(_index: usize) -> crate::error::Result<std::sync::Arc<Gpu>> {
        Err(crate::error::Error::gpu(
            "this build has no GPU support",
            "build with the default features (`cargo build --release`) to race on a GPU",
        ))
    }
}
