//! The built-in `demo` source: people in front of a wall, animated, so everything runs without a
//! camera (`--source demo`, `bench --source demo`, tests).
//!
//! In: a [`DemoConfig`] (size, frame rate, camera-noise sigma, seed). The pictures are embedded in
//! the binary with `include_bytes!` (public-domain / CC0 photos from `assets/demo`, see
//! `assets/README.md`): the portrait of astronaut Eileen Collins is cut out (head and torso as two
//! soft-edged sprites, so the head can tilt on the neck) and the brick texture becomes a painted
//! room wall. All of it is decoded and prepared once, in [`DemoSource::new`].
//!
//! Out: RGB frames written into the caller's buffer ([`FrameSource::next_frame`], or
//! [`DemoSource::render`] for any frame index), plus the ground truth of every frame for tests
//! ([`DemoSource::people_at`]: where each face is, how big, how tilted).
//!
//! Thread: the capture thread, like every source. A 1280x720 frame costs about 1.1 ms on average
//! in release, 2.2 ms at worst (two people, A zoomed in): the wall is copied, then each sprite is
//! drawn by inverse-affine, fixed-point bilinear sampling inside its bounding box only. Noise,
//! when on, adds about 0.1 ms. Nothing is allocated per frame.
//!
//! # Timeline
//!
//! One loop is [`LOOP_SECONDS`] = 20 s (600 frames at 30 fps), then it repeats exactly; the
//! segments are in [`timeline`]. Person A is the astronaut; person B is the same photo mirrored,
//! in a blue suit with dark hair, smaller (further from the camera).
//!
//! | seconds    | frames @30 | scene          | what happens                                                   |
//! |------------|------------|----------------|----------------------------------------------------------------|
//! | 0 – 3      | 0 – 89     | `AStill`       | A alone, centred, perfectly still (stability tests)            |
//! | 3 – 6      | 90 – 179   | `AMoves`       | A pans, zooms and tilts the head                               |
//! | 6 – 7.5    | 180 – 224  | `BEnters`      | A keeps moving; B walks in from the right                      |
//! | 7.5 – 9.5  | 225 – 284  | `Both`         | A and B both in the picture, both moving a little              |
//! | 9.5 – 11   | 285 – 329  | `BothLeave`    | B walks out to the right; A to the left (from 9.3 s)           |
//! | 11 – 14    | 330 – 419  | `Empty`        | nobody: only the wall                                          |
//! | 14 – 15.5  | 420 – 464  | `AEnters`      | A walks back in from the left                                  |
//! | 15.5 – 20  | 465 – 599  | `AMovesAgain`  | A moves, and is back in the still pose at 20 s (loop)          |
//!
//! Faces, at 1280x720: A's face box is 130–167 px wide, its centre within x 75–752, y 256–303;
//! B's is 99–104 px, x 975–1225, y 317–326. The eye line tilts between −14° and +16° (the photo's
//! own +2.6° included). The whole face is in the frame for A in frames 0–300 and 446–599 and for
//! B in 207–304; A is partly visible up to frame 316 and from 430, B from 190 to 320. Positions
//! are authored on a 1280x720 stage that is scaled to cover the output and centred, so other
//! sizes crop the sides (4:3) or the top and bottom (wider than 16:9).

use std::ops::Range;
use std::time::Duration;

use super::{FrameSource, SourceInfo};
use crate::frame::Frame;

/// The demo photo (512x512 RGB PNG); also the character thumbnails' subject.
pub(crate) const ASTRONAUT_PNG: &[u8] = include_bytes!("../../assets/demo/astronaut.png");
const BRICK_PNG: &[u8] = include_bytes!("../../assets/demo/brick.png");

/// Length of one loop of the demo, in seconds.
pub const LOOP_SECONDS: f64 = 20.0;

/// The stage the animation is authored on (pixels); scaled to cover the output.
const STAGE_W: f32 = 1280.0;
const STAGE_H: f32 = 720.0;

/// The astronaut photo is 512x512; coordinates below are its pixel indices (x right, y down).
const PHOTO_SIZE: usize = 512;
/// Face box as BlazeFace full-range (the detector the app runs) reports it on the photo:
/// (174,68)-(278,172). Short-range says (178,83)-(273,178) (MediaPipe's own outputs, tests/data/oracle).
const PHOTO_FACE_CENTER: [f32; 2] = [226.0, 120.0];
/// Face-box side in photo pixels.
const PHOTO_FACE_SIZE: f32 = 104.0;
/// Iris centres (FaceMesh refined landmarks 468 and 473), the left one on screen first.
const PHOTO_EYES: [[f32; 2]; 2] = [[203.0, 101.0], [247.0, 103.0]];
/// Where the head turns on the neck (just under the chin, inside the suit's collar ring).
const PHOTO_NECK: [f32; 2] = [222.0, 196.0];
/// Rows mirrored below the photo so the torso goes on below the frame whatever the pose.
const BODY_PAD_ROWS: usize = 224;
/// Share of the head tilt that the whole body leans along (rotating about the face).
const BODY_LEAN: f32 = 0.3;

/// Outline of the head (hair, face, chin) in photo pixels, traced by hand.
const HEAD_OUTLINE: &[[f32; 2]] = &[
    [228.0, 15.0],
    [246.0, 17.0],
    [260.0, 21.0],
    [275.0, 35.0],
    [285.0, 47.0],
    [294.0, 60.0],
    [300.0, 75.0],
    [301.0, 90.0],
    [297.0, 105.0],
    [290.0, 117.0],
    [280.0, 127.0],
    [272.0, 129.0],
    [267.0, 135.0],
    [266.0, 147.0],
    [263.0, 155.0],
    [258.0, 163.0],
    [255.0, 170.0],
    [253.0, 180.0],
    [252.0, 188.0],
    [238.0, 192.0],
    [222.0, 193.0],
    [205.0, 192.0],
    [190.0, 189.0],
    [187.0, 178.0],
    [186.0, 160.0],
    [184.0, 143.0],
    [182.0, 131.0],
    [175.0, 127.0],
    [164.0, 117.0],
    [156.0, 102.0],
    [153.0, 82.0],
    [154.0, 67.0],
    [160.0, 50.0],
    [172.0, 37.0],
    [187.0, 29.0],
    [205.0, 21.0],
];

/// Outline of the torso (collar ring, suit, the helmet held on the right), photo pixels. The
/// bottom edge lies in the mirrored padding so it is never seen.
const BODY_OUTLINE: &[[f32; 2]] = &[
    [122.0, 170.0],
    [133.0, 155.0],
    [153.0, 148.0],
    [172.0, 146.0],
    [186.0, 150.0],
    [190.0, 175.0],
    [222.0, 184.0],
    [250.0, 174.0],
    [262.0, 177.0],
    [278.0, 184.0],
    [290.0, 197.0],
    [299.0, 214.0],
    [304.0, 230.0],
    [306.0, 238.0],
    [322.0, 245.0],
    [337.0, 257.0],
    [347.0, 275.0],
    [353.0, 290.0],
    [357.0, 305.0],
    [360.0, 320.0],
    [362.0, 340.0],
    [364.0, 345.0],
    [400.0, 341.0],
    [450.0, 351.0],
    [480.0, 384.0],
    [497.0, 430.0],
    [503.0, 480.0],
    [506.0, 512.0],
    [506.0, 734.0],
    [22.0, 734.0],
    [22.0, 512.0],
    [20.0, 417.0],
    [22.0, 383.0],
    [25.0, 357.0],
    [30.0, 330.0],
    [37.0, 307.0],
    [43.0, 287.0],
    [53.0, 260.0],
    [67.0, 240.0],
    [83.0, 227.0],
    [100.0, 215.0],
    [115.0, 207.0],
    [115.0, 187.0],
];

