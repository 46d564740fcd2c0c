//! Camera source: a plain `nokhwa::Camera` on its own thread.
//!
//! In: a camera index and a [`CameraRequest`] (wanted size, rate, pixel format). Out: one RGB
//! frame per [`FrameSource::next_frame`] call, blocking until the camera delivers it, written into
//! the caller's reused [`Frame`] with `pts` = time since the stream started. The raw YUYV/MJPEG
//! buffer from `Camera::frame_raw` goes through [`pixel::decode`], the same code the tests feed
//! recorded buffers to.
//!
//! Threads: `next_frame` runs on the capture thread; the camera itself is opened, read, decoded
//! and closed on a named "camera" thread owned by [`CameraSource`] (see there why). Never
//! nokhwa's `CallbackCamera`: it holds its lock across the blocking read and deadlocks.
//!
//! Platforms: this build enables nokhwa's V4L2 backend (Linux). Elsewhere, or on a Linux machine
//! without V4L2, [`list_cameras`] returns an empty list and [`CameraSource::open`] fails with a
//! clear [`SourceError::Camera`]. (A macOS build would add `input-avfoundation` and call
//! `nokhwa::nokhwa_initialize` once before opening.)

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};
use nokhwa::Camera;
use nokhwa::utils::{ApiBackend, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType};

use super::pixel::{self, CameraFormat};
use super::{FrameSource, SourceError, SourceInfo};
use crate::frame::Frame;

/// Size and rate asked for when the request leaves them open: 720p30 is what the pipeline is
/// tuned for and what most webcams deliver (as MJPEG over USB 2).
pub const DEFAULT_RESOLUTION: (u32, u32) = (1280, 720);
pub const DEFAULT_FPS: u32 = 30;

/// Consecutive undecodable buffers tolerated before `next_frame` reports an error. USB cameras
/// occasionally hand over a torn MJPEG frame; one bad frame must not stop a booth.
const MAX_BAD_FRAMES_IN_A_ROW: u32 = 30;

/// What the caller would like; the closest mode the camera offers is used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CameraRequest {
    /// Wanted width x height (default [`DEFAULT_RESOLUTION`]).
    pub resolution: Option<(u32, u32)>,
    /// Wanted frames per second (default [`DEFAULT_FPS`]).
    pub fps: Option<u32>,
    /// Required pixel format; `None` picks MJPEG for 720p and up (YUYV at that size exceeds USB 2
    /// bandwidth at full rate), YUYV below (no compression artefacts, no decode cost).
    pub format: Option<CameraFormat>,
}

/// One capture mode a camera offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CameraMode {
    pub format: CameraFormat,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

impl std::fmt::Display for CameraMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}@{} {}", self.width, self.height, self.fps, self.format)
    }
}

/// A camera as listed by `webtoonme devices`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CameraDescription {
    /// The number to pass as `camera:N` (the V4L2 device number on Linux).
    pub index: u32,
    pub name: String,
    pub description: String,
}

/// Cameras on this machine; empty (not an error) when there is no capture backend or device.
pub fn list_cameras() -> Vec<CameraDescription> {
    match nokhwa::query(ApiBackend::Auto) {
        Ok(cameras) => cameras
            .iter()
            .enumerate()
            .map(|(pos, info)| CameraDescription {
                index: info.index().as_index().unwrap_or(pos as u32),
                name: info.human_name(),
                description: info.description().to_string(),
            })
            .collect(),
        Err(e) => {
            log::debug!("no camera backend: {e}");
            Vec::new()
        }
    }
}

/// Pick the mode closest to `req` among `offered` (only YUYV and MJPEG are decodable). Order of
/// concern: the requested format (hard), resolution, frame rate, then the preferred format.
pub fn choose_mode(offered: &[CameraMode], req: &CameraRequest) -> Option<CameraMode> {
    let (want_w, want_h) = req.resolution.unwrap_or(DEFAULT_RESOLUTION);
    let want_fps = req.fps.unwrap_or(DEFAULT_FPS);
    let preferred = if want_h >= 720 { CameraFormat::Mjpeg } else { CameraFormat::Yuyv };
    offered.iter().copied().filter(|m| req.format.is_none_or(|f| f == m.format)).min_by_key(|m| {
        let dw = i64::from(m.width) - i64::from(want_w);
        let dh = i64::from(m.height) - i64::from(want_h);
        let res_cost = dw * dw + dh * dh;
        // Too slow is worse than too fast (a faster camera is simply sampled).
        let fps_cost = if m.fps < want_fps { 2 * (want_fps - m.fps) } else { m.fps - want_fps };
        (res_cost, fps_cost, m.format != preferred)
    })
}

