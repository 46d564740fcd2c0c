//! Silhouette ink pass: a soft ink outline along the person mask's edge (`shaders/silhouette.wgsl`),
//! blended over the composed background.
//!
//! In: the low-res person probability mask (f32 in [0, 1], covering the whole frame) and the ink
//! parameters. Out: ink blended into the output texture. Runs on the compositor's thread.

use bytemuck::{Pod, Zeroable};

use super::gpu::{self, SizedTexture};
use super::{ComposeParams, MaskView};

/// Keep in sync with `SilhouetteUniforms` in shaders/silhouette.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct SilhouetteUniforms {
    /// rgb: ink colour (unorm), a: strength in [0, 1].
    ink: [f32; 4],
    frame_size: [f32; 2],
    mask_size: [f32; 2],
    /// Half the line width, in output pixels.
    half_width_px: f32,
    _pad: [f32; 3],
}

pub(super) struct SilhouettePass {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    uniforms: wgpu::Buffer,
    mask: Option<SizedTexture>,
    bind_group: Option<wgpu::BindGroup>,
}

impl SilhouettePass {
    pub fn new(device: &wgpu::Device, fullscreen: &wgpu::ShaderModule) -> Self {
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("silhouette"),
            entries: &[gpu::uniform_entry(0, wgpu::ShaderStages::FRAGMENT), gpu::texture_entry(1)],
        });
        let module = super::shaders::module(device, "silhouette.wgsl", super::shaders::SILHOUETTE);
        let pipeline = gpu::pipeline(
            device,
            "silhouette",
            &layout,
            (fullscreen, "vs_main"),
            (&module, "fs_main"),
            wgpu::PrimitiveTopology::TriangleList,
            Some(gpu::PREMULTIPLIED_OVER),
        );
        let uniforms = gpu::uniform_buffer::<SilhouetteUniforms>(device, "silhouette uniforms");
        SilhouettePass { pipeline, layout, uniforms, mask: None, bind_group: None }
    }

    /// Uploads the mask (size already validated) and the uniforms.
    pub fn prepare(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        frame_size: (u32, u32),
        mask: &MaskView<'_>,
        params: &ComposeParams,
    ) {
        let recreated = SizedTexture::ensure(
            &mut self.mask,
            device,
            "person mask",
            wgpu::TextureFormat::R32Float,
            gpu::INPUT_USAGE,
            mask.width,
            mask.height,
        );
        let texture = self.mask.as_ref().unwrap();
        gpu::write_texture(queue, &texture.texture, bytemuck::cast_slice(mask.data), 4);
        if recreated || self.bind_group.is_none() {
            self.bind_group = Some(device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("silhouette"),
                layout: &self.layout,
                entries: &[
                    wgpu::BindGroupEntry { binding: 0, resource: self.uniforms.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::TextureView(&texture.view) },
                ],
            }));
        }
        let [r, g, b] = params.silhouette_ink_rgb;
        let uniforms = SilhouetteUniforms {
            ink: [r, g, b, params.silhouette_ink.clamp(0.0, 1.0)],
            frame_size: [frame_size.0 as f32, frame_size.1 as f32],
            mask_size: [mask.width as f32, mask.height as f32],
            half_width_px: params.silhouette_ink_width_px.max(0.0) * 0.5,
            _pad: [0.0; 3],
        };
        queue.write_buffer(&self.uniforms, 0, bytemuck::bytes_of(&uniforms));
    }

    /// Records the pass into an open render pass on the output texture.
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>) {
        let Some(bind_group) = &self.bind_group else { return };
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        pass.draw(0..3, 0..1);
    }
}
