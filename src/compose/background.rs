//! Background pass: the stylized low-res background upsampled to the frame's size by joint-bilateral
//! upsampling guided by the full-res camera frame (`shaders/background.wgsl`), so the stylized
//! picture keeps the frame's sharp edges.
//!
//! In: the camera frame (RGB8, full res), the stylized background and its guide (RGB8, working
//! resolution). Out: every pixel of the output texture (the base layer), drawn as one fullscreen
//! triangle at the start of the compositor's render pass. Runs on the compositor's thread.
//! Without a background the compositor writes the frame straight into the output texture instead.
//! The frame and guide textures it uploads are also what the person paint reads
//! ([`BackgroundPass::paint_sources`]). (Packing background and guide into one `Rg32Uint`
//! texture, one read per tap instead of two, measured slower on lavapipe: 20 vs 16 ms a frame.)

use bytemuck::{Pod, Zeroable};

use super::gpu::{self, SizedTexture};
use super::paint::PaintSources;
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
// The WGSL struct's size, checked on that side by tests/compose.rs.
const _: () = assert!(std::mem::size_of::<BackgroundUniforms>() == 32);

pub(super) struct BackgroundPass {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    uniforms: wgpu::Buffer,
    frame: Option<SizedTexture>,
    background: Option<SizedTexture>,
    guide: Option<SizedTexture>,
    bind_group: Option<wgpu::BindGroup>,
    /// Whether the bind group binds the guide (false: the background stands in for it).
    bound_guide: bool,
    /// Counts bind group rebuilds (a texture recreated), for the paint pass's bind group.
    generation: u64,
}

impl BackgroundPass {
    pub fn new(device: &wgpu::Device) -> Self {
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
        // the pass writes every pixel: no blending
        let pipeline = gpu::pipeline(
            device,
            "background",
            &layout,
            (&module, "vs_fullscreen", &[]),
            (&module, "fs_main"),
            wgpu::PrimitiveTopology::TriangleList,
            None,
        );
        BackgroundPass {
            pipeline,
            layout,
            uniforms: gpu::uniform_buffer::<BackgroundUniforms>(device, "background uniforms"),
            frame: None,
            background: None,
            guide: None,
            bind_group: None,
            bound_guide: false,
            generation: 0,
        }
    }

    /// Uploads this frame's pictures (sizes already validated) and uniforms. Only when this pass
    /// draws the background: when the compositor upsamples and paints on the CPU nothing reads
    /// these textures, and the frame's upload alone cost about 2 ms.
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
        let mut ensure = |slot: &mut Option<SizedTexture>, label: &str, picture: &LowRes<'_>| {
            recreated |= SizedTexture::ensure(
                slot,
                device,
                label,
                gpu::COLOUR_FORMAT,
                gpu::INPUT_USAGE,
                picture.width,
                picture.height,
            );
            gpu::upload_rgb(queue, &slot.as_ref().unwrap().texture, picture.rgb, scratch);
        };
        ensure(&mut self.background, "background", background);
        if let Some(guide) = guide {
            ensure(&mut self.guide, "guide", guide);
        }
        gpu::upload_rgb(queue, &self.frame.as_ref().unwrap().texture, frame_rgb, scratch);

        let has_guide = guide.is_some();
        if recreated || self.bind_group.is_none() || self.bound_guide != has_guide {
            fn view(t: &SizedTexture) -> wgpu::BindingResource<'_> {
                wgpu::BindingResource::TextureView(&t.view)
            }
            let background_texture = self.background.as_ref().unwrap();
            let guide_texture = if has_guide { self.guide.as_ref().unwrap() } else { background_texture };
            self.bind_group = Some(device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("background"),
                layout: &self.layout,
                entries: &[
                    wgpu::BindGroupEntry { binding: 0, resource: self.uniforms.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 1, resource: view(self.frame.as_ref().unwrap()) },
                    wgpu::BindGroupEntry { binding: 2, resource: view(background_texture) },
                    wgpu::BindGroupEntry { binding: 3, resource: view(guide_texture) },
                ],
            }));
            self.bound_guide = has_guide;
            self.generation += 1;
        }

        let sigma_s = params.background_sigma_spatial.max(0.05);
        let sigma_r = params.background_sigma_range.max(1e-3);
        let uniforms = BackgroundUniforms {
            frame_size: [width as f32, height as f32],
            lowres_size: [background.width as f32, background.height as f32],
            spatial_falloff: 1.0 / (2.0 * sigma_s * sigma_s),
            range_falloff: if has_guide { 1.0 / (2.0 * sigma_r * sigma_r) } else { 0.0 },
            _pad: [0.0; 2],
        };
        queue.write_buffer(&self.uniforms, 0, bytemuck::bytes_of(&uniforms));
    }

    /// The frame and the guide uploaded by the last `prepare` (None before the first).
    pub fn paint_sources(&self) -> Option<PaintSources<'_>> {
        let frame = self.frame.as_ref()?;
        let guide = if self.bound_guide { self.guide.as_ref()? } else { self.background.as_ref()? };
        Some(PaintSources {
            frame: &frame.view,
            guide: &guide.view,
            guide_size: (guide.texture.width(), guide.texture.height()),
            generation: self.generation,
        })
    }

    /// Draws the pass into the render pass over the output texture: writes every pixel.
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>) {
        let Some(bind_group) = &self.bind_group else { return };
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        pass.draw(0..3, 0..1);
    }
}
