//! `webtoonme bench`: the pipeline's own benchmark. The same pipeline as `live`, fed in lock step
//! (every frame processed) from the demo, a video or a repeated image.
//!
//! In: `--source`, `--frames`, `--size`. Out: a report (JSON with `--json`, stable and
//! documented in the README): fps, end-to-end latency, per-stage times, model time per frame and
//! the perception/model ratio, dropped frames, execution provider, peak memory. Main thread is the
//! sink; capture and perception run on their threads.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::commands::stability::{Stability, StabilityMeter};
use crate::compose::Compositor;
use crate::perception::runtime::ExecutionChoice;
use crate::perception::{Perception, PerceptionConfig};
use crate::pipeline::{Next, Pipeline};
use crate::record::Fps;
use crate::record::clip::ClipRecorder;
use crate::render::{character_index, checked_characters, compose_frame, compose_params, stage_from_models};
use crate::source::capture::CaptureMode;
use crate::source::demo::{DemoConfig, DemoScene, DemoSource, timeline};
use crate::source::{FrameSource, SourceError, SourceSpec};
use crate::stylize::assign::AssignMode;
use clap::Args;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// demo | video:PATH | image:PATH (an image repeats one frame).
    #[arg(long, default_value = "demo")]
    pub source: SourceSpec,
    #[arg(long, default_value_t = 300)]
    pub frames: u64,
    /// Frame size for the demo source, WxH.
    #[arg(long, value_parser = parse_size)]
    pub size: Option<(u32, u32)>,
    /// Print JSON (stable, documented in the README).
    #[arg(long)]
    pub json: bool,
    /// Measure perception alone (no stylization, no compositing).
    #[arg(long)]
    pub perception_only: bool,
    /// Character everyone wears (default: the first installed).
    #[arg(long)]
    pub character: Option<String>,
    #[arg(long, value_enum, default_value_t = ExecutionChoice::Auto)]
    pub ep: ExecutionChoice,
    /// Camera-like noise on the demo source (standard deviation, 0-255 units; 0 = off).
    #[arg(long, default_value_t = 3.0)]
    pub noise: f32,
    /// Also record the stylized output to this MP4, as the window's record button does (encoder
    /// on its own thread; frames it cannot take are dropped and counted). Replaces the file.
    #[arg(long, value_name = "OUT.mp4")]
    pub record: Option<std::path::PathBuf>,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s.split_once(['x', 'X']).ok_or("expected WxH, e.g. 1280x720")?;
    let w: u32 = w.parse().map_err(|_| format!("bad width '{w}'"))?;
    let h: u32 = h.parse().map_err(|_| format!("bad height '{h}'"))?;
    if !(16..=7680).contains(&w) || !(16..=4320).contains(&h) {
        return Err(format!("size {w}x{h} outside 16x16..7680x4320"));
    }
    Ok((w, h))
}

/// How long a warm-up frame may take (models loading; CUDA's first runs of each graph took over
/// 5 s on an H200) and each later one.
const FIRST_FRAME_WAIT: Duration = Duration::from_secs(120);
const FRAME_WAIT: Duration = Duration::from_secs(5);

/// Frames run before measuring (first inferences allocate and tune).
const WARMUP_FRAMES: u64 = 10;

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Percentiles {
    pub p50: f64,
    pub p95: f64,
    pub mean: f64,
}

impl Percentiles {
    pub fn of(samples: &mut [f64]) -> Self {
        if samples.is_empty() {
            return Self { p50: 0.0, p95: 0.0, mean: 0.0 };
        }
        samples.sort_by(f64::total_cmp);
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        Self { p50: at(0.5), p95: at(0.95), mean: samples.iter().sum::<f64>() / samples.len() as f64 }
    }
}

#[derive(Debug, Serialize)]
pub struct StageReport {
    pub detect: Percentiles,
    pub mesh: Percentiles,
    pub segment: Percentiles,
    pub skin: Percentiles,
    /// Everything perception did for a frame.
    pub perception: Percentiles,
    /// Background stylizer (resize + model) per frame; 0 with `--perception-only`.
    pub background: Percentiles,
    /// Face alignment, face models and masks, all faces of a frame.
    pub faces: Percentiles,
    /// The stylize thread's whole stage: background + faces.
    pub stylize: Percentiles,
    /// Compositing on the GPU (or lavapipe), readback included.
    pub compose: Percentiles,
}

