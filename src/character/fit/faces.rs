//! What the faces of the art say: skin tone and shade, iris colour, eye size, hair colour and
//! the line width at the face's scale, from the 478 mesh landmarks of each face found.
//!
//! In: a [`WorkPicture`] and its faces' landmarks in working pixels. Out: [`FaceSamples`] per
//! face, pooled by the caller. Pure.

use crate::perception::geometry::RotatedSquare;
use crate::perception::mesh::{FaceMesh, LANDMARKS, idx};
use crate::perception::skin::is_face_skin;

use super::work::{WorkPicture, delta_e};

/// What one face gave.
#[derive(Debug, Clone, Default)]
pub struct FaceSamples {
    /// Lab of flat skin pixels.
    pub skin: Vec<[f32; 3]>,
    /// Lab of iris pixels (pupil, lashes and catchlights left out).
    pub iris: Vec<[f32; 3]>,
    /// Eye opening area over the squared outer-corner distance (both eyes, mean).
    pub eye_area: Option<f32>,
    /// Lab of flat pixels above the forehead that are not skin.
    pub hair: Vec<[f32; 3]>,
    /// Ink line widths near the face over the eye span, times 100 (px at 100 px between the eyes).
    pub line_widths: Vec<f32>,
}

fn polygon_area(p: &[[f32; 3]], poly: &[usize]) -> f32 {
    let mut a = 0.0;
    for i in 0..poly.len() {
        let (u, v) = (p[poly[i]], p[poly[(i + 1) % poly.len()]]);
        a += u[0] * v[1] - v[0] * u[1];
    }
    0.5 * a.abs()
}

use crate::perception::skin::inside;

/// Mark the pixels inside each face's oval in `pic.in_face` (landmarks in working pixels).
pub fn mark_faces(pic: &mut WorkPicture, faces: &[Vec<[f32; 3]>]) {
    let (w, h) = (pic.width, pic.height);
    for lm in faces {
        if lm.len() < LANDMARKS || lm.iter().any(|p| !p.iter().all(|v| v.is_finite())) {
            continue;
        }
        if pic.in_face.is_empty() {
            pic.in_face = vec![false; w * h];
        }
        let b = crate::perception::mesh::bounds(&lm[..crate::perception::mesh::MESH_POINTS]);
        let (x0, x1) = (b[0].max(0.0) as usize, (b[2].max(0.0) as usize).min(w.saturating_sub(1)));
        let (y0, y1) = (b[1].max(0.0) as usize, (b[3].max(0.0) as usize).min(h.saturating_sub(1)));
        for y in y0..=y1 {
            for x in x0..=x1 {
                if inside(lm, &idx::FACE_OVAL, x as f32 + 0.5, y as f32 + 0.5) {
                    pic.in_face[y * w + x] = true;
                }
            }
        }
    }
}

/// Samples of one face. `landmarks` are in working pixels; `None` when they are not a full,
/// finite mesh or the face is too small to measure (eye span under 12 px).
pub fn sample_face(pic: &WorkPicture, landmarks: &[[f32; 3]]) -> Option<FaceSamples> {
    if landmarks.len() < LANDMARKS || landmarks.iter().any(|p| !p.iter().all(|v| v.is_finite())) {
        return None;
    }
    let mesh = FaceMesh {
        points_px: landmarks.to_vec(),
        presence: 1.0,
        roi: RotatedSquare { center: [0.0; 2], side: 0.0, angle: 0.0 },
    };
    let span = mesh.eye_span();
    if span < 12.0 {
        return None;
    }
    let (w, h) = (pic.width, pic.height);
    let [x0, y0, x1, y1] = mesh.bounds();
    let clamp_x = |v: f32| v.clamp(0.0, (w - 1) as f32) as usize;
    let clamp_y = |v: f32| v.clamp(0.0, (h - 1) as f32) as usize;
    let mut s = FaceSamples::default();
    // skin: flat pixels of the face oval outside eyes, brows and lips
    for y in clamp_y(y0)..=clamp_y(y1) {
        for x in clamp_x(x0)..=clamp_x(x1) {
            let i = y * w + x;
            if pic.flat[i] && is_face_skin(&mesh, x as f32 + 0.5, y as f32 + 0.5) {
                s.skin.push(pic.lab[i]);
            }
        }
    }
    // eyes: opening area, iris pixels
    let p = &mesh.points_px;
    let areas = [polygon_area(p, &idx::RIGHT_EYE), polygon_area(p, &idx::LEFT_EYE)];
    s.eye_area = Some(0.5 * (areas[0] + areas[1]) / (span * span));
    for (centre, eye) in [(idx::RIGHT_IRIS_CENTER, &idx::RIGHT_EYE), (idx::LEFT_IRIS_CENTER, &idx::LEFT_EYE)] {
        let c = p[centre];
        let r =
            (1..5).map(|k| ((p[centre + k][0] - c[0]).powi(2) + (p[centre + k][1] - c[1]).powi(2)).sqrt()).sum::<f32>()
                / 4.0;
        if r < 1.5 {
            continue;
        }
        let mut px = Vec::new();
        for y in clamp_y(c[1] - r)..=clamp_y(c[1] + r) {
            for x in clamp_x(c[0] - r)..=clamp_x(c[0] + r) {
                let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
                let d = ((fx - c[0]).powi(2) + (fy - c[1]).powi(2)).sqrt();
                if d <= 0.85 * r && d >= 0.3 * r && inside(p, eye, fx, fy) {
                    px.push(pic.lab[y * w + x]);
                }
            }
        }
        // leave out the darkest third (pupil, lashes) and catchlights
        px.retain(|c| c[0] < 90.0);
        px.sort_by(|a, b| a[0].total_cmp(&b[0]));
        let cut = px.len() / 3;
        s.iris.extend_from_slice(&px[cut..]);
    }
    // hair: flat, not skin-coloured, above the forehead
    let skin_mean = mean(&s.skin);
    let face_h = (y1 - y0).max(1.0);
    let top = p[idx::FOREHEAD][1];
    for y in clamp_y(top - 0.45 * face_h)..=clamp_y(top + 0.02 * face_h) {
        for x in clamp_x(x0)..=clamp_x(x1) {
            let i = y * w + x;
            if pic.flat[i]
                && !inside(p, &idx::FACE_OVAL, x as f32 + 0.5, y as f32 + 0.5)
                && skin_mean.is_none_or(|m| delta_e(m, pic.lab[i]) > 15.0)
            {
                s.hair.push(pic.lab[i]);
            }
        }
    }
    // lines near the face, at the face's scale
    let grow = 0.15 * (x1 - x0);
    for core in &pic.cores {
        let (x, y, width) = ((core.at % w) as f32, (core.at / w) as f32, core.width);
        if x >= x0 - grow && x <= x1 + grow && y >= y0 - grow && y <= y1 + grow {
            s.line_widths.push(width / span * 100.0);
        }
    }
    Some(s)
}

