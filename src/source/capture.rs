//! `CaptureThread`: the named thread that owns a [`FrameSource`] and feeds the [`FrameRing`].
//!
//! In: a source. Out: frames with sequence number and capture time in the ring; the ring is
//! closed when the source ends, fails or the thread is asked to stop ([`CaptureThread::start_reopening`]:
//! a failing live source is reopened instead, its state shared in [`SourceHealth`]). Runs on thread "capture".
//! `Drop` signals the stop and never blocks.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{FrameSource, SourceError, SourceInfo};
use crate::ring::FrameRing;

/// How the capture thread hands frames over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureMode {
    /// Live: play at the source's rate; a slow consumer makes the ring drop frames (latest wins).
    Realtime,
    /// Offline (video export, benchmarks): every frame is delivered; the source waits for the consumer.
    Lockstep,
}

#[derive(Debug)]
pub struct CaptureThread {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<Result<u64, SourceError>>>,
    info: SourceInfo,
}

impl CaptureThread {
    /// Open a source on a new capture thread and start capturing. Returns once the source is
    /// open, with its error if opening failed. `max_frames` ends the stream after that many
    /// frames (benchmarks, tests).
    pub fn start<F>(
        open: F,
        ring: Arc<FrameRing>,
        mode: CaptureMode,
        max_frames: Option<u64>,
    ) -> Result<Self, SourceError>
    where
        F: FnOnce() -> Result<Box<dyn FrameSource>, SourceError> + Send + 'static,
    {
        Self::spawn(Some(open), None, ring, mode, max_frames)
    }

    /// Like [`CaptureThread::start`] (the first open must succeed), but when the source fails
    /// later, or a live source stops delivering, the stream does not end: `reopen.health` says
    /// the source is lost and the thread reopens it every `reopen.every` until it is back (or
    /// the thread is asked to stop). Frames then go on with the next sequence numbers.
    pub fn start_reopening(
        reopen: Reopen,
        ring: Arc<FrameRing>,
        mode: CaptureMode,
        max_frames: Option<u64>,
    ) -> Result<Self, SourceError> {
        type Never = fn() -> Result<Box<dyn FrameSource>, SourceError>;
        Self::spawn(None::<Never>, Some(reopen), ring, mode, max_frames)
    }

    fn spawn<F>(
        open: Option<F>,
        mut reopen: Option<Reopen>,
        ring: Arc<FrameRing>,
        mode: CaptureMode,
        max_frames: Option<u64>,
    ) -> Result<Self, SourceError>
    where
        F: FnOnce() -> Result<Box<dyn FrameSource>, SourceError> + Send + 'static,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let (opened_tx, opened_rx) = crossbeam_channel::bounded::<Result<SourceInfo, SourceError>>(1);
        let spawned = std::thread::Builder::new().name("capture".into()).spawn(move || {
            let opened = match (open, reopen.as_mut()) {
                (Some(open), _) => open(),
                (None, Some(r)) => (r.open)(),
                (None, None) => Err(SourceError::Spec { spec: "capture".into(), reason: "nothing to open".into() }),
            };
            let mut source = match opened {
                Ok(s) => {
                    let _ = opened_tx.send(Ok(s.info().clone()));
                    s
                }
                Err(e) => {
                    ring.close();
                    let _ = opened_tx.send(Err(e));
                    return Ok(0);
                }
            };
            let epoch = Instant::now();
            let mut seq = 0u64;
            let result = loop {
                let ended = capture_loop(source.as_mut(), &ring, mode, max_frames, &stop_flag, epoch, &mut seq);
                let reason = match (&ended, reopen.is_some()) {
                    (Err(e), true) => e.to_string(),
                    (Ok(Ended::Finished), true) if source.info().live => {
                        format!("{}: stopped delivering frames", source.info().name)
                    }
                    _ => break ended.map(|_| seq),
                };
                match reopen.as_mut().and_then(|r| reopen_source(r, &stop_flag, reason)) {
                    Some(s) => source = s,
                    None => break Ok(seq),
                }
            };
            ring.close();
            if let Err(e) = &result {
                log::error!("capture stopped: {e}");
            }
            result
        });
        let handle = spawned
            .map_err(|e| SourceError::Spec { spec: "capture".into(), reason: format!("cannot start thread: {e}") })?;
        match opened_rx.recv() {
            Ok(Ok(info)) => Ok(Self { stop, handle: Some(handle), info }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(SourceError::Spec {
                spec: "capture".into(),
                reason: "capture thread ended while opening the source".into(),
            }),
        }
    }

