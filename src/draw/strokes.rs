//! Ink strokes as geometry: Catmull-Rom-smoothed landmark curves turned into triangle strips with
//! a width per vertex, in frame pixels (so lines stay sharp at any face size). Each strip is one
//! pixel wider on both sides than the line; the fragment shader (`shaders/drawn.wgsl`) turns the
//! distance across the strip into anti-aliased coverage.
//!
//! In: points (frame pixels), a width profile, a colour. Out: vertices and indices appended to a
//! [`FaceDrawing`]. Pure CPU; the compositor's thread.

use super::face::{DrawVertex, FaceDrawing, mode};
use super::{V2, add, len, lerp, mul, sub};

/// Catmull-Rom samples per input segment, at most (and at least 2).
pub const MAX_SAMPLES_PER_SEGMENT: usize = 10;
/// Pixels between samples on a smoothed curve.
const SAMPLE_SPACING_PX: f32 = 2.5;

/// A centripetal-free (uniform) Catmull-Rom spline through `points`, appended to `out`. The ends
/// are extended by reflection so the curve passes through every point. `samples` per segment
/// (0: chosen from the segment's length in pixels).
pub fn catmull_rom(points: &[V2], samples: usize, out: &mut Vec<V2>) {
    let n = points.len();
    if n < 2 {
        out.extend_from_slice(points);
        return;
    }
    let at = |i: isize| -> V2 {
        if i < 0 {
            sub(mul(points[0], 2.0), points[1])
        } else if i as usize >= n {
            sub(mul(points[n - 1], 2.0), points[n - 2])
        } else {
            points[i as usize]
        }
    };
    for i in 0..n - 1 {
        let (p0, p1, p2, p3) = (at(i as isize - 1), at(i as isize), at(i as isize + 1), at(i as isize + 2));
        let k = if samples > 0 {
            samples
        } else {
            ((len(sub(p2, p1)) / SAMPLE_SPACING_PX).ceil() as usize).clamp(2, MAX_SAMPLES_PER_SEGMENT)
        };
        for s in 0..k {
            let t = s as f32 / k as f32;
            let (t2, t3) = (t * t, t * t * t);
            let c = |j: usize| {
                0.5 * (2.0 * p1[j]
                    + (-p0[j] + p2[j]) * t
                    + (2.0 * p0[j] - 5.0 * p1[j] + 4.0 * p2[j] - p3[j]) * t2
                    + (-p0[j] + 3.0 * p1[j] - 3.0 * p2[j] + p3[j]) * t3)
            };
            out.push([c(0), c(1)]);
        }
    }
    out.push(points[n - 1]);
}

/// Appends an anti-aliased stroke along the (already smoothed) polyline `c`: `width(t)` in pixels
/// for t in 0..1 along it, each end tapering to nothing over its share `taper` of the length.
/// Widths below `min_px` are raised to it (tapered ends excepted). `colour` is straight RGBA.
pub fn stroke(
    c: &[V2],
    width: impl Fn(f32) -> f32,
    taper: (f32, f32),
    min_px: f32,
    colour: [f32; 4],
    out: &mut FaceDrawing,
) {
    let n = c.len();
    if n < 2 || colour[3] <= 0.0 {
        return;
    }
    let total: f32 = c.windows(2).map(|w| len(sub(w[1], w[0]))).sum();
    if total < 0.5 {
        return;
    }
    if !out.has_room(2 * n, 6 * (n - 1)) {
        return;
    }
    let base = out.vertices.len() as u32;
    let mut s = 0.0f32;
    for i in 0..n {
        if i > 0 {
            s += len(sub(c[i], c[i - 1]));
        }
        let t = s / total;
        let (a, b) = (taper.0.max(1e-3), taper.1.max(1e-3));
        let k = (t / a).min((1.0 - t) / b).clamp(0.0, 1.0).powf(0.7);
        let w = width(t).max(min_px) * k;
        let half = (w * 0.5).max(0.15);
        let outer = half + 1.0;
        let tangent = sub(c[(i + 1).min(n - 1)], c[i.saturating_sub(1)]);
        let tl = len(tangent).max(1e-6);
        let normal = [-tangent[1] / tl, tangent[0] / tl];
        for side in [-1.0f32, 1.0] {
            out.vertices.push(DrawVertex {
                pos: add(c[i], mul(normal, outer * side)),
                uv: [side, 0.0],
                color: colour,
                color2: [0.0; 4],
                param: [outer, half, 0.0, mode::STROKE],
            });
        }
    }
    for i in 0..n as u32 - 1 {
        let (a, b, c2, d) = (base + 2 * i, base + 2 * i + 1, base + 2 * i + 2, base + 2 * i + 3);
        out.indices.extend_from_slice(&[a, b, c2, b, d, c2]);
    }
}

/// Points of `q` (landmarks) at `indices`, smoothed, into `out` (cleared first).
pub fn smoothed(q: &[V2], indices: &[usize], out: &mut Vec<V2>, tmp: &mut Vec<V2>) {
    tmp.clear();
    tmp.extend(indices.iter().map(|&i| q[i]));
    out.clear();
    catmull_rom(tmp, 0, out);
}

/// A point between two, for readability at call sites.
pub fn between(a: V2, b: V2, t: f32) -> V2 {
    lerp(a, b, t)
}
