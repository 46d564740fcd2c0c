//! Drawn faces pass: after the background, silhouette and face layers, each face is reshaped
//! toward its character's geometry (the warp mesh drawn from a copy of the composed frame:
//! `shaders/face_warp.wgsl`) and then drawn (skin, blush, lips, eyes, strokes:
//! `shaders/drawn.wgsl`), one set of draws per face.
//!
//! In: [`DrawnFace`]s (landmarks, [`FaceLook`], skin statistics) and the frame. Out: faces warped
//! and drawn into the output texture. Runs on the compositor's thread. The CPU side (warp, shapes)
//! is `crate::draw`; this pass owns the GPU side: vertex and index buffers sized once for
//! [`MAX_FACES`] faces, a frame-sized copy texture recreated only when the frame size changes,
//! and CPU scratch reused across frames (no allocation per frame once warm). The face mesh's
//! triangle table is loaded on first use; a missing or damaged file is an error naming it.

use std::path::PathBuf;

use bytemuck::{Pod, Zeroable};

use super::gpu::{self, SizedTexture};
use super::{ComposeError, DrawnFace, MAX_FACES};
use crate::draw::expression::Expression;
use crate::draw::face::{
    DrawVertex, FaceBuilder, FaceDrawing, FaceInput, FrameView, MAX_INDICES_PER_FACE, MAX_VERTICES_PER_FACE,
};
use crate::draw::tessellation::{self, FaceTopology, TopologyError, WARP_VERTICES};
use crate::draw::warp::{Warp, warp_face};
use crate::draw::{MIN_EYE_DISTANCE_PX, xy};
use crate::perception::mesh::LANDMARKS;

/// Keep in sync with `DrawnUniforms` in shaders/face_warp.wgsl and shaders/drawn.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct DrawnUniforms {
    frame_size: [f32; 2],
    _pad: [f32; 2],
}
const _: () = assert!(std::mem::size_of::<DrawnUniforms>() == 16);

/// A warp mesh vertex: warped position, original position (frame pixels).
type WarpVertex = [f32; 4];

/// Frames a track's expression is remembered after it was last drawn.
const EXPRESSION_MEMORY_FRAMES: u64 = 15;

pub(super) struct DrawnPass {
    warp_pipeline: wgpu::RenderPipeline,
    draw_pipeline: wgpu::RenderPipeline,
    warp_layout: wgpu::BindGroupLayout,
    uniforms: wgpu::Buffer,
    sampler: wgpu::Sampler,
    draw_bind: wgpu::BindGroup,
    /// Copy of the composed frame the warp reads from; frame-sized.
    source: Option<SizedTexture>,
    warp_bind: Option<wgpu::BindGroup>,
    warp_vertices: wgpu::Buffer,
    warp_indices: Option<(wgpu::Buffer, u32)>,
    draw_vertices: wgpu::Buffer,
    draw_indices: wgpu::Buffer,
    topology_path: PathBuf,
    topology: Option<Result<FaceTopology, TopologyError>>,
    // per frame, reused
    warps: Vec<Warp>,
    warp_data: Vec<WarpVertex>,
    /// Slot (in the warp vertex buffer) of each warped face.
    warped_slots: usize,
    /// Frame region the warps read (x0, y0, x1, y1).
    copy_region: Option<[u32; 4]>,
    drawing: FaceDrawing,
    builder: FaceBuilder,
    /// Each track's last expression and the frame it was seen (bounded: evicted after
    /// `EXPRESSION_MEMORY_FRAMES`, at most `2 * MAX_FACES` entries).
    expressions: Vec<(u32, Expression, u64)>,
    frames: u64,
    draw_indices_count: u32,
}

