//! Skin and hair: the skin ramp keeps the share of a person's own tone their character asks for
//! (measured in CIE Lab on the real photo shifted to darker skin tones), the compositor paints skin
//! outside the face with that ramp and leaves what is not skin alone, and hair becomes flat tones.

mod common;

use common::*;
use webtoonme::character::CharacterSet;
use webtoonme::compose::{AdapterPreference, ComposeInputs, Compositor, LowRes, MaskView, PersonPaint};
use webtoonme::draw::skin_ramp::{SkinRamp, skin_ramp, srgb_to_lab};
use webtoonme::perception::FrameAnalysis;

/// The astronaut with every pixel's colour scaled: (1, 1, 1) is the photo; smaller factors darken
/// the skin (and everything else) toward deeper, warmer tones.
fn shifted(factors: [f32; 3]) -> image::RgbImage {
    let mut img = astronaut();
    for p in img.pixels_mut() {
        for (v, f) in p.0.iter_mut().zip(factors) {
            *v = (*v as f32 * f).round().clamp(0.0, 255.0) as u8;
        }
    }
    img
}

fn lab(rgb: [f32; 3]) -> [f32; 3] {
    srgb_to_lab(rgb)
}

#[test]
fn darker_skin_keeps_its_share_of_tone_and_is_not_whitewashed() {
    let set = CharacterSet::load_default();
    assert!(set.packs.len() >= 4);
    let mut perception = perception_for_photos();
    // the photo, then medium, dark and deep brown skin
    let tones = [[1.0, 1.0, 1.0], [0.78, 0.68, 0.6], [0.55, 0.44, 0.38], [0.38, 0.29, 0.25]];
    let mut previous_l: Option<f32> = None;
    for factors in tones {
        let img = shifted(factors);
        let mut analysis = FrameAnalysis::default();
        perception.process(&frame_of(&img), &mut analysis).unwrap();
        assert_eq!(analysis.faces.len(), 1, "face found at tone {factors:?}");
        let stats = analysis.faces[0].skin.expect("skin measured");
        let own = lab(stats.mean_rgb.map(|v| v / 255.0));
        if let Some(prev) = previous_l {
            assert!(own[0] < prev - 5.0, "each shift is darker: L {:.1} after {prev:.1}", own[0]);
        }
        previous_l = Some(own[0]);
        for pack in &set.packs {
            let skin = pack.skin.expect("the built-in characters have [skin]");
            let ramp = skin_ramp(&skin, Some(&stats));
            let character = lab(skin.tone.map(|v| v as f32 / 255.0));
            let base = lab(ramp.base);
            let kept = (base[0] - character[0]) / (own[0] - character[0]);
            println!(
                "{:>4} own L {:5.1} a {:5.1} b {:5.1} | character L {:5.1} | base L {:5.1} a {:5.1} b {:5.1} | kept {:.2} (keep {:.2})",
                pack.id, own[0], own[1], own[2], character[0], base[0], base[1], base[2], kept, skin.keep
            );
            // the character's [skin] keep is honoured in lightness (within 0.04 of the share), so
            // a darker person gets a darker face in the same proportion
            if (own[0] - character[0]).abs() > 5.0 {
                assert!((kept - skin.keep).abs() < 0.04, "{}: kept {kept:.3} of the own tone", pack.id);
            }
            // never lighter than the character's own tone plus the kept share allows
            assert!(base[0] <= character[0] + skin.keep * (own[0] - character[0]).max(0.0) + 1.0);
            // the built-in characters keep at least half of a darker visitor's depth: deep brown
            // skin (L 23 here) stays at most halfway to the character's light tone (L 74-92)
            if pack.builtin && own[0] < character[0] {
                let halfway = character[0] - 0.5 * (character[0] - own[0]);
                assert!(base[0] <= halfway + 0.5, "{}: base L {:.1} whitewashes own L {:.1}", pack.id, base[0], own[0]);
            }
        }
    }
}

fn paint(ramp: SkinRamp, centre: [f32; 2]) -> PersonPaint {
    // skin chroma of a typical light skin tone (the block painted below), tight enough that the
    // blue block is not skin
    let skin = [224.0f32, 172.0, 150.0];
    let y = 0.299 * skin[0] + 0.587 * skin[1] + 0.114 * skin[2];
    let (cb, cr) = ((128.0 + 0.564 * (skin[2] - y)) / 255.0, (128.0 + 0.713 * (skin[0] - y)) / 255.0);
    PersonPaint {
        face_centre: centre,
        face_half_axes: [40.0, 50.0],
        roll: 0.0,
        skin: SkinRamp { reference_luma: y, ..ramp },
        skin_chroma: [cb, cr],
        skin_icov: [1.0 / (0.03f32 * 0.03), 0.0, 1.0 / (0.03f32 * 0.03)],
        skin_strength: 1.0,
        hair_shadow: [0.1, 0.05, 0.02],
        hair_base: [0.35, 0.2, 0.1],
        hair_light: [0.7, 0.55, 0.4],
        hair_chroma: [0.45, 0.55],
        hair_luma: 0.3,
        hair_strength: 1.0,
    }
}

