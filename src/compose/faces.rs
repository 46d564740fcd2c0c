//! Face layers pass: each stylized face crop pasted back into the frame through the inverse of its
//! alignment transform, bilinear, premultiplied alpha over the composed frame
//! (`shaders/face.wgsl`, one draw per face over the crop's footprint only).
//!
//! In: [`FaceLayer`]s (RGB8 crop, 8-bit feathered mask, `crop_from_frame` affine). Out: faces
//! blended into the output texture. Runs on the compositor's thread. Each face slot keeps its
//! texture, uniform buffer and bind group across frames; they are recreated only when the crop
//! size changes, and slots are added when more faces than ever before appear.

use bytemuck::{Pod, Zeroable};

use super::gpu::{self, SizedTexture};
use super::{Affine2x3, FaceLayer};

/// Keep in sync with `FaceUniforms` in shaders/face.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct FaceUniforms {
    /// crop = [a b; d e] * frame + [c; f] as rows (a, b, c, 0) and (d, e, f, 0).
    crop_from_frame_x: [f32; 4],
    crop_from_frame_y: [f32; 4],
    /// The inverse transform, same layout.
    frame_from_crop_x: [f32; 4],
    frame_from_crop_y: [f32; 4],
    frame_size: [f32; 2],
    /// Side of the square crop, in crop pixels.
    crop_size: f32,
    _pad: f32,
}
// The WGSL struct's size, checked on that side by tests/compose.rs.
const _: () = assert!(std::mem::size_of::<FaceUniforms>() == 80);

struct FaceSlot {
    crop: Option<SizedTexture>,
    uniforms: wgpu::Buffer,
    bind_group: Option<wgpu::BindGroup>,
}

pub(super) struct FacePass {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    slots: Vec<FaceSlot>,
    /// Faces prepared for this frame (the first `active` slots).
    active: usize,
}

impl FacePass {
    pub fn new(device: &wgpu::Device) -> Self {
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("face"),
            entries: &[
                gpu::uniform_entry(0, wgpu::ShaderStages::VERTEX | wgpu::ShaderStages::FRAGMENT),
                gpu::texture_entry(1),
            ],
        });
        let module = super::shaders::module(device, "face.wgsl", super::shaders::FACE);
        let pipeline = gpu::pipeline(
            device,
            "face",
            &layout,
            (&module, "vs_main", &[]),
            (&module, "fs_main"),
            wgpu::PrimitiveTopology::TriangleStrip,
            Some(gpu::PREMULTIPLIED_OVER),
        );
        FacePass { pipeline, layout, slots: Vec::new(), active: 0 }
    }

    /// Uploads every face's crop and transform. `frame_from_crop` holds each face's inverse
    /// transform (validated invertible by the caller), in the same order as `faces`.
    pub fn prepare(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        frame_size: (u32, u32),
        faces: &[FaceLayer<'_>],
        frame_from_crop: impl Iterator<Item = Affine2x3>,
        scratch: &mut Vec<u8>,
    ) {
        while self.slots.len() < faces.len() {
            let uniforms = gpu::uniform_buffer::<FaceUniforms>(device, "face uniforms");
            self.slots.push(FaceSlot { crop: None, uniforms, bind_group: None });
        }
        for ((face, inverse), slot) in faces.iter().zip(frame_from_crop).zip(&mut self.slots) {
            let recreated = SizedTexture::ensure(
                &mut slot.crop,
                device,
                "face crop",
                gpu::COLOUR_FORMAT,
                gpu::INPUT_USAGE,
                face.size,
                face.size,
            );
            let crop = slot.crop.as_ref().unwrap();
            gpu::upload_rgb_alpha(queue, &crop.texture, face.rgb, face.alpha, scratch);
            if recreated || slot.bind_group.is_none() {
                slot.bind_group = Some(device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("face"),
                    layout: &self.layout,
                    entries: &[
                        wgpu::BindGroupEntry { binding: 0, resource: slot.uniforms.as_entire_binding() },
                        wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::TextureView(&crop.view) },
                    ],
                }));
            }
            let [a, b, c, d, e, f] = face.crop_from_frame;
            let [ia, ib, ic, id, ie, iff] = inverse;
            let uniforms = FaceUniforms {
                crop_from_frame_x: [a, b, c, 0.0],
                crop_from_frame_y: [d, e, f, 0.0],
                frame_from_crop_x: [ia, ib, ic, 0.0],
                frame_from_crop_y: [id, ie, iff, 0.0],
                frame_size: [frame_size.0 as f32, frame_size.1 as f32],
                crop_size: face.size as f32,
                _pad: 0.0,
            };
            queue.write_buffer(&slot.uniforms, 0, bytemuck::bytes_of(&uniforms));
        }
        self.active = faces.len();
    }

    /// Records one draw per prepared face into an open render pass on the output texture, in
    /// order (a later face is drawn over an earlier one).
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>) {
        if self.active == 0 {
            return;
        }
        pass.set_pipeline(&self.pipeline);
        for slot in &self.slots[..self.active] {
            if let Some(bind_group) = &slot.bind_group {
                pass.set_bind_group(0, bind_group, &[]);
                pass.draw(0..4, 0..1);
            }
        }
    }
}
