//! The booth window (`webtoonme live`): the stylized feed filling the window, the character
//! carousel, clicks on faces, the status overlay, fullscreen kiosk keys, and the
//! `--exit-after-frames N --screenshot PATH` check.
//!
//! In: a started [`Pipeline`] (capture, perception and stylize threads) and the character
//! packs. Out: an eframe window (wgpu renderer); the compositor runs on eframe's device and its
//! texture is drawn directly. Thread: the UI (main) thread, which never waits on inference: it
//! polls the pipeline with a zero timeout and repaints at display rate.

mod carousel;
mod feed;
mod fit;
mod kiosk;
mod screenshot;
mod status;
mod theme;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use eframe::egui::{self, Align2, Color32, CornerRadius, FontId, Rect, Sense, Stroke, StrokeKind, Vec2, pos2};

use crate::character::CharacterSet;
use crate::pipeline::Pipeline;
use crate::source::SourceInfo;

use carousel::Carousel;
use feed::{LiveFeed, Poll};
use kiosk::EscapeGuard;
use screenshot::ScreenshotState;

/// Window size when not fullscreen, points.
pub const WINDOW_SIZE: [f32; 2] = [1280.0, 720.0];
/// Repaints per second asked for while the feed runs (the feed itself arrives slower).
const REPAINT: Duration = Duration::from_millis(16);

/// What the window needs to start.
pub struct BoothOptions {
    pub characters: CharacterSet,
    pub character: usize,
    pub mirror: bool,
    pub fullscreen: bool,
    pub exit_after_frames: Option<u64>,
    pub screenshot: Option<PathBuf>,
}

/// What the window did, for the caller's summary line.
#[derive(Debug, Default, Clone)]
pub struct BoothSummary {
    pub frames: u64,
    pub repaints: u64,
    pub seconds: f64,
    pub dropped: u64,
    pub screenshot: Option<PathBuf>,
    pub error: Option<String>,
}