#[test]
fn skin_outside_the_face_takes_the_ramp_and_other_pixels_stay() {
    let (width, height) = (320u32, 240u32);
    // left half: a skin-coloured arm, bright top and shaded bottom; right half: a blue sleeve
    let frame: Vec<u8> = (0..width * height)
        .flat_map(|i| {
            let (x, y) = (i % width, i / width);
            if x < width / 2 { if y < height / 2 { [224, 172, 150] } else { [150, 115, 100] } } else { [40, 60, 160] }
        })
        .collect();
    let low: Vec<u8> = (0..(width / 2) * (height / 2))
        .flat_map(|i| {
            let (x, y) = (i % (width / 2), i / (width / 2));
            if x < width / 4 { if y < height / 4 { [224, 172, 150] } else { [150, 115, 100] } } else { [40, 60, 160] }
        })
        .collect();
    let ones = vec![1.0f32; 64 * 48];
    let skin: Vec<f32> = (0..64 * 48).map(|i| if i % 64 < 32 { 1.0 } else { 0.0 }).collect();
    let ramp =
        SkinRamp { shadow: [0.55, 0.3, 0.25], base: [0.95, 0.8, 0.7], light: [1.0, 0.95, 0.9], reference_luma: 0.0 };
    // the face sits above the frame: everything here is body
    let people = [PersonPaint { hair_strength: 0.0, ..paint(ramp, [80.0, -200.0]) }];
    let lowres = LowRes { rgb: &low, width: width / 2, height: height / 2 };
    let inputs = ComposeInputs {
        background: Some(lowres),
        guide: Some(lowres),
        person_mask: Some(MaskView { data: &ones, width: 64, height: 48 }),
        skin_mask: Some(MaskView { data: &skin, width: 64, height: 48 }),
        people: &people,
        ..ComposeInputs::new(&frame, width, height)
    };
    let mut compositor = Compositor::new_headless_with(AdapterPreference::Software).unwrap();
    let mut out = Vec::new();
    compositor.compose(&inputs, &mut out).unwrap();
    let at = |out: &[u8], x: u32, y: u32| {
        let i = ((y * width + x) * 3) as usize;
        [out[i] as f32 / 255.0, out[i + 1] as f32 / 255.0, out[i + 2] as f32 / 255.0]
    };
    let close = |got: [f32; 3], want: [f32; 3], tol: f32| (0..3).all(|k| (got[k] - want[k]).abs() <= tol);
    // the lit arm takes the base tone, the shaded arm the shadow tone
    assert!(close(at(&out, 40, 40), ramp.base, 0.06), "lit skin {:?} vs base {:?}", at(&out, 40, 40), ramp.base);
    let shaded = at(&out, 40, 200);
    assert!(close(shaded, ramp.shadow, 0.08), "shaded skin {shaded:?} vs shadow {:?}", ramp.shadow);
    // the sleeve is no skin: it keeps the stylized background (here the frame itself)
    let sleeve = at(&out, 250, 100);
    assert!(close(sleeve, [40.0 / 255.0, 60.0 / 255.0, 160.0 / 255.0], 0.02), "sleeve {sleeve:?}");

    // without people the same inputs leave everything to the background
    let inputs = ComposeInputs { people: &[], ..inputs };
    compositor.compose(&inputs, &mut out).unwrap();
    assert!(close(at(&out, 40, 40), [224.0 / 255.0, 172.0 / 255.0, 150.0 / 255.0], 0.02));
}

