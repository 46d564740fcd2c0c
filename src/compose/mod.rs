//! The compositor: turns one camera frame and its stylized layers into the output picture on the
//! GPU (wgpu, WGSL passes in `shaders/`).
//!
//! In: [`ComposeInputs`]: the full-res RGB8 camera frame, optionally the stylized background at a
//! working resolution (+ its guide, the frame at that resolution), the low-res person mask and
//! the stylized face layers with their crop transforms. Out: an RGBA8 output texture the size of
//! the frame ([`Compositor::compose_to_texture`], for the window) or packed RGB8 bytes read back
//! into a caller's buffer ([`Compositor::compose`], for the CLI, recorder and tests).
//!
//! Passes, in order: background (joint-bilateral upsampling of the stylized background guided by
//! the frame, or the frame itself; on a CPU adapter the upsampling runs in Rust, `upsample.rs`,
//! and its result is written into the output texture: [`BackgroundUpsampling`]), silhouette ink along the person mask's edge, face layers, then
//! drawn faces (each face reshaped toward its character's geometry by a mesh warp and drawn from
//! its landmarks: `drawn.rs`, `crate::draw`).
//! All values are plain 8-bit (`Rgba8Unorm`, never sRGB formats): with no layers the output equals
//! the frame byte for byte.
//!
//! Thread: the compositor runs on the thread that owns it: the pipeline's compose stage with a
//! headless device ([`Compositor::new_headless`]; lavapipe on machines without a GPU), or the UI
//! thread with eframe's device ([`Compositor::new`]). Textures and buffers are reused across
//! frames and recreated only when sizes change.

mod background;
mod cells;
mod device;
mod drawn;
mod faces;
mod gpu;
mod masks;
mod paint;
mod paint_cpu;
mod shaders;
mod silhouette;
mod upsample;

pub use device::AdapterPreference;
pub use upsample::{CpuUpsampler, FLAT_SPREAD};

use background::BackgroundPass;
use drawn::DrawnPass;
use faces::FacePass;
use gpu::{Readback, SizedTexture};
use masks::MaskTexture;
use paint::PaintPass;
use silhouette::SilhouettePass;

/// Faces composed (pasted, warped and drawn) at most per frame.
pub const MAX_FACES: usize = 8;

/// An affine map (a, b, c, d, e, f): `to = [a b; d e] * from + [c; f]`, in continuous pixel
/// coordinates (origin at the top-left corner of the top-left pixel).
pub type Affine2x3 = [f32; 6];

/// Everything composed into one output frame. Pictures are borrowed for the call only.
#[derive(Clone, Copy)]
pub struct ComposeInputs<'a> {
    /// RGB8 full-res camera frame, `width * height * 3` bytes, rows top to bottom.
    pub frame: &'a [u8],
    pub width: u32,
    pub height: u32,
    /// Stylized whole frame at a working resolution (RGB8), or None: the frame passes through.
    pub background: Option<LowRes<'a>>,
    /// The frame resized to the background's resolution (what the background model saw): guides
    /// the upsampling. None: the background is upsampled without edge guidance (smooth).
    pub guide: Option<LowRes<'a>>,
    /// Person probability in [0, 1], low-res (e.g. 256x144), covering the whole frame.
    pub person_mask: Option<MaskView<'a>>,
    /// Skin likelihood in [0, 1] inside the person mask, low-res, covering the whole frame.
    pub skin_mask: Option<MaskView<'a>>,
    /// How each person's skin outside the face and hair are painted (needs the person mask and
    /// a background; at most 8 people).
    pub people: &'a [PersonPaint],
    /// Stylized faces, drawn in order (a later face over an earlier one).
    pub faces: &'a [FaceLayer<'a>],
    /// Faces reshaped and drawn over everything else (at most [`MAX_FACES`]).
    pub drawn: &'a [DrawnFace<'a>],
    pub params: ComposeParams,
}