impl DrawnPass {
    pub fn new(device: &wgpu::Device) -> Self {
        let warp_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("face warp"),
            entries: &[
                gpu::uniform_entry(0, wgpu::ShaderStages::VERTEX | wgpu::ShaderStages::FRAGMENT),
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: true },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 2,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
            ],
        });
        let draw_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("drawn faces"),
            entries: &[gpu::uniform_entry(0, wgpu::ShaderStages::VERTEX | wgpu::ShaderStages::FRAGMENT)],
        });
        let warp_module = super::shaders::module(device, "face_warp.wgsl", super::shaders::FACE_WARP);
        let draw_module = super::shaders::module(device, "drawn.wgsl", super::shaders::DRAWN);
        let warp_attributes = wgpu::vertex_attr_array![0 => Float32x2, 1 => Float32x2];
        let warp_pipeline = gpu::pipeline(
            device,
            "face warp",
            &warp_layout,
            (
                &warp_module,
                "vs_main",
                &[Some(wgpu::VertexBufferLayout {
                    array_stride: std::mem::size_of::<WarpVertex>() as u64,
                    step_mode: wgpu::VertexStepMode::Vertex,
                    attributes: &warp_attributes,
                })],
            ),
            (&warp_module, "fs_main"),
            wgpu::PrimitiveTopology::TriangleList,
            None,
        );
        let draw_attributes = wgpu::vertex_attr_array![
            0 => Float32x2, 1 => Float32x2, 2 => Float32x4, 3 => Float32x4, 4 => Float32x4
        ];
        let draw_pipeline = gpu::pipeline(
            device,
            "drawn faces",
            &draw_layout,
            (
                &draw_module,
                "vs_main",
                &[Some(wgpu::VertexBufferLayout {
                    array_stride: std::mem::size_of::<DrawVertex>() as u64,
                    step_mode: wgpu::VertexStepMode::Vertex,
                    attributes: &draw_attributes,
                })],
            ),
            (&draw_module, "fs_main"),
            wgpu::PrimitiveTopology::TriangleList,
            Some(gpu::PREMULTIPLIED_OVER),
        );
        let uniforms = gpu::uniform_buffer::<DrawnUniforms>(device, "drawn uniforms");
        let draw_bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("drawn faces"),
            layout: &draw_layout,
            entries: &[wgpu::BindGroupEntry { binding: 0, resource: uniforms.as_entire_binding() }],
        });
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("face warp"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        let buffer = |label: &str, size: usize, usage: wgpu::BufferUsages| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: size as u64,
                usage: usage | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let vertex = wgpu::BufferUsages::VERTEX;
        DrawnPass {
            warp_pipeline,
            draw_pipeline,
            warp_layout,
            uniforms,
            sampler,
            draw_bind,
            source: None,
            warp_bind: None,
            warp_vertices: buffer("warp vertices", MAX_FACES * WARP_VERTICES * 16, vertex),
            warp_indices: None,
            draw_vertices: buffer(
                "drawn vertices",
                MAX_FACES * MAX_VERTICES_PER_FACE * std::mem::size_of::<DrawVertex>(),
                vertex,
            ),
            draw_indices: buffer("drawn indices", MAX_FACES * MAX_INDICES_PER_FACE * 4, wgpu::BufferUsages::INDEX),
            topology_path: tessellation::default_path(),
            topology: None,
            warps: (0..MAX_FACES).map(|_| Warp::default()).collect(),
            warp_data: Vec::with_capacity(MAX_FACES * WARP_VERTICES),
            warped_slots: 0,
            copy_region: None,
            drawing: FaceDrawing::default(),
            builder: FaceBuilder::default(),
            expressions: Vec::with_capacity(2 * MAX_FACES),
            frames: 0,
            draw_indices_count: 0,
        }
    }

    /// Computes every face's warp and drawing on the CPU and uploads them.
    pub fn prepare(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        frame: FrameView<'_>,
        faces: &[DrawnFace<'_>],
    ) -> Result<(), ComposeError> {
        self.warped_slots = 0;
        self.copy_region = None;
        self.draw_indices_count = 0;
        self.frames += 1;
        let now = self.frames;
        self.expressions.retain(|e| now - e.2 <= EXPRESSION_MEMORY_FRAMES);
        if faces.is_empty() {
            return Ok(());
        }
        if self.topology.is_none() {
            self.topology = Some(tessellation::load(&self.topology_path));
        }
        let topology = match self.topology.as_ref().unwrap() {
            Ok(t) => t,
            Err(e) => return Err(ComposeError::FaceMesh(e.clone())),
        };
        if self.warp_indices.is_none() {
            let indices = &topology.warp_indices;
            let buffer = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("warp indices"),
                size: (indices.len() * 2).next_multiple_of(4) as u64,
                usage: wgpu::BufferUsages::INDEX | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let mut bytes: Vec<u8> = bytemuck::cast_slice(indices).to_vec();
            bytes.resize(bytes.len().next_multiple_of(4), 0);
            queue.write_buffer(&buffer, 0, &bytes);
            self.warp_indices = Some((buffer, indices.len() as u32));
        }
        self.warp_data.clear();
        self.drawing.clear();
        for (face, warp) in faces.iter().take(MAX_FACES).zip(&mut self.warps) {
            let landmarks = face.landmarks;
            let span = crate::draw::len(crate::draw::sub(xy(landmarks[33]), xy(landmarks[263])));
            if !span.is_finite() || span < MIN_EYE_DISTANCE_PX {
                continue;
            }
            let reshaped = face.look.reshapes();
            if reshaped {
                warp_face(landmarks, &face.look.geometry, topology, warp);
                self.warp_data.extend(warp.warped.iter().zip(&warp.original).map(|(w, o)| [w[0], w[1], o[0], o[1]]));
                self.warped_slots += 1;
                let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
                for p in &warp.original {
                    x0 = x0.min(p[0]);
                    y0 = y0.min(p[1]);
                    x1 = x1.max(p[0]);
                    y1 = y1.max(p[1]);
                }
                let (w, h) = (frame.width as f32, frame.height as f32);
                let r = [
                    (x0 - 2.0).clamp(0.0, w) as u32,
                    (y0 - 2.0).clamp(0.0, h) as u32,
                    (x1 + 2.0).ceil().clamp(0.0, w) as u32,
                    (y1 + 2.0).ceil().clamp(0.0, h) as u32,
                ];
                self.copy_region = Some(match self.copy_region {
                    None => r,
                    Some(c) => [c[0].min(r[0]), c[1].min(r[1]), c[2].max(r[2]), c[3].max(r[3])],
                });
            } else {
                warp.original.clear();
                warp.original.extend(landmarks[..LANDMARKS].iter().map(|&p| xy(p)));
                warp.warped.clear();
                warp.warped.extend_from_slice(&warp.original);
            }
            if let Some(drawing) = &face.look.drawing {
                let input = FaceInput {
                    warped: &warp.warped[..LANDMARKS],
                    original: landmarks,
                    look: face.look,
                    drawing,
                    skin: face.skin.as_ref(),
                    frame,
                    previous: self.expressions.iter().find(|e| e.0 == face.track_id).map(|e| e.1),
                };
                if let Some(ex) = self.builder.build(&input, topology, &mut self.drawing) {
                    let full = self.expressions.len() >= 2 * MAX_FACES;
                    match self.expressions.iter_mut().find(|e| e.0 == face.track_id) {
                        Some(slot) => *slot = (face.track_id, ex, now),
                        None if !full => self.expressions.push((face.track_id, ex, now)),
                        None => {}
                    }
                }
            }
        }
        let uniforms = DrawnUniforms { frame_size: [frame.width as f32, frame.height as f32], _pad: [0.0; 2] };
        queue.write_buffer(&self.uniforms, 0, bytemuck::bytes_of(&uniforms));
        if !self.warp_data.is_empty() {
            queue.write_buffer(&self.warp_vertices, 0, bytemuck::cast_slice(&self.warp_data));
            let usage = wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST;
            let recreated = SizedTexture::ensure(
                &mut self.source,
                device,
                "face warp source",
                gpu::COLOUR_FORMAT,
                usage,
                frame.width,
                frame.height,
            );
            if recreated || self.warp_bind.is_none() {
                let source = self.source.as_ref().unwrap();
                self.warp_bind = Some(device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("face warp"),
                    layout: &self.warp_layout,
                    entries: &[
                        wgpu::BindGroupEntry { binding: 0, resource: self.uniforms.as_entire_binding() },
                        wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::TextureView(&source.view) },
                        wgpu::BindGroupEntry { binding: 2, resource: wgpu::BindingResource::Sampler(&self.sampler) },
                    ],
                }));
            }
        }
        if !self.drawing.indices.is_empty() {
            queue.write_buffer(&self.draw_vertices, 0, bytemuck::cast_slice(&self.drawing.vertices));
            queue.write_buffer(&self.draw_indices, 0, bytemuck::cast_slice(&self.drawing.indices));
            self.draw_indices_count = self.drawing.indices.len() as u32;
        }
        Ok(())
    }

    /// Whether [`Self::record`] has anything to do this frame.
    pub fn active(&self) -> bool {
        self.warped_slots > 0 || self.draw_indices_count > 0
    }

    /// Records the copy, the warps and the drawing (after every other layer).
    pub fn record(&self, encoder: &mut wgpu::CommandEncoder, output: &SizedTexture) {
        if !self.active() {
            return;
        }
        if let (Some(region), Some(source)) = (self.copy_region, &self.source)
            && self.warped_slots > 0
            && region[2] > region[0]
            && region[3] > region[1]
        {
            let origin = wgpu::Origin3d { x: region[0], y: region[1], z: 0 };
            encoder.copy_texture_to_texture(
                wgpu::TexelCopyTextureInfo { origin, ..output.texture.as_image_copy() },
                wgpu::TexelCopyTextureInfo { origin, ..source.texture.as_image_copy() },
                wgpu::Extent3d {
                    width: region[2] - region[0],
                    height: region[3] - region[1],
                    depth_or_array_layers: 1,
                },
            );
        }
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("drawn faces"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &output.view,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations { load: wgpu::LoadOp::Load, store: wgpu::StoreOp::Store },
            })],
            ..Default::default()
        });
        if self.warped_slots > 0
            && let (Some(bind), Some((indices, count))) = (&self.warp_bind, &self.warp_indices)
        {
            pass.set_pipeline(&self.warp_pipeline);
            pass.set_bind_group(0, bind, &[]);
            pass.set_vertex_buffer(0, self.warp_vertices.slice(..));
            pass.set_index_buffer(indices.slice(..), wgpu::IndexFormat::Uint16);
            for slot in 0..self.warped_slots {
                pass.draw_indexed(0..*count, (slot * WARP_VERTICES) as i32, 0..1);
            }
        }
        if self.draw_indices_count > 0 {
            pass.set_pipeline(&self.draw_pipeline);
            pass.set_bind_group(0, &self.draw_bind, &[]);
            pass.set_vertex_buffer(0, self.draw_vertices.slice(..));
            pass.set_index_buffer(self.draw_indices.slice(..), wgpu::IndexFormat::Uint32);
            pass.draw_indexed(0..self.draw_indices_count, 0, 0..1);
        }
    }
}
