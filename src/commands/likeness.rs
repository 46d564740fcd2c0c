//! `webtoonme likeness ORIGINAL STYLIZED [--json]`: the likeness meter on a picture pair.
//!
//! In: a photo and its stylized picture (same size). Out: per face found in the photo, its box,
//! the cosine similarity between the photo's face and the same region of the stylized picture,
//! whether the stylized face is identified as its own person among the photo's faces, and the
//! reference (the photo against itself after a JPEG quality-30 round trip); then a summary. Text
//! or JSON (stable, documented in the README). Main thread; the photo is analysed as a still by
//! the same perception `detect` runs.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use image::RgbImage;
use serde::Serialize;

use crate::frame::Frame;
use crate::likeness::{FaceLikeness, LikenessMeter, Summary};
use crate::perception::runtime::ExecutionChoice;
use crate::perception::{FrameAnalysis, Perception, PerceptionConfig};
use crate::source::image_file::load_rgb;

#[derive(Debug, Args)]
pub struct LikenessArgs {
    /// The photo: its faces are found here.
    pub original: PathBuf,
    /// The stylized picture of that photo, the same size (e.g. `webtoonme photo` output).
    pub stylized: PathBuf,
    /// Print JSON (the stable format documented in the README).
    #[arg(long)]
    pub json: bool,
    #[arg(long, value_enum, default_value_t = ExecutionChoice::Auto)]
    pub ep: ExecutionChoice,
}

/// `likeness --json` output (stable; documented in the README).
#[derive(Debug, Serialize)]
pub struct LikenessReport {
    pub original: String,
    pub stylized: String,
    pub width: u32,
    pub height: u32,
    pub provider: String,
    /// Faces from left to right.
    pub faces: Vec<FaceReport>,
    pub summary: Summary,
}

#[derive(Debug, Serialize)]
pub struct FaceReport {
    /// x0, y0, x1, y1 in image pixels (the face mesh's box).
    #[serde(rename = "box")]
    pub box_px: [f32; 4],
    #[serde(flatten)]
    pub likeness: FaceLikeness,
}

/// The two pictures, read and held to the same size before any model loads.
pub fn load_pair(original: &Path, stylized: &Path) -> anyhow::Result<(RgbImage, RgbImage)> {
    let (o, s) = (load_rgb(original)?, load_rgb(stylized)?);
    if s.dimensions() != o.dimensions() {
        anyhow::bail!(
            "{}: {}x{}, but the original {} is {}x{}: the stylized picture must have the original's size",
            stylized.display(),
            s.width(),
            s.height(),
            original.display(),
            o.width(),
            o.height()
        );
    }
    Ok((o, s))
}

/// Measure one picture pair (from [`load_pair`]): the original's faces with `perception`, each
/// against the stylized picture with `meter`.
pub fn measure(
    (original, original_img): (&Path, &RgbImage),
    (stylized, stylized_img): (&Path, &RgbImage),
    perception: &mut Perception,
    meter: &mut LikenessMeter,
) -> anyhow::Result<LikenessReport> {
    let frame = Frame::from_rgb(original_img.width(), original_img.height(), original_img.as_raw().clone());
    let mut analysis = FrameAnalysis::default();
    perception.process(&frame, &mut analysis).with_context(|| format!("{}", original.display()))?;
    let mut faces: Vec<_> = analysis.faces.iter().collect();
    faces.sort_by(|a, b| a.box_px[0].total_cmp(&b.box_px[0]));
    let landmarks: Vec<&[[f32; 3]]> = faces.iter().map(|f| f.raw_landmarks_px.as_slice()).collect();
    let m = meter
        .measure(original_img, stylized_img, &landmarks)
        .with_context(|| format!("{} against {}", original.display(), stylized.display()))?;
    Ok(LikenessReport {
        original: original.display().to_string(),
        stylized: stylized.display().to_string(),
        width: frame.width,
        height: frame.height,
        provider: meter.provider().to_string(),
        faces: faces.iter().zip(m.faces).map(|(f, likeness)| FaceReport { box_px: f.box_px, likeness }).collect(),
        summary: m.summary,
    })
}

pub fn run(args: &LikenessArgs) -> anyhow::Result<()> {
    // both pictures are read first, so a wrong file fails before the models load
    let (original, stylized) = load_pair(&args.original, &args.stylized)?;
    let mut cfg = PerceptionConfig::for_photos();
    cfg.session.provider = args.ep;
    let mut meter = LikenessMeter::load(&cfg.session)?;
    let mut perception = Perception::load(cfg)?;
    let rep = measure((&args.original, &original), (&args.stylized, &stylized), &mut perception, &mut meter)?;
    if args.json {
        println!("{}", serde_json::to_string(&rep)?);
    } else {
        print_text(&rep);
    }
    Ok(())
}

fn print_text(rep: &LikenessReport) {
    println!("{} -> {}: {}x{}, {} face(s)", rep.original, rep.stylized, rep.width, rep.height, rep.faces.len());
    if rep.faces.is_empty() {
        println!("  no face found in {}: nothing to compare", rep.original);
        return;
    }
    for (i, f) in rep.faces.iter().enumerate() {
        let b = f.box_px;
        let l = &f.likeness;
        let who = if l.identified { "identified".to_string() } else { format!("NOT identified (rank {})", l.rank) };
        println!(
            "  face {}: box ({:.0}, {:.0})-({:.0}, {:.0}), cosine {:.3} ({:.2} of {:.3}, JPEG q30), {who}",
            i + 1,
            b[0],
            b[1],
            b[2],
            b[3],
            l.cosine,
            l.ratio,
            l.reference
        );
    }
    let s = &rep.summary;
    let num = |v: Option<f32>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
    println!(
        "  summary: mean cosine {}, min {}, identified {} of {}; ratio to JPEG q30 {} (min {})",
        num(s.mean_cosine),
        num(s.min_cosine),
        s.identified,
        s.faces,
        num(s.ratio),
        num(s.min_ratio)
    );
}
