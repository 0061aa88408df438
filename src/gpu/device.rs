//! One opened GPU: the wgpu device and queue, the compiled kernels, and the command encoder
//! that a step's dispatches are recorded into.
//!
//! Kernels receive their sizes and offsets as immediates (push constants): no small uniform
//! buffer is created per dispatch. Dispatches are recorded into one encoder and submitted when
//! the host needs a result back (a read), when new data goes up, or by [`Gpu::flush`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::adapter::{describe, AdapterInfo, DeviceKind, CPU_INSTEAD};
use super::buffer::GpuBuf;
use crate::error::{Error, Result};

/// How a kernel uses one of its buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    ReadWrite,
}

/// A compute kernel: a WGSL entry point and the buffers it binds, as (binding number, access)
/// in the order the caller passes them. One shader file holds a layer's forward and backward
/// entry points, each with its own binding numbers.
pub struct Kernel {
    pub name: &'static str,
    pub source: &'static str,
    pub entry: &'static str,
    pub bindings: &'static [(u32, Access)],
}

/// Bytes of immediates every pipeline reserves (the smallest maximum adapters must offer).
const IMMEDIATE_BYTES: u32 = 128;

/// Invocations of the one-dimensional kernels' workgroups (`@workgroup_size(256)`).
pub const WORKGROUP: u32 = 256;

/// The most workgroups along one dimension of a dispatch.
const MAX_GROUPS: u32 = 65_535;

/// What to do about a model or batch too large for the device.
const TOO_BIG: &str =
    "use smaller sizes (--batch-size, --seq-len, --d-model, --vocab-size), a GPU with more memory, or CPU threads";

/// A compiled kernel.
struct Pipeline {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

/// An opened GPU.
pub struct Gpu {
    pub info: AdapterInfo,
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipelines: Mutex<HashMap<&'static str, Arc<Pipeline>>>,
    encoder: Mutex<Option<wgpu::CommandEncoder>>,
    dispatches: AtomicU64,
    /// Bytes of the largest buffer asked for beyond what a kernel can bind, since the last
    /// [`Gpu::allocating`].
    oversized: AtomicU64,
    /// Timestamp queries around a stretch of work (adapters that support them).
    timer: Option<Timer>,
}

/// Two timestamps: the start of the first kernel after [`Gpu::start_timer`] and the end of the
/// last one before [`Gpu::stop_timer`].
struct Timer {
    queries: wgpu::QuerySet,
    resolved: GpuBuf,
    phase: Mutex<Phase>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    /// The next kernel writes the start.
    Armed,
    /// Every kernel writes the end; the last one's stays.
    Running,
}

fn instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env())
}

/// The adapters wgpu finds, in its order.
pub(super) fn enumerate() -> Vec<wgpu::Adapter> {
    pollster::block_on(instance().enumerate_adapters(wgpu::Backends::PRIMARY))
}

