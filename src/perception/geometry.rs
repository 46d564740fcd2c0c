//! 2-D geometry shared by every stage: `Affine2` transforms between named coordinate spaces,
//! rotated square regions of interest, and the bilinear warp that fills model input tensors.
//!
//! Coordinates are continuous pixel coordinates with the origin at the top-left CORNER of the
//! top-left pixel (pixel (i, j) covers [i, i+1) x [j, j+1)), in every space. Pure functions; any
//! thread.

/// A 2-D affine map `p' = [a b; d e] p + [c; f]`. Name values after what they map:
/// `frame_from_crop` takes crop coordinates to frame coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine2 {
    pub a: f32,
    pub b: f32,
    pub c: f32,
    pub d: f32,
    pub e: f32,
    pub f: f32,
}

impl Default for Affine2 {
    fn default() -> Self {
        Self::IDENTITY
    }
}

impl Affine2 {
    pub const IDENTITY: Self = Self { a: 1.0, b: 0.0, c: 0.0, d: 0.0, e: 1.0, f: 0.0 };

    #[inline]
    pub fn apply(&self, p: [f32; 2]) -> [f32; 2] {
        [self.a * p[0] + self.b * p[1] + self.c, self.d * p[0] + self.e * p[1] + self.f]
    }

    /// Scale `s` then translate.
    pub fn scale_translate(sx: f32, sy: f32, tx: f32, ty: f32) -> Self {
        Self { a: sx, b: 0.0, c: tx, d: 0.0, e: sy, f: ty }
    }

    pub fn inverse(&self) -> Self {
        let det = self.a * self.e - self.b * self.d;
        let inv = if det.abs() > f32::EPSILON { 1.0 / det } else { 0.0 };
        let (a, b, d, e) = (self.e * inv, -self.b * inv, -self.d * inv, self.a * inv);
        Self { a, b, c: -(a * self.c + b * self.f), d, e, f: -(d * self.c + e * self.f) }
    }

    /// `self ∘ other`: apply `other` first.
    pub fn then_after(&self, other: &Self) -> Self {
        Self {
            a: self.a * other.a + self.b * other.d,
            b: self.a * other.b + self.b * other.e,
            c: self.a * other.c + self.b * other.f + self.c,
            d: self.d * other.a + self.e * other.d,
            e: self.d * other.b + self.e * other.e,
            f: self.d * other.c + self.e * other.f + self.f,
        }
    }
}

/// A rotated square in frame pixels: what the face mesh looks at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RotatedSquare {
    pub center: [f32; 2],
    pub side: f32,
    /// Radians; positive turns the crop clockwise on screen (y points down).
    pub angle: f32,
}

impl RotatedSquare {
    /// The map from a `size` x `size` crop of this square to frame coordinates.
    pub fn frame_from_crop(&self, size: f32) -> Affine2 {
        let (s, c) = self.angle.sin_cos();
        let k = self.side / size;
        let (a, b, d, e) = (c * k, -s * k, s * k, c * k);
        let h = size * 0.5;
        Affine2 { a, b, c: self.center[0] - a * h - b * h, d, e, f: self.center[1] - d * h - e * h }
    }

    /// Axis-aligned bounds in frame pixels (x0, y0, x1, y1).
    pub fn bounds(&self) -> [f32; 4] {
        let (s, c) = self.angle.sin_cos();
        let r = self.side * 0.5 * (c.abs() + s.abs());
        [self.center[0] - r, self.center[1] - r, self.center[0] + r, self.center[1] + r]
    }
}

/// Normalization applied to 0-255 samples when filling a tensor: `v * scale + offset`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalize {
    pub scale: f32,
    pub offset: f32,
}

impl Normalize {
    /// [0, 255] -> [-1, 1]
    pub const SIGNED: Self = Self { scale: 1.0 / 127.5, offset: -1.0 };
    /// [0, 255] -> [0, 1]
    pub const UNIT: Self = Self { scale: 1.0 / 255.0, offset: 0.0 };
}

