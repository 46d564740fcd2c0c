//! Drawn faces on the real demo photo: the mesh warp reshapes the face as the character says (with
//! eye_scale 1.3 the warped frame holds the photo's eyes scaled 1.3; the face mesh run again on it
//! sees wider eyes, though its shape prior keeps its own reading near +10 % at any scale from 1.3
//! to 1.6, so it cannot confirm the 30 % by itself),
//! never folds at the extreme geometry, strokes land where the landmarks say and nowhere else,
//! expressions change the drawing (closed eye: a line; smiling squint: an arc; a turned face: a
//! thinner far side of the jaw), bad `[drawing]` values are refused with `file:line`.
//!
//! Timing (not run by default): `cargo test --release --test drawn_faces -- --ignored --nocapture`.

mod common;

use std::time::Instant;

use common::*;
use webtoonme::character::{CharacterSet, Geometry, PACK_FILE, SkinStyle};
use webtoonme::compose::{AdapterPreference, ComposeInputs, Compositor, DrawnFace, FaceLayer, LowRes, MaskView};
use webtoonme::draw::expression::{EyeState, expression};
use webtoonme::draw::tessellation::{self, FaceTopology};
use webtoonme::draw::warp::{Warp, folds, warp_face};
use webtoonme::draw::{FaceLook, lists};
use webtoonme::perception::FrameAnalysis;

fn compositor() -> Compositor {
    Compositor::new_headless_with(AdapterPreference::Software)
        .unwrap_or_else(|e| panic!("no wgpu adapter ({e}); setup installs mesa-vulkan-drivers"))
}

fn topology() -> FaceTopology {
    tessellation::load(&tessellation::default_path()).unwrap_or_else(|e| panic!("{e}"))
}

/// Eye widths (outer to inner corner, image-left eye first) from the face mesh model's refined eye
/// contours (`output_left_eye`/`output_right_eye`: 71 points per eye, the first nine along the
/// upper lid from the outer corner to the inner one, as MediaPipe's refine_landmarks uses them),
/// run on the square around `landmarks` in `rgb`. The identity mesh's eye corners lean on the
/// face's shape prior; the refined contours follow the eye in the picture.
fn refined_eye_widths(rgb: &image::RgbImage, landmarks: &[[f32; 3]]) -> [f32; 2] {
    use webtoonme::perception::geometry::{Normalize, Sampling, warp_to_tensor};
    use webtoonme::perception::mesh::{INPUT_SIZE, roi_from_landmarks};
    use webtoonme::perception::runtime::{ModelSession, SessionOptions, init, output};
    let env = init(&webtoonme::paths::onnxruntime_library()).unwrap();
    let path = webtoonme::paths::models_dir().join(webtoonme::paths::FACE_MESH_FILE);
    let mut session = ModelSession::load(&env, "face_mesh", &path, &SessionOptions::default()).unwrap();
    let roi = roi_from_landmarks(landmarks);
    let m = roi.frame_from_crop(INPUT_SIZE as f32);
    let mut input = vec![0.0; INPUT_SIZE * INPUT_SIZE * 3];
    let (w, h) = (rgb.width(), rgb.height());
    warp_to_tensor(rgb.as_raw(), w, h, &m, Sampling::Indices, INPUT_SIZE, INPUT_SIZE, Normalize::UNIT, &mut input);
    session
        .run_f32(&[1, INPUT_SIZE, INPUT_SIZE, 3], &input, |outs| {
            let width = |name: &str| -> Result<f32, String> {
                let e = output(outs, name)?;
                let (a, b) = (m.apply([e[0], e[1]]), m.apply([e[16], e[17]]));
                Ok((a[0] - b[0]).hypot(a[1] - b[1]))
            };
            Ok([width("output_left_eye")?, width("output_right_eye")?])
        })
        .unwrap()
}

fn landmarks_of(rgb: &image::RgbImage) -> Vec<Vec<[f32; 3]>> {
    let mut a = FrameAnalysis::default();
    perception_for_photos().process(&frame_of(rgb), &mut a).unwrap();
    a.faces.iter().map(|f| f.landmarks_px.clone()).collect()
}

fn look(id: &str) -> FaceLook {
    let set = CharacterSet::load_default();
    FaceLook::of(set.get(id).unwrap_or_else(|| panic!("built-in character {id}")))
}

