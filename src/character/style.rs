//! `[style]`: the generator's parameters (and the few the app reads itself), checked like every
//! other section: known keys only, each of its type, finite and inside its range.
//!
//! In: the pack's `[style]` table and its text (for line numbers). Out: `Ok` or the first
//! [`PackProblem`] with the line of the key. Any thread. The key table mirrors `STYLE_KEYS` in
//! `scripts/characters/make_stylizer.py` (the generator of the built-in characters' graphs); a
//! test holds the two together.

use toml::Value;

use super::{Ctx, PackProblem, parse_hex_colour};

/// What a `[style]` key holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StyleKind {
    /// A number in `lo..=hi`.
    Float(f64, f64),
    /// A whole number in `lo..=hi`, and one of `only` when that is not empty.
    Int(i64, i64, &'static [i64]),
    /// `"#rrggbb"`.
    Colour,
    /// A list of at most this many `"#rrggbb"`.
    Colours(usize),
}

use StyleKind::{Colour, Colours, Float, Int};

/// Every key `[style]`, `[style.face]` and `[style.background]` may hold.
pub const STYLE_KEYS: &[(&str, StyleKind)] = &[
    ("smooth_radius", Int(1, 16, &[])),
    ("smooth_eps", Float(0.0005, 0.05)),
    ("smooth_iters", Int(0, 3, &[])),
    ("smooth_scale", Int(1, 4, &[1, 2, 4])),
    ("palette", Colours(24)),
    ("palette_strength", Float(0.0, 1.0)),
    ("palette_luma", Float(0.0, 1.0)),
    ("palette_softness", Float(0.002, 0.2)),
    ("palette_luma_weight", Float(0.0, 1.0)),
    ("palette_scale", Int(1, 8, &[1, 2, 4, 8])),
    ("skin_pull", Float(0.0, 1.0)),
    ("tone_steps", Int(0, 6, &[])),
    ("tone_shift", Float(-0.3, 0.3)),
    ("tone_spread", Float(0.0, 1.0)),
    ("step_width", Float(0.005, 0.2)),
    ("step_strength", Float(0.0, 1.0)),
    ("detail", Float(0.0, 1.0)),
    ("base_radius", Int(1, 64, &[])),
    ("base_eps", Float(0.001, 0.1)),
    ("base_scale", Int(1, 8, &[1, 2, 4, 8])),
    ("shade_chroma", Float(0.0, 1.0)),
    ("color_bleed", Int(1, 8, &[1, 2, 4, 8])),
    ("saturation", Float(0.0, 2.0)),
    ("contrast", Float(0.5, 2.0)),
    ("brightness", Float(-0.3, 0.3)),
    ("warmth", Float(-0.3, 0.3)),
    ("black_point", Float(0.0, 0.3)),
    ("white_point", Float(0.7, 1.0)),
    ("midtones", Float(-0.5, 0.5)),
    ("ink_sigma", Float(0.4, 2.5)),
    ("ink_k", Float(1.1, 3.0)),
    ("ink_eps", Float(0.0, 0.05)),
    ("ink_slope", Float(5.0, 1000.0)),
    ("ink_darkness", Float(0.0, 1.0)),
    ("ink_color", Colour),
    ("ink_hysteresis", Float(1.0, 6.0)),
    ("ink_clean", Float(0.0, 1.0)),
    ("ink_despeckle", Float(0.0, 1.0)),
    ("ink_width", Float(0.0, 1.0)),
    ("ink_smooth", Int(0, 3, &[])),
    ("ink_scale", Int(1, 2, &[1, 2])),
    // read by the app, not the generator: ink along the person's outline (default 0.6)
    ("silhouette_ink", Float(0.0, 1.0)),
];

/// Sub-tables of `[style]` that override keys for one graph.
const SUBTABLES: [&str; 2] = ["face", "background"];

/// Check `[style]` (and its `face` / `background` sub-tables).
pub(super) fn check(ctx: &Ctx<'_>, style: &toml::Table) -> Result<(), PackProblem> {
    for (key, value) in style {
        if SUBTABLES.contains(&key.as_str()) {
            let Value::Table(sub) = value else {
                return Err(ctx.at_key("style", key, format!("[style] {key} must be a table ([style.{key}])")));
            };
            let table = format!("style.{key}");
            for (k, v) in sub {
                check_value(ctx, &table, k, v)?;
            }
        } else {
            check_value(ctx, "style", key, value)?;
        }
    }
    Ok(())
}

