//! The booth window (`webtoonme live`): the stylized feed filling the window, the character
//! carousel, clicks on faces, the status overlay, kiosk mode, side by side, the settings panel,
//! camera-lost recovery, clips, photos, strips and boomerangs with their result card (QR code and
//! link for phones, printing), and the `--exit-after-frames N --screenshot PATH` check.
//!
//! In: a started [`Pipeline`], the character packs, the remembered [`Config`] and a
//! [`PipelineFactory`] to start a new pipeline when the camera or execution provider changes.
//! Out: an eframe window (wgpu renderer); the compositor runs on eframe's device and its texture
//! is drawn directly. Thread: the UI (main) thread, which never waits on inference: it polls the
//! pipeline with a zero timeout and repaints at display rate; a pipeline restart runs on its own
//! thread ("pipeline-restart") while the last picture stays on screen; keepsakes are written,
//! published and printed on "keeper", and the share server runs on its own threads
//! ([`crate::share::server`]).
//!
//! The screen itself is [`ui::BoothUi`] (no pipeline needed: tests drive it with synthetic
//! pictures); this module connects it to the pipeline.

mod carousel;
pub mod character_panel;
mod feed;
mod fit;
mod grab;
mod keeper;
mod keepsakes;
mod kiosk;
mod picture;
mod screenshot;
mod status;
mod take_home;
mod theme;
pub mod tuner;
pub mod ui;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossbeam_channel::{Receiver, TryRecvError, bounded};
use eframe::egui;
use eframe::egui_wgpu::{self, wgpu};

use crate::character::tuning::Knobs;
use crate::character::{CharacterPack, CharacterSet};
use crate::config::{Config, Provider};
use crate::draw::FaceLook;
use crate::perception::runtime::SessionOptions;
use crate::pipeline::{Pipeline, StylizeCommand};
use crate::render::face_tones;
use crate::source::{SourceInfo, SourceSpec};
use crate::stylize::assign::AssignMode;
use crate::stylize::people::CharacterLook;

use character_panel::PanelEvent;
pub use feed::ShownFace;
use feed::{LiveFeed, Poll};
use keeper::{KeptFile, PrintOrder};
use keepsakes::{Keepsakes, Worn};
use screenshot::{LinkShots, ScreenshotState};
use take_home::TakeHome;
pub use take_home::{TakeHomeInfo, hours_text, kept_line};
use tuner::{TuneJob, Tuned, Tuner};
pub use ui::{Action, BoothUi, CaptureFlow, DrawPicture, EguiImages, FeedView, RecordingView, ResultCard, Shown};

/// Window size when not fullscreen, points.
pub const WINDOW_SIZE: [f32; 2] = [1280.0, 720.0];
/// Time between repaints asked for while the feed runs (the feed itself arrives slower). The
/// inference threads yield the CPU to the UI (`priority::INFERENCE_NICE`): this bound is what
/// leaves them the rest.
const REPAINT: Duration = Duration::from_millis(16);
/// Longest message on screen, in characters (the terminal gets the whole line).
const TOAST_CHARS: usize = 110;
/// Skipped character packs listed in the status at most.
const MAX_SKIPPED_LINES: usize = 4;
/// A switch not on screen after this many frames counts as failed (`--auto-switch-frames`).
const SWITCH_FRAMES_LIMIT: u64 = 30;

/// What a (re)started pipeline runs on.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineRequest {
    pub source: SourceSpec,
    /// Camera resolution asked for.
    pub resolution: [u32; 2],
    pub provider: Provider,
    /// Character new people wear.
    pub character: usize,
    pub everyone_different: bool,
    /// The characters it offers (a character saved from the panel joins them).
    pub characters: Arc<CharacterSet>,
}

/// Starts a pipeline (loads the models, opens the source); called on the restart thread.
pub type PipelineFactory = dyn Fn(&PipelineRequest) -> anyhow::Result<Pipeline> + Send + Sync;