/// How output pixels are placed on the source when sampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// Pixel centres map to pixel centres (the geometric convention of this module).
    Centers,
    /// Pixel index maps to pixel index, as OpenCV's warpAffine does, and so MediaPipe's CPU
    /// ImageToTensor: what its models' published scores were measured with.
    Indices,
}

/// Fill an NHWC RGB f32 tensor of `out_w` x `out_h` by sampling `rgb` (w x h, RGB8) through
/// `src_from_dst`, bilinear, no anti-aliasing (as MediaPipe's ImageToTensor does). Samples
/// outside the source are black (0) before normalization.
#[allow(clippy::too_many_arguments)]
pub fn warp_to_tensor(
    rgb: &[u8],
    w: u32,
    h: u32,
    src_from_dst: &Affine2,
    sampling: Sampling,
    out_w: usize,
    out_h: usize,
    norm: Normalize,
    out: &mut [f32],
) {
    assert_eq!(out.len(), out_w * out_h * 3, "tensor size");
    let (w, h) = (w as i32, h as i32);
    let stride = w as usize * 3;
    let m = src_from_dst;
    let (dst_offset, src_offset) = match sampling {
        Sampling::Centers => (0.5, -0.5),
        Sampling::Indices => (0.0, 0.0),
    };
    for v in 0..out_h {
        let vy = v as f32 + dst_offset;
        // source sample-grid position of the first pixel of this row
        let mut sx = m.a * dst_offset + m.b * vy + m.c + src_offset;
        let mut sy = m.d * dst_offset + m.e * vy + m.f + src_offset;
        let row = &mut out[v * out_w * 3..(v + 1) * out_w * 3];
        for px in row.chunks_exact_mut(3) {
            let x0f = floor(sx);
            let y0f = floor(sy);
            let (fx, fy) = (sx - x0f, sy - y0f);
            let (x0, y0) = (x0f as i32, y0f as i32);
            let mut acc = [0.0f32; 3];
            if x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h {
                let i = y0 as usize * stride + x0 as usize * 3;
                let (p00, p01) = (&rgb[i..i + 3], &rgb[i + 3..i + 6]);
                let (p10, p11) = (&rgb[i + stride..i + stride + 3], &rgb[i + stride + 3..i + stride + 6]);
                for k in 0..3 {
                    let top = p00[k] as f32 + (p01[k] as f32 - p00[k] as f32) * fx;
                    let bot = p10[k] as f32 + (p11[k] as f32 - p10[k] as f32) * fx;
                    acc[k] = top + (bot - top) * fy;
                }
            } else if x0 >= -1 && y0 >= -1 && x0 < w && y0 < h {
                // border: treat outside samples as black
                let wts = [
                    ((1.0 - fx) * (1.0 - fy), 0, 0),
                    (fx * (1.0 - fy), 1, 0),
                    ((1.0 - fx) * fy, 0, 1),
                    (fx * fy, 1, 1),
                ];
                for (wt, dx, dy) in wts {
                    let (x, y) = (x0 + dx, y0 + dy);
                    if x >= 0 && y >= 0 && x < w && y < h {
                        let i = y as usize * stride + x as usize * 3;
                        for k in 0..3 {
                            acc[k] += wt * rgb[i + k] as f32;
                        }
                    }
                }
            }
            px[0] = acc[0] * norm.scale + norm.offset;
            px[1] = acc[1] * norm.scale + norm.offset;
            px[2] = acc[2] * norm.scale + norm.offset;
            sx += m.a;
            sy += m.d;
        }
    }
}

/// Rounds a sample to a byte (clamped to 0..=255, NaN to 0). `f32::round` is a libm call on the
/// baseline x86-64 target, which made it the hottest symbol of the per-pixel loops.
#[inline]
pub fn to_u8(v: f32) -> u8 {
    (v.max(0.0) + 0.5) as u8
}

