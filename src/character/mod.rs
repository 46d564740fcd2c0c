//! Character packs: the folders that say what a person becomes (names and licence, the face and
//! background models with their descriptors, the built-in generator's style, skin tone, geometry).
//!
//! In: search folders (default [`crate::paths::characters_dirs`]: the built-in packs, then the
//! user's), each holding `<id>/character.toml` plus the files it names. Out: a [`CharacterSet`]:
//! the packs that passed every check, sorted by id, and one [`PackProblem`] (file, line, reason)
//! for each pack that did not. Thread: loaded on the main or UI thread at start and when the user
//! rescans; the result is plain data (`Send + Sync`) handed to the stylize worker.
//!
//! Packs are untrusted input (DESIGN.md section 4). A bad pack is reported and skipped, never
//! fatal, and loading never panics:
//! - `character.toml` is a regular file of at most [`MAX_PACK_FILE_BYTES`], UTF-8 TOML; syntax
//!   errors and unknown keys are reported with their line.
//! - every file it names (models, thumbnail) is a relative path whose canonical form stays inside
//!   the pack's canonical folder: no `..`, no absolute path, no symlink leading out; models are
//!   regular files of at most [`MAX_MODEL_BYTES`]; the thumbnail is a PNG whose header says at
//!   most [`MAX_THUMBNAIL_SIDE`] pixels a side (only the header is read).
//! - a pack folder may itself be a symlink (a pack under development); the pack is then the
//!   folder it leads to, and the rules above apply to that folder.
//! - `[character].id` matches `[a-z0-9_-]{1,32}` and equals the folder name; texts are bounded and
//!   free of control characters; every number is inside its documented range.
//!
//! Schema (unknown keys are errors): `[character]` id, name, author, licence, thumbnail
//! (required), description (optional); `[face]`, `[background]`: optional model descriptors (see
//! [`crate::stylize::descriptor`]; an absent `[face]` leaves faces unstylized, an absent
//! `[background]` lets the background through); `[style]`: optional free-form table for the
//! built-in generator; `[skin]`: optional (absent: the app paints no skin or hair, the models'
//! picture shows as it is), tone, shadow (`#rrggbb`), keep (0..1), all required when present;
//! `[geometry]`: optional, each key defaults to the neutral value of [`Geometry::default`];
//! `[drawing]`: optional (absent: faces are not drawn), every key required (see [`Drawing`]).
//! A pack that brings its own models needs only `[character]` and `[face]` and/or
//! `[background]`: the app's painting, drawing and warping apply only where the pack asks.

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::ops::{Range, RangeInclusive};
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::stylize::descriptor::{ModelDescriptor, RawDescriptor};

pub mod fit;
pub mod generator;
mod style;
pub mod trial;
pub mod tuning;
pub mod writer;

pub use style::{STYLE_KEYS, StyleKind};

/// The file that describes a pack, at the top of its folder.
pub const PACK_FILE: &str = "character.toml";
/// Largest accepted `character.toml`.
pub const MAX_PACK_FILE_BYTES: u64 = 64 * 1024;
/// Largest accepted model file.
pub const MAX_MODEL_BYTES: u64 = 512 * 1024 * 1024;
/// Largest accepted thumbnail side, in pixels.
pub const MAX_THUMBNAIL_SIDE: u32 = 1024;
/// Largest accepted thumbnail file.
pub const MAX_THUMBNAIL_BYTES: u64 = 8 * 1024 * 1024;
/// Pack folders looked at per search folder; the rest are reported and skipped.
pub const MAX_PACKS_PER_DIR: usize = 256;
/// Longest id, in characters.
pub const MAX_ID_CHARS: usize = 32;
/// Longest name, author or licence, in characters.
pub const MAX_SHORT_TEXT_CHARS: usize = 128;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2048;

