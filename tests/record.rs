//! The video writer end to end: frames encoded with openh264, muxed to MP4, read back with the
//! project's own `VideoSource` (pixels, count, timing) and checked by `ffprobe` (what players see);
//! the input's AAC copied through; the errors a user sees for bad paths, sizes and timestamps.
//!
//! `ffmpeg`/`ffprobe` must be on PATH (scripts/setup.sh installs them; CI has them): the audio
//! fixture is made with ffmpeg at test time.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use image::{RgbImage, imageops};
use webtoonme::frame::Frame;
use webtoonme::record::{AudioSource, Fps, RecordError, VideoWriter, WriterConfig};
use webtoonme::source::FrameSource;
use webtoonme::source::video::{VideoDecoder, VideoSource};

const W: u32 = 320;
const H: u32 = 240;
const FRAMES: u32 = 45;

fn project_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A fresh folder for one test's files (removed first if a previous run left it).
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("webtoonme-record-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Remove a test's folder, unless `WEBTOONME_KEEP_TEST_FILES` is set (to inspect the outputs).
fn cleanup(dir: &Path) {
    if std::env::var_os("WEBTOONME_KEEP_TEST_FILES").is_none() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The astronaut photo scaled to 420x300: frames are moving 320x240 windows over it.
fn backdrop() -> RgbImage {
    let photo = image::open(project_file("assets/demo/astronaut.png")).expect("assets/demo/astronaut.png").to_rgb8();
    imageops::resize(&photo, 420, 300, imageops::FilterType::Triangle)
}

/// Frame `n` of the test clip, `w` x `h`: a pan over the photo (2 px right, 1 px down per frame)
/// with a white square crossing it (sharp edges, fast motion).
fn clip_frame(backdrop: &RgbImage, n: u32, w: u32, h: u32) -> Vec<u8> {
    let mut img = imageops::crop_imm(backdrop, 2 * n, n, w, h).to_image();
    let x0 = (7 * n) % (w - 40);
    for y in 60..100 {
        for x in x0..x0 + 40 {
            img.put_pixel(x, y.min(h - 1), image::Rgb([250, 250, 250]));
        }
    }
    img.into_raw()
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "compared pictures differ in size");
    let se: f64 = a.iter().zip(b).map(|(&p, &q)| (f64::from(p) - f64::from(q)).powi(2)).sum();
    let mse = se / a.len() as f64;
    if mse == 0.0 { f64::INFINITY } else { 10.0 * (255.0f64 * 255.0 / mse).log10() }
}

/// Write `frames` with their pts; returns the stats.
fn write_clip(
    path: &Path,
    (w, h): (u32, u32),
    fps: Fps,
    frames: &[(Vec<u8>, Duration)],
) -> webtoonme::record::WriterStats {
    let mut writer = VideoWriter::create(path, w, h, fps, None).unwrap();
    for (rgb, pts) in frames {
        writer.push(rgb, *pts).unwrap();
    }
    writer.finish().unwrap()
}

/// Every frame of a video file through the project's reader.
fn read_back(path: &Path) -> (VideoSource, Vec<Frame>) {
    let mut source = VideoSource::open(path).unwrap();
    let mut frames = Vec::new();
    let mut frame = Frame::empty();
    while source.next_frame(&mut frame).unwrap() {
        frames.push(frame.clone());
    }
    (source, frames)
}

fn tool_missing(tool: &str) -> ! {
    panic!("{tool} is not on PATH: scripts/setup.sh installs it (apt install ffmpeg)")
}

/// `ffprobe -show_streams -show_format` as JSON; fails the test on any complaint.
fn ffprobe(path: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_streams", "-show_format", "-count_frames", "-of", "json"])
        .arg(path)
        .output()
        .unwrap_or_else(|_| tool_missing("ffprobe"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.trim().is_empty(), "ffprobe on {}: {stderr}", path.display());
    serde_json::from_slice(&out.stdout).unwrap()
}

fn stream<'a>(probe: &'a serde_json::Value, kind: &str) -> &'a serde_json::Value {
    probe["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["codec_type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} stream in {probe}"))
}