#[derive(Debug, Serialize)]
pub struct BenchReport {
    pub source: String,
    pub frames: u64,
    pub size: [u32; 2],
    pub fps: f64,
    /// Time between consecutive finished frames, ms.
    pub frame_ms: Percentiles,
    /// Frames per second by the number of faces in the frame ("0", "1", "2", ...), from the
    /// mean time between finished frames with that many faces.
    pub fps_by_faces: BTreeMap<String, f64>,
    /// The stage threads run side by side: perception, stylize (background + faces), compose.
    /// Its name and mean time; the pipeline is as fast as it can be when `frame_ms.mean` is
    /// close to it.
    pub slowest_stage: String,
    pub slowest_stage_ms: f64,
    /// `frame_ms.mean / slowest_stage_ms`.
    pub frame_over_slowest_stage: f64,
    /// Frame-to-frame change of input and output where the scene is still (the demo's still
    /// stretch, an image source); `null` for video or `--perception-only`.
    pub stability: Option<Stability>,
    /// With `--record`: the clip written alongside (null without).
    pub recording: Option<RecordingReport>,
    /// Capture to the finished frame (composited, or analysed with `--perception-only`), ms.
    pub latency_ms: Percentiles,
    /// Per-stage wall time, milliseconds.
    pub stages_ms: StageReport,
    /// Time inside ONNX Runtime per frame for the perception models, milliseconds.
    pub model_ms: Percentiles,
    /// Time inside ONNX Runtime per frame for the stylizer models (face and background).
    pub stylize_model_ms: Percentiles,
    /// Whether frames were stylized and composited (false with `--perception-only`).
    pub stylized: bool,
    /// The character worn, when stylized.
    pub character: Option<String>,
    /// Mean perception time over mean model time: 1.0 means no cost beyond the models.
    pub perception_over_model: f64,
    /// Frames where the face detector ran.
    pub detector_runs: u64,
    /// Mean faces per frame.
    pub faces_mean: f64,
    pub dropped: u64,
    pub provider: String,
    pub peak_rss_mb: f64,
}

/// What `--record` wrote while the bench ran.
#[derive(Debug, Clone, Serialize)]
pub struct RecordingReport {
    pub path: String,
    /// Frames in the file.
    pub frames: u64,
    /// Frames the encoder queue dropped (it was behind).
    pub dropped: u64,
    pub seconds: f64,
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let report = measure(args)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    Ok(())
}

fn open_source(spec: &SourceSpec, size: Option<(u32, u32)>, noise: f32) -> Result<Box<dyn FrameSource>, SourceError> {
    Ok(match (spec, size) {
        (SourceSpec::Demo, size) => {
            let mut cfg = DemoConfig { noise_sigma: noise.max(0.0), ..DemoConfig::default() };
            if let Some((w, h)) = size {
                cfg.width = w;
                cfg.height = h;
            }
            Box::new(DemoSource::new(cfg))
        }
        (SourceSpec::Camera { .. }, _) => {
            return Err(SourceError::Spec {
                spec: "camera".into(),
                reason: "bench measures file and demo sources; use `live` for cameras".into(),
            });
        }
        (spec, _) => spec.open()?,
    })
}