/// A model of a pack: its descriptor and where its file is.
#[derive(Debug, Clone, PartialEq)]
pub struct PackModel {
    /// How to feed and read the model; `descriptor.model` is the file name as the pack wrote it.
    pub descriptor: ModelDescriptor,
    /// Canonical path of the model file, inside the pack's folder (checked at load time).
    pub path: PathBuf,
    /// File size in bytes at load time.
    pub bytes: u64,
}

/// How skin is painted: the character's tone and shadow colour, and how much of the user's own
/// tone is kept (0 = the character's tone, 1 = the user's).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SkinStyle {
    pub tone: [u8; 3],
    pub shadow: [u8; 3],
    pub keep: f32,
}

/// Face geometry of the character, applied to the tracked face as scales and offsets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// Eye size, 0.8..=1.6.
    pub eye_scale: f32,
    /// Iris size within the eye, 0.8..=1.5.
    pub iris_scale: f32,
    /// How much the jaw narrows towards the chin, 0..=0.4.
    pub jaw_taper: f32,
    /// Chin moved down (+) or up (-) as a fraction of face height, -0.2..=0.2.
    pub chin: f32,
    /// Face width, 0.8..=1.1.
    pub face_width: f32,
    /// Nose size, 0.5..=1.2.
    pub nose_scale: f32,
    /// Mouth size, 0.6..=1.3.
    pub mouth_scale: f32,
}

impl Default for Geometry {
    /// The neutral geometry: the user's face unchanged.
    fn default() -> Self {
        Self {
            eye_scale: 1.0,
            iris_scale: 1.0,
            jaw_taper: 0.0,
            chin: 0.0,
            face_width: 1.0,
            nose_scale: 1.0,
            mouth_scale: 1.0,
        }
    }
}

/// How the face is drawn over the stylized picture (`[drawing]`; absent: faces are not drawn).
/// Widths are in output pixels for a face whose eyes are 100 px apart (they scale with the face,
/// never below [`crate::draw::MIN_LINE_PX`]); strengths are 0..=1 opacities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drawing {
    /// Ink of the jaw line, lower lid, crease and nose.
    pub line_rgb: [u8; 3],
    /// Jaw line width (thicker at the jaw angles), 0.5..=8.
    pub line_width: f32,
    /// Upper lash line colour.
    pub lash_rgb: [u8; 3],
    /// Upper lash line width at its heaviest, 1..=14.
    pub lash_weight: f32,
    pub brow_rgb: [u8; 3],
    /// Brow width at the inner end, 1..=14.
    pub brow_weight: f32,
    /// Double-eyelid crease line, 0..=1.
    pub crease: f32,
    /// Lower lid line, 0..=1.
    pub lower_lid: f32,
    /// Nose hint, 0..=1.
    pub nose: f32,
    /// Eye whites.
    pub white_rgb: [u8; 3],
    /// Iris colour (darkened at the top, lit at the bottom).
    pub iris_rgb: [u8; 3],
    /// Catchlights per eye, 0..=2.
    pub catchlights: u32,
    pub blush_rgb: [u8; 3],
    /// 0..=1.
    pub blush: f32,
    pub lip_rgb: [u8; 3],
    /// 0..=1.
    pub lip: f32,
    /// Opacity of the flat skin over the stylized face, 0..=1.
    pub skin_opacity: f32,
    /// Designed shadow (face edge on the darker side, hairline, under nose and lower lip), 0..=1.
    pub shading: f32,
    /// Soft highlights on the nose bridge and cheek apples, 0..=1.
    pub highlight: f32,
}

