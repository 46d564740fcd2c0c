//! Video file source: MP4 with H.264 decoded by openh264, anything else through the `ffmpeg` CLI.
//!
//! In: a path. Out: one RGB frame per [`FrameSource::next_frame`] call, written into the caller's
//! reused [`Frame`], in presentation order, with `pts` from zero: the container's sample times on
//! the openh264 path, `k / fps` on the (constant-rate) FFmpeg path; [`SourceInfo`] carries size,
//! fps and frame count. Runs on the capture thread (FFmpeg's stderr is drained by a small named
//! helper thread).
//!
//! Two decoders:
//! - **openh264** (built in): MP4 demuxed with the `mp4` crate, length-prefixed samples rewritten
//!   to Annex B with the avcC SPS/PPS in front of every sync sample. Used for H.264 without frame
//!   reordering (Baseline/Main/High with no B-frames); openh264 cannot decode B-frames.
//! - **FFmpeg** (optional, the `ffmpeg`/`ffprobe` programs on PATH): a child process decoding to
//!   raw `rgb24` on its stdout, read in frame-sized chunks. Used for B-frames, other codecs and
//!   containers the `mp4` crate cannot read, and when openh264 fails. The child is killed and
//!   reaped on drop. Without FFmpeg those files give a [`SourceError::File`] saying so.
//!
//! Rotation metadata is ignored on both paths (frames come out as coded).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openh264::decoder::Decoder as H264Decoder;

use super::{FrameSource, SourceError, SourceInfo};
use crate::frame::Frame;

/// How a video file may be decoded.
#[derive(Debug, Clone)]
pub struct VideoOptions {
    /// The `ffmpeg` program for the fallback path (`ffprobe` is looked up beside it, or on PATH
    /// when this is a bare name). `None` disables the fallback.
    pub ffmpeg: Option<PathBuf>,
    /// Decode with FFmpeg even when openh264 could (comparisons, debugging).
    pub force_ffmpeg: bool,
}

impl Default for VideoOptions {
    fn default() -> Self {
        Self { ffmpeg: Some(PathBuf::from("ffmpeg")), force_ffmpeg: false }
    }
}

/// Which decoder a [`VideoSource`] ended up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum VideoDecoder {
    OpenH264,
    Ffmpeg,
}

/// A video file played frame by frame (not paced: the caller paces with [`FrameSource::pacing`]).
pub struct VideoSource {
    path: PathBuf,
    info: SourceInfo,
    backend: Backend,
    /// Presentation times in display order, from the container (empty when it gave none).
    pts: Vec<Duration>,
    frame_interval: Duration,
    /// Frames handed out so far.
    delivered: u64,
    ffmpeg: Option<FfmpegTools>,
    /// A frame decoded at open time (to learn the real size and catch decoder failure early).
    first: Option<Frame>,
}

impl std::fmt::Debug for VideoSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoSource")
            .field("path", &self.path)
            .field("info", &self.info)
            .field("decoder", &self.decoder())
            .field("delivered", &self.delivered)
            .finish_non_exhaustive()
    }
}

enum Backend {
    OpenH264(Box<OpenH264Stream>),
    Ffmpeg(FfmpegStream),
}

