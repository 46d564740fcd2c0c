//! Fitting a character to art that does not come from the pipeline: flat pictures drawn here
//! with a known palette, cel shading with a known number of tones and outlines of known width and
//! colour, recovered by `character::fit` within the tolerances of issue 13 (palette and ink colour
//! within 8 CIE76 units, line width within 20%, tone steps exact), and odd pictures measured
//! without a panic.

mod common;

use common::Rng;
use image::{Rgb, RgbImage};
use webtoonme::character::fit::work::{WorkPicture, delta_e, lab_to_rgb8, rgb8_to_lab};
use webtoonme::character::fit::{FitPicture, fit};

/// A flat art style: base colours (Lab) each shaded in `tones` levels 14 L* apart, outlines.
struct Style {
    bases: Vec<[f32; 3]>,
    tones: usize,
    line_px: f32,
    ink: [u8; 3],
    background: [f32; 3],
}

impl Style {
    /// Every colour the art is made of (Lab): the background and each base's tones.
    fn palette(&self) -> Vec<[f32; 3]> {
        let mut v = vec![self.background];
        for b in &self.bases {
            for t in 0..self.tones {
                v.push(self.tone(*b, t));
            }
        }
        v
    }
    fn tone(&self, base: [f32; 3], t: usize) -> [f32; 3] {
        [base[0] - 14.0 * t as f32, base[1], base[2]]
    }
}

/// A picture of `style`: circles with cel shading (lit from the top left: nested crescents of
/// the tones, the lightest up-left), outlined; 4x4 supersampled.
fn draw(style: &Style, w: u32, h: u32, rng: &mut Rng) -> RgbImage {
    let bg = lab_to_rgb8(style.background);
    struct Disc {
        cx: f32,
        cy: f32,
        r: f32,
        tones: Vec<[f32; 3]>,
    }
    let mut discs = Vec::new();
    for k in 0..9 {
        let base = style.bases[k % style.bases.len()];
        let r = rng.range(0.08, 0.2) * w as f32;
        discs.push(Disc {
            cx: rng.range(0.1, 0.9) * w as f32,
            cy: rng.range(0.1, 0.9) * h as f32,
            r,
            tones: (0..style.tones)
                .map(|t| lab_to_rgb8(style.tone(base, t)).map(|v| v as f32))
                .map(|c| [c[0], c[1], c[2]])
                .collect(),
        });
    }
    let ink = style.ink.map(|v| v as f32);
    let half = style.line_px / 2.0;
    let mut img = RgbImage::new(w, h);
    for y in 0..h {
        for x in 0..w {
            let mut acc = [0.0f32; 3];
            for sy in 0..4 {
                for sx in 0..4 {
                    let (px, py) = (x as f32 + (sx as f32 + 0.5) / 4.0, y as f32 + (sy as f32 + 0.5) / 4.0);
                    let mut c = bg.map(|v| v as f32);
                    for d in &discs {
                        let dist = ((px - d.cx).powi(2) + (py - d.cy).powi(2)).sqrt();
                        if dist <= d.r + half {
                            if dist >= d.r - half {
                                c = ink;
                                continue;
                            }
                            // tone t (lightest first) inside the circle shifted up-left by
                            // (n - 1 - t) * 0.3 r: nested lit crescents
                            let n = d.tones.len();
                            let mut tone = n - 1;
                            for t in 0..n - 1 {
                                let o = (n - 1 - t) as f32 * 0.3 * d.r;
                                let (lx, ly) = (d.cx - o * 0.7, d.cy - o * 0.7);
                                if ((px - lx).powi(2) + (py - ly).powi(2)).sqrt() <= d.r {
                                    tone = t;
                                    break;
                                }
                            }
                            c = d.tones[tone];
                        }
                    }
                    for k in 0..3 {
                        acc[k] += c[k] / 16.0;
                    }
                }
            }
            img.put_pixel(x, y, Rgb(acc.map(|v| v.round().clamp(0.0, 255.0) as u8)));
        }
    }
    img
}

fn styles() -> Vec<(&'static str, Style)> {
    vec![
        (
            "pastel 2 tones, 3 px brown lines",
            Style {
                bases: vec![[85.0, 12.0, 14.0], [70.0, -25.0, 20.0], [75.0, 5.0, -30.0], [80.0, 30.0, -5.0]],
                tones: 2,
                line_px: 3.0,
                ink: [0x4a, 0x2c, 0x2a],
                background: [97.0, 0.0, 3.0],
            },
        ),
        (
            "bold 3 tones, 5 px black lines",
            Style {
                bases: vec![[80.0, 40.0, 50.0], [85.0, -30.0, -20.0], [88.0, 0.0, 60.0]],
                tones: 3,
                line_px: 5.0,
                ink: [0x14, 0x12, 0x18],
                background: [60.0, 0.0, -10.0],
            },
        ),
        (
            "muted 2 tones, 2 px navy lines",
            Style {
                bases: vec![[75.0, 8.0, 25.0], [60.0, -10.0, -25.0], [80.0, 20.0, 10.0]],
                tones: 2,
                line_px: 2.0,
                ink: [0x22, 0x2a, 0x48],
                background: [92.0, -3.0, 8.0],
            },
        ),
    ]
}

