//! `webtoonme live`: the booth window ([`crate::app`]) on the live pipeline, or with
//! `--headless-terminal` (and on machines without a display) the terminal reporter: once a
//! second, what the pipeline sees (people, track ids, fps, drops, perception and model time).
//!
//! In: `--source` (the configured camera when one exists, else the demo), the config file
//! ([`crate::config`]). Out: a window, or status lines on
//! stdout. Main thread is the sink (the UI thread with the window); capture, perception and
//! stylize run on their own threads.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui_wgpu::wgpu;

use crate::app::{BoothOptions, PipelineFactory, PipelineRequest};
use crate::character::CharacterSet;
use crate::config::{Config, Provider};
use crate::perception::runtime::{ExecutionChoice, SessionOptions};
use crate::perception::{Perception, PerceptionConfig};
use crate::pipeline::{Next, Pipeline};
use crate::render::{character_index, installed_characters, stylize_stage};
use crate::source::camera::{CameraRequest, CameraSource};
use crate::source::capture::{CaptureMode, Reopen, SourceHealth};
use crate::source::{FrameSource, SourceError, SourceSpec};
use crate::stylize::assign::AssignMode;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Clone, Args, Default)]
pub struct LiveArgs {
    /// camera[:N] | video:PATH | image:PATH | demo. Default: camera 0 if present, else demo.
    #[arg(long)]
    pub source: Option<SourceSpec>,
    /// Stop after this many processed frames.
    #[arg(long)]
    pub exit_after_frames: Option<u64>,
    /// Execution provider: auto tries TensorRT, then CUDA, then CPU.
    #[arg(long, value_enum, default_value_t = ExecutionChoice::Auto)]
    pub ep: ExecutionChoice,
    /// Start the window fullscreen (F11 toggles; Esc twice leaves).
    #[arg(long)]
    pub fullscreen: bool,
    /// Save a PNG of the window when `--exit-after-frames` is reached, then close.
    #[arg(long, requires = "exit_after_frames")]
    pub screenshot: Option<PathBuf>,
    /// Character everyone wears at the start (default: the first installed).
    #[arg(long)]
    pub character: Option<String>,
    /// No window: report in the terminal once a second.
    #[arg(long)]
    pub headless_terminal: bool,
    /// Print the window's repaints and frames per second once a second.
    #[arg(long)]
    pub report_repaints: bool,
    /// Switch to the next character every N frames and print when each switch is on screen
    /// (a demo loop, and the window test).
    #[arg(long, value_name = "N")]
    pub auto_switch_frames: Option<u64>,
    /// How the window presents: vsync (default: no tearing), or auto-no-vsync / mailbox /
    /// immediate (never wait for the display; measured no faster under Xvfb).
    #[arg(long, value_enum, default_value_t = PresentChoice::Vsync)]
    pub present_mode: PresentChoice,
    /// Start with parts of the screen open (screenshots, demos): comma-separated list of
    /// settings, side-by-side, status, labels.
    #[arg(long, hide = true, value_delimiter = ',', value_name = "PART")]
    pub show: Vec<String>,
    /// Test hook: the source fails after N frames and the next two reopen attempts fail too.
    #[arg(long, hide = true, value_name = "N")]
    pub simulate_source_loss: Option<u64>,
    /// Test hook: a screenshot into DIR each time a result card with a link shows
    /// (`link-1.png`, ...; a line on stdout names each).
    #[arg(long, hide = true, value_name = "DIR")]
    pub screenshot_links: Option<PathBuf>,
    /// Test hook: move a knob of the character panel when the feed has delivered so many frames,
    /// e.g. `60:saturation=0,60:line_weight=2` (the same path as moving its slider).
    #[arg(long, hide = true, value_delimiter = ',', value_name = "FRAME:KNOB=VALUE", value_parser = parse_tune)]
    pub tune: Vec<(u64, String, String)>,
    /// Test hook: "Save as new character" with this name at that frame, e.g. `150:Studio test`.
    #[arg(long, hide = true, value_name = "FRAME:NAME", value_parser = parse_save)]
    pub save_character: Option<(u64, String)>,
    /// Test hook: press keys when the feed has delivered so many frames, e.g. `30:R,200:R,210:P`
    /// (egui key names; the same path as a real key press).
    #[arg(long, hide = true, value_delimiter = ',', value_name = "FRAME:KEY", value_parser = parse_press)]
    pub press: Vec<(u64, String)>,
}

