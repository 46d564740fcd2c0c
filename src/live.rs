//! `webtoonme live` in the terminal: runs the live pipeline and reports, once a second, what it
//! sees (people, track ids, fps, drops, perception and model time). The window replaces this view
//! when it lands; the pipeline underneath is the same.
//!
//! In: `--source` (camera 0 when one exists, else the demo). Out: status lines on stdout. Main
//! thread is the sink; capture and perception run on their own threads.

use std::time::{Duration, Instant};

use crate::cli::LiveArgs;
use crate::perception::PerceptionConfig;
use crate::pipeline::{Next, Pipeline};
use crate::source::SourceSpec;
use crate::source::capture::CaptureMode;

/// The source `live` uses when none is given: the first camera, or the demo when there is none.
pub fn default_source() -> SourceSpec {
    if crate::source::camera::list_cameras().is_empty() { SourceSpec::Demo } else { SourceSpec::Camera { index: 0 } }
}

pub fn run(args: &LiveArgs) -> anyhow::Result<()> {
    let spec = match &args.source {
        Some(s) => s.clone(),
        None => {
            let s = default_source();
            if s == SourceSpec::Demo {
                println!("no camera found: using the built-in demo source");
            }
            s
        }
    };
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