impl Gpu {
    /// Open adapter `index` (of [`super::adapters`]) with its own limits.
    pub fn open(index: usize) -> Result<Arc<Gpu>> {
        let adapters = enumerate();
        let Some(adapter) = adapters.get(index) else {
            let hint = match adapters.len() {
                0 => format!("no GPU was found: {CPU_INSTEAD}, or install a Vulkan driver"),
                n => format!("this machine has {n} GPU(s), gpu:0 to gpu:{} (`sideways devices` lists them)", n - 1),
            };
            return Err(Error::gpu(format!("there is no GPU number {index}"), hint));
        };
        let info = describe(index, adapter);
        if !info.immediates {
            return Err(Error::gpu(
                format!("{} cannot pass kernel arguments as immediates (push constants)", info.name),
                format!("use another GPU, or {CPU_INSTEAD}"),
            ));
        }
        let mut limits = adapter.limits();
        limits.max_immediate_size = IMMEDIATE_BYTES;
        let mut features = wgpu::Features::IMMEDIATES;
        if info.timestamps {
            features |= wgpu::Features::TIMESTAMP_QUERY;
        }
        let desc = wgpu::DeviceDescriptor {
            label: Some("sideways"),
            required_features: features,
            required_limits: limits,
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&desc))
            .map_err(|e| Error::gpu(format!("{} refused a device: {e}", info.name), "use another GPU"))?;
        let timer = info.timestamps.then(|| Timer {
            queries: device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("step time"),
                ty: wgpu::QueryType::Timestamp,
                count: 2,
            }),
            resolved: GpuBuf::new(
                device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("step time"),
                    size: 16,
                    usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                    mapped_at_creation: false,
                }),
                4,
            ),
            phase: Mutex::new(Phase::Idle),
        });
        Ok(Arc::new(Gpu {
            timer,
            info,
            device,
            queue,
            pipelines: Mutex::new(HashMap::new()),
            encoder: Mutex::new(None),
            dispatches: AtomicU64::new(0),
            oversized: AtomicU64::new(0),
        }))
    }

    /// What tables call it: "llvmpipe (software, Vulkan)".
    pub fn describe(&self) -> String {
        self.info.describe()
    }

    /// Its number among the adapters (`@gpu:N`).
    pub fn index(&self) -> usize {
        self.info.index
    }

    /// Whether it is a driver that runs the kernels on the CPU (Mesa's lavapipe, WARP).
    pub fn is_software(&self) -> bool {
        self.info.kind == DeviceKind::Software
    }

    /// Kernels dispatched since the device was opened.
    pub fn dispatches(&self) -> u64 {
        self.dispatches.load(Ordering::Relaxed)
    }

    fn pipeline(&self, kernel: &Kernel) -> Arc<Pipeline> {
        let mut cache = self.pipelines.lock().expect("no panic while compiling");
        let compiled = cache.entry(kernel.name).or_insert_with(|| {
            let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(kernel.name),
                source: wgpu::ShaderSource::Wgsl(kernel.source.into()),
            });
            let entries: Vec<wgpu::BindGroupLayoutEntry> = kernel
                .bindings
                .iter()
                .map(|&(binding, access)| wgpu::BindGroupLayoutEntry {
                    binding,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Storage { read_only: access == Access::Read },
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                })
                .collect();
            let layout = self.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(kernel.name),
                entries: &entries,
            });
            let pipeline_layout = self.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(kernel.name),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: IMMEDIATE_BYTES,
            });
            let pipeline = self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(kernel.name),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some(kernel.entry),
                compilation_options: Default::default(),
                cache: None,
            });
            Arc::new(Pipeline { pipeline, layout })
        });
        compiled.clone()
    }

    /// Record one dispatch of `kernel` over `groups` workgroups, with `buffers` bound in order
    /// and `args` (32-bit words) as its immediates.
    pub fn dispatch(&self, kernel: &Kernel, buffers: &[&GpuBuf], args: &[u32], groups: [u32; 3]) {
        assert_eq!(buffers.len(), kernel.bindings.len(), "{}: wrong number of buffers", kernel.name);
        assert!(args.len() * 4 <= IMMEDIATE_BYTES as usize, "{}: too many arguments", kernel.name);
        if groups.contains(&0) {
            return;
        }
        let p = self.pipeline(kernel);
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .zip(kernel.bindings)
            .map(|(b, &(binding, _))| wgpu::BindGroupEntry { binding, resource: b.buffer().as_entire_binding() })
            .collect();
        let bind = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(kernel.name),
            layout: &p.layout,
            entries: &entries,
        });
        let bytes: Vec<u8> = args.iter().flat_map(|w| w.to_le_bytes()).collect();
        let mut encoder = self.encoder.lock().expect("no panic while recording");
        let encoder = encoder.get_or_insert_with(|| {
            self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("step") })
        });
        let timestamp_writes = self.timer.as_ref().and_then(|t| {
            let mut phase = t.phase.lock().expect("no panic while timing");
            let beginning = (*phase == Phase::Armed).then_some(0);
            if *phase == Phase::Idle {
                return None;
            }
            *phase = Phase::Running;
            let queries = &t.queries;
            Some(wgpu::ComputePassTimestampWrites {
                query_set: queries,
                beginning_of_pass_write_index: beginning,
                end_of_pass_write_index: Some(1),
            })
        });
        let mut pass =
            encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(kernel.name), timestamp_writes });
        pass.set_pipeline(&p.pipeline);
        pass.set_bind_group(0, &bind, &[]);
        if !bytes.is_empty() {
            pass.set_immediates(0, &bytes);
        }
        pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
        drop(pass);
        self.dispatches.fetch_add(1, Ordering::Relaxed);
    }

    /// Time the kernels recorded from now until [`Gpu::stop_timer`] (where the adapter supports
    /// timestamp queries).
    pub fn start_timer(&self) {
        if let Some(t) = &self.timer {
            *t.phase.lock().expect("no panic while timing") = Phase::Armed;
        }
    }

    /// Seconds from the start of the first kernel since [`Gpu::start_timer`] to the end of the
    /// last, measured by the device's own clock (it includes any time the device waited for the
    /// host in between); `None` without timestamp queries or kernels.
    pub fn stop_timer(&self) -> Option<f64> {
        let t = self.timer.as_ref()?;
        let ran =
            std::mem::replace(&mut *t.phase.lock().expect("no panic while timing"), Phase::Idle) == Phase::Running;
        if !ran {
            return None;
        }
        {
            let mut encoder = self.encoder.lock().expect("no panic while recording");
            let encoder = encoder.get_or_insert_with(|| {
                self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("step") })
            });
            encoder.resolve_query_set(&t.queries, 0..2, t.resolved.buffer(), 0);
        }
        let mut words = [0u32; 4];
        self.read(&t.resolved, 0, &mut words);
        let tick = |lo: u32, hi: u32| (hi as u64) << 32 | lo as u64;
        let ticks = tick(words[2], words[3]).saturating_sub(tick(words[0], words[1]));
        Some(ticks as f64 * self.queue.get_timestamp_period() as f64 * 1e-9)
    }

    /// Submit what has been recorded.
    pub fn flush(&self) {
        if let Some(encoder) = self.encoder.lock().expect("no panic while recording").take() {
            self.queue.submit([encoder.finish()]);
        }
    }

    /// Submit what has been recorded and wait until the device has done it all.
    pub fn sync(&self) {
        self.flush();
        self.device.poll(wgpu::PollType::wait_indefinitely()).expect("the device answers");
    }

    /// Run `allocate`, which creates buffers, and turn the device running out of memory, or a
    /// buffer larger than a kernel can bind, into an error that says what to do (instead of
    /// wgpu's panic at the first dispatch).
    pub fn allocating<T>(&self, what: &str, allocate: impl FnOnce() -> T) -> Result<T> {
        self.oversized.store(0, Ordering::Relaxed);
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let value = allocate();
        let out_of_memory = pollster::block_on(scope.pop());
        self.ensure_fits(what, 0, self.oversized.swap(0, Ordering::Relaxed))?;
        match out_of_memory {
            Some(e) => Err(Error::gpu(format!("{} has no memory left for {what}: {e}", self.info.name), TOO_BIG)),
            None => Ok(value),
        }
    }

    /// Refuse `what` before anything is allocated if it needs one buffer of `largest` bytes,
    /// more than a kernel can bind, or (a software adapter, whose memory is the host's) `total`
    /// bytes the machine does not have. A hardware GPU does not say how much memory it has
    /// free: running out there is caught by [`Gpu::allocating`].
    pub fn ensure_fits(&self, what: &str, total: u64, largest: u64) -> Result<()> {
        if largest > self.info.max_binding_bytes {
            let (need, max) = (crate::units::bytes(largest), crate::units::bytes(self.info.max_binding_bytes));
            let name = &self.info.name;
            return Err(Error::gpu(format!("{what} needs a buffer of {need}; {name} binds at most {max}"), TOO_BIG));
        }
        if self.is_software() {
            crate::linalg::machine::ensure_memory(what, total, TOO_BIG)?;
        }
        Ok(())
    }

    /// A new zeroed buffer of `len` 32-bit words. One larger than a kernel may bind is noted
    /// for [`Gpu::allocating`] and made empty instead.
    pub fn zeros(&self, len: usize) -> GpuBuf {
        let mut size = (len.max(1) * 4) as u64;
        if size > self.info.max_binding_bytes {
            self.oversized.fetch_max(size, Ordering::Relaxed);
            size = 4;
        }
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        GpuBuf::new(buffer, len)
    }

    /// Write `words` (f32 or u32 bit patterns) into `buf` from word `offset` on. Earlier
    /// dispatches are submitted first, so they still see the old contents.
    pub fn write(&self, buf: &GpuBuf, offset: usize, words: &[u32]) {
        assert!(offset + words.len() <= buf.len(), "write past the end of a buffer");
        if words.is_empty() {
            return;
        }
        self.flush();
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.queue.write_buffer(buf.buffer(), (offset * 4) as u64, &bytes);
    }

    /// Floats into `buf` from `offset` on.
    pub fn write_f32(&self, buf: &GpuBuf, offset: usize, values: &[f32]) {
        let words: Vec<u32> = values.iter().map(|v| v.to_bits()).collect();
        self.write(buf, offset, &words);
    }

    /// A new buffer holding `values`.
    pub fn upload(&self, values: &[f32]) -> GpuBuf {
        let buf = self.zeros(values.len());
        self.write_f32(&buf, 0, values);
        buf
    }

    /// Read `out.len()` words of `buf` from word `offset` on, after everything recorded so far.
    pub fn read(&self, buf: &GpuBuf, offset: usize, out: &mut [u32]) {
        assert!(offset + out.len() <= buf.len(), "read past the end of a buffer");
        if out.is_empty() {
            return;
        }
        let size = (out.len() * 4) as u64;
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("read-back"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        {
            let mut encoder = self.encoder.lock().expect("no panic while recording");
            let encoder = encoder.get_or_insert_with(|| {
                self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("step") })
            });
            encoder.copy_buffer_to_buffer(buf.buffer(), (offset * 4) as u64, &staging, 0, size);
        }
        self.flush();
        let slice = staging.slice(..);
        slice.map_async(wgpu::MapMode::Read, |r| r.expect("a read-back buffer maps"));
        self.device.poll(wgpu::PollType::wait_indefinitely()).expect("the device answers");
        let view = slice.get_mapped_range().expect("mapped above");
        for (o, c) in out.iter_mut().zip(view.chunks_exact(4)) {
            *o = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
    }

    /// Floats of `buf` from `offset` on.
    pub fn read_f32(&self, buf: &GpuBuf, offset: usize, out: &mut [f32]) {
        let mut words = vec![0u32; out.len()];
        self.read(buf, offset, &mut words);
        for (o, w) in out.iter_mut().zip(words) {
            *o = f32::from_bits(w);
        }
    }

    /// All of `buf` as floats.
    pub fn to_vec(&self, buf: &GpuBuf) -> Vec<f32> {
        let mut out = vec![0.0; buf.len()];
        self.read_f32(buf, 0, &mut out);
        out
    }
}

/// Workgroups for `n` invocations of a one-dimensional kernel of [`WORKGROUP`] invocations:
/// beyond 65,535 groups the rest spill into the second dimension, and the kernel computes its
/// index as `id.x + id.y · num_workgroups.x · WORKGROUP`.
pub fn groups(n: usize) -> [u32; 3] {
    rows(n.div_ceil(WORKGROUP as usize))
}

/// Workgroups for `n` independent rows of one workgroup each (the same spilling).
pub fn rows(n: usize) -> [u32; 3] {
    let n = n as u32;
    if n <= MAX_GROUPS {
        [n, 1, 1]
    } else {
        [MAX_GROUPS, n.div_ceil(MAX_GROUPS), 1]
    }
}