fn num(v: &serde_json::Value) -> f64 {
    v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_f64()).unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Encode the test clip at `fps`, read it back and probe it.
fn round_trip(name: &str, fps: Fps, r_frame_rate: &str) {
    let dir = temp_dir(name);
    let path = dir.join("out.mp4");
    let backdrop = backdrop();
    let frame_time = Duration::from_secs_f64(1.0 / fps.as_f64());
    let pushed: Vec<(Vec<u8>, Duration)> =
        (0..FRAMES).map(|n| (clip_frame(&backdrop, n, W, H), frame_time * n)).collect();

    let stats = write_clip(&path, (W, H), fps, &pushed);
    assert_eq!((stats.frames, stats.skipped), (u64::from(FRAMES), 0));
    assert_eq!((stats.coded_width, stats.coded_height), (W, H));
    let expected_duration = f64::from(FRAMES) * f64::from(fps.den()) / f64::from(fps.num());
    assert!((stats.duration.as_secs_f64() - expected_duration).abs() < 1e-4, "{stats:?}");
    assert_eq!(stats.bytes, std::fs::metadata(&path).unwrap().len());

    // Our reader (fragmented MP4 goes through its FFmpeg path): same size, every frame, same
    // times, faithful pixels.
    let (source, decoded) = read_back(&path);
    assert_eq!(source.decoder(), VideoDecoder::Ffmpeg);
    let info = source.info();
    assert_eq!((info.width, info.height), (W, H));
    // fragmented MP4 has no frame count in its header: ffprobe only counts by reading
    assert!(info.frame_count.is_none_or(|n| n == u64::from(FRAMES)), "{info:?}");
    assert!((info.fps - fps.as_f64()).abs() < 1e-3, "fps {} vs {fps}", info.fps);
    assert_eq!(decoded.len(), FRAMES as usize);
    let half_frame = frame_time / 2;
    let mut worst = f64::INFINITY;
    for (i, (frame, (rgb, pts))) in decoded.iter().zip(&pushed).enumerate() {
        assert_eq!((frame.width, frame.height), (W, H));
        assert!(frame.pts.abs_diff(*pts) < half_frame, "frame {i}: pts {:?} pushed {pts:?}", frame.pts);
        if i > 0 {
            assert!(frame.pts > decoded[i - 1].pts, "frame {i}: pts not increasing");
        }
        let p = psnr(&frame.rgb, rgb);
        assert!(p > 30.0, "frame {i}: PSNR {p:.1} dB");
        worst = worst.min(p);
    }
    eprintln!("{name}: {} bytes, worst PSNR {worst:.1} dB", stats.bytes);

    // What players see.
    let probe = ffprobe(&path);
    let video = stream(&probe, "video");
    assert_eq!(video["codec_name"], "h264");
    assert_eq!(video["profile"], "Constrained Baseline");
    assert_eq!(video["pix_fmt"], "yuv420p");
    assert_eq!((video["width"].as_u64(), video["height"].as_u64()), (Some(u64::from(W)), Some(u64::from(H))));
    assert_eq!(video["nb_read_frames"], FRAMES.to_string());
    assert_eq!(video["r_frame_rate"], r_frame_rate);
    assert_eq!(video["avg_frame_rate"], r_frame_rate);
    assert!((num(&video["duration"]) - expected_duration).abs() < 1e-3, "{video}");
    assert!((num(&probe["format"]["duration"]) - expected_duration).abs() < 1e-3, "{}", probe["format"]);
    assert_eq!(video["color_space"], "smpte170m");
    assert_eq!(video["color_range"], "tv");
    assert_eq!(probe["streams"].as_array().unwrap().len(), 1, "video only");
    cleanup(&dir);
}

#[test]
fn round_trip_at_30_fps() {
    round_trip("30", Fps::integer(30).unwrap(), "30/1");
}

#[test]
fn round_trip_at_29_97_fps_keeps_the_exact_rate() {
    round_trip("ntsc", Fps::new(30000, 1001).unwrap(), "30000/1001");
}

