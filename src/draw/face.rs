//! One face drawn as geometry: the shapes of a webtoon face built from the (warped) landmarks in
//! frame pixels, in drawing order: flat skin with designed shading (the face mesh's triangles, a
//! shade value per vertex placed from the landmarks: a band along the face edge on the darker
//! side, under the hairline, under the nose and the lower lip; never the photo's brightness),
//! blush, lips, the open mouth with teeth, eyes (whites, lid shadow, gradient iris, pupil,
//! catchlights: computed per pixel in `shaders/drawn.wgsl`), then ink strokes (nose, mouth, lower
//! lid, crease, brows, jaw, the heavy upper lash line). Expressions change the drawing: smiling or
//! squinting eyes become arcs, closed eyes a line, the far side of a turned jaw thins and shortens.
//!
//! In: warped landmarks, the original landmarks, the [`FaceTopology`], the character's
//! [`FaceLook`] and [`Drawing`], the person's skin statistics, the frame (a few pixels are read:
//! which side is lit, which forehead points are skin rather than hair). Out: [`DrawVertex`]es and
//! indices appended to a [`FaceDrawing`] (reused; never more than [`MAX_VERTICES_PER_FACE`] per
//! face). Pure CPU, the compositor's thread.

use bytemuck::{Pod, Zeroable};

use super::expression::{Expression, EyeState, expression_after};
use super::strokes::{catmull_rom, stroke};
use super::tessellation::FaceTopology;
use super::{
    FaceFrame, FaceLook, MIN_EYE_DISTANCE_PX, MIN_LINE_PX, V2, add, centroid, len, lerp, lists, mul, smoothstep, sub,
    xy,
};
use crate::character::Drawing;
use crate::draw::skin_ramp::skin_ramp;
use crate::perception::mesh::{MESH_POINTS, idx::FACE_OVAL};
use crate::perception::skin::{SkinStats, rgb_to_ycbcr};

/// What the fragment shader does with a vertex's attributes (`param.w`).
pub mod mode {
    /// uv.x: -1..1 across the strip; param.x: half width of the strip, param.y: half width of the line.
    pub const STROKE: f32 = 0.0;
    /// Flat colour.
    pub const FILL: f32 = 1.0;
    /// uv: iris-space position; param.x: 0 at the upper lid, 1 at the lower; param.y: iris radius
    /// in pixels; param.z: catchlights; color: iris; color2: white (a: lid shadow).
    pub const EYE: f32 = 2.0;
    /// Soft ellipse: uv in -1..1.
    pub const SOFT: f32 = 3.0;
    /// uv.x: shade (> 0.5 shadow), uv.y: highlight; color: base (a: opacity); color2: shadow (a:
    /// highlight strength); param.xyz: light colour.
    pub const SKIN: f32 = 4.0;
    /// param.x: 0 at the upper inner lip, 1 at the lower; param.y: share of teeth from the top;
    /// color: mouth inside; color2: teeth.
    pub const MOUTH: f32 = 5.0;
}

/// One vertex of the drawn shapes. Keep in sync with `VertexIn` in shaders/drawn.wgsl.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Pod, Zeroable)]
pub struct DrawVertex {
    /// Frame pixels.
    pub pos: [f32; 2],
    pub uv: [f32; 2],
    /// Straight (not premultiplied) RGBA.
    pub color: [f32; 4],
    pub color2: [f32; 4],
    /// Mode-specific; `w` is the [`mode`].
    pub param: [f32; 4],
}

/// Most vertices and indices one face may use (buffers are sized for this per face).
pub const MAX_VERTICES_PER_FACE: usize = 6144;
pub const MAX_INDICES_PER_FACE: usize = 18432;

/// Vertices and indices of drawn faces, appended face after face (reused across frames).
#[derive(Debug, Clone, Default)]
pub struct FaceDrawing {
    pub vertices: Vec<DrawVertex>,
    pub indices: Vec<u32>,
    vertex_limit: usize,
    index_limit: usize,
}

impl FaceDrawing {
    pub fn clear(&mut self) {
        self.vertices.clear();
        self.indices.clear();
    }

    /// Starts a face: it may append up to the per-face maxima.
    pub fn begin_face(&mut self) {
        self.vertex_limit = self.vertices.len() + MAX_VERTICES_PER_FACE;
        self.index_limit = self.indices.len() + MAX_INDICES_PER_FACE;
    }

