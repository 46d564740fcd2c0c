//! Skin: the person's skin colour under this light, measured on the face, and where else that
//! skin shows (neck, arms, hands) inside the person mask.
//!
//! In: an RGB frame, each face's mesh, the person mask. Out: [`SkinStats`] per face (YCbCr mean
//! and chroma covariance of the face skin: face oval minus eyes, brows and lips) and a low
//! resolution skin-likelihood [`Mask`]. Runs on the perception worker thread.

use super::mesh::{FaceMesh, idx};
use super::segment::Mask;

/// Samples taken across the face's width when measuring its skin (about 1000 skin samples).
const FACE_SAMPLES_ACROSS: f32 = 40.0;

/// Colour statistics of one face's skin. YCbCr is BT.601 full range, 0-255.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct SkinStats {
    pub mean_rgb: [f32; 3],
    pub mean_ycbcr: [f32; 3],
    /// Chroma covariance: [cb*cb, cb*cr, cr*cr].
    pub cov_cbcr: [f32; 3],
    pub luma_std: f32,
    /// Pixels the statistics come from (after outlier rejection).
    pub samples: u32,
}

#[inline]
pub fn rgb_to_ycbcr(p: [u8; 3]) -> [f32; 3] {
    let (r, g, b) = (p[0] as f32, p[1] as f32, p[2] as f32);
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    [y, 128.0 + 0.564 * (b - y), 128.0 + 0.713 * (r - y)]
}

/// Even-odd point-in-polygon test on mesh indices.
pub(crate) fn inside(points: &[[f32; 3]], poly: &[usize], x: f32, y: f32) -> bool {
    let mut c = false;
    let mut j = poly.len() - 1;
    for i in 0..poly.len() {
        let (pi, pj) = (points[poly[i]], points[poly[j]]);
        if (pi[1] > y) != (pj[1] > y) && x < (pj[0] - pi[0]) * (y - pi[1]) / (pj[1] - pi[1]) + pi[0] {
            c = !c;
        }
        j = i;
    }
    c
}

/// Whether frame point (x, y) is face skin by the mesh: inside the face oval, outside the eyes,
/// brows and lips.
pub fn is_face_skin(mesh: &FaceMesh, x: f32, y: f32) -> bool {
    let p = &mesh.points_px;
    inside(p, &idx::FACE_OVAL, x, y)
        && !inside(p, &idx::RIGHT_EYE, x, y)
        && !inside(p, &idx::LEFT_EYE, x, y)
        && !inside(p, &idx::RIGHT_BROW, x, y)
        && !inside(p, &idx::LEFT_BROW, x, y)
        && !inside(p, &idx::LIPS_OUTER, x, y)
}

/// Measures skin; owns its scratch buffers.
#[derive(Debug, Default)]
pub struct SkinAnalyzer {
    samples: Vec<[f32; 3]>,
    inverses: Vec<([f32; 3], f32, f32)>,
}

impl SkinAnalyzer {
    /// Skin statistics of one face. `None` when too little skin is visible.
    pub fn face_stats(&mut self, rgb: &[u8], w: u32, h: u32, mesh: &FaceMesh) -> Option<SkinStats> {
        let [x0, y0, x1, y1] = mesh.bounds();
        let step = ((x1 - x0) / FACE_SAMPLES_ACROSS).max(1.0);
        self.samples.clear();
        let mut y = y0.max(0.0) + step * 0.5;
        while y < y1.min(h as f32) {
            let mut x = x0.max(0.0) + step * 0.5;
            while x < x1.min(w as f32) {
                if is_face_skin(mesh, x, y) {
                    let i = (y as usize * w as usize + x as usize) * 3;
                    let c = rgb_to_ycbcr([rgb[i], rgb[i + 1], rgb[i + 2]]);
                    // clipped highlights and deep shadows carry no skin colour
                    if c[0] > 25.0 && c[0] < 245.0 {
                        self.samples.push(c);
                    }
                }
                x += step;
            }
            y += step;
        }
        let first = moments(&self.samples, None)?;
        // second pass: drop outliers (stubble, specular spots, hair over the forehead)
        moments(&self.samples, Some((&first, 2.5)))
    }

    /// Skin likelihood inside the person mask, for every face's skin statistics (the best match
    /// wins), on the person mask's grid (the compositor refines it per pixel).
    pub fn skin_mask(&mut self, rgb: &[u8], w: u32, h: u32, person: &Mask, faces: &[SkinStats], mask: &mut Mask) {
        let (mw, mh) = (person.width, person.height);
        mask.width = mw;
        mask.height = mh;
        mask.prob.clear();
        mask.prob.resize(mw * mh, 0.0);
        if faces.is_empty() {
            return;
        }
        self.inverses.clear();
        self.inverses.extend(faces.iter().map(chroma_inverse));
        let inv = &self.inverses;
        let (sx, sy) = (w as f32 / mw as f32, h as f32 / mh as f32);
        for my in 0..mh {
            let fy = (my as f32 + 0.5) * sy;
            for mx in 0..mw {
                let fx = (mx as f32 + 0.5) * sx;
                let p_person = person.prob[my * mw + mx];
                if p_person < 0.2 {
                    continue;
                }
                let i = (fy as usize * w as usize + fx as usize) * 3;
                let c = rgb_to_ycbcr([rgb[i], rgb[i + 1], rgb[i + 2]]);
                let mut best = 0.0f32;
                for (s, (icov, mean_y, std_y)) in faces.iter().zip(inv) {
                    let (dcb, dcr) = (c[1] - s.mean_ycbcr[1], c[2] - s.mean_ycbcr[2]);
                    let d2 = icov[0] * dcb * dcb + 2.0 * icov[1] * dcb * dcr + icov[2] * dcr * dcr;
                    // luminance varies with shading far more than chroma: a loose gate only
                    let dy = ((c[0] - mean_y) / (3.0 * std_y)).abs();
                    let lik = (-0.5 * d2).exp() * if dy > 1.0 { (2.0 - dy).max(0.0) } else { 1.0 };
                    best = best.max(lik);
                }
                mask.prob[my * mw + mx] = best * p_person.min(1.0);
            }
        }
    }
}

