//! What the booth keeps: video files (this module: RGB frames in, an H.264 MP4 out, optionally
//! with the input's audio copied), live clips ([`clip`]), photos ([`photo`]), four-cut strips
//! ([`strip`]), boomerangs ([`boomerang`]) and their file names ([`names`]).
//!
//! In: [`VideoWriter::create`] with the output path, the frame size, the nominal rate ([`Fps`],
//! exact: 29.97 is 30000/1001) and optionally an [`AudioSource`]; then one packed RGB8 picture per
//! [`VideoWriter::push`] with its pts (strictly increasing); then [`VideoWriter::finish`]. Out: an
//! MP4 file (H.264 Constrained Baseline, yuv420p, BT.601 limited range; AAC copied unchanged when
//! given) and [`WriterStats`]. Used by `webtoonme video` now and by clip recording later.
//!
//! Thread: everything runs on the thread that owns the writer (the caller's for `webtoonme video`,
//! the recorder thread for clips); `VideoWriter` is `Send`, so it can be created on one thread
//! and moved to another. `push` encodes and writes synchronously (about 7 ms per 1280x720 frame
//! in release on a 2-core machine: 1 ms RGB->YUV, 5-6 ms openh264, the write is negligible).
//!
//! Timing: output time zero is the first frame's pts. Each sample lasts until the next frame's
//! pts, so variable-rate input keeps its timing (to 1/timescale; the track timescale is 90 kHz
//! when the rate divides it, else a multiple of the rate's numerator); the last frame lasts one
//! nominal frame. Sizes: 16x16 up to 3840x2160 either way round (openh264's limits); odd sizes
//! are padded to even with the edge pixels (H.264 4:2:0 cannot code odd sizes), so the file is one
//! pixel wider/taller: see [`WriterStats::coded_width`].
//!
//! Files: fragmented MP4 (`ftyp` + `moov` with the first frame, then a `moof`+`mdat` fragment
//! at every keyframe and at least every second, each flushed and synced): a process killed at any
//! point leaves a playable file with everything up to the last fragment. `finish` writes the last
//! fragment, an `mfra` and the exact durations (and the comment from
//! [`VideoWriter::set_comment`]). A rejected frame (wrong size, pts not increasing) leaves the
//! writer usable; after a write error (disk full: the message says so) the file is cut back to its
//! last complete fragment, stays playable, and every later call returns [`RecordError::Write`].

mod audio;
pub mod boomerang;
pub mod clip;
mod encoder;
mod mux;
pub mod names;
pub mod photo;
pub mod strip;
mod thread;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use audio::AudioSource;
use audio::{AudioCopy, duration_to_ticks, ticks_to_duration};
use encoder::{EncoderSettings, H264Encoder, MAX_LONG_SIDE, MAX_SHORT_SIDE, MIN_SIDE};
use mux::{Ending, HeaderInfo, Mp4Muxer, Output};
pub use thread::{EncoderThread, Pushed};

/// Audio is written in chunks once it lags the video by this much.
const AUDIO_INTERLEAVE: Duration = Duration::from_millis(500);

/// An exact frame rate `num / den` frames per second (reduced; both > 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fps {
    num: u32,
    den: u32,
}

impl Fps {
    /// `num / den`; `None` when either is 0.
    pub fn new(num: u32, den: u32) -> Option<Self> {
        if num == 0 || den == 0 {
            return None;
        }
        let g = gcd(num, den);
        Some(Self { num: num / g, den: den / g })
    }

    /// A whole number of frames per second; `None` for 0.
    pub fn integer(fps: u32) -> Option<Self> {
        Self::new(fps, 1)
    }

    /// NTSC 29.97 (30000/1001).
    pub const NTSC_30: Self = Self { num: 30000, den: 1001 };

