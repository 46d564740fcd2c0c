//! The window's side of sharing and printing: the output folder's share store, the share
//! server's life (started, moved or stopped when the settings change), what each keepsake does
//! once kept ([`AfterKeep`]: publish, print), the sweep of expired links and old files once a
//! minute, and the network addresses and printers the settings panel lists.
//!
//! In: the config (sharing, printing, output folder). Out: [`AfterKeep`] for the keeper, the
//! server's base URL, a line for the settings panel and lines for the screen. UI thread: the
//! server is started and stopped on "share-start" (stopping waits for its thread) and runs on
//! its own threads; the printer list is read on "printers". Nothing here waits.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError, bounded};

use super::keeper::{AfterKeep, PrintOrder, Publish};
use crate::config::{self, Config};
use crate::share::address::{self, Candidate};
use crate::share::print;
use crate::share::server::{ServerOptions, ShareServer};
use crate::share::store::{Kind, SharedStore, Store};

/// Time between sweeps of the store.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// What the settings panel shows about sharing and printing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TakeHomeInfo {
    /// Addresses phones might reach: (label, the value the config stores), best first.
    pub interfaces: Vec<(String, String)>,
    /// Printers CUPS knows, or why there are none (None: not asked yet).
    pub printers: Option<Result<Vec<String>, String>>,
    /// Where links point now, or why sharing does not run.
    pub address: String,
}

/// The server a running one was started for: restarted when this changes.
#[derive(Debug, Clone, PartialEq)]
struct Serving {
    interface: String,
    port: u16,
    folder: PathBuf,
}

type Started = Result<(ShareServer, String), String>;

#[derive(Default)]
pub struct TakeHome {
    /// The output folder whose store is open, and the store.
    store: Option<(PathBuf, SharedStore)>,
    server: Option<ShareServer>,
    serving: Option<Serving>,
    /// The server being started (and the old one stopped) on "share-start".
    starting: Option<Receiver<Started>>,
    /// `http://ADDRESS:PORT` while the server runs.
    base: Option<String>,
    pub info: TakeHomeInfo,
    printers: Option<Receiver<Result<Vec<String>, String>>>,
    last_sweep: Option<Instant>,
}

impl std::fmt::Debug for TakeHome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TakeHome").field("base", &self.base).finish_non_exhaustive()
    }
}

impl TakeHome {
    /// Follows the settings: opens the output folder's store (when sharing is on or files have a
    /// retention time), starts, moves or stops the server. Returns lines for the screen.
    pub fn apply(&mut self, config: &Config) -> Vec<String> {
        let mut lines = Vec::new();
        let sharing = &config.sharing;
        let wants_store = sharing.enabled || sharing.retention().is_some();
        let folder = &config.output_folder;
        if !wants_store {
            self.store = None;
        } else if self.store.as_ref().is_none_or(|(f, _)| f != folder) {
            self.store = match Store::open_shared(folder) {
                Ok(s) => Some((folder.clone(), s)),
                Err(e) => {
                    lines.push(format!("sharing: {e}"));
                    None
                }
            };
            self.last_sweep = None;
        }
        let wanted = match (&self.store, sharing.enabled) {
            (Some(_), true) => {
                Some(Serving { interface: sharing.interface.clone(), port: sharing.port, folder: folder.clone() })
            }
            _ => None,
        };
        if wanted != self.serving {
            self.restart(wanted.clone());
            self.serving = wanted;
        }
        if !sharing.enabled {
            self.info.address = "Sharing is off".into();
        }
        self.refresh_interfaces();
        lines
    }

    /// Stops the running server and starts one for `serving` (if any) on "share-start".
    fn restart(&mut self, serving: Option<Serving>) {
        let old = self.server.take();
        self.base = None;
        let store = self.store.as_ref().map(|(_, s)| s.clone());
        let wanted = serving.is_some();
        let (tx, rx) = bounded(1);
        let spawned = std::thread::Builder::new().name("share-start".into()).spawn(move || {
            if let Some(old) = old {
                old.stop();
            }
            let (Some(serving), Some(store)) = (serving, store) else { return };
            let started = address::choose(&serving.interface, &address::candidates())
                .map_err(|e| format!("sharing: {e}"))
                .and_then(|ip| ShareServer::start(store, ServerOptions::new(SocketAddr::new(ip, serving.port))))
                .map(|server| {
                    let base = address::link_base(server.local_addr());
                    (server, base)
                });
            let _ = tx.send(started);
        });
        match spawned {
            Ok(_) => {
                self.starting = Some(rx);
                if wanted {
                    self.info.address = "starting...".into();
                }
            }
            Err(e) => self.info.address = format!("cannot start the share server: {e}"),
        }
    }