/// `f32::floor` without the libm call (same reason as [`to_u8`]); exact for |v| < 2^31.
#[inline]
pub fn floor(v: f32) -> f32 {
    let t = v as i32 as f32;
    if t > v { t - 1.0 } else { t }
}

/// Resample `rgb` (w x h, RGB8) into `out` (out_w x out_h, RGB8) through `src_from_dst`
/// (pixel centres to pixel centres), bilinear; outside the source the nearest edge pixel is used.
#[allow(clippy::too_many_arguments)]
pub fn warp_rgb8(rgb: &[u8], w: u32, h: u32, src_from_dst: &Affine2, out_w: usize, out_h: usize, out: &mut [u8]) {
    assert_eq!(out.len(), out_w * out_h * 3, "output size");
    let m = src_from_dst;
    if (m.a, m.b, m.c, m.d, m.e, m.f) == (2.0, 0.0, 0.0, 0.0, 2.0, 0.0)
        && out_w * 2 <= w as usize
        && out_h * 2 <= h as usize
    {
        // exactly half the size: bilinear at the output's pixel centres is the 2x2 mean, with the
        // same rounding as the general path (to_u8 of the mean = (sum + 2) / 4)
        let stride = w as usize * 3;
        for (v, row) in out.chunks_exact_mut(out_w * 3).enumerate() {
            let (top, bottom) = (&rgb[2 * v * stride..], &rgb[(2 * v + 1) * stride..]);
            for (u, px) in row.chunks_exact_mut(3).enumerate() {
                let i = 6 * u;
                for k in 0..3 {
                    let sum =
                        top[i + k] as u16 + top[i + 3 + k] as u16 + bottom[i + k] as u16 + bottom[i + 3 + k] as u16;
                    px[k] = ((sum + 2) / 4) as u8;
                }
            }
        }
        return;
    }
    warp_rgb8_bilinear(rgb, w, h, m, out_w, out_h, out);
}

/// [`warp_rgb8`]'s general path: bilinear at every output pixel centre.
fn warp_rgb8_bilinear(rgb: &[u8], w: u32, h: u32, m: &Affine2, out_w: usize, out_h: usize, out: &mut [u8]) {
    let (wm, hm) = ((w - 1) as f32, (h - 1) as f32);
    let stride = w as usize * 3;
    for v in 0..out_h {
        let vy = v as f32 + 0.5;
        let mut sx = m.a * 0.5 + m.b * vy + m.c - 0.5;
        let mut sy = m.d * 0.5 + m.e * vy + m.f - 0.5;
        for px in out[v * out_w * 3..(v + 1) * out_w * 3].chunks_exact_mut(3) {
            let (x, y) = (sx.clamp(0.0, wm), sy.clamp(0.0, hm));
            let (x0, y0) = (x as usize, y as usize);
            let (x1, y1) = ((x0 + 1).min(w as usize - 1), (y0 + 1).min(h as usize - 1));
            let (fx, fy) = (x - x0 as f32, y - y0 as f32);
            let (i00, i01, i10, i11) =
                (y0 * stride + x0 * 3, y0 * stride + x1 * 3, y1 * stride + x0 * 3, y1 * stride + x1 * 3);
            for k in 0..3 {
                let top = rgb[i00 + k] as f32 + (rgb[i01 + k] as f32 - rgb[i00 + k] as f32) * fx;
                let bot = rgb[i10 + k] as f32 + (rgb[i11 + k] as f32 - rgb[i10 + k] as f32) * fx;
                px[k] = to_u8(top + (bot - top) * fy);
            }
            sx += m.a;
            sy += m.d;
        }
    }
}

