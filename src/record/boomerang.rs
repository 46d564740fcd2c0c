//! The boomerang: about two seconds of the live output played forward, then backward, looping:
//! an animated GIF small enough for a phone on a weak network, and the same motion as an MP4
//! at the frame's full size.
//!
//! In: the grabbed frames (RGB8, full size) with their times since the first one. Out: the GIF
//! ([`GIF_WIDTH`] wide, one palette of 255 colours shared by every frame so nothing flickers, a
//! frame keeping the previous one's pixels where they did not change, looping forever, each
//! frame shown as long as it lasted live) and the MP4 ([`super::VideoWriter`], pts following
//! the capture times forward and mirrored back). Both are written on the window's "keeper"
//! thread; the GIF under a temporary name first, then renamed.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use image::{RgbImage, imageops};

use super::photo::KeepError;
use super::{Fps, RecordError, VideoWriter, WriterStats};

/// How long a boomerang records, seconds.
pub const SECONDS: f64 = 2.0;
/// The shortest time between two frames taken for it: about 14 a second.
pub const FRAME_INTERVAL: Duration = Duration::from_millis(70);
/// Most frames it takes (a fast pipeline still stops here).
pub const MAX_FRAMES: usize = 32;
/// Width of the GIF, pixels (the height keeps the frame's aspect).
pub const GIF_WIDTH: u32 = 480;
/// Palette index meaning "as in the previous frame".
const UNCHANGED: u8 = 255;

/// The order frames play in: forward, then backward without repeating either end.
pub fn play_order(n: usize) -> impl Iterator<Item = usize> {
    (0..n).chain((1..n.saturating_sub(1)).rev())
}

/// What the GIF holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GifSummary {
    pub width: u32,
    pub height: u32,
    /// Frames in the file (forward and back).
    pub frames: usize,
    pub bytes: u64,
}

/// How long each frame was on screen live, in the GIF's hundredths of a second (2..=50).
fn delays_cs(times: &[Duration]) -> Vec<u16> {
    let mut out: Vec<u16> = times
        .windows(2)
        .map(|w| ((w[1].saturating_sub(w[0]).as_secs_f64() * 100.0).round() as u16).clamp(2, 50))
        .collect();
    out.push(out.last().copied().unwrap_or(7));
    out
}

