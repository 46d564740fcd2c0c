//! Face tracking: stable ids across frames, detection only when needed, and One Euro smoothing.
//!
//! In: each frame, the face detector and face mesh models. Out: [`FaceTrack`]s with stable ids,
//! raw and smoothed landmarks and a smoothed box. As MediaPipe does, a face found once is followed
//! by deriving the next frame's region of interest from its landmarks; the detector runs at the
//! start, when a face is lost, and every `detect_every` frames to find newcomers. A face lost for
//! less than `memory_s` seconds and found again near where it was keeps its id.
//!
//! Recall: besides the whole-frame detector, zoomed tiles of the frame are searched
//! ([`TileScan`]): live, on frames where the whole-frame detector did not run, every other time
//! one tile where the person mask shows someone without a face, else one tile round robin every
//! `round_robin_every` frames; a still photo searches every tile. A face the mesh loses is first
//! looked for around where it was. A tile
//! candidate no track covers becomes a face only when the mesh confirms it: presence at least
//! [`TILE_MIN_PRESENCE`] where the person mask says someone is there, at least
//! [`TILE_MIN_PRESENCE_OFF_PERSON`] elsewhere, so turned, bent and small faces are found without
//! false faces on walls. Each track remembers how
//! it was found ([`FoundBy`]). Runs on the perception worker thread.

use std::time::Duration;

use crate::perception::detector::{self, FaceDetection, FaceDetector};
use crate::perception::geometry::{Affine2, RotatedSquare};
use crate::perception::mesh::{self, FaceMesh, FaceMeshModel, LANDMARKS, MIN_PRESENCE};
use crate::perception::one_euro::{OneEuro, OneEuroParams};
use crate::perception::recall::{FoundBy, TILE_MIN_SCORE, TileScan, person_support};
use crate::perception::runtime::RuntimeError;
use crate::perception::segment::Mask;
use crate::perception::skin::skin_share;

/// Mesh presence a face found on a tile needs when it lies on the person mask (real faces on
/// t1.jpg: 0.99-1.0; the best false candidate with a detector score above 0.5: 0.03).
pub const TILE_MIN_PRESENCE: f32 = 0.8;
/// ... and when it does not: the selfie model, made for one person near the camera, misses
/// people in groups, small, tilted or bent forward (0.0 for the middle man of t1.jpg turned by
/// 35 degrees, for every 40 px face; 0.34 for the woman bending forward), so the mask cannot be a
/// hard gate; off the mask the mesh must be surer.
pub const TILE_MIN_PRESENCE_OFF_PERSON: f32 = 0.95;
/// A face whose mesh loses it is looked for in a window this many times its size.
const RECOVER_WINDOW: f32 = 3.0;
/// A face found again within this many face sizes of where a face was lost gets its id back.
const REACQUIRE_RADIUS: f32 = 2.5;
/// Share of a tile face's skin area that must have a skin colour ([`skin_share`]): real faces in
/// every test picture 0.98-1.0; the mission patch on the demo astronaut's suit 0.45.
pub const TILE_MIN_SKIN: f32 = 0.7;
/// Largest mean distance between a tile detection's keypoints and its mesh (share of the box):
/// real faces 0.02-0.14 (the man turned away in t1.jpg the most).
pub const TILE_MAX_DISAGREEMENT: f32 = 0.25;
/// Presence the second mesh run (from the first run's landmarks) needs: real faces 1.0; the
/// mission patch on the demo astronaut's suit, the one false face seen with a first presence
/// above 0.8 (0.96), fell to 0.85.
pub const TILE_MIN_CONFIRM_PRESENCE: f32 = 0.95;
/// Largest mean landmark change when the mesh runs again from its own landmarks (share of the
/// face size): real faces 0.006-0.033, the patch 0.047 (a sanity bound; the presence decides).
pub const TILE_MAX_DRIFT: f32 = 0.05;
/// Mean person-mask probability over the inner half of a tile face's box that counts as "on a
/// person" (walls and empty rooms are at 0.0).
pub const TILE_MIN_PERSON: f32 = 0.15;

#[derive(Debug, Clone, PartialEq)]
pub struct TrackerConfig {
    /// Run the detector at least every this many frames while faces are tracked.
    pub detect_every: u32,
    /// Faces followed at once.
    pub max_faces: usize,
    /// Smooth landmarks and boxes (off for single photos).
    pub smoothing: bool,
    pub filter: OneEuroParams,
    /// How long a lost face's id is remembered for re-acquisition nearby.
    pub memory_s: f32,
    /// Searching zoomed tiles for faces the whole-frame detector misses.
    pub tile_search: TileSearch,
}