fn neutral_look(geometry: Geometry) -> FaceLook {
    FaceLook { geometry, skin: SkinStyle { tone: [240, 210, 190], shadow: [220, 170, 150], keep: 0.5 }, drawing: None }
}

fn compose(img: &image::RgbImage, faces: &[DrawnFace<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let inputs = ComposeInputs { drawn: faces, ..ComposeInputs::new(img.as_raw(), img.width(), img.height()) };
    compositor().compose(&inputs, &mut out).unwrap();
    out
}

fn dist(a: [f32; 3], b: [f32; 3]) -> f32 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// Bilinear RGB sample at continuous pixel coordinates.
fn sample(img: &image::RgbImage, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = (img.width() as i32, img.height() as i32);
    let (sx, sy) = (x - 0.5, y - 0.5);
    let (x0, y0) = (sx.floor(), sy.floor());
    let (fx, fy) = (sx - x0, sy - y0);
    let px = |x: i32, y: i32| img.get_pixel(x.clamp(0, w - 1) as u32, y.clamp(0, h - 1) as u32).0.map(f32::from);
    let (x0, y0) = (x0 as i32, y0 as i32);
    let (a, b, c, d) = (px(x0, y0), px(x0 + 1, y0), px(x0, y0 + 1), px(x0 + 1, y0 + 1));
    std::array::from_fn(|k| (a[k] * (1.0 - fx) + b[k] * fx) * (1.0 - fy) + (c[k] * (1.0 - fx) + d[k] * fx) * fy)
}

#[test]
fn eye_scale_1_3_makes_the_eyes_30_percent_wider() {
    let img = astronaut();
    let before = landmarks_of(&img);
    assert_eq!(before.len(), 1);
    let geometry = Geometry { eye_scale: 1.3, ..Geometry::default() };
    let look = neutral_look(geometry);
    let out = compose(&img, &[DrawnFace { landmarks: &before[0], look: &look, skin: None, track_id: 1 }]);
    let warped = image::RgbImage::from_raw(img.width(), img.height(), out).unwrap();
    let p = &before[0];
    let mut warp = Warp::default();
    warp_face(p, &geometry, &topology(), &mut warp);
    assert_eq!(warp.strength, 1.0, "the warp was capped");

    // 1. The pixels: around each eye the warped frame is the photo's eye scaled 1.3 across (and
    //    1.345 down: webtoon eyes grow a little taller) about the eye's centre.
    let frame = webtoonme::draw::FaceFrame::of(|i| [p[i][0], p[i][1]]);
    for (up, lo) in [(&lists::R_EYE_UP, &lists::R_EYE_LO), (&lists::L_EYE_UP, &lists::L_EYE_LO)] {
        let pts: Vec<[f32; 3]> = up.iter().chain(lo.iter()).map(|&i| p[i]).collect();
        let n = pts.len() as f32;
        let c = [pts.iter().map(|q| q[0]).sum::<f32>() / n, pts.iter().map(|q| q[1]).sum::<f32>() / n];
        let half = dist(p[up[0]], p[up[8]]) / 2.0;
        let (sx, sy) = (1.3f32, 1.0 + 0.3 * 1.15);
        let (mut scaled, mut unscaled, mut n) = (0.0f32, 0.0f32, 0);
        for j in -40..=40 {
            for k in -30..=30 {
                // a point of the warped eye, in the face's axes relative to the eye centre
                let (u, v) = (j as f32 / 40.0 * half * sx, k as f32 / 40.0 * half * sy);
                if (u / (half * sx)).hypot(v / (half * 0.75 * sy)) > 0.95 {
                    continue;
                }
                let at = |u: f32, v: f32| {
                    [c[0] + frame.right[0] * u + frame.down[0] * v, c[1] + frame.right[1] * u + frame.down[1] * v]
                };
                let (wp, op) = (at(u, v), at(u / sx, v / sy));
                let got = sample(&warped, wp[0], wp[1]);
                let want = sample(&img, op[0], op[1]);
                let same = sample(&img, wp[0], wp[1]);
                scaled += (0..3).map(|i| (got[i] - want[i]).abs()).sum::<f32>() / 3.0;
                unscaled += (0..3).map(|i| (got[i] - same[i]).abs()).sum::<f32>() / 3.0;
                n += 1;
            }
        }
        let (scaled, unscaled) = (scaled / n as f32, unscaled / n as f32);
        println!("eye: warped vs photo scaled 1.3: {scaled:.2} levels; vs photo unscaled: {unscaled:.2} ({n} px)");
        assert!(scaled < 4.0, "the warped eye is not the photo's eye scaled 1.3 ({scaled:.2} levels off)");
        assert!(unscaled > 2.5 * scaled, "the eye did not change size ({unscaled:.2} vs {scaled:.2})");
    }
    // 2. The eye corners, moved by the same function the GPU mesh uses, are 1.3x apart.
    for (a, b) in [(33, 133), (263, 362)] {
        let r = webtoonme::draw::len(webtoonme::draw::sub(warp.warped[a], warp.warped[b])) / dist(p[a], p[b]);
        assert!((r - 1.3).abs() < 0.02, "corners {a}-{b}: {r:.3}x");
    }
    // 3. The face mesh run again on the warped frame: its refined eye contours see wider eyes,
    //    but MediaPipe's shape prior holds them to about +10 % whatever the scale (1.3 and 1.6
    //    both read as 1.08-1.12; see the module doc), so 30 % +- 8 % is not measurable this way.
    let after = landmarks_of(&warped);
    assert_eq!(after.len(), 1, "the warped face is still found");
    let q = &after[0];
    let (w0, w1) = (refined_eye_widths(&img, p), refined_eye_widths(&warped, q));
    let ratios = [w1[0] / w0[0], w1[1] / w0[1]];
    let corners = |m: &[[f32; 3]]| [dist(m[33], m[133]), dist(m[263], m[362])];
    println!("face mesh again: refined eye widths {w0:?} -> {w1:?}, ratios {ratios:?}");
    println!("identity mesh eye corners: {:?} -> {:?}", corners(p), corners(q));
    for r in ratios {
        assert!(r > 1.05, "the face mesh sees no wider eye ({r:.3}x)");
    }
    let mouth = dist(q[61], q[291]) / dist(p[61], p[291]);
    assert!((mouth - 1.0).abs() < 0.08, "the mouth should keep its width, got {mouth:.3}x");
}

#[test]
fn the_warp_never_folds_at_the_extreme_geometry() {
    let topo = topology();
    let faces = landmarks_of(&astronaut());
    let mut warp = Warp::default();
    let (mut weakest, mut checked) = (1.0f32, 0);
    for bits in 0..128u32 {
        let pick = |k: u32, lo: f32, hi: f32| if bits & (1 << k) != 0 { hi } else { lo };
        let g = Geometry {
            eye_scale: pick(0, 0.8, 1.6),
            iris_scale: pick(1, 0.8, 1.5),
            jaw_taper: pick(2, 0.0, 0.4),
            chin: pick(3, -0.2, 0.2),
            face_width: pick(4, 0.8, 1.1),
            nose_scale: pick(5, 0.5, 1.2),
            mouth_scale: pick(6, 0.6, 1.3),
        };
        warp_face(&faces[0], &g, &topo, &mut warp);
        assert_eq!(folds(&warp.original, &warp.warped, &topo), 0, "{g:?} folds at strength {}", warp.strength);
        weakest = weakest.min(warp.strength);
        checked += 1;
    }
    println!("{checked} extreme geometries: weakest strength applied {weakest}");
    // the cap must not make the check trivial: the extremes still reshape the face, and every
    // built-in character's geometry applies (nearly) in full
    assert!(weakest >= 0.4, "the extreme geometry had to be cut to {weakest}");
    for pack in &CharacterSet::load_default().packs {
        warp_face(&faces[0], &pack.geometry, &topo, &mut warp);
        println!("{}: strength {}", pack.id, warp.strength);
        assert!(warp.strength >= 0.8, "{}'s geometry was capped to {}", pack.id, warp.strength);
    }
    // and the fold check itself sees a fold
    let mut flipped = warp.original.clone();
    flipped.swap(33, 133);
    assert!(folds(&warp.original, &flipped, &topo) > 0);
}

#[test]
fn strokes_land_along_the_jaw_and_nowhere_far_from_the_face() {
    let img = astronaut();
    let faces = landmarks_of(&img);
    let look = look("rei");
    let out = compose(&img, &[DrawnFace { landmarks: &faces[0], look: &look, skin: None, track_id: 1 }]);
    let (w, h) = (img.width() as i32, img.height() as i32);
    let mut warp = Warp::default();
    warp_face(&faces[0], &look.geometry, &topology(), &mut warp);
    let luma = |x: i32, y: i32| {
        let i = ((y.clamp(0, h - 1) * w + x.clamp(0, w - 1)) * 3) as usize;
        0.299 * out[i] as f32 + 0.587 * out[i + 1] as f32 + 0.114 * out[i + 2] as f32
    };
    // ink (rei's navy line) within 2 px of every jaw landmark between the ends
    let jaw = &lists::JAW[3..lists::JAW.len() - 3];
    let inked = jaw
        .iter()
        .filter(|&&i| {
            let p = warp.warped[i];
            (-2..=2).any(|dy| (-2..=2).any(|dx| luma(p[0] as i32 + dx, p[1] as i32 + dy) < 70.0))
        })
        .count();
    println!("jaw landmarks with ink next to them: {inked} of {}", jaw.len());
    assert!(inked * 10 >= jaw.len() * 9, "ink along the jaw at only {inked} of {} landmarks", jaw.len());
    // nothing changes outside the warp ring's bounds
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for p in &warp.original {
        (x0, y0, x1, y1) = (x0.min(p[0]), y0.min(p[1]), x1.max(p[0]), y1.max(p[1]));
    }
    let mut changed_outside = 0;
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
            if fx > x0 - 2.0 && fx < x1 + 2.0 && fy > y0 - 2.0 && fy < y1 + 2.0 {
                continue;
            }
            let i = ((y * w + x) * 3) as usize;
            changed_outside += (out[i..i + 3] != img.as_raw()[i..i + 3]) as u32;
        }
    }
    assert_eq!(changed_outside, 0, "pixels far from the face changed");
    // and the face itself is touched up: the character's iris and whites laid over the person's
    // eye (pixels changed but not inked) and dark lash pixels inside the eye boxes
    let eye = &lists::R_EYE_UP;
    let (a, b) = (warp.warped[eye[0]], warp.warped[eye[8]]);
    let (mut filled, mut inks) = (0, 0);
    for y in (a[1].min(b[1]) - 12.0) as i32..(a[1].max(b[1]) + 12.0) as i32 {
        for x in a[0].min(b[0]) as i32..a[0].max(b[0]) as i32 {
            filled += (luma(x, y) >= 60.0 && changed(&out, &img, x, y) > 30.0) as u32;
            inks += (luma(x, y) < 60.0) as u32;
        }
    }
    println!("image-left eye: {filled} filled and {inks} ink pixels");
    assert!(filled > 20 && inks > 20);
}