#[test]
fn variable_frame_times_are_kept() {
    let dir = temp_dir("vfr");
    let path = dir.join("vfr.mp4");
    let backdrop = backdrop();
    // Irregular gaps, as a live camera delivers: 20 to 70 ms.
    let gaps_ms = [33, 20, 47, 33, 70, 25, 33, 33, 41, 60, 21, 33];
    let mut t = Duration::from_millis(500); // a source's pts need not start at zero
    let mut pushed = Vec::new();
    for (n, gap) in gaps_ms.iter().enumerate() {
        pushed.push((clip_frame(&backdrop, n as u32, W, H), t));
        t += Duration::from_millis(*gap);
    }
    let stats = write_clip(&path, (W, H), Fps::integer(30).unwrap(), &pushed);
    assert_eq!(stats.frames, gaps_ms.len() as u64);
    // The stored times, as players read them (our reader decodes fragmented files at a constant
    // rate through FFmpeg, so the packets' own times are checked).
    let times = packet_times(&path);
    assert_eq!(times.len(), gaps_ms.len());
    let start = pushed[0].1;
    for (t, (_, pts)) in times.iter().zip(&pushed) {
        // Output time zero is the first pts; times are kept to the 90 kHz tick.
        assert!(t.abs_diff(*pts - start) < Duration::from_micros(12), "{t:?} vs {:?}", *pts - start);
    }
    let probe = ffprobe(&path);
    assert_eq!(stream(&probe, "video")["nb_read_frames"], gaps_ms.len().to_string());
    cleanup(&dir);
}

/// Presentation times of the video packets (ffprobe), in decode order.
fn packet_times(path: &Path) -> Vec<Duration> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v", "-show_entries", "packet=pts_time", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap_or_else(|_| tool_missing("ffprobe"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| Duration::from_secs_f64(l.trim().trim_end_matches(',').parse::<f64>().unwrap()))
        .collect()
}

/// Samples FFmpeg decodes before time zero: in fragmented MP4 it shifts the audio by the edit
/// list (AAC priming, pre-roll) but does not drop what comes before zero.
fn lead_samples(audio: &serde_json::Value) -> usize {
    let start = num(&audio["start_time"]);
    assert!((-0.05..0.001).contains(&start), "audio starts with the video: {audio}");
    (-start * num(&audio["sample_rate"])).round() as usize
}

#[test]
fn odd_sizes_are_padded_to_even() {
    let dir = temp_dir("odd");
    let path = dir.join("odd.mp4");
    let backdrop = backdrop();
    let (w, h) = (161, 121);
    let pushed: Vec<_> = (0..10).map(|n| (clip_frame(&backdrop, n, w, h), Duration::from_millis(40) * n)).collect();
    let stats = write_clip(&path, (w, h), Fps::integer(25).unwrap(), &pushed);
    assert_eq!((stats.coded_width, stats.coded_height), (162, 122));
    let (_, decoded) = read_back(&path);
    assert_eq!(decoded.len(), 10);
    for (frame, (rgb, _)) in decoded.iter().zip(&pushed) {
        assert_eq!((frame.width, frame.height), (162, 122));
        // The picture itself (without the padding) is intact.
        let visible: Vec<u8> =
            frame.rgb.chunks_exact(162 * 3).take(h as usize).flat_map(|row| &row[..w as usize * 3]).copied().collect();
        assert!(psnr(&visible, rgb) > 30.0);
    }
    let probe = ffprobe(&path);
    assert_eq!(stream(&probe, "video")["width"], 162);
    cleanup(&dir);
}

/// An MP4 with H.264 Baseline video and AAC audio, made by ffmpeg (2 s, 30 fps, 440 Hz tone).
fn ffmpeg_fixture(dir: &Path) -> PathBuf {
    let path = dir.join("in.mp4");
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440", "-t", "2", "-pix_fmt", "yuv420p"])
        .args(["-c:v", "libx264", "-profile:v", "baseline", "-c:a", "aac"])
        .arg(&path)
        .output()
        .unwrap_or_else(|_| tool_missing("ffmpeg"));
    assert!(out.status.success(), "ffmpeg: {}", String::from_utf8_lossy(&out.stderr));
    path
}

