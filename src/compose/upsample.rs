//! The background's joint-bilateral upsampling on the CPU, for software rasterizers.
//!
//! In: the camera frame (RGB8, full res), the stylized background and its guide (RGB8, working
//! resolution), the spatial and range sigmas. Out: the upsampled background as RGBA8 at the
//! frame's size, which the compositor writes into its output texture as the base layer. Runs on
//! the compositor's thread, instead of `shaders/background.wgsl`, when the adapter is a CPU
//! (lavapipe): there a fullscreen fragment pass costs about 9 ms of CPU for the rasterizer alone
//! and the shader's nine texel reads another 13 ms at 1280x720, where this costs a few ms.
//!
//! The same maths as the shader (keep them in step; `tests/compose.rs` holds one against the
//! other): for each output pixel, the 2x2 low-res texels of its bilinear footprint, weighted by a
//! Gaussian of the distance (separable, so one factor per column and one per row, computed once
//! per size) times a Gaussian of the colour distance between the frame pixel and the guide texel
//! (a table by squared 8-bit distance). Where the footprint's four background texels differ by
//! at most [`FLAT_SPREAD`] levels, any weights give the same colour within that spread, so the
//! range term is skipped there: the flat parts of a cartoon, most of the picture, cost two
//! multiply-adds per channel. No allocation per frame once the sizes are known.

use super::LowRes;

/// Largest per-channel spread (8-bit levels) of a footprint's background texels that is upsampled
/// with the spatial weights alone: the colour then differs from the full computation by at most this.
pub const FLAT_SPREAD: u8 = 6;

/// Upper bound of the range exponent, as in the shader: when no texel resembles the frame pixel,
/// the texels keep their spatial weights relative to each other.
const MAX_RANGE_EXPONENT: f32 = 30.0;

/// Squared 8-bit colour distances are looked up in steps of `1 << RANGE_SHIFT` (the table holds
/// 3 * 255^2 / 16 + 1 entries, 48 KiB).
const RANGE_SHIFT: u32 = 4;

