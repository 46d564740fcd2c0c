//! H.264 encoding of RGB frames with openh264: RGB8 -> I420 (BT.601 limited range) -> Constrained
//! Baseline access units in MP4 form (4-byte NAL lengths, SPS/PPS kept aside for the `avcC`).
//!
//! In: one packed RGB8 picture per call (the size given at creation). Out: a borrowed sample (the
//! NAL units of one frame, length-prefixed) with its sync flag; the parameter sets once the first
//! frame is encoded. Runs on the thread that owns the [`super::VideoWriter`] (the caller's thread
//! for `webtoonme video`, the recorder thread for clips); the encoder runs single-threaded.
//!
//! Colour: Y'CbCr from sRGB with the BT.601 matrix, limited range (Y 16-235, C 16-240), chroma
//! from the rounded mean of each 2x2 block. This is the inverse of what the project's
//! [`crate::source::video::VideoSource`] (openh264's `write_rgb8`) and common players assume for
//! H.264 without other signalling; the SPS also says so in its VUI (SMPTE 170M, limited range).
//! Odd widths/heights are padded to even with copies of the last column/row: H.264 4:2:0 cannot
//! crop to an odd size, so the coded (and decoded) picture is one pixel wider/taller.
//! No per-frame allocation: the I420 planes and the sample buffer are reused.
//!
//! Rate control: openh264's bitrate mode with frame skipping off, so every pushed frame becomes a
//! sample. openh264 says so on stderr once per encoder ("bEnableFrameSkip = 0, bitrate can't be
//! controlled ... without enabling skip frame"): its log level can only be set after that message
//! (the crate offers no earlier hook without `unsafe`). The bitrate is still followed closely
//! (4.4 Mbit/s for a 5 Mbit/s target on the 720p test clip); only hard overshoot limiting is off.

use openh264::OpenH264API;
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, FrameType, IntraFramePeriod, Profile, RateControlMode,
    UsageType, VuiConfig,
};
use openh264::formats::YUVSlices;

/// Bits per pixel per frame for the automatic bitrate: 5 Mbit/s at 1280x720, 30 fps.
const AUTO_BITS_PER_PIXEL: f64 = 5_000_000.0 / (1280.0 * 720.0 * 30.0);
/// Floor of the automatic bitrate (small pictures still need a few bits per frame).
const AUTO_MIN_BITRATE: u32 = 800_000;
/// openh264's smallest picture side.
pub(crate) const MIN_SIDE: u32 = 16;
/// openh264's limit: 3840x2160 either way round.
pub(crate) const MAX_LONG_SIDE: u32 = 3840;
pub(crate) const MAX_SHORT_SIDE: u32 = 2160;

/// Encoder settings derived from the writer's configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EncoderSettings {
    pub bitrate: u32,
    pub fps: f64,
    /// Frames between IDR pictures.
    pub keyframe_period: u32,
}

/// The automatic bitrate for a picture size and rate (about 5 Mbit/s at 720p30).
pub(crate) fn auto_bitrate(width: u32, height: u32, fps: f64) -> u32 {
    let bps = AUTO_BITS_PER_PIXEL * f64::from(width) * f64::from(height) * fps.max(1.0);
    (bps.round() as u32).clamp(AUTO_MIN_BITRATE, 50_000_000)
}

/// One encoded frame, borrowed from the encoder until the next call.
#[derive(Debug)]
pub(crate) struct EncodedFrame<'a> {
    /// NAL units with 4-byte big-endian lengths (MP4 sample format), SPS/PPS removed.
    pub data: &'a [u8],
    /// An IDR picture: decoding can start here.
    pub sync: bool,
}

pub(crate) struct H264Encoder {
    width: usize,
    height: usize,
    coded_width: usize,
    coded_height: usize,
    /// I420 planes of the coded size, one allocation: Y, then U, then V.
    yuv: Vec<u8>,
    encoder: Encoder,
    sample: Vec<u8>,
    sps: Vec<u8>,
    pps: Vec<u8>,
}

