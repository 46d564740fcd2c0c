//! Perception on real photos against MediaPipe's own outputs (tests/data/oracle).

mod common;

use common::*;
use webtoonme::perception::FrameAnalysis;
use webtoonme::perception::mesh::{LANDMARKS, MESH_POINTS, idx};

#[test]
fn astronaut_face_found_with_mediapipe_score_and_mesh_within_a_pixel() {
    let mut p = perception_for_photos();
    let frame = frame_of(&astronaut());
    let mut a = FrameAnalysis::default();
    p.process(&frame, &mut a).unwrap();
    assert_eq!(a.faces.len(), 1, "one face in the astronaut portrait");
    assert_eq!(a.detections.len(), 1);

    let oracle = oracle();
    let mp = &oracle["astronaut_face_detection_full"][0];
    let mp_score = mp["score"].as_f64().unwrap() as f32;
    let det = a.detections[0];
    println!("detector score {} vs MediaPipe {}", det.score, mp_score);
    let mp_box: Vec<f32> = mp["box"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
    println!("box {:?} vs MediaPipe {:?}", det.box_px, mp_box);
    for k in 0..4 {
        assert!((det.box_px[k] - mp_box[k]).abs() <= 4.0, "box {:?} vs MediaPipe {:?}", det.box_px, mp_box);
    }

    let face = &a.faces[0];
    assert_eq!(face.landmarks_px.len(), LANDMARKS);
    let reference = oracle["astronaut_mesh_refined_478_px"].as_array().unwrap();
    let mut err: Vec<f32> = (0..MESH_POINTS)
        .map(|i| {
            let r = reference[i].as_array().unwrap();
            let (rx, ry) = (r[0].as_f64().unwrap() as f32, r[1].as_f64().unwrap() as f32);
            let p = face.raw_landmarks_px[i];
            ((p[0] - rx).powi(2) + (p[1] - ry).powi(2)).sqrt()
        })
        .collect();
    let med = median(&mut err);
    let p95 = err[(err.len() as f32 * 0.95) as usize];
    println!("mesh vs MediaPipe: median {med:.3} px, p95 {p95:.3} px");
    assert!(med <= 1.0, "median landmark error {med} px");
    // iris centres: MediaPipe puts the image-left eye's iris at 468 and the other at 473
    for i in [idx::RIGHT_IRIS_CENTER, idx::LEFT_IRIS_CENTER] {
        let r = reference[i].as_array().unwrap();
        let p = face.raw_landmarks_px[i];
        let d =
            ((p[0] - r[0].as_f64().unwrap() as f32).powi(2) + (p[1] - r[1].as_f64().unwrap() as f32).powi(2)).sqrt();
        assert!(d <= 1.5, "iris {i} off by {d} px");
    }
    assert!((det.score - mp_score).abs() <= 0.02, "score {} vs MediaPipe {}", det.score, mp_score);
}

#[test]
fn both_faces_found_in_a_two_person_720p_frame() {
    let mut p = perception_for_photos();
    let frame = frame_of(&duo());
    let mut a = FrameAnalysis::default();
    p.process(&frame, &mut a).unwrap();
    assert_eq!(a.faces.len(), 2, "two faces in duo, got {}", a.faces.len());
    let oracle = oracle();
    for mp in oracle["duo_face_detection_full"].as_array().unwrap() {
        let b: Vec<f32> = mp["box"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
        let c = [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0];
        let nearest = a
            .detections
            .iter()
            .map(|d| {
                let dc = d.center();
                ((dc[0] - c[0]).powi(2) + (dc[1] - c[1]).powi(2)).sqrt()
            })
            .fold(f32::MAX, f32::min);
        assert!(nearest < 20.0, "MediaPipe face at {c:?} has no detection within 20 px ({nearest})");
        let det = a
            .detections
            .iter()
            .min_by(|x, y| {
                let d = |p: [f32; 2]| (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2);
                d(x.center()).total_cmp(&d(y.center()))
            })
            .unwrap();
        let mp_score = mp["score"].as_f64().unwrap() as f32;
        println!("duo face at {c:?}: score {} vs MediaPipe {mp_score}", det.score);
        // the collage is rebuilt with another resampler than the reference's, hence 0.03
        assert!((det.score - mp_score).abs() <= 0.03, "score {} vs MediaPipe {mp_score}", det.score);
    }
    // distinct ids, person mask covers both people
    assert_ne!(a.faces[0].track_id, a.faces[1].track_id);
    let cov = a.person_mask.coverage();
    assert!((0.25..0.6).contains(&cov), "person coverage {cov}");
}

#[test]
fn face_skin_is_measured_and_skin_mask_stays_on_the_person() {
    let mut p = perception_for_photos();
    let img = astronaut();
    let frame = frame_of(&img);
    let mut a = FrameAnalysis::default();
    p.process(&frame, &mut a).unwrap();
    let skin = a.faces[0].skin.expect("skin statistics on a frontal face");
    assert!(skin.samples > 200, "{} skin samples", skin.samples);
    // a warm, light skin tone: red above green above blue
    let [r, g, b] = skin.mean_rgb;
    assert!(r > g && g > b && r > 120.0, "mean skin {:?}", skin.mean_rgb);
    // the cheek is skin; the white suit far below the face is not; the background is not
    let at = |x: f32, y: f32| a.skin_mask.at_frame(x, y, img.width(), img.height());
    let cheek = a.faces[0].landmarks_px[205];
    assert!(at(cheek[0], cheek[1]) > 0.5, "cheek skin likelihood {}", at(cheek[0], cheek[1]));
    assert!(at(300.0, 450.0) < 0.2, "suit skin likelihood {}", at(300.0, 450.0));
    assert!(at(480.0, 30.0) < 0.2, "background skin likelihood {}", at(480.0, 30.0));
}

#[test]
fn nobody_in_a_picture_without_people() {
    let mut p = perception_for_photos();
    let brick = image::open(project_file("assets/demo/brick.png")).unwrap().into_rgb8();
    let frame = frame_of(&brick);
    let mut a = FrameAnalysis::default();
    p.process(&frame, &mut a).unwrap();
    assert!(a.faces.is_empty(), "faces on a brick wall: {}", a.faces.len());
    assert!(a.person_mask.coverage() < 0.05);
}
