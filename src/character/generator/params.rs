//! The generator's parameters: a pack's `[style]` resolved for one graph, exactly as
//! `resolve_style` in `scripts/characters/make_stylizer.py` does it (defaults < per-graph defaults
//! < `[style]` < `[style.face]` / `[style.background]`, the same checks and the same messages,
//! without the file and line the script puts in front), and the parameters written out as the
//! script's JSON (for the model's metadata and its style hash).
//!
//! In: the parsed `character.toml` (its `[style]` and, for the face graph's skin pull, `[skin]`).
//! Out: [`StyleParams`] or a message naming the table and key. Pure data, any thread.
//!
//! Two differences from the script, both on input the app's pack loader already refuses or
//! accepts on its own: `silhouette_ink` (read by the app, not the generator) is skipped rather
//! than refused, and colours must be exactly `#` and six hex digits (Python's `int(s, 16)` would
//! also take `"#+f0000"`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use toml::Value;

use super::GraphKind;
use crate::character::style::{STYLE_KEYS, StyleKind};

/// `[style]` keys the app reads itself; the generator ignores them.
const APP_KEYS: [&str; 1] = ["silhouette_ink"];

/// Sub-tables of `[style]` that override keys for one graph.
const SUBTABLES: [&str; 2] = ["face", "background"];

/// A default, as `STYLE_KEYS` in the script gives it.
#[derive(Debug, Clone, Copy)]
enum DefaultValue {
    Int(i64),
    Float(f64),
    Colour(&'static str),
    NoColours,
}

/// Every generator key's default (the script's `STYLE_KEYS[key][1]`), in the script's order.
const DEFAULTS: &[(&str, DefaultValue)] = &[
    ("smooth_radius", DefaultValue::Int(3)),
    ("smooth_eps", DefaultValue::Float(0.01)),
    ("smooth_iters", DefaultValue::Int(2)),
    ("smooth_scale", DefaultValue::Int(2)),
    ("palette", DefaultValue::NoColours),
    ("palette_strength", DefaultValue::Float(0.0)),
    ("palette_luma", DefaultValue::Float(0.0)),
    ("palette_softness", DefaultValue::Float(0.02)),
    ("palette_luma_weight", DefaultValue::Float(0.3)),
    ("palette_scale", DefaultValue::Int(2)),
    ("skin_pull", DefaultValue::Float(0.0)),
    ("tone_steps", DefaultValue::Int(3)),
    ("tone_shift", DefaultValue::Float(0.0)),
    ("tone_spread", DefaultValue::Float(0.0)),
    ("step_width", DefaultValue::Float(0.03)),
    ("step_strength", DefaultValue::Float(0.5)),
    ("detail", DefaultValue::Float(0.5)),
    ("base_radius", DefaultValue::Int(16)),
    ("base_eps", DefaultValue::Float(0.01)),
    ("base_scale", DefaultValue::Int(2)),
    ("shade_chroma", DefaultValue::Float(0.3)),
    ("color_bleed", DefaultValue::Int(1)),
    ("saturation", DefaultValue::Float(1.0)),
    ("contrast", DefaultValue::Float(1.0)),
    ("brightness", DefaultValue::Float(0.0)),
    ("warmth", DefaultValue::Float(0.0)),
    ("black_point", DefaultValue::Float(0.0)),
    ("white_point", DefaultValue::Float(1.0)),
    ("midtones", DefaultValue::Float(0.0)),
    ("ink_sigma", DefaultValue::Float(1.0)),
    ("ink_k", DefaultValue::Float(1.6)),
    ("ink_eps", DefaultValue::Float(0.005)),
    ("ink_slope", DefaultValue::Float(100.0)),
    ("ink_darkness", DefaultValue::Float(0.8)),
    ("ink_color", DefaultValue::Colour("#1a1418")),
    ("ink_hysteresis", DefaultValue::Float(1.0)),
    ("ink_clean", DefaultValue::Float(0.5)),
    ("ink_despeckle", DefaultValue::Float(0.0)),
    ("ink_width", DefaultValue::Float(0.0)),
    ("ink_smooth", DefaultValue::Int(1)),
    ("ink_scale", DefaultValue::Int(1)),
];

/// One resolved parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Int(i64),
    Float(f64),
    /// RGB in 0..1 (`#rrggbb` / 255).
    Colour([f64; 3]),
    Colours(Vec<[f64; 3]>),
}

/// The parameters of one graph: every generator key (the script's `p`), plus `skin_colors` (the
/// pack's `[skin]` tone and shadow) when the face graph pulls toward them.
#[derive(Debug, Clone, PartialEq)]
pub struct StyleParams {
    pub kind: GraphKind,
    /// By key, sorted (the order the script's JSON uses).
    pub values: BTreeMap<&'static str, Param>,
}

