//! Fitting a character to a webtoon's own pictures: the pack keys a folder of art implies,
//! measured on the art (issue 13, `webtoonme character new ID --from DIR`).
//!
//! In: [`FitPicture`]s (any size; pictures larger than [`work::WORK_SIDE`] are measured
//! downscaled), each with the faces found in it ([`find_faces`]: the project's detector and
//! mesh; drawn faces are often not found, and then what only faces say is left to the base
//! character). Out: a [`Fit`]: for every value the value, where it came from and a confidence
//! 0..1, or `None` when the pictures do not show it; [`Fit::to_keys`] turns it into the pack
//! keys it feeds. Thread: the caller's (the CLI's main thread); pure apart from [`find_faces`],
//! which runs perception on the caller's [`Perception`].
//!
//! What is measured, per picture, then pooled (median of the per-picture estimates unless said):
//! - ink: pixels darker than the morphological closing of L* (radius 6 px at the working size)
//!   by [`work::INK_DARK`] L*; line centres are the darkest across the line, their width the full
//!   width at half darkness (min over four directions). A picture has ink when it has line
//!   and a third of its light/dark boundaries outlined or much clearly inked area (see [`INK_MIN_OUTLINED`],
//!   [`INK_MIN_DARK`]). Ink colour, on the strongest lines of all inked pictures: painted over
//!   (constant colour) or multiplied into the colour beside the line (the generator's way),
//!   whichever a regression of the centre on the colour beside says.
//! - flat colour: no ink near and every neighbour within 3 CIE76 units. The palette is the modes
//!   of the flat pixels' Lab histogram (pictures weighted alike), mean-shifted, 7 units apart.
//! - tone steps: the flat luma levels within each chroma family (see [`colours::tones`]).
//! - saturation, contrast: chroma and luma spread of the art over those of real photos through
//!   the generator at gain 1 (constants below, measured on the test photos).
//! - faces: skin (flat pixels of the mesh's face oval), iris, eye opening, hair above the brow.
//!
//! Colour differences here are CIE76 (Euclidean in CIE Lab, D65).

pub mod colours;
pub mod faces;
pub mod work;

use std::fmt;

use image::RgbImage;
use serde::Serialize;

use crate::frame::Frame;
use crate::perception::{FrameAnalysis, Perception};
use work::{GRAPH_SIDE, WorkPicture, delta_e, lab_to_rgb8, rgb8_to_lab};

/// Most palette colours reported (and written).
pub const MAX_PALETTE: usize = 14;
/// A picture has ink when it has at least this many line centres per 1000 px of its long side,
pub const INK_MIN_LINE: f32 = 50.0;
/// and either this share of its light/dark boundaries are drawn with a line (drawn art: 0.9;
/// photos through the generator without ink: 0.01-0.06, with ink 0.08-0.38)
pub const INK_MIN_OUTLINED: f32 = 0.3;
/// or this share of its pixels is clearly inked (20 L* under their closing; photos through the
/// generator without ink: 1.4-5.4%, with ink 8.8-13.2%).
pub const INK_MIN_DARK: f32 = 0.07;
/// Line width (full width at half darkness, px at a 640 px long side) the generator draws per
/// unit of `ink_sigma`, and at `ink_sigma = 0`: width = `INK_WIDTH_PER_SIGMA * sigma +
/// INK_WIDTH_AT_ZERO` (least squares over 9 inked packs of tests/fit_truth.rs, seeds default and
/// 7, on t1.jpg, the astronaut and a mirrored crop: sigma 0.71..1.68 back within 9%).
pub const INK_WIDTH_PER_SIGMA: f32 = 2.21;
pub const INK_WIDTH_AT_ZERO: f32 = 0.82;
/// 75th percentile of the chroma (|Cb, Cr| of BT.601 on sRGB, 0..1 units) of real photos through
/// the generator at saturation 1 without palette pull: saturation = the art's / this (fitted on
/// the two grade packs of tests/fit_truth.rs; the other seed's two come back within 11%).
pub const REF_CHROMA: f32 = 0.187;
/// 90th minus 10th percentile of the luma of real photos through the generator at contrast 1
/// (fitted like [`REF_CHROMA`]; the other seed's come back within 5%).
pub const REF_SPREAD: f32 = 0.58;
/// Eye opening area over the squared outer-corner distance of real faces: the median over the
/// faces of t1.jpg, the astronaut and a mirrored crop of t1 through 8 packs without reshaping
/// (0.0184..0.0201 per pack; tests/fit_truth.rs).
pub const REF_EYE_AREA: f32 = 0.0193;