    /// From a measured rate (e.g. [`crate::source::SourceInfo::fps`]): snaps to the NTSC rates
    /// (23.976, 29.97, 59.94, ... as n*1000/1001) and to whole numbers within 0.005, else keeps
    /// three decimals. `None` for non-finite or non-positive values.
    pub fn from_f64(fps: f64) -> Option<Self> {
        if !fps.is_finite() || fps <= 0.0 || fps > 1_000_000.0 {
            return None;
        }
        for base in [24u32, 30, 48, 60, 120, 240] {
            if (fps - f64::from(base) * 1000.0 / 1001.0).abs() < 0.005 {
                return Self::new(base * 1000, 1001);
            }
        }
        if (fps - fps.round()).abs() < 0.005 {
            return Self::integer(fps.round() as u32);
        }
        Self::new((fps * 1000.0).round() as u32, 1000)
    }

    /// From a container's timing: `timescale` ticks per second, `frame_ticks` per frame.
    pub fn from_timescale(timescale: u32, frame_ticks: u32) -> Option<Self> {
        Self::new(timescale, frame_ticks)
    }

    pub fn num(self) -> u32 {
        self.num
    }

    pub fn den(self) -> u32 {
        self.den
    }

    pub fn as_f64(self) -> f64 {
        f64::from(self.num) / f64::from(self.den)
    }

    /// One frame's duration (rounded to the nanosecond).
    pub fn frame_duration(self) -> Duration {
        Duration::from_nanos(
            ((u64::from(self.den) * 1_000_000_000 + u64::from(self.num) / 2) / u64::from(self.num)).max(1),
        )
    }

    /// The video track timescale and the ticks of one frame: 90 kHz when the rate divides it
    /// (all common rates), else a multiple of `num` of at least 10 kHz.
    fn timebase(self) -> Option<(u32, u32)> {
        let m = if 90_000 % self.num == 0 { 90_000 / self.num } else { 10_000u32.div_ceil(self.num) };
        Some((self.num.checked_mul(m)?, self.den.checked_mul(m)?))
    }
}

impl std::fmt::Display for Fps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.den == 1 { write!(f, "{}", self.num) } else { write!(f, "{}/{}", self.num, self.den) }
    }
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Encoder settings.
#[derive(Debug, Clone, PartialEq)]
pub struct WriterConfig {
    /// Target bitrate in bit/s; `None`: about 0.18 bit per pixel per frame (5 Mbit/s at 720p30,
    /// at least 0.8 Mbit/s).
    pub bitrate: Option<u32>,
    /// Time between keyframes (IDR pictures): where players can seek to.
    pub keyframe_interval: Duration,
    /// Test hook: writes past this many bytes fail as a full disk would (`StorageFull`).
    pub max_bytes: Option<u64>,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self { bitrate: None, keyframe_interval: Duration::from_secs(2), max_bytes: None }
    }
}

/// What [`VideoWriter::finish`] wrote.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WriterStats {
    /// Video samples in the file (one per pushed frame unless the encoder skipped one).
    pub frames: u64,
    /// Frames the encoder dropped (their time went to the previous frame); normally 0.
    pub skipped: u64,
    /// Video duration: first pts to the end of the last frame.
    pub duration: Duration,
    /// File size.
    pub bytes: u64,
    /// Size of the coded picture: the frame size rounded up to even.
    pub coded_width: u32,
    pub coded_height: u32,
    /// Audio samples copied (0 without audio).
    pub audio_samples: u64,
    /// How long the copied audio plays.
    pub audio_duration: Duration,
    pub bitrate: u32,
}

/// Errors of the writer. Each names the file (the output, or the audio input for
/// [`RecordError::Audio`]) and what went wrong.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cannot create {}: {io}", path.display())]
    Create { path: PathBuf, io: std::io::Error },
    #[error("cannot write {}: {io}{}", path.display(), disk_full_note(io))]
    Write { path: PathBuf, io: std::io::Error },
    #[error("{}: cannot write a {width}x{height} video: {reason}", path.display())]
    Size { path: PathBuf, width: u32, height: u32, reason: String },
    #[error("{}: unusable frame rate {fps}", path.display())]
    Fps { path: PathBuf, fps: String },
    #[error("{}: frame {index} has {got} bytes, expected {expected} ({width}x{height} RGB8)", path.display())]
    FrameSize { path: PathBuf, index: u64, got: usize, expected: usize, width: u32, height: u32 },
    #[error("{}: frame {index} at {pts:?} does not come after the previous frame at {previous:?}{detail}", path.display())]
    Pts { path: PathBuf, index: u64, pts: Duration, previous: Duration, detail: String },
    #[error("{}: H.264 encoder: {reason}", path.display())]
    Encoder { path: PathBuf, reason: String },
    #[error("{}: audio: {reason}", path.display())]
    Audio { path: PathBuf, reason: String },
    #[error("{}: no frames were pushed; nothing written", path.display())]
    NoFrames { path: PathBuf },
}

