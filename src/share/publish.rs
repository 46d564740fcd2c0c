//! Publishing one kept file: what kind of keepsake it is (from the booth's file names), which
//! files go with it (a boomerang's MP4 beside its GIF), its phone-sized preview, and the link.
//! The window's keeper and `webtoonme share` both publish through here.
//!
//! In: the kept file (and its picture when the caller has it in memory: no decoding again), the
//! store, the link's lifetime and the server's base URL. Out: a [`Link`]. Runs on the caller's
//! thread (the window's "keeper"; main for `webtoonme share`): the preview is made before the
//! store's lock is taken.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use image::RgbImage;

use super::page::{self, Route};
use super::store::{Kind, SharedStore, preview_jpeg};
use super::token::Token;

/// A published keepsake's link.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub token: Token,
    pub kind: Kind,
    /// The page's URL (None: published without a server, or only kept for retention).
    pub url: Option<String>,
    /// When the link ends (None: it has none).
    pub expires: Option<SystemTime>,
}

/// `base` + the page's path: `http://192.168.1.20:8080/k/TOKEN`.
pub fn url(base: &str, token: &Token) -> String {
    format!("{}{}", base.trim_end_matches('/'), page::path(&token.to_string(), Route::Page))
}

/// `t` in RFC 3339, UTC, whole seconds: `2026-12-05T08:00:00Z`.
pub fn rfc3339(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The kind of keepsake `path` holds and the files that go with it: `*_strip.png` a strip, other
/// PNG and JPEG pictures photos, MP4 a clip, GIF a boomerang (with the MP4 of the same name when
/// there is one).
pub fn kind_of(path: &Path) -> Result<(Kind, Vec<PathBuf>), String> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "png" | "jpg" | "jpeg" if name.contains("_strip") => Ok((Kind::Strip, vec![path.to_path_buf()])),
        "png" | "jpg" | "jpeg" => Ok((Kind::Photo, vec![path.to_path_buf()])),
        "mp4" => Ok((Kind::Clip, vec![path.to_path_buf()])),
        "gif" => {
            let mp4 = path.with_extension("mp4");
            let mut files = vec![path.to_path_buf()];
            if mp4.is_file() {
                files.push(mp4);
            }
            Ok((Kind::Boomerang, files))
        }
        _ => Err(format!("{}: only PNG and JPEG pictures, MP4 clips and GIF boomerangs are shared", path.display())),
    }
}

/// Publishes `files` (the first is the keepsake) as `kind` in `store`: a preview from `picture`
/// (photos and strips; decoded from the file when None), a link for `link` when given, its URL
/// on `base` when given.
pub fn publish(
    store: &SharedStore,
    files: &[PathBuf],
    kind: Kind,
    picture: Option<&RgbImage>,
    link: Option<Duration>,
    base: Option<&str>,
) -> Result<Link, String> {
    let first = files.first().ok_or("nothing to publish")?;
    let preview = match (kind, link) {
        (Kind::Photo | Kind::Strip, Some(_)) => {
            let decoded;
            let picture = match picture {
                Some(p) => p,
                None => {
                    decoded = image::open(first).map_err(|e| format!("{}: {e}", first.display()))?.into_rgb8();
                    &decoded
                }
            };
            Some(preview_jpeg(picture).map_err(|e| format!("{}: {e}", first.display()))?)
        }
        _ => None,
    };
    let published = {
        let mut store = store.lock().map_err(|_| "the share store is broken (a thread panicked)".to_string())?;
        store.publish(files, kind, preview.as_deref(), link, SystemTime::now()).map_err(|e| e.to_string())?
    };
    let url = match (base, published.expires) {
        (Some(base), Some(_)) => Some(url(base, &published.token)),
        _ => None,
    };
    Ok(Link { token: published.token, kind, url, expires: published.expires })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_booths_file_names() {
        let k = |p: &str| kind_of(Path::new(p)).map(|(k, f)| (k, f.len()));
        assert_eq!(k("/x/webtoonme_2026_haru_strip.png"), Ok((Kind::Strip, 1)));
        assert_eq!(k("/x/webtoonme_2026_haru_photo.png"), Ok((Kind::Photo, 1)));
        assert_eq!(k("/x/me.JPG"), Ok((Kind::Photo, 1)));
        assert_eq!(k("/x/webtoonme_2026_haru.mp4"), Ok((Kind::Clip, 1)));
        assert_eq!(k("/x/webtoonme_2026_haru_boomerang.gif"), Ok((Kind::Boomerang, 1)));
        assert!(k("/x/notes.txt").unwrap_err().contains("only PNG"));
        assert_eq!(rfc3339(std::time::UNIX_EPOCH + Duration::from_secs(86400)), "1970-01-02T00:00:00Z");
    }
}