/// Settings of the demo source.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoConfig {
    /// Output size in pixels (at least 32x32; smaller values are raised).
    pub width: u32,
    pub height: u32,
    /// Nominal frame rate: sets the loop length in frames and the `pts` of each frame.
    pub fps: f64,
    /// Standard deviation of per-pixel, per-channel camera noise in 0-255 units; 0 = off.
    pub noise_sigma: f32,
    /// Seed of the noise; frame `i` uses `seed + i`, so frames are reproducible.
    pub seed: u64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self { width: 1280, height: 720, fps: 30.0, noise_sigma: 0.0, seed: 0 }
    }
}

/// Which person of the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DemoWho {
    /// The astronaut, the main person.
    A,
    /// The second person: the astronaut mirrored, blue suit, dark hair, further away.
    B,
}

/// Ground truth of one person in one frame, in output pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemoPerson {
    pub who: DemoWho,
    /// Centre of the face box (a square from the brow to the chin, as face detectors report it).
    pub face_center_px: [f32; 2],
    /// Side of the face box; detectors agree within about ±10 %.
    pub face_size_px: f32,
    /// Roll of the eye line: angle from the left eye (on screen) to the right one, degrees,
    /// positive = clockwise on screen (y down).
    pub tilt_deg: f32,
    /// Iris centres, the left one on screen first.
    pub eyes_px: [[f32; 2]; 2],
    /// Whether the whole face box is inside the frame (a person walking in or out may show only
    /// a shoulder).
    pub face_in_frame: bool,
}

/// The scenes of the loop, in order (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DemoScene {
    AStill,
    AMoves,
    BEnters,
    Both,
    BothLeave,
    Empty,
    AEnters,
    AMovesAgain,
}

/// One stretch of the loop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemoSegment {
    pub scene: DemoScene,
    pub start_s: f64,
    pub end_s: f64,
    /// People whose whole face is in the frame during the whole segment. Others may be partly
    /// visible (walking in or out); [`DemoSource::people_at`] is exact for every frame.
    pub people_throughout: &'static [DemoWho],
    pub what: &'static str,
}

impl DemoSegment {
    /// The frame indices (within one loop) of this segment at `fps`.
    pub fn frames(&self, fps: f64) -> Range<u64> {
        let n = loop_frames(fps) as f64;
        let at = |s: f64| (s / LOOP_SECONDS * n).round() as u64;
        at(self.start_s)..at(self.end_s)
    }
}

const TIMELINE: &[DemoSegment] = &[
    DemoSegment {
        scene: DemoScene::AStill,
        start_s: 0.0,
        end_s: 3.0,
        people_throughout: &[DemoWho::A],
        what: "A alone, centred, perfectly still",
    },
    DemoSegment {
        scene: DemoScene::AMoves,
        start_s: 3.0,
        end_s: 6.0,
        people_throughout: &[DemoWho::A],
        what: "A pans, zooms and tilts the head",
    },
    DemoSegment {
        scene: DemoScene::BEnters,
        start_s: 6.0,
        end_s: 7.5,
        people_throughout: &[DemoWho::A],
        what: "A keeps moving; B walks in from the right",
    },
    DemoSegment {
        scene: DemoScene::Both,
        start_s: 7.5,
        end_s: 9.5,
        people_throughout: &[DemoWho::A, DemoWho::B],
        what: "A and B both in the picture",
    },
    DemoSegment {
        scene: DemoScene::BothLeave,
        start_s: 9.5,
        end_s: 11.0,
        people_throughout: &[],
        what: "B walks out to the right, A to the left",
    },
    DemoSegment { scene: DemoScene::Empty, start_s: 11.0, end_s: 14.0, people_throughout: &[], what: "nobody" },
    DemoSegment {
        scene: DemoScene::AEnters,
        start_s: 14.0,
        end_s: 15.5,
        people_throughout: &[],
        what: "A walks back in from the left",
    },
    DemoSegment {
        scene: DemoScene::AMovesAgain,
        start_s: 15.5,
        end_s: 20.0,
        people_throughout: &[DemoWho::A],
        what: "A moves and returns to the still pose",
    },
];

/// The segments of one loop, in order, covering `0..LOOP_SECONDS` without gaps.
pub fn timeline() -> &'static [DemoSegment] {
    TIMELINE
}

/// Frames in one loop at `fps`.
fn loop_frames(fps: f64) -> u64 {
    (LOOP_SECONDS * fps).round().max(1.0) as u64
}

// ---------------------------------------------------------------------------------------------
// Animation

/// Where a person is: the face anchor on the stage, the zoom and the head tilt.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Pose {
    x: f32,
    y: f32,
    scale: f32,
    tilt_deg: f32,
}

/// A keyframe; `hold` keys have zero velocity (the person stops there).
#[derive(Clone, Copy)]
struct Key {
    t: f32,
    pose: Pose,
    hold: bool,
}

const fn key(t: f32, x: f32, y: f32, scale: f32, tilt_deg: f32, hold: bool) -> Key {
    Key { t, pose: Pose { x, y, scale, tilt_deg }, hold }
}

/// Person A, stage pixels. Starts and ends in the same held pose so the loop is seamless.
const A_KEYS: &[Key] = &[
    key(0.0, 640.0, 270.0, 1.35, 0.0, true),
    key(3.0, 640.0, 270.0, 1.35, 0.0, true),
    key(4.2, 560.0, 262.0, 1.45, -13.0, false),
    key(5.4, 700.0, 288.0, 1.25, 10.0, false),
    key(6.5, 540.0, 278.0, 1.5, 10.0, false),
    key(7.7, 440.0, 255.0, 1.6, -12.0, false),
    key(8.7, 480.0, 296.0, 1.3, 6.0, false),
    key(9.3, 450.0, 292.0, 1.3, 0.0, true),
    key(10.9, -480.0, 300.0, 1.3, 0.0, true),
    key(14.0, -480.0, 300.0, 1.3, 0.0, true),
    key(15.5, 600.0, 282.0, 1.4, 0.0, false),
    key(16.7, 770.0, 262.0, 1.25, -16.0, false),
    key(17.9, 650.0, 300.0, 1.55, 10.0, false),
    key(19.0, 700.0, 276.0, 1.4, -5.0, false),
    key(20.0, 640.0, 270.0, 1.35, 0.0, true),
];
/// A walks (a bob of the head) in these intervals, seconds.
const A_WALKS: &[[f32; 2]] = &[[9.3, 10.9], [14.0, 15.5]];

/// Person B, stage pixels; absent outside the first and last key.
const B_KEYS: &[Key] = &[
    key(6.0, 1620.0, 335.0, 0.95, 0.0, true),
    key(7.5, 990.0, 322.0, 0.95, 3.0, true),
    key(8.5, 1010.0, 316.0, 1.0, -7.0, false),
    key(9.5, 975.0, 322.0, 0.97, 0.0, true),
    key(11.0, 1620.0, 335.0, 0.95, 0.0, true),
];
const B_WALKS: &[[f32; 2]] = &[[6.0, 7.5], [9.5, 11.0]];

/// Cubic Hermite through the keys (Catmull-Rom tangents, zero at held keys). Between two equal
/// held keys it returns the key exactly, so still stretches are bit-identical frames.
fn interpolate(keys: &[Key], t: f32) -> Option<Pose> {
    let last = keys.len() - 1;
    if t < keys[0].t || t > keys[last].t {
        return None;
    }
    let i = keys.iter().rposition(|k| k.t <= t).unwrap_or(0).min(last - 1);
    let (k0, k1) = (keys[i], keys[i + 1]);
    if k0.hold && k1.hold && k0.pose == k1.pose {
        return Some(k0.pose);
    }
    let dt = k1.t - k0.t;
    let tangent = |j: usize, f: fn(&Pose) -> f32| -> f32 {
        if keys[j].hold || j == 0 || j == last {
            0.0
        } else {
            (f(&keys[j + 1].pose) - f(&keys[j - 1].pose)) / (keys[j + 1].t - keys[j - 1].t)
        }
    };
    let u = (t - k0.t) / dt;
    let (u2, u3) = (u * u, u * u * u);
    let h00 = 2.0 * u3 - 3.0 * u2 + 1.0;
    let h10 = u3 - 2.0 * u2 + u;
    let h01 = -2.0 * u3 + 3.0 * u2;
    let h11 = u3 - u2;
    let channel = |f: fn(&Pose) -> f32| {
        h00 * f(&k0.pose) + h10 * dt * tangent(i, f) + h01 * f(&k1.pose) + h11 * dt * tangent(i + 1, f)
    };
    Some(Pose {
        x: channel(|p| p.x),
        y: channel(|p| p.y),
        scale: channel(|p| p.scale),
        tilt_deg: channel(|p| p.tilt_deg),
    })
}

