//! Face alignment: a similarity transform that puts every face into a square crop of FIXED size
//! (so near and far faces meet the face model at the scale its style was tuned for), and the
//! feathered face-and-hair mask that pastes the stylized crop back without a seam.
//!
//! In: 478 landmarks in frame pixels, the person mask. Out: [`FaceAlignment`] (crop <-> frame
//! transforms) and an alpha mask at crop resolution. Pure functions on reused buffers; the
//! stylize worker thread.

use crate::perception::geometry::Affine2;
use crate::perception::mesh::idx;
use crate::perception::segment::Mask;

/// Side of the aligned face crop in pixels.
pub const FACE_CROP: u32 = 256;

/// Where the crop sits on the frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceAlignment {
    pub crop_from_frame: Affine2,
    pub frame_from_crop: Affine2,
    /// Side of the crop in frame pixels.
    pub side_px: f32,
}

fn mid(a: [f32; 3], b: [f32; 3]) -> [f32; 2] {
    [(a[0] + b[0]) * 0.5, (a[1] + b[1]) * 0.5]
}

/// The FFHQ-style alignment (Karras et al.): the eye line and the eye-to-mouth direction set
/// the rotation, the larger of 2x the eye distance and 1.8x the eye-to-mouth distance sets the
/// scale; the crop (twice that) holds face, hair and a little neck.
pub fn align(landmarks: &[[f32; 3]], size: u32) -> FaceAlignment {
    let p = landmarks;
    // eye centres from the eye corners (robust when irises are not refined)
    let eye_l_img = mid(p[idx::RIGHT_EYE_OUTER], p[idx::RIGHT_EYE_INNER]);
    let eye_r_img = mid(p[idx::LEFT_EYE_INNER], p[idx::LEFT_EYE_OUTER]);
    let mouth = mid(p[61], p[291]);
    let eye_avg = [(eye_l_img[0] + eye_r_img[0]) * 0.5, (eye_l_img[1] + eye_r_img[1]) * 0.5];
    let e2e = [eye_r_img[0] - eye_l_img[0], eye_r_img[1] - eye_l_img[1]];
    let e2m = [mouth[0] - eye_avg[0], mouth[1] - eye_avg[1]];
    // x axis: eye line combined with the perpendicular of the eye-to-mouth direction
    let mut x = [e2e[0] + e2m[1], e2e[1] - e2m[0]];
    let len = (x[0] * x[0] + x[1] * x[1]).sqrt().max(1e-3);
    let half = (2.0 * (e2e[0].hypot(e2e[1]))).max(1.8 * e2m[0].hypot(e2m[1])).max(4.0);
    x = [x[0] / len * half, x[1] / len * half];
    let y = [-x[1], x[0]];
    let c = [eye_avg[0] + e2m[0] * 0.1, eye_avg[1] + e2m[1] * 0.1];
    // crop (u, v) in [0, size] -> frame: c + (u/size*2-1) * x + (v/size*2-1) * y
    let k = 2.0 / size as f32;
    let frame_from_crop =
        Affine2 { a: x[0] * k, b: y[0] * k, c: c[0] - x[0] - y[0], d: x[1] * k, e: y[1] * k, f: c[1] - x[1] - y[1] };
    FaceAlignment { crop_from_frame: frame_from_crop.inverse(), frame_from_crop, side_px: 2.0 * half }
}

/// Builds face-and-hair masks; owns its scratch buffers.
#[derive(Debug, Default)]
pub struct FaceMasker {
    poly: Vec<[f32; 2]>,
    xs: Vec<f32>,
    scratch: Vec<f32>,
}