fn parse_tune(s: &str) -> Result<(u64, String, String), String> {
    let (frame, rest) = s.split_once(':').ok_or(format!("{s:?}: expected FRAME:KNOB=VALUE"))?;
    let (knob, value) = rest.split_once('=').ok_or(format!("{s:?}: expected FRAME:KNOB=VALUE"))?;
    let frame = frame.trim().parse().map_err(|_| format!("{s:?}: {frame:?} is not a frame number"))?;
    Ok((frame, knob.trim().to_string(), value.trim().to_string()))
}

fn parse_save(s: &str) -> Result<(u64, String), String> {
    let (frame, name) = s.split_once(':').ok_or(format!("{s:?}: expected FRAME:NAME"))?;
    let frame = frame.trim().parse().map_err(|_| format!("{s:?}: {frame:?} is not a frame number"))?;
    Ok((frame, name.trim().to_string()))
}

fn parse_press(s: &str) -> Result<(u64, String), String> {
    let (frame, key) = s.split_once(':').ok_or_else(|| format!("'{s}': expected FRAME:KEY"))?;
    let frame = frame.trim().parse().map_err(|_| format!("'{frame}' is not a frame count"))?;
    if eframe::egui::Key::from_name(key.trim()).is_none() {
        return Err(format!("'{key}' is not a key name (e.g. R, P, T, B, F11)"));
    }
    Ok((frame, key.trim().to_string()))
}

/// `--present-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PresentChoice {
    #[default]
    Vsync,
    AutoNoVsync,
    Mailbox,
    Immediate,
}

/// The source `live` uses when none is given: the first camera, or the demo when there is none.
pub fn default_source() -> SourceSpec {
    if crate::source::camera::list_cameras().is_empty() { SourceSpec::Demo } else { SourceSpec::Camera { index: 0 } }
}

/// Whether a desktop session is there to show a window in.
pub fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

pub fn run(args: &LiveArgs) -> anyhow::Result<()> {
    if args.headless_terminal {
        return run_terminal(args);
    }
    if !has_display() {
        println!("no display: running in the terminal (run under a desktop session for the window)");
        return run_terminal(args);
    }
    run_window(args)
}

fn source_spec(args: &LiveArgs) -> SourceSpec {
    match &args.source {
        Some(s) => s.clone(),
        None => {
            let s = default_source();
            if s == SourceSpec::Demo {
                println!("no camera found: using the built-in demo source");
            }
            s
        }
    }
}

