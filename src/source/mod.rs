//! Frame sources: camera, video file, still image and the built-in demo.
//!
//! In: a [`SourceSpec`] parsed from the command line (`camera[:N]`, `video:PATH`, `image:PATH`,
//! `demo`). Out: frames written into buffers handed in by the capture thread
//! ([`capture::CaptureThread`]), which publishes them to the [`crate::ring::FrameRing`].
//! Every source runs on the capture thread only.

pub mod camera;
pub mod capture;
pub mod demo;
pub mod image_file;
pub mod pixel;
pub mod video;

use std::path::PathBuf;
use std::time::Duration;

use crate::frame::Frame;

/// What a source is and what it delivers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SourceInfo {
    /// Human-readable name: camera name, file name, "demo".
    pub name: String,
    pub width: u32,
    pub height: u32,
    /// Nominal frame rate; a live source is paced to it, a file source reports it.
    pub fps: f64,
    /// Number of frames if known (video files, the demo loop length).
    pub frame_count: Option<u64>,
    /// Whether the source produces frames in real time (camera) or as fast as asked (file, demo).
    pub live: bool,
}

/// Errors of every source. Each names the file or device and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("camera {index}: {reason}")]
    Camera { index: u32, reason: String },
    #[error("invalid source '{spec}': {reason}")]
    Spec { spec: String, reason: String },
}

/// A producer of frames. Implementations fill the caller's frame buffer (reusing its allocation).
/// Not `Send`: camera handles may be tied to the thread that opened them, so a source is opened
/// on the capture thread itself (see [`capture::CaptureThread::start`]).
pub trait FrameSource {
    fn info(&self) -> &SourceInfo;

    /// Write the next frame into `frame` (pixels, size, `pts`). `seq` and `captured_at` are set
    /// by the caller. Returns `Ok(false)` at the end of a finite source.
    fn next_frame(&mut self, frame: &mut Frame) -> Result<bool, SourceError>;

    /// Time the caller should wait between frames to play at the nominal rate (`None`: the source
    /// blocks by itself, as a camera does).
    fn pacing(&self) -> Option<Duration> {
        if self.info().live { None } else { Some(Duration::from_secs_f64(1.0 / self.info().fps.max(1.0))) }
    }
}

/// A parsed `--source` argument.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceSpec {
    Camera { index: u32 },
    Video { path: PathBuf },
    Image { path: PathBuf },
    Demo,
}

impl std::str::FromStr for SourceSpec {
    type Err = SourceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| SourceError::Spec { spec: s.to_string(), reason: reason.to_string() };
        match s.split_once(':') {
            None if s == "demo" => Ok(Self::Demo),
            None if s == "camera" => Ok(Self::Camera { index: 0 }),
            Some(("camera", n)) => {
                n.parse().map(|index| Self::Camera { index }).map_err(|_| bad("camera index must be a number"))
            }
            Some(("video", p)) if !p.is_empty() => Ok(Self::Video { path: p.into() }),
            Some(("image", p)) if !p.is_empty() => Ok(Self::Image { path: p.into() }),
            _ => Err(bad("expected camera[:N], video:PATH, image:PATH or demo")),
        }
    }
}

impl SourceSpec {
    /// Open the source (on the thread that will read it).
    pub fn open(&self) -> Result<Box<dyn FrameSource>, SourceError> {
        Ok(match self {
            Self::Camera { index } => Box::new(camera::CameraSource::open(*index, &camera::CameraRequest::default())?),
            Self::Video { path } => Box::new(video::VideoSource::open(path)?),
            Self::Image { path } => Box::new(image_file::ImageSource::open(path)?),
            Self::Demo => Box::new(demo::DemoSource::new(demo::DemoConfig::default())),
        })
    }
}