/// One output column's (or row's) two low-res taps and their spatial weights.
#[derive(Debug, Clone, Copy, Default)]
struct Taps {
    lo: u32,
    hi: u32,
    /// Which footprint (floor of the position + 1, 0..=low-res size) the pixel falls in.
    footprint: u32,
    /// Gaussian spatial weights of the two taps.
    w_lo: f32,
    w_hi: f32,
    /// The left one's share of their sum.
    n_lo: f32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Key {
    size: (u32, u32),
    lowres: (u32, u32),
    spatial_falloff: f32,
    range_falloff: f32,
}

/// Reused tables and buffers of the CPU upsampling.
#[derive(Debug, Default)]
pub struct CpuUpsampler {
    key: Option<Key>,
    columns: Vec<Taps>,
    rows: Vec<Taps>,
    /// exp(-min(d2 * range_falloff, MAX)) by squared 8-bit distance >> RANGE_SHIFT.
    range: Vec<f32>,
    /// The current row's two background rows mixed by the row's normalised spatial weights (in
    /// 1/256 levels), texel i at i + 1, the edge texels repeated at 0 and lw + 1.
    row_mix: Vec<[i32; 3]>,
    /// Per output column: where its footprint starts in `row_mix` (floor(q) + 1) and the left
    /// tap's normalised spatial weight in 1/256 (the right one's is 256 minus it).
    spans: Vec<(u32, i32)>,
    /// The output columns `[first, end)` of each footprint.
    footprint_columns: Vec<[u32; 2]>,
    /// Whether each footprint of the current row pair is flat.
    flat: Vec<bool>,
    flat_rows: Option<(u32, u32)>,
    /// The upsampled picture, RGBA8.
    rgba: Vec<u8>,
    /// Share of pixels the last call upsampled with the full (range-weighted) computation.
    last_edge_share: f32,
}

impl CpuUpsampler {
    /// Upsamples `background` to the frame's size, guided by `guide` (the frame at the
    /// background's size; None: spatial weights only) and the frame itself. Sizes must already be
    /// validated (the frame `width * height * 3` bytes, background and guide the same size).
    /// Returns the RGBA8 picture, valid until the next call.
    pub fn upsample(
        &mut self,
        frame: LowRes<'_>,
        background: LowRes<'_>,
        guide: Option<LowRes<'_>>,
        sigma_spatial: f32,
        sigma_range: f32,
    ) -> &mut [u8] {
        let (width, height) = (frame.width, frame.height);
        let (lw, lh) = (background.width, background.height);
        let sigma_s = sigma_spatial.max(0.05);
        let sigma_r = sigma_range.max(1e-3);
        let key = Key {
            size: (width, height),
            lowres: (lw, lh),
            spatial_falloff: 1.0 / (2.0 * sigma_s * sigma_s),
            range_falloff: if guide.is_some() { 1.0 / (2.0 * sigma_r * sigma_r) } else { 0.0 },
        };
        if self.key != Some(key) {
            self.prepare(key);
        }
        self.flat_rows = None;
        let lw_us = lw as usize;
        let mut edge_pixels = 0usize;
        for y in 0..height as usize {
            let row = self.rows[y];
            let (j_lo, j_hi) = (row.lo as usize, row.hi as usize);
            let row_lo_weight = fixed_weight(row.n_lo);
            let (bg_lo, bg_hi) = (texel_row(background.rgb, lw_us, j_lo), texel_row(background.rgb, lw_us, j_hi));
            if self.flat_rows != Some((row.lo, row.hi)) {
                mark_flat(bg_lo, bg_hi, &mut self.flat);
                self.flat_rows = Some((row.lo, row.hi));
            }
            // the two rows mixed, with the edge texels repeated on both sides: texel i at i + 1
            for ((mix, a), b) in self.row_mix[1..=lw_us].iter_mut().zip(bg_lo).zip(bg_hi) {
                let (n_lo, n_hi) = (row_lo_weight, 256 - row_lo_weight);
                *mix = [
                    n_lo * a[0] as i32 + n_hi * b[0] as i32,
                    n_lo * a[1] as i32 + n_hi * b[1] as i32,
                    n_lo * a[2] as i32 + n_hi * b[2] as i32,
                ];
            }
            self.row_mix[0] = self.row_mix[1];
            self.row_mix[lw_us + 1] = self.row_mix[lw_us];
            let out_row: &mut [[u8; 4]] =
                bytemuck::cast_slice_mut(&mut self.rgba[y * width as usize * 4..(y + 1) * width as usize * 4]);
            let frame_row: &[[u8; 3]] =
                bytemuck::cast_slice(&frame.rgb[y * width as usize * 3..(y + 1) * width as usize * 3]);
            let guide_rows = guide.map(|g| (texel_row(g.rgb, lw_us, j_lo), texel_row(g.rgb, lw_us, j_hi)));
            let (flat, row_mix, range) = (&self.flat, &self.row_mix, &self.range);
            // every pixel with the spatial weights first (no branch in the loop) ...
            // (fixed point: the row mix in 1/256 levels, the column weight in 1/256)
            for (out, &(at, n_lo)) in out_row.iter_mut().zip(&self.spans) {
                let (a, b) = (row_mix[at as usize], row_mix[at as usize + 1]);
                let mix = |c: usize| ((b[c] << 8) + n_lo * (a[c] - b[c]) + (1 << 15)) >> 16;
                *out = [mix(0) as u8, mix(1) as u8, mix(2) as u8, 255];
            }
            let Some((g_lo, g_hi)) = guide_rows else { continue };
            // ... then the pixels of the footprints that are not flat, with the range weights
            for (&columns, _) in self.footprint_columns.iter().zip(flat).filter(|(_, flat)| !**flat) {
                let (x0, x1) = (columns[0] as usize, columns[1] as usize);
                edge_pixels += x1 - x0;
                for x in x0..x1 {
                    let (col, f) = (self.columns[x], frame_row[x]);
                    let (i_lo, i_hi) = (col.lo as usize, col.hi as usize);
                    let f = [f[0] as i32, f[1] as i32, f[2] as i32];
                    let weight = |g: &[u8; 3]| {
                        let d = [g[0] as i32 - f[0], g[1] as i32 - f[1], g[2] as i32 - f[2]];
                        range[((d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) >> RANGE_SHIFT) as usize]
                    };
                    let w = [
                        col.w_lo * row.w_lo * weight(&g_lo[i_lo]),
                        col.w_hi * row.w_lo * weight(&g_lo[i_hi]),
                        col.w_lo * row.w_hi * weight(&g_hi[i_lo]),
                        col.w_hi * row.w_hi * weight(&g_hi[i_hi]),
                    ];
                    let b = [bg_lo[i_lo], bg_lo[i_hi], bg_hi[i_lo], bg_hi[i_hi]];
                    let inv = 1.0 / (w[0] + w[1] + w[2] + w[3]);
                    let mix = |c: usize| {
                        (w[0] * b[0][c] as f32 + w[1] * b[1][c] as f32 + w[2] * b[2][c] as f32 + w[3] * b[3][c] as f32)
                            * inv
                    };
                    let colour = [mix(0), mix(1), mix(2)];
                    out_row[x] = [unorm(colour[0]), unorm(colour[1]), unorm(colour[2]), 255];
                }
            }
        }
        self.last_edge_share = edge_pixels as f32 / (width as f32 * height as f32).max(1.0);
        &mut self.rgba
    }

