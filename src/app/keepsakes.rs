//! What the booth keeps from the live feed: the clip being recorded, photos, four-cut strips and
//! boomerangs. Frames come from the GPU without waiting ([`FrameGrab`]), clips are encoded on
//! their own thread ([`ClipRecorder`]), pictures are written, clips closed, boomerangs encoded,
//! and each keepsake published and printed on the "keeper" thread ([`Keeper`]); files go to the
//! output folder, named by date, time and the characters worn, never overwriting one.
//!
//! In: requests from the UI (start or stop a clip, a photo, strip shot k, a boomerang, print a
//! file, sweep the share store), each composed frame (its texture and capture time), the output
//! folder, the recording settings, and what to do after keeping ([`AfterKeep`], set when the
//! settings change). Out: files; one line per file kept (or failed) and each kept file with its
//! link and print result ([`KeptFile`]) for the UI. UI thread.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use eframe::egui_wgpu::wgpu;
use image::RgbImage;

use super::grab::{FrameGrab, GrabTag, Purpose};
use super::keeper::{AfterKeep, Job, Keeper, Kept, KeptFile, PrintOrder};
use super::ui::RecordingView;
use crate::config::Recording;
use crate::frame::Frame;
use crate::record::Fps;
use crate::record::boomerang;
use crate::record::clip::{ClipRecorder, Offer};
use crate::record::names::{Keepsake, companion, keepsake_path};
use crate::record::strip::SHOTS;
use crate::share::store::{Kind, SharedStore};

/// Who wears what in the frame on screen: character ids (for file names) and names (captions).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Worn {
    pub ids: Vec<String>,
    pub names: Vec<String>,
}

struct PhotoRequest {
    worn: Worn,
    /// The camera picture goes beside the webtoon one.
    with_original: bool,
    /// Its frame is being read back (with the camera picture, copied then, when asked for).
    grabbed: Option<Option<RgbImage>>,
}

struct StripInProgress {
    shots: [Option<RgbImage>; SHOTS],
    worn: Worn,
}

/// A boomerang being recorded: frames asked for and the ones read back.
struct BoomerangInProgress {
    worn: Worn,
    /// Capture time of the first frame asked for, and of the last.
    first: Option<Instant>,
    last: Option<Instant>,
    requested: usize,
    frames: Vec<(Duration, RgbImage)>,
    /// No more frames are asked for (its time is up).
    complete: bool,
    /// When it was asked for (a feed that stops must not hold it forever).
    asked_at: Instant,
}

impl BoomerangInProgress {
    fn wants(&self, captured_at: Instant) -> bool {
        !self.complete
            && self.requested < boomerang::MAX_FRAMES
            && self.last.is_none_or(|l| captured_at.saturating_duration_since(l) >= boomerang::FRAME_INTERVAL)
    }
}

#[derive(Default)]
pub struct Keepsakes {
    grab: FrameGrab,
    keeper: Option<Keeper>,
    clip: Option<ClipRecorder>,
    /// The clip's first frame (the result card shows it).
    clip_first: Option<RgbImage>,
    /// A photo asked for: taken from the next composed frame.
    photo: Option<PhotoRequest>,
    /// Strip shots asked for and not yet grabbed.
    strip_wanted: Vec<usize>,
    strip: Option<StripInProgress>,
    boomerang: Option<BoomerangInProgress>,
    /// Publishing and printing, as the settings say now.
    after: AfterKeep,
    /// Lines for the UI: what was kept, what failed.
    messages: Vec<String>,
    /// Lines for the terminal only (links, print ids: the result card shows them).
    details: Vec<String>,
    /// Keepsakes kept since the UI last asked, with their links.
    kept: Vec<KeptFile>,
    /// Prints asked for with the Print button: the file and CUPS's answer.
    printed: Vec<(PathBuf, Result<String, String>)>,
    /// Frames collected from the GPU this repaint (reused).
    grabbed: Vec<(GrabTag, Vec<u8>, [u32; 2])>,
    /// A frame asked for a saved character's thumbnail, and the frame once grabbed.
    thumbnail_wanted: bool,
    thumbnail: Option<RgbImage>,
}