    /// Whether `v` more vertices and `i` more indices fit in this face's share.
    pub fn has_room(&self, v: usize, i: usize) -> bool {
        self.vertices.len() + v <= self.vertex_limit && self.indices.len() + i <= self.index_limit
    }

    fn push_quad_strip(&mut self, top: &[DrawVertex], bottom: &[DrawVertex]) {
        let n = top.len().min(bottom.len());
        if n < 2 || !self.has_room(2 * n, 6 * (n - 1)) {
            return;
        }
        let base = self.vertices.len() as u32;
        for k in 0..n {
            self.vertices.push(top[k]);
            self.vertices.push(bottom[k]);
        }
        for k in 0..n as u32 - 1 {
            let (a, b, c, d) = (base + 2 * k, base + 2 * k + 1, base + 2 * k + 2, base + 2 * k + 3);
            self.indices.extend_from_slice(&[a, b, c, b, d, c]);
        }
    }
}

/// The frame the face is in (RGB8), read at a few points.
#[derive(Debug, Clone, Copy)]
pub struct FrameView<'a> {
    pub rgb: &'a [u8],
    pub width: u32,
    pub height: u32,
}

impl FrameView<'_> {
    /// Mean RGB of the 3x3 pixels around `p` (clamped to the frame).
    fn rgb_at(&self, p: V2) -> [u8; 3] {
        let (w, h) = (self.width as i32, self.height as i32);
        if w == 0 || h == 0 || self.rgb.len() < (w * h * 3) as usize {
            return [0; 3];
        }
        let (cx, cy) = (p[0].floor() as i32, p[1].floor() as i32);
        let mut s = [0u32; 3];
        for dy in -1..=1 {
            for dx in -1..=1 {
                let (x, y) = ((cx + dx).clamp(0, w - 1), (cy + dy).clamp(0, h - 1));
                let i = (y * w + x) as usize * 3;
                for (k, v) in s.iter_mut().enumerate() {
                    *v += self.rgb[i + k] as u32;
                }
            }
        }
        s.map(|v| (v / 9) as u8)
    }
}

fn rgb(c: [u8; 3]) -> [f32; 3] {
    c.map(|v| v as f32 / 255.0)
}

fn rgba(c: [f32; 3], a: f32) -> [f32; 4] {
    [c[0], c[1], c[2], a]
}

fn mix3(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]
}

/// Distance from `p` to the closed polyline through `poly`.
fn distance_to_loop(p: V2, poly: &[V2]) -> f32 {
    let mut best = f32::MAX;
    for k in 0..poly.len() {
        let (a, b) = (poly[k], poly[(k + 1) % poly.len()]);
        let ab = sub(b, a);
        let t = (super::dot(sub(p, a), ab) / super::dot(ab, ab).max(1e-9)).clamp(0.0, 1.0);
        best = best.min(len(sub(p, add(a, mul(ab, t)))));
    }
    best
}

/// Builds faces; owns its scratch buffers.
#[derive(Debug, Default)]
pub struct FaceBuilder {
    curve: Vec<V2>,
    tmp: Vec<V2>,
    up: Vec<V2>,
    lo: Vec<V2>,
    oval: Vec<V2>,
    top: Vec<DrawVertex>,
    bottom: Vec<DrawVertex>,
    /// The warped landmarks with open eyes' upper lids raised to a webtoon opening.
    raised: Vec<V2>,
}

/// An eye at least this open (height / width) gets the character's iris, white and catchlights;
/// a narrower one (a squint the mesh sees a little open) keeps its own pixels and its lid line.
pub const EYE_FILL_FROM: f32 = 0.24;

/// Everything one face is drawn from.
#[derive(Debug, Clone, Copy)]
pub struct FaceInput<'a> {
    /// Warped landmarks (478, frame pixels): where the face is drawn.
    pub warped: &'a [V2],
    /// The tracked landmarks before the warp (478): expressions and the photo's pixels.
    pub original: &'a [[f32; 3]],
    pub look: &'a FaceLook,
    pub drawing: &'a Drawing,
    pub skin: Option<&'a SkinStats>,
    pub frame: FrameView<'a>,
    /// This person's expression in the previous frame (video): states change with hysteresis.
    pub previous: Option<Expression>,
}

