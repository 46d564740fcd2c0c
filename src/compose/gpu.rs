//! GPU resources the passes share: textures recreated only when their size changes, uploads of
//! RGB8 pictures into RGBA8 textures through one reused scratch buffer, and the readback of the
//! output texture into packed RGB8.
//!
//! In: CPU pictures (RGB8, alpha, f32 masks). Out: textures, and the composed frame as RGB8.
//! Runs on the compositor's thread.

use std::sync::{Arc, Mutex};

use super::ComposeError;

/// Texture format of every colour texture: plain 8-bit values, no sRGB conversion anywhere.
pub(super) const COLOUR_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

/// A 2D texture and its view, recreated by [`SizedTexture::ensure`] only when the size changes.
pub(super) struct SizedTexture {
    pub texture: wgpu::Texture,
    pub view: wgpu::TextureView,
}

impl SizedTexture {
    /// Makes `slot` hold a `width` x `height` texture. Returns true when it was (re)created, so
    /// bind groups that use it must be rebuilt.
    pub fn ensure(
        slot: &mut Option<SizedTexture>,
        device: &wgpu::Device,
        label: &str,
        format: wgpu::TextureFormat,
        usage: wgpu::TextureUsages,
        width: u32,
        height: u32,
    ) -> bool {
        if let Some(existing) = slot
            && existing.texture.width() == width
            && existing.texture.height() == height
        {
            return false;
        }
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some(label),
            size: wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage,
            view_formats: &[],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        *slot = Some(SizedTexture { texture, view });
        true
    }
}

/// Usage of textures the CPU fills and shaders read.
pub(super) const INPUT_USAGE: wgpu::TextureUsages =
    wgpu::TextureUsages::TEXTURE_BINDING.union(wgpu::TextureUsages::COPY_DST);

/// Writes a whole texture from tightly packed rows of `bytes_per_pixel`.
pub(super) fn write_texture(queue: &wgpu::Queue, texture: &wgpu::Texture, data: &[u8], bytes_per_pixel: u32) {
    let size = texture.size();
    queue.write_texture(
        texture.as_image_copy(),
        data,
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(size.width * bytes_per_pixel),
            rows_per_image: Some(size.height),
        },
        size,
    );
}

/// Uploads an RGB8 picture into an RGBA8 texture of its size (alpha 255), converting in `scratch`.
pub(super) fn upload_rgb(queue: &wgpu::Queue, texture: &wgpu::Texture, rgb: &[u8], scratch: &mut Vec<u8>) {
    scratch.resize(rgb.len() / 3 * 4, 255);
    for (rgba, rgb) in scratch.chunks_exact_mut(4).zip(rgb.chunks_exact(3)) {
        rgba[..3].copy_from_slice(rgb);
        rgba[3] = 255;
    }
    write_texture(queue, texture, scratch, 4);
}

/// Uploads an RGB8 picture and its 8-bit alpha into one RGBA8 texture, converting in `scratch`.
pub(super) fn upload_rgb_alpha(
    queue: &wgpu::Queue,
    texture: &wgpu::Texture,
    rgb: &[u8],
    alpha: &[u8],
    scratch: &mut Vec<u8>,
) {
    scratch.resize(alpha.len() * 4, 0);
    for ((rgba, rgb), &a) in scratch.chunks_exact_mut(4).zip(rgb.chunks_exact(3)).zip(alpha) {
        rgba[..3].copy_from_slice(rgb);
        rgba[3] = a;
    }
    write_texture(queue, texture, scratch, 4);
}

/// A mappable buffer the output texture is copied into, rows padded to wgpu's 256-byte alignment.
pub(super) struct Readback {
    buffer: wgpu::Buffer,
    width: u32,
    height: u32,
    padded_row_bytes: u32,
    /// Set by the map callback; read on the same thread after the device was polled.
    map_result: Arc<Mutex<Option<Result<(), wgpu::BufferAsyncError>>>>,
}

