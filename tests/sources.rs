//! Frame sources against recorded data: camera pixel formats (YUYV, MJPEG) fed through the same
//! decode path the camera uses, MP4/H.264 through openh264 and the FFmpeg fallback, and the
//! errors a user sees for missing, truncated and wrong files and for a camera that is not there.
//!
//! Fixtures come from `tests/data/make_fixtures.sh`: exact crops of `assets/demo/astronaut.png`,
//! so every decoded picture is compared with the same crop cut out of the original here.

use std::path::{Path, PathBuf};
use std::time::Duration;

use webtoonme::frame::Frame;
use webtoonme::source::camera::{CameraMode, CameraRequest, CameraSource, list_cameras};
use webtoonme::source::pixel::{self, CameraFormat};
use webtoonme::source::video::{VideoDecoder, VideoOptions, VideoSource};
use webtoonme::source::{FrameSource, SourceError, SourceSpec};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// `w` x `h` crop of the original photo at (`x`, `y`), as packed RGB.
fn photo_crop(x: u32, y: u32, w: u32, h: u32) -> Vec<u8> {
    let photo = image::open(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/astronaut.png")).unwrap().to_rgb8();
    image::imageops::crop_imm(&photo, x, y, w, h).to_image().into_raw()
}

/// Peak signal-to-noise ratio in dB and mean absolute error per channel value.
fn psnr_mae(a: &[u8], b: &[u8]) -> (f64, f64) {
    assert_eq!(a.len(), b.len(), "compared pictures differ in size");
    let (mut se, mut ae) = (0f64, 0f64);
    for (&p, &q) in a.iter().zip(b) {
        let d = f64::from(p) - f64::from(q);
        se += d * d;
        ae += d.abs();
    }
    let mse = se / a.len() as f64;
    let psnr = if mse == 0.0 { f64::INFINITY } else { 10.0 * (255.0f64 * 255.0 / mse).log10() };
    (psnr, ae / a.len() as f64)
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("webtoonme-sources-{}-{name}", std::process::id()))
}

fn ffmpeg_on_path() -> bool {
    std::process::Command::new("ffmpeg").arg("-version").output().is_ok_and(|o| o.status.success())
}

fn file_error(result: Result<VideoSource, SourceError>) -> (PathBuf, String, String) {
    match result {
        Err(e @ SourceError::File { .. }) => {
            let shown = e.to_string();
            let SourceError::File { path, reason } = e else { unreachable!() };
            (path, reason, shown)
        }
        Err(other) => panic!("expected SourceError::File, got {other:?}"),
        Ok(src) => panic!("expected an error, opened {src:?}"),
    }
}

/// Every frame of a source, with pts; checks the frame buffer is reused (no allocation per frame).
fn decode_all(src: &mut dyn FrameSource) -> Vec<(Duration, Vec<u8>)> {
    let mut frame = Frame::empty();
    let mut frames = Vec::new();
    let mut buffer = None;
    while src.next_frame(&mut frame).unwrap() {
        assert_eq!((frame.width, frame.height), (src.info().width, src.info().height));
        match buffer {
            None => buffer = Some(frame.rgb.as_ptr()),
            Some(p) => assert_eq!(frame.rgb.as_ptr(), p, "frame buffer reallocated"),
        }
        frames.push((frame.pts, frame.rgb.clone()));
        assert!(frames.len() < 1000, "source does not end");
    }
    // The end is sticky.
    assert!(!src.next_frame(&mut frame).unwrap());
    frames
}

// ---------------------------------------------------------------------------------------------
// Camera pixel formats

// Thresholds: measured on these fixtures (run with --nocapture), minus about 4 dB of margin.
// YUYV: 42.1 dB, MAE 1.35 (only 4:2:2 chroma and 8-bit rounding are lost). Decoding it as full
// range instead of limited gives 26.6 dB, swapped U/V 18.0 dB, so 38 dB catches both. (BT.709
// instead of BT.601 costs only 1.7 dB on this low-saturation photo; pixel.rs's unit test on pure
// primaries catches the matrix instead.) MJPEG at q=3: 37.7 dB, MAE 2.35.
const YUYV_MIN_PSNR: f64 = 38.0;
const MJPEG_MIN_PSNR: f64 = 34.0;