pub fn measure(args: &BenchArgs) -> anyhow::Result<BenchReport> {
    let (spec, size, noise) = (args.source.clone(), args.size, args.noise);
    // frames whose scene did not move since the previous one
    let still = still_frames(&args.source);
    let mut config = PerceptionConfig::default();
    config.session.provider = args.ep;
    let session = config.session.clone();
    let perception = Perception::load(config)?;
    let mut styling = None;
    if !args.perception_only {
        let (set, models) = checked_characters(&session)?;
        let default = character_index(&set, args.character.as_deref())?;
        crate::render::warn_skipped(&set);
        let stage = stage_from_models(models, default, AssignMode::Default, &[])?;
        styling = Some((set, default, stage, Compositor::new_headless()?));
    }
    let (stage, mut composing) = match styling {
        Some((set, default, stage, compositor)) => (Some(stage), Some((set, default, compositor))),
        None => (None, None),
    };
    let pipeline = Pipeline::start_with(
        move || open_source(&spec, size, noise),
        CaptureMode::Lockstep,
        Some(args.frames + WARMUP_FRAMES),
        perception,
        stage,
    )?;
    let (mut background, mut faces_ms, mut compose, mut stylize_model, mut stylize_ms) =
        (Vec::with_capacity(args.frames as usize), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut composed = Vec::new();
    let info = pipeline.source().clone();
    let n = args.frames as usize;
    let (mut detect, mut mesh, mut segment, mut skin, mut total, mut model, mut latency) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut seen, mut detector_runs, mut faces) = (0u64, 0u64, 0u64);
    let mut started = None;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (mut frame_ms, mut by_faces) = (Vec::with_capacity(n), BTreeMap::<usize, (f64, u64)>::new());
    let mut last_done: Option<Instant> = None;
    let mut stability = StabilityMeter::default();
    let mut clip = match (&args.record, composing.is_some()) {
        (Some(path), true) => {
            let fps = Fps::from_f64(info.fps).unwrap_or(Fps::integer(30).expect("30 fps"));
            Some(ClipRecorder::start(path, info.width, info.height, fps, Duration::from_secs(24 * 3600))?)
        }
        (Some(_), false) => anyhow::bail!("--record needs the stylized output: drop --perception-only"),
        (None, _) => None,
    };
    loop {
        // the first frame waits for the models: a GPU provider compiles and tunes its kernels then
        let wait = if seen <= WARMUP_FRAMES { FIRST_FRAME_WAIT } else { FRAME_WAIT };
        match pipeline.recv(wait)? {
            Next::Frame(out) => {
                seen += 1;
                let t0 = Instant::now();
                if let Some((set, _, compositor)) = composing.as_mut() {
                    crate::render::report_failures(&out.stylized);
                    let params = compose_params(&set.packs[out.stylized.scene_character]);
                    if let Some(clip) = &clip {
                        composed = clip.buffer(); // the encoder gives its buffers back
                    }
                    compose_frame(compositor, &out.frame, &out.analysis, &out.stylized, params, &mut composed)?;
                }
                let compose_time = t0.elapsed();
                let done = Instant::now();
                if seen > WARMUP_FRAMES {
                    if let Some(last) = last_done {
                        let dt = ms(done - last);
                        frame_ms.push(dt);
                        let entry = by_faces.entry(out.analysis.faces.len()).or_default();
                        entry.0 += dt;
                        entry.1 += 1;
                    }
                    // only frames of a still pair are kept (a copy of both pictures each)
                    let seq = out.frame.seq;
                    if composing.is_some() && (still(seq) || still(seq + 1)) {
                        stability.add(seq, &out.frame.rgb, &composed, still(seq));
                    }
                }
                if let Some(clip) = clip.as_mut()
                    && seen > WARMUP_FRAMES
                {
                    clip.offer(out.frame.captured_at, std::mem::take(&mut composed));
                }
                last_done = Some(done);
                if seen == WARMUP_FRAMES {
                    started = Some(Instant::now());
                } else if seen > WARMUP_FRAMES {
                    let t = &out.analysis.times;
                    detect.push(ms(t.detect));
                    mesh.push(ms(t.mesh));
                    segment.push(ms(t.segment));
                    skin.push(ms(t.skin));
                    total.push(ms(t.total));
                    model.push(ms(t.model));
                    // when the picture was ready (the stability meter's own work after it is not
                    // the pipeline's)
                    latency.push(ms(if composing.is_some() {
                        done - out.frame.captured_at
                    } else {
                        out.analysed_at - out.frame.captured_at
                    }));
                    let st = &out.stylized.times;
                    background.push(ms(st.background));
                    faces_ms.push(ms(st.faces));
                    stylize_ms.push(ms(st.total));
                    compose.push(ms(compose_time));
                    stylize_model.push(ms(st.model));
                    detector_runs += u64::from(t.detected);
                    faces += out.analysis.faces.len() as u64;
                }
                pipeline.recycle(out);
            }
            Next::Waiting => anyhow::bail!("bench: no frame for {} s from {}", wait.as_secs(), info.name),
            Next::Ended => break,
        }
    }
    let wall = started.map(|s| s.elapsed().as_secs_f64()).unwrap_or(0.0);
    let recording = match clip {
        Some(clip) => {
            let summary = clip.finish()?;
            Some(RecordingReport {
                path: summary.path.display().to_string(),
                frames: summary.stats.frames,
                dropped: summary.dropped,
                seconds: summary.stats.duration.as_secs_f64(),
            })
        }
        None => None,
    };
    let dropped = pipeline.ring_stats().dropped;
    let provider = pipeline.provider().to_string();
    pipeline.shutdown()?;
    let measured = total.len() as u64;
    if measured == 0 {
        anyhow::bail!("bench: {} delivered no frames after warm-up", info.name);
    }
    let (mean_total, mean_model) =
        (total.iter().sum::<f64>() / measured as f64, model.iter().sum::<f64>() / measured as f64);
    let stages = StageReport {
        detect: Percentiles::of(&mut detect),
        mesh: Percentiles::of(&mut mesh),
        segment: Percentiles::of(&mut segment),
        skin: Percentiles::of(&mut skin),
        perception: Percentiles::of(&mut total),
        background: Percentiles::of(&mut background),
        faces: Percentiles::of(&mut faces_ms),
        stylize: Percentiles::of(&mut stylize_ms),
        compose: Percentiles::of(&mut compose),
    };
    let frame_ms = Percentiles::of(&mut frame_ms);
    let (slowest_stage, slowest_stage_ms) =
        [("perception", stages.perception.mean), ("stylize", stages.stylize.mean), ("compose", stages.compose.mean)]
            .into_iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(name, t)| (name.to_string(), t))
            .unwrap_or_default();
    Ok(BenchReport {
        source: info.name,
        frames: measured,
        size: [info.width, info.height],
        fps: measured as f64 / wall.max(1e-9),
        frame_over_slowest_stage: frame_ms.mean / slowest_stage_ms.max(1e-9),
        frame_ms,
        fps_by_faces: by_faces
            .into_iter()
            .map(|(k, (sum, n))| (k.to_string(), 1e3 * n as f64 / sum.max(1e-9)))
            .collect(),
        slowest_stage,
        slowest_stage_ms,
        stability: stability.report(),
        recording,
        latency_ms: Percentiles::of(&mut latency),
        stages_ms: stages,
        stylize_model_ms: Percentiles::of(&mut stylize_model),
        stylized: composing.is_some(),
        character: composing.as_ref().map(|(set, default, _)| set.packs[*default].id.clone()),
        model_ms: Percentiles::of(&mut model),
        perception_over_model: mean_total / mean_model.max(1e-9),
        detector_runs,
        faces_mean: faces as f64 / measured as f64,
        dropped,
        provider,
        peak_rss_mb: peak_rss_mb(),
    })
}

