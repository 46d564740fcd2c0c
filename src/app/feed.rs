//! The live feed on screen: takes the newest pipeline output without waiting, composites it on
//! eframe's own wgpu device and shows the compositor's texture through egui (registered as a
//! native texture; no CPU readback). When the characters worn change, the frame on screen is
//! first copied on the GPU into a second texture that fades out over the new one (no black
//! frame, no stall). For the side-by-side view the camera frame is uploaded into a third texture
//! (created once, rewritten in place).
//!
//! In: pipeline outputs, character packs (compose settings). Out: egui texture ids with the frame
//! size, the faces of the shown frame and the characters they wear. UI thread.

use std::time::{Duration, Instant};

use eframe::egui;
use eframe::egui_wgpu::{self, wgpu};

use crate::character::CharacterSet;
use crate::compose::Compositor;
use crate::frame::Frame;
use crate::pipeline::{Next, Pipeline, PipelineOutput};
use crate::render::{compose_params, with_compose_inputs};

use super::picture::Picture;
use super::status::FeedStats;
use super::ui::{DrawPicture, Shown};

/// How long the old picture takes to fade out after a character change.
pub const FADE: Duration = Duration::from_millis(350);

/// One face in the frame on screen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShownFace {
    pub track_id: u32,
    pub box_px: [f32; 4],
    /// Index of the character the face wears (None: no face layer this frame).
    pub character: Option<usize>,
}

/// What polling the pipeline found.
#[derive(Debug, PartialEq, Eq)]
pub enum Poll {
    /// A new frame is on the texture.
    Shown,
    Nothing,
    /// The source ended.
    Ended,
}

/// A texture of ours registered with egui, and drawn by our own quad.
struct Native {
    texture: wgpu::Texture,
    id: egui::TextureId,
    picture: Option<Picture>,
}