#[test]
fn the_input_audio_is_copied() {
    let dir = temp_dir("audio");
    let input = ffmpeg_fixture(&dir);
    let output = dir.join("out.mp4");

    let audio = AudioSource::from_mp4(&input).unwrap().expect("the fixture has AAC audio");
    assert_eq!(audio.description(), "AAC LC, 44100 Hz, 1 channel");
    let mut source = VideoSource::open(&input).unwrap();
    let info = source.info().clone();
    let fps = Fps::from_f64(info.fps).unwrap();
    assert_eq!(fps, Fps::integer(30).unwrap());
    let mut writer = VideoWriter::create(&output, info.width, info.height, fps, Some(audio)).unwrap();
    let mut frame = Frame::empty();
    while source.next_frame(&mut frame).unwrap() {
        writer.push_frame(&frame).unwrap();
    }
    let stats = writer.finish().unwrap();
    assert_eq!(stats.frames, 60);
    assert!(stats.audio_samples >= 86, "{stats:?}");

    let before = ffprobe(&input);
    let after = ffprobe(&output);
    let (a_in, a_out) = (stream(&before, "audio"), stream(&after, "audio"));
    assert_eq!(a_out["codec_name"], "aac");
    assert_eq!(a_out["profile"], a_in["profile"]);
    assert_eq!(a_out["sample_rate"], a_in["sample_rate"]);
    assert_eq!(a_out["channels"], a_in["channels"]);
    assert_eq!(a_out["time_base"], a_in["time_base"]);
    let (d_in, d_out) = (num(&a_in["duration"]), num(&a_out["duration"]));
    assert!((d_in - d_out).abs() < 0.1, "audio {d_out} s, input {d_in} s");
    let lead = lead_samples(a_out) * 2;
    let v_out = stream(&after, "video");
    assert_eq!(v_out["nb_read_frames"], "60");
    assert!((num(&after["format"]["duration"]) - 2.0).abs() < 0.05, "{}", after["format"]);

    // The copy is byte-exact: the decoded audio is identical.
    let (pcm_in, pcm_out) = (pcm(&input), pcm(&output)[lead..].to_vec());
    assert!(pcm_in.len().abs_diff(pcm_out.len()) <= 4096, "{} vs {} bytes of PCM", pcm_in.len(), pcm_out.len());
    let n = pcm_in.len().min(pcm_out.len());
    assert!(pcm_in[..n] == pcm_out[..n], "the copied audio decodes to different samples");

    // Our output is fragmented MP4, which the copy does not read (a warning, no audio, no error).
    assert!(AudioSource::from_mp4(&output).unwrap().is_none());
    cleanup(&dir);
}

