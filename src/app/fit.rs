//! Where the frame goes in the window: fitted keeping its aspect ratio, optionally mirrored, and
//! window points mapped back to frame pixels (for clicks on faces).
//!
//! In: the space available (window points), the frame size (pixels). Out: rectangles and
//! texture coordinates. Pure; runs on the UI thread.

use eframe::egui::{Pos2, Rect, Vec2, pos2};

/// The largest rectangle of the frame's aspect ratio inside `space`, centred.
pub fn fit(space: Rect, frame_px: [u32; 2]) -> Rect {
    let (w, h) = (frame_px[0].max(1) as f32, frame_px[1].max(1) as f32);
    let scale = (space.width() / w).min(space.height() / h).max(0.0);
    Rect::from_center_size(space.center(), Vec2::new(w * scale, h * scale))
}

/// Texture coordinates: the whole texture, flipped left-right when mirrored.
pub fn uv(mirror: bool) -> Rect {
    if mirror {
        Rect::from_min_max(pos2(1.0, 0.0), pos2(0.0, 1.0))
    } else {
        Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0))
    }
}

/// The frame pixel (continuous, origin top-left) under window point `p`, or None outside.
pub fn to_frame(view: Rect, frame_px: [u32; 2], mirror: bool, p: Pos2) -> Option<[f32; 2]> {
    if !view.contains(p) || view.width() <= 0.0 || view.height() <= 0.0 {
        return None;
    }
    let mut u = (p.x - view.min.x) / view.width();
    let v = (p.y - view.min.y) / view.height();
    if mirror {
        u = 1.0 - u;
    }
    Some([u * frame_px[0] as f32, v * frame_px[1] as f32])
}

/// The window rectangle of a frame-pixel box `[x0, y0, x1, y1]`.
pub fn to_view(view: Rect, frame_px: [u32; 2], mirror: bool, box_px: [f32; 4]) -> Rect {
    let sx = view.width() / frame_px[0].max(1) as f32;
    let sy = view.height() / frame_px[1].max(1) as f32;
    let (mut x0, mut x1) = (box_px[0] * sx, box_px[2] * sx);
    if mirror {
        (x0, x1) = (view.width() - x1, view.width() - x0);
    }
    Rect::from_min_max(
        pos2(view.min.x + x0, view.min.y + box_px[1] * sy),
        pos2(view.min.x + x1, view.min.y + box_px[3] * sy),
    )
}

/// The face whose box (grown by a quarter on each side: hair, chin) holds `p`; the nearest
/// centre wins when boxes overlap.
pub fn face_at(faces: &[(u32, [f32; 4])], p: [f32; 2]) -> Option<u32> {
    faces
        .iter()
        .filter(|(_, b)| {
            let (mx, my) = ((b[2] - b[0]) * 0.25, (b[3] - b[1]) * 0.25);
            p[0] >= b[0] - mx && p[0] <= b[2] + mx && p[1] >= b[1] - my && p[1] <= b[3] + my
        })
        .min_by(|a, b| {
            let d = |f: &[f32; 4]| ((f[0] + f[2]) * 0.5 - p[0]).powi(2) + ((f[1] + f[3]) * 0.5 - p[1]).powi(2);
            d(&a.1).total_cmp(&d(&b.1))
        })
        .map(|(id, _)| *id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_frame_in_tall_space_is_letterboxed_and_centred() {
        let space = Rect::from_min_size(pos2(0.0, 0.0), Vec2::new(1000.0, 1000.0));
        let r = fit(space, [1280, 720]);
        assert!((r.width() - 1000.0).abs() < 1e-3);
        assert!((r.height() - 562.5).abs() < 1e-3);
        assert!((r.center().y - 500.0).abs() < 1e-3);
    }

    #[test]
    fn click_maps_to_frame_pixels_and_mirror_flips_x() {
        let view = Rect::from_min_size(pos2(100.0, 50.0), Vec2::new(640.0, 360.0));
        let p = pos2(100.0 + 160.0, 50.0 + 90.0);
        assert_eq!(to_frame(view, [1280, 720], false, p), Some([320.0, 180.0]));
        assert_eq!(to_frame(view, [1280, 720], true, p), Some([960.0, 180.0]));
        assert_eq!(to_frame(view, [1280, 720], false, pos2(0.0, 0.0)), None);
    }

    #[test]
    fn a_box_goes_to_the_view_and_back() {
        let view = Rect::from_min_size(pos2(10.0, 20.0), Vec2::new(640.0, 360.0));
        for mirror in [false, true] {
            let r = to_view(view, [1280, 720], mirror, [100.0, 200.0, 300.0, 400.0]);
            let back = to_frame(view, [1280, 720], mirror, r.center()).unwrap();
            assert!((back[0] - 200.0).abs() < 1e-3 && (back[1] - 300.0).abs() < 1e-3, "{back:?}");
        }
    }

    #[test]
    fn click_picks_the_face_under_it() {
        let faces = [(3, [100.0, 100.0, 200.0, 220.0]), (7, [600.0, 80.0, 720.0, 230.0])];
        assert_eq!(face_at(&faces, [150.0, 150.0]), Some(3));
        assert_eq!(face_at(&faces, [650.0, 240.0]), Some(7)); // just below the chin
        assert_eq!(face_at(&faces, [400.0, 400.0]), None);
    }
}