/// The booth window. The config, models, characters and the source open before the window
/// does, so their errors come back as the usual one line.
fn run_window(args: &LiveArgs) -> anyhow::Result<()> {
    let loaded = Config::load();
    if let Some(w) = &loaded.warning {
        eprintln!("webtoonme: {w}");
    }
    let mut config = loaded.config;
    let cameras: Vec<(u32, String)> =
        crate::source::camera::list_cameras().into_iter().map(|c| (c.index, c.name)).collect();
    let source = match &args.source {
        Some(s) => s.clone(),
        None if cameras.is_empty() => {
            println!("no camera found: using the built-in demo source");
            SourceSpec::Demo
        }
        None => {
            let index = if cameras.iter().any(|(i, _)| *i == config.camera) { config.camera } else { cameras[0].0 };
            SourceSpec::Camera { index }
        }
    };
    let characters = Arc::new(installed_characters()?);
    let character = match (args.character.as_deref(), config.default_character.as_deref()) {
        (Some(id), _) => character_index(&characters, Some(id))?,
        (None, Some(id)) => character_index(&characters, Some(id)).unwrap_or_else(|e| {
            eprintln!("webtoonme: default_character in the config: {e:#}");
            0
        }),
        (None, None) => 0,
    };
    crate::render::warn_skipped(&characters);
    if args.ep != ExecutionChoice::Auto {
        config.execution_provider = Provider::from_choice(args.ep);
    }
    let request = PipelineRequest {
        source: source.clone(),
        resolution: config.resolution,
        provider: config.execution_provider,
        character,
        everyone_different: config.everyone_different,
        characters: characters.clone(),
    };
    let simulate = args.simulate_source_loss;
    let factory: Arc<PipelineFactory> =
        Arc::new(move |req: &PipelineRequest| start_pipeline(req, &req.characters, simulate));
    let pipeline = factory(&request)?;
    let info = pipeline.source().clone();
    println!(
        "live: {} {}x{} @ {:.0} fps, execution provider {} (window; F1 status, F11 fullscreen, S settings)",
        info.name,
        info.width,
        info.height,
        info.fps,
        pipeline.provider()
    );
    let options = BoothOptions {
        characters,
        character,
        config,
        config_path: loaded.path,
        config_warning: loaded.warning,
        source,
        cameras,
        fullscreen: args.fullscreen,
        exit_after_frames: args.exit_after_frames,
        screenshot: args.screenshot.clone(),
        auto_switch_frames: args.auto_switch_frames,
        press: args.press.iter().filter_map(|(f, k)| Some((*f, eframe::egui::Key::from_name(k)?))).collect(),
        report_repaints: args.report_repaints,
        present_mode: match args.present_mode {
            PresentChoice::AutoNoVsync => wgpu::PresentMode::AutoNoVsync,
            PresentChoice::Vsync => wgpu::PresentMode::AutoVsync,
            PresentChoice::Mailbox => wgpu::PresentMode::Mailbox,
            PresentChoice::Immediate => wgpu::PresentMode::Immediate,
        },
        factory,
        show: args.show.clone(),
        tune: args.tune.clone(),
        save_character: args.save_character.clone(),
        screenshot_links: args.screenshot_links.clone(),
    };
    let summary = crate::app::run(pipeline, options)?;
    println!(
        "live: {} frames processed, {} dropped, {} repaints in {:.1} s ({:.0} per second)",
        summary.frames,
        summary.dropped,
        summary.repaints,
        summary.seconds,
        summary.repaints as f64 / summary.seconds.max(1e-3)
    );
    if args.auto_switch_frames.is_some() {
        println!("switches: {} on screen, {} missed", summary.switches_shown, summary.switches_missed);
    }
    if let Some(path) = summary.screenshot {
        println!("screenshot: {}", path.display());
    }
    Ok(())
}

/// Loads the models for `req` and starts a pipeline whose source is reopened every 2 s when it
/// fails (a camera unplugged). Runs on the main thread at start, on "pipeline-restart" later.
fn start_pipeline(
    req: &PipelineRequest,
    characters: &CharacterSet,
    simulate_loss: Option<u64>,
) -> anyhow::Result<Pipeline> {
    let provider = req.provider.choice();
    let session = SessionOptions { provider, trt_cache: Some(crate::paths::trt_cache_dir()), ..Default::default() };
    let mode = if req.everyone_different { AssignMode::RoundRobin } else { AssignMode::Default };
    let stage = stylize_stage(characters, req.character, mode, &session)?;
    let mut config = PerceptionConfig::default();
    config.session.provider = provider;
    let perception = Perception::load(config)?;
    let reopen = Reopen {
        open: opener(req.source.clone(), req.resolution, simulate_loss),
        every: REOPEN_EVERY,
        health: Arc::new(SourceHealth::default()),
    };
    Ok(Pipeline::start_reopening(reopen, perception, Some(stage))?)
}

/// Time between attempts to reopen a lost source.
const REOPEN_EVERY: Duration = Duration::from_secs(2);

type Opener = Box<dyn FnMut() -> Result<Box<dyn FrameSource>, SourceError> + Send>;