impl StyleParams {
    /// Resolve `doc` (a parsed `character.toml`) for one graph.
    pub fn resolve(doc: &toml::Table, kind: GraphKind) -> Result<Self, String> {
        let Some(Value::Table(style)) = doc.get("style") else {
            return Err("missing [style] table".into());
        };
        for (k, v) in style {
            if SUBTABLES.contains(&k.as_str()) {
                if !v.is_table() {
                    return Err(format!("[style] {k} must be a table ([style.{k}])"));
                }
            } else if !APP_KEYS.contains(&k.as_str()) && key_index(k).is_none() {
                let known: Vec<&str> = DEFAULTS.iter().map(|(k, _)| *k).collect();
                return Err(format!(
                    "[style] unknown key '{k}' (known: {}; sub-tables: face, background)",
                    known.join(", ")
                ));
            }
        }
        let mut values = BTreeMap::new();
        for &(key, default) in DEFAULTS {
            let v = match default {
                DefaultValue::Int(i) => Param::Int(i),
                DefaultValue::Float(x) => Param::Float(x),
                DefaultValue::Colour(s) => Param::Colour(parse_colour(s).expect("default colour")),
                DefaultValue::NoColours => Param::Colours(Vec::new()),
            };
            values.insert(key, v);
        }
        if kind == GraphKind::Background {
            values.insert("palette_scale", Param::Int(4));
            values.insert("base_scale", Param::Int(4));
            values.insert("base_eps", Param::Float(0.005));
        }
        for (k, v) in style {
            if SUBTABLES.contains(&k.as_str()) || APP_KEYS.contains(&k.as_str()) {
                continue;
            }
            let key = DEFAULTS[key_index(k).expect("checked above")].0;
            values.insert(key, check_value(key, v, "[style]")?);
        }
        if let Some(Value::Table(sub)) = style.get(kind.name()) {
            let table = format!("[style.{}]", kind.name());
            for (k, v) in sub {
                if APP_KEYS.contains(&k.as_str()) {
                    continue;
                }
                let Some(i) = key_index(k) else {
                    return Err(format!("{table} unknown key '{k}'"));
                };
                let key = DEFAULTS[i].0;
                values.insert(key, check_value(key, v, &table)?);
            }
        }
        let mut p = Self { kind, values };
        if p.int("ink_smooth") > p.int("smooth_iters") {
            p.values.insert("ink_smooth", Param::Int(p.int("smooth_iters")));
        }
        if kind == GraphKind::Face && p.float("skin_pull") > 0.0 {
            let skin = match doc.get("skin") {
                Some(Value::Table(t)) => Some(t),
                _ => None,
            };
            let mut colours = Vec::new();
            for c in ["tone", "shadow"] {
                let v = skin.and_then(|t| t.get(c));
                let parsed = v.and_then(Value::as_str).and_then(parse_colour);
                colours.push(parsed.ok_or_else(|| {
                    format!("[skin] {c}: expected a colour \"#rrggbb\", got {}", v.map_or("None".into(), show))
                })?);
            }
            p.values.insert("skin_colors", Param::Colours(colours));
        } else {
            p.values.insert("skin_pull", Param::Float(0.0));
        }
        Ok(p)
    }

    /// A float parameter (panics on a key that is not one: a generator bug).
    pub fn float(&self, key: &str) -> f64 {
        match self.values.get(key) {
            Some(Param::Float(x)) => *x,
            other => panic!("style parameter {key}: not a float: {other:?}"),
        }
    }

    /// A whole-number parameter.
    pub fn int(&self, key: &str) -> i64 {
        match self.values.get(key) {
            Some(Param::Int(i)) => *i,
            other => panic!("style parameter {key}: not an int: {other:?}"),
        }
    }

    /// A colour parameter.
    pub fn colour(&self, key: &str) -> [f64; 3] {
        match self.values.get(key) {
            Some(Param::Colour(c)) => *c,
            other => panic!("style parameter {key}: not a colour: {other:?}"),
        }
    }

    /// A list-of-colours parameter; empty when absent (`skin_colors`).
    pub fn colours(&self, key: &str) -> &[[f64; 3]] {
        match self.values.get(key) {
            Some(Param::Colours(c)) => c,
            None => &[],
            other => panic!("style parameter {key}: not a colour list: {other:?}"),
        }
    }