/// Decoded audio of `path` as 16-bit PCM (ffmpeg).
fn pcm(path: &Path) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(path)
        .args(["-map", "0:a", "-f", "s16le", "-"])
        .output()
        .unwrap_or_else(|_| tool_missing("ffmpeg"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn a_clip_from_the_middle_takes_the_matching_audio() {
    // Frames 15..45 of the input (0.5 s to 1.5 s), as clip recording or a trimmed run does.
    let dir = temp_dir("audio-clip");
    let input = ffmpeg_fixture(&dir);
    let output = dir.join("clip.mp4");
    let audio = AudioSource::from_mp4(&input).unwrap().unwrap();
    let mut source = VideoSource::open(&input).unwrap();
    let mut writer = VideoWriter::create(&output, W, H, Fps::integer(30).unwrap(), Some(audio)).unwrap();
    let mut frame = Frame::empty();
    let mut n = 0;
    while source.next_frame(&mut frame).unwrap() {
        if (15..45).contains(&n) {
            writer.push_frame(&frame).unwrap();
        }
        n += 1;
    }
    let stats = writer.finish().unwrap();
    assert_eq!(stats.frames, 30);
    assert!((stats.audio_duration.as_secs_f64() - 1.0).abs() < 0.001, "{stats:?}");

    let probe = ffprobe(&output);
    let audio = stream(&probe, "audio");
    let lead = lead_samples(audio);
    // FFmpeg plays whole AAC frames of fragments: the audio ends within one frame of 1 s.
    let end = num(&audio["start_time"]) + num(&audio["duration"]);
    assert!((end - 1.0).abs() < 1024.0 / 44100.0, "{audio}");
    let format_end = num(&probe["format"]["start_time"]) + num(&probe["format"]["duration"]);
    assert!((format_end - 1.0).abs() < 1024.0 / 44100.0, "{}", probe["format"]);

    // Sample-exact: the clip's sound is the input's sound from 0.5 s (22050 samples) on.
    let (whole, clip) = (pcm(&input), pcm(&output)[lead * 2..].to_vec());
    let from = 22050 * 2;
    // One second (the edit list's length); ffmpeg decodes the last AAC frame whole, as it does
    // for the input, so up to 1023 samples more come out.
    assert!((44100 * 2..(44100 + 1024) * 2).contains(&clip.len()), "{} bytes of mono 16-bit PCM", clip.len());
    // Same samples at the same instants: a one-sample shift of the 440 Hz tone would differ by
    // hundreds; AAC decoding from a fresh state (the pre-roll frame) differs by 1 LSB at most.
    let samples = |b: &[u8]| b.chunks_exact(2).map(|s| i16::from_le_bytes([s[0], s[1]])).collect::<Vec<_>>();
    let (whole, clip) = (samples(&whole[from..]), samples(&clip));
    let worst = whole.iter().zip(&clip).map(|(a, b)| (a - b).abs()).max().unwrap();
    assert!(worst <= 2, "the clip's audio is not the input's from 0.5 s (off by up to {worst})");

    // Writing over the file the audio comes from is refused before anything is truncated.
    let size = std::fs::metadata(&input).unwrap().len();
    let audio = AudioSource::from_mp4(&input).unwrap();
    let err = VideoWriter::create(&input, W, H, Fps::integer(30).unwrap(), audio).unwrap_err();
    assert!(matches!(err, RecordError::Create { .. }) && err.to_string().contains("in.mp4"), "{err}");
    assert_eq!(std::fs::metadata(&input).unwrap().len(), size);
    cleanup(&dir);
}

#[test]
fn audio_the_copy_cannot_handle_is_dropped_not_an_error() {
    let _ = env_logger::builder().is_test(true).filter_level(log::LevelFilter::Warn).try_init();
    let dir = temp_dir("other-audio");
    // AC-3 has its own sample entry ('ac-3'); MP3 is 'mp4a' with another object type.
    for (codec, name) in [("ac3", "ac3.mp4"), ("libmp3lame", "mp3.mp4")] {
        let path = dir.join(name);
        let out = Command::new("ffmpeg")
            .args([
                "-nostdin",
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440",
                "-t",
                "1",
                "-c:a",
                codec,
            ])
            .arg(&path)
            .output()
            .unwrap_or_else(|_| tool_missing("ffmpeg"));
        assert!(out.status.success(), "ffmpeg {codec}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(AudioSource::from_mp4(&path).unwrap().is_none(), "{codec} is not copied");
    }
    cleanup(&dir);
}

#[test]
fn inputs_without_audio_give_none() {
    assert!(AudioSource::from_mp4(project_file("tests/data/pan_baseline.mp4")).unwrap().is_none());
    // Not an MP4 at all: no audio to copy (a warning), not an error.
    assert!(AudioSource::from_mp4(project_file("tests/data/astronaut_320x240.mjpeg")).unwrap().is_none());
    let missing = project_file("tests/data/no_such_file.mp4");
    let err = AudioSource::from_mp4(&missing).unwrap_err();
    assert!(matches!(err, RecordError::Audio { .. }), "{err:?}");
    assert!(err.to_string().contains("no_such_file.mp4"), "{err}");
}

#[test]
fn a_missing_folder_is_a_create_error_naming_the_path() {
    let path = std::env::temp_dir().join("webtoonme-no-such-folder/sub/clip.mp4");
    let err = VideoWriter::create(&path, W, H, Fps::integer(30).unwrap(), None).unwrap_err();
    assert!(matches!(&err, RecordError::Create { io, .. } if io.kind() == std::io::ErrorKind::NotFound), "{err:?}");
    let shown = err.to_string();
    assert!(shown.contains("webtoonme-no-such-folder/sub/clip.mp4") && shown.contains("cannot create"), "{shown}");
}

#[test]
fn pts_going_backwards_is_rejected_and_the_writer_goes_on() {
    let dir = temp_dir("pts");
    let path = dir.join("pts.mp4");
    let backdrop = backdrop();
    let mut writer = VideoWriter::create(&path, W, H, Fps::integer(30).unwrap(), None).unwrap();
    let frame = |n| clip_frame(&backdrop, n, W, H);
    writer.push(&frame(0), Duration::from_millis(0)).unwrap();
    writer.push(&frame(1), Duration::from_millis(100)).unwrap();
    for bad in [Duration::from_millis(50), Duration::from_millis(100)] {
        let err = writer.push(&frame(2), bad).unwrap_err();
        assert!(matches!(err, RecordError::Pts { index: 2, .. }), "{err:?}");
        let shown = err.to_string();
        assert!(shown.contains("pts.mp4") && shown.contains("does not come after"), "{shown}");
    }
    // Wrong buffer size: rejected, named.
    let err = writer.push(&[0u8; 10], Duration::from_millis(200)).unwrap_err();
    assert!(matches!(err, RecordError::FrameSize { got: 10, .. }), "{err:?}");
    assert!(err.to_string().contains("pts.mp4"));
    writer.push(&frame(2), Duration::from_millis(133)).unwrap();
    let stats = writer.finish().unwrap();
    assert_eq!(stats.frames, 3);
    assert_eq!(read_back(&path).1.len(), 3);
    cleanup(&dir);
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_a_write_error_naming_the_path() {
    // /dev/full accepts the open and fails every write with ENOSPC.
    let path = Path::new("/dev/full");
    let backdrop = backdrop();
    let mut writer = VideoWriter::create(path, W, H, Fps::integer(30).unwrap(), None).unwrap();
    let mut result = Ok(());
    for n in 0..FRAMES {
        result = writer.push(&clip_frame(&backdrop, n, W, H), Duration::from_secs(1) * n / 30);
        if result.is_err() {
            break;
        }
    }
    // Small frames may all fit the write buffer: then finish meets the full disk.
    let err = match result {
        Err(e) => e,
        Ok(()) => writer.finish().unwrap_err(),
    };
    assert!(matches!(&err, RecordError::Write { io, .. } if io.kind() == std::io::ErrorKind::StorageFull), "{err:?}");
    assert!(err.to_string().starts_with("cannot write /dev/full: "), "{err}");
    assert!(err.to_string().contains("disk full"), "{err}");
}

#[test]
fn unusable_sizes_and_empty_recordings_are_errors() {
    let dir = temp_dir("sizes");
    let path = dir.join("zero.mp4");
    for (w, h) in [(0, 240), (320, 0), (8, 8), (4000, 2000)] {
        let err = VideoWriter::create(&path, w, h, Fps::integer(30).unwrap(), None).unwrap_err();
        assert!(matches!(err, RecordError::Size { .. }), "{err:?}");
        assert!(err.to_string().contains("zero.mp4"), "{err}");
    }
    assert!(!path.exists(), "no file for a rejected size");

    let empty = dir.join("empty.mp4");
    let writer = VideoWriter::create(&empty, W, H, Fps::integer(30).unwrap(), None).unwrap();
    let err = writer.finish().unwrap_err();
    assert!(matches!(err, RecordError::NoFrames { .. }), "{err:?}");
    assert!(!empty.exists(), "an empty recording leaves no file");
    cleanup(&dir);
}

/// Release timing of encode + mux per 1280x720 frame:
/// `cargo test --release --test record -- --ignored --nocapture`.
#[test]
#[ignore = "timing; run in release"]
fn encode_720p_timing() {
    let dir = temp_dir("timing");
    let path = dir.join("720p.mp4");
    let photo = image::open(project_file("assets/demo/astronaut.png")).unwrap().to_rgb8();
    let big = imageops::resize(&photo, 1480, 900, imageops::FilterType::Triangle);
    let frames: Vec<Vec<u8>> = (0..60).map(|n| clip_frame(&big, n, 1280, 720)).collect();
    let mut writer = VideoWriter::create(&path, 1280, 720, Fps::integer(30).unwrap(), None).unwrap();
    let count = 300u32;
    let mut times = Vec::new();
    let start = Instant::now();
    for n in 0..count {
        let t = Instant::now();
        writer.push(&frames[(n % 60) as usize], Duration::from_secs(1) * n / 30).unwrap();
        times.push(t.elapsed());
    }
    let stats = writer.finish().unwrap();
    let total = start.elapsed();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    eprintln!(
        "1280x720 encode+mux: mean {:.2} ms/frame, median {:.2}, p95 {:.2}, max {:.2}; {} bytes for {} frames ({:.2} Mbit/s at 30 fps, target {:.1})",
        ms(total) / f64::from(count),
        ms(times[times.len() / 2]),
        ms(times[times.len() * 95 / 100]),
        ms(times[times.len() - 1]),
        stats.bytes,
        stats.frames,
        stats.bytes as f64 * 8.0 / stats.duration.as_secs_f64() / 1e6,
        f64::from(stats.bitrate) / 1e6,
    );
    cleanup(&dir);
}

#[test]
fn writer_config_sets_the_bitrate() {
    let dir = temp_dir("bitrate");
    let backdrop = backdrop();
    let mut sizes = Vec::new();
    for (name, bitrate) in [("low.mp4", 300_000), ("high.mp4", 3_000_000)] {
        let path = dir.join(name);
        let config = WriterConfig {
            bitrate: Some(bitrate),
            keyframe_interval: Duration::from_secs(1),
            ..WriterConfig::default()
        };
        let mut writer = VideoWriter::create_with(&path, W, H, Fps::integer(30).unwrap(), None, &config).unwrap();
        for n in 0..30 {
            writer.push(&clip_frame(&backdrop, n, W, H), Duration::from_secs(1) * n / 30).unwrap();
        }
        let stats = writer.finish().unwrap();
        assert_eq!(stats.bitrate, bitrate);
        sizes.push(stats.bytes);
    }
    assert!(sizes[1] > sizes[0] * 2, "bitrate has an effect: {sizes:?}");
    cleanup(&dir);
}

/// ffprobe's error output for a file (empty when it reads it without complaint).
fn ffprobe_complaints(path: &Path) -> String {
    let out = Command::new("ffprobe").args(["-v", "error", "-count_frames", "-show_streams"]).arg(path).output();
    let out = out.unwrap_or_else(|_| tool_missing("ffprobe"));
    String::from_utf8_lossy(&out.stderr).trim().to_string()
}

#[test]
fn a_writer_never_finished_leaves_a_playable_file() {
    // As after SIGKILL or a power cut: the writer is dropped without finish.
    let dir = temp_dir("unfinished");
    let path = dir.join("cut.mp4");
    let backdrop = backdrop();
    let config = WriterConfig { keyframe_interval: Duration::from_secs(2), ..WriterConfig::default() };
    let mut writer = VideoWriter::create_with(&path, W, H, Fps::integer(30).unwrap(), None, &config).unwrap();
    for n in 0..100 {
        writer.push(&clip_frame(&backdrop, n % 50, W, H), Duration::from_secs(1) * n / 30).unwrap();
    }
    std::mem::forget(writer); // no Drop, no finish: exactly what is on disk now
    assert_eq!(ffprobe_complaints(&path), "");
    let probe = ffprobe(&path);
    let video = stream(&probe, "video");
    // Fragments close every second: frames 0..90 are on disk, the last second is not yet.
    let frames: u64 = video["nb_read_frames"].as_str().unwrap().parse().unwrap();
    assert!((60..100).contains(&frames), "{frames} frames kept");
    let times = packet_times(&path);
    assert!(times.windows(2).all(|w| w[1] > w[0]), "times increase");
    assert!(
        times
            .iter()
            .enumerate()
            .all(|(i, t)| t.abs_diff(Duration::from_secs(1) * i as u32 / 30) < Duration::from_micros(12))
    );
    cleanup(&dir);
}

#[test]
fn a_disk_filling_up_stops_the_recording_and_keeps_what_was_written() {
    let dir = temp_dir("limit");
    let path = dir.join("full.mp4");
    let backdrop = backdrop();
    let config = WriterConfig { max_bytes: Some(150_000), ..WriterConfig::default() };
    let mut writer = VideoWriter::create_with(&path, W, H, Fps::integer(30).unwrap(), None, &config).unwrap();
    let mut failed = None;
    for n in 0..600 {
        if let Err(e) = writer.push(&clip_frame(&backdrop, n % 50, W, H), Duration::from_secs(1) * n / 30) {
            failed = Some((n, e));
            break;
        }
    }
    let (at, err) = failed.expect("the write limit is reached");
    assert!(matches!(&err, RecordError::Write { io, .. } if io.kind() == std::io::ErrorKind::StorageFull), "{err:?}");
    let shown = err.to_string();
    assert!(shown.contains("full.mp4") && shown.contains("disk full"), "{shown}");
    // Later calls fail too, naming the file; finish does not remove what is there.
    assert!(writer.push(&clip_frame(&backdrop, 0, W, H), Duration::from_secs(100)).is_err());
    assert!(matches!(writer.finish(), Err(RecordError::Write { .. })));
    // The file was cut back to its last complete fragment: it plays, with every frame up to it.
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size <= 150_000, "{size} bytes");
    assert_eq!(ffprobe_complaints(&path), "");
    let probe = ffprobe(&path);
    let frames: u64 = stream(&probe, "video")["nb_read_frames"].as_str().unwrap().parse().unwrap();
    assert!(frames >= 30 && frames < u64::from(at), "{frames} frames kept of {at} pushed");
    let (_, decoded) = read_back(&path);
    assert_eq!(decoded.len() as u64, frames);
    cleanup(&dir);
}

/// A live clip ([`ClipRecorder`], what `record` and the window's button use): frames at the
/// capture times they came with, a frame that is not newer than the last is not kept, and the
/// clip ends at its maximum length with the frames before it.
#[test]
fn a_live_clip_keeps_capture_times_and_stops_at_its_length() {
    use std::time::Instant;
    use webtoonme::record::clip::{ClipRecorder, Offer};
    let dir = temp_dir("clip");
    let path = dir.join("clip.mp4");
    let (w, h) = (320, 240);
    let backdrop = backdrop();
    let mut clip = ClipRecorder::start(&path, w, h, Fps::integer(30).unwrap(), Duration::from_secs(1)).unwrap();
    let t0 = Instant::now();
    let mut offers = Vec::new();
    // 40 ms apart with one repeated capture time: 25 frames a second for 1.4 s
    for n in 0..36u32 {
        let at = t0 + Duration::from_millis(40 * u64::from(n.saturating_sub(u32::from(n > 10))));
        let offer = clip.offer(at, clip_frame(&backdrop, n, w, h));
        offers.push(offer);
        if offer == Offer::Full {
            break;
        }
        // a slow sink: it waits (bounded) for the encoder to take each frame, so nothing is
        // dropped for being behind however busy the machine is (drops: tests/record_cli.rs)
        let waiting = Instant::now();
        while clip.queued() > 0 && waiting.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    assert_eq!(offers[11], Offer::Dropped, "frame 11 repeats frame 10's capture time");
    assert_eq!(offers.last(), Some(&Offer::Full), "{offers:?}");
    let queued = offers.iter().filter(|o| **o == Offer::Queued).count();
    assert_eq!(queued, 25, "one second at 25 frames a second: {offers:?}");
    assert!(clip.length() <= Duration::from_secs(1));
    let summary = clip.finish().unwrap();
    assert_eq!(summary.stats.frames, 25);
    assert_eq!(summary.dropped, 0);
    let probe = ffprobe(&path);
    let video = stream(&probe, "video");
    assert_eq!(num(&video["nb_read_frames"]) as u64, 25);
    // 25 frames 40 ms apart, the last lasting one nominal frame (1/30 s)
    let duration = num(&probe["format"]["duration"]);
    assert!((duration - (24.0 * 0.04 + 1.0 / 30.0)).abs() < 0.02, "duration {duration}");
    let times = packet_times(&path);
    assert!(times.windows(2).all(|p| p[1] > p[0]), "timestamps increase: {times:?}");
    assert!(times.windows(2).all(|p| (p[1] - p[0]).as_secs_f64() > 0.035), "each 40 ms after the last");
    cleanup(&dir);
}