fn to_mode(f: &nokhwa::utils::CameraFormat) -> Option<CameraMode> {
    let format = match f.format() {
        FrameFormat::YUYV => CameraFormat::Yuyv,
        FrameFormat::MJPEG => CameraFormat::Mjpeg,
        _ => return None,
    };
    Some(CameraMode { format, width: f.width(), height: f.height(), fps: f.frame_rate() })
}

fn to_nokhwa(m: CameraMode) -> nokhwa::utils::CameraFormat {
    let format = match m.format {
        CameraFormat::Yuyv => FrameFormat::YUYV,
        CameraFormat::Mjpeg => FrameFormat::MJPEG,
    };
    nokhwa::utils::CameraFormat::new_from(m.width, m.height, format, m.fps)
}

const DECODABLE: &[FrameFormat] = &[FrameFormat::MJPEG, FrameFormat::YUYV];

/// How long `next_frame` waits for a picture before calling the camera lost. Cameras deliver
/// their first frame within about a second; a stalled USB device never does.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(5);

/// How long `open` waits for the device to open and start streaming.
const OPEN_TIMEOUT: Duration = Duration::from_secs(15);

/// A live camera. `next_frame` blocks until the next picture (at most [`FRAME_TIMEOUT`]).
///
/// The `nokhwa::Camera` lives on its own named thread ("camera"): nokhwa's `Camera` is not
/// `Send` (without its `camera-sync-impl` feature), so it is opened, read and dropped there. That
/// thread takes `frame_raw()`, decodes it with [`pixel::decode`] into a pooled buffer and hands
/// it over through a one-slot channel; `next_frame` swaps that buffer with the caller's, and the
/// caller's old buffer goes back to the pool (three buffers circulate, no allocation per frame).
/// Dropping the source never blocks: the thread sees the closed channel or the stop flag after
/// its current frame and closes the camera. [`CameraSource::replay`] runs the same thread and
/// decode path on recorded buffers.
pub struct CameraSource {
    index: u32,
    mode: CameraMode,
    info: SourceInfo,
    events: Receiver<CameraEvent>,
    spare: Sender<Vec<u8>>,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for CameraSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CameraSource").field("index", &self.index).field("mode", &self.mode).finish_non_exhaustive()
    }
}

/// What the camera thread reports once the stream runs.
struct Opened {
    mode: CameraMode,
    name: String,
}

/// Camera thread -> `next_frame`.
enum CameraEvent {
    Frame(Frame),
    /// A replay has no more buffers (a real camera never ends).
    End,
    Failed(String),
}

/// The camera thread's ends of the channels.
struct ThreadSide {
    index: u32,
    events: Sender<CameraEvent>,
    spare: Receiver<Vec<u8>>,
    stop: Arc<AtomicBool>,
}

/// Raw buffers as a camera delivers them, one per call.
trait RawFrames {
    /// Wait for the next buffer and hand it to `use_it`; `Ok(None)` when there are no more.
    fn with_next<R>(&mut self, use_it: impl FnOnce(&[u8]) -> R) -> Result<Option<R>, String>;
}

impl RawFrames for Camera {
    fn with_next<R>(&mut self, use_it: impl FnOnce(&[u8]) -> R) -> Result<Option<R>, String> {
        let raw = self.frame_raw().map_err(|e| format!("capture failed (unplugged?): {e}"))?;
        Ok(Some(use_it(&raw)))
    }
}

/// Recorded buffers played at a fixed interval.
struct Recording {
    buffers: std::vec::IntoIter<Vec<u8>>,
    interval: Duration,
}

impl RawFrames for Recording {
    fn with_next<R>(&mut self, use_it: impl FnOnce(&[u8]) -> R) -> Result<Option<R>, String> {
        std::thread::sleep(self.interval);
        Ok(self.buffers.next().map(|b| use_it(&b)))
    }
}

impl CameraSource {
    /// Open camera `index` in the mode closest to `req` and start streaming.
    pub fn open(index: u32, req: &CameraRequest) -> Result<Self, SourceError> {
        let fail = |reason: String| SourceError::Camera { index, reason };

        // Listing first gives a clear message for a wrong index; a backend that cannot list
        // (error) still gets to try opening.
        if let Ok(cameras) = nokhwa::query(ApiBackend::Auto) {
            let indices: Vec<u32> = cameras.iter().filter_map(|c| c.index().as_index().ok()).collect();
            if !indices.contains(&index) {
                let found = match indices.len() {
                    0 => "found 0 cameras".to_string(),
                    1 => format!("found 1 camera (index {})", indices[0]),
                    n => format!(
                        "found {n} cameras (indices {})",
                        indices.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
                    ),
                };
                return Err(fail(format!("no camera with index {index}; {found}")));
            }
        }

        let req = req.clone();
        let (opened_tx, opened_rx) = bounded::<Result<Opened, String>>(1);
        Self::start(index, move |side| {
            let (mut camera, opened) = match open_camera(index, &req) {
                Ok(ok) => ok,
                Err(reason) => {
                    let _ = opened_tx.send(Err(reason));
                    return;
                }
            };
            let mode = opened.mode;
            if opened_tx.send(Ok(opened)).is_ok() {
                stream(&mut camera, mode, &side);
            }
            // `camera` closes here, on its own thread.
        })
        .and_then(|mut source| {
            let opened = match opened_rx.recv_timeout(OPEN_TIMEOUT) {
                Ok(Ok(opened)) => opened,
                Ok(Err(reason)) => return Err(fail(reason)),
                Err(RecvTimeoutError::Timeout) => {
                    return Err(fail(format!("did not start streaming within {} s", OPEN_TIMEOUT.as_secs())));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(fail("the camera thread ended while opening".into()));
                }
            };
            log::info!("camera {index}: {}", opened.mode);
            source.set_mode(opened.mode, opened.name);
            Ok(source)
        })
    }

