//! Face detection: BlazeFace full-range (MediaPipe) on the whole frame.
//!
//! In: an RGB frame. Out: [`FaceDetection`]s in frame pixels (box, score, six keypoints), after
//! MediaPipe's anchor decoding, weighted non-maximum suppression and letterbox undo. Runs on the
//! perception worker thread; the input tensor and candidate lists are reused between frames.

use super::geometry::{Affine2, Normalize, Sampling, letterbox, warp_to_tensor};
use super::runtime::{ModelSession, RuntimeError, output};

/// Input side of the full-range model.
pub const INPUT_SIZE: u32 = 192;
/// One anchor per cell of the 48x48 grid (stride 4).
const GRID: usize = 48;
/// MediaPipe's score threshold for the full-range model.
pub const MIN_SCORE: f32 = 0.6;
/// Overlap above which detections are merged.
const NMS_IOU: f32 = 0.3;

pub const OUTPUT_BOXES: &str = "reshaped_regressor_face_4";
pub const OUTPUT_SCORES: &str = "reshaped_classifier_face_4";

/// Keypoint order of BlazeFace: the subject's right eye, left eye, nose tip, mouth centre, right
/// ear tragion, left ear tragion. "Right" is the subject's right (image left when not mirrored).
pub mod keypoint {
    pub const RIGHT_EYE: usize = 0;
    pub const LEFT_EYE: usize = 1;
    pub const NOSE: usize = 2;
    pub const MOUTH: usize = 3;
}

/// One face found in a frame, in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FaceDetection {
    pub score: f32,
    /// x0, y0, x1, y1
    pub box_px: [f32; 4],
    pub keypoints_px: [[f32; 2]; 6],
}

impl FaceDetection {
    pub fn center(&self) -> [f32; 2] {
        [(self.box_px[0] + self.box_px[2]) * 0.5, (self.box_px[1] + self.box_px[3]) * 0.5]
    }
}

/// Candidate in tensor-normalized units: cx, cy, w, h, 6 keypoints (x, y).
#[derive(Clone, Copy)]
struct Candidate {
    score: f32,
    v: [f32; 16],
}

pub struct FaceDetector {
    session: ModelSession,
    input: Vec<f32>,
    candidates: Vec<Candidate>,
    merged: Vec<Candidate>,
}

impl FaceDetector {
    pub fn new(session: ModelSession) -> Self {
        Self {
            session,
            input: vec![0.0; (INPUT_SIZE * INPUT_SIZE * 3) as usize],
            candidates: Vec::with_capacity(64),
            merged: Vec::with_capacity(16),
        }
    }

    pub fn session(&self) -> &ModelSession {
        &self.session
    }

    /// Detect faces on the whole frame (letterboxed) at MediaPipe's threshold; results replace the
    /// contents of `out`.
    pub fn detect(&mut self, rgb: &[u8], w: u32, h: u32, out: &mut Vec<FaceDetection>) -> Result<(), RuntimeError> {
        out.clear();
        self.detect_window(rgb, w, h, &letterbox(w, h, INPUT_SIZE), MIN_SCORE, out)
    }

    /// Detect faces in any square window of the frame (a tile, a zoomed or rotated view):
    /// `frame_from_tensor` maps the 192 x 192 input to frame pixels. Detections with a score of at
    /// least `min_score` are APPENDED to `out`, in frame pixels (for a rotated window the box is
    /// the axis-aligned square of the same size around the detection's centre; the keypoints are
    /// exact).
    pub fn detect_window(
        &mut self,
        rgb: &[u8],
        w: u32,
        h: u32,
        frame_from_tensor: &Affine2,
        min_score: f32,
        out: &mut Vec<FaceDetection>,
    ) -> Result<(), RuntimeError> {
        let frame_from_tensor = *frame_from_tensor;
        let s = INPUT_SIZE as usize;
        warp_to_tensor(rgb, w, h, &frame_from_tensor, Sampling::Indices, s, s, Normalize::SIGNED, &mut self.input);
        let candidates = &mut self.candidates;
        candidates.clear();
        self.session.run_f32(&[1, s, s, 3], &self.input, |outs| {
            let reg = output(outs, OUTPUT_BOXES)?;
            let cls = output(outs, OUTPUT_SCORES)?;
            if reg.len() != GRID * GRID * 16 || cls.len() != GRID * GRID {
                return Err(format!("unexpected output sizes {} / {}", reg.len(), cls.len()));
            }
            decode(reg, cls, min_score, candidates);
            Ok(())
        })?;
        weighted_nms(&mut self.candidates, &mut self.merged);
        out.extend(self.merged.iter().map(|c| to_frame(c, &frame_from_tensor)));
        Ok(())
    }
}