/// A picture to measure.
#[derive(Debug, Clone)]
pub struct FitPicture {
    /// Its name in reports (usually the file name).
    pub name: String,
    pub image: RgbImage,
    /// Faces found in it (empty: none found or not looked for).
    pub faces: Vec<FitFace>,
}

/// A face found in a picture: its 478 landmarks in the picture's pixels.
#[derive(Debug, Clone)]
pub struct FitFace {
    pub landmarks: Vec<[f32; 3]>,
}

/// An sRGB colour; written `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour(pub [u8; 3]);

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0[0], self.0[1], self.0[2])
    }
}

impl Serialize for Colour {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl Colour {
    pub fn lab(&self) -> [f32; 3] {
        rgb8_to_lab(self.0)
    }
}

/// A measured value, where it came from, and how sure the measurement is (0..1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measured<T> {
    pub value: T,
    pub source: String,
    pub confidence: f32,
}

/// A colour of the palette and its share of the art's flat area.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PaletteColour {
    pub colour: Colour,
    /// Share of all flat pixels (pictures weighted alike).
    pub share: f32,
    /// Pictures where it covers at least 1% of the flat pixels.
    pub pictures: usize,
}

/// Everything measured on the art. `None`: not measurable on these pictures (take the base
/// character's value).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Fit {
    pub pictures: usize,
    /// Pictures with at least one face whose landmarks could be measured.
    pub pictures_with_faces: usize,
    pub faces: usize,
    pub palette: Option<Measured<Vec<PaletteColour>>>,
    pub skin_tone: Option<Measured<Colour>>,
    pub skin_shadow: Option<Measured<Colour>>,
    pub hair: Option<Measured<Vec<Colour>>>,
    /// Pictures with ink over all pictures.
    pub ink_share: f32,
    /// The ink as it shows on white (the generator multiplies `1 - ink_darkness * (1 -
    /// ink_color)` in, so only this product is measurable; written as `ink_color` with
    /// `ink_darkness = 1`).
    pub ink_color: Option<Measured<Colour>>,
    /// 0 when the art has no ink.
    pub ink_darkness: Option<Measured<f32>>,
    /// Line width, full width at half darkness, px at a 640 px long side.
    pub line_px: Option<Measured<f32>>,
    pub ink_sigma: Option<Measured<f32>>,
    /// Line width in px at 100 px between the eyes (faces only).
    pub line_width: Option<Measured<f32>>,
    pub tone_steps: Option<Measured<u32>>,
    /// Flat luma levels (0..1) the tone steps were counted from.
    pub tone_levels: Vec<f32>,
    pub step_width: Option<Measured<f32>>,
    pub step_strength: Option<Measured<f32>>,
    pub saturation: Option<Measured<f32>>,
    pub contrast: Option<Measured<f32>>,
    pub iris_color: Option<Measured<Colour>>,
    pub eye_scale: Option<Measured<f32>>,
    /// Median eye opening area over the squared outer-corner distance (what `eye_scale` is
    /// computed from, against [`REF_EYE_AREA`]).
    pub eye_area: Option<f32>,
    /// What each picture showed.
    pub per_picture: Vec<PictureNotes>,
}

/// The raw measurements of one picture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PictureNotes {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub faces: usize,
    /// Share of its pixels in flat colour.
    pub flat_share: f32,
    /// Ink line centres per 1000 px of its long side.
    pub line_length: f32,
    /// Share of its light/dark boundaries drawn with a line.
    pub outlined: f32,
    /// Share of its pixels clearly inked.
    pub dark_share: f32,
    pub has_ink: bool,
    /// Median line width, px at a 640 px long side.
    pub line_px: f32,
    /// 75th percentile of the chroma (|Cb, Cr|, 0..1) of its non-ink pixels.
    pub chroma: f32,
    /// 90th minus 10th percentile of its luma.
    pub luma_spread: f32,
}

/// Whether a picture is drawn with lines: enough line, and its boundaries outlined or much of it
/// clearly inked.
fn has_ink(w: &WorkPicture) -> bool {
    w.line_length() >= INK_MIN_LINE && (w.outlined >= INK_MIN_OUTLINED || w.dark_share >= INK_MIN_DARK)
}

