//! The booth window for real: `live --source demo --exit-after-frames 30 --screenshot PATH`
//! under Xvfb (lavapipe renders), then the screenshot is checked: it exists, has the window's
//! size and shows a picture (not one flat colour). Skipped, with the reason printed, only when
//! `xvfb-run` is not installed (`scripts/setup.sh` installs it).

use std::path::PathBuf;
use std::process::Command;

fn xvfb_run() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("xvfb-run")).find(|p| p.is_file())
}

#[test]
fn window_screenshot_shows_the_booth() {
    let Some(xvfb) = xvfb_run() else {
        eprintln!("skipped: xvfb-run is not installed (scripts/setup.sh installs the xvfb package)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("webtoonme-window-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let shot = dir.join("tmp.png");
    let out = Command::new(xvfb)
        .args(["-a", "-s", "-screen 0 1280x800x24"])
        .arg(env!("CARGO_BIN_EXE_webtoonme"))
        .args(["live", "--source", "demo", "--exit-after-frames", "30", "--screenshot"])
        .arg(&shot)
        .env("RUST_BACKTRACE", "1")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("run xvfb-run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "live failed\nstdout: {stdout}\nstderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
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