#[test]
fn recorded_yuyv_frame_matches_the_photo() {
    let raw = std::fs::read(data("astronaut_320x240.yuyv")).unwrap();
    let mut frame = Frame::empty();
    pixel::decode(CameraFormat::Yuyv, &raw, 320, 240, &mut frame).unwrap();
    assert_eq!((frame.width, frame.height), (320, 240));
    let (psnr, mae) = psnr_mae(&frame.rgb, &photo_crop(96, 16, 320, 240));
    eprintln!("YUYV vs photo: PSNR {psnr:.2} dB, MAE {mae:.2}");
    assert!(psnr > YUYV_MIN_PSNR && mae < 2.5, "PSNR {psnr:.2} dB, MAE {mae:.2}");
}

#[test]
fn recorded_mjpeg_frame_matches_the_photo() {
    let jpeg = std::fs::read(data("astronaut_320x240.mjpeg")).unwrap();
    let mut frame = Frame::empty();
    pixel::decode(CameraFormat::Mjpeg, &jpeg, 320, 240, &mut frame).unwrap();
    let (psnr, mae) = psnr_mae(&frame.rgb, &photo_crop(96, 16, 320, 240));
    eprintln!("MJPEG vs photo: PSNR {psnr:.2} dB, MAE {mae:.2}");
    assert!(psnr > MJPEG_MIN_PSNR && mae < 3.5, "PSNR {psnr:.2} dB, MAE {mae:.2}");

    // Decoding again into the same frame reuses its buffer.
    let ptr = frame.rgb.as_ptr();
    pixel::decode(CameraFormat::Mjpeg, &jpeg, 320, 240, &mut frame).unwrap();
    assert_eq!(frame.rgb.as_ptr(), ptr);
}

