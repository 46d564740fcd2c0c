//! The character panel's knobs: the main values of the character being worn, as a studio tunes
//! them live (palette colours, line weight and darkness, tone steps, saturation, skin tone and
//! keep, eye and iris scale, iris colour), applied to a copy of its pack.
//!
//! In: the worn [`CharacterPack`] (the base, never changed) and the knob values. Out: the tuned
//! pack ([`Knobs::apply`]) for the stylize thread, whether the change needs new stylizer graphs
//! ([`Knobs::changes_graphs`]: knobs of `[style]`) or only a new look (skin, eyes, iris: applied
//! from the next frame), and a [`PackDraft`] to save it as a new character. Plain data; the UI
//! thread edits it, the "character-tuner" thread builds models from it.

use toml::Value;

use super::writer::{PackDraft, hex, num};
use super::{CharacterPack, SkinStyle};

/// Palette colours the panel shows (every colour a palette may have).
pub const PANEL_PALETTE: usize = 24;
/// Line weight multiplier range (of the base's `ink_sigma`, every graph).
pub const LINE_WEIGHT: std::ops::RangeInclusive<f32> = 0.5..=2.0;
/// `ink_sigma` is clamped to the generator's range.
const INK_SIGMA: (f64, f64) = (0.4, 2.5);
/// The generator's defaults for keys a pack may leave out (scripts/characters/make_stylizer.py).
const DEFAULT_INK_DARKNESS: f64 = 0.8;
const DEFAULT_INK_SIGMA: f64 = 1.0;
const DEFAULT_TONE_STEPS: i64 = 3;
const DEFAULT_SATURATION: f64 = 1.0;

/// The knobs of one character.
#[derive(Debug, Clone, PartialEq)]
pub struct Knobs {
    /// The first [`PANEL_PALETTE`] colours of `[style] palette`.
    pub palette: Vec<[u8; 3]>,
    /// Multiplier of every graph's `ink_sigma`, [`LINE_WEIGHT`].
    pub line_weight: f32,
    /// `[style] ink_darkness`, 0..1 (graphs that override it are scaled alike).
    pub line_darkness: f32,
    /// `[style] tone_steps`, 0..6 (every graph).
    pub tone_steps: i64,
    /// `[style] saturation`, 0..2 (graphs that override it are scaled alike).
    pub saturation: f32,
    /// `[skin]`; `None` for a pack without (the panel then offers no skin knobs).
    pub skin: Option<SkinStyle>,
    pub eye_scale: f32,
    pub iris_scale: f32,
    /// `[drawing] iris_color`; `None` for a pack that draws no face.
    pub iris: Option<[u8; 3]>,
}

