//! The character studio (issue 13) from the outside:
//! - `webtoonme character new ID --from DIR` on a folder of flat art drawn here (a known palette,
//!   outlines, cel shading) with a corrupt picture, a text file and a picture whose header claims
//!   20000x20000 pixels among them: each bad file is skipped with a line, the pack is written
//!   to the user characters folder with every value's origin as a comment, loads, runs, and is
//!   listed by `webtoonme characters`; an id that exists is refused, a built-in one always.
//! - The fitted character's picture of the astronaut is closer in palette to its source pictures
//!   than any built-in character's picture is (mean Delta-E of each pixel to the nearest colour
//!   of the art's palette).
//! - The pack writer keeps every value of a pack through a round trip.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{project_file, webtoonme_with_characters};
use image::{Rgb, RgbImage};
use webtoonme::character::CharacterSet;
use webtoonme::character::writer::{PackDraft, write_pack_folder};
use webtoonme::draw::skin_ramp::srgb8_to_lab;

fn tempdir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let d = std::env::temp_dir().join(format!("webtoonme-studio-{tag}-{}-{nanos}", std::process::id()));
    fs::create_dir_all(&d).unwrap();
    d
}

/// The art's palette: a teal and magenta webtoon on cream paper (far from every built-in's).
const ART: [[u8; 3]; 6] = [
    [0xf4, 0xec, 0xd8],
    [0x2a, 0x9d, 0x9a],
    [0x17, 0x5e, 0x63],
    [0xd1, 0x3f, 0x8a],
    [0x8a, 0x1f, 0x5a],
    [0x24, 0x28, 0x4a],
];
/// Ink colour and width (px) of the art's outlines.
const INK: [u8; 3] = [0x1c, 0x16, 0x24];
const LINE: f32 = 2.0;

/// A cel-shaded panel: cream paper, ellipses and boxes in the palette's light/dark pairs (the
/// darker one on the shadow side), outlined in ink. Deterministic in `seed`.
fn flat_art(seed: u32, w: u32, h: u32) -> RgbImage {
    let mut img = RgbImage::from_pixel(w, h, Rgb(ART[0]));
    let mut s = seed.wrapping_mul(2654435761).wrapping_add(12345);
    let mut next = move |n: u32| {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        s % n.max(1)
    };
    for _ in 0..7 {
        let (cx, cy) = (next(w) as f32, next(h) as f32);
        let (rx, ry) = (30.0 + next(w / 4) as f32, 30.0 + next(h / 4) as f32);
        let pair = 1 + 2 * next(2) as usize; // (1, 2) teal or (3, 4) magenta
        let round = next(2) == 0;
        let inside = |x: f32, y: f32| {
            let (dx, dy) = ((x - cx) / rx, (y - cy) / ry);
            if round { dx * dx + dy * dy } else { dx.abs().max(dy.abs()) }
        };
        for y in 0..h {
            for x in 0..w {
                let d = inside(x as f32, y as f32);
                if d > 1.0 + LINE / rx.min(ry) * 1.2 {
                    continue;
                }
                // outline: the band just inside the edge, LINE px wide
                let edge_px = (1.0 - d) * rx.min(ry);
                let c = if edge_px < LINE {
                    INK
                } else if (x as f32 - cx) + (y as f32 - cy) > 0.0 {
                    ART[pair + 1] // the shadow side
                } else {
                    ART[pair]
                };
                if d <= 1.0 {
                    img.put_pixel(x, y, Rgb(c));
                }
            }
        }
    }
    // a navy band (a floor) with its outline
    for y in h * 4 / 5..h {
        for x in 0..w {
            let c = if y < h * 4 / 5 + LINE as u32 { INK } else { ART[5] };
            img.put_pixel(x, y, Rgb(c));
        }
    }
    img
}