    /// The parameters as the script's `json.dumps(p, sort_keys=True)` writes them (the model's
    /// `params` metadata); `compact`: with `separators=(",", ":")` (inside the style hash).
    pub fn to_json(&self, compact: bool) -> String {
        let (comma, colon) = if compact { (",", ":") } else { (", ", ": ") };
        let colour = |out: &mut String, c: &[f64; 3]| {
            out.push('[');
            for (i, v) in c.iter().enumerate() {
                if i > 0 {
                    out.push_str(comma);
                }
                out.push_str(&py_float(*v));
            }
            out.push(']');
        };
        let mut out = String::from("{");
        for (i, (key, value)) in self.values.iter().enumerate() {
            if i > 0 {
                out.push_str(comma);
            }
            let _ = write!(out, "\"{key}\"{colon}");
            match value {
                Param::Int(v) => {
                    let _ = write!(out, "{v}");
                }
                Param::Float(v) => out.push_str(&py_float(*v)),
                Param::Colour(c) => colour(&mut out, c),
                Param::Colours(cs) => {
                    out.push('[');
                    for (j, c) in cs.iter().enumerate() {
                        if j > 0 {
                            out.push_str(comma);
                        }
                        colour(&mut out, c);
                    }
                    out.push(']');
                }
            }
        }
        out.push('}');
        out
    }

    /// The script's `style_hash(p, kind)`: SHA-256 (hex) of
    /// `json.dumps({"kind", "params", "generator": version}, sort_keys=True, separators=(",", ":"))`.
    pub fn style_hash(&self) -> String {
        let canon = format!(
            "{{\"generator\":\"{}\",\"kind\":\"{}\",\"params\":{}}}",
            super::GENERATOR_VERSION,
            self.kind.name(),
            self.to_json(true)
        );
        crate::commands::characters::sha256_hex(canon.as_bytes())
    }
}

fn key_index(key: &str) -> Option<usize> {
    DEFAULTS.iter().position(|(k, _)| *k == key)
}

/// `#rrggbb` -> RGB in 0..1 (each byte / 255.0, as the script divides).
fn parse_colour(s: &str) -> Option<[f64; 3]> {
    crate::character::parse_hex_colour(s).map(|c| c.map(|b| f64::from(b) / 255.0))
}

/// A TOML value the way the script's messages show it (Python's `repr`, near enough).
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{s}'"),
        Value::Float(x) => py_float(*x),
        Value::Boolean(true) => "True".into(),
        Value::Boolean(false) => "False".into(),
        other => other.to_string(),
    }
}

