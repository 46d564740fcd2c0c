//! Person segmentation: MediaPipe's selfie segmentation (landscape, 256x144), smoothed over time.
//!
//! In: an RGB frame. Out: [`PersonMask`], person probability at model resolution (the compositor
//! and the overlay upsample it). Runs on the perception worker thread; buffers are reused.

use super::geometry::{Affine2, Normalize, Sampling, sample_f32, warp_to_tensor};
use super::runtime::{ModelSession, RuntimeError, output};

pub const INPUT_W: usize = 256;
pub const INPUT_H: usize = 144;
/// Despite its name this output is the person probability (sigmoid already applied).
pub const OUTPUT_MASK: &str = "segment_back";

/// A probability in [0, 1] over the whole frame, at a low resolution (row-major).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mask {
    pub width: usize,
    pub height: usize,
    pub prob: Vec<f32>,
}

impl Mask {
    /// Probability at frame pixel coordinates of a `frame_w` x `frame_h` frame (bilinear).
    #[inline]
    pub fn at_frame(&self, x: f32, y: f32, frame_w: u32, frame_h: u32) -> f32 {
        if self.prob.is_empty() {
            return 0.0;
        }
        let sx = self.width as f32 / frame_w as f32;
        let sy = self.height as f32 / frame_h as f32;
        sample_f32(&self.prob, self.width, self.height, x * sx, y * sy)
    }

    /// Share of the frame where the probability is above 0.5.
    pub fn coverage(&self) -> f32 {
        if self.prob.is_empty() {
            return 0.0;
        }
        self.prob.iter().filter(|&&p| p > 0.5).count() as f32 / self.prob.len() as f32
    }
}

/// Person probability (the segmentation model's output, smoothed over time).
pub type PersonMask = Mask;

pub struct PersonSegmenter {
    session: ModelSession,
    input: Vec<f32>,
    /// Weight of the newest mask in the temporal average (1 = no smoothing).
    pub new_weight: f32,
    has_history: bool,
}

impl PersonSegmenter {
    pub fn new(session: ModelSession) -> Self {
        Self { session, input: vec![0.0; INPUT_W * INPUT_H * 3], new_weight: 0.6, has_history: false }
    }

    pub fn session(&self) -> &ModelSession {
        &self.session
    }

    /// Forget the temporal history (scene cut, new source, still photo).
    pub fn reset(&mut self) {
        self.has_history = false;
    }

    /// Segment the frame; `mask` keeps the smoothed result between calls.
    pub fn run(&mut self, rgb: &[u8], w: u32, h: u32, mask: &mut PersonMask) -> Result<(), RuntimeError> {
        // plain resize (no letterbox), as MediaPipe feeds this model
        let frame_from_tensor =
            Affine2::scale_translate(w as f32 / INPUT_W as f32, h as f32 / INPUT_H as f32, 0.0, 0.0);
        warp_to_tensor(
            rgb,
            w,
            h,
            &frame_from_tensor,
            Sampling::Indices,
            INPUT_W,
            INPUT_H,
            Normalize::UNIT,
            &mut self.input,
        );
        let fresh = !self.has_history || mask.prob.len() != INPUT_W * INPUT_H;
        mask.width = INPUT_W;
        mask.height = INPUT_H;
        mask.prob.resize(INPUT_W * INPUT_H, 0.0);
        let alpha = if fresh { 1.0 } else { self.new_weight };
        let prob = &mut mask.prob;
        self.session.run_f32(&[1, INPUT_H, INPUT_W, 3], &self.input, |outs| {
            let m = output(outs, OUTPUT_MASK)?;
            if m.len() != INPUT_W * INPUT_H {
                return Err(format!("unexpected mask size {}", m.len()));
            }
            for (p, &n) in prob.iter_mut().zip(m) {
                *p += (n.clamp(0.0, 1.0) - *p) * alpha;
            }
            Ok(())
        })?;
        self.has_history = true;
        Ok(())
    }
}
