//! `webtoonme serve --folder DIR --listen ADDR`: the share server alone, serving the keepsakes
//! the booth (or `webtoonme share`) published in DIR's store: e.g. on a second machine at the
//! exit, or while the booth's window is closed. Links published after it started are found
//! too (the store reads the index again when it changed).
//!
//! In: the folder (default: the config's output folder), the address (default: the config's
//! sharing interface and port), an optional retention time. Out: one line saying where it
//! serves; then it serves until the process is stopped. Main thread waits; the server runs on
//! "share-server" (+ "share-files").

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use crate::config::Config;
use crate::share::address;
use crate::share::server::{ServerOptions, ShareServer};
use crate::share::store::Store;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The output folder whose kept files are served (default: the config's output folder).
    #[arg(long, value_name = "DIR")]
    pub folder: Option<PathBuf>,
    /// Where to listen: ADDRESS:PORT (`192.168.1.20:8080`, `127.0.0.1:0` for any free port) or
    /// INTERFACE:PORT (`wlan0:8080`, `auto:8080`). Default: the config's sharing interface and port.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Delete kept files (and their links) older than this many hours, checked each minute.
    /// Default: never (the booth's own setting does it where the booth runs).
    #[arg(long, value_name = "HOURS")]
    pub retention_hours: Option<u32>,
}

/// `ADDRESS:PORT` or `INTERFACE:PORT` (see [`ServeArgs::listen`]).
pub fn listen_address(text: &str) -> anyhow::Result<std::net::SocketAddr> {
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let (choice, port) = text
        .rsplit_once(':')
        .with_context(|| format!("--listen {text}: expected ADDRESS:PORT or INTERFACE:PORT, e.g. wlan0:8080"))?;
    let port: u16 = port.parse().with_context(|| format!("--listen {text}: '{port}' is not a port"))?;
    address::configured(choice, port).map_err(|e| anyhow::anyhow!("--listen {text}: {e}"))
}

pub fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let config = Config::load();
    let folder = args.folder.clone().unwrap_or_else(|| config.config.output_folder.clone());
    if !folder.is_dir() {
        anyhow::bail!(
            "{}: no such folder (the booth's output folder, or one `webtoonme share` used)",
            folder.display()
        );
    }
    let listen = match &args.listen {
        Some(text) => listen_address(text)?,
        None => {
            let s = &config.config.sharing;
            address::configured(&s.interface, s.port).map_err(|e| anyhow::anyhow!("sharing.interface: {e}"))?
        }
    };
    let store = Store::open_shared(&folder)?;
    let live = store.lock().map(|s| s.entries().len()).unwrap_or(0);
    let mut options = ServerOptions::new(listen);
    let retention = args.retention_hours.filter(|&h| h > 0).map(|h| Duration::from_secs(u64::from(h) * 3600));
    options.sweep = Some((Duration::from_secs(60), retention));
    let server = ShareServer::start(store, options).map_err(|e| anyhow::anyhow!(e))?;
    let retention = match args.retention_hours.filter(|&h| h > 0) {
        Some(h) => format!("files older than {h} h are deleted"),
        None => "no file is deleted".into(),
    };
    println!(
        "serve: {} on {} ({live} keepsakes in the index; {retention}; Ctrl+C stops)",
        folder.display(),
        address::link_base(server.local_addr())
    );
    server.wait();
    Ok(())
}