/// How much of the frame the tile search covers per frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileSearch {
    Off,
    /// Live video: at most one tile a frame (see the module doc).
    Live {
        round_robin_every: u32,
    },
    /// Every tile, every frame (still photos).
    All,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            detect_every: 10,
            max_faces: 6,
            smoothing: true,
            filter: OneEuroParams::FACE_LANDMARKS,
            memory_s: 2.0,
            tile_search: TileSearch::Live { round_robin_every: 3 },
        }
    }
}

/// One tracked face.
#[derive(Debug, Clone)]
pub struct FaceTrack {
    /// Stable for as long as the face is followed (and when it comes back within `memory_s`).
    pub id: u32,
    /// Smoothed landmarks: what drawing and stylization use.
    pub mesh: FaceMesh,
    /// Landmarks as the model gave them this frame.
    pub raw: FaceMesh,
    /// Smoothed bounds of the mesh in frame pixels (x0, y0, x1, y1).
    pub box_px: [f32; 4],
    /// Score of the detection that started (or last confirmed) this track.
    pub detection_score: f32,
    /// Frames this track has been followed.
    pub age: u64,
    /// How the face was first found.
    pub found_by: FoundBy,
    next_roi: RotatedSquare,
    filters: Vec<[OneEuro; 2]>,
    box_filters: [OneEuro; 4],
}

#[derive(Debug, Clone)]
struct LostTrack {
    id: u32,
    box_px: [f32; 4],
    lost_at: f64,
}

/// Time spent per step in the last update.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrackTimes {
    pub detect: Duration,
    pub mesh: Duration,
    pub model: Duration,
    pub detected: bool,
    /// Part of `detect` spent on the tile search.
    pub tiles: Duration,
}

pub struct Tracker {
    pub config: TrackerConfig,
    tracks: Vec<FaceTrack>,
    lost: Vec<LostTrack>,
    next_id: u32,
    frames_since_detect: u32,
    /// Frames seen (paces the round-robin tile search).
    frames: u64,
    detections: Vec<FaceDetection>,
    tile_scan: TileScan,
    /// Tile candidates of this frame that became faces.
    tile_faces: Vec<FaceDetection>,
    candidates: Vec<FaceDetection>,
    face_boxes: Vec<[f32; 4]>,
    scratch: FaceMesh,
    /// The second mesh run that confirms a tile face.
    confirm: FaceMesh,
    spare: Vec<FaceTrack>,
}

impl std::fmt::Debug for Tracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracker").field("tracks", &self.tracks.len()).field("next_id", &self.next_id).finish()
    }
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = iw * ih;
    let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

fn center(b: &[f32; 4]) -> [f32; 2] {
    [(b[0] + b[2]) * 0.5, (b[1] + b[3]) * 0.5]
}

fn contains(b: &[f32; 4], p: [f32; 2]) -> bool {
    p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3]
}

/// Mean distance between the detector's eye, nose and mouth keypoints and the mesh's, as a share
/// of the detection box's side.
fn keypoint_disagreement(det: &FaceDetection, m: &FaceMesh) -> f32 {
    use crate::perception::detector::keypoint;
    use crate::perception::mesh::idx;
    let mid = |a: usize, b: usize| [(m.xy(a)[0] + m.xy(b)[0]) * 0.5, (m.xy(a)[1] + m.xy(b)[1]) * 0.5];
    let pairs = [
        (keypoint::RIGHT_EYE, mid(idx::RIGHT_EYE_OUTER, idx::RIGHT_EYE_INNER)),
        (keypoint::LEFT_EYE, mid(idx::LEFT_EYE_OUTER, idx::LEFT_EYE_INNER)),
        (keypoint::NOSE, m.xy(idx::NOSE_TIP)),
        (keypoint::MOUTH, mid(idx::UPPER_LIP, 14)),
    ];
    let side = (det.box_px[2] - det.box_px[0]).max(1.0);
    let sum: f32 = pairs
        .iter()
        .map(|&(k, p)| {
            let q = det.keypoints_px[k];
            ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt()
        })
        .sum();
    sum / (pairs.len() as f32 * side)
}

