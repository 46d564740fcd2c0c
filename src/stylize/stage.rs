//! The stylize stage: per frame, the scene's background through a background model and each
//! tracked face, aligned to a fixed-size crop, through its character's face model.
//!
//! In: a frame, its analysis, per-character models. Out: [`StylizedFrame`]. Runs on the stylize
//! worker thread; every buffer is kept and reused between frames.

use std::time::{Duration, Instant};

use super::assign::CharacterAssigner;
use super::face_align::{FACE_CROP, FaceAlignment, FaceMasker, align};
use super::face_tones::{FaceToner, ToneInput};
use super::model::{RgbBuffer, StylizerModel};
use super::people::{CharacterLook, person_paint};
use crate::compose::PersonPaint;
use crate::draw::FaceLook;
use crate::frame::Frame;
use crate::perception::FrameAnalysis;
use crate::perception::geometry::{Affine2, warp_rgb8, warp_rgb8_cubic};
use crate::perception::runtime::RuntimeError;

/// The models of one character (either may be missing: that part passes through).
#[derive(Debug, Default)]
pub struct CharacterModels {
    /// The pack's id (for messages).
    pub id: String,
    pub face: Option<StylizerModel>,
    /// The drawn face covers the face model's output: it is not run.
    pub face_hidden: bool,
    pub background: Option<StylizerModel>,
    /// How the character paints skin outside the face and hair.
    pub paint: CharacterLook,
    /// 0..1: how much the face's skin takes the person's ramp tones (0: as the face model drew
    /// it; packs without `[skin]`).
    pub face_tones: f32,
    /// How the compositor reshapes and draws this character's faces (None: it does not).
    pub look: Option<FaceLook>,
}

/// One person's stylized face, ready for the compositor.
#[derive(Debug, Clone, Default)]
pub struct FaceLayerBuf {
    pub track_id: u32,
    pub character: usize,
    /// Stylized crop, RGB8, `FACE_CROP` square.
    pub rgb: Vec<u8>,
    /// Feathered face-and-hair alpha at crop resolution.
    pub alpha: Vec<u8>,
    pub crop_from_frame: Affine2,
    /// The character's look, for the compositor's reshaping and drawing.
    pub look: Option<FaceLook>,
}

#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct StylizeTimes {
    pub faces: Duration,
    pub background: Duration,
    pub model: Duration,
    pub total: Duration,
}

/// The stylized parts of one frame.
#[derive(Debug, Clone, Default)]
pub struct StylizedFrame {
    /// Stylized whole frame at the background model's working size (empty: pass through).
    pub background: RgbBuffer,
    /// The frame at the same working size: what the model saw (guides the upsampling).
    pub guide: RgbBuffer,
    pub faces: Vec<FaceLayerBuf>,
    /// Each person's skin and hair paint, in the order of the analysis' faces.
    pub people: Vec<PersonPaint>,
    /// Character whose background style the scene wears.
    pub scene_character: usize,
    pub times: StylizeTimes,
    /// Characters that failed while this frame was made: nobody wears them from now on (empty
    /// on almost every frame).
    pub failures: Vec<CharacterFailure>,
}

/// A character whose model failed while frames were made, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct CharacterFailure {
    pub character: usize,
    pub id: String,
    /// One line: which model and what went wrong.
    pub reason: String,
}

impl StylizedFrame {
    pub fn has_background(&self) -> bool {
        !self.background.rgb.is_empty()
    }
}

pub struct StylizeStage {
    pub characters: Vec<CharacterModels>,
    pub assigner: CharacterAssigner,
    masker: FaceMasker,
    toner: FaceToner,
    crop: RgbBuffer,
    styled: RgbBuffer,
    /// The cubic crop warp's source region as floats (reused).
    warp_region: Vec<[f32; 4]>,
    spare_faces: Vec<FaceLayerBuf>,
}

impl std::fmt::Debug for StylizeStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StylizeStage").field("characters", &self.characters.len()).finish_non_exhaustive()
    }
}

impl StylizeStage {
    pub fn new(characters: Vec<CharacterModels>, assigner: CharacterAssigner) -> Self {
        Self {
            characters,
            assigner,
            masker: FaceMasker::default(),
            toner: FaceToner::default(),
            crop: RgbBuffer::default(),
            styled: RgbBuffer::default(),
            warp_region: Vec::new(),
            spare_faces: Vec::new(),
        }
    }

    /// Stylize one analysed frame into `out` (buffers reused).
    /// Stylize one analysed frame into `out` (buffers reused). A character whose model fails is
    /// disabled (reported in `out.failures`; its wearers move to the next character) and the
    /// frame is made again without it: one broken pack never stops the others. Fails only when
    /// no character is left.
    pub fn process(
        &mut self,
        frame: &Frame,
        analysis: &FrameAnalysis,
        out: &mut StylizedFrame,
    ) -> Result<(), RuntimeError> {
        out.failures.clear();
        loop {
            let Err((character, part, error)) = self.process_once(frame, analysis, out) else { return Ok(()) };
            let id = self.characters.get(character).map(|c| c.id.clone()).unwrap_or_default();
            let reason = format!("its {part} model failed: {}", error.to_string().trim().replace('\n', " "));
            let left = self.disable(character);
            out.failures.push(CharacterFailure { character, id, reason });
            if !left {
                return Err(error);
            }
        }
    }

    /// A tuned character's new models take the place of its old ones (from the next frame; the
    /// old sessions are dropped here). A character that was disabled stays disabled.
    pub fn replace(&mut self, character: usize, models: CharacterModels) {
        if let Some(c) = self.characters.get_mut(character)
            && (c.face.is_some() || c.background.is_some() || c.look.is_some() || c.face_tones > 0.0)
        {
            *c = models;
        }
    }