    /// A recorded camera: `buffers` (raw frames in `mode`'s format and size) played every
    /// `interval` through the same thread, decode and hand-over path as a real camera, then the
    /// end of the stream. For tests and for reproducing a user's camera from a dump.
    pub fn replay(
        name: &str,
        mode: CameraMode,
        buffers: Vec<Vec<u8>>,
        interval: Duration,
    ) -> Result<Self, SourceError> {
        let mut recording = Recording { buffers: buffers.into_iter(), interval };
        let mut source = Self::start(0, move |side| stream(&mut recording, mode, &side))?;
        source.set_mode(mode, name.to_string());
        Ok(source)
    }

    /// Spawn the "camera" thread running `body` with its ends of the channels.
    fn start(index: u32, body: impl FnOnce(ThreadSide) + Send + 'static) -> Result<Self, SourceError> {
        let (events_tx, events) = bounded(1);
        let (spare, spare_rx) = bounded(3);
        let stop = Arc::new(AtomicBool::new(false));
        let side = ThreadSide { index, events: events_tx, spare: spare_rx, stop: Arc::clone(&stop) };
        std::thread::Builder::new()
            .name("camera".into())
            .spawn(move || body(side))
            .map_err(|e| SourceError::Camera { index, reason: format!("cannot start the camera thread: {e}") })?;
        let placeholder = CameraMode { format: CameraFormat::Yuyv, width: 0, height: 0, fps: 0 };
        let info = SourceInfo { name: String::new(), width: 0, height: 0, fps: 0.0, frame_count: None, live: true };
        Ok(Self { index, mode: placeholder, info, events, spare, stop })
    }

    fn set_mode(&mut self, mode: CameraMode, name: String) {
        self.mode = mode;
        self.info = SourceInfo {
            name,
            width: mode.width,
            height: mode.height,
            fps: f64::from(mode.fps),
            frame_count: None,
            live: true,
        };
    }

    /// The mode the camera is streaming in.
    pub fn mode(&self) -> CameraMode {
        self.mode
    }
}