/// The eye box of eye `k` (0: image-left) in the drawn output, below the brow: (x0, x1, y0, y1)
/// and the eye width.
fn eye_box(q: &[[f32; 3]], k: usize) -> (i32, i32, i32, i32, f32) {
    let (up, lo) = if k == 0 { (&lists::R_EYE_UP, &lists::R_EYE_LO) } else { (&lists::L_EYE_UP, &lists::L_EYE_LO) };
    let pts: Vec<[f32; 3]> = up.iter().chain(lo.iter()).map(|&i| q[i]).collect();
    let ew = dist(q[up[0]], q[up[8]]);
    let x0 = pts.iter().map(|p| p[0]).fold(f32::MAX, f32::min);
    let x1 = pts.iter().map(|p| p[0]).fold(f32::MIN, f32::max);
    let yc = pts.iter().map(|p| p[1]).sum::<f32>() / pts.len() as f32;
    (x0 as i32, x1 as i32, (yc - ew * 0.38) as i32, (yc + ew * 0.38) as i32, ew)
}

/// Moves each eye's lids toward their midline so the eye is `openness` (height / width) open.
fn squint(landmarks: &[[f32; 3]], openness: f32) -> Vec<[f32; 3]> {
    let mut m = landmarks.to_vec();
    for (up, lo) in [(&lists::R_EYE_UP, &lists::R_EYE_LO), (&lists::L_EYE_UP, &lists::L_EYE_LO)] {
        let ew = dist(m[up[0]], m[up[8]]);
        for j in 1..8 {
            let (a, b) = (m[up[j]], m[lo[j]]);
            let mid = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
            let half = (b[1] - a[1]).signum() * openness * ew / 2.0;
            m[up[j]] = [mid[0], mid[1] - half, a[2]];
            m[lo[j]] = [mid[0], mid[1] + half, b[2]];
        }
    }
    m
}

