//! One broken pack never stops the booth. Packs damaged in every way a file check cannot see
//! (random bytes or half a file for a model, a model with two inputs, one channel or another
//! size than its descriptor says, NaN, infinity, a wrong type or an unknown key in `[style]`,
//! NaN in `[drawing]`) are each skipped with one line naming the file and the reason, through
//! the library, `characters`, `photo` and `video`; every built-in character keeps working. A
//! pack that passes its checks and breaks while frames are made (`later`) stops alone: its
//! wearers move to the next character and the run goes on. (The window's side: tests/window.rs.)

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{BREAKS_LATER, DAMAGES, project_file, write_damaged_packs};
use webtoonme::character::CharacterSet;
use webtoonme::perception::runtime::{ExecutionChoice, SessionOptions};

const BUILTIN: [&str; 4] = ["haru", "kang", "mina", "rei"];

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("webtoonme-damaged-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn cpu() -> SessionOptions {
    SessionOptions { provider: ExecutionChoice::Cpu, ..Default::default() }
}

fn webtoonme(args: &[&str], packs: &Path) -> (Output, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_webtoonme"))
        .args(args)
        .env("WEBTOONME_CHARACTERS", packs)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("run webtoonme");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (out, stdout, stderr)
}

/// Each damaged pack's line: its own file, its reason.
fn assert_each_damage_named(lines: &str) {
    for d in DAMAGES {
        let line = lines
            .lines()
            .find(|l| l.contains(&format!("/{}/{}", d.id, d.file)))
            .unwrap_or_else(|| panic!("no line names {}/{}:\n{lines}", d.id, d.file));
        for word in d.reason {
            assert!(line.contains(word), "{}: '{word}' missing in: {line}", d.id);
        }
    }
}

#[test]
fn every_damaged_pack_is_skipped_and_the_others_load() {
    let root = tempdir("lib");
    write_damaged_packs(&root);
    let builtin = project_file("assets/characters");
    let mut set = CharacterSet::load(&[builtin, root.clone()]);
    let models = webtoonme::render::check_models(&mut set, &cpu());
    let ids: Vec<&str> = set.packs.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["haru", "kang", BREAKS_LATER, "mina", "rei"], "problems: {:#?}", set.problems);
    assert_eq!(models.len(), set.packs.len(), "a model set per pack that stays");
    assert_eq!(set.problems.len(), DAMAGES.len(), "one problem per damaged pack: {:#?}", set.problems);
    let lines: Vec<String> = set.problems.iter().map(ToString::to_string).collect();
    assert_each_damage_named(&lines.join("\n"));
    // TOML problems carry the line of the key
    let nan = set.problems.iter().find(|p| p.file.ends_with("stylenan/character.toml")).unwrap();
    let text = std::fs::read_to_string(root.join("stylenan/character.toml")).unwrap();
    let want = text.lines().position(|l| l.starts_with("saturation")).unwrap() + 1;
    assert_eq!(nan.line, Some(want), "{nan}");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn characters_lists_only_working_packs_and_names_each_broken_one() {
    let root = tempdir("cmd");
    write_damaged_packs(&root);
    let (out, stdout, stderr) = webtoonme(&["characters", "--json"], &root);
    assert!(out.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let ids: Vec<&str> = report["characters"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["haru", "kang", BREAKS_LATER, "mina", "rei"]);
    assert_eq!(report["problems"].as_array().unwrap().len(), DAMAGES.len(), "{stdout}");
    assert_each_damage_named(&stderr);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn photo_works_beside_broken_packs_and_names_a_broken_one_when_asked_for() {
    let root = tempdir("photo");
    write_damaged_packs(&root);
    let img = project_file("assets/demo/astronaut.png");
    let input = img.to_str().unwrap();
    for id in BUILTIN {
        let out_png = root.join(format!("{id}.png"));
        let (out, _, stderr) =
            webtoonme(&["photo", input, "-o", out_png.to_str().unwrap(), "--character", id, "--ep", "cpu"], &root);
        assert!(out.status.success(), "{id} with broken packs beside it: {stderr}");
        assert_each_damage_named(&stderr);
        let pic = image::open(&out_png).unwrap();
        assert_eq!((pic.width(), pic.height()), (512, 512), "{id}");
    }
    let (out, _, stderr) =
        webtoonme(&["photo", input, "-o", root.join("x.png").to_str().unwrap(), "--character", "garbage"], &root);
    assert!(!out.status.success());
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("webtoonme: error: character 'garbage' was skipped:") && last.contains("garbage/face.onnx"),
        "the error says why the pack asked for is not there: {last}"
    );
    assert!(!root.join("x.png").exists(), "no picture for a failed run");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_pack_that_breaks_while_running_stops_alone() {
    let root = tempdir("later");
    write_damaged_packs(&root);
    let img = project_file("assets/demo/astronaut.png");
    let out_png = root.join("later.png");
    let (out, _, stderr) = webtoonme(
        &["photo", img.to_str().unwrap(), "-o", out_png.to_str().unwrap(), "--character", BREAKS_LATER, "--ep", "cpu"],
        &root,
    );
    assert!(out.status.success(), "{stderr}");
    let stopped = stderr
        .lines()
        .find(|l| l.contains(&format!("character '{BREAKS_LATER}' stopped")))
        .unwrap_or_else(|| panic!("no line says the pack stopped:\n{stderr}"));
    assert!(stopped.contains("background model failed"), "{stopped}");
    assert_eq!(stderr.matches("stopped").count(), 1, "said once: {stderr}");
    // the picture was made by the next character: a stylized picture, not the photo
    let made = image::open(&out_png).unwrap().into_rgb8();
    let photo = image::open(&img).unwrap().into_rgb8();
    let diff: f64 = made.as_raw().iter().zip(photo.as_raw()).map(|(a, b)| (*a as f64 - *b as f64).abs()).sum::<f64>()
        / made.as_raw().len() as f64;
    assert!(diff > 4.0, "the picture is stylized (mean change {diff:.1} of 255)");
    assert!(stderr.contains("face(s) [mina]"), "worn by the next character, mina: {stderr}");

    // a video goes on to its last frame
    let video = project_file("tests/data/pan_baseline.mp4");
    let out_mp4 = root.join("later.mp4");
    let (out, _, stderr) = webtoonme(
        &[
            "video",
            video.to_str().unwrap(),
            "-o",
            out_mp4.to_str().unwrap(),
            "--character",
            BREAKS_LATER,
            "--ep",
            "cpu",
        ],
        &root,
    );
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr.matches(&format!("character '{BREAKS_LATER}' stopped")).count(), 1, "{stderr}");
    let frames = |p: &Path| -> Option<u64> {
        let o = Command::new("ffprobe")
            .args(["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames"])
            .args(["-of", "csv=p=0"])
            .arg(p)
            .output()
            .ok()?;
        String::from_utf8_lossy(&o.stdout).trim().parse().ok()
    };
    match (frames(&video), frames(&out_mp4)) {
        (Some(a), Some(b)) => assert_eq!(a, b, "every frame of the input is in the output"),
        _ => eprintln!("ffprobe not available: frame counts not compared"),
    }
    let _ = std::fs::remove_dir_all(&root);
}
