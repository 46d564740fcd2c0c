//! Printing a four-cut strip through a real CUPS queue: Debian's `cups` with
//! `printer-driver-cups-pdf`, whose printer writes a PDF. The strip (made from the committed
//! stylized goldens, in the shipped look) goes through `share::print` (`lp`); the test waits
//! (bounded) for the PDF, renders its page with `pdftoppm`, finds the printed picture on the
//! page and compares it with the strip, downscaled, within a tolerance. A print to a printer
//! that does not exist fails with `lp`'s own reason and leaves the file.
//!
//! The scheduler is started when it is not running (`cupsd`, as root: CI runs as root with
//! nothing started) and a cups-pdf queue is added when there is none (`lpadmin`). Where the PDF
//! lands is read from `/etc/cups/cups-pdf.conf` (`Out`, `${HOME}` being the printing user's home).
//! Skipped, with the reason printed, when the programs are missing or the scheduler cannot be
//! started (not root); scripts/setup.sh installs them.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use image::{RgbImage, imageops};
use webtoonme::record::strip::{SHOTS, StripStyle, four_cut};
use webtoonme::share::print;

/// A queue this test adds when the machine has no cups-pdf printer.
const TEST_QUEUE: &str = "webtoonme-test-pdf";

fn run(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).stdin(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn scheduler_running() -> bool {
    run("lpstat", &["-r"]).is_some_and(|o| o.contains("scheduler is running") && !o.contains("not running"))
}

/// The name of a cups-pdf queue, the scheduler started and the queue added when needed; None
/// (with the reason printed) when that cannot be done here.
fn cups_pdf_queue() -> Option<String> {
    for program in ["lp", "lpstat", "lpadmin", "cupsd", "pdftoppm"] {
        let found = std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
            || Path::new("/usr/sbin").join(program).is_file();
        if !found {
            eprintln!(
                "skipped: {program} is not installed (scripts/setup.sh installs cups, printer-driver-cups-pdf, poppler-utils)"
            );
            return None;
        }
    }
    if !scheduler_running() {
        let cupsd = if Path::new("/usr/sbin/cupsd").is_file() { "/usr/sbin/cupsd" } else { "cupsd" };
        // cupsd puts itself in the background; as root (CI) it can, else say why not
        match Command::new(cupsd).stdin(Stdio::null()).status() {
            Ok(s) if s.success() => {}
            other => {
                eprintln!("skipped: the CUPS scheduler is not running and cupsd could not start it ({other:?})");
                return None;
            }
        }
        let started = Instant::now();
        while !scheduler_running() {
            if started.elapsed() > Duration::from_secs(20) {
                eprintln!("skipped: cupsd started but the scheduler did not answer within 20 s");
                return None;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    // an existing cups-pdf queue, else ours
    let devices = run("lpstat", &["-v"]).unwrap_or_default();
    for line in devices.lines() {
        // "device for PDF: cups-pdf:/"
        if let Some(rest) = line.strip_prefix("device for ")
            && let Some((name, uri)) = rest.split_once(':')
            && uri.trim().starts_with("cups-pdf:")
            && run("lpstat", &["-p", name]).is_some_and(|o| o.contains("enabled"))
        {
            return Some(name.to_string());
        }
    }
    let models = run("lpinfo", &["-m"]).unwrap_or_default();
    let ppd =
        models.lines().find(|l| l.contains("CUPS-PDF_opt") || l.contains("CUPS-PDF"))?.split_whitespace().next()?;
    let added = Command::new("lpadmin").args(["-p", TEST_QUEUE, "-E", "-v", "cups-pdf:/", "-m", ppd]).status();
    if !added.as_ref().is_ok_and(|s| s.success()) {
        eprintln!("skipped: lpadmin could not add a cups-pdf queue ({added:?})");
        return None;
    }
    Some(TEST_QUEUE.to_string())
}

/// Where cups-pdf writes the PDFs of this user's jobs (`Out` in its config, `${HOME}` replaced).
fn pdf_folder() -> PathBuf {
    let conf = std::fs::read_to_string("/etc/cups/cups-pdf.conf").unwrap_or_default();
    let out = conf
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("Out ").or_else(|| l.strip_prefix("Out\t")))
        .map(str::trim)
        .unwrap_or("${HOME}/PDF")
        .to_string();
    let uid = run("id", &["-u"]).unwrap_or_default();
    let home = run("getent", &["passwd", uid.trim()])
        .and_then(|l| l.split(':').nth(5).map(str::to_string))
        .or_else(|| std::env::var("HOME").ok())
        .unwrap_or_default();
    let user = run("id", &["-un"]).unwrap_or_default();
    PathBuf::from(out.replace("${HOME}", home.trim()).replace("${USER}", user.trim()))
}

/// The strip a booth makes of four stylized shots, in the shipped look.
fn strip() -> RgbImage {
    let shots: [RgbImage; SHOTS] = std::array::from_fn(|k| {
        let id = ["haru", "kang", "mina", "rei"][k];
        let golden =
            image::open(common::project_file(&format!("tests/snapshots/{id}_astronaut.png"))).unwrap().into_rgb8();
        imageops::resize(&golden, 640, 480, imageops::FilterType::Triangle)
    });
    four_cut(&shots, &StripStyle::default(), "2026-12-04", &["Haru".into(), "Kang".into(), "Mina".into(), "Rei".into()])
}

/// The newest PDF in `folder` written since `since` whose name carries `marker`, once its size
/// stopped changing; waits at most `limit`.
fn wait_for_pdf(folder: &Path, marker: &str, since: SystemTime, limit: Duration) -> Option<PathBuf> {
    let started = Instant::now();
    let mut last: Option<(PathBuf, u64)> = None;
    while started.elapsed() < limit {
        let found = std::fs::read_dir(folder).ok().and_then(|list| {
            list.flatten()
                .filter(|e| e.file_name().to_string_lossy().contains(marker))
                .filter(|e| e.metadata().and_then(|m| m.modified()).is_ok_and(|t| t >= since))
                .map(|e| (e.path(), e.metadata().map_or(0, |m| m.len())))
                .max_by_key(|(p, _)| p.clone())
        });
        if let Some((path, size)) = found {
            if size > 0 && last.as_ref() == Some(&(path.clone(), size)) {
                return Some(path);
            }
            last = Some((path, size));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    None
}

/// The box holding everything on `page` that is not paper white.
fn printed_box(page: &RgbImage) -> Option<(u32, u32, u32, u32)> {
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for (x, y, p) in page.enumerate_pixels() {
        if p.0.iter().any(|&c| c < 249) {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
    }
    (x1 > x0 && y1 > y0).then_some((x0, y0, x1 - x0 + 1, y1 - y0 + 1))
}

#[test]
fn a_strip_prints_through_cups_and_the_pdf_holds_it() {
    let Some(queue) = cups_pdf_queue() else { return };
    let dir = std::env::temp_dir().join(format!("webtoonme-print-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let marker = format!("webtoonmeprinttest{}", std::process::id());
    let path = dir.join(format!("{marker}_strip.png"));
    let strip = strip();
    strip.save(&path).unwrap();

    let since = SystemTime::now() - Duration::from_secs(2);
    let started = Instant::now();
    let id = print::print(&path, &queue, 1).unwrap_or_else(|e| panic!("lp refused the strip: {e}"));
    assert!(id.starts_with(&queue), "CUPS's request id names the queue: {id}");
    let folder = pdf_folder();
    let pdf = wait_for_pdf(&folder, &marker, since, Duration::from_secs(90))
        .unwrap_or_else(|| panic!("no PDF with {marker} in {} within 90 s", folder.display()));
    println!("printed {} in {:.1} s: {}", path.display(), started.elapsed().as_secs_f64(), pdf.display());

    let page_prefix = dir.join("page");
    let rendered = Command::new("pdftoppm")
        .args(["-r", "60", "-png", "-singlefile"])
        .arg(&pdf)
        .arg(&page_prefix)
        .status()
        .unwrap();
    assert!(rendered.success(), "pdftoppm could not read {}", pdf.display());
    let page = image::open(page_prefix.with_extension("png")).unwrap().into_rgb8();
    let (x, y, w, h) = printed_box(&page).expect("something is printed on the page");
    let (sw, sh) = strip.dimensions();
    let aspect = (w as f64 / h as f64) / (sw as f64 / sh as f64);
    assert!((aspect - 1.0).abs() < 0.05, "the strip keeps its shape on paper: {w}x{h} vs {sw}x{sh}");
    assert!(h as f64 > page.height() as f64 * 0.6, "it fills the page's height: {h} of {}", page.height());

    // the printed picture, downscaled, against the strip, downscaled the same
    let printed = imageops::crop_imm(&page, x, y, w, h).to_image();
    let size = (48, (48.0 * sh as f64 / sw as f64).round() as u32);
    let a = imageops::resize(&printed, size.0, size.1, imageops::FilterType::Triangle);
    let b = imageops::resize(&strip, size.0, size.1, imageops::FilterType::Triangle);
    let diff: f64 =
        a.pixels().zip(b.pixels()).map(|(p, q)| (0..3).map(|c| p[c].abs_diff(q[c]) as f64).sum::<f64>()).sum::<f64>()
            / (size.0 * size.1 * 3) as f64;
    println!("printed vs strip: {diff:.2} mean difference per channel at {}x{}", size.0, size.1);
    assert!(diff < 14.0, "the PDF does not hold the strip: {diff:.2} per channel");
    let _ = std::fs::remove_file(&pdf);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_print_to_a_missing_printer_says_why_and_keeps_the_file() {
    let dir = std::env::temp_dir().join(format!("webtoonme-print-missing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("webtoonme_x_strip.png");
    RgbImage::from_pixel(40, 160, image::Rgb([250, 240, 230])).save(&path).unwrap();
    let e = print::print(&path, "webtoonme-no-such-printer", 2).unwrap_err();
    // lp's own words: no such printer, no scheduler, or no lp at all
    assert!(
        e.contains("does not exist") || e.contains("Scheduler") || e.contains("not found") || e.contains("lp:"),
        "{e}"
    );
    assert!(path.is_file(), "the file stays kept");
    let _ = std::fs::remove_dir_all(&dir);
}
