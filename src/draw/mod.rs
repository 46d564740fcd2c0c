//! Drawn faces: a character's face drawn from the face mesh over the stylized picture, the way a
//! webtoon artist would draw that person: the face reshaped toward the character's geometry,
//! a flat skin ramp with designed shading, eyes with whites, iris, pupil and catchlights, lips,
//! blush, and anti-aliased ink strokes (jaw, lash line, crease, brows, nose, mouth).
//!
//! In: one face's 478 landmarks in frame pixels, its character's [`FaceLook`] and the person's
//! skin statistics. Out: CPU geometry for the compositor ([`warp::Warp`]: the warped face mesh;
//! [`face::FaceDrawing`]: vertices and indices of every shape, in drawing order). Everything here
//! is plain CPU math on reused buffers, run by the compositor on its thread before it records the
//! GPU passes (`compose/drawn.rs`); tests call the same functions.

pub mod expression;
pub mod face;
pub mod skin_ramp;
pub mod strokes;
pub mod tessellation;
pub mod warp;

use crate::character::{CharacterPack, Drawing, Geometry, SkinStyle};

pub use skin_ramp::{SkinRamp, skin_ramp};

/// Thinnest stroke, in output pixels, whatever the face size.
pub const MIN_LINE_PX: f32 = 1.0;
/// Faces whose eyes are closer than this (pixels) are neither reshaped nor drawn: too small to
/// read, and their landmarks are too coarse.
pub const MIN_EYE_DISTANCE_PX: f32 = 12.0;

/// What a character does to a face: reshape it, paint its skin, draw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceLook {
    pub geometry: Geometry,
    pub skin: SkinStyle,
    /// `None`: the face is reshaped but not drawn.
    pub drawing: Option<Drawing>,
}

/// A look that changes nothing (placeholder for unused slots).
pub const NEUTRAL_LOOK: FaceLook = FaceLook {
    geometry: Geometry {
        eye_scale: 1.0,
        iris_scale: 1.0,
        jaw_taper: 0.0,
        chin: 0.0,
        face_width: 1.0,
        nose_scale: 1.0,
        mouth_scale: 1.0,
    },
    skin: SkinStyle { tone: [224, 172, 140], shadow: [190, 130, 105], keep: 1.0 },
    drawing: None,
};

impl FaceLook {
    pub fn of(pack: &CharacterPack) -> Self {
        // a pack without `[skin]` keeps the person's own tone wherever the drawing needs one
        FaceLook { geometry: pack.geometry, skin: pack.skin.unwrap_or(NEUTRAL_LOOK.skin), drawing: pack.drawing }
    }

    /// Whether the geometry moves anything.
    pub fn reshapes(&self) -> bool {
        self.geometry != Geometry::default()
    }
}

// ---- small 2D helpers shared by the drawing modules ----

pub type V2 = [f32; 2];

#[inline]
pub fn add(a: V2, b: V2) -> V2 {
    [a[0] + b[0], a[1] + b[1]]
}
#[inline]
pub fn sub(a: V2, b: V2) -> V2 {
    [a[0] - b[0], a[1] - b[1]]
}
#[inline]
pub fn mul(a: V2, k: f32) -> V2 {
    [a[0] * k, a[1] * k]
}
#[inline]
pub fn dot(a: V2, b: V2) -> f32 {
    a[0] * b[0] + a[1] * b[1]
}
#[inline]
pub fn len(a: V2) -> f32 {
    a[0].hypot(a[1])
}
#[inline]
pub fn lerp(a: V2, b: V2, t: f32) -> V2 {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
}
#[inline]
pub fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}
#[inline]
pub fn xy(p: [f32; 3]) -> V2 {
    [p[0], p[1]]
}

/// Mean of some points.
pub fn centroid(points: impl IntoIterator<Item = V2>) -> V2 {
    let (mut s, mut n) = ([0.0f32; 2], 0.0f32);
    for p in points {
        s = add(s, p);
        n += 1.0;
    }
    mul(s, 1.0 / n.max(1.0))
}

/// A face's own axes: `down` from the nose bridge (168) to the chin (152), `right` across to the
/// image's right; lengths are the bridge-to-chin height and the cheek-to-cheek width.
#[derive(Debug, Clone, Copy)]
pub struct FaceFrame {
    pub top: V2,
    pub down: V2,
    pub right: V2,
    pub height: f32,
    pub width: f32,
}

impl FaceFrame {
    pub fn of(p: impl Fn(usize) -> V2) -> Self {
        let (top, chin) = (p(168), p(152));
        let v = sub(chin, top);
        let height = len(v).max(1e-3);
        let down = mul(v, 1.0 / height);
        let right = [down[1], -down[0]];
        let right = if dot(right, sub(p(454), p(234))) < 0.0 { mul(right, -1.0) } else { right };
        FaceFrame { top, down, right, height, width: len(sub(p(454), p(234))).max(1e-3) }
    }

    /// (across, along) of a point relative to the nose bridge, in pixels.
    pub fn local(&self, p: V2) -> V2 {
        let r = sub(p, self.top);
        [dot(r, self.right), dot(r, self.down)]
    }

    /// A displacement given in (across, along) back to frame axes.
    pub fn to_frame(&self, d: V2) -> V2 {
        add(mul(self.right, d[0]), mul(self.down, d[1]))
    }
}

/// Landmark index lists used for drawing (MediaPipe's canonical topology; the subject's right
/// eye is on the image's left). Eye and lip lists run from the outer corner to the inner one.
pub mod lists {
    pub const R_EYE_UP: [usize; 9] = [33, 246, 161, 160, 159, 158, 157, 173, 133];
    pub const R_EYE_LO: [usize; 9] = [33, 7, 163, 144, 145, 153, 154, 155, 133];
    pub const L_EYE_UP: [usize; 9] = [263, 466, 388, 387, 386, 385, 384, 398, 362];
    pub const L_EYE_LO: [usize; 9] = [263, 249, 390, 373, 374, 380, 381, 382, 362];
    /// Brows, inner end first: upper and lower edges.
    pub const R_BROW_UP: [usize; 5] = [107, 66, 105, 63, 70];
    pub const R_BROW_LO: [usize; 5] = [55, 65, 52, 53, 46];
    pub const L_BROW_UP: [usize; 5] = [336, 296, 334, 293, 300];
    pub const L_BROW_LO: [usize; 5] = [285, 295, 282, 283, 276];
    /// Lips, image-left corner (61) to image-right corner (291).
    pub const LIP_OUT_UP: [usize; 11] = [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291];
    pub const LIP_OUT_LO: [usize; 11] = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291];
    pub const LIP_IN_UP: [usize; 11] = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308];
    pub const LIP_IN_LO: [usize; 11] = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308];
    /// Jaw: the face oval from the image-right ear (356) under the chin to the image-left ear (127).
    pub const JAW: [usize; 23] = [
        356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127,
    ];
    pub const R_IRIS: usize = 468;
    pub const L_IRIS: usize = 473;
}