    pub fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// Ask the thread to stop after the current frame.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
    }

    pub fn is_finished(&self) -> bool {
        self.handle.as_ref().is_none_or(|h| h.is_finished())
    }

    /// Wait for the thread; returns how many frames it delivered or the source's error.
    pub fn join(mut self) -> Result<u64, SourceError> {
        match self.handle.take().map(|h| h.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => {
                Err(SourceError::Spec { spec: self.info.name.clone(), reason: "capture thread panicked".into() })
            }
            None => Ok(0),
        }
    }
}

impl Drop for CaptureThread {
    fn drop(&mut self) {
        // Signal and detach: the thread closes the ring and exits after its current frame.
        self.stop.store(true, Ordering::Release);
    }
}

/// Why [`capture_loop`] returned without an error.
#[derive(Debug, PartialEq, Eq)]
enum Ended {
    /// Asked to stop, or `max_frames` reached.
    Stopped,
    /// The source said it has no more frames.
    Finished,
}

fn capture_loop(
    source: &mut dyn FrameSource,
    ring: &FrameRing,
    mode: CaptureMode,
    max_frames: Option<u64>,
    stop: &AtomicBool,
    epoch: Instant,
    seq: &mut u64,
) -> Result<Ended, SourceError> {
    // pacing counts from here, so a reopened source does not rush to catch up
    let (start, first) = (Instant::now(), *seq);
    let pacing = if mode == CaptureMode::Realtime { source.pacing() } else { None };
    while !stop.load(Ordering::Acquire) && max_frames.is_none_or(|m| *seq < m) {
        if let Some(period) = pacing {
            let due = start + period.mul_f64((*seq - first) as f64);
            let now = Instant::now();
            if due > now {
                std::thread::sleep((due - now).min(Duration::from_millis(100)));
                continue;
            }
        }
        let mut frame = match mode {
            CaptureMode::Realtime => ring.acquire(),
            CaptureMode::Lockstep => {
                ring.wait_for_demand();
                if stop.load(Ordering::Acquire) || ring.is_closed() {
                    break;
                }
                ring.acquire_lockstep()
            }
        };
        match source.next_frame(&mut frame) {
            Ok(true) => {}
            Ok(false) => {
                ring.recycle(frame);
                return Ok(Ended::Finished);
            }
            Err(e) => {
                ring.recycle(frame);
                return Err(e);
            }
        }
        frame.seq = *seq;
        frame.captured_at = Instant::now();
        if source.info().live {
            frame.pts = frame.captured_at - epoch;
        }
        match mode {
            CaptureMode::Realtime => ring.publish(frame),
            CaptureMode::Lockstep => ring.publish_lockstep(frame),
        }
        *seq += 1;
    }
    Ok(Ended::Stopped)
}

/// Opens the source again and again, `every` apart, until it opens (Some) or the thread is
/// asked to stop (None). `health` says lost meanwhile, with the newest error.
fn reopen_source(reopen: &mut Reopen, stop: &AtomicBool, reason: String) -> Option<Box<dyn FrameSource>> {
    log::warn!("source lost: {reason}; reopening every {:.1} s", reopen.every.as_secs_f64());
    reopen.health.set_lost(reason);
    let mut next_try = Instant::now() + reopen.every;
    while !stop.load(Ordering::Acquire) {
        let now = Instant::now();
        if now < next_try {
            std::thread::sleep((next_try - now).min(Duration::from_millis(50)));
            continue;
        }
        match (reopen.open)() {
            Ok(source) => {
                reopen.health.set_back();
                log::info!("source back: {}", source.info().name);
                return Some(source);
            }
            Err(e) => {
                reopen.health.set_error(e.to_string());
                next_try = Instant::now() + reopen.every;
            }
        }
    }
    None
}

/// Whether a reopening source is lost right now, how often it was lost and came back, and the
/// newest error. Written by the capture thread, read by the UI (atomics; the error text behind a
/// mutex read only while lost).
#[derive(Debug, Default)]
pub struct SourceHealth {
    lost: AtomicBool,
    losses: AtomicU64,
    recoveries: AtomicU64,
    error: Mutex<String>,
}

impl SourceHealth {
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Acquire)
    }

    /// Times the source was lost.
    pub fn losses(&self) -> u64 {
        self.losses.load(Ordering::Acquire)
    }

    /// Times it came back.
    pub fn recoveries(&self) -> u64 {
        self.recoveries.load(Ordering::Acquire)
    }

    /// The newest error (why it was lost, or why the last reopen failed).
    pub fn error(&self) -> String {
        self.error.lock().map(|e| e.clone()).unwrap_or_default()
    }

    fn set_error(&self, error: String) {
        if let Ok(mut e) = self.error.lock() {
            *e = error;
        }
    }

    fn set_lost(&self, error: String) {
        self.set_error(error);
        self.losses.fetch_add(1, Ordering::AcqRel);
        self.lost.store(true, Ordering::Release);
    }

    fn set_back(&self) {
        self.recoveries.fetch_add(1, Ordering::AcqRel);
        self.lost.store(false, Ordering::Release);
    }
}

