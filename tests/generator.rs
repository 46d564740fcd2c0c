//! The built-in character generator (scripts/characters/make_stylizer.py): its graphs follow the
//! style parameters in character.toml. Runs the generator with the tool venv that setup installs.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::project_file;
use webtoonme::perception::runtime::SessionOptions;
use webtoonme::stylize::StylizerModel;
use webtoonme::stylize::descriptor::RawDescriptor;
use webtoonme::stylize::model::RgbBuffer;

fn python() -> PathBuf {
    let p = project_file("runtime/tools-venv/bin/python");
    assert!(p.exists(), "{} missing: run scripts/setup.sh", p.display());
    p
}

/// A copy of haru's pack with `edit` applied to its TOML, built by the generator.
fn build_variant(name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("webtoonme-gen-{}-{name}", std::process::id())).join("haru");
    std::fs::create_dir_all(&dir).unwrap();
    let toml = std::fs::read_to_string(project_file("assets/characters/haru/character.toml")).unwrap();
    std::fs::write(dir.join("character.toml"), edit(toml)).unwrap();
    std::fs::copy(project_file("assets/characters/haru/thumbnail.png"), dir.join("thumbnail.png")).unwrap();
    let out = Command::new(python())
        .arg(project_file("scripts/characters/make_stylizer.py"))
        .arg("--no-thumbnail-check")
        .arg("build")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "generator failed: {}", String::from_utf8_lossy(&out.stderr));
    dir
}

fn face_output(pack: &Path) -> RgbBuffer {
    let desc: RawDescriptor = toml::from_str("model = \"face.onnx\"\nsize = [256, 256]").unwrap();
    let mut model =
        StylizerModel::load("face", &pack.join("face.onnx"), desc.validate().unwrap(), &SessionOptions::default())
            .unwrap();
    let img = image::open(project_file("assets/demo/astronaut.png")).unwrap().into_rgb8();
    let crop = image::imageops::crop_imm(&img, 135, 35, 180, 180).to_image();
    let crop = image::imageops::resize(&crop, 256, 256, image::imageops::FilterType::CatmullRom);
    let mut out = RgbBuffer::default();
    model.run(crop.as_raw(), 256, 256, &mut out).unwrap();
    out
}

fn dark_share(b: &RgbBuffer) -> f64 {
    let dark = b.rgb.chunks_exact(3).filter(|p| (p[0] as u32 + p[1] as u32 + p[2] as u32) / 3 < 70).count();
    dark as f64 / (b.rgb.len() / 3) as f64
}

fn set_key(toml: String, key: &str, value: &str) -> String {
    toml.lines()
        .map(
            |l| if l.trim_start().starts_with(&format!("{key} ")) { format!("{key} = {value}") } else { l.to_string() },
        )
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn generated_graphs_follow_the_style_parameters() {
    let same = build_variant("same", |t| t);
    let no_ink = build_variant("noink", |t| set_key(t, "ink_darkness", "0.0"));
    let heavy_ink = build_variant("heavyink", |t| set_key(set_key(t, "ink_darkness", "1.0"), "ink_sigma", "1.6"));
    // the same TOML gives the same pictures as the installed pack
    let installed = face_output(&project_file("assets/characters/haru"));
    assert_eq!(face_output(&same).rgb, installed.rgb, "the generator is deterministic");
    let (none, heavy) = (dark_share(&face_output(&no_ink)), dark_share(&face_output(&heavy_ink)));
    println!("dark pixels: no ink {:.3}, heavy ink {:.3}", none, heavy);
    assert!(heavy > none + 0.02, "heavier ink must draw more dark lines ({none:.3} -> {heavy:.3})");
}
