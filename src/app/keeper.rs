//! The "keeper" thread: writes photos and four-cut strips (PNG encoding takes tens of
//! milliseconds a picture, a strip a few hundred), finishes clips (the encoder drains its queue
//! and closes the file), encodes boomerangs (GIF and MP4, about a second), and then takes each
//! keepsake home: publishes it in the output folder's share store (its link and preview), prints
//! it when the settings say so, sweeps expired links and old files. The UI thread never waits on
//! a disk, an encoder or a printer.
//!
//! In: [`Job`]s over a bounded channel (a full queue refuses the job: the UI says so), each with
//! what to do after keeping ([`AfterKeep`]: the settings when it was asked for). Out: one
//! [`Kept`] per job, read by the UI thread without waiting. Thread: "keeper". `Drop` closes the
//! queue without blocking; [`Keeper::finish`] waits for the jobs already queued (the window's
//! exit: a clip is never lost).

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, bounded};
use image::{RgbImage, imageops};

use crate::record::boomerang;
use crate::record::clip::{ClipRecorder, ClipSummary};
use crate::record::photo::{photo, save_png};
use crate::record::strip::{SHOTS, StripStyle, four_cut};
use crate::share::print;
use crate::share::publish::{self, Link};
use crate::share::store::{Kind, SharedStore, Swept};

/// Jobs waiting at most.
const QUEUE: usize = 4;
/// The result card's picture fits in this many pixels.
const THUMBNAIL: u32 = 480;

/// Publishing in the output folder's store.
#[derive(Debug, Clone)]
pub struct Publish {
    pub store: SharedStore,
    /// How long the link works (None: sharing is off; the file is only remembered so that the
    /// retention time deletes it).
    pub link: Option<Duration>,
    /// The server's base URL (`http://192.168.1.20:8080`) while it runs.
    pub base: Option<String>,
}

/// Printing settings when the keepsake was asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct PrintOrder {
    pub printer: String,
    pub copies: u32,
    /// Strips print by themselves.
    pub auto: bool,
    /// ... and photos too.
    pub photos: bool,
}

impl PrintOrder {
    /// Whether a keepsake of `kind` prints when kept.
    pub fn prints(&self, kind: Kind) -> bool {
        self.auto && (kind == Kind::Strip || (kind == Kind::Photo && self.photos))
    }

    /// Whether a keepsake of `kind` can be printed at all (the result's Print button).
    pub fn can_print(&self, kind: Kind) -> bool {
        kind == Kind::Strip || (kind == Kind::Photo && self.photos)
    }
}

/// What happens to a keepsake once it is on disk.
#[derive(Debug, Clone, Default)]
pub struct AfterKeep {
    pub publish: Option<Publish>,
    pub print: Option<PrintOrder>,
}

pub enum Job {
    Photo {
        stylized: RgbImage,
        original: Option<RgbImage>,
        path: PathBuf,
        after: AfterKeep,
    },
    /// The strip's look is read from `style_folder` here (a bad style: the default look, and a
    /// note saying why).
    Strip {
        shots: Box<[RgbImage; SHOTS]>,
        style_folder: PathBuf,
        date: String,
        characters: Vec<String>,
        path: PathBuf,
        after: AfterKeep,
    },
    /// A clip to close, and its first frame (the result card's picture).
    FinishClip {
        clip: Box<ClipRecorder>,
        first: Option<RgbImage>,
        after: AfterKeep,
    },
    /// Frames (times since the first) for the GIF at `gif` and the MP4 at `mp4`.
    Boomerang {
        frames: Vec<(Duration, RgbImage)>,
        gif: PathBuf,
        mp4: PathBuf,
        after: AfterKeep,
    },
    /// The result's Print button.
    Print {
        path: PathBuf,
        order: PrintOrder,
    },
    /// Ends expired links and deletes files older than `retention`.
    Sweep {
        store: SharedStore,
        retention: Option<Duration>,
    },
}

/// A keepsake on disk and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptFile {
    pub kind: Kind,
    /// The keepsake (a boomerang: its GIF).
    pub path: PathBuf,
    /// A boomerang's MP4.
    pub extra: Option<PathBuf>,
    /// More about it: the strip's style could not be used, the clip's length, the GIF's size.
    pub note: Option<String>,
    /// Its link (None: not published), or why publishing failed.
    pub link: Option<Result<Link, String>>,
    /// CUPS's request id, or why printing failed (None: not printed).
    pub printed: Option<Result<String, String>>,
    /// A small picture of it for the result card.
    pub thumbnail: Option<RgbImage>,
}

