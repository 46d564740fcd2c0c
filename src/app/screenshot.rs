//! `--exit-after-frames N [--screenshot PATH]`: after N processed frames, take a screenshot of
//! the real window (egui reads back what was presented), save it as PNG, then close. And the
//! test hook `--screenshot-links DIR`: a screenshot each time a result card with a link shows
//! (`DIR/link-1.png`, ...), for the window test to read the QR codes from.
//!
//! In: the processed-frame count each repaint; whether a new result card is on screen. Out: the
//! PNGs, and "close now". UI thread (the screenshot callback may run on the integration's side;
//! it only saves and sets a slot, or prints a line).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use eframe::egui;

#[derive(Debug)]
enum Stage {
    Running,
    /// Requested; the slot fills when the picture is saved (Ok) or failed (Err).
    Waiting(Arc<Mutex<Option<Result<(), String>>>>),
    Done(Result<(), String>),
}

#[derive(Debug)]
pub struct ScreenshotState {
    exit_after: Option<u64>,
    path: Option<PathBuf>,
    stage: Stage,
}

impl ScreenshotState {
    pub fn new(exit_after: Option<u64>, path: Option<PathBuf>) -> Self {
        Self { exit_after, path, stage: Stage::Running }
    }

    /// Call once per repaint; true when the window should close now.
    pub fn step(&mut self, ctx: &egui::Context, frames: u64) -> bool {
        match &self.stage {
            Stage::Running => {
                if self.exit_after.is_none_or(|n| frames < n) {
                    return false;
                }
                let Some(path) = self.path.clone() else { return true };
                let slot = Arc::new(Mutex::new(None));
                let (fill, repaint) = (slot.clone(), ctx.clone());
                ctx.request_screenshot(move |image| {
                    let result = save_png(&image, &path);
                    if let Ok(mut s) = fill.lock() {
                        *s = Some(result);
                    }
                    repaint.request_repaint();
                });
                self.stage = Stage::Waiting(slot);
                false
            }
            Stage::Waiting(slot) => {
                let result = slot.lock().ok().and_then(|mut s| s.take());
                match result {
                    Some(r) => {
                        self.stage = Stage::Done(r);
                        true
                    }
                    None => false,
                }
            }
            Stage::Done(_) => true,
        }
    }

    pub fn error(&self) -> Option<String> {
        match &self.stage {
            Stage::Done(Err(e)) => Some(e.clone()),
            _ => None,
        }
    }

    pub fn saved(&self) -> Option<PathBuf> {
        match &self.stage {
            Stage::Done(Ok(())) => self.path.clone(),
            _ => None,
        }
    }
}

/// `--screenshot-links DIR`: a screenshot of each new result card.
#[derive(Debug)]
pub struct LinkShots {
    dir: PathBuf,
    count: u32,
    /// A new card waits to be photographed once it is drawn.
    pending: bool,
}

impl LinkShots {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir, count: 0, pending: false }
    }

    /// A new card was handed to the screen.
    pub fn card_shown(&mut self) {
        self.pending = true;
    }

    /// Call after drawing; `drawn`: the card is in this frame.
    pub fn step(&mut self, ctx: &egui::Context, drawn: bool) {
        if !(self.pending && drawn) {
            return;
        }
        self.pending = false;
        self.count += 1;
        let path = self.dir.join(format!("link-{}.png", self.count));
        let n = self.count;
        ctx.request_screenshot(move |image| match save_png(&image, &path) {
            Ok(()) => println!("live: screenshot of link {n}: {}", path.display()),
            Err(e) => eprintln!("webtoonme: {e}"),
        });
        ctx.request_repaint();
    }
}

fn save_png(image: &egui::ColorImage, path: &std::path::Path) -> Result<(), String> {
    let [w, h] = image.size;
    let mut rgba = Vec::with_capacity(w * h * 4);
    for p in &image.pixels {
        // the window is opaque: drop the alpha a compositor might leave
        rgba.extend_from_slice(&[p.r(), p.g(), p.b(), 255]);
    }
    let img = image::RgbaImage::from_raw(w as u32, h as u32, rgba).ok_or("screenshot has a wrong size")?;
    img.save_with_format(path, image::ImageFormat::Png).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