/// A pack that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct CharacterPack {
    /// `[a-z0-9_-]{1,32}`, equal to the folder name.
    pub id: String,
    pub name: String,
    pub author: String,
    pub licence: String,
    /// Empty when the pack gives none.
    pub description: String,
    /// Canonical pack folder.
    pub dir: PathBuf,
    /// Canonical path of the thumbnail PNG, inside `dir`.
    pub thumbnail: PathBuf,
    /// Thumbnail size in pixels (width, height), from its PNG header.
    pub thumbnail_size: (u32, u32),
    /// `None`: faces are not stylized.
    pub face: Option<PackModel>,
    /// `None`: the background passes through.
    pub background: Option<PackModel>,
    /// Free-form parameters of the built-in generator.
    pub style: toml::Table,
    /// `None`: the app paints neither skin nor hair (the models' picture shows as it is).
    pub skin: Option<SkinStyle>,
    pub geometry: Geometry,
    /// `None`: faces are not drawn (only stylized and reshaped).
    pub drawing: Option<Drawing>,
    /// Found in the built-in folder (`<home>/assets/characters`) rather than a user folder.
    pub builtin: bool,
}

impl CharacterPack {
    /// `"builtin"` or `"user"`.
    pub fn provenance(&self) -> &'static str {
        if self.builtin { "builtin" } else { "user" }
    }

    /// The pack's `character.toml`.
    pub fn pack_file(&self) -> PathBuf {
        self.dir.join(PACK_FILE)
    }
}

/// Why a pack (or a search folder) was skipped: the file at fault, the line when the TOML has one,
/// and what is wrong. Displays as `file:line: reason` (`file: reason` without a line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackProblem {
    pub file: PathBuf,
    /// 1-based.
    pub line: Option<usize>,
    /// Control characters from the pack are escaped, so it prints safely on a terminal.
    pub reason: String,
}

impl PackProblem {
    pub fn new(file: impl Into<PathBuf>, line: Option<usize>, reason: impl AsRef<str>) -> Self {
        Self { file: file.into(), line, reason: escape_controls(reason.as_ref()) }
    }
}

impl fmt::Display for PackProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = escape_controls(&self.file.to_string_lossy());
        match self.line {
            Some(line) => write!(f, "{file}:{line}: {}", self.reason),
            None => write!(f, "{file}: {}", self.reason),
        }
    }
}

/// The installed packs and the problems met while loading them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CharacterSet {
    /// Sorted by id; ids are unique (a later duplicate is a problem).
    pub packs: Vec<CharacterPack>,
    /// In the order they were met: search folder order, then folder name order.
    pub problems: Vec<PackProblem>,
}

impl CharacterSet {
    /// Load every pack found in `dirs`, in order. A pack id met twice is taken from the first
    /// folder; the later one is a problem. A search folder that cannot be read is a problem.
    /// Packs under the built-in folder (the first of [`crate::paths::characters_dirs`]) are
    /// marked `builtin`.
    pub fn load(dirs: &[PathBuf]) -> Self {
        let builtin_dir = crate::paths::characters_dirs().into_iter().next().and_then(|d| d.canonicalize().ok());
        let mut set = Self::default();
        let mut seen_dirs = HashSet::new();
        for dir in dirs {
            let canonical = match dir.canonicalize() {
                Ok(c) if c.is_dir() => c,
                Ok(_) => {
                    set.problems.push(PackProblem::new(
                        dir,
                        None,
                        "not a folder (expected a folder of character packs)",
                    ));
                    continue;
                }
                Err(e) => {
                    set.problems.push(PackProblem::new(dir, None, format!("cannot open characters folder: {e}")));
                    continue;
                }
            };
            if !seen_dirs.insert(canonical.clone()) {
                continue; // the same folder named twice: its packs are already in
            }
            let builtin = builtin_dir.as_deref() == Some(canonical.as_path());
            set.load_dir(dir, builtin);
        }
        set.packs.sort_by(|a, b| a.id.cmp(&b.id));
        set
    }

    /// [`Self::load`] over [`crate::paths::characters_dirs`].
    pub fn load_default() -> Self {
        Self::load(&crate::paths::characters_dirs())
    }

    /// The pack with this id.
    pub fn get(&self, id: &str) -> Option<&CharacterPack> {
        self.packs.iter().find(|p| p.id == id)
    }