impl Readback {
    /// Makes `slot` hold a readback buffer for a `width` x `height` RGBA8 texture.
    pub fn ensure<'a>(
        slot: &'a mut Option<Readback>,
        device: &wgpu::Device,
        width: u32,
        height: u32,
    ) -> &'a mut Readback {
        if slot.as_ref().is_some_and(|r| r.width == width && r.height == height) {
            return slot.as_mut().unwrap();
        }
        let padded_row_bytes = (width * 4).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
        let buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("compositor readback"),
            size: u64::from(padded_row_bytes) * u64::from(height),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        slot.insert(Readback { buffer, width, height, padded_row_bytes, map_result: Arc::new(Mutex::new(None)) })
    }

    /// Records the copy of `texture` (same size, RGBA8) into the buffer.
    pub fn record_copy(&self, encoder: &mut wgpu::CommandEncoder, texture: &wgpu::Texture) {
        encoder.copy_texture_to_buffer(
            texture.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &self.buffer,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(self.padded_row_bytes),
                    rows_per_image: Some(self.height),
                },
            },
            texture.size(),
        );
    }

    /// After the copy was submitted: waits for it, and writes the pixels into `out` as packed RGB8.
    pub fn read_rgb(&self, device: &wgpu::Device, out: &mut Vec<u8>) -> Result<(), ComposeError> {
        let slot = Arc::clone(&self.map_result);
        self.buffer.map_async(wgpu::MapMode::Read, .., move |result| {
            *slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(result);
        });
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| ComposeError::Readback(format!("waiting for the GPU failed: {e}")))?;
        let result = self.map_result.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        match result {
            Some(Ok(())) => {}
            Some(Err(e)) => return Err(ComposeError::Readback(format!("mapping the readback buffer failed: {e}"))),
            None => return Err(ComposeError::Readback("the readback buffer was not mapped after waiting".into())),
        }
        {
            let mapped = self
                .buffer
                .get_mapped_range(..)
                .map_err(|e| ComposeError::Readback(format!("reading the mapped buffer failed: {e}")))?;
            let row_rgb = self.width as usize * 3;
            out.resize(row_rgb * self.height as usize, 0);
            for (out_row, padded_row) in
                out.chunks_exact_mut(row_rgb).zip(mapped.chunks(self.padded_row_bytes as usize))
            {
                for (rgb, rgba) in out_row.chunks_exact_mut(3).zip(padded_row.chunks_exact(4)) {
                    rgb.copy_from_slice(&rgba[..3]);
                }
            }
        }
        self.buffer.unmap();
        Ok(())
    }
}

/// Bind group layout entry of a uniform buffer.
pub(super) fn uniform_entry(binding: u32, visibility: wgpu::ShaderStages) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

/// Bind group layout entry of a 2D float texture read with `textureLoad` in the fragment stage
/// (unfilterable, so R32Float fits as well as RGBA8).
pub(super) fn texture_entry(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::FRAGMENT,
        ty: wgpu::BindingType::Texture {
            sample_type: wgpu::TextureSampleType::Float { filterable: false },
            view_dimension: wgpu::TextureViewDimension::D2,
            multisampled: false,
        },
        count: None,
    }
}

/// A uniform buffer sized for `T`.
pub(super) fn uniform_buffer<T>(device: &wgpu::Device, label: &str) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: std::mem::size_of::<T>() as u64,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// Premultiplied-alpha "over" blending, for layers drawn over the composed frame.
pub(super) const PREMULTIPLIED_OVER: wgpu::BlendState = wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING;

/// A render pipeline drawing into the RGBA8 output with one bind group; `vertex` is (module,
/// entry point, vertex buffer layouts).
pub(super) fn pipeline(
    device: &wgpu::Device,
    label: &str,
    layout: &wgpu::BindGroupLayout,
    vertex: (&wgpu::ShaderModule, &str, &[Option<wgpu::VertexBufferLayout<'_>>]),
    fragment: (&wgpu::ShaderModule, &str),
    topology: wgpu::PrimitiveTopology,
    blend: Option<wgpu::BlendState>,
) -> wgpu::RenderPipeline {
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(label),
        bind_group_layouts: &[Some(layout)],
        immediate_size: 0,
    });
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some(label),
        layout: Some(&pipeline_layout),
        vertex: wgpu::VertexState {
            module: vertex.0,
            entry_point: Some(vertex.1),
            compilation_options: Default::default(),
            buffers: vertex.2,
        },
        primitive: wgpu::PrimitiveState { topology, ..Default::default() },
        depth_stencil: None,
        multisample: wgpu::MultisampleState::default(),
        fragment: Some(wgpu::FragmentState {
            module: fragment.0,
            entry_point: Some(fragment.1),
            compilation_options: Default::default(),
            targets: &[Some(wgpu::ColorTargetState {
                format: COLOUR_FORMAT,
                blend,
                write_mask: wgpu::ColorWrites::ALL,
            })],
        }),
        multiview_mask: None,
        cache: None,
    })
}