impl FaceBuilder {
    /// Appends the drawing of one face to `out`. Returns its expression (None: too small to draw).
    pub fn build(
        &mut self,
        input: &FaceInput<'_>,
        topology: &FaceTopology,
        out: &mut FaceDrawing,
    ) -> Option<Expression> {
        let q = input.warped;
        let d = input.drawing;
        let eye_c = [
            centroid(lists::R_EYE_UP.iter().chain(&lists::R_EYE_LO).map(|&i| q[i])),
            centroid(lists::L_EYE_UP.iter().chain(&lists::L_EYE_LO).map(|&i| q[i])),
        ];
        let iod = len(sub(eye_c[1], eye_c[0]));
        if !iod.is_finite() || iod < MIN_EYE_DISTANCE_PX {
            return None;
        }
        out.begin_face();
        let ex = expression_after(input.original, input.previous.as_ref());
        let f = FaceFrame::of(|i| q[i]);
        let up_dir = mul(f.down, -1.0);
        let u = iod / 100.0;
        let ramp = skin_ramp(&input.look.skin, input.skin);
        let line = rgb(d.line_rgb);

        if d.skin_opacity > 0.0 {
            self.skin(input, topology, &ramp, out);
        }

        // blush: soft ellipses on the cheeks, below the eyes
        if d.blush > 0.0 {
            for (cheek, lid) in [(50, 145), (280, 374)] {
                let c = add(lerp(q[cheek], q[lid], 0.4), mul(f.down, f.width * 0.04));
                let (rx, ry) = (mul(f.right, f.width * 0.12), mul(f.down, f.width * 0.065));
                self.quad(c, rx, ry, rgba(rgb(d.blush_rgb), d.blush), mode::SOFT, out);
            }
        }

        // lips: the outer lip shape filled with the lip colour
        let lip = rgb(d.lip_rgb);
        if d.lip > 0.0 {
            self.strip(q, &lists::LIP_OUT_UP, &lists::LIP_OUT_LO, 3, out, |_, _, p| DrawVertex {
                pos: p,
                color: rgba(lip, d.lip),
                param: [0.0, 0.0, 0.0, mode::FILL],
                ..Default::default()
            });
        }
        // eyes: drawn between the person's real lids (a downcast eye stays downcast, a squint a
        // squint); only the character's iris, white and catchlights are added
        let mut raised = std::mem::take(&mut self.raised);
        raised.clear();
        raised.extend_from_slice(q);
        let eyes =
            [(&lists::R_EYE_UP, &lists::R_EYE_LO, lists::R_IRIS), (&lists::L_EYE_UP, &lists::L_EYE_LO, lists::L_IRIS)];
        let q = &raised[..];
        // an eye the mesh calls open but where the photo shows lid, not a dark iris: looking
        // down (or a squint); it is drawn as the lowered lid it is, with no iris
        let lowered = [0, 1].map(|k| {
            ex.eyes[k] == EyeState::Open && lid_over_iris(input.original, &input.frame, input.skin, eyes[k].2)
        });
        let state = |k: usize| if lowered[k] { EyeState::Closed } else { ex.eyes[k] };
        for (k, &(up, lo, iris)) in eyes.iter().enumerate() {
            if state(k) != EyeState::Open || ex.openness[k] < EYE_FILL_FROM {
                continue;
            }
            let ew = len(sub(q[up[0]], q[up[8]]));
            let c = q[iris];
            let r0 = (1..5).map(|j| len(sub(q[iris + j], c))).sum::<f32>() / 4.0;
            let r = (r0 * input.look.geometry.iris_scale).max(0.24 * ew).min(0.4 * ew).max(1.0);
            let (right, down) = (f.right, f.down);
            let (iris_rgb, white) = (rgb(d.iris_rgb), rgb(d.white_rgb));
            let catch = d.catchlights as f32;
            self.strip(q, up, lo, 4, out, |_, v, p| {
                let rel = sub(p, c);
                DrawVertex {
                    pos: p,
                    uv: [super::dot(rel, right) / r, super::dot(rel, down) / (r * 1.06)],
                    color: rgba(iris_rgb, 1.0),
                    color2: rgba(white, 0.35),
                    param: [v, r, catch, mode::EYE],
                }
            });
        }

        // ---- strokes ----
        let min = MIN_LINE_PX;
        let lw = d.line_width * u;
        let shadow_ink = mix3(ramp.shadow, line, 0.55);
        // nose: a small tick under the tip
        if d.nose > 0.0 {
            self.tmp.clear();
            self.tmp.extend_from_slice(&[
                add(lerp(q[98], q[2], 0.55), mul(up_dir, f.width * 0.01)),
                add(q[2], mul(f.down, f.width * 0.008)),
                lerp(q[2], q[327], 0.45),
            ]);
            self.smooth_tmp();
            stroke(&self.curve, |_| lw * 0.8, (0.45, 0.45), min, rgba(shadow_ink, d.nose), out);
        }
        // lower lip hint and the mouth line
        if d.lip > 0.0 {
            self.smooth(q, &[181, 84, 17, 314, 405]);
            let c = mix3(lip, line, 0.35);
            stroke(&self.curve, |_| lw * 0.55, (0.45, 0.45), min, rgba(c, 0.45 * d.lip.max(0.5)), out);
        }
        let mouth_ink = mix3(line, mul3(lip, 0.5), 0.3);
        if ex.mouth_open {
            self.smooth(q, &lists::LIP_IN_UP);
            stroke(&self.curve, |_| lw * 0.7, (0.15, 0.15), min, rgba(mouth_ink, 0.9), out);
            self.smooth(q, &lists::LIP_IN_LO);
            stroke(&self.curve, |_| lw * 0.45, (0.3, 0.3), min, rgba(mouth_ink, 0.6), out);
        } else {
            self.tmp.clear();
            self.tmp.extend(lists::LIP_IN_UP.iter().zip(&lists::LIP_IN_LO).map(|(&a, &b)| lerp(q[a], q[b], 0.5)));
            self.smooth_tmp();
            stroke(
                &self.curve,
                |t| lw * (0.35 + 0.25 * (std::f32::consts::PI * t).sin()),
                (0.2, 0.2),
                min,
                rgba(mouth_ink, 0.95),
                out,
            );
        }
        // eyes: lids, crease, lash lines (open), arcs (smiling), lines (closed)
        let lash = rgb(d.lash_rgb);
        let lash_w = d.lash_weight * u;
        for (k, &(up, lo, _)) in eyes.iter().enumerate() {
            let ew = len(sub(q[up[0]], q[up[8]]));
            match state(k) {
                EyeState::Open => {
                    if d.lower_lid > 0.0 {
                        self.smooth(q, &lo[..6]);
                        stroke(&self.curve, |_| lw * 0.5, (0.15, 0.6), min, rgba(line, d.lower_lid), out);
                    }
                    if d.crease > 0.0 {
                        self.tmp.clear();
                        self.tmp.extend(up[1..7].iter().map(|&i| add(q[i], mul(up_dir, ew * 0.17))));
                        self.smooth_tmp();
                        stroke(&self.curve, |_| lw * 0.45, (0.35, 0.5), min, rgba(line, d.crease), out);
                    }
                    // heavy upper lash line with a small flick at the outer corner
                    let p0 = q[up[0]];
                    let flick = add(add(p0, mul(sub(p0, q[up[1]]), 0.45)), mul(up_dir, ew * 0.07));
                    self.tmp.clear();
                    self.tmp.push(flick);
                    self.tmp.extend(up.iter().map(|&i| q[i]));
                    self.smooth_tmp();
                    let heavy = |t: f32| lash_w * (0.5 + 0.5 * (std::f32::consts::PI * (t * 1.25).min(1.0)).sin());
                    stroke(&self.curve, heavy, (0.08, 0.22), min * 1.5, rgba(lash, 1.0), out);
                }
                EyeState::Arc => {
                    // a smiling squint: ink along the real upper lid, which is already an arc
                    self.smooth(q, up);
                    stroke(&self.curve, |_| lash_w * 0.75, (0.25, 0.25), min * 1.5, rgba(lash, 1.0), out);
                }
                EyeState::Closed => {
                    self.tmp.clear();
                    self.tmp.extend((0..9).map(|j| {
                        let t = j as f32 / 8.0;
                        add(lerp(q[up[j]], q[lo[j]], 0.5), mul(f.down, ew * 0.07 * 4.0 * t * (1.0 - t)))
                    }));
                    self.smooth_tmp();
                    stroke(&self.curve, |_| lash_w * 0.85, (0.25, 0.25), min * 2.0, rgba(lash, 1.0), out);
                }
            }
        }
        // brows: centre line, heavy at the inner end
        // as dark as the person's own brows are against their skin: light brows stay light
        let brow = rgb(d.brow_rgb);
        let bw = d.brow_weight * u;
        for (bu, bl) in [(&lists::R_BROW_UP, &lists::R_BROW_LO), (&lists::L_BROW_UP, &lists::L_BROW_LO)] {
            let strength = brow_darkness(input, bu, bl);
            if strength <= 0.0 {
                continue;
            }
            self.tmp.clear();
            self.tmp.extend(bu.iter().zip(bl.iter()).map(|(&a, &b)| lerp(q[a], q[b], 0.5)));
            self.smooth_tmp();
            stroke(&self.curve, |t| bw * (1.0 - 0.55 * t), (0.06, 0.45), min, rgba(brow, 0.95 * strength), out);
        }
        // jaw: thicker at the jaw angles; a turned face's far side thinner and shorter
        let far = ((ex.yaw.abs() - 0.2) / 0.5).clamp(0.0, 1.0);
        let n = lists::JAW.len();
        let cut = (far * 0.35 * n as f32) as usize;
        let (from, to) = if ex.yaw < 0.0 { (cut, n) } else { (0, n - cut) };
        self.smooth(q, &lists::JAW[from..to]);
        // t runs image-right -> image-left; the far side is image-right when yaw < 0
        let far_at_start = ex.yaw < 0.0;
        let jaw = move |t: f32| {
            let angles = 0.7 + 0.5 * (2.0 * std::f32::consts::PI * t).sin().powi(2);
            let side = if far_at_start { 1.0 - t } else { t };
            let thin = 1.0 - far * 0.55 * smoothstep(0.5, 0.75, side);
            lw * angles * thin
        };
        stroke(&self.curve, jaw, (0.12, 0.12), min, rgba(line, 0.95), out);
        self.raised = raised;
        Some(ex)
    }

