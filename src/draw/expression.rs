//! Facial states that need their own drawing, read from the landmarks: eyes open, smiling or
//! squinting (drawn as arcs) or closed (a line); the mouth open (teeth shown); the head turned
//! toward profile (the far side of the jaw thinner and shorter).
//!
//! In: 478 landmarks (frame pixels). Out: [`Expression`]. Pure function; the compositor's thread.

use super::{FaceFrame, len, lists, sub, xy};

/// Eye height / width below which an eye is closed.
pub const CLOSED_BELOW: f32 = 0.1;
/// Eye height / width below which an eye is a squint (drawn as an arc).
pub const SQUINT_BELOW: f32 = 0.17;
/// Below this, a smiling face's eyes are drawn as arcs.
pub const SMILE_SQUINT_BELOW: f32 = 0.22;
/// Mouth-corner lift (share of the mouth width) from which a face smiles.
pub const SMILE_FROM: f32 = 0.1;
/// Inner-lip gap / mouth width from which the mouth is open.
pub const MOUTH_OPEN_FROM: f32 = 0.08;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EyeState {
    Open,
    /// Smiling or squinting: an arc bulging upward.
    Arc,
    /// A line.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expression {
    /// Image-left eye (the subject's right), image-right eye.
    pub eyes: [EyeState; 2],
    /// Eye height / width of each eye.
    pub openness: [f32; 2],
    /// Mouth corners' lift above the lip centre, as a share of the mouth width.
    pub smile: f32,
    pub mouth_open: bool,
    /// Turn toward profile, -1..1: positive when the image-left half of the face is the far
    /// (foreshortened) side, negative when the image-right half is, 0 frontal.
    pub yaw: f32,
}

/// The expression of a face.
pub fn expression(landmarks: &[[f32; 3]]) -> Expression {
    let p = |i: usize| xy(landmarks[i]);
    let frame = FaceFrame::of(p);
    let openness = |up: &[usize; 9], lo: &[usize; 9]| {
        let w = len(sub(p(up[0]), p(up[8]))).max(1e-3);
        let h = (1..8).map(|k| len(sub(p(up[k]), p(lo[k])))).fold(0.0f32, f32::max);
        h / w
    };
    let open = [openness(&lists::R_EYE_UP, &lists::R_EYE_LO), openness(&lists::L_EYE_UP, &lists::L_EYE_LO)];
    let mouth_w = len(sub(p(61), p(291))).max(1e-3);
    let corners = (frame.local(p(61))[1] + frame.local(p(291))[1]) * 0.5;
    let centre = (frame.local(p(13))[1] + frame.local(p(14))[1]) * 0.5;
    let smile = (centre - corners) / mouth_w;
    let gap = len(sub(p(13), p(14))) / mouth_w;
    let nose = frame.local(p(1))[0];
    let (left, right) = (nose - frame.local(p(234))[0], frame.local(p(454))[0] - nose);
    let yaw = ((right - left) / (right + left).abs().max(1e-3)).clamp(-1.0, 1.0);
    let state = |o: f32| {
        if o < CLOSED_BELOW {
            EyeState::Closed
        } else if o < SQUINT_BELOW || (smile > SMILE_FROM && o < SMILE_SQUINT_BELOW) {
            EyeState::Arc
        } else {
            EyeState::Open
        }
    };
    Expression { eyes: [state(open[0]), state(open[1])], openness: open, smile, mouth_open: gap > MOUTH_OPEN_FROM, yaw }
}