impl Native {
    /// Makes sure `slot` holds a `size` texture of `format` registered with egui (recreated only
    /// when the size changes).
    fn ensure(
        slot: &mut Option<Native>,
        render_state: &egui_wgpu::RenderState,
        label: &str,
        format: wgpu::TextureFormat,
        size: [u32; 2],
    ) {
        if slot.as_ref().is_some_and(|n| [n.texture.width(), n.texture.height()] == size) {
            return;
        }
        let texture = render_state.device.create_texture(&wgpu::TextureDescriptor {
            label: Some(label),
            size: wgpu::Extent3d { width: size[0], height: size[1], depth_or_array_layers: 1 },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let mut renderer = render_state.renderer.write();
        let id = match slot.take() {
            Some(old) => {
                renderer.update_egui_texture_from_wgpu_texture(
                    &render_state.device,
                    &view,
                    wgpu::FilterMode::Linear,
                    old.id,
                );
                old.id
            }
            None => renderer.register_native_texture(&render_state.device, &view, wgpu::FilterMode::Linear),
        };
        drop(renderer);
        let picture = Picture::new(render_state, &view);
        *slot = Some(Native { texture, id, picture });
    }

    fn shown(&self) -> Shown {
        Shown { texture: self.id, size: [self.texture.width(), self.texture.height()] }
    }
}

pub struct LiveFeed {
    compositor: Compositor,
    /// The compositor's output texture (valid until the next compose) and its egui id.
    texture: Option<(egui::TextureId, [u32; 2])>,
    /// That texture for our own quad.
    picture: Option<Picture>,
    current: Option<wgpu::Texture>,
    /// The frame shown before the last character change, fading out.
    previous: Option<Native>,
    fade_started: Option<Instant>,
    /// The camera frame, for side by side.
    original: Option<Native>,
    /// RGB -> RGBA for the original's upload (reused).
    scratch: Vec<u8>,
    pub faces: Vec<ShownFace>,
    /// The scene (background) character of the frame on screen.
    pub scene_character: Option<usize>,
    /// Frames the pipeline delivered (shown or skipped for a newer one).
    pub frames: u64,
    pub stats: FeedStats,
    /// Characters that broke in the frames taken since the owner last drained this.
    pub failures: Vec<crate::stylize::CharacterFailure>,
}

impl LiveFeed {
    pub fn new(render_state: &egui_wgpu::RenderState) -> anyhow::Result<Self> {
        let compositor = Compositor::new(render_state.device.clone(), render_state.queue.clone())?
            .with_adapter_info(render_state.adapter.get_info());
        super::picture::install(render_state);
        Ok(Self {
            compositor,
            texture: None,
            picture: None,
            current: None,
            previous: None,
            fade_started: None,
            original: None,
            scratch: Vec::new(),
            faces: Vec::with_capacity(crate::render::MAX_FACES),
            scene_character: None,
            frames: 0,
            stats: FeedStats::default(),
            failures: Vec::new(),
        })
    }

    pub fn adapter_name(&self) -> String {
        self.compositor.adapter_info().map_or_else(|| "unknown".into(), |i| format!("{} ({:?})", i.name, i.backend))
    }

    /// The stylized frame to draw, once one has been shown.
    pub fn stylized(&self) -> Option<Shown> {
        self.texture.map(|(texture, size)| Shown { texture, size })
    }

    /// The camera frame (side by side), once one has been uploaded.
    pub fn original(&self) -> Option<Shown> {
        self.original.as_ref().map(Native::shown)
    }

    /// The picture from before the last character change and its opacity, while it fades out.
    pub fn fading(&self) -> Option<(egui::TextureId, f32)> {
        let (previous, started) = (self.previous.as_ref()?, self.fade_started?);
        let t = started.elapsed().as_secs_f32() / FADE.as_secs_f32();
        (t < 1.0).then_some((previous.id, 1.0 - t * t * (3.0 - 2.0 * t)))
    }

    /// Whether the frame on screen shows `character`: the scene, and every face with a layer
    /// whose track `check` names.
    pub fn shows(&self, character: usize, check: impl Fn(u32) -> bool) -> bool {
        self.scene_character == Some(character)
            && self.faces.iter().filter(|f| check(f.track_id)).all(|f| f.character.is_none_or(|c| c == character))
    }

    /// Takes every waiting output without blocking, keeps the newest, composites it (and uploads
    /// the camera frame when `original` is asked for); `composed` sees the compositor's texture
    /// and the frame right after (recording, photos).
    pub fn poll(
        &mut self,
        pipeline: &Pipeline,
        characters: &CharacterSet,
        render_state: &egui_wgpu::RenderState,
        original: bool,
        composed: &mut dyn FnMut(&wgpu::Texture, &Frame),
    ) -> anyhow::Result<Poll> {
        let mut newest: Option<PipelineOutput> = None;
        let mut ended = false;
        loop {
            match pipeline.recv(Duration::ZERO)? {
                Next::Frame(mut out) => {
                    self.frames += 1;
                    self.failures.append(&mut out.stylized.failures);
                    self.stats.add(&out);
                    if let Some(older) = newest.replace(out) {
                        pipeline.recycle(older);
                    }
                }
                Next::Waiting => break,
                Next::Ended => {
                    ended = true;
                    break;
                }
            }
        }
        let Some(out) = newest else {
            return Ok(if ended { Poll::Ended } else { Poll::Nothing });
        };
        if self.characters_change(&out) {
            self.keep_previous(render_state);
        }
        let shown = self.show(&out, characters, render_state);
        if shown.is_ok()
            && let Some(texture) = &self.current
        {
            composed(texture, &out.frame);
        }
        if original {
            self.upload_original(&out.frame, render_state);
        }
        self.faces.clear();
        self.faces.extend(out.analysis.faces.iter().map(|f| ShownFace {
            track_id: f.track_id,
            box_px: f.box_px,
            character: out.stylized.faces.iter().find(|l| l.track_id == f.track_id).map(|l| l.character),
        }));
        self.scene_character = Some(out.stylized.scene_character);
        pipeline.recycle(out);
        shown?;
        Ok(Poll::Shown)
    }

    /// Whether `out` dresses the scene or someone already on screen differently.
    fn characters_change(&self, out: &PipelineOutput) -> bool {
        let Some(scene) = self.scene_character else { return false };
        scene != out.stylized.scene_character
            || out.stylized.faces.iter().any(|l| {
                self.faces.iter().any(|f| f.track_id == l.track_id && f.character.is_some_and(|c| c != l.character))
            })
    }

    /// Copies the frame on screen into the fading texture (on the GPU, queued before the next
    /// compose) and starts the fade.
    fn keep_previous(&mut self, render_state: &egui_wgpu::RenderState) {
        let Some(current) = &self.current else { return };
        let size = [current.width(), current.height()];
        Native::ensure(&mut self.previous, render_state, "previous frame", current.format(), size);
        let previous = self.previous.as_ref().unwrap();
        let mut encoder = render_state
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("keep previous") });
        encoder.copy_texture_to_texture(
            current.as_image_copy(),
            previous.texture.as_image_copy(),
            wgpu::Extent3d { width: size[0], height: size[1], depth_or_array_layers: 1 },
        );
        render_state.queue.submit([encoder.finish()]);
        self.fade_started = Some(Instant::now());
    }

