//! The GPU's parameter store: the four buffers of [`super::HostStore`] on the device, with
//! zeroing, clipping and the AdamW update as kernels. Only the gradient norm comes back.

use std::ops::Range;
use std::sync::Arc;

use super::adamw::AdamWConfig;
use super::store::{Buffer, Layout, ParamStore, Span};
use crate::error::Result;
use crate::gpu::kernels::{adamw, vecmath};
use crate::gpu::{Gpu, GpuBuf, View};
use crate::linalg::Exec;

/// A model's parameters, gradients and AdamW moments on a GPU.
pub struct DeviceStore {
    gpu: Arc<Gpu>,
    layout: Layout,
    pub values: GpuBuf,
    pub grads: GpuBuf,
    m: GpuBuf,
    v: GpuBuf,
    /// [‖g‖, clip factor], written by the clip kernels.
    norm: GpuBuf,
    partials: GpuBuf,
    steps: u64,
    frozen: Option<Range<usize>>,
}

/// The tensor at `span` of a device buffer.
pub fn view(buf: &GpuBuf, span: Span) -> View<'_> {
    buf.at(span.start, span.end - span.start)
}

impl DeviceStore {
    /// A store on `gpu` holding `values` (the moments and gradients start at zero).
    pub fn new(gpu: Arc<Gpu>, layout: Layout, values: &[f32]) -> Self {
        let n = layout.len();
        DeviceStore {
            values: gpu.upload(values),
            grads: gpu.zeros(n),
            m: gpu.zeros(n),
            v: gpu.zeros(n),
            norm: gpu.zeros(2),
            partials: gpu.zeros(adamw::PARTIALS),
            layout,
            gpu,
            steps: 0,
            frozen: None,
        }
    }

    pub fn gpu(&self) -> &Arc<Gpu> {
        &self.gpu
    }

    fn buffer(&self, b: Buffer) -> &GpuBuf {
        match b {
            Buffer::Values => &self.values,
            Buffer::Grads => &self.grads,
            Buffer::Moment1 => &self.m,
            Buffer::Moment2 => &self.v,
        }
    }
}

impl ParamStore for DeviceStore {
    fn layout(&self) -> &Layout {
        &self.layout
    }

    fn zero_grad(&mut self) {
        vecmath::fill(&self.gpu, self.grads.all(), 0.0);
    }

    fn clip_grads(&mut self, max_norm: f32) {
        if let Some(f) = &self.frozen {
            vecmath::fill(&self.gpu, self.grads.at(f.start, f.len()), 0.0);
        }
        adamw::clip_norm(&self.gpu, &self.norm, &self.partials, &self.grads, self.layout.len(), max_norm);
    }

    fn read_grad_norm(&self) -> f32 {
        let mut norm = [0.0f32];
        self.gpu.read_f32(&self.norm, 0, &mut norm);
        norm[0]
    }

    fn adamw_step(&mut self, config: &AdamWConfig, lr: f32, _exec: Exec) {
        self.steps += 1;
        let hyper = adamw::Hyper {
            lr,
            beta1: config.beta1,
            beta2: config.beta2,
            eps: config.eps,
            weight_decay: config.weight_decay,
        };
        let n = self.layout.len();
        // Every parameter but a frozen span: the ranges before and after it.
        let f = self.frozen.clone().unwrap_or(n..n);
        for r in [0..f.start, f.end..n].into_iter().filter(|r| !r.is_empty()) {
            adamw::update(&self.gpu, &self.values, &self.m, &self.v, &self.grads, &self.norm, r, hyper, self.steps);
        }
    }

    fn steps(&self) -> u64 {
        self.steps
    }

    fn set_steps(&mut self, steps: u64) {
        self.steps = steps;
    }

    fn set_frozen(&mut self, name: Option<&str>) -> Result<()> {
        self.frozen = name.map(|name| self.layout.range_of(name)).transpose()?;
        Ok(())
    }

    fn read(&self, buffer: Buffer, offset: usize, out: &mut [f32]) {
        self.gpu.read_f32(self.buffer(buffer), offset, out);
    }

    fn write(&mut self, buffer: Buffer, offset: usize, src: &[f32]) {
        self.gpu.write_f32(self.buffer(buffer), offset, src);
    }

    fn copy_values_from(&mut self, other: &dyn ParamStore) {
        assert_eq!(other.layout(), &self.layout, "copying values between different layouts");
        let values = other.to_vec(Buffer::Values);
        self.gpu.write_f32(&self.values, 0, &values);
    }
}
