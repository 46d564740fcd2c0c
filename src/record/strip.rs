//! The four-cut strip, the booth classic: four shots stacked in a tall frame, with a footer (an
//! optional logo and a caption: the date, the characters worn).
//!
//! In: four RGB8 shots (any size, each cropped to the strip's aspect around its centre) and a
//! [`StripStyle`] read from a style folder (`assets/strip/strip.toml`, or `WEBTOONME_STRIP`),
//! which is untrusted input like a character pack: the TOML is size-limited, unknown keys and
//! out-of-range values are errors naming the file and the line, the logo must be a PNG inside the
//! folder. Out: the strip as an RGB8 picture (saved by [`super::photo::save_png`]). Runs on the
//! window's "keeper" thread.

use std::path::{Path, PathBuf};

use ab_glyph::{Font as _, FontRef, PxScale, ScaleFont as _};
use image::{RgbImage, RgbaImage, imageops};
use serde::Deserialize;

use super::photo::KeepError;

/// Shots on a strip.
pub const SHOTS: usize = 4;
/// Largest strip.toml read.
const MAX_TOML_BYTES: u64 = 64 * 1024;
/// Largest logo side, pixels.
const MAX_LOGO_SIDE: u32 = 2048;

/// How a strip looks (`strip.toml`; every key optional).
#[derive(Debug, Clone, PartialEq)]
pub struct StripStyle {
    /// The frame's colour.
    pub background: [u8; 3],
    /// Width of each shot on the strip, pixels (the strip is this plus two margins wide).
    pub shot_width: u32,
    /// Each shot is cropped to width:height around its centre.
    pub aspect: [u32; 2],
    /// Around the shots, and between them.
    pub margin: u32,
    pub gap: u32,
    /// A line around each shot (0: none).
    pub border: [u8; 3],
    pub border_width: u32,
    /// The footer below the shots: its height; a title line and a caption line below it
    /// (`{date}` and `{characters}` replaced in both), their sizes and colours; and a logo drawn
    /// above them (scaled to fit). Empty lines are left out.
    pub footer_height: u32,
    pub title: String,
    pub title_size: f32,
    pub title_color: [u8; 3],
    pub caption: String,
    pub caption_size: f32,
    pub caption_color: [u8; 3],
    pub logo: Option<RgbaImage>,
    /// Where the style came from (for messages).
    pub source: Option<PathBuf>,
}

