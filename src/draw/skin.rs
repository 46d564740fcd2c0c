//! The skin ramp: the colours a character paints skin with (base, shadow, light), keeping the
//! share of the person's own tone that its `[skin] keep` asks for. One function for the drawn face
//! and for the body's visible skin, so the face never looks pasted on.
//!
//! In: the character's [`SkinStyle`], the person's face [`SkinStats`] (measured in the frame).
//! Out: [`SkinRamp`] in unorm RGB. Mixing happens in CIE Lab (D65), so keeping 50 % of a dark
//! tone keeps 50 % of its lightness and hue. Pure function; any thread.

use crate::character::SkinStyle;
use crate::perception::skin::SkinStats;

/// Skin colours, unorm RGB (0..1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SkinRamp {
    /// The flat skin colour.
    pub base: [f32; 3],
    /// Its shade: the base moved by the character's tone-to-shadow step.
    pub shadow: [f32; 3],
    /// A lit tone for small highlights.
    pub light: [f32; 3],
}

/// The character's ramp with `style.keep` of the person's tone kept (all of the character's tone
/// without statistics). Base = mix(character tone, person's tone, keep) in Lab; shadow = base +
/// (character shadow - character tone) in Lab; light = base lightened by 7 L and slightly
/// desaturated.
pub fn skin_ramp(style: &SkinStyle, person: Option<&SkinStats>) -> SkinRamp {
    let tone = rgb8_to_lab(style.tone);
    let shade = rgb8_to_lab(style.shadow);
    let base = match person.filter(|s| s.samples > 0) {
        Some(s) => {
            let p = rgb_to_lab(s.mean_rgb.map(|v| v / 255.0));
            let k = style.keep;
            [tone[0] + (p[0] - tone[0]) * k, tone[1] + (p[1] - tone[1]) * k, tone[2] + (p[2] - tone[2]) * k]
        }
        None => tone,
    };
    let shadow = [(base[0] + shade[0] - tone[0]).max(3.0), base[1] + shade[1] - tone[1], base[2] + shade[2] - tone[2]];
    let light = [(base[0] + 7.0).min(99.0), base[1] * 0.9, base[2] * 0.9];
    SkinRamp { base: lab_to_rgb(base), shadow: lab_to_rgb(shadow), light: lab_to_rgb(light) }
}

fn rgb8_to_lab(c: [u8; 3]) -> [f32; 3] {
    rgb_to_lab(c.map(|v| v as f32 / 255.0))
}

fn srgb_to_linear(c: f32) -> f32 {
    if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
}

fn linear_to_srgb(c: f32) -> f32 {
    let c = c.clamp(0.0, 1.0);
    if c <= 0.003_130_8 { c * 12.92 } else { 1.055 * c.powf(1.0 / 2.4) - 0.055 }
}

const WHITE: [f32; 3] = [0.950_47, 1.0, 1.088_83];

/// sRGB (unorm) to CIE Lab (D65).
pub fn rgb_to_lab(rgb: [f32; 3]) -> [f32; 3] {
    let [r, g, b] = rgb.map(srgb_to_linear);
    let xyz = [
        0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b,
        0.212_672_9 * r + 0.715_152_2 * g + 0.072_175 * b,
        0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b,
    ];
    let f = |t: f32| if t > 0.008_856 { t.cbrt() } else { 7.787 * t + 16.0 / 116.0 };
    let [fx, fy, fz] = [f(xyz[0] / WHITE[0]), f(xyz[1] / WHITE[1]), f(xyz[2] / WHITE[2])];
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// CIE Lab (D65) to sRGB (unorm, clamped).
pub fn lab_to_rgb(lab: [f32; 3]) -> [f32; 3] {
    let fy = (lab[0] + 16.0) / 116.0;
    let (fx, fz) = (fy + lab[1] / 500.0, fy - lab[2] / 200.0);
    let inv = |t: f32| if t > 0.206_893 { t * t * t } else { (t - 16.0 / 116.0) / 7.787 };
    let [x, y, z] = [inv(fx) * WHITE[0], inv(fy) * WHITE[1], inv(fz) * WHITE[2]];
    let r = 3.240_454_2 * x - 1.537_138_5 * y - 0.498_531_4 * z;
    let g = -0.969_266 * x + 1.876_010_8 * y + 0.041_556 * z;
    let b = 0.055_643_4 * x - 0.204_025_9 * y + 1.057_225_2 * z;
    [r, g, b].map(linear_to_srgb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_round_trips_and_keep_mixes_the_persons_tone() {
        for c in [[0.9, 0.7, 0.6], [0.2, 0.12, 0.1], [0.5, 0.5, 0.5]] {
            let back = lab_to_rgb(rgb_to_lab(c));
            assert!(c.iter().zip(back).all(|(a, b)| (a - b).abs() < 2e-3), "{c:?} -> {back:?}");
        }
        let style = SkinStyle { tone: [246, 215, 195], shadow: [224, 168, 153], keep: 0.5 };
        let dark = SkinStats { mean_rgb: [90.0, 60.0, 45.0], samples: 100, ..Default::default() };
        let ramp = skin_ramp(&style, Some(&dark));
        let (l_tone, l_person) =
            (rgb8_to_lab(style.tone)[0], rgb_to_lab([90.0 / 255.0, 60.0 / 255.0, 45.0 / 255.0])[0]);
        let l_base = rgb_to_lab(ramp.base)[0];
        assert!((l_base - (l_tone + l_person) * 0.5).abs() < 0.5, "base L {l_base}");
        assert!(rgb_to_lab(ramp.shadow)[0] < l_base && rgb_to_lab(ramp.light)[0] > l_base);
        assert_eq!(skin_ramp(&style, None).base.map(|v| (v * 255.0).round() as u8), style.tone);
    }
}