fn decode(reg: &[f32], cls: &[f32], min_score: f32, out: &mut Vec<Candidate>) {
    let size = INPUT_SIZE as f32;
    // logit threshold equivalent to `min_score`, so the sigmoid runs only on survivors
    let min_score = min_score.clamp(1e-4, 1.0 - 1e-4);
    let min_logit = (min_score / (1.0 - min_score)).ln();
    for (i, &logit) in cls.iter().enumerate() {
        if logit < min_logit {
            continue;
        }
        let score = 1.0 / (1.0 + (-logit.clamp(-100.0, 100.0)).exp());
        let ax = ((i % GRID) as f32 + 0.5) / GRID as f32;
        let ay = ((i / GRID) as f32 + 0.5) / GRID as f32;
        let r = &reg[i * 16..i * 16 + 16];
        let mut v = [0.0f32; 16];
        v[0] = r[0] / size + ax;
        v[1] = r[1] / size + ay;
        v[2] = r[2] / size;
        v[3] = r[3] / size;
        for k in 0..6 {
            v[4 + 2 * k] = r[4 + 2 * k] / size + ax;
            v[5 + 2 * k] = r[5 + 2 * k] / size + ay;
        }
        out.push(Candidate { score, v });
    }
}

fn iou(a: &[f32; 16], b: &[f32; 16]) -> f32 {
    let (ax0, ay0, ax1, ay1) = (a[0] - a[2] * 0.5, a[1] - a[3] * 0.5, a[0] + a[2] * 0.5, a[1] + a[3] * 0.5);
    let (bx0, by0, bx1, by1) = (b[0] - b[2] * 0.5, b[1] - b[3] * 0.5, b[0] + b[2] * 0.5, b[1] + b[3] * 0.5);
    let iw = (ax1.min(bx1) - ax0.max(bx0)).max(0.0);
    let ih = (ay1.min(by1) - ay0.max(by0)).max(0.0);
    let inter = iw * ih;
    let union = a[2] * a[3] + b[2] * b[3] - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

/// MediaPipe's WEIGHTED non-maximum suppression: each cluster around the best remaining
/// candidate becomes the score-weighted mean of its members, with the best member's score.
fn weighted_nms(cands: &mut Vec<Candidate>, out: &mut Vec<Candidate>) {
    out.clear();
    cands.sort_by(|a, b| b.score.total_cmp(&a.score));
    while let Some(best) = cands.first().copied() {
        let mut sum = [0.0f32; 16];
        let mut wsum = 0.0;
        cands.retain(|c| {
            if iou(&best.v, &c.v) > NMS_IOU {
                for (s, x) in sum.iter_mut().zip(&c.v) {
                    *s += x * c.score;
                }
                wsum += c.score;
                false
            } else {
                true
            }
        });
        for s in &mut sum {
            *s /= wsum;
        }
        out.push(Candidate { score: best.score, v: sum });
    }
}

fn to_frame(c: &Candidate, frame_from_tensor: &Affine2) -> FaceDetection {
    let size = INPUT_SIZE as f32;
    let p = |x: f32, y: f32| frame_from_tensor.apply([x * size, y * size]);
    let v = &c.v;
    // the window may be rotated: map the centre, scale the size (for an axis-aligned window this
    // is exactly the mapped corners)
    let m = frame_from_tensor;
    let k = (m.a * m.e - m.b * m.d).abs().sqrt() * size;
    let ctr = p(v[0], v[1]);
    let (hw, hh) = (v[2] * k * 0.5, v[3] * k * 0.5);
    let (tl, br) = ([ctr[0] - hw, ctr[1] - hh], [ctr[0] + hw, ctr[1] + hh]);
    let mut keypoints_px = [[0.0; 2]; 6];
    for (k, kp) in keypoints_px.iter_mut().enumerate() {
        *kp = p(v[4 + 2 * k], v[5 + 2 * k]);
    }
    FaceDetection { score: c.score, box_px: [tl[0], tl[1], br[0], br[1]], keypoints_px }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(score: f32, cx: f32) -> Candidate {
        let mut v = [0.0; 16];
        v[0] = cx;
        v[1] = 0.5;
        v[2] = 0.2;
        v[3] = 0.2;
        Candidate { score, v }
    }

    #[test]
    fn weighted_nms_merges_overlaps_and_keeps_separate_faces() {
        let mut c = vec![cand(0.9, 0.30), cand(0.6, 0.32), cand(0.8, 0.70)];
        let mut out = Vec::new();
        weighted_nms(&mut c, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].score, 0.9);
        let expected = (0.30 * 0.9 + 0.32 * 0.6) / 1.5;
        assert!((out[0].v[0] - expected).abs() < 1e-6);
        assert!((out[1].v[0] - 0.70).abs() < 1e-6);
    }
}
