//! The face's skin in the person's own ramp: the face model's smoothed, inked crop keeps every
//! line, eye, brow, beard and the mouth of the person, and the skin between them becomes the two
//! or three flat tones of the skin ramp the person wears (the character's tone moved toward the
//! person's own by `[skin] keep`), chosen by the person's own shading. Nothing is drawn from a
//! template: which pixel is skin, and how dark, comes from the photo.
//!
//! In: the aligned input crop (what the face model saw), the face model's stylized crop, the
//! face's landmarks and alignment, the person's skin statistics and [`SkinRamp`]. Out: the
//! stylized crop with its skin pixels replaced by ramp tones, and everything else inside the face
//! (eyes, brows, lips, lines, a beard) moved by the skin's average change in linear light, so a
//! light brow keeps its contrast to the toned skin instead of standing out as a light streak (in
//! place). Which pixels take a tone:
//! - inside the face oval, outside the eyes, brows and lips (scanline-filled from the mesh,
//!   grown a little so lids and lip edges keep their own pixels);
//! - whose photo chroma, relative to its brightness, is this person's skin (Mahalanobis
//!   distance to the face-skin statistics under this light; relative, so shaded skin is skin and
//!   a light-brown fringe in the skin's hue but duller is not toned as shadow skin);
//! - not much darker than the skin around them in the stylized crop: ink lines, brows, a beard,
//!   nostrils and shadows deeper than the ramp's shadow keep the model's pixels.
//!
//! The tone of each skin pixel is the stylized luma against the median luma of the face's skin
//! (so the ramp follows the person's real shading, not a designed one), with narrow soft steps;
//! the shadow tone reaches a little past halfway to the base ([`SHADOW_REACH`]).
//! The brightness the tone is chosen on is blurred over skin alone: lines, brows and lashes do
//! not darken the skin next to them, so no feature gets a ring of shadow tone around it (which
//! thickened every feature and cost likeness). Within its tone each pixel keeps its own
//! shading up to [`SHADE_L`] in L* (well inside Delta-E 4 of the tone, so the skin still reads
//! as flat cel tones, but some of the face's relief, which the face-recognition meter and people
//! see, is still there).
//! Runs on the stylize thread, on buffers kept between frames (no allocation once warm).

use crate::draw::skin_ramp::{SkinRamp, linear_to_lab, to_linear, to_srgb};
use crate::perception::geometry::Affine2;
use crate::perception::mesh::idx;
use crate::perception::skin::{SkinStats, chroma_inverse, rgb_to_ycbcr};

/// Half width of the soft step between two tones (share of the median).
const STEP_SOFT: f32 = 0.003;
/// Within a tone, the person's own shading is kept up to this many L* around the tone (the tone's
/// colour scaled in linear light, never past white, so its hue stays): well inside Delta-E 4 of
/// the tone. Measured on t1.jpg, the astronaut and the duo (`scripts/likeness_report.sh`), with
/// the skin-only blur: 2.5% of the blurred brightness (about 1.6 L*, before) 0.777 of the JPEG
/// reference over the four characters, 2 L* of each pixel's own 0.785, 3.5 L* 0.795; above 2 L*
/// the base and light tones (7 L* apart) blur into one hump and the studio's fit
/// (tests/fit_truth.rs, both seeds) reads our own skin tone several L* too light.
const SHADE_L: f32 = 2.0;
/// The shadow tone reaches this share of the median skin brightness above the midpoint between
/// the shadow and base tones: more of the face's real shading shows as shadow. Measured over the
/// four characters on t1.jpg, the astronaut and the duo: midpoint 0.785 of the JPEG reference,
/// +0.04 0.789, +0.08 0.778 (shadow over too much of the face). Moving the light tone's start
/// down as well (0.03) measured +0.001 more, but the light tone then outweighs the base on
/// brightly lit faces and the studio's fit reads it as the skin tone (tests/fit_truth.rs).
const SHADOW_REACH: f32 = 0.04;
/// Darker than this share of the median: ink, brows, beard (kept), fading in up to `KEEP_TO`.
/// (0.58 / 0.68 before: the eye sockets' and nose side's deeper shading went flat too.)
const KEEP_BELOW: f32 = 0.65;
const KEEP_TO: f32 = 0.75;
/// Chroma Mahalanobis distance (squared) where skin starts to fade and where it is gone.
const SKIN_D2: (f32, f32) = (6.0, 14.0);
/// The face oval is grown by this factor (as far as the pasted face layer reaches at full opacity:
/// `FaceMasker` grows it 1.1 and feathers outward), so the layer's soft edge blends toned skin.
const OVAL_GROW: f32 = 1.08;
/// Eyes, brows and lips are grown by this factor around their centre before they are cut out.
const FEATURE_GROW: [f32; 3] = [1.35, 1.3, 1.12];
/// Radius (crop pixels) of the blur the tone choice sees (over skin pixels only).
const TONE_BLUR: usize = 3;
/// Fewer skin pixels than this in the crop: the face is left as the model drew it.
const MIN_SKIN_PIXELS: usize = 200;

