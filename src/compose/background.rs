//! Background pass: the stylized low-res background upsampled to the frame's size by joint-bilateral
//! upsampling guided by the full-res camera frame (`shaders/background.wgsl`, a compute shader), so
//! the stylized picture keeps the frame's sharp edges.
//!
//! In: the camera frame (RGB8, full res), the stylized background and its guide (RGB8, working
//! resolution). Out: every pixel of the output texture (the base layer). Runs on the compositor's
//! thread. Without a background the compositor writes the frame straight into the output texture
//! instead.
//!
//! The same pass paints each person's skin outside the face and their hair ([`PersonPaint`]): it
//! reads the low-res person and skin masks and one uniform block per person.

use bytemuck::{Pod, Zeroable};

use super::gpu::{self, SizedTexture};
use super::{ComposeParams, LowRes, MaskView, PersonPaint};

/// Keep in sync with `@workgroup_size` in shaders/background.wgsl.
const WORKGROUP_SIDE: u32 = 16;

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
    /// People painted (0 = none).
    people_count: u32,
    _pad: f32,
}
// The WGSL struct's size, checked on that side by tests/compose.rs.
const _: () = assert!(std::mem::size_of::<BackgroundUniforms>() == 32);

/// People painted at most (keep in sync with `MAX_PEOPLE` in shaders/background.wgsl).
pub(super) const MAX_PEOPLE: usize = 8;

/// Keep in sync with `PersonUniforms` in shaders/background.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Default)]
pub(super) struct PersonUniform {
    face: [f32; 4],
    rot: [f32; 4],
    skin_chroma: [f32; 4],
    skin_icov: [f32; 4],
    skin_shadow: [f32; 4],
    skin_base: [f32; 4],
    skin_light: [f32; 4],
    hair_chroma: [f32; 4],
    hair_shadow: [f32; 4],
    hair_base: [f32; 4],
    hair_light: [f32; 4],
    hair_region: [f32; 4],
}
// The WGSL struct's size (12 vec4), checked on that side by tests/compose.rs.
pub(super) const PERSON_UNIFORM_SIZE: usize = 192;
const _: () = assert!(std::mem::size_of::<PersonUniform>() == PERSON_UNIFORM_SIZE);

impl PersonUniform {
    fn from_paint(p: &PersonPaint) -> Self {
        let rgb = |c: [f32; 3]| [c[0], c[1], c[2], 0.0];
        let (sin, cos) = p.roll.sin_cos();
        PersonUniform {
            face: [p.face_centre[0], p.face_centre[1], p.face_half_axes[0].max(1.0), p.face_half_axes[1].max(1.0)],
            rot: [cos, sin, p.hair_strength.clamp(0.0, 1.0), p.skin_strength.clamp(0.0, 1.0)],
            skin_chroma: [p.skin_chroma[0], p.skin_chroma[1], p.skin.reference_luma / 255.0, 0.0],
            skin_icov: [p.skin_icov[0], p.skin_icov[1], p.skin_icov[2], 0.0],
            skin_shadow: rgb(p.skin.shadow),
            skin_base: rgb(p.skin.base),
            skin_light: rgb(p.skin.light),
            hair_chroma: [p.hair_chroma[0], p.hair_chroma[1], p.hair_luma, 0.0],
            hair_shadow: rgb(p.hair_shadow),
            hair_base: rgb(p.hair_base),
            hair_light: rgb(p.hair_light),
            hair_region: [HAIR_CENTRE_UP, HAIR_HALF_AXES[0], HAIR_HALF_AXES[1], 0.0],
        }
    }
}

/// The hair region: an ellipse around the head whose centre sits this many face half-heights above
/// the face's centre...
const HAIR_CENTRE_UP: f32 = 0.45;
/// ...with half axes these multiples of the face oval's.
const HAIR_HALF_AXES: [f32; 2] = [1.6, 1.6];

pub(super) struct BackgroundPass {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    uniforms: wgpu::Buffer,
    frame: Option<SizedTexture>,
    background: Option<SizedTexture>,
    guide: Option<SizedTexture>,
    person_mask: Option<SizedTexture>,
    skin_mask: Option<SizedTexture>,
    people: wgpu::Buffer,
    people_data: [PersonUniform; MAX_PEOPLE],
    bind_group: Option<wgpu::BindGroup>,
    /// What the bind group binds: the output texture's generation, and whether the guide is
    /// bound (false: the background stands in for it).
    bound: (u64, bool),
    /// Output size in pixels, for the dispatch.
    frame_size: (u32, u32),
}

impl BackgroundPass {
    pub fn new(device: &wgpu::Device) -> Self {
        let texture = |binding| wgpu::BindGroupLayoutEntry {
            visibility: wgpu::ShaderStages::COMPUTE,
            ..gpu::texture_entry(binding)
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("background"),
            entries: &[
                gpu::uniform_entry(0, wgpu::ShaderStages::COMPUTE),
                texture(1),
                texture(2),
                texture(3),
                wgpu::BindGroupLayoutEntry {
                    binding: 4,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::StorageTexture {
                        access: wgpu::StorageTextureAccess::WriteOnly,
                        format: gpu::COLOUR_FORMAT,
                        view_dimension: wgpu::TextureViewDimension::D2,
                    },
                    count: None,
                },
                texture(5),
                texture(6),
                gpu::uniform_entry(7, wgpu::ShaderStages::COMPUTE),
            ],
        });
        let module = super::shaders::module(device, "background.wgsl", super::shaders::BACKGROUND);
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("background"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("background"),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        let uniforms = gpu::uniform_buffer::<BackgroundUniforms>(device, "background uniforms");
        let people = gpu::uniform_buffer::<[PersonUniform; MAX_PEOPLE]>(device, "people");
        BackgroundPass {
            people,
            people_data: [PersonUniform::default(); MAX_PEOPLE],
            person_mask: None,
            skin_mask: None,
            pipeline,
            layout,
            uniforms,
            frame: None,
            background: None,
            guide: None,
            bind_group: None,
            bound: (0, false),
            frame_size: (0, 0),
        }
    }

