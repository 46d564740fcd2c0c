//! Rendering webtoon frames: characters loaded into a stylize stage, and the compositor fed
//! from a frame's analysis and stylized parts. Used by `photo` and `video` (and the window).
//!
//! In: character packs, frames with their analysis and [`StylizedFrame`]. Out: composited RGB8
//! frames. The compositor runs on the thread that owns it (the main thread for the CLI).

use anyhow::{Context, bail};

use crate::character::trial::tried_model;
use crate::character::{CharacterPack, CharacterSet, PackModel, PackProblem};
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

/// Installed characters whose packs pass every check, their models loaded and tried once
/// ([`crate::character::trial`]); each pack that failed anywhere is skipped and kept in
/// `problems` (the caller says so with [`warn_skipped`] once it knows the run goes on). An error
/// only when no character is left.
pub fn checked_characters(opts: &SessionOptions) -> anyhow::Result<(CharacterSet, Vec<CharacterModels>)> {
    let mut set = CharacterSet::load_default();
    let models = check_models(&mut set, opts);
    if set.packs.is_empty() {
        match set.problems.first() {
            Some(first) => {
                bail!("no character pack could be loaded: {} skipped, the first: {first}", set.problems.len())
            }
            None => bail!("no character packs installed (run `webtoonme setup` to build the built-in ones)"),
        }
    }
    Ok((set, models))
}

/// One line on stderr for each pack that was skipped.
pub fn warn_skipped(set: &CharacterSet) {
    for p in &set.problems {
        eprintln!("webtoonme: skipped character pack: {p}");
    }
}

/// Load and try every pack's models: a pack whose models fail moves from `packs` to `problems`.
/// Returns the models of the packs that stay, in their order.
pub fn check_models(set: &mut CharacterSet, opts: &SessionOptions) -> Vec<CharacterModels> {
    let mut models = Vec::with_capacity(set.packs.len());
    let mut kept = Vec::with_capacity(set.packs.len());
    for pack in std::mem::take(&mut set.packs) {
        match load_models(&pack, opts) {
            Ok(m) => {
                models.push(m);
                kept.push(pack);
            }
            Err(problem) => set.problems.push(problem),
        }
    }
    set.packs = kept;
    models
}

/// One line on stderr for each character whose model failed while `stylized` was made.
pub fn report_failures(stylized: &StylizedFrame) {
    for f in &stylized.failures {
        eprintln!("webtoonme: character '{}' stopped: {} (its wearers moved to the next character)", f.id, f.reason);
    }
}

/// Installed characters (every check, models tried on the CPU; skipped packs in `problems`);
/// the models themselves are not kept.
pub fn installed_characters() -> anyhow::Result<CharacterSet> {
    let opts = SessionOptions { provider: crate::perception::runtime::ExecutionChoice::Cpu, ..Default::default() };
    checked_characters(&opts).map(|(set, _)| set)
}