impl std::fmt::Debug for Keepsakes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keepsakes").field("recording", &self.clip.is_some()).finish_non_exhaustive()
    }
}

impl Keepsakes {
    fn keeper(&mut self) -> Option<&Keeper> {
        if self.keeper.is_none() {
            match Keeper::start() {
                Ok(k) => self.keeper = Some(k),
                Err(e) => self.messages.push(format!("cannot start the keeper thread: {e}")),
            }
        }
        self.keeper.as_ref()
    }

    /// What happens to the next keepsakes once they are on disk (the settings changed).
    pub fn set_after(&mut self, after: AfterKeep) {
        self.after = after;
    }

    pub fn recording(&self) -> Option<RecordingView> {
        self.clip.as_ref().map(|c| RecordingView { length: c.length(), max: c.max_length(), dropped: c.dropped() })
    }

    /// Starts a clip of `size` frames at `fps` in `folder`.
    pub fn start_clip(&mut self, folder: &Path, worn: &Worn, size: [u32; 2], fps: f64, settings: &Recording) {
        if self.clip.is_some() {
            return;
        }
        let ids: Vec<&str> = worn.ids.iter().map(String::as_str).collect();
        let path = keepsake_path(folder, Keepsake::Clip, &ids, chrono::Local::now());
        let fps = Fps::from_f64(fps).unwrap_or(Fps::integer(30).expect("30 fps"));
        let max = Duration::from_secs_f64(f64::from(settings.max_clip_s.max(1)));
        let started = std::fs::create_dir_all(folder)
            .map_err(|e| format!("cannot create the output folder {}: {e}", folder.display()))
            .and_then(|()| ClipRecorder::start(&path, size[0], size[1], fps, max).map_err(|e| e.to_string()));
        match started {
            Ok(clip) => {
                println!("live: recording {}", path.display());
                self.clip = Some(clip);
                self.clip_first = None;
            }
            Err(e) => self.messages.push(format!("recording did not start: {e}")),
        }
    }

    /// Stops the clip; the keeper encodes what is queued, closes the file and takes it home.
    pub fn stop_clip(&mut self) {
        let Some(clip) = self.clip.take() else { return };
        let job = Job::FinishClip { clip: Box::new(clip), first: self.clip_first.take(), after: self.after.clone() };
        let refused = match self.keeper() {
            Some(keeper) => keeper.submit(job).err().map(|job| *job),
            None => Some(job),
        };
        let Some(job) = refused else { return };
        // the keeper is busy: close the file on a thread of its own rather than wait here
        let path = match &job {
            Job::FinishClip { clip, .. } => clip.path().display().to_string(),
            _ => String::new(),
        };
        let beside = match &self.keeper {
            Some(keeper) => keeper.run_beside("clip-finish", job).map_err(|e| e.to_string()),
            None => Err("no keeper thread".to_string()),
        };
        match beside {
            Ok(()) => self.messages.push(format!("closing the clip {path}")),
            Err(e) => self.messages.push(format!("cannot close the clip {path}: {e}")),
        }
    }

    pub fn take_photo(&mut self, worn: Worn, with_original: bool) {
        self.photo = Some(PhotoRequest { worn, with_original, grabbed: None });
    }

    /// The next composed frame, for a saved character's thumbnail ([`Self::take_thumbnail`]).
    pub fn want_thumbnail(&mut self) {
        self.thumbnail_wanted = true;
    }

    /// The frame grabbed for a thumbnail, once.
    pub fn take_thumbnail(&mut self) -> Option<RgbImage> {
        self.thumbnail.take()
    }

