//! Face mesh: 478 landmarks (468-point mesh plus five points per iris) from MediaPipe's face
//! landmark model with attention, run on a rotated square around the face.
//!
//! In: an RGB frame and a [`RotatedSquare`] (from a detection or from the previous frame's
//! landmarks). Out: [`FaceMesh`] in frame pixels and the face presence score. Runs on the
//! perception worker thread; the crop tensor is reused.

use super::detector::{FaceDetection, keypoint};
use super::geometry::{Normalize, RotatedSquare, Sampling, warp_to_tensor};
use super::runtime::{ModelSession, RuntimeError, output};

pub const INPUT_SIZE: usize = 192;
/// Crop sampling convention (see [`Sampling`]).
const MESH_SAMPLING: Sampling = Sampling::Indices;
pub const MESH_POINTS: usize = 468;
/// Mesh plus two irises (MediaPipe's refined layout: 468..472 and 473..477).
pub const LANDMARKS: usize = 478;
/// Presence below this means the face was lost.
pub const MIN_PRESENCE: f32 = 0.5;
/// ROI side relative to the face box (MediaPipe's value).
const ROI_SCALE: f32 = 1.5;

pub const OUTPUT_MESH: &str = "output_mesh_identity";
/// Iris of the eye on the image's left (the subject's right eye when not mirrored).
pub const OUTPUT_IRIS_IMAGE_LEFT: &str = "output_left_iris";
pub const OUTPUT_IRIS_IMAGE_RIGHT: &str = "output_right_iris";
pub const OUTPUT_PRESENCE: &str = "output_faceflag";

/// Named points of the mesh (MediaPipe's canonical face topology).
pub mod idx {
    pub const NOSE_TIP: usize = 1;
    pub const UPPER_LIP: usize = 13;
    pub const CHIN: usize = 152;
    pub const FOREHEAD: usize = 10;
    /// Outer corner of the subject's right eye (image left).
    pub const RIGHT_EYE_OUTER: usize = 33;
    pub const RIGHT_EYE_INNER: usize = 133;
    pub const LEFT_EYE_INNER: usize = 362;
    pub const LEFT_EYE_OUTER: usize = 263;
    pub const RIGHT_IRIS_CENTER: usize = 468;
    pub const LEFT_IRIS_CENTER: usize = 473;

    /// Face outline, clockwise from the forehead.
    pub const FACE_OVAL: [usize; 36] = [
        10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149,
        150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
    ];
    pub const RIGHT_EYE: [usize; 16] = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246];
    pub const LEFT_EYE: [usize; 16] = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466];
    pub const RIGHT_BROW: [usize; 10] = [70, 63, 105, 66, 107, 55, 65, 52, 53, 46];
    pub const LEFT_BROW: [usize; 10] = [300, 293, 334, 296, 336, 285, 295, 282, 283, 276];
    /// Outer lip contour.
    pub const LIPS_OUTER: [usize; 20] =
        [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185];
}

/// 478 landmarks of one face in frame pixels; z is relative depth in the same pixel units.
#[derive(Clone, PartialEq)]
pub struct FaceMesh {
    pub points_px: Vec<[f32; 3]>,
    pub presence: f32,
    /// The square the mesh was computed in.
    pub roi: RotatedSquare,
}

impl std::fmt::Debug for FaceMesh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceMesh").field("presence", &self.presence).field("roi", &self.roi).finish_non_exhaustive()
    }
}

impl Default for FaceMesh {
    fn default() -> Self {
        Self {
            points_px: vec![[0.0; 3]; LANDMARKS],
            presence: 0.0,
            roi: RotatedSquare { center: [0.0; 2], side: 0.0, angle: 0.0 },
        }
    }
}

impl FaceMesh {
    pub fn xy(&self, i: usize) -> [f32; 2] {
        [self.points_px[i][0], self.points_px[i][1]]
    }

    /// Axis-aligned bounds of the 468 mesh points (x0, y0, x1, y1).
    pub fn bounds(&self) -> [f32; 4] {
        bounds(&self.points_px[..MESH_POINTS])
    }

    /// Distance between the outer eye corners, a scale for the face that ignores the jaw.
    pub fn eye_span(&self) -> f32 {
        let (a, b) = (self.xy(idx::RIGHT_EYE_OUTER), self.xy(idx::LEFT_EYE_OUTER));
        ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
    }
}