impl VideoSource {
    /// Open `path` with the default options (FFmpeg fallback from PATH when needed).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SourceError> {
        Self::open_with(path, &VideoOptions::default())
    }

    /// Open `path`: parse the container, pick the decoder, decode the first frame.
    pub fn open_with(path: impl AsRef<Path>, options: &VideoOptions) -> Result<Self, SourceError> {
        let path = path.as_ref().to_path_buf();
        let fail = |reason: String| SourceError::File { path: path.clone(), reason };
        let ffmpeg = options.ffmpeg.as_deref().map(FfmpegTools::new);

        let mut file = File::open(&path).map_err(|e| fail(open_error(&e)))?;
        let meta = file.metadata().map_err(|e| fail(format!("cannot read file size: {e}")))?;
        if meta.is_dir() {
            return Err(fail("is a folder, not a video file".into()));
        }
        let file_len = meta.len();
        if file_len == 0 {
            return Err(fail("empty file, not a video".into()));
        }

        let container = match parse_mp4(&mut file, file_len) {
            Ok(c) => c,
            Err(why) => {
                // Not an MP4 the `mp4` crate reads (another container, an unusual box layout, or
                // damage). FFmpeg gets a chance only when it reads the file without complaint,
                // so truncated and corrupt files still fail here with the demuxer's reason.
                let other_container = why.starts_with(NOT_MP4);
                let Some(tools) = ffmpeg.as_ref() else {
                    return Err(fail(why));
                };
                return match tools.probe(&path, true) {
                    Ok(probe) => {
                        Self::with_ffmpeg(path.clone(), tools.clone(), probe, None, None).map_err(|e| match e {
                            SourceError::File { reason, .. } => {
                                fail(format!("{why} (FFmpeg cannot read it either: {reason})"))
                            }
                            other => other,
                        })
                    }
                    Err(FfmpegError::Missing) if other_container => {
                        Err(fail(format!("{why}; other formats need FFmpeg; install ffmpeg")))
                    }
                    Err(_) => Err(fail(why)),
                };
            }
        };
        let frame_count = (!container.samples.is_empty()).then_some(container.samples.len() as u64);
        let fps = (container.fps > 0.0).then_some(container.fps);

        if container.openh264_reason.is_none() && !options.force_ffmpeg {
            let stream = OpenH264Stream::new(file, &container).map_err(fail)?;
            let mut source = Self {
                info: SourceInfo {
                    name: display_name(&path),
                    width: container.width,
                    height: container.height,
                    fps: fps.unwrap_or(DEFAULT_FPS),
                    frame_count,
                    live: false,
                },
                path: path.clone(),
                backend: Backend::OpenH264(Box::new(stream)),
                frame_interval: interval(container.fps),
                pts: container.pts,
                delivered: 0,
                ffmpeg: ffmpeg.clone(),
                first: None,
            };
            let why = match source.decode_first() {
                Ok(()) => return Ok(source),
                Err(why) => why,
            };
            let Some(tools) = ffmpeg else {
                return Err(fail(format!("openh264 cannot decode it ({why}) and FFmpeg is disabled")));
            };
            log::warn!("{}: openh264 failed ({why}); decoding with FFmpeg", path.display());
            return match tools.probe(&path, false) {
                Ok(probe) => Self::with_ffmpeg(path, tools, probe, fps, frame_count),
                Err(FfmpegError::Missing) => Err(fail(format!("openh264 cannot decode it ({why}); install ffmpeg"))),
                Err(FfmpegError::Failed(e)) => Err(fail(format!("openh264 failed ({why}), ffprobe failed: {e}"))),
            };
        }

        let need = container.openh264_reason.unwrap_or_else(|| "forced FFmpeg decoding".into());
        let Some(tools) = ffmpeg else {
            return Err(fail(format!("{need} needs FFmpeg, which is disabled")));
        };
        match tools.probe(&path, false) {
            Ok(probe) => Self::with_ffmpeg(path, tools, probe, fps, frame_count),
            Err(FfmpegError::Missing) => Err(fail(format!("{need} needs FFmpeg; install ffmpeg"))),
            Err(FfmpegError::Failed(e)) => Err(fail(format!("{need} needs FFmpeg, and ffprobe failed: {e}"))),
        }
    }

    /// Start the FFmpeg path. `fps`/`frame_count` from the container win over ffprobe's. Output
    /// is constant-rate, so frame k is at k / fps.
    fn with_ffmpeg(
        path: PathBuf,
        tools: FfmpegTools,
        probe: Probe,
        fps: Option<f64>,
        frame_count: Option<u64>,
    ) -> Result<Self, SourceError> {
        let fps = fps.unwrap_or(probe.fps);
        let stream = FfmpegStream::spawn(&tools, &path, (probe.width, probe.height), fps, 0)
            .map_err(|reason| SourceError::File { path: path.clone(), reason })?;
        let mut source = Self {
            info: SourceInfo {
                name: display_name(&path),
                width: probe.width,
                height: probe.height,
                fps,
                frame_count: frame_count.or(probe.frame_count),
                live: false,
            },
            frame_interval: interval(fps),
            backend: Backend::Ffmpeg(stream),
            pts: Vec::new(),
            delivered: 0,
            ffmpeg: Some(tools),
            first: None,
            path,
        };
        source.decode_first().map_err(|reason| SourceError::File { path: source.path.clone(), reason })?;
        Ok(source)
    }

    /// The decoder in use.
    pub fn decoder(&self) -> VideoDecoder {
        match self.backend {
            Backend::OpenH264(_) => VideoDecoder::OpenH264,
            Backend::Ffmpeg(_) => VideoDecoder::Ffmpeg,
        }
    }

    /// Decode frame 0 now: its real size goes into `info`, and a decoder that cannot handle the
    /// stream fails at open time instead of at the first frame.
    fn decode_first(&mut self) -> Result<(), String> {
        let mut frame = Frame::empty();
        let got = match &mut self.backend {
            Backend::OpenH264(s) => s.next(&mut frame)?,
            Backend::Ffmpeg(s) => s.next(&mut frame)?,
        };
        if !got {
            return Err("the video has no decodable frames".into());
        }
        self.info.width = frame.width;
        self.info.height = frame.height;
        self.first = Some(frame);
        Ok(())
    }

    /// Presentation time of output frame `index`: the container's, or `index / fps` for
    /// constant-rate output (FFmpeg path).
    fn pts_of(&self, index: u64) -> Duration {
        match usize::try_from(index).ok().and_then(|i| self.pts.get(i)) {
            Some(&pts) => pts,
            None => Duration::from_secs_f64(index as f64 * self.frame_interval.as_secs_f64()),
        }
    }

    /// openh264 failed mid-stream: continue with FFmpeg from the same frame, if there is one.
    fn switch_to_ffmpeg(&mut self, why: &str) -> Result<(), SourceError> {
        let fail = |reason: String| SourceError::File { path: self.path.clone(), reason };
        let at = self.delivered;
        let Some(tools) = self.ffmpeg.clone() else {
            return Err(fail(format!("H.264 decoding failed at frame {at}: {why}")));
        };
        log::warn!("{}: openh264 failed at frame {at} ({why}); continuing with FFmpeg", self.path.display());
        let size = (self.info.width, self.info.height);
        let stream = FfmpegStream::spawn(&tools, &self.path, size, self.info.fps, at).map_err(|e| {
            fail(format!("H.264 decoding failed at frame {at}: {why}; FFmpeg fallback failed too: {e}"))
        })?;
        self.backend = Backend::Ffmpeg(stream);
        Ok(())
    }
}