    /// Share of the last picture's pixels that took the full (range-weighted) computation.
    pub fn last_edge_share(&self) -> f32 {
        self.last_edge_share
    }

    fn prepare(&mut self, key: Key) {
        let (width, height) = key.size;
        let (lw, lh) = key.lowres;
        taps_along(width, lw, key.spatial_falloff, &mut self.columns);
        taps_along(height, lh, key.spatial_falloff, &mut self.rows);
        self.footprint_columns.clear();
        self.footprint_columns.resize(lw as usize + 1, [0, 0]);
        for (x, col) in self.columns.iter().enumerate() {
            let span = &mut self.footprint_columns[col.footprint as usize];
            if span[1] == 0 {
                span[0] = x as u32;
            }
            span[1] = x as u32 + 1;
        }
        let entries = ((3 * 255 * 255) >> RANGE_SHIFT) + 1;
        self.range.clear();
        self.range.extend((0..entries).map(|k| {
            // the middle of the bucket, in unorm units
            let d2 = ((k << RANGE_SHIFT) as f32 + ((1u32 << RANGE_SHIFT) as f32 - 1.0) * 0.5) / (255.0 * 255.0);
            (-(d2 * key.range_falloff).min(MAX_RANGE_EXPONENT)).exp()
        }));
        self.row_mix.resize(lw as usize + 2, [0; 3]);
        self.spans.clear();
        self.spans.extend(self.columns.iter().map(|c| (c.footprint, fixed_weight(c.n_lo))));
        self.flat.resize(lw as usize + 1, true);
        self.rgba.clear();
        self.rgba.resize(width as usize * height as usize * 4, 255);
        self.key = Some(key);
    }
}

/// Each output position's two taps along one axis: the pixel centre in low-res texel-centre
/// coordinates `q = (x + 0.5) * low / size - 0.5`, taps floor(q) and floor(q) + 1 clamped to the
/// picture, weights exp(-(tap - q)^2 * falloff) with the unclamped tap positions (as the shader).
fn taps_along(size: u32, low: u32, falloff: f32, out: &mut Vec<Taps>) {
    out.clear();
    out.extend((0..size).map(|x| {
        let q = (x as f32 + 0.5) * low as f32 / size as f32 - 0.5;
        let base = q.floor();
        let clamp = |t: f32| (t.max(0.0) as u32).min(low - 1);
        let (d_lo, d_hi) = (base - q, base + 1.0 - q);
        let (w_lo, w_hi) = ((-d_lo * d_lo * falloff).exp(), (-d_hi * d_hi * falloff).exp());
        Taps {
            lo: clamp(base),
            hi: clamp(base + 1.0),
            footprint: ((base + 1.0).max(0.0) as u32).min(low),
            w_lo,
            w_hi,
            n_lo: w_lo / (w_lo + w_hi),
        }
    }));
}

/// For each footprint k (texels k - 1 and k, clamped, of the two rows): whether every channel of
/// its four texels lies within [`FLAT_SPREAD`] levels.
/// A weight in [0, 1] in 1/256.
fn fixed_weight(w: f32) -> i32 {
    (w * 256.0).round().clamp(0.0, 256.0) as i32
}

/// A colour in [0, 255] (a convex combination of 8-bit values) rounded to 8 bits: adding 1.5 * 2^23
/// leaves round(v) in the low bits of the mantissa (no saturating conversion in the loop).
#[inline]
fn unorm(v: f32) -> u8 {
    (v + 12_582_912.0).to_bits() as u8
}

/// Row `row` of an RGB8 picture `width` texels wide, as texels.
fn texel_row(rgb: &[u8], width: usize, row: usize) -> &[[u8; 3]] {
    bytemuck::cast_slice(&rgb[row * width * 3..(row + 1) * width * 3])
}

fn mark_flat(row_lo: &[[u8; 3]], row_hi: &[[u8; 3]], flat: &mut [bool]) {
    let lw = row_lo.len();
    // per texel column: the two rows' lowest and highest value of each channel
    let column = |i: usize| {
        let (a, b) = (row_lo[i], row_hi[i]);
        ([a[0].min(b[0]), a[1].min(b[1]), a[2].min(b[2])], [a[0].max(b[0]), a[1].max(b[1]), a[2].max(b[2])])
    };
    let mut previous = column(0);
    for (k, slot) in flat.iter_mut().enumerate().take(lw + 1) {
        let current = if k < lw { column(k) } else { previous };
        let (lo, hi) = (&previous, &current);
        *slot = (0..3).all(|c| lo.1[c].max(hi.1[c]) - lo.0[c].min(hi.0[c]) <= FLAT_SPREAD);
        previous = current;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::LowRes;

    /// The shader's formula, pixel by pixel, without the flat shortcut.
    fn reference(frame: LowRes<'_>, bg: LowRes<'_>, guide: LowRes<'_>, sigma_s: f32, sigma_r: f32) -> Vec<u8> {
        let (sf, rf) = (1.0 / (2.0 * sigma_s * sigma_s), 1.0 / (2.0 * sigma_r * sigma_r));
        let texel = |p: &LowRes<'_>, x: i32, y: i32| {
            let (x, y) = (x.clamp(0, p.width as i32 - 1) as usize, y.clamp(0, p.height as i32 - 1) as usize);
            let i = (y * p.width as usize + x) * 3;
            [p.rgb[i] as f32, p.rgb[i + 1] as f32, p.rgb[i + 2] as f32]
        };
        let mut out = Vec::new();
        for y in 0..frame.height as i32 {
            for x in 0..frame.width as i32 {
                let f = texel(&frame, x, y);
                let qx = (x as f32 + 0.5) * bg.width as f32 / frame.width as f32 - 0.5;
                let qy = (y as f32 + 0.5) * bg.height as f32 / frame.height as f32 - 0.5;
                let (bx, by) = (qx.floor(), qy.floor());
                let (mut sum, mut weight) = ([0.0f32; 3], 0.0f32);
                for (tx, ty) in [(bx, by), (bx + 1.0, by), (bx, by + 1.0), (bx + 1.0, by + 1.0)] {
                    let g = texel(&guide, tx as i32, ty as i32);
                    let d2: f32 = (0..3).map(|c| ((g[c] - f[c]) / 255.0).powi(2)).sum();
                    let w = (-((tx - qx).powi(2) + (ty - qy).powi(2)) * sf - (d2 * rf).min(MAX_RANGE_EXPONENT)).exp();
                    let b = texel(&bg, tx as i32, ty as i32);
                    for c in 0..3 {
                        sum[c] += w * b[c];
                    }
                    weight += w;
                }
                out.extend([
                    (sum[0] / weight).round() as u8,
                    (sum[1] / weight).round() as u8,
                    (sum[2] / weight).round() as u8,
                    255,
                ]);
            }
        }
        out
    }

    #[test]
    fn any_sizes_match_the_shaders_formula_within_the_flat_spread() {
        let picture = |w: u32, h: u32, seed: u32| -> Vec<u8> {
            // smooth areas with a few hard edges: both paths are taken
            (0..w * h)
                .flat_map(|i| {
                    let (x, y) = ((i % w) as f32, (i / w) as f32);
                    let edge = if (x * 0.37 + y * 0.61 + seed as f32) % 9.0 < 4.5 { 90.0 } else { 0.0 };
                    [(40.0 + x * 3.0 + edge) as u8, (60.0 + y * 4.0) as u8, (100.0 + edge + seed as f32) as u8]
                })
                .collect()
        };
        let mut up = CpuUpsampler::default();
        // upsampling by uneven ratios, one texel wide, and downsampling
        for ((w, h), (lw, lh)) in [((37, 23), (20, 13)), ((64, 36), (32, 18)), ((9, 5), (1, 1)), ((10, 10), (16, 16))] {
            let (frame, bg, guide) = (picture(w, h, 1), picture(lw, lh, 7), picture(lw, lh, 1));
            let f = LowRes { rgb: &frame, width: w, height: h };
            let (b, g) = (LowRes { rgb: &bg, width: lw, height: lh }, LowRes { rgb: &guide, width: lw, height: lh });
            let got = up.upsample(f, b, Some(g), 0.6, 0.1).to_vec();
            let want = reference(f, b, g, 0.6, 0.1);
            assert_eq!(got.len(), want.len());
            let worst = got.iter().zip(&want).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
            assert!(worst <= FLAT_SPREAD + 1, "{w}x{h} from {lw}x{lh}: {worst} levels from the shader's formula");
        }
    }

    #[test]
    fn unorm_rounds_every_level() {
        for level in 0..=255u8 {
            for offset in [-0.49f32, -0.2, 0.0, 0.2, 0.49] {
                let v = (level as f32 + offset).clamp(0.0, 255.0);
                assert_eq!(unorm(v), level, "{v}");
            }
        }
    }

    #[test]
    fn taps_cover_the_picture_and_weights_follow_the_distance() {
        let mut taps = Vec::new();
        taps_along(1280, 640, 1.0 / (2.0 * 0.36), &mut taps);
        assert_eq!(taps.len(), 1280);
        assert_eq!((taps[0].lo, taps[0].hi, taps[0].footprint), (0, 0, 0));
        assert_eq!((taps[1279].lo, taps[1279].hi, taps[1279].footprint), (639, 639, 640));
        assert_eq!((taps[2].lo, taps[2].hi), (0, 1));
        for t in &taps {
            assert!((t.n_lo - t.w_lo / (t.w_lo + t.w_hi)).abs() < 1e-6 && (0.0..=1.0).contains(&t.n_lo));
        }
        // the even and odd columns of a 2x upscale sit a quarter texel either side of a texel
        assert!((taps[2].n_lo - taps[4].n_lo).abs() < 1e-6 && taps[2].n_lo < 0.5 && taps[3].n_lo > 0.5);
    }

    #[test]
    fn a_flat_background_comes_through_unchanged_and_an_edge_takes_the_frames_side() {
        // a 4x2 background: left half dark, right half light; a guide equal to it; a frame with
        // the edge at the same place, twice the size
        let bg: Vec<u8> = (0..8).flat_map(|i| if i % 4 < 2 { [20u8; 3] } else { [220u8; 3] }).collect();
        let frame: Vec<u8> = (0..32).flat_map(|i| if i % 8 < 4 { [20u8; 3] } else { [220u8; 3] }).collect();
        let low = LowRes { rgb: &bg, width: 4, height: 2 };
        let mut up = CpuUpsampler::default();
        let out = up.upsample(LowRes { rgb: &frame, width: 8, height: 4 }, low, Some(low), 0.6, 0.1).to_vec();
        for (i, px) in out.chunks_exact(4).enumerate() {
            let want = if i % 8 < 4 { 20 } else { 220 };
            assert!((px[0] as i32 - want).abs() <= 1, "pixel {i}: {px:?}, want {want}");
            assert_eq!(px[3], 255);
        }
        assert!(up.last_edge_share() > 0.0 && up.last_edge_share() < 0.5);
    }
}
