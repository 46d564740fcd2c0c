//! The generator's Rust port (`webtoonme::character::generator`) makes the graphs the Python
//! script (scripts/characters/make_stylizer.py) makes: byte for byte for the built-in packs and
//! for variants with extreme keys, and the same pictures in ONNX Runtime on real frames.
//!
//! Needs the built-in packs' generated models (setup builds them) and, for the variants, the tool
//! venv setup installs (runtime/tools-venv).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::project_file;
use webtoonme::character::generator::{self, GraphKind};
use webtoonme::perception::runtime::{ExecutionChoice, ModelSession, SessionOptions, init, output};

const PACKS: [&str; 4] = ["haru", "kang", "mina", "rei"];

fn read_doc(path: &Path) -> toml::Table {
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The graph run once on CPU: NCHW f32 in, NCHW f32 out.
fn run(onnx: &[u8], label: &str, input: &[f32], h: usize, w: usize) -> Vec<f32> {
    let env = init(&webtoonme::paths::onnxruntime_library()).unwrap();
    let opts = SessionOptions { provider: ExecutionChoice::Cpu, intra_threads: 1, trt_cache: None };
    let mut s = ModelSession::load_bytes(&env, "generated", Path::new(label), onnx, &opts).unwrap();
    s.run_f32(&[1, 3, h, w], input, |o| output(o, "toon").map(<[f32]>::to_vec)).unwrap()
}

/// The astronaut photo resized to 640x360 (stretched), NCHW in 0..1.
fn frame_640x360() -> Vec<f32> {
    let img = common::astronaut();
    let img = image::imageops::resize(&img, 640, 360, image::imageops::FilterType::Triangle);
    let n = 640 * 360;
    let mut x = vec![0.0; 3 * n];
    for (i, p) in img.pixels().enumerate() {
        for c in 0..3 {
            x[c * n + i] = p.0[c] as f32 / 255.0;
        }
    }
    x
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// Every built-in pack's two graphs, built from its character.toml, are the bytes of the
/// script's (assets/characters/<id>/{face,background}.onnx), and give the same pictures: the face
/// graph on the astronaut's face crop, the background graph on the photo at 640x360. Measured:
/// byte-identical for all eight, so max |diff| = 0 (the bound allows 1/255).
#[test]
fn builtin_packs_build_the_scripts_graphs() {
    let face_in = generator::demo_face_tensor().unwrap();
    let frame = frame_640x360();
    for id in PACKS {
        let dir = project_file(&format!("assets/characters/{id}"));
        let doc = read_doc(&dir.join("character.toml"));
        for kind in GraphKind::ALL {
            let script_path = dir.join(format!("{}.onnx", kind.name()));
            let script = std::fs::read(&script_path)
                .unwrap_or_else(|e| panic!("{}: {e} (run scripts/setup.sh)", script_path.display()));
            let t0 = Instant::now();
            let mine = generator::build_graph(&doc, kind).unwrap();
            let dt = t0.elapsed();
            let (input, h, w) = match kind {
                GraphKind::Face => (&face_in, 256, 256),
                GraphKind::Background => (&frame, 360, 640),
            };
            let a = run(&mine, "rust", input, h, w);
            let b = run(&script, "python", input, h, w);
            let diff = max_abs_diff(&a, &b);
            println!(
                "{id:5} {:10} built in {:.3} ms, {} bytes, identical: {}, max |diff| {diff}",
                kind.name(),
                dt.as_secs_f64() * 1e3,
                mine.len(),
                mine == script
            );
            assert!(diff <= 1.0 / 255.0, "{id} {}: max |diff| {diff}", kind.name());
            if mine != script {
                let dump = std::env::temp_dir().join(format!("webtoonme-genport-{id}-{}.onnx", kind.name()));
                std::fs::write(&dump, &mine).unwrap();
                panic!(
                    "{id} {}: the bytes differ from {} (ours: {})",
                    kind.name(),
                    script_path.display(),
                    dump.display()
                );
            }
        }
    }
}

fn python() -> PathBuf {
    let p = project_file("runtime/tools-venv/bin/python");
    assert!(p.exists(), "{} missing: run scripts/setup.sh", p.display());
    p
}

/// A copy of built-in pack `id` with `[style]` keys set (replaced where the file has them, else
/// added at the top of `[style]`), in a fresh folder.
fn variant(id: &str, name: &str, keys: &[(&str, &str)]) -> PathBuf {
    let root = std::env::temp_dir().join(format!("webtoonme-genport-{}-{name}", std::process::id()));
    let dir = root.join(id);
    std::fs::create_dir_all(&dir).unwrap();
    let mut toml = std::fs::read_to_string(project_file(&format!("assets/characters/{id}/character.toml"))).unwrap();
    for (key, value) in keys {
        let mut lines = Vec::new();
        let mut table = String::new();
        let mut replaced = false;
        let mut in_array = false;
        for line in toml.lines() {
            let t = line.split('#').next().unwrap().trim();
            if in_array {
                in_array = !t.contains(']');
                continue;
            }
            if t.starts_with('[') {
                table = t.split(']').next().unwrap().trim_start_matches('[').to_string();
            } else if table.starts_with("style") && t.split('=').next().unwrap().trim() == *key {
                lines.push(format!("{key} = {value}"));
                replaced = true;
                in_array = t.contains('[') && !t.contains(']');
                continue;
            }
            lines.push(line.to_string());
        }
        toml = lines.join("\n") + "\n";
        if !replaced {
            toml = toml.replacen("\n[style]", &format!("\n[style]\n{key} = {value}"), 1);
        }
    }
    std::fs::write(dir.join("character.toml"), toml).unwrap();
    dir
}

/// The script's build of `dir` (writes face.onnx, background.onnx there).
fn script_build(dir: &Path) {
    let out = Command::new(python())
        .arg(project_file("scripts/characters/make_stylizer.py"))
        .args(["--no-thumbnail-check", "build"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "generator failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Extreme but valid keys (no steps and six steps, 24 palette colours with luminance pull, no
/// smoothing, no ink, every scale at its largest, every ink option on, ...): the port builds
/// the script's bytes, and the graphs run on odd sizes with outputs in 0..1.
#[test]
fn extreme_keys_build_the_scripts_graphs_and_run() {
    let palette24: Vec<String> =
        (0..24).map(|i| format!("\"#{:02x}{:02x}{:02x}\"", i * 10, 255 - i * 9, (i * 37) % 256)).collect();
    let palette24 = format!("[{}]", palette24.join(", "));
    type Keys<'a> = Vec<(&'a str, &'a str)>;
    let variants: Vec<(&str, &str, Keys<'_>)> = vec![
        ("haru", "steps0", vec![("tone_steps", "0"), ("smooth_iters", "0"), ("ink_darkness", "0")]),
        (
            "kang",
            "steps6",
            vec![("tone_steps", "6"), ("palette", &palette24), ("palette_luma", "0.7"), ("palette_strength", "1.0")],
        ),
        (
            "mina",
            "scales",
            vec![
                ("smooth_scale", "4"),
                ("palette_scale", "8"),
                ("base_scale", "8"),
                ("color_bleed", "8"),
                ("ink_scale", "2"),
                ("smooth_iters", "3"),
                ("ink_smooth", "2"),
                ("midtones", "-0.5"),
                ("tone_shift", "0.3"),
                ("tone_spread", "1.0"),
            ],
        ),
        (
            "rei",
            "scale1",
            vec![
                ("smooth_scale", "1"),
                ("palette_scale", "1"),
                ("base_scale", "1"),
                ("color_bleed", "2"),
                ("ink_hysteresis", "6.0"),
                ("ink_despeckle", "1.0"),
                ("ink_width", "1.0"),
                ("ink_clean", "1.0"),
                ("ink_sigma", "2.5"),
                ("ink_k", "3.0"),
                ("warmth", "-0.3"),
                ("white_point", "0.7"),
                ("black_point", "0.3"),
            ],
        ),
        (
            "haru",
            "bleed-eq-palette",
            vec![
                ("color_bleed", "2"),
                ("palette_scale", "2"),
                ("palette_luma", "0.5"),
                ("base_scale", "2"),
                ("ink_smooth", "0"),
            ],
        ),
        (
            "kang",
            "minimal",
            vec![
                ("smooth_radius", "1"),
                ("ink_sigma", "0.4"),
                ("ink_k", "1.1"),
                ("step_strength", "0"),
                ("palette", "[]"),
                ("skin_pull", "0"),
                ("shade_chroma", "0"),
            ],
        ),
        (
            "mina",
            "ints-as-floats",
            vec![("smooth_iters", "1.0"), ("contrast", "2"), ("ink_eps", "0.00001"), ("smooth_eps", "0.0005")],
        ),
    ];
    for (id, name, keys) in &variants {
        let dir = variant(id, name, keys);
        let doc = read_doc(&dir.join("character.toml"));
        let built: Vec<Vec<u8>> = GraphKind::ALL.iter().map(|&k| generator::build_graph(&doc, k).unwrap()).collect();
        script_build(&dir);
        for (kind, mine) in GraphKind::ALL.iter().zip(&built) {
            let script = std::fs::read(dir.join(format!("{}.onnx", kind.name()))).unwrap();
            assert!(*mine == script, "{id} {name} {}: the bytes differ from the script's", kind.name());
            let sizes: &[(usize, usize)] = match kind {
                GraphKind::Face => &[(256, 256)],
                GraphKind::Background => &[(360, 640), (8, 8), (16, 640), (640, 480)],
            };
            for &(h, w) in sizes {
                let x: Vec<f32> = (0..3 * h * w).map(|i| ((i * 7919) % 1000) as f32 / 999.0).collect();
                let y = run(mine, name, &x, h, w);
                assert!(y.iter().all(|v| v.is_finite() && (-1e-4..=1.0 + 1e-4).contains(v)), "{id} {name} {w}x{h}");
            }
        }
        println!("{id} {name}: both graphs identical to the script's");
        let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    }
}

/// A bad key is refused with a message naming it, by the port and (same words) the script.
#[test]
fn invalid_keys_are_named() {
    let doc = read_doc(&project_file("assets/characters/haru/character.toml"));
    for (key, value, words) in [
        ("tone_steps", toml::Value::Integer(7), "[style] tone_steps = 7 is outside 0..6"),
        ("smooth_scale", toml::Value::Integer(3), "[style] smooth_scale = 3: must be one of 1, 2, 4"),
        ("ink_color", toml::Value::String("red".into()), "[style] ink_color: expected a colour"),
        ("ink_wobble", toml::Value::Float(1.0), "[style] unknown key 'ink_wobble'"),
    ] {
        let mut bad = doc.clone();
        bad["style"].as_table_mut().unwrap().insert(key.into(), value);
        let err = generator::build_graph(&bad, GraphKind::Face).unwrap_err();
        assert!(err.contains(words), "{key}: {err}");
    }
    // the files: write_pack_models names character.toml and writes nothing
    let dir = variant("haru", "invalid", &[("ink_darkness", "1.5")]);
    let err = generator::write_pack_models(&dir).unwrap_err();
    assert!(err.contains("character.toml") && err.contains("ink_darkness = 1.5 is outside 0.0..1.0"), "{err}");
    assert!(!dir.join("face.onnx").exists() && !dir.join("background.onnx").exists());
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

/// write_pack_models writes the script's files; make_thumbnail writes the script's thumbnail
/// (same style stamp; measured: the same pixels, all four packs; the bound allows 1/255 for
/// ONNX Runtime versions apart). Graph building is fast enough for a slider (measured: about
/// 0.5 ms a graph in the test profile).
#[test]
fn pack_files_and_thumbnail_match_the_script() {
    for id in PACKS {
        let mine = variant(id, "files-rust", &[]);
        let theirs = variant(id, "files-py", &[]);
        let built = generator::write_pack_models(&mine).unwrap();
        script_build(&theirs);
        for kind in ["face", "background"] {
            let f = format!("{kind}.onnx");
            assert!(std::fs::read(mine.join(&f)).unwrap() == std::fs::read(theirs.join(&f)).unwrap(), "{id} {f}");
        }
        let thumb = generator::make_thumbnail(&mine).unwrap();
        let out = Command::new(python())
            .arg(project_file("scripts/characters/make_stylizer.py"))
            .arg("thumbnail")
            .arg(&theirs)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let theirs_thumb = theirs.join("thumbnail.png");
        let a = image::open(&thumb).unwrap().into_rgb8();
        let b = image::open(&theirs_thumb).unwrap().into_rgb8();
        assert_eq!(a.dimensions(), (128, 128));
        let diff = a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| x.abs_diff(*y)).max().unwrap();
        let differing = a.as_raw().iter().zip(b.as_raw()).filter(|(x, y)| x != y).count();
        println!("{id}: thumbnail max |diff| {diff}/255, {differing} of {} values differ", a.as_raw().len());
        assert!(diff <= 1, "{id}: thumbnail differs by {diff}");
        let stamp = generator::thumbnail_style(&thumb).unwrap();
        assert_eq!(Some(&stamp), generator::thumbnail_style(&theirs_thumb).as_ref());
        assert_eq!(stamp, built[0].style_hash);
        let _ = std::fs::remove_dir_all(mine.parent().unwrap());
        let _ = std::fs::remove_dir_all(theirs.parent().unwrap());
    }
    // timing: every built-in graph, many times
    let docs: Vec<toml::Table> =
        PACKS.iter().map(|id| read_doc(&project_file(&format!("assets/characters/{id}/character.toml")))).collect();
    let t0 = Instant::now();
    let rounds = 50;
    for _ in 0..rounds {
        for doc in &docs {
            for kind in GraphKind::ALL {
                std::hint::black_box(generator::build_graph(doc, kind).unwrap());
            }
        }
    }
    let per = t0.elapsed().as_secs_f64() * 1e3 / (rounds * docs.len() * 2) as f64;
    println!("build_graph: {per:.3} ms per graph");
    assert!(per < 20.0, "{per} ms per graph");
}