impl FrameSource for VideoSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn next_frame(&mut self, frame: &mut Frame) -> Result<bool, SourceError> {
        if let Some(first) = self.first.take() {
            frame.ensure_size(first.width, first.height);
            frame.rgb.copy_from_slice(&first.rgb);
        } else {
            let result = match &mut self.backend {
                Backend::OpenH264(s) => s.next(frame),
                Backend::Ffmpeg(s) => s.next(frame),
            };
            let got = match result {
                Ok(got) => got,
                Err(why) if matches!(self.backend, Backend::OpenH264(_)) => {
                    self.switch_to_ffmpeg(&why)?;
                    match &mut self.backend {
                        Backend::Ffmpeg(s) => s.next(frame),
                        Backend::OpenH264(s) => s.next(frame),
                    }
                    .map_err(|reason| SourceError::File { path: self.path.clone(), reason })?
                }
                Err(reason) => return Err(SourceError::File { path: self.path.clone(), reason }),
            };
            if !got {
                return Ok(false);
            }
        }
        frame.pts = self.pts_of(self.delivered);
        self.delivered += 1;
        Ok(true)
    }
}

fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// Frame rate assumed when a file gives no usable one.
const DEFAULT_FPS: f64 = 30.0;

/// Duration of one frame at `fps`.
fn interval(fps: f64) -> Duration {
    Duration::from_secs_f64(1.0 / if fps.is_finite() && fps > 0.0 { fps } else { DEFAULT_FPS })
}

