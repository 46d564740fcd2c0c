//! Rendering webtoon frames: characters loaded into a stylize stage, and the compositor fed
//! from a frame's analysis and stylized parts. Used by `photo` and `video` (and the window).
//!
//! In: character packs, frames with their analysis and [`StylizedFrame`]. Out: composited RGB8
//! frames. The compositor runs on the thread that owns it (the main thread for the CLI).

use anyhow::{Context, bail};

use crate::character::{CharacterPack, CharacterSet};
use crate::compose::{ComposeInputs, ComposeParams, Compositor, DrawnFace, FaceLayer, LowRes, MaskView};
use crate::draw::{FaceLook, NEUTRAL_LOOK};
use crate::frame::Frame;
use crate::perception::FrameAnalysis;
use crate::perception::runtime::SessionOptions;
use crate::stylize::assign::{AssignMode, CharacterAssigner};
use crate::stylize::people::CharacterLook;
use crate::stylize::stage::CharacterModels;
use crate::stylize::{StylizeStage, StylizedFrame, StylizerModel};

/// Faces composited at most per frame (the tracker follows at most this many too).
pub const MAX_FACES: usize = crate::compose::MAX_FACES;

/// Installed characters, with the problems of packs that were skipped printed once.
pub fn installed_characters() -> anyhow::Result<CharacterSet> {
    let set = CharacterSet::load_default();
    for p in &set.problems {
        eprintln!("webtoonme: skipped character pack: {p}");
    }
    if set.packs.is_empty() {
        bail!("no character packs installed (run `webtoonme setup` to build the built-in ones)");
    }
    Ok(set)
}

/// Index of `id` among the packs, or a clear error listing what exists.
pub fn character_index(set: &CharacterSet, id: Option<&str>) -> anyhow::Result<usize> {
    let Some(id) = id else { return Ok(0) };
    set.packs.iter().position(|p| p.id == id).with_context(|| {
        let ids: Vec<&str> = set.packs.iter().map(|p| p.id.as_str()).collect();
        format!("unknown character '{id}' (installed: {})", ids.join(", "))
    })
}

/// `[drawing] skin_opacity` from which the drawn face hides the face model's output: the face
/// model is then loaded (so a broken one is still reported) but not run (on the built-in characters, at 0.95, running it changed the
/// astronaut photo by 0.14 to 0.28 of 255 on average, and cost a quarter of the frame rate).
pub const FACE_MODEL_HIDDEN_AT_OPACITY: f32 = 0.9;

/// Whether a pack's `[face]` model would show in the composed frame (its drawing leaves it visible).
pub fn face_model_shows(pack: &CharacterPack) -> bool {
    pack.face.is_some() && pack.drawing.as_ref().is_none_or(|d| d.skin_opacity < FACE_MODEL_HIDDEN_AT_OPACITY)
}

/// Load one pack's models (the face model runs only where it shows: [`face_model_shows`]).
pub fn load_models(pack: &CharacterPack, opts: &SessionOptions) -> anyhow::Result<CharacterModels> {
    let load = |name: &'static str, m: &crate::character::PackModel| {
        StylizerModel::load(name, &m.path, m.descriptor.clone(), opts)
            .with_context(|| format!("character '{}'", pack.id))
    };
    Ok(CharacterModels {
        face: pack.face.as_ref().map(|m| load("face_stylizer", m)).transpose()?,
        face_hidden: !face_model_shows(pack),
        background: pack.background.as_ref().map(|m| load("background_stylizer", m)).transpose()?,
        paint: CharacterLook::of(pack.skin, &pack.style),
        look: Some(FaceLook::of(pack)),
    })
}

/// A stylize stage with every installed character, `default` worn by new people.
pub fn stylize_stage(
    set: &CharacterSet,
    default: usize,
    mode: AssignMode,
    opts: &SessionOptions,
) -> anyhow::Result<StylizeStage> {
    let models = set.packs.iter().map(|p| load_models(p, opts)).collect::<anyhow::Result<Vec<_>>>()?;
    let mut assigner = CharacterAssigner::new(models.len(), default);
    assigner.mode = mode;
    Ok(StylizeStage::new(models, assigner))
}

