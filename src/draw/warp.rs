//! Reshaping a face toward its character's geometry as a triangle-mesh warp: the face mesh's
//! vertices move (eyes and iris enlarged around each eye centre, jaw tapered, face narrowed, chin
//! moved, nose and mouth scaled around their centres), a ring of border vertices outside the face
//! oval stays put, and the GPU rasterizes the mesh with warped positions and original positions
//! as texture coordinates. The warp is capped so no triangle folds.
//!
//! In: 478 landmarks (frame pixels), a [`Geometry`], the [`FaceTopology`]. Out: [`Warp`]: original
//! and warped positions of the [`WARP_VERTICES`] vertices (the first 478 are the landmarks: the
//! warped ones are what the face is drawn from). Pure CPU math, the compositor's thread; tests
//! call the same functions.

use super::tessellation::{FaceTopology, RING_SCALE, WARP_VERTICES};
use super::{FaceFrame, V2, add, centroid, len, lists, mul, smoothstep, sub, xy};
use crate::character::Geometry;
use crate::perception::mesh::{LANDMARKS, idx::FACE_OVAL};

/// A warped triangle must keep at least this share of its original (signed) area: below it the
/// triangle has folded or collapsed to a sliver.
pub const MIN_AREA_RATIO: f32 = 0.05;
/// Warp strengths tried, strongest first, until nothing folds.
const STRENGTHS: [f32; 6] = [1.0, 0.8, 0.6, 0.4, 0.2, 0.0];

/// A face's warp mesh for one frame (buffers reused across frames).
#[derive(Debug, Clone, Default)]
pub struct Warp {
    /// Positions before the warp: the landmarks, then the ring.
    pub original: Vec<V2>,
    /// Positions after the warp (ring vertices equal their originals).
    pub warped: Vec<V2>,
    /// Share of the character's geometry applied (1 unless folding forced less).
    pub strength: f32,
    /// Full-strength displacement of each landmark (scratch).
    displacement: Vec<V2>,
}

/// One local scale: points near `centre` scale by `scale` (across, along) in the face's axes,
/// fading out between `r1` and `r2` ellipse radii of semi-axes `a` x `b`.
#[derive(Debug, Clone, Copy)]
struct Local {
    centre: V2,
    scale: V2,
    a: f32,
    b: f32,
    r1: f32,
    r2: f32,
}

impl Local {
    fn displacement(&self, p: V2) -> V2 {
        let d = sub(p, self.centre);
        let rr = ((d[0] / self.a).powi(2) + (d[1] / self.b).powi(2)).sqrt();
        let w = 1.0 - smoothstep(self.r1, self.r2, rr);
        [(self.scale[0] - 1.0) * d[0] * w, (self.scale[1] - 1.0) * d[1] * w]
    }
}

/// The displacement field of one face: a pure function of a point, so tests and the GPU mesh
/// agree exactly at the vertices.
#[derive(Debug, Clone, Copy)]
pub struct WarpField {
    frame: FaceFrame,
    geometry: Geometry,
    locals: [Local; 4],
}

impl WarpField {
    /// The field of `geometry` on the face with these 478 landmarks.
    pub fn new(landmarks: &[[f32; 3]], geometry: &Geometry) -> Self {
        let p = |i: usize| xy(landmarks[i]);
        let frame = FaceFrame::of(p);
        let local = |q: V2| frame.local(q);
        let g = geometry;
        let eye = |up: &[usize; 9], lo: &[usize; 9]| {
            let c = local(centroid(up.iter().chain(lo).map(|&i| p(i))));
            let half = len(sub(p(up[0]), p(up[8]))) * 0.5;
            // eyes grow a little more in height than in width (webtoon eyes are rounder)
            let sy = 1.0 + (g.eye_scale - 1.0) * 1.15;
            Local { centre: c, scale: [g.eye_scale, sy], a: half.max(1e-3), b: half * 0.75, r1: 1.0, r2: 3.0 }
        };
        let nose_c = local(centroid([1, 2, 98, 327, 4].map(p)));
        let nw = (len(sub(p(98), p(327))) * 0.5).max(1e-3);
        let mouth_c = local(centroid(lists::LIP_OUT_UP.iter().chain(&lists::LIP_OUT_LO).map(|&i| p(i))));
        let mw = (len(sub(p(61), p(291))) * 0.5).max(1e-3);
        WarpField {
            frame,
            geometry: *geometry,
            locals: [
                eye(&lists::R_EYE_UP, &lists::R_EYE_LO),
                eye(&lists::L_EYE_UP, &lists::L_EYE_LO),
                Local { centre: nose_c, scale: [g.nose_scale; 2], a: nw, b: nw * 0.9, r1: 1.0, r2: 2.6 },
                Local { centre: mouth_c, scale: [g.mouth_scale; 2], a: mw, b: mw * 0.6, r1: 1.0, r2: 1.9 },
            ],
        }
    }

