//! The "keeper" thread: writes photos and four-cut strips (PNG encoding takes tens of
//! milliseconds a picture, a strip a few hundred) and finishes clips (the encoder drains its
//! queue and closes the file), so the UI thread never waits on a disk or an encoder.
//!
//! In: [`Job`]s over a bounded channel (a full queue refuses the job: the UI says so). Out: one
//! [`Kept`] per job, read by the UI thread without waiting. Thread: "keeper". `Drop` closes the
//! queue without blocking; [`Keeper::finish`] waits for the jobs already queued (the window's
//! exit: a clip is never lost).

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, bounded};
use image::RgbImage;

use crate::record::clip::{ClipRecorder, ClipSummary};
use crate::record::photo::{photo, save_png};
use crate::record::strip::{SHOTS, StripStyle, four_cut};

/// Jobs waiting at most.
const QUEUE: usize = 4;

pub enum Job {
    Photo {
        stylized: RgbImage,
        original: Option<RgbImage>,
        path: PathBuf,
    },
    /// The strip's look is read from `style_folder` here (a bad style: the default look, and a
    /// note saying why).
    Strip {
        shots: Box<[RgbImage; SHOTS]>,
        style_folder: PathBuf,
        date: String,
        characters: Vec<String>,
        path: PathBuf,
    },
    FinishClip(Box<ClipRecorder>),
}

/// What a job left on disk (or why not).
#[derive(Debug, Clone, PartialEq)]
pub enum Kept {
    Photo(PathBuf),
    /// The strip, and why its style could not be used (when it could not).
    Strip(PathBuf, Option<String>),
    Clip(ClipSummary),
    Failed(String),
}

pub struct Keeper {
    jobs: Option<Sender<Job>>,
    kept: Receiver<Kept>,
    handle: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Keeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keeper").finish_non_exhaustive()
    }
}

impl Keeper {
    pub fn start() -> std::io::Result<Keeper> {
        let (jobs, rx) = bounded::<Job>(QUEUE);
        let (kept_tx, kept) = bounded::<Kept>(QUEUE * 2);
        let handle = std::thread::Builder::new().name("keeper".into()).spawn(move || {
            while let Ok(job) = rx.recv() {
                let result: Result<Kept, String> = match job {
                    Job::Photo { stylized, original, path } => save_png(&photo(&stylized, original.as_ref()), &path)
                        .map(|()| Kept::Photo(path))
                        .map_err(|e| e.to_string()),
                    Job::Strip { shots, style_folder, date, characters, path } => {
                        let (style, note) = match StripStyle::load(&style_folder) {
                            Ok(style) => (style, None),
                            Err(e) => (StripStyle::default(), Some(e.to_string())),
                        };
                        save_png(&four_cut(&shots, &style, &date, &characters), &path)
                            .map(|()| Kept::Strip(path, note))
                            .map_err(|e| e.to_string())
                    }
                    Job::FinishClip(clip) => (*clip).finish().map(Kept::Clip).map_err(|e| e.to_string()),
                };
                let kept = result.unwrap_or_else(Kept::Failed);
                // the UI reads these each repaint; if it fell behind, the oldest message is lost
                // (the files are on disk either way)
                if let Err(crossbeam_channel::TrySendError::Full(k)) = kept_tx.try_send(kept) {
                    log::warn!("keeper: message not shown: {k:?}");
                }
            }
        })?;
        Ok(Keeper { jobs: Some(jobs), kept, handle: Some(handle) })
    }

    /// Queues `job` without waiting; gives it back when the queue is full or the thread stopped.
    pub fn submit(&self, job: Job) -> Result<(), Box<Job>> {
        match &self.jobs {
            Some(tx) => tx.try_send(job).map_err(|e| Box::new(e.into_inner())),
            None => Err(Box::new(job)),
        }
    }

    /// The next finished job, if any (never waits).
    pub fn try_kept(&self) -> Option<Kept> {
        self.kept.try_recv().ok()
    }

    /// Closes the queue and waits up to `limit` for the queued jobs (a clip's last frames are
    /// encoded and its file closed); returns what they kept.
    pub fn finish(mut self, limit: Duration) -> Vec<Kept> {
        self.jobs.take();
        let started = std::time::Instant::now();
        if let Some(handle) = self.handle.take() {
            while !handle.is_finished() && started.elapsed() < limit {
                std::thread::sleep(Duration::from_millis(10));
            }
            if handle.is_finished() {
                let _ = handle.join();
            } else {
                log::warn!("keeper: still writing after {limit:?}; leaving it to finish");
            }
        }
        self.kept.try_iter().collect()
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        // closing the queue lets the thread finish what it has; never block here
        self.jobs.take();
    }
}