/// What a write error adds to its message when the disk is full.
fn disk_full_note(io: &std::io::Error) -> &'static str {
    const ENOSPC: i32 = 28;
    const EDQUOT: i32 = 122;
    let full = matches!(io.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded)
        || matches!(io.raw_os_error(), Some(ENOSPC | EDQUOT));
    if full { " (disk full: recording stopped; what was written before is kept and plays)" } else { "" }
}

/// An H.264 MP4 being written. See the module doc.
pub struct VideoWriter {
    path: PathBuf,
    width: u32,
    height: u32,
    fps: Fps,
    timescale: u32,
    frame_ticks: u32,
    bitrate: u32,
    encoder: H264Encoder,
    mux: Mp4Muxer,
    /// The audio to copy, until the first frame fixes time zero.
    pending_audio: Option<AudioSource>,
    audio: Option<AudioCopy>,
    first_pts: Option<Duration>,
    /// pts and tick of the latest accepted frame.
    last: Option<(Duration, u64)>,
    pushed: u64,
    skipped: u64,
    /// Stored in the file's metadata at finish (`comment` tag).
    comment: Option<String>,
    /// A write failed: the file's layout is unknown, so every later call fails too.
    broken: bool,
}

impl std::fmt::Debug for VideoWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoWriter")
            .field("path", &self.path)
            .field("size", &(self.width, self.height))
            .field("fps", &self.fps)
            .field("pushed", &self.pushed)
            .finish_non_exhaustive()
    }
}

impl VideoWriter {
    /// Create `path` (replacing a file there) for `width` x `height` frames at `fps`, with the
    /// default [`WriterConfig`].
    pub fn create(
        path: &Path,
        width: u32,
        height: u32,
        fps: Fps,
        audio: Option<AudioSource>,
    ) -> Result<Self, RecordError> {
        Self::create_with(path, width, height, fps, audio, &WriterConfig::default())
    }

    /// [`VideoWriter::create`] with explicit settings.
    pub fn create_with(
        path: &Path,
        width: u32,
        height: u32,
        fps: Fps,
        audio: Option<AudioSource>,
        config: &WriterConfig,
    ) -> Result<Self, RecordError> {
        let size_error =
            |reason: &str| RecordError::Size { path: path.to_path_buf(), width, height, reason: reason.to_string() };
        if width == 0 || height == 0 {
            return Err(size_error("the size is 0"));
        }
        let (coded_w, coded_h) = (width.next_multiple_of(2), height.next_multiple_of(2));
        if width < MIN_SIDE || height < MIN_SIDE {
            return Err(size_error("smaller than 16x16, the encoder's minimum"));
        }
        if coded_w.max(coded_h) > MAX_LONG_SIDE || coded_w.min(coded_h) > MAX_SHORT_SIDE {
            return Err(size_error("larger than 3840x2160, the encoder's limit"));
        }
        let (timescale, frame_ticks) =
            fps.timebase().ok_or_else(|| RecordError::Fps { path: path.to_path_buf(), fps: fps.to_string() })?;
        if let Some(audio) = &audio
            && same_file(audio.path(), path)
        {
            return Err(RecordError::Create {
                path: path.to_path_buf(),
                io: std::io::Error::other("it is the input file; write to another path"),
            });
        }

        let bitrate = config.bitrate.unwrap_or_else(|| encoder::auto_bitrate(width, height, fps.as_f64()));
        let keyframe_period = (config.keyframe_interval.as_secs_f64() * fps.as_f64()).round().clamp(1.0, 100_000.0);
        let settings = EncoderSettings { bitrate, fps: fps.as_f64(), keyframe_period: keyframe_period as u32 };
        let encoder = H264Encoder::new(width, height, settings)
            .map_err(|reason| RecordError::Encoder { path: path.to_path_buf(), reason })?;

        let file = File::create(path).map_err(|io| RecordError::Create { path: path.to_path_buf(), io })?;
        let mux = Mp4Muxer::start(Output::new(file, config.max_bytes));
        Ok(Self {
            path: path.to_path_buf(),
            width,
            height,
            fps,
            timescale,
            frame_ticks,
            bitrate,
            encoder,
            mux,
            pending_audio: audio,
            audio: None,
            first_pts: None,
            last: None,
            pushed: 0,
            skipped: 0,
            comment: None,
            broken: false,
        })
    }

