//! The "character-tuner" thread: a tuned character's stylizer graphs made again (the built-in
//! generator, in memory) and loaded into ONNX Runtime, off the UI and stylize threads.
//!
//! In: jobs from the UI thread (the character's index and its tuned pack), latest wins: a job
//! waiting when a newer one comes is replaced, so a dragged slider costs one build per build
//! time, not one per repaint. Out: the loaded [`CharacterModels`] (or why not), polled by the UI
//! thread with no wait and handed to the stylize thread as
//! [`crate::pipeline::StylizeCommand::Replace`]. Both channels are bounded (one job in flight,
//! two results).

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

use crate::character::CharacterPack;
use crate::character::generator::{GraphKind, build_graph};
use crate::perception::runtime::SessionOptions;
use crate::stylize::stage::CharacterModels;

/// A tuned character to build.
#[derive(Debug, Clone)]
pub struct TuneJob {
    pub index: usize,
    pub pack: CharacterPack,
}

/// What a job gave.
#[derive(Debug)]
pub enum Tuned {
    /// The character's new models and how long making them took.
    Models { index: usize, models: Box<CharacterModels>, took: Duration },
    /// Why the tuned character could not be made (the old models stay).
    Failed { index: usize, reason: String },
}

/// The tuner thread and its channels.
pub struct Tuner {
    jobs: Option<Sender<TuneJob>>,
    results: Receiver<Tuned>,
    /// The newest job not yet taken by the thread.
    waiting: Option<TuneJob>,
    thread: Option<JoinHandle<()>>,
}

impl Tuner {
    /// Start the thread; its models run as `opts` says (the pipeline's provider).
    pub fn start(opts: SessionOptions) -> std::io::Result<Self> {
        let (job_tx, job_rx) = bounded::<TuneJob>(1);
        let (result_tx, result_rx) = bounded::<Tuned>(2);
        let thread = std::thread::Builder::new().name("character-tuner".into()).spawn(move || {
            crate::priority::set_current_thread_nice(crate::priority::INFERENCE_NICE);
            for job in job_rx {
                let tuned = build(&job, &opts);
                if result_tx.send(tuned).is_err() {
                    break;
                }
            }
        })?;
        Ok(Self { jobs: Some(job_tx), results: result_rx, waiting: None, thread: Some(thread) })
    }

    /// Build `job` after the one in progress (a job still waiting is replaced).
    pub fn submit(&mut self, job: TuneJob) {
        self.waiting = Some(job);
        self.pump();
    }

    /// Hand the waiting job to the thread when it is free; then the next result, if any.
    pub fn poll(&mut self) -> Option<Tuned> {
        self.pump();
        self.results.try_recv().ok()
    }

    /// Whether a job waits or is being built.
    pub fn busy(&self) -> bool {
        self.waiting.is_some() || self.jobs.as_ref().is_some_and(|j| !j.is_empty())
    }