impl Default for StripStyle {
    fn default() -> Self {
        Self {
            background: [255, 246, 240],
            shot_width: 600,
            aspect: [4, 3],
            margin: 36,
            gap: 22,
            border: [43, 34, 48],
            border_width: 3,
            footer_height: 150,
            title: "webtoonme".into(),
            title_size: 46.0,
            title_color: [255, 92, 138],
            caption: "{characters}  ·  {date}".into(),
            caption_size: 24.0,
            caption_color: [110, 96, 112],
            logo: None,
            source: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StripFile {
    background: Option<toml::Spanned<String>>,
    shot_width: Option<toml::Spanned<i64>>,
    aspect: Option<toml::Spanned<Vec<i64>>>,
    margin: Option<toml::Spanned<i64>>,
    gap: Option<toml::Spanned<i64>>,
    border: Option<toml::Spanned<String>>,
    border_width: Option<toml::Spanned<i64>>,
    footer_height: Option<toml::Spanned<i64>>,
    title: Option<toml::Spanned<String>>,
    title_size: Option<toml::Spanned<f64>>,
    title_color: Option<toml::Spanned<String>>,
    caption: Option<toml::Spanned<String>>,
    caption_size: Option<toml::Spanned<f64>>,
    caption_color: Option<toml::Spanned<String>>,
    logo: Option<toml::Spanned<String>>,
}

impl StripStyle {
    /// The style in `folder` (`strip.toml`); the default style when the folder has none.
    pub fn load(folder: &Path) -> Result<StripStyle, KeepError> {
        let path = folder.join("strip.toml");
        let error = |reason: String| KeepError::Style { path: path.clone(), reason };
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(StripStyle::default()),
            Err(e) => return Err(error(format!("cannot read: {e}"))),
        };
        if meta.len() > MAX_TOML_BYTES {
            return Err(error(format!("{} bytes, at most {MAX_TOML_BYTES} are read", meta.len())));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| error(format!("cannot read: {e}")))?;
        let line_of = |span: std::ops::Range<usize>| text[..span.start.min(text.len())].lines().count().max(1);
        let file: StripFile = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(line_of).map_or(String::new(), |l| format!("line {l}: "));
            error(format!("{line}{}", e.message()))
        })?;
        let at = |span: std::ops::Range<usize>, reason: String| error(format!("line {}: {reason}", line_of(span)));
        let mut style = StripStyle { source: Some(path.clone()), ..StripStyle::default() };
        let int = |v: &Option<toml::Spanned<i64>>, key: &str, range: std::ops::RangeInclusive<i64>, into: &mut u32| {
            if let Some(v) = v {
                if !range.contains(v.get_ref()) {
                    return Err(at(
                        v.span(),
                        format!("{key} = {} is outside {}..={}", v.get_ref(), range.start(), range.end()),
                    ));
                }
                *into = *v.get_ref() as u32;
            }
            Ok(())
        };
        int(&file.shot_width, "shot_width", 64..=2400, &mut style.shot_width)?;
        int(&file.margin, "margin", 0..=400, &mut style.margin)?;
        int(&file.gap, "gap", 0..=400, &mut style.gap)?;
        int(&file.border_width, "border_width", 0..=40, &mut style.border_width)?;
        int(&file.footer_height, "footer_height", 0..=1200, &mut style.footer_height)?;
        let colour = |v: &Option<toml::Spanned<String>>, key: &str, into: &mut [u8; 3]| {
            if let Some(v) = v {
                *into = crate::character::parse_hex_colour(v.get_ref()).ok_or_else(|| {
                    at(v.span(), format!("{key} = {:?} is not a colour written #rrggbb", v.get_ref()))
                })?;
            }
            Ok(())
        };
        colour(&file.background, "background", &mut style.background)?;
        colour(&file.border, "border", &mut style.border)?;
        colour(&file.caption_color, "caption_color", &mut style.caption_color)?;
        colour(&file.title_color, "title_color", &mut style.title_color)?;
        if let Some(a) = &file.aspect {
            match a.get_ref().as_slice() {
                &[w, h] if (1..=32).contains(&w) && (1..=32).contains(&h) && w * 4 >= h && h * 4 >= w => {
                    style.aspect = [w as u32, h as u32];
                }
                _ => {
                    return Err(at(
                        a.span(),
                        "aspect must be [width, height], 1..=32 each, at most 4:1 either way".into(),
                    ));
                }
            }
        }
        let text = |v: &Option<toml::Spanned<String>>, key: &str, into: &mut String| {
            if let Some(c) = v {
                if c.get_ref().chars().count() > 120 {
                    return Err(at(c.span(), format!("{key} is longer than 120 characters")));
                }
                *into = crate::character::escape_controls(c.get_ref());
            }
            Ok(())
        };
        text(&file.title, "title", &mut style.title)?;
        text(&file.caption, "caption", &mut style.caption)?;
        let size = |v: &Option<toml::Spanned<f64>>, key: &str, into: &mut f32| {
            if let Some(s) = v {
                if !(8.0..=200.0).contains(s.get_ref()) {
                    return Err(at(s.span(), format!("{key} = {} is outside 8..=200", s.get_ref())));
                }
                *into = *s.get_ref() as f32;
            }
            Ok(())
        };
        size(&file.title_size, "title_size", &mut style.title_size)?;
        size(&file.caption_size, "caption_size", &mut style.caption_size)?;
        if let Some(logo) = &file.logo {
            style.logo = Some(load_logo(folder, logo.get_ref()).map_err(|reason| at(logo.span(), reason))?);
        }
        Ok(style)
    }

