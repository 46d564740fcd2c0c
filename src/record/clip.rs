//! A clip being recorded from a live pipeline: frames keep their capture times as pts, the
//! encoder runs on its own thread ("encoder") behind a bounded queue, and frames it cannot take
//! are dropped and counted (in the file's comment, `dropped_frames=N`), never waited for. The clip
//! ends at its maximum length. Used by `webtoonme record`, `bench --record` and the window's
//! record button.
//!
//! In: composed RGB8 frames with their capture instants. Out: a fragmented MP4 (playable at every
//! moment, see [`super::VideoWriter`]) and a [`ClipSummary`]. Runs on the sink's thread (the
//! CLI's main thread, the window's UI thread); [`ClipRecorder::finish`] waits for the encoder, so
//! the window calls it from a thread of its own.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{EncoderThread, Fps, Pushed, RecordError, VideoWriter, WriterStats};

/// Frames a live clip lets wait for the encoder before it drops: about 130 ms at 30 fps.
pub const CLIP_QUEUE: usize = 4;

/// What [`ClipRecorder::offer`] did with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Queued for the encoder.
    Queued,
    /// Not kept: the encoder was behind (counted), or the frame was not newer than the last.
    Dropped,
    /// The clip reached its maximum length: finish it.
    Full,
    /// The encoder stopped (its error comes from [`ClipRecorder::finish`]).
    Stopped,
}

/// A recorded clip, once finished.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipSummary {
    pub path: PathBuf,
    pub stats: WriterStats,
    /// Frames dropped because the encoder was behind.
    pub dropped: u64,
}

pub struct ClipRecorder {
    encoder: EncoderThread,
    path: PathBuf,
    max_length: Duration,
    /// Capture instant of the clip's first frame (pts zero).
    origin: Option<Instant>,
    /// pts of the last queued frame.
    last_pts: Option<Duration>,
}

impl std::fmt::Debug for ClipRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClipRecorder").field("path", &self.path).field("last_pts", &self.last_pts).finish()
    }
}

impl ClipRecorder {
    /// Creates `path` (replacing a file there: callers pick a free name) for `width` x `height`
    /// frames at the source's nominal `fps`, at most `max_length` long.
    pub fn start(path: &Path, width: u32, height: u32, fps: Fps, max_length: Duration) -> Result<Self, RecordError> {
        let writer = VideoWriter::create(path, width, height, fps, None)?;
        let encoder = EncoderThread::start(writer, CLIP_QUEUE)
            .map_err(|e| RecordError::Encoder { path: path.to_path_buf(), reason: format!("cannot start: {e}") })?;
        Ok(Self { encoder, path: path.to_path_buf(), max_length, origin: None, last_pts: None })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The pts a frame captured at `captured_at` would get.
    fn pts(&self, captured_at: Instant) -> Duration {
        self.origin.map_or(Duration::ZERO, |o| captured_at.saturating_duration_since(o))
    }

    /// Whether a frame captured at `captured_at` would be kept (newer than the last one, within
    /// the maximum length): callers skip composing and reading back the others.
    pub fn wants(&self, captured_at: Instant) -> bool {
        let pts = self.pts(captured_at);
        pts < self.max_length && self.last_pts.is_none_or(|l| pts > l + Duration::from_millis(1))
    }

    /// Whether a frame captured at `captured_at` is past the clip's maximum length.
    pub fn is_past_end(&self, captured_at: Instant) -> bool {
        self.origin.is_some() && self.pts(captured_at) >= self.max_length
    }

    /// A buffer to compose the next frame into (recycled from the encoder when one is free).
    pub fn buffer(&self) -> Vec<u8> {
        self.encoder.buffer()
    }

    /// Hands a composed frame to the encoder without waiting.
    pub fn offer(&mut self, captured_at: Instant, rgb: Vec<u8>) -> Offer {
        let origin = *self.origin.get_or_insert(captured_at);
        let pts = captured_at.saturating_duration_since(origin);
        if pts >= self.max_length {
            return Offer::Full;
        }
        if !self.wants(captured_at) {
            return Offer::Dropped;
        }
        match self.encoder.try_push(rgb, pts) {
            Pushed::Queued => {
                self.last_pts = Some(pts);
                Offer::Queued
            }
            Pushed::Dropped(_) => Offer::Dropped,
            Pushed::Stopped => Offer::Stopped,
        }
    }

    /// Length so far: the pts of the last queued frame.
    pub fn length(&self) -> Duration {
        self.last_pts.unwrap_or_default()
    }

    /// The maximum length given to [`ClipRecorder::start`].
    pub fn max_length(&self) -> Duration {
        self.max_length
    }

    /// Frames dropped so far because the encoder was behind.
    pub fn dropped(&self) -> u64 {
        self.encoder.dropped()
    }

    /// Frames waiting for the encoder.
    pub fn queued(&self) -> usize {
        self.encoder.queued()
    }

    /// Encodes what is queued and closes the file (waits for the encoder thread).
    pub fn finish(self) -> Result<ClipSummary, RecordError> {
        let dropped = self.encoder.dropped();
        let stats = self.encoder.finish()?;
        Ok(ClipSummary { path: self.path, stats, dropped })
    }
}