/// Remove every DHT (Huffman table) segment, as many UVC cameras send MJPEG.
fn strip_huffman_tables(jpeg: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xFF {
        let marker = jpeg[i + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        if marker == 0xDA {
            break; // start of scan: the rest is entropy-coded data
        }
        if marker != 0xC4 {
            out.extend_from_slice(&jpeg[i..i + 2 + len]);
        }
        i += 2 + len;
    }
    out.extend_from_slice(&jpeg[i..]);
    out
}

#[test]
fn mjpeg_without_huffman_tables_decodes_like_a_webcam_frame() {
    let jpeg = std::fs::read(data("astronaut_320x240.mjpeg")).unwrap();
    let bare = strip_huffman_tables(&jpeg);
    assert!(bare.len() < jpeg.len(), "fixture should carry DHT segments to strip");
    let (mut with, mut without) = (Frame::empty(), Frame::empty());
    pixel::decode(CameraFormat::Mjpeg, &jpeg, 320, 240, &mut with).unwrap();
    pixel::decode(CameraFormat::Mjpeg, &bare, 320, 240, &mut without).unwrap();
    assert!(with.rgb == without.rgb, "default MJPEG tables must give the same picture");
}

#[test]
fn corrupt_mjpeg_is_an_error_not_a_panic() {
    let jpeg = std::fs::read(data("astronaut_320x240.mjpeg")).unwrap();
    let mut garbage = jpeg.clone();
    garbage[2..600].iter_mut().enumerate().for_each(|(i, b)| *b = (i * 37 % 251) as u8);
    let cases: [(&str, &[u8]); 5] = [
        ("empty", &[]),
        ("text", b"this is not a jpeg"),
        ("headers overwritten", &garbage),
        ("only the first 300 bytes", &jpeg[..300]),
        ("torn after 60% (no end marker)", &jpeg[..jpeg.len() * 6 / 10]),
    ];
    let mut frame = Frame::empty();
    for (what, bytes) in cases {
        let err = pixel::decode(CameraFormat::Mjpeg, bytes, 320, 240, &mut frame).expect_err(what);
        assert!(err.to_string().contains("MJPEG"), "{what}: {err}");
    }
    // A frame of another size than the camera announced is refused too.
    let err = pixel::decode(CameraFormat::Mjpeg, &jpeg, 640, 480, &mut frame).unwrap_err();
    assert!(err.to_string().contains("320x240"), "{err}");
}

#[test]
fn short_yuyv_buffer_is_an_error() {
    let raw = std::fs::read(data("astronaut_320x240.yuyv")).unwrap();
    let err = pixel::decode(CameraFormat::Yuyv, &raw[..raw.len() / 2], 320, 240, &mut Frame::empty()).unwrap_err();
    assert!(err.to_string().contains("too small"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Camera

fn mode(format: CameraFormat) -> CameraMode {
    CameraMode { format, width: 320, height: 240, fps: 30 }
}

#[test]
fn recorded_camera_streams_through_the_camera_thread() {
    // The camera path end to end without a device: the camera thread, decode, hand-over, pts.
    let yuyv = std::fs::read(data("astronaut_320x240.yuyv")).unwrap();
    let jpeg = std::fs::read(data("astronaut_320x240.mjpeg")).unwrap();
    let expected = photo_crop(96, 16, 320, 240);
    for (format, raw, min_psnr) in
        [(CameraFormat::Yuyv, &yuyv, YUYV_MIN_PSNR), (CameraFormat::Mjpeg, &jpeg, MJPEG_MIN_PSNR)]
    {
        let buffers = vec![raw.clone(); 8];
        let mut cam = CameraSource::replay("recorded", mode(format), buffers, Duration::from_millis(2)).unwrap();
        assert_eq!((cam.info().width, cam.info().height, cam.info().live), (320, 240, true));
        assert_eq!(cam.pacing(), None, "a camera paces itself");
        let mut frame = Frame::empty();
        let mut buffers_seen = std::collections::HashSet::new();
        let mut last_pts = Duration::ZERO;
        for n in 0..8 {
            assert!(cam.next_frame(&mut frame).unwrap(), "{format} frame {n}");
            let (psnr, _) = psnr_mae(&frame.rgb, &expected);
            assert!(psnr > min_psnr, "{format} frame {n}: {psnr:.1} dB");
            assert!(n == 0 || frame.pts > last_pts, "{format}: pts must increase");
            last_pts = frame.pts;
            buffers_seen.insert(frame.rgb.as_ptr());
        }
        assert!(!cam.next_frame(&mut frame).unwrap(), "a replay ends");
        // Buffers circulate between the caller and the camera thread instead of being allocated.
        assert!(buffers_seen.len() <= 4, "{format}: {} different buffers for 8 frames", buffers_seen.len());
    }
}

#[test]
fn camera_skips_a_torn_frame_and_gives_up_on_a_broken_stream() {
    let jpeg = std::fs::read(data("astronaut_320x240.mjpeg")).unwrap();
    let torn = jpeg[..jpeg.len() / 2].to_vec();
    let buffers = vec![jpeg.clone(), torn.clone(), jpeg.clone()];
    let mut cam = CameraSource::replay("torn", mode(CameraFormat::Mjpeg), buffers, Duration::ZERO).unwrap();
    let mut frame = Frame::empty();
    assert!(cam.next_frame(&mut frame).unwrap());
    assert!(cam.next_frame(&mut frame).unwrap(), "the torn frame is skipped, the next one arrives");
    assert!(!cam.next_frame(&mut frame).unwrap());

    let buffers = vec![torn; 40];
    let mut cam = CameraSource::replay("broken", mode(CameraFormat::Mjpeg), buffers, Duration::ZERO).unwrap();
    let err = cam.next_frame(&mut frame).unwrap_err();
    assert!(matches!(err, SourceError::Camera { .. }) && err.to_string().contains("undecodable"), "{err}");
}

#[test]
fn dropping_a_camera_does_not_wait_for_it() {
    let yuyv = std::fs::read(data("astronaut_320x240.yuyv")).unwrap();
    let mut cam =
        CameraSource::replay("slow", mode(CameraFormat::Yuyv), vec![yuyv; 3], Duration::from_millis(300)).unwrap();
    let mut frame = Frame::empty();
    assert!(cam.next_frame(&mut frame).unwrap());
    let started = std::time::Instant::now();
    drop(cam);
    assert!(started.elapsed() < Duration::from_millis(100));
}

#[test]
fn missing_camera_names_its_index() {
    if !list_cameras().is_empty() {
        eprintln!("skipped: this machine has cameras");
        return;
    }
    match CameraSource::open(7, &CameraRequest::default()) {
        Err(SourceError::Camera { index, reason }) => {
            assert_eq!(index, 7);
            assert!(reason.contains("index 7"), "{reason}");
            assert!(SourceError::Camera { index, reason }.to_string().starts_with("camera 7:"));
        }
        other => panic!("expected SourceError::Camera, got {other:?}"),
    }
    // Through the command-line spec as well.
    let err = "camera:7".parse::<SourceSpec>().unwrap().open().err().expect("no camera 7");
    assert!(err.to_string().contains("camera 7"), "{err}");
}

#[test]
fn listing_cameras_never_fails() {
    // No V4L2 devices (this CI machine): an empty list. With cameras: each has a name.
    for cam in list_cameras() {
        assert!(!cam.name.is_empty());
    }
    if !Path::new("/dev/video0").exists() && cfg!(target_os = "linux") {
        assert!(list_cameras().is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// Video files

/// Frame `n` of the pan fixtures is this crop of the photo (see make_fixtures.sh).
fn pan_frame(n: u32) -> Vec<u8> {
    photo_crop(8 * n, 40 + 4 * n, 320, 180)
}

// x264 at crf 26 plus 4:2:0 chroma: 33.8-34.9 dB against the original crop. The neighbouring
// frame's crop scores 14 dB, so 30 dB proves each frame is the right one, in the right order.
const H264_MIN_PSNR: f64 = 30.0;

fn check_pan(frames: &[(Duration, Vec<u8>)], label: &str) {
    assert_eq!(frames.len(), 15, "{label}: frame count");
    for (n, (pts, rgb)) in frames.iter().enumerate() {
        let expected = Duration::from_secs_f64(n as f64 / 15.0);
        assert!(pts.abs_diff(expected) < Duration::from_millis(2), "{label}: frame {n} pts {pts:?}, want {expected:?}");
        let (psnr, _) = psnr_mae(rgb, &pan_frame(n as u32));
        assert!(psnr > H264_MIN_PSNR, "{label}: frame {n} is not the expected picture ({psnr:.1} dB)");
    }
    assert!(frames.windows(2).all(|w| w[0].0 < w[1].0), "{label}: pts not increasing");
    let (first, _) = psnr_mae(&frames[0].1, &pan_frame(0));
    let (last, _) = psnr_mae(&frames[14].1, &pan_frame(14));
    eprintln!("{label}: frame 0 {first:.2} dB, frame 14 {last:.2} dB");
}

#[test]
fn baseline_mp4_decodes_with_openh264() {
    let mut src = VideoSource::open(data("pan_baseline.mp4")).unwrap();
    assert_eq!(src.decoder(), VideoDecoder::OpenH264);
    let info = src.info().clone();
    assert_eq!((info.width, info.height), (320, 180));
    assert_eq!(info.frame_count, Some(15));
    assert!((info.fps - 15.0).abs() < 1e-6, "fps {}", info.fps);
    assert!(!info.live);
    assert_eq!(info.name, "pan_baseline.mp4");
    assert_eq!(src.pacing(), Some(Duration::from_secs_f64(1.0 / 15.0)));
    check_pan(&decode_all(&mut src), "baseline/openh264");
}

#[test]
fn video_spec_opens_through_the_command_line_syntax() {
    let spec = format!("video:{}", data("pan_baseline.mp4").display());
    let src = spec.parse::<SourceSpec>().unwrap().open().unwrap();
    assert_eq!((src.info().width, src.info().height, src.info().frame_count), (320, 180, Some(15)));
}

#[test]
fn bframes_mp4_needs_ffmpeg_and_says_so() {
    let no_ffmpeg = VideoOptions { ffmpeg: Some(PathBuf::from("/nonexistent/ffmpeg")), force_ffmpeg: false };
    let (path, reason, _) = file_error(VideoSource::open_with(data("pan_high_bframes.mp4"), &no_ffmpeg));
    assert_eq!(path, data("pan_high_bframes.mp4"));
    assert!(reason.contains("High profile with B-frames needs FFmpeg; install ffmpeg"), "{reason}");

    let disabled = VideoOptions { ffmpeg: None, force_ffmpeg: false };
    let (_, reason, _) = file_error(VideoSource::open_with(data("pan_high_bframes.mp4"), &disabled));
    assert!(reason.contains("B-frames"), "{reason}");
}

#[test]
fn bframes_mp4_decodes_through_ffmpeg_when_installed() {
    if !ffmpeg_on_path() {
        eprintln!("skipped: ffmpeg not on PATH (the error path is tested above)");
        return;
    }
    let mut src = VideoSource::open(data("pan_high_bframes.mp4")).unwrap();
    assert_eq!(src.decoder(), VideoDecoder::Ffmpeg);
    assert_eq!((src.info().width, src.info().height, src.info().frame_count), (320, 180, Some(15)));
    assert!((src.info().fps - 15.0).abs() < 1e-6);
    // Frames come out in presentation order (each matches its crop), with increasing pts.
    check_pan(&decode_all(&mut src), "high+B/ffmpeg");
}

#[test]
fn openh264_and_ffmpeg_agree_on_the_baseline_file() {
    if !ffmpeg_on_path() {
        eprintln!("skipped: ffmpeg not on PATH");
        return;
    }
    let forced = VideoOptions { force_ffmpeg: true, ..Default::default() };
    let mut via_ffmpeg = VideoSource::open_with(data("pan_baseline.mp4"), &forced).unwrap();
    assert_eq!(via_ffmpeg.decoder(), VideoDecoder::Ffmpeg);
    let a = decode_all(&mut VideoSource::open(data("pan_baseline.mp4")).unwrap());
    let b = decode_all(&mut via_ffmpeg);
    assert_eq!(a.len(), b.len());
    for (n, (fa, fb)) in a.iter().zip(&b).enumerate() {
        assert!(fa.0.abs_diff(fb.0) < Duration::from_micros(1), "frame {n} pts {:?} vs {:?}", fa.0, fb.0);
        // Same bitstream decoder output; only the YUV->RGB rounding differs.
        let (psnr, mae) = psnr_mae(&fa.1, &fb.1);
        assert!(psnr > 38.0, "frame {n}: {psnr:.1} dB, MAE {mae:.2}");
    }
}

#[test]
fn dropping_an_ffmpeg_source_mid_stream_ends_the_child() {
    if !ffmpeg_on_path() {
        return;
    }
    let mut src = VideoSource::open(data("pan_high_bframes.mp4")).unwrap();
    let mut frame = Frame::empty();
    assert!(src.next_frame(&mut frame).unwrap());
    let started = std::time::Instant::now();
    drop(src);
    assert!(started.elapsed() < Duration::from_secs(2), "drop must not wait for the video to finish");
}

/// The baseline fixture with 40 bytes of one P-frame scrambled (openh264 fails from frame 4 on).
fn damaged_baseline(name: &str) -> PathBuf {
    let mut bytes = std::fs::read(data("pan_baseline.mp4")).unwrap();
    let at = bytes.len() * 57 / 100;
    bytes[at..at + 40].iter_mut().for_each(|b| *b ^= 0x5A);
    let path = temp_path(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn damaged_h264_frame_without_ffmpeg_is_an_error_naming_the_frame() {
    let path = damaged_baseline("damaged_noff.mp4");
    let no_ffmpeg = VideoOptions { ffmpeg: None, force_ffmpeg: false };
    let mut src = VideoSource::open_with(&path, &no_ffmpeg).unwrap();
    let mut frame = Frame::empty();
    let mut good = 0;
    let err = loop {
        match src.next_frame(&mut frame) {
            Ok(true) => good += 1,
            Ok(false) => panic!("the damage went unnoticed"),
            Err(e) => break e,
        }
    };
    std::fs::remove_file(&path).ok();
    assert!(good > 0);
    let msg = err.to_string();
    assert!(msg.contains(&format!("decoding failed at frame {good}")) && msg.contains("damaged_noff.mp4"), "{msg}");
}

#[test]
fn damaged_h264_frame_continues_with_ffmpeg() {
    if !ffmpeg_on_path() {
        return;
    }
    let path = damaged_baseline("damaged_ff.mp4");
    let mut src = VideoSource::open(&path).unwrap();
    assert_eq!(src.decoder(), VideoDecoder::OpenH264);
    let frames = decode_all(&mut src);
    let decoder = src.decoder();
    std::fs::remove_file(&path).ok();
    // FFmpeg conceals the damage and carries on from the frame where openh264 stopped.
    assert_eq!(decoder, VideoDecoder::Ffmpeg);
    assert_eq!(frames.len(), 15);
    assert!(frames.windows(2).all(|w| w[0].0 < w[1].0));
    // Frames before the damage are intact (after it, the scrambled reference spreads to the end
    // of this single-GOP clip, so later pictures are not compared).
    let (psnr, _) = psnr_mae(&frames[1].1, &pan_frame(1));
    assert!(psnr > H264_MIN_PSNR, "frame 1: {psnr:.1} dB");
}

#[test]
fn missing_video_file_is_named() {
    let (path, reason, shown) = file_error(VideoSource::open(data("no_such_clip.mp4")));
    assert_eq!(path, data("no_such_clip.mp4"));
    assert!(reason.contains("not found"), "{reason}");
    assert!(shown.contains("no_such_clip.mp4"), "{shown}");
}

#[test]
fn truncated_mp4_is_an_error() {
    let bytes = std::fs::read(data("pan_baseline.mp4")).unwrap();
    let path = temp_path("truncated.mp4");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let result = VideoSource::open(&path);
    std::fs::remove_file(&path).ok();
    let (p, reason, shown) = file_error(result);
    assert_eq!(p, path);
    assert!(reason.contains("truncated") || reason.contains("corrupt"), "{reason}");
    assert!(shown.contains("truncated.mp4"), "{shown}");
}

#[test]
fn text_file_named_mp4_is_an_error() {
    let path = temp_path("notes.mp4");
    std::fs::write(&path, "shopping list: eggs, milk\n".repeat(20)).unwrap();
    let result = VideoSource::open(&path);
    std::fs::remove_file(&path).ok();
    let (_, reason, shown) = file_error(result);
    assert!(reason.contains("not an MP4"), "{reason}");
    assert!(shown.contains("notes.mp4"), "{shown}");
}

#[test]
fn mp4_cut_inside_its_index_is_an_error() {
    // These fixtures keep `moov` (the frame index) at the end: drop its last 200 bytes. FFmpeg,
    // when installed, gets a try and fails too; the message keeps the demuxer's reason.
    let bytes = std::fs::read(data("pan_baseline.mp4")).unwrap();
    let path = temp_path("cut_moov.mp4");
    std::fs::write(&path, &bytes[..bytes.len() - 200]).unwrap();
    let result = VideoSource::open(&path);
    std::fs::remove_file(&path).ok();
    let (_, reason, _) = file_error(result);
    assert!(reason.starts_with("corrupt or truncated MP4"), "{reason}");
}

#[test]
fn folder_and_empty_file_are_errors() {
    let (_, reason, _) = file_error(VideoSource::open(data("")));
    assert!(reason.contains("folder"), "{reason}");
    let path = temp_path("empty.mp4");
    std::fs::write(&path, b"").unwrap();
    let result = VideoSource::open(&path);
    std::fs::remove_file(&path).ok();
    assert!(file_error(result).1.contains("empty"));
}

// ---------------------------------------------------------------------------------------------
// Timings (release mode): cargo test --release --test sources -- --ignored --nocapture

fn rgb_to_yuyv(rgb: &[u8]) -> Vec<u8> {
    let yuv = |p: &[u8]| {
        let [r, g, b] = [p[0], p[1], p[2]].map(f64::from);
        [
            16.0 + 0.257 * r + 0.504 * g + 0.098 * b,
            128.0 - 0.148 * r - 0.291 * g + 0.439 * b,
            128.0 + 0.439 * r - 0.368 * g - 0.071 * b,
        ]
        .map(|c| c.round().clamp(0.0, 255.0) as u8)
    };
    rgb.chunks_exact(6)
        .flat_map(|px| {
            let (a, b) = (yuv(&px[..3]), yuv(&px[3..]));
            [
                a[0],
                ((u16::from(a[1]) + u16::from(b[1])) / 2) as u8,
                b[0],
                ((u16::from(a[2]) + u16::from(b[2])) / 2) as u8,
            ]
        })
        .collect()
}

/// Milliseconds per call: the best of five batches (the machine may be busy with other work).
fn time_per_call(iterations: u32, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    (0..5)
        .map(|_| {
            let start = std::time::Instant::now();
            for _ in 0..iterations {
                f();
            }
            start.elapsed().as_secs_f64() * 1000.0 / f64::from(iterations)
        })
        .fold(f64::INFINITY, f64::min)
}

#[test]
#[ignore = "timing; run in release mode"]
fn decode_timings_720p() {
    let photo = image::open(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/astronaut.png")).unwrap();
    let rgb = photo.resize_exact(1280, 720, image::imageops::FilterType::Triangle).to_rgb8();
    let yuyv = rgb_to_yuyv(rgb.as_raw());
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85).encode_image(&rgb).unwrap();

    let mut frame = Frame::empty();
    let yuyv_ms = time_per_call(50, || pixel::decode(CameraFormat::Yuyv, &yuyv, 1280, 720, &mut frame).unwrap());
    let mjpeg_ms = time_per_call(20, || pixel::decode(CameraFormat::Mjpeg, &jpeg, 1280, 720, &mut frame).unwrap());
    println!("1280x720 YUYV -> RGB: {yuyv_ms:.2} ms/frame");
    println!("1280x720 MJPEG ({} KB) -> RGB: {mjpeg_ms:.2} ms/frame", jpeg.len() / 1024);

    if !ffmpeg_on_path() {
        println!("H.264 timing skipped: ffmpeg needed to make the 720p clip");
        return;
    }
    let clip = temp_path("720p.mp4");
    let made = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y", "-loop", "1", "-framerate", "30", "-i"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/astronaut.png"))
        .args(["-vf", "scale=1600:1600,crop=1280:720:x='4*n':y='4*n',format=yuv420p", "-frames:v", "90"])
        .args(["-c:v", "libx264", "-profile:v", "baseline", "-crf", "23", "-g", "30"])
        .arg(&clip)
        .status()
        .unwrap();
    assert!(made.success());
    for (label, opts) in [
        ("openh264", VideoOptions::default()),
        ("ffmpeg CLI", VideoOptions { force_ffmpeg: true, ..Default::default() }),
    ] {
        let mut src = VideoSource::open_with(&clip, &opts).unwrap();
        let mut frame = Frame::empty();
        let start = std::time::Instant::now();
        let mut n = 0;
        while src.next_frame(&mut frame).unwrap() {
            n += 1;
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(n);
        println!("1280x720 H.264 baseline via {label}: {ms:.2} ms/frame over {n} frames");
    }
    std::fs::remove_file(&clip).ok();
}
