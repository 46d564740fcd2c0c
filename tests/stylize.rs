//! Characters on real photos: the face geometry round trip, per-character golden images, people
//! wearing different characters, and each character looking clearly different.

mod common;

use common::*;
use webtoonme::compose::{AdapterPreference, ComposeParams, Compositor};
use webtoonme::perception::FrameAnalysis;
use webtoonme::perception::runtime::SessionOptions;
use webtoonme::render::{compose_frame, compose_params, stylize_stage};
use webtoonme::stylize::assign::{AssignMode, CharacterAssigner};
use webtoonme::stylize::descriptor::RawDescriptor;
use webtoonme::stylize::stage::CharacterModels;
use webtoonme::stylize::{StylizeStage, StylizedFrame, StylizerModel};

fn compositor() -> Compositor {
    Compositor::new_headless_with(AdapterPreference::Software)
        .unwrap_or_else(|e| panic!("no wgpu adapter ({e}); setup installs mesa-vulkan-drivers"))
}

fn identity_face_model() -> StylizerModel {
    let desc: RawDescriptor = toml::from_str(
        "model = \"identity_256.onnx\"\nlayout = \"nchw\"\ncolor = \"rgb\"\ninput_range = [0.0, 1.0]\noutput_range = [0.0, 1.0]\nsize = [256, 256]",
    )
    .unwrap();
    let path = project_file("tests/data/descriptors/identity_256.onnx");
    StylizerModel::load("identity", &path, desc.validate().unwrap(), &SessionOptions::default()).unwrap()
}

#[test]
fn identity_face_stylizer_gives_back_the_input_away_from_the_feather() {
    for img in [astronaut(), duo()] {
        let frame = frame_of(&img);
        let mut a = FrameAnalysis::default();
        perception_for_photos().process(&frame, &mut a).unwrap();
        assert!(!a.faces.is_empty());
        let models = vec![CharacterModels { face: Some(identity_face_model()), ..Default::default() }];
        let mut stage = StylizeStage::new(models, CharacterAssigner::new(1, 0));
        let mut s = StylizedFrame::default();
        stage.process(&frame, &a, &mut s).unwrap();
        assert_eq!(s.faces.len(), a.faces.len());
        let mut out = Vec::new();
        compose_frame(&mut compositor(), &frame, &a, &s, ComposeParams::default(), &mut out).unwrap();
        // classify every frame pixel by the face alpha it receives
        let (w, h) = (frame.width as usize, frame.height as usize);
        let (mut inside, mut inside_n, mut outside_max) = (0u64, 0u64, 0i32);
        for y in 0..h {
            for x in 0..w {
                let mut alpha = 0u8;
                for f in &s.faces {
                    // every texel the compositor's bilinear alpha lookup can touch
                    let c = f.crop_from_frame.apply([x as f32 + 0.5, y as f32 + 0.5]);
                    let (u0, v0) = ((c[0] - 0.5).floor() as i32, (c[1] - 0.5).floor() as i32);
                    for (du, dv) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                        let (u, v) = (u0 + du, v0 + dv);
                        if (0..256).contains(&u) && (0..256).contains(&v) {
                            alpha = alpha.max(f.alpha[v as usize * 256 + u as usize]);
                        }
                    }
                }
                let i = (y * w + x) * 3;
                let d = (0..3).map(|k| (out[i + k] as i32 - frame.rgb[i + k] as i32).abs()).max().unwrap();
                if alpha == 0 {
                    outside_max = outside_max.max(d);
                } else if alpha == 255 {
                    inside += d as u64;
                    inside_n += 1;
                }
            }
        }
        let mean_inside = inside as f64 / inside_n.max(1) as f64;
        println!(
            "{}x{}: inside face mean error {mean_inside:.2} levels over {inside_n} px; outside max {outside_max}",
            w, h
        );
        assert!(inside_n > 2000, "face area too small: {inside_n}");
        assert!(mean_inside <= 2.0, "inside the face the round trip is off by {mean_inside:.2} levels on average");
        assert_eq!(outside_max, 0, "pixels outside every face layer must be untouched");
    }
}