    /// Size of the strip this style makes, pixels.
    pub fn size(&self) -> (u32, u32) {
        let shot_h = self.shot_height();
        let w = self.shot_width + 2 * self.margin;
        let h = self.margin
            + SHOTS as u32 * shot_h
            + (SHOTS as u32 - 1) * self.gap
            + self.margin.max(self.gap)
            + self.footer_height;
        (w, h)
    }

    fn shot_height(&self) -> u32 {
        (self.shot_width as u64 * self.aspect[1] as u64 / self.aspect[0].max(1) as u64).max(1) as u32
    }

    /// Where shot `k` goes on the strip: (x, y, width, height).
    pub fn shot_rect(&self, k: usize) -> (u32, u32, u32, u32) {
        let h = self.shot_height();
        (self.margin, self.margin + k as u32 * (h + self.gap), self.shot_width, h)
    }
}

/// A PNG named by the style, inside its folder.
fn load_logo(folder: &Path, name: &str) -> Result<RgbaImage, String> {
    let folder_real = folder.canonicalize().map_err(|e| format!("cannot resolve the style folder: {e}"))?;
    let path = folder.join(name);
    let real = path.canonicalize().map_err(|e| format!("logo {name:?}: {e}"))?;
    if !real.starts_with(&folder_real) {
        return Err(format!("logo {name:?} is outside the style folder"));
    }
    let bytes = std::fs::read(&real).map_err(|e| format!("logo {name:?}: {e}"))?;
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(format!("logo {name:?} is not a PNG file"));
    }
    let reader = image::ImageReader::with_format(std::io::Cursor::new(&bytes), image::ImageFormat::Png);
    let (w, h) = reader.into_dimensions().map_err(|e| format!("logo {name:?}: {e}"))?;
    if w.max(h) > MAX_LOGO_SIDE {
        return Err(format!("logo {name:?} is {w}x{h}; at most {MAX_LOGO_SIDE} px a side"));
    }
    crate::quiet_panic::catch_quietly(|| image::load_from_memory_with_format(&bytes, image::ImageFormat::Png))
        .map_err(|e| format!("logo {name:?}: {e}"))?
        .map(|img| img.into_rgba8())
        .map_err(|e| format!("logo {name:?}: {e}"))
}

/// The strip of `shots` (in order, top to bottom) in `style`; `characters` are the names worn
/// (for `{characters}`), `date` the text for `{date}`.
pub fn four_cut(shots: &[RgbImage; SHOTS], style: &StripStyle, date: &str, characters: &[String]) -> RgbImage {
    let (w, h) = style.size();
    let mut strip = RgbImage::from_pixel(w, h, image::Rgb(style.background));
    for (k, shot) in shots.iter().enumerate() {
        let (x, y, sw, sh) = style.shot_rect(k);
        let fitted = crop_to(shot, sw, sh);
        let b = style.border_width;
        if b > 0 {
            let frame = RgbImage::from_pixel(sw + 2 * b, sh + 2 * b, image::Rgb(style.border));
            imageops::replace(&mut strip, &frame, (x as i64) - b as i64, (y as i64) - b as i64);
        }
        imageops::replace(&mut strip, &fitted, x as i64, y as i64);
    }
    // the footer: the logo, then the title and the caption, centred as a block
    let footer_top = style.shot_rect(SHOTS - 1).1 + style.shot_height() + style.margin.max(style.gap);
    let fill = |t: &str| t.replace("{date}", date).replace("{characters}", &characters.join(" & "));
    let lines: Vec<(String, f32, [u8; 3])> = [
        (&style.title, style.title_size, style.title_color),
        (&style.caption, style.caption_size, style.caption_color),
    ]
    .into_iter()
    .map(|(t, size, colour)| (fill(t).trim_matches(|c: char| c == ' ' || c == '·').to_string(), size, colour))
    .filter(|(t, _, _)| !t.is_empty())
    .collect();
    let text_h: f32 = lines.iter().map(|(_, size, _)| size * 1.25).sum();
    let logo = style.logo.as_ref().map(|logo| {
        let room_h = (style.footer_height as f32 - text_h - 12.0).max(0.0);
        let scale = (room_h / logo.height() as f32).min(style.shot_width as f32 / logo.width() as f32).min(1.0);
        imageops::resize(
            logo,
            ((logo.width() as f32 * scale) as u32).max(1),
            ((logo.height() as f32 * scale) as u32).max(1),
            imageops::FilterType::CatmullRom,
        )
    });
    let logo_h = logo.as_ref().map_or(0.0, |l| l.height() as f32 + 8.0);
    let mut y = footer_top as f32 + ((style.footer_height as f32 - logo_h - text_h) * 0.5).max(0.0);
    if let Some(logo) = logo {
        blend_rgba(&mut strip, &logo, (w - logo.width()) / 2, y as u32);
        y += logo_h;
    }
    for (text, size, colour) in &lines {
        y += size * 1.25;
        draw_text(&mut strip, text, *size, *colour, w as f32 / 2.0, y - size * 0.3);
    }
    strip
}

