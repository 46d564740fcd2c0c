//! Face tracking: stable ids across frames, detection only when needed, and One Euro smoothing.
//!
//! In: each frame, the face detector and face mesh models. Out: [`FaceTrack`]s with stable ids,
//! raw and smoothed landmarks and a smoothed box. As MediaPipe does, a face found once is followed
//! by deriving the next frame's region of interest from its landmarks; the detector runs at the
//! start, when a face is lost, and every `detect_every` frames to find newcomers. A face lost for
//! less than `memory_s` seconds and found again near where it was keeps its id. Runs on the
//! perception worker thread.

use std::time::Duration;

use crate::perception::detector::{FaceDetection, FaceDetector};
use crate::perception::geometry::RotatedSquare;
use crate::perception::mesh::{self, FaceMesh, FaceMeshModel, LANDMARKS, MIN_PRESENCE};
use crate::perception::one_euro::{OneEuro, OneEuroParams};
use crate::perception::runtime::RuntimeError;

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
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self { detect_every: 10, max_faces: 6, smoothing: true, filter: OneEuroParams::FACE_LANDMARKS, memory_s: 2.0 }
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
}

pub struct Tracker {
    pub config: TrackerConfig,
    tracks: Vec<FaceTrack>,
    lost: Vec<LostTrack>,
    next_id: u32,
    frames_since_detect: u32,
    detections: Vec<FaceDetection>,
    scratch: FaceMesh,
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

impl Tracker {
    pub fn new(config: TrackerConfig) -> Self {
        Self {
            config,
            tracks: Vec::new(),
            lost: Vec::new(),
            next_id: 1,
            frames_since_detect: 0,
            detections: Vec::new(),
            scratch: FaceMesh::default(),
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

    /// Forget every face (new source, still photo).
    pub fn reset(&mut self) {
        self.spare.append(&mut self.tracks);
        self.lost.clear();
        self.frames_since_detect = 0;
        self.detections.clear();
    }

    /// Follow faces into this frame. `t` is the frame's media time in seconds.
    pub fn update(
        &mut self,
        rgb: &[u8],
        w: u32,
        h: u32,
        t: f64,
        detector: &mut FaceDetector,
        mesh_model: &mut FaceMeshModel,
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
            if self.scratch.presence >= MIN_PRESENCE {
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
                let id = self.reacquire(&det).unwrap_or_else(|| {
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
                    next_roi: self.scratch.roi,
                    filters: vec![[OneEuro::default(); 2]; LANDMARKS],
                    box_filters: [OneEuro::default(); 4],
                });
                track.id = id;
                track.age = 0;
                track.detection_score = det.score;
                track.filters.iter_mut().flatten().for_each(OneEuro::reset);
                track.box_filters.iter_mut().for_each(OneEuro::reset);
                std::mem::swap(&mut track.raw, &mut self.scratch);
                self.tracks.push(track);
            }
            // refresh scores of tracks a detection confirms
            for tr in &mut self.tracks {
                if let Some(d) = self.detections.iter().find(|d| contains(&tr.raw.bounds(), d.center())) {
                    tr.detection_score = d.score;
                }
            }
        }

        // 3. two tracks that converged on one face: keep the older
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

        // 4. smooth and predict the next region
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
            .filter(|(_, d)| *d < size * 1.5)
            .min_by(|a, b| a.1.total_cmp(&b.1))?;
        Some(self.lost.swap_remove(pos).id)
    }
}
