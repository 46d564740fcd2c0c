//! `webtoonme photo` and `webtoonme video`: picture and video files in, webtoon files out,
//! through the same perception, stylize and compose code as the live app.
//!
//! In: an image (PNG/JPEG, EXIF orientation honoured) or a video file. Out: a PNG/JPEG, or an
//! MP4 with the same frame count and frame rate as the input and the input's audio. Main thread
//! composes and encodes; capture, perception and stylize run on their pipeline threads.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::character::CharacterSet;
use crate::compose::Compositor;
use crate::frame::Frame;
use crate::perception::runtime::ExecutionChoice;
use crate::perception::{FrameAnalysis, Perception, PerceptionConfig};
use crate::pipeline::{Next, Pipeline};
use crate::record::clip::{ClipRecorder, ClipSummary, Offer};
use crate::record::{AudioSource, EncoderThread, Fps, VideoWriter};
use crate::render::{
    character_index, checked_characters, compose_frame, compose_params, report_failures, stage_from_models,
    warn_skipped,
};
use crate::source::FrameSource;
use crate::source::capture::CaptureMode;
use crate::source::image_file::load_rgb;
use crate::source::video::VideoSource;
use crate::stylize::assign::AssignMode;
use crate::stylize::{StylizeStage, StylizedFrame};

fn assign_mode(everyone_different: bool) -> AssignMode {
    if everyone_different { AssignMode::RoundRobin } else { AssignMode::Default }
}

/// Everything a stylizing run needs, loaded once: characters, perception, the stylize stage
/// and a headless compositor. The order puts the cheap checks (an unknown character) first.
struct Studio {
    set: CharacterSet,
    perception: Perception,
    stage: StylizeStage,
    compositor: Compositor,
}

impl Studio {
    fn load(
        mut perception: PerceptionConfig,
        character: Option<&str>,
        everyone_different: bool,
        ep: ExecutionChoice,
    ) -> anyhow::Result<Self> {
        let (set, models) = checked_characters(&perception_session(ep))?;
        let default = character_index(&set, character)?;
        warn_skipped(&set);
        let stage = stage_from_models(models, default, assign_mode(everyone_different), &[])?;
        perception.session.provider = ep;
        let perception = Perception::load(perception)?;
        Ok(Self { set, perception, stage, compositor: Compositor::new_headless()? })
    }
}

/// Stylize one picture file; returns the composited RGB8 picture.
pub fn photo(args: &PhotoArgs) -> anyhow::Result<()> {
    if args.overlay {
        return crate::commands::detect::photo_overlay(args);
    }
    let img = load_rgb(&args.input)?;
    let frame = Frame::from_rgb(img.width(), img.height(), img.into_raw());
    let Studio { set, mut perception, mut stage, mut compositor } =
        Studio::load(PerceptionConfig::for_photos(), args.character.as_deref(), args.everyone_different, args.ep)?;
    let mut analysis = FrameAnalysis::default();
    perception.process(&frame, &mut analysis).with_context(|| args.input.display().to_string())?;
    let mut stylized = StylizedFrame::default();
    stage.process(&frame, &analysis, &mut stylized)?;
    report_failures(&stylized);
    let mut out = Vec::new();
    let params = compose_params(&set.packs[stylized.scene_character]);
    compose_frame(&mut compositor, &frame, &analysis, &stylized, params, &mut out)?;
    let img = image::RgbImage::from_raw(frame.width, frame.height, out).context("composited picture size")?;
    crate::commands::detect::save_image(&img, &args.output)?;
    let worn: Vec<&str> = stylized.faces.iter().map(|f| set.packs[f.character].id.as_str()).collect();
    eprintln!(
        "{}: {} face(s) [{}] -> {}",
        args.input.display(),
        analysis.faces.len(),
        worn.join(", "),
        args.output.display()
    );
    Ok(())
}

fn perception_session(ep: crate::perception::runtime::ExecutionChoice) -> crate::perception::runtime::SessionOptions {
    crate::perception::runtime::SessionOptions {
        provider: ep,
        trt_cache: Some(crate::paths::trt_cache_dir()),
        ..Default::default()
    }
}