/// `img` cropped to `w:h` around its centre and scaled to `w x h`.
fn crop_to(img: &RgbImage, w: u32, h: u32) -> RgbImage {
    let (iw, ih) = img.dimensions();
    let (cw, ch) = if iw as u64 * h as u64 > ih as u64 * w as u64 {
        ((ih as u64 * w as u64 / h as u64) as u32, ih)
    } else {
        (iw, (iw as u64 * h as u64 / w as u64) as u32)
    };
    let crop = imageops::crop_imm(img, (iw - cw) / 2, (ih - ch) / 2, cw.max(1), ch.max(1)).to_image();
    imageops::resize(&crop, w, h, imageops::FilterType::CatmullRom)
}

fn blend_rgba(dst: &mut RgbImage, src: &RgbaImage, x0: u32, y0: u32) {
    for (x, y, p) in src.enumerate_pixels() {
        let (dx, dy) = (x0 + x, y0 + y);
        if dx >= dst.width() || dy >= dst.height() {
            continue;
        }
        let a = p[3] as u32;
        let d = dst.get_pixel_mut(dx, dy);
        for c in 0..3 {
            d[c] = ((p[c] as u32 * a + d[c] as u32 * (255 - a) + 127) / 255) as u8;
        }
    }
}

/// Draws `text` centred on `centre_x` with its baseline at `baseline_y`, in egui's default
/// proportional font (Ubuntu Light, bundled with egui).
fn draw_text(img: &mut RgbImage, text: &str, size: f32, colour: [u8; 3], centre_x: f32, baseline_y: f32) {
    let Ok(font) = FontRef::try_from_slice(epaint_default_fonts::UBUNTU_LIGHT) else { return };
    let scaled = font.as_scaled(PxScale::from(size));
    let mut glyphs = Vec::with_capacity(text.len());
    let (mut x, mut previous) = (0.0f32, None);
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = previous {
            x += scaled.kern(p, id);
        }
        glyphs.push(id.with_scale_and_position(scaled.scale(), ab_glyph::point(x, 0.0)));
        x += scaled.h_advance(id);
        previous = Some(id);
    }
    let left = centre_x - x / 2.0;
    for glyph in glyphs {
        let position = ab_glyph::point(left + glyph.position.x, baseline_y);
        let Some(outline) = font.outline_glyph(ab_glyph::Glyph { position, ..glyph }) else { continue };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let (px, py) = (bounds.min.x as i64 + gx as i64, bounds.min.y as i64 + gy as i64);
            if px < 0 || py < 0 || px >= img.width() as i64 || py >= img.height() as i64 {
                return;
            }
            let a = coverage.clamp(0.0, 1.0);
            let d = img.get_pixel_mut(px as u32, py as u32);
            for c in 0..3 {
                d[c] = (d[c] as f32 * (1.0 - a) + colour[c] as f32 * a).round() as u8;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shot(rgb: [u8; 3]) -> RgbImage {
        RgbImage::from_pixel(1280, 720, image::Rgb(rgb))
    }

    #[test]
    fn four_shots_in_order_framed_with_a_caption() {
        let style = StripStyle::default();
        let colours = [[200, 30, 30], [30, 200, 30], [30, 30, 200], [200, 200, 30]];
        let shots = colours.map(shot);
        let strip = four_cut(&shots, &style, "2026-12-03", &["Haru".into()]);
        assert_eq!(strip.dimensions(), style.size());
        let (w, h) = strip.dimensions();
        assert!(h > 3 * w, "a tall strip: {w}x{h}");
        for (k, c) in colours.iter().enumerate() {
            let (x, y, sw, sh) = style.shot_rect(k);
            assert_eq!(strip.get_pixel(x + sw / 2, y + sh / 2).0, *c, "shot {k} in place");
            assert_eq!(strip.get_pixel(x - 1, y + sh / 2).0, style.border, "shot {k} has its border");
        }
        // the caption drew pixels in its colour in the footer
        let footer_top = style.shot_rect(3).1 + style.shot_rect(3).3;
        let inked = (footer_top..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|&(x, y)| strip.get_pixel(x, y).0 != style.background)
            .count();
        assert!(inked > 500, "caption pixels: {inked}");
        if let Some(path) = std::env::var_os("WEBTOONME_SAVE_STRIP") {
            strip.save(path).unwrap();
        }
    }

    #[test]
    fn the_shipped_style_is_valid_and_is_the_default() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/strip");
        let style = StripStyle::load(&folder).unwrap();
        assert_eq!(
            StripStyle { source: None, ..style },
            StripStyle::default(),
            "assets/strip/strip.toml documents the defaults"
        );
    }

    #[test]
    fn a_style_folder_is_read_and_its_mistakes_are_named() {
        let dir = std::env::temp_dir().join(format!("webtoonme-strip-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(StripStyle::load(&dir).unwrap(), StripStyle::default(), "no strip.toml: the default");
        let logo = RgbaImage::from_pixel(50, 20, image::Rgba([0, 0, 255, 255]));
        logo.save(dir.join("logo.png")).unwrap();
        std::fs::write(dir.join("strip.toml"), "background = \"#102030\"\nshot_width = 400\naspect = [3, 2]\nlogo = \"logo.png\"\ncaption = \"\"\ntitle = \"\"\n").unwrap();
        let style = StripStyle::load(&dir).unwrap();
        assert_eq!((style.background, style.shot_width, style.aspect), ([16, 32, 48], 400, [3, 2]));
        let strip = four_cut(&[shot([9, 9, 9]), shot([9, 9, 9]), shot([9, 9, 9]), shot([9, 9, 9])], &style, "", &[]);
        let blue = strip.pixels().filter(|p| p.0 == [0, 0, 255]).count();
        assert!(blue > 500, "the logo is drawn: {blue} pixels");
        for (toml, expect) in [
            ("shot_width = 10\n", "line 1: shot_width = 10 is outside"),
            ("\n\nbackground = \"red\"\n", "line 3: background"),
            ("logo = \"../x.png\"\n", "line 1: logo"),
            ("colour = 1\n", "unknown field"),
        ] {
            std::fs::write(dir.join("strip.toml"), toml).unwrap();
            let e = StripStyle::load(&dir).unwrap_err().to_string();
            assert!(e.contains("strip.toml") && e.contains(expect), "{toml:?}: {e}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
