//! Silhouette ink pass: a soft ink outline along the person mask's edge (`shaders/silhouette.wgsl`),
//! blended over the composed background.
//!
//! In: the low-res person probability mask (f32 in [0, 1], covering the whole frame; on the GPU
//! the shared [`MaskTexture`] with its gradient) and the ink parameters. Out: ink blended into
//! the output texture. Runs on the compositor's thread. Only the
//! mask cells where the mask changes enough to draw ink are rasterized (listed on the CPU, a few
//! hundred runs for a person), so the pass costs little even on a software rasterizer.
//!
//! The line is drawn only where the photo has an edge too: a cell whose pixels (the frame's
//! luma, the line's width around the cell) span less than [`PHOTO_EDGE_CONTRAST`] levels is
//! left out. The low-res mask's contour strays from the person where the scene is as dark or
//! as light as they are (a wall behind the hair, a table between people) and drew a wandering
//! line across flat background there; along a real outline the photo changes and the line stays.

use bytemuck::{Pod, Zeroable};

use super::cells::{self, CellRun};
use super::gpu;
use super::masks::{self, MaskTexture};
use super::{ComposeParams, MaskView};

/// Mask gradient (per mask texel) below which no ink is drawn, and from which it is full strength.
const SOFT_EDGE_GRADIENT: f32 = 0.04;
const HARD_EDGE_GRADIENT: f32 = 0.15;
/// Luma range (levels) the photo must span around a mask cell for the cell to carry ink: above
/// sensor noise and JPEG blocks on a flat wall (a few levels), below the step of any outline
/// one would draw.
const PHOTO_EDGE_CONTRAST: u8 = 14;

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
    soft_edge_gradient: f32,
    hard_edge_gradient: f32,
    _pad: f32,
}
// The WGSL struct's size, checked on that side by tests/compose.rs.
const _: () = assert!(std::mem::size_of::<SilhouetteUniforms>() == 48);

pub(super) struct SilhouettePass {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    uniforms: wgpu::Buffer,
    bind_group: Option<wgpu::BindGroup>,
    /// The mask texture's generation the bind group binds.
    bound_generation: u64,
    /// Instance buffer, sized for the most runs a mask of this size can have.
    runs_buffer: Option<wgpu::Buffer>,
    runs_capacity: u64,
    /// This frame's runs (reused).
    runs: Vec<CellRun>,
    /// Scratch for `list_edge_runs` (reused).
    row_spans: Vec<(f32, f32)>,
}

impl SilhouettePass {
    pub fn new(device: &wgpu::Device) -> Self {
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("silhouette"),
            entries: &{
                let [mask, sampler] = masks::layout_entries(1, wgpu::ShaderStages::FRAGMENT);
                [gpu::uniform_entry(0, wgpu::ShaderStages::VERTEX | wgpu::ShaderStages::FRAGMENT), mask, sampler]
            },
        });
        let module = super::shaders::module(device, "silhouette.wgsl", super::shaders::SILHOUETTE);
        let runs_layout = wgpu::VertexBufferLayout {
            array_stride: std::mem::size_of::<CellRun>() as u64,
            step_mode: wgpu::VertexStepMode::Instance,
            attributes: &wgpu::vertex_attr_array![0 => Uint32x4],
        };
        let pipeline = gpu::pipeline(
            device,
            "silhouette",
            &layout,
            (&module, "vs_main", &[Some(runs_layout)]),
            (&module, "fs_main"),
            wgpu::PrimitiveTopology::TriangleStrip,
            Some(gpu::PREMULTIPLIED_OVER),
        );
        let uniforms = gpu::uniform_buffer::<SilhouetteUniforms>(device, "silhouette uniforms");
        SilhouettePass {
            pipeline,
            layout,
            uniforms,
            bind_group: None,
            bound_generation: u64::MAX,
            runs_buffer: None,
            runs_capacity: 0,
            runs: Vec::new(),
            row_spans: Vec::new(),
        }
    }

    /// Lists the runs of cells to draw (the mask's size already validated, and the mask already
    /// uploaded into `masks`) and uploads them with the uniforms.
    pub fn prepare(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        (frame, width, height): (&[u8], u32, u32),
        mask: &MaskView<'_>,
        masks: &MaskTexture,
        params: &ComposeParams,
    ) {
        if (self.bind_group.is_none() || self.bound_generation != masks.generation())
            && let Some([texture, sampler]) = masks.bind_entries(1)
        {
            self.bind_group = Some(device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("silhouette"),
                layout: &self.layout,
                entries: &[
                    wgpu::BindGroupEntry { binding: 0, resource: self.uniforms.as_entire_binding() },
                    texture,
                    sampler,
                ],
            }));
            self.bound_generation = masks.generation();
        }
        let most_runs = cells::most_runs(mask.width, mask.height);
        if self.runs_capacity < most_runs {
            self.runs_buffer = Some(device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("silhouette runs"),
                size: most_runs * std::mem::size_of::<CellRun>() as u64,
                usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }));
            self.runs_capacity = most_runs;
        }
        let photo = Photo { rgb: frame, width: width as usize, height: height as usize };
        let reach = params.silhouette_ink_width_px.max(1.0) * 0.5 + 1.0;
        list_edge_runs(mask, (&photo, reach), &mut self.row_spans, &mut self.runs);
        if !self.runs.is_empty() {
            queue.write_buffer(self.runs_buffer.as_ref().unwrap(), 0, bytemuck::cast_slice(&self.runs));
        }

        let [r, g, b] = params.silhouette_ink_rgb;
        let uniforms = SilhouetteUniforms {
            ink: [r, g, b, params.silhouette_ink.clamp(0.0, 1.0)],
            frame_size: [width as f32, height as f32],
            mask_size: [mask.width as f32, mask.height as f32],
            half_width_px: params.silhouette_ink_width_px.max(0.0) * 0.5,
            soft_edge_gradient: SOFT_EDGE_GRADIENT,
            hard_edge_gradient: HARD_EDGE_GRADIENT,
            _pad: 0.0,
        };
        queue.write_buffer(&self.uniforms, 0, bytemuck::bytes_of(&uniforms));
    }

    /// Records the pass into an open render pass on the output texture.
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>) {
        let (Some(bind_group), Some(runs)) = (&self.bind_group, &self.runs_buffer) else { return };
        if self.runs.is_empty() {
            return;
        }
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        pass.set_vertex_buffer(0, runs.slice(..));
        pass.draw(0..4, 0..self.runs.len() as u32);
    }
}

