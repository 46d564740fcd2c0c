//! One picture at the working size: its colours in CIE Lab and in the generator's luma, where its
//! ink is (thin dark structures), how wide and what colour that ink is, and which pixels are flat
//! colour.
//!
//! In: an RGB picture (any size, at least 1x1). Out: a [`WorkPicture`] (downscaled to at most
//! [`WORK_SIDE`] on its long side) with per-pixel maps and the ink measurements. Pure; runs on
//! the caller's thread.

use image::RgbImage;
use image::imageops::{self, FilterType};

/// Long side the pictures are measured at. Big enough that 1-2 px lines of a 2000 px page
/// survive, small enough that dozens of pages take seconds.
pub const WORK_SIDE: u32 = 1024;
/// Long side of the generator's background graph (`max_side` of the built-in packs): ink widths
/// are reported in pixels at this size, the unit `ink_sigma` is in.
pub const GRAPH_SIDE: f32 = 640.0;
/// Radius of the closing that takes ink out (px at the working size): structures up to
/// `2 * INK_RADIUS + 1` px wide count as ink.
const INK_RADIUS: usize = 6;
/// Darker than the closing by this many L* units: ink.
pub const INK_DARK: f32 = 12.0;
/// Distance of the two ends of a boundary crossing (px at the working size).
const OUTLINE_SPAN: usize = 8;
/// Largest colour difference to a neighbour (CIE76) of a flat pixel.
const FLAT_DE: f32 = 3.0;

/// A picture at the working size and what was measured on it.
#[derive(Debug, Clone)]
pub struct WorkPicture {
    pub width: usize,
    pub height: usize,
    /// Working size over original size.
    pub scale: f32,
    /// sRGB, 0..1.
    pub rgb: Vec<[f32; 3]>,
    pub lab: Vec<[f32; 3]>,
    /// The generator's luma (BT.601 on the sRGB values), 0..1.
    pub luma: Vec<f32>,
    /// How much darker than its surroundings (black top-hat of L*, L* units).
    pub tophat: Vec<f32>,
    /// `tophat >= INK_DARK`.
    pub ink: Vec<bool>,
    /// Flat colour: no ink near, every neighbour within [`FLAT_DE`].
    pub flat: Vec<bool>,
    /// Centre points of ink lines.
    pub cores: Vec<Core>,
    /// Inside a face oval found in the picture (empty: no faces); set by the caller.
    pub in_face: Vec<bool>,
    /// Share of the boundaries between light and dark that are drawn with a line (see
    /// `find_outlines`); 0 without boundaries.
    pub outlined: f32,
    /// Boundaries counted for `outlined`.
    pub crossings: usize,
    /// Share of the pixels at least 20 L* darker than their closing (clearly inked).
    pub dark_share: f32,
}

/// The centre of an ink line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Core {
    /// Pixel index.
    pub at: usize,
    /// Full width at half darkness, working px (narrowest of four directions).
    pub width: f32,
    /// A pixel just past the line, on its darker side.
    pub beside: usize,
}

/// sRGB 8-bit to linear, once.
fn linear_lut() -> [f32; 256] {
    let mut t = [0.0; 256];
    for (i, v) in t.iter_mut().enumerate() {
        *v = to_linear(i as f32 / 255.0);
    }
    t
}

/// 8-bit sRGB to CIE Lab.
pub use crate::draw::skin_ramp::srgb8_to_lab as rgb8_to_lab;
use crate::draw::skin_ramp::{linear_to_lab, to_linear};

/// sRGB (0..1) to CIE Lab.
pub fn srgb_to_lab(c: [f32; 3]) -> [f32; 3] {
    crate::draw::skin_ramp::srgb_to_lab(c.map(|v| v.clamp(0.0, 1.0)))
}

/// CIE Lab to 8-bit sRGB (clamped into the gamut).
pub fn lab_to_rgb8(lab: [f32; 3]) -> [u8; 3] {
    crate::draw::skin_ramp::lab_to_srgb(lab).map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
}

