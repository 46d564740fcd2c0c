//! `webtoonme live`: the booth window ([`crate::app`]) on the live pipeline, or with
//! `--headless-terminal` (and on machines without a display) the terminal reporter: once a
//! second, what the pipeline sees (people, track ids, fps, drops, perception and model time).
//!
//! In: `--source` (camera 0 when one exists, else the demo). Out: a window, or status lines on
//! stdout. Main thread is the sink (the UI thread with the window); capture, perception and
//! stylize run on their own threads.

use std::time::{Duration, Instant};

use crate::app::BoothOptions;
use crate::cli::LiveArgs;
use crate::perception::runtime::SessionOptions;
use crate::perception::{Perception, PerceptionConfig};
use crate::pipeline::{Next, Pipeline};
use crate::render::{character_index, installed_characters, stylize_stage};
use crate::source::SourceSpec;
use crate::source::capture::CaptureMode;
use crate::stylize::assign::AssignMode;

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

/// The booth window. Models, characters and the source open before the window does, so their
/// errors come back as the usual one line.
fn run_window(args: &LiveArgs) -> anyhow::Result<()> {
    let spec = source_spec(args);
    let characters = installed_characters()?;
    let character = character_index(&characters, args.character.as_deref())?;
    let session =
        SessionOptions { provider: args.ep, trt_cache: Some(crate::paths::trt_cache_dir()), ..Default::default() };
    let stage = stylize_stage(&characters, character, AssignMode::Default, &session)?;
    let mut config = PerceptionConfig::default();
    config.session.provider = args.ep;
    let perception = Perception::load(config)?;
    let mirror = matches!(spec, SourceSpec::Camera { .. });
    let pipeline = Pipeline::start_with(move || spec.open(), CaptureMode::Realtime, None, perception, Some(stage))?;
    let info = pipeline.source().clone();
    println!(
        "live: {} {}x{} @ {:.0} fps, execution provider {} (window; F1 status, F11 fullscreen)",
        info.name,
        info.width,
        info.height,
        info.fps,
        pipeline.provider()
    );
    let options = BoothOptions {
        characters,
        character,
        mirror,
        fullscreen: args.fullscreen,
        exit_after_frames: args.exit_after_frames,
        screenshot: args.screenshot.clone(),
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
    if let Some(path) = summary.screenshot {
        println!("screenshot: {}", path.display());
    }
    Ok(())
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
