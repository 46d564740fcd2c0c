//! `webtoonme record` end to end: a clip of the demo (ffprobe-clean, duration and frame count),
//! a recording killed with SIGKILL (the file still plays), and names that never overwrite.
//! Needs the models and character packs (scripts/setup.sh) and `ffprobe` on PATH.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("webtoonme-record-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Recordings run the whole live pipeline in real time: one at a time, so the tests do not
/// starve each other of the machine's cores.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn record(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_webtoonme")).arg("record").args(args).output().unwrap()
}

/// ffprobe's JSON for streams and format; fails on any complaint.
fn ffprobe(path: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json"])
        .arg(path)
        .output()
        .expect("ffprobe (setup installs ffmpeg)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.trim().is_empty(), "ffprobe {}: {stderr}", path.display());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The duration ffprobe reads from a file that may still be written; None while it cannot.
fn duration_of(path: &Path) -> Option<f64> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn packet_times(path: &Path) -> Vec<f64> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v", "-show_entries", "packet=pts_time", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.trim().trim_end_matches(',').parse().ok()).collect()
}

fn num(v: &serde_json::Value) -> f64 {
    v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_f64()).unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn two_seconds_of_the_demo() {
    let _serial = serial();
    let dir = tempdir("demo");
    let path = dir.join("clip.mp4");
    let out = record(&["--source", "demo", "-o", path.to_str().unwrap(), "--seconds", "2"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("dropped frames: ") && stdout.contains(&format!("saved: {}", path.display())), "{stdout}");
    let probe = ffprobe(&path);
    let video = &probe["streams"][0];
    assert_eq!(video["codec_name"], "h264");
    assert_eq!(video["pix_fmt"], "yuv420p");
    assert_eq!((video["width"].as_u64(), video["height"].as_u64()), (Some(1280), Some(720)));
    // Variable rate (real capture times): ffprobe's average is at most the source's 30 fps.
    let avg = video["avg_frame_rate"].as_str().unwrap();
    let (n, d) = avg.split_once('/').unwrap();
    let avg = n.parse::<f64>().unwrap() / d.parse::<f64>().unwrap();
    assert!(avg > 0.5 && avg <= 30.5, "avg_frame_rate {avg}");
    let frames: usize = video["nb_read_frames"].as_str().unwrap().parse().unwrap();
    // Real time: the capture times are kept; the count is what the pipeline delivered in 2 s,
    // at most the source's 30 fps.
    let times = packet_times(&path);
    assert_eq!(times.len(), frames);
    assert!((2..=61).contains(&frames), "{frames} frames");
    assert!(times.windows(2).all(|w| w[1] > w[0]), "times increase: {times:?}");
    assert!(times[0].abs() < 1e-6 && *times.last().unwrap() < 2.0, "{times:?}");
    let gap = times.windows(2).map(|w| w[1] - w[0]).fold(1.0 / 30.0, f64::max);
    let duration = num(&video["duration"]);
    assert!((duration - 2.0).abs() <= gap + 1e-3, "duration {duration} s, largest gap {gap} s");
    // Consistent with the rate: no more frames than 30 fps allows over the duration.
    assert!(frames as f64 <= duration * 30.0 + 1.0, "{frames} frames in {duration} s");
    let comment = probe["format"]["tags"]["comment"].as_str().unwrap_or_default();
    assert!(comment.starts_with("dropped_frames="), "{}", probe["format"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_recording_killed_with_sigkill_still_plays() {
    let _serial = serial();
    let dir = tempdir("kill");
    let path = dir.join("killed.mp4");
    let mut child = Command::new(env!("CARGO_BIN_EXE_webtoonme"))
        .args(["record", "--source", "demo", "-o", path.to_str().unwrap(), "--seconds", "20"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Models load first, and a busy machine makes frames slowly: wait (bounded) until the file
    // being written already plays 2 s, then kill. What played before the kill still plays.
    let start = Instant::now();
    let mut playable = 0.0;
    while start.elapsed() < Duration::from_secs(240) {
        if let Some(d) = duration_of(&path) {
            playable = d;
            if d >= 2.0 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(playable >= 2.0, "the recording never reached 2 s ({playable} s)");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let probe = ffprobe(&path);
    let duration = num(&probe["format"]["duration"]);
    assert!(duration >= playable - 0.05, "{duration} s kept, {playable} s played before the kill");
    let frames: u64 = probe["streams"][0]["nb_read_frames"].as_str().unwrap().parse().unwrap();
    assert!(frames >= 2, "{frames} frames");
    eprintln!("killed at {playable:.2} s playable: {duration:.2} s, {frames} frames kept");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_existing_file_is_never_overwritten() {
    let _serial = serial();
    let dir = tempdir("names");
    let path = dir.join("take.mp4");
    std::fs::write(&path, b"keep me").unwrap();
    std::fs::write(dir.join("take (2).mp4"), b"keep me too").unwrap();
    let out = record(&["--source", "demo", "-o", path.to_str().unwrap(), "--seconds", "0.5"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let third = dir.join("take (3).mp4");
    assert!(stdout.contains(&format!("saved: {}", third.display())), "{stdout}");
    assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
    assert_eq!(std::fs::read(dir.join("take (2).mp4")).unwrap(), b"keep me too");
    ffprobe(&third);
    assert!(webtoonme::commands::media::unique_path(&dir.join("new.mp4")).ends_with("new.mp4"));
    let _ = std::fs::remove_dir_all(&dir);
}
