//! File names for what the booth keeps: clips, photos, four-cut strips and boomerangs, named with the local
//! date and time and the characters worn, never overwriting a file.
//!
//! In: the output folder, what is kept, the characters' ids, the moment. Out: a free path, e.g.
//! `webtoonme_2026-12-03_16-55-12_haru+kang_strip.png`. Any thread.

use std::path::{Path, PathBuf};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keepsake {
    Clip,
    Photo,
    Strip,
    /// The GIF; its MP4 takes the same name with `.mp4` ([`companion`]).
    Boomerang,
}

impl Keepsake {
    fn suffix(self) -> &'static str {
        match self {
            Keepsake::Clip => ".mp4",
            Keepsake::Photo => "_photo.png",
            Keepsake::Strip => "_strip.png",
            Keepsake::Boomerang => "_boomerang.gif",
        }
    }
}

/// The name for `kind` taken at `at` (local time) wearing `characters` (ids, in the order given,
/// each once), in `folder`: "NAME (2)", "NAME (3)", ... when the name is taken.
pub fn keepsake_path(
    folder: &Path,
    kind: Keepsake,
    characters: &[&str],
    at: chrono::DateTime<chrono::Local>,
) -> PathBuf {
    let mut worn: Vec<&str> = Vec::with_capacity(characters.len());
    for id in characters {
        if !worn.contains(id) {
            worn.push(id);
        }
    }
    // ids are [a-z0-9_-] (checked when packs load); anything else is left out of the name
    let worn: Vec<String> = worn
        .iter()
        .map(|id| id.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-')).collect::<String>())
        .filter(|id| !id.is_empty())
        .collect();
    let mut name = format!("webtoonme_{}", at.format("%Y-%m-%d_%H-%M-%S"));
    if !worn.is_empty() {
        name.push('_');
        name.push_str(&worn.join("+"));
    }
    name.push_str(kind.suffix());
    unique_path(&folder.join(name))
}

/// The file beside `path` with extension `ext` (a boomerang's MP4 beside its GIF); when that
/// name is taken, the first free "NAME (2).EXT", ...
pub fn companion(path: &Path, ext: &str) -> PathBuf {
    unique_path(&path.with_extension(ext))
}

/// `path` if nothing is there, else the first free "NAME (2).EXT", "NAME (3).EXT", ...
pub fn unique_path(path: &Path) -> PathBuf {
    if !path.exists() {
        return path.to_path_buf();
    }
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    (2u32..).map(|n| path.with_file_name(format!("{stem} ({n}){ext}"))).find(|p| !p.exists()).expect("a free name")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn names_say_when_and_who_and_never_repeat() {
        let dir = std::env::temp_dir().join(format!("webtoonme-names-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let at = chrono::Local.with_ymd_and_hms(2026, 12, 3, 16, 5, 9).unwrap();
        let clip = keepsake_path(&dir, Keepsake::Clip, &["haru", "kang", "haru"], at);
        assert_eq!(clip.file_name().unwrap(), "webtoonme_2026-12-03_16-05-09_haru+kang.mp4");
        std::fs::write(&clip, b"taken").unwrap();
        let again = keepsake_path(&dir, Keepsake::Clip, &["haru", "kang"], at);
        assert_eq!(again.file_name().unwrap(), "webtoonme_2026-12-03_16-05-09_haru+kang (2).mp4");
        let strip = keepsake_path(&dir, Keepsake::Strip, &[], at);
        assert_eq!(strip.file_name().unwrap(), "webtoonme_2026-12-03_16-05-09_strip.png");
        let gif = keepsake_path(&dir, Keepsake::Boomerang, &["rei"], at);
        assert_eq!(gif.file_name().unwrap(), "webtoonme_2026-12-03_16-05-09_rei_boomerang.gif");
        assert_eq!(companion(&gif, "mp4").file_name().unwrap(), "webtoonme_2026-12-03_16-05-09_rei_boomerang.mp4");
        let photo = keepsake_path(&dir, Keepsake::Photo, &["../x"], at);
        assert_eq!(photo.file_name().unwrap(), "webtoonme_2026-12-03_16-05-09_x_photo.png");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