/// Which frames of `source` show a still scene (nothing moved since the previous frame): the
/// demo's still stretch (every loop), every frame of a repeated image, none of a video.
fn still_frames(source: &SourceSpec) -> impl Fn(u64) -> bool + use<> {
    let demo_still =
        timeline().iter().find(|s| s.scene == DemoScene::AStill).map(|s| s.frames(DemoConfig::default().fps));
    let loop_frames = (crate::source::demo::LOOP_SECONDS * DemoConfig::default().fps).round() as u64;
    let kind = match source {
        SourceSpec::Demo => 0,
        SourceSpec::Image { .. } => 1,
        _ => 2,
    };
    move |seq| match kind {
        // the pair (seq - 1, seq) lies inside the still stretch
        0 => demo_still.as_ref().is_some_and(|r| {
            let i = seq % loop_frames.max(1);
            i > r.start && r.contains(&i)
        }),
        1 => seq > 0,
        _ => false,
    }
}

/// Peak resident memory of this process (Linux; 0 elsewhere).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn print_table(r: &BenchReport) {
    let row = |name: &str, p: &Percentiles| {
        println!("  {name:<12} p50 {:7.2} ms  p95 {:7.2} ms  mean {:7.2} ms", p.p50, p.p95, p.mean)
    };
    println!(
        "bench: {} {}x{}, {} frames, provider {}, {}",
        r.source,
        r.size[0],
        r.size[1],
        r.frames,
        r.provider,
        r.character.as_deref().map_or("perception only".to_string(), |c| format!("character {c}"))
    );
    println!(
        "  fps {:.1}, dropped {}, faces/frame {:.2}, detector ran on {} frames",
        r.fps, r.dropped, r.faces_mean, r.detector_runs
    );
    let by_faces: Vec<String> = r.fps_by_faces.iter().map(|(k, v)| format!("{k} faces {v:.1}")).collect();
    println!(
        "  fps by faces: {}; frame {:.1} ms = {:.2}x the slowest stage ({} {:.1} ms)",
        by_faces.join(", "),
        r.frame_ms.mean,
        r.frame_over_slowest_stage,
        r.slowest_stage,
        r.slowest_stage_ms
    );
    if let Some(s) = &r.stability {
        println!(
            "  stability over {} still pairs: input change {:.2} (p99 {}), output change {:.2} (p99 {})",
            s.pairs, s.input_change, s.input_p99, s.output_change, s.output_p99
        );
    }
    row("latency", &r.latency_ms);
    row("detect", &r.stages_ms.detect);
    row("mesh", &r.stages_ms.mesh);
    row("segment", &r.stages_ms.segment);
    row("skin", &r.stages_ms.skin);
    row("perception", &r.stages_ms.perception);
    row("models", &r.model_ms);
    if r.stylized {
        row("background", &r.stages_ms.background);
        row("faces", &r.stages_ms.faces);
        row("stylize", &r.stages_ms.stylize);
        row("compose", &r.stages_ms.compose);
        row("stylizers", &r.stylize_model_ms);
    }
    println!("  perception / models = {:.2}, peak RSS {:.0} MB", r.perception_over_model, r.peak_rss_mb);
}