    /// Displacement (frame pixels) of point `p` at full strength.
    pub fn displacement(&self, p: V2) -> V2 {
        let f = &self.frame;
        let g = &self.geometry;
        let [across, along] = f.local(p);
        let (h, half_w) = (f.height, f.width * 0.5);
        let mut d = [0.0f32, 0.0];
        // jaw taper: the lower face narrows toward the chin
        let below = smoothstep(0.15 * h, 1.0 * h, along);
        d[0] -= across * g.jaw_taper * below;
        // face width: the sides move, the middle (eyes, nose, mouth) stays
        let side = smoothstep(0.3, 0.85, across.abs() / half_w);
        d[0] += across * (g.face_width - 1.0) * side;
        // chin: the lower face stretches or shortens
        d[1] += g.chin * h * smoothstep(0.1 * h, 1.2 * h, along);
        for l in &self.locals {
            let ld = l.displacement([across, along]);
            d = add(d, ld);
        }
        f.to_frame(d)
    }
}

/// Signed area (twice) of a triangle.
fn area(a: V2, b: V2, c: V2) -> f32 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}

/// Triangles of the warp mesh that fold (flip) or collapse below [`MIN_AREA_RATIO`] of their
/// original area. Triangles that are already degenerate (profile views) are ignored.
pub fn folds(original: &[V2], warped: &[V2], topology: &FaceTopology) -> usize {
    let scale = len(sub(original[FACE_OVAL[0]], original[152])).max(1.0);
    let tiny = scale * scale * 1e-5;
    topology
        .warp_indices
        .chunks_exact(3)
        .filter(|t| {
            let (a, b, c) = (t[0] as usize, t[1] as usize, t[2] as usize);
            let before = area(original[a], original[b], original[c]);
            if before.abs() < tiny {
                return false;
            }
            let after = area(warped[a], warped[b], warped[c]);
            after * before.signum() < MIN_AREA_RATIO * before.abs()
        })
        .count()
}

/// Warps one face: fills `out` with the original and warped positions, at the strongest strength
/// in 1.0, 0.8, ... 0.0 whose mesh does not fold.
pub fn warp_face(landmarks: &[[f32; 3]], geometry: &Geometry, topology: &FaceTopology, out: &mut Warp) {
    out.original.clear();
    out.original.extend(landmarks[..LANDMARKS].iter().map(|&p| xy(p)));
    let centre = centroid(FACE_OVAL.iter().map(|&i| out.original[i]));
    for &i in &FACE_OVAL {
        let o = out.original[i];
        out.original.push(add(centre, mul(sub(o, centre), RING_SCALE)));
    }
    debug_assert_eq!(out.original.len(), WARP_VERTICES);
    let field = WarpField::new(landmarks, geometry);
    out.warped.clear();
    out.warped.extend_from_slice(&out.original);
    out.displacement.clear();
    out.displacement.extend(out.original[..LANDMARKS].iter().map(|&p| field.displacement(p)));
    let mut strength = 0.0;
    for &s in &STRENGTHS {
        for i in 0..LANDMARKS {
            out.warped[i] = add(out.original[i], mul(out.displacement[i], s));
        }
        strength = s;
        if s == 0.0 || folds(&out.original, &out.warped, topology) == 0 {
            break;
        }
    }
    out.strength = strength;
}
