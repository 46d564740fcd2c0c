//! Writing a character pack: the `character.toml` of a new character (made from a studio's
//! pictures by `webtoonme character new`, or saved from the window's character panel), every
//! value with a comment that says where it came from, and the pack folder written whole or not
//! at all.
//!
//! In: a base [`CharacterPack`] (its values are the starting point, "from <base>"), the new id
//! and name, and the values that were measured or tuned, each with its origin. Out: the TOML
//! text ([`PackDraft::to_toml`]) and, with [`write_pack_folder`], a pack folder in a user
//! characters folder (files written into a hidden temporary folder, then renamed into place;
//! an existing pack of that id is replaced only when asked, a built-in one never). Any thread
//! (the CLI's main thread, the window's "character-save" thread).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use toml::Value;

use super::{CharacterPack, Drawing, Geometry, PACK_FILE, SkinStyle, valid_id};

/// The descriptor of the built-in generator's face graph (`[face]` of a generated pack).
pub const GENERATED_FACE: &str = "model = \"face.onnx\"\nlayout = \"nchw\"\ncolor = \"rgb\"\n\
input_range = [0.0, 1.0]\noutput_range = [0.0, 1.0]\nsize = [256, 256]\n";
/// The descriptor of the built-in generator's background graph.
pub const GENERATED_BACKGROUND: &str = "model = \"background.onnx\"\nlayout = \"nchw\"\ncolor = \"rgb\"\n\
input_range = [0.0, 1.0]\noutput_range = [0.0, 1.0]\nsize_multiple = 8\nmax_side = 640\n";

/// One key of a section: its value and where the value came from (a TOML comment).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub value: Value,
    pub origin: String,
}

/// The values of a new pack, section by section, with their origins.
#[derive(Debug, Clone, PartialEq)]
pub struct PackDraft {
    pub id: String,
    pub name: String,
    pub author: String,
    pub licence: String,
    pub description: String,
    /// `[style]` keys, then `[style.face]` and `[style.background]` overrides.
    pub style: Vec<Entry>,
    pub style_face: Vec<Entry>,
    pub style_background: Vec<Entry>,
    pub skin: Vec<Entry>,
    pub geometry: Vec<Entry>,
    pub drawing: Vec<Entry>,
}

impl PackDraft {
    /// A draft with every value of `base`, each "from <base id>". The new pack uses the built-in
    /// generator's graphs (made from its `[style]`), whatever models `base` had.
    pub fn from_base(base: &CharacterPack, id: &str, name: &str) -> Self {
        let origin = format!("from {}", base.id);
        let mut style = Vec::new();
        let (mut style_face, mut style_background) = (Vec::new(), Vec::new());
        for (key, value) in &base.style {
            match (key.as_str(), value) {
                ("face", Value::Table(t)) => style_face = entries(t, &origin),
                ("background", Value::Table(t)) => style_background = entries(t, &origin),
                _ => style.push(Entry { key: key.clone(), value: value.clone(), origin: origin.clone() }),
            }
        }
        let skin = base.skin.map(|s| skin_entries(&s, &origin)).unwrap_or_default();
        let drawing = base.drawing.map(|d| drawing_entries(&d, &origin)).unwrap_or_default();
        Self {
            id: id.to_string(),
            name: name.to_string(),
            author: "webtoonme character studio".into(),
            licence: "the studio's own".into(),
            description: format!("Made from {} with webtoonme.", base.name),
            style,
            style_face,
            style_background,
            skin,
            geometry: geometry_entries(&base.geometry, &origin),
            drawing,
        }
    }

    /// Set `key` of `section` ("style", "style.face", "style.background", "skin", "geometry",
    /// "drawing") to `value`, saying where it came from. Unknown sections are ignored (the
    /// loader would refuse the key anyway).
    pub fn set(&mut self, section: &str, key: &str, value: Value, origin: impl Into<String>) {
        let list = match section {
            "style" => &mut self.style,
            "style.face" => &mut self.style_face,
            "style.background" => &mut self.style_background,
            "skin" => &mut self.skin,
            "geometry" => &mut self.geometry,
            "drawing" => &mut self.drawing,
            _ => return,
        };
        let value = tidy(value);
        let origin = origin.into();
        match list.iter_mut().find(|e| e.key == key) {
            Some(e) => {
                e.value = value;
                e.origin = origin;
            }
            None => list.push(Entry { key: key.to_string(), value, origin }),
        }
    }

    /// The value of `key` in `section`, if set.
    pub fn get(&self, section: &str, key: &str) -> Option<&Value> {
        let list = match section {
            "style" => &self.style,
            "style.face" => &self.style_face,
            "style.background" => &self.style_background,
            "skin" => &self.skin,
            "geometry" => &self.geometry,
            "drawing" => &self.drawing,
            _ => return None,
        };
        list.iter().find(|e| e.key == key).map(|e| &e.value)
    }