impl Knobs {
    /// The knobs as `pack` has them.
    pub fn of(pack: &CharacterPack) -> Self {
        let palette = pack
            .style
            .get("palette")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter().filter_map(|c| c.as_str().and_then(super::parse_hex_colour)).take(PANEL_PALETTE).collect()
            })
            .unwrap_or_default();
        Self {
            palette,
            line_weight: 1.0,
            line_darkness: float(&pack.style, "ink_darkness", DEFAULT_INK_DARKNESS) as f32,
            tone_steps: pack.style.get("tone_steps").and_then(Value::as_integer).unwrap_or(DEFAULT_TONE_STEPS),
            saturation: float(&pack.style, "saturation", DEFAULT_SATURATION) as f32,
            skin: pack.skin,
            eye_scale: pack.geometry.eye_scale,
            iris_scale: pack.geometry.iris_scale,
            iris: pack.drawing.map(|d| d.iris_rgb),
        }
    }

    /// Set one knob by name from text (`line_weight`, `line_darkness`, `tone_steps`,
    /// `saturation`, `skin_tone`, `skin_shadow`, `skin_keep`, `eye_scale`, `iris_scale`,
    /// `iris_color`, `palette0`..`palette23`), as the window's test hook `--tune` does.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let number = || value.trim().parse::<f32>().map_err(|_| format!("{key}: {value:?} is not a number"));
        let colour = || super::parse_hex_colour(value.trim()).ok_or(format!("{key}: {value:?} is not #rrggbb"));
        match key {
            "line_weight" => self.line_weight = number()?.clamp(*LINE_WEIGHT.start(), *LINE_WEIGHT.end()),
            "line_darkness" => self.line_darkness = number()?.clamp(0.0, 1.0),
            "tone_steps" => self.tone_steps = (number()?.round() as i64).clamp(0, 6),
            "saturation" => self.saturation = number()?.clamp(0.0, 2.0),
            "eye_scale" => self.eye_scale = number()?.clamp(0.8, 1.6),
            "iris_scale" => self.iris_scale = number()?.clamp(0.8, 1.5),
            "iris_color" => self.iris = Some(colour()?),
            "skin_tone" | "skin_shadow" | "skin_keep" => {
                let skin = self.skin.as_mut().ok_or(format!("{key}: this character has no [skin]"))?;
                match key {
                    "skin_tone" => skin.tone = colour()?,
                    "skin_shadow" => skin.shadow = colour()?,
                    _ => skin.keep = number()?.clamp(0.0, 1.0),
                }
            }
            _ => {
                let slot = key
                    .strip_prefix("palette")
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|&n| n < self.palette.len())
                    .ok_or(format!("unknown knob {key:?}"))?;
                self.palette[slot] = colour()?;
            }
        }
        Ok(())
    }

    /// Whether the pack's look is made by the built-in generator (its `[style]` knobs mean
    /// something): packs that bring their own models have no `[style]`.
    pub fn has_style(pack: &CharacterPack) -> bool {
        !pack.style.is_empty()
    }

    /// Whether going from `self` to `next` changes the stylizer graphs (new models are built),
    /// rather than only the skin and face look.
    pub fn changes_graphs(&self, next: &Knobs) -> bool {
        self.palette != next.palette
            || self.line_weight != next.line_weight
            || self.line_darkness != next.line_darkness
            || self.tone_steps != next.tone_steps
            || self.saturation != next.saturation
    }

    /// `base` with these knobs.
    pub fn apply(&self, base: &CharacterPack) -> CharacterPack {
        let mut pack = base.clone();
        let before = Knobs::of(base);
        if Knobs::has_style(base) {
            let style = &mut pack.style;
            if !self.palette.is_empty()
                && let Some(Value::Array(colours)) = style.get_mut("palette")
            {
                for (slot, c) in colours.iter_mut().zip(&self.palette) {
                    *slot = hex(*c);
                }
            }
            let weight = self.line_weight as f64;
            let darkness = ratio(self.line_darkness, before.line_darkness);
            let saturation = ratio(self.saturation, before.saturation);
            set_float(style, "ink_darkness", self.line_darkness as f64, (0.0, 1.0));
            set_float(style, "saturation", self.saturation as f64, (0.0, 2.0));
            let sigma = float(style, "ink_sigma", DEFAULT_INK_SIGMA) * weight;
            set_float(style, "ink_sigma", sigma, INK_SIGMA);
            style.insert("tone_steps".into(), Value::Integer(self.tone_steps.clamp(0, 6)));
            for sub in ["face", "background"] {
                if let Some(Value::Table(t)) = style.get_mut(sub) {
                    scale(t, "ink_sigma", weight, INK_SIGMA);
                    scale(t, "ink_darkness", darkness, (0.0, 1.0));
                    scale(t, "saturation", saturation, (0.0, 2.0));
                    if t.contains_key("tone_steps") {
                        t.insert("tone_steps".into(), Value::Integer(self.tone_steps.clamp(0, 6)));
                    }
                }
            }
        }
        if let (Some(skin), Some(_)) = (self.skin, base.skin) {
            pack.skin = Some(SkinStyle { keep: skin.keep.clamp(0.0, 1.0), ..skin });
        }
        pack.geometry.eye_scale = self.eye_scale.clamp(0.8, 1.6);
        pack.geometry.iris_scale = self.iris_scale.clamp(0.8, 1.5);
        if let (Some(iris), Some(d)) = (self.iris, pack.drawing.as_mut()) {
            d.iris_rgb = iris;
        }
        pack
    }

    /// A draft of a new character `id` / `name`: the tuned pack's values, those the knobs changed
    /// marked "tuned in the window", the rest "from <base>".
    pub fn draft(&self, base: &CharacterPack, id: &str, name: &str) -> PackDraft {
        let tuned = self.apply(base);
        let mut draft = PackDraft::from_base(&tuned, id, name);
        draft.description = format!("Tuned from {} in the webtoonme window.", base.name);
        let before = Knobs::of(base);
        let mark = format!("tuned in the window (was {})", base.id);
        let origin = |changed: bool| if changed { mark.clone() } else { format!("from {}", base.id) };
        let retag = |d: &mut PackDraft, section: &str, key: &str, changed: bool| {
            if let Some(v) = d.get(section, key).cloned() {
                d.set(section, key, v, origin(changed));
            }
        };
        retag(&mut draft, "style", "palette", self.palette != before.palette);
        for sub in ["style", "style.face", "style.background"] {
            retag(&mut draft, sub, "ink_sigma", self.line_weight != before.line_weight);
            retag(&mut draft, sub, "ink_darkness", self.line_darkness != before.line_darkness);
            retag(&mut draft, sub, "saturation", self.saturation != before.saturation);
            retag(&mut draft, sub, "tone_steps", self.tone_steps != before.tone_steps);
        }
        if let (Some(now), Some(was)) = (self.skin, before.skin) {
            retag(&mut draft, "skin", "tone", now.tone != was.tone);
            retag(&mut draft, "skin", "shadow", now.shadow != was.shadow);
            retag(&mut draft, "skin", "keep", now.keep != was.keep);
        }
        retag(&mut draft, "geometry", "eye_scale", self.eye_scale != before.eye_scale);
        retag(&mut draft, "geometry", "iris_scale", self.iris_scale != before.iris_scale);
        retag(&mut draft, "drawing", "iris_color", self.iris != before.iris);
        draft
    }
}

