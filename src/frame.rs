//! The unit that travels through the pipeline: one captured RGB picture with its capture time and
//! sequence number.
//!
//! In: filled by a source on the capture thread. Out: read by the perception worker, returned to
//! the [`crate::ring::FrameRing`] pool so its pixel buffer is reused (no allocation per frame).

use std::time::{Duration, Instant};

/// One captured picture, RGB8 packed (`rgb.len() == width * height * 3`), sRGB, top-left origin.
#[derive(Clone)]
pub struct Frame {
    /// Monotonic sequence number given by the source; gaps mean frames the source itself skipped.
    pub seq: u64,
    /// When the source produced the frame (monotonic clock). End-to-end latency starts here.
    pub captured_at: Instant,
    /// Media time of the frame: position in a video file, time since start for live sources.
    pub pts: Duration,
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("seq", &self.seq)
            .field("pts", &self.pts)
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

impl Default for Frame {
    fn default() -> Self {
        Self::empty()
    }
}

impl Frame {
    /// A frame with no pixels; sources size it on first use.
    pub fn empty() -> Self {
        Self { seq: 0, captured_at: Instant::now(), pts: Duration::ZERO, width: 0, height: 0, rgb: Vec::new() }
    }

    /// A frame holding a copy of `rgb` (tests, still images).
    pub fn from_rgb(width: u32, height: u32, rgb: Vec<u8>) -> Self {
        assert_eq!(rgb.len(), width as usize * height as usize * 3, "rgb buffer size");
        Self { seq: 0, captured_at: Instant::now(), pts: Duration::ZERO, width, height, rgb }
    }

    /// Resize the pixel buffer for `width` x `height`; reuses the allocation when it is big enough.
    pub fn ensure_size(&mut self, width: u32, height: u32) {
        self.width = width;
        self.height = height;
        self.rgb.resize(width as usize * height as usize * 3, 0);
    }

    /// RGB of pixel (x, y); panics outside the frame.
    #[inline]
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// Copy into an `image` crate buffer (for saving; allocates).
    pub fn to_image(&self) -> image::RgbImage {
        image::RgbImage::from_raw(self.width, self.height, self.rgb.clone()).expect("frame buffer size")
    }
}
