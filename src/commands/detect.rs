//! `webtoonme detect` and `webtoonme photo --overlay`: perception on one picture.
//!
//! In: an image path. Out: JSON on stdout (faces with box, score, keypoints and 478 landmarks in
//! image pixels, person-mask coverage) or a debug picture. Main thread; each picture is analysed
//! as a still (detector on the whole picture, no smoothing, no tracking history).

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

use crate::commands::media::PhotoArgs;
use crate::frame::Frame;
use crate::perception::detector::FaceDetection;
use crate::perception::recall::FoundBy;
use crate::perception::runtime::ExecutionChoice;
use crate::perception::{FrameAnalysis, Perception, PerceptionConfig};
use crate::source::image_file::load_rgb;
use clap::Args;

#[derive(Debug, Args)]
pub struct DetectArgs {
    pub input: PathBuf,
    /// Print JSON (the stable format documented in the README).
    #[arg(long)]
    pub json: bool,
    #[arg(long, value_enum, default_value_t = ExecutionChoice::Auto)]
    pub ep: ExecutionChoice,
}

/// `detect --json` output (stable; documented in the README).
#[derive(Debug, Serialize)]
pub struct DetectReport {
    pub file: String,
    pub width: u32,
    pub height: u32,
    pub provider: String,
    pub faces: Vec<DetectedFace>,
    /// Share of the picture covered by people (person probability > 0.5).
    pub person_coverage: f32,
    /// Share of the picture that is visible skin (skin likelihood > 0.5).
    pub skin_coverage: f32,
}

#[derive(Debug, Serialize)]
pub struct DetectedFace {
    pub score: f32,
    /// x0, y0, x1, y1 in image pixels.
    #[serde(rename = "box")]
    pub box_px: [f32; 4],
    /// Detector keypoints: right eye, left eye, nose tip, mouth, right ear, left ear (subject's sides).
    pub keypoints: [[f32; 2]; 6],
    /// Face presence from the mesh model.
    pub presence: f32,
    /// 478 points (x, y, z) in image pixels: MediaPipe's mesh layout, irises at 468..477.
    pub landmarks: Vec<[f32; 3]>,
    /// Mean face-skin colour (sRGB 0-255), when enough skin is visible.
    pub skin_rgb: Option<[f32; 3]>,
    /// How the face was found: `"detector"` (the whole picture) or `"tile"` (a zoomed part of
    /// it, confirmed by the mesh).
    pub found_by: FoundBy,
}

/// Analyse one picture file.
pub fn analyse_file(path: &Path, perception: &mut Perception) -> anyhow::Result<(Frame, FrameAnalysis)> {
    let img = load_rgb(path)?;
    let frame = Frame::from_rgb(img.width(), img.height(), img.into_raw());
    let mut analysis = FrameAnalysis::default();
    perception.process(&frame, &mut analysis).with_context(|| format!("{}", path.display()))?;
    Ok((frame, analysis))
}

pub fn report(path: &Path, perception: &Perception, analysis: &FrameAnalysis) -> DetectReport {
    let mut faces: Vec<DetectedFace> = analysis
        .faces
        .iter()
        .map(|f| {
            // the detection this face came from: the one whose centre lies in the mesh box
            let inside = |d: &&FaceDetection| {
                let c = d.center();
                c[0] >= f.box_px[0] && c[0] <= f.box_px[2] && c[1] >= f.box_px[1] && c[1] <= f.box_px[3]
            };
            let det = match f.found_by {
                FoundBy::Detector => analysis.detections.iter().find(inside),
                FoundBy::Tile => analysis.tile_detections.iter().find(inside),
            };
            DetectedFace {
                score: f.detection_score,
                box_px: det.map(|d| d.box_px).unwrap_or(f.box_px),
                keypoints: det.map(|d| d.keypoints_px).unwrap_or_default(),
                presence: f.presence,
                landmarks: f.raw_landmarks_px.clone(),
                skin_rgb: f.skin.map(|s| s.mean_rgb),
                found_by: f.found_by,
            }
        })
        .collect();
    faces.sort_by(|a, b| a.box_px[0].total_cmp(&b.box_px[0]));
    DetectReport {
        file: path.display().to_string(),
        width: analysis.width,
        height: analysis.height,
        provider: perception.provider().to_string(),
        faces,
        person_coverage: analysis.person_mask.coverage(),
        skin_coverage: analysis.skin_mask.coverage(),
    }
}

pub fn run(args: &DetectArgs) -> anyhow::Result<()> {
    let mut perception = load(args.ep)?;
    let (_, analysis) = analyse_file(&args.input, &mut perception)?;
    let rep = report(&args.input, &perception, &analysis);
    if args.json {
        println!("{}", serde_json::to_string(&rep)?);
    } else {
        println!(
            "{}: {}x{}, {} face(s), person coverage {:.1}%",
            rep.file,
            rep.width,
            rep.height,
            rep.faces.len(),
            rep.person_coverage * 100.0
        );
        for (i, f) in rep.faces.iter().enumerate() {
            let b = f.box_px;
            println!(
                "  face {}: score {:.3}, box ({:.0}, {:.0})-({:.0}, {:.0}), found by {}",
                i + 1,
                f.score,
                b[0],
                b[1],
                b[2],
                b[3],
                f.found_by.as_str()
            );
        }
    }
    Ok(())
}

/// `photo --overlay`: the perception debug picture.
pub fn photo_overlay(args: &PhotoArgs) -> anyhow::Result<()> {
    let mut perception = load(args.ep)?;
    let (frame, analysis) = analyse_file(&args.input, &mut perception)?;
    let mut img = frame.to_image();
    crate::commands::overlay::draw(&mut img, &analysis);
    save_image(&img, &args.output)?;
    eprintln!("{}: {} face(s) -> {}", args.input.display(), analysis.faces.len(), args.output.display());
    Ok(())
}

fn load(ep: crate::perception::runtime::ExecutionChoice) -> anyhow::Result<Perception> {
    let mut cfg = PerceptionConfig::for_photos();
    cfg.session.provider = ep;
    Ok(Perception::load(cfg)?)
}

/// Save PNG or JPEG by extension; the error names the file.
pub fn save_image(img: &image::RgbImage, path: &Path) -> anyhow::Result<()> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("png" | "jpg" | "jpeg")) {
        anyhow::bail!("{}: output must end in .png, .jpg or .jpeg", path.display());
    }
    img.save(path).with_context(|| format!("{}: cannot write", path.display()))
}