    fn load_dir(&mut self, dir: &Path, builtin: bool) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                self.problems.push(PackProblem::new(dir, None, format!("cannot list characters folder: {e}")));
                return;
            }
        };
        let mut pack_dirs = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue; // hidden: editor and VCS folders
            }
            let path = entry.path();
            if path.is_dir() {
                pack_dirs.push(path);
            }
        }
        pack_dirs.sort();
        if pack_dirs.len() > MAX_PACKS_PER_DIR {
            let first_skipped = &pack_dirs[MAX_PACKS_PER_DIR];
            self.problems.push(PackProblem::new(
                dir,
                None,
                format!(
                    "{} pack folders, more than {MAX_PACKS_PER_DIR}: skipped from {} on",
                    pack_dirs.len(),
                    first_skipped.file_name().unwrap_or_default().to_string_lossy()
                ),
            ));
            pack_dirs.truncate(MAX_PACKS_PER_DIR);
        }
        for pack_dir in pack_dirs {
            match load_pack(&pack_dir, builtin) {
                Ok(loaded) => {
                    if let Some(first) = self.packs.iter().find(|p| p.id == loaded.pack.id) {
                        self.problems.push(PackProblem::new(
                            pack_dir.join(PACK_FILE),
                            Some(loaded.id_line),
                            format!(
                                "duplicate id '{}': already loaded from {} (the first one wins)",
                                loaded.pack.id,
                                first.dir.display()
                            ),
                        ));
                    } else {
                        self.packs.push(loaded.pack);
                    }
                }
                Err(problem) => self.problems.push(problem),
            }
        }
    }
}

/// The sections of `character.toml`.
const TOP_SECTIONS: [&str; 7] = ["character", "face", "background", "style", "skin", "geometry", "drawing"];

/// A loaded pack and the line of its id (for a duplicate-id report).
struct Loaded {
    pack: CharacterPack,
    id_line: usize,
}