/// Inverse of the chroma covariance, inflated so that a face's spread covers the same skin
/// under different shading (neck in shadow, lit hands).
pub fn chroma_inverse(s: &SkinStats) -> ([f32; 3], f32, f32) {
    let floor = 9.0; // at least 3 levels of chroma spread
    let (a, b, c) = (s.cov_cbcr[0].max(floor) * 2.0, s.cov_cbcr[1] * 2.0, s.cov_cbcr[2].max(floor) * 2.0);
    let det = (a * c - b * b).max(1e-3);
    ([c / det, -b / det, a / det], s.mean_ycbcr[0], s.luma_std.max(12.0))
}

fn moments(samples: &[[f32; 3]], reject: Option<(&SkinStats, f32)>) -> Option<SkinStats> {
    let inv = reject.map(|(s, k)| (chroma_inverse_tight(s), s.mean_ycbcr, k * k));
    let mut n = 0u32;
    let (mut sum, mut sq) = ([0.0f64; 3], [0.0f64; 4]);
    for c in samples {
        if let Some((icov, mean, k2)) = &inv {
            let (dcb, dcr) = (c[1] - mean[1], c[2] - mean[2]);
            if icov[0] * dcb * dcb + 2.0 * icov[1] * dcb * dcr + icov[2] * dcr * dcr > *k2 {
                continue;
            }
        }
        n += 1;
        for k in 0..3 {
            sum[k] += c[k] as f64;
        }
        sq[0] += (c[1] * c[1]) as f64;
        sq[1] += (c[1] * c[2]) as f64;
        sq[2] += (c[2] * c[2]) as f64;
        sq[3] += (c[0] * c[0]) as f64;
    }
    if n < 20 {
        return None;
    }
    let nf = n as f64;
    let mean = [sum[0] / nf, sum[1] / nf, sum[2] / nf];
    let cov = [sq[0] / nf - mean[1] * mean[1], sq[1] / nf - mean[1] * mean[2], sq[2] / nf - mean[2] * mean[2]];
    let var_y = (sq[3] / nf - mean[0] * mean[0]).max(0.0);
    let (y, cb, cr) = (mean[0] as f32, mean[1] as f32 - 128.0, mean[2] as f32 - 128.0);
    let mean_rgb = [y + 1.402 * cr, y - 0.344 * cb - 0.714 * cr, y + 1.772 * cb].map(|v| v.clamp(0.0, 255.0));
    Some(SkinStats {
        mean_rgb,
        mean_ycbcr: [mean[0] as f32, mean[1] as f32, mean[2] as f32],
        cov_cbcr: [cov[0] as f32, cov[1] as f32, cov[2] as f32],
        luma_std: var_y.sqrt() as f32,
        samples: n,
    })
}

fn chroma_inverse_tight(s: &SkinStats) -> [f32; 3] {
    let (a, b, c) = (s.cov_cbcr[0].max(1.0), s.cov_cbcr[1], s.cov_cbcr[2].max(1.0));
    let det = (a * c - b * b).max(1e-3);
    [c / det, -b / det, a / det]
}

/// Share of the face's skin area (by the mesh, sampled on a grid of about 20 x 20) whose colour
/// lies in a broad human skin-chroma range (Cb 70-135, Cr 128-185, BT.601 full range): a face
/// found only on a zoomed tile must be made of skin, which a printed face, a patch or a logo the
/// mesh fits itself to is not. Nothing is allocated.
pub fn skin_share(rgb: &[u8], w: u32, h: u32, mesh: &FaceMesh) -> f32 {
    if mesh.points_px.len() < super::mesh::MESH_POINTS || rgb.len() < (w as usize * h as usize * 3) {
        return 0.0;
    }
    let [x0, y0, x1, y1] = mesh.bounds();
    let step = ((x1 - x0).max(y1 - y0) / 20.0).max(1.0);
    let (mut total, mut skin) = (0u32, 0u32);
    let mut y = y0.max(0.0) + step * 0.5;
    while y < y1.min(h as f32) {
        let mut x = x0.max(0.0) + step * 0.5;
        while x < x1.min(w as f32) {
            if is_face_skin(mesh, x, y) {
                let i = (y as usize * w as usize + x as usize) * 3;
                let c = rgb_to_ycbcr([rgb[i], rgb[i + 1], rgb[i + 2]]);
                total += 1;
                if (70.0..=135.0).contains(&c[1]) && (128.0..=185.0).contains(&c[2]) {
                    skin += 1;
                }
            }
            x += step;
        }
        y += step;
    }
    if total == 0 { 0.0 } else { skin as f32 / total as f32 }
}