/// Like [`warp_rgb8`] with a Catmull-Rom (bicubic) filter: sharper, for pictures that are
/// resampled twice (the face crop is pasted back onto the frame). `region` is scratch, reused
/// between calls: the part of the picture the output can reach (the output's corners mapped
/// back, plus the filter's reach) is converted into it once as floats, four per pixel (RGB and a padding lane), so each of an output pixel's 16 taps is
/// one 4-wide multiply-add: a 256x256 face crop reads 1,048,576 taps from a region of typically
/// 30,000 pixels.
#[allow(clippy::too_many_arguments)]
pub fn warp_rgb8_cubic(
    region: &mut Vec<[f32; 4]>,
    rgb: &[u8],
    w: u32,
    h: u32,
    src_from_dst: &Affine2,
    out_w: usize,
    out_h: usize,
    out: &mut [u8],
) {
    assert_eq!(out.len(), out_w * out_h * 3, "output size");
    if out_w == 0 || out_h == 0 || w == 0 || h == 0 {
        return;
    }
    #[inline]
    fn weights(t: f32) -> [f32; 4] {
        let (t2, t3) = (t * t, t * t * t);
        [-0.5 * t3 + t2 - 0.5 * t, 1.5 * t3 - 2.5 * t2 + 1.0, -1.5 * t3 + 2.0 * t2 + 0.5 * t, 0.5 * t3 - 0.5 * t2]
    }
    let (wi, hi) = (w as i32, h as i32);
    let m = src_from_dst;
    // the source rectangle every tap falls in: the output's pixel centres map inside the image of
    // its corners; each tap is floor(position) - 1 ..= floor(position) + 2 (one more either side for
    // the rounding of the stepped positions), clamped to the picture
    let corners = [(0.0, 0.0), (out_w as f32, 0.0), (0.0, out_h as f32), (out_w as f32, out_h as f32)];
    let (mut lo, mut hi_) = ([f32::MAX; 2], [f32::MIN; 2]);
    for (u, v) in corners {
        let (sx, sy) = (m.a * u + m.b * v + m.c - 0.5, m.d * u + m.e * v + m.f - 0.5);
        lo = [lo[0].min(sx), lo[1].min(sy)];
        hi_ = [hi_[0].max(sx), hi_[1].max(sy)];
    }
    let clamp_x = |v: f32| (floor(v.clamp(-1e6, 1e6)) as i32).clamp(0, wi - 1);
    let clamp_y = |v: f32| (floor(v.clamp(-1e6, 1e6)) as i32).clamp(0, hi - 1);
    let (rx0, rx1) = (clamp_x(lo[0] - 2.0), clamp_x(hi_[0] + 3.0));
    let (ry0, ry1) = (clamp_y(lo[1] - 2.0), clamp_y(hi_[1] + 3.0));
    let region_w = (rx1 - rx0 + 1) as usize;
    region.clear();
    let stride = w as usize * 3;
    for y in ry0..=ry1 {
        let row = &rgb[y as usize * stride + rx0 as usize * 3..][..region_w * 3];
        region.extend(row.chunks_exact(3).map(|p| [f32::from(p[0]), f32::from(p[1]), f32::from(p[2]), 0.0]));
    }
    let region_stride = region_w;
    for v in 0..out_h {
        let vy = v as f32 + 0.5;
        let mut sx = m.a * 0.5 + m.b * vy + m.c - 0.5;
        let mut sy = m.d * 0.5 + m.e * vy + m.f - 0.5;
        for px in out[v * out_w * 3..(v + 1) * out_w * 3].chunks_exact_mut(3) {
            let (x0, y0) = (floor(sx), floor(sy));
            let (wx, wy) = (weights(sx - x0), weights(sy - y0));
            let (x0, y0) = (x0 as i32, y0 as i32);
            // the 4x4 taps' columns and rows, clamped to the picture (and so to the region) once each
            let xs: [usize; 4] = std::array::from_fn(|i| ((x0 - 1 + i as i32).clamp(rx0, rx1) - rx0) as usize);
            let ys: [usize; 4] =
                std::array::from_fn(|j| ((y0 - 1 + j as i32).clamp(ry0, ry1) - ry0) as usize * region_stride);
            // RGB plus a padding lane: one 4-wide multiply-add per tap
            let mut acc = [0.0f32; 4];
            for (&row, wyj) in ys.iter().zip(wy) {
                let row = &region[row..row + region_stride];
                let mut racc = [0.0f32; 4];
                for (&xx, wxi) in xs.iter().zip(wx) {
                    let t = row[xx];
                    for k in 0..4 {
                        racc[k] += wxi * t[k];
                    }
                }
                for k in 0..4 {
                    acc[k] += wyj * racc[k];
                }
            }
            for k in 0..3 {
                px[k] = to_u8(acc[k]);
            }
            sx += m.a;
            sy += m.d;
        }
    }
}

