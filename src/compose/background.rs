//! Background pass: the stylized low-res background upsampled to the frame's size by joint-bilateral
//! upsampling guided by the full-res camera frame (`shaders/background.wgsl`), so the stylized
//! picture keeps the frame's sharp edges.
//!
//! In: the camera frame (RGB8, full res), the stylized background and its guide (RGB8, working
//! resolution). Out: the output texture's base layer. Runs on the compositor's thread. Without a
//! background the compositor writes the frame straight into the output texture instead.

use bytemuck::{Pod, Zeroable};

use super::gpu::{self, SizedTexture};
use super::{ComposeParams, LowRes};

/// Keep in sync with `BackgroundUniforms` in shaders/background.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct BackgroundUniforms {
    frame_size: [f32; 2],
    lowres_size: [f32; 2],
    /// 1 / (2 sigma_s^2), sigma_s in low-res texels.
    spatial_falloff: f32,
    /// 1 / (2 sigma_r^2), sigma_r in unorm colour units; 0 = no range term.
    range_falloff: f32,
    _pad: [f32; 2],
}

pub(super) struct BackgroundPass {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    uniforms: wgpu::Buffer,
    frame: Option<SizedTexture>,
    background: Option<SizedTexture>,
    guide: Option<SizedTexture>,
    /// The bind group and whether it binds the guide (false: the background stands in for it).
    bind_group: Option<(wgpu::BindGroup, bool)>,
}

impl BackgroundPass {
    pub fn new(device: &wgpu::Device, fullscreen: &wgpu::ShaderModule) -> Self {
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("background"),
            entries: &[
                gpu::uniform_entry(0, wgpu::ShaderStages::FRAGMENT),
                gpu::texture_entry(1),
                gpu::texture_entry(2),
                gpu::texture_entry(3),
            ],
        });
        let module = super::shaders::module(device, "background.wgsl", super::shaders::BACKGROUND);
        let pipeline = gpu::pipeline(
            device,
            "background",
            &layout,
            (fullscreen, "vs_main"),
            (&module, "fs_main"),
            wgpu::PrimitiveTopology::TriangleList,
            None,
        );
        let uniforms = gpu::uniform_buffer::<BackgroundUniforms>(device, "background uniforms");
        BackgroundPass { pipeline, layout, uniforms, frame: None, background: None, guide: None, bind_group: None }
    }

    /// Uploads this frame's pictures (sizes already validated) and uniforms.
    #[allow(clippy::too_many_arguments)]
    pub fn prepare(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        frame: (&[u8], u32, u32),
        background: &LowRes<'_>,
        guide: Option<&LowRes<'_>>,
        params: &ComposeParams,
        scratch: &mut Vec<u8>,
    ) {
        let (frame_rgb, width, height) = frame;
        let mut recreated =
            SizedTexture::ensure(&mut self.frame, device, "frame", gpu::COLOUR_FORMAT, gpu::INPUT_USAGE, width, height);
        recreated |= SizedTexture::ensure(
            &mut self.background,
            device,
            "background",
            gpu::COLOUR_FORMAT,
            gpu::INPUT_USAGE,
            background.width,
            background.height,
        );
        if let Some(guide) = guide {
            recreated |= SizedTexture::ensure(
                &mut self.guide,
                device,
                "guide",
                gpu::COLOUR_FORMAT,
                gpu::INPUT_USAGE,
                guide.width,
                guide.height,
            );
        }
        let (frame_texture, background_texture) = (self.frame.as_ref().unwrap(), self.background.as_ref().unwrap());
        gpu::upload_rgb(queue, &frame_texture.texture, frame_rgb, scratch);
        gpu::upload_rgb(queue, &background_texture.texture, background.rgb, scratch);
        let guide_texture = match guide {
            Some(guide) => {
                let texture = self.guide.as_ref().unwrap();
                gpu::upload_rgb(queue, &texture.texture, guide.rgb, scratch);
                Some(texture)
            }
            None => None,
        };

        let has_guide = guide_texture.is_some();
        if recreated || self.bind_group.as_ref().is_none_or(|(_, bound_guide)| *bound_guide != has_guide) {
            let guide_view = guide_texture.unwrap_or(background_texture);
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("background"),
                layout: &self.layout,
                entries: &[
                    wgpu::BindGroupEntry { binding: 0, resource: self.uniforms.as_entire_binding() },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: wgpu::BindingResource::TextureView(&frame_texture.view),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: wgpu::BindingResource::TextureView(&background_texture.view),
                    },
                    wgpu::BindGroupEntry { binding: 3, resource: wgpu::BindingResource::TextureView(&guide_view.view) },
                ],
            });
            self.bind_group = Some((bind_group, has_guide));
        }

        let sigma_s = params.background_sigma_spatial.max(0.05);
        let uniforms = BackgroundUniforms {
            frame_size: [width as f32, height as f32],
            lowres_size: [background.width as f32, background.height as f32],
            spatial_falloff: 1.0 / (2.0 * sigma_s * sigma_s),
            range_falloff: if has_guide { 1.0 / (2.0 * params.background_sigma_range.max(1e-3).powi(2)) } else { 0.0 },
            _pad: [0.0; 2],
        };
        queue.write_buffer(&self.uniforms, 0, bytemuck::bytes_of(&uniforms));
    }

    /// Records the pass: overwrites every pixel of `target`.
    pub fn draw(&self, encoder: &mut wgpu::CommandEncoder, target: &wgpu::TextureView) {
        let Some((bind_group, _)) = &self.bind_group else { return };
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("background"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: target,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations { load: wgpu::LoadOp::Clear(wgpu::Color::BLACK), store: wgpu::StoreOp::Store },
            })],
            ..Default::default()
        });
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        pass.draw(0..3, 0..1);
    }
}
