//! How each person's skin (outside the face) and hair are painted: measured on the frame, styled by
//! the character they wear.
//!
//! In: the frame, one tracked face (landmarks, skin statistics), the person mask and the
//! character's [`CharacterLook`] (skin style, palette). Out: a [`PersonPaint`] for the
//! compositor's background pass. Hair is measured in a band above the forehead inside the person
//! mask (about 80 samples, trimmed around the median brightness); its colour is pulled toward the
//! character's nearest palette colour in Lab, keeping its lightness, and given a shade and a
//! highlight. Runs on the stylize thread; no allocation (fixed-size sample arrays).

use crate::character::SkinStyle;
use crate::compose::PersonPaint;
use crate::draw::skin_ramp::{lab_to_srgb, skin_ramp, srgb_to_lab};
use crate::frame::Frame;
use crate::perception::FaceObservation;
use crate::perception::mesh::idx;
use crate::perception::segment::Mask;
use crate::perception::skin::{chroma_inverse, rgb_to_ycbcr};

/// What a character asks of skin and hair.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CharacterLook {
    /// `None`: skin outside the face is left as the background stylizer drew it.
    pub skin: Option<SkinStyle>,
    /// Colours hair is pulled toward (the character's palette); empty: the hair's own colour.
    pub palette: Vec<[u8; 3]>,
    /// 0..1: how far hair chroma moves toward the nearest palette colour.
    pub hair_pull: f32,
    /// Whether hair is painted in flat tones (a pack asks for the app's painting with `[skin]`).
    pub hair: bool,
}

impl CharacterLook {
    /// The look of a pack: its `[skin]` and its `[style] palette` (`#rrggbb` strings). A pack
    /// without `[skin]` asks for no painting: neither skin nor hair.
    pub fn of(skin: Option<SkinStyle>, style: &toml::Table) -> Self {
        let palette = style
            .get("palette")
            .and_then(|v| v.as_array())
            .map(|colours| colours.iter().filter_map(|c| c.as_str().and_then(parse_hex)).collect())
            .unwrap_or_default();
        CharacterLook { skin, palette, hair_pull: HAIR_PULL, hair: skin.is_some() }
    }
}

/// Default share of the way hair chroma moves toward the palette.
const HAIR_PULL: f32 = 0.3;
/// How strongly skin outside the face takes the ramp.
const SKIN_STRENGTH: f32 = 0.85;
/// How strongly hair takes its flat colours.
const HAIR_STRENGTH: f32 = 1.0;
/// Hair samples across and along the band above the forehead.
const HAIR_ACROSS: usize = 10;
const HAIR_ALONG: usize = 8;
/// Fewer hair samples than this inside the person mask: no hair painted (a hat, a bald head,
/// the head cut by the frame's edge).
const MIN_HAIR_SAMPLES: usize = 20;

fn parse_hex(s: &str) -> Option<[u8; 3]> {
    let h = s.strip_prefix('#')?;
    if h.len() != 6 {
        return None;
    }
    let v = u32::from_str_radix(h, 16).ok()?;
    Some([(v >> 16) as u8, (v >> 8) as u8, v as u8])
}

/// The paint for one person, or `None` when their landmarks are incomplete.
pub fn person_paint(frame: &Frame, face: &FaceObservation, person: &Mask, look: &CharacterLook) -> Option<PersonPaint> {
    let lm = &face.landmarks_px;
    if lm.len() < 468 || (look.skin.is_none() && !look.hair) {
        return None;
    }
    let pt = |i: usize| [lm[i][0], lm[i][1]];
    let (top, chin) = (pt(idx::FOREHEAD), pt(idx::CHIN));
    let (left, right) = (pt(234), pt(454));
    let mut centre = [0.0f32; 2];
    for &i in &idx::FACE_OVAL {
        centre[0] += lm[i][0] / idx::FACE_OVAL.len() as f32;
        centre[1] += lm[i][1] / idx::FACE_OVAL.len() as f32;
    }
    let height = (top[0] - chin[0]).hypot(top[1] - chin[1]);
    let width = (right[0] - left[0]).hypot(right[1] - left[1]);
    if !(height > 4.0 && width > 4.0) {
        return None;
    }
    let (eye_r, eye_l) = (pt(idx::RIGHT_EYE_OUTER), pt(idx::LEFT_EYE_OUTER));
    let roll = (eye_l[1] - eye_r[1]).atan2(eye_l[0] - eye_r[0]);

    let skin = skin_ramp(&look.skin.unwrap_or(NEUTRAL_SKIN), face.skin.as_ref());
    let (skin_chroma, skin_icov, skin_strength) = match (&look.skin, &face.skin) {
        (Some(_), Some(stats)) if stats.samples > 0 => {
            let icov = chroma_inverse(stats).0;
            let unorm = 255.0 * 255.0;
            (
                [stats.mean_ycbcr[1] / 255.0, stats.mean_ycbcr[2] / 255.0],
                [icov[0] * unorm, icov[1] * unorm, icov[2] * unorm],
                SKIN_STRENGTH,
            )
        }
        _ => ([0.5; 2], [0.0; 3], 0.0),
    };

    let hair = if look.hair { measure_hair(frame, person, top, chin, width) } else { None };
    let (hair_tones, hair_chroma, hair_luma, hair_strength) = match hair {
        Some(rgb) => {
            let ycc = rgb_to_ycbcr(rgb.map(|v| v.round().clamp(0.0, 255.0) as u8));
            (hair_tones(rgb, look), [ycc[1] / 255.0, ycc[2] / 255.0], ycc[0] / 255.0, HAIR_STRENGTH)
        }
        None => ([[0.0; 3]; 3], [0.5; 2], 0.5, 0.0),
    };
    Some(PersonPaint {
        face_centre: centre,
        face_half_axes: [width * 0.5, height * 0.5],
        roll,
        skin,
        skin_chroma,
        skin_icov,
        skin_strength,
        hair_shadow: hair_tones[0],
        hair_base: hair_tones[1],
        hair_light: hair_tones[2],
        hair_chroma,
        hair_luma,
        hair_strength,
    })
}