// ---- the TOML form ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    character: Spanned<RawCharacter>,
    face: Option<Spanned<RawDescriptor>>,
    background: Option<Spanned<RawDescriptor>>,
    #[serde(default)]
    style: toml::Table,
    skin: Option<Spanned<RawSkin>>,
    geometry: Option<RawGeometry>,
    drawing: Option<RawDrawing>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCharacter {
    id: Spanned<String>,
    name: Spanned<String>,
    author: Spanned<String>,
    licence: Spanned<String>,
    description: Option<Spanned<String>>,
    thumbnail: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSkin {
    tone: Spanned<String>,
    shadow: Spanned<String>,
    keep: Spanned<f32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGeometry {
    eye_scale: Option<Spanned<f32>>,
    iris_scale: Option<Spanned<f32>>,
    jaw_taper: Option<Spanned<f32>>,
    chin: Option<Spanned<f32>>,
    face_width: Option<Spanned<f32>>,
    nose_scale: Option<Spanned<f32>>,
    mouth_scale: Option<Spanned<f32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDrawing {
    line_color: Spanned<String>,
    line_width: Spanned<f32>,
    lash_color: Spanned<String>,
    lash_weight: Spanned<f32>,
    brow_color: Spanned<String>,
    brow_weight: Spanned<f32>,
    crease: Spanned<f32>,
    lower_lid: Spanned<f32>,
    nose: Spanned<f32>,
    white_color: Spanned<String>,
    iris_color: Spanned<String>,
    catchlights: Spanned<i64>,
    blush_color: Spanned<String>,
    blush: Spanned<f32>,
    lip_color: Spanned<String>,
    lip: Spanned<f32>,
    skin_opacity: Spanned<f32>,
    shading: Spanned<f32>,
    highlight: Spanned<f32>,
}

/// The pack file being checked: turns spans into lines for problems.
struct Ctx<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Ctx<'_> {
    fn line_of(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
    }

    fn at(&self, span: &Range<usize>, reason: impl AsRef<str>) -> PackProblem {
        PackProblem::new(self.file, Some(self.line_of(span)), reason)
    }

    /// A problem at the line of `key` in `[table]` (the table's header when the key is written
    /// another way, e.g. in an inline table).
    fn at_key(&self, table: &str, key: &str, reason: impl AsRef<str>) -> PackProblem {
        let header = format!("[{table}]");
        let mut in_table = false;
        let mut header_line = None;
        let mut key_line = None;
        for (i, line) in self.text.lines().enumerate() {
            let code = line.split('#').next().unwrap_or("").trim();
            if code.starts_with('[') {
                in_table = code == header;
                if in_table && header_line.is_none() {
                    header_line = Some(i + 1);
                }
                continue;
            }
            if in_table
                && let Some(rest) = code.strip_prefix(key)
                && rest.trim_start().starts_with('=')
            {
                key_line = Some(i + 1);
                break;
            }
        }
        PackProblem::new(self.file, key_line.or(header_line), reason)
    }

    fn text_field(
        &self,
        key: &str,
        v: &Spanned<String>,
        max_chars: usize,
        allow_newlines: bool,
    ) -> Result<String, PackProblem> {
        let s = v.get_ref();
        let chars = s.chars().count();
        if chars > max_chars {
            return Err(self.at(&v.span(), format!("{key} is {chars} characters long, more than {max_chars}")));
        }
        if s.chars().any(|c| c.is_control() && !(allow_newlines && (c == '\n' || c == '\t'))) {
            return Err(self.at(&v.span(), format!("{key} contains control characters")));
        }
        Ok(s.clone())
    }

    fn number(&self, key: &str, v: &Spanned<f32>, range: RangeInclusive<f32>) -> Result<f32, PackProblem> {
        let x = *v.get_ref();
        if !range.contains(&x) {
            return Err(self.at(&v.span(), format!("{key} = {x} is outside {}..{}", range.start(), range.end())));
        }
        Ok(x)
    }

    fn colour(&self, key: &str, v: &Spanned<String>) -> Result<[u8; 3], PackProblem> {
        parse_hex_colour(v.get_ref())
            .ok_or_else(|| self.at(&v.span(), format!("{key} = {:?} is not a colour written #rrggbb", v.get_ref())))
    }

    fn model(&self, dir: &Path, key: &str, raw: Spanned<RawDescriptor>) -> Result<PackModel, PackProblem> {
        let span = raw.span();
        let descriptor = raw.into_inner().validate().map_err(|e| self.at(&span, format!("[{key}]: {e}")))?;
        let (path, bytes) = resolve_inside(dir, &descriptor.model)
            .map_err(|e| self.at(&span, format!("[{key}] model {:?}: {e}", descriptor.model)))?;
        if bytes > MAX_MODEL_BYTES {
            return Err(PackProblem::new(
                path,
                None,
                format!("[{key}] model is {bytes} bytes, more than {MAX_MODEL_BYTES} ({} MiB)", MAX_MODEL_BYTES >> 20),
            ));
        }
        Ok(PackModel { descriptor, path, bytes })
    }
}

fn load_pack(pack_dir: &Path, builtin: bool) -> Result<Loaded, PackProblem> {
    let file = pack_dir.join(PACK_FILE);
    let dir = pack_dir
        .canonicalize()
        .map_err(|e| PackProblem::new(pack_dir, None, format!("cannot open pack folder: {e}")))?;
    let text = read_pack_file(&dir, &file)?;
    let ctx = Ctx { file: &file, text: &text };

    let raw: RawPack = match crate::quiet_panic::catch_quietly(|| toml::from_str::<RawPack>(&text)) {
        Ok(Ok(raw)) => raw,
        Ok(Err(e)) => {
            let line = e.span().map(|s| ctx.line_of(&s));
            let mut reason = e.message().trim().to_string();
            // a whole section missing: the error's span is the document, whose first line may
            // be another section's header
            if let Some(section) = reason.strip_prefix("missing field `").and_then(|r| r.strip_suffix('`'))
                && TOP_SECTIONS.contains(&section)
            {
                return Err(PackProblem::new(&file, None, format!("missing section [{section}]")));
            }
            // "missing field `id`" says which table when the span is a table header
            if let Some(header) = line.and_then(|l| text.lines().nth(l - 1)).map(str::trim)
                && reason.starts_with("missing field")
                && header.starts_with('[')
            {
                reason = format!("{reason} in {}", header.split('#').next().unwrap_or(header).trim());
            }
            return Err(PackProblem::new(&file, line, reason));
        }
        Err(panicked) => return Err(PackProblem::new(&file, None, panicked.to_string())),
    };

    let c = raw.character.into_inner();
    let id = c.id.get_ref().clone();
    let id_line = ctx.line_of(&c.id.span());
    if !valid_id(&id) {
        return Err(
            ctx.at(&c.id.span(), format!("id {id:?} is not 1 to {MAX_ID_CHARS} characters of a-z, 0-9, '_', '-'"))
        );
    }
    let folder = pack_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if id != folder {
        return Err(ctx.at(&c.id.span(), format!("id {id:?} differs from the pack folder name {folder:?}")));
    }
    let name = ctx.text_field("name", &c.name, MAX_SHORT_TEXT_CHARS, false)?;
    if name.trim().is_empty() {
        return Err(ctx.at(&c.name.span(), "name is empty"));
    }
    let author = ctx.text_field("author", &c.author, MAX_SHORT_TEXT_CHARS, false)?;
    let licence = ctx.text_field("licence", &c.licence, MAX_SHORT_TEXT_CHARS, false)?;
    let description = match &c.description {
        Some(d) => ctx.text_field("description", d, MAX_DESCRIPTION_CHARS, true)?,
        None => String::new(),
    };

    let (thumbnail, thumb_bytes) = resolve_inside(&dir, c.thumbnail.get_ref())
        .map_err(|e| ctx.at(&c.thumbnail.span(), format!("thumbnail {:?}: {e}", c.thumbnail.get_ref())))?;
    if thumb_bytes > MAX_THUMBNAIL_BYTES {
        return Err(PackProblem::new(
            &thumbnail,
            None,
            format!("thumbnail is {thumb_bytes} bytes, more than {MAX_THUMBNAIL_BYTES}"),
        ));
    }
    let thumbnail_size =
        png_size(&thumbnail).map_err(|e| PackProblem::new(&thumbnail, None, format!("thumbnail: {e}")))?;

    let face = raw.face.map(|f| ctx.model(&dir, "face", f)).transpose()?;
    let background = raw.background.map(|b| ctx.model(&dir, "background", b)).transpose()?;

    let skin = match raw.skin.map(Spanned::into_inner) {
        Some(s) => Some(SkinStyle {
            tone: ctx.colour("skin.tone", &s.tone)?,
            shadow: ctx.colour("skin.shadow", &s.shadow)?,
            keep: ctx.number("skin.keep", &s.keep, 0.0..=1.0)?,
        }),
        None => None,
    };

    let mut geometry = Geometry::default();
    if let Some(g) = raw.geometry {
        let fields = [
            ("geometry.eye_scale", g.eye_scale, 0.8..=1.6, &mut geometry.eye_scale),
            ("geometry.iris_scale", g.iris_scale, 0.8..=1.5, &mut geometry.iris_scale),
            ("geometry.jaw_taper", g.jaw_taper, 0.0..=0.4, &mut geometry.jaw_taper),
            ("geometry.chin", g.chin, -0.2..=0.2, &mut geometry.chin),
            ("geometry.face_width", g.face_width, 0.8..=1.1, &mut geometry.face_width),
            ("geometry.nose_scale", g.nose_scale, 0.5..=1.2, &mut geometry.nose_scale),
            ("geometry.mouth_scale", g.mouth_scale, 0.6..=1.3, &mut geometry.mouth_scale),
        ];
        for (key, value, range, slot) in fields {
            if let Some(v) = value {
                *slot = ctx.number(key, &v, range)?;
            }
        }
    }

    let drawing = raw.drawing.map(|d| drawing(&ctx, &d)).transpose()?;
    style::check(&ctx, &raw.style)?;

    let pack = CharacterPack {
        id,
        name,
        author,
        licence,
        description,
        dir,
        thumbnail,
        thumbnail_size,
        face,
        background,
        style: raw.style,
        skin,
        geometry,
        drawing,
        builtin,
    };
    Ok(Loaded { pack, id_line })
}

/// `[drawing]`: every key required, colours `#rrggbb`, numbers inside their documented ranges.
fn drawing(ctx: &Ctx<'_>, d: &RawDrawing) -> Result<Drawing, PackProblem> {
    let catchlights = *d.catchlights.get_ref();
    if !(0..=2).contains(&catchlights) {
        return Err(ctx.at(&d.catchlights.span(), format!("drawing.catchlights = {catchlights} is not 0, 1 or 2")));
    }
    Ok(Drawing {
        line_rgb: ctx.colour("drawing.line_color", &d.line_color)?,
        line_width: ctx.number("drawing.line_width", &d.line_width, 0.5..=8.0)?,
        lash_rgb: ctx.colour("drawing.lash_color", &d.lash_color)?,
        lash_weight: ctx.number("drawing.lash_weight", &d.lash_weight, 1.0..=14.0)?,
        brow_rgb: ctx.colour("drawing.brow_color", &d.brow_color)?,
        brow_weight: ctx.number("drawing.brow_weight", &d.brow_weight, 1.0..=14.0)?,
        crease: ctx.number("drawing.crease", &d.crease, 0.0..=1.0)?,
        lower_lid: ctx.number("drawing.lower_lid", &d.lower_lid, 0.0..=1.0)?,
        nose: ctx.number("drawing.nose", &d.nose, 0.0..=1.0)?,
        white_rgb: ctx.colour("drawing.white_color", &d.white_color)?,
        iris_rgb: ctx.colour("drawing.iris_color", &d.iris_color)?,
        catchlights: catchlights as u32,
        blush_rgb: ctx.colour("drawing.blush_color", &d.blush_color)?,
        blush: ctx.number("drawing.blush", &d.blush, 0.0..=1.0)?,
        lip_rgb: ctx.colour("drawing.lip_color", &d.lip_color)?,
        lip: ctx.number("drawing.lip", &d.lip, 0.0..=1.0)?,
        skin_opacity: ctx.number("drawing.skin_opacity", &d.skin_opacity, 0.0..=1.0)?,
        shading: ctx.number("drawing.shading", &d.shading, 0.0..=1.0)?,
        highlight: ctx.number("drawing.highlight", &d.highlight, 0.0..=1.0)?,
    })
}

/// Read `character.toml`: a regular file inside the pack, at most [`MAX_PACK_FILE_BYTES`], UTF-8.
fn read_pack_file(dir: &Path, file: &Path) -> Result<String, PackProblem> {
    let (path, len) = resolve_inside(dir, PACK_FILE).map_err(|e| PackProblem::new(file, None, e))?;
    if len > MAX_PACK_FILE_BYTES {
        return Err(PackProblem::new(
            file,
            None,
            format!("{PACK_FILE} is {len} bytes, more than {MAX_PACK_FILE_BYTES}"),
        ));
    }
    let mut bytes = Vec::new();
    File::open(&path)
        .and_then(|f| f.take(MAX_PACK_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| PackProblem::new(file, None, format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_PACK_FILE_BYTES {
        return Err(PackProblem::new(
            file,
            None,
            format!("{PACK_FILE} grew past {MAX_PACK_FILE_BYTES} bytes while read"),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let text_before = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = text_before.iter().filter(|&&b| b == b'\n').count() + 1;
        PackProblem::new(file, Some(line), "not UTF-8 text")
    })
}

/// Resolve `rel`, a path written in a pack, against the pack's canonical folder `dir`: it must be
/// relative, without `..`, and its canonical form (symlinks followed) a regular file inside `dir`.
/// Returns the canonical path and the file size; the error says what is wrong.
fn resolve_inside(dir: &Path, rel: &str) -> Result<(PathBuf, u64), String> {
    if rel.is_empty() {
        return Err("the path is empty".into());
    }
    let path = Path::new(rel);
    for component in path.components() {
        match component {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return Err("'..' leaves the pack folder; name a file inside it".into()),
            Component::RootDir | Component::Prefix(_) => {
                return Err("an absolute path; name a file inside the pack folder".into());
            }
        }
    }
    if path.is_absolute() || path.has_root() {
        return Err("an absolute path; name a file inside the pack folder".into());
    }
    let canonical = match dir.join(path).canonicalize() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err("not found in the pack folder".into()),
        Err(e) => return Err(format!("cannot open: {e}")),
    };
    if !canonical.starts_with(dir) {
        return Err(format!("a link to {}, outside the pack folder", canonical.display()));
    }
    let meta = std::fs::metadata(&canonical).map_err(|e| format!("cannot open: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    Ok((canonical, meta.len()))
}

/// Width and height from a PNG's signature and IHDR chunk, reading only the first 24 bytes.
fn png_size(path: &Path) -> Result<(u32, u32), String> {
    const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
    let mut head = [0u8; 24];
    let mut f = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut got = 0;
    while got < head.len() {
        match f.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("cannot read: {e}")),
        }
    }
    if got < 8 || head[..8] != SIGNATURE {
        return Err("not a PNG file (no PNG signature)".into());
    }
    if got < 24 || head[8..12] != 13u32.to_be_bytes() || &head[12..16] != b"IHDR" {
        return Err("broken PNG (no IHDR header)".into());
    }
    let width = u32::from_be_bytes([head[16], head[17], head[18], head[19]]);
    let height = u32::from_be_bytes([head[20], head[21], head[22], head[23]]);
    if width == 0 || height == 0 {
        return Err(format!("PNG is {width}x{height}, an empty picture"));
    }
    if width > MAX_THUMBNAIL_SIDE || height > MAX_THUMBNAIL_SIDE {
        return Err(format!("PNG is {width}x{height}, larger than {MAX_THUMBNAIL_SIDE}x{MAX_THUMBNAIL_SIDE}"));
    }
    Ok((width, height))
}

/// `[a-z0-9_-]{1,32}`.
pub fn valid_id(id: &str) -> bool {
    (1..=MAX_ID_CHARS).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// `#rrggbb` (either case) to RGB.
pub(crate) fn parse_hex_colour(s: &str) -> Option<[u8; 3]> {
    let hex = s.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

/// Control characters written as escapes (`\u{1b}`), so text from a pack cannot drive a terminal.
pub fn escape_controls(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(valid_id("haru"));
        assert!(valid_id("a_b-9"));
        assert!(!valid_id(""));
        assert!(!valid_id("Haru"));
        assert!(!valid_id("../x"));
        assert!(!valid_id(&"a".repeat(33)));
    }

    #[test]
    fn colours() {
        assert_eq!(parse_hex_colour("#f3d2bd"), Some([0xf3, 0xd2, 0xbd]));
        assert_eq!(parse_hex_colour("#F3D2BD"), Some([0xf3, 0xd2, 0xbd]));
        assert_eq!(parse_hex_colour("red"), None);
        assert_eq!(parse_hex_colour("#f3d2b"), None);
        assert_eq!(parse_hex_colour("#+3d2bd"), None);
        assert_eq!(parse_hex_colour("#f3d2bé"), None);
    }

    #[test]
    fn problems_print_safely() {
        let p = PackProblem::new("/p/x/character.toml", Some(3), "unknown field `a\u{1b}[31m`");
        assert_eq!(p.to_string(), "/p/x/character.toml:3: unknown field `a\\u{1b}[31m`");
        let p = PackProblem::new("/p/x/character.toml", None, "too big");
        assert_eq!(p.to_string(), "/p/x/character.toml: too big");
    }
}