impl<'a> ComposeInputs<'a> {
    /// Just the frame: no background, mask or faces, default parameters.
    pub fn new(frame: &'a [u8], width: u32, height: u32) -> Self {
        ComposeInputs {
            frame,
            width,
            height,
            background: None,
            guide: None,
            person_mask: None,
            skin_mask: None,
            people: &[],
            faces: &[],
            drawn: &[],
            params: ComposeParams::default(),
        }
    }
}

/// One face to reshape and draw: its landmarks and what its character does to it.
#[derive(Debug, Clone, Copy)]
pub struct DrawnFace<'a> {
    /// 478 landmarks in frame pixels (468 mesh points, then the two irises).
    pub landmarks: &'a [[f32; 3]],
    pub look: &'a crate::draw::FaceLook,
    /// The person's face skin statistics (None: the character's own tone).
    pub skin: Option<crate::perception::skin::SkinStats>,
    /// The person's track: their expression is remembered from frame to frame (hysteresis).
    pub track_id: u32,
}

/// An RGB8 picture at the working resolution (`width * height * 3` bytes).
#[derive(Debug, Clone, Copy)]
pub struct LowRes<'a> {
    pub rgb: &'a [u8],
    pub width: u32,
    pub height: u32,
}

/// A float mask (`width * height` values in [0, 1]) covering the whole frame.
#[derive(Debug, Clone, Copy)]
pub struct MaskView<'a> {
    pub data: &'a [f32],
    pub width: u32,
    pub height: u32,
}

/// How one person's skin (outside the face) and hair are painted over the stylized background.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PersonPaint {
    /// Face oval centre and half axes (frame pixels), and the head's roll (radians, the eye
    /// line's angle, clockwise in image coordinates).
    pub face_centre: [f32; 2],
    pub face_half_axes: [f32; 2],
    pub roll: f32,
    /// The skin ramp the person wears (the drawn face's tones).
    pub skin: crate::draw::skin_ramp::SkinRamp,
    /// Face skin chroma (Cb, Cr as unorm, 0.5 = grey) and its inverse covariance (unorm^-2:
    /// cb*cb, cb*cr, cr*cr): which pixels are this person's skin.
    pub skin_chroma: [f32; 2],
    pub skin_icov: [f32; 3],
    /// 0..1: how much the ramp replaces the stylized colour on skin (0 = skin not painted).
    pub skin_strength: f32,
    /// Hair tones (unorm sRGB): shadow, flat base, highlight.
    pub hair_shadow: [f32; 3],
    pub hair_base: [f32; 3],
    pub hair_light: [f32; 3],
    /// The measured hair's chroma (Cb, Cr unorm) and luma (unorm): which pixels are hair.
    pub hair_chroma: [f32; 2],
    pub hair_luma: f32,
    /// 0..1 (0 = hair not painted: none measured).
    pub hair_strength: f32,
}

/// One stylized face to paste back.
#[derive(Debug, Clone, Copy)]
pub struct FaceLayer<'a> {
    /// Stylized square face crop, RGB8, `size x size`.
    pub rgb: &'a [u8],
    pub size: u32,
    /// Feathered face+hair mask at crop resolution (`size x size`, 0..255), straight alpha.
    pub alpha: &'a [u8],
    /// crop = [a b; d e] * frame + [c; f], continuous pixel coordinates in both.
    pub crop_from_frame: Affine2x3,
}

/// Tunables of the passes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ComposeParams {
    /// Strength (darkness) of the ink outline along the person mask's edge: 0 = off, 1 = opaque.
    pub silhouette_ink: f32,
    /// Width of that outline, in output pixels.
    pub silhouette_ink_width_px: f32,
    /// Ink colour, unorm RGB.
    pub silhouette_ink_rgb: [f32; 3],
    /// Spatial sigma of the background upsampling, in background (low-res) texels. The window is
    /// the 2x2 texels around each pixel (the bilinear footprint: a quarter of the work of 3x3 on
    /// a software rasterizer, and the same edges).
    pub background_sigma_spatial: f32,
    /// Range sigma of the background upsampling: how different (unorm RGB distance) a guide
    /// colour may be from the frame pixel and still contribute.
    pub background_sigma_range: f32,
}