    /// A tuned character's painting and face look (skin, eyes, iris) change from the next frame,
    /// its models stay.
    pub fn set_look(&mut self, character: usize, paint: CharacterLook, look: Option<FaceLook>, face_tones: f32) {
        if let Some(c) = self.characters.get_mut(character) {
            c.paint = paint;
            c.look = look;
            c.face_tones = face_tones;
        }
    }

    /// Nobody wears `character` any more and its models are dropped. False when it was the last.
    pub fn disable(&mut self, character: usize) -> bool {
        if let Some(c) = self.characters.get_mut(character) {
            c.face = None;
            c.background = None;
            c.look = None;
        }
        self.assigner.disable(character)
    }

    fn process_once(
        &mut self,
        frame: &Frame,
        analysis: &FrameAnalysis,
        out: &mut StylizedFrame,
    ) -> Result<(), (usize, &'static str, RuntimeError)> {
        let start = Instant::now();
        let mut model_time = Duration::ZERO;
        let (w, h) = (frame.width, frame.height);
        self.assigner.update(
            analysis
                .faces
                .iter()
                .map(|f| (f.track_id, [(f.box_px[0] + f.box_px[2]) * 0.5, (f.box_px[1] + f.box_px[3]) * 0.5])),
            frame.pts.as_secs_f64(),
        );
        // the scene wears the background of the longest-tracked person's character
        out.scene_character = analysis
            .faces
            .iter()
            .min_by_key(|f| f.track_id)
            .map_or(self.assigner.default, |f| self.assigner.character_of(f.track_id));

        // background
        let t0 = Instant::now();
        match self.characters.get_mut(out.scene_character).and_then(|c| c.background.as_mut()) {
            Some(model) => {
                let (gw, gh) = model.tensor_size(w, h);
                out.guide.resize(gw, gh);
                let m = Affine2::scale_translate(w as f32 / gw as f32, h as f32 / gh as f32, 0.0, 0.0);
                warp_rgb8(&frame.rgb, w, h, &m, gw as usize, gh as usize, &mut out.guide.rgb);
                model
                    .run(&out.guide.rgb, gw, gh, &mut out.background)
                    .map_err(|e| (out.scene_character, "background", e))?;
                model_time += model.session().last_run();
            }
            None => {
                out.background.resize(0, 0);
                out.guide.resize(0, 0);
            }
        }
        let background = t0.elapsed();

        // faces
        let t0 = Instant::now();
        self.spare_faces.append(&mut out.faces);
        out.people.clear();
        for face in &analysis.faces {
            let character = self.assigner.character_of(face.track_id);
            // each person's skin and hair paint; the face's skin takes the same ramp
            let look = self.characters.get(character).map(|c| &c.paint);
            let paint = look.and_then(|look| person_paint(frame, face, &analysis.person_mask, look));
            if let Some(paint) = paint {
                out.people.push(paint);
            }
            let Some(models) = self.characters.get_mut(character) else { continue };
            if face.landmarks_px.len() < 478 || (models.face.is_none() && models.look.is_none()) {
                continue;
            }
            let mut layer = self.spare_faces.pop().unwrap_or_default();
            layer.track_id = face.track_id;
            layer.character = character;
            layer.look = models.look;
            let al: FaceAlignment = align(&face.landmarks_px, FACE_CROP);
            layer.crop_from_frame = al.crop_from_frame;
            match models.face.as_mut().filter(|_| !models.face_hidden) {
                Some(model) => {
                    let n = FACE_CROP as usize;
                    self.crop.resize(FACE_CROP, FACE_CROP);
                    warp_rgb8_cubic(
                        &mut self.warp_region,
                        &frame.rgb,
                        w,
                        h,
                        &al.frame_from_crop,
                        n,
                        n,
                        &mut self.crop.rgb,
                    );
                    model
                        .run(&self.crop.rgb, FACE_CROP, FACE_CROP, &mut self.styled)
                        .map_err(|e| (character, "face", e))?;
                    model_time += model.session().last_run();
                    layer.rgb.resize(n * n * 3, 0);
                    if (self.styled.width, self.styled.height) == (FACE_CROP, FACE_CROP) {
                        layer.rgb.copy_from_slice(&self.styled.rgb);
                    } else {
                        let m = Affine2::scale_translate(
                            self.styled.width as f32 / FACE_CROP as f32,
                            self.styled.height as f32 / FACE_CROP as f32,
                            0.0,
                            0.0,
                        );
                        warp_rgb8(&self.styled.rgb, self.styled.width, self.styled.height, &m, n, n, &mut layer.rgb);
                    }
                    // the skin between the person's own lines in the ramp's flat tones
                    if let (Some(paint), Some(skin)) = (paint.as_ref(), face.skin.as_ref()) {
                        let input = ToneInput {
                            original: &self.crop.rgb,
                            landmarks: &face.landmarks_px,
                            crop_from_frame: &al.crop_from_frame,
                            skin,
                            ramp: &paint.skin,
                            strength: if paint.skin_strength > 0.0 { models.face_tones } else { 0.0 },
                        };
                        self.toner.tone(&input, &mut layer.rgb, n);
                    }
                    // hair is painted by the compositor's person pass (see `people`): the face
                    // layer covers the face alone
                    let person = None;
                    self.masker.mask(
                        &face.landmarks_px,
                        &al,
                        person,
                        FACE_CROP,
                        FACE_CROP as f32 * 0.05,
                        &mut layer.alpha,
                    );
                }
                None => {
                    // drawn only: no stylized crop under the drawing
                    layer.rgb.clear();
                    layer.alpha.clear();
                }
            }
            out.faces.push(layer);
        }
        out.times = StylizeTimes { faces: t0.elapsed(), background, model: model_time, total: start.elapsed() };
        Ok(())
    }
}