    /// Flat skin over the face mesh: shade and highlight per vertex (designed from the landmarks),
    /// opacity fading out at the forehead's edge and on forehead points that are not skin (hair).
    fn skin(&mut self, input: &FaceInput<'_>, topology: &FaceTopology, ramp: &super::SkinRamp, out: &mut FaceDrawing) {
        let d = input.drawing;
        let o = |i: usize| xy(input.original[i]);
        let fo = FaceFrame::of(o);
        let (half_w, h) = (fo.width * 0.5, fo.height);
        let norm = |p: V2| {
            let l = fo.local(p);
            [l[0] / half_w, l[1] / h]
        };
        // which side is lit: cheek brightness under the eyes
        let luma = |p: V2| {
            let c = input.frame.rgb_at(p);
            rgb_to_ycbcr(c)[0]
        };
        let (left, right) = (luma(o(50)), luma(o(280)));
        let shadow_side = if right - left > 8.0 {
            -1.0
        } else if left - right > 8.0 {
            1.0
        } else {
            0.0
        };
        self.oval.clear();
        self.oval.extend(FACE_OVAL.iter().map(|&i| o(i)));
        let eye_al = (norm(o(159))[1] + norm(o(386))[1]) * 0.5;
        let brow_al = (norm(o(105))[1] + norm(o(334))[1]) * 0.5;
        let nose_c = norm(o(2));
        let lip_c = norm(o(17));
        let bridge = norm(o(195));
        let cheeks = [norm(lerp(o(50), o(145), 0.4)), norm(lerp(o(280), o(374), 0.4))];
        let blob =
            |p: V2, c: V2, sx: f32, sy: f32| (-((p[0] - c[0]) / sx).powi(2) - ((p[1] - c[1]) / sy).powi(2)).exp();
        let mut on_oval = [false; MESH_POINTS];
        for &i in &FACE_OVAL {
            on_oval[i] = true;
        }
        let likeness = |p: V2| -> f32 {
            let Some(s) = input.skin.filter(|s| s.samples > 0) else { return 1.0 };
            let c = rgb_to_ycbcr(input.frame.rgb_at(p));
            let spread = ((s.cov_cbcr[0] + s.cov_cbcr[2]) * 0.5).max(0.0).sqrt();
            let dc = (c[1] - s.mean_ycbcr[1]).hypot(c[2] - s.mean_ycbcr[2]) / (2.5 * spread).max(8.0);
            let dy = (c[0] - s.mean_ycbcr[0]).abs() / (3.0 * s.luma_std).max(45.0);
            1.0 - smoothstep(1.0, 2.0, dc.hypot(dy))
        };
        let base = ramp.base;
        let shadow = mix3(ramp.base, ramp.shadow, d.shading);
        if !out.has_room(MESH_POINTS, topology.triangles.len() * 3) {
            return;
        }
        let first = out.vertices.len() as u32;
        for (i, &oval_point) in on_oval.iter().enumerate() {
            let p = o(i);
            let n = norm(p);
            let edge = distance_to_loop(p, &self.oval) / fo.width;
            let lower = smoothstep(eye_al - 0.1, eye_al + 0.25, n[1]);
            let side = if shadow_side != 0.0 { smoothstep(0.05, 0.55, shadow_side * n[0]) } else { 0.0 };
            let rim =
                (side * (1.0 - smoothstep(0.07, 0.13, edge))).max(0.6 * (1.0 - smoothstep(0.015, 0.045, edge)) * lower);
            let hairline =
                (1.0 - smoothstep(0.03, 0.08, edge)) * (1.0 - smoothstep(brow_al - 0.35, brow_al - 0.1, n[1]));
            let under_nose = 0.8 * blob(n, [nose_c[0], nose_c[1] + 0.045], 0.16, 0.04);
            let under_lip = 0.8 * blob(n, [lip_c[0], lip_c[1] + 0.03], 0.28, 0.035);
            let shade = rim.max(hairline).max(under_nose).max(under_lip);
            let highlight =
                blob(n, bridge, 0.07, 0.16).max(blob(n, cheeks[0], 0.16, 0.06)).max(blob(n, cheeks[1], 0.16, 0.06));
            let alpha = if oval_point && n[1] < eye_al + 0.1 {
                0.0
            } else if n[1] < brow_al {
                likeness(p)
            } else {
                1.0
            };
            out.vertices.push(DrawVertex {
                pos: input.warped[i],
                uv: [shade, highlight],
                color: rgba(base, d.skin_opacity * alpha),
                color2: rgba(shadow, d.highlight),
                param: [ramp.light[0], ramp.light[1], ramp.light[2], mode::SKIN],
            });
        }
        out.indices.extend(topology.triangles.iter().flatten().map(|&i| first + i as u32));
    }

