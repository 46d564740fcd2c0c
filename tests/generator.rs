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
    build_variant_of("haru", name, edit)
}

/// A copy of built-in pack `id` with `edit` applied to its TOML, built by the generator.
fn build_variant_of(id: &str, name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("webtoonme-gen-{}-{name}", std::process::id())).join(id);
    std::fs::create_dir_all(&dir).unwrap();
    let toml = std::fs::read_to_string(project_file(&format!("assets/characters/{id}/character.toml"))).unwrap();
    std::fs::write(dir.join("character.toml"), edit(toml)).unwrap();
    std::fs::copy(project_file(&format!("assets/characters/{id}/thumbnail.png")), dir.join("thumbnail.png")).unwrap();
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

/// The background model of a pack run on a picture at the working size the app uses (long side
/// 640, multiples of 8).
fn background_output(pack: &Path, img: &image::RgbImage) -> RgbBuffer {
    let desc: RawDescriptor = toml::from_str("model = \"background.onnx\"\nsize_multiple = 8\nmax_side = 640").unwrap();
    let mut model = StylizerModel::load(
        "background",
        &pack.join("background.onnx"),
        desc.validate().unwrap(),
        &SessionOptions::default(),
    )
    .unwrap();
    let (w, h) = model.tensor_size(img.width(), img.height());
    let small = image::imageops::resize(img, w, h, image::imageops::FilterType::Triangle);
    let mut out = RgbBuffer::default();
    model.run(small.as_raw(), w, h, &mut out).unwrap();
    out
}

/// Ink specks per megapixel: connected groups (8-neighbours) of at most `SPECK_MAX_PX` ink pixels,
/// ink being where the picture with ink is darker than the same graph without ink by a quarter.
fn specks_per_mp(with_ink: &RgbBuffer, without: &RgbBuffer) -> f64 {
    const SPECK_MAX_PX: usize = 16;
    let (w, h) = (with_ink.width as usize, with_ink.height as usize);
    let luma = |b: &RgbBuffer, i: usize| {
        0.299 * b.rgb[i * 3] as f32 + 0.587 * b.rgb[i * 3 + 1] as f32 + 0.114 * b.rgb[i * 3 + 2] as f32
    };
    let ink: Vec<bool> = (0..w * h).map(|i| luma(with_ink, i) < 0.75 * luma(without, i)).collect();
    let mut seen = vec![false; w * h];
    let (mut specks, mut stack) = (0usize, Vec::new());
    for start in 0..w * h {
        if !ink[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut area = 0;
        while let Some(i) = stack.pop() {
            area += 1;
            let (x, y) = ((i % w) as i64, (i / w) as i64);
            for (dx, dy) in [(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)] {
                let (nx, ny) = (x + dx, y + dy);
                if nx >= 0 && ny >= 0 && (nx as usize) < w && (ny as usize) < h {
                    let j = ny as usize * w + nx as usize;
                    if ink[j] && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        specks += usize::from(area <= SPECK_MAX_PX);
    }
    specks as f64 / ((w * h) as f64 / 1e6)
}

/// Without its `[style.background]` table: the background graph as it was before textured scenes
/// were cleaned up (the look issue 10 measured).
fn without_background_table(toml: String) -> String {
    let mut out = Vec::new();
    let mut skipping = false;
    for line in toml.lines() {
        if line.starts_with('[') {
            skipping = line.starts_with("[style.background]");
        }
        if !skipping {
            out.push(line);
        }
    }
    out.join("\n")
}

/// Textured scenes (the card table of t1.jpg with its chips, the astronaut's backdrop) simplify to
/// flat patches with outlines, not ink specks: at least 5x fewer small isolated ink groups than
/// the background graphs made before, for every inked character.
#[test]
fn textured_scenes_get_at_least_five_times_fewer_ink_specks() {
    let scenes = [common::t1(), common::astronaut()];
    for id in ["haru", "kang", "rei"] {
        let now = project_file(&format!("assets/characters/{id}"));
        let no_ink = build_variant_of(id, &format!("{id}-noink"), |t| set_key(t, "ink_darkness", "0.0"));
        let before = build_variant_of(id, &format!("{id}-before"), without_background_table);
        let before_no_ink = build_variant_of(id, &format!("{id}-before-noink"), |t| {
            set_key(without_background_table(t), "ink_darkness", "0.0")
        });
        let (mut old, mut new) = (0.0, 0.0);
        for scene in &scenes {
            new += specks_per_mp(&background_output(&now, scene), &background_output(&no_ink, scene));
            old += specks_per_mp(&background_output(&before, scene), &background_output(&before_no_ink, scene));
        }
        let (old, new) = (old / scenes.len() as f64, new / scenes.len() as f64);
        println!(
            "{id}: ink specks per MP on textured scenes {old:.0} before, {new:.0} now ({:.1}x fewer)",
            old / new.max(1.0)
        );
        assert!(old > 100.0, "{id}: the old graph should show the specks it was known for ({old:.0}/MP)");
        assert!(new * 5.0 <= old, "{id}: {new:.0} specks/MP now against {old:.0} before: less than 5x fewer");
    }
}
