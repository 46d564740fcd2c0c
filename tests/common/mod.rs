//! Helpers shared by the integration tests: real photos, the duo collage, loading perception.
#![allow(dead_code)]

use std::path::PathBuf;

use image::{RgbImage, imageops};
use webtoonme::frame::Frame;
use webtoonme::perception::{Perception, PerceptionConfig};

pub fn project_file(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub fn astronaut() -> RgbImage {
    image::open(project_file("assets/demo/astronaut.png")).expect("assets/demo/astronaut.png").into_rgb8()
}

/// 'duo': two people close to the camera, 1280x720, built from the astronaut photo the way the
/// MediaPipe reference run built it (left: the photo at 640x640; right: mirrored, top 450 rows).
pub fn duo() -> RgbImage {
    let astro = astronaut();
    let mut canvas = RgbImage::from_pixel(1280, 720, image::Rgb([120, 120, 120]));
    let left = imageops::resize(&astro, 640, 640, imageops::FilterType::Triangle);
    imageops::replace(&mut canvas, &left, 0, 40);
    let mirrored = imageops::flip_horizontal(&astro);
    let top = imageops::crop_imm(&mirrored, 0, 0, 512, 450).to_image();
    let right = imageops::resize(&top, 640, 562, imageops::FilterType::Triangle);
    imageops::replace(&mut canvas, &right, 640, 158);
    canvas
}

/// `t1.jpg` of the insightface 2.1 source package: six people at a card table (1280x886).
/// Fetched by `scripts/fetch_test_photos.sh` (pinned version and sha256, never committed); setup
/// runs it, and a test that needs the photo runs it again when it is missing.
pub fn t1_path() -> PathBuf {
    let path = project_file("runtime/test-photos/t1.jpg");
    if !path.exists() {
        let out = std::process::Command::new("bash")
            .arg(project_file("scripts/fetch_test_photos.sh"))
            .output()
            .expect("run scripts/fetch_test_photos.sh");
        assert!(out.status.success(), "scripts/fetch_test_photos.sh failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    path
}

pub fn t1() -> RgbImage {
    let path = t1_path();
    image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).into_rgb8()
}

pub fn frame_of(img: &RgbImage) -> Frame {
    Frame::from_rgb(img.width(), img.height(), img.as_raw().clone())
}

/// Perception for still photos. Fails loudly when setup has not run: these tests need the real
/// models (`make test` runs setup first).
pub fn perception_for_photos() -> Perception {
    Perception::load(PerceptionConfig::for_photos())
        .unwrap_or_else(|e| panic!("perception models unavailable ({e}); run scripts/setup.sh"))
}

pub fn perception_live() -> Perception {
    Perception::load(PerceptionConfig::default())
        .unwrap_or_else(|e| panic!("perception models unavailable ({e}); run scripts/setup.sh"))
}

pub fn oracle() -> serde_json::Value {
    let text = std::fs::read_to_string(project_file("tests/data/oracle/mediapipe_reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn median(v: &mut [f32]) -> f32 {
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

/// A damaged character pack made from a copy of the built-in `haru`: its id, the file a problem
/// must name (relative to the pack), and words the reason must hold.
#[derive(Debug, Clone, Copy)]
pub struct Damage {
    pub id: &'static str,
    pub file: &'static str,
    pub reason: &'static [&'static str],
}

/// Every kind of damage a pack's checks must catch at load (the files look fine to a file
/// check; the models or values inside are not).
pub const DAMAGES: &[Damage] = &[
    Damage { id: "garbage", file: "face.onnx", reason: &["[face] model cannot be loaded", "not a usable ONNX model"] },
    Damage { id: "halfcopied", file: "background.onnx", reason: &["[background] model cannot be loaded"] },
    Damage { id: "twoinputs", file: "face.onnx", reason: &["takes 2 inputs (image, style)"] },
    Damage { id: "onechannel", file: "face.onnx", reason: &["1 channels", "expected 3"] },
    Damage { id: "wrongsize", file: "face.onnx", reason: &["256x256", "size = [128, 128]"] },
    Damage { id: "stylenan", file: "character.toml", reason: &["[style] saturation", "finite"] },
    Damage { id: "styleinf", file: "character.toml", reason: &["[style] contrast", "finite"] },
    Damage { id: "styletype", file: "character.toml", reason: &["[style] tone_steps", "whole number"] },
    Damage { id: "stylekey", file: "character.toml", reason: &["[style] sparkle", "unknown key"] },
    Damage { id: "drawingnan", file: "character.toml", reason: &["drawing.blush", "NaN"] },
];

/// A pack that passes every check at load but whose background model fails on any picture but
/// the 64x48 trial one: it breaks while the app runs.
pub const BREAKS_LATER: &str = "later";

/// A copy of the built-in `haru` pack as `<root>/<id>`, its character.toml passed through `edit`.
pub fn copy_haru(root: &std::path::Path, id: &str, edit: impl FnOnce(String) -> String) -> PathBuf {
    let from = project_file("assets/characters/haru");
    let to = root.join(id);
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(&from).unwrap().flatten() {
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    let toml =
        std::fs::read_to_string(to.join("character.toml")).unwrap().replace("id = \"haru\"", &format!("id = \"{id}\""));
    std::fs::write(to.join("character.toml"), edit(toml)).unwrap();
    to
}

/// Writes every pack of [`DAMAGES`] and the [`BREAKS_LATER`] pack into `root`.
pub fn write_damaged_packs(root: &std::path::Path) {
    let set = |key: &str, value: &str| {
        let (key, value) = (key.to_string(), value.to_string());
        move |toml: String| {
            let line = toml.lines().find(|l| l.starts_with(&format!("{key} "))).unwrap().to_string();
            toml.replacen(&line, &format!("{key} = {value}"), 1)
        }
    };
    let fixture = |name: &str| project_file(&format!("tests/data/{name}"));
    for d in DAMAGES {
        let dir = match d.id {
            "stylenan" => copy_haru(root, d.id, set("saturation", "nan")),
            "styleinf" => copy_haru(root, d.id, set("contrast", "inf")),
            "styletype" => copy_haru(root, d.id, set("tone_steps", "\"three\"")),
            "stylekey" => copy_haru(root, d.id, |t| t.replace("saturation =", "sparkle = 1\nsaturation =")),
            "drawingnan" => copy_haru(root, d.id, set("blush", "nan")),
            "wrongsize" => copy_haru(root, d.id, |t| t.replacen("size = [256, 256]", "size = [128, 128]", 1)),
            _ => copy_haru(root, d.id, |t| t),
        };
        match d.id {
            "garbage" => {
                // random bytes, as a damaged download would leave
                let mut x = 0x2545_f491_u32;
                let bytes: Vec<u8> = (0..4096)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 17;
                        x ^= x << 5;
                        x as u8
                    })
                    .collect();
                std::fs::write(dir.join("face.onnx"), bytes).unwrap();
            }
            "halfcopied" => {
                let full = std::fs::read(dir.join("background.onnx")).unwrap();
                std::fs::write(dir.join("background.onnx"), &full[..full.len() / 2]).unwrap();
            }
            "twoinputs" => {
                std::fs::copy(fixture("damaged/two_inputs.onnx"), dir.join("face.onnx")).unwrap();
            }
            "onechannel" => {
                std::fs::copy(fixture("damaged/one_channel.onnx"), dir.join("face.onnx")).unwrap();
            }
            "wrongsize" => {
                std::fs::copy(fixture("descriptors/identity_256.onnx"), dir.join("face.onnx")).unwrap();
            }
            _ => {}
        }
    }
    let later = copy_haru(root, BREAKS_LATER, |t| t);
    std::fs::copy(fixture("damaged/breaks_later.onnx"), later.join("background.onnx")).unwrap();
}

/// Small deterministic generator (xorshift) for test data.
pub struct Rng(pub u64);

impl Rng {
    /// Uniform in 0..1.
    pub fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }

    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.next()
    }
}

/// `webtoonme ARGS` with `WEBTOONME_CHARACTERS` set to `characters` (no backtraces).
pub fn webtoonme_with_characters(args: &[&str], characters: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_webtoonme"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .env("WEBTOONME_CHARACTERS", characters)
        .output()
        .expect("run webtoonme")
}