pub fn mean(v: &[[f32; 3]]) -> Option<[f32; 3]> {
    if v.is_empty() {
        return None;
    }
    let mut s = [0.0; 3];
    for c in v {
        for k in 0..3 {
            s[k] += c[k];
        }
    }
    Some(s.map(|x| x / v.len() as f32))
}

/// Per-channel median.
pub fn median_lab(v: &[[f32; 3]]) -> Option<[f32; 3]> {
    if v.is_empty() {
        return None;
    }
    let mut out = [0.0; 3];
    for (k, o) in out.iter_mut().enumerate() {
        let mut c: Vec<f32> = v.iter().map(|p| p[k]).collect();
        c.sort_by(f32::total_cmp);
        *o = c[c.len() / 2];
    }
    Some(out)
}

/// A skin level less than this many L* above the next is a highlight, not the tone (the app's
/// own ramp lifts its light tone 7 L* over the base; painted shadows are 12 L* and more below).
const HIGHLIGHT_GAP: f32 = 10.5;

/// Skin tone and shade from pooled skin samples. The flat L* levels of the skin (peaks of 8% of
/// the samples within 2.5 L*, 5 L* apart), lightest first, without a highlight (see [`HIGHLIGHT_GAP`]): the
/// first is the tone, the next the shade. Each is the mean of the samples within 2.5 L* of its level whose chroma
/// is near the samples' median.
pub fn skin_tones(samples: &[[f32; 3]]) -> (Option<[f32; 3]>, Option<[f32; 3]>) {
    let Some(med) = median_lab(samples) else { return (None, None) };
    let good: Vec<[f32; 3]> =
        samples.iter().copied().filter(|c| ((c[1] - med[1]).powi(2) + (c[2] - med[2]).powi(2)).sqrt() < 15.0).collect();
    if good.len() < 20 {
        return (None, None);
    }
    // half-L* bins: two flat tones 7 L* apart that each keep 2 L* of shading (the app's own base
    // and light tones) stay two levels; in 1-L* bins the smoothing fills the 3 L* between them
    // and a heavy light tone swallows the base
    let mut hist = [0.0f32; 201];
    for c in &good {
        hist[(c[0] * 2.0).round().clamp(0.0, 200.0) as usize] += 1.0;
    }
    let mut lv: Vec<f32> = super::colours::levels(&hist, 0.08, 10).into_iter().map(|v| v * 100.0).collect();
    lv.reverse(); // lightest first
    let at = |l: f32| -> Option<[f32; 3]> {
        mean(&good.iter().copied().filter(|c| (c[0] - l).abs() <= 2.5).collect::<Vec<_>>())
    };
    if lv.len() >= 2 && lv[0] - lv[1] < HIGHLIGHT_GAP {
        lv.remove(0);
    }
    match lv.len() {
        0 => (median_lab(&good), None),
        1 => (at(lv[0]), None),
        _ => (at(lv[0]), at(lv[1])),
    }
}