/// Ramp-toned face skin; owns its scratch buffers.
#[derive(Debug, Default)]
pub struct FaceToner {
    region: Vec<u8>,
    weight: Vec<f32>,
    /// The stylized crop's luma, box-blurred: tones are chosen on it, so they form clean regions
    /// instead of islands at every bit of texture.
    luma: Vec<f32>,
    /// The blur's weights: skin that is not a line.
    norm: Vec<f32>,
    line: Vec<f32>,
    /// sRGB level (0-255, quarter steps) -> linear light, and linear light (4096 steps) -> sRGB
    /// level; grey level (0-255) -> L*. Built on first use.
    luts: Option<Box<Luts>>,
    poly: Vec<[f32; 2]>,
    xs: Vec<f32>,
    /// The crop as the face model drew it, and how much of the ramp each pixel took.
    model: Vec<u8>,
    alpha: Vec<f32>,
}

/// `region` values: outside the face, toned skin candidates, and the cut-out features.
const SKIN: u8 = 1;
const FEATURE: u8 = 2;

/// What one face's skin is toned from.
#[derive(Debug, Clone, Copy)]
pub struct ToneInput<'a> {
    /// The aligned photo crop the face model saw (RGB8, `size` square).
    pub original: &'a [u8],
    /// 478 landmarks, frame pixels.
    pub landmarks: &'a [[f32; 3]],
    pub crop_from_frame: &'a Affine2,
    pub skin: &'a SkinStats,
    pub ramp: &'a SkinRamp,
    /// 0..1: how much of the ramp replaces the model's skin.
    pub strength: f32,
}