/// (chroma, luma spread) of a picture's non-ink pixels; `None` under 16 of them.
fn grade_stats(pic: &WorkPicture) -> Option<(f32, f32)> {
    let mut c = Vec::new();
    let mut l = Vec::new();
    for i in 0..pic.len() {
        if pic.ink[i] {
            continue;
        }
        let [r, _, b] = pic.rgb[i];
        let y = pic.luma[i];
        let (cb, cr) = (0.564 * (b - y), 0.713 * (r - y));
        c.push((cb * cb + cr * cr).sqrt());
        l.push(y);
    }
    if c.len() < 16 {
        return None;
    }
    Some((percentile(&mut c, 0.75), percentile(&mut l, 0.9) - percentile(&mut l, 0.1)))
}

/// One key for a pack's TOML.
#[derive(Debug, Clone, PartialEq)]
pub struct FitKey {
    /// `"style"`, `"skin"`, `"drawing"` or `"geometry"`.
    pub section: &'static str,
    pub key: &'static str,
    pub value: toml::Value,
    /// Where the value came from, for a comment next to it.
    pub comment: String,
}

fn median(v: &mut [f32]) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    Some(v[v.len() / 2])
}

/// Interquartile range over the median: 0 for agreeing estimates.
fn spread(v: &mut [f32]) -> f32 {
    if v.len() < 2 {
        return 1.0;
    }
    v.sort_by(f32::total_cmp);
    let m = v[v.len() / 2].abs().max(1e-6);
    (v[(3 * v.len()) / 4] - v[v.len() / 4]).abs() / m
}

fn percentile(v: &mut [f32], p: f32) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f32::total_cmp);
    v[((v.len() - 1) as f32 * p).round() as usize]
}

/// Faces found by the project's detector and mesh in a still picture, as [`FitFace`]s.
pub fn find_faces(
    perception: &mut Perception,
    image: &RgbImage,
) -> Result<Vec<FitFace>, crate::perception::runtime::RuntimeError> {
    if image.width() < 16 || image.height() < 16 {
        return Ok(Vec::new());
    }
    let frame = Frame::from_rgb(image.width(), image.height(), image.as_raw().clone());
    let mut analysis = FrameAnalysis::default();
    perception.process(&frame, &mut analysis)?;
    Ok(analysis.faces.iter().map(|f| FitFace { landmarks: f.raw_landmarks_px.clone() }).collect())
}

/// Measure a set of pictures.
pub fn fit(pictures: &[FitPicture]) -> Fit {
    let mut work: Vec<WorkPicture> = pictures.iter().map(|p| WorkPicture::new(&p.image)).collect();
    for (p, w) in pictures.iter().zip(&mut work) {
        let faces: Vec<Vec<[f32; 3]>> =
            p.faces.iter().map(|f| f.landmarks.iter().map(|q| q.map(|v| v * w.scale)).collect()).collect();
        faces::mark_faces(w, &faces);
    }
    let mut fit = Fit { pictures: pictures.len(), ..Fit::default() };
    if work.iter().all(WorkPicture::is_empty) {
        return fit;
    }
    let n = pictures.len();
    measure_palette(&mut fit, &work);
    measure_ink(&mut fit, &work);
    measure_tones(&mut fit, &work);
    measure_grade(&mut fit, &work);
    measure_faces(&mut fit, pictures, &work);
    fit.per_picture = pictures
        .iter()
        .zip(&work)
        .map(|(p, w)| {
            let mut widths: Vec<f32> = w.cores.iter().map(|c| c.width).collect();
            let (chroma, luma_spread) = grade_stats(w).unwrap_or((0.0, 0.0));
            PictureNotes {
                name: p.name.clone(),
                width: p.image.width(),
                height: p.image.height(),
                faces: p.faces.len(),
                flat_share: w.flat.iter().filter(|&&f| f).count() as f32 / w.len().max(1) as f32,
                line_length: w.line_length(),
                outlined: w.outlined,
                dark_share: w.dark_share,
                has_ink: has_ink(w),
                line_px: median(&mut widths).unwrap_or(0.0) * GRAPH_SIDE / w.width.max(w.height).max(1) as f32,
                chroma,
                luma_spread,
            }
        })
        .collect();
    // hair colours the palette lacks join it
    if let (Some(hair), Some(pal)) = (&fit.hair, &mut fit.palette) {
        for c in &hair.value {
            if pal.value.len() < MAX_PALETTE && pal.value.iter().all(|p| delta_e(p.colour.lab(), c.lab()) > 8.0) {
                pal.value.push(PaletteColour { colour: *c, share: 0.0, pictures: 0 });
                pal.source.push_str("; plus hair measured above faces");
            }
        }
    }
    debug_assert_eq!(fit.pictures, n);
    fit
}