impl Default for ComposeParams {
    fn default() -> Self {
        ComposeParams {
            silhouette_ink: 0.0,
            silhouette_ink_width_px: 2.5,
            silhouette_ink_rgb: [0.09, 0.07, 0.11],
            background_sigma_spatial: 0.6,
            background_sigma_range: 0.1,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error(
        "no graphics adapter found (backends tried: {backends}); on a machine without a GPU install the \
         Vulkan software rasterizer (Debian: `apt-get install mesa-vulkan-drivers libvulkan1`)"
    )]
    NoAdapter { backends: String },
    #[error("could not open a device on the graphics adapter {adapter:?}: {source}")]
    RequestDevice {
        adapter: String,
        #[source]
        source: wgpu::RequestDeviceError,
    },
    #[error("{what}: {got} values, expected {expected} for {width}x{height} with {channels} per pixel")]
    InputLength { what: String, got: usize, expected: usize, width: u32, height: u32, channels: u32 },
    #[error("{what}: size {width}x{height} is not supported (each side must be 1..={max_side} on this device)")]
    InputSize { what: String, width: u32, height: u32, max_side: u32 },
    #[error("guide is {guide_width}x{guide_height} but the background is {width}x{height}: they must be the same size")]
    GuideSize { guide_width: u32, guide_height: u32, width: u32, height: u32 },
    #[error("face layer {index}: crop_from_frame {affine:?} is not an invertible finite affine map")]
    FaceTransform { index: usize, affine: Affine2x3 },
    #[error("drawn face {index}: {got} landmarks, expected {expected}")]
    Landmarks { index: usize, got: usize, expected: usize },
    #[error("the face mesh's triangle table: {0}")]
    FaceMesh(crate::draw::tessellation::TopologyError),
    #[error("the GPU reported an error while composing: {0}")]
    Gpu(String),
    #[error("reading the composed frame back from the GPU: {0}")]
    Readback(String),
}

/// Where the background's joint-bilateral upsampling runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackgroundUpsampling {
    /// `shaders/background.wgsl`, one fragment per output pixel (GPUs).
    Shader,
    /// `upsample.rs` on the compositor's thread, written into the output texture: on a software
    /// rasterizer a fullscreen pass costs more CPU than the computation itself.
    Cpu,
}

impl BackgroundUpsampling {
    /// The faster of the two on this adapter: the CPU one on a CPU adapter (lavapipe).
    pub fn for_adapter(info: &wgpu::AdapterInfo) -> Self {
        if info.device_type == wgpu::DeviceType::Cpu { Self::Cpu } else { Self::Shader }
    }
}

/// Composes frames on one wgpu device; owns the output texture and every per-pass resource.
pub struct Compositor {
    device: wgpu::Device,
    queue: wgpu::Queue,
    adapter_info: Option<wgpu::AdapterInfo>,
    max_side: u32,
    background: BackgroundPass,
    upsampling: BackgroundUpsampling,
    upsampler: upsample::CpuUpsampler,
    /// The person paint when the background is upsampled on the CPU.
    cpu_paint: paint_cpu::CpuPaint,
    masks: MaskTexture,
    paint: PaintPass,
    silhouette: SilhouettePass,
    faces: FacePass,
    drawn: DrawnPass,
    output: Option<SizedTexture>,
    readback: Option<Readback>,
    /// RGB -> RGBA conversions before upload (reused, grows to the largest picture).
    scratch: Vec<u8>,
    /// Each face's frame_from_crop, for this frame (reused).
    face_inverses: Vec<Affine2x3>,
}

impl std::fmt::Debug for Compositor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compositor").field("adapter", &self.adapter_info.as_ref().map(|i| &i.name)).finish()
    }
}

impl Compositor {
    /// A compositor on its own device without a window: a GPU when there is one, else a software
    /// rasterizer (lavapipe).
    pub fn new_headless() -> Result<Compositor, ComposeError> {
        Self::new_headless_with(AdapterPreference::Hardware)
    }

