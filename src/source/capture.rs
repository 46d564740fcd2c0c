//! `CaptureThread`: the named thread that owns a [`FrameSource`] and feeds the [`FrameRing`].
//!
//! In: a source. Out: frames with sequence number and capture time in the ring; the ring is
//! closed when the source ends, fails or the thread is asked to stop. Runs on thread "capture".
//! `Drop` signals the stop and never blocks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let (opened_tx, opened_rx) = crossbeam_channel::bounded::<Result<SourceInfo, SourceError>>(1);
        let spawned = std::thread::Builder::new().name("capture".into()).spawn(move || {
            let mut source = match open() {
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
            let result = capture_loop(source.as_mut(), &ring, mode, max_frames, &stop_flag);
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

fn capture_loop(
    source: &mut dyn FrameSource,
    ring: &FrameRing,
    mode: CaptureMode,
    max_frames: Option<u64>,
    stop: &AtomicBool,
) -> Result<u64, SourceError> {
    let start = Instant::now();
    let pacing = if mode == CaptureMode::Realtime { source.pacing() } else { None };
    let mut seq = 0u64;
    while !stop.load(Ordering::Acquire) && max_frames.is_none_or(|m| seq < m) {
        if let Some(period) = pacing {
            let due = start + period.mul_f64(seq as f64);
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
                break;
            }
            Err(e) => {
                ring.recycle(frame);
                return Err(e);
            }
        }
        frame.seq = seq;
        frame.captured_at = Instant::now();
        if source.info().live {
            frame.pts = frame.captured_at - start;
        }
        match mode {
            CaptureMode::Realtime => ring.publish(frame),
            CaptureMode::Lockstep => ring.publish_lockstep(frame),
        }
        seq += 1;
    }
    Ok(seq)
}
