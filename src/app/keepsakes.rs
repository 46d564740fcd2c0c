//! What the booth keeps from the live feed: the clip being recorded, photos and four-cut strips.
//! Frames come from the GPU without waiting ([`FrameGrab`]), clips are encoded on their own
//! thread ([`ClipRecorder`]), pictures are written and clips closed on the "keeper" thread
//! ([`Keeper`]); files go to the output folder, named by date, time and the characters worn,
//! never overwriting one.
//!
//! In: requests from the UI (start or stop a clip, a photo, strip shot k), each composed frame
//! (its texture and capture time), the output folder and the recording settings. Out: files, and
//! one line per file kept (or failed) for the UI. UI thread.

use std::path::Path;
use std::time::Duration;

use eframe::egui_wgpu::wgpu;
use image::RgbImage;

use super::grab::{FrameGrab, GrabTag, Purpose};
use super::keeper::{Job, Keeper, Kept};
use super::ui::RecordingView;
use crate::config::Recording;
use crate::frame::Frame;
use crate::record::Fps;
use crate::record::clip::{ClipRecorder, Offer};
use crate::record::names::{Keepsake, keepsake_path};
use crate::record::strip::SHOTS;

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

#[derive(Default)]
pub struct Keepsakes {
    grab: FrameGrab,
    keeper: Option<Keeper>,
    clip: Option<ClipRecorder>,
    /// A photo asked for: taken from the next composed frame.
    photo: Option<PhotoRequest>,
    /// Strip shots asked for and not yet grabbed.
    strip_wanted: Vec<usize>,
    strip: Option<StripInProgress>,
    /// Lines for the UI: what was kept, what failed.
    messages: Vec<String>,
    /// Frames collected from the GPU this repaint (reused).
    grabbed: Vec<(GrabTag, Vec<u8>, [u32; 2])>,
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
            }
            Err(e) => self.messages.push(format!("recording did not start: {e}")),
        }
    }

    /// Stops the clip; the keeper encodes what is queued and closes the file.
    pub fn stop_clip(&mut self) {
        let Some(clip) = self.clip.take() else { return };
        let refused = match self.keeper() {
            Some(keeper) => keeper.submit(Job::FinishClip(Box::new(clip))).err().map(|job| *job),
            None => Some(Job::FinishClip(Box::new(clip))),
        };
        if let Some(Job::FinishClip(clip)) = refused {
            // the keeper is busy: close the file on a thread of its own rather than wait here
            let path = clip.path().display().to_string();
            let spawned = std::thread::Builder::new().name("clip-finish".into()).spawn(move || match clip.finish() {
                Ok(s) => println!("live: {}", saved_clip(&s.path, s.stats.duration, s.dropped)),
                Err(e) => eprintln!("webtoonme: {e}"),
            });
            match spawned {
                Ok(_) => self.messages.push(format!("closing the clip {path}")),
                Err(e) => self.messages.push(format!("cannot close the clip {path}: {e}")),
            }
        }
    }

    pub fn take_photo(&mut self, worn: Worn, with_original: bool) {
        self.photo = Some(PhotoRequest { worn, with_original, grabbed: None });
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
        if let Some(&k) = self.strip_wanted.first()
            && grab(Purpose::StripShot(k))
        {
            self.strip_wanted.remove(0);
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
                    self.submit(Job::Photo { stylized, original, path });
                }
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
                        self.submit(Job::Strip { shots, style_folder, date, characters: strip.worn.names, path });
                    }
                }
            }
        }
        self.grabbed = grabbed; // kept for the next repaint: no allocation per frame
        while let Some(kept) = self.keeper.as_ref().and_then(Keeper::try_kept) {
            self.messages.push(describe(&kept));
        }
    }

    fn submit(&mut self, job: Job) {
        let refused = match self.keeper() {
            Some(keeper) => keeper.submit(job).is_err(),
            None => true,
        };
        if refused {
            self.messages.push("still saving the last pictures: try again in a moment".into());
        }
    }

    /// Lines for the UI since the last call.
    pub fn take_messages(&mut self) -> std::vec::Drain<'_, String> {
        self.messages.drain(..)
    }

    /// The window closes: the clip is stopped and closed, queued pictures are written (waiting up
    /// to `limit`). Returns the lines for what was kept.
    pub fn shutdown(&mut self, limit: Duration) -> Vec<String> {
        self.stop_clip();
        let mut lines: Vec<String> = self.messages.drain(..).collect();
        if let Some(keeper) = self.keeper.take() {
            lines.extend(keeper.finish(limit).iter().map(describe));
        }
        lines
    }
}

fn saved_clip(path: &Path, length: Duration, dropped: u64) -> String {
    let dropped = if dropped > 0 { format!(", {dropped} frames dropped") } else { String::new() };
    format!("saved clip {} ({:.1} s{dropped})", name_of(path), length.as_secs_f64())
}

fn name_of(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn describe(kept: &Kept) -> String {
    match kept {
        Kept::Photo(p) => format!("saved photo {}", name_of(p)),
        Kept::Strip(p, None) => format!("saved four-cut strip {}", name_of(p)),
        Kept::Strip(p, Some(note)) => format!("saved four-cut strip {} in the default look ({note})", name_of(p)),
        Kept::Clip(s) => saved_clip(&s.path, s.stats.duration, s.dropped),
        Kept::Failed(e) => e.clone(),
    }
}
