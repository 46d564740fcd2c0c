//! The skin ramp a person wears: the character's skin tone and shade, keeping the share of the
//! person's own tone that the character's `[skin] keep` asks for, mixed in CIE Lab so lightness and
//! hue are kept in proportion (a dark-skinned visitor stays as dark as `keep` says, not greyed or
//! whitewashed by mixing in RGB).
//!
//! In: a pack's [`SkinStyle`] and the person's measured [`SkinStats`] (face skin under this
//! light). Out: a [`SkinRamp`] (shadow, base, light colours and the face skin's luma, the level
//! the ramp's base stands for). Pure functions; used on the sink / compositor's thread.

use crate::character::SkinStyle;
use crate::perception::skin::SkinStats;

/// Three tones of the skin a person wears, unorm sRGB, plus the luma (0-255) of the person's
/// own face skin: a pixel as bright as that gets `base`, darker ones go to `shadow`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SkinRamp {
    pub shadow: [f32; 3],
    pub base: [f32; 3],
    pub light: [f32; 3],
    pub reference_luma: f32,
}

/// How much lighter than the base the light tone is, in L*.
const LIGHT_LIFT: f32 = 7.0;

/// The ramp for a person: base = the character's tone moved `keep` of the way to the person's
/// own tone in Lab; shadow = base + the character's own tone-to-shadow step (its design);
/// light = base lifted a little and slightly desaturated. Without measured skin (no face seen),
/// the character's own tones.
pub fn skin_ramp(style: &SkinStyle, person: Option<&SkinStats>) -> SkinRamp {
    let tone = srgb8_to_lab(style.tone);
    let shade = srgb8_to_lab(style.shadow);
    let keep = style.keep.clamp(0.0, 1.0);
    let (base, reference_luma) = match person {
        Some(s) if s.samples > 0 => {
            let own = srgb_to_lab([s.mean_rgb[0] / 255.0, s.mean_rgb[1] / 255.0, s.mean_rgb[2] / 255.0]);
            (mix_lab(tone, own, keep), s.mean_ycbcr[0])
        }
        // the character's tone stands for a mid-bright skin
        _ => (tone, 170.0),
    };
    let shadow = [(base[0] + shade[0] - tone[0]).max(3.0), base[1] + shade[1] - tone[1], base[2] + shade[2] - tone[2]];
    let light = [(base[0] + LIGHT_LIFT).min(99.0), base[1] * 0.9, base[2] * 0.9];
    // inside the sRGB gamut: a light tone past white would be clipped on screen, and the tone
    // on screen is the one the skin must match
    let shown = |lab: [f32; 3]| lab_to_srgb(lab).map(|v| v.clamp(0.0, 1.0));
    SkinRamp {
        shadow: shown(shadow),
        base: shown(base),
        light: shown(light),
        reference_luma: reference_luma.clamp(16.0, 250.0),
    }
}

fn mix_lab(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]
}

pub fn srgb8_to_lab(c: [u8; 3]) -> [f32; 3] {
    srgb_to_lab([c[0] as f32 / 255.0, c[1] as f32 / 255.0, c[2] as f32 / 255.0])
}

/// sRGB component (0..1) to linear light.
pub fn to_linear(c: f32) -> f32 {
    if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
}

/// Linear light (0..1, clamped) to an sRGB component (0..1).
pub fn to_srgb(c: f32) -> f32 {
    let c = c.clamp(0.0, 1.0);
    if c <= 0.0031308 { c * 12.92 } else { 1.055 * c.powf(1.0 / 2.4) - 0.055 }
}

/// D65 white.
const WHITE: [f32; 3] = [0.95047, 1.0, 1.08883];

/// Unorm sRGB to CIE L*a*b* (D65).
pub fn srgb_to_lab(c: [f32; 3]) -> [f32; 3] {
    linear_to_lab(to_linear(c[0]), to_linear(c[1]), to_linear(c[2]))
}

