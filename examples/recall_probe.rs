//! Measurement tool behind `perception::recall`: what the face detector (threshold 0.2) and the
//! mesh's presence say about a picture seen whole, through zoomed tiles (0.6 and 0.45 of the
//! short side) and through the whole picture turned by ±30 degrees.
//!
//! `cargo run --example recall_probe -- PICTURE [DEGREES [SCALE]]`: the picture turned by
//! DEGREES, or shrunk by SCALE onto a grey 1280x720 picture; `SAVE=out.png` writes what was
//! measured. One line per detection: window, score, box, mesh presence.
use webtoonme::paths;
use webtoonme::perception::detector::{FaceDetection, FaceDetector, INPUT_SIZE};
use webtoonme::perception::geometry::{Affine2, RotatedSquare, letterbox};
use webtoonme::perception::mesh::{self, FaceMesh, FaceMeshModel};
use webtoonme::perception::runtime::{self, ModelSession, SessionOptions};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let img = image::open(&args[1]).unwrap().into_rgb8();
    let angle: f32 = args.get(2).map(|a| a.parse().unwrap()).unwrap_or(0.0);
    let img = if angle != 0.0 { rotate(&img, angle.to_radians()) } else { img };
    let scale: f32 = args.get(3).map(|a| a.parse().unwrap()).unwrap_or(1.0);
    let img = if scale != 1.0 {
        let small = image::imageops::resize(
            &img,
            (img.width() as f32 * scale) as u32,
            (img.height() as f32 * scale) as u32,
            image::imageops::FilterType::Triangle,
        );
        let mut canvas = image::RgbImage::from_pixel(1280, 720, image::Rgb([90, 90, 90]));
        image::imageops::overlay(&mut canvas, &small, 100, 100);
        canvas
    } else {
        img
    };
    if let Some(path) = std::env::var_os("SAVE") {
        img.save(path).unwrap();
    }
    let (w, h) = (img.width(), img.height());
    let env = runtime::init(&paths::onnxruntime_library()).unwrap();
    let so = SessionOptions::default();
    let dir = paths::models_dir();
    let mut det = FaceDetector::new(ModelSession::load(&env, "d", &dir.join(paths::FACE_DETECTOR_FILE), &so).unwrap());
    let mut mm = FaceMeshModel::new(ModelSession::load(&env, "m", &dir.join(paths::FACE_MESH_FILE), &so).unwrap());
    let rgb = img.as_raw();
    let mut m = FaceMesh::default();
    let mut report = |name: &str, dets: &[FaceDetection], mm: &mut FaceMeshModel| {
        for d in dets {
            mm.run(rgb, w, h, mesh::roi_from_detection(d), &mut m).unwrap();
            let b = d.box_px;
            println!(
                "{name:>10} score {:.2} box [{:.0} {:.0} {:.0} {:.0}] presence {:.3}",
                d.score, b[0], b[1], b[2], b[3], m.presence
            );
        }
    };
    let mut out = Vec::new();
    let t0 = std::time::Instant::now();
    det.detect_window(rgb, w, h, &letterbox(w, h, INPUT_SIZE), 0.2, &mut out).unwrap();
    println!("full {:?}", t0.elapsed());
    report("full", &out, &mut mm);
    // tiles: squares of side `frac` x the short side, overlapping
    for frac in [0.6f32, 0.45] {
        let side = frac * w.min(h) as f32;
        let nx = ((w as f32 - side) / (side * 0.7)).ceil() as u32 + 1;
        let ny = ((h as f32 - side) / (side * 0.7)).ceil() as u32 + 1;
        for j in 0..ny {
            for i in 0..nx {
                let x0 = if nx > 1 { (w as f32 - side) * i as f32 / (nx - 1) as f32 } else { 0.0 };
                let y0 = if ny > 1 { (h as f32 - side) * j as f32 / (ny - 1) as f32 } else { 0.0 };
                let k = side / INPUT_SIZE as f32;
                let a = Affine2::scale_translate(k, k, x0, y0);
                out.clear();
                det.detect_window(rgb, w, h, &a, 0.2, &mut out).unwrap();
                report(&format!("t{frac}:{i},{j}"), &out, &mut mm);
            }
        }
    }
    for deg in [-30.0f32, 30.0] {
        let side = w.max(h) as f32;
        let sq = RotatedSquare { center: [w as f32 / 2.0, h as f32 / 2.0], side, angle: deg.to_radians() };
        out.clear();
        det.detect_window(rgb, w, h, &sq.frame_from_crop(INPUT_SIZE as f32), 0.2, &mut out).unwrap();
        report(&format!("rot{deg}"), &out, &mut mm);
    }
}

fn rotate(img: &image::RgbImage, a: f32) -> image::RgbImage {
    let (w, h) = (img.width(), img.height());
    let mut out = image::RgbImage::new(w, h);
    let (s, c) = a.sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            let sx = c * dx + s * dy + cx;
            let sy = -s * dx + c * dy + cy;
            if sx >= 0.0 && sy >= 0.0 && (sx as u32) < w && (sy as u32) < h {
                out.put_pixel(x, y, *img.get_pixel(sx as u32, sy as u32));
            }
        }
    }
    out
}
