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