    fn quad(&mut self, c: V2, rx: V2, ry: V2, colour: [f32; 4], m: f32, out: &mut FaceDrawing) {
        if !out.has_room(4, 6) {
            return;
        }
        let base = out.vertices.len() as u32;
        for (sx, sy) in [(-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0), (1.0, 1.0)] {
            out.vertices.push(DrawVertex {
                pos: add(c, add(mul(rx, sx), mul(ry, sy))),
                uv: [sx, sy],
                color: colour,
                param: [0.0, 0.0, 0.0, m],
                ..Default::default()
            });
        }
        out.indices.extend_from_slice(&[base, base + 1, base + 2, base + 1, base + 3, base + 2]);
    }

    /// A filled shape between two smoothed contours that share their end points (an eye, the
    /// lips), as a strip; `vertex(k, v, p)` makes each vertex (v: 0 on `up`, 1 on `lo`).
    fn strip(
        &mut self,
        q: &[V2],
        up: &[usize],
        lo: &[usize],
        samples: usize,
        out: &mut FaceDrawing,
        vertex: impl Fn(usize, f32, V2) -> DrawVertex,
    ) {
        self.tmp.clear();
        self.tmp.extend(up.iter().map(|&i| q[i]));
        self.up.clear();
        catmull_rom(&self.tmp, samples, &mut self.up);
        self.tmp.clear();
        self.tmp.extend(lo.iter().map(|&i| q[i]));
        self.lo.clear();
        catmull_rom(&self.tmp, samples, &mut self.lo);
        self.top.clear();
        self.top.extend(self.up.iter().enumerate().map(|(k, &p)| vertex(k, 0.0, p)));
        self.bottom.clear();
        self.bottom.extend(self.lo.iter().enumerate().map(|(k, &p)| vertex(k, 1.0, p)));
        out.push_quad_strip(&self.top, &self.bottom);
    }

