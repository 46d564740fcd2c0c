//! The recognizer's face crop: a similarity transform (rotation, uniform scale, shift) from a
//! face's eye centres and mouth to a fixed square crop, as face recognition aligns faces before
//! describing them, and the crop cut through it from any picture of the same size.
//!
//! In: 478 landmarks in picture pixels (from [`crate::perception`]), an RGB8 picture. Out:
//! [`RecognizerCrop`] (crop <-> picture transforms) and the RGB8 crop. The same alignment cuts
//! the original and the stylized picture, so both crops show the same region. Pure functions on
//! caller-owned buffers; any thread.

use crate::perception::geometry::{Affine2, warp_rgb8};
use crate::perception::mesh::{LANDMARKS, idx};

/// Where the recognizer's crop sits on the picture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecognizerCrop {
    /// Crop pixels (0..size) to picture pixels.
    pub picture_from_crop: Affine2,
    /// Side of the crop in picture pixels.
    pub side_px: f32,
    /// Side of the crop in crop pixels (the model's input size).
    pub size: u32,
}

/// Half the crop side in units of the face's scale (the larger of twice the eye distance and
/// 1.8 times the eye-to-mouth distance, as FFHQ measures it). 0.8 gives a frontal face the crop
/// face recognizers use (ArcFace's 112 px template in proportion): the eye distance 0.31 of the
/// side, the eyes at 0.47 of the height, the mouth near 0.78, brows to chin with little hair or
/// background, so the score is about the face. Checked on the test photos (tests/likeness.rs):
/// the same face after JPEG or blur scores far above any two people.
const HALF_SIDE_PER_SCALE: f32 = 0.8;

fn mid(a: [f32; 3], b: [f32; 3]) -> [f32; 2] {
    [(a[0] + b[0]) * 0.5, (a[1] + b[1]) * 0.5]
}

impl RecognizerCrop {
    /// The crop of a face from its landmarks; `None` when there are not 478 finite points or
    /// the face has no extent (eyes and mouth on one spot).
    pub fn from_landmarks(landmarks: &[[f32; 3]], size: u32) -> Option<Self> {
        if landmarks.len() < LANDMARKS || landmarks.iter().any(|p| !p.iter().all(|v| v.is_finite())) {
            return None;
        }
        let p = landmarks;
        // eye centres from the eye corners (they do not move with the gaze, the irises do)
        let eye_img_left = mid(p[idx::RIGHT_EYE_OUTER], p[idx::RIGHT_EYE_INNER]);
        let eye_img_right = mid(p[idx::LEFT_EYE_INNER], p[idx::LEFT_EYE_OUTER]);
        let mouth = mid(p[61], p[291]);
        let eyes = [(eye_img_left[0] + eye_img_right[0]) * 0.5, (eye_img_left[1] + eye_img_right[1]) * 0.5];
        let e2e = [eye_img_right[0] - eye_img_left[0], eye_img_right[1] - eye_img_left[1]];
        let e2m = [mouth[0] - eyes[0], mouth[1] - eyes[1]];
        // x axis: the eye line combined with the perpendicular of the eye-to-mouth direction,
        // so a face turned toward profile (short eye line) still gets its roll right
        let x_dir = [e2e[0] + e2m[1], e2e[1] - e2m[0]];
        let len = x_dir[0].hypot(x_dir[1]);
        let scale = (2.0 * e2e[0].hypot(e2e[1])).max(1.8 * e2m[0].hypot(e2m[1]));
        if len < 1e-3 || scale < 2.0 {
            return None;
        }
        let half = HALF_SIDE_PER_SCALE * scale;
        let x = [x_dir[0] / len * half, x_dir[1] / len * half];
        let y = [-x[1], x[0]];
        let c = [eyes[0] + e2m[0] * 0.1, eyes[1] + e2m[1] * 0.1];
        // crop (u, v) in [0, size] -> picture: c + (u / size * 2 - 1) x + (v / size * 2 - 1) y
        let k = 2.0 / size as f32;
        let picture_from_crop = Affine2 {
            a: x[0] * k,
            b: y[0] * k,
            c: c[0] - x[0] - y[0],
            d: x[1] * k,
            e: y[1] * k,
            f: c[1] - x[1] - y[1],
        };
        Some(Self { picture_from_crop, side_px: 2.0 * half, size })
    }