fn float(t: &toml::Table, key: &str, default: f64) -> f64 {
    t.get(key).and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64))).unwrap_or(default)
}

fn set_float(t: &mut toml::Table, key: &str, x: f64, (lo, hi): (f64, f64)) {
    t.insert(key.into(), num(x.clamp(lo, hi) as f32));
}

/// Scale `key` of `t` by `k` when `t` has it.
fn scale(t: &mut toml::Table, key: &str, k: f64, range: (f64, f64)) {
    if let Some(x) = t.get(key).and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64))) {
        set_float(t, key, x * k, range);
    }
}

fn ratio(now: f32, was: f32) -> f64 {
    if was.abs() < 1e-6 { 1.0 } else { (now / was) as f64 }
}

/// The parts of a `character.toml` the built-in generator reads, from a (tuned) pack:
/// `[character] id`, `[style]` and `[skin]` (its tone and shadow join the face's palette).
pub fn generator_doc(pack: &CharacterPack) -> toml::Table {
    let mut doc = toml::Table::new();
    let mut character = toml::Table::new();
    character.insert("id".into(), Value::String(pack.id.clone()));
    doc.insert("character".into(), Value::Table(character));
    doc.insert("style".into(), Value::Table(pack.style.clone()));
    if let Some(s) = pack.skin {
        let mut skin = toml::Table::new();
        skin.insert("tone".into(), hex(s.tone));
        skin.insert("shadow".into(), hex(s.shadow));
        skin.insert("keep".into(), num(s.keep));
        doc.insert("skin".into(), Value::Table(skin));
    }
    doc
}
