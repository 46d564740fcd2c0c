//! QR codes for share links: the modules (from the `qrcode` crate, error correction level M: a
//! screen photographed at an angle still scans), drawn by us as a picture with the standard
//! four-module quiet zone, black on white.
//!
//! In: the link's text. Out: a [`QrCode`]: an RGBA picture one pixel per module for an egui
//! texture (the window draws it scaled with nearest filtering), or a PNG with whole pixels per
//! module (`webtoonme share --qr`). Any thread.

use std::path::Path;

use image::{GrayImage, Luma};

/// Light modules around the code, in modules (the QR standard's minimum).
pub const QUIET_ZONE: usize = 4;

/// A QR code's modules.
#[derive(Debug, Clone, PartialEq)]
pub struct QrCode {
    /// Modules per side, without the quiet zone.
    width: usize,
    /// Row by row, true = dark.
    dark: Vec<bool>,
}

impl QrCode {
    /// The code for `text` (error correction M).
    pub fn new(text: &str) -> Result<QrCode, String> {
        let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
            .map_err(|e| format!("cannot make a QR code of {} characters: {e}", text.len()))?;
        Ok(QrCode {
            width: code.width(),
            dark: code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect(),
        })
    }

    /// Modules per side, with the quiet zone on both sides.
    pub fn side(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    /// Whether the module at (x, y) is dark; the quiet zone and beyond are light.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        let (x, y) = (x.wrapping_sub(QUIET_ZONE), y.wrapping_sub(QUIET_ZONE));
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }

    /// One RGBA pixel per module, quiet zone included (`side() x side()`).
    pub fn to_rgba(&self) -> Vec<u8> {
        let side = self.side();
        let mut out = Vec::with_capacity(side * side * 4);
        for y in 0..side {
            for x in 0..side {
                let v = if self.is_dark(x, y) { 0 } else { 255 };
                out.extend_from_slice(&[v, v, v, 255]);
            }
        }
        out
    }

    /// A grey picture with `module_px` pixels per module, quiet zone included.
    pub fn to_image(&self, module_px: u32) -> GrayImage {
        let px = module_px.max(1);
        let side = self.side() as u32 * px;
        GrayImage::from_fn(side, side, |x, y| {
            Luma([if self.is_dark((x / px) as usize, (y / px) as usize) { 0 } else { 255 }])
        })
    }

    /// Writes [`QrCode::to_image`] as a PNG (the folder must exist).
    pub fn save_png(&self, path: &Path, module_px: u32) -> Result<(), String> {
        self.to_image(module_px)
            .save_with_format(path, image::ImageFormat::Png)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_link_makes_a_small_code_with_a_quiet_zone() {
        let url = "http://192.168.100.200:8080/k/AbCdEfGhIjKlMnOpQrStUv";
        let code = QrCode::new(url).unwrap();
        // version 3 or 4 at level M: 29 or 33 modules, big on a screen and quick to scan
        assert!(code.width <= 33, "{} modules", code.width);
        assert_eq!(code.side(), code.width + 8);
        // the finder pattern's corner is dark, the quiet zone light
        assert!(code.is_dark(QUIET_ZONE, QUIET_ZONE));
        assert!(!code.is_dark(0, 0) && !code.is_dark(code.side() - 1, code.side() - 1));
        let img = code.to_image(6);
        assert_eq!(img.width() as usize, code.side() * 6);
        assert_eq!(img.get_pixel(0, 0).0, [255]);
        assert_eq!(img.get_pixel(4 * 6 + 2, 4 * 6 + 2).0, [0]);
        assert_eq!(code.to_rgba().len(), code.side() * code.side() * 4);
    }
}
