//! The boomerang's files from frames like the window grabs: 28 frames of a 1280x720 stylized
//! picture (the committed haru golden) moving across the frame, 70 ms apart.
//! - the GIF plays forward then back (54 frames; frame k and frame 54-k... are the same
//!   picture), loops, is 480 pixels wide, looks like the frames (downscaled), and stays small;
//! - the MP4 has the same 54 frames at the full size, twice the recorded length.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use image::{RgbImage, RgbaImage, imageops};
use webtoonme::record::boomerang::{GIF_WIDTH, write_gif, write_mp4};

const N: usize = 28;

fn frames() -> Vec<(Duration, RgbImage)> {
    let golden = image::open(common::project_file("tests/snapshots/haru_astronaut.png")).unwrap().into_rgb8();
    let person = imageops::resize(&golden, 600, 600, imageops::FilterType::Triangle);
    (0..N)
        .map(|k| {
            let mut canvas = RgbImage::from_pixel(1280, 720, image::Rgb([236, 226, 210]));
            imageops::replace(&mut canvas, &person, 200 + 14 * k as i64, 80 - (k as i64 % 7) * 3);
            (Duration::from_millis(70 * k as u64), canvas)
        })
        .collect()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("webtoonme-boomerang-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every frame of a GIF as shown (frames drawn over the previous ones where they are opaque).
fn shown_frames(path: &Path) -> (Vec<RgbaImage>, Vec<u16>) {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(std::fs::File::open(path).unwrap()).unwrap();
    let (w, h) = (decoder.width() as u32, decoder.height() as u32);
    let mut screen = RgbaImage::new(w, h);
    let (mut out, mut delays) = (Vec::new(), Vec::new());
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        let (fx, fy, fw) = (frame.left as u32, frame.top as u32, frame.width as u32);
        for (i, px) in frame.buffer.chunks_exact(4).enumerate() {
            if px[3] > 0 {
                let (x, y) = (fx + i as u32 % fw, fy + i as u32 / fw);
                screen.put_pixel(x, y, image::Rgba([px[0], px[1], px[2], 255]));
            }
        }
        out.push(screen.clone());
        delays.push(frame.delay);
    }
    (out, delays)
}

fn mean_abs(a: &RgbaImage, b: &RgbImage) -> f64 {
    let sum: u64 =
        a.pixels().zip(b.pixels()).map(|(p, q)| (0..3).map(|c| p[c].abs_diff(q[c]) as u64).sum::<u64>()).sum();
    sum as f64 / (a.width() * a.height() * 3) as f64
}

#[test]
fn the_gif_plays_forward_then_back_and_stays_small() {
    let dir = temp("gif");
    let frames = frames();
    let path = dir.join("b_boomerang.gif");
    let summary = write_gif(&frames, &path).unwrap();
    assert_eq!((summary.width, summary.height), (GIF_WIDTH, 270));
    assert_eq!(summary.frames, 2 * N - 2);
    let bytes = std::fs::metadata(&path).unwrap().len();
    assert_eq!(summary.bytes, bytes);
    println!("boomerang GIF: {} frames {}x{}, {} KB", summary.frames, summary.width, summary.height, bytes / 1000);
    assert!(bytes < 2_500_000, "{bytes} bytes: too big for a phone on a weak network");
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(left.len(), 1, "no temporary file is left: {left:?}");

    let (shown, delays) = shown_frames(&path);
    assert_eq!(shown.len(), 2 * N - 2);
    assert!(delays.iter().all(|&d| d == 7), "70 ms each: {delays:?}");
    for (k, frame) in shown.iter().enumerate() {
        // forward 0..N-1, then back N-2..1
        let source = if k < N { k } else { 2 * N - 2 - k };
        let expected = imageops::resize(&frames[source].1, GIF_WIDTH, 270, imageops::FilterType::Triangle);
        let d = mean_abs(frame, &expected);
        assert!(d < 6.0, "frame {k} differs from source frame {source} by {d:.2} per channel");
    }
    assert_eq!(shown[N - 2], shown[N], "the turn plays the same frame on both sides");
    // it loops forever
    let raw = std::fs::read(&path).unwrap();
    assert!(raw.windows(11).any(|w| w == b"NETSCAPE2.0"), "no loop extension");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_mp4_has_the_same_motion_at_full_size() {
    let dir = temp("mp4");
    let path = dir.join("b_boomerang.mp4");
    let stats = write_mp4(&frames(), &path).unwrap();
    assert_eq!(stats.frames, 2 * N as u64 - 2);
    assert_eq!((stats.coded_width, stats.coded_height), (1280, 720));
    // 27 intervals of 70 ms forward, the same back, and the last frame's own 70 ms
    let expected = 2.0 * 27.0 * 0.070 - 0.070 + 0.070;
    assert!((stats.duration.as_secs_f64() - expected).abs() < 0.08, "{:?} vs {expected}", stats.duration);
    if let Ok(out) = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames,width,height", "-of", "csv=p=0"])
        .arg(&path)
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(text.trim(), format!("1280,720,{}", 2 * N - 2), "ffprobe: {text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
