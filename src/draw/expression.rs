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
/// Hysteresis on video: a state changes only when its measure crosses the threshold by this
/// much (eye openness, smile lift, mouth gap: all shares of a width), so landmark noise near a
/// threshold never makes an eye flicker between open and an arc.
pub const EYE_HYSTERESIS: f32 = 0.02;
pub const SMILE_HYSTERESIS: f32 = 0.02;
pub const MOUTH_HYSTERESIS: f32 = 0.015;

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

/// The expression of a face, on its own (a photo).
pub fn expression(landmarks: &[[f32; 3]]) -> Expression {
    expression_after(landmarks, None)
}

/// The expression of a face in a video, given its expression in the previous frame: each state
/// holds until its measure passes the threshold by the hysteresis margin.
pub fn expression_after(landmarks: &[[f32; 3]], previous: Option<&Expression>) -> Expression {
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
    // a threshold moves away from the previous state: leaving it takes a margin
    let toward = |was_above: Option<bool>, threshold: f32, margin: f32| match was_above {
        Some(true) => threshold - margin,
        Some(false) => threshold + margin,
        None => threshold,
    };
    let was_smiling = previous.map(|p| p.smile > SMILE_FROM);
    let smiling = smile > toward(was_smiling, SMILE_FROM, SMILE_HYSTERESIS);
    let state = |o: f32, before: Option<EyeState>| {
        let closed = toward(before.map(|b| b != EyeState::Closed), CLOSED_BELOW, EYE_HYSTERESIS);
        let arc_below = if smiling { SMILE_SQUINT_BELOW } else { SQUINT_BELOW };
        let arc = toward(before.map(|b| b == EyeState::Open), arc_below, EYE_HYSTERESIS);
        if o < closed {
            EyeState::Closed
        } else if o < arc {
            EyeState::Arc
        } else {
            EyeState::Open
        }
    };
    let mouth_open = gap > toward(previous.map(|p| p.mouth_open), MOUTH_OPEN_FROM, MOUTH_HYSTERESIS);
    let eyes = [state(open[0], previous.map(|p| p.eyes[0])), state(open[1], previous.map(|p| p.eyes[1]))];
    Expression { eyes, openness: open, smile, mouth_open, yaw }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Landmarks whose eyes are `openness` tall (height / width) and whose mouth is neutral.
    fn face_with_openness(openness: f32) -> Vec<[f32; 3]> {
        // a flat face: every point at its index-derived spot, then eyes and mouth placed exactly
        let mut lm = vec![[200.0f32, 200.0, 0.0]; 478];
        let (cx, cy) = (200.0f32, 200.0f32);
        lm[234] = [cx - 80.0, cy, 0.0];
        lm[454] = [cx + 80.0, cy, 0.0];
        lm[10] = [cx, cy - 100.0, 0.0];
        lm[152] = [cx, cy + 100.0, 0.0];
        lm[1] = [cx, cy + 10.0, 0.0];
        lm[61] = [cx - 25.0, cy + 50.0, 0.0];
        lm[291] = [cx + 25.0, cy + 50.0, 0.0];
        lm[13] = [cx, cy + 50.0, 0.0];
        lm[14] = [cx, cy + 50.0, 0.0];
        for (up, lo, ex) in
            [(&lists::R_EYE_UP, &lists::R_EYE_LO, cx - 40.0), (&lists::L_EYE_UP, &lists::L_EYE_LO, cx + 40.0)]
        {
            for k in 0..9 {
                let x = ex - 15.0 + 30.0 * k as f32 / 8.0;
                let h = if k == 0 || k == 8 { 0.0 } else { 30.0 * openness * 0.5 };
                lm[up[k]] = [x, cy - 30.0 - h, 0.0];
                lm[lo[k]] = [x, cy - 30.0 + h, 0.0];
            }
        }
        lm
    }

    #[test]
    fn eye_states_hold_near_a_threshold_and_change_past_it() {
        let near = SQUINT_BELOW + 0.005; // just above the arc threshold: open on its own
        assert_eq!(expression(&face_with_openness(near)).eyes[0], EyeState::Open);
        // an arc stays an arc just above the threshold (noise), and opens past the margin
        let arc = expression(&face_with_openness(SQUINT_BELOW - 0.03));
        assert_eq!(arc.eyes[0], EyeState::Arc);
        assert_eq!(expression_after(&face_with_openness(near), Some(&arc)).eyes[0], EyeState::Arc);
        let opened = expression_after(&face_with_openness(SQUINT_BELOW + EYE_HYSTERESIS + 0.01), Some(&arc));
        assert_eq!(opened.eyes[0], EyeState::Open);
        // and an open eye stays open just below it
        let open = expression(&face_with_openness(0.3));
        let below = SQUINT_BELOW - 0.005;
        assert_eq!(expression(&face_with_openness(below)).eyes[0], EyeState::Arc);
        assert_eq!(expression_after(&face_with_openness(below), Some(&open)).eyes[0], EyeState::Open);
        // a blink still closes it
        assert_eq!(expression_after(&face_with_openness(0.02), Some(&open)).eyes[0], EyeState::Closed);
    }
}
