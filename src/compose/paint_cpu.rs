//! The person paint on the CPU, for software rasterizers.
//!
//! In: the cells [`PaintPass::list`](super::paint::PaintPass::list) listed (skin runs, then hair
//! runs, each with its person), the camera frame (RGB8), the guide (the frame at the background's
//! working size), the person and skin masks. Out: skin and hair blended into the upsampled
//! background (RGBA8 at the frame's size) before the compositor uploads it. Runs on the
//! compositor's thread, instead of `shaders/person_paint.wgsl`, when the background is upsampled
//! on the CPU (see [`super::upsample`]).
//!
//! Why: lavapipe shaded the paint's pixels at about 40 ns each (7.8 ms of a frame with two
//! people on the demo, 2.7 ms with one); the same maths here costs a fraction of that. The maths
//! is the shader's, pixel for pixel (keep them in step; `tests/skin_and_hair.rs` holds one against
//! the other): the pixels a run's quad covers (centres inside its rectangle), the masks sampled
//! bilinearly with the edge clamped, premultiplied-alpha blending into 8-bit values.

use super::cells::CellRun;
use super::paint::PersonUniform;
use super::{LowRes, MaskView};

/// One output column's (or row's) two mask texels and the second one's weight.
#[derive(Debug, Clone, Copy, Default)]
struct Tap {
    lo: u32,
    hi: u32,
    t: f32,
}

/// Reused tables of the CPU paint.
#[derive(Debug, Default)]
pub struct CpuPaint {
    columns: Vec<Tap>,
    rows: Vec<Tap>,
    /// Per output column (row): the guide texels nearest to its position one texel left (up),
    /// at, and one right (down), clamped, as `guide_at` in the shader rounds them.
    guide_columns: Vec<[u32; 3]>,
    guide_rows: Vec<[u32; 3]>,
    /// Person probability and skin likelihood per mask texel, cleaned.
    masks: Vec<[f32; 2]>,
}

/// The guide texels nearest to each output pixel's position and one texel either side.
fn guide_taps(n: u32, texels: u32, out: &mut Vec<[u32; 3]>) {
    out.clear();
    let last = texels.saturating_sub(1) as f32;
    for i in 0..n {
        let g = (i as f32 + 0.5) * texels as f32 / n as f32 - 0.5;
        out.push([-1.0, 0.0, 1.0].map(|d: f32| (g + d).round_ties_even().clamp(0.0, last) as u32));
    }
}

/// What the paint reads besides the cells.
pub struct PaintPixels<'a> {
    /// The camera frame, RGB8, `size`.
    pub frame: &'a [u8],
    pub size: (u32, u32),
    /// The frame at the background's working size (or the background standing in for it).
    pub guide: LowRes<'a>,
    pub person: &'a MaskView<'a>,
    /// On another grid than the person mask's, or none: no skin.
    pub skin: Option<&'a MaskView<'a>>,
}

/// 8-bit values to unorm by a multiplication (a division per value cost a tenth of the pass).
const INV_255: f32 = 1.0 / 255.0;

/// WGSL's smoothstep (the edges are constants: one multiplication by the folded reciprocal
/// instead of a division).
#[inline(always)]
fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) * (1.0 / (e1 - e0))).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

fn mix3(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]
}

fn rgb(v: [f32; 4]) -> [f32; 3] {
    [v[0], v[1], v[2]]
}

/// Bilinear taps for `n` output pixels over `texels` mask texels (clamp to edge), as the sampler
/// does at the pixel centres.
fn taps(n: u32, texels: u32, out: &mut Vec<Tap>) {
    out.clear();
    let scale = texels as f32 / n as f32;
    let last = texels.saturating_sub(1) as i64;
    for i in 0..n {
        let x = (i as f32 + 0.5) * scale - 0.5;
        let f = x.floor();
        let lo = (f as i64).clamp(0, last) as u32;
        let hi = (f as i64 + 1).clamp(0, last) as u32;
        out.push(Tap { lo, hi, t: x - f });
    }
}

/// The pixels `[first, end)` along one axis whose centres lie in `[low, high)`.
fn covered(low: f32, high: f32) -> (usize, usize) {
    let first = (low - 0.5).ceil().max(0.0) as usize;
    let end = (high - 0.5).ceil().max(0.0) as usize;
    (first, end.max(first))
}

/// Premultiplied "over" of `tone * w` (alpha `w`) onto one RGBA8 pixel, as the blend unit does.
fn blend(px: &mut [u8], tone: [f32; 3], w: f32) {
    let keep = (1.0 - w) * INV_255;
    for c in 0..3 {
        let v = tone[c] * w + px[c] as f32 * keep;
        px[c] = (v * 255.0 + 0.5) as u8; // saturating: below 0 reads 0, above 1 reads 255
    }
    let a = w + px[3] as f32 * keep;
    px[3] = (a * 255.0 + 0.5) as u8;
}