/// Stylize a video file into an MP4.
pub fn video(args: &VideoArgs) -> anyhow::Result<()> {
    let ext = args.output.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    if ext.as_deref() != Some("mp4") {
        anyhow::bail!("{}: output must be an .mp4 file", args.output.display());
    }
    // open once here so a bad input fails before any model loads
    let probe = VideoSource::open(&args.input)?;
    let info = probe.info().clone();
    drop(probe);

    let Studio { set, perception, stage, mut compositor } =
        Studio::load(PerceptionConfig::default(), args.character.as_deref(), args.everyone_different, args.ep)?;

    let audio = match AudioSource::from_mp4(&args.input) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("webtoonme: warning: audio not copied: {e}");
            None
        }
    };
    let fps = Fps::from_f64(info.fps)
        .with_context(|| format!("{}: frame rate {} not usable", args.input.display(), info.fps))?;
    let writer = VideoWriter::create(&args.output, info.width, info.height, fps, audio)?;
    // encoding on its own thread: composing the next frame overlaps encoding this one
    let encoder = EncoderThread::start(writer, 2)?;

    let input = args.input.clone();
    let pipeline = Pipeline::start_with(
        move || Ok(Box::new(VideoSource::open(&input)?)),
        CaptureMode::Lockstep,
        None,
        perception,
        Some(stage),
    )?;
    let total = info.frame_count;
    let mut progress = Progress::new(total);
    let started = Instant::now();
    let mut frames = 0u64;
    let mut t = StageSums::default();
    loop {
        match pipeline.recv(Duration::from_secs(30))? {
            Next::Frame(o) => {
                report_failures(&o.stylized);
                let params = compose_params(&set.packs[o.stylized.scene_character]);
                let t0 = Instant::now();
                let mut out = encoder.buffer();
                compose_frame(&mut compositor, &o.frame, &o.analysis, &o.stylized, params, &mut out)?;
                let t1 = Instant::now();
                if !encoder.push(out, o.frame.pts) {
                    break; // the encoder failed; finish() reports why
                }
                t.add(&o, t1 - t0, t1.elapsed());
                frames += 1;
                progress.update(frames);
                pipeline.recycle(o);
            }
            Next::Waiting => anyhow::bail!("{}: no frame decoded for 30 s", args.input.display()),
            Next::Ended => break,
        }
    }
    pipeline.shutdown()?;
    progress.finish(frames);
    let stats = encoder.finish()?;
    let speed = frames as f64 / started.elapsed().as_secs_f64().max(1e-9);
    t.print(frames);
    eprintln!(
        "{} -> {}: {} frames, {:.2} s at {} fps (processed at {speed:.1} fps){}",
        args.input.display(),
        args.output.display(),
        stats.frames,
        stats.duration.as_secs_f64(),
        fps,
        if stats.audio_samples > 0 { ", audio copied" } else { "" }
    );
    Ok(())
}

/// `webtoonme record`: a clip of the stylized live output. Capture runs in real time (the ring
/// drops when the pipeline is slow); frames keep their capture times; the encoder runs on its
/// own thread behind a bounded queue and frames it cannot take are dropped, never waited for
/// ([`ClipRecorder`], the same as the window's record button).
pub fn record(args: &RecordArgs) -> anyhow::Result<()> {
    if !(args.seconds > 0.0 && args.seconds.is_finite()) {
        anyhow::bail!("--seconds must be a positive number, not {}", args.seconds);
    }
    let ext = args.output.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    if ext.as_deref() != Some("mp4") {
        anyhow::bail!("{}: output must be an .mp4 file", args.output.display());
    }
    let Studio { set, perception, stage, mut compositor } =
        Studio::load(PerceptionConfig::default(), args.character.as_deref(), args.everyone_different, args.ep)?;

    let spec = args.source.clone();
    let pipeline = Pipeline::start_with(move || spec.open(), CaptureMode::Realtime, None, perception, Some(stage))?;
    let info = pipeline.source().clone();
    let fps = Fps::from_f64(info.fps).unwrap_or(Fps::integer(30).expect("30 fps"));
    let output = unique_path(&args.output);
    let length = Duration::from_secs_f64(args.seconds);
    let mut clip = ClipRecorder::start(&output, info.width, info.height, fps, length)?;
    eprintln!(
        "recording {} {}x{} @ {fps} fps to {} for {} s",
        info.name,
        info.width,
        info.height,
        output.display(),
        args.seconds
    );

    let started = Instant::now();
    let mut frames = 0u64;
    while started.elapsed() < length + Duration::from_secs(30) {
        let o = match pipeline.recv(Duration::from_millis(200))? {
            Next::Frame(o) => o,
            Next::Waiting => continue,
            Next::Ended => break,
        };
        let captured_at = o.frame.captured_at;
        if !clip.wants(captured_at) {
            pipeline.recycle(o);
            if clip.is_past_end(captured_at) {
                break;
            }
            continue;
        }
        report_failures(&o.stylized);
        let params = compose_params(&set.packs[o.stylized.scene_character]);
        let mut out = clip.buffer();
        compose_frame(&mut compositor, &o.frame, &o.analysis, &o.stylized, params, &mut out)?;
        pipeline.recycle(o);
        frames += 1;
        match clip.offer(captured_at, out) {
            Offer::Queued | Offer::Dropped => {}
            Offer::Full | Offer::Stopped => break, // the length is reached / the encoder failed: finish() says why
        }
    }
    let ring_dropped = pipeline.ring_stats().dropped;
    pipeline.shutdown()?;
    let ClipSummary { path, stats, dropped } = clip.finish()?;
    println!(
        "{}: {} frames, {:.2} s ({} composed, {dropped} dropped by the encoder queue, {ring_dropped} skipped by the live pipeline)",
        path.display(),
        stats.frames,
        stats.duration.as_secs_f64(),
        frames
    );
    println!("dropped frames: {dropped}");
    println!("saved: {}", path.display());
    Ok(())
}