#[test]
fn an_open_eye_gets_the_characters_iris_and_a_closed_or_squinting_eye_keeps_its_own() {
    let img = astronaut();
    let faces = landmarks_of(&img);
    // no reshaping: the eye boxes stay where the landmarks are
    let look = FaceLook { geometry: Geometry::default(), ..look("rei") };
    let (w, _) = (img.width() as i32, img.height() as i32);
    let open = expression(&faces[0]);
    assert!(open.smile > 0.1, "the astronaut smiles (smile {:.2})", open.smile);
    let closed = squint(&faces[0], 0.03);
    assert_eq!(expression(&closed).eyes, [EyeState::Closed; 2]);
    let arc = squint(&faces[0], 0.14);
    assert_eq!(expression(&arc).eyes, [EyeState::Arc; 2]);
    for (name, m) in [("open", &faces[0]), ("closed", &closed), ("arc", &arc)] {
        let out = compose(&img, &[DrawnFace { landmarks: m, look: &look, skin: None, track_id: 1 }]);
        for k in 0..2 {
            let (x0, x1, y0, y1, ew) = eye_box(m, k);
            let (mut filled, mut iris, mut top_ink) = (0, 0, vec![i32::MAX; (x1 - x0 + 1) as usize]);
            let mut ink_rows = (i32::MAX, i32::MIN);
            for y in y0..=y1 {
                for x in x0..=x1 {
                    let i = ((y * w + x) * 3) as usize;
                    let (r, g, b) = (out[i] as f32, out[i + 1] as f32, out[i + 2] as f32);
                    let inked = 0.299 * r + 0.587 * g + 0.114 * b < 60.0;
                    // catchlights brighten the photo (ink only darkens it); the character's iris
                    // recolours it without being ink
                    filled += (brightened(&out, &img, x, y) > 25.0) as u32;
                    iris += (!inked && changed(&out, &img, x, y) > 40.0) as u32;
                    if inked {
                        let c = &mut top_ink[(x - x0) as usize];
                        *c = (*c).min(y);
                        ink_rows = (ink_rows.0.min(y), ink_rows.1.max(y));
                    }
                }
            }
            let thickness = (ink_rows.1 - ink_rows.0) as f32 / ew;
            println!(
                "{name} eye {k}: {filled} brightened, {iris} recoloured px, ink rows span {thickness:.2} eye widths"
            );
            match name {
                "open" => {
                    assert!(filled >= 3, "an open eye gets catchlights ({filled} px)");
                    assert!(iris >= 20, "an open eye gets the character's iris ({iris} px)");
                }
                "closed" => {
                    assert!(filled < 3, "a closed eye gets no catchlights ({filled} px)");
                    assert!(thickness < 0.3, "a closed eye is a line, its ink spans {thickness:.2} eye widths");
                }
                _ => {
                    // a squint keeps its own narrow eye: ink along its real upper lid, no fill
                    assert!(filled < 3, "a squinting eye gets no catchlights ({filled} px)");
                    assert!(thickness < 0.35, "the squint's ink spans {thickness:.2} eye widths");
                }
            }
        }
    }
}

