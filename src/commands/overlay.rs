//! Debug overlay: what perception sees, drawn over the picture for people to look at.
//!
//! In: a frame and its [`FrameAnalysis`]. Out: an RGB picture with the person mask (blue), the
//! skin mask (orange), face boxes with track ids (green), the mesh (cyan), contours of eyes, brows,
//! lips and face oval (white) and irises (red). Used by `photo --overlay`; caller's thread.

use image::RgbImage;

use crate::perception::FrameAnalysis;
use crate::perception::mesh::{MESH_POINTS, idx};
use crate::perception::segment::Mask;

const PERSON_TINT: [u8; 3] = [40, 110, 255];
const SKIN_TINT: [u8; 3] = [255, 140, 0];
const BOX: [u8; 3] = [40, 220, 60];
const MESH: [u8; 3] = [0, 230, 230];
const CONTOUR: [u8; 3] = [255, 255, 255];
const IRIS: [u8; 3] = [255, 40, 40];

/// Draw everything the analysis holds over `img` (same size as the analysed frame).
pub fn draw(img: &mut RgbImage, analysis: &FrameAnalysis) {
    tint(img, &analysis.person_mask, PERSON_TINT, 0.35);
    tint(img, &analysis.skin_mask, SKIN_TINT, 0.55);
    for face in &analysis.faces {
        let p = &face.landmarks_px;
        if p.len() < MESH_POINTS {
            continue;
        }
        let face_w = face.box_px[2] - face.box_px[0];
        let dot = if face_w > 200.0 { 1.5 } else { 0.8 };
        for q in &p[..MESH_POINTS] {
            disc(img, q[0], q[1], dot, MESH, 0.8);
        }
        for contour in
            [&idx::FACE_OVAL[..], &idx::RIGHT_EYE, &idx::LEFT_EYE, &idx::RIGHT_BROW, &idx::LEFT_BROW, &idx::LIPS_OUTER]
        {
            for k in 0..contour.len() {
                let (a, b) = (p[contour[k]], p[contour[(k + 1) % contour.len()]]);
                line(img, a[0], a[1], b[0], b[1], CONTOUR);
            }
        }
        if p.len() >= 478 {
            for c in [idx::RIGHT_IRIS_CENTER, idx::LEFT_IRIS_CENTER] {
                let (ctr, edge) = (p[c], p[c + 1]);
                let r = ((edge[0] - ctr[0]).powi(2) + (edge[1] - ctr[1]).powi(2)).sqrt();
                ring(img, ctr[0], ctr[1], r, IRIS);
                disc(img, ctr[0], ctr[1], 1.5, IRIS, 1.0);
            }
        }
        let [x0, y0, x1, y1] = face.box_px;
        for (ax, ay, bx, by) in [(x0, y0, x1, y0), (x1, y0, x1, y1), (x1, y1, x0, y1), (x0, y1, x0, y0)] {
            line(img, ax, ay, bx, by, BOX);
        }
        let label = format!("#{} {:.2}", face.track_id, face.detection_score);
        let scale = ((face_w / 60.0).round() as u32).clamp(1, 4);
        text(img, x0, y0 - 9.0 * scale as f32, &label, scale, BOX);
    }
}

fn blend(px: &mut image::Rgb<u8>, c: [u8; 3], a: f32) {
    for (v, c) in px.0.iter_mut().zip(c) {
        *v = (*v as f32 + (c as f32 - *v as f32) * a).round() as u8;
    }
}

fn put(img: &mut RgbImage, x: i32, y: i32, c: [u8; 3], a: f32) {
    if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
        blend(img.get_pixel_mut(x as u32, y as u32), c, a);
    }
}

fn tint(img: &mut RgbImage, mask: &Mask, c: [u8; 3], strength: f32) {
    if mask.prob.is_empty() {
        return;
    }
    let (w, h) = (img.width(), img.height());
    for y in 0..h {
        for x in 0..w {
            let p = mask.at_frame(x as f32 + 0.5, y as f32 + 0.5, w, h);
            if p > 0.05 {
                blend(img.get_pixel_mut(x, y), c, strength * p.min(1.0));
            }
        }
    }
}