impl H264Encoder {
    /// An encoder for `width` x `height` RGB frames (both > 0; the caller checks the limits).
    pub fn new(width: u32, height: u32, settings: EncoderSettings) -> Result<Self, String> {
        let (width, height) = (width as usize, height as usize);
        let (coded_width, coded_height) = (width.next_multiple_of(2), height.next_multiple_of(2));
        let config = EncoderConfig::new()
            .profile(Profile::Baseline)
            .usage_type(UsageType::CameraVideoRealTime)
            .rate_control_mode(RateControlMode::Bitrate)
            .bitrate(BitRate::from_bps(settings.bitrate))
            .max_frame_rate(FrameRate::from_hz(settings.fps as f32))
            // Every pushed frame must become a sample: no rate-control skips.
            .skip_frames(false)
            .intra_frame_period(IntraFramePeriod::from_num_frames(settings.keyframe_period.max(1)))
            .complexity(Complexity::Medium)
            .num_threads(1)
            .vui(VuiConfig::bt601());
        let encoder = Encoder::with_api_config(OpenH264API::from_source(), config)
            .map_err(|e| format!("cannot start openh264: {e}"))?;
        Ok(Self {
            width,
            height,
            coded_width,
            coded_height,
            yuv: vec![0; coded_width * coded_height * 3 / 2],
            encoder,
            sample: Vec::new(),
            sps: Vec::new(),
            pps: Vec::new(),
        })
    }

    /// Size of the coded picture (the input size rounded up to even).
    pub fn coded_size(&self) -> (u32, u32) {
        (self.coded_width as u32, self.coded_height as u32)
    }

    /// The first SPS and PPS the encoder produced (without start codes); `None` before the first
    /// frame.
    pub fn parameter_sets(&self) -> Option<(&[u8], &[u8])> {
        (!self.sps.is_empty() && !self.pps.is_empty()).then_some((&self.sps[..], &self.pps[..]))
    }

    /// Encode one RGB frame (`rgb.len() == width * height * 3`, checked by the caller).
    /// `Ok(None)`: the encoder produced no picture for it (a skipped frame).
    pub fn encode(&mut self, rgb: &[u8], pts_ms: u64) -> Result<Option<EncodedFrame<'_>>, String> {
        rgb_to_i420(rgb, self.width, self.height, &mut self.yuv);
        let (cw, ch) = (self.coded_width, self.coded_height);
        let (y, chroma) = self.yuv.split_at(cw * ch);
        let (u, v) = chroma.split_at(cw * ch / 4);
        let source = YUVSlices::new((y, u, v), (cw, ch), (cw, cw / 2, cw / 2));
        let stream = self
            .encoder
            .encode_at(&source, openh264::Timestamp::from_millis(pts_ms))
            .map_err(|e| format!("openh264 failed to encode: {e}"))?;
        let frame_type = stream.frame_type();
        self.sample.clear();
        let mut pictures = 0;
        for layer in (0..stream.num_layers()).filter_map(|i| stream.layer(i)) {
            for nal in (0..layer.nal_count()).filter_map(|i| layer.nal_unit(i)) {
                let nal = strip_start_code(nal);
                let Some(&header) = nal.first() else { continue };
                match header & 0x1f {
                    // Parameter sets go to the avcC; a changed set (not expected with a constant
                    // size and openh264's constant-id strategy) stays in-band so decoders see it.
                    7 if self.sps.is_empty() || self.sps == nal => {
                        if self.sps.is_empty() {
                            self.sps.extend_from_slice(nal);
                        }
                        continue;
                    }
                    8 if self.pps.is_empty() || self.pps == nal => {
                        if self.pps.is_empty() {
                            self.pps.extend_from_slice(nal);
                        }
                        continue;
                    }
                    // Access unit delimiters have no place in MP4 samples.
                    9 => continue,
                    1..=5 => pictures += 1,
                    _ => {}
                }
                let len = u32::try_from(nal.len()).map_err(|_| "NAL unit over 4 GiB".to_string())?;
                self.sample.extend_from_slice(&len.to_be_bytes());
                self.sample.extend_from_slice(nal);
            }
        }
        if pictures == 0 || frame_type == FrameType::Skip {
            return Ok(None);
        }
        Ok(Some(EncodedFrame { data: &self.sample, sync: frame_type == FrameType::IDR }))
    }
}

/// The NAL unit without its Annex B start code (`00 00 01` or `00 00 00 01`).
fn strip_start_code(nal: &[u8]) -> &[u8] {
    let zeros = nal.iter().take_while(|&&b| b == 0).count();
    if zeros >= 2 && nal.get(zeros) == Some(&1) { &nal[zeros + 1..] } else { nal }
}

// BT.601 limited range, coefficients in 1/256 (as libyuv and openh264 use):
// Y = 16 + (66 R + 129 G + 25 B) / 256, Cb = 128 + (-38 R - 74 G + 112 B) / 256,
// Cr = 128 + (112 R - 94 G - 18 B) / 256, each rounded to nearest (exact formula within 0.6).

/// Pixels per block: fixed-size arrays let the compiler vectorize the arithmetic.
const BLOCK: usize = 16;

#[inline(always)]
fn luma(r: u16, g: u16, b: u16) -> u8 {
    (((66 * r + 129 * g + 25 * b + 128) >> 8) + 16) as u8
}