/// How much brighter (luma) the output is than the photo at (x, y).
fn brightened(out: &[u8], img: &image::RgbImage, x: i32, y: i32) -> f32 {
    let p = img.get_pixel(x as u32, y as u32).0;
    let i = ((y as u32 * img.width() + x as u32) * 3) as usize;
    let luma = |c: [f32; 3]| 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
    luma([out[i] as f32, out[i + 1] as f32, out[i + 2] as f32]) - luma(p.map(|v| v as f32))
}

/// How far (RGB distance) the output moved from the photo at (x, y).
fn changed(out: &[u8], img: &image::RgbImage, x: i32, y: i32) -> f32 {
    let p = img.get_pixel(x as u32, y as u32).0;
    let i = ((y as u32 * img.width() + x as u32) * 3) as usize;
    (0..3).map(|k| (out[i + k] as f32 - p[k] as f32).powi(2)).sum::<f32>().sqrt()
}

#[test]
fn bad_drawing_values_are_refused_with_file_and_line() {
    let src = project_file("assets/characters/haru/character.toml");
    let text = std::fs::read_to_string(&src).unwrap();
    for (key, bad, needle) in [
        ("line_width = ", "line_width = 99.0", "drawing.line_width = 99 is outside"),
        ("iris_color = ", "iris_color = \"blue\"", "drawing.iris_color"),
        ("catchlights = ", "catchlights = 3", "drawing.catchlights = 3"),
        ("lip = ", "lip = -0.5", "drawing.lip = -0.5 is outside"),
        ("blush = ", "blush = 0.4\nsparkle = 1.0", "unknown field `sparkle`"),
    ] {
        let root = std::env::temp_dir().join(format!("webtoonme-drawn-{}-{}", std::process::id(), key.trim()));
        let dir = root.join("haru");
        std::fs::create_dir_all(&dir).unwrap();
        let mut line = 0;
        let toml: String = text
            .lines()
            .enumerate()
            .map(|(n, l)| {
                if l.starts_with(key) && line == 0 {
                    line = n + 1 + bad.lines().count() - 1;
                    bad.to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(line > 0, "{key} not in haru's pack");
        std::fs::write(dir.join(PACK_FILE), toml).unwrap();
        for f in ["thumbnail.png", "face.onnx", "background.onnx"] {
            std::fs::copy(src.with_file_name(f), dir.join(f)).unwrap();
        }
        let set = CharacterSet::load(std::slice::from_ref(&root));
        assert!(set.packs.is_empty());
        let shown = set.problems[0].to_string();
        println!("{shown}");
        assert!(shown.contains(&format!("{PACK_FILE}:{line}: ")), "{shown} should name line {line}");
        assert!(shown.contains(needle), "{shown} should say {needle}");
        std::fs::remove_dir_all(&root).ok();
    }
}

#[test]
fn a_missing_tessellation_file_is_an_error_naming_it() {
    let missing = std::env::temp_dir().join("webtoonme-no-such-dir").join(tessellation::FILE);
    let e = tessellation::load(&missing).unwrap_err().to_string();
    assert!(e.contains(&missing.display().to_string()) && e.contains("setup"), "{e}");
}

/// Compositor cost of drawn faces at 1280x720 on this adapter: the same frame, background and face
/// layers with 0, 1 and 2 drawn faces.
#[test]
#[ignore = "timing: run with --release --ignored --nocapture"]
fn compose_time_720p_with_drawn_faces() {
    let duo = duo();
    let faces = landmarks_of(&duo);
    assert_eq!(faces.len(), 2);
    let (width, height) = (duo.width(), duo.height());
    let frame = duo.as_raw().clone();
    let low = image::imageops::resize(&duo, 640, 360, image::imageops::FilterType::Triangle);
    let rei = look("rei");
    let drawn: Vec<DrawnFace<'_>> =
        faces.iter().map(|f| DrawnFace { landmarks: f, look: &rei, skin: None, track_id: 1 }).collect();
    let size = 256;
    let crop = vec![128u8; size * size * 3];
    let alpha = vec![0u8; size * size];
    let layers: Vec<FaceLayer<'_>> = (0..2)
        .map(|k| FaceLayer {
            rgb: &crop,
            size: size as u32,
            alpha: &alpha,
            crop_from_frame: [1.0, 0.0, -(k as f32) * 600.0, 0.0, 1.0, -100.0],
        })
        .collect();
    let mask = vec![1.0f32; 256 * 144];
    let mut compositor = compositor();
    let mut out = Vec::new();
    let inputs: Vec<ComposeInputs<'_>> = (0..=2)
        .map(|n| {
            let mut inputs = ComposeInputs {
                background: Some(LowRes { rgb: low.as_raw(), width: 640, height: 360 }),
                guide: Some(LowRes { rgb: low.as_raw(), width: 640, height: 360 }),
                person_mask: Some(MaskView { data: &mask, width: 256, height: 144 }),
                faces: &layers,
                drawn: &drawn[..n],
                ..ComposeInputs::new(&frame, width, height)
            };
            inputs.params.silhouette_ink = 0.6;
            inputs
        })
        .collect();
    for i in &inputs {
        for _ in 0..5 {
            compositor.compose(i, &mut out).unwrap();
        }
    }
    // interleaved, so the machine's load changes hit every case alike
    let mut times = vec![Vec::new(); 3];
    for _ in 0..60 {
        for (n, i) in inputs.iter().enumerate() {
            let start = Instant::now();
            compositor.compose(i, &mut out).unwrap();
            times[n].push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    let mut results = Vec::new();
    for (n, t) in times.iter_mut().enumerate() {
        t.sort_by(f64::total_cmp);
        println!("{n} drawn faces: median {:6.2} ms, p10 {:6.2} ms, p90 {:6.2} ms", t[30], t[6], t[54]);
        results.push(t[30]);
    }
    println!("ratio 1 face / none {:.2}, 2 faces / none {:.2}", results[1] / results[0], results[2] / results[0]);

    // the per-face CPU work: warp (with its fold check) and the drawing's geometry
    use webtoonme::draw::face::{FaceBuilder, FaceDrawing, FaceInput, FrameView};
    let topo = topology();
    let (mut warp, mut builder, mut drawing) = (Warp::default(), FaceBuilder::default(), FaceDrawing::default());
    let frame_view = FrameView { rgb: &frame, width, height };
    let start = Instant::now();
    let rounds = 200;
    for _ in 0..rounds {
        drawing.clear();
        for f in &faces {
            warp_face(f, &rei.geometry, &topo, &mut warp);
            let input = FaceInput {
                warped: &warp.warped[..478],
                original: f,
                look: &rei,
                drawing: rei.drawing.as_ref().unwrap(),
                skin: None,
                frame: frame_view,
                previous: None,
            };
            builder.build(&input, &topo, &mut drawing);
        }
    }
    let per_face = start.elapsed().as_secs_f64() * 1e3 / (rounds * faces.len()) as f64;
    println!(
        "CPU per face (warp + fold check + drawing geometry): {per_face:.3} ms; {} vertices, {} indices for 2 faces",
        drawing.vertices.len(),
        drawing.indices.len()
    );
}

#[test]
fn a_face_turned_toward_profile_draws_the_far_side_of_the_jaw_thinner() {
    use webtoonme::draw::face::{FaceBuilder, FaceDrawing, FaceInput, FrameView, mode};
    let img = astronaut();
    // the face three times larger (so widths are well above the 1 px minimum)
    let faces: Vec<Vec<[f32; 3]>> =
        landmarks_of(&img).iter().map(|f| f.iter().map(|p| [p[0] * 3.0, p[1] * 3.0, p[2] * 3.0]).collect()).collect();
    // the image-right half of the face foreshortened, as when the head turns that way
    let nose_x = faces[0][1][0];
    let turned: Vec<[f32; 3]> = faces[0]
        .iter()
        .map(|p| if p[0] > nose_x { [nose_x + (p[0] - nose_x) * 0.35, p[1], p[2]] } else { *p })
        .collect();
    let frontal = expression(&faces[0]).yaw;
    let yaw = expression(&turned).yaw;
    println!("yaw frontal {frontal:.2}, turned {yaw:.2}");
    assert!(frontal.abs() < 0.2 && yaw < -0.4);
    let look = look("kang");
    let topo = topology();
    // half width of the ink strokes near the jaw's two ends (the image-right end is the far one)
    let jaw_widths = |m: &[[f32; 3]]| {
        let warped: Vec<[f32; 2]> = m.iter().map(|p| [p[0], p[1]]).collect();
        let input = FaceInput {
            warped: &warped,
            original: m,
            look: &look,
            drawing: look.drawing.as_ref().unwrap(),
            skin: None,
            frame: FrameView { rgb: img.as_raw(), width: img.width(), height: img.height() },
            previous: None,
        };
        let mut drawing = FaceDrawing::default();
        FaceBuilder::default().build(&input, &topo, &mut drawing).unwrap();
        let side = |ids: &[usize]| {
            let near: Vec<f32> = drawing
                .vertices
                .iter()
                .filter(|v| v.param[3] == mode::STROKE)
                .filter(|v| ids.iter().any(|&i| dist([v.pos[0], v.pos[1], 0.0], m[i]) < 8.0))
                .map(|v| v.param[1])
                .collect();
            (near.iter().copied().fold(0.0f32, f32::max), near.len())
        };
        // jaw angles: image-right 361/288/397, image-left 132/58/172
        (side(&[361, 288, 397]), side(&[132, 58, 172]))
    };
    let ((far_w, far_n), (near_w, near_n)) = jaw_widths(&turned);
    let ((right_w, _), (left_w, _)) = jaw_widths(&faces[0]);
    println!(
        "turned: far side {far_w:.2} px ({far_n} vertices), near side {near_w:.2} px ({near_n}); frontal: {right_w:.2} / {left_w:.2}"
    );
    assert!((right_w - left_w).abs() < 0.25 * left_w, "a frontal face's jaw is even on both sides");
    assert!(near_n > 0 && far_w < 0.8 * near_w, "the far side of the jaw should be thinner");
}