impl FaceToner {
    /// Tone the skin of `styled` (RGB8, `size` square) in place. Returns the share of the face
    /// oval that took a ramp tone (0 when the face had no measurable skin).
    pub fn tone(&mut self, input: &ToneInput<'_>, styled: &mut [u8], size: usize) -> f32 {
        let n = size;
        if input.landmarks.len() < 468
            || input.original.len() < n * n * 3
            || styled.len() < n * n * 3
            || input.skin.samples == 0
            || input.strength <= 0.0
        {
            return 0.0;
        }
        self.region.clear();
        self.region.resize(n * n, 0);
        let m = input.crop_from_frame;
        let lm = input.landmarks;
        self.fill(lm, &idx::FACE_OVAL, m, OVAL_GROW, n, SKIN);
        self.fill(lm, &idx::RIGHT_EYE, m, FEATURE_GROW[0], n, FEATURE);
        self.fill(lm, &idx::LEFT_EYE, m, FEATURE_GROW[0], n, FEATURE);
        self.fill(lm, &idx::RIGHT_BROW, m, FEATURE_GROW[1], n, FEATURE);
        self.fill(lm, &idx::LEFT_BROW, m, FEATURE_GROW[1], n, FEATURE);
        self.fill(lm, &idx::LIPS_OUTER, m, FEATURE_GROW[2], n, FEATURE);

        // skin likelihood from the photo's chroma, and the skin's median stylized luma
        let icov = chroma_inverse(input.skin).0;
        let (my, mcb, mcr) = (input.skin.mean_ycbcr[0], input.skin.mean_ycbcr[1], input.skin.mean_ycbcr[2]);
        self.weight.clear();
        self.weight.resize(n * n, 0.0);
        let mut hist = [0u32; 256];
        let mut oval = 0usize;
        for (i, w) in self.weight.iter_mut().enumerate() {
            if self.region[i] != SKIN {
                continue;
            }
            oval += 1;
            let o = &input.original[i * 3..i * 3 + 3];
            let c = rgb_to_ycbcr([o[0], o[1], o[2]]);
            // chroma relative to brightness (as the person paint reads skin): shaded skin keeps
            // its colour's strength, a fringe of hair in the skin's hue but duller does not
            let k = (my / c[0].max(2.0)).clamp(0.25, 4.0);
            let (dx, dy) = ((c[1] - 128.0) * k - (mcb - 128.0), (c[2] - 128.0) * k - (mcr - 128.0));
            let d2 = icov[0] * dx * dx + 2.0 * icov[1] * dx * dy + icov[2] * dy * dy;
            let like = 1.0 - smoothstep(SKIN_D2.0, SKIN_D2.1, d2);
            if like > 0.0 {
                *w = like;
                if like > 0.5 {
                    let s = &styled[i * 3..i * 3 + 3];
                    hist[luma8(s) as usize] += 1;
                }
            }
        }
        let skin_pixels: u32 = hist.iter().sum();
        if (skin_pixels as usize) < MIN_SKIN_PIXELS || oval == 0 {
            return 0.0;
        }
        let median = {
            let (mut acc, half) = (0u32, skin_pixels / 2);
            hist.iter().position(|&h| {
                acc += h;
                acc > half
            })
        }
        .unwrap_or(128)
        .max(8) as f32;

        let ramp = input.ramp;
        let tones = [ramp.shadow, ramp.base, ramp.light].map(|c| c.map(|v| v.clamp(0.0, 1.0) * 255.0));
        // the brightness tones are chosen on: blurred over skin that is not a line (normalized)
        self.luma.clear();
        self.luma.extend(styled[..n * n * 3].chunks_exact(3).map(luma8));
        self.norm.clear();
        for (l, &w) in self.luma.iter_mut().zip(&self.weight) {
            let w = if *l > KEEP_BELOW * median { w } else { 0.0 };
            self.norm.push(w);
            *l *= w;
        }
        blur(&mut self.luma, n, TONE_BLUR, &mut self.line);
        blur(&mut self.norm, n, TONE_BLUR, &mut self.line);
        for (l, &w) in self.luma.iter_mut().zip(&self.norm) {
            *l = if w > 1e-3 { *l / w } else { median };
        }
        let luts = self.luts.get_or_insert_with(|| Box::new(Luts::new()));
        // per tone: linear light, its L*, and the L* of the person's brightness it stands for
        let lin = tones.map(|c| c.map(|v| luts.linear(v)));
        let tone_l = lin.map(|c| linear_to_lab(c[0], c[1], c[2])[0]);
        let mut toned = 0usize;
        self.model.clear();
        self.model.extend_from_slice(&styled[..n * n * 3]);
        self.alpha.clear();
        self.alpha.resize(n * n, 0.0);
        let (mut from, mut to) = ([0.0f32; 3], [0.0f32; 3]);
        // each pixel takes the tone nearest its brightness: the median skin stands for the base,
        // the shadow and light tones for their brightness relative to it
        let luma = |c: [f32; 3]| (0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]).max(1.0);
        let rel = |c: [f32; 3]| luma(c) / luma(tones[1]);
        let (shadow_at, light_at) = (rel(tones[0]).min(0.97), rel(tones[2]).max(1.03));
        let (sb, la) = (((1.0 + shadow_at) * 0.5 + SHADOW_REACH).min(0.99), (1.0 + light_at) * 0.5);
        let centre_l = [shadow_at, 1.0, light_at].map(|k| luts.lstar(median * k));
        for (i, &w) in self.weight.iter().enumerate() {
            if w <= 0.0 {
                continue;
            }
            let s = &mut styled[i * 3..i * 3 + 3];
            // lines, brows and beard are judged on the pixel itself, the tone on its surroundings
            let keep = 1.0 - smoothstep(KEEP_BELOW, KEEP_TO, luma8(s) / median);
            let r = self.luma[i] / median;
            let a = w * (1.0 - keep) * input.strength;
            if a <= 0.0 {
                continue;
            }
            self.alpha[i] = a;
            let to_base = smoothstep(sb - STEP_SOFT, sb + STEP_SOFT, r);
            let to_light = smoothstep(la - STEP_SOFT, la + STEP_SOFT, r);
            // within a tone, the pixel's own shading up to SHADE_L in L*: flat to the eye, the
            // face's relief still there
            let mix = |v: [f32; 3]| v[0] + (v[1] - v[0]) * to_base + (v[2] - v[1]) * to_light;
            let l_tone = mix(tone_l);
            let dl = (luts.lstar(luma8(s)) - mix(centre_l)).clamp(-SHADE_L, SHADE_L);
            let tone = [0, 1, 2].map(|k| mix([lin[0][k], lin[1][k], lin[2][k]]));
            let top = tone[0].max(tone[1]).max(tone[2]).max(1e-4);
            let gain = ((l_tone + dl + 16.0) / (l_tone + 16.0)).powi(3).min(1.0 / top);
            let full = a > 0.5;
            for (k, (v, t)) in s.iter_mut().zip(tone).enumerate() {
                if full {
                    from[k] += luts.linear(*v as f32);
                    to[k] += t * gain;
                }
                let tone = luts.srgb(t * gain);
                *v = (*v as f32 + (tone - *v as f32) * a + 0.5).clamp(0.0, 255.0) as u8;
            }
            if full {
                toned += 1;
            }
        }
        // what the toning did to the skin on average, done to everything it left in the face
        // (eyes, brows, lips, lines, beard): a light brow or lip keeps its contrast to the toned
        // skin instead of its contrast to the model's skin
        if toned > 0 {
            let gain = [0, 1, 2].map(|k| (to[k] / from[k].max(1e-3)).clamp(0.5, 2.0));
            for (i, &r) in self.region.iter().enumerate() {
                let keep = 1.0 - self.alpha[i];
                if r == 0 || keep <= 0.0 {
                    continue;
                }
                let (src, dst) = (&self.model[i * 3..i * 3 + 3], &mut styled[i * 3..i * 3 + 3]);
                for k in 0..3 {
                    let moved = luts.srgb(luts.linear(src[k] as f32) * gain[k]) - src[k] as f32;
                    dst[k] = (dst[k] as f32 + moved * keep + 0.5).clamp(0.0, 255.0) as u8;
                }
            }
        }
        toned as f32 / oval as f32
    }

    /// Scanline-fill the polygon of landmarks `poly` (grown by `grow` around its centroid, in
    /// crop pixels) into the region with `value`.
    fn fill(&mut self, lm: &[[f32; 3]], poly: &[usize], m: &Affine2, grow: f32, n: usize, value: u8) {
        self.poly.clear();
        self.poly.extend(poly.iter().map(|&i| m.apply([lm[i][0], lm[i][1]])));
        let k = self.poly.len() as f32;
        let c = self.poly.iter().fold([0.0f32; 2], |a, p| [a[0] + p[0] / k, a[1] + p[1] / k]);
        for p in &mut self.poly {
            *p = [c[0] + (p[0] - c[0]) * grow, c[1] + (p[1] - c[1]) * grow];
        }
        let (y0, y1) = self.poly.iter().fold((f32::MAX, f32::MIN), |(lo, hi), p| (lo.min(p[1]), hi.max(p[1])));
        let rows = (y0.max(0.0) as usize)..((y1.ceil().max(0.0) as usize).min(n));
        for row in rows {
            let y = row as f32 + 0.5;
            self.xs.clear();
            let len = self.poly.len();
            for i in 0..len {
                let (a, b) = (self.poly[i], self.poly[(i + 1) % len]);
                if (a[1] > y) != (b[1] > y) {
                    self.xs.push(a[0] + (y - a[1]) / (b[1] - a[1]) * (b[0] - a[0]));
                }
            }
            self.xs.sort_by(f32::total_cmp);
            for pair in self.xs.chunks_exact(2) {
                let x0 = ((pair[0] - 0.5).ceil().max(0.0) as usize).min(n);
                let x1 = (((pair[1] - 0.5).floor() + 1.0).max(0.0) as usize).clamp(x0, n);
                self.region[row * n + x0..row * n + x1].fill(value);
            }
        }
    }
}