/// CIE76 colour difference.
pub fn delta_e(a: [f32; 3], b: [f32; 3]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// Max (`max = true`) or min filter over a (2r+1)^2 square, separable, clamped at the borders.
fn rank_filter(src: &[f32], w: usize, h: usize, r: usize, max: bool) -> Vec<f32> {
    let pick = if max { f32::max } else { f32::min };
    let mut tmp = vec![0.0; w * h];
    for y in 0..h {
        let row = &src[y * w..(y + 1) * w];
        for x in 0..w {
            let (a, b) = (x.saturating_sub(r), (x + r).min(w - 1));
            tmp[y * w + x] = row[a..=b].iter().copied().fold(row[x], pick);
        }
    }
    let mut out = vec![0.0; w * h];
    for x in 0..w {
        for y in 0..h {
            let (a, b) = (y.saturating_sub(r), (y + r).min(h - 1));
            let mut v = tmp[y * w + x];
            for yy in a..=b {
                v = pick(v, tmp[yy * w + x]);
            }
            out[y * w + x] = v;
        }
    }
    out
}

fn closing(src: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    rank_filter(&rank_filter(src, w, h, r, true), w, h, r, false)
}

/// The four directions a line's width is measured across, and their step length.
const DIRS: [(isize, isize, f32); 4] =
    [(1, 0, 1.0), (0, 1, 1.0), (1, 1, std::f32::consts::SQRT_2), (1, -1, std::f32::consts::SQRT_2)];

impl WorkPicture {
    /// Downscale to the working size and measure.
    pub fn new(img: &RgbImage) -> Self {
        let (ow, oh) = (img.width().max(1), img.height().max(1));
        let long = ow.max(oh);
        let small;
        let (img, scale) = if long > WORK_SIDE {
            let s = WORK_SIDE as f32 / long as f32;
            let (w, h) = (((ow as f32 * s).round() as u32).max(1), ((oh as f32 * s).round() as u32).max(1));
            small = imageops::resize(img, w, h, FilterType::Triangle);
            (&small, s)
        } else {
            (img, 1.0)
        };
        let (w, h) = (img.width() as usize, img.height() as usize);
        let lut = linear_lut();
        let n = w * h;
        let mut rgb = Vec::with_capacity(n);
        let mut lab = Vec::with_capacity(n);
        let mut luma = Vec::with_capacity(n);
        for p in img.pixels() {
            let [r, g, b] = p.0;
            let c = [r as f32 / 255.0, g as f32 / 255.0, b as f32 / 255.0];
            rgb.push(c);
            luma.push(0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]);
            lab.push(linear_to_lab(lut[r as usize], lut[g as usize], lut[b as usize]));
        }
        let mut pic = Self {
            width: w,
            height: h,
            scale,
            rgb,
            lab,
            luma,
            tophat: Vec::new(),
            ink: Vec::new(),
            flat: Vec::new(),
            cores: Vec::new(),
            in_face: Vec::new(),
            outlined: 0.0,
            crossings: 0,
            dark_share: 0.0,
        };
        if n > 0 {
            pic.find_ink();
            pic.find_flat();
            pic.find_outlines();
        }
        pic
    }

    pub fn len(&self) -> usize {
        self.width * self.height
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn find_ink(&mut self) {
        let (w, h) = (self.width, self.height);
        let l: Vec<f32> = self.lab.iter().map(|c| c[0]).collect();
        let l = &l[..];
        let closed = closing(l, w, h, INK_RADIUS);
        self.tophat = closed.iter().zip(l).map(|(c, v)| (c - v).max(0.0)).collect();
        self.ink = self.tophat.iter().map(|&t| t >= INK_DARK).collect();
        // line centres: darkest across the line in some direction; width at half that darkness
        let th = &self.tophat;
        let mut cores = Vec::new();
        let at = |x: isize, y: isize| -> f32 {
            if x < 0 || y < 0 || x >= w as isize || y >= h as isize { 0.0 } else { th[y as usize * w + x as usize] }
        };
        for y in 0..h as isize {
            for x in 0..w as isize {
                let v = at(x, y);
                if v < INK_DARK {
                    continue;
                }
                let centre = DIRS.iter().any(|&(dx, dy, _)| v >= at(x + dx, y + dy) && v > at(x - dx, y - dy));
                if !centre {
                    continue;
                }
                let half = 0.5 * v;
                let (mut best, mut beside) = (f32::MAX, y as usize * w + x as usize);
                for &(dx, dy, step) in &DIRS {
                    let mut runs = [0.0f32; 2];
                    for (side, sign) in [-1isize, 1].into_iter().enumerate() {
                        let mut k = 1;
                        loop {
                            let u = at(x + sign * dx * k, y + sign * dy * k);
                            if u < half {
                                // the half level lies between k-1 and k
                                let prev = at(x + sign * dx * (k - 1), y + sign * dy * (k - 1));
                                let t = if prev > u { (prev - half) / (prev - u) } else { 0.5 };
                                runs[side] = (k - 1) as f32 + t;
                                break;
                            }
                            if k > 2 * INK_RADIUS as isize {
                                runs[side] = k as f32;
                                break;
                            }
                            k += 1;
                        }
                    }
                    let width = (runs[0] + runs[1]) * step;
                    if width < best {
                        best = width;
                        // the pixels just past the line on either side; its background is the
                        // darker one (the generator inks the dark side of an edge)
                        let past = |side: usize, sign: isize| -> Option<usize> {
                            let k = runs[side].ceil() as isize + 1;
                            let (px, py) = (x + sign * dx * k, y + sign * dy * k);
                            (px >= 0 && py >= 0 && px < w as isize && py < h as isize)
                                .then(|| py as usize * w + px as usize)
                        };
                        let sides: Vec<usize> = [past(0, -1), past(1, 1)].into_iter().flatten().collect();
                        if let Some(&b) = sides.iter().min_by(|a, b| l[**a].total_cmp(&l[**b])) {
                            beside = b;
                        }
                    }
                }
                cores.push(Core { at: y as usize * w + x as usize, width: best, beside });
            }
        }
        self.cores = cores;
    }

    fn find_flat(&mut self) {
        let (w, h) = (self.width, self.height);
        // no ink within one pixel
        let inkish: Vec<bool> = self.tophat.iter().map(|&t| t >= 0.5 * INK_DARK).collect();
        self.flat = vec![false; w * h];
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                let mut flat = !inkish[i];
                'n: for dy in -1isize..=1 {
                    for dx in -1isize..=1 {
                        let (nx, ny) = (x as isize + dx, y as isize + dy);
                        if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize || !flat {
                            continue;
                        }
                        let j = ny as usize * w + nx as usize;
                        if inkish[j] || delta_e(self.lab[i], self.lab[j]) > FLAT_DE {
                            flat = false;
                            break 'n;
                        }
                    }
                }
                self.flat[i] = flat;
            }
        }
    }

    /// Pairs of points [`OUTLINE_SPAN`] px apart (across and down) that differ by 20 L* or more,
    /// neither on ink: a boundary between them. It is outlined when a pixel between them is
    /// darker than both ends by [`INK_DARK`] (a line, not a plain step).
    fn find_outlines(&mut self) {
        let (w, h) = (self.width, self.height);
        let l: Vec<f32> = self.lab.iter().map(|c| c[0]).collect();
        let (mut crossings, mut inked) = (0usize, 0usize);
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                if self.tophat[i] >= 0.5 * INK_DARK {
                    continue;
                }
                for (dx, dy) in [(1usize, 0usize), (0, 1)] {
                    let (ex, ey) = (x + dx * OUTLINE_SPAN, y + dy * OUTLINE_SPAN);
                    if ex >= w || ey >= h {
                        continue;
                    }
                    let j = ey * w + ex;
                    if self.tophat[j] >= 0.5 * INK_DARK || (l[i] - l[j]).abs() < 20.0 {
                        continue;
                    }
                    crossings += 1;
                    let floor = l[i].min(l[j]) - INK_DARK;
                    inked += usize::from((1..OUTLINE_SPAN).any(|k| l[(y + dy * k) * w + x + dx * k] < floor));
                }
            }
        }
        self.crossings = crossings;
        self.outlined = if crossings > 0 { inked as f32 / crossings as f32 } else { 0.0 };
        self.dark_share = self.tophat.iter().filter(|&&t| t >= 20.0).count() as f32 / (w * h) as f32;
    }

    /// Share of the picture that is ink.
    pub fn ink_share(&self) -> f32 {
        if self.ink.is_empty() {
            return 0.0;
        }
        self.ink.iter().filter(|&&b| b).count() as f32 / self.ink.len() as f32
    }

    /// Ink line centres per 1000 px of the picture's long side (how much line the picture has).
    pub fn line_length(&self) -> f32 {
        self.cores.len() as f32 / (self.width.max(self.height) as f32 / 1000.0)
    }
}

/// Debug pictures: ink (red, brighter = darker line), flat pixels (the colour), the rest grey.
pub fn debug_png(pic: &WorkPicture) -> RgbImage {
    let mut out = RgbImage::new(pic.width as u32, pic.height as u32);
    for (i, p) in out.pixels_mut().enumerate() {
        let c = pic.rgb[i];
        p.0 = if pic.ink[i] {
            [255, (255.0 - pic.tophat[i] * 4.0).clamp(0.0, 255.0) as u8, 0]
        } else if pic.flat[i] {
            c.map(|v| (v * 255.0) as u8)
        } else {
            [40, 40, 40]
        };
    }
    out
}
