//! The low-res person masks as one filterable texture, uploaded once per frame for the passes that
//! read them (person paint, silhouette ink).
//!
//! In: the person probability mask and the skin likelihood mask (f32 in [0, 1], same grid,
//! covering the whole frame). Out: an `Rgba16Float` texture with, per texel, r = person
//! probability, g and b = its gradient (central differences, per texel, clamped at the border),
//! a = skin likelihood; and a linear, clamp-to-edge sampler. One filtered sample gives a pass the
//! bilinear value of all four, where it read 4 to 20 texels before: on a software rasterizer
//! each texel read is real work. Runs on the compositor's thread; the texel buffer is reused.

use super::MaskView;
use super::gpu::{self, SizedTexture};

pub(super) struct MaskTexture {
    texture: Option<SizedTexture>,
    sampler: wgpu::Sampler,
    /// This frame's texels as f16 bits (reused).
    texels: Vec<[u16; 4]>,
    /// Changes whenever the texture is recreated (bind groups that use it are rebuilt).
    generation: u64,
}

/// Bind group layout entries of the mask texture and its sampler, at `binding` and `binding + 1`.
pub(super) fn layout_entries(binding: u32, visibility: wgpu::ShaderStages) -> [wgpu::BindGroupLayoutEntry; 2] {
    [
        wgpu::BindGroupLayoutEntry {
            binding,
            visibility,
            ty: wgpu::BindingType::Texture {
                sample_type: wgpu::TextureSampleType::Float { filterable: true },
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled: false,
            },
            count: None,
        },
        wgpu::BindGroupLayoutEntry {
            binding: binding + 1,
            visibility,
            ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
            count: None,
        },
    ]
}

impl MaskTexture {
    pub fn new(device: &wgpu::Device) -> Self {
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("masks"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        MaskTexture { texture: None, sampler, texels: Vec::new(), generation: 0 }
    }

    /// Uploads this frame's masks (sizes already validated). A skin mask on another grid than the
    /// person mask's, or none, reads as no skin.
    pub fn upload(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        person: &MaskView<'_>,
        skin: Option<&MaskView<'_>>,
    ) {
        let (w, h) = (person.width as usize, person.height as usize);
        let skin = skin.filter(|s| (s.width, s.height) == (person.width, person.height)).map(|s| s.data);
        // NaN (a corrupt mask) reads as 0: nothing is painted or inked there
        let value = |data: &[f32], x: usize, y: usize| {
            let v = data[y * w + x];
            if v.is_nan() { 0.0 } else { v }
        };
        let f16 = |v: f32| half::f16::from_f32(v).to_bits();
        self.texels.clear();
        for y in 0..h {
            for x in 0..w {
                let m = |x: usize, y: usize| value(person.data, x, y);
                let dx = 0.5 * (m((x + 1).min(w - 1), y) - m(x.saturating_sub(1), y));
                let dy = 0.5 * (m(x, (y + 1).min(h - 1)) - m(x, y.saturating_sub(1)));
                let s = skin.map_or(0.0, |s| value(s, x, y));
                self.texels.push([f16(m(x, y)), f16(dx), f16(dy), f16(s)]);
            }
        }
        if SizedTexture::ensure(
            &mut self.texture,
            device,
            "masks",
            wgpu::TextureFormat::Rgba16Float,
            gpu::INPUT_USAGE,
            person.width,
            person.height,
        ) {
            self.generation += 1;
        }
        gpu::write_texture(queue, &self.texture.as_ref().unwrap().texture, bytemuck::cast_slice(&self.texels), 8);
    }

    /// Bind group entries for the texture and the sampler (None before the first upload).
    pub fn bind_entries(&self, binding: u32) -> Option<[wgpu::BindGroupEntry<'_>; 2]> {
        let texture = self.texture.as_ref()?;
        Some([
            wgpu::BindGroupEntry { binding, resource: wgpu::BindingResource::TextureView(&texture.view) },
            wgpu::BindGroupEntry { binding: binding + 1, resource: wgpu::BindingResource::Sampler(&self.sampler) },
        ])
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn f16_keeps_mask_values_to_a_thousandth() {
        for v in [0.0f32, 0.05, 0.3, 0.5, 0.7, 1.0, -0.25, 0.01] {
            let back = half::f16::from_bits(half::f16::from_f32(v).to_bits()).to_f32();
            assert!((back - v).abs() < 1e-3, "{v} -> {back}");
        }
    }
}
