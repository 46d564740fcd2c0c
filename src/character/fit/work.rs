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
    /// Local background of each pixel per sRGB channel (closing of each channel).
    pub background: Vec<[f32; 3]>,
    /// `tophat >= INK_DARK`.
    pub ink: Vec<bool>,
    /// Flat colour: no ink near, every neighbour within [`FLAT_DE`].
    pub flat: Vec<bool>,
    /// Centre points of ink lines: (pixel index, full width at half darkness in working px).
    pub cores: Vec<(usize, f32)>,
}

fn to_linear(c: f32) -> f32 {
    if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
}

/// sRGB 8-bit to linear, once.
fn linear_lut() -> [f32; 256] {
    let mut t = [0.0; 256];
    for (i, v) in t.iter_mut().enumerate() {
        *v = to_linear(i as f32 / 255.0);
    }
    t
}

/// Linear RGB to CIE Lab (D65), the same matrix as [`crate::draw::skin_ramp::srgb_to_lab`].
fn linear_to_lab(r: f32, g: f32, b: f32) -> [f32; 3] {
    let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
    let f = |t: f32| if t > 0.008856 { t.cbrt() } else { 7.787 * t + 16.0 / 116.0 };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

pub fn rgb8_to_lab(c: [u8; 3]) -> [f32; 3] {
    let f = |v: u8| to_linear(v as f32 / 255.0);
    linear_to_lab(f(c[0]), f(c[1]), f(c[2]))
}

/// sRGB (0..1) to CIE Lab.
pub fn srgb_to_lab(c: [f32; 3]) -> [f32; 3] {
    let c = c.map(|v| to_linear(v.clamp(0.0, 1.0)));
    linear_to_lab(c[0], c[1], c[2])
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
            background: Vec::new(),
            ink: Vec::new(),
            flat: Vec::new(),
            cores: Vec::new(),
        };
        if n > 0 {
            pic.find_ink();
            pic.find_flat();
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
        let closed = closing(&l, w, h, INK_RADIUS);
        self.tophat = closed.iter().zip(&l).map(|(c, v)| (c - v).max(0.0)).collect();
        self.ink = self.tophat.iter().map(|&t| t >= INK_DARK).collect();
        let chans: Vec<Vec<f32>> =
            (0..3).map(|k| closing(&self.rgb.iter().map(|c| c[k]).collect::<Vec<_>>(), w, h, INK_RADIUS)).collect();
        self.background = (0..w * h).map(|i| [chans[0][i], chans[1][i], chans[2][i]]).collect();
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
                let mut best = f32::MAX;
                for &(dx, dy, step) in &DIRS {
                    let mut run = 0.0;
                    for sign in [-1isize, 1] {
                        let mut k = 1;
                        loop {
                            let u = at(x + sign * dx * k, y + sign * dy * k);
                            if u < half {
                                // the half level lies between k-1 and k
                                let prev = at(x + sign * dx * (k - 1), y + sign * dy * (k - 1));
                                let t = if prev > u { (prev - half) / (prev - u) } else { 0.5 };
                                run += (k - 1) as f32 + t;
                                break;
                            }
                            if k > 2 * INK_RADIUS as isize {
                                run += k as f32;
                                break;
                            }
                            k += 1;
                        }
                    }
                    best = best.min(run * step);
                }
                cores.push((y as usize * w + x as usize, best));
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