/// What the window needs to start.
pub struct BoothOptions {
    pub characters: Arc<CharacterSet>,
    pub character: usize,
    pub config: Config,
    /// Where the config is saved (None: not remembered).
    pub config_path: Option<PathBuf>,
    /// Shown on screen at start (a config file that could not be used).
    pub config_warning: Option<String>,
    pub source: SourceSpec,
    /// Cameras found at start: (index, name).
    pub cameras: Vec<(u32, String)>,
    pub fullscreen: bool,
    pub exit_after_frames: Option<u64>,
    pub screenshot: Option<PathBuf>,
    /// Switch to the next character every N frames and report when each switch is on screen.
    pub auto_switch_frames: Option<u64>,
    /// Test hook: keys pressed when the feed has delivered so many frames (in order).
    pub press: Vec<(u64, egui::Key)>,
    /// Print repaints and frames per second once a second.
    pub report_repaints: bool,
    pub present_mode: wgpu::PresentMode,
    pub factory: Arc<PipelineFactory>,
    /// Parts of the screen open at start: settings, take-home, side-by-side, status, labels.
    pub show: Vec<String>,
    /// Test hook: a screenshot into this folder each time a result card with a link shows.
    pub screenshot_links: Option<PathBuf>,
    /// Test hook: (frame, knob, value) moves of the character panel's knobs.
    pub tune: Vec<(u64, String, String)>,
    /// Test hook: "Save as new character" with this name at that frame.
    pub save_character: Option<(u64, String)>,
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
    /// `--auto-switch-frames`: switches seen on screen in time, and those that were not.
    pub switches_shown: u32,
    pub switches_missed: u32,
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
    // two frames in flight: the UI prepares the next repaint while the GPU (or lavapipe's threads)
    // still composes and draws the last one
    let surface =
        egui_wgpu::SurfaceConfig { present_mode: options.present_mode, desired_maximum_frame_latency: Some(2) };
    let wgpu_options = egui_wgpu::WgpuConfiguration::default().with_surface_config(surface);
    let native = eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Wgpu,
        wgpu_options,
        // dithering costs a third of each repaint on a software renderer; the feed is 8-bit anyway
        dithering: false,
        ..Default::default()
    };
    let out = summary.clone();
    eframe::run_native(
        "webtoonme",
        native,
        Box::new(move |cc| {
            let render_state = cc.wgpu_render_state.clone().context("eframe started without its wgpu renderer")?;
            let feed = LiveFeed::new(&render_state)?;
            let mut ui = BoothUi::new(
                &cc.egui_ctx,
                &options.characters,
                options.character,
                options.config,
                options.config_path,
                options.source,
                options.cameras,
            );
            ui.paint_background = false; // the renderer clears to it (`clear_color`)
            if options.fullscreen {
                ui.start_fullscreen(&cc.egui_ctx);
            }
            for part in &options.show {
                ui.open(part).map_err(|e| anyhow::anyhow!("--show: {e}"))?;
            }
            let skipped: Vec<String> = options.characters.problems.iter().map(|p| p.to_string()).collect();
            let warning = match (&options.config_warning, skipped.len()) {
                (Some(w), _) => Some(w.clone()),
                (None, 0) => None,
                (None, 1) => Some(shortened(&format!("character pack skipped: {}", skipped[0]), TOAST_CHARS)),
                (None, n) => {
                    Some(shortened(&format!("{n} character packs skipped (F1 shows why): {}", skipped[0]), TOAST_CHARS))
                }
            };
            let warning_until = warning.is_some().then(|| Instant::now() + Duration::from_secs(10));
            ui.message = warning;
            let mut take_home = TakeHome::default();
            let mut keepsakes = Keepsakes::default();
            for line in take_home.apply(&ui.config) {
                println!("live: {line}");
                ui.message.get_or_insert(line);
            }
            keepsakes.set_after(take_home.after_keep(&ui.config));
            if ui.config.printing.printer.is_some() {
                take_home.refresh_printers();
            }
            ui.take_home = take_home.info.clone();
            let auto_switch = options.auto_switch_frames.map(|every| AutoSwitch {
                every: every.max(1),
                next_at: every.max(1) + 5,
                pending: None,
                count: 0,
            });
            Ok(Box::new(BoothApp {
                source: Some(pipeline.source().clone()),
                pipeline: Some(pipeline),
                restarting: None,
                restart_again: false,
                factory: options.factory,
                render_state,
                feed,
                keepsakes,
                take_home,
                settings_were_open: false,
                link_shots: options.screenshot_links.map(LinkShots::new),
                press: options.press.into_iter().rev().collect(),
                tune: options.tune.into_iter().rev().collect(),
                save_at: options.save_character,
                ui_time: 0.0,
                ui,
                characters: options.characters,
                skipped,
                actions: Vec::with_capacity(8),
                status_lines: Vec::new(),
                warning_until,
                lost_since: None,
                auto_switch,
                report: options.report_repaints.then(RepaintReport::default),
                screenshot: ScreenshotState::new(options.exit_after_frames, options.screenshot),
                summary: out,
                tuner: None,
                save_pending: None,
                saving: None,
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
    /// The restart thread's answer, while a restart runs.
    restarting: Option<Receiver<anyhow::Result<Pipeline>>>,
    /// Settings changed again during a restart: restart once more when it is done.
    restart_again: bool,
    factory: Arc<PipelineFactory>,
    source: Option<SourceInfo>,
    render_state: egui_wgpu::RenderState,
    feed: LiveFeed,
    /// Clips, photos, strips and boomerangs.
    keepsakes: Keepsakes,
    /// The share store and server, printing.
    take_home: TakeHome,
    /// Whether the settings panel was open at the last repaint (opening it lists the printers).
    settings_were_open: bool,
    link_shots: Option<LinkShots>,
    /// `--press`, the next one last.
    press: Vec<(u64, egui::Key)>,
    /// `--tune`, the next one last.
    tune: Vec<(u64, String, String)>,
    /// `--save-character`.
    save_at: Option<(u64, String)>,
    /// egui's clock at this repaint (seconds).
    ui_time: f64,
    ui: BoothUi,
    characters: Arc<CharacterSet>,
    /// Character packs skipped at start or stopped while running, one line each.
    skipped: Vec<String>,
    /// Actions of this frame (reused).
    actions: Vec<Action>,
    status_lines: Vec<String>,
    /// When the config warning leaves the screen.
    warning_until: Option<Instant>,
    lost_since: Option<Instant>,
    auto_switch: Option<AutoSwitch>,
    report: Option<RepaintReport>,
    screenshot: ScreenshotState,
    summary: Arc<Mutex<BoothSummary>>,
    /// Builds a tuned character's graphs (started when the character panel is first used).
    tuner: Option<Tuner>,
    /// "Save as new character" waiting for its thumbnail frame: the character, knobs and name.
    save_pending: Option<(usize, Box<Knobs>, String)>,
    /// The "character-save" thread's answer, while a save runs.
    saving: Option<Receiver<Result<tuner::Saved, String>>>,
}

/// `--auto-switch-frames`: the next character every `every` frames, and how long each took.
struct AutoSwitch {
    every: u64,
    next_at: u64,
    /// The character asked for, the frame count when it was asked, and who was in view then
    /// (someone who comes back within a few seconds gets their own character back).
    pending: Option<(usize, u64, [Option<u32>; crate::render::MAX_FACES])>,
    count: u32,
}

#[derive(Default)]
struct RepaintReport {
    last: Option<(Instant, u64, u64)>,
    /// Time spent in [`eframe::App::ui`] since the last line (the rest of a repaint is egui's
    /// tessellation, the GPU work and presenting).
    ui_time: Duration,
}

impl BoothApp {
    fn poll(&mut self) {
        let Some(pipeline) = &self.pipeline else { return };
        let (keepsakes, render_state) = (&mut self.keepsakes, &self.render_state);
        let mut composed = |texture: &wgpu::Texture, frame: &crate::frame::Frame| {
            keepsakes.composed(&render_state.device, &render_state.queue, texture, frame);
        };
        match self.feed.poll(pipeline, &self.characters, &self.render_state, self.ui.side_by_side, &mut composed) {
            Ok(Poll::Shown | Poll::Nothing) => self.character_failures(),
            Ok(Poll::Ended) => {
                if self.ui.message.is_none() {
                    let name = self.source.as_ref().map_or("the source", |s| s.name.as_str());
                    self.ui.message = Some(format!("{name}: the source ended"));
                }
            }
            Err(e) => {
                let line = format!("{e:#}");
                log::error!("live feed: {line}");
                self.ui.message = Some(line.clone());
                if let Ok(mut s) = self.summary.lock() {
                    s.error = Some(line);
                }
                if let Some(p) = self.pipeline.take() {
                    let _ = p.shutdown();
                }
            }
        }
    }

    /// A character whose model broke while running: said in the terminal, on screen and in the
    /// status; its card is dimmed (its wearers already moved on in the stylize stage).
    fn character_failures(&mut self) {
        for f in std::mem::take(&mut self.feed.failures) {
            let line = format!("character '{}' stopped: {}", f.id, f.reason);
            println!("live: {line}");
            let now = self.ui_time;
            self.ui.toast(shortened(&line, TOAST_CHARS), now);
            self.skipped.push(line);
            if self.ui.carousel.disable(f.character).is_some() {
                println!("live: now wearing {}", self.ui.carousel.name(self.ui.carousel.current));
            }
        }
    }

    /// Follows the source's health: the lost card while it is gone, cleared when it is back.
    fn watch_source(&mut self) {
        let Some(health) = self.pipeline.as_ref().and_then(|p| p.source_health()) else { return };
        match (health.is_lost(), self.lost_since) {
            (true, None) => {
                let error = health.error();
                println!("live: source lost: {error} (reopening every 2 s)");
                self.ui.source_lost = Some(error);
                self.lost_since = Some(Instant::now());
            }
            (true, Some(_)) => {
                // the newest reason (a failed reopen says why), read now and then
                if self.feed.stats.total_repaints.is_multiple_of(30) {
                    self.ui.source_lost = Some(health.error());
                }
            }
            (false, Some(since)) => {
                println!("live: source back after {:.1} s", since.elapsed().as_secs_f64());
                self.ui.source_lost = None;
                self.lost_since = None;
            }
            (false, None) => {}
        }
    }

    fn request(&self) -> PipelineRequest {
        let config = &self.ui.config;
        PipelineRequest {
            source: self.ui.source.clone(),
            resolution: config.resolution,
            provider: config.execution_provider,
            character: self.ui.carousel.current,
            everyone_different: config.everyone_different,
            characters: self.characters.clone(),
        }
    }

    /// The character panel's events: a tuned look goes to the stylize thread now, tuned graphs
    /// to the tuner first; a save waits for the next composed frame (its thumbnail).
    fn character_event(&mut self, event: &PanelEvent) {
        match event {
            PanelEvent::Tuned { index, pack, graphs: true } => {
                if self.tuner.is_none() {
                    let opts = SessionOptions {
                        provider: self.ui.config.execution_provider.choice(),
                        trt_cache: Some(crate::paths::trt_cache_dir()),
                        ..Default::default()
                    };
                    match Tuner::start(opts) {
                        Ok(t) => self.tuner = Some(t),
                        Err(e) => self.ui.message = Some(format!("cannot start the character tuner: {e}")),
                    }
                }
                if let Some(t) = &mut self.tuner {
                    t.submit(TuneJob { index: *index, pack: (**pack).clone() });
                }
            }
            PanelEvent::Tuned { index, pack, graphs: false } => self.send_look(*index, pack),
            PanelEvent::Save { index, knobs, name } => {
                self.save_pending = Some((*index, knobs.clone(), name.clone()));
                self.keepsakes.want_thumbnail();
            }
        }
    }

    /// `--tune` and `--save-character`: the same events as the panel's sliders and button.
    fn test_hooks(&mut self) {
        let frames = self.feed.frames;
        while let Some((frame, knob, value)) = self.tune.last().cloned()
            && frames >= frame
        {
            self.tune.pop();
            let panel = &mut self.ui.character_panel;
            panel.follow(self.ui.carousel.current);
            let mut knobs = panel.knobs().clone();
            match knobs.set(&knob, &value) {
                Ok(()) => {
                    println!("live: tuning {knob}={value} at frame {frames}");
                    if let Some(e) = panel.set_knobs(knobs) {
                        self.actions.push(Action::Character(e));
                    }
                }
                Err(e) => eprintln!("webtoonme: --tune: {e}"),
            }
        }
        if let Some((frame, name)) = self.save_at.clone()
            && frames >= frame
        {
            self.save_at = None;
            println!("live: saving the character as {name:?} at frame {frames}");
            let panel = &mut self.ui.character_panel;
            panel.saving = true;
            let event = PanelEvent::Save { index: panel.index(), knobs: Box::new(panel.knobs().clone()), name };
            self.actions.push(Action::Character(event));
        }
    }

    /// A tuned character's skin and face look, from the next frame.
    fn send_look(&self, index: usize, pack: &CharacterPack) {
        if let Some(p) = &self.pipeline {
            let look = (CharacterLook::of(pack.skin, &pack.style), Some(FaceLook::of(pack)), face_tones(pack));
            p.send_stylize(StylizeCommand::SetLook(index, Box::new(look)));
        }
    }

    /// Tuned models ready, a thumbnail grabbed, a save finished (never waits).
    fn character_work(&mut self, ctx: &egui::Context) {
        while let Some(done) = self.tuner.as_mut().and_then(Tuner::poll) {
            match done {
                Tuned::Models { index, models, took } => {
                    println!("live: tuned '{}' in {} ms", models.id, took.as_millis());
                    if let Some(p) = &self.pipeline {
                        p.send_stylize(StylizeCommand::Replace(index, models));
                    }
                    // the look may have moved on while the graphs were made
                    let panel = &self.ui.character_panel;
                    if panel.index() == index
                        && let Some(base) = self.characters.packs.get(index)
                    {
                        let now = panel.knobs().apply(base);
                        self.send_look(index, &now);
                    }
                }
                Tuned::Failed { index, reason } => {
                    let line = format!("tuning character {index} failed: {reason}");
                    eprintln!("webtoonme: {line}");
                    self.ui.character_panel.status = Some(shortened(&line, TOAST_CHARS));
                }
            }
        }
        if self.save_pending.is_some()
            && let Some(frame) = self.keepsakes.take_thumbnail()
            && let Some((index, knobs, name)) = self.save_pending.take()
            && let Some(base) = self.characters.packs.get(index).cloned()
        {
            let face = self.feed.faces.first().map(|f| f.box_px);
            let taken: Vec<String> = self.characters.packs.iter().map(|p| p.id.clone()).collect();
            let (tx, rx) = bounded(1);
            let spawned = std::thread::Builder::new().name("character-save".into()).spawn(move || {
                let taken: Vec<&str> = taken.iter().map(String::as_str).collect();
                let _ = tx.send(tuner::save_character(&base, &knobs, &name, &taken, &frame, face));
            });
            match spawned {
                Ok(_) => self.saving = Some(rx),
                Err(e) => {
                    self.ui.character_panel.saving = false;
                    self.ui.character_panel.status = Some(format!("cannot start saving: {e}"));
                }
            }
        }
        let Some(rx) = &self.saving else { return };
        let result = match rx.try_recv() {
            Ok(r) => r,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => Err("saving stopped without an answer".into()),
        };
        self.saving = None;
        self.ui.character_panel.saving = false;
        match result {
            Ok(saved) => {
                println!("live: saved character '{}' ({}) in {}", saved.name, saved.id, saved.dir.display());
                let set = Arc::new(CharacterSet::load_default());
                let Some(index) = set.packs.iter().position(|p| p.id == saved.id) else {
                    let why = set.problems.iter().find(|p| p.file.starts_with(&saved.dir)).map(|p| p.to_string());
                    let line = format!("saved {} but it does not load: {}", saved.id, why.unwrap_or_default());
                    eprintln!("webtoonme: {line}");
                    self.ui.character_panel.status = Some(shortened(&line, TOAST_CHARS));
                    return;
                };
                let ids: Vec<&str> = set.packs.iter().map(|p| p.id.as_str()).collect();
                println!("live: characters now {} (wearing {})", ids.join(", "), saved.id);
                self.characters = set.clone();
                self.ui.set_characters(ctx, &set, index);
                self.ui.character_panel.status = Some(format!("Saved as \"{}\" ({})", saved.name, saved.id));
                let now = self.ui_time;
                self.ui.toast(format!("new character: {}", saved.name), now);
                self.restart();
            }
            Err(e) => {
                eprintln!("webtoonme: cannot save the character: {e}");
                self.ui.character_panel.status = Some(shortened(&format!("not saved: {e}"), TOAST_CHARS));
            }
        }
    }

    /// Stops the pipeline and starts a new one on the restart thread; the last picture stays.
    fn restart(&mut self) {
        if self.restarting.is_some() {
            self.restart_again = true;
            return;
        }
        let request = self.request();
        let old = self.pipeline.take();
        let factory = self.factory.clone();
        let (tx, rx) = bounded(1);
        let label = match &request.source {
            SourceSpec::Camera { index } => {
                format!("camera {index} at {}x{}", request.resolution[0], request.resolution[1])
            }
            SourceSpec::Demo => "the demo".to_string(),
            SourceSpec::Video { path } | SourceSpec::Image { path } => path.display().to_string(),
        };
        println!("live: restarting on {label}, execution provider {:?}", request.provider);
        let spawned = std::thread::Builder::new().name("pipeline-restart".into()).spawn(move || {
            if let Some(p) = old {
                let _ = p.shutdown();
            }
            let _ = tx.send(factory(&request));
        });
        match spawned {
            Ok(_) => {
                self.restarting = Some(rx);
                self.ui.message = Some(format!("starting {label}..."));
            }
            Err(e) => self.ui.message = Some(format!("cannot start the restart thread: {e}")),
        }
        self.ui.source_lost = None;
        self.lost_since = None;
    }

    fn finish_restart(&mut self) {
        let Some(rx) = &self.restarting else { return };
        let result = match rx.try_recv() {
            Ok(r) => r,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => Err(anyhow::anyhow!("the pipeline restart stopped without an answer")),
        };
        self.restarting = None;
        match result {
            Ok(p) => {
                let info = p.source().clone();
                println!(
                    "live: {} {}x{} @ {:.0} fps, execution provider {}",
                    info.name,
                    info.width,
                    info.height,
                    info.fps,
                    p.provider()
                );
                self.source = Some(info);
                self.pipeline = Some(p);
                self.ui.message = None;
            }
            Err(e) => {
                let line = format!("{e:#}");
                eprintln!("webtoonme: {line}");
                self.ui.message = Some(format!("{line} (open Settings to choose another)"));
            }
        }
        if std::mem::take(&mut self.restart_again) {
            self.restart();
        }
    }

    fn handle(&mut self, action: &Action) {
        match action {
            Action::Choose(index) => {
                if let Some(p) = &self.pipeline {
                    p.set_character(*index);
                }
            }
            Action::CycleTrack(track) => {
                if let Some(p) = &self.pipeline {
                    p.cycle_track(*track);
                }
            }
            Action::EveryoneDifferent(on) => {
                if let Some(p) = &self.pipeline {
                    let mode = if *on { AssignMode::RoundRobin } else { AssignMode::Default };
                    p.send_stylize(StylizeCommand::SetMode(mode));
                }
            }
            Action::SaveConfig => {
                if let Some(path) = &self.ui.config_path
                    && let Err(e) = self.ui.config.save_to(path)
                {
                    eprintln!("webtoonme: {e}");
                    self.ui.message = Some(e.to_string());
                }
                // sharing, printing or the output folder may have changed
                for line in self.take_home.apply(&self.ui.config) {
                    self.keepsakes_message(line);
                }
                self.keepsakes.set_after(self.take_home.after_keep(&self.ui.config));
                self.ui.take_home = self.take_home.info.clone();
            }
            Action::Restart => {
                // a new source may bring another frame size: the clip ends here, whole
                self.keepsakes.stop_clip();
                self.ui.capture = CaptureFlow::Idle;
                self.restart();
            }
            Action::StartClip => {
                let folder = self.ui.config.output_folder.clone();
                let worn = self.worn();
                match &self.source {
                    Some(info) => {
                        let (size, fps) = ([info.width, info.height], info.fps);
                        self.keepsakes.start_clip(&folder, &worn, size, fps, &self.ui.config.recording);
                    }
                    None => self.keepsakes_message("no picture to record yet".into()),
                }
            }
            Action::StopClip => self.keepsakes.stop_clip(),
            Action::TakePhoto => {
                let worn = self.worn();
                self.keepsakes.take_photo(worn, self.ui.config.recording.photo_with_original);
            }
            Action::StripShot(k) => {
                let worn = self.worn();
                self.keepsakes.take_strip_shot(*k, &worn);
            }
            Action::StartBoomerang => {
                let worn = self.worn();
                self.keepsakes.take_boomerang(worn);
            }
            Action::Character(event) => self.character_event(event),
            Action::Print(path) => match self.print_order() {
                Some(order) => {
                    if let Some(card) = &mut self.ui.result {
                        card.printable = None;
                        card.print_line = Some((format!("Sending it to {}...", order.printer), false));
                    }
                    self.keepsakes.print(path.clone(), order);
                }
                None => self.keepsakes_message("no printer is chosen (Settings, Take it home)".into()),
            },
        }
    }

    fn print_order(&self) -> Option<PrintOrder> {
        let p = &self.ui.config.printing;
        p.printer.clone().map(|printer| PrintOrder { printer, copies: p.copies, auto: p.auto_print, photos: p.photos })
    }

    /// The result card for a keepsake just kept: its picture, the QR code of its link, what is
    /// kept for how long, the print. Nothing when there is nothing to take home (sharing and
    /// printing off: the line on screen said what was saved).
    fn show_kept(&mut self, ctx: &egui::Context, kept: KeptFile) {
        let url = match &kept.link {
            Some(Ok(link)) => link.url.clone(),
            _ => None,
        };
        let order = self.print_order();
        let copies = |n: u32| if n == 1 { "1 copy".to_string() } else { format!("{n} copies") };
        let print_line = match (&kept.printed, &order) {
            (Some(Ok(id)), Some(o)) => Some((format!("Printing {} on {} ({id})", copies(o.copies), o.printer), false)),
            (Some(Ok(id)), None) => Some((format!("Printing ({id})"), false)),
            (Some(Err(e)), _) => Some((format!("Not printed: {e}"), true)),
            (None, _) => None,
        };
        let printable = order.filter(|o| kept.printed.is_none() && o.can_print(kept.kind)).map(|_| kept.path.clone());
        if url.is_none() && print_line.is_none() && printable.is_none() {
            return;
        }
        let title = format!("Your {}", kept.kind.noun());
        let picture = kept.thumbnail.as_ref().map(|t| (t.as_raw().as_slice(), [t.width(), t.height()]));
        let line = kept_line(kept.kind, &self.ui.config.sharing, url.is_some());
        let mut card = ResultCard::new(ctx, title, picture, url.as_deref(), line);
        card.print_line = print_line;
        card.printable = printable;
        self.ui.show_result(card);
        if let Some(shots) = &mut self.link_shots
            && url.is_some()
        {
            shots.card_shown();
        }
    }

    /// The share server's state, the printer list, the sweep once a minute.
    fn take_home_tick(&mut self) {
        let (lines, changed) = self.take_home.poll();
        for line in lines {
            self.keepsakes_message(line);
        }
        if changed {
            self.keepsakes.set_after(self.take_home.after_keep(&self.ui.config));
            self.ui.take_home = self.take_home.info.clone();
        }
        let open = self.ui.settings_open();
        if open && !self.settings_were_open {
            self.take_home.refresh_printers();
            self.take_home.refresh_interfaces();
            self.ui.take_home = self.take_home.info.clone();
        }
        self.settings_were_open = open;
        if let Some(store) = self.take_home.sweep_due() {
            self.keepsakes.sweep(store, self.ui.config.sharing.retention());
        }
    }

    /// The characters worn in the frame on screen: the scene's, then each face's.
    fn worn(&self) -> Worn {
        let mut worn = Worn::default();
        let faces = self.feed.faces.iter().filter_map(|f| f.character);
        for index in self.feed.scene_character.into_iter().chain(faces) {
            if let Some(pack) = self.characters.packs.get(index)
                && !worn.ids.contains(&pack.id)
            {
                worn.ids.push(pack.id.clone());
                worn.names.push(pack.name.clone());
            }
        }
        worn
    }

    fn keepsakes_message(&mut self, line: String) {
        println!("live: {line}");
        let now = self.ui_time;
        self.ui.toast(line, now);
    }

    /// Grabbed frames to the recorder and the keeper; what they kept to the screen.
    fn keep(&mut self, ctx: &egui::Context) {
        let folder = self.ui.config.output_folder.clone();
        self.keepsakes.collect(&self.render_state.device, &folder, &crate::paths::strip_dir());
        let lines: Vec<String> = self.keepsakes.take_messages().collect();
        for line in lines {
            self.keepsakes_message(line);
        }
        for line in self.keepsakes.take_details() {
            println!("live: {line}");
        }
        let kept: Vec<KeptFile> = self.keepsakes.take_kept().collect();
        for file in kept {
            self.show_kept(ctx, file);
        }
        let printed: Vec<(PathBuf, Result<String, String>)> = self.keepsakes.take_printed().collect();
        for (path, result) in printed {
            if let Some(card) = &mut self.ui.result {
                card.print_line = Some(match result {
                    Ok(id) => (format!("Printing {} ({id})", path.file_name().unwrap_or_default().display()), false),
                    Err(e) => (format!("Not printed: {e}"), true),
                });
            }
        }
    }

    /// `--auto-switch-frames`: the next character every few frames; reports when it is on screen.
    fn auto_switch(&mut self) {
        let (Some(auto), Some(pipeline)) = (&mut self.auto_switch, &self.pipeline) else { return };
        let frames = self.feed.frames;
        match auto.pending {
            Some((want, asked_at, in_view)) => {
                let scene_only = self.ui.config.everyone_different;
                let shown = self.feed.shows(want, |track| !scene_only && in_view.contains(&Some(track)));
                let name = self.ui.carousel.name(want);
                let waited = frames - asked_at;
                if shown || waited > SWITCH_FRAMES_LIMIT {
                    auto.count += 1;
                    auto.pending = None;
                    auto.next_at = frames + auto.every;
                    let mut s = self.summary.lock().unwrap_or_else(|e| e.into_inner());
                    if shown {
                        s.switches_shown += 1;
                        println!("switch {}: {name} on screen after {waited} frames", auto.count);
                    } else {
                        s.switches_missed += 1;
                        println!("switch {}: {name} NOT on screen after {waited} frames", auto.count);
                    }
                }
            }
            None if frames >= auto.next_at && self.feed.scene_character.is_some() => {
                let next = self.ui.carousel.step_from(self.ui.carousel.current, 1);
                self.ui.carousel.current = next;
                let mut in_view = [None; crate::render::MAX_FACES];
                for (slot, face) in in_view.iter_mut().zip(&self.feed.faces) {
                    *slot = Some(face.track_id);
                }
                if pipeline.set_character(next) {
                    auto.pending = Some((next, frames, in_view));
                }
            }
            None => {}
        }
    }

    fn status_lines(&mut self) {
        self.status_lines.clear();
        if !self.ui.show_status {
            return;
        }
        let dropped = self.pipeline.as_ref().map_or(0, |p| p.ring_stats().dropped);
        let provider = self.pipeline.as_ref().map_or_else(|| "-".to_string(), |p| p.provider().to_string());
        if let Some(s) = &self.source {
            self.status_lines.push(format!("{} {}x{} @ {:.0} fps", s.name, s.width, s.height, s.fps));
        }
        self.status_lines.extend(self.feed.stats.lines());
        self.status_lines.push(format!("execution provider {provider}   dropped {dropped}"));
        self.status_lines.push(self.take_home.info.address.clone());
        if let Some(r) = self.keepsakes.recording() {
            self.status_lines.push(format!(
                "recording {:.1} s of {} s, {} frames dropped by the encoder",
                r.length.as_secs_f64(),
                r.max.as_secs(),
                r.dropped
            ));
        }
        self.status_lines.push(format!("renderer {}", self.feed.adapter_name()));
        for line in self.skipped.iter().take(MAX_SKIPPED_LINES) {
            self.status_lines.push(shortened(&format!("skipped: {line}"), TOAST_CHARS));
        }
        if self.skipped.len() > MAX_SKIPPED_LINES {
            self.status_lines
                .push(format!("... and {} more skipped (see the terminal)", self.skipped.len() - MAX_SKIPPED_LINES));
        }
    }

    fn report(&mut self, started: Instant) {
        let Some(report) = &mut self.report else { return };
        let now = Instant::now();
        report.ui_time += now - started;
        let (repaints, frames) = (self.feed.stats.total_repaints, self.feed.frames);
        match report.last {
            Some((at, r0, f0)) if now - at >= Duration::from_secs(1) => {
                let secs = (now - at).as_secs_f64();
                let n = (repaints - r0).max(1) as f64;
                println!(
                    "window: {:.1} repaints/s, {:.1} frames/s, ui {:.1} ms/repaint (compose {:.1} ms)",
                    (repaints - r0) as f64 / secs,
                    (frames - f0) as f64 / secs,
                    report.ui_time.as_secs_f64() * 1e3 / n,
                    self.feed.stats.compose_ms
                );
                report.last = Some((now, repaints, frames));
                report.ui_time = Duration::ZERO;
            }
            Some(_) => {}
            None => report.last = Some((now, repaints, frames)),
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
    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        while let Some(&(frame, key)) = self.press.last()
            && self.feed.frames >= frame
        {
            self.press.pop();
            println!("live: pressing {} at frame {}", key.name(), self.feed.frames);
            for pressed in [true, false] {
                raw_input.events.push(egui::Event::Key {
                    key,
                    physical_key: None,
                    pressed,
                    repeat: false,
                    modifiers: egui::Modifiers::NONE,
                });
            }
        }
    }

    fn clear_color(&self, _visuals: &egui::Visuals) -> [f32; 4] {
        theme::BACKGROUND.to_normalized_gamma_f32()
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let started = Instant::now();
        let ctx = ui.ctx().clone();
        self.feed.stats.repainted();
        self.finish_restart();
        self.ui_time = ctx.input(|i| i.time);
        self.poll();
        self.keep(&ctx);
        self.test_hooks();
        self.character_work(&ctx);
        self.take_home_tick();
        self.watch_source();
        self.auto_switch();
        if self.warning_until.is_some_and(|t| Instant::now() >= t) {
            self.warning_until = None;
            self.ui.message = None;
        }
        self.status_lines();
        let view = FeedView {
            stylized: self.feed.stylized(),
            original: if self.ui.side_by_side { self.feed.original() } else { None },
            fading: self.feed.fading(),
            faces: &self.feed.faces,
            status: &self.status_lines,
            pictures: &self.feed,
            recording: self.keepsakes.recording(),
        };
        self.ui.show(ui, &view);
        if let Some(shots) = &mut self.link_shots {
            shots.step(&ctx, self.ui.result_shown);
        }
        let mut actions = std::mem::take(&mut self.actions);
        actions.extend(self.ui.take_actions());
        for action in actions.drain(..) {
            self.handle(&action);
        }
        self.actions = actions;
        self.report(started);
        if self.screenshot.step(&ctx, self.feed.frames) {
            self.record_summary();
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        ctx.request_repaint_after(REPAINT);
    }

    fn on_exit(&mut self) {
        // a clip being recorded is closed, pictures being written are finished
        for line in self.keepsakes.shutdown(Duration::from_secs(30)) {
            println!("live: {line}");
        }
        self.take_home.stop();
        self.record_summary();
        if let Some(p) = self.pipeline.take() {
            let _ = p.shutdown();
        }
    }
}

/// `text` cut to at most `max` characters, with an ellipsis where it was cut.
fn shortened(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((at, _)) if text.chars().count() > max => format!("{}…", &text[..at]),
        _ => text.to_string(),
    }
}