    fn upload_original(&mut self, frame: &Frame, render_state: &egui_wgpu::RenderState) {
        let size = [frame.width, frame.height];
        if frame.rgb.len() != size[0] as usize * size[1] as usize * 3 || size[0] == 0 || size[1] == 0 {
            return;
        }
        Native::ensure(&mut self.original, render_state, "camera frame", wgpu::TextureFormat::Rgba8Unorm, size);
        self.scratch.resize(frame.rgb.len() / 3 * 4, 255);
        for (rgba, rgb) in self.scratch.chunks_exact_mut(4).zip(frame.rgb.chunks_exact(3)) {
            rgba[..3].copy_from_slice(rgb);
        }
        let texture = &self.original.as_ref().unwrap().texture;
        render_state.queue.write_texture(
            texture.as_image_copy(),
            &self.scratch,
            wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(size[0] * 4), rows_per_image: None },
            wgpu::Extent3d { width: size[0], height: size[1], depth_or_array_layers: 1 },
        );
    }

    fn show(
        &mut self,
        out: &PipelineOutput,
        characters: &CharacterSet,
        render_state: &egui_wgpu::RenderState,
    ) -> anyhow::Result<()> {
        let started = Instant::now();
        let (frame, analysis, stylized) = (&out.frame, &out.analysis, &out.stylized);
        let params = characters.packs.get(stylized.scene_character).map(compose_params).unwrap_or_default();
        let compositor = &mut self.compositor;
        let texture = with_compose_inputs(frame, analysis, stylized, params, |inputs| {
            compositor.compose_to_texture(inputs).cloned()
        })?;
        let size = [texture.width(), texture.height()];
        match self.texture {
            Some((_, old)) if old == size => {}
            previous => {
                // the compositor recreates its texture only when the size changes: rebind then
                let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
                let mut renderer = render_state.renderer.write();
                let id = match previous {
                    Some((id, _)) => {
                        renderer.update_egui_texture_from_wgpu_texture(
                            &render_state.device,
                            &view,
                            wgpu::FilterMode::Linear,
                            id,
                        );
                        id
                    }
                    None => renderer.register_native_texture(&render_state.device, &view, wgpu::FilterMode::Linear),
                };
                drop(renderer);
                self.picture = Picture::new(render_state, &view);
                self.texture = Some((id, size));
            }
        }
        self.current = Some(texture);
        self.stats.compose_ms = started.elapsed().as_secs_f32() * 1e3;
        Ok(())
    }
}

impl DrawPicture for LiveFeed {
    /// Our own quad for the feed's textures; egui's image for anything else.
    fn draw(&self, painter: &egui::Painter, texture: egui::TextureId, rect: egui::Rect, uv: egui::Rect, opacity: f32) {
        let current = self.texture.and_then(|(id, _)| (id == texture).then_some(self.picture.as_ref()).flatten());
        let native = [&self.previous, &self.original]
            .into_iter()
            .flatten()
            .find(|n| n.id == texture)
            .and_then(|n| n.picture.as_ref());
        match current.or(native) {
            Some(picture) => picture.paint(painter, rect, uv, opacity),
            None => super::ui::EguiImages.draw(painter, texture, rect, uv, opacity),
        }
    }
}