/// Mean distance between the mesh points of two runs on the same face, as a share of the face's
/// size (the first run's bounds).
fn mesh_drift(a: &FaceMesh, b: &FaceMesh) -> f32 {
    let bb = a.bounds();
    let size = ((bb[2] - bb[0]) + (bb[3] - bb[1])).max(2.0) * 0.5;
    let n = a.points_px.len().min(b.points_px.len()).min(mesh::MESH_POINTS);
    if n == 0 {
        return f32::MAX;
    }
    let sum: f32 = a.points_px[..n]
        .iter()
        .zip(&b.points_px[..n])
        .map(|(p, q)| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt())
        .sum();
    sum / (n as f32 * size)
}

impl Tracker {
    pub fn new(config: TrackerConfig) -> Self {
        Self {
            config,
            tracks: Vec::new(),
            lost: Vec::new(),
            next_id: 1,
            frames_since_detect: 0,
            frames: 0,
            detections: Vec::new(),
            tile_scan: TileScan::default(),
            tile_faces: Vec::new(),
            candidates: Vec::new(),
            face_boxes: Vec::new(),
            scratch: FaceMesh::default(),
            confirm: FaceMesh::default(),
            spare: Vec::new(),
        }
    }

    pub fn tracks(&self) -> &[FaceTrack] {
        &self.tracks
    }

    /// Detections of the last frame the detector ran on (empty if it did not run).
    pub fn last_detections(&self) -> &[FaceDetection] {
        &self.detections
    }

    /// Tile detections of this frame that started a face (empty when none did).
    pub fn last_tile_faces(&self) -> &[FaceDetection] {
        &self.tile_faces
    }

    /// Forget every face (new source, still photo).
    pub fn reset(&mut self) {
        self.spare.append(&mut self.tracks);
        self.lost.clear();
        self.frames_since_detect = 0;
        self.detections.clear();
        self.tile_faces.clear();
    }