fn check_value(ctx: &Ctx<'_>, table: &str, key: &str, value: &Value) -> Result<(), PackProblem> {
    let at = |reason: String| ctx.at_key(table, key, format!("[{table}] {key}{reason}"));
    let Some(&(_, kind)) = STYLE_KEYS.iter().find(|(k, _)| *k == key) else {
        return Err(at(format!(
            ": unknown key (known: {}; sub-tables: face, background)",
            STYLE_KEYS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
        )));
    };
    match kind {
        Float(lo, hi) => {
            let x = match value {
                Value::Float(x) => *x,
                Value::Integer(i) => *i as f64,
                other => return Err(at(format!(" = {other}: expected a number"))),
            };
            if !x.is_finite() {
                return Err(at(format!(" = {x}: expected a finite number")));
            }
            if !(lo..=hi).contains(&x) {
                return Err(at(format!(" = {x} is outside {lo}..{hi}")));
            }
        }
        Int(lo, hi, only) => {
            let n = match value {
                Value::Integer(i) => *i,
                Value::Float(x) if x.is_finite() && x.fract() == 0.0 => *x as i64,
                other => return Err(at(format!(" = {other}: expected a whole number"))),
            };
            if !(lo..=hi).contains(&n) {
                return Err(at(format!(" = {n} is outside {lo}..{hi}")));
            }
            if !only.is_empty() && !only.contains(&n) {
                let list: Vec<String> = only.iter().map(i64::to_string).collect();
                return Err(at(format!(" = {n}: must be one of {}", list.join(", "))));
            }
        }
        Colour => {
            if value.as_str().and_then(parse_hex_colour).is_none() {
                return Err(at(format!(" = {value}: expected a colour \"#rrggbb\"")));
            }
        }
        Colours(max) => {
            let Some(list) = value.as_array().filter(|l| l.len() <= max) else {
                return Err(at(format!(": expected a list of at most {max} colours \"#rrggbb\"")));
            };
            if let Some((i, c)) = list.iter().enumerate().find(|(_, c)| c.as_str().and_then(parse_hex_colour).is_none())
            {
                return Err(at(format!("[{i}] = {c}: expected a colour \"#rrggbb\"")));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generator's key table (scripts/characters/make_stylizer.py) and this one name the same
    /// keys with the same ranges.
    #[test]
    fn keys_match_the_generator() {
        let script =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/characters/make_stylizer.py"))
                .unwrap();
        let table = &script[script.find("STYLE_KEYS = {").unwrap()..];
        let table = &table[..table.find("\n}\n").unwrap()];
        let mut seen = 0;
        for line in table.lines().map(str::trim).filter(|l| l.starts_with('"') && l.contains("\": (")) {
            let key = line.split('"').nth(1).unwrap();
            let spec: Vec<&str> = line.split_once("(").unwrap().1.split(',').map(str::trim).collect();
            let (kind, lo, hi) = (spec[0].trim_matches('"'), spec[2], spec[3]);
            let mine = STYLE_KEYS.iter().find(|(k, _)| *k == key).unwrap_or_else(|| panic!("{key} missing")).1;
            match (kind, mine) {
                ("float", Float(l, h)) => {
                    assert_eq!((lo.parse::<f64>().unwrap(), hi.parse::<f64>().unwrap()), (l, h), "{key}")
                }
                ("int", Int(l, h, _)) => {
                    assert_eq!((lo.parse::<i64>().unwrap(), hi.parse::<i64>().unwrap()), (l, h), "{key}")
                }
                ("color", Colour) => {}
                ("colors", Colours(n)) => assert_eq!(hi.parse::<usize>().unwrap(), n, "{key}"),
                other => panic!("{key}: {other:?}"),
            }
            seen += 1;
        }
        assert_eq!(seen + 1, STYLE_KEYS.len(), "every generator key, plus silhouette_ink");
    }
}
