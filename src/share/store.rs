//! The keepsake store of an output folder: which kept files a link token opens, until when, and
//! which files are deleted when they are older than the retention time.
//!
//! In: kept files (photos, strips, clips, boomerangs) inside the output folder, their phone-sized
//! previews (JPEG bytes), the link lifetime and the retention time. Out: tokens
//! ([`Store::publish`]), the files behind a token while its link lives ([`Store::find`]), files
//! deleted and links gone ([`Store::sweep`]). Any thread: the window shares one store between
//! the "keeper" thread (publishes, sweeps) and the share server's threads (finds) behind a
//! mutex; `webtoonme serve` and `webtoonme share` open the same folder's store in other processes.
//!
//! On disk, beside the kept files: `.webtoonme-share/index.json` (one entry per keepsake: token,
//! kind, file names, creation and link expiry in Unix seconds), `.webtoonme-share/previews/`
//! and a lock file. The index is written atomically (a temporary file, then a rename) under an
//! exclusive lock, after reading what another process may have written, so links survive a
//! restart and the app, `serve` and `share` can work on one folder together. A URL never names
//! a path: tokens map to plain file names (no separators, no `..`), checked again when the index
//! is read, and files are opened only when they are regular files, never through a symlink.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use image::{ImageEncoder as _, RgbImage, imageops};
use serde::{Deserialize, Serialize};

use super::token::Token;

/// The store's folder inside the output folder.
pub const SHARE_DIR: &str = ".webtoonme-share";
const INDEX: &str = "index.json";
const LOCK: &str = "lock";
const PREVIEWS: &str = "previews";
/// The largest index read (about 50 000 keepsakes).
const MAX_INDEX_BYTES: u64 = 16 << 20;
/// A preview fits in this many pixels (width, height): a phone screen's worth at 3x.
pub const PREVIEW_MAX: [u32; 2] = [1080, 2400];
/// JPEG quality of previews.
const PREVIEW_QUALITY: u8 = 82;

/// The store as the window shares it between threads.
pub type SharedStore = Arc<Mutex<Store>>;

/// What a keepsake is (the page shows each its own way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Photo,
    Strip,
    Clip,
    /// An animated GIF, and its MP4 as a second file.
    Boomerang,
}

impl Kind {
    /// "photo", "four-cut strip", ...: for lines on screen and the page.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Photo => "photo",
            Kind::Strip => "four-cut strip",
            Kind::Clip => "clip",
            Kind::Boomerang => "boomerang",
        }
    }
}

/// One keepsake in the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub token: String,
    pub kind: Kind,
    /// Plain file names inside the output folder: the keepsake, then (a boomerang) its MP4.
    pub files: Vec<String>,
    /// The preview's file name in `.webtoonme-share/previews/` while the link lives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
    /// When it was kept, Unix seconds.
    pub created: u64,
    /// When its link ends, Unix seconds (equal to `created`: it never had one).
    pub expires: u64,
}

#[derive(Serialize, Deserialize)]
struct IndexFile {
    version: u32,
    entries: Vec<Entry>,
}

#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    #[error("{}: {reason}", path.display())]
    Index { path: PathBuf, reason: String },
    #[error("{}: {reason}", path.display())]
    File { path: PathBuf, reason: String },
    #[error("{0}")]
    Other(String),
}

/// A keepsake just published.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub token: Token,
    pub kind: Kind,
    /// When the link ends (None: published without a link, kept only for the retention time).
    pub expires: Option<SystemTime>,
}

/// A live link's files, as the server opens them.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub kind: Kind,
    /// The keepsake's files (full paths inside the folder), in the entry's order.
    pub files: Vec<PathBuf>,
    pub preview: Option<PathBuf>,
    pub expires: SystemTime,
}

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Swept {
    /// Links that ended (their previews deleted).
    pub links_ended: usize,
    /// Kept files deleted for being older than the retention time.
    pub deleted: Vec<PathBuf>,
}

#[derive(Debug)]
pub struct Store {
    folder: PathBuf,
    entries: Vec<Entry>,
    /// The index file's modification time and length when it was last read or written.
    seen: Option<(SystemTime, u64)>,
}

/// Unix seconds of `t` (0 before 1970).
pub fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn from_unix(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(s)
}

/// A name that stays inside the folder it is joined to: no separators, not `.` or `..`, no NUL.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && !name.starts_with(SHARE_DIR)
}