    fn pump(&mut self) {
        let (Some(job), Some(tx)) = (self.waiting.take(), self.jobs.as_ref()) else { return };
        match tx.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(job)) => self.waiting = Some(job),
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

impl Drop for Tuner {
    fn drop(&mut self) {
        self.jobs = None; // the thread ends after its job
        while self.results.try_recv().is_ok() {}
        if let Some(t) = self.thread.take() {
            // a job in progress may be waiting to hand over its result
            let deadline = Instant::now() + Duration::from_secs(5);
            while !t.is_finished() && Instant::now() < deadline {
                while self.results.try_recv().is_ok() {}
                std::thread::sleep(Duration::from_millis(5));
            }
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

/// The tuned pack's graphs from its `[style]`, loaded.
fn build(job: &TuneJob, opts: &SessionOptions) -> Tuned {
    let start = Instant::now();
    let pack = &job.pack;
    let doc = crate::character::tuning::generator_doc(pack);
    let graph = |kind: GraphKind, present: bool| -> Result<Option<Vec<u8>>, String> {
        if present { build_graph(&doc, kind).map(Some) } else { Ok(None) }
    };
    let made = graph(GraphKind::Face, pack.face.is_some()).and_then(|face| {
        let background = graph(GraphKind::Background, pack.background.is_some())?;
        crate::render::models_from_graphs(pack, face.as_deref(), background.as_deref(), opts).map_err(|p| p.to_string())
    });
    match made {
        Ok(models) => Tuned::Models { index: job.index, models: Box::new(models), took: start.elapsed() },
        Err(reason) => Tuned::Failed { index: job.index, reason },
    }
}

/// A character saved from the panel: where it was written and its id.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    pub id: String,
    pub name: String,
    pub dir: std::path::PathBuf,
}

/// An id for `name` that no pack in `taken` has: lower-case letters and digits of the name,
/// words joined by '-', cut to fit, "-2", "-3"... when taken.
pub fn new_id(name: &str, taken: &[&str]) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug: String = slug.trim_matches('-').chars().take(crate::character::MAX_ID_CHARS - 3).collect();
    if slug.is_empty() {
        slug = "character".into();
    }
    let slug = slug.trim_end_matches('-').to_string();
    if !taken.contains(&slug.as_str()) {
        return slug;
    }
    (2..).map(|n| format!("{slug}-{n}")).find(|id| !taken.contains(&id.as_str())).expect("some number is free")
}

/// Write the tuned character as a new pack in the user characters folder: its character.toml
/// (origins as comments), its graphs made by the built-in generator, and a thumbnail cut from
/// `frame` around `face` (the frame's centre without one). Runs on "character-save".
pub fn save_character(
    base: &CharacterPack,
    knobs: &crate::character::tuning::Knobs,
    name: &str,
    taken: &[&str],
    frame: &image::RgbImage,
    face: Option<[f32; 4]>,
) -> Result<Saved, String> {
    let root = crate::paths::user_characters_dir().ok_or("no user characters folder (HOME is not set)")?;
    let id = new_id(name, taken);
    let draft = knobs.draft(base, &id, name);
    let builtin = crate::paths::characters_dirs().into_iter().next();
    let dir = crate::character::writer::write_pack_folder(&root, &draft, false, builtin.as_deref(), |dir| {
        crate::character::generator::write_pack_models(dir)?;
        thumbnail_from_frame(frame, face).save(dir.join("thumbnail.png")).map_err(|e| format!("thumbnail: {e}"))
    })?;
    Ok(Saved { id, name: name.to_string(), dir })
}

/// Thumbnail side, pixels (as the built-in characters').
pub const THUMBNAIL_SIDE: u32 = 128;

/// A square around `face` (2.2 times its height, clamped to the frame), or the frame's centre.
pub fn thumbnail_from_frame(frame: &image::RgbImage, face: Option<[f32; 4]>) -> image::RgbImage {
    let (w, h) = frame.dimensions();
    let (cx, cy, side) = match face {
        Some([x0, y0, x1, y1]) => ((x0 + x1) * 0.5, (y0 + y1) * 0.5, (y1 - y0).abs() * 2.2),
        None => (w as f32 * 0.5, h as f32 * 0.5, w.min(h) as f32),
    };
    let side = side.clamp(8.0, w.min(h).max(1) as f32);
    let x = (cx - side * 0.5).clamp(0.0, (w as f32 - side).max(0.0)) as u32;
    let y = (cy - side * 0.5).clamp(0.0, (h as f32 - side).max(0.0)) as u32;
    let s = (side as u32).max(1).min(w - x).min(h - y);
    let crop = image::imageops::crop_imm(frame, x, y, s, s).to_image();
    image::imageops::resize(&crop, THUMBNAIL_SIDE, THUMBNAIL_SIDE, image::imageops::FilterType::Triangle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_names_and_never_clash() {
        assert_eq!(new_id("Haru (mine)", &[]), "haru-mine");
        assert_eq!(new_id("Haru (mine)", &["haru-mine"]), "haru-mine-2");
        assert_eq!(new_id("Haru (mine)", &["haru-mine", "haru-mine-2"]), "haru-mine-3");
        assert_eq!(new_id("  ***  ", &[]), "character");
        let long = new_id(&"x".repeat(100), &[]);
        assert!(crate::character::valid_id(&long) && crate::character::valid_id(&format!("{long}-99")));
    }

    #[test]
    fn thumbnails_are_square_and_inside_the_frame() {
        let frame = image::RgbImage::from_fn(320, 180, |x, y| image::Rgb([x as u8, y as u8, 0]));
        for face in [None, Some([0.0, 0.0, 40.0, 60.0]), Some([300.0, 150.0, 330.0, 200.0])] {
            let t = thumbnail_from_frame(&frame, face);
            assert_eq!(t.dimensions(), (THUMBNAIL_SIDE, THUMBNAIL_SIDE));
        }
    }
}