fn open_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "file not found".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => format!("cannot open: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// MP4 container

/// One coded sample (an access unit) of the video track.
#[derive(Debug, Clone, Copy)]
struct Sample {
    offset: u64,
    size: u32,
    sync: bool,
}

/// What the demuxer learned about the first video track.
struct Mp4Video {
    width: u32,
    height: u32,
    fps: f64,
    /// Samples in decode order (empty for fragmented files: FFmpeg reads those).
    samples: Vec<Sample>,
    /// Presentation times sorted, relative to the first.
    pts: Vec<Duration>,
    /// avcC: NAL length prefix size and parameter sets in Annex B form.
    length_size: usize,
    parameter_sets: Vec<u8>,
    /// Why openh264 cannot decode this track (`None`: it can).
    openh264_reason: Option<String>,
}

const NOT_MP4: &str = "not an MP4 file";

const ISO_BMFF_BOXES: [&[u8; 4]; 10] =
    [b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pdin", b"styp", b"sidx", b"uuid"];

fn parse_mp4(file: &mut File, file_len: u64) -> Result<Mp4Video, String> {
    let mut head = [0u8; 8];
    let n = read_up_to(file, &mut head).map_err(|e| format!("cannot read: {e}"))?;
    if n < 8 || !ISO_BMFF_BOXES.iter().any(|b| head[4..8] == b[..]) {
        return Err(format!("{NOT_MP4} (no MP4/QuickTime box at the start)"));
    }
    file.seek(SeekFrom::Start(0)).map_err(|e| format!("cannot read: {e}"))?;

    // The mp4 crate returns errors for most damage but has a few arithmetic panics on hostile
    // input; a corrupt file must never take the app down.
    let reader = std::io::BufReader::new(&mut *file);
    let parsed = crate::quiet_panic::catch_quietly(|| mp4::Mp4Reader::read_header(reader, file_len));
    let mp4 = match parsed {
        Ok(Ok(mp4)) => mp4,
        Ok(Err(e)) => return Err(format!("corrupt or truncated MP4: {e}")),
        Err(_) => return Err("corrupt MP4 (the demuxer rejected its structure)".into()),
    };

    let trak =
        mp4.moov.traks.iter().find(|t| t.mdia.hdlr.handler_type.value == *b"vide").ok_or("MP4 has no video track")?;
    let stbl = &trak.mdia.minf.stbl;
    let timescale = trak.mdia.mdhd.timescale;
    if timescale == 0 {
        return Err("corrupt MP4: video track timescale is 0".into());
    }
    let fragmented = !mp4.moofs.is_empty();

    let tables = SampleTables {
        sample_size: stbl.stsz.sample_size,
        sample_count: stbl.stsz.sample_count,
        sample_sizes: &stbl.stsz.sample_sizes,
        chunk_offsets: match (&stbl.stco, &stbl.co64) {
            (Some(stco), _) => stco.entries.iter().map(|&o| u64::from(o)).collect(),
            (None, Some(co64)) => co64.entries.clone(),
            (None, None) => Vec::new(),
        },
        chunks: stbl.stsc.entries.iter().map(|e| (e.first_chunk, e.samples_per_chunk)).collect(),
        durations: stbl.stts.entries.iter().map(|e| (e.sample_count, e.sample_delta)).collect(),
        composition_offsets: stbl
            .ctts
            .iter()
            .flat_map(|c| &c.entries)
            .map(|e| (e.sample_count, e.sample_offset))
            .collect(),
        sync_samples: stbl.stss.as_ref().map(|s| &s.entries[..]),
    };
    let (samples, dts) = if fragmented {
        (Vec::new(), Vec::new())
    } else if tables.sample_count == 0 {
        return Err("MP4 video track has no frames".into());
    } else {
        tables.samples(file_len)?
    };
    let (pts, fps) = tables.timing(&dts, timescale);

    let (width, height) = match &stbl.stsd.avc1 {
        Some(avc1) => (u32::from(avc1.width), u32::from(avc1.height)),
        None => (u32::from(trak.tkhd.width.value()), u32::from(trak.tkhd.height.value())),
    };

    let mut video = Mp4Video {
        width,
        height,
        fps,
        samples,
        pts,
        length_size: 4,
        parameter_sets: Vec::new(),
        openh264_reason: None,
    };
    let codec = if stbl.stsd.hev1.is_some() {
        "H.265"
    } else if stbl.stsd.vp09.is_some() {
        "VP9"
    } else {
        "a codec other than H.264 (avc1)"
    };
    let Some(avc1) = &stbl.stsd.avc1 else {
        video.openh264_reason = Some(format!("{codec} video"));
        return Ok(video);
    };
    let avcc = &avc1.avcc;
    video.length_size = usize::from(avcc.length_size_minus_one) + 1;
    for nal in avcc.sequence_parameter_sets.iter().chain(&avcc.picture_parameter_sets) {
        video.parameter_sets.extend_from_slice(&[0, 0, 0, 1]);
        video.parameter_sets.extend_from_slice(&nal.bytes);
    }
    let profile = h264_profile_name(avcc.avc_profile_indication, avcc.profile_compatibility);
    let reorders = {
        let mut offsets = tables.composition_offsets.iter().filter(|e| e.0 > 0).map(|e| e.1);
        offsets.next().is_some_and(|first| offsets.any(|o| o != first))
    };
    video.openh264_reason = if reorders {
        Some(format!("H.264 {profile} profile with B-frames"))
    } else if !matches!(avcc.avc_profile_indication, 66 | 77 | 100) {
        Some(format!("H.264 {profile} profile"))
    } else if video.samples.is_empty() {
        Some("fragmented MP4".into())
    } else if avcc.sequence_parameter_sets.is_empty() || avcc.picture_parameter_sets.is_empty() {
        Some("H.264 without parameter sets in the MP4 header".into())
    } else {
        None
    };
    Ok(video)
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn h264_profile_name(profile_idc: u8, constraints: u8) -> String {
    match profile_idc {
        66 if constraints & 0x40 != 0 => "Constrained Baseline".into(),
        66 => "Baseline".into(),
        77 => "Main".into(),
        88 => "Extended".into(),
        100 => "High".into(),
        110 => "High 10".into(),
        122 => "High 4:2:2".into(),
        244 => "High 4:4:4".into(),
        other => format!("unknown ({other})"),
    }
}

/// The sample tables of one track (`stsz`, `stco`/`co64`, `stsc`, `stts`, `ctts`, `stss`), copied
/// out of the `mp4` crate's boxes (whose types it does not export).
struct SampleTables<'a> {
    /// Size of every sample when constant, else 0 and `sample_sizes` lists them.
    sample_size: u32,
    sample_count: u32,
    sample_sizes: &'a [u32],
    chunk_offsets: Vec<u64>,
    /// (first chunk, 1-based; samples per chunk) from that chunk on.
    chunks: Vec<(u32, u32)>,
    /// (sample count, duration in ticks) runs.
    durations: Vec<(u32, u32)>,
    /// (sample count, composition offset in ticks) runs; empty without `ctts`.
    composition_offsets: Vec<(u32, i32)>,
    /// 1-based numbers of sync samples; `None`: every sample is one.
    sync_samples: Option<&'a [u32]>,
}

impl SampleTables<'_> {
    /// Offsets, sizes and sync flags of every sample (decode order) and their decode times in
    /// track ticks (plus the end time), checked against the file: a sample past the end means a
    /// truncated file.
    fn samples(&self, file_len: u64) -> Result<(Vec<Sample>, Vec<u64>), String> {
        let corrupt = |what: &str| format!("corrupt MP4: {what}");
        let count = self.sample_count as usize;
        if self.sample_size > 0 && u64::from(self.sample_size).saturating_mul(count as u64) > file_len {
            return Err(format!("truncated MP4: {count} frames do not fit in {file_len} bytes"));
        }
        if self.sample_size == 0 && self.sample_sizes.len() < count {
            return Err(corrupt("sample size table is shorter than the sample count"));
        }
        if self.chunk_offsets.is_empty() {
            return Err(corrupt("no chunk offset table"));
        }
        let size_of = |i: usize| if self.sample_size > 0 { self.sample_size } else { self.sample_sizes[i] };

        let mut samples = Vec::with_capacity(count);
        'runs: for (i, &(first, per_chunk)) in self.chunks.iter().enumerate() {
            let first = first as usize;
            let end = self.chunks.get(i + 1).map_or(self.chunk_offsets.len() + 1, |next| next.0 as usize);
            if first == 0 || end < first || end > self.chunk_offsets.len() + 1 {
                return Err(corrupt("chunk table is inconsistent"));
            }
            for &chunk_offset in &self.chunk_offsets[first - 1..end - 1] {
                let mut offset = chunk_offset;
                for _ in 0..per_chunk {
                    if samples.len() == count {
                        break 'runs;
                    }
                    let size = size_of(samples.len());
                    let end_byte =
                        offset.checked_add(u64::from(size)).ok_or_else(|| corrupt("sample offset overflow"))?;
                    if end_byte > file_len {
                        return Err(format!(
                            "truncated MP4: frame {} of {count} ends at byte {end_byte}, the file has {file_len} bytes",
                            samples.len() + 1
                        ));
                    }
                    samples.push(Sample { offset, size, sync: true });
                    offset = end_byte;
                }
            }
        }
        if samples.len() < count {
            return Err(corrupt(&format!("chunks hold {} of {count} frames", samples.len())));
        }
        if let Some(sync) = self.sync_samples {
            samples.iter_mut().for_each(|s| s.sync = false);
            for &n in sync {
                if let Some(s) = (n as usize).checked_sub(1).and_then(|i| samples.get_mut(i)) {
                    s.sync = true;
                }
            }
        }

        let mut dts = Vec::with_capacity(count + 1);
        let mut t = 0u64;
        let mut last_delta = 1u64;
        'times: for &(n, delta) in &self.durations {
            last_delta = u64::from(delta);
            for _ in 0..n {
                if dts.len() == count {
                    break 'times;
                }
                dts.push(t);
                t = t.saturating_add(last_delta);
            }
        }
        // A short time table (seen in hand-edited files): continue at the last known rate.
        while dts.len() < count {
            dts.push(t);
            t = t.saturating_add(last_delta.max(1));
        }
        dts.push(t); // end of the last sample, for the frame rate
        Ok((samples, dts))
    }

    /// Presentation times (sorted, from zero) and the mean frame rate, from the decode times
    /// (`count + 1` values) and the composition offsets.
    fn timing(&self, dts: &[u64], timescale: u32) -> (Vec<Duration>, f64) {
        let count = dts.len().saturating_sub(1);
        if count == 0 {
            return (Vec::new(), 0.0);
        }
        let mut offsets = Vec::with_capacity(count);
        for &(n, offset) in &self.composition_offsets {
            offsets.extend(std::iter::repeat_n(i64::from(offset), (n as usize).min(count - offsets.len())));
            if offsets.len() == count {
                break;
            }
        }
        offsets.resize(count, 0);
        let mut cts: Vec<i64> = dts[..count]
            .iter()
            .zip(&offsets)
            .map(|(&d, &o)| i64::try_from(d).unwrap_or(i64::MAX).saturating_add(o))
            .collect();
        cts.sort_unstable();
        let start = cts[0];
        let to_duration = |t: i64| {
            let ticks = u128::try_from(t.saturating_sub(start)).unwrap_or(0);
            let nanos = ticks * 1_000_000_000 / u128::from(timescale);
            Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
        };
        let pts = cts.iter().map(|&t| to_duration(t)).collect();
        let total = dts[count] as f64 / f64::from(timescale);
        let fps = if total > 0.0 { count as f64 / total } else { 0.0 };
        (pts, fps)
    }
}

