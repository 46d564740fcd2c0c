//! Person paint pass: each person's skin outside the face and their hair, blended over the
//! upsampled background (`shaders/person_paint.wgsl`).
//!
//! In: the low-res person and skin masks (on the GPU the shared [`MaskTexture`]), one
//! [`PersonPaint`] per person, and the background pass's frame and guide textures. Out: skin and hair blended into the output texture. Runs on
//! the compositor's thread. Only the person-mask cells that can hold skin (skin likelihood inside
//! the person) or hair (inside some person's hair region) are rasterized, listed on the CPU each
//! frame: on a software rasterizer a shader costs every one of its instructions on every pixel it
//! covers, whether its branches are taken or not. When the background is upsampled on the CPU,
//! the same cells are painted there instead ([`super::paint_cpu`]).

use bytemuck::{Pod, Zeroable};

use super::cells::CellRun;
use super::gpu;
use super::masks::{self, MaskTexture};
use super::{MaskView, PersonPaint};

/// People painted at most (keep in sync with `MAX_PEOPLE` in shaders/person_paint.wgsl).
pub(super) const MAX_PEOPLE: usize = 8;

/// Person probability below which the shader paints no skin (`smoothstep(0.3, 0.7, person)`),
/// and no hair (`smoothstep(0.4, 0.8, person)`); skin likelihood below which it paints no skin
/// (`smoothstep(0.05, 0.3, skin)`).
const SKIN_MIN_PERSON: f32 = 0.3;
const HAIR_MIN_PERSON: f32 = 0.4;
const SKIN_MIN_LIKELIHOOD: f32 = 0.05;

/// The hair region: an ellipse around the head whose centre sits this many face half-heights above
/// the face's centre...
const HAIR_CENTRE_UP: f32 = 0.45;
/// ...with half axes these multiples of the face oval's.
const HAIR_HALF_AXES: [f32; 2] = [1.6, 1.6];

/// Keep in sync with `PaintUniforms` in shaders/person_paint.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct PaintUniforms {
    frame_size: [f32; 2],
    mask_size: [f32; 2],
    guide_size: [f32; 2],
    _pad: [u32; 2],
}
// The WGSL struct's size, checked on that side by tests/compose.rs.
const _: () = assert!(std::mem::size_of::<PaintUniforms>() == 32);

/// Keep in sync with `PersonUniforms` in shaders/person_paint.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Default)]
pub struct PersonUniform {
    pub(super) face: [f32; 4],
    pub(super) rot: [f32; 4],
    pub(super) skin_chroma: [f32; 4],
    pub(super) skin_icov: [f32; 4],
    pub(super) skin_shadow: [f32; 4],
    pub(super) skin_base: [f32; 4],
    pub(super) skin_light: [f32; 4],
    pub(super) hair_chroma: [f32; 4],
    pub(super) hair_shadow: [f32; 4],
    pub(super) hair_base: [f32; 4],
    pub(super) hair_light: [f32; 4],
    pub(super) hair_region: [f32; 4],
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

    /// The point in this face's frame (x right, y down along the face), in pixels.
    pub(super) fn face_space(&self, at: [f32; 2]) -> [f32; 2] {
        let (cos, sin) = (self.rot[0], self.rot[1]);
        let d = [at[0] - self.face[0], at[1] - self.face[1]];
        [cos * d[0] + sin * d[1], -sin * d[0] + cos * d[1]]
    }

    /// How far `at` is from this face, for "the nearest face": sideways distance counts fully,
    /// below the face only a little (the body hangs below its head), in face half-axes.
    fn distance(&self, at: [f32; 2]) -> f32 {
        let q = self.face_space(at);
        let (x, y) = (q[0] / self.face[2], q[1] / self.face[3]);
        x.abs() + 0.25 * y.max(0.0) + (-y).max(0.0)
    }

    /// Whether the hair region (`e < 1` in shaders/person_paint.wgsl) reaches within `radius_px`
    /// of `at` (frame pixels).
    fn hair_region_near(&self, at: [f32; 2], radius_px: f32) -> bool {
        let q = self.face_space(at);
        let axes = [self.face[2] * self.hair_region[1], self.face[3] * self.hair_region[2]];
        let qh = [q[0] / axes[0], (q[1] + self.hair_region[0] * self.face[3]) / axes[1]];
        (qh[0] * qh[0] + qh[1] * qh[1]).sqrt() - radius_px / axes[0].min(axes[1]) < 1.0
    }
}

/// Frame textures the paint reads, owned by the background pass.
pub(super) struct PaintSources<'a> {
    pub frame: &'a wgpu::TextureView,
    /// The guide (the frame at the working resolution), or the background standing in for it.
    pub guide: &'a wgpu::TextureView,
    pub guide_size: (u32, u32),
    /// Changes whenever those textures are recreated.
    pub generation: u64,
}