/// Cb and Cr from the (rounded) means of a 2x2 block's R, G and B.
#[inline(always)]
fn chroma(r: i16, g: i16, b: i16) -> (u8, u8) {
    let u = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
    let v = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
    (u as u8, v as u8)
}

/// Luma of one row (`out.len()` pixels of `src`).
fn luma_row(src: &[u8], out: &mut [u8]) {
    let mut src_blocks = src.chunks_exact(3 * BLOCK);
    let mut out_blocks = out.chunks_exact_mut(BLOCK);
    for (px, y) in (&mut src_blocks).zip(&mut out_blocks) {
        let (Ok(px), Ok(y)) = (<&[u8; 3 * BLOCK]>::try_from(px), <&mut [u8; BLOCK]>::try_from(y)) else { continue };
        let (mut r, mut g, mut b) = ([0u16; BLOCK], [0u16; BLOCK], [0u16; BLOCK]);
        for i in 0..BLOCK {
            r[i] = u16::from(px[3 * i]);
            g[i] = u16::from(px[3 * i + 1]);
            b[i] = u16::from(px[3 * i + 2]);
        }
        for i in 0..BLOCK {
            y[i] = luma(r[i], g[i], b[i]);
        }
    }
    for (px, y) in src_blocks.remainder().chunks_exact(3).zip(out_blocks.into_remainder()) {
        *y = luma(u16::from(px[0]), u16::from(px[1]), u16::from(px[2]));
    }
}

/// Chroma of one row pair: `u.len()` 2x2 blocks from rows `top` and `bottom` (even width).
fn chroma_row(top: &[u8], bottom: &[u8], u: &mut [u8], v: &mut [u8]) {
    #[inline(always)]
    fn mean4<const N: usize>(a: &[u8; N], b: &[u8; N], i: usize, c: usize) -> i16 {
        let s = u16::from(a[6 * i + c])
            + u16::from(a[6 * i + 3 + c])
            + u16::from(b[6 * i + c])
            + u16::from(b[6 * i + 3 + c]);
        ((s + 2) >> 2) as i16
    }
    let n = u.len();
    let blocks = n / BLOCK;
    for k in 0..blocks {
        let (Ok(a), Ok(b)) = (
            <&[u8; 6 * BLOCK]>::try_from(&top[6 * BLOCK * k..][..6 * BLOCK]),
            <&[u8; 6 * BLOCK]>::try_from(&bottom[6 * BLOCK * k..][..6 * BLOCK]),
        ) else {
            continue;
        };
        let (mut r, mut g, mut bl) = ([0i16; BLOCK], [0i16; BLOCK], [0i16; BLOCK]);
        for i in 0..BLOCK {
            r[i] = mean4(a, b, i, 0);
            g[i] = mean4(a, b, i, 1);
            bl[i] = mean4(a, b, i, 2);
        }
        let (Ok(u), Ok(v)) = (
            <&mut [u8; BLOCK]>::try_from(&mut u[BLOCK * k..][..BLOCK]),
            <&mut [u8; BLOCK]>::try_from(&mut v[BLOCK * k..][..BLOCK]),
        ) else {
            continue;
        };
        for i in 0..BLOCK {
            (u[i], v[i]) = chroma(r[i], g[i], bl[i]);
        }
    }
    for i in blocks * BLOCK..n {
        let (Ok(a), Ok(b)) = (<&[u8; 6]>::try_from(&top[6 * i..][..6]), <&[u8; 6]>::try_from(&bottom[6 * i..][..6]))
        else {
            continue;
        };
        (u[i], v[i]) = chroma(mean4(a, b, 0, 0), mean4(a, b, 0, 1), mean4(a, b, 0, 2));
    }
}