    fn smooth(&mut self, q: &[V2], indices: &[usize]) {
        self.tmp.clear();
        self.tmp.extend(indices.iter().map(|&i| q[i]));
        self.smooth_tmp();
    }

    fn smooth_tmp(&mut self) {
        self.curve.clear();
        catmull_rom(&self.tmp, 0, &mut self.curve);
    }
}

/// Where the mesh puts an open eye's iris, the photo's brightness (its centre and four points
/// half an iris radius around it, against the face skin's luma) between these shares means the
/// lid covers it: the eye looks down or squints. Measured on t1.jpg, the astronaut and the duo:
/// eyes looking at the camera 0.32-0.45 (a smiling one 0.47), the two women looking down at their
/// cards 0.51-0.56. Brighter than the upper bound the mesh has lost the iris (a far eye of a turned
/// face, 1.17), and the eye is left as the mesh says.
const LID_OVER_IRIS: (f32, f32) = (0.49, 0.85);

/// Whether the photo shows lid where the mesh puts the iris `iris` (see [`LID_OVER_IRIS`]).
fn lid_over_iris(original: &[[f32; 3]], frame: &FrameView<'_>, skin: Option<&SkinStats>, iris: usize) -> bool {
    let Some(skin) = skin.filter(|s| s.samples > 0 && s.mean_ycbcr[0] > 1.0) else { return false };
    let p = |i: usize| [original[i][0], original[i][1]];
    let c = p(iris);
    let r = (1..5).map(|j| len(sub(p(iris + j), c))).sum::<f32>() / 4.0;
    let luma = |q: V2| rgb_to_ycbcr(frame.rgb_at(q))[0];
    let ring = [[-0.5f32, 0.0], [0.5, 0.0], [0.0, -0.5], [0.0, 0.5]]
        .iter()
        .map(|d| luma([c[0] + d[0] * r, c[1] + d[1] * r]))
        .sum::<f32>()
        / 4.0;
    let share = (luma(c) + ring) * 0.5 / skin.mean_ycbcr[0];
    (LID_OVER_IRIS.0..LID_OVER_IRIS.1).contains(&share)
}