/// The phone-sized preview of a picture as JPEG bytes: scaled down to fit [`PREVIEW_MAX`]
/// (never up).
pub fn preview_jpeg(picture: &RgbImage) -> Result<Vec<u8>, String> {
    let (w, h) = picture.dimensions();
    let scale = (PREVIEW_MAX[0] as f64 / w.max(1) as f64).min(PREVIEW_MAX[1] as f64 / h.max(1) as f64).min(1.0);
    let scaled;
    let small = if scale < 1.0 {
        let (sw, sh) = (((w as f64 * scale).round() as u32).max(1), ((h as f64 * scale).round() as u32).max(1));
        scaled = imageops::resize(picture, sw, sh, imageops::FilterType::Triangle);
        &scaled
    } else {
        picture
    };
    let mut out = Vec::with_capacity(256 * 1024);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, PREVIEW_QUALITY)
        .write_image(small.as_raw(), small.width(), small.height(), image::ExtendedColorType::Rgb8)
        .map_err(|e| format!("cannot make the preview: {e}"))?;
    Ok(out)
}

impl Store {
    /// The store of `folder` (its index read when there is one; nothing is created yet).
    pub fn open(folder: &Path) -> Result<Store, ShareError> {
        let mut store = Store { folder: folder.to_path_buf(), entries: Vec::new(), seen: None };
        store.reload(true)?;
        Ok(store)
    }

    /// [`Store::open`] wrapped for sharing between threads.
    pub fn open_shared(folder: &Path) -> Result<SharedStore, ShareError> {
        Ok(Arc::new(Mutex::new(Store::open(folder)?)))
    }

    pub fn folder(&self) -> &Path {
        &self.folder
    }

    fn dir(&self) -> PathBuf {
        self.folder.join(SHARE_DIR)
    }

    pub fn index_path(&self) -> PathBuf {
        self.dir().join(INDEX)
    }

    fn previews(&self) -> PathBuf {
        self.dir().join(PREVIEWS)
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Reads the index again when it changed on disk since it was last read (`force`: whatever
    /// it looks like).
    fn reload(&mut self, force: bool) -> Result<(), ShareError> {
        let path = self.index_path();
        let fail = |reason: String| ShareError::Index { path: path.clone(), reason };
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.entries.clear();
                self.seen = None;
                return Ok(());
            }
            Err(e) => return Err(fail(format!("cannot read: {e}"))),
        };
        let stamp = (meta.modified().unwrap_or(UNIX_EPOCH), meta.len());
        if !force && self.seen == Some(stamp) {
            return Ok(());
        }
        if meta.len() > MAX_INDEX_BYTES {
            return Err(fail(format!("{} bytes, at most {MAX_INDEX_BYTES} are read", meta.len())));
        }
        let bytes = std::fs::read(&path).map_err(|e| fail(format!("cannot read: {e}")))?;
        let file: IndexFile = serde_json::from_slice(&bytes).map_err(|e| fail(format!("not a share index: {e}")))?;
        if file.version != 1 {
            return Err(fail(format!("index version {} is not known (1 is)", file.version)));
        }
        let mut entries = Vec::with_capacity(file.entries.len());
        for e in file.entries {
            let plain = e.files.iter().all(|f| is_plain_name(f)) && e.preview.as_deref().is_none_or(is_plain_name);
            if Token::parse(&e.token).is_some() && plain && !e.files.is_empty() {
                entries.push(e);
            } else {
                log::warn!("{}: an entry with a bad token or file name is left out", path.display());
            }
        }
        self.entries = entries;
        self.seen = Some(stamp);
        Ok(())
    }