/// The script's `check_value`: the value of `key` checked against its kind and range.
fn check_value(key: &'static str, v: &Value, table: &str) -> Result<Param, String> {
    let kind = STYLE_KEYS.iter().find(|(k, _)| *k == key).expect("generator keys are style keys").1;
    let w = format!("{table} {key}");
    let number = |v: &Value| match v {
        Value::Integer(i) => Ok(*i as f64),
        Value::Float(x) => Ok(*x),
        other => Err(format!("{w}: expected a number, got {}", show(other))),
    };
    match kind {
        StyleKind::Float(lo, hi) => {
            let x = number(v)?;
            if !(lo..=hi).contains(&x) {
                return Err(format!("{w} = {} is outside {}..{}", show(v), py_float(lo), py_float(hi)));
            }
            Ok(Param::Float(x))
        }
        StyleKind::Int(lo, hi, only) => {
            let x = number(v)?;
            if x.fract() != 0.0 {
                return Err(format!("{w}: expected a whole number, got {}", show(v)));
            }
            if !(lo as f64..=hi as f64).contains(&x) {
                return Err(format!("{w} = {} is outside {lo}..{hi}", show(v)));
            }
            let n = x as i64;
            if !only.is_empty() && !only.contains(&n) {
                let list: Vec<String> = only.iter().map(i64::to_string).collect();
                return Err(format!("{w} = {}: must be one of {}", show(v), list.join(", ")));
            }
            Ok(Param::Int(n))
        }
        StyleKind::Colour => v
            .as_str()
            .and_then(parse_colour)
            .map(Param::Colour)
            .ok_or_else(|| format!("{w}: expected a colour \"#rrggbb\", got {}", show(v))),
        StyleKind::Colours(max) => {
            let Some(list) = v.as_array().filter(|l| l.len() <= max) else {
                return Err(format!("{w}: expected a list of at most {max} colours \"#rrggbb\""));
            };
            list.iter()
                .enumerate()
                .map(|(i, c)| {
                    c.as_str()
                        .and_then(parse_colour)
                        .ok_or_else(|| format!("{w}[{i}]: expected a colour \"#rrggbb\", got {}", show(c)))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Param::Colours)
        }
    }
}

/// A float as Python's `repr` (and so `json.dumps`) writes it: the shortest digits that read
/// back to the same double, fixed notation from 1e-4 up to 1e16 with at least one decimal
/// (`1.0`), scientific outside (`1e-05`, `1.5e+16`).
pub fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    // Rust's `{:e}` gives the same shortest round-trip digits: "-1.2345e-5"
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("exponent");
    let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let n = digits.len() as i32;
    let decpt = exp + 1; // x = 0.digits * 10^decpt
    if !(-4 < decpt && decpt <= 16) {
        let frac = if n > 1 { format!(".{}", &digits[1..]) } else { String::new() };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{}{frac}e{esign}{:02}", &digits[..1], exp.abs());
    }
    if decpt <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-decpt) as usize))
    } else if decpt >= n {
        format!("{sign}{digits}{}.0", "0".repeat((decpt - n) as usize))
    } else {
        format!("{sign}{}.{}", &digits[..decpt as usize], &digits[decpt as usize..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python() {
        for (x, s) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (100.0, "100.0"),
            (0.01, "0.01"),
            (0.0005, "0.0005"),
            (0.00005, "5e-05"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456.789, "123456.789"),
            (-0.3, "-0.3"),
            (0.1 + 0.2, "0.30000000000000004"),
            (10.0 / 255.0, "0.0392156862745098"),
            (1.0 / 3.0, "0.3333333333333333"),
        ] {
            assert_eq!(py_float(x), s, "{x:e}");
        }
    }

    /// The defaults here are the script's (`STYLE_KEYS[key][1]`), key by key and in its order.
    #[test]
    fn defaults_match_the_script() {
        let script =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/characters/make_stylizer.py"))
                .unwrap();
        let table = &script[script.find("STYLE_KEYS = {").unwrap()..];
        let table = &table[..table.find("\n}\n").unwrap()];
        let lines: Vec<&str> =
            table.lines().map(str::trim).filter(|l| l.starts_with('"') && l.contains("\": (")).collect();
        assert_eq!(lines.len(), DEFAULTS.len());
        for (line, (key, default)) in lines.iter().zip(DEFAULTS) {
            assert_eq!(line.split('"').nth(1).unwrap(), *key);
            let spec: Vec<&str> = line.split_once('(').unwrap().1.split(", ").collect();
            let d = spec[1];
            match default {
                DefaultValue::Int(i) => assert_eq!(d.parse::<i64>().unwrap(), *i, "{key}"),
                DefaultValue::Float(x) => assert_eq!(d.parse::<f64>().unwrap(), *x, "{key}"),
                DefaultValue::Colour(c) => assert_eq!(d.trim_matches('"'), *c, "{key}"),
                DefaultValue::NoColours => assert_eq!(d, "[]", "{key}"),
            }
        }
        assert!(script.contains("\"background\": {\"palette_scale\": 4, \"base_scale\": 4, \"base_eps\": 0.005}"));
    }

    fn doc(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn overrides_and_checks() {
        let d = doc("[style]\nink_eps = 0.01\nsmooth_iters = 1\nink_smooth = 3\n[style.face]\nink_eps = 0.02\n");
        let f = StyleParams::resolve(&d, GraphKind::Face).unwrap();
        let b = StyleParams::resolve(&d, GraphKind::Background).unwrap();
        assert_eq!((f.float("ink_eps"), b.float("ink_eps")), (0.02, 0.01));
        assert_eq!(f.int("ink_smooth"), 1, "capped at smooth_iters");
        assert_eq!((f.int("palette_scale"), b.int("palette_scale")), (2, 4));
        let bad = |t: &str| StyleParams::resolve(&doc(t), GraphKind::Face).unwrap_err();
        assert!(bad("[style]\nink_eps = 0.5\n").contains("ink_eps = 0.5 is outside 0.0..0.05"));
        assert!(bad("[style]\nsmooth_scale = 3\n").contains("smooth_scale = 3: must be one of 1, 2, 4"));
        assert!(bad("[style]\ntone_steps = 2.5\n").contains("tone_steps: expected a whole number"));
        assert!(bad("[style]\nwobble = 1\n").contains("unknown key 'wobble'"));
        assert!(bad("[style.face]\nwobble = 1\n").contains("[style.face] unknown key 'wobble'"));
        assert!(bad("[style]\nink_color = \"red\"\n").contains("ink_color: expected a colour"));
        assert!(bad("[style]\nskin_pull = 0.5\n").contains("[skin] tone"));
        assert!(bad("").contains("missing [style]"));
        // an int given as 2.0 is an int; a float given as 1 a float
        let p = StyleParams::resolve(&doc("[style]\nsmooth_iters = 2.0\ncontrast = 1\n"), GraphKind::Face).unwrap();
        assert_eq!((p.int("smooth_iters"), p.float("contrast")), (2, 1.0));
        assert!(p.to_json(true).contains("\"contrast\":1.0,"));
        assert!(p.to_json(false).contains("\"smooth_iters\": 2, "));
    }
}