// ---------------------------------------------------------------------------------------------
// openh264 path

struct OpenH264Stream {
    file: File,
    samples: Vec<Sample>,
    next: usize,
    length_size: usize,
    parameter_sets: Vec<u8>,
    decoder: H264Decoder,
    sample: Vec<u8>,
    annexb: Vec<u8>,
    /// Pictures still in the decoder after the last sample (only with reordering, which this path
    /// avoids; kept for correctness).
    flushed: std::collections::VecDeque<(u32, u32, Vec<u8>)>,
    flushed_done: bool,
}

impl OpenH264Stream {
    fn new(file: File, video: &Mp4Video) -> Result<Self, String> {
        let decoder = H264Decoder::new().map_err(|e| format!("cannot start the H.264 decoder: {e}"))?;
        Ok(Self {
            file,
            samples: video.samples.clone(),
            next: 0,
            length_size: video.length_size,
            parameter_sets: video.parameter_sets.clone(),
            decoder,
            sample: Vec::new(),
            annexb: Vec::new(),
            flushed: Default::default(),
            flushed_done: false,
        })
    }

    /// Rewrite the current sample from length-prefixed NAL units to Annex B start codes, with the
    /// parameter sets in front of a sync sample.
    fn rewrite_as_annexb(&mut self, sync: bool, index: usize) -> Result<(), String> {
        self.annexb.clear();
        if sync {
            self.annexb.extend_from_slice(&self.parameter_sets);
        }
        let mut rest = &self.sample[..];
        while !rest.is_empty() {
            if rest.len() < self.length_size {
                return Err(format!("frame {index}: sample ends inside a NAL length"));
            }
            let (len_bytes, tail) = rest.split_at(self.length_size);
            let len = len_bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            if len > tail.len() {
                return Err(format!("frame {index}: NAL unit of {len} bytes overruns its sample"));
            }
            let (nal, tail) = tail.split_at(len);
            if !nal.is_empty() {
                self.annexb.extend_from_slice(&[0, 0, 0, 1]);
                self.annexb.extend_from_slice(nal);
            }
            rest = tail;
        }
        Ok(())
    }

