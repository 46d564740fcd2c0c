//! Drawing the feed's pictures with our own wgpu quad (`shaders/feed.wgsl`) inside egui's render
//! pass, through an egui paint callback: on a software rasterizer egui's general-purpose image
//! shader costs several times this one per pixel, and the feed covers most of the window.
//!
//! In: a texture of ours (the compositor's output, the fading copy, the camera frame), the
//! rectangle on screen, texture coordinates, opacity. Out: a paint callback egui runs while it
//! renders. UI thread (egui_wgpu calls `prepare` and `paint` there too). The pipeline is created
//! once and kept in egui_wgpu's callback resources; each picture has its own uniform buffer and
//! bind group, made when its texture is (re)created.

use bytemuck::{Pod, Zeroable};
use eframe::egui;
use eframe::egui_wgpu::{self, wgpu};

/// Keep in sync with `PictureUniforms` in shaders/feed.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable, PartialEq)]
struct PictureUniforms {
    uv_min: [f32; 2],
    uv_max: [f32; 2],
    opacity: f32,
    _pad: [f32; 3],
}
// The WGSL struct's size, checked on that side by tests/compose.rs.
const _: () = assert!(std::mem::size_of::<PictureUniforms>() == 32);

const SHADER: &str = include_str!("../../shaders/feed.wgsl");

/// The render pipeline, in egui_wgpu's callback resources.
struct PicturePipeline {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
}

/// Creates the pipeline for eframe's framebuffer format and keeps it in the renderer's callback
/// resources (once per window).
pub fn install(render_state: &egui_wgpu::RenderState) {
    let device = &render_state.device;
    let entry = |binding, ty| wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
        ty,
        count: None,
    };
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("feed picture"),
        entries: &[
            entry(
                0,
                wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
            ),
            entry(
                1,
                wgpu::BindingType::Texture {
                    sample_type: wgpu::TextureSampleType::Float { filterable: true },
                    view_dimension: wgpu::TextureViewDimension::D2,
                    multisampled: false,
                },
            ),
            entry(2, wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering)),
        ],
    });
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("feed.wgsl"),
        source: wgpu::ShaderSource::Wgsl(SHADER.into()),
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("feed picture"),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let format = render_state.target_format;
    let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some("feed picture"),
        layout: Some(&pipeline_layout),
        vertex: wgpu::VertexState {
            module: &module,
            entry_point: Some("vs_main"),
            compilation_options: Default::default(),
            buffers: &[],
        },
        primitive: wgpu::PrimitiveState { topology: wgpu::PrimitiveTopology::TriangleStrip, ..Default::default() },
        depth_stencil: None,
        multisample: wgpu::MultisampleState::default(),
        fragment: Some(wgpu::FragmentState {
            module: &module,
            entry_point: Some(if format.is_srgb() { "fs_linear" } else { "fs_gamma" }),
            compilation_options: Default::default(),
            targets: &[Some(wgpu::ColorTargetState {
                format,
                blend: Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
                write_mask: wgpu::ColorWrites::ALL,
            })],
        }),
        multiview_mask: None,
        cache: None,
    });
    let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
        label: Some("feed picture"),
        mag_filter: wgpu::FilterMode::Linear,
        min_filter: wgpu::FilterMode::Linear,
        ..Default::default()
    });
    render_state.renderer.write().callback_resources.insert(PicturePipeline { pipeline, layout, sampler });
}

/// One texture's bind group and uniforms.
#[derive(Clone)]
pub struct Picture {
    bind_group: wgpu::BindGroup,
    uniforms: wgpu::Buffer,
}

impl std::fmt::Debug for Picture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Picture")
    }
}

impl Picture {
    /// For a texture on eframe's device (after [`install`]); None before it.
    pub fn new(render_state: &egui_wgpu::RenderState, view: &wgpu::TextureView) -> Option<Picture> {
        let renderer = render_state.renderer.read();
        let pipeline: &PicturePipeline = renderer.callback_resources.get()?;
        let uniforms = render_state.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("feed picture"),
            size: std::mem::size_of::<PictureUniforms>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind_group = render_state.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("feed picture"),
            layout: &pipeline.layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: uniforms.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::TextureView(view) },
                wgpu::BindGroupEntry { binding: 2, resource: wgpu::BindingResource::Sampler(&pipeline.sampler) },
            ],
        });
        Some(Picture { bind_group, uniforms })
    }

    /// Draws the picture over `rect` (points) when egui renders this frame.
    pub fn paint(&self, painter: &egui::Painter, rect: egui::Rect, uv: egui::Rect, opacity: f32) {
        let uniforms = PictureUniforms {
            uv_min: [uv.min.x, uv.min.y],
            uv_max: [uv.max.x, uv.max.y],
            opacity: opacity.clamp(0.0, 1.0),
            _pad: [0.0; 3],
        };
        let callback = PictureCallback { picture: self.clone(), uniforms };
        painter.add(egui_wgpu::Callback::new_paint_callback(rect, callback));
    }
}

struct PictureCallback {
    picture: Picture,
    uniforms: PictureUniforms,
}

impl egui_wgpu::CallbackTrait for PictureCallback {
    fn prepare(
        &self,
        _device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &egui_wgpu::ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        _resources: &mut egui_wgpu::CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        queue.write_buffer(&self.picture.uniforms, 0, bytemuck::bytes_of(&self.uniforms));
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        render_pass: &mut wgpu::RenderPass<'static>,
        resources: &egui_wgpu::CallbackResources,
    ) {
        let Some(pipeline) = resources.get::<PicturePipeline>() else { return };
        render_pass.set_pipeline(&pipeline.pipeline);
        render_pass.set_bind_group(0, &self.picture.bind_group, &[]);
        render_pass.draw(0..4, 0..1);
    }
}