/// What a job did.
#[derive(Debug, Clone, PartialEq)]
pub enum Kept {
    File(Box<KeptFile>),
    Printed { path: PathBuf, result: Result<String, String> },
    Swept(Swept),
    Failed(String),
}

pub struct Keeper {
    jobs: Option<Sender<Job>>,
    kept: Receiver<Kept>,
    /// For jobs run on a thread of their own ([`Keeper::run_beside`]).
    kept_tx: Sender<Kept>,
    handle: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Keeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keeper").finish_non_exhaustive()
    }
}

/// `picture` scaled down to fit the result card.
fn thumbnail(picture: &RgbImage) -> RgbImage {
    let (w, h) = picture.dimensions();
    let scale = (THUMBNAIL as f64 / w.max(1) as f64).min(THUMBNAIL as f64 / h.max(1) as f64).min(1.0);
    let (tw, th) = (((w as f64 * scale) as u32).max(1), ((h as f64 * scale) as u32).max(1));
    imageops::thumbnail(picture, tw, th)
}

/// Publishes and prints a keepsake just written, as `after` says.
fn take_home(mut kept: KeptFile, picture: Option<&RgbImage>, after: &AfterKeep) -> KeptFile {
    if let Some(p) = &after.publish {
        let mut files = vec![kept.path.clone()];
        files.extend(kept.extra.clone());
        kept.link = Some(publish::publish(&p.store, &files, kept.kind, picture, p.link, p.base.as_deref()));
    }
    if let Some(order) = after.print.as_ref().filter(|o| o.prints(kept.kind)) {
        kept.printed = Some(print::print(&kept.path, &order.printer, order.copies));
    }
    kept
}

pub fn run(job: Job) -> Kept {
    let file = |kind, path: PathBuf| KeptFile {
        kind,
        path,
        extra: None,
        note: None,
        link: None,
        printed: None,
        thumbnail: None,
    };
    let done = |kept: KeptFile, picture: Option<&RgbImage>, after: &AfterKeep| {
        let mut kept = take_home(kept, picture, after);
        kept.thumbnail = picture.map(thumbnail);
        Kept::File(Box::new(kept))
    };
    match job {
        Job::Photo { stylized, original, path, after } => {
            let picture = photo(&stylized, original.as_ref());
            match save_png(&picture, &path) {
                Ok(()) => done(file(Kind::Photo, path), Some(&picture), &after),
                Err(e) => Kept::Failed(e.to_string()),
            }
        }
        Job::Strip { shots, style_folder, date, characters, path, after } => {
            let (style, note) = match StripStyle::load(&style_folder) {
                Ok(style) => (style, None),
                Err(e) => (StripStyle::default(), Some(e.to_string())),
            };
            let strip = four_cut(&shots, &style, &date, &characters);
            match save_png(&strip, &path) {
                Ok(()) => done(KeptFile { note, ..file(Kind::Strip, path) }, Some(&strip), &after),
                Err(e) => Kept::Failed(e.to_string()),
            }
        }
        Job::FinishClip { clip, first, after } => match (*clip).finish() {
            Ok(summary) => {
                let note = Some(clip_note(&summary));
                let mut kept = take_home(KeptFile { note, ..file(Kind::Clip, summary.path) }, None, &after);
                kept.thumbnail = first.as_ref().map(thumbnail);
                Kept::File(Box::new(kept))
            }
            Err(e) => Kept::Failed(e.to_string()),
        },
        Job::Boomerang { frames, gif, mp4, after } => {
            let gif_summary = match boomerang::write_gif(&frames, &gif) {
                Ok(s) => s,
                Err(e) => return Kept::Failed(e.to_string()),
            };
            let extra = match boomerang::write_mp4(&frames, &mp4) {
                Ok(_) => Some(mp4),
                Err(e) => {
                    // the GIF alone is still a keepsake
                    log::warn!("boomerang MP4: {e}");
                    None
                }
            };
            let note = Some(format!(
                "{} frames, {}x{}, {} KB",
                gif_summary.frames,
                gif_summary.width,
                gif_summary.height,
                gif_summary.bytes.div_ceil(1000)
            ));
            let first = frames.first().map(|(_, p)| thumbnail(p));
            let mut kept = take_home(KeptFile { extra, note, ..file(Kind::Boomerang, gif) }, None, &after);
            kept.thumbnail = first;
            Kept::File(Box::new(kept))
        }
        Job::Print { path, order } => {
            let result = print::print(&path, &order.printer, order.copies);
            Kept::Printed { path, result }
        }
        Job::Sweep { store, retention } => {
            let swept = store
                .lock()
                .map_err(|_| "the share store is broken (a thread panicked)".to_string())
                .and_then(|mut s| s.sweep(retention, std::time::SystemTime::now()).map_err(|e| e.to_string()));
            match swept {
                Ok(s) => Kept::Swept(s),
                Err(e) => Kept::Failed(e),
            }
        }
    }
}

