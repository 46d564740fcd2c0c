//! Still images as a source (`--source image:PATH`) and the one image loader the CLI uses.
//!
//! In: a PNG or JPEG path. Out: the picture, upright (EXIF orientation applied), as RGB8; as a
//! source it repeats that picture at 30 fps. Runs on the capture thread (source) or the caller's
//! thread (`load_rgb`).

use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};

use super::{FrameSource, SourceError, SourceInfo};
use crate::frame::Frame;

/// Largest picture accepted (pixels): bigger files are refused before decoding, so a hostile
/// header cannot make the app allocate gigabytes.
pub const MAX_PIXELS: u64 = 100_000_000;

/// Load an image file as upright RGB8. Every failure names the file and what is wrong.
pub fn load_rgb(path: &Path) -> Result<RgbImage, SourceError> {
    let err = |reason: String| SourceError::File { path: path.to_path_buf(), reason };
    let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot open: {}", io_reason(&e))))?;
    if meta.is_dir() {
        return Err(err("is a folder, not an image file".into()));
    }
    let reader = ImageReader::open(path)
        .map_err(|e| err(format!("cannot open: {}", io_reason(&e))))?
        .with_guessed_format()
        .map_err(|e| err(format!("cannot read: {e}")))?;
    if reader.format().is_none() {
        return Err(err("not an image (expected PNG or JPEG)".into()));
    }
    let mut decoder = reader.into_decoder().map_err(|e| err(format!("not a readable image: {e}")))?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(err(format!("image size {w}x{h} is outside 1x1..{MAX_PIXELS} pixels")));
    }
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| err(format!("corrupt or truncated image: {e}")))?;
    img.apply_orientation(orientation);
    Ok(img.into_rgb8())
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// One picture, repeated.
pub struct ImageSource {
    info: SourceInfo,
    rgb: Vec<u8>,
    index: u64,
}

impl ImageSource {
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        let img = load_rgb(path)?;
        let name =
            path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
        Ok(Self::from_rgb(name, img))
    }

    pub fn from_rgb(name: String, img: RgbImage) -> Self {
        let info =
            SourceInfo { name, width: img.width(), height: img.height(), fps: 30.0, frame_count: None, live: false };
        Self { info, rgb: img.into_raw(), index: 0 }
    }

    pub fn path_hint(&self) -> PathBuf {
        PathBuf::from(&self.info.name)
    }
}

impl FrameSource for ImageSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn next_frame(&mut self, frame: &mut Frame) -> Result<bool, SourceError> {
        frame.ensure_size(self.info.width, self.info.height);
        frame.rgb.copy_from_slice(&self.rgb);
        frame.pts = std::time::Duration::from_secs_f64(self.index as f64 / self.info.fps);
        self.index += 1;
        Ok(true)
    }
}