/// Build the compositor's inputs for one frame (no allocation: face layers live on the stack)
/// and hand them to `use_inputs`: the one place that maps analysis + stylized parts to layers.
pub fn with_compose_inputs<R>(
    frame: &Frame,
    analysis: &FrameAnalysis,
    stylized: &StylizedFrame,
    params: ComposeParams,
    use_inputs: impl FnOnce(&ComposeInputs<'_>) -> R,
) -> R {
    let empty = FaceLayer { rgb: &[], size: 0, alpha: &[], crop_from_frame: [0.0; 6] };
    let mut layers = [empty; MAX_FACES];
    let mut drawn = [DrawnFace { landmarks: &[], look: &NEUTRAL_LOOK, skin: None, track_id: 0 }; MAX_FACES];
    let (mut n, mut n_drawn) = (0, 0);
    for f in stylized.faces.iter().take(MAX_FACES) {
        // the face is reshaped and drawn from the landmarks its crop was aligned with
        if let Some(look) = &f.look
            && (look.reshapes() || look.drawing.is_some())
            && let Some(a) = analysis.faces.iter().find(|a| a.track_id == f.track_id)
            && a.landmarks_px.len() >= crate::perception::mesh::LANDMARKS
        {
            drawn[n_drawn] = DrawnFace { landmarks: &a.landmarks_px, look, skin: a.skin, track_id: a.track_id };
            n_drawn += 1;
        }
        if f.rgb.is_empty() {
            continue; // drawn only
        }
        let m = f.crop_from_frame;
        layers[n] = FaceLayer {
            rgb: &f.rgb,
            size: crate::stylize::face_align::FACE_CROP,
            alpha: &f.alpha,
            crop_from_frame: [m.a, m.b, m.c, m.d, m.e, m.f],
        };
        n += 1;
    }
    let mask = &analysis.person_mask;
    let inputs = ComposeInputs {
        frame: &frame.rgb,
        width: frame.width,
        height: frame.height,
        background: stylized.has_background().then_some(low(&stylized.background)),
        guide: stylized.has_background().then_some(low(&stylized.guide)),
        person_mask: (!mask.prob.is_empty()).then_some(MaskView {
            data: &mask.prob,
            width: mask.width as u32,
            height: mask.height as u32,
        }),
        skin_mask: (!analysis.skin_mask.prob.is_empty()).then_some(MaskView {
            data: &analysis.skin_mask.prob,
            width: analysis.skin_mask.width as u32,
            height: analysis.skin_mask.height as u32,
        }),
        people: &stylized.people,
        faces: &layers[..n],
        drawn: &drawn[..n_drawn],
        params,
    };
    use_inputs(&inputs)
}

/// Compose a frame from its analysis and stylized parts into `out` (RGB8, frame size).
pub fn compose_frame(
    compositor: &mut Compositor,
    frame: &Frame,
    analysis: &FrameAnalysis,
    stylized: &StylizedFrame,
    params: ComposeParams,
    out: &mut Vec<u8>,
) -> Result<(), crate::compose::ComposeError> {
    with_compose_inputs(frame, analysis, stylized, params, |inputs| compositor.compose(inputs, out))
}

fn low(b: &crate::stylize::RgbBuffer) -> LowRes<'_> {
    LowRes { rgb: &b.rgb, width: b.width, height: b.height }
}

/// The compositor settings a character asks for.
pub fn compose_params(pack: &CharacterPack) -> ComposeParams {
    let ink = pack.style.get("silhouette_ink").and_then(|v| v.as_float()).unwrap_or(0.6) as f32;
    ComposeParams { silhouette_ink: ink.clamp(0.0, 1.0), ..ComposeParams::default() }
}