fn measure_palette(fit: &mut Fit, work: &[WorkPicture]) {
    let hists: Vec<_> = work.iter().map(colours::flat_histogram).collect();
    let with_flat = hists.iter().filter(|h| !h.is_empty()).count();
    let modes = colours::modes(&colours::merge(&hists), MAX_PALETTE, colours::MIN_SHARE);
    if modes.is_empty() {
        return;
    }
    let covered: f32 = modes.iter().map(|m| m.share).sum();
    let value: Vec<PaletteColour> = modes
        .iter()
        .map(|m| PaletteColour {
            colour: Colour(lab_to_rgb8(m.lab)),
            share: m.share,
            pictures: hists.iter().filter(|h| colours::share_near(h, m.lab, 6.0) >= 0.01).count(),
        })
        .collect();
    fit.palette = Some(Measured {
        source: format!(
            "measured: modes of the flat colour of {with_flat} of {} pictures; they cover {:.0}% of it",
            work.len(),
            covered * 100.0
        ),
        confidence: (covered * with_flat as f32 / work.len() as f32).clamp(0.0, 1.0),
        value,
    });
}

fn measure_ink(fit: &mut Fit, work: &[WorkPicture]) {
    let mut widths = Vec::new();
    // (line centre, colour beside it on its darker side) of the strongest lines
    let mut strong_pairs: Vec<([f32; 3], [f32; 3])> = Vec::new();
    let mut inked = 0;
    for pic in work {
        if pic.is_empty() || !has_ink(pic) {
            continue;
        }
        inked += 1;
        let to_graph = GRAPH_SIDE / pic.width.max(pic.height) as f32;
        let mut w: Vec<f32> = pic.cores.iter().map(|c| c.width).collect();
        if let Some(m) = median(&mut w) {
            widths.push(m * to_graph);
        }
        // colour on the strongest lines: centres at least 80% as dark as the 90th percentile
        let mut dark: Vec<f32> = pic.cores.iter().map(|c| pic.tophat[c.at]).collect();
        let strong = 0.8 * percentile(&mut dark, 0.9);
        strong_pairs.extend(
            pic.cores.iter().filter(|c| pic.tophat[c.at] >= strong).map(|c| (pic.rgb[c.at], pic.rgb[c.beside])),
        );
    }
    let total = work.len();
    fit.ink_share = inked as f32 / total as f32;
    if inked * 2 < total.max(1) {
        // most pictures have no ink: the art has none
        fit.ink_darkness = Some(Measured {
            value: 0.0,
            source: format!("measured: ink on {inked} of {total} pictures: no lines"),
            confidence: 1.0 - fit.ink_share,
        });
        return;
    }
    let agree = fit.ink_share;
    fit.ink_darkness = Some(Measured {
        value: 1.0,
        source: format!(
            "measured: ink on {inked} of {total} pictures (its darkness is in ink_color: the colour lines take on white)"
        ),
        confidence: agree,
    });
    if let Some((c, painted)) = ink_colour(&strong_pairs) {
        let rgb = Colour(c.map(|v| (v * 255.0).round() as u8));
        let how = if painted { "painted over the colours" } else { "multiplied into the colour beside it" };
        fit.ink_color = Some(Measured {
            value: rgb,
            source: format!(
                "measured: the strongest line centres of {inked} pictures, {how} (median); the colour lines take on white"
            ),
            confidence: agree,
        });
    }
    let sp = spread(&mut widths.clone());
    if let Some(px) = median(&mut widths) {
        let conf = agree * (1.0 - sp).clamp(0.0, 1.0);
        fit.line_px = Some(Measured {
            value: px,
            source: format!(
                "measured: full width at half darkness on {} pictures, median of per-picture medians",
                widths.len()
            ),
            confidence: conf,
        });
        let sigma = ((px - INK_WIDTH_AT_ZERO) / INK_WIDTH_PER_SIGMA).clamp(0.4, 2.5);
        fit.ink_sigma = Some(Measured {
            value: sigma,
            source: format!("from the line width {px:.2} px at 640 px (the generator's width per sigma)"),
            confidence: conf,
        });
    }
}