    /// Cut the crop (`size` x `size`, RGB8) out of `rgb` (`w` x `h`, RGB8) into `out`. A crop
    /// that shrinks the face is sampled at up to 4x4 points per pixel and averaged, so a large
    /// face is not aliased; outside the picture the nearest edge pixel is repeated. `scratch`
    /// holds the supersampled crop.
    pub fn cut(&self, rgb: &[u8], w: u32, h: u32, out: &mut Vec<u8>, scratch: &mut Vec<u8>) {
        let n = self.size as usize;
        out.resize(n * n * 3, 0);
        let factor = (self.side_px / self.size as f32).ceil().clamp(1.0, 4.0) as usize;
        if factor == 1 {
            warp_rgb8(rgb, w, h, &self.picture_from_crop, n, n, out);
            return;
        }
        let big = n * factor;
        scratch.resize(big * big * 3, 0);
        let s = 1.0 / factor as f32;
        let picture_from_big = self.picture_from_crop.then_after(&Affine2::scale_translate(s, s, 0.0, 0.0));
        warp_rgb8(rgb, w, h, &picture_from_big, big, big, scratch);
        let area = (factor * factor) as u32;
        for (v, row) in out.chunks_exact_mut(n * 3).enumerate() {
            for (u, px) in row.chunks_exact_mut(3).enumerate() {
                let mut acc = [0u32; 3];
                for dy in 0..factor {
                    let start = ((v * factor + dy) * big + u * factor) * 3;
                    for sample in scratch[start..start + factor * 3].chunks_exact(3) {
                        acc[0] += u32::from(sample[0]);
                        acc[1] += u32::from(sample[1]);
                        acc[2] += u32::from(sample[2]);
                    }
                }
                for k in 0..3 {
                    px[k] = ((acc[k] + area / 2) / area) as u8;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 478 points with the eyes and mouth of an upright face: eye corners at y = 100, mouth at
    /// y = 160, eye centres 60 apart around x = 200.
    fn upright_face(shift: [f32; 2], angle: f32) -> Vec<[f32; 3]> {
        let mut p = vec![[200.0, 130.0, 0.0]; LANDMARKS];
        let set = |p: &mut Vec<[f32; 3]>, i: usize, x: f32, y: f32| p[i] = [x, y, 0.0];
        set(&mut p, idx::RIGHT_EYE_OUTER, 155.0, 100.0);
        set(&mut p, idx::RIGHT_EYE_INNER, 185.0, 100.0);
        set(&mut p, idx::LEFT_EYE_INNER, 215.0, 100.0);
        set(&mut p, idx::LEFT_EYE_OUTER, 245.0, 100.0);
        set(&mut p, 61, 180.0, 160.0);
        set(&mut p, 291, 220.0, 160.0);
        let (s, c) = angle.sin_cos();
        for q in &mut p {
            let (x, y) = (q[0] - 200.0, q[1] - 130.0);
            *q = [200.0 + c * x - s * y + shift[0], 130.0 + s * x + c * y + shift[1], 0.0];
        }
        p
    }

    #[test]
    fn eyes_land_level_and_symmetric_whatever_the_roll() {
        for angle in [0.0f32, 0.4, -0.7] {
            let face = upright_face([30.0, -10.0], angle);
            let crop = RecognizerCrop::from_landmarks(&face, 224).unwrap();
            let to_crop = crop.picture_from_crop.inverse();
            let eye_l = to_crop.apply(mid(face[idx::RIGHT_EYE_OUTER], face[idx::RIGHT_EYE_INNER]));
            let eye_r = to_crop.apply(mid(face[idx::LEFT_EYE_INNER], face[idx::LEFT_EYE_OUTER]));
            assert!((eye_l[1] - eye_r[1]).abs() < 0.01, "eyes level at roll {angle}: {eye_l:?} {eye_r:?}");
            assert!((eye_l[0] + eye_r[0] - 224.0).abs() < 0.01, "eyes symmetric: {eye_l:?} {eye_r:?}");
            // scale: max(2 * 60, 1.8 * 60) = 120, half side 0.8 * 120 = 96 -> eye distance 60 of 192 px
            let eye_dist = (eye_r[0] - eye_l[0]) / 224.0 * 192.0;
            assert!((eye_dist - 60.0).abs() < 0.01, "{eye_dist}");
        }
    }

    #[test]
    fn degenerate_or_short_landmarks_give_no_crop() {
        assert!(RecognizerCrop::from_landmarks(&[[1.0, 1.0, 0.0]; 10], 224).is_none());
        assert!(RecognizerCrop::from_landmarks(&vec![[5.0, 5.0, 0.0]; LANDMARKS], 224).is_none());
        let mut nan = upright_face([0.0, 0.0], 0.0);
        nan[7][0] = f32::NAN;
        assert!(RecognizerCrop::from_landmarks(&nan, 224).is_none());
    }

    #[test]
    fn supersampled_cut_of_a_flat_picture_stays_flat() {
        // a large face (crop side 768 px for a 224 crop) takes the 4x path; a flat colour must
        // come out the same, and a smaller face (side 192) the direct path
        for scale in [4.0f32, 1.0] {
            let face: Vec<[f32; 3]> =
                upright_face([0.0, 0.0], 0.0).iter().map(|p| [p[0] * scale, p[1] * scale, 0.0]).collect();
            let (w, h) = (1000u32 * scale as u32, 700u32 * scale as u32);
            let rgb: Vec<u8> = [40u8, 120, 200].iter().copied().cycle().take((w * h * 3) as usize).collect();
            let crop = RecognizerCrop::from_landmarks(&face, 224).unwrap();
            let (mut out, mut scratch) = (Vec::new(), Vec::new());
            crop.cut(&rgb, w, h, &mut out, &mut scratch);
            assert_eq!(out.len(), 224 * 224 * 3);
            assert!(out.chunks_exact(3).all(|px| px == [40, 120, 200]), "scale {scale}");
        }
    }
}
