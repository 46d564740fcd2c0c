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
    assert!(v["fps_by_faces"]["1"].as_f64().unwrap() > 0.0, "{}", v["fps_by_faces"]);
    assert!(v["frame_over_slowest_stage"].as_f64().unwrap() > 0.5);
    assert!(["perception", "stylize", "compose"].contains(&v["slowest_stage"].as_str().unwrap()));
    // a repeated picture is still: every consecutive pair counts, and the output holds still
    let s = &v["stability"];
    assert_eq!(s["pairs"], 19, "{s}");
    assert_eq!(s["input_change"].as_f64().unwrap(), 0.0);
    assert!(s["output_change"].as_f64().unwrap() < 0.5, "a still picture flickers: {s}");
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

#[test]
fn unknown_character_lists_the_installed_ones() {
    let dir = tempdir();
    let img = project_file("assets/demo/astronaut.png");
    let out = webtoonme(
        &["photo", img.to_str().unwrap(), "-o", dir.join("o.png").to_str().unwrap(), "--character", "nobody"],
        &[],
    );
    assert_clean_failure(&out, &["unknown character 'nobody'", "haru"]);
}

#[test]
fn a_pack_with_a_corrupt_model_is_named() {
    let dir = tempdir();
    let pack = dir.join("packs").join("broken");
    std::fs::create_dir_all(&pack).unwrap();
    let toml = std::fs::read_to_string(project_file("assets/characters/haru/character.toml"))
        .unwrap()
        .replace("id = \"haru\"", "id = \"broken\"");
    std::fs::write(pack.join("character.toml"), toml).unwrap();
    std::fs::copy(project_file("assets/characters/haru/thumbnail.png"), pack.join("thumbnail.png")).unwrap();
    std::fs::copy(project_file("assets/characters/haru/background.onnx"), pack.join("background.onnx")).unwrap();
    std::fs::write(pack.join("face.onnx"), b"not an onnx model at all").unwrap();
    let img = project_file("assets/demo/astronaut.png");
    let out = webtoonme(
        &["photo", img.to_str().unwrap(), "-o", dir.join("o.png").to_str().unwrap(), "--character", "broken"],
        &[("WEBTOONME_CHARACTERS", dir.join("packs").as_path())],
    );
    assert_clean_failure(&out, &["broken", "face.onnx", "not a usable ONNX model"]);
}

#[test]
fn video_rejects_a_file_that_is_not_a_video() {
    let dir = tempdir();
    let txt = dir.join("clip.mp4");
    std::fs::write(&txt, "hello, not a video\n").unwrap();
    let out = webtoonme(&["video", txt.to_str().unwrap(), "-o", dir.join("o.mp4").to_str().unwrap()], &[]);
    assert_clean_failure(&out, &["clip.mp4"]);
}

/// A JPEG of the astronaut stored sideways with an EXIF orientation tag (6: rotate 90 degrees
/// clockwise to show it upright).
fn jpeg_with_orientation(path: &Path, orientation: u16) {
    let img = image::open(project_file("assets/demo/astronaut.png")).unwrap().into_rgb8();
    // stored as a camera held sideways records it: turned 90 degrees counter-clockwise
    let small = image::imageops::rotate270(&image::imageops::crop_imm(&img, 0, 0, 512, 384).to_image());
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 92).encode_image(&small).unwrap();
    // APP1 Exif: little-endian TIFF with one IFD entry, Orientation (0x0112), SHORT, count 1
    let mut tiff = vec![b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0];
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    std::fs::write(path, out).unwrap();
}

#[test]
fn photo_honours_exif_orientation_and_writes_jpeg_too() {
    let dir = tempdir();
    let input = dir.join("turned.jpg");
    jpeg_with_orientation(&input, 6);
    let output = dir.join("webtoon.jpg");
    let out = webtoonme(&["photo", input.to_str().unwrap(), "-o", output.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let written = image::open(&output).unwrap();
    assert_eq!((written.width(), written.height()), (512, 384), "rotated upright");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 face(s)"), "the upright face is found");
}

fn ffprobe_json(path: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json"])
        .arg(path)
        .output()
        .expect("ffprobe (setup installs ffmpeg)");
    assert!(out.status.success() && out.stderr.is_empty(), "ffprobe: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn video_keeps_frame_count_rate_and_audio() {
    let dir = tempdir();
    let input = dir.join("in.mp4");
    // the astronaut panning, 25 fps, 2 s, with a tone: a baseline H.264 + AAC file
    let made = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-loop", "1", "-i"])
        .arg(project_file("assets/demo/astronaut.png"))
        .args(["-f", "lavfi", "-i", "sine=frequency=440", "-t", "2", "-vf"])
        .arg("crop=400:300:'20+40*t':20,format=yuv420p")
        .args(["-r", "25", "-c:v", "libx264", "-profile:v", "baseline", "-c:a", "aac", "-shortest"])
        .arg(&input)
        .status()
        .expect("ffmpeg (setup installs it)");
    assert!(made.success());
    let output = dir.join("out.mp4");
    let out = webtoonme(&["video", input.to_str().unwrap(), "-o", output.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (a, b) = (ffprobe_json(&input), ffprobe_json(&output));
    let stream = |v: &serde_json::Value, kind: &str| {
        v["streams"].as_array().unwrap().iter().find(|s| s["codec_type"] == kind).cloned()
    };
    let (va, vb) = (stream(&a, "video").unwrap(), stream(&b, "video").unwrap());
    assert_eq!(va["nb_read_frames"], vb["nb_read_frames"], "same frame count");
    assert_eq!(va["r_frame_rate"], vb["r_frame_rate"], "same frame rate");
    assert_eq!(vb["codec_name"], "h264");
    assert_eq!(vb["pix_fmt"], "yuv420p");
    assert_eq!((vb["width"].as_u64(), vb["height"].as_u64()), (Some(400), Some(300)));
    let audio = stream(&b, "audio").expect("audio kept");
    let da: f64 = stream(&a, "audio").unwrap()["duration"].as_str().unwrap().parse().unwrap();
    let db: f64 = audio["duration"].as_str().unwrap().parse().unwrap();
    assert!((da - db).abs() < 0.1, "audio {da} s in, {db} s out");
}
