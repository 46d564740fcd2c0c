//! `webtoonme share FILE --folder DIR [--qr OUT.png] [--json]`: publishes a kept file (a photo,
//! a strip, a clip, a boomerang) in DIR's store and prints its link, for `webtoonme serve` (or the
//! booth's window) to answer. A file outside DIR is copied into it first, under a free name.
//!
//! In: the file, the folder (default: the config's output folder), the server's address
//! (default: the config's sharing interface and port), the link's lifetime (default: the
//! config's). Out: the link on stdout (with `--json`: `{ "url", "expires" (RFC 3339), "qr",
//! "file", "kind" }`), the QR code as a PNG with `--qr`. Main thread.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;

use crate::config::Config;
use crate::record::names::unique_path;
use crate::share::publish::{self, kind_of};
use crate::share::qr::QrCode;
use crate::share::{address, store::Store};

/// Pixels per QR module in `--qr` pictures.
const QR_MODULE_PX: u32 = 10;

#[derive(Debug, Args)]
pub struct ShareArgs {
    /// The keepsake: a PNG or JPEG picture (`*_strip.png`: a strip), an MP4 clip, a GIF boomerang
    /// (its MP4 of the same name goes with it).
    pub file: PathBuf,
    /// The output folder whose store it goes in (default: the config's output folder).
    #[arg(long, value_name = "DIR")]
    pub folder: Option<PathBuf>,
    /// Also write the link's QR code as a PNG.
    #[arg(long, value_name = "OUT.png")]
    pub qr: Option<PathBuf>,
    /// Print JSON: `{ "url", "expires", "qr", "file", "kind" }`.
    #[arg(long)]
    pub json: bool,
    /// The server the link names: ADDRESS:PORT or INTERFACE:PORT (default: the config's
    /// sharing interface and port; what `webtoonme serve` listens on).
    #[arg(long, value_name = "ADDR")]
    pub address: Option<String>,
    /// Hours the link works (default: the config's `sharing.link_hours`).
    #[arg(long, value_name = "HOURS", value_parser = clap::value_parser!(u32).range(1..=720))]
    pub link_hours: Option<u32>,
}

#[derive(Debug, Serialize)]
struct ShareReport {
    url: String,
    expires: String,
    qr: Option<String>,
    file: String,
    kind: &'static str,
}

/// `file` itself when it is directly inside `folder`, else a copy in it under a free name.
fn into_folder(file: &Path, folder: &Path) -> anyhow::Result<PathBuf> {
    let canonical = |p: &Path| std::fs::canonicalize(p).with_context(|| format!("{}: cannot be read", p.display()));
    let folder_c = canonical(folder)?;
    let file_c = canonical(file)?;
    if file_c.parent() == Some(folder_c.as_path()) {
        return Ok(folder.join(file_c.file_name().context("a file name")?));
    }
    let name = file_c.file_name().with_context(|| format!("{}: not a file", file.display()))?;
    let target = unique_path(&folder.join(name));
    std::fs::copy(&file_c, &target)
        .with_context(|| format!("cannot copy {} into {}", file.display(), folder.display()))?;
    Ok(target)
}

pub fn run(args: &ShareArgs) -> anyhow::Result<()> {
    let config = Config::load().config;
    let folder = args.folder.clone().unwrap_or_else(|| config.output_folder.clone());
    std::fs::create_dir_all(&folder).with_context(|| format!("{}: cannot create the folder", folder.display()))?;
    let meta = std::fs::metadata(&args.file).with_context(|| format!("{}: cannot be read", args.file.display()))?;
    if !meta.is_file() {
        anyhow::bail!("{}: not a file", args.file.display());
    }
    kind_of(&args.file).map_err(|e| anyhow::anyhow!(e))?;
    let server = match &args.address {
        Some(text) => crate::commands::serve::listen_address(text)?,
        None => {
            let s = &config.sharing;
            if s.port == 0 {
                anyhow::bail!("sharing.port is 0 (any free port): name the server with --address ADDRESS:PORT");
            }
            address::configured(&s.interface, s.port).map_err(|e| anyhow::anyhow!("sharing.interface: {e}"))?
        }
    };
    let mut files = Vec::new();
    let main = into_folder(&args.file, &folder)?;
    let (kind, with) = kind_of(&main).map_err(|e| anyhow::anyhow!(e))?;
    files.push(main.clone());
    // a boomerang's MP4 beside the original GIF comes along
    let mp4 = args.file.with_extension("mp4");
    if kind == crate::share::store::Kind::Boomerang && with.len() == 1 && mp4.is_file() {
        files.push(into_folder(&mp4, &folder)?);
    } else {
        files.extend(with.into_iter().skip(1));
    }
    let hours = args.link_hours.unwrap_or(config.sharing.link_hours);
    let store = Store::open_shared(&folder)?;
    let base = address::link_base(server);
    let link =
        publish::publish(&store, &files, kind, None, Some(Duration::from_secs(u64::from(hours) * 3600)), Some(&base))
            .map_err(|e| anyhow::anyhow!(e))?;
    let url = link.url.context("the link has no address")?;
    let expires = publish::rfc3339(link.expires.context("the link has no end")?);
    if let Some(qr) = &args.qr {
        QrCode::new(&url).and_then(|code| code.save_png(qr, QR_MODULE_PX)).map_err(|e| anyhow::anyhow!(e))?;
    }
    if args.json {
        let report = ShareReport {
            url,
            expires,
            qr: args.qr.as_ref().map(|p| p.display().to_string()),
            file: main.display().to_string(),
            kind: kind.noun(),
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{url}");
        println!("share: {} {} until {expires}", kind.noun(), main.display());
        if let Some(qr) = &args.qr {
            println!("share: QR code in {}", qr.display());
        }
    }
    Ok(())
}