pub use crate::record::names::unique_path;
use crate::source::SourceSpec;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct PhotoArgs {
    pub input: PathBuf,
    #[arg(short, long)]
    pub output: PathBuf,
    /// Draw boxes, mesh, person mask and skin mask over the photo instead of stylizing it.
    #[arg(long)]
    pub overlay: bool,
    /// Character everyone wears (default: the first installed, see `webtoonme characters`).
    #[arg(long)]
    pub character: Option<String>,
    /// Give each person a different character.
    #[arg(long)]
    pub everyone_different: bool,
    #[arg(long, value_enum, default_value_t = ExecutionChoice::Auto)]
    pub ep: ExecutionChoice,
}

#[derive(Debug, Args)]
pub struct VideoArgs {
    pub input: PathBuf,
    #[arg(short, long)]
    pub output: PathBuf,
    /// Character everyone wears (default: the first installed).
    #[arg(long)]
    pub character: Option<String>,
    /// Give each person a different character.
    #[arg(long)]
    pub everyone_different: bool,
    #[arg(long, value_enum, default_value_t = ExecutionChoice::Auto)]
    pub ep: ExecutionChoice,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// camera[:N] | video:PATH | image:PATH | demo (played live, in real time).
    #[arg(long)]
    pub source: SourceSpec,
    /// Output MP4; an existing file is never overwritten: " (2)", " (3)", ... is added.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Length of the clip in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Character everyone wears (default: the first installed).
    #[arg(long)]
    pub character: Option<String>,
    /// Give each person a different character.
    #[arg(long)]
    pub everyone_different: bool,
    #[arg(long, value_enum, default_value_t = ExecutionChoice::Auto)]
    pub ep: ExecutionChoice,
}

/// Mean time per stage over a run (milliseconds), printed at the end of `video`.
#[derive(Default)]
struct StageSums {
    perception: f64,
    background: f64,
    faces: f64,
    compose: f64,
    encode: f64,
}

impl StageSums {
    fn add(&mut self, o: &crate::pipeline::PipelineOutput, compose: Duration, encode: Duration) {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        self.perception += ms(o.analysis.times.total);
        self.background += ms(o.stylized.times.background);
        self.faces += ms(o.stylized.times.faces);
        self.compose += ms(compose);
        self.encode += ms(encode);
    }

    fn print(&self, frames: u64) {
        let n = frames.max(1) as f64;
        eprintln!(
            "per frame: perception {:.1} ms, background {:.1} ms, faces {:.1} ms, compose {:.1} ms, waiting for the encoder {:.1} ms",
            self.perception / n,
            self.background / n,
            self.faces / n,
            self.compose / n,
            self.encode / n
        );
    }
}

/// A one-line progress bar on stderr.
struct Progress {
    total: Option<u64>,
    started: Instant,
    last_draw: Instant,
}

impl Progress {
    fn new(total: Option<u64>) -> Self {
        Self { total, started: Instant::now(), last_draw: Instant::now() - Duration::from_secs(1) }
    }

    fn update(&mut self, done: u64) {
        if self.last_draw.elapsed() < Duration::from_millis(250) {
            return;
        }
        self.last_draw = Instant::now();
        self.draw(done);
    }

    fn draw(&self, done: u64) {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let fps = done as f64 / secs;
        let line = match self.total {
            Some(total) if total > 0 => {
                let frac = (done as f64 / total as f64).min(1.0);
                let filled = (frac * 30.0).round() as usize;
                let eta = if fps > 0.0 { (total.saturating_sub(done)) as f64 / fps } else { 0.0 };
                format!(
                    "[{}{}] {done}/{total} {:3.0}% {fps:5.1} fps ETA {:.0}s",
                    "#".repeat(filled),
                    "-".repeat(30 - filled),
                    frac * 100.0,
                    eta
                )
            }
            _ => format!("{done} frames {fps:5.1} fps"),
        };
        let mut err = std::io::stderr();
        let _ = write!(err, "\r{line}   ");
        let _ = err.flush();
    }

    fn finish(&self, done: u64) {
        self.draw(done);
        eprintln!();
    }
}

/// Whether a path looks like a picture the CLI can write.
pub fn is_picture_path(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(),
        Some("png" | "jpg" | "jpeg")
    )
}