/// Index of `id` among the packs, or a clear error: why the pack was skipped, or what exists.
pub fn character_index(set: &CharacterSet, id: Option<&str>) -> anyhow::Result<usize> {
    let Some(id) = id else { return Ok(0) };
    set.packs.iter().position(|p| p.id == id).with_context(|| {
        let ids: Vec<&str> = set.packs.iter().map(|p| p.id.as_str()).collect();
        let skipped =
            set.problems.iter().find(|p| p.file.components().any(|c| c.as_os_str() == std::ffi::OsStr::new(id)));
        match skipped {
            Some(problem) => format!("character '{id}' was skipped: {problem} (working: {})", ids.join(", ")),
            None => format!("unknown character '{id}' (installed: {})", ids.join(", ")),
        }
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

/// Load one pack's models, each checked against its descriptor and tried once (the face model
/// runs only where it shows: [`face_model_shows`]).
pub fn load_models(pack: &CharacterPack, opts: &SessionOptions) -> Result<CharacterModels, PackProblem> {
    let face = pack.face.as_ref().map(|m| tried_model("face", "face_stylizer", m, opts)).transpose()?;
    let background =
        pack.background.as_ref().map(|m| tried_model("background", "background_stylizer", m, opts)).transpose()?;
    Ok(CharacterModels {
        id: pack.id.clone(),
        face,
        face_hidden: !face_model_shows(pack),
        background,
        paint: CharacterLook::of(pack.skin, &pack.style),
        look: Some(FaceLook::of(pack)),
        face_tones: face_tones(pack),
    })
}

/// How much the face's skin takes the person's ramp tones: all of it for a pack with `[skin]`,
/// none for one without (its face model's picture shows as it is).
pub fn face_tones(pack: &CharacterPack) -> f32 {
    if pack.skin.is_some() { 1.0 } else { 0.0 }
}

/// A tuned pack's models from graphs made in memory (`face` / `background`: ONNX bytes for the
/// pack's `[face]` / `[background]` descriptors; `None` keeps that part unstylized). Runs on the
/// "character-tuner" thread.
pub fn models_from_graphs(
    pack: &CharacterPack,
    face: Option<&[u8]>,
    background: Option<&[u8]>,
    opts: &SessionOptions,
) -> Result<CharacterModels, PackProblem> {
    let load =
        |key: &'static str, name: &'static str, bytes: Option<&[u8]>, model: Option<&PackModel>| match (bytes, model) {
            (Some(bytes), Some(m)) => StylizerModel::from_bytes(name, &m.path, bytes, m.descriptor.clone(), opts)
                .map(Some)
                .map_err(|e| PackProblem::new(&m.path, None, format!("[{key}] tuned model: {e}"))),
            _ => Ok(None),
        };
    Ok(CharacterModels {
        id: pack.id.clone(),
        face: load("face", "face_stylizer", face, pack.face.as_ref())?,
        face_hidden: !face_model_shows(pack),
        background: load("background", "background_stylizer", background, pack.background.as_ref())?,
        paint: CharacterLook::of(pack.skin, &pack.style),
        look: Some(FaceLook::of(pack)),
        face_tones: face_tones(pack),
    })
}

/// A stylize stage with every character of `set`, `default` worn by new people. A pack whose
/// models fail here (on another execution provider than they were checked on) is disabled
/// with a line on stderr; the others work. Fails only when none works.
pub fn stylize_stage(
    set: &CharacterSet,
    default: usize,
    mode: AssignMode,
    opts: &SessionOptions,
) -> anyhow::Result<StylizeStage> {
    let mut failed = Vec::new();
    let models: Vec<CharacterModels> = set
        .packs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            load_models(p, opts).unwrap_or_else(|problem| {
                eprintln!("webtoonme: skipped character pack: {problem}");
                failed.push(i);
                CharacterModels { id: p.id.clone(), ..Default::default() }
            })
        })
        .collect();
    stage_from_models(models, default, mode, &failed)
}

/// A stylize stage from loaded models; the characters in `disabled` are worn by nobody.
pub fn stage_from_models(
    models: Vec<CharacterModels>,
    default: usize,
    mode: AssignMode,
    disabled: &[usize],
) -> anyhow::Result<StylizeStage> {
    let mut assigner = CharacterAssigner::new(models.len(), default);
    assigner.mode = mode;
    let mut stage = StylizeStage::new(models, assigner);
    for &i in disabled {
        if !stage.disable(i) {
            bail!("no character pack could be loaded (see the lines above)");
        }
    }
    Ok(stage)
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
    // ink along the outline is the built-in generator's look: a pack without `[style]` gets none
    let default_ink = if pack.style.is_empty() { 0.0 } else { 0.6 };
    let ink = pack.style.get("silhouette_ink").and_then(|v| v.as_float()).unwrap_or(default_ink) as f32;
    ComposeParams { silhouette_ink: ink.clamp(0.0, 1.0), ..ComposeParams::default() }
}