#[test]
fn hair_becomes_flat_tones_and_the_face_and_wall_stay() {
    let (width, height) = (320u32, 320u32);
    let centre = [160.0f32, 200.0];
    // brown hair with strands (+-25 levels of texture) above and around a face, grey wall
    let hair_at = |x: u32, y: u32| {
        let (dx, dy) = ((x as f32 - centre[0]) / 40.0, (y as f32 - centre[1]) / 50.0);
        let in_face = dx * dx + dy * dy < 1.0;
        let in_head =
            (x as f32 - centre[0]).powi(2) / (62.0f32).powi(2) + (y as f32 - 165.0).powi(2) / (70.0f32).powi(2) < 1.0;
        (in_head && !in_face, in_face)
    };
    let frame: Vec<u8> = (0..width * height)
        .flat_map(|i| {
            let (x, y) = (i % width, i / width);
            match hair_at(x, y) {
                (true, _) => {
                    let strand = if (x / 3) % 2 == 0 { 25 } else { -25 };
                    [(95 + strand) as u8, (70 + strand) as u8, (45 + strand) as u8]
                }
                (_, true) => [224, 172, 150],
                _ => [128, 128, 128],
            }
        })
        .collect();
    // the guide is the frame at half size, 2x2 averaged (what the stylize stage's resize gives)
    let low: Vec<u8> = (0..(width / 2) * (height / 2))
        .flat_map(|i| {
            let (x, y) = (i % (width / 2) * 2, i / (width / 2) * 2);
            let mut sum = [0u32; 3];
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let j = (((y + dy) * width + x + dx) * 3) as usize;
                for k in 0..3 {
                    sum[k] += frame[j + k] as u32;
                }
            }
            sum.map(|v| (v / 4) as u8)
        })
        .collect();
    // the person mask covers head and face
    let mask: Vec<f32> = (0..64 * 64)
        .map(|i| {
            let (x, y) = ((i % 64) as u32 * 5 + 2, (i / 64) as u32 * 5 + 2);
            let (hair, face) = hair_at(x, y);
            if hair || face { 1.0 } else { 0.0 }
        })
        .collect();
    let zeros = vec![0.0f32; 64 * 64];
    let ramp = SkinRamp { shadow: [0.5; 3], base: [0.9; 3], light: [1.0; 3], reference_luma: 150.0 };
    let hair_y = 0.299 * 95.0 + 0.587 * 70.0 + 0.114 * 45.0;
    let people = [PersonPaint {
        hair_chroma: [(128.0 + 0.564 * (45.0 - hair_y)) / 255.0, (128.0 + 0.713 * (95.0 - hair_y)) / 255.0],
        hair_luma: hair_y / 255.0,
        skin_strength: 0.0,
        ..paint(ramp, centre)
    }];
    let lowres = LowRes { rgb: &low, width: width / 2, height: height / 2 };
    let inputs = ComposeInputs {
        background: Some(lowres),
        guide: Some(lowres),
        person_mask: Some(MaskView { data: &mask, width: 64, height: 64 }),
        skin_mask: Some(MaskView { data: &zeros, width: 64, height: 64 }),
        people: &people,
        ..ComposeInputs::new(&frame, width, height)
    };
    let mut compositor = Compositor::new_headless_with(AdapterPreference::Software).unwrap();
    let mut out = Vec::new();
    compositor.compose(&inputs, &mut out).unwrap();
    let px = |buf: &[u8], x: u32, y: u32| {
        let i = ((y * width + x) * 3) as usize;
        [buf[i] as f32, buf[i + 1] as f32, buf[i + 2] as f32]
    };
    // strands: neighbouring columns differ by 50 levels in the input; in the hair's flat tone
    // they differ far less
    let (mut input_var, mut output_var, mut n) = (0.0f32, 0.0f32, 0);
    for y in (110..140).step_by(3) {
        for x in (140..180).step_by(1) {
            if !hair_at(x, y).0 || !hair_at(x + 3, y).0 {
                continue;
            }
            input_var += (px(&frame, x, y)[1] - px(&frame, x + 3, y)[1]).abs();
            output_var += (px(&out, x, y)[1] - px(&out, x + 3, y)[1]).abs();
            n += 1;
        }
    }
    assert!(n > 50);
    let (input_var, output_var) = (input_var / n as f32, output_var / n as f32);
    println!("strand contrast: input {input_var:.1}, output {output_var:.1} levels");
    assert!(output_var < input_var * 0.35, "hair is not flat: {output_var:.1} vs {input_var:.1}");
    // the face (inside the oval) and the wall (outside the person) are untouched
    for (x, y, what) in [(160, 200, "face centre"), (20, 20, "wall")] {
        let (got, want) = (px(&out, x, y), px(&frame, x, y));
        assert!((0..3).all(|k| (got[k] - want[k]).abs() <= 2.0), "{what}: {got:?} vs {want:?}");
    }
}

/// The real two-person frame through perception and the stylize stage (everyone a different
/// built-in character): the characters, the frame, its analysis and its stylized parts.
fn duo_stylized() -> (CharacterSet, webtoonme::frame::Frame, FrameAnalysis, webtoonme::stylize::StylizedFrame) {
    let set = CharacterSet::load_default();
    let frame = frame_of(&duo());
    let mut analysis = FrameAnalysis::default();
    perception_for_photos().process(&frame, &mut analysis).unwrap();
    let mut stage = webtoonme::render::stylize_stage(
        &set,
        0,
        webtoonme::stylize::assign::AssignMode::RoundRobin,
        &Default::default(),
    )
    .unwrap();
    let mut stylized = webtoonme::stylize::StylizedFrame::default();
    stage.process(&frame, &analysis, &mut stylized).unwrap();
    (set, frame, analysis, stylized)
}

