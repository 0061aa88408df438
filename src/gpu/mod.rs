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

pub use adapter::{adapters, AdapterInfo, DeviceKind, GpuChoice};
#[cfg(feature = "gpu")]
pub use buffer::{GpuBuf, View};
#[cfg(feature = "gpu")]
pub use device::Gpu;

/// Open the GPU `choice` names among this machine's adapters.
pub fn open(choice: GpuChoice) -> crate::error::Result<std::sync::Arc<Gpu>> {
    Gpu::open(choice.resolve(&adapters())?)
}

/// Without the `gpu` feature: the type exists so that signatures need no `cfg`, and opening one
/// says what to do.
#[cfg(not(feature = "gpu"))]
pub enum Gpu {}

#[cfg(not(feature = "gpu"))]
impl Gpu {
    pub fn allocating<T>(&self, _what: &str, _allocate: impl FnOnce() -> T) -> crate::error::Result<T> {
        match *self {}
    }

    pub fn ensure_fits(&self, _what: &str, _total: u64, _largest: u64) -> crate::error::Result<()> {
        match *self {}
    }

    pub fn dispatches(&self) -> u64 {
        match *self {}
    }

    pub fn describe(&self) -> String {
        match *self {}
    }

    pub fn index(&self) -> usize {
        match *self {}
    }

    pub fn is_software(&self) -> bool {
        match *self {}
    }

    pub fn start_timer(&self) {
        match *self {}
    }

    pub fn stop_timer(&self) -> Option<f64> {
        match *self {}
    }

    pub fn open(_index: usize) -> crate::error::Result<std::sync::Arc<Gpu>> {
        Err(crate::error::Error::gpu(
            "this build has no GPU support",
            "build with the default features (`cargo build --release`) to race on a GPU",
        ))
    }
}
