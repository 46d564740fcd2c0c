//! The live feed on screen: takes the newest pipeline output without waiting, composites it on
//! eframe's own wgpu device and shows the compositor's texture through egui (registered as a
//! native texture; no CPU readback).
//!
//! In: pipeline outputs, character packs (compose settings). Out: an egui texture id, the frame
//! size, the faces of the shown frame. UI thread.

use std::time::{Duration, Instant};

use eframe::egui;
use eframe::egui_wgpu::{self, wgpu};

use crate::character::CharacterSet;
use crate::compose::Compositor;
use crate::pipeline::{Next, Pipeline, PipelineOutput};
use crate::render::{compose_params, with_compose_inputs};

use super::status::FeedStats;

/// One face in the frame on screen.
#[derive(Debug, Clone, Copy)]
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

pub struct LiveFeed {
    compositor: Compositor,
    texture: Option<(egui::TextureId, [u32; 2])>,
    pub faces: Vec<ShownFace>,
    /// Frames the pipeline delivered (shown or skipped for a newer one).
    pub frames: u64,
    pub stats: FeedStats,
}

impl LiveFeed {
    pub fn new(render_state: &egui_wgpu::RenderState) -> anyhow::Result<Self> {
        let compositor = Compositor::new(render_state.device.clone(), render_state.queue.clone())?
            .with_adapter_info(render_state.adapter.get_info());
        Ok(Self { compositor, texture: None, faces: Vec::new(), frames: 0, stats: FeedStats::default() })
    }

    pub fn adapter_name(&self) -> String {
        self.compositor.adapter_info().map_or_else(|| "unknown".into(), |i| format!("{} ({:?})", i.name, i.backend))
    }

    /// The texture to draw and the frame size, once a frame has been shown.
    pub fn texture(&self) -> Option<(egui::TextureId, [u32; 2])> {
        self.texture
    }

    /// Takes every waiting output without blocking, keeps the newest, composites it.
    pub fn poll(
        &mut self,
        pipeline: &Pipeline,
        characters: &CharacterSet,
        render_state: &egui_wgpu::RenderState,
    ) -> anyhow::Result<Poll> {
        let mut newest: Option<PipelineOutput> = None;
        let mut ended = false;
        loop {
            match pipeline.recv(Duration::ZERO)? {
                Next::Frame(out) => {
                    self.frames += 1;
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
        let shown = self.show(&out, characters, render_state);
        self.faces.clear();
        self.faces.extend(out.analysis.faces.iter().map(|f| ShownFace {
            track_id: f.track_id,
            box_px: f.box_px,
            character: out.stylized.faces.iter().find(|l| l.track_id == f.track_id).map(|l| l.character),
        }));
        pipeline.recycle(out);
        shown?;
        Ok(Poll::Shown)
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
                self.texture = Some((id, size));
            }
        }
        self.stats.compose_ms = started.elapsed().as_secs_f32() * 1e3;
        Ok(())
    }
}