    /// Picks up a server that started (or why not) and the printer list. Returns lines for the
    /// screen; true in the second place when something changed (the base URL of the next
    /// keepsakes' links, what the settings panel shows).
    pub fn poll(&mut self) -> (Vec<String>, bool) {
        let mut lines = Vec::new();
        let mut changed = false;
        if let Some(rx) = &self.starting {
            match rx.try_recv() {
                Ok(Ok((server, base))) => {
                    lines.push(format!("sharing: phones open links on {base}"));
                    self.info.address = format!("Phones open {base}/k/...");
                    self.server = Some(server);
                    self.base = Some(base);
                    self.starting = None;
                    changed = true;
                }
                Ok(Err(e)) => {
                    lines.push(e.clone());
                    self.info.address = e;
                    self.starting = None;
                    changed = true;
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => self.starting = None,
            }
        }
        if let Some(rx) = &self.printers
            && let Ok(list) = rx.try_recv()
        {
            self.info.printers = Some(list);
            self.printers = None;
            changed = true;
        }
        (lines, changed)
    }

    /// Lists the printers again, on "printers" (the settings panel opened).
    pub fn refresh_printers(&mut self) {
        if self.printers.is_some() {
            return;
        }
        let (tx, rx) = bounded(1);
        let spawned = std::thread::Builder::new().name("printers".into()).spawn(move || {
            let _ = tx.send(print::printers());
        });
        if spawned.is_ok() {
            self.printers = Some(rx);
        }
    }

    /// Lists the machine's addresses again (the settings panel opened, the settings changed).
    pub fn refresh_interfaces(&mut self) {
        self.info.interfaces =
            address::candidates().iter().map(|c: &Candidate| (c.label(), c.ip.to_string())).collect();
    }

    /// What keepsakes kept from now on do once on disk.
    pub fn after_keep(&self, config: &Config) -> AfterKeep {
        let publish = self.store.as_ref().map(|(_, store)| Publish {
            store: store.clone(),
            link: config.sharing.enabled.then(|| config.sharing.link()),
            base: self.base.clone(),
        });
        let p = &config.printing;
        let print = p.printer.clone().map(|printer| PrintOrder {
            printer,
            copies: p.copies,
            auto: p.auto_print,
            photos: p.photos,
        });
        AfterKeep { publish, print }
    }

    /// The store to sweep, when a sweep is due (once a minute, and at once after it opened).
    pub fn sweep_due(&mut self) -> Option<SharedStore> {
        let (_, store) = self.store.as_ref()?;
        if self.last_sweep.is_some_and(|t| t.elapsed() < SWEEP_EVERY) {
            return None;
        }
        self.last_sweep = Some(Instant::now());
        Some(store.clone())
    }

    /// Stops the server (the window closes; waits up to 2 s for its thread).
    pub fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
    }
}

/// "24 hours", "7 days", "1 hour".
pub fn hours_text(hours: u32) -> String {
    match hours {
        1 => "1 hour".into(),
        h if h >= 48 && h % 24 == 0 => format!("{} days", h / 24),
        h => format!("{h} hours"),
    }
}

/// The one line under a result: what is kept and for how long.
pub fn kept_line(kind: Kind, sharing: &config::Sharing, linked: bool) -> String {
    let noun = kind.noun();
    let link = hours_text(sharing.link_hours);
    match (linked, sharing.retention_hours) {
        (true, 0) => format!("The link works for {link}; your {noun} stays on this booth."),
        (true, r) => {
            format!("The link works for {link}; your {noun} is deleted from this booth after {}.", hours_text(r))
        }
        (false, 0) => format!("Your {noun} stays on this booth."),
        (false, r) => format!("Your {noun} is deleted from this booth after {}.", hours_text(r)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kept_line_says_what_and_how_long() {
        let mut s = config::Sharing { link_hours: 24, retention_hours: 168, ..config::Sharing::default() };
        assert_eq!(
            kept_line(Kind::Strip, &s, true),
            "The link works for 24 hours; your four-cut strip is deleted from this booth after 7 days."
        );
        s.retention_hours = 0;
        assert_eq!(kept_line(Kind::Clip, &s, true), "The link works for 24 hours; your clip stays on this booth.");
        assert_eq!(kept_line(Kind::Photo, &s, false), "Your photo stays on this booth.");
        assert_eq!(
            (hours_text(1), hours_text(36), hours_text(48)),
            ("1 hour".into(), "36 hours".into(), "2 days".into())
        );
    }
}