/// Linear RGB to CIE L*a*b* (D65).
pub fn linear_to_lab(r: f32, g: f32, b: f32) -> [f32; 3] {
    let xyz = [
        0.4124 * r + 0.3576 * g + 0.1805 * b,
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        0.0193 * r + 0.1192 * g + 0.9505 * b,
    ];
    let f = |t: f32| if t > 0.008856 { t.cbrt() } else { 7.787 * t + 16.0 / 116.0 };
    let (fx, fy, fz) = (f(xyz[0] / WHITE[0]), f(xyz[1] / WHITE[1]), f(xyz[2] / WHITE[2]));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// CIE L*a*b* (D65) to unorm sRGB, clamped into the gamut.
pub fn lab_to_srgb(lab: [f32; 3]) -> [f32; 3] {
    let fy = (lab[0] + 16.0) / 116.0;
    let (fx, fz) = (fy + lab[1] / 500.0, fy - lab[2] / 200.0);
    let inv = |t: f32| if t.powi(3) > 0.008856 { t.powi(3) } else { (t - 16.0 / 116.0) / 7.787 };
    let (x, y, z) = (inv(fx) * WHITE[0], inv(fy) * WHITE[1], inv(fz) * WHITE[2]);
    let r = 3.2406 * x - 1.5372 * y - 0.4986 * z;
    let g = -0.9689 * x + 1.8758 * y + 0.0415 * z;
    let b = 0.0557 * x - 0.2040 * y + 1.0570 * z;
    [to_srgb(r), to_srgb(g), to_srgb(b)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(rgb: [f32; 3]) -> SkinStats {
        let y = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
        SkinStats { mean_rgb: rgb, mean_ycbcr: [y, 128.0, 128.0], samples: 500, ..Default::default() }
    }

    #[test]
    fn lab_round_trip() {
        for c in [[0.9, 0.75, 0.65], [0.3, 0.2, 0.15], [0.05, 0.5, 0.95]] {
            let back = lab_to_srgb(srgb_to_lab(c));
            for k in 0..3 {
                assert!((back[k] - c[k]).abs() < 2e-3, "{c:?} -> {back:?}");
            }
        }
        let white = srgb_to_lab([1.0; 3]);
        assert!((white[0] - 100.0).abs() < 0.1 && white[1].abs() < 0.5 && white[2].abs() < 0.5, "{white:?}");
    }

    #[test]
    fn keep_share_of_own_lightness_in_lab() {
        let style = SkinStyle { tone: [246, 215, 195], shadow: [224, 168, 153], keep: 0.35 };
        let char_l = srgb8_to_lab(style.tone)[0];
        // light, medium, dark, very dark skin
        for own in [[236.0, 200.0, 180.0], [198.0, 150.0, 120.0], [120.0, 80.0, 60.0], [70.0, 45.0, 35.0]] {
            let own_l = srgb_to_lab([own[0] / 255.0, own[1] / 255.0, own[2] / 255.0])[0];
            let ramp = skin_ramp(&style, Some(&stats(own)));
            let l = srgb_to_lab(ramp.base)[0];
            let kept = (l - char_l) / (own_l - char_l);
            assert!((kept - 0.35).abs() < 0.02, "own L {own_l:.1}: base L {l:.1}, kept {kept:.3}");
            let (sl, ll) = (srgb_to_lab(ramp.shadow)[0], srgb_to_lab(ramp.light)[0]);
            assert!(sl < l && l < ll, "shadow {sl:.1} < base {l:.1} < light {ll:.1}");
        }
    }

    #[test]
    fn keep_one_is_the_persons_tone_and_zero_the_characters() {
        let own = [120.0, 80.0, 60.0];
        let mine = SkinStyle { tone: [246, 215, 195], shadow: [224, 168, 153], keep: 1.0 };
        let base = skin_ramp(&mine, Some(&stats(own))).base;
        for k in 0..3 {
            assert!((base[k] * 255.0 - own[k]).abs() < 1.0, "{base:?}");
        }
        let theirs = SkinStyle { keep: 0.0, ..mine };
        let base = skin_ramp(&theirs, Some(&stats(own))).base;
        for k in 0..3 {
            assert!((base[k] * 255.0 - theirs.tone[k] as f32).abs() < 1.0, "{base:?}");
        }
        assert_eq!(skin_ramp(&theirs, None).base, skin_ramp(&theirs, Some(&stats(own))).base);
    }
}