impl CpuPaint {
    /// Paints the listed skin runs and then the hair runs over `rgba` (RGBA8, the frame's size).
    pub fn paint(
        &mut self,
        rgba: &mut [u8],
        runs: &[CellRun],
        skin_runs: usize,
        people: &[PersonUniform],
        px: &PaintPixels<'_>,
    ) {
        let (width, height) = px.size;
        let (mw, mh) = (px.person.width, px.person.height);
        if runs.is_empty() || people.is_empty() || mw < 2 || mh < 2 {
            return;
        }
        taps(width, mw, &mut self.columns);
        taps(height, mh, &mut self.rows);
        guide_taps(width, px.guide.width, &mut self.guide_columns);
        guide_taps(height, px.guide.height, &mut self.guide_rows);
        // person and skin per texel, NaN (a corrupt mask) read as 0: one pair per bilinear tap
        let skin = px.skin.filter(|s| (s.width, s.height) == (mw, mh)).map(|s| s.data);
        let clean = |v: f32| if v.is_nan() { 0.0 } else { v };
        self.masks.clear();
        match skin {
            Some(skin) => {
                self.masks.extend(px.person.data.iter().zip(skin).map(|(&p, &s)| [clean(p), clean(s)]));
            }
            None => self.masks.extend(px.person.data.iter().map(|&p| [clean(p), 0.0])),
        }
        let masks = &self.masks;
        let sample = |col: Tap, row: Tap| {
            let (top, bottom) = ((row.lo * mw) as usize, (row.hi * mw) as usize);
            let (a, b) = (masks[top + col.lo as usize], masks[top + col.hi as usize]);
            let (c, d) = (masks[bottom + col.lo as usize], masks[bottom + col.hi as usize]);
            let lerp = |k: usize| {
                let t = a[k] * (1.0 - col.t) + b[k] * col.t;
                let u = c[k] * (1.0 - col.t) + d[k] * col.t;
                t * (1.0 - row.t) + u * row.t
            };
            [lerp(0), lerp(1)]
        };
        let (fw, fh) = (width as f32, height as f32);
        let ppt = [fw / mw as f32, fh / mh as f32];
        let last_cell = [mw - 2, mh - 2];
        let guide = px.guide;
        for (index, run) in runs.iter().enumerate() {
            let p = &people[(run[3] as usize).min(people.len() - 1)];
            // the quad of `vs_main`
            let mut low = [(run[0] as f32 + 0.5) * ppt[0], (run[2] as f32 + 0.5) * ppt[1]];
            let mut high = [(run[1] as f32 + 1.5) * ppt[0], (run[2] as f32 + 1.5) * ppt[1]];
            if run[0] == 0 {
                low[0] = 0.0;
            }
            if run[2] == 0 {
                low[1] = 0.0;
            }
            if run[1] == last_cell[0] {
                high[0] = fw;
            }
            if run[2] == last_cell[1] {
                high[1] = fh;
            }
            let (x0, x1) = covered(low[0], high[0]);
            let (y0, y1) = covered(low[1], high[1]);
            let (x1, y1) = (x1.min(width as usize), y1.min(height as usize));
            let is_skin = index < skin_runs;
            for y in y0..y1 {
                let row = self.rows[y];
                for x in x0..x1 {
                    let col = self.columns[x];
                    let at = [x as f32 + 0.5, y as f32 + 0.5];
                    let i = (y * width as usize + x) * 3;
                    let o = (y * width as usize + x) * 4;
                    if is_skin {
                        let [person, skin] = sample(col, row);
                        let skin_w = smoothstep(0.05, 0.3, skin);
                        let person_w = smoothstep(0.3, 0.7, person);
                        if skin_w <= 0.0 || person_w <= 0.0 || p.rot[3] <= 0.0 {
                            continue;
                        }
                        let f = [
                            px.frame[i] as f32 * INV_255,
                            px.frame[i + 1] as f32 * INV_255,
                            px.frame[i + 2] as f32 * INV_255,
                        ];
                        let luma = 0.299 * f[0] + 0.587 * f[1] + 0.114 * f[2];
                        let chroma = [0.5 + 0.564 * (f[2] - luma), 0.5 + 0.713 * (f[0] - luma)];
                        let k = (p.skin_chroma[2] / luma.max(0.02)).clamp(0.25, 4.0);
                        let d = [
                            (chroma[0] - 0.5) * k - (p.skin_chroma[0] - 0.5),
                            (chroma[1] - 0.5) * k - (p.skin_chroma[1] - 0.5),
                        ];
                        let ic = p.skin_icov;
                        let d2 = ic[0] * d[0] * d[0] + 2.0 * ic[1] * d[0] * d[1] + ic[2] * d[1] * d[1];
                        let w = skin_w * (-0.5 * d2.min(30.0)).exp() * person_w * p.rot[3];
                        if w < 1.0 / 512.0 {
                            continue;
                        }
                        let shade = luma / p.skin_chroma[2].max(0.05);
                        let tone = mix3(rgb(p.skin_shadow), rgb(p.skin_base), smoothstep(0.76, 0.8, shade));
                        let tone = mix3(tone, rgb(p.skin_light), smoothstep(1.2, 1.24, shade));
                        blend(&mut rgba[o..o + 4], tone, w);
                    } else {
                        if p.rot[2] <= 0.0 {
                            continue;
                        }
                        let q = p.face_space(at);
                        let axes = [p.face[2], p.face[3]];
                        let hr = p.hair_region;
                        let qh = [q[0] / (axes[0] * hr[1]), (q[1] + hr[0] * axes[1]) / (axes[1] * hr[2])];
                        let qf = [q[0] / axes[0], q[1] / axes[1]];
                        let (e2, face_e2) = (qh[0] * qh[0] + qh[1] * qh[1], qf[0] * qf[0] + qf[1] * qf[1]);
                        // outside the hair region or inside the face: no hair (region 0)
                        if e2 >= 1.0 || face_e2 <= 0.98 * 0.98 {
                            continue;
                        }
                        let region = (1.0 - smoothstep(0.85, 1.0, e2.sqrt())) * smoothstep(0.98, 1.12, face_e2.sqrt());
                        let person_w = smoothstep(0.4, 0.8, sample(col, row)[0]);
                        if person_w <= 0.0 {
                            continue;
                        }
                        let (gx, gy) = (self.guide_columns[x], self.guide_rows[y]);
                        let mut sum = [0u32; 3];
                        for (gx, gy) in [(gx[1], gy[1]), (gx[0], gy[0]), (gx[2], gy[0]), (gx[0], gy[2]), (gx[2], gy[2])]
                        {
                            let t = (gy as usize * guide.width as usize + gx as usize) * 3;
                            for (total, &v) in sum.iter_mut().zip(&guide.rgb[t..t + 3]) {
                                *total += u32::from(v);
                            }
                        }
                        let soft = sum.map(|v| v as f32 * (0.2 / 255.0));
                        let luma = 0.299 * soft[0] + 0.587 * soft[1] + 0.114 * soft[2];
                        let chroma = [0.5 + 0.564 * (soft[2] - luma), 0.5 + 0.713 * (soft[0] - luma)];
                        let d = [chroma[0] - p.hair_chroma[0], chroma[1] - p.hair_chroma[1]];
                        let ratio = luma / p.hair_chroma[2].max(0.03);
                        let similar = (-(d[0] * d[0] + d[1] * d[1]) / (2.0 * 0.08 * 0.08)).exp()
                            * smoothstep(0.12, 0.3, ratio)
                            * (1.0 - smoothstep(2.2, 2.8, ratio));
                        let w = region * similar * person_w * p.rot[2];
                        if w < 1.0 / 512.0 {
                            continue;
                        }
                        let tone = mix3(rgb(p.hair_shadow), rgb(p.hair_base), smoothstep(0.7, 0.76, ratio));
                        let tone = mix3(tone, rgb(p.hair_light), smoothstep(1.4, 1.48, ratio));
                        blend(&mut rgba[o..o + 4], tone, w);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quad_covers_the_pixels_whose_centres_it_holds() {
        assert_eq!(covered(2.5, 7.5), (2, 7), "5 px cells: centres 2.5 ..= 6.5");
        assert_eq!(covered(0.0, 7.5), (0, 7));
        assert_eq!(covered(2.6, 2.9), (3, 3), "no centre inside: nothing");
    }

    #[test]
    fn taps_clamp_at_the_edges_and_land_on_texel_centres() {
        let mut t = Vec::new();
        taps(10, 2, &mut t);
        // pixel 0's centre maps to texel -0.25: clamped to texel 0 on both sides
        assert_eq!((t[0].lo, t[0].hi), (0, 0));
        // pixel 4's centre (4.5 of 10) maps to texel 0.4: 60% of texel 0
        assert_eq!((t[4].lo, t[4].hi), (0, 1));
        assert!((t[4].t - 0.4).abs() < 1e-6);
        assert_eq!((t[9].lo, t[9].hi), (1, 1));
    }

    #[test]
    fn blending_is_premultiplied_over() {
        let mut px = [200u8, 100, 0, 255];
        blend(&mut px, [0.0, 1.0, 0.5], 0.5);
        assert_eq!(px, [100, 178, 64, 255]);
    }
}