    /// The output file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The nominal rate given at creation.
    pub fn fps(&self) -> Fps {
        self.fps
    }

    /// Text stored as the file's comment when it is finished (e.g. `dropped_frames=3`).
    pub fn set_comment(&mut self, text: impl Into<String>) {
        self.comment = Some(text.into());
    }

    /// Frames accepted so far.
    pub fn frames_pushed(&self) -> u64 {
        self.pushed
    }

    /// Encode and write one frame: `rgb` is packed RGB8, `width * height * 3` bytes; `pts` must
    /// be later than the previous frame's (by at least one tick of the track timescale).
    pub fn push(&mut self, rgb: &[u8], pts: Duration) -> Result<(), RecordError> {
        self.check_intact()?;
        let result = self.push_inner(rgb, pts);
        self.broken |= matches!(result, Err(RecordError::Write { .. }));
        result
    }

    fn check_intact(&self) -> Result<(), RecordError> {
        if self.broken {
            let io = std::io::Error::other("an earlier write failed; the file is incomplete");
            return Err(RecordError::Write { path: self.path.clone(), io });
        }
        Ok(())
    }

    fn push_inner(&mut self, rgb: &[u8], pts: Duration) -> Result<(), RecordError> {
        let index = self.pushed;
        let expected = self.width as usize * self.height as usize * 3;
        if rgb.len() != expected {
            return Err(RecordError::FrameSize {
                path: self.path.clone(),
                index,
                got: rgb.len(),
                expected,
                width: self.width,
                height: self.height,
            });
        }
        let first = self.first_pts.unwrap_or(pts);
        let rel = pts.saturating_sub(first);
        let tick = duration_to_ticks(rel, self.timescale);
        if let Some((previous, last_tick)) = self.last {
            let detail = if pts <= previous {
                "; pts must increase".to_string()
            } else if tick <= last_tick {
                format!(" by at least 1/{} s", self.timescale)
            } else if tick - last_tick > u64::from(u32::MAX) {
                format!("; a gap over {:?} cannot be stored", ticks_to_duration(u64::from(u32::MAX), self.timescale))
            } else {
                String::new()
            };
            if !detail.is_empty() {
                return Err(RecordError::Pts { path: self.path.clone(), index, pts, previous, detail });
            }
        }
        if self.first_pts.is_none() {
            self.first_pts = Some(pts);
            self.audio = self.pending_audio.take().map(|a| AudioCopy::new(a, pts));
        }

        // Interleave: audio goes out in chunks of about AUDIO_INTERLEAVE, never past the video.
        if let Some(audio) = &mut self.audio
            && audio.behind(rel.saturating_sub(AUDIO_INTERLEAVE))
        {
            audio.copy_until(rel, &mut self.mux, &self.path)?;
        }

        let encoded = self
            .encoder
            .encode(rgb, rel.as_millis() as u64)
            .map_err(|reason| RecordError::Encoder { path: self.path.clone(), reason })?;
        match encoded {
            Some(frame) if !self.mux.has_header() => {
                // the first picture: its parameter sets go into the header (copied once so the
                // encoder can be asked for them)
                let (data, sync) = (frame.data.to_vec(), frame.sync);
                let (sps, pps) = self.encoder.parameter_sets().ok_or_else(|| RecordError::Encoder {
                    path: self.path.clone(),
                    reason: "no parameter sets after the first frame".into(),
                })?;
                let (width, height) = self.encoder.coded_size();
                let audio = self.audio.as_ref().and_then(|a| a.header(self.timescale));
                let info = HeaderInfo { timescale: self.timescale, width, height, sps, pps, audio };
                let write = |io| RecordError::Write { path: self.path.clone(), io };
                self.mux.write_header(&info).map_err(write)?;
                self.mux.write_video(&data, tick, sync).map_err(write)?;
            }
            Some(frame) => self
                .mux
                .write_video(frame.data, tick, frame.sync)
                .map_err(|io| RecordError::Write { path: self.path.clone(), io })?,
            None => {
                self.skipped += 1;
                log::debug!("{}: the encoder skipped frame {index}", self.path.display());
            }
        }
        self.last = Some((pts, tick));
        self.pushed += 1;
        Ok(())
    }

