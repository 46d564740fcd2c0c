//! Perception: everything the app knows about the people in a frame.
//!
//! In: a [`Frame`]. Out: a [`FrameAnalysis`]: tracked faces with 478 landmarks, the person mask,
//! per-face skin statistics and a skin mask, and how long each stage took. One [`Perception`]
//! lives on the perception worker thread and owns its ONNX Runtime sessions; every buffer in the
//! analysis is reused from frame to frame.

pub mod detector;
pub mod geometry;
pub mod mesh;
pub mod one_euro;
pub mod recall;
pub mod runtime;
pub mod segment;
pub mod skin;
pub mod track;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::frame::Frame;
use crate::paths;
use crate::perception::track::{FaceTrack, Tracker, TrackerConfig};
use detector::{FaceDetection, FaceDetector};
use mesh::FaceMeshModel;
use recall::FoundBy;
use runtime::{ActiveProvider, ModelSession, RuntimeError, SessionOptions};
use segment::{Mask, PersonSegmenter};
use skin::{SkinAnalyzer, SkinStats};

#[derive(Debug, Clone)]
pub struct PerceptionConfig {
    pub tracker: TrackerConfig,
    pub session: SessionOptions,
    /// Folder holding the perception models.
    pub models_dir: PathBuf,
    /// Treat every frame as an unrelated photo: detect every time, no smoothing over time.
    pub still_images: bool,
}

impl Default for PerceptionConfig {
    fn default() -> Self {
        Self {
            tracker: TrackerConfig::default(),
            session: SessionOptions { trt_cache: Some(paths::trt_cache_dir()), ..SessionOptions::default() },
            models_dir: paths::models_dir(),
            still_images: false,
        }
    }
}

impl PerceptionConfig {
    /// Settings for single photos (`detect`, `photo`).
    pub fn for_photos() -> Self {
        let mut c = Self { still_images: true, ..Self::default() };
        c.tracker.smoothing = false;
        // a photo is searched once, so search every tile
        c.tracker.tile_search = track::TileSearch::All;
        c
    }
}

/// One face in the analysis.
#[derive(Debug, Clone, Default)]
pub struct FaceObservation {
    pub track_id: u32,
    pub detection_score: f32,
    /// Smoothed landmarks (raw when smoothing is off), frame pixels.
    pub landmarks_px: Vec<[f32; 3]>,
    /// Landmarks exactly as the model gave them this frame.
    pub raw_landmarks_px: Vec<[f32; 3]>,
    pub presence: f32,
    /// Smoothed box (x0, y0, x1, y1), frame pixels.
    pub box_px: [f32; 4],
    pub skin: Option<SkinStats>,
    /// How the face was first found.
    pub found_by: FoundBy,
}

/// Time per stage for one frame. `model` is the part spent inside ONNX Runtime.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct StageTimes {
    /// Face detection, the tile search included.
    pub detect: Duration,
    /// Part of `detect` spent searching zoomed tiles (`recall`).
    pub tiles: Duration,
    pub mesh: Duration,
    pub segment: Duration,
    pub skin: Duration,
    pub total: Duration,
    pub model: Duration,
    pub detected: bool,
}

/// What perception found in one frame.
#[derive(Debug, Clone, Default)]
pub struct FrameAnalysis {
    pub seq: u64,
    pub pts: Duration,
    pub width: u32,
    pub height: u32,
    pub faces: Vec<FaceObservation>,
    /// Raw detections of the whole-frame detector this frame (empty when it did not run).
    pub detections: Vec<FaceDetection>,
    /// Detections on zoomed tiles that started a face this frame (`recall`).
    pub tile_detections: Vec<FaceDetection>,
    pub person_mask: Mask,
    pub skin_mask: Mask,
    pub times: StageTimes,
}