/// The ink's colour on white from (line centre, colour beside) pairs, and whether it is painted
/// over (a constant colour) rather than multiplied in (a constant ratio to what is beside it):
/// centre = a + b * beside in luma, painted when a carries more than b * beside.
fn ink_colour(pairs: &[([f32; 3], [f32; 3])]) -> Option<([f32; 3], bool)> {
    if pairs.is_empty() {
        return None;
    }
    let luma = |c: &[f32; 3]| 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
    let n = pairs.len() as f32;
    let (mx, my) = pairs.iter().fold((0.0, 0.0), |(sx, sy), (at, beside)| (sx + luma(beside) / n, sy + luma(at) / n));
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (at, beside) in pairs {
        let (x, y) = (luma(beside) - mx, luma(at) - my);
        sxy += x * y;
        sxx += x * x;
    }
    let b = if sxx > 1e-6 { sxy / sxx } else { 0.0 };
    let painted = my - b * mx > b * mx;
    let colours: Vec<[f32; 3]> = if painted {
        pairs.iter().map(|p| p.0).collect()
    } else {
        pairs
            .iter()
            .map(|(p, q)| [0, 1, 2].map(|k| if q[k] > 0.02 { (p[k] / q[k]).clamp(0.0, 1.0) } else { 0.0 }))
            .collect()
    };
    faces::median_lab(&colours).map(|c| (c, painted))
}

fn measure_tones(fit: &mut Fit, work: &[WorkPicture]) {
    let Some(t) = colours::tones(work) else { return };
    let how = if t.shared_levels.is_empty() {
        format!("levels within each of {} colour families, median count", t.families.len())
    } else {
        format!("levels shared by {} colour families", t.families.len())
    };
    fit.tone_levels = if t.shared_levels.is_empty() {
        t.families.iter().max_by(|a, b| a.1.total_cmp(&b.1)).map(|f| f.0.clone()).unwrap_or_default()
    } else {
        t.shared_levels.clone()
    };
    let steps = if t.steps < 2 { 0 } else { t.steps.min(6) };
    fit.tone_steps = Some(Measured {
        value: steps,
        source: format!("measured: flat luma {how} on {} pictures", work.len()),
        confidence: (0.3 + 0.7 * t.hardness).clamp(0.0, 1.0),
    });
    if steps >= 2 {
        // hard steps: most pixels sit on a level
        fit.step_strength = Some(Measured {
            value: ((t.hardness - 0.2) / 0.6).clamp(0.0, 1.0),
            source: format!("measured: {:.0}% of the pixels on a level", t.hardness * 100.0),
            confidence: 0.5,
        });
        fit.step_width = Some(Measured {
            value: (0.005 + 0.1 * (1.0 - t.hardness)).clamp(0.005, 0.2),
            source: "estimated from the share of pixels between levels".into(),
            confidence: 0.3,
        });
    }
}

fn measure_grade(fit: &mut Fit, work: &[WorkPicture]) {
    let (mut chroma, mut spread_v): (Vec<f32>, Vec<f32>) = work.iter().filter_map(grade_stats).unzip();
    let n = chroma.len();
    let sp_c = spread(&mut chroma.clone());
    if let Some(c) = median(&mut chroma) {
        fit.saturation = Some(Measured {
            value: (c / REF_CHROMA).clamp(0.0, 2.0),
            source: format!("measured: chroma of {n} pictures over that of photos through the generator"),
            confidence: 0.6 * (1.0 - sp_c).clamp(0.0, 1.0),
        });
    }
    let sp_l = spread(&mut spread_v.clone());
    if let Some(s) = median(&mut spread_v) {
        fit.contrast = Some(Measured {
            value: (s / REF_SPREAD).clamp(0.5, 2.0),
            source: format!("measured: luma spread of {n} pictures over that of photos through the generator"),
            confidence: 0.6 * (1.0 - sp_l).clamp(0.0, 1.0),
        });
    }
}