    /// Shot `k` of a strip (0 starts a new one).
    pub fn take_strip_shot(&mut self, k: usize, worn: &Worn) {
        if k == 0 {
            self.strip = Some(StripInProgress { shots: Default::default(), worn: Worn::default() });
        }
        if let Some(strip) = &mut self.strip {
            for (id, name) in worn.ids.iter().zip(&worn.names) {
                if !strip.worn.ids.contains(id) {
                    strip.worn.ids.push(id.clone());
                    strip.worn.names.push(name.clone());
                }
            }
            if k < SHOTS {
                self.strip_wanted.push(k);
            }
        }
    }

    /// Starts a boomerang: frames of the next [`boomerang::SECONDS`] (a boomerang in progress
    /// starts over).
    pub fn take_boomerang(&mut self, worn: Worn) {
        self.boomerang = Some(BoomerangInProgress {
            worn,
            first: None,
            last: None,
            requested: 0,
            frames: Vec::with_capacity(boomerang::MAX_FRAMES),
            complete: false,
            asked_at: Instant::now(),
        });
    }

    /// Prints `path` as `order` says (the result's Print button).
    pub fn print(&mut self, path: PathBuf, order: PrintOrder) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let printer = order.printer.clone();
        if self.submit(Job::Print { path, order }) {
            self.messages.push(format!("printing {name} on {printer}"));
        }
    }

    /// Ends expired links and deletes old files on the keeper (skipped when it is busy).
    pub fn sweep(&mut self, store: SharedStore, retention: Option<Duration>) {
        if let Some(keeper) = self.keeper() {
            let _ = keeper.submit(Job::Sweep { store, retention });
        }
    }

    /// After each compose: grabs the frame for whatever wants it (never waits).
    pub fn composed(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, texture: &wgpu::Texture, frame: &Frame) {
        let captured_at = frame.captured_at;
        let mut grab = |purpose| self.grab.request(device, queue, texture, GrabTag { purpose, captured_at });
        if let Some(clip) = &self.clip
            && clip.wants(captured_at)
            && !grab(Purpose::Clip)
        {
            // every readback buffer in flight: the clip loses this frame (the encoder counts it)
            log::debug!("clip frame not grabbed: readback busy");
        }
        if let Some(photo) = self.photo.as_mut().filter(|p| p.grabbed.is_none())
            && grab(Purpose::Photo)
        {
            let original =
                photo.with_original.then(|| RgbImage::from_raw(frame.width, frame.height, frame.rgb.clone()));
            photo.grabbed = Some(original.flatten());
        }
        if self.thumbnail_wanted && grab(Purpose::Thumbnail) {
            self.thumbnail_wanted = false;
        }
        if let Some(&k) = self.strip_wanted.first()
            && grab(Purpose::StripShot(k))
        {
            self.strip_wanted.remove(0);
        }
        if let Some(b) = &mut self.boomerang {
            let seconds = b.first.map_or(0.0, |f| captured_at.saturating_duration_since(f).as_secs_f64());
            if seconds > boomerang::SECONDS {
                b.complete = true;
            } else if b.wants(captured_at) && grab(Purpose::Boomerang) {
                b.first.get_or_insert(captured_at);
                b.last = Some(captured_at);
                b.requested += 1;
            }
        }
    }

    /// Collects grabbed frames and finished jobs (never waits). `folder` is where photos and
    /// strips go, `strip_style` the folder of the strip's look.
    pub fn collect(&mut self, device: &wgpu::Device, folder: &Path, strip_style: &Path) {
        let mut grabbed = std::mem::take(&mut self.grabbed);
        let clip = &self.clip;
        self.grab.collect(
            device,
            |tag| match (tag.purpose, clip) {
                (Purpose::Clip, Some(c)) => c.buffer(),
                _ => Vec::new(),
            },
            |tag, rgb, size| grabbed.push((tag, rgb, size)),
        );
        for (tag, rgb, [w, h]) in grabbed.drain(..) {
            match tag.purpose {
                Purpose::Clip => {
                    if let Some(clip) = &mut self.clip {
                        if self.clip_first.is_none() {
                            // once per clip: the result card's picture
                            self.clip_first = RgbImage::from_raw(w, h, rgb.clone());
                        }
                        match clip.offer(tag.captured_at, rgb) {
                            Offer::Queued | Offer::Dropped => {}
                            Offer::Full | Offer::Stopped => self.stop_clip(),
                        }
                    }
                }
                Purpose::Photo => {
                    let Some(PhotoRequest { worn, grabbed, .. }) = self.photo.take() else { continue };
                    let original = grabbed.flatten();
                    let Some(stylized) = RgbImage::from_raw(w, h, rgb) else { continue };
                    let ids: Vec<&str> = worn.ids.iter().map(String::as_str).collect();
                    let path = keepsake_path(folder, Keepsake::Photo, &ids, chrono::Local::now());
                    let after = self.after.clone();
                    self.submit(Job::Photo { stylized, original, path, after });
                }
                Purpose::Thumbnail => self.thumbnail = RgbImage::from_raw(w, h, rgb),
                Purpose::StripShot(k) => {
                    let Some(shot) = RgbImage::from_raw(w, h, rgb) else { continue };
                    let Some(strip) = &mut self.strip else { continue };
                    if let Some(slot) = strip.shots.get_mut(k) {
                        *slot = Some(shot);
                    }
                    if strip.shots.iter().all(Option::is_some) {
                        let strip = self.strip.take().expect("checked above");
                        let shots = Box::new(strip.shots.map(|s| s.expect("every shot taken")));
                        let ids: Vec<&str> = strip.worn.ids.iter().map(String::as_str).collect();
                        let path = keepsake_path(folder, Keepsake::Strip, &ids, chrono::Local::now());
                        let date = chrono::Local::now().format("%Y-%m-%d").to_string();
                        let style_folder = strip_style.to_path_buf();
                        let after = self.after.clone();
                        let characters = strip.worn.names;
                        self.submit(Job::Strip { shots, style_folder, date, characters, path, after });
                    }
                }
                Purpose::Boomerang => {
                    let (Some(b), Some(picture)) = (&mut self.boomerang, RgbImage::from_raw(w, h, rgb)) else {
                        continue;
                    };
                    let at = b.first.map_or(Duration::ZERO, |f| tag.captured_at.saturating_duration_since(f));
                    b.frames.push((at, picture));
                }
            }
        }
        self.grabbed = grabbed; // kept for the next repaint: no allocation per frame
        self.finish_boomerang(folder);
        while let Some(kept) = self.keeper.as_ref().and_then(Keeper::try_kept) {
            for (line, on_screen) in describe(&kept) {
                if on_screen { self.messages.push(line) } else { self.details.push(line) }
            }
            match kept {
                Kept::File(file) => self.kept.push(*file),
                Kept::Printed { path, result } => self.printed.push((path, result)),
                Kept::Swept(_) | Kept::Failed(_) => {}
            }
        }
    }

    /// A boomerang whose frames are all back goes to the keeper.
    fn finish_boomerang(&mut self, folder: &Path) {
        let Some(b) = &self.boomerang else { return };
        let all_back = b.complete && b.frames.len() >= b.requested;
        // a feed that stopped (a lost camera) or a frame that never came back: use what there is
        let stuck = b.asked_at.elapsed() > Duration::from_secs_f64(boomerang::SECONDS + 4.0);
        if !(all_back || stuck) {
            return;
        }
        let b = self.boomerang.take().expect("checked above");
        if b.frames.len() < 2 {
            self.messages.push("boomerang not kept: no frames came from the camera".into());
            return;
        }
        let ids: Vec<&str> = b.worn.ids.iter().map(String::as_str).collect();
        let gif = keepsake_path(folder, Keepsake::Boomerang, &ids, chrono::Local::now());
        let mp4 = companion(&gif, "mp4");
        if let Err(e) = std::fs::create_dir_all(folder) {
            self.messages.push(format!("boomerang not kept: cannot create {}: {e}", folder.display()));
            return;
        }
        let after = self.after.clone();
        self.submit(Job::Boomerang { frames: b.frames, gif, mp4, after });
    }

    /// Queues `job`; false (and a line saying so) when the keeper cannot take it now.
    fn submit(&mut self, job: Job) -> bool {
        let refused = match self.keeper() {
            Some(keeper) => keeper.submit(job).is_err(),
            None => true,
        };
        if refused {
            self.messages.push("still saving the last pictures: try again in a moment".into());
        }
        !refused
    }

    /// Lines for the UI since the last call.
    pub fn take_messages(&mut self) -> std::vec::Drain<'_, String> {
        self.messages.drain(..)
    }

    /// Lines for the terminal only since the last call.
    pub fn take_details(&mut self) -> std::vec::Drain<'_, String> {
        self.details.drain(..)
    }

    /// Keepsakes kept since the last call, oldest first.
    pub fn take_kept(&mut self) -> std::vec::Drain<'_, KeptFile> {
        self.kept.drain(..)
    }

    /// Prints finished since the last call (the Print button's).
    pub fn take_printed(&mut self) -> std::vec::Drain<'_, (PathBuf, Result<String, String>)> {
        self.printed.drain(..)
    }

    /// The window closes: the clip is stopped and closed, queued pictures are written (waiting up
    /// to `limit`). Returns the lines for what was kept.
    pub fn shutdown(&mut self, limit: Duration) -> Vec<String> {
        self.stop_clip();
        let mut lines: Vec<String> = self.messages.drain(..).chain(self.details.drain(..)).collect();
        if let Some(keeper) = self.keeper.take() {
            lines.extend(keeper.finish(limit).iter().flat_map(describe).map(|(line, _)| line));
        }
        lines
    }
}