#[test]
fn flat_art_is_recovered() {
    let mut failures = Vec::new();
    for (seed, (name, style)) in styles().into_iter().enumerate() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((seed as u64 + 1) * 0x1234_5678));
        let (w, h) = (800, 600);
        let pics: Vec<FitPicture> = (0..4)
            .map(|i| FitPicture { name: format!("{i}.png"), image: draw(&style, w, h, &mut rng), faces: Vec::new() })
            .collect();
        if seed == 0 {
            let _ = pics[0].image.save(std::env::temp_dir().join("fit_art_0.png"));
            let work = WorkPicture::new(&pics[0].image);
            let _ =
                webtoonme::character::fit::work::debug_png(&work).save(std::env::temp_dir().join("fit_art_0_maps.png"));
        }
        let t0 = std::time::Instant::now();
        let f = fit(&pics);
        if std::env::var_os("FIT_DEBUG").is_some() {
            let work: Vec<WorkPicture> = pics.iter().map(|p| WorkPicture::new(&p.image)).collect();
            println!("{:?}", webtoonme::character::fit::colours::tones(&work));
        }
        println!("== {name} ({:.2} s)\n{f}", t0.elapsed().as_secs_f32());
        let pal = f.palette.as_ref().map(|p| p.value.clone()).unwrap_or_default();
        println!("  palette: truth -> nearest recovered (CIE76)");
        for t in style.palette() {
            let t = rgb8_to_lab(lab_to_rgb8(t));
            let best = pal.iter().map(|p| (p.colour, delta_e(p.colour.lab(), t))).min_by(|a, b| a.1.total_cmp(&b.1));
            let (c, d) = best.map(|(c, d)| (c.to_string(), d)).unwrap_or(("-".into(), f32::MAX));
            let truth = lab_to_rgb8(t);
            println!("    #{:02x}{:02x}{:02x} -> {c} dE {d:.1}", truth[0], truth[1], truth[2]);
            if d > 8.0 {
                failures.push(format!("{name}: palette colour {truth:?} recovered at dE {d:.1}"));
            }
        }
        // line width in the picture's pixels (line_px is at a 640 px long side)
        let px = f.line_px.as_ref().map(|m| m.value * w.max(h) as f32 / 640.0).unwrap_or(0.0);
        println!("  line width: truth {:.2} px, recovered {px:.2} px", style.line_px);
        if (px - style.line_px).abs() > 0.2 * style.line_px {
            failures.push(format!("{name}: line width {px:.2} px for {}", style.line_px));
        }
        let ink = f.ink_color.as_ref().map(|m| m.value);
        let ink_de = ink.map(|c| delta_e(c.lab(), rgb8_to_lab(style.ink))).unwrap_or(f32::MAX);
        println!("  ink colour: truth {:?}, recovered {:?} dE {ink_de:.1}", style.ink, ink.map(|c| c.to_string()));
        if ink_de > 8.0 {
            failures.push(format!("{name}: ink colour dE {ink_de:.1}"));
        }
        let steps = f.tone_steps.as_ref().map(|m| m.value).unwrap_or(0);
        println!("  tone steps: truth {}, recovered {steps}", style.tones);
        if steps as usize != style.tones {
            failures.push(format!("{name}: {steps} tone steps for {}", style.tones));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn odd_pictures_do_not_panic() {
    let grey = RgbImage::from_fn(300, 200, |x, y| {
        let v = ((x / 20 + y / 20) % 2 * 120 + 60) as u8;
        Rgb([v, v, v])
    });
    let cases = vec![
        RgbImage::new(1, 1),
        RgbImage::new(3, 1),
        RgbImage::from_pixel(64, 64, Rgb([0, 0, 0])),
        RgbImage::from_pixel(64, 64, Rgb([255, 255, 255])),
        grey,
        RgbImage::from_fn(2500, 40, |x, _| Rgb([(x % 256) as u8, 0, 255])),
    ];
    for img in cases {
        let (w, h) = img.dimensions();
        let f = fit(&[FitPicture { name: "odd".into(), image: img, faces: Vec::new() }]);
        let _ = f.to_keys();
        let _ = format!("{f}");
        let _ = serde_json::to_string(&f).unwrap();
        println!("{w}x{h}: {:?} tone steps, ink {:?}", f.tone_steps.map(|m| m.value), f.ink_darkness.map(|m| m.value));
    }
    let empty = fit(&[]);
    assert!(empty.palette.is_none());
}