    /// Follow faces into this frame. `t` is the frame's media time in seconds. `person_mask`
    /// (this frame's, when known) gates faces found on tiles; without it no tile face is taken.
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &mut self,
        rgb: &[u8],
        w: u32,
        h: u32,
        t: f64,
        detector: &mut FaceDetector,
        mesh_model: &mut FaceMeshModel,
        person_mask: Option<&Mask>,
    ) -> Result<TrackTimes, RuntimeError> {
        let mut times = TrackTimes::default();
        // 1. follow every track from its predicted region
        let mut any_lost = false;
        let mut i = 0;
        while i < self.tracks.len() {
            let roi = self.tracks[i].next_roi;
            let t0 = std::time::Instant::now();
            mesh_model.run(rgb, w, h, roi, &mut self.scratch)?;
            times.mesh += t0.elapsed();
            times.model += mesh_model.session().last_run();
            let mut kept = self.scratch.presence >= MIN_PRESENCE;
            if !kept && self.config.tile_search != TileSearch::Off {
                // the face slipped out of its region (a fast turn or tilt): look for it around
                // where it was before giving it up
                let t0 = std::time::Instant::now();
                kept = self.recover(i, rgb, w, h, detector, mesh_model)?;
                times.detect += t0.elapsed();
                times.model +=
                    detector.session().last_run() + if kept { mesh_model.session().last_run() } else { Duration::ZERO };
            }
            if kept {
                let track = &mut self.tracks[i];
                std::mem::swap(&mut track.raw, &mut self.scratch);
                i += 1;
            } else {
                let gone = self.tracks.swap_remove(i);
                self.lost.push(LostTrack { id: gone.id, box_px: gone.box_px, lost_at: t });
                self.spare.push(gone);
                any_lost = true;
            }
        }
        self.lost.retain(|l| t - l.lost_at <= self.config.memory_s as f64 && t >= l.lost_at);

        // 2. detect when needed
        self.frames_since_detect += 1;
        let detect = self.tracks.is_empty() || any_lost || self.frames_since_detect >= self.config.detect_every;
        self.detections.clear();
        if detect {
            let t0 = std::time::Instant::now();
            detector.detect(rgb, w, h, &mut self.detections)?;
            times.detect = t0.elapsed();
            times.model += detector.session().last_run();
            times.detected = true;
            self.frames_since_detect = 0;
            for d in 0..self.detections.len() {
                let det = self.detections[d];
                if self.tracks.len() >= self.config.max_faces {
                    break;
                }
                let known = self
                    .tracks
                    .iter()
                    .any(|tr| iou(&tr.raw.bounds(), &det.box_px) > 0.2 || contains(&tr.raw.bounds(), det.center()));
                if known {
                    continue;
                }
                let t0 = std::time::Instant::now();
                mesh_model.run(rgb, w, h, mesh::roi_from_detection(&det), &mut self.scratch)?;
                times.mesh += t0.elapsed();
                times.model += mesh_model.session().last_run();
                if self.scratch.presence < MIN_PRESENCE {
                    continue;
                }
                self.start_track(&det, FoundBy::Detector);
            }
            // refresh scores of tracks a detection confirms
            for tr in &mut self.tracks {
                if let Some(d) = self.detections.iter().find(|d| contains(&tr.raw.bounds(), d.center())) {
                    tr.detection_score = d.score;
                }
            }
        }

        // 3. search zoomed tiles for faces the whole-frame pass missed
        self.tile_faces.clear();
        self.frames += 1;
        let (search, all, round_robin) = match self.config.tile_search {
            TileSearch::Off => (false, false, false),
            TileSearch::All => (true, true, false),
            // not on frames the whole-frame detector already searched (keeps the worst frame's
            // time down), except every other frame while nobody is tracked (the detector then
            // runs on every frame)
            TileSearch::Live { round_robin_every } => (
                !detect || (self.tracks.is_empty() && self.frames % 2 == 1),
                false,
                round_robin_every > 0 && self.frames.is_multiple_of(round_robin_every as u64),
            ),
        };
        if search && self.tracks.len() < self.config.max_faces {
            let before = detector.session().total_run();
            let t0 = std::time::Instant::now();
            self.face_boxes.clear();
            self.face_boxes.extend(self.tracks.iter().map(|tr| tr.raw.bounds()));
            let people = person_mask.map(|m| (m, &self.face_boxes[..]));
            let found = self.tile_scan.scan(detector, rgb, w, h, all, round_robin, people)?;
            times.tiles = t0.elapsed();
            times.detect += times.tiles;
            times.model += detector.session().total_run().saturating_sub(before);
            self.candidates.clear();
            self.candidates.extend_from_slice(found);
            for c in 0..self.candidates.len() {
                let det = self.candidates[c];
                if self.tracks.len() >= self.config.max_faces {
                    break;
                }
                let known = self.tracks.iter().any(|tr| {
                    let b = tr.raw.bounds();
                    iou(&b, &det.box_px) > 0.2 || contains(&b, det.center()) || contains(&det.box_px, center(&b))
                });
                let on_person = person_mask.is_some_and(|m| person_support(m, &det.box_px, w, h) >= TILE_MIN_PERSON);
                if known {
                    continue;
                }
                let t0 = std::time::Instant::now();
                mesh_model.run(rgb, w, h, mesh::roi_from_detection(&det), &mut self.scratch)?;
                times.mesh += t0.elapsed();
                times.model += mesh_model.session().last_run();
                let min_presence = if on_person { TILE_MIN_PRESENCE } else { TILE_MIN_PRESENCE_OFF_PERSON };
                if self.scratch.presence < min_presence {
                    continue;
                }
                // confirm: the detector's keypoints agree with the mesh, the mesh run again from
                // its own landmarks (as the next frame would) finds the same face, made of skin
                let disagreement = keypoint_disagreement(&det, &self.scratch);
                let t0 = std::time::Instant::now();
                mesh_model.run(rgb, w, h, mesh::roi_from_landmarks(&self.scratch.points_px), &mut self.confirm)?;
                times.mesh += t0.elapsed();
                times.model += mesh_model.session().last_run();
                let drift = mesh_drift(&self.scratch, &self.confirm);
                let skin = skin_share(rgb, w, h, &self.confirm);
                if skin < TILE_MIN_SKIN
                    || disagreement > TILE_MAX_DISAGREEMENT
                    || self.confirm.presence < TILE_MIN_CONFIRM_PRESENCE
                    || drift > TILE_MAX_DRIFT
                {
                    continue;
                }
                self.start_track(&det, FoundBy::Tile);
                self.tile_faces.push(det);
            }
        }

        // 4. two tracks that converged on one face: keep the older
        self.tracks.sort_by_key(|t| t.id);
        let mut k = 1;
        while k < self.tracks.len() {
            let b = self.tracks[k].raw.bounds();
            if self.tracks[..k].iter().any(|o| iou(&o.raw.bounds(), &b) > 0.5) {
                let dup = self.tracks.remove(k);
                self.spare.push(dup);
            } else {
                k += 1;
            }
        }

        // 5. smooth and predict the next region
        let smoothing = self.config.smoothing;
        let params = self.config.filter;
        for tr in &mut self.tracks {
            tr.age += 1;
            let raw_box = tr.raw.bounds();
            let size = ((raw_box[2] - raw_box[0]) + (raw_box[3] - raw_box[1])) * 0.5;
            let scale = 1.0 / size.max(1.0);
            tr.mesh.points_px.clone_from(&tr.raw.points_px);
            tr.mesh.presence = tr.raw.presence;
            tr.mesh.roi = tr.raw.roi;
            if smoothing {
                for (p, f) in tr.mesh.points_px.iter_mut().zip(tr.filters.iter_mut()) {
                    p[0] = f[0].filter(p[0], t, scale, &params);
                    p[1] = f[1].filter(p[1], t, scale, &params);
                }
                for ((out, raw), f) in tr.box_px.iter_mut().zip(raw_box).zip(tr.box_filters.iter_mut()) {
                    *out = f.filter(raw, t, scale, &params);
                }
            } else {
                tr.box_px = raw_box;
            }
            // the next region follows the raw landmarks: smoothing must not make the crop lag
            tr.next_roi = mesh::roi_from_landmarks(&tr.raw.points_px);
        }
        Ok(times)
    }

    /// Search a window around track `i`'s last face (three times its size) with the detector and
    /// confirm the best detection near it with the mesh (into `self.scratch`). True when found.
    fn recover(
        &mut self,
        i: usize,
        rgb: &[u8],
        w: u32,
        h: u32,
        detector: &mut FaceDetector,
        mesh_model: &mut FaceMeshModel,
    ) -> Result<bool, RuntimeError> {
        let b = self.tracks[i].raw.bounds();
        let size = (b[2] - b[0]).max(b[3] - b[1]);
        if !size.is_finite() || size <= 0.0 {
            return Ok(false);
        }
        let c = center(&b);
        let side = (size * RECOVER_WINDOW).max(detector::INPUT_SIZE as f32);
        let k = side / detector::INPUT_SIZE as f32;
        let window = Affine2::scale_translate(k, k, c[0] - side * 0.5, c[1] - side * 0.5);
        self.candidates.clear();
        detector.detect_window(rgb, w, h, &window, TILE_MIN_SCORE, &mut self.candidates)?;
        let near = |d: &&FaceDetection| {
            let dc = d.center();
            ((dc[0] - c[0]).powi(2) + (dc[1] - c[1]).powi(2)).sqrt() < size * 1.5
        };
        let Some(best) = self.candidates.iter().filter(near).max_by(|a, b| a.score.total_cmp(&b.score)).copied() else {
            return Ok(false);
        };
        mesh_model.run(rgb, w, h, mesh::roi_from_detection(&best), &mut self.scratch)?;
        Ok(self.scratch.presence >= TILE_MIN_PRESENCE)
    }

    /// A new track from `det`, whose mesh is in `self.scratch`.
    fn start_track(&mut self, det: &FaceDetection, found_by: FoundBy) {
        let id = self.reacquire(det).unwrap_or_else(|| {
            self.next_id += 1;
            self.next_id - 1
        });
        let mut track = self.spare.pop().unwrap_or_else(|| FaceTrack {
            id,
            mesh: FaceMesh::default(),
            raw: FaceMesh::default(),
            box_px: [0.0; 4],
            detection_score: 0.0,
            age: 0,
            found_by,
            next_roi: self.scratch.roi,
            filters: vec![[OneEuro::default(); 2]; LANDMARKS],
            box_filters: [OneEuro::default(); 4],
        });
        track.id = id;
        track.age = 0;
        track.found_by = found_by;
        track.detection_score = det.score;
        track.filters.iter_mut().flatten().for_each(OneEuro::reset);
        track.box_filters.iter_mut().for_each(OneEuro::reset);
        std::mem::swap(&mut track.raw, &mut self.scratch);
        self.tracks.push(track);
    }

    fn reacquire(&mut self, det: &FaceDetection) -> Option<u32> {
        let c = det.center();
        let size = det.box_px[2] - det.box_px[0];
        let (pos, _) = self
            .lost
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let lc = center(&l.box_px);
                (i, ((lc[0] - c[0]).powi(2) + (lc[1] - c[1]).powi(2)).sqrt())
            })
            .filter(|(_, d)| *d < size * REACQUIRE_RADIUS)
            .min_by(|a, b| a.1.total_cmp(&b.1))?;
        Some(self.lost.swap_remove(pos).id)
    }
}
