//! The command line as users and scripts meet it: bad input gives one clear line and a non-zero
//! exit, never a panic; `detect --json` and `bench --json` keep their documented shape.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::project_file;

fn webtoonme(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_webtoonme"));
    cmd.args(args).env("RUST_BACKTRACE", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run webtoonme")
}

/// Exit code non-zero, exactly one line on stderr mentioning every `needles`, no panic.
fn assert_clean_failure(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure, got success; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one error line expected, got: {stderr}");
    for n in needles {
        assert!(lines[0].contains(n), "error line lacks '{n}': {}", lines[0]);
    }
}

#[test]
fn missing_image_is_named() {
    let out = webtoonme(&["detect", "/nonexistent/dir/face.png", "--json"], &[]);
    assert_clean_failure(&out, &["/nonexistent/dir/face.png", "no such file"]);
}

#[test]
fn truncated_png_is_named() {
    let dir = tempdir();
    let bytes = std::fs::read(project_file("assets/demo/astronaut.png")).unwrap();
    let cut = dir.join("cut.png");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let out = webtoonme(&["detect", cut.to_str().unwrap(), "--json"], &[]);
    assert_clean_failure(&out, &["cut.png"]);
}

#[test]
fn text_file_is_not_an_image() {
    let dir = tempdir();
    let txt = dir.join("notes.png");
    std::fs::write(&txt, "this is not a picture\n").unwrap();
    let out = webtoonme(&["photo", txt.to_str().unwrap(), "-o", dir.join("o.png").to_str().unwrap(), "--overlay"], &[]);
    assert_clean_failure(&out, &["notes.png", "not"]);
}

#[test]
fn unknown_camera_index_is_named() {
    let out = webtoonme(&["live", "--source", "camera:7", "--exit-after-frames", "1"], &[]);
    assert_clean_failure(&out, &["camera 7"]);
}

#[test]
fn corrupt_model_is_named() {
    let dir = tempdir();
    let real = webtoonme::paths::models_dir();
    for f in [webtoonme::paths::FACE_MESH_FILE, webtoonme::paths::PERSON_SEGMENTER_FILE] {
        std::fs::copy(real.join(f), dir.join(f)).expect("models present (run setup)");
    }
    std::fs::write(dir.join(webtoonme::paths::FACE_DETECTOR_FILE), b"\x08\x07garbage, not a protobuf").unwrap();
    let img = project_file("assets/demo/astronaut.png");
    let out = webtoonme(&["detect", img.to_str().unwrap(), "--json"], &[("WEBTOONME_MODELS", dir.as_path())]);
    assert_clean_failure(&out, &[webtoonme::paths::FACE_DETECTOR_FILE, "not a usable ONNX model"]);
}

#[test]
fn missing_models_say_run_setup() {
    let dir = tempdir();
    let img = project_file("assets/demo/astronaut.png");
    let out = webtoonme(&["detect", img.to_str().unwrap()], &[("WEBTOONME_MODELS", dir.as_path())]);
    assert_clean_failure(&out, &["not found", "webtoonme setup"]);
}

#[test]
fn detect_json_lists_faces_with_478_landmarks() {
    let img = project_file("assets/demo/astronaut.png");
    let out = webtoonme(&["detect", img.to_str().unwrap(), "--json"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["width"], 512);
    let faces = v["faces"].as_array().unwrap();
    assert_eq!(faces.len(), 1);
    assert_eq!(faces[0]["landmarks"].as_array().unwrap().len(), 478);
    assert_eq!(faces[0]["keypoints"].as_array().unwrap().len(), 6);
    assert!(faces[0]["score"].as_f64().unwrap() > 0.85);
    let cov = v["person_coverage"].as_f64().unwrap();
    assert!((0.3..0.8).contains(&cov), "person coverage {cov}");
}

#[test]
fn photo_overlay_writes_a_picture_the_size_of_the_input() {
    let dir = tempdir();
    let out_png = dir.join("overlay.png");
    let img = project_file("assets/demo/astronaut.png");
    let out = webtoonme(&["photo", img.to_str().unwrap(), "-o", out_png.to_str().unwrap(), "--overlay"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let written = image::open(&out_png).unwrap().into_rgb8();
    let original = image::open(&img).unwrap().into_rgb8();
    assert_eq!(written.dimensions(), original.dimensions());
    // the overlay changed the face region (mesh drawn) and left a background corner nearly alone
    let diff = |x0: u32, y0: u32, x1: u32, y1: u32| {
        let mut d = 0u64;
        for y in y0..y1 {
            for x in x0..x1 {
                for k in 0..3 {
                    d += (written.get_pixel(x, y)[k] as i64 - original.get_pixel(x, y)[k] as i64).unsigned_abs();
                }
            }
        }
        d as f64 / ((x1 - x0) * (y1 - y0) * 3) as f64
    };
    assert!(diff(190, 90, 260, 160) > 10.0, "face region unchanged");
}

#[test]
fn bench_json_reports_the_documented_fields() {
    let img = project_file("assets/demo/astronaut.png");
    let src = format!("image:{}", img.display());
    let out = webtoonme(&["bench", "--source", &src, "--frames", "20", "--json"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["frames"], 20);
    assert_eq!(v["size"], serde_json::json!([512, 512]));
    for key in ["fps", "perception_over_model", "peak_rss_mb", "faces_mean"] {
        assert!(v[key].as_f64().unwrap() > 0.0, "{key} = {}", v[key]);
    }
    for key in ["latency_ms", "model_ms"] {
        assert!(
            v[key]["p50"].as_f64().unwrap() > 0.0 && v[key]["p95"].as_f64().unwrap() >= v[key]["p50"].as_f64().unwrap()
        );
    }
    for stage in ["detect", "mesh", "segment", "skin", "perception"] {
        assert!(v["stages_ms"][stage]["p95"].is_number(), "stage {stage}");
    }
    assert_eq!(v["dropped"], 0, "lock-step bench drops nothing");
    assert!(v["provider"].is_string());
    assert!((v["faces_mean"].as_f64().unwrap() - 1.0).abs() < 1e-9, "the astronaut in every frame");
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("webtoonme-cli-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed) * 1_000_003
        + std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64
}