fn disc(img: &mut RgbImage, cx: f32, cy: f32, r: f32, c: [u8; 3], a: f32) {
    let ri = r.ceil() as i32 + 1;
    for dy in -ri..=ri {
        for dx in -ri..=ri {
            let (x, y) = (cx.floor() as i32 + dx, cy.floor() as i32 + dy);
            let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
            let cover = (r + 0.5 - d).clamp(0.0, 1.0);
            if cover > 0.0 {
                put(img, x, y, c, a * cover);
            }
        }
    }
}

fn ring(img: &mut RgbImage, cx: f32, cy: f32, r: f32, c: [u8; 3]) {
    let n = (r * 8.0).max(12.0) as usize;
    for k in 0..n {
        let (a0, a1) = (k as f32 / n as f32 * std::f32::consts::TAU, (k + 1) as f32 / n as f32 * std::f32::consts::TAU);
        line(img, cx + r * a0.cos(), cy + r * a0.sin(), cx + r * a1.cos(), cy + r * a1.sin(), c);
    }
}

/// Anti-aliased line, one pixel wide.
pub fn line(img: &mut RgbImage, x0: f32, y0: f32, x1: f32, y1: f32, c: [u8; 3]) {
    let n = ((x1 - x0).abs().max((y1 - y0).abs()) * 2.0).ceil().max(1.0) as usize;
    for k in 0..=n {
        let t = k as f32 / n as f32;
        let (x, y) = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
        let (fx, fy) = (x - 0.5, y - 0.5);
        let (ix, iy) = (fx.floor(), fy.floor());
        let (ax, ay) = (fx - ix, fy - iy);
        let (ix, iy) = (ix as i32, iy as i32);
        // split the sample over its four neighbours; half strength per sample (two samples a pixel)
        put(img, ix, iy, c, 0.5 * (1.0 - ax) * (1.0 - ay));
        put(img, ix + 1, iy, c, 0.5 * ax * (1.0 - ay));
        put(img, ix, iy + 1, c, 0.5 * (1.0 - ax) * ay);
        put(img, ix + 1, iy + 1, c, 0.5 * ax * ay);
    }
}

/// 3x5 pixel glyphs for the characters labels use.
fn glyph(ch: char) -> [u8; 5] {
    match ch {
        '0' => [0b111, 0b101, 0b101, 0b101, 0b111],
        '1' => [0b010, 0b110, 0b010, 0b010, 0b111],
        '2' => [0b111, 0b001, 0b111, 0b100, 0b111],
        '3' => [0b111, 0b001, 0b111, 0b001, 0b111],
        '4' => [0b101, 0b101, 0b111, 0b001, 0b001],
        '5' => [0b111, 0b100, 0b111, 0b001, 0b111],
        '6' => [0b111, 0b100, 0b111, 0b101, 0b111],
        '7' => [0b111, 0b001, 0b010, 0b010, 0b010],
        '8' => [0b111, 0b101, 0b111, 0b101, 0b111],
        '9' => [0b111, 0b101, 0b111, 0b001, 0b111],
        '#' => [0b101, 0b111, 0b101, 0b111, 0b101],
        '.' => [0b000, 0b000, 0b000, 0b000, 0b010],
        _ => [0; 5],
    }
}

/// Draw `s` with its top-left at (x, y), each glyph pixel `scale` pixels wide, on a dark backing.
pub fn text(img: &mut RgbImage, x: f32, y: f32, s: &str, scale: u32, c: [u8; 3]) {
    let (x, y, sc) = (x.max(0.0) as i32, y.max(0.0) as i32, scale as i32);
    let w = s.chars().count() as i32 * 4 * sc + sc;
    for dy in 0..7 * sc {
        for dx in 0..w {
            put(img, x + dx - sc, y + dy - sc, [0, 0, 0], 0.55);
        }
    }
    for (i, ch) in s.chars().enumerate() {
        for (row, bits) in glyph(ch).iter().enumerate() {
            for col in 0..3 {
                if bits & (0b100 >> col) != 0 {
                    for yy in 0..sc {
                        for xx in 0..sc {
                            put(img, x + (i as i32 * 4 + col) * sc + xx, y + row as i32 * sc + yy, c, 1.0);
                        }
                    }
                }
            }
        }
    }
}
