//! Photos: the stylized frame at full resolution as a PNG, optionally with the camera picture
//! beside it; and the one way the booth writes a picture file (a temporary name in the same
//! folder, then a rename: a half-written PNG never carries the final name).
//!
//! In: RGB8 pictures. Out: PNG files. Runs on the window's "keeper" thread (PNG encoding of a
//! 1280x720 frame takes tens of milliseconds) or the caller's.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use image::{ImageEncoder as _, RgbImage, imageops};

/// Space between the camera picture and the stylized one, pixels.
const BESIDE_GAP: u32 = 16;
/// Colour of that gap (the window's background).
const GAP_RGB: [u8; 3] = [16, 16, 22];

#[derive(Debug, thiserror::Error)]
pub enum KeepError {
    #[error("cannot write {}: {io}{}", path.display(), full_note(io))]
    Write { path: PathBuf, io: std::io::Error },
    #[error("{}: cannot encode the picture: {reason}", path.display())]
    Encode { path: PathBuf, reason: String },
    #[error("{}: {reason}", path.display())]
    Style { path: PathBuf, reason: String },
}

fn full_note(io: &std::io::Error) -> &'static str {
    const ENOSPC: i32 = 28;
    if io.kind() == std::io::ErrorKind::StorageFull || io.raw_os_error() == Some(ENOSPC) { " (disk full)" } else { "" }
}

/// The photo: `stylized` alone, or `original | stylized` side by side (`original` scaled to the
/// stylized frame's height when their sizes differ).
pub fn photo(stylized: &RgbImage, original: Option<&RgbImage>) -> RgbImage {
    let Some(original) = original else { return stylized.clone() };
    let (w, h) = stylized.dimensions();
    let original = if original.height() == h {
        original.clone()
    } else {
        let ow = (original.width() as u64 * h as u64 / original.height().max(1) as u64).max(1) as u32;
        imageops::resize(original, ow, h, imageops::FilterType::CatmullRom)
    };
    let mut out = RgbImage::from_pixel(original.width() + BESIDE_GAP + w, h, image::Rgb(GAP_RGB));
    imageops::replace(&mut out, &original, 0, 0);
    imageops::replace(&mut out, stylized, (original.width() + BESIDE_GAP) as i64, 0);
    out
}

/// Writes `img` as a PNG at `path` (the folder is created): to a temporary file beside it first,
/// synced, then renamed into place.
pub fn save_png(img: &RgbImage, path: &Path) -> Result<(), KeepError> {
    let write_err = |io| KeepError::Write { path: path.to_path_buf(), io };
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(write_err)?;
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let partial = path.with_file_name(format!(".{name}.partial"));
    let result = (|| {
        let file = std::fs::File::create(&partial).map_err(write_err)?;
        let mut out = std::io::BufWriter::new(file);
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgb8)
            .map_err(|e| match e {
                image::ImageError::IoError(io) => write_err(io),
                other => KeepError::Encode { path: path.to_path_buf(), reason: other.to_string() },
            })?;
        out.flush().map_err(write_err)?;
        out.get_ref().sync_all().map_err(write_err)?;
        std::fs::rename(&partial, path).map_err(write_err)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beside_puts_the_camera_picture_left_at_the_same_height() {
        let stylized = RgbImage::from_pixel(40, 20, image::Rgb([200, 10, 10]));
        let original = RgbImage::from_pixel(20, 10, image::Rgb([10, 10, 200]));
        let out = photo(&stylized, Some(&original));
        assert_eq!(out.dimensions(), (40 + BESIDE_GAP + 40, 20));
        assert_eq!(out.get_pixel(5, 5).0, [10, 10, 200]);
        assert_eq!(out.get_pixel(40 + BESIDE_GAP / 2, 5).0, GAP_RGB);
        assert_eq!(out.get_pixel(40 + BESIDE_GAP + 5, 5).0, [200, 10, 10]);
        assert_eq!(photo(&stylized, None), stylized);
    }

    #[test]
    fn a_png_appears_whole_or_not_at_all() {
        let dir = std::env::temp_dir().join(format!("webtoonme-photo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("sub").join("p.png");
        let img = RgbImage::from_fn(33, 17, |x, y| image::Rgb([x as u8 * 7, y as u8 * 13, 99]));
        save_png(&img, &path).unwrap();
        assert_eq!(image::open(&path).unwrap().into_rgb8(), img);
        let left: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from("p.png")], "no temporary file is left");
        // a folder that cannot be created is an error naming the file
        let blocked = dir.join("file");
        std::fs::write(&blocked, b"x").unwrap();
        let e = save_png(&img, &blocked.join("p.png")).unwrap_err();
        assert!(e.to_string().contains("p.png"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