/// The RGB8 frame the ink goes over.
struct Photo<'a> {
    rgb: &'a [u8],
    width: usize,
    height: usize,
}

impl Photo<'_> {
    /// Whether the frame's luma spans at least [`PHOTO_EDGE_CONTRAST`] levels in the pixel
    /// rectangle [x0, x1) x [y0, y1) (clamped to the frame; at most about 16 samples a side).
    fn has_edge(&self, x0: f32, x1: f32, y0: f32, y1: f32) -> bool {
        if self.rgb.len() < self.width * self.height * 3 || self.width == 0 || self.height == 0 {
            return true;
        }
        let clamp = |v: f32, n: usize| (v.max(0.0) as usize).min(n - 1);
        let (x0, x1) = (clamp(x0, self.width), clamp(x1, self.width));
        let (y0, y1) = (clamp(y0, self.height), clamp(y1, self.height));
        let step = ((x1 - x0).max(y1 - y0) / 16).max(1);
        let (mut lo, mut hi) = (u8::MAX, u8::MIN);
        for y in (y0..=y1).step_by(step) {
            let row = &self.rgb[y * self.width * 3..(y + 1) * self.width * 3];
            for p in row[x0 * 3..(x1 + 1) * 3].chunks_exact(3).step_by(step) {
                let l = ((77 * p[0] as u32 + 150 * p[1] as u32 + 29 * p[2] as u32) >> 8) as u8;
                lo = lo.min(l);
                hi = hi.max(l);
            }
            if hi - lo >= PHOTO_EDGE_CONTRAST {
                return true;
            }
        }
        false
    }
}

/// Lists, row by row, the runs of mask cells where the shader can draw ink: its gradient (central
/// differences, interpolated) is at most sqrt(2)/2 times the spread (max - min) of the cell's 4x4
/// texel neighbourhood, so cells whose spread is below sqrt(2) * `SOFT_EDGE_GRADIENT` get none.
/// `row_spans` is scratch: each texel row's min and max over the 4 columns around every cell.
/// Only cells where the photo has an edge too are listed (`reach`: how far the line reaches
/// beyond a cell, in pixels).
fn list_edge_runs(
    mask: &MaskView<'_>,
    (photo, reach): (&Photo<'_>, f32),
    row_spans: &mut Vec<(f32, f32)>,
    runs: &mut Vec<CellRun>,
) {
    runs.clear();
    let (width, height) = (mask.width as usize, mask.height as usize);
    if width < 2 || height < 2 {
        return;
    }
    let cells_wide = width - 1;
    // Texels i-1 ..= i+2 (clamped) around cell i, as an inclusive index range.
    let around = |i: usize, len: usize| i.saturating_sub(1)..=(i + 2).min(len - 1);
    // (min, max) of (min, max) pairs; f32::min/max skip NaN: a corrupt mask value draws no ink.
    fn span(values: impl Iterator<Item = (f32, f32)>) -> (f32, f32) {
        values.fold((f32::MAX, f32::MIN), |(lo, hi), (l, h)| (lo.min(l), hi.max(h)))
    }
    row_spans.clear();
    for row in mask.data.chunks_exact(width) {
        for cell in 0..cells_wide {
            row_spans.push(span(row[around(cell, width)].iter().map(|&v| (v, v))));
        }
    }
    let threshold = SOFT_EDGE_GRADIENT * std::f32::consts::SQRT_2;
    let edge = |cell: usize, cell_row: usize| {
        let (low, high) = span(around(cell_row, height).map(|row| row_spans[row * cells_wide + cell]));
        if high - low < threshold {
            return None;
        }
        // the cell spans the texel centres cell..cell+1 (frame pixels), widened by the line
        let (kx, ky) = (photo.width as f32 / width as f32, photo.height as f32 / height as f32);
        photo
            .has_edge(
                (cell as f32 + 0.5) * kx - reach,
                (cell as f32 + 1.5) * kx + reach,
                (cell_row as f32 + 0.5) * ky - reach,
                (cell_row as f32 + 1.5) * ky + reach,
            )
            .then_some(0)
    };
    cells::push_runs(cells_wide, height - 1, edge, runs);
}