pub fn bounds(points: &[[f32; 3]]) -> [f32; 4] {
    let mut b = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
    for p in points {
        b[0] = b[0].min(p[0]);
        b[1] = b[1].min(p[1]);
        b[2] = b[2].max(p[0]);
        b[3] = b[3].max(p[1]);
    }
    b
}

/// The mesh's region of interest from a detection (MediaPipe: box centre, 1.5 x the longer
/// side, rotated so the eyes are level).
pub fn roi_from_detection(det: &FaceDetection) -> RotatedSquare {
    let [x0, y0, x1, y1] = det.box_px;
    let (r, l) = (det.keypoints_px[keypoint::RIGHT_EYE], det.keypoints_px[keypoint::LEFT_EYE]);
    RotatedSquare {
        center: [(x0 + x1) * 0.5, (y0 + y1) * 0.5],
        side: (x1 - x0).max(y1 - y0) * ROI_SCALE,
        angle: (l[1] - r[1]).atan2(l[0] - r[0]),
    }
}

/// The next frame's region of interest from this frame's landmarks (MediaPipe's tracking:
/// bounds of the mesh, 1.5 x the longer side, rotation from the outer eye corners).
pub fn roi_from_landmarks(points: &[[f32; 3]]) -> RotatedSquare {
    let [x0, y0, x1, y1] = bounds(&points[..MESH_POINTS]);
    let (r, l) = (points[idx::RIGHT_EYE_OUTER], points[idx::LEFT_EYE_OUTER]);
    RotatedSquare {
        center: [(x0 + x1) * 0.5, (y0 + y1) * 0.5],
        side: (x1 - x0).max(y1 - y0) * ROI_SCALE,
        angle: (l[1] - r[1]).atan2(l[0] - r[0]),
    }
}

pub struct FaceMeshModel {
    session: ModelSession,
    input: Vec<f32>,
}

impl FaceMeshModel {
    pub fn new(session: ModelSession) -> Self {
        Self { session, input: vec![0.0; INPUT_SIZE * INPUT_SIZE * 3] }
    }

    pub fn session(&self) -> &ModelSession {
        &self.session
    }

    /// Landmarks of the face inside `roi`, written into `out`.
    pub fn run(
        &mut self,
        rgb: &[u8],
        w: u32,
        h: u32,
        roi: RotatedSquare,
        out: &mut FaceMesh,
    ) -> Result<(), RuntimeError> {
        let frame_from_crop = roi.frame_from_crop(INPUT_SIZE as f32);
        warp_to_tensor(
            rgb,
            w,
            h,
            &frame_from_crop,
            MESH_SAMPLING,
            INPUT_SIZE,
            INPUT_SIZE,
            Normalize::UNIT,
            &mut self.input,
        );
        let depth_scale = roi.side / INPUT_SIZE as f32;
        out.points_px.resize(LANDMARKS, [0.0; 3]);
        out.roi = roi;
        let points = &mut out.points_px;
        let presence = self.session.run_f32(&[1, INPUT_SIZE, INPUT_SIZE, 3], &self.input, |outs| {
            let mesh = output(outs, OUTPUT_MESH)?;
            let iris_l = output(outs, OUTPUT_IRIS_IMAGE_LEFT)?;
            let iris_r = output(outs, OUTPUT_IRIS_IMAGE_RIGHT)?;
            let flag = output(outs, OUTPUT_PRESENCE)?;
            if mesh.len() != MESH_POINTS * 3 || iris_l.len() != 10 || iris_r.len() != 10 || flag.is_empty() {
                return Err("unexpected output sizes".into());
            }
            for (i, p) in points.iter_mut().take(MESH_POINTS).enumerate() {
                let [x, y] = frame_from_crop.apply([mesh[i * 3], mesh[i * 3 + 1]]);
                *p = [x, y, mesh[i * 3 + 2] * depth_scale];
            }
            for (k, iris) in [iris_l, iris_r].into_iter().enumerate() {
                for j in 0..5 {
                    let [x, y] = frame_from_crop.apply([iris[j * 2], iris[j * 2 + 1]]);
                    points[MESH_POINTS + k * 5 + j] = [x, y, 0.0];
                }
            }
            Ok(flag[0])
        })?;
        out.presence = presence;
        Ok(())
    }
}