    fn next(&mut self, frame: &mut Frame) -> Result<bool, String> {
        while self.next < self.samples.len() {
            let index = self.next;
            let Sample { offset, size, sync } = self.samples[index];
            self.next += 1;
            self.sample.resize(size as usize, 0);
            self.file
                .seek(SeekFrom::Start(offset))
                .and_then(|_| self.file.read_exact(&mut self.sample))
                .map_err(|e| format!("cannot read frame {index}: {e}"))?;
            self.rewrite_as_annexb(sync || index == 0, index)?;
            match self.decoder.decode(&self.annexb) {
                Ok(Some(yuv)) => {
                    write_yuv(&yuv, frame);
                    return Ok(true);
                }
                Ok(None) => {}
                Err(e) => return Err(format!("openh264: {e}")),
            }
        }
        if !self.flushed_done {
            self.flushed_done = true;
            let pictures = self.decoder.flush_remaining().map_err(|e| format!("openh264 flush: {e}"))?;
            for yuv in pictures {
                let mut f = Frame::empty();
                write_yuv(&yuv, &mut f);
                self.flushed.push_back((f.width, f.height, f.rgb));
            }
        }
        match self.flushed.pop_front() {
            Some((w, h, rgb)) => {
                frame.ensure_size(w, h);
                frame.rgb.copy_from_slice(&rgb);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

fn write_yuv(yuv: &openh264::decoder::DecodedYUV<'_>, frame: &mut Frame) {
    use openh264::formats::YUVSource;
    let (w, h) = yuv.dimensions();
    frame.ensure_size(w as u32, h as u32);
    // Sized just above, so openh264's length assertion holds.
    yuv.write_rgb8(&mut frame.rgb);
}

// ---------------------------------------------------------------------------------------------
// FFmpeg path

#[derive(Debug, Clone)]
struct FfmpegTools {
    ffmpeg: PathBuf,
    ffprobe: PathBuf,
}

enum FfmpegError {
    /// The program is not installed (or not at the configured path).
    Missing,
    /// It ran and could not read the file.
    Failed(String),
}

/// What ffprobe says about the first video stream.
#[derive(Debug)]
struct Probe {
    width: u32,
    height: u32,
    fps: f64,
    frame_count: Option<u64>,
}

impl FfmpegTools {
    fn new(ffmpeg: &Path) -> Self {
        let ffprobe = match ffmpeg.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(dir) => dir.join("ffprobe"),
            None => PathBuf::from("ffprobe"),
        };
        Self { ffmpeg: ffmpeg.to_path_buf(), ffprobe }
    }

    /// Run ffprobe on the first video stream. `strict`: any complaint on stderr counts as a
    /// failure (used when our own demuxer already rejected the file).
    fn probe(&self, path: &Path, strict: bool) -> Result<Probe, FfmpegError> {
        let out = Command::new(&self.ffprobe)
            .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
            .arg("stream=codec_name,width,height,avg_frame_rate,r_frame_rate,nb_frames")
            .args(["-of", "json"])
            .arg(path)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => FfmpegError::Missing,
                _ => FfmpegError::Failed(format!("cannot run {}: {e}", self.ffprobe.display())),
            })?;
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        if !out.status.success() || (strict && !stderr.is_empty()) {
            let msg =
                if stderr.is_empty() { format!("ffprobe exited with {}", out.status) } else { last_line(&stderr) };
            return Err(FfmpegError::Failed(msg));
        }
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| FfmpegError::Failed(format!("unreadable ffprobe output: {e}")))?;
        let stream = json["streams"].get(0).ok_or_else(|| FfmpegError::Failed("no video stream".into()))?;
        let dim = |k: &str| stream[k].as_u64().and_then(|v| u32::try_from(v).ok()).filter(|&v| v > 0 && v <= 16384);
        let (Some(width), Some(height)) = (dim("width"), dim("height")) else {
            return Err(FfmpegError::Failed("video stream has no usable size".into()));
        };
        let rate = |k: &str| {
            let s = stream[k].as_str()?;
            let (n, d) = s.split_once('/')?;
            let (n, d): (f64, f64) = (n.parse().ok()?, d.parse().ok()?);
            (n > 0.0 && d > 0.0).then_some(n / d)
        };
        let fps = rate("avg_frame_rate").or_else(|| rate("r_frame_rate")).unwrap_or(30.0);
        let frame_count = stream["nb_frames"].as_str().and_then(|s| s.parse().ok()).filter(|&n| n > 0);
        Ok(Probe { width, height, fps, frame_count })
    }
}