/// A folder of 10 flat-art panels and three files that are not usable pictures.
fn art_folder(root: &Path) -> PathBuf {
    let dir = root.join("art");
    fs::create_dir_all(&dir).unwrap();
    for k in 0..10 {
        flat_art(k + 1, 480, 360).save(dir.join(format!("panel-{k:02}.png"))).unwrap();
    }
    fs::write(dir.join("broken.png"), b"\x89PNG\r\n\x1a\nnot really a picture").unwrap();
    fs::write(dir.join("notes.txt"), "colour notes for the artists\n").unwrap();
    // a PNG whose header claims 20000 x 20000 pixels (and has no picture data)
    let mut huge = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&20000u32.to_be_bytes());
    ihdr.extend_from_slice(&20000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    huge.extend_from_slice(&13u32.to_be_bytes());
    huge.extend_from_slice(&ihdr);
    huge.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    for (kind, body) in [(&b"IDAT"[..], &[0x78u8, 0x9c, 0x03, 0x00][..]), (&b"IEND"[..], &[][..])] {
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(body);
        huge.extend_from_slice(&(body.len() as u32).to_be_bytes());
        huge.extend_from_slice(&chunk);
        huge.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    fs::write(dir.join("poster-huge.png"), huge).unwrap();
    dir
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

/// Mean Delta-E (CIE76) of each pixel of `img` to the nearest colour of `palette`.
fn palette_distance(img: &RgbImage, palette: &[[u8; 3]]) -> f32 {
    let pal: Vec<[f32; 3]> = palette.iter().map(|&c| srgb8_to_lab(c)).collect();
    let mut sum = 0.0f64;
    for p in img.pixels() {
        let l = srgb8_to_lab(p.0);
        let d = pal
            .iter()
            .map(|q| ((l[0] - q[0]).powi(2) + (l[1] - q[1]).powi(2) + (l[2] - q[2]).powi(2)).sqrt())
            .fold(f32::MAX, f32::min);
        sum += d as f64;
    }
    (sum / (img.width() * img.height()) as f64) as f32
}

#[test]
fn a_character_from_a_folder_of_art_is_measured_written_listed_and_closer_to_its_art() {
    let root = tempdir("new");
    let art = art_folder(&root);
    let chars = root.join("characters");
    let out = webtoonme_with_characters(
        &["character", "new", "tealpop", "--from", art.to_str().unwrap(), "--name", "Teal Pop", "--json"],
        &chars,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // one line per bad file, naming it
    for bad in ["broken.png", "notes.txt", "poster-huge.png"] {
        let lines = stderr.lines().filter(|l| l.contains(bad)).count();
        assert_eq!(lines, 1, "one line for {bad}: {stderr}");
    }
    assert!(stderr.lines().any(|l| l.contains("poster-huge.png") && l.contains("20000x20000")), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["id"], "tealpop");
    assert_eq!(report["pictures"], 10);
    assert_eq!(report["skipped"].as_array().map(Vec::len), Some(3));
    assert!(report["measured_keys"].as_array().is_some_and(|k| k.len() >= 5), "{}", report["measured_keys"]);

    // the pack: every value says where it came from
    let toml = fs::read_to_string(chars.join("tealpop/character.toml")).unwrap();
    for line in toml.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with('[') {
            continue;
        }
        let in_descriptor =
            ["model", "layout", "color", "input_range", "output_range", "size", "size_multiple", "max_side"]
                .iter()
                .any(|k| line.starts_with(&format!("{k} =")));
        let in_character = ["id", "name", "author", "licence", "description", "thumbnail"]
            .iter()
            .any(|k| line.starts_with(&format!("{k} =")));
        if in_descriptor || in_character {
            continue;
        }
        assert!(line.contains("# measured") || line.contains("# from haru"), "no origin: {line}");
    }
    assert!(toml.contains("# measured"), "{toml}");

    // listed by `webtoonme characters`, next to the built-ins
    let listed = webtoonme_with_characters(&["characters", "--json"], &chars);
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let ids: Vec<&str> = listed["characters"].as_array().unwrap().iter().filter_map(|c| c["id"].as_str()).collect();
    assert!(ids.contains(&"tealpop") && ids.contains(&"haru"), "{ids:?}");

    // the same id again: refused unless --replace; a built-in id: always refused
    let again = webtoonme_with_characters(&["character", "new", "tealpop", "--from", art.to_str().unwrap()], &chars);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("--replace"));
    let builtin =
        webtoonme_with_characters(&["character", "new", "haru", "--from", art.to_str().unwrap(), "--replace"], &chars);
    assert!(!builtin.status.success() && String::from_utf8_lossy(&builtin.stderr).contains("built-in"));

    // the fitted character's astronaut is closer to the art's palette than any built-in's
    let photo = project_file("assets/demo/astronaut.png");
    let mut table = Vec::new();
    for id in ["tealpop", "haru", "kang", "mina", "rei"] {
        let png = root.join(format!("{id}.png"));
        let o = webtoonme_with_characters(
            &["photo", photo.to_str().unwrap(), "-o", png.to_str().unwrap(), "--character", id],
            &chars,
        );
        assert!(o.status.success(), "{id}: {}", String::from_utf8_lossy(&o.stderr));
        let img = image::open(&png).unwrap().into_rgb8();
        let mut palette = ART.to_vec();
        palette.push(INK);
        table.push((id, palette_distance(&img, &palette)));
    }
    println!("mean Delta-E to the art's palette on the astronaut: {table:?}");
    let fitted = table[0].1;
    for (id, d) in &table[1..] {
        assert!(fitted < *d, "tealpop {fitted:.1} is not closer to its art than {id} {d:.1}");
    }
}

#[test]
fn the_pack_writer_keeps_every_value_of_a_pack() {
    let set = CharacterSet::load_default();
    let root = tempdir("writer");
    for base in &set.packs {
        let id = format!("copy-of-{}", base.id);
        let draft = PackDraft::from_base(base, &id, &format!("Copy of {}", base.name));
        let dir = write_pack_folder(&root, &draft, false, None, |dir| {
            for f in ["face.onnx", "background.onnx", "thumbnail.png"] {
                fs::copy(base.dir.join(f), dir.join(f)).map_err(|e| e.to_string())?;
            }
            Ok(())
        })
        .unwrap();
        assert!(dir.ends_with(&id));
        let loaded = CharacterSet::load(std::slice::from_ref(&root));
        let copy = loaded.get(&id).unwrap_or_else(|| panic!("{id}: {:?}", loaded.problems));
        assert_eq!(copy.style, base.style, "{id}");
        assert_eq!(copy.skin, base.skin, "{id}");
        assert_eq!(copy.geometry, base.geometry, "{id}");
        assert_eq!(copy.drawing, base.drawing, "{id}");
        // written whole or not at all: no temporary folder left behind
        let leftovers: Vec<_> = fs::read_dir(&root)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty());
    }
    // an existing pack is not replaced unless asked; a failing step leaves nothing
    let base = &set.packs[0];
    let draft = PackDraft::from_base(base, &format!("copy-of-{}", base.id), "Again");
    let err = write_pack_folder(&root, &draft, false, None, |_| Ok(())).unwrap_err();
    assert!(err.contains("exists"), "{err}");
    let draft = PackDraft::from_base(base, "half-made", "Half");
    let err = write_pack_folder(&root, &draft, false, None, |_| Err("the generator failed".into())).unwrap_err();
    assert!(err.contains("generator failed") && !root.join("half-made").exists());
}