/// On a software adapter the person paint runs on the CPU with the upsampling
/// (`compose::paint_cpu`) and gives the shader's picture: the real two-person frame through
/// perception and the stylize stage, composed on lavapipe both ways. Compared where either way's
/// paint changed the picture; the CPU and shader upsampling under the paint differ by up to
/// `FLAT_SPREAD` themselves (tests/compose.rs).
#[test]
fn the_cpu_paint_gets_the_shaders_picture() {
    use webtoonme::compose::{BackgroundUpsampling, FLAT_SPREAD};
    let (set, frame, analysis, stylized) = duo_stylized();
    assert_eq!(analysis.faces.len(), 2, "the duo's two faces");
    assert_eq!(stylized.people.len(), 2, "both people are painted");
    let params = webtoonme::render::compose_params(&set.packs[0]);
    let mut compositor = Compositor::new_headless_with(AdapterPreference::Software).unwrap();
    assert_eq!(compositor.background_upsampling(), BackgroundUpsampling::Cpu, "lavapipe is a CPU adapter");
    let compose = |c: &mut Compositor, people: bool| {
        let mut out = Vec::new();
        webtoonme::render::with_compose_inputs(&frame, &analysis, &stylized, params, |inputs| {
            let inputs = ComposeInputs { people: if people { inputs.people } else { &[] }, ..*inputs };
            c.compose(&inputs, &mut out).unwrap()
        });
        out
    };
    let (cpu, cpu_bare) = (compose(&mut compositor, true), compose(&mut compositor, false));
    compositor.set_background_upsampling(BackgroundUpsampling::Shader);
    let (shader, shader_bare) = (compose(&mut compositor, true), compose(&mut compositor, false));
    let painted: Vec<usize> = (0..cpu.len())
        .filter(|&i| cpu[i].abs_diff(cpu_bare[i]) > 2 || shader[i].abs_diff(shader_bare[i]) > 2)
        .collect();
    let mut diffs: Vec<u8> = painted.iter().map(|&i| cpu[i].abs_diff(shader[i])).collect();
    let mean = diffs.iter().map(|&d| f64::from(d)).sum::<f64>() / diffs.len().max(1) as f64;
    diffs.sort_unstable();
    let p99 = diffs.get(diffs.len() * 99 / 100).copied().unwrap_or(0);
    // what the paint did, for scale: its mean change where it painted
    let change = painted.iter().map(|&i| f64::from(cpu[i].abs_diff(cpu_bare[i]))).sum::<f64>() / painted.len() as f64;
    println!(
        "CPU vs shader paint over {} painted values: mean {mean:.2} levels, p99 {p99}, max {}; the paint \
         changed them by {change:.1} on average",
        painted.len(),
        diffs.last().copied().unwrap_or(0)
    );
    assert!(painted.len() > 30_000, "only {} values painted: skin and hair are missing", painted.len());
    assert!(change > 8.0, "the paint changed the painted values by only {change:.1} levels");
    assert!(mean < 1.5, "the CPU paint differs from the shader's by {mean:.2} levels on average");
    assert!(p99 <= FLAT_SPREAD + 2, "1% of painted values differ by more than {p99} levels");
}

/// Compose time of the real two-person frame (perception, stylize stage, compositor): everything,
/// and without the skin and hair painting. Not run by default:
/// `cargo test --release --test skin_and_hair -- --ignored --nocapture compose_time`.
#[test]
#[ignore = "timing: run with --release --ignored --nocapture"]
fn compose_time_duo_with_and_without_paint() {
    use std::time::Instant;
    use webtoonme::compose::ComposeParams;
    let (set, frame, analysis, stylized) = duo_stylized();
    let mut compositor = Compositor::new_headless_with(AdapterPreference::Software).unwrap();
    let params = webtoonme::render::compose_params(&set.packs[0]);
    let mut out = Vec::new();
    let mut time = |name: &str, people: bool, params: ComposeParams| {
        let run = |c: &mut Compositor, out: &mut Vec<u8>| {
            webtoonme::render::with_compose_inputs(&frame, &analysis, &stylized, params, |inputs| {
                let inputs = ComposeInputs { people: if people { inputs.people } else { &[] }, ..*inputs };
                c.compose(&inputs, out).unwrap()
            })
        };
        for _ in 0..5 {
            run(&mut compositor, &mut out);
        }
        let mut t: Vec<f64> = (0..30)
            .map(|_| {
                let start = Instant::now();
                run(&mut compositor, &mut out);
                start.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        t.sort_by(f64::total_cmp);
        println!("{name:28} median {:6.2} ms  p10 {:6.2}  p90 {:6.2}", t[15], t[3], t[27]);
    };
    time("everything", true, params);
    time("no skin and hair paint", false, params);
    time("no ink", true, ComposeParams { silhouette_ink: 0.0, ..params });
}