/// Letterbox a `w` x `h` frame into a `size` x `size` square (aspect kept, centred, zero padding):
/// returns `frame_from_tensor`.
pub fn letterbox(w: u32, h: u32, size: u32) -> Affine2 {
    let s = w.max(h) as f32 / size as f32;
    let (pad_x, pad_y) = ((size as f32 - w as f32 / s) * 0.5, (size as f32 - h as f32 / s) * 0.5);
    Affine2::scale_translate(s, s, -pad_x * s, -pad_y * s)
}

/// Bilinear sample of a single-channel f32 image at continuous coordinates (clamped at edges).
#[inline]
pub fn sample_f32(img: &[f32], w: usize, h: usize, x: f32, y: f32) -> f32 {
    let x = (x - 0.5).clamp(0.0, (w - 1) as f32);
    let y = (y - 0.5).clamp(0.0, (h - 1) as f32);
    let (x0, y0) = (x as usize, y as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let top = img[y0 * w + x0] + (img[y0 * w + x1] - img[y0 * w + x0]) * fx;
    let bot = img[y1 * w + x0] + (img[y1 * w + x1] - img[y1 * w + x0]) * fx;
    top + (bot - top) * fy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cubic_warp_inside_and_across_the_border_matches_the_clamped_4x4_sum() {
        // a rotated, scaled window half outside a 40x30 picture: inside and across the border the
        // warp equals the plain clamped 4x4 Catmull-Rom sum
        let (w, h) = (40u32, 30u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 37 % 251) as u8).collect();
        let (c, s) = (0.3f32.cos() * 0.9, 0.3f32.sin() * 0.9);
        let m = Affine2 { a: c, b: -s, c: 20.0, d: s, e: c, f: -4.0 };
        let (ow, oh) = (32usize, 32usize);
        let mut out = vec![0u8; ow * oh * 3];
        warp_rgb8_cubic(&mut Vec::new(), &rgb, w, h, &m, ow, oh, &mut out);
        let weight = |t: f32| -> [f32; 4] {
            let (t2, t3) = (t * t, t * t * t);
            [-0.5 * t3 + t2 - 0.5 * t, 1.5 * t3 - 2.5 * t2 + 1.0, -1.5 * t3 + 2.0 * t2 + 0.5 * t, 0.5 * t3 - 0.5 * t2]
        };
        let (mut inside, mut border) = (0, 0);
        for v in 0..oh {
            for u in 0..ow {
                let (px, py) = (u as f32 + 0.5, v as f32 + 0.5);
                let (sx, sy) = (m.a * px + m.b * py + m.c - 0.5, m.d * px + m.e * py + m.f - 0.5);
                let (x0, y0) = (sx.floor(), sy.floor());
                let (wx, wy) = (weight(sx - x0), weight(sy - y0));
                let (x0, y0) = (x0 as i32, y0 as i32);
                if x0 >= 1 && y0 >= 1 && x0 + 2 < w as i32 && y0 + 2 < h as i32 {
                    inside += 1;
                } else {
                    border += 1;
                }
                for k in 0..3 {
                    let mut acc = 0.0f32;
                    for (j, wyj) in wy.iter().enumerate() {
                        let yy = (y0 - 1 + j as i32).clamp(0, h as i32 - 1) as usize;
                        for (i, wxi) in wx.iter().enumerate() {
                            let xx = (x0 - 1 + i as i32).clamp(0, w as i32 - 1) as usize;
                            acc += wyj * wxi * rgb[(yy * w as usize + xx) * 3 + k] as f32;
                        }
                    }
                    let got = out[(v * ow + u) * 3 + k] as f32;
                    assert!((got - acc.clamp(0.0, 255.0)).abs() <= 1.0, "pixel ({u}, {v}) channel {k}: {got} vs {acc}");
                }
            }
        }
        assert!(inside > 100 && border > 100, "both cases seen: {inside} inside, {border} across the border");
    }

    #[test]
    fn halving_takes_the_fast_path_with_the_same_bytes() {
        let (w, h) = (38u32, 22u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        let m = Affine2::scale_translate(2.0, 2.0, 0.0, 0.0);
        let (ow, oh) = (19, 11);
        let (mut fast, mut general) = (vec![0u8; ow * oh * 3], vec![0u8; ow * oh * 3]);
        warp_rgb8(&rgb, w, h, &m, ow, oh, &mut fast);
        warp_rgb8_bilinear(&rgb, w, h, &m, ow, oh, &mut general);
        assert_eq!(fast, general);
        // odd source sizes keep the last row / column out, as the general path does
        let mut odd = vec![0u8; ow * oh * 3];
        let rgb_odd: Vec<u8> = (0..39 * 23 * 3).map(|i| (i * 7 % 251) as u8).collect();
        warp_rgb8(&rgb_odd, 39, 23, &m, ow, oh, &mut odd);
        warp_rgb8_bilinear(&rgb_odd, 39, 23, &m, ow, oh, &mut general);
        assert_eq!(odd, general);
    }

    #[test]
    fn inverse_round_trips() {
        let sq = RotatedSquare { center: [300.0, 200.0], side: 150.0, angle: 0.3 };
        let m = sq.frame_from_crop(192.0);
        let p = m.apply([10.0, 150.0]);
        let q = m.inverse().apply(p);
        assert!((q[0] - 10.0).abs() < 1e-3 && (q[1] - 150.0).abs() < 1e-3);
        // crop centre maps to the square's centre
        let c = m.apply([96.0, 96.0]);
        assert!((c[0] - 300.0).abs() < 1e-3 && (c[1] - 200.0).abs() < 1e-3);
    }

    #[test]
    fn identity_warp_copies_pixels() {
        let (w, h) = (8u32, 6u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 5 % 256) as u8).collect();
        let mut out = vec![0.0; (w * h * 3) as usize];
        for sampling in [Sampling::Centers, Sampling::Indices] {
            warp_to_tensor(
                &rgb,
                w,
                h,
                &Affine2::IDENTITY,
                sampling,
                w as usize,
                h as usize,
                Normalize { scale: 1.0, offset: 0.0 },
                &mut out,
            );
            for (a, b) in rgb.iter().zip(&out) {
                assert!((*a as f32 - b).abs() < 1e-3, "{sampling:?}");
            }
        }
    }

    #[test]
    fn letterbox_centres_wide_frames() {
        let m = letterbox(1280, 720, 192);
        // tensor centre maps to frame centre; tensor top edge of the picture maps to y = 0
        let c = m.apply([96.0, 96.0]);
        assert!((c[0] - 640.0).abs() < 1e-3 && (c[1] - 360.0).abs() < 1e-3);
        let top = m.inverse().apply([0.0, 0.0]);
        assert!((top[1] - (192.0 - 108.0) / 2.0).abs() < 1e-3);
    }
}