fn measure_faces(fit: &mut Fit, pictures: &[FitPicture], work: &[WorkPicture]) {
    let mut samples = Vec::new();
    let mut pics_with = 0;
    for (p, w) in pictures.iter().zip(work) {
        let mut any = false;
        for f in &p.faces {
            let lm: Vec<[f32; 3]> = f.landmarks.iter().map(|q| q.map(|v| v * w.scale)).collect();
            if let Some(s) = faces::sample_face(w, &lm) {
                samples.push(s);
                any = true;
            }
        }
        pics_with += usize::from(any);
    }
    fit.faces = samples.len();
    fit.pictures_with_faces = pics_with;
    if samples.is_empty() {
        return;
    }
    let nf = samples.len();
    let conf = (nf as f32 / 4.0).min(1.0);
    let skin: Vec<[f32; 3]> = samples.iter().flat_map(|s| s.skin.iter().copied()).collect();
    let (tone, shadow) = faces::skin_tones(&skin);
    let from = format!("{nf} faces on {pics_with} pictures");
    if let Some(t) = tone {
        fit.skin_tone = Some(Measured {
            value: Colour(lab_to_rgb8(t)),
            source: format!("measured: heaviest flat skin tone of {from}"),
            confidence: conf,
        });
    }
    if let Some(s) = shadow {
        fit.skin_shadow = Some(Measured {
            value: Colour(lab_to_rgb8(s)),
            source: format!("measured: heaviest darker flat skin tone of {from}"),
            confidence: conf * 0.8,
        });
    }
    let iris: Vec<[f32; 3]> = samples.iter().flat_map(|s| s.iris.iter().copied()).collect();
    if iris.len() >= 10
        && let Some(c) = faces::median_lab(&iris)
    {
        fit.iris_color = Some(Measured {
            value: Colour(lab_to_rgb8(c)),
            source: format!("measured: median iris colour of {from} (pupil and catchlights left out)"),
            confidence: conf * 0.7,
        });
    }
    let mut areas: Vec<f32> = samples.iter().filter_map(|s| s.eye_area).collect();
    if let Some(a) = median(&mut areas) {
        fit.eye_area = Some(a);
        fit.eye_scale = Some(Measured {
            value: (a / REF_EYE_AREA).max(0.0).sqrt().clamp(0.8, 1.6),
            source: format!("measured: eye opening over eye span squared of {from}, against real faces"),
            confidence: conf * 0.5,
        });
    }
    let hair: Vec<[f32; 3]> = samples.iter().flat_map(|s| s.hair.iter().copied()).collect();
    if hair.len() >= 50 {
        let mut h = std::collections::HashMap::new();
        for c in &hair {
            let b = [(c[0] / 2.0).round() as i16, (c[1] / 2.0).round() as i16, (c[2] / 2.0).round() as i16];
            let e = h.entry(b).or_insert((0.0f32, [0.0f32; 3]));
            e.0 += 1.0;
            colours::add(&mut e.1, *c, 1.0);
        }
        let modes = colours::modes(&h, 2, 0.15);
        if !modes.is_empty() {
            fit.hair = Some(Measured {
                value: modes.iter().map(|m| Colour(lab_to_rgb8(m.lab))).collect(),
                source: format!("measured: flat colours above the brow of {from}"),
                confidence: conf * modes[0].share,
            });
        }
    }
    if fit.ink_darkness.as_ref().is_some_and(|d| d.value > 0.0) {
        let mut lw: Vec<f32> = samples.iter().filter_map(|s| median(&mut s.line_widths.clone())).collect();
        if let Some(v) = median(&mut lw) {
            fit.line_width = Some(Measured {
                value: v.clamp(0.5, 8.0),
                source: format!("measured: line width near {} faces over their eye span", lw.len()),
                confidence: conf * 0.7,
            });
        }
    }
}