impl Drop for CameraSource {
    fn drop(&mut self) {
        // Never waits: the camera thread notices within one frame and closes the device.
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl FrameSource for CameraSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn next_frame(&mut self, frame: &mut Frame) -> Result<bool, SourceError> {
        let fail = |reason: String| SourceError::Camera { index: self.index, reason };
        match self.events.recv_timeout(FRAME_TIMEOUT) {
            Ok(CameraEvent::Frame(mut decoded)) => {
                std::mem::swap(&mut frame.rgb, &mut decoded.rgb);
                frame.width = decoded.width;
                frame.height = decoded.height;
                frame.pts = decoded.pts;
                // The caller's previous buffer becomes the camera thread's next one.
                let _ = self.spare.try_send(decoded.rgb);
                Ok(true)
            }
            Ok(CameraEvent::End) => Ok(false),
            Ok(CameraEvent::Failed(reason)) => Err(fail(reason)),
            Err(RecvTimeoutError::Timeout) => Err(fail(format!(
                "no picture for {} s (unplugged, or in use by another program?)",
                FRAME_TIMEOUT.as_secs()
            ))),
            Err(RecvTimeoutError::Disconnected) => Err(fail("the camera stopped".into())),
        }
    }
}

/// Open the camera in the mode closest to `req` and start streaming (on the camera thread).
fn open_camera(index: u32, req: &CameraRequest) -> Result<(Camera, Opened), String> {
    let any = RequestedFormat::with_formats(RequestedFormatType::None, DECODABLE);
    let mut camera = Camera::new(CameraIndex::Index(index), any).map_err(|e| format!("cannot open: {e}"))?;
    let offered: Vec<CameraMode> = camera
        .compatible_camera_formats()
        .map_err(|e| format!("cannot list its formats: {e}"))?
        .iter()
        .filter_map(to_mode)
        .collect();
    let Some(mode) = choose_mode(&offered, req) else {
        let what = req.format.map_or("YUYV or MJPEG".to_string(), |f| f.to_string());
        return Err(format!("it offers no {what} mode (webtoonme decodes YUYV and MJPEG)"));
    };
    if to_mode(&camera.camera_format()) != Some(mode) {
        let exact = RequestedFormat::with_formats(RequestedFormatType::Exact(to_nokhwa(mode)), DECODABLE);
        camera.set_camera_requset(exact).map_err(|e| format!("cannot switch to {mode}: {e}"))?;
    }
    camera.open_stream().map_err(|e| format!("cannot start streaming {mode}: {e}"))?;
    // The driver has the last word on the mode.
    let mode = to_mode(&camera.camera_format()).unwrap_or(mode);
    let name = camera.info().human_name();
    Ok((camera, Opened { mode, name }))
}

/// The camera thread's loop: read, decode into a pooled buffer, hand over; until the source is
/// dropped, the frames run out (replay) or the camera fails. Undecodable buffers (a torn MJPEG
/// frame after a USB hiccup) are skipped, up to [`MAX_BAD_FRAMES_IN_A_ROW`].
fn stream(raw_frames: &mut impl RawFrames, mode: CameraMode, side: &ThreadSide) {
    let started = Instant::now();
    let mut bad_in_a_row = 0u32;
    let mut kept = None; // the buffer of a skipped frame, used for the next one
    while !side.stop.load(Ordering::Relaxed) {
        let mut frame = Frame::empty();
        frame.rgb = kept.take().or_else(|| side.spare.try_recv().ok()).unwrap_or_default();
        let decoded = raw_frames.with_next(|raw| pixel::decode(mode.format, raw, mode.width, mode.height, &mut frame));
        let event = match decoded {
            Ok(Some(Ok(()))) => {
                bad_in_a_row = 0;
                frame.pts = started.elapsed();
                CameraEvent::Frame(frame)
            }
            Ok(Some(Err(e))) => {
                bad_in_a_row += 1;
                if bad_in_a_row == 1 {
                    log::warn!("camera {}: skipping an undecodable frame: {e}", side.index);
                }
                if bad_in_a_row < MAX_BAD_FRAMES_IN_A_ROW {
                    kept = Some(std::mem::take(&mut frame.rgb));
                    continue;
                }
                CameraEvent::Failed(format!("{MAX_BAD_FRAMES_IN_A_ROW} undecodable frames in a row: {e}"))
            }
            Ok(None) => CameraEvent::End,
            Err(reason) => CameraEvent::Failed(reason),
        };
        let last = !matches!(event, CameraEvent::Frame(_));
        if side.events.send(event).is_err() || last {
            return; // the source was dropped, or the stream is over
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(format: CameraFormat, width: u32, height: u32, fps: u32) -> CameraMode {
        CameraMode { format, width, height, fps }
    }

    /// A typical UVC webcam: YUYV is full rate only at small sizes, MJPEG at every size.
    fn webcam() -> Vec<CameraMode> {
        use CameraFormat::*;
        vec![
            m(Yuyv, 640, 480, 30),
            m(Yuyv, 1280, 720, 10),
            m(Yuyv, 1920, 1080, 5),
            m(Mjpeg, 640, 480, 30),
            m(Mjpeg, 1280, 720, 30),
            m(Mjpeg, 1920, 1080, 30),
        ]
    }

    #[test]
    fn default_request_gets_720p30_mjpeg() {
        assert_eq!(choose_mode(&webcam(), &CameraRequest::default()), Some(m(CameraFormat::Mjpeg, 1280, 720, 30)));
    }

    #[test]
    fn small_request_prefers_yuyv() {
        let req = CameraRequest { resolution: Some((640, 480)), ..Default::default() };
        assert_eq!(choose_mode(&webcam(), &req), Some(m(CameraFormat::Yuyv, 640, 480, 30)));
    }

    #[test]
    fn forced_format_is_respected_even_at_low_rate() {
        let req = CameraRequest { format: Some(CameraFormat::Yuyv), ..Default::default() };
        assert_eq!(choose_mode(&webcam(), &req), Some(m(CameraFormat::Yuyv, 1280, 720, 10)));
        let only_yuyv: Vec<_> = webcam().into_iter().filter(|x| x.format == CameraFormat::Yuyv).collect();
        let req = CameraRequest { format: Some(CameraFormat::Mjpeg), ..Default::default() };
        assert_eq!(choose_mode(&only_yuyv, &req), None);
    }

    #[test]
    fn closest_resolution_wins() {
        let req = CameraRequest { resolution: Some((1000, 600)), fps: Some(30), format: None };
        assert_eq!(choose_mode(&webcam(), &req).map(|x| (x.width, x.height)), Some((1280, 720)));
        assert_eq!(choose_mode(&[], &req), None);
    }
}
