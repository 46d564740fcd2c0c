//! `EncoderThread`: a [`VideoWriter`] on its own named thread ("encoder"), so encoding never
//! holds up the thread that composes frames.
//!
//! In: RGB8 frames with their pts over a bounded channel (the caller blocks when the encoder is
//! `depth` frames behind: offline conversion loses nothing). Out: the file, and the writer's
//! stats or its first error from [`EncoderThread::finish`]. Frame buffers come back through a
//! return channel, so nothing is allocated per frame once warm.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, bounded};

use super::{RecordError, VideoWriter, WriterStats};

/// What [`EncoderThread::try_push`] did with a frame.
#[derive(Debug)]
pub enum Pushed {
    Queued,
    /// The encoder is `depth` frames behind: the frame was dropped (counted) and its buffer
    /// comes back.
    Dropped(Vec<u8>),
    /// The encoder stopped (its error comes from [`EncoderThread::finish`]).
    Stopped,
}

pub struct EncoderThread {
    frames: Option<Sender<(Vec<u8>, Duration)>>,
    dropped: Arc<AtomicU64>,
    /// `try_push` was used: the drop count goes into the file's comment.
    live: Arc<AtomicBool>,
    spare: Receiver<Vec<u8>>,
    handle: Option<JoinHandle<Result<WriterStats, RecordError>>>,
}

impl std::fmt::Debug for EncoderThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncoderThread").finish_non_exhaustive()
    }
}

impl EncoderThread {
    /// Move `writer` to a new thread that accepts up to `depth` waiting frames.
    pub fn start(mut writer: VideoWriter, depth: usize) -> std::io::Result<Self> {
        let (frames, rx) = bounded::<(Vec<u8>, Duration)>(depth.max(1));
        let (spare_tx, spare) = bounded::<Vec<u8>>(depth.max(1) + 2);
        let dropped = Arc::new(AtomicU64::new(0));
        let live = Arc::new(AtomicBool::new(false));
        let (dropped_count, live_flag) = (dropped.clone(), live.clone());
        let handle = std::thread::Builder::new().name("encoder".into()).spawn(move || {
            while let Ok((rgb, pts)) = rx.recv() {
                writer.push(&rgb, pts)?;
                let _ = spare_tx.try_send(rgb);
            }
            if live_flag.load(Ordering::Acquire) {
                writer.set_comment(format!("dropped_frames={}", dropped_count.load(Ordering::Acquire)));
            }
            writer.finish()
        })?;
        Ok(Self { frames: Some(frames), dropped, live, spare, handle: Some(handle) })
    }

    /// A buffer to compose the next frame into (recycled when one is free).
    pub fn buffer(&self) -> Vec<u8> {
        self.spare.try_recv().unwrap_or_default()
    }

    /// Queue a frame; waits while the encoder is `depth` frames behind. `false` when the
    /// encoder stopped (its error comes from [`EncoderThread::finish`]).
    pub fn push(&self, rgb: Vec<u8>, pts: Duration) -> bool {
        self.frames.as_ref().is_some_and(|tx| tx.send((rgb, pts)).is_ok())
    }

    /// Queue a frame without ever waiting (live recording): when the encoder is `depth` frames
    /// behind the frame is dropped and counted; the count is stored in the file's comment as
    /// `dropped_frames=N`.
    pub fn try_push(&self, rgb: Vec<u8>, pts: Duration) -> Pushed {
        self.live.store(true, Ordering::Release);
        let Some(tx) = &self.frames else { return Pushed::Stopped };
        match tx.try_send((rgb, pts)) {
            Ok(()) => Pushed::Queued,
            Err(crossbeam_channel::TrySendError::Full((rgb, _))) => {
                self.dropped.fetch_add(1, Ordering::AcqRel);
                Pushed::Dropped(rgb)
            }
            Err(crossbeam_channel::TrySendError::Disconnected(_)) => Pushed::Stopped,
        }
    }

    /// Frames waiting for the encoder (not counting the one it is encoding).
    pub fn queued(&self) -> usize {
        self.frames.as_ref().map_or(0, |tx| tx.len())
    }

    /// Frames [`EncoderThread::try_push`] dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Acquire)
    }

    /// Encode what is queued, close the file, and return its stats or the first error.
    pub fn finish(mut self) -> Result<WriterStats, RecordError> {
        self.frames.take();
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(RecordError::Encoder {
                path: std::path::PathBuf::from("(encoder thread)"),
                reason: "the encoder thread panicked".into(),
            }),
            None => Err(RecordError::Encoder { path: "(encoder thread)".into(), reason: "already finished".into() }),
        }
    }
}

impl Drop for EncoderThread {
    fn drop(&mut self) {
        // closing the channel lets the thread finish the file on its own; never block here
        self.frames.take();
    }
}
