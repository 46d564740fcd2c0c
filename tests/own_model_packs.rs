//! Packs that bring their own models (issue 13): a pack needs only `[character]` and `[face]`
//! and/or `[background]`; the app's painting (skin, hair), drawing, warping and outline ink
//! apply only where the pack asks for them, so the picture is the model's own. Errors name the
//! section that is wrong or missing.
//!
//! The "third-party" model here is the project's colour-inverting descriptor fixture
//! (tests/data/descriptors: NHWC, BGR, 0..255, dynamic size), a network with conventions of its
//! own: whatever the app adds on top of it shows as a difference from the inverted photo.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{project_file, webtoonme_with_characters};
use webtoonme::character::CharacterSet;

fn tempdir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let d = std::env::temp_dir().join(format!("webtoonme-own-{tag}-{}-{nanos}", std::process::id()));
    fs::create_dir_all(&d).unwrap();
    d
}

const HEADER: &str = r#"[character]
id = "{id}"
name = "Inverted"
author = "a studio"
licence = "CC0-1.0"
thumbnail = "thumbnail.png"
"#;

const BACKGROUND: &str = r#"
[background]
model = "invert.onnx"
layout = "nhwc"
color = "bgr"
input_range = [0.0, 255.0]
output_range = [0.0, 255.0]
size_multiple = 8
max_side = 640
"#;

/// A pack folder `<root>/<id>` with the inverting model and a thumbnail.
fn pack(root: &Path, id: &str, body: &str) -> PathBuf {
    let dir = root.join(id);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("character.toml"), HEADER.replace("{id}", id) + body).unwrap();
    fs::copy(project_file("tests/data/descriptors/invert_dynamic_nhwc_bgr_byte.onnx"), dir.join("invert.onnx"))
        .unwrap();
    image::RgbImage::from_pixel(32, 32, image::Rgb([90, 90, 200])).save(dir.join("thumbnail.png")).unwrap();
    dir
}

#[test]
fn a_pack_with_only_character_and_background_loads_with_nothing_else_asked() {
    let root = tempdir("load");
    pack(&root, "inverted", BACKGROUND);
    let set = CharacterSet::load(std::slice::from_ref(&root));
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let p = set.get("inverted").unwrap();
    assert!(p.skin.is_none() && p.drawing.is_none() && p.face.is_none() && p.style.is_empty());
    assert!(p.background.is_some());
}

#[test]
fn errors_name_the_section_that_is_missing_or_wrong() {
    let root = tempdir("errors");
    // no [character] at all: the first line is [background]
    let dir = root.join("nochar");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("character.toml"), BACKGROUND.trim_start()).unwrap();
    // [skin] present but incomplete
    pack(&root, "halfskin", &format!("{BACKGROUND}\n[skin]\ntone = \"#f0d0c0\"\nkeep = 0.5\n"));
    // the model file missing in [background]
    pack(&root, "nomodel", &BACKGROUND.replace("model = \"invert.onnx\"\n", ""));
    let set = CharacterSet::load(std::slice::from_ref(&root));
    assert!(set.packs.is_empty(), "{:?}", set.packs.iter().map(|p| &p.id).collect::<Vec<_>>());
    let problem = |folder: &str| {
        set.problems
            .iter()
            .find(|p| p.file.parent().is_some_and(|d| d.ends_with(folder)))
            .unwrap_or_else(|| panic!("no problem for {folder}: {:?}", set.problems))
            .to_string()
    };
    let nochar = problem("nochar");
    assert!(nochar.contains("missing section [character]"), "{nochar}");
    let halfskin = problem("halfskin");
    assert!(halfskin.contains("`shadow`") && halfskin.contains("[skin]"), "{halfskin}");
    assert!(!halfskin.contains("[character]"), "{halfskin}");
    let nomodel = problem("nomodel");
    assert!(nomodel.contains("`model`") && nomodel.contains("[background]"), "{nomodel}");
}

/// The astronaut through a pack whose only model inverts the picture: every pixel is the inverted
/// photo (the person too: no skin or hair paint, no drawn face, no outline ink), within the
/// model's rounding and the working resolution's resampling.
#[test]
fn the_app_paints_nothing_over_a_model_the_pack_brings() {
    let root = tempdir("photo");
    pack(&root, "inverted", BACKGROUND);
    let photo = project_file("assets/demo/astronaut.png");
    let out_png = root.join("out.png");
    let out = webtoonme_with_characters(
        &["photo", photo.to_str().unwrap(), "-o", out_png.to_str().unwrap(), "--character", "inverted"],
        &root,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let src = image::open(&photo).unwrap().into_rgb8();
    let got = image::open(&out_png).unwrap().into_rgb8();
    assert_eq!(src.dimensions(), got.dimensions());
    // compare on the face and body of the astronaut (where the app would paint) and overall
    let (w, h) = src.dimensions();
    let mut far = [0usize; 2];
    let mut total = [0usize; 2];
    for y in 0..h {
        for x in 0..w {
            let (s, g) = (src.get_pixel(x, y).0, got.get_pixel(x, y).0);
            let d = (0..3).map(|c| (255 - s[c] as i32 - g[c] as i32).abs()).max().unwrap();
            let person = (150..310).contains(&x) && (40..300).contains(&y);
            let k = usize::from(person);
            total[k] += 1;
            if d > 40 {
                far[k] += 1;
            }
        }
    }
    let share = |k: usize| far[k] as f64 / total[k] as f64;
    println!("pixels off the inverted photo by > 40: person box {:.4}, elsewhere {:.4}", share(1), share(0));
    // resampling at the working resolution softens edges: a few edge pixels differ, not regions
    assert!(share(1) < 0.02, "the person is painted over: {:.3} of its pixels differ", share(1));
    assert!(share(0) < 0.02, "the picture is painted over: {:.3} differ", share(0));
}