impl Fit {
    /// The pack keys this fit sets, each with a comment saying where its value came from.
    pub fn to_keys(&self) -> Vec<FitKey> {
        let mut out = Vec::new();
        let note = |source: &str, conf: f32| format!("{source} (confidence {conf:.2})");
        let hex = |c: &Colour| toml::Value::String(c.to_string());
        let num = |v: f32, digits: i32| {
            let p = 10f64.powi(digits);
            toml::Value::Float((v as f64 * p).round() / p)
        };
        let mut push = |section, key, value, comment| out.push(FitKey { section, key, value, comment });
        if let Some(m) = &self.palette {
            let list = m.value.iter().map(|p| hex(&p.colour)).collect();
            push("style", "palette", toml::Value::Array(list), note(&m.source, m.confidence));
        }
        if let Some(m) = &self.tone_steps {
            push("style", "tone_steps", toml::Value::Integer(m.value as i64), note(&m.source, m.confidence));
        }
        if let Some(m) = &self.step_width {
            push("style", "step_width", num(m.value, 3), note(&m.source, m.confidence));
        }
        if let Some(m) = &self.step_strength {
            push("style", "step_strength", num(m.value, 2), note(&m.source, m.confidence));
        }
        if let Some(m) = &self.saturation {
            push("style", "saturation", num(m.value, 2), note(&m.source, m.confidence));
        }
        if let Some(m) = &self.contrast {
            push("style", "contrast", num(m.value, 2), note(&m.source, m.confidence));
        }
        if let Some(m) = &self.ink_sigma {
            push("style", "ink_sigma", num(m.value, 2), note(&m.source, m.confidence));
        }
        if let Some(m) = &self.ink_darkness {
            push("style", "ink_darkness", num(m.value, 2), note(&m.source, m.confidence));
        }
        if let Some(m) = &self.ink_color {
            push("style", "ink_color", hex(&m.value), note(&m.source, m.confidence));
        }
        if let Some(m) = &self.skin_tone {
            push("skin", "tone", hex(&m.value), note(&m.source, m.confidence));
        }
        if let Some(m) = &self.skin_shadow {
            push("skin", "shadow", hex(&m.value), note(&m.source, m.confidence));
        }
        if let Some(m) = &self.ink_color {
            push("drawing", "line_color", hex(&m.value), note(&m.source, m.confidence));
        }
        // `line_width` (drawn face lines) and `eye_scale` are reported, not written: near small
        // faces hair and background lines are counted into the width (it reads at its maximum on
        // photos), and the eye size reads at its 0.8 floor on unreshaped real faces
        if let Some(m) = &self.iris_color {
            push("drawing", "iris_color", hex(&m.value), note(&m.source, m.confidence));
        }
        out
    }
}

impl fmt::Display for Fit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} pictures, {} faces measured on {} of them",
            self.pictures, self.faces, self.pictures_with_faces
        )?;
        fn line<T>(
            f: &mut fmt::Formatter<'_>,
            name: &str,
            m: &Option<Measured<T>>,
            show: impl Fn(&T) -> String,
        ) -> fmt::Result {
            match m {
                Some(m) => {
                    writeln!(f, "  {name:<14} {:<24} {} (confidence {:.2})", show(&m.value), m.source, m.confidence)
                }
                None => writeln!(f, "  {name:<14} {:<24} not measurable: from the base character", "-"),
            }
        }
        line(f, "palette", &self.palette, |p| format!("{} colours", p.len()))?;
        if let Some(p) = &self.palette {
            let list: Vec<String> = p.value.iter().map(|c| format!("{} {:.0}%", c.colour, c.share * 100.0)).collect();
            writeln!(f, "                 {}", list.join(", "))?;
        }
        line(f, "skin tone", &self.skin_tone, Colour::to_string)?;
        line(f, "skin shadow", &self.skin_shadow, Colour::to_string)?;
        line(f, "hair", &self.hair, |h| h.iter().map(Colour::to_string).collect::<Vec<_>>().join(" "))?;
        line(f, "ink darkness", &self.ink_darkness, |v| format!("{v:.2}"))?;
        line(f, "ink colour", &self.ink_color, Colour::to_string)?;
        line(f, "line px@640", &self.line_px, |v| format!("{v:.2}"))?;
        line(f, "ink sigma", &self.ink_sigma, |v| format!("{v:.2}"))?;
        line(f, "line width", &self.line_width, |v| format!("{v:.2}"))?;
        line(f, "tone steps", &self.tone_steps, u32::to_string)?;
        line(f, "step width", &self.step_width, |v| format!("{v:.3}"))?;
        line(f, "step strength", &self.step_strength, |v| format!("{v:.2}"))?;
        line(f, "saturation", &self.saturation, |v| format!("{v:.2}"))?;
        line(f, "contrast", &self.contrast, |v| format!("{v:.2}"))?;
        line(f, "iris colour", &self.iris_color, Colour::to_string)?;
        line(f, "eye scale", &self.eye_scale, |v| format!("{v:.3}"))
    }
}
