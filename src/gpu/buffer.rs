//! Buffers on the device, and views of a stretch of one (a tensor inside a model's flat
//! parameter buffer: kernels receive the buffer and the offset, never a sub-binding, because
//! bindings must start at 256-byte boundaries and tensors do not).

/// A storage buffer of 32-bit words (floats, or token ids).
pub struct GpuBuf {
    buffer: wgpu::Buffer,
    len: usize,
}

impl GpuBuf {
    pub(super) fn new(buffer: wgpu::Buffer, len: usize) -> Self {
        GpuBuf { buffer, len }
    }

    pub(super) fn buffer(&self) -> &wgpu::Buffer {
        &self.buffer
    }

    /// Words it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The stretch `offset..offset + len` of it.
    pub fn at(&self, offset: usize, len: usize) -> View<'_> {
        assert!(offset + len <= self.len, "a view past the end of a buffer");
        View { buf: self, offset: offset as u32, len: len as u32 }
    }

    /// All of it.
    pub fn all(&self) -> View<'_> {
        self.at(0, self.len)
    }
}

/// A stretch of a buffer: what a layer kernel reads or writes.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub buf: &'a GpuBuf,
    pub offset: u32,
    pub len: u32,
}