    /// A compositor on its own device, the adapter chosen by `preference` (tests and CI ask for
    /// [`AdapterPreference::Software`]: the same pixels on every machine).
    pub fn new_headless_with(preference: AdapterPreference) -> Result<Compositor, ComposeError> {
        let (device, queue, info) = device::open_headless(preference)?;
        Ok(Self::new(device, queue)?.with_adapter_info(info))
    }

    /// A compositor on an existing device (eframe's, in the window). Set the adapter's description
    /// with [`Compositor::with_adapter_info`] for reporting.
    pub fn new(device: wgpu::Device, queue: wgpu::Queue) -> Result<Compositor, ComposeError> {
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let background = BackgroundPass::new(&device);
        let masks = MaskTexture::new(&device);
        let paint = PaintPass::new(&device);
        let silhouette = SilhouettePass::new(&device);
        let faces = FacePass::new(&device);
        let drawn = DrawnPass::new(&device);
        if let Some(error) = pollster::block_on(scope.pop()) {
            return Err(ComposeError::Gpu(format!("creating the compositor's pipelines: {error}")));
        }
        let max_side = device.limits().max_texture_dimension_2d;
        Ok(Compositor {
            device,
            queue,
            adapter_info: None,
            max_side,
            background,
            upsampling: BackgroundUpsampling::Shader,
            upsampler: upsample::CpuUpsampler::default(),
            cpu_paint: paint_cpu::CpuPaint::default(),
            masks,
            paint,
            silhouette,
            faces,
            drawn,
            output: None,
            readback: None,
            scratch: Vec::new(),
            face_inverses: Vec::new(),
        })
    }

    /// Records which adapter the device came from (for `adapter_info`) and picks the background
    /// upsampling that is faster on it.
    pub fn with_adapter_info(mut self, info: wgpu::AdapterInfo) -> Self {
        self.upsampling = BackgroundUpsampling::for_adapter(&info);
        self.adapter_info = Some(info);
        self
    }

    /// Where the background's upsampling runs (chosen from the adapter; tests compare both).
    pub fn set_background_upsampling(&mut self, upsampling: BackgroundUpsampling) {
        self.upsampling = upsampling;
    }

    pub fn background_upsampling(&self) -> BackgroundUpsampling {
        self.upsampling
    }

    /// The adapter the compositor renders on (name, backend, driver), when known.
    pub fn adapter_info(&self) -> Option<&wgpu::AdapterInfo> {
        self.adapter_info.as_ref()
    }

    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    /// Composes `inputs` into the output texture (RGBA8, frame-sized) and submits the work. The
    /// texture stays valid until the next call; the window shows it without a readback.
    pub fn compose_to_texture(&mut self, inputs: &ComposeInputs<'_>) -> Result<&wgpu::Texture, ComposeError> {
        self.submit(inputs, false)?;
        Ok(&self.output.as_ref().unwrap().texture)
    }

    /// Composes `inputs` and reads the result back into `out` as packed RGB8
    /// (`width * height * 3` bytes; `out` is resized, reusing its allocation).
    pub fn compose(&mut self, inputs: &ComposeInputs<'_>, out: &mut Vec<u8>) -> Result<(), ComposeError> {
        self.submit(inputs, true)?;
        self.readback.as_ref().unwrap().read_rgb(&self.device, out)
    }

    /// Validates, uploads, records every pass (and the copy to the readback buffer) and submits.
    fn submit(&mut self, inputs: &ComposeInputs<'_>, read_back: bool) -> Result<(), ComposeError> {
        self.validate(inputs)?;
        let frame = crate::draw::face::FrameView { rgb: inputs.frame, width: inputs.width, height: inputs.height };
        self.drawn.prepare(&self.device, &self.queue, frame, inputs.drawn)?;
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let out_of_memory = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        self.record_and_submit(inputs, read_back);
        let errors = [pollster::block_on(out_of_memory.pop()), pollster::block_on(validation.pop())];
        match errors.into_iter().flatten().next() {
            Some(error) => Err(ComposeError::Gpu(error.to_string())),
            None => Ok(()),
        }
    }