/// Transfer-curve tables (the toner runs them for every skin pixel).
#[derive(Debug)]
struct Luts {
    to_linear: Vec<f32>,
    to_srgb: Vec<f32>,
    lstar: Vec<f32>,
}

impl Luts {
    const LIN_STEPS: usize = 4096;

    fn new() -> Self {
        let lstar = |y: f32| linear_to_lab(y, y, y)[0];
        Luts {
            to_linear: (0..=1020).map(|i| to_linear(i as f32 / 1020.0)).collect(),
            to_srgb: (0..=Self::LIN_STEPS).map(|i| 255.0 * to_srgb(i as f32 / Self::LIN_STEPS as f32)).collect(),
            lstar: (0..=255).map(|v| lstar(to_linear(v as f32 / 255.0))).collect(),
        }
    }

    // (indices rounded by adding a half before truncating: `f32::round` is a libm call on the
    // baseline x86-64 target, and these run for every skin pixel)

    /// sRGB level (0-255) to linear light.
    fn linear(&self, v: f32) -> f32 {
        self.to_linear[(v * 4.0 + 0.5).clamp(0.0, 1020.0) as usize]
    }

    /// Linear light (0..1) to an sRGB level (0-255).
    fn srgb(&self, c: f32) -> f32 {
        self.to_srgb[(c * Self::LIN_STEPS as f32 + 0.5).clamp(0.0, Self::LIN_STEPS as f32) as usize]
    }

