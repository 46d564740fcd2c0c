//! Printing keepsakes through the system's print service: CUPS on Linux and macOS, by its own
//! command-line programs (`lpstat` lists the printers, `lp` queues a file; CUPS converts the
//! picture and scales it to the page). A failed print says why in `lp`'s own words; the file
//! is never touched.
//!
//! In: a kept picture, a printer name, copies. Out: CUPS's request id, or the reason it
//! failed. Runs on the window's "keeper" thread (and "printers" for the list: `lpstat` can
//! take a moment when the scheduler is slow); `lp` is given a time limit.

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest time `lp` or `lpstat` may take.
const LIMIT: Duration = Duration::from_secs(20);
/// Most copies one print asks for.
pub const MAX_COPIES: u32 = 20;

/// A printer name as CUPS accepts one (from `lpstat`, or the config: never an option).
pub fn is_printer_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 127
        && !name.starts_with('-')
        && name.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '/' | '\\' | '#' | ','))
}

/// Runs `program args` with a time limit; stdout, or the first line of stderr (else the status).
fn run(program: &str, args: &[&std::ffi::OsStr]) -> Result<String, String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("LC_ALL", "C")
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("{program} not found: install CUPS (Debian: cups-client)"),
            _ => format!("cannot run {program}: {e}"),
        })?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < LIMIT => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{program} did not answer within {} s", LIMIT.as_secs()));
            }
            Err(e) => return Err(format!("{program}: {e}")),
        }
    };
    let (mut out, mut err) = (String::new(), String::new());
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    if status.success() {
        Ok(out)
    } else {
        let line = err.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
        Err(if line.is_empty() { format!("{program} failed ({status})") } else { line.to_string() })
    }
}

/// The printers CUPS knows (`lpstat -e`), in its order.
pub fn printers() -> Result<Vec<String>, String> {
    let out = run("lpstat", &["-e".as_ref()])?;
    Ok(out.lines().map(str::trim).filter(|l| is_printer_name(l)).map(String::from).collect())
}

/// The system's default printer (`lpstat -d`), if one is set.
pub fn default_printer() -> Option<String> {
    let out = run("lpstat", &["-d".as_ref()]).ok()?;
    let name = out.split(':').nth(1)?.trim();
    is_printer_name(name).then(|| name.to_string())
}

/// Queues `file` on `printer`, `copies` times, scaled to the page. Returns CUPS's request id
/// ("webtoonme-pdf-12"); an error is `lp`'s own reason.
pub fn print(file: &Path, printer: &str, copies: u32) -> Result<String, String> {
    if !is_printer_name(printer) {
        return Err(format!("'{printer}' is not a printer name"));
    }
    let copies = copies.clamp(1, MAX_COPIES).to_string();
    let title = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let args: [&std::ffi::OsStr; 10] = [
        "-d".as_ref(),
        printer.as_ref(),
        "-n".as_ref(),
        copies.as_ref(),
        "-t".as_ref(),
        title.as_ref(),
        "-o".as_ref(),
        "fit-to-page".as_ref(),
        "--".as_ref(),
        file.as_os_str(),
    ];
    let out = run("lp", &args)?;
    // "request id is PRINTER-12 (1 file(s))"
    Ok(out.split_whitespace().nth(3).unwrap_or(out.trim()).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printer_names_never_become_options() {
        for good in ["PDF", "webtoonme-pdf", "Canon_SELPHY_CP1500", "office@host"] {
            assert!(is_printer_name(good), "{good}");
        }
        for bad in ["", "-oraw", "--", "a b", "a/b", "a#b", "ä"] {
            assert!(!is_printer_name(bad), "{bad}");
        }
        let e = print(Path::new("x.png"), "-h", 1).unwrap_err();
        assert!(e.contains("not a printer name"), "{e}");
    }
}