fn name_of(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// The lines a finished job leaves in the terminal, and whether each also goes on screen (a
/// link and a print's id do not: the result card shows them).
pub fn describe(kept: &Kept) -> Vec<(String, bool)> {
    let screen = |line: String| vec![(line, true)];
    match kept {
        Kept::File(f) => {
            let name = name_of(&f.path);
            let saved = match (f.kind, &f.note) {
                (Kind::Photo, _) => format!("saved photo {name}"),
                (Kind::Strip, None) => format!("saved four-cut strip {name}"),
                (Kind::Strip, Some(note)) => format!("saved four-cut strip {name} in the default look ({note})"),
                (Kind::Clip, note) => format!("saved clip {name} ({})", note.as_deref().unwrap_or("")),
                (Kind::Boomerang, note) => {
                    let mp4 = f.extra.as_ref().map_or(String::new(), |p| format!(" and {}", name_of(p)));
                    format!("saved boomerang {name}{mp4} ({})", note.as_deref().unwrap_or(""))
                }
            };
            let mut lines = vec![(saved, true)];
            match &f.link {
                Some(Ok(link)) => {
                    if let Some(url) = &link.url {
                        lines.push((format!("link for {name}: {url}"), false));
                    }
                }
                // without a link there is no card: the screen says why
                Some(Err(e)) => lines.push((format!("{name} is not shared: {e}"), true)),
                None => {}
            }
            match &f.printed {
                Some(Ok(id)) => lines.push((format!("printing {name}: {id}"), false)),
                Some(Err(e)) => lines.push((format!("printing {name} failed: {e}"), false)),
                None => {}
            }
            lines
        }
        Kept::Printed { path, result: Ok(id) } => screen(format!("printing {}: {id}", name_of(path))),
        Kept::Printed { path, result: Err(e) } => screen(format!("printing {} failed: {e}", name_of(path))),
        Kept::Swept(s) if s.deleted.is_empty() && s.links_ended == 0 => Vec::new(),
        Kept::Swept(s) => screen(format!("{} links ended, {} old files deleted", s.links_ended, s.deleted.len())),
        Kept::Failed(e) => screen(e.clone()),
    }
}