    /// L* of a grey of this level (0-255).
    fn lstar(&self, v: f32) -> f32 {
        self.lstar[(v + 0.5).clamp(0.0, 255.0) as usize]
    }
}

/// Separable box blur of radius `r` on an `n` x `n` image, in place.
fn blur(img: &mut [f32], n: usize, r: usize, line: &mut Vec<f32>) {
    let k = 1.0 / (2 * r + 1) as f32;
    line.resize(n, 0.0);
    for pass in 0..2 {
        for a in 0..n {
            for (b, v) in line.iter_mut().enumerate() {
                *v = if pass == 0 { img[a * n + b] } else { img[b * n + a] };
            }
            let mut acc: f32 = (0..=r).map(|j| line[j.min(n - 1)]).sum::<f32>() + line[0] * r as f32;
            for b in 0..n {
                let out = acc * k;
                if pass == 0 {
                    img[a * n + b] = out;
                } else {
                    img[b * n + a] = out;
                }
                acc += line[(b + r + 1).min(n - 1)] - line[b.saturating_sub(r)];
            }
        }
    }
}

fn luma8(p: &[u8]) -> f32 {
    0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32
}

fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draw::skin_ramp::srgb8_to_lab;

    fn stats() -> SkinStats {
        SkinStats {
            mean_rgb: [200.0, 150.0, 120.0],
            mean_ycbcr: rgb_to_ycbcr([200, 150, 120]),
            cov_cbcr: [9.0, 0.0, 9.0],
            luma_std: 10.0,
            samples: 500,
        }
    }

    /// A face-shaped set of landmarks: the oval a circle of radius 80 around (128, 128) in a
    /// 256 crop (identity alignment), features squeezed to points far from the test pixels.
    fn landmarks() -> Vec<[f32; 3]> {
        let mut lm = vec![[128.0, 40.0, 0.0]; 478];
        for (k, &i) in idx::FACE_OVAL.iter().enumerate() {
            let a = k as f32 / idx::FACE_OVAL.len() as f32 * std::f32::consts::TAU;
            lm[i] = [128.0 + 80.0 * a.cos(), 128.0 + 80.0 * a.sin(), 0.0];
        }
        lm
    }

    #[test]
    fn skin_takes_the_ramp_and_dark_lines_and_other_colours_stay() {
        let n = 256;
        let ramp = SkinRamp {
            shadow: [0.6, 0.4, 0.35],
            base: [0.9, 0.7, 0.6],
            light: [0.97, 0.85, 0.78],
            reference_luma: 160.0,
        };
        let mut original = vec![0u8; n * n * 3];
        for p in original.chunks_exact_mut(3) {
            p.copy_from_slice(&[200, 150, 120]);
        }
        // a green patch (not skin) at (100, 128)
        for y in 120..136 {
            for x in 92..108 {
                original[(y * n + x) * 3..(y * n + x) * 3 + 3].copy_from_slice(&[60, 160, 60]);
            }
        }
        let mut styled = original.clone();
        // a dark ink line at rows 149..152, a darker (shaded) region at rows 165..185 (tones are
        // chosen on a blurred brightness: a shade is a region, not a thin band)
        for x in 100..160 {
            for y in 149..152 {
                styled[(y * n + x) * 3..(y * n + x) * 3 + 3].copy_from_slice(&[40, 25, 25]);
            }
            for y in 165..185 {
                styled[(y * n + x) * 3..(y * n + x) * 3 + 3].copy_from_slice(&[150, 110, 90]);
            }
        }
        let ink = styled[(150 * n + 120) * 3..(150 * n + 120) * 3 + 3].to_vec();
        let green = styled[(128 * n + 100) * 3..(128 * n + 100) * 3 + 3].to_vec();
        let lm = landmarks();
        let s = stats();
        let input = ToneInput {
            original: &original,
            landmarks: &lm,
            crop_from_frame: &Affine2::IDENTITY,
            skin: &s,
            ramp: &ramp,
            strength: 1.0,
        };
        let share = FaceToner::default().tone(&input, &mut styled, n);
        assert!(share > 0.8, "most of the oval is skin: {share}");
        let at = |x: usize, y: usize| styled[(y * n + x) * 3..(y * n + x) * 3 + 3].to_vec();
        let base = ramp.base.map(|v| (v * 255.0).round() as u8).to_vec();
        let shadow = ramp.shadow.map(|v| (v * 255.0).round() as u8).to_vec();
        let lab = |p: &[u8]| srgb8_to_lab([p[0], p[1], p[2]]);
        let delta_e = |a: &[u8], b: &[u8]| {
            let (a, b) = (lab(a), lab(b));
            ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
        };
        // skin as bright as the median is the base tone itself
        let near = |a: &[u8], b: &[u8]| a.iter().zip(b).all(|(x, y)| x.abs_diff(*y) <= 2);
        assert!(near(&at(140, 110), &base), "plain skin takes the base tone: {:?} vs {base:?}", at(140, 110));
        // the shaded region is lighter than the shadow tone stands for: it takes the shadow tone
        // lifted by its own shading, at most SHADE_L, inside Delta-E 4 of the tone
        let shaded = at(130, 175);
        assert!(delta_e(&shaded, &shadow) <= 4.0, "the darker region takes the shadow tone: {shaded:?} vs {shadow:?}");
        let lift = lab(&shaded)[0] - lab(&shadow)[0];
        assert!((SHADE_L - 0.5..=SHADE_L + 0.5).contains(&lift), "its own shading kept within the tone: {lift:.2} L*");
        // no ring of shadow tone next to a line: the tone's blur sees skin, not the ink
        assert!(near(&at(120, 153), &base), "skin next to the line keeps the base tone: {:?}", at(120, 153));
        // what is not skin is not toned, but moves with the skin (as the whole face was graded):
        // a light brow or lip keeps its contrast to the toned skin. Here the ramp is lighter than
        // the model's skin, so everything in the face lightens by the skin's own gain
        let gain = |a: &[u8], b: &[u8]| -> [f32; 3] {
            [0, 1, 2].map(|k| to_linear(b[k] as f32 / 255.0) / to_linear(a[k] as f32 / 255.0))
        };
        let skin_gain = gain(&[200, 150, 120], &at(140, 110));
        let (ink_now, green_now) = (at(120, 150), at(100, 128));
        assert!(ink_now.iter().zip(&ink).all(|(a, b)| a.abs_diff(*b) <= 12), "ink stays ink: {ink:?} -> {ink_now:?}");
        assert!(
            green_now[1] as i32 - green_now[0] as i32 > 80,
            "a colour that is not skin is not toned: {green_now:?}"
        );
        let green_gain = gain(&green, &green_now);
        for k in 0..3 {
            assert!(
                (green_gain[k] / skin_gain[k] - 1.0).abs() < 0.12,
                "the green patch moved with the skin: channel {k} x{:.3} vs the skin's x{:.3}",
                green_gain[k],
                skin_gain[k]
            );
        }
        assert_eq!(at(5, 5), original[(5 * n + 5) * 3..(5 * n + 5) * 3 + 3].to_vec(), "outside the oval stays");
    }

    #[test]
    fn without_measured_skin_nothing_changes() {
        let n = 64;
        let original = vec![128u8; n * n * 3];
        let mut styled = original.clone();
        let mut s = stats();
        s.samples = 0;
        let ramp = SkinRamp { shadow: [0.0; 3], base: [0.0; 3], light: [0.0; 3], reference_luma: 160.0 };
        let lm = landmarks();
        let input = ToneInput {
            original: &original,
            landmarks: &lm,
            crop_from_frame: &Affine2::IDENTITY,
            skin: &s,
            ramp: &ramp,
            strength: 1.0,
        };
        assert_eq!(FaceToner::default().tone(&input, &mut styled, n), 0.0);
        assert_eq!(styled, original);
    }
}