/// Opens a live source again after it failed (a camera unplugged and plugged back).
pub struct Reopen {
    /// Opens the source (called on the capture thread; first at start, then after each loss).
    pub open: Box<dyn FnMut() -> Result<Box<dyn FrameSource>, SourceError> + Send>,
    /// Time between attempts.
    pub every: Duration,
    pub health: Arc<SourceHealth>,
}

impl std::fmt::Debug for Reopen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reopen").field("every", &self.every).field("health", &self.health).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::Frame;
    use std::sync::atomic::AtomicU32;

    /// A "camera" that fails after `fail_after` frames; opening fails while `unplugged` is set.
    struct Flaky {
        info: SourceInfo,
        delivered: u32,
        fail_after: u32,
    }

    impl FrameSource for Flaky {
        fn info(&self) -> &SourceInfo {
            &self.info
        }
        fn next_frame(&mut self, frame: &mut Frame) -> Result<bool, SourceError> {
            if self.delivered == self.fail_after {
                return Err(SourceError::Camera { index: 0, reason: "device unplugged".into() });
            }
            self.delivered += 1;
            frame.width = 4;
            frame.height = 2;
            frame.rgb.clear();
            frame.rgb.resize(4 * 2 * 3, 7);
            std::thread::sleep(Duration::from_millis(2));
            Ok(true)
        }
    }

    #[test]
    fn a_lost_source_is_reported_retried_and_comes_back() {
        let ring = Arc::new(FrameRing::new(4));
        let health = Arc::new(SourceHealth::default());
        let opens = Arc::new(AtomicU32::new(0));
        let counter = opens.clone();
        let reopen = Reopen {
            open: Box::new(move || {
                // opened at start, then the first two reopen attempts fail (still unplugged)
                match counter.fetch_add(1, Ordering::AcqRel) {
                    1 | 2 => Err(SourceError::Camera { index: 0, reason: "no such device".into() }),
                    _ => Ok(Box::new(Flaky {
                        info: SourceInfo {
                            name: "flaky".into(),
                            width: 4,
                            height: 2,
                            fps: 30.0,
                            frame_count: None,
                            live: true,
                        },
                        delivered: 0,
                        fail_after: 5,
                    }) as Box<dyn FrameSource>),
                }
            }),
            every: Duration::from_millis(20),
            health: health.clone(),
        };
        let capture = CaptureThread::start_reopening(reopen, ring.clone(), CaptureMode::Lockstep, Some(12)).unwrap();
        let mut seqs = Vec::new();
        let mut saw_lost = false;
        while seqs.len() < 12 {
            saw_lost |= health.is_lost();
            if let Some(frame) = ring.take(Duration::from_millis(20)) {
                seqs.push(frame.seq);
                ring.recycle(frame);
            } else {
                assert!(!ring.is_closed(), "the stream ended instead of reopening (got {seqs:?})");
            }
        }
        assert_eq!(seqs, (0..12).collect::<Vec<_>>(), "frames go on with the next numbers");
        assert!(saw_lost || health.losses() > 0, "the loss was reported");
        assert_eq!(health.losses(), 2, "lost after frame 5 and after frame 10");
        assert_eq!(health.recoveries(), 2);
        assert!(opens.load(Ordering::Acquire) >= 5, "two failed attempts were retried");
        assert!(health.error().contains("device unplugged") || health.error().contains("no such device"));
        assert_eq!(capture.join().unwrap(), 12);
    }

    #[test]
    fn without_reopen_a_failure_ends_the_stream() {
        let ring = Arc::new(FrameRing::new(4));
        let info = SourceInfo { name: "flaky".into(), width: 4, height: 2, fps: 30.0, frame_count: None, live: true };
        let capture = CaptureThread::start(
            move || Ok(Box::new(Flaky { info, delivered: 0, fail_after: 3 }) as Box<dyn FrameSource>),
            ring.clone(),
            CaptureMode::Lockstep,
            None,
        )
        .unwrap();
        let mut n = 0;
        while !ring.is_closed() || ring.take(Duration::ZERO).is_some() {
            if let Some(f) = ring.take(Duration::from_millis(20)) {
                n += 1;
                ring.recycle(f);
            }
        }
        assert!(n <= 3);
        assert!(capture.join().unwrap_err().to_string().contains("device unplugged"));
    }
}
