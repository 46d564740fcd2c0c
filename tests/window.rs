//! The booth window for real, under Xvfb (lavapipe renders) on the demo source:
//! - `--exit-after-frames 30 --screenshot PATH`: the screenshot exists, has the window's size and
//!   shows the feed;
//! - `--auto-switch-frames`: 20 character switches while the pipeline runs, each seen on screen
//!   (the frame drawn shows the new character) within a few frames, counted in frames;
//! - `--simulate-source-loss`: the source fails, the window says so, reopens it and goes on; a
//!   corrupt config file is named on stderr and the defaults are used;
//! - damaged character packs beside the built-in ones: the window starts, names each in the
//!   terminal and on screen, and a pack that breaks while running stops alone;
//! - take it home: a photo, a strip and a boomerang taken with sharing on 127.0.0.1; the QR code
//!   of each is read from a screenshot of the window (zbarimg) and fetched (curl) from the
//!   window's own server while it runs, and from `webtoonme serve` on the same folder and port
//!   after it closed: the bytes equal the kept files; the strip's print (to a printer that is not
//!   there) fails with the reason on screen and the strip stays.
//!
//! Each run gets its own config file (`WEBTOONME_CONFIG`). The runs take turns (each is a real
//! pipeline and a window on a small machine). Skipped, with the reason printed, only when
//! `xvfb-run` (or, for the links, `zbarimg` or `curl`) is not installed (`scripts/setup.sh`
//! installs them).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn xvfb_run() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("xvfb-run")).find(|p| p.is_file())
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("webtoonme-window-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `webtoonme live --source demo ARGS` in a virtual display; None when there is no xvfb-run.
fn live(args: &[&str], config: &Path) -> Option<(Output, String, String)> {
    live_with(args, config, &[])
}

/// [`live`] with more environment variables.
fn live_with(args: &[&str], config: &Path, envs: &[(&str, &Path)]) -> Option<(Output, String, String)> {
    let Some(xvfb) = xvfb_run() else {
        eprintln!("skipped: xvfb-run is not installed (scripts/setup.sh installs the xvfb package)");
        return None;
    };
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = Command::new(xvfb)
        .args(["-a", "-s", "-screen 0 1280x800x24"])
        .arg(env!("CARGO_BIN_EXE_webtoonme"))
        .args(["live", "--source", "demo"])
        .args(args)
        .env("WEBTOONME_CONFIG", config)
        .envs(envs.iter().copied())
        .env("RUST_BACKTRACE", "1")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("run xvfb-run");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "live failed\nstdout: {stdout}\nstderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    Some((out, stdout, stderr))
}

#[test]
fn window_screenshot_shows_the_booth() {
    let dir = temp_dir("shot");
    let shot = dir.join("tmp.png");
    let shot_arg = shot.to_str().unwrap();
    let Some((_, stdout, _)) = live(&["--exit-after-frames", "30", "--screenshot", shot_arg], &dir.join("config.toml"))
    else {
        return;
    };
    assert!(stdout.contains("screenshot:"), "no screenshot line: {stdout}");

    let img = image::open(&shot).unwrap_or_else(|e| panic!("{}: {e}", shot.display())).into_rgb8();
    let [w, h] = webtoonme::app::WINDOW_SIZE;
    assert_eq!((img.width(), img.height()), (w as u32, h as u32), "screenshot is not the window's size");

    // not blank: the luminance varies across the picture
    let lum: Vec<f64> = img.pixels().map(|p| 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64).collect();
    let mean = lum.iter().sum::<f64>() / lum.len() as f64;
    let var = lum.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / lum.len() as f64;
    assert!(var > 100.0, "screenshot looks blank (luminance variance {var:.1})");

    // the feed is there: most of the middle of the window is picture, not the dark background
    let (cw, ch) = (w as u32, h as u32);
    let middle: Vec<&image::Rgb<u8>> = (ch / 5..ch * 3 / 4)
        .flat_map(|y| (cw / 5..cw * 4 / 5).map(move |x| (x, y)))
        .map(|(x, y)| img.get_pixel(x, y))
        .collect();
    let picture = middle.iter().filter(|p| p.0.iter().map(|&c| c as u32).sum::<u32>() > 90).count();
    assert!(picture * 10 > middle.len() * 8, "the feed does not fill the view: {picture} of {} pixels", middle.len());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn twenty_character_switches_each_show_within_a_few_frames() {
    const SWITCHES: usize = 20;
    /// Frames between switches (after the last one showed).
    const EVERY: usize = 4;
    /// Most frames a switch may take: the outputs already stylized or being stylized when it was
    /// asked for (the one in the stylizer and the output queue of 2) are shown first; seen: 2 to 5.
    const FEW: u64 = 8;
    let dir = temp_dir("switch");
    let frames = (SWITCHES * (EVERY + FEW as usize) + 20).to_string();
    let Some((_, stdout, _)) =
        live(&["--auto-switch-frames", &EVERY.to_string(), "--exit-after-frames", &frames], &dir.join("config.toml"))
    else {
        return;
    };
    let waits: Vec<u64> = stdout
        .lines()
        .filter(|l| l.starts_with("switch ") && l.contains("on screen after"))
        .map(|l| {
            assert!(!l.contains("NOT"), "a switch did not show: {l}\n{stdout}");
            l.split("after ").nth(1).and_then(|r| r.split(' ').next()).and_then(|n| n.parse().ok()).unwrap()
        })
        .collect();
    assert!(waits.len() >= SWITCHES, "only {} switches seen:\n{stdout}", waits.len());
    assert!(waits.iter().all(|&w| w <= FEW), "frames until each switch showed: {waits:?}");
    assert!(stdout.contains(&format!("{} on screen, 0 missed", waits.len())), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_lost_source_is_shown_retried_and_the_window_goes_on() {
    let dir = temp_dir("lost");
    let config = dir.join("config.toml");
    std::fs::write(&config, "mirror = maybe\n").unwrap();
    let Some((_, stdout, stderr)) = live(&["--simulate-source-loss", "12", "--exit-after-frames", "30"], &config)
    else {
        return;
    };
    assert!(
        stderr.contains(&config.display().to_string()) && stderr.contains("default settings"),
        "the corrupt config is named: {stderr}"
    );
    let lost = stdout.find("live: source lost:").unwrap_or_else(|| panic!("no loss reported:\n{stdout}"));
    let back = stdout.find("live: source back after").unwrap_or_else(|| panic!("no recovery:\n{stdout}"));
    assert!(lost < back, "{stdout}");
    assert!(stdout.contains("simulated: the camera was unplugged"), "{stdout}");
    // the pipeline went on after the loss: the 30 frames asked for arrived
    let processed: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("live: ")?.split(" frames processed").next()?.parse().ok())
        .unwrap_or_else(|| panic!("no summary line:\n{stdout}"));
    assert!(processed >= 30, "{stdout}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), "mirror = maybe\n", "an unchanged config is not rewritten");
    let _ = std::fs::remove_dir_all(&dir);
}

/// ffprobe's view of a file, or None when ffprobe is not installed (setup installs ffmpeg).
fn ffprobe(path: &Path) -> Option<serde_json::Value> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_format", "-show_streams", "-count_frames", "-of", "json"])
        .arg(path)
        .output()
        .ok()?;
    assert!(out.status.success(), "ffprobe rejects {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn record_photo_and_four_cut_from_the_window_land_in_the_output_folder() {
    let dir = temp_dir("keep");
    let folder = dir.join("out");
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!("output_folder = {:?}\n[recording]\ncountdown_s = 1\n", folder.display().to_string()),
    )
    .unwrap();
    // R at frame 20 (a one-second countdown, then the clip), R again at 100: a clip of about
    // three seconds; a photo at 110; a four-cut strip from 120 (four shots a second apart)
    let presses = "20:R,100:R,110:P,120:T";
    let Some((_, stdout, _)) = live(&["--press", presses, "--exit-after-frames", "260"], &config) else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}\n{stdout}", folder.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let named = |suffix: &str| -> Vec<&PathBuf> {
        files.iter().filter(|p| p.file_name().unwrap().to_string_lossy().ends_with(suffix)).collect()
    };
    let (clips, photos, strips) = (named(".mp4"), named("_photo.png"), named("_strip.png"));
    assert_eq!((clips.len(), photos.len(), strips.len()), (1, 1, 1), "{files:?}\n{stdout}");
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("webtoonme_20") && name.contains("_haru"), "date, time and character in {name}");
    }
    assert!(
        stdout.contains("saved clip") && stdout.contains("saved photo") && stdout.contains("saved four-cut strip"),
        "{stdout}"
    );

    let photo = image::open(photos[0]).unwrap();
    assert_eq!((photo.width(), photo.height()), (1280, 720), "the photo is the full frame");
    let strip = image::open(strips[0]).unwrap();
    let style = webtoonme::record::strip::StripStyle::default();
    assert_eq!((strip.width(), strip.height()), style.size(), "the strip in the shipped look");

    if let Some(probe) = ffprobe(clips[0]) {
        let video = &probe["streams"][0];
        assert_eq!(video["codec_name"], "h264");
        assert_eq!(video["pix_fmt"], "yuv420p");
        assert_eq!((video["width"].as_u64(), video["height"].as_u64()), (Some(1280), Some(720)));
        let duration: f64 = probe["format"]["duration"].as_str().unwrap().parse().unwrap();
        let frames: u64 = video["nb_read_frames"].as_str().unwrap().parse().unwrap();
        // 80 pipeline frames between the presses (a busy window may press a few frames late),
        // less the one-second countdown: at most 30 frames a second from the demo, so more than
        // a second of clip however fast the machine is today; the window records the frames it
        // composes (one per repaint), so how many depends on the machine: a clip, not a
        // picture, and never more than the source made
        let comment = probe["format"]["tags"]["comment"].as_str().unwrap_or_default();
        assert!(comment.starts_with("dropped_frames="), "the drop count is in the file: {comment:?}");
        assert!(duration >= 1.0, "clip of {duration:.2} s");
        assert!(frames >= 2, "a clip, not a picture: {frames} frames");
        assert!(frames as f64 <= duration * 30.0 + 2.0, "{frames} frames in {duration:.2} s");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn damaged_packs_never_stop_the_window() {
    let dir = temp_dir("damaged");
    let packs = dir.join("packs");
    common::write_damaged_packs(&packs);
    let shot = dir.join("shot.png");
    let Some((_, stdout, stderr)) = live_with(
        &["--character", common::BREAKS_LATER, "--exit-after-frames", "40", "--screenshot", shot.to_str().unwrap()],
        &dir.join("config.toml"),
        &[("WEBTOONME_CHARACTERS", packs.as_path())],
    ) else {
        return;
    };
    for d in common::DAMAGES {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains("skipped character pack") && l.contains(&format!("/{}/{}", d.id, d.file))),
            "{} not named:\n{stderr}",
            d.id
        );
    }
    let stopped = format!("live: character '{}' stopped: its background model failed", common::BREAKS_LATER);
    assert_eq!(stdout.matches(&stopped).count(), 1, "the pack that broke is said once:\n{stdout}");
    assert!(stdout.contains("live: now wearing Mina"), "the carousel moved on: {stdout}");
    let processed: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("live: ")?.split(" frames processed").next()?.parse().ok())
        .unwrap_or_else(|| panic!("no summary line:\n{stdout}"));
    assert!(processed >= 40, "the window went on: {stdout}");
    assert!(shot.is_file(), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A port free now on 127.0.0.1.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Whether `program` runs here (else the reason is printed).
fn installed(program: &str) -> bool {
    let ok = Command::new(program).arg("--version").output().is_ok();
    if !ok {
        eprintln!("skipped: {program} is not installed (scripts/setup.sh installs it)");
    }
    ok
}

/// The link in the QR code of a screenshot (zbarimg).
fn qr_link(shot: &Path) -> String {
    let out = Command::new("zbarimg").args(["-q", "--raw"]).arg(shot).output().expect("run zbarimg");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(text.starts_with("http://127.0.0.1:"), "{}: no link in the QR code: {text:?}", shot.display());
    text
}

/// curl's status and body for `url`.
fn fetch(url: &str) -> (u16, Vec<u8>) {
    let out =
        Command::new("curl").args(["-s", "--max-time", "20", "-w", "\n%{http_code}", url]).output().expect("run curl");
    let mut body = out.stdout;
    let at = body.iter().rposition(|&b| b == b'\n').unwrap_or(0);
    let code = String::from_utf8_lossy(&body[at + 1..]).parse().unwrap_or(0);
    body.truncate(at);
    (code, body)
}

#[test]
fn photo_strip_and_boomerang_links_read_from_the_screen_give_the_kept_files() {
    let Some(xvfb) = xvfb_run() else {
        eprintln!("skipped: xvfb-run is not installed (scripts/setup.sh installs the xvfb package)");
        return;
    };
    if !installed("zbarimg") || !installed("curl") {
        return;
    }
    let dir = temp_dir("share");
    let (folder, shots) = (dir.join("out"), dir.join("shots"));
    std::fs::create_dir_all(&shots).unwrap();
    let config = dir.join("config.toml");
    let port = free_port();
    // sharing on this machine only; strips print by themselves, on a printer that is not there
    std::fs::write(
        &config,
        format!(
            "output_folder = {:?}\n[recording]\ncountdown_s = 1\n[sharing]\nenabled = true\ninterface = \"127.0.0.1\"\n\
             port = {port}\n[printing]\nprinter = \"webtoonme-no-such-printer\"\nauto_print = true\n",
            folder.display().to_string()
        ),
    )
    .unwrap();
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // a photo at frame 30, a strip from 50 (four shots a second apart), a boomerang at 170
    let mut child = Command::new(xvfb)
        .args(["-a", "-s", "-screen 0 1280x800x24"])
        .arg(env!("CARGO_BIN_EXE_webtoonme"))
        .args(["live", "--source", "demo", "--press", "30:P,50:T,170:B", "--exit-after-frames", "330"])
        .arg("--screenshot-links")
        .arg(&shots)
        .env("WEBTOONME_CONFIG", &config)
        .env("RUST_BACKTRACE", "1")
        .env_remove("WAYLAND_DISPLAY")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run xvfb-run");
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = crossbeam_channel::bounded::<String>(1024);
    let reader = std::thread::Builder::new()
        .name("live-stdout".into())
        .spawn(move || {
            for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
                let _ = tx.send(line);
            }
        })
        .unwrap();
    // while the window runs: each link as it shows, read from the screenshot, fetched from the
    // window's own server
    let mut log = String::new();
    let mut links: Vec<(String, String)> = Vec::new(); // (file name, url) in the order kept
    let mut from_screen: Vec<String> = Vec::new();
    let mut fetched_live = 0;
    for line in lines.iter() {
        log.push_str(&line);
        log.push('\n');
        if let Some(rest) = line.strip_prefix("live: link for ") {
            let (name, url) = rest.split_once(": ").unwrap();
            links.push((name.to_string(), url.to_string()));
        }
        if let Some(rest) = line.strip_prefix("live: screenshot of link ") {
            let path = PathBuf::from(rest.split_once(": ").unwrap().1);
            let url = qr_link(&path);
            let (name, printed) = links.get(from_screen.len()).cloned().unwrap_or_else(|| panic!("{log}"));
            assert_eq!(url, printed, "the QR code on screen is the link of {name}");
            let (code, bytes) = fetch(&format!("{url}/d/0"));
            if code == 200 {
                assert_eq!(bytes, std::fs::read(folder.join(&name)).unwrap(), "{name} over the window's server");
                fetched_live += 1;
            }
            from_screen.push(url);
        }
    }
    let _ = reader.join();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr);
    assert!(status.success(), "live failed\nstdout: {log}\nstderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    let kinds: Vec<&str> = links.iter().map(|(n, _)| n.rsplit('_').next().unwrap()).collect();
    assert_eq!(kinds, ["photo.png", "strip.png", "boomerang.gif"], "{log}");
    assert_eq!(from_screen.len(), 3, "a screenshot with a QR code for each: {log}");
    assert!(fetched_live >= 1, "the window's own server answered none of the links: {log}");
    // the strip was kept though its print failed, and the screen said why
    assert!(log.contains("printing ") && log.contains("_strip.png failed: "), "{log}");
    // the boomerang: a GIF and an MP4, small enough for a phone
    let gif = folder.join(&links[2].0);
    let gif_bytes = std::fs::metadata(&gif).unwrap().len();
    println!("boomerang GIF: {gif_bytes} bytes; links fetched from the window: {fetched_live} of 3");
    assert!(gif_bytes < 3_000_000, "{gif_bytes} bytes");
    assert!(gif.with_extension("mp4").is_file());

    // the window is closed: `webtoonme serve` on the same folder and port answers every link
    // (they survived the restart), with the kept files' bytes
    let mut serve = Command::new(env!("CARGO_BIN_EXE_webtoonme"))
        .args(["serve", "--folder", folder.to_str().unwrap(), "--listen", &format!("127.0.0.1:{port}")])
        .env("WEBTOONME_CONFIG", &config)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(serve.stdout.take().unwrap()), &mut first).unwrap();
    for (name, url) in &links {
        let (code, bytes) = fetch(&format!("{url}/d/0"));
        assert_eq!(code, 200, "{url}");
        assert_eq!(bytes, std::fs::read(folder.join(name)).unwrap(), "{name} over `webtoonme serve`");
        let (code, page) = fetch(url);
        assert_eq!(code, 200);
        assert!(String::from_utf8_lossy(&page).contains("webtoonme"), "{url}");
    }
    let (code, mp4) = fetch(&format!("{}/d/1", links[2].1));
    assert_eq!((code, mp4), (200, std::fs::read(gif.with_extension("mp4")).unwrap()), "the boomerang's MP4");
    let _ = serve.kill();
    let _ = serve.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The character panel live (issue 13): `--tune` moves the panel's knobs at frame 60 as its