pub struct Perception {
    config: PerceptionConfig,
    detector: FaceDetector,
    mesh: FaceMeshModel,
    segmenter: PersonSegmenter,
    skin: SkinAnalyzer,
    tracker: Tracker,
    skin_stats: Vec<SkinStats>,
}

impl std::fmt::Debug for Perception {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Perception").field("provider", &self.provider()).finish_non_exhaustive()
    }
}

impl Perception {
    /// Load ONNX Runtime (once per process) and the three perception models.
    pub fn load(config: PerceptionConfig) -> Result<Self, RuntimeError> {
        let env = runtime::init(&paths::onnxruntime_library())?;
        let dir = &config.models_dir;
        let load = |name, file| ModelSession::load(&env, name, &dir.join(file), &config.session);
        let detector = FaceDetector::new(load("face_detector", paths::FACE_DETECTOR_FILE)?);
        let mesh = FaceMeshModel::new(load("face_mesh", paths::FACE_MESH_FILE)?);
        let segmenter = PersonSegmenter::new(load("person_segmenter", paths::PERSON_SEGMENTER_FILE)?);
        let tracker = Tracker::new(config.tracker.clone());
        Ok(Self { config, detector, mesh, segmenter, skin: SkinAnalyzer::default(), tracker, skin_stats: Vec::new() })
    }

    /// The execution provider the sessions really run on.
    pub fn provider(&self) -> ActiveProvider {
        self.detector.session().provider
    }

    /// Forget tracks and temporal state (new source).
    pub fn reset(&mut self) {
        self.tracker.reset();
        self.segmenter.reset();
    }

    pub fn tracks(&self) -> &[FaceTrack] {
        self.tracker.tracks()
    }

    /// Analyse one frame into `out` (its buffers are reused).
    pub fn process(&mut self, frame: &Frame, out: &mut FrameAnalysis) -> Result<(), RuntimeError> {
        let start = Instant::now();
        if self.config.still_images {
            self.reset();
        }
        let (rgb, w, h) = (&frame.rgb[..], frame.width, frame.height);
        let t = frame.pts.as_secs_f64();
        // the person mask first: faces found on tiles must lie on a person
        let t0 = Instant::now();
        self.segmenter.run(rgb, w, h, &mut out.person_mask)?;
        let segment = t0.elapsed();
        let segment_model = self.segmenter.session().last_run();

        let track_times =
            self.tracker.update(rgb, w, h, t, &mut self.detector, &mut self.mesh, Some(&out.person_mask))?;

        let t0 = Instant::now();
        let tracks = self.tracker.tracks();
        out.faces.resize_with(tracks.len(), FaceObservation::default);
        self.skin_stats.clear();
        for (obs, tr) in out.faces.iter_mut().zip(tracks) {
            obs.track_id = tr.id;
            obs.detection_score = tr.detection_score;
            obs.landmarks_px.clone_from(&tr.mesh.points_px);
            obs.raw_landmarks_px.clone_from(&tr.raw.points_px);
            obs.presence = tr.raw.presence;
            obs.box_px = tr.box_px;
            obs.found_by = tr.found_by;
            obs.skin = self.skin.face_stats(rgb, w, h, &tr.raw);
            if let Some(s) = obs.skin {
                self.skin_stats.push(s);
            }
        }
        self.skin.skin_mask(rgb, w, h, &out.person_mask, &self.skin_stats, &mut out.skin_mask);
        let skin = t0.elapsed();

        out.detections.clear();
        out.detections.extend_from_slice(self.tracker.last_detections());
        out.tile_detections.clear();
        out.tile_detections.extend_from_slice(self.tracker.last_tile_faces());
        out.seq = frame.seq;
        out.pts = frame.pts;
        out.width = w;
        out.height = h;
        out.times = StageTimes {
            detect: track_times.detect,
            tiles: track_times.tiles,
            mesh: track_times.mesh,
            segment,
            skin,
            total: start.elapsed(),
            model: track_times.model + segment_model,
            detected: track_times.detected,
        };
        Ok(())
    }
}
