//! The README's gallery, made from the real pipeline (perception, stylize stage, compositor on
//! lavapipe) so it always shows what the code does today. Not run by default; after a change of
//! the look: `cargo test --release --test gallery -- --ignored`, then look at the pictures in
//! docs/gallery/ before committing them.
//!
//! - `astronaut.jpg`: the photo and each built-in character (top), their faces zoomed (bottom);
//! - `duo_everyone_different.jpg`: two people wearing different characters, and their faces;
//! - each built-in character's `thumbnail.png` (the carousel's cards): its drawn face on the
//!   astronaut, 128x128, keeping the style stamp setup checks (`webtoonme-style`).

mod common;

use common::*;
use image::{RgbImage, imageops};
use webtoonme::compose::{AdapterPreference, Compositor};
use webtoonme::perception::FrameAnalysis;
use webtoonme::perception::runtime::SessionOptions;
use webtoonme::render::{compose_frame, compose_params, stylize_stage};
use webtoonme::stylize::StylizedFrame;
use webtoonme::stylize::assign::AssignMode;

/// Each character's picture of `img` (one stage per character, so each is worn by everyone).
fn render(img: &RgbImage, character: usize, mode: AssignMode) -> (RgbImage, FrameAnalysis) {
    let set = webtoonme::character::CharacterSet::load_default();
    let frame = frame_of(img);
    let mut analysis = FrameAnalysis::default();
    perception_for_photos().process(&frame, &mut analysis).unwrap();
    let mut stage = stylize_stage(&set, character, mode, &SessionOptions::default()).unwrap();
    let mut stylized = StylizedFrame::default();
    stage.process(&frame, &analysis, &mut stylized).unwrap();
    let mut compositor = Compositor::new_headless_with(AdapterPreference::Software).unwrap();
    let mut out = Vec::new();
    let params = compose_params(&set.packs[stylized.scene_character]);
    compose_frame(&mut compositor, &frame, &analysis, &stylized, params, &mut out).unwrap();
    (RgbImage::from_raw(img.width(), img.height(), out).unwrap(), analysis)
}

/// A `out_w x out_h` view around a face box: its height `scale` times the face's size, clamped to
/// the picture.
fn face_zoom(img: &RgbImage, b: [f32; 4], scale: f32, out_w: u32, out_h: u32) -> RgbImage {
    let (cx, cy) = ((b[0] + b[2]) * 0.5, (b[1] + b[3]) * 0.5);
    let half_h = (b[2] - b[0]).max(b[3] - b[1]) * scale * 0.5;
    let half_w = half_h * out_w as f32 / out_h as f32;
    let x0 = (cx - half_w).clamp(0.0, img.width() as f32 - 1.0) as u32;
    let y0 = (cy - half_h * 0.9).clamp(0.0, img.height() as f32 - 1.0) as u32;
    let (w, h) = (((2.0 * half_w) as u32).min(img.width() - x0), ((2.0 * half_h) as u32).min(img.height() - y0));
    imageops::resize(&imageops::crop_imm(img, x0, y0, w, h).to_image(), out_w, out_h, imageops::FilterType::CatmullRom)
}

fn save(img: &RgbImage, name: &str) {
    let path = project_file(&format!("docs/gallery/{name}"));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut file, 88).encode_image(img).unwrap();
    println!("wrote {}", path.display());
}

#[test]
#[ignore = "writes docs/gallery: run with --release --ignored after a change of the look"]
fn gallery() {
    let set = webtoonme::character::CharacterSet::load_default();
    let tile = 320;
    // the photo and every character, faces zoomed below
    let photo = astronaut();
    let mut sheet = RgbImage::new(tile * (set.packs.len() as u32 + 1), tile * 2);
    let mut column = |k: u32, img: &RgbImage, face: [f32; 4]| {
        imageops::replace(
            &mut sheet,
            &imageops::resize(img, tile, tile, imageops::FilterType::CatmullRom),
            (k * tile) as i64,
            0,
        );
        imageops::replace(&mut sheet, &face_zoom(img, face, 1.9, tile, tile), (k * tile) as i64, tile as i64);
    };
    let (_, analysis) = render(&photo, 0, AssignMode::Default);
    let face = analysis.faces[0].box_px;
    column(0, &photo, face);
    for k in 0..set.packs.len() {
        let (out, _) = render(&photo, k, AssignMode::Default);
        column(k as u32 + 1, &out, face);
    }
    save(&sheet, "astronaut.jpg");

    // the carousel's thumbnails: each character's face
    for (k, pack) in set.packs.iter().enumerate().filter(|(_, p)| p.builtin) {
        let (out, _) = render(&photo, k, AssignMode::Default);
        let thumb = face_zoom(&out, face, 1.7, 128, 128);
        let path = pack.thumbnail.clone();
        write_thumbnail(&thumb, &path);
        println!("wrote {}", path.display());
    }

    // two people, each in another character: the frame, then both faces stacked on the right
    let (out, analysis) = render(&duo(), 0, AssignMode::RoundRobin);
    assert_eq!(analysis.faces.len(), 2);
    let (w, h) = (853, 480);
    let mut sheet = RgbImage::new(w + h / 2 * 16 / 10, h);
    imageops::replace(&mut sheet, &imageops::resize(&out, w, h, imageops::FilterType::CatmullRom), 0, 0);
    for (k, f) in analysis.faces.iter().enumerate() {
        let zoom = face_zoom(&out, f.box_px, 1.8, h / 2 * 16 / 10, h / 2);
        imageops::replace(&mut sheet, &zoom, w as i64, (k as u32 * h / 2) as i64);
    }
    save(&sheet, "duo_everyone_different.jpg");
}

/// A thumbnail PNG with the style stamp of the one it replaces (setup notes a thumbnail made
/// from another style).
fn write_thumbnail(img: &RgbImage, path: &std::path::Path) {
    let stamp = std::fs::File::open(path).ok().and_then(|f| {
        let reader = png::Decoder::new(std::io::BufReader::new(f)).read_info().ok()?;
        let text = &reader.info().uncompressed_latin1_text;
        text.iter().find(|t| t.keyword == "webtoonme-style").map(|t| t.text.clone())
    });
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut encoder = png::Encoder::new(file, img.width(), img.height());
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.add_text_chunk("Software".into(), "webtoonme tests/gallery.rs".into()).unwrap();
    if let Some(stamp) = stamp {
        encoder.add_text_chunk("webtoonme-style".into(), stamp).unwrap();
    }
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(img.as_raw()).unwrap();
}
