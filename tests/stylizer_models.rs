//! The model descriptor on real ONNX files: every layout x channel order x value range, through
//! tiny colour-inverting fixtures (tests/data/descriptors, made by make_descriptor_fixtures.py).
//! A loader that gets any convention wrong returns visibly wrong colours.

mod common;

use common::project_file;
use webtoonme::perception::runtime::SessionOptions;
use webtoonme::stylize::StylizerModel;
use webtoonme::stylize::descriptor::{RawDescriptor, SizeRule};
use webtoonme::stylize::model::RgbBuffer;

#[derive(serde::Deserialize)]
struct Fixtures {
    fixture: Vec<toml::Table>,
}

fn test_picture(w: u32, h: u32) -> Vec<u8> {
    // the astronaut's face region, resampled: real colours, edges and gradients
    let img = image::open(project_file("assets/demo/astronaut.png")).unwrap().into_rgb8();
    let crop = image::imageops::crop_imm(&img, 150, 50, 160, 160).to_image();
    image::imageops::resize(&crop, w, h, image::imageops::FilterType::Triangle).into_raw()
}

#[test]
fn every_layout_order_and_range_round_trips_within_one_level() {
    let dir = project_file("tests/data/descriptors");
    let text = std::fs::read_to_string(dir.join("fixtures.toml")).expect("fixtures.toml");
    let fixtures: Fixtures = toml::from_str(&text).unwrap();
    assert!(fixtures.fixture.len() >= 16, "every combination is listed ({})", fixtures.fixture.len());
    let mut checked = 0;
    for entry in fixtures.fixture {
        let raw: RawDescriptor = entry.clone().try_into().unwrap_or_else(|e| panic!("{entry:?}: {e}"));
        let desc = raw.validate().unwrap();
        if !desc.model.starts_with("invert_") {
            continue;
        }
        let path = dir.join(&desc.model);
        let mut model = StylizerModel::load("fixture", &path, desc.clone(), &SessionOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (w, h) = match desc.size {
            SizeRule::Fixed { width, height } => (width, height),
            SizeRule::Multiple { multiple, .. } => (multiple * 6, multiple * 4),
        };
        let input = test_picture(w, h);
        let mut out = RgbBuffer::default();
        model.run(&input, w, h, &mut out).unwrap();
        assert_eq!((out.width, out.height), (w, h), "{}", desc.model);
        let worst = input.iter().zip(&out.rgb).map(|(a, b)| (255 - *a as i32 - *b as i32).abs()).max().unwrap();
        assert!(worst <= 1, "{}: worst error {worst} levels", desc.model);
        checked += 1;
    }
    assert!(checked >= 16, "checked {checked} fixtures");
}