pub(super) struct PaintPass {
    skin_pipeline: wgpu::RenderPipeline,
    hair_pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    uniforms: wgpu::Buffer,
    people: wgpu::Buffer,
    people_data: [PersonUniform; MAX_PEOPLE],
    bind_group: Option<wgpu::BindGroup>,
    /// The sources' and the mask texture's generations the bind group binds.
    bound: (u64, u64),
    /// Instance buffer: the skin runs, then the hair runs; sized for the most both can have.
    runs_buffer: Option<wgpu::Buffer>,
    runs_capacity: u64,
    /// This frame's runs (reused) and how many of them are skin.
    runs: Vec<CellRun>,
    skin_runs: usize,
    /// Per mask cell: its largest person probability over its 4 corners, and the nearest face
    /// at its centre (reused).
    cells: Vec<(f32, u32)>,
}

impl PaintPass {
    pub fn new(device: &wgpu::Device) -> Self {
        let both = wgpu::ShaderStages::VERTEX | wgpu::ShaderStages::FRAGMENT;
        let [mask, sampler] = masks::layout_entries(3, wgpu::ShaderStages::FRAGMENT);
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("person paint"),
            entries: &[
                gpu::uniform_entry(0, both),
                gpu::texture_entry(1),
                gpu::texture_entry(2),
                mask,
                sampler,
                gpu::uniform_entry(5, wgpu::ShaderStages::FRAGMENT),
            ],
        });
        let module = super::shaders::module(device, "person_paint.wgsl", super::shaders::PERSON_PAINT);
        let runs_layout = wgpu::VertexBufferLayout {
            array_stride: std::mem::size_of::<CellRun>() as u64,
            step_mode: wgpu::VertexStepMode::Instance,
            attributes: &wgpu::vertex_attr_array![0 => Uint32x4],
        };
        let pipeline = |label: &str, fragment: &str| {
            gpu::pipeline(
                device,
                label,
                &layout,
                (&module, "vs_main", &[Some(runs_layout.clone())]),
                (&module, fragment),
                wgpu::PrimitiveTopology::TriangleStrip,
                Some(gpu::PREMULTIPLIED_OVER),
            )
        };
        let (skin_pipeline, hair_pipeline) = (pipeline("skin paint", "fs_skin"), pipeline("hair paint", "fs_hair"));
        PaintPass {
            skin_pipeline,
            hair_pipeline,
            uniforms: gpu::uniform_buffer::<PaintUniforms>(device, "paint uniforms"),
            people: gpu::uniform_buffer::<[PersonUniform; MAX_PEOPLE]>(device, "people"),
            layout,
            people_data: [PersonUniform::default(); MAX_PEOPLE],
            bind_group: None,
            bound: (u64::MAX, u64::MAX),
            runs_buffer: None,
            runs_capacity: 0,
            runs: Vec::new(),
            skin_runs: 0,
            cells: Vec::new(),
        }
    }

    /// Lists the cells to paint and uploads them with the people (sizes already validated; the
    /// masks already uploaded into `masks`). Without a skin mask no skin is painted.
    #[allow(clippy::too_many_arguments)]
    pub fn prepare(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        frame_size: (u32, u32),
        sources: &PaintSources<'_>,
        masks: &MaskTexture,
        person: &MaskView<'_>,
        skin: Option<&MaskView<'_>>,
        people: &[PersonPaint],
    ) {
        let people = &people[..people.len().min(MAX_PEOPLE)];
        if !self.list(frame_size, person, skin, people) {
            return;
        }
        let bound = (sources.generation, masks.generation());
        if (self.bind_group.is_none() || self.bound != bound)
            && let Some([mask, sampler]) = masks.bind_entries(3)
        {
            self.bind_group = Some(device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("person paint"),
                layout: &self.layout,
                entries: &[
                    wgpu::BindGroupEntry { binding: 0, resource: self.uniforms.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::TextureView(sources.frame) },
                    wgpu::BindGroupEntry { binding: 2, resource: wgpu::BindingResource::TextureView(sources.guide) },
                    mask,
                    sampler,
                    wgpu::BindGroupEntry { binding: 5, resource: self.people.as_entire_binding() },
                ],
            }));
            self.bound = bound;
        }
        // every cell its own run at worst (runs end where the person changes), skin and hair
        let capacity = 2 * u64::from(person.width) * u64::from(person.height);
        if self.runs_capacity < capacity {
            self.runs_buffer = Some(device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("paint runs"),
                size: capacity * std::mem::size_of::<CellRun>() as u64,
                usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }));
            self.runs_capacity = capacity;
        }
        queue.write_buffer(self.runs_buffer.as_ref().unwrap(), 0, bytemuck::cast_slice(&self.runs));
        queue.write_buffer(&self.people, 0, bytemuck::cast_slice(&self.people_data[..people.len()]));
        let uniforms = PaintUniforms {
            frame_size: [frame_size.0 as f32, frame_size.1 as f32],
            mask_size: [person.width as f32, person.height as f32],
            guide_size: [sources.guide_size.0 as f32, sources.guide_size.1 as f32],
            _pad: [0; 2],
        };
        queue.write_buffer(&self.uniforms, 0, bytemuck::bytes_of(&uniforms));
    }

    /// Takes this frame's people and lists the cells to paint (the CPU half of [`Self::prepare`],
    /// all that painting on the CPU needs). False when there is nothing to paint.
    pub fn list(
        &mut self,
        frame_size: (u32, u32),
        person: &MaskView<'_>,
        skin: Option<&MaskView<'_>>,
        people: &[PersonPaint],
    ) -> bool {
        let people = &people[..people.len().min(MAX_PEOPLE)];
        for (slot, paint) in self.people_data.iter_mut().zip(people) {
            *slot = PersonUniform::from_paint(paint);
        }
        self.list_cells(frame_size, person, skin, people.len());
        !self.runs.is_empty()
    }

    /// The listed runs (skin first, then hair), how many are skin, and the people they name.
    pub fn listed(&self) -> (&[CellRun], usize, &[PersonUniform]) {
        (&self.runs, self.skin_runs, &self.people_data)
    }

    /// The runs of cells that can hold skin (skin likelihood inside the person), then those that
    /// can hold hair (inside their person's hair region), each run with its person.
    fn list_cells(&mut self, frame_size: (u32, u32), person: &MaskView<'_>, skin: Option<&MaskView<'_>>, count: usize) {
        self.runs.clear();
        self.cells.clear();
        self.skin_runs = 0;
        let (w, h) = (person.width as usize, person.height as usize);
        if w < 2 || h < 2 || count == 0 {
            return;
        }
        let people = &self.people_data[..count];
        // f32::max skips NaN: a corrupt mask value paints nothing
        let corners_max = |data: &[f32], x: usize, y: usize| {
            let (top, bottom) = (&data[y * w + x..y * w + x + 2], &data[(y + 1) * w + x..(y + 1) * w + x + 2]);
            top.iter().chain(bottom).fold(0.0f32, |m, &v| m.max(v))
        };
        let (sx, sy) = (frame_size.0 as f32 / w as f32, frame_size.1 as f32 / h as f32);
        let centre = |x: usize, y: usize| [(x as f32 + 1.0) * sx, (y as f32 + 1.0) * sy];
        for y in 0..h - 1 {
            for x in 0..w - 1 {
                let p = corners_max(person.data, x, y);
                let nearest = if p >= SKIN_MIN_PERSON.min(HAIR_MIN_PERSON) {
                    let at = centre(x, y);
                    (0..count).min_by(|&a, &b| people[a].distance(at).total_cmp(&people[b].distance(at))).unwrap_or(0)
                } else {
                    0
                };
                self.cells.push((p, nearest as u32));
            }
        }
        let cells = &self.cells;
        let cell = |x: usize, y: usize| cells[y * (w - 1) + x];
        // skin: a skin mask on another grid than the person mask's reads as skin everywhere
        if let Some(skin) = skin {
            let same_grid = (skin.width, skin.height) == (person.width, person.height);
            let skin_cell = |x: usize, y: usize| {
                let (p, nearest) = cell(x, y);
                let skin_here = !same_grid || corners_max(skin.data, x, y) > SKIN_MIN_LIKELIHOOD;
                (p >= SKIN_MIN_PERSON && skin_here && people[nearest as usize].rot[3] > 0.0).then_some(nearest)
            };
            super::cells::push_runs(w - 1, h - 1, skin_cell, &mut self.runs);
        }
        self.skin_runs = self.runs.len();
        // hair: a cell and its border half texels lie within `radius` of the cell's centre
        let radius = (sx * sx + sy * sy).sqrt();
        let hair_cell = |x: usize, y: usize| {
            let (p, nearest) = cell(x, y);
            let person = &people[nearest as usize];
            (p >= HAIR_MIN_PERSON && person.rot[2] > 0.0 && person.hair_region_near(centre(x, y), radius))
                .then_some(nearest)
        };
        super::cells::push_runs(w - 1, h - 1, hair_cell, &mut self.runs);
    }

    /// Records the skin and then the hair draws into an open render pass on the output texture.
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>) {
        let (Some(bind_group), Some(runs)) = (&self.bind_group, &self.runs_buffer) else { return };
        if self.runs.is_empty() {
            return;
        }
        pass.set_bind_group(0, bind_group, &[]);
        pass.set_vertex_buffer(0, runs.slice(..));
        let (skin, all) = (self.skin_runs as u32, self.runs.len() as u32);
        if skin > 0 {
            pass.set_pipeline(&self.skin_pipeline);
            pass.draw(0..4, 0..skin);
        }
        if all > skin {
            pass.set_pipeline(&self.hair_pipeline);
            pass.draw(0..4, skin..all);
        }
    }
}