/// Writes the boomerang GIF of `frames` (times since the first, pictures) to `path`.
pub fn write_gif(frames: &[(Duration, RgbImage)], path: &Path) -> Result<GifSummary, KeepError> {
    let encode_err = |reason: String| KeepError::Encode { path: path.to_path_buf(), reason };
    let first = frames.first().ok_or_else(|| encode_err("no frames".into()))?;
    let (w0, h0) = first.1.dimensions();
    let width = GIF_WIDTH.min(w0).max(2);
    let height = ((u64::from(h0) * u64::from(width) / u64::from(w0.max(1))) as u32).max(2);
    if width > u32::from(u16::MAX) || height > u32::from(u16::MAX) {
        return Err(encode_err(format!("{width}x{height} is too large for a GIF")));
    }
    let small: Vec<RgbImage> = frames
        .iter()
        .map(|(_, p)| {
            if p.dimensions() == (width, height) {
                p.clone()
            } else {
                imageops::resize(p, width, height, imageops::FilterType::Triangle)
            }
        })
        .collect();

    // one palette for every frame, learnt from a sample of all of them (255 colours: the last
    // index is "unchanged")
    let pixels = (width * height) as usize;
    let step = (pixels * small.len() / 300_000).max(1);
    let mut sample = Vec::with_capacity(pixels * small.len() / step * 4 + 4);
    for (k, p) in small.iter().enumerate() {
        for px in p.as_raw().chunks_exact(3).skip(k % step).step_by(step) {
            sample.extend_from_slice(&[px[0], px[1], px[2], 255]);
        }
    }
    let quant = color_quant::NeuQuant::new(10, 255, &sample);
    let mut palette = quant.color_map_rgb();
    palette.resize(256 * 3, 0);
    // colours looked up once per 5-bit cell
    let mut cells = vec![u16::MAX; 1 << 15];
    let indexed: Vec<Vec<u8>> = small
        .iter()
        .map(|p| {
            p.as_raw()
                .chunks_exact(3)
                .map(|px| {
                    let cell =
                        (usize::from(px[0] >> 3) << 10) | (usize::from(px[1] >> 3) << 5) | usize::from(px[2] >> 3);
                    if cells[cell] == u16::MAX {
                        let centre = [px[0] | 4, px[1] | 4, px[2] | 4, 255];
                        cells[cell] = quant.index_of(&centre) as u16;
                    }
                    cells[cell] as u8
                })
                .collect()
        })
        .collect();

    let times: Vec<Duration> = frames.iter().map(|(t, _)| *t).collect();
    let delays = delays_cs(&times);
    let partial = path.with_file_name(format!(
        ".{}.partial",
        path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    ));
    let write_err = |io| KeepError::Write { path: path.to_path_buf(), io };
    let gif_err = |e: gif::EncodingError| match e {
        gif::EncodingError::Io(io) => write_err(io),
        other => encode_err(other.to_string()),
    };
    let mut count = 0;
    let result = (|| -> Result<(), KeepError> {
        let file = std::fs::File::create(&partial).map_err(write_err)?;
        let out = std::io::BufWriter::new(file);
        let mut encoder = gif::Encoder::new(out, width as u16, height as u16, &palette).map_err(gif_err)?;
        encoder.set_repeat(gif::Repeat::Infinite).map_err(gif_err)?;
        let mut shown: Option<usize> = None;
        let mut buffer = vec![0u8; pixels];
        for k in play_order(indexed.len()) {
            // pixels equal to the frame on screen are left transparent: long runs LZW packs small
            let transparent = match shown {
                Some(prev) => {
                    for ((b, &now), &before) in buffer.iter_mut().zip(&indexed[k]).zip(&indexed[prev]) {
                        *b = if now == before { UNCHANGED } else { now };
                    }
                    Some(UNCHANGED)
                }
                None => {
                    buffer.copy_from_slice(&indexed[k]);
                    None
                }
            };
            let mut frame =
                gif::Frame::from_indexed_pixels(width as u16, height as u16, buffer.as_slice(), transparent);
            frame.delay = delays[k];
            frame.dispose = gif::DisposalMethod::Keep;
            encoder.write_frame(&frame).map_err(gif_err)?;
            shown = Some(k);
            count += 1;
        }
        let mut out = encoder.into_inner().map_err(gif_err)?;
        out.flush().map_err(write_err)?;
        out.get_ref().sync_all().map_err(write_err)?;
        std::fs::rename(&partial, path).map_err(write_err)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(GifSummary { width, height, frames: count, bytes })
}

/// Writes the boomerang as an H.264 MP4 at the frames' own size: forward at the capture times,
/// then backward mirrored in time.
pub fn write_mp4(frames: &[(Duration, RgbImage)], path: &Path) -> Result<WriterStats, RecordError> {
    let (w, h) = frames.first().map(|(_, p)| p.dimensions()).ok_or(RecordError::NoFrames { path: path.into() })?;
    let span = frames.last().map_or(Duration::ZERO, |(t, _)| *t);
    let mean = span.as_secs_f64() / (frames.len().max(2) - 1) as f64;
    let fps = Fps::from_f64((1.0 / mean.max(0.02)).clamp(1.0, 60.0))
        .or_else(|| Fps::integer(14))
        .ok_or_else(|| RecordError::Fps { path: path.into(), fps: format!("{:.2}", 1.0 / mean) })?;
    let mut writer = VideoWriter::create(path, w, h, fps, None)?;
    let n = frames.len();
    for (i, k) in play_order(n).enumerate() {
        let pts = if i < n { frames[k].0 } else { span + span.saturating_sub(frames[k].0) };
        writer.push(frames[k].1.as_raw(), pts)?;
    }
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_then_back_without_repeating_the_ends() {
        assert_eq!(play_order(4).collect::<Vec<_>>(), vec![0, 1, 2, 3, 2, 1]);
        assert_eq!(play_order(1).collect::<Vec<_>>(), vec![0]);
        assert_eq!(play_order(2).collect::<Vec<_>>(), vec![0, 1]);
        let ms = |v: &[u64]| v.iter().map(|&m| Duration::from_millis(m)).collect::<Vec<_>>();
        assert_eq!(delays_cs(&ms(&[0, 70, 140, 300])), vec![7, 7, 16, 16]);
        assert_eq!(delays_cs(&ms(&[0, 1, 5000])), vec![2, 50, 50]);
    }
}