/// sliders and colour buttons do (every palette colour to green, saturation to 2); a photo before
/// and one after show the picture change: the wall (always in view, whoever walks by) turns
/// green. "Save as new character" at frame 170 writes a pack into the user characters folder,
/// the carousel offers it at once and `webtoonme characters` lists it, its tuned values marked
/// as such; the built-in pack is unchanged.
#[test]
fn tuning_a_character_live_changes_the_picture_and_saves_a_new_character() {
    let dir = temp_dir("tune");
    let folder = dir.join("out");
    let chars = dir.join("characters");
    let config = dir.join("config.toml");
    std::fs::write(&config, format!("output_folder = {:?}\n", folder.display().to_string())).unwrap();
    let shot = dir.join("shot.png");
    let haru_before = std::fs::read_to_string(common::project_file("assets/characters/haru/character.toml")).unwrap();
    let mut tune: Vec<String> = (0..14).map(|k| format!("60:palette{k}=#20c020")).collect();
    tune.push("60:saturation=2".into());
    let tune = tune.join(",");
    let args = [
        "--show",
        "character",
        "--press",
        "40:P,150:P",
        "--tune",
        &tune,
        "--save-character",
        "170:Green Test",
        "--exit-after-frames",
        "300",
        "--screenshot",
        shot.to_str().unwrap(),
    ];
    let Some((_, stdout, _)) = live_with(&args, &config, &[("WEBTOONME_CHARACTERS", chars.as_path())]) else {
        return;
    };
    assert!(stdout.contains("tuning saturation=2") && stdout.contains("tuned 'haru' in"), "{stdout}");
    assert!(stdout.contains("saved character 'Green Test' (green-test)"), "{stdout}");
    assert!(stdout.contains("characters now") && stdout.contains("green-test"), "{stdout}");

    // the picture changed: how green the wall (the top tenth of the frame) is, before and after
    let mut photos: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}\n{stdout}", folder.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("_photo.png"))
        .collect();
    photos.sort();
    assert_eq!(photos.len(), 2, "{photos:?}\n{stdout}");
    let green = |p: &Path| {
        let img = image::open(p).unwrap().into_rgb8();
        let mut v: Vec<f32> = (0..img.height() / 10)
            .flat_map(|y| (0..img.width()).map(move |x| (x, y)))
            .map(|(x, y)| {
                let [r, g, b] = img.get_pixel(x, y).0.map(|c| c as f32);
                g - (r + b) * 0.5
            })
            .collect();
        v.sort_by(f32::total_cmp);
        v[v.len() / 2]
    };
    let (before, after) = (green(&photos[0]), green(&photos[1]));
    println!("the wall's green (G - (R+B)/2, median of the top tenth): before tuning {before:.1}, after {after:.1}");
    assert!(after > before + 8.0, "the tuned palette did not reach the picture: {before:.1} -> {after:.1}");

    // the new character: a pack in the user folder, listed, tuned values marked
    let toml = std::fs::read_to_string(chars.join("green-test/character.toml")).unwrap();
    let line = |key: &str| toml.lines().find(|l| l.starts_with(&format!("{key} ="))).unwrap_or_default().to_string();
    assert!(line("saturation").starts_with("saturation = 2.0") && line("saturation").contains("tuned in the window"));
    assert!(line("palette").contains("#20c020") && line("palette").contains("tuned in the window"));
    let listed = Command::new(env!("CARGO_BIN_EXE_webtoonme"))
        .args(["characters", "--json"])
        .env("WEBTOONME_CHARACTERS", &chars)
        .output()
        .unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let ids: Vec<&str> = listed["characters"].as_array().unwrap().iter().filter_map(|c| c["id"].as_str()).collect();
    assert!(ids.contains(&"green-test"), "{ids:?}");
    let thumb = image::open(chars.join("green-test/thumbnail.png")).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (128, 128));
    let haru_after = std::fs::read_to_string(common::project_file("assets/characters/haru/character.toml")).unwrap();
    assert_eq!(haru_before, haru_after, "the built-in pack is never written");
}