const NEUTRAL_SKIN: SkinStyle = SkinStyle { tone: [240, 200, 180], shadow: [210, 160, 145], keep: 1.0 };

/// Mean colour of the hair in a band above the forehead (inside the person mask), trimmed to the
/// samples near the median brightness; `None` when too little hair shows.
fn measure_hair(frame: &Frame, person: &Mask, top: [f32; 2], chin: [f32; 2], width: f32) -> Option<[f32; 3]> {
    let (w, h) = (frame.width, frame.height);
    let up = [(top[0] - chin[0]), (top[1] - chin[1])];
    let len = up[0].hypot(up[1]);
    let (ux, uy) = (up[0] / len, up[1] / len);
    let (sx, sy) = (-uy, ux); // sideways
    let mut samples = [[0u8; 3]; HAIR_ACROSS * HAIR_ALONG];
    let mut lumas = [0.0f32; HAIR_ACROSS * HAIR_ALONG];
    let mut n = 0;
    for a in 0..HAIR_ALONG {
        let along = len * (0.06 + 0.22 * a as f32 / (HAIR_ALONG - 1) as f32);
        for c in 0..HAIR_ACROSS {
            let across = width * (-0.4 + 0.8 * c as f32 / (HAIR_ACROSS - 1) as f32);
            let (x, y) = (top[0] + ux * along + sx * across, top[1] + uy * along + sy * across);
            if x < 0.0 || y < 0.0 || x >= w as f32 || y >= h as f32 {
                continue;
            }
            if person.prob.is_empty() || person.at_frame(x, y, w, h) < 0.6 {
                continue;
            }
            let i = (y as usize * w as usize + x as usize) * 3;
            let p = [frame.rgb[i], frame.rgb[i + 1], frame.rgb[i + 2]];
            samples[n] = p;
            lumas[n] = rgb_to_ycbcr(p)[0];
            n += 1;
        }
    }
    if n < MIN_HAIR_SAMPLES {
        return None;
    }
    let mut sorted = lumas;
    let sorted = &mut sorted[..n];
    sorted.sort_by(f32::total_cmp);
    let median = sorted[n / 2];
    let (mut sum, mut kept) = ([0.0f32; 3], 0);
    for (p, l) in samples[..n].iter().zip(&lumas[..n]) {
        if (l - median).abs() <= 30.0 {
            for k in 0..3 {
                sum[k] += p[k] as f32;
            }
            kept += 1;
        }
    }
    (kept >= MIN_HAIR_SAMPLES / 2).then(|| sum.map(|v| v / kept as f32))
}

/// Shadow, flat base and highlight of hair whose mean colour is `rgb` (0-255), in unorm sRGB.
fn hair_tones(rgb: [f32; 3], look: &CharacterLook) -> [[f32; 3]; 3] {
    let own = srgb_to_lab(rgb.map(|v| v / 255.0));
    let mut base = own;
    if let Some(nearest) = look
        .palette
        .iter()
        .map(|c| srgb_to_lab(c.map(|v| v as f32 / 255.0)))
        .min_by(|a, b| lab_distance(a, &own).total_cmp(&lab_distance(b, &own)))
    {
        let t = look.hair_pull.clamp(0.0, 1.0);
        base[1] += (nearest[1] - own[1]) * t;
        base[2] += (nearest[2] - own[2]) * t;
    }
    let shadow = [base[0] * 0.68, base[1] * 1.1, base[2] * 1.1];
    let light = [base[0] + (100.0 - base[0]) * 0.4, base[1] * 0.8, base[2] * 0.8];
    [lab_to_srgb(shadow), lab_to_srgb(base), lab_to_srgb(light)]
}

fn lab_distance(a: &[f32; 3], b: &[f32; 3]) -> f32 {
    // a palette colour of about the hair's lightness and hue: it gives the hue, the hair keeps
    // its own lightness
    (a[0] - b[0]).abs() + (a[1] - b[1]).hypot(a[2] - b[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palette_parses_and_hair_keeps_its_lightness() {
        let look = CharacterLook {
            skin: None,
            palette: ["#5c3f4c", "#ffe6da", "nonsense", "#12345"].iter().filter_map(|s| parse_hex(s)).collect(),
            hair_pull: 0.6,
            hair: true,
        };
        assert_eq!(look.palette, vec![[0x5c, 0x3f, 0x4c], [0xff, 0xe6, 0xda]]);
        // dark brown hair: base keeps its lightness, shadow darker, light lighter
        let tones = hair_tones([70.0, 50.0, 35.0], &look);
        let l = |c: [f32; 3]| srgb_to_lab(c)[0];
        let own_l = srgb_to_lab([70.0 / 255.0, 50.0 / 255.0, 35.0 / 255.0])[0];
        assert!((l(tones[1]) - own_l).abs() < 1.5, "base L {} vs own {own_l}", l(tones[1]));
        assert!(l(tones[0]) < l(tones[1]) - 5.0 && l(tones[2]) > l(tones[1]) + 10.0);
    }
}