    /// Runs `change` on the entries under the folder's lock, after reading what another process
    /// wrote, then writes the index atomically.
    fn modify<T>(&mut self, change: impl FnOnce(&mut Vec<Entry>, &Path) -> T) -> Result<T, ShareError> {
        let dir = self.dir();
        let fail = |path: &Path, reason: String| ShareError::Index { path: path.to_path_buf(), reason };
        std::fs::create_dir_all(&dir).map_err(|e| fail(&dir, format!("cannot create the folder: {e}")))?;
        let lock_path = dir.join(LOCK);
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| fail(&lock_path, format!("cannot open the lock: {e}")))?;
        lock.lock().map_err(|e| fail(&lock_path, format!("cannot lock: {e}")))?;
        self.reload(false)?;
        let out = change(&mut self.entries, &self.folder);
        self.write()?;
        drop(lock); // unlocks
        Ok(out)
    }

    fn write(&mut self) -> Result<(), ShareError> {
        let path = self.index_path();
        let fail = |reason: String| ShareError::Index { path: path.clone(), reason };
        let file = IndexFile { version: 1, entries: self.entries.clone() };
        let text = serde_json::to_vec_pretty(&file).map_err(|e| fail(e.to_string()))?;
        let tmp = self.dir().join(format!(".{INDEX}.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            use std::io::Write as _;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&text)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            fail(format!("cannot write: {e}"))
        })?;
        let meta = std::fs::metadata(&path).map_err(|e| fail(format!("cannot read back: {e}")))?;
        self.seen = Some((meta.modified().unwrap_or(UNIX_EPOCH), meta.len()));
        Ok(())
    }

    /// Publishes kept `files` (inside the folder; the first is the keepsake) as one keepsake of
    /// `kind`: a new token, the preview written beside the index, the index saved. With `link`
    /// the token opens them for that long; without, they are only remembered for the retention
    /// time.
    pub fn publish(
        &mut self,
        files: &[PathBuf],
        kind: Kind,
        preview_jpeg: Option<&[u8]>,
        link: Option<Duration>,
        now: SystemTime,
    ) -> Result<Published, ShareError> {
        let folder = std::fs::canonicalize(&self.folder).map_err(|e| ShareError::File {
            path: self.folder.clone(),
            reason: format!("the output folder cannot be read: {e}"),
        })?;
        let mut names = Vec::with_capacity(files.len());
        for f in files {
            let fail = |reason: &str| ShareError::File { path: f.clone(), reason: reason.to_string() };
            let meta = std::fs::symlink_metadata(f).map_err(|e| fail(&format!("cannot be shared: {e}")))?;
            if !meta.is_file() {
                return Err(fail("is not a regular file"));
            }
            let name = f.file_name().and_then(|n| n.to_str()).filter(|n| is_plain_name(n));
            let parent = f.parent().map(|p| if p.as_os_str().is_empty() { Path::new(".") } else { p });
            let inside = parent.and_then(|p| std::fs::canonicalize(p).ok()).is_some_and(|p| p == folder);
            match name {
                Some(n) if inside => names.push(n.to_string()),
                _ => return Err(fail(&format!("is not a file directly inside {}", self.folder.display()))),
            }
        }
        if names.is_empty() {
            return Err(ShareError::Other("nothing to publish".into()));
        }
        let token = Token::new().map_err(ShareError::Other)?;
        let created = unix_seconds(now);
        let expires = link.map_or(created, |l| created + l.as_secs().max(1));
        let preview = match preview_jpeg.filter(|_| link.is_some()) {
            Some(bytes) => {
                let dir = self.previews();
                let name = format!("{token}.jpg");
                let path = dir.join(&name);
                let write = || -> std::io::Result<()> {
                    std::fs::create_dir_all(&dir)?;
                    let tmp = dir.join(format!(".{name}.tmp"));
                    std::fs::write(&tmp, bytes)?;
                    std::fs::rename(&tmp, &path)
                };
                write().map_err(|e| ShareError::File { path: path.clone(), reason: format!("cannot write: {e}") })?;
                Some(name)
            }
            None => None,
        };
        let entry = Entry { token: token.to_string(), kind, files: names, preview, created, expires };
        self.modify(|entries, _| entries.push(entry))?;
        Ok(Published { token, kind, expires: link.map(|_| from_unix(expires)) })
    }

    /// The files behind `token` while its link lives and its files are there; None otherwise
    /// (unknown, expired, deleted: the caller cannot tell which).
    pub fn find(&mut self, token: &str, now: SystemTime) -> Option<Found> {
        Token::parse(token)?;
        if !self.entries.iter().any(|e| e.token == token) {
            // published by another process since: read the index again if it changed
            if let Err(e) = self.reload(false) {
                log::warn!("share: {e}");
            }
        }
        let e = self.entries.iter().find(|e| e.token == token)?;
        if unix_seconds(now) >= e.expires {
            return None;
        }
        let files: Vec<PathBuf> = e.files.iter().map(|f| self.folder.join(f)).collect();
        if !files.iter().all(|f| std::fs::symlink_metadata(f).is_ok_and(|m| m.is_file())) {
            return None;
        }
        let preview = e
            .preview
            .as_ref()
            .map(|p| self.previews().join(p))
            .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()));
        Some(Found { kind: e.kind, files, preview, expires: from_unix(e.expires) })
    }

    /// Ends expired links (their previews deleted) and, with a `retention` time, deletes kept
    /// files older than it (their entries and links gone). Without a retention time an entry
    /// whose link ended is forgotten (its files stay). Previews no entry names are deleted.
    pub fn sweep(&mut self, retention: Option<Duration>, now: SystemTime) -> Result<Swept, ShareError> {
        let now_s = unix_seconds(now);
        let due = |e: &Entry| {
            let link_ended = e.preview.is_some() && now_s >= e.expires;
            let too_old = retention.is_some_and(|r| now_s >= e.created.saturating_add(r.as_secs()));
            let forgotten = retention.is_none() && now_s >= e.expires;
            link_ended || too_old || forgotten
        };
        let nothing_due = !self.entries.iter().any(due);
        let previews = self.previews();
        if nothing_due && !previews.is_dir() {
            return Ok(Swept::default());
        }
        let swept = if nothing_due {
            Swept::default()
        } else {
            self.modify(|entries, folder| {
                let mut swept = Swept::default();
                entries.retain_mut(|e| {
                    if now_s >= e.expires
                        && let Some(p) = e.preview.take()
                    {
                        let _ = std::fs::remove_file(previews.join(p));
                        swept.links_ended += 1;
                    }
                    let too_old = retention.is_some_and(|r| now_s >= e.created.saturating_add(r.as_secs()));
                    if too_old {
                        for f in &e.files {
                            let path = folder.join(f);
                            // only regular files: a symlink put there is removed, not followed
                            if std::fs::symlink_metadata(&path).is_ok() && std::fs::remove_file(&path).is_ok() {
                                swept.deleted.push(path);
                            }
                        }
                        return false;
                    }
                    !(retention.is_none() && now_s >= e.expires)
                });
                swept
            })?
        };
        // previews of entries another process forgot, or left by a crash between writes
        if let Ok(list) = std::fs::read_dir(&previews) {
            let named: std::collections::HashSet<&str> =
                self.entries.iter().filter_map(|e| e.preview.as_deref()).collect();
            for item in list.flatten() {
                let name = item.file_name();
                let name = name.to_string_lossy();
                let stale_tmp = name.starts_with('.')
                    && item
                        .metadata()
                        .and_then(|m| m.modified())
                        .is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > Duration::from_secs(600)));
                if (!name.starts_with('.') && !named.contains(name.as_ref())) || stale_tmp {
                    let _ = std::fs::remove_file(item.path());
                }
            }
        }
        Ok(swept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("webtoonme-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn kept(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn a_link_opens_its_files_until_it_expires_and_survives_a_restart() {
        let dir = folder("link");
        let strip = kept(&dir, "webtoonme_x_strip.png", b"strip bytes");
        let now = SystemTime::now();
        let mut store = Store::open(&dir).unwrap();
        let p = store.publish(std::slice::from_ref(&strip), Kind::Strip, Some(b"jpeg"), Some(24 * HOUR), now).unwrap();
        let token = p.token.to_string();
        assert_eq!(p.expires.map(unix_seconds), Some(unix_seconds(now) + 24 * 3600));
        let found = store.find(&token, now).expect("a live link");
        assert_eq!(found.files, vec![strip.clone()]);
        assert_eq!(std::fs::read(found.preview.unwrap()).unwrap(), b"jpeg");
        // a new store on the same folder (the app restarted, or `serve`): the same link
        let mut again = Store::open(&dir).unwrap();
        assert!(again.find(&token, now + 23 * HOUR).is_some());
        assert!(again.find(&token, now + 24 * HOUR).is_none(), "expired");
        // guesses and lookalikes open nothing
        assert!(again.find("AAAAAAAAAAAAAAAAAAAAAA", now).is_none());
        assert!(again.find(&token[..21], now).is_none());
        assert!(again.find("../webtoonme_x_strip.png", now).is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn another_process_publishing_is_seen_and_kept() {
        let dir = folder("two");
        let a = kept(&dir, "a.png", b"a");
        let b = kept(&dir, "b.png", b"b");
        let now = SystemTime::now();
        let mut app = Store::open(&dir).unwrap();
        let mut cli = Store::open(&dir).unwrap();
        let ta = app.publish(&[a], Kind::Photo, None, Some(HOUR), now).unwrap().token.to_string();
        let tb = cli.publish(&[b], Kind::Photo, None, Some(HOUR), now).unwrap().token.to_string();
        // the second writer read the first one's entry before writing: both are in the index
        assert!(app.find(&tb, now).is_some(), "a token published elsewhere is found");
        assert!(cli.find(&ta, now).is_some());
        assert_eq!(Store::open(&dir).unwrap().entries().len(), 2);
        let left: Vec<_> = std::fs::read_dir(dir.join(SHARE_DIR)).unwrap().flatten().map(|e| e.file_name()).collect();
        assert!(left.iter().all(|n| !n.to_string_lossy().ends_with(".tmp")), "{left:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn only_regular_files_directly_inside_the_folder_are_published() {
        let dir = folder("inside");
        let sub = dir.join("sub");
        std::fs::create_dir_all(&sub).unwrap();
        let deep = kept(&sub, "deep.png", b"x");
        let mut store = Store::open(&dir).unwrap();
        let now = SystemTime::now();
        let e = store.publish(&[deep], Kind::Photo, None, Some(HOUR), now).unwrap_err().to_string();
        assert!(e.contains("deep.png") && e.contains("directly inside"), "{e}");
        let e = store.publish(std::slice::from_ref(&sub), Kind::Photo, None, Some(HOUR), now).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        #[cfg(unix)]
        {
            let outside = kept(&sub, "secret.txt", b"secret");
            let link = dir.join("link.png");
            std::os::unix::fs::symlink(&outside, &link).unwrap();
            let e = store.publish(&[link], Kind::Photo, None, Some(HOUR), now).unwrap_err().to_string();
            assert!(e.contains("not a regular file"), "{e}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_hand_edited_index_never_opens_a_path_outside_the_folder() {
        let dir = folder("edited");
        std::fs::create_dir_all(dir.join(SHARE_DIR)).unwrap();
        let token = Token::new().unwrap().to_string();
        let index = format!(
            r#"{{"version":1,"entries":[{{"token":"{token}","kind":"photo","files":["../../etc/passwd"],"created":0,"expires":99999999999}}]}}"#
        );
        std::fs::write(dir.join(SHARE_DIR).join(INDEX), index).unwrap();
        let mut store = Store::open(&dir).unwrap();
        assert!(store.entries().is_empty());
        assert!(store.find(&token, SystemTime::now()).is_none());
        std::fs::write(dir.join(SHARE_DIR).join(INDEX), "{ not json").unwrap();
        let e = Store::open(&dir).unwrap_err().to_string();
        assert!(e.contains("index.json") && e.contains("not a share index"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn retention_deletes_old_files_and_their_links() {
        let dir = folder("retention");
        let now = SystemTime::now();
        let old = kept(&dir, "old.png", b"old");
        let gif = kept(&dir, "b.gif", b"gif");
        let mp4 = kept(&dir, "b.mp4", b"mp4");
        let new = kept(&dir, "new.png", b"new");
        let unrelated = kept(&dir, "operator-notes.txt", b"keep me");
        let mut store = Store::open(&dir).unwrap();
        let t_old = store.publish(std::slice::from_ref(&old), Kind::Photo, Some(b"p"), Some(HOUR), now).unwrap().token;
        let t_b = store.publish(&[gif.clone(), mp4.clone()], Kind::Boomerang, None, None, now).unwrap().token;
        let later = now + 50 * HOUR;
        let t_new =
            store.publish(std::slice::from_ref(&new), Kind::Photo, Some(b"p"), Some(HOUR), later).unwrap().token;
        let swept = store.sweep(Some(48 * HOUR), later).unwrap();
        assert_eq!(swept.deleted.len(), 3, "{swept:?}");
        assert!(!old.exists() && !gif.exists() && !mp4.exists());
        assert!(new.exists() && unrelated.exists(), "newer files and files the booth did not keep stay");
        assert!(store.find(&t_old.to_string(), now).is_none(), "the link went with the file");
        assert!(Store::open(&dir).unwrap().find(&t_b.to_string(), now).is_none());
        assert!(store.find(&t_new.to_string(), later).is_some());
        // an hour later the new link ends: its preview goes, the file stays until retention
        let swept = store.sweep(Some(48 * HOUR), later + HOUR).unwrap();
        assert_eq!((swept.links_ended, swept.deleted.len()), (1, 0));
        assert!(new.exists());
        let previews: Vec<_> = std::fs::read_dir(dir.join(SHARE_DIR).join(PREVIEWS)).unwrap().collect();
        assert!(previews.is_empty(), "{previews:?}");
        // without retention, an entry whose link ended is forgotten and its file stays
        store.sweep(None, later + 2 * HOUR).unwrap();
        assert!(store.entries().is_empty() && new.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn previews_fit_a_phone_and_never_grow() {
        let strip = RgbImage::from_pixel(672, 2754, image::Rgb([250, 240, 230]));
        let jpeg = preview_jpeg(&strip).unwrap();
        let back = image::load_from_memory(&jpeg).unwrap();
        assert!(back.width() <= PREVIEW_MAX[0] && back.height() <= PREVIEW_MAX[1]);
        assert_eq!(back.height(), 2400);
        let small = RgbImage::from_pixel(320, 240, image::Rgb([1, 2, 3]));
        let back = image::load_from_memory(&preview_jpeg(&small).unwrap()).unwrap();
        assert_eq!((back.width(), back.height()), (320, 240));
    }
}