fn last_line(s: &str) -> String {
    s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(s).trim().to_string()
}

/// A running `ffmpeg` decoding to raw RGB on its stdout.
struct FfmpegStream {
    child: Child,
    stdout: ChildStdout,
    width: u32,
    height: u32,
    /// Frames still to discard (when taking over mid-stream from openh264).
    skip: u64,
    /// Last lines ffmpeg wrote to stderr, for error messages.
    stderr_tail: Arc<Mutex<String>>,
    ended: bool,
}

impl FfmpegStream {
    fn spawn(tools: &FfmpegTools, path: &Path, size: (u32, u32), fps: f64, skip: u64) -> Result<Self, String> {
        let (width, height) = size;
        let mut child = Command::new(&tools.ffmpeg)
            .args(["-nostdin", "-loglevel", "error", "-noautorotate", "-i"])
            .arg(path)
            // Constant rate output at the rate we report: frame k is at k / fps, a variable-rate
            // file is resampled and an undecodable frame is replaced by its predecessor, so the
            // count and the timing stay as announced.
            .args([
                "-map",
                "0:v:0",
                "-r",
                &format!("{:.6}", if fps.is_finite() && fps > 0.0 { fps } else { DEFAULT_FPS }),
            ])
            .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", tools.ffmpeg.display()))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("ffmpeg started without an output pipe".into());
        };
        let stderr_tail = Arc::new(Mutex::new(String::new()));
        // Drain stderr on a small named thread so a chatty ffmpeg never blocks on a full pipe; it
        // ends by itself when ffmpeg exits or is killed.
        if let Some(mut stderr) = child.stderr.take() {
            let tail = Arc::clone(&stderr_tail);
            let drained = std::thread::Builder::new().name("ffmpeg-stderr".into()).spawn(move || {
                let mut buf = [0u8; 1024];
                while let Ok(n @ 1..) = stderr.read(&mut buf) {
                    if let Ok(mut t) = tail.lock() {
                        t.push_str(&String::from_utf8_lossy(&buf[..n]));
                        if t.len() > 4096 {
                            let cut = t.len() - 2048;
                            let cut = (cut..t.len()).find(|&i| t.is_char_boundary(i)).unwrap_or(t.len());
                            t.drain(..cut);
                        }
                    }
                }
            });
            if let Err(e) = drained {
                log::warn!("cannot start the ffmpeg stderr reader: {e}");
            }
        }
        Ok(Self { child, stdout, width, height, skip, stderr_tail, ended: false })
    }

    fn stderr_summary(&self) -> String {
        self.stderr_tail.lock().map(|t| last_line(&t)).unwrap_or_default()
    }

    /// Read exactly one frame into `buf`. `Ok(false)`: clean end of stream before the frame.
    fn read_frame(&mut self, buf: &mut [u8]) -> Result<bool, String> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.stdout.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("reading ffmpeg output: {e}")),
            }
        }
        if filled == buf.len() {
            return Ok(true);
        }
        // End of output: ffmpeg has exited or is exiting; its status says whether that was clean.
        self.ended = true;
        let status = self.child.wait().map_err(|e| format!("waiting for ffmpeg: {e}"))?;
        if !status.success() {
            let msg = self.stderr_summary();
            return Err(format!(
                "ffmpeg failed ({status}){}",
                if msg.is_empty() { String::new() } else { format!(": {msg}") }
            ));
        }
        if filled > 0 {
            return Err(format!("ffmpeg output ended inside a frame ({filled} of {} bytes)", buf.len()));
        }
        Ok(false)
    }

    fn next(&mut self, frame: &mut Frame) -> Result<bool, String> {
        if self.ended {
            return Ok(false);
        }
        frame.ensure_size(self.width, self.height);
        while self.skip > 0 {
            if !self.read_frame(&mut frame.rgb)? {
                return Ok(false);
            }
            self.skip -= 1;
        }
        self.read_frame(&mut frame.rgb)
    }
}

impl Drop for FfmpegStream {
    fn drop(&mut self) {
        // Kill is immediate; wait reaps the zombie and returns as soon as the process is gone.
        if !self.ended {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names() {
        assert_eq!(h264_profile_name(66, 0xC0), "Constrained Baseline");
        assert_eq!(h264_profile_name(100, 0), "High");
        assert_eq!(h264_profile_name(7, 0), "unknown (7)");
    }

    #[test]
    fn ffprobe_is_found_beside_ffmpeg() {
        assert_eq!(FfmpegTools::new(Path::new("ffmpeg")).ffprobe, PathBuf::from("ffprobe"));
        assert_eq!(FfmpegTools::new(Path::new("/opt/ff/bin/ffmpeg")).ffprobe, PathBuf::from("/opt/ff/bin/ffprobe"));
    }
}