/// Convert packed RGB8 (`width` x `height`) to I420 of the even-rounded size in `yuv`
/// (`cw * ch * 3 / 2` bytes: Y, U, V planes without padding), replicating the last column/row.
pub(crate) fn rgb_to_i420(rgb: &[u8], width: usize, height: usize, yuv: &mut [u8]) {
    let (cw, ch) = (width.next_multiple_of(2), height.next_multiple_of(2));
    assert_eq!(rgb.len(), width * height * 3, "rgb buffer size");
    assert_eq!(yuv.len(), cw * ch * 3 / 2, "yuv buffer size");
    let (y_plane, chroma_planes) = yuv.split_at_mut(cw * ch);
    let (u_plane, v_plane) = chroma_planes.split_at_mut(cw * ch / 4);
    let row = |y: usize| &rgb[y.min(height - 1) * width * 3..][..width * 3];

    for (y, y_row) in y_plane.chunks_exact_mut(cw).take(height).enumerate() {
        luma_row(row(y), &mut y_row[..width]);
        if cw > width {
            y_row[width] = y_row[width - 1];
        }
    }
    if ch > height {
        // Padding row: the luma of the last row again (identical input, identical output).
        let (done, pad) = y_plane.split_at_mut(height * cw);
        pad.copy_from_slice(&done[(height - 1) * cw..]);
    }

    let half = cw / 2;
    let even = width / 2;
    for (j, (u_row, v_row)) in u_plane.chunks_exact_mut(half).zip(v_plane.chunks_exact_mut(half)).enumerate() {
        let (top, bottom) = (row(2 * j), row(2 * j + 1));
        chroma_row(top, bottom, &mut u_row[..even], &mut v_row[..even]);
        if width % 2 == 1 {
            // The last column pairs with its own copy.
            let pair = |r: &[u8]| {
                let p = &r[(width - 1) * 3..];
                [p[0], p[1], p[2], p[0], p[1], p[2]]
            };
            chroma_row(&pair(top), &pair(bottom), &mut u_row[even..], &mut v_row[even..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference conversion in floating point.
    fn reference(r: f64, g: f64, b: f64) -> (f64, f64, f64) {
        let y = 0.299 * r + 0.587 * g + 0.114 * b;
        (16.0 + 219.0 * y / 255.0, 128.0 + 224.0 * (b - y) / (1.772 * 255.0), 128.0 + 224.0 * (r - y) / (1.402 * 255.0))
    }

    #[test]
    fn matches_the_bt601_limited_range_formula() {
        for &(r, g, b) in &[(0u8, 0u8, 0u8), (255, 255, 255), (255, 0, 0), (0, 255, 0), (0, 0, 255), (12, 200, 99)] {
            let rgb = [r, g, b].repeat(4);
            let mut yuv = vec![0; 6];
            rgb_to_i420(&rgb, 2, 2, &mut yuv);
            let (ey, eu, ev) = reference(f64::from(r), f64::from(g), f64::from(b));
            assert!((f64::from(yuv[0]) - ey).abs() <= 0.6, "Y of {r},{g},{b}: {} vs {ey}", yuv[0]);
            assert!((f64::from(yuv[4]) - eu).abs() <= 0.6, "U of {r},{g},{b}: {} vs {eu}", yuv[4]);
            assert!((f64::from(yuv[5]) - ev).abs() <= 0.6, "V of {r},{g},{b}: {} vs {ev}", yuv[5]);
        }
    }

    #[test]
    fn odd_sizes_repeat_the_last_column_and_row() {
        // 3x3: column 2 and row 2 are white, the rest black.
        let mut rgb = vec![0u8; 27];
        for y in 0..3 {
            for x in 0..3 {
                if x == 2 || y == 2 {
                    rgb[(y * 3 + x) * 3..][..3].fill(255);
                }
            }
        }
        let mut yuv = vec![0; 4 * 4 * 3 / 2];
        rgb_to_i420(&rgb, 3, 3, &mut yuv);
        let luma: Vec<u8> = yuv[..16].to_vec();
        assert_eq!(luma, [16, 16, 235, 235, 16, 16, 235, 235, 235, 235, 235, 235, 235, 235, 235, 235]);
        assert!(yuv[16..].iter().all(|&c| c == 128), "grey chroma: {:?}", &yuv[16..]);
    }

    #[test]
    fn start_codes_are_removed() {
        assert_eq!(strip_start_code(&[0, 0, 0, 1, 0x67, 5]), &[0x67, 5]);
        assert_eq!(strip_start_code(&[0, 0, 1, 0x68]), &[0x68]);
        assert_eq!(strip_start_code(&[0x65, 1]), &[0x65, 1]);
    }
}

#[cfg(test)]
mod timing {
    /// `cargo test --release --lib record::encoder::timing -- --ignored --nocapture`
    #[test]
    #[ignore = "timing; run in release"]
    fn conversion_720p() {
        let (w, h) = (1280usize, 720usize);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 7 % 251) as u8).collect();
        let mut yuv = vec![0; w * h * 3 / 2];
        let mut crate_yuv = openh264::formats::YUVBuffer::new(w, h);
        let n = 200;
        let t = std::time::Instant::now();
        for _ in 0..n {
            super::rgb_to_i420(std::hint::black_box(&rgb), w, h, &mut yuv);
        }
        let ours = t.elapsed() / n;
        let t = std::time::Instant::now();
        for _ in 0..n {
            crate_yuv.read_rgb8(openh264::formats::RgbSliceU8::new(std::hint::black_box(&rgb), (w, h)));
        }
        eprintln!("RGB->I420 1280x720: ours {ours:?}, openh264 crate {:?}", t.elapsed() / n);
    }
}