/// Opens `source` (a camera at `resolution`). With `simulate_loss`, the first source fails after
/// that many frames and the next two attempts to reopen it fail, as an unplugged camera would.
fn opener(source: SourceSpec, resolution: [u32; 2], simulate_loss: Option<u64>) -> Opener {
    let mut opens = 0u32;
    Box::new(move || {
        opens += 1;
        let open = || -> Result<Box<dyn FrameSource>, SourceError> {
            match &source {
                SourceSpec::Camera { index } => {
                    let request =
                        CameraRequest { resolution: Some((resolution[0], resolution[1])), ..Default::default() };
                    Ok(Box::new(CameraSource::open(*index, &request)?))
                }
                other => other.open(),
            }
        };
        match simulate_loss {
            Some(after) if opens == 1 => Ok(Box::new(Unplugged { inner: open()?, left: after })),
            Some(_) if opens <= 3 => {
                Err(SourceError::Camera { index: 0, reason: "simulated: no such device (still unplugged)".into() })
            }
            _ => open(),
        }
    })
}

/// A source that fails after `left` frames (`--simulate-source-loss`).
struct Unplugged {
    inner: Box<dyn FrameSource>,
    left: u64,
}

impl FrameSource for Unplugged {
    fn info(&self) -> &crate::source::SourceInfo {
        self.inner.info()
    }

    fn next_frame(&mut self, frame: &mut crate::frame::Frame) -> Result<bool, SourceError> {
        if self.left == 0 {
            return Err(SourceError::Camera { index: 0, reason: "simulated: the camera was unplugged".into() });
        }
        self.left -= 1;
        self.inner.next_frame(frame)
    }

    fn pacing(&self) -> Option<Duration> {
        self.inner.pacing()
    }
}

/// The terminal reporter.
fn run_terminal(args: &LiveArgs) -> anyhow::Result<()> {
    let spec = source_spec(args);
    let mut config = PerceptionConfig::default();
    config.session.provider = args.ep;
    let pipeline = Pipeline::start(move || spec.open(), CaptureMode::Realtime, None, config)?;
    let info = pipeline.source().clone();
    println!(
        "live: {} {}x{} @ {:.0} fps, execution provider {} (Ctrl+C to stop)",
        info.name,
        info.width,
        info.height,
        info.fps,
        pipeline.provider()
    );
    let mut processed = 0u64;
    let mut window = Window::default();
    let mut last_report = Instant::now();
    loop {
        match pipeline.recv(Duration::from_millis(200))? {
            Next::Frame(out) => {
                processed += 1;
                window.add(&out);
                pipeline.recycle(out);
            }
            Next::Waiting => {}
            Next::Ended => break,
        }
        if last_report.elapsed() >= Duration::from_secs(1) {
            let secs = last_report.elapsed().as_secs_f64();
            println!("{}", window.line(secs, pipeline.ring_stats().dropped));
            window = Window { ids: std::mem::take(&mut window.ids), ..Window::default() };
            last_report = Instant::now();
        }
        if args.exit_after_frames.is_some_and(|n| processed >= n) {
            break;
        }
    }
    let dropped = pipeline.ring_stats().dropped;
    pipeline.shutdown()?;
    println!("live: {processed} frames processed, {dropped} dropped");
    Ok(())
}

/// What happened in the last second.
#[derive(Default)]
struct Window {
    frames: u32,
    perception_ms: f64,
    model_ms: f64,
    latency_ms: f64,
    people: usize,
    ids: Vec<u32>,
}

impl Window {
    fn add(&mut self, out: &crate::pipeline::PipelineOutput) {
        let a = &out.analysis;
        self.frames += 1;
        self.perception_ms += a.times.total.as_secs_f64() * 1e3;
        self.model_ms += a.times.model.as_secs_f64() * 1e3;
        self.latency_ms += (out.analysed_at - out.frame.captured_at).as_secs_f64() * 1e3;
        self.people = a.faces.len();
        self.ids.clear();
        self.ids.extend(a.faces.iter().map(|f| f.track_id));
    }

    fn line(&self, secs: f64, dropped_total: u64) -> String {
        let n = self.frames.max(1) as f64;
        let ids: Vec<String> = self.ids.iter().map(|i| format!("#{i}")).collect();
        format!(
            "{:5.1} fps | people {} [{}] | perception {:.1} ms (models {:.1} ms) | latency {:.0} ms | dropped {}",
            self.frames as f64 / secs,
            self.people,
            ids.join(" "),
            self.perception_ms / n,
            self.model_ms / n,
            self.latency_ms / n,
            dropped_total
        )
    }
}