    /// [`VideoWriter::push`] for a [`crate::frame::Frame`] (its size must be the writer's).
    pub fn push_frame(&mut self, frame: &crate::frame::Frame) -> Result<(), RecordError> {
        if (frame.width, frame.height) != (self.width, self.height) {
            return Err(RecordError::FrameSize {
                path: self.path.clone(),
                index: self.pushed,
                got: frame.rgb.len(),
                expected: self.width as usize * self.height as usize * 3,
                width: self.width,
                height: self.height,
            });
        }
        self.push(&frame.rgb, frame.pts)
    }

    /// Write the rest of the audio and the index (`moov`), flush and sync the file.
    /// With no frames pushed the file is removed and [`RecordError::NoFrames`] returned.
    pub fn finish(mut self) -> Result<WriterStats, RecordError> {
        self.check_intact()?;
        let (Some((_, last_tick)), true) = (self.last, self.mux.has_header()) else {
            drop(self.mux);
            let _ = std::fs::remove_file(&self.path);
            return Err(RecordError::NoFrames { path: self.path });
        };
        let end_tick = last_tick + u64::from(self.frame_ticks);
        let video_end = ticks_to_duration(end_tick, self.timescale);
        if let Some(audio) = &mut self.audio {
            audio.copy_until(video_end, &mut self.mux, &self.path)?;
        }
        let audio_play = self.audio.as_ref().and_then(|a| a.play(video_end, self.timescale));
        let audio_duration = audio_play.map_or(Duration::ZERO, |t| ticks_to_duration(t, self.timescale));
        let audio_samples = if audio_play.is_some() { self.mux.audio_samples() as u64 } else { 0 };
        let (coded_width, coded_height) = self.encoder.coded_size();
        let frames = self.mux.video_samples() as u64;
        let info = Ending { last_duration: self.frame_ticks, audio_play, comment: self.comment.as_deref() };
        let bytes = self.mux.finish(&info).map_err(|io| RecordError::Write { path: self.path.clone(), io })?;
        if let Some(audio) = &self.audio {
            log::debug!(
                "{}: copied {audio_samples} {} samples from {}",
                self.path.display(),
                audio.source().description(),
                audio.source().path().display()
            );
        }
        Ok(WriterStats {
            frames,
            skipped: self.skipped,
            duration: video_end,
            bytes,
            coded_width,
            coded_height,
            audio_samples,
            audio_duration,
            bitrate: self.bitrate,
        })
    }
}

/// Whether `a` and `b` name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_stay_exact() {
        assert_eq!(Fps::from_f64(29.97002997), Some(Fps::NTSC_30));
        assert_eq!(Fps::from_f64(30.0), Fps::integer(30));
        assert_eq!(Fps::from_f64(23.976), Fps::new(24000, 1001));
        assert_eq!(Fps::from_f64(12.5), Fps::new(25, 2));
        assert_eq!(Fps::new(60, 2), Fps::integer(30));
        assert_eq!(Fps::new(0, 1), None);
        assert_eq!(Fps::NTSC_30.to_string(), "30000/1001");
        assert_eq!(Fps::NTSC_30.timebase(), Some((90000, 3003)));
        assert_eq!(Fps::integer(30).unwrap().timebase(), Some((90000, 3000)));
        assert_eq!(Fps::new(24000, 1001).unwrap().timebase(), Some((24000, 1001)));
        assert_eq!(Fps::integer(7).unwrap().timebase(), Some((10003, 1429)));
    }

    #[test]
    fn writer_is_send() {
        fn send<T: Send>() {}
        send::<VideoWriter>();
        send::<AudioSource>();
    }
}