    /// The pack's `character.toml`: `[character]`, the generator's `[face]` and `[background]`
    /// descriptors, then each section with one key per line and its origin as a comment.
    pub fn to_toml(&self) -> String {
        let mut s = String::new();
        let q = |v: &str| Value::String(v.to_string()).to_string();
        let _ = writeln!(s, "# written by webtoonme; every value says where it came from\n[character]");
        let _ = writeln!(s, "id = {}", q(&self.id));
        let _ = writeln!(s, "name = {}", q(&self.name));
        let _ = writeln!(s, "author = {}", q(&self.author));
        let _ = writeln!(s, "licence = {}", q(&self.licence));
        let _ = writeln!(s, "description = {}", q(&self.description));
        let _ = writeln!(s, "thumbnail = \"thumbnail.png\"\n");
        let _ = writeln!(s, "[face]                      # the built-in generator's graph, made from [style]");
        s.push_str(GENERATED_FACE);
        let _ = writeln!(s, "\n[background]");
        s.push_str(GENERATED_BACKGROUND);
        for (header, list) in [
            ("style", &self.style),
            ("style.face", &self.style_face),
            ("style.background", &self.style_background),
            ("skin", &self.skin),
            ("geometry", &self.geometry),
            ("drawing", &self.drawing),
        ] {
            if list.is_empty() && header != "style" {
                continue;
            }
            let _ = writeln!(s, "\n[{header}]");
            for e in list {
                let line = format!("{} = {}", e.key, e.value);
                let _ = writeln!(s, "{line:<40} # {}", one_line(&e.origin));
            }
        }
        s
    }
}

/// Write `draft` as the pack folder `<root>/<id>`: character.toml, then `finish` adds the
/// models and the thumbnail into the (temporary) folder; the folder appears under its name only
/// when everything was written. An existing `<root>/<id>` is replaced when `replace` is true,
/// otherwise it is an error; `builtin_root` (the built-in characters) is never written to.
pub fn write_pack_folder(
    root: &Path,
    draft: &PackDraft,
    replace: bool,
    builtin_root: Option<&Path>,
    finish: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<PathBuf, String> {
    if !valid_id(&draft.id) {
        return Err(format!("id {:?} is not 1 to {} characters of a-z, 0-9, '_', '-'", draft.id, super::MAX_ID_CHARS));
    }
    std::fs::create_dir_all(root)
        .map_err(|e| format!("{}: cannot create the characters folder: {e}", root.display()))?;
    let canonical_root = root.canonicalize().map_err(|e| format!("{}: {e}", root.display()))?;
    if let Some(builtin) = builtin_root.and_then(|b| b.canonicalize().ok())
        && builtin == canonical_root
    {
        return Err(format!(
            "{}: this is the built-in characters folder; new characters go to a user folder",
            root.display()
        ));
    }
    let target = root.join(&draft.id);
    if target.exists() && !replace {
        return Err(format!("{}: a character with this id exists (choose another id)", target.display()));
    }
    // `<root>/.writing-<pid>-<id>/<id>`: hidden from the loader, and the pack's folder has its
    // id as its name from the start (the generator checks it)
    let staging = root.join(format!(".writing-{}-{}", std::process::id(), draft.id));
    let tmp = staging.join(&draft.id);
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let result = (|| {
        std::fs::write(tmp.join(PACK_FILE), draft.to_toml()).map_err(|e| format!("{}: {e}", tmp.display()))?;
        finish(&tmp)?;
        if target.exists() {
            std::fs::remove_dir_all(&target).map_err(|e| format!("{}: cannot replace: {e}", target.display()))?;
        }
        std::fs::rename(&tmp, &target).map_err(|e| format!("{}: {e}", target.display()))
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result.map(|()| target)
}

fn entries(t: &toml::Table, origin: &str) -> Vec<Entry> {
    t.iter().map(|(k, v)| Entry { key: k.clone(), value: v.clone(), origin: origin.to_string() }).collect()
}

/// `#rrggbb`.
pub fn hex(c: [u8; 3]) -> Value {
    Value::String(format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]))
}

/// A float rounded to 4 decimals (f32 values print without their binary tails).
pub fn num(x: f32) -> Value {
    Value::Float(((x as f64) * 10_000.0).round() / 10_000.0)
}

fn tidy(v: Value) -> Value {
    match v {
        Value::Float(f) => Value::Float((f * 10_000.0).round() / 10_000.0),
        other => other,
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

fn skin_entries(s: &SkinStyle, origin: &str) -> Vec<Entry> {
    let e = |k: &str, value: Value| Entry { key: k.into(), value, origin: origin.to_string() };
    vec![e("tone", hex(s.tone)), e("shadow", hex(s.shadow)), e("keep", num(s.keep))]
}

fn geometry_entries(g: &Geometry, origin: &str) -> Vec<Entry> {
    let e = |k: &str, x: f32| Entry { key: k.into(), value: num(x), origin: origin.to_string() };
    vec![
        e("eye_scale", g.eye_scale),
        e("iris_scale", g.iris_scale),
        e("jaw_taper", g.jaw_taper),
        e("chin", g.chin),
        e("face_width", g.face_width),
        e("nose_scale", g.nose_scale),
        e("mouth_scale", g.mouth_scale),
    ]
}

fn drawing_entries(d: &Drawing, origin: &str) -> Vec<Entry> {
    let e = |k: &str, value: Value| Entry { key: k.into(), value, origin: origin.to_string() };
    vec![
        e("line_color", hex(d.line_rgb)),
        e("line_width", num(d.line_width)),
        e("lash_color", hex(d.lash_rgb)),
        e("lash_weight", num(d.lash_weight)),
        e("brow_color", hex(d.brow_rgb)),
        e("brow_weight", num(d.brow_weight)),
        e("crease", num(d.crease)),
        e("lower_lid", num(d.lower_lid)),
        e("nose", num(d.nose)),
        e("white_color", hex(d.white_rgb)),
        e("iris_color", hex(d.iris_rgb)),
        e("catchlights", Value::Integer(d.catchlights as i64)),
        e("blush_color", hex(d.blush_rgb)),
        e("blush", num(d.blush)),
        e("lip_color", hex(d.lip_rgb)),
        e("lip", num(d.lip)),
        e("skin_opacity", num(d.skin_opacity)),
        e("shading", num(d.shading)),
        e("highlight", num(d.highlight)),
    ]
}