/// Head bob and sway of walking: about two steps a second, fading in and out over the walk.
fn add_walk(pose: &mut Pose, walks: &[[f32; 2]], t: f32) {
    for &[t0, t1] in walks {
        if t > t0 && t < t1 {
            let u = (t - t0) / (t1 - t0);
            let envelope = (std::f32::consts::PI * u).sin();
            let phase = std::f32::consts::TAU * 1.8 * (t - t0);
            pose.y -= 7.0 * envelope * (1.0 - (2.0 * phase).cos()) * 0.5;
            pose.tilt_deg += 2.5 * envelope * phase.sin();
        }
    }
}

fn pose_of(who: DemoWho, t: f32) -> Option<Pose> {
    let (keys, walks) = match who {
        DemoWho::A => (A_KEYS, A_WALKS),
        DemoWho::B => (B_KEYS, B_WALKS),
    };
    let mut pose = interpolate(keys, t)?;
    add_walk(&mut pose, walks, t);
    Some(pose)
}

// ---------------------------------------------------------------------------------------------
// Geometry

/// 2-D affine map: `x' = m[0] x + m[1] y + m[2]`, `y' = m[3] x + m[4] y + m[5]`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Affine([f64; 6]);

impl Affine {
    fn translate(x: f64, y: f64) -> Self {
        Self([1.0, 0.0, x, 0.0, 1.0, y])
    }
    fn scale(s: f64) -> Self {
        Self([s, 0.0, 0.0, 0.0, s, 0.0])
    }
    /// Rotation by `deg`, clockwise on screen (y down).
    fn rotate(deg: f64) -> Self {
        let (s, c) = deg.to_radians().sin_cos();
        Self([c, -s, 0.0, s, c, 0.0])
    }
    fn rotate_about(deg: f64, p: [f32; 2]) -> Self {
        let (x, y) = (f64::from(p[0]), f64::from(p[1]));
        Self::translate(x, y).then(&Self::rotate(deg)).then(&Self::translate(-x, -y))
    }
    /// `self ∘ inner`: apply `inner` first, then `self`.
    fn then(&self, inner: &Self) -> Self {
        let (a, b) = (self.0, inner.0);
        Self([
            a[0] * b[0] + a[1] * b[3],
            a[0] * b[1] + a[1] * b[4],
            a[0] * b[2] + a[1] * b[5] + a[2],
            a[3] * b[0] + a[4] * b[3],
            a[3] * b[1] + a[4] * b[4],
            a[3] * b[2] + a[4] * b[5] + a[5],
        ])
    }
    fn inverse(&self) -> Self {
        let m = self.0;
        let det = m[0] * m[4] - m[1] * m[3];
        let (a, b, d, e) = (m[4] / det, -m[1] / det, -m[3] / det, m[0] / det);
        Self([a, b, -(a * m[2] + b * m[5]), d, e, -(d * m[2] + e * m[5])])
    }
    fn apply(&self, p: [f32; 2]) -> [f32; 2] {
        let (x, y) = (f64::from(p[0]), f64::from(p[1]));
        let m = self.0;
        [(m[0] * x + m[1] * y + m[2]) as f32, (m[3] * x + m[4] * y + m[5]) as f32]
    }
}

/// Photo coordinates of a person's fixed points (mirrored for B).
#[derive(Debug, Clone, Copy)]
struct Anchors {
    face: [f32; 2],
    eyes: [[f32; 2]; 2],
    neck: [f32; 2],
}

fn anchors(who: DemoWho) -> Anchors {
    let mirror = |p: [f32; 2]| match who {
        DemoWho::A => p,
        DemoWho::B => [(PHOTO_SIZE - 1) as f32 - p[0], p[1]],
    };
    // Mirroring swaps which eye is on the left.
    let eyes = match who {
        DemoWho::A => [PHOTO_EYES[0], PHOTO_EYES[1]],
        DemoWho::B => [mirror(PHOTO_EYES[1]), mirror(PHOTO_EYES[0])],
    };
    Anchors { face: mirror(PHOTO_FACE_CENTER), eyes, neck: mirror(PHOTO_NECK) }
}

/// Output-from-photo maps of a person's torso and head for a pose.
fn person_transforms(stage_to_out: &Affine, who: DemoWho, pose: &Pose) -> (Affine, Affine) {
    let a = anchors(who);
    let lean = f64::from(pose.tilt_deg * BODY_LEAN);
    let body = stage_to_out
        .then(&Affine::translate(f64::from(pose.x), f64::from(pose.y)))
        .then(&Affine::rotate(lean))
        .then(&Affine::scale(f64::from(pose.scale)))
        .then(&Affine::translate(-f64::from(a.face[0]), -f64::from(a.face[1])));
    let head = body.then(&Affine::rotate_about(f64::from(pose.tilt_deg) - lean, a.neck));
    (body, head)
}

// ---------------------------------------------------------------------------------------------
// Sprites

/// A cut-out part of the photo: premultiplied RGBA (`r` in the low byte of each `u32`), with a
/// transparent border at least one pixel wide so bilinear taps never need bounds logic.
#[derive(Debug)]
struct Sprite {
    w: usize,
    h: usize,
    px: Vec<u32>,
    /// Sprite pixel from photo pixel.
    from_photo: Affine,
    /// Bounding box of the opaque part, photo pixels: x0, y0, x1, y1.
    photo_box: [f32; 4],
    /// Per sprite row, the first and last column with any alpha (`[1, 0]` when none).
    row_span: Vec<[u32; 2]>,
}

/// Soft coverage of a polygon on a `w` x `h` grid: signed distance to the outline (positive
/// inside), computed only near the edges. Returns it clamped to ±`reach`.
fn signed_distance(poly: &[[f32; 2]], w: usize, h: usize, reach: f32) -> Vec<f32> {
    // Inside/outside by even-odd scanline crossings.
    let mut d = vec![-reach; w * h];
    let mut xs = Vec::with_capacity(poly.len());
    for y in 0..h {
        let fy = y as f32;
        xs.clear();
        for (i, p) in poly.iter().enumerate() {
            let q = poly[(i + 1) % poly.len()];
            if (p[1] <= fy) != (q[1] <= fy) {
                xs.push(p[0] + (fy - p[1]) / (q[1] - p[1]) * (q[0] - p[0]));
            }
        }
        xs.sort_by(f32::total_cmp);
        for pair in xs.chunks_exact(2) {
            let x0 = pair[0].ceil().max(0.0) as usize;
            let x1 = (pair[1].floor().min(w as f32 - 1.0)).max(-1.0) as isize;
            for x in x0 as isize..=x1 {
                d[y * w + x as usize] = reach;
            }
        }
    }
    // Distance to each edge, only within `reach` of it.
    let mut near = vec![reach; w * h];
    for (i, p) in poly.iter().enumerate() {
        let q = poly[(i + 1) % poly.len()];
        let (ex, ey) = (q[0] - p[0], q[1] - p[1]);
        let len2 = (ex * ex + ey * ey).max(1e-6);
        let xa = (p[0].min(q[0]) - reach).floor().max(0.0) as usize;
        let xb = ((p[0].max(q[0]) + reach).ceil().max(0.0) as usize).min(w - 1);
        let ya = (p[1].min(q[1]) - reach).floor().max(0.0) as usize;
        let yb = ((p[1].max(q[1]) + reach).ceil().max(0.0) as usize).min(h - 1);
        for y in ya..=yb {
            for x in xa..=xb {
                let (px, py) = (x as f32 - p[0], y as f32 - p[1]);
                let t = ((px * ex + py * ey) / len2).clamp(0.0, 1.0);
                let (dx, dy) = (px - t * ex, py - t * ey);
                let dist = (dx * dx + dy * dy).sqrt();
                let n = &mut near[y * w + x];
                *n = n.min(dist);
            }
        }
    }
    for (s, n) in d.iter_mut().zip(&near) {
        *s = s.signum() * n;
    }
    d
}

fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Straight RGB (0-1) and alpha of one photo layer, `PHOTO_SIZE` wide.
struct Layer {
    h: usize,
    rgb: Vec<[f32; 3]>,
    alpha: Vec<f32>,
}

impl Layer {
    fn mirrored(&self) -> Self {
        let w = PHOTO_SIZE;
        let mut out = Self { h: self.h, rgb: self.rgb.clone(), alpha: self.alpha.clone() };
        for y in 0..self.h {
            out.rgb[y * w..(y + 1) * w].reverse();
            out.alpha[y * w..(y + 1) * w].reverse();
        }
        out
    }

    /// Cut the opaque part out, pre-scale it by `pre` (downscaling only) and premultiply.
    fn to_sprite(&self, pre: f32) -> Sprite {
        let w = PHOTO_SIZE;
        let (mut x0, mut y0, mut x1, mut y1) = (w, self.h, 0, 0);
        for y in 0..self.h {
            for x in 0..w {
                if self.alpha[y * w + x] > 1.0 / 512.0 {
                    (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
                }
            }
        }
        // Margin so the (pre-scaled) sprite keeps a transparent border.
        let margin = (2.0 / pre).ceil() as usize + 1;
        let (cx0, cy0) = (x0 as isize - margin as isize, y0 as isize - margin as isize);
        let (cw, ch) = (x1 - x0 + 1 + 2 * margin, y1 - y0 + 1 + 2 * margin);
        let mut img = image::RgbaImage::new(cw as u32, ch as u32);
        for (x, y, p) in img.enumerate_pixels_mut() {
            let (sx, sy) = (cx0 + x as isize, cy0 + y as isize);
            if sx >= 0 && sy >= 0 && (sx as usize) < w && (sy as usize) < self.h {
                let i = sy as usize * w + sx as usize;
                let a = self.alpha[i];
                let c = self.rgb[i];
                let q = |v: f32| (v * 255.0).round().clamp(0.0, 255.0) as u8;
                *p = image::Rgba([q(c[0] * a), q(c[1] * a), q(c[2] * a), q(a)]);
            }
        }
        let (sw, sh) = if pre < 0.999 {
            ((cw as f32 * pre).round().max(4.0) as u32, (ch as f32 * pre).round().max(4.0) as u32)
        } else {
            (cw as u32, ch as u32)
        };
        if (sw, sh) != (cw as u32, ch as u32) {
            img = image::imageops::resize(&img, sw, sh, image::imageops::FilterType::Triangle);
        }
        let (sw, sh) = (sw as usize, sh as usize);
        let mut px: Vec<u32> = img.pixels().map(|p| u32::from_le_bytes(p.0)).collect();
        for y in 0..sh {
            for x in 0..sw {
                if x == 0 || y == 0 || x == sw - 1 || y == sh - 1 {
                    px[y * sw + x] = 0;
                }
            }
        }
        // Pixel centres: sprite i covers photo (i + 0.5) * cw / sw - 0.5 + cx0.
        let (kx, ky) = (sw as f64 / cw as f64, sh as f64 / ch as f64);
        let from_photo = Affine([kx, 0.0, 0.5 * kx - 0.5 - kx * cx0 as f64, 0.0, ky, 0.5 * ky - 0.5 - ky * cy0 as f64]);
        let row_span = px
            .chunks_exact(sw)
            .map(|row| match (row.iter().position(|&p| p != 0), row.iter().rposition(|&p| p != 0)) {
                (Some(a), Some(b)) => [a as u32, b as u32],
                _ => [1, 0],
            })
            .collect();
        Sprite { w: sw, h: sh, px, from_photo, photo_box: [x0 as f32, y0 as f32, x1 as f32, y1 as f32], row_span }
    }
}

/// Hue rotation about the grey axis by `deg`, as a 3x3 matrix on RGB.
fn hue_matrix(deg: f32) -> [[f32; 3]; 3] {
    let (s, c) = deg.to_radians().sin_cos();
    let (k, r) = ((1.0 - c) / 3.0, s / 3f32.sqrt());
    [[c + k, k - r, k + r], [k + r, c + k, k - r], [k - r, k + r, c + k]]
}

/// The four sprites: A's torso and head, B's torso and head.
struct People {
    a_body: Sprite,
    a_head: Sprite,
    b_body: Sprite,
    b_head: Sprite,
}

fn build_people(pre: f32) -> People {
    let photo = image::load_from_memory_with_format(ASTRONAUT_PNG, image::ImageFormat::Png)
        .expect("embedded astronaut.png decodes")
        .to_rgb8();
    let (w, h) = (PHOTO_SIZE, PHOTO_SIZE + BODY_PAD_ROWS);
    // The photo, with its bottom rows mirrored below it.
    let rgb: Vec<[f32; 3]> = (0..w * h)
        .map(|i| {
            let (x, y) = (i % w, i / w);
            let sy = if y < PHOTO_SIZE { y } else { 2 * PHOTO_SIZE - 1 - y };
            let p = photo.get_pixel(x as u32, sy as u32).0;
            [f32::from(p[0]) / 255.0, f32::from(p[1]) / 255.0, f32::from(p[2]) / 255.0]
        })
        .collect();
    // Edges: soft over 2 * FEATHER, pulled INSET inside the traced outline to drop the photo's
    // background from the rim.
    const FEATHER: f32 = 2.0;
    const INSET: f32 = 1.5;
    let reach = INSET + 3.0 * FEATHER;
    let head_d = signed_distance(HEAD_OUTLINE, w, h, reach);
    let body_d = signed_distance(BODY_OUTLINE, w, h, reach);
    let soft = |d: f32| smoothstep(INSET - FEATHER, INSET + FEATHER, d);
    let head_alpha: Vec<f32> = head_d.iter().map(|&d| soft(d)).collect();
    // The torso is opaque wherever the head is not fully opaque, so at rest the seam is invisible.
    let body_alpha: Vec<f32> = body_d
        .iter()
        .zip(&head_d)
        .map(|(&b, &hd)| soft(b) * (1.0 - smoothstep(INSET + FEATHER, INSET + 2.0 * FEATHER, hd)))
        .collect();

    let head = Layer { h, rgb: rgb.clone(), alpha: head_alpha };
    let body = Layer { h, rgb, alpha: body_alpha };

    // B: mirrored, the suit turned from orange to blue, the hair darker.
    let mut b_body = body.mirrored();
    let hue = hue_matrix(195.0);
    for c in &mut b_body.rgb {
        let v = *c;
        // Only saturated colours (the suit, its patches), not the skin of the neck.
        let (hi, lo) = (v[0].max(v[1]).max(v[2]), v[0].min(v[1]).min(v[2]));
        let weight = smoothstep(0.5, 0.65, (hi - lo) / (hi + 1e-3));
        for (o, row) in c.iter_mut().zip(&hue) {
            let shifted = (row[0] * v[0] + row[1] * v[1] + row[2] * v[2]).clamp(0.0, 1.0);
            *o += weight * (shifted - *o);
        }
    }
    let mut b_head = head.mirrored();
    let face = anchors(DemoWho::B).face;
    for (i, c) in b_head.rgb.iter_mut().enumerate() {
        let (x, y) = ((i % w) as f32, (i / w) as f32);
        // Skin is an ellipse around the face; the rest of the head sprite is hair.
        let (dx, dy) = ((x - face[0]) / 50.0, (y - face[1] - 6.0) / 62.0);
        let hair = smoothstep(0.85, 1.1, (dx * dx + dy * dy).sqrt()).max(smoothstep(88.0, 76.0, y));
        let grey = 0.3 * c[0] + 0.59 * c[1] + 0.11 * c[2];
        let dark = [0.55 * grey + 0.1 * c[0], 0.5 * grey + 0.05 * c[1], 0.45 * grey + 0.05 * c[2]];
        for k in 0..3 {
            c[k] += hair * (dark[k] - c[k]);
        }
    }
    People {
        a_body: body.to_sprite(pre),
        a_head: head.to_sprite(pre),
        b_body: b_body.to_sprite(pre),
        b_head: b_head.to_sprite(pre),
    }
}

/// The painted brick wall, scaled to cover `w` x `h`, with a soft light from the upper left.
fn build_backdrop(w: usize, h: usize) -> Vec<u8> {
    let brick = image::load_from_memory_with_format(BRICK_PNG, image::ImageFormat::Png)
        .expect("embedded brick.png decodes")
        .to_luma8();
    // The texture has vertical courses; turned, they run level like a real wall.
    let brick = image::imageops::rotate90(&brick);
    let s = (w as f32 / brick.width() as f32).max(h as f32 / brick.height() as f32);
    let (sw, sh) = (
        ((brick.width() as f32 * s).ceil() as u32).max(w as u32),
        ((brick.height() as f32 * s).ceil() as u32).max(h as u32),
    );
    let big = image::imageops::resize(&brick, sw, sh, image::imageops::FilterType::Triangle);
    let (ox, oy) = ((sw as usize - w) / 2, (sh as usize - h) / 2);
    let mut out = vec![0u8; w * h * 3];
    // Bricks painted slate blue-grey: apart from skin, hair and both suits.
    const MORTAR_DARK: [f32; 3] = [52.0, 58.0, 66.0];
    const BRICK: [f32; 3] = [112.0, 126.0, 140.0];
    const MORTAR: [f32; 3] = [176.0, 182.0, 186.0];
    for y in 0..h {
        for x in 0..w {
            let g = f32::from(big.get_pixel((x + ox) as u32, (y + oy) as u32).0[0]);
            // Grey levels of the texture: shadows ~60-90, brick faces ~100-115, mortar ~150-200.
            let c = if g < 104.0 {
                let t = smoothstep(60.0, 104.0, g);
                std::array::from_fn(|k| MORTAR_DARK[k] + t * (BRICK[k] - MORTAR_DARK[k]))
            } else {
                let t = smoothstep(104.0, 190.0, g);
                std::array::from_fn::<f32, 3, _>(|k| BRICK[k] + t * (MORTAR[k] - BRICK[k]))
            };
            let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
            let light = 1.04 - 0.22 * ((u - 0.3) * (u - 0.3) + 0.8 * (v - 0.15) * (v - 0.15));
            for k in 0..3 {
                out[(y * w + x) * 3 + k] = (c[k] * light).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Rendering

/// Composite `sprite` over the RGB8 `dst` (`w` x `h`) placed by `out_from_photo`: inverse affine
/// per output pixel, 16.16 fixed point, bilinear on premultiplied RGBA, only inside the sprite's
/// bounding box.
fn draw_sprite(dst: &mut [u8], w: usize, h: usize, sprite: &Sprite, out_from_photo: &Affine) {
    let Some((xa, xb, ya, yb)) = out_box(sprite, out_from_photo, w, h) else {
        return;
    };
    let m = sprite.from_photo.then(&out_from_photo.inverse()).0;
    // Keep sample points inside [0, w-1) x [0, h-1) (the border is transparent) with a margin
    // larger than the fixed-point drift over a row, so taps are always in bounds.
    const MARGIN: f64 = 0.05;
    let (umax, vmax) = ((sprite.w - 1) as f64 - MARGIN, (sprite.h - 1) as f64 - MARGIN);
    const ONE: f64 = 65536.0;
    let du = (m[0] * ONE).round() as i32 as u32;
    let dv = (m[3] * ONE).round() as i32 as u32;
    let px = &sprite.px[..];
    let stride = sprite.w;
    for y in ya..=yb {
        let fy = y as f64;
        let (u0, v0) = (m[1] * fy + m[2], m[4] * fy + m[5]);
        // Columns where MARGIN <= u <= umax and MARGIN <= v <= vmax.
        let (mut lo, mut hi) = (xa as f64, xb as f64);
        for (c0, dc, max) in [(u0, m[0], umax), (v0, m[3], vmax)] {
            if dc.abs() < 1e-9 {
                if c0 < MARGIN || c0 > max {
                    hi = lo - 1.0;
                }
            } else {
                let (t0, t1) = ((MARGIN - c0) / dc, (max - c0) / dc);
                lo = lo.max(t0.min(t1));
                hi = hi.min(t0.max(t1));
            }
        }
        if lo > hi {
            continue;
        }
        // Narrow further to the columns with any alpha in the sprite rows this span crosses.
        let (va, vb) = (v0 + m[3] * lo, v0 + m[3] * hi);
        let rows = &sprite.row_span[va.min(vb) as usize..=(va.max(vb) as usize + 1).min(sprite.h - 1)];
        let (ua, ub) = rows.iter().fold((u32::MAX, 0), |(a, b), r| (a.min(r[0]), b.max(r[1])));
        if ua > ub {
            continue;
        }
        // A sample point within one pixel of a non-transparent column has a tap on it.
        let (ua, ub) = ((f64::from(ua) - 1.0).max(MARGIN), (f64::from(ub) + 0.999).min(umax));
        if m[0].abs() >= 1e-9 {
            let (t0, t1) = ((ua - u0) / m[0], (ub - u0) / m[0]);
            lo = lo.max(t0.min(t1));
            hi = hi.min(t0.max(t1));
        }
        let (lo, hi) = (lo.ceil(), hi.floor());
        if lo > hi {
            continue;
        }
        let (x0, x1) = (lo as usize, hi as usize);
        // Non-negative from here on: wrapping adds of negative steps stay in range.
        let mut u = ((u0 + m[0] * lo) * ONE).round() as u32;
        let mut v = ((v0 + m[3] * lo) * ONE).round() as u32;
        let row = &mut dst[(y * w + x0) * 3..(y * w + x1 + 1) * 3];
        for out in row.chunks_exact_mut(3) {
            let i = (v >> 16) as usize * stride + (u >> 16) as usize;
            let (fx, fy) = ((u >> 8) & 255, (v >> 8) & 255);
            u = u.wrapping_add(du);
            v = v.wrapping_add(dv);
            let (top, bottom) = (&px[i..i + 2], &px[i + stride..i + stride + 2]);
            let (p00, p01, p10, p11) = (top[0], top[1], bottom[0], bottom[1]);
            if (p00 | p01 | p10 | p11) == 0 {
                continue;
            }
            let (rb, ga) = bilinear(p00, p01, p10, p11, fx, fy);
            let src = [rb as u8, ga as u8, (rb >> 16) as u8];
            let a = (ga >> 16) & 255;
            if a == 255 {
                out.copy_from_slice(&src);
            } else {
                let inv = 255 - a;
                for (o, s) in out.iter_mut().zip(src) {
                    *o = (u32::from(s) + ((u32::from(*o) * inv + 255) >> 8)).min(255) as u8;
                }
            }
        }
    }
}

/// Bilinear blend of four premultiplied RGBA pixels with 8-bit fractions, two channels per
/// multiply: returns (`r | b << 16`, `g | a << 16`).
#[inline(always)]
fn bilinear(p00: u32, p01: u32, p10: u32, p11: u32, fx: u32, fy: u32) -> (u32, u32) {
    const M: u32 = 0x00FF_00FF;
    #[inline(always)]
    fn lerp(a: u32, b: u32, f: u32) -> u32 {
        ((a * (256 - f) + b * f) >> 8) & M
    }
    let rb = lerp(lerp(p00 & M, p01 & M, fx), lerp(p10 & M, p11 & M, fx), fy);
    let ga = lerp(lerp((p00 >> 8) & M, (p01 >> 8) & M, fx), lerp((p10 >> 8) & M, (p11 >> 8) & M, fx), fy);
    (rb, ga)
}

/// Output pixel box (inclusive) covered by the opaque part of a sprite, or `None` off-frame.
fn out_box(sprite: &Sprite, out_from_photo: &Affine, w: usize, h: usize) -> Option<(usize, usize, usize, usize)> {
    let [x0, y0, x1, y1] = sprite.photo_box;
    let corners = [[x0 - 1.0, y0 - 1.0], [x1 + 1.0, y0 - 1.0], [x0 - 1.0, y1 + 1.0], [x1 + 1.0, y1 + 1.0]];
    let (mut lx, mut ly, mut hx, mut hy) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for c in corners {
        let p = out_from_photo.apply(c);
        (lx, ly, hx, hy) = (lx.min(p[0]), ly.min(p[1]), hx.max(p[0]), hy.max(p[1]));
    }
    let (lx, ly) = (lx.floor().max(0.0), ly.floor().max(0.0));
    let (hx, hy) = (hx.ceil().min(w as f32 - 1.0), hy.ceil().min(h as f32 - 1.0));
    (lx <= hx && ly <= hy).then_some((lx as usize, hx as usize, ly as usize, hy as usize))
}

/// Camera noise, made once: rows of Gaussian values (standard deviation `sigma`, rounded, within
/// ±127). Each frame row adds one of these rows, picked with a random column offset by a
/// generator seeded with `seed + frame index`, so every pixel gets fresh noise each frame (two
/// frames repeat a row's noise with odds 1 in `ROWS * OFFSETS`) for the cost of one saturating
/// add per byte, which vectorizes. Drawing fresh random numbers per byte (xorshift, sum of two
/// uniforms) cost 1.25 ms a 1280x720 frame; this costs about 0.1 ms.
struct NoiseTable {
    row_len: usize,
    values: Vec<i8>,
}

impl NoiseTable {
    const ROWS: usize = 256;
    const OFFSETS: usize = 1024;

    fn new(row_bytes: usize, sigma: f32, seed: u64) -> Self {
        let row_len = row_bytes + Self::OFFSETS;
        let mut z = seed ^ 0xD1B5_4A32_D192_ED03;
        let mut values = Vec::with_capacity(row_len * Self::ROWS);
        while values.len() < row_len * Self::ROWS {
            // Box-Muller: two uniforms in (0, 1] give two independent normals.
            let r = splitmix64(&mut z);
            let u1 = ((r >> 40) as f64 + 1.0) / (1u64 << 24) as f64;
            let u2 = ((r & 0xFF_FFFF) as f64) / (1u64 << 24) as f64;
            let radius = (-2.0 * u1.ln()).sqrt() * f64::from(sigma);
            let (sin, cos) = (std::f64::consts::TAU * u2).sin_cos();
            for n in [radius * cos, radius * sin] {
                values.push(n.round().clamp(-127.0, 127.0) as i8);
            }
        }
        values.truncate(row_len * Self::ROWS);
        Self { row_len, values }
    }

    /// Add noise to an RGB8 image whose rows are `row_bytes` long (as given to `new`).
    fn apply(&self, rgb: &mut [u8], frame_seed: u64) {
        let mut z = frame_seed;
        let row_bytes = self.row_len - Self::OFFSETS;
        for row in rgb.chunks_exact_mut(row_bytes) {
            let pick = splitmix64(&mut z);
            let table_row = (pick as usize) % Self::ROWS;
            let offset = ((pick >> 32) as usize) % Self::OFFSETS;
            let start = table_row * self.row_len + offset;
            let noise = &self.values[start..start + row_bytes];
            for (p, &n) in row.iter_mut().zip(noise) {
                // Saturating signed add: shift 0..=255 to -128..=127 and back.
                *p = ((*p ^ 0x80) as i8).saturating_add(n) as u8 ^ 0x80;
            }
        }
    }
}

fn splitmix64(z: &mut u64) -> u64 {
    *z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut x = *z;
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The built-in moving-people source (see the module doc). Runs on the capture thread.
pub struct DemoSource {
    cfg: DemoConfig,
    info: SourceInfo,
    loop_frames: u64,
    /// Output from stage.
    stage_to_out: Affine,
    /// The wall, RGB8 at the output size; copied into every frame.
    backdrop: Vec<u8>,
    people: People,
    /// Present when `noise_sigma > 0`.
    noise: Option<NoiseTable>,
    next_index: u64,
}

impl std::fmt::Debug for DemoSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoSource")
            .field("cfg", &self.cfg)
            .field("next_index", &self.next_index)
            .finish_non_exhaustive()
    }
}

impl DemoSource {
    /// Decode the embedded photos and prepare the wall and the sprites for `cfg`'s size (tens of
    /// milliseconds in release). A size under 32x32 is raised to it; a non-positive or
    /// non-finite `fps` becomes 30.
    pub fn new(cfg: DemoConfig) -> Self {
        let mut cfg = cfg;
        cfg.width = cfg.width.max(32);
        cfg.height = cfg.height.max(32);
        if !(cfg.fps.is_finite() && cfg.fps > 0.0) {
            cfg.fps = 30.0;
        }
        let (w, h) = (cfg.width as usize, cfg.height as usize);
        let k = (w as f32 / STAGE_W).max(h as f32 / STAGE_H);
        let stage_to_out =
            Affine::translate(f64::from((w as f32 - STAGE_W * k) * 0.5), f64::from((h as f32 - STAGE_H * k) * 0.5))
                .then(&Affine::scale(f64::from(k)));
        // Pre-scale the sprites when the output is small, so per-frame sampling never minifies
        // by more than about 1.25x (bilinear would alias).
        let smallest_scale = B_KEYS.iter().chain(A_KEYS).map(|key| key.pose.scale).fold(f32::MAX, f32::min);
        let pre = (k * smallest_scale * 1.25).min(1.0);
        let loop_frames = loop_frames(cfg.fps);
        let info = SourceInfo {
            name: "demo".to_string(),
            width: cfg.width,
            height: cfg.height,
            fps: cfg.fps,
            frame_count: Some(loop_frames),
            live: false,
        };
        Self {
            backdrop: build_backdrop(w, h),
            people: build_people(pre),
            noise: (cfg.noise_sigma > 0.0).then(|| NoiseTable::new(w * 3, cfg.noise_sigma, cfg.seed)),
            stage_to_out,
            loop_frames,
            info,
            cfg,
            next_index: 0,
        }
    }

    /// The configuration in use (after the limits of [`DemoSource::new`]).
    pub fn config(&self) -> &DemoConfig {
        &self.cfg
    }

    /// Frames in one loop.
    pub fn loop_frames(&self) -> u64 {
        self.loop_frames
    }

    /// Animation time of frame `index`, seconds within the loop.
    fn time_of(&self, index: u64) -> f32 {
        ((index % self.loop_frames) as f64 * LOOP_SECONDS / self.loop_frames as f64) as f32
    }

    /// The wall alone, as every frame starts (RGB8, output size).
    pub fn backdrop(&self) -> &[u8] {
        &self.backdrop
    }

    fn sprites(&self, who: DemoWho) -> (&Sprite, &Sprite) {
        match who {
            DemoWho::A => (&self.people.a_body, &self.people.a_head),
            DemoWho::B => (&self.people.b_body, &self.people.b_head),
        }
    }

    /// People drawn in frame `index`, back to front, with their output-from-photo maps.
    fn placed(&self, index: u64) -> impl Iterator<Item = (DemoWho, Pose, Affine, Affine)> + '_ {
        let t = self.time_of(index);
        let (w, h) = (self.cfg.width as usize, self.cfg.height as usize);
        [DemoWho::B, DemoWho::A].into_iter().filter_map(move |who| {
            let pose = pose_of(who, t)?;
            let (body, head) = person_transforms(&self.stage_to_out, who, &pose);
            let (body_sprite, head_sprite) = self.sprites(who);
            let visible = out_box(body_sprite, &body, w, h).is_some() || out_box(head_sprite, &head, w, h).is_some();
            visible.then_some((who, pose, body, head))
        })
    }

    /// Render frame `index` (any index; the loop repeats) into `frame`: pixels, size and `pts`.
    /// Deterministic: the same index, size and seed give the same pixels.
    pub fn render(&mut self, index: u64, frame: &mut Frame) {
        let (w, h) = (self.cfg.width as usize, self.cfg.height as usize);
        frame.ensure_size(self.cfg.width, self.cfg.height);
        frame.pts = Duration::from_secs_f64(index as f64 / self.cfg.fps);
        frame.rgb.copy_from_slice(&self.backdrop);
        for (who, _, body, head) in self.placed(index) {
            let (body_sprite, head_sprite) = self.sprites(who);
            draw_sprite(&mut frame.rgb, w, h, body_sprite, &body);
            draw_sprite(&mut frame.rgb, w, h, head_sprite, &head);
        }
        if let Some(noise) = &self.noise {
            noise.apply(&mut frame.rgb, self.cfg.seed.wrapping_add(index));
        }
    }

    /// Ground truth of frame `index`: every person at least partly in the picture, back to front.
    pub fn people_at(&self, index: u64) -> Vec<DemoPerson> {
        let (w, h) = (self.cfg.width as f32, self.cfg.height as f32);
        self.placed(index)
            .map(|(who, pose, _, head)| {
                let a = anchors(who);
                let face = head.apply(a.face);
                let eyes = [head.apply(a.eyes[0]), head.apply(a.eyes[1])];
                let size = PHOTO_FACE_SIZE * pose.scale * (self.stage_to_out.0[0] as f32);
                let half = size * 0.5;
                DemoPerson {
                    who,
                    face_center_px: face,
                    face_size_px: size,
                    tilt_deg: (eyes[1][1] - eyes[0][1]).atan2(eyes[1][0] - eyes[0][0]).to_degrees(),
                    eyes_px: eyes,
                    face_in_frame: face[0] - half >= 0.0
                        && face[1] - half >= 0.0
                        && face[0] + half <= w
                        && face[1] + half <= h,
                }
            })
            .collect()
    }
}

impl FrameSource for DemoSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// Never ends: the loop repeats.
    fn next_frame(&mut self, frame: &mut Frame) -> Result<bool, super::SourceError> {
        let index = self.next_index;
        self.render(index, frame);
        self.next_index += 1;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(noise_sigma: f32) -> DemoSource {
        DemoSource::new(DemoConfig { noise_sigma, seed: 7, ..DemoConfig::default() })
    }

    fn segment(scene: DemoScene) -> &'static DemoSegment {
        timeline().iter().find(|s| s.scene == scene).unwrap()
    }

    /// Mean absolute difference of `frame` from the wall in a square of side `r * 2 + 1`.
    fn diff_from_backdrop(src: &DemoSource, frame: &Frame, c: [f32; 2], r: i64) -> f64 {
        let (w, h) = (frame.width as i64, frame.height as i64);
        let (cx, cy) = (c[0].round() as i64, c[1].round() as i64);
        let (mut sum, mut n) = (0u64, 0u64);
        for y in (cy - r).max(0)..=(cy + r).min(h - 1) {
            for x in (cx - r).max(0)..=(cx + r).min(w - 1) {
                let i = ((y * w + x) * 3) as usize;
                for k in 0..3 {
                    sum += u64::from(frame.rgb[i + k].abs_diff(src.backdrop()[i + k]));
                    n += 1;
                }
            }
        }
        sum as f64 / n.max(1) as f64
    }

    #[test]
    fn timeline_covers_the_loop_in_order() {
        let t = timeline();
        assert_eq!(t[0].start_s, 0.0);
        assert_eq!(t.last().unwrap().end_s, LOOP_SECONDS);
        for pair in t.windows(2) {
            assert_eq!(pair[0].end_s, pair[1].start_s);
        }
        assert_eq!(segment(DemoScene::AStill).frames(30.0), 0..90);
        assert_eq!(segment(DemoScene::Empty).frames(30.0), 330..420);
    }

    #[test]
    fn info_pts_and_endless_loop() {
        let mut src = DemoSource::new(DemoConfig { width: 320, height: 180, ..DemoConfig::default() });
        let info = src.info().clone();
        assert_eq!((info.name.as_str(), info.width, info.height, info.live), ("demo", 320, 180, false));
        assert_eq!(info.frame_count, Some(600));
        let mut frame = Frame::empty();
        for i in 0..3 {
            assert!(src.next_frame(&mut frame).unwrap());
            assert_eq!(frame.pts, Duration::from_secs_f64(i as f64 / 30.0));
        }
        let (mut a, mut b) = (Frame::empty(), Frame::empty());
        src.render(5, &mut a);
        src.render(605, &mut b);
        assert_eq!(a.rgb, b.rgb, "frame 605 repeats frame 5");
        assert!(b.pts > a.pts, "pts keeps growing across loops");
    }

    #[test]
    fn frames_are_deterministic() {
        let (mut s1, mut s2) = (source(6.0), source(6.0));
        let (mut a, mut b) = (Frame::empty(), Frame::empty());
        for index in [0, 137, 250, 512] {
            s1.render(index, &mut a);
            s2.render(index, &mut b);
            assert!(a.rgb == b.rgb, "frame {index} differs between two sources");
            s1.render(index, &mut b);
            assert!(a.rgb == b.rgb, "frame {index} differs when rendered twice");
        }
        let mut other = DemoSource::new(DemoConfig { noise_sigma: 6.0, seed: 8, ..DemoConfig::default() });
        other.render(512, &mut b);
        assert!(a.rgb != b.rgb, "another seed gives other noise");
    }

    #[test]
    fn people_are_where_the_ground_truth_says() {
        let mut src = source(0.0);
        let mut frame = Frame::empty();
        for seg in timeline() {
            let frames = seg.frames(30.0);
            for index in frames.clone().step_by(9).chain([frames.end - 1]) {
                let people = src.people_at(index);
                for who in seg.people_throughout {
                    let p = people.iter().find(|p| p.who == *who);
                    assert!(p.is_some_and(|p| p.face_in_frame), "{who:?} missing in {:?} at {index}", seg.scene);
                }
                src.render(index, &mut frame);
                if seg.scene == DemoScene::Empty {
                    assert!(people.is_empty(), "someone at {index}: {people:?}");
                    assert!(frame.rgb == src.backdrop(), "frame {index} is not the bare wall");
                }
                for p in people.iter().filter(|p| p.face_in_frame) {
                    assert!(p.face_size_px >= 80.0, "{p:?} at {index}: face too small");
                    assert!(p.tilt_deg.abs() <= 20.0, "{p:?} at {index}: too tilted");
                    let d = diff_from_backdrop(&src, &frame, p.face_center_px, 5);
                    assert!(d > 20.0, "{p:?} at {index}: face looks like the wall ({d:.1})");
                }
            }
        }
    }

    #[test]
    fn face_ground_truth_matches_the_pixels() {
        // The frame around each ground-truth point (face centre, irises) has the colour of the
        // photo around the same point, for A and for B (mirrored), at full and reduced size.
        let photo = image::load_from_memory(ASTRONAUT_PNG).unwrap().to_rgb8();
        // B's pixel at a mirrored point is the photo's pixel at the original point.
        // `r`: half-width of the square in photo pixels that matches 3x3 frame pixels.
        let photo_mean = |p: [f32; 2], r: i64| {
            let mut s = [0f64; 3];
            let n = ((2 * r + 1) * (2 * r + 1)) as f64;
            for dy in -r..=r {
                for dx in -r..=r {
                    let q = photo.get_pixel((p[0] as i64 + dx) as u32, (p[1] as i64 + dy) as u32).0;
                    for k in 0..3 {
                        s[k] += f64::from(q[k]) / n;
                    }
                }
            }
            s
        };
        let mut worst = 0f64;
        for (w, h) in [(1280, 720), (640, 360)] {
            let mut src = DemoSource::new(DemoConfig { width: w, height: h, ..DemoConfig::default() });
            let mut frame = Frame::empty();
            for index in [0, 120, 160, 240, 270, 500, 560] {
                src.render(index, &mut frame);
                for person in src.people_at(index).into_iter().filter(|p| p.face_in_frame) {
                    let b = person.who == DemoWho::B;
                    // Photo eyes in screen order: mirroring swaps them.
                    let eyes = if b { [PHOTO_EYES[1], PHOTO_EYES[0]] } else { PHOTO_EYES };
                    let points = [
                        (person.face_center_px, PHOTO_FACE_CENTER),
                        (person.eyes_px[0], eyes[0]),
                        (person.eyes_px[1], eyes[1]),
                    ];
                    for (at, in_photo) in points {
                        let mut got = [0f64; 3];
                        for dy in -1..=1 {
                            for dx in -1..=1 {
                                let q =
                                    frame.pixel((at[0].round() as i64 + dx) as u32, (at[1].round() as i64 + dy) as u32);
                                for k in 0..3 {
                                    got[k] += f64::from(q[k]) / 9.0;
                                }
                            }
                        }
                        let photo_px_per_frame_px = PHOTO_FACE_SIZE / person.face_size_px;
                        let want = photo_mean(in_photo, ((1.5 * photo_px_per_frame_px - 0.5).round() as i64).max(1));
                        let diff = (0..3).map(|k| (got[k] - want[k]).abs()).fold(0.0, f64::max);
                        worst = worst.max(diff);
                        assert!(
                            diff < 30.0,
                            "{w}x{h} frame {index} {:?} at {at:?}: {got:?} vs photo {want:?}",
                            person.who
                        );
                    }
                }
            }
        }
        println!("largest colour difference at ground-truth points: {worst:.1}");
    }

    #[test]
    fn sprites_never_end_inside_the_frame() {
        // The torso must run out of the bottom of the frame in every pose (no floating busts).
        let src = source(0.0);
        let h = src.config().height as f32;
        for index in 0..src.loop_frames() {
            for (who, _, body, _) in src.placed(index) {
                let bottom = src.sprites(who).0.photo_box[3];
                let (x0, x1) = (src.sprites(who).0.photo_box[0], src.sprites(who).0.photo_box[2]);
                for x in [x0, x1] {
                    let y = body.apply([x, bottom])[1];
                    assert!(y > h + 10.0, "frame {index}: {who:?}'s torso ends at y = {y}");
                }
            }
        }
    }

    #[test]
    fn still_stretch_is_still_and_noise_has_the_configured_sigma() {
        let still = segment(DemoScene::AStill).frames(30.0);
        let mut clean = source(0.0);
        let (mut a, mut b) = (Frame::empty(), Frame::empty());
        clean.render(still.start, &mut a);
        for index in still.clone().skip(1).step_by(11) {
            clean.render(index, &mut b);
            assert!(a.rgb == b.rgb, "frame {index} of the still stretch moved");
        }

        let sigma = 4.0;
        let mut noisy = source(sigma);
        let (mut n1, mut n2) = (Frame::empty(), Frame::empty());
        noisy.render(still.start + 1, &mut n1);
        noisy.render(still.start + 2, &mut n2);
        // Standard deviation of noise, away from clipping; mean abs difference of two frames.
        let (mut sq, mut n, mut abs_pair) = (0f64, 0u64, 0f64);
        for ((&c, &x), &y) in a.rgb.iter().zip(&n1.rgb).zip(&n2.rgb) {
            abs_pair += f64::from(x.abs_diff(y));
            if (20..=235).contains(&c) {
                let d = f64::from(x) - f64::from(c);
                sq += d * d;
                n += 1;
            }
        }
        let std = (sq / n as f64).sqrt();
        let mad = abs_pair / a.rgb.len() as f64;
        println!("noise sigma {sigma}: measured std {std:.2}, mean |frame difference| {mad:.2}");
        assert!((std - f64::from(sigma)).abs() < 0.1 * f64::from(sigma), "std {std}");
        // Two independent noises of std s differ by 2 s / sqrt(pi) = 1.13 s on average.
        assert!((mad / f64::from(sigma) - 1.13).abs() < 0.15, "mean abs difference {mad}");
    }

    #[test]
    fn other_sizes_render() {
        for (w, h) in [(640, 480), (320, 180), (1920, 1080), (33, 77)] {
            let mut src =
                DemoSource::new(DemoConfig { width: w, height: h, noise_sigma: 3.0, ..DemoConfig::default() });
            let mut frame = Frame::empty();
            for index in (0..600).step_by(47) {
                src.render(index, &mut frame);
                assert_eq!((frame.width, frame.height, frame.rgb.len()), (w, h, (w * h * 3) as usize));
            }
        }
        let src = DemoSource::new(DemoConfig { width: 640, height: 480, ..DemoConfig::default() });
        let a = src.people_at(0)[0];
        assert!(a.face_in_frame && (a.face_size_px - PHOTO_FACE_SIZE * 1.35 * 480.0 / 720.0).abs() < 1.0, "{a:?}");
    }

    #[test]
    fn render_time() {
        // Prints the cost per frame (best of 3 renders, so other processes on the machine weigh
        // less); meaningful with `cargo test --release`. Not asserted: wall-clock varies.
        for sigma in [0.0, 4.0] {
            let mut src = source(sigma);
            let mut frame = Frame::empty();
            src.render(0, &mut frame);
            let step = if cfg!(debug_assertions) { 60 } else { 2 };
            let (mut total, mut count, mut worst) = (0.0, 0, (0.0, 0));
            for index in (0..src.loop_frames()).step_by(step) {
                let mut best = f64::MAX;
                for _ in 0..3 {
                    let start = std::time::Instant::now();
                    src.render(index, &mut frame);
                    best = best.min(start.elapsed().as_secs_f64() * 1e3);
                }
                total += best;
                count += 1;
                if best > worst.0 {
                    worst = (best, index);
                }
            }
            println!(
                "demo 1280x720 noise {sigma}: {:.2} ms/frame on average, {:.2} ms at worst (frame {})",
                total / f64::from(count),
                worst.0,
                worst.1
            );
        }
    }

    /// Writes a contact sheet of 8 moments to the temp folder (`demo_sheet.png`) to look at:
    /// `cargo test --release --lib demo::tests::contact_sheet -- --ignored`.
    #[test]
    #[ignore = "writes an image for a person to look at"]
    fn contact_sheet() {
        let mut src = DemoSource::new(DemoConfig { noise_sigma: 3.0, ..DemoConfig::default() });
        let times = [1.0, 4.2, 5.4, 6.8, 8.0, 10.0, 12.5, 17.9];
        let (tw, th) = (640u32, 360u32);
        let mut sheet = image::RgbImage::new(tw * 2, th * 4);
        let mut frame = Frame::empty();
        for (n, t) in times.iter().enumerate() {
            let index = (t * 30.0) as u64;
            src.render(index, &mut frame);
            let mut img = frame.to_image();
            for p in src.people_at(index) {
                let half = p.face_size_px / 2.0;
                let colour = if p.who == DemoWho::A { image::Rgb([0, 255, 0]) } else { image::Rgb([0, 160, 255]) };
                let [cx, cy] = p.face_center_px;
                for s in 0..(2.0 * half) as i32 {
                    for (x, y) in [
                        (cx - half + s as f32, cy - half),
                        (cx - half + s as f32, cy + half),
                        (cx - half, cy - half + s as f32),
                        (cx + half, cy - half + s as f32),
                    ] {
                        if x >= 0.0 && y >= 0.0 && (x as u32) < img.width() && (y as u32) < img.height() {
                            img.put_pixel(x as u32, y as u32, colour);
                        }
                    }
                }
                for e in p.eyes_px {
                    if e[0] >= 1.0 && e[1] >= 1.0 && e[0] < img.width() as f32 - 1.0 && e[1] < img.height() as f32 - 1.0
                    {
                        img.put_pixel(e[0] as u32, e[1] as u32, image::Rgb([255, 0, 255]));
                    }
                }
            }
            let small = image::imageops::resize(&img, tw, th, image::imageops::FilterType::Triangle);
            image::imageops::replace(
                &mut sheet,
                &small,
                i64::from(tw * (n as u32 % 2)),
                i64::from(th * (n as u32 / 2)),
            );
        }
        let path = std::env::temp_dir().join("demo_sheet.png");
        sheet.save(&path).unwrap();
        println!("contact sheet: {}", path.display());
    }
}