/// 0..1: how much darker the person's brow (the photo under the original landmarks) is than
/// their face skin; 1 from half the skin's luma down, 0 when the brow is as light as the skin.
fn brow_darkness(input: &FaceInput<'_>, up: &[usize], lo: &[usize]) -> f32 {
    let Some(skin) = input.skin.filter(|s| s.samples > 0) else { return 1.0 };
    let mut sum = 0.0;
    for (&a, &b) in up.iter().zip(lo) {
        let p = lerp(xy(input.original[a]), xy(input.original[b]), 0.5);
        sum += rgb_to_ycbcr(input.frame.rgb_at(p))[0];
    }
    let brow = sum / up.len() as f32;
    let skin_y = skin.mean_ycbcr[0].max(1.0);
    smoothstep(0.08, 0.45, (skin_y - brow) / skin_y)
}

fn mul3(a: [f32; 3], k: f32) -> [f32; 3] {
    a.map(|v| v * k)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The share `lid_over_iris` measures at an iris of radius 4 px at (50, 50) on a 100x100
    /// frame whose pixels within 3 px of it have luma `iris`, elsewhere 160 (the skin).
    fn lowered_with(iris: u8) -> bool {
        let (w, h) = (100u32, 100u32);
        let rgb: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                let (x, y) = ((i % w) as f32 + 0.5, (i / w) as f32 + 0.5);
                [if (x - 50.0).hypot(y - 50.0) <= 3.0 { iris } else { 160 }; 3]
            })
            .collect();
        let mut lm = vec![[10.0f32, 10.0, 0.0]; 478];
        let c = lists::R_IRIS;
        lm[c] = [50.0, 50.0, 0.0];
        for (j, d) in [[4.0, 0.0], [0.0, -4.0], [-4.0, 0.0], [0.0, 4.0]].iter().enumerate() {
            lm[c + 1 + j] = [50.0 + d[0], 50.0 + d[1], 0.0];
        }
        let skin = SkinStats {
            mean_rgb: [160.0; 3],
            mean_ycbcr: [160.0, 128.0, 128.0],
            cov_cbcr: [9.0, 0.0, 9.0],
            luma_std: 5.0,
            samples: 100,
        };
        lid_over_iris(&lm, &FrameView { rgb: &rgb, width: w, height: h }, Some(&skin), c)
    }

    #[test]
    fn an_eye_whose_iris_the_photo_does_not_show_is_lowered() {
        // a dark iris looking at the camera (0.25 of the skin): open
        assert!(!lowered_with(40));
        // lid and lashes where the iris should be (0.6 of the skin): looking down
        assert!(lowered_with(96));
        // as bright as the skin: the mesh lost the iris (a far eye), left as the mesh says
        assert!(!lowered_with(160));
    }
}