fn render(character: usize, mode: AssignMode, img: &image::RgbImage) -> (Vec<u8>, StylizedFrame) {
    let set = webtoonme::character::CharacterSet::load_default();
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let frame = frame_of(img);
    let mut a = FrameAnalysis::default();
    perception_for_photos().process(&frame, &mut a).unwrap();
    let mut stage = stylize_stage(&set, character, mode, &SessionOptions::default()).unwrap();
    let mut s = StylizedFrame::default();
    stage.process(&frame, &a, &mut s).unwrap();
    let mut out = Vec::new();
    let params = compose_params(&set.packs[s.scene_character]);
    compose_frame(&mut compositor(), &frame, &a, &s, params, &mut out).unwrap();
    (out, s)
}

fn mean_abs(a: &[u8], b: &[u8]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (*x as i32 - *y as i32).unsigned_abs() as u64).sum::<u64>() as f64 / a.len() as f64
}

/// Golden images: tests/snapshots/<id>_astronaut.png, the astronaut as each built-in character
/// (stylized, reshaped and drawn). After a deliberate change of the look, regenerate them with
/// `UPDATE_SNAPSHOTS=1 cargo test --test stylize every_character`, look at them (zoom into the
/// face), and commit them with the change.
#[test]
fn every_character_matches_its_golden_image_and_differs_from_the_others() {
    let set = webtoonme::character::CharacterSet::load_default();
    assert!(set.packs.len() >= 4, "four built-in characters");
    let img = astronaut();
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut outputs = Vec::new();
    for (i, pack) in set.packs.iter().enumerate() {
        let (out, s) = render(i, AssignMode::Default, &img);
        assert_eq!(s.faces.len(), 1);
        assert_eq!(s.faces[0].character, i);
        let golden = project_file(&format!("tests/snapshots/{}_astronaut.png", pack.id));
        if update {
            image::RgbImage::from_raw(img.width(), img.height(), out.clone()).unwrap().save(&golden).unwrap();
        }
        let expected = image::open(&golden)
            .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SNAPSHOTS=1 writes it)", golden.display()))
            .into_rgb8();
        let diff = mean_abs(&out, expected.as_raw());
        let mut per_px: Vec<i32> =
            out.iter().zip(expected.as_raw()).map(|(a, b)| (*a as i32 - *b as i32).abs()).collect();
        per_px.sort_unstable();
        let p99 = per_px[per_px.len() * 99 / 100];
        println!("{}: mean diff to golden {diff:.3}, p99 {p99}", pack.id);
        assert!(diff <= 1.5 && p99 <= 24, "{} drifted from its golden image: mean {diff:.2}, p99 {p99}", pack.id);
        // stylized, not the photo
        assert!(mean_abs(&out, img.as_raw()) > 6.0, "{} barely changes the photo", pack.id);
        outputs.push((pack.id.clone(), out));
    }
    for i in 0..outputs.len() {
        for j in i + 1..outputs.len() {
            let d = mean_abs(&outputs[i].1, &outputs[j].1);
            println!("{} vs {}: {d:.1}", outputs[i].0, outputs[j].0);
            assert!(d > 6.0, "{} and {} look alike (mean difference {d:.1} levels)", outputs[i].0, outputs[j].0);
        }
    }
}

#[test]
fn two_people_can_wear_different_characters() {
    let (_, s) = render(0, AssignMode::RoundRobin, &duo());
    assert_eq!(s.faces.len(), 2);
    assert_ne!(s.faces[0].character, s.faces[1].character, "round robin gives the second person the next character");
    let (_, s) = render(2, AssignMode::Default, &duo());
    assert!(s.faces.iter().all(|f| f.character == 2), "everyone wears the chosen default");
}