    /// Uploads this frame's pictures (sizes already validated) and uniforms. `output` is the
    /// texture the pass writes and its generation (incremented whenever it is recreated).
    #[allow(clippy::too_many_arguments)]
    pub fn prepare(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        frame: (&[u8], u32, u32),
        background: &LowRes<'_>,
        guide: Option<&LowRes<'_>>,
        masks: (Option<&MaskView<'_>>, Option<&MaskView<'_>>),
        people: &[PersonPaint],
        params: &ComposeParams,
        output: (&SizedTexture, u64),
        scratch: &mut Vec<u8>,
    ) {
        let (frame_rgb, width, height) = frame;
        let (output, output_generation) = output;
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
        // The masks the person painting reads (a 1x1 empty mask when there is none: nobody is painted).
        let empty = MaskView { data: &[0.0], width: 1, height: 1 };
        let (person_mask, skin_mask) = (masks.0.unwrap_or(&empty), masks.1.unwrap_or(&empty));
        for (slot, mask, label) in
            [(&mut self.person_mask, person_mask, "person mask"), (&mut self.skin_mask, skin_mask, "skin mask")]
        {
            recreated |= SizedTexture::ensure(
                slot,
                device,
                label,
                wgpu::TextureFormat::R32Float,
                gpu::INPUT_USAGE,
                mask.width,
                mask.height,
            );
            gpu::write_texture(queue, &slot.as_ref().unwrap().texture, bytemuck::cast_slice(mask.data), 4);
        }
        let people_count = if masks.0.is_some() { people.len().min(MAX_PEOPLE) } else { 0 };
        for (slot, paint) in self.people_data.iter_mut().zip(&people[..people_count]) {
            *slot = PersonUniform::from_paint(paint);
        }
        if people_count > 0 {
            queue.write_buffer(&self.people, 0, bytemuck::cast_slice(&self.people_data[..people_count]));
        }

        fn view(texture: &SizedTexture) -> wgpu::BindingResource<'_> {
            wgpu::BindingResource::TextureView(&texture.view)
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
        let bound = (output_generation, has_guide);
        if recreated || self.bind_group.is_none() || self.bound != bound {
            let guide_view = guide_texture.unwrap_or(background_texture);
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("background"),
                layout: &self.layout,
                entries: &[
                    wgpu::BindGroupEntry { binding: 0, resource: self.uniforms.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 1, resource: view(frame_texture) },
                    wgpu::BindGroupEntry { binding: 2, resource: view(background_texture) },
                    wgpu::BindGroupEntry { binding: 3, resource: view(guide_view) },
                    wgpu::BindGroupEntry { binding: 4, resource: view(output) },
                    wgpu::BindGroupEntry { binding: 5, resource: view(self.person_mask.as_ref().unwrap()) },
                    wgpu::BindGroupEntry { binding: 6, resource: view(self.skin_mask.as_ref().unwrap()) },
                    wgpu::BindGroupEntry { binding: 7, resource: self.people.as_entire_binding() },
                ],
            });
            self.bind_group = Some(bind_group);
            self.bound = bound;
        }

        let sigma_s = params.background_sigma_spatial.max(0.05);
        let sigma_r = params.background_sigma_range.max(1e-3);
        let uniforms = BackgroundUniforms {
            frame_size: [width as f32, height as f32],
            lowres_size: [background.width as f32, background.height as f32],
            spatial_falloff: 1.0 / (2.0 * sigma_s * sigma_s),
            range_falloff: if has_guide { 1.0 / (2.0 * sigma_r * sigma_r) } else { 0.0 },
            people_count: people_count as u32,
            _pad: 0.0,
        };
        queue.write_buffer(&self.uniforms, 0, bytemuck::bytes_of(&uniforms));
        self.frame_size = (width, height);
    }

    /// Records the pass: writes every pixel of the output texture given to `prepare`.
    pub fn dispatch(&self, encoder: &mut wgpu::CommandEncoder) {
        let Some(bind_group) = &self.bind_group else { return };
        let mut pass = encoder
            .begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("background"), timestamp_writes: None });
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        let (width, height) = self.frame_size;
        pass.dispatch_workgroups(width.div_ceil(WORKGROUP_SIDE), height.div_ceil(WORKGROUP_SIDE), 1);
    }

    /// Whether `device` can run this pass (compute shaders writing an RGBA8 storage texture).
    pub fn supported_by(limits: &wgpu::Limits) -> bool {
        limits.max_compute_workgroup_size_x >= WORKGROUP_SIDE
            && limits.max_compute_workgroup_size_y >= WORKGROUP_SIDE
            && limits.max_compute_invocations_per_workgroup >= WORKGROUP_SIDE * WORKGROUP_SIDE
            && limits.max_storage_textures_per_shader_stage >= 1
    }
}