impl FaceMasker {
    /// Alpha (0-255) at crop resolution: the face oval (slightly grown), plus hair (the person
    /// mask inside a head-shaped ellipse above the jaw), feathered by `feather` crop pixels.
    pub fn mask(
        &mut self,
        landmarks: &[[f32; 3]],
        align: &FaceAlignment,
        person: Option<(&Mask, u32, u32)>,
        size: u32,
        feather: f32,
        out: &mut Vec<u8>,
    ) {
        let n = size as usize;
        let m = &align.crop_from_frame;
        self.poly.clear();
        self.poly.extend(idx::FACE_OVAL.iter().map(|&i| m.apply([landmarks[i][0], landmarks[i][1]])));
        let (mut cx, mut cy) = (0.0, 0.0);
        for q in &self.poly {
            cx += q[0];
            cy += q[1];
        }
        cx /= self.poly.len() as f32;
        cy /= self.poly.len() as f32;
        // grow the oval a little so the stylized jaw line and cheeks (and the toned skin up to
        // the oval, src/stylize/face_tones.rs) are inside the layer at full opacity
        for q in &mut self.poly {
            q[0] = cx + (q[0] - cx) * 1.1;
            q[1] = cy + (q[1] - cy) * 1.1;
        }
        let (mut minx, mut maxx, mut miny, mut maxy) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for q in &self.poly {
            minx = minx.min(q[0]);
            maxx = maxx.max(q[0]);
            miny = miny.min(q[1]);
            maxy = maxy.max(q[1]);
        }
        let chin = m.apply([landmarks[idx::CHIN][0], landmarks[idx::CHIN][1]]);
        let (face_w, face_h) = (maxx - minx, maxy - miny);
        // head ellipse for hair: wider than the face, reaching well above the forehead
        let (hx, hy, rx, ry) = (cx, cy - 0.18 * face_h, 0.85 * face_w, 0.85 * face_h);

        self.scratch.clear();
        self.scratch.resize(n * n, 0.0);
        // scanline fill of the face oval
        for row in 0..n {
            let y = row as f32 + 0.5;
            self.xs.clear();
            let k = self.poly.len();
            for i in 0..k {
                let (a, b) = (self.poly[i], self.poly[(i + 1) % k]);
                if (a[1] > y) != (b[1] > y) {
                    self.xs.push(a[0] + (y - a[1]) / (b[1] - a[1]) * (b[0] - a[0]));
                }
            }
            self.xs.sort_by(f32::total_cmp);
            for pair in self.xs.chunks_exact(2) {
                let (x0, x1) = (
                    (pair[0] - 0.5).ceil().max(0.0) as usize,
                    ((pair[1] - 0.5).floor() + 1.0).clamp(0.0, n as f32) as usize,
                );
                for v in &mut self.scratch[row * n + x0.min(n)..row * n + x1.max(x0.min(n))] {
                    *v = 1.0;
                }
            }
        }
        // hair: person mask inside the head ellipse, above the chin
        if let Some((mask, fw, fh)) = person {
            let f = &align.frame_from_crop;
            for row in 0..n {
                let y = row as f32 + 0.5;
                if y > chin[1] {
                    break;
                }
                for col in 0..n {
                    let x = col as f32 + 0.5;
                    let e = ((x - hx) / rx).powi(2) + ((y - hy) / ry).powi(2);
                    if e > 1.0 {
                        continue;
                    }
                    let fp = f.apply([x, y]);
                    let p = mask.at_frame(fp[0], fp[1], fw, fh);
                    let v = &mut self.scratch[row * n + col];
                    *v = v.max(((p - 0.3) / 0.4).clamp(0.0, 1.0));
                }
            }
        }
        let r = (feather * 0.5).round().max(1.0) as usize;
        box_blur(&mut self.scratch, n, r, &mut self.xs);
        box_blur(&mut self.scratch, n, r, &mut self.xs);
        out.clear();
        out.extend(self.scratch.iter().map(|v| crate::perception::geometry::to_u8(v * 255.0)));
    }
}

/// Separable box blur of radius `r` on an `n` x `n` image, in place.
fn box_blur(img: &mut [f32], n: usize, r: usize, line: &mut Vec<f32>) {
    let norm = 1.0 / (2 * r + 1) as f32;
    line.resize(n, 0.0);
    // rows
    for row in 0..n {
        let s = &mut img[row * n..(row + 1) * n];
        line.copy_from_slice(s);
        blur_line(line, s, n, r, norm);
    }
    // columns
    for col in 0..n {
        for (i, v) in line.iter_mut().enumerate() {
            *v = img[i * n + col];
        }
        let mut acc = 0.0;
        let get = |i: isize| line[i.clamp(0, n as isize - 1) as usize];
        for i in -(r as isize)..=(r as isize) {
            acc += get(i);
        }
        for i in 0..n {
            img[i * n + col] = acc * norm;
            acc += get(i as isize + r as isize + 1) - get(i as isize - r as isize);
        }
    }
}

fn blur_line(src: &[f32], dst: &mut [f32], n: usize, r: usize, norm: f32) {
    let get = |i: isize| src[i.clamp(0, n as isize - 1) as usize];
    let mut acc = 0.0;
    for i in -(r as isize)..=(r as isize) {
        acc += get(i);
    }
    for (i, d) in dst.iter_mut().enumerate().take(n) {
        *d = acc * norm;
        acc += get(i as isize + r as isize + 1) - get(i as isize - r as isize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_landmarks(cx: f32, cy: f32, s: f32, angle: f32) -> Vec<[f32; 3]> {
        // a face whose eyes are at (+-0.3 s, 0) and mouth at (0, 0.5 s) around (cx, cy), rotated
        let mut p = vec![[cx, cy, 0.0]; 478];
        let (sn, cs) = angle.sin_cos();
        let mut put = |i: usize, x: f32, y: f32| p[i] = [cx + cs * x - sn * y, cy + sn * x + cs * y, 0.0];
        put(idx::RIGHT_EYE_OUTER, -0.4 * s, 0.0);
        put(idx::RIGHT_EYE_INNER, -0.2 * s, 0.0);
        put(idx::LEFT_EYE_INNER, 0.2 * s, 0.0);
        put(idx::LEFT_EYE_OUTER, 0.4 * s, 0.0);
        put(61, -0.2 * s, 0.5 * s);
        put(291, 0.2 * s, 0.5 * s);
        p
    }

    #[test]
    fn alignment_levels_the_eyes_and_is_scale_invariant() {
        for (s, angle) in [(50.0, 0.0), (200.0, 0.3), (120.0, -0.25)] {
            let p = fake_landmarks(400.0, 300.0, s, angle);
            let a = align(&p, FACE_CROP);
            let l = a.crop_from_frame.apply(mid(p[idx::RIGHT_EYE_OUTER], p[idx::RIGHT_EYE_INNER]));
            let r = a.crop_from_frame.apply(mid(p[idx::LEFT_EYE_INNER], p[idx::LEFT_EYE_OUTER]));
            assert!((l[1] - r[1]).abs() < 0.5, "eyes level: {l:?} {r:?}");
            // the same face at any size lands at the same crop coordinates
            assert!((r[0] - l[0] - 64.0).abs() < 1.0, "eye distance in crop {}", r[0] - l[0]);
            assert!((l[0] + r[0] - 256.0).abs() < 1.0, "centred");
        }
    }
}