    fn record_and_submit(&mut self, inputs: &ComposeInputs<'_>, read_back: bool) {
        let (device, queue) = (&self.device, &self.queue);
        let (width, height) = (inputs.width, inputs.height);
        let usage = wgpu::TextureUsages::RENDER_ATTACHMENT
            | wgpu::TextureUsages::TEXTURE_BINDING
            | wgpu::TextureUsages::COPY_SRC
            | wgpu::TextureUsages::COPY_DST;
        SizedTexture::ensure(&mut self.output, device, "composed frame", gpu::COLOUR_FORMAT, usage, width, height);
        let output = self.output.as_ref().unwrap();

        match &inputs.background {
            Some(background) => {
                if self.upsampling == BackgroundUpsampling::Shader {
                    self.background.prepare(
                        device,
                        queue,
                        (inputs.frame, width, height),
                        background,
                        inputs.guide.as_ref(),
                        &inputs.params,
                        &mut self.scratch,
                    );
                } else {
                    let rgba = self.upsampler.upsample(
                        LowRes { rgb: inputs.frame, width, height },
                        *background,
                        inputs.guide,
                        inputs.params.background_sigma_spatial,
                        inputs.params.background_sigma_range,
                    );
                    // skin and hair are painted on the CPU too, into the picture before it is uploaded
                    if let Some(person) = &inputs.person_mask
                        && !inputs.people.is_empty()
                        && self.paint.list((width, height), person, inputs.skin_mask.as_ref(), inputs.people)
                    {
                        let (runs, skin_runs, people) = self.paint.listed();
                        let pixels = paint_cpu::PaintPixels {
                            frame: inputs.frame,
                            size: (width, height),
                            guide: inputs.guide.unwrap_or(*background),
                            person,
                            skin: inputs.skin_mask.as_ref(),
                        };
                        self.cpu_paint.paint(rgba, runs, skin_runs, people, &pixels);
                    }
                    gpu::write_texture(queue, &output.texture, rgba, 4);
                }
            }
            // The frame itself is the base layer: written straight into the output, bit-exact.
            None => gpu::upload_rgb(queue, &output.texture, inputs.frame, &mut self.scratch),
        }
        // skin and hair are painted over the stylized background only (here by the GPU: with CPU
        // upsampling they were painted above)
        let shader_background = inputs.background.is_some() && self.upsampling == BackgroundUpsampling::Shader;
        let sources = self.background.paint_sources().filter(|_| shader_background);
        let paint = inputs.person_mask.is_some() && sources.is_some() && !inputs.people.is_empty();
        let ink = inputs.person_mask.is_some() && inputs.params.silhouette_ink > 0.0;
        if let Some(mask) = &inputs.person_mask
            && (paint || ink)
        {
            self.masks.upload(device, queue, mask, inputs.skin_mask.as_ref());
            if let (true, Some(sources)) = (paint, &sources) {
                let people = inputs.people;
                self.paint.prepare(
                    device,
                    queue,
                    (width, height),
                    sources,
                    &self.masks,
                    mask,
                    inputs.skin_mask.as_ref(),
                    people,
                );
            }
            if ink {
                self.silhouette.prepare(
                    device,
                    queue,
                    (inputs.frame, width, height),
                    mask,
                    &self.masks,
                    &inputs.params,
                );
            }
        }
        self.faces.prepare(
            device,
            queue,
            (width, height),
            inputs.faces,
            self.face_inverses.iter().copied(),
            &mut self.scratch,
        );

        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("compose") });
        let background = inputs.background.is_some();
        if background || paint || ink || !inputs.faces.is_empty() {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("layers"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &output.view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations { load: wgpu::LoadOp::Load, store: wgpu::StoreOp::Store },
                })],
                ..Default::default()
            });
            if background && self.upsampling == BackgroundUpsampling::Shader {
                self.background.draw(&mut pass);
            }
            if paint {
                self.paint.draw(&mut pass);
            }
            if ink {
                self.silhouette.draw(&mut pass);
            }
            self.faces.draw(&mut pass);
        }
        self.drawn.record(&mut encoder, output);
        if read_back {
            Readback::ensure(&mut self.readback, device, width, height).record_copy(&mut encoder, &output.texture);
        }
        queue.submit([encoder.finish()]);
    }

    /// Checks every size against its picture (so no GPU call can fail on a bad input) and computes
    /// the faces' inverse transforms.
    fn validate(&mut self, inputs: &ComposeInputs<'_>) -> Result<(), ComposeError> {
        // Descriptions are formatted only for an error: nothing is allocated per frame.
        let max_side = self.max_side;
        let check_size = |what: &dyn Fn() -> String, width: u32, height: u32| {
            if width == 0 || height == 0 || width > max_side || height > max_side {
                return Err(ComposeError::InputSize { what: what(), width, height, max_side });
            }
            Ok(())
        };
        let check_len = |what: &dyn Fn() -> String, got: usize, width: u32, height: u32, channels: u32| {
            let expected = width as usize * height as usize * channels as usize;
            if got != expected {
                return Err(ComposeError::InputLength { what: what(), got, expected, width, height, channels });
            }
            Ok(())
        };
        let named = |name: &'static str| move || name.to_string();

        check_size(&named("frame"), inputs.width, inputs.height)?;
        check_len(&named("frame (RGB8)"), inputs.frame.len(), inputs.width, inputs.height, 3)?;
        if let Some(background) = &inputs.background {
            check_size(&named("background"), background.width, background.height)?;
            check_len(&named("background (RGB8)"), background.rgb.len(), background.width, background.height, 3)?;
            if let Some(guide) = &inputs.guide {
                if (guide.width, guide.height) != (background.width, background.height) {
                    return Err(ComposeError::GuideSize {
                        guide_width: guide.width,
                        guide_height: guide.height,
                        width: background.width,
                        height: background.height,
                    });
                }
                check_len(&named("guide (RGB8)"), guide.rgb.len(), guide.width, guide.height, 3)?;
            }
        }
        if let Some(mask) = &inputs.person_mask {
            check_size(&named("person mask"), mask.width, mask.height)?;
            check_len(&named("person mask (f32)"), mask.data.len(), mask.width, mask.height, 1)?;
        }
        if let Some(mask) = &inputs.skin_mask {
            check_size(&named("skin mask"), mask.width, mask.height)?;
            check_len(&named("skin mask (f32)"), mask.data.len(), mask.width, mask.height, 1)?;
        }
        self.face_inverses.clear();
        for (index, face) in inputs.faces.iter().enumerate() {
            let part = |part: &'static str| move || format!("face layer {index} {part}");
            check_size(&part("crop"), face.size, face.size)?;
            check_len(&part("crop (RGB8)"), face.rgb.len(), face.size, face.size, 3)?;
            check_len(&part("alpha (8-bit)"), face.alpha.len(), face.size, face.size, 1)?;
            let inverse = invert(&face.crop_from_frame)
                .ok_or(ComposeError::FaceTransform { index, affine: face.crop_from_frame })?;
            self.face_inverses.push(inverse);
        }
        for (index, face) in inputs.drawn.iter().enumerate() {
            let expected = crate::perception::mesh::LANDMARKS;
            if face.landmarks.len() < expected
                || face.landmarks.iter().take(expected).any(|p| !p[0].is_finite() || !p[1].is_finite())
            {
                return Err(ComposeError::Landmarks { index, got: face.landmarks.len(), expected });
            }
        }
        Ok(())
    }
}

/// The inverse of an affine map, or None when it is singular or not finite.
pub fn invert(affine: &Affine2x3) -> Option<Affine2x3> {
    let [a, b, c, d, e, f] = affine.map(f64::from);
    let det = a * e - b * d;
    if !det.is_finite() || det.abs() < 1e-12 || [a, b, c, d, e, f].iter().any(|v| !v.is_finite()) {
        return None;
    }
    let (ia, ib, id, ie) = (e / det, -b / det, -d / det, a / det);
    let (ic, iff) = (-(ia * c + ib * f), -(id * c + ie * f));
    Some([ia, ib, ic, id, ie, iff].map(|v| v as f32))
}