/// "12.3 s, 2 frames dropped".
pub fn clip_note(s: &ClipSummary) -> String {
    let dropped = if s.dropped > 0 { format!(", {} frames dropped", s.dropped) } else { String::new() };
    format!("{:.1} s{dropped}", s.stats.duration.as_secs_f64())
}

impl Keeper {
    pub fn start() -> std::io::Result<Keeper> {
        let (jobs, rx) = bounded::<Job>(QUEUE);
        let (kept_tx, kept) = bounded::<Kept>(QUEUE * 2);
        let beside = kept_tx.clone();
        let handle = std::thread::Builder::new().name("keeper".into()).spawn(move || {
            while let Ok(job) = rx.recv() {
                let kept = run(job);
                // the UI reads these each repaint; if it fell behind, the oldest message is lost
                // (the files are on disk either way)
                if let Err(crossbeam_channel::TrySendError::Full(k)) = kept_tx.try_send(kept) {
                    log::warn!("keeper: message not shown: {k:?}");
                }
            }
        })?;
        Ok(Keeper { jobs: Some(jobs), kept, kept_tx: beside, handle: Some(handle) })
    }

    /// Runs `job` on a thread of its own named `name` (the keeper is busy and the job must not
    /// wait: a clip to close); what it kept comes back like the keeper's own.
    pub fn run_beside(&self, name: &str, job: Job) -> std::io::Result<()> {
        let tx = self.kept_tx.clone();
        std::thread::Builder::new().name(name.into()).spawn(move || {
            let _ = tx.send_timeout(run(job), Duration::from_secs(60));
        })?;
        Ok(())
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
        let mut kept = Vec::new();
        if let Some(handle) = self.handle.take() {
            while !handle.is_finished() && started.elapsed() < limit {
                // keep reading: a full answer queue must not hold the thread up
                kept.extend(self.kept.try_iter());
                std::thread::sleep(Duration::from_millis(10));
            }
            if handle.is_finished() {
                let _ = handle.join();
            } else {
                log::warn!("keeper: still writing after {limit:?}; leaving it to finish");
            }
        }
        kept.extend(self.kept.try_iter());
        kept
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        // closing the queue lets the thread finish what it has; never block here
        self.jobs.take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_print_by_themselves_photos_only_when_asked() {
        let order = PrintOrder { printer: "PDF".into(), copies: 1, auto: true, photos: false };
        assert!(order.prints(Kind::Strip) && !order.prints(Kind::Photo) && !order.prints(Kind::Clip));
        assert!(PrintOrder { photos: true, ..order.clone() }.prints(Kind::Photo));
        let manual = PrintOrder { auto: false, ..order };
        assert!(!manual.prints(Kind::Strip) && manual.can_print(Kind::Strip) && !manual.can_print(Kind::Boomerang));
    }

    #[test]
    fn a_failed_print_says_why_and_the_file_stays() {
        let dir = std::env::temp_dir().join(format!("webtoonme-keeper-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("webtoonme_x_strip.png");
        let shots = Box::new(std::array::from_fn(|_| RgbImage::from_pixel(64, 48, image::Rgb([200, 90, 120]))));
        let order = PrintOrder { printer: "no-such-printer-here".into(), copies: 1, auto: true, photos: false };
        let kept = run(Job::Strip {
            shots,
            style_folder: dir.join("no-style"),
            date: "2026-12-04".into(),
            characters: vec!["Haru".into()],
            path: path.clone(),
            after: AfterKeep { publish: None, print: Some(order) },
        });
        let Kept::File(kept) = kept else { panic!("{kept:?}") };
        let reason = kept.printed.clone().expect("printed").unwrap_err();
        assert!(!reason.is_empty(), "a reason");
        assert!(path.is_file(), "the strip stays kept");
        assert!(kept.thumbnail.is_some_and(|t| t.height() <= THUMBNAIL));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
