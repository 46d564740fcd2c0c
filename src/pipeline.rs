//! The live pipeline: capture thread -> frame ring -> perception worker -> the caller.
//!
//! In: a source and a perception configuration. Out: [`PipelineOutput`]s (frame + analysis) on a
//! bounded channel, read by one sink thread (terminal reporter, bench, CLI). Threads: "capture"
//! and "perception". The sink gives outputs back with [`Pipeline::recycle`] so buffers circulate
//! instead of being allocated per frame. `Drop` signals both threads and never blocks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, bounded};

use crate::frame::Frame;
use crate::perception::runtime::{ActiveProvider, RuntimeError};
use crate::perception::{FrameAnalysis, Perception, PerceptionConfig};
use crate::ring::{FrameRing, RingStats};
use crate::source::capture::{CaptureMode, CaptureThread};
use crate::source::{FrameSource, SourceError, SourceInfo};

/// Buffers in the frame ring: one being captured, one waiting, two held downstream.
const RING_BUFFERS: usize = 4;
/// Outputs waiting for the sink. Small: a slow sink makes the ring drop frames instead of lagging.
const OUTPUT_DEPTH: usize = 2;

/// A frame and what perception found in it.
#[derive(Debug)]
pub struct PipelineOutput {
    pub frame: Frame,
    pub analysis: FrameAnalysis,
    /// When perception finished with the frame.
    pub analysed_at: Instant,
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("cannot start thread: {0}")]
    Thread(#[from] std::io::Error),
}

pub struct Pipeline {
    ring: Arc<FrameRing>,
    capture: Option<CaptureThread>,
    worker: Option<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
    outputs: Receiver<Result<PipelineOutput, RuntimeError>>,
    spare_analyses: Sender<FrameAnalysis>,
    provider: ActiveProvider,
    source: SourceInfo,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline").field("source", &self.source).field("provider", &self.provider).finish()
    }
}

impl Pipeline {
    /// Load the models, then start capture and perception. Model and source errors surface here.
    pub fn start<F>(
        open: F,
        mode: CaptureMode,
        max_frames: Option<u64>,
        config: PerceptionConfig,
    ) -> Result<Self, PipelineError>
    where
        F: FnOnce() -> Result<Box<dyn FrameSource>, SourceError> + Send + 'static,
    {
        let perception = Perception::load(config)?;
        Self::start_with(open, mode, max_frames, perception)
    }

    /// Start with an already loaded [`Perception`].
    pub fn start_with<F>(
        open: F,
        mode: CaptureMode,
        max_frames: Option<u64>,
        mut perception: Perception,
    ) -> Result<Self, PipelineError>
    where
        F: FnOnce() -> Result<Box<dyn FrameSource>, SourceError> + Send + 'static,
    {
        let provider = perception.provider();
        let ring = Arc::new(FrameRing::new(RING_BUFFERS));
        let stop = Arc::new(AtomicBool::new(false));
        let (out_tx, outputs) = bounded(OUTPUT_DEPTH);
        let (spare_analyses, spare_rx) = bounded::<FrameAnalysis>(OUTPUT_DEPTH + 2);
        let worker = {
            let (ring, stop) = (ring.clone(), stop.clone());
            std::thread::Builder::new().name("perception".into()).spawn(move || {
                while !stop.load(Ordering::Acquire) {
                    let Some(frame) = ring.take(Duration::from_millis(100)) else {
                        if ring.is_closed() {
                            break;
                        }
                        continue;
                    };
                    let mut analysis = spare_rx.try_recv().unwrap_or_default();
                    let result = perception.process(&frame, &mut analysis).map(|()| PipelineOutput {
                        frame,
                        analysis,
                        analysed_at: Instant::now(),
                    });
                    let failed = result.is_err();
                    if out_tx.send(result).is_err() || failed {
                        break;
                    }
                }
                ring.close();
            })?
        };
        let capture = match CaptureThread::start(open, ring.clone(), mode, max_frames) {
            Ok(c) => c,
            Err(e) => {
                stop.store(true, Ordering::Release);
                ring.close();
                let _ = worker.join();
                return Err(e.into());
            }
        };
        let source_info = capture.info().clone();
        Ok(Self {
            ring,
            capture: Some(capture),
            worker: Some(worker),
            stop,
            outputs,
            spare_analyses,
            provider,
            source: source_info,
        })
    }

    pub fn provider(&self) -> ActiveProvider {
        self.provider
    }

    pub fn source(&self) -> &SourceInfo {
        &self.source
    }

    /// Next output, waiting up to `timeout`. A perception error ends the stream and is returned.
    pub fn recv(&self, timeout: Duration) -> Result<Next, RuntimeError> {
        match self.outputs.recv_timeout(timeout) {
            Ok(Ok(out)) => Ok(Next::Frame(out)),
            Ok(Err(e)) => Err(e),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => Ok(Next::Waiting),
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => Ok(Next::Ended),
        }
    }

    /// Whether the stream ended (source finished and every output was read).
    pub fn is_finished(&self) -> bool {
        self.ring.is_closed() && self.outputs.is_empty() && self.worker.as_ref().is_none_or(|w| w.is_finished())
    }

    /// Give an output's buffers back.
    pub fn recycle(&self, out: PipelineOutput) {
        self.ring.recycle(out.frame);
        let _ = self.spare_analyses.try_send(out.analysis);
    }

    pub fn ring_stats(&self) -> RingStats {
        self.ring.stats()
    }

    /// Stop both threads and wait for them; returns the source's error if capture failed.
    pub fn shutdown(mut self) -> Result<u64, SourceError> {
        self.stop.store(true, Ordering::Release);
        self.ring.close();
        // drain so a worker blocked on a full output channel can exit
        while self.outputs.try_recv().is_ok() {}
        let frames = self.capture.take().map(|c| {
            c.stop();
            c.join()
        });
        while self.outputs.recv_timeout(Duration::from_millis(20)).is_ok() {}
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
        frames.unwrap_or(Ok(0))
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.ring.close();
    }
}

/// What [`Pipeline::recv`] found.
// Moved once per frame; boxing the big variant would allocate per frame instead.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Next {
    Frame(PipelineOutput),
    /// Nothing within the timeout; the stream goes on.
    Waiting,
    /// The source ended (or failed: [`Pipeline::shutdown`] returns its error).
    Ended,
}