/// Opens the window and runs until it is closed (or the frame limit is reached).
pub fn run(pipeline: Pipeline, options: BoothOptions) -> anyhow::Result<BoothSummary> {
    let summary = Arc::new(Mutex::new(BoothSummary::default()));
    let viewport = egui::ViewportBuilder::default()
        .with_title("webtoonme")
        .with_app_id("webtoonme")
        .with_inner_size(WINDOW_SIZE)
        .with_min_inner_size([640.0, 400.0])
        .with_fullscreen(options.fullscreen);
    let native = eframe::NativeOptions { viewport, renderer: eframe::Renderer::Wgpu, ..Default::default() };
    let out = summary.clone();
    eframe::run_native(
        "webtoonme",
        native,
        Box::new(move |cc| {
            let render_state = cc.wgpu_render_state.clone().context("eframe started without its wgpu renderer")?;
            theme::apply(&cc.egui_ctx);
            let feed = LiveFeed::new(&render_state)?;
            let carousel = Carousel::new(&cc.egui_ctx, &options.characters, options.character);
            let source = pipeline.source().clone();
            Ok(Box::new(BoothApp {
                pipeline: Some(pipeline),
                source,
                render_state,
                feed,
                carousel,
                characters: options.characters,
                mirror: options.mirror,
                show_status: false,
                show_labels: false,
                escape: EscapeGuard::default(),
                screenshot: ScreenshotState::new(options.exit_after_frames, options.screenshot),
                message: None,
                summary: out,
            }))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))?;
    let summary = summary.lock().map(|s| s.clone()).unwrap_or_default();
    if let Some(e) = &summary.error {
        anyhow::bail!("{e}");
    }
    Ok(summary)
}

struct BoothApp {
    pipeline: Option<Pipeline>,
    source: SourceInfo,
    render_state: eframe::egui_wgpu::RenderState,
    feed: LiveFeed,
    carousel: Carousel,
    characters: CharacterSet,
    mirror: bool,
    show_status: bool,
    show_labels: bool,
    escape: EscapeGuard,
    screenshot: ScreenshotState,
    /// Shown over the feed (source ended, pipeline error).
    message: Option<String>,
    summary: Arc<Mutex<BoothSummary>>,
}

impl BoothApp {
    fn poll(&mut self) {
        let Some(pipeline) = &self.pipeline else { return };
        match self.feed.poll(pipeline, &self.characters, &self.render_state) {
            Ok(Poll::Shown | Poll::Nothing) => {}
            Ok(Poll::Ended) => {
                if self.message.is_none() {
                    self.message = Some(format!("{}: the source ended", self.source.name));
                }
            }
            Err(e) => {
                let line = format!("{e:#}");
                log::error!("live feed: {line}");
                self.message = Some(line.clone());
                if let Ok(mut s) = self.summary.lock() {
                    s.error = Some(line);
                }
                if let Some(p) = self.pipeline.take() {
                    let _ = p.shutdown();
                }
            }
        }
    }

    fn keys(&mut self, ctx: &egui::Context) {
        let (f1, f11, esc, m, l, time, fullscreen) = ctx.input(|i| {
            (
                i.key_pressed(egui::Key::F1),
                i.key_pressed(egui::Key::F11),
                i.key_pressed(egui::Key::Escape),
                i.key_pressed(egui::Key::M),
                i.key_pressed(egui::Key::L),
                i.time,
                i.viewport().fullscreen.unwrap_or(false),
            )
        });
        if f1 {
            self.show_status = !self.show_status;
        }
        if m {
            self.mirror = !self.mirror;
        }
        if l {
            self.show_labels = !self.show_labels;
        }
        if f11 {
            ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(!fullscreen));
        }
        if esc && fullscreen && self.escape.press(time) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(false));
        }
        if let Some(choice) = ctx.input(|i| self.carousel.keys(i)) {
            self.choose(choice);
        }
    }

    fn choose(&mut self, character: usize) {
        if let Some(p) = &self.pipeline {
            p.set_character(character);
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        let frame = egui::Frame::NONE.fill(theme::PANEL).inner_margin(egui::Margin::symmetric(16, 8));
        egui::Panel::top("top").frame(frame).resizable(false).show_separator_line(false).show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(egui::RichText::new("webtoonme").size(20.0).strong().color(theme::ACCENT));
                ui.add_space(12.0);
                ui.label(
                    egui::RichText::new(format!("wearing {}", self.carousel.name(self.carousel.current)))
                        .size(15.0)
                        .color(theme::TEXT_DIM),
                );
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let fullscreen = ui.input(|i| i.viewport().fullscreen.unwrap_or(false));
                    if ui.button(if fullscreen { "Window  F11" } else { "Fullscreen  F11" }).clicked() {
                        ui.ctx().send_viewport_cmd(egui::ViewportCommand::Fullscreen(!fullscreen));
                    }
                    if ui.selectable_label(self.show_status, "Status  F1").clicked() {
                        self.show_status = !self.show_status;
                    }
                    if ui.selectable_label(self.mirror, "Mirror  M").clicked() {
                        self.mirror = !self.mirror;
                    }
                });
            });
        });
    }

    fn carousel(&mut self, ui: &mut egui::Ui) {
        let frame = egui::Frame::NONE.fill(theme::PANEL);
        egui::Panel::bottom("carousel").frame(frame).resizable(false).exact_size(carousel::HEIGHT).show(ui, |ui| {
            if let Some(choice) = self.carousel.show(ui) {
                self.choose(choice);
            }
        });
    }

    fn view(&mut self, ui: &mut egui::Ui) {
        egui::CentralPanel::no_frame().show(ui, |ui| {
            let space = ui.available_rect_before_wrap();
            ui.painter().rect_filled(space, CornerRadius::ZERO, theme::BACKGROUND);
            let Some((texture, size)) = self.feed.texture() else {
                let text = self.message.as_deref().unwrap_or("starting the camera and the models...");
                ui.painter().text(
                    space.center(),
                    Align2::CENTER_CENTER,
                    text,
                    FontId::proportional(22.0),
                    theme::TEXT_DIM,
                );
                return;
            };
            let view = fit::fit(space, size);
            ui.painter().image(texture, view, fit::uv(self.mirror), Color32::WHITE);
            let response = ui.interact(view, ui.scope_id().with("feed"), Sense::click());
            if response.clicked()
                && let Some(p) = response.interact_pointer_pos()
                && let Some(at) = fit::to_frame(view, size, self.mirror, p)
            {
                let faces: Vec<(u32, [f32; 4])> = self.feed.faces.iter().map(|f| (f.track_id, f.box_px)).collect();
                if let (Some(track), Some(pipeline)) = (fit::face_at(&faces, at), &self.pipeline) {
                    pipeline.cycle_track(track);
                }
            }
            if self.show_labels {
                for face in &self.feed.faces {
                    let r = fit::to_view(view, size, self.mirror, face.box_px);
                    let name = face.character.map_or("", |c| self.carousel.name(c));
                    let painter = ui.painter();
                    painter.rect_stroke(r, CornerRadius::same(6), Stroke::new(2.0, theme::ACCENT), StrokeKind::Outside);
                    painter.text(
                        r.center_top() - Vec2::new(0.0, 6.0),
                        Align2::CENTER_BOTTOM,
                        name,
                        FontId::proportional(16.0),
                        theme::TEXT,
                    );
                }
            }
            if let Some(msg) = &self.message {
                let r = Rect::from_center_size(
                    pos2(view.center().x, view.max.y - 40.0),
                    Vec2::new(view.width().min(720.0), 44.0),
                );
                ui.painter().rect_filled(r, CornerRadius::same(8), theme::OVERLAY);
                ui.painter().text(r.center(), Align2::CENTER_CENTER, msg, FontId::proportional(17.0), theme::TEXT);
            }
            if self.show_status {
                self.status(ui, view);
            }
        });
    }

    fn status(&self, ui: &egui::Ui, view: Rect) {
        let dropped = self.pipeline.as_ref().map_or(0, |p| p.ring_stats().dropped);
        let provider = self.pipeline.as_ref().map_or_else(|| "-".to_string(), |p| p.provider().to_string());
        let mut lines = vec![format!(
            "{} {}x{} @ {:.0} fps",
            self.source.name, self.source.width, self.source.height, self.source.fps
        )];
        lines.extend(self.feed.stats.lines());
        lines.push(format!("execution provider {provider}   dropped {dropped}"));
        lines.push(format!("renderer {}", self.feed.adapter_name()));
        let painter = ui.painter();
        let galleys: Vec<_> =
            lines.into_iter().map(|l| painter.layout_no_wrap(l, FontId::monospace(13.0), theme::TEXT)).collect();
        let width = galleys.iter().map(|g| g.size().x).fold(0.0, f32::max);
        let height: f32 = galleys.iter().map(|g| g.size().y + 2.0).sum();
        let r = Rect::from_min_size(view.min + Vec2::new(12.0, 12.0), Vec2::new(width + 20.0, height + 16.0));
        painter.rect_filled(r, CornerRadius::same(8), theme::OVERLAY);
        let mut y = r.min.y + 8.0;
        for g in galleys {
            let h = g.size().y + 2.0;
            painter.galley(pos2(r.min.x + 10.0, y), g, theme::TEXT);
            y += h;
        }
    }

    fn record_summary(&self) {
        if let Ok(mut s) = self.summary.lock() {
            s.frames = self.feed.frames;
            s.repaints = self.feed.stats.total_repaints;
            s.seconds = self.feed.stats.started.elapsed().as_secs_f64();
            s.dropped = self.pipeline.as_ref().map_or(s.dropped, |p| p.ring_stats().dropped);
            if let Some(e) = self.screenshot.error() {
                s.error = Some(e);
            }
            s.screenshot = self.screenshot.saved();
        }
    }
}

impl eframe::App for BoothApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.feed.stats.repainted();
        self.poll();
        self.keys(&ctx);
        self.top_bar(ui);
        self.carousel(ui);
        self.view(ui);
        if self.screenshot.step(&ctx, self.feed.frames) {
            self.record_summary();
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        ctx.request_repaint_after(REPAINT);
    }

    fn on_exit(&mut self) {
        self.record_summary();
        if let Some(p) = self.pipeline.take() {
            let _ = p.shutdown();
        }
    }
}
