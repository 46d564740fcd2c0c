//! `StylizerModel`: runs any image-to-image ONNX model described by a [`ModelDescriptor`].
//!
//! In: an RGB8 picture of any size. Out: the model's picture as RGB8 at the model's tensor size
//! (the caller resamples it where it needs it). Pre-processing (resize, layout, channel order,
//! value range) and post-processing follow the descriptor; buffers are reused between calls.
//! Runs on the stylize worker thread that owns it.

use std::path::Path;

use super::descriptor::{ChannelOrder, Layout, ModelDescriptor, SizeRule};
use crate::perception::geometry::{Affine2, Normalize, Sampling, warp_to_tensor};
use crate::perception::runtime::{ModelSession, RuntimeError, SessionOptions};

/// An RGB8 picture with its size (row-major, packed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RgbBuffer {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl RgbBuffer {
    pub fn resize(&mut self, width: u32, height: u32) {
        self.width = width;
        self.height = height;
        self.rgb.resize(width as usize * height as usize * 3, 0);
    }
}

pub struct StylizerModel {
    session: ModelSession,
    pub descriptor: ModelDescriptor,
    /// Model-layout input tensor and a scratch NHWC RGB tensor.
    input: Vec<f32>,
    nhwc: Vec<f32>,
    output_name: String,
}

impl std::fmt::Debug for StylizerModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StylizerModel").field("descriptor", &self.descriptor).finish_non_exhaustive()
    }
}

impl StylizerModel {
    /// Load `path` (already checked to lie inside its pack) as described.
    pub fn load(
        name: &'static str,
        path: &Path,
        descriptor: ModelDescriptor,
        opts: &SessionOptions,
    ) -> Result<Self, RuntimeError> {
        let env = crate::perception::runtime::init(&crate::paths::onnxruntime_library())?;
        let session = ModelSession::load(&env, name, path, opts)?;
        Self::with_session(session, path, descriptor)
    }

    /// [`Self::load`] from the model's bytes (a graph made in memory while a character is
    /// tuned); `path` names it in errors.
    pub fn from_bytes(
        name: &'static str,
        path: &Path,
        bytes: &[u8],
        descriptor: ModelDescriptor,
        opts: &SessionOptions,
    ) -> Result<Self, RuntimeError> {
        let env = crate::perception::runtime::init(&crate::paths::onnxruntime_library())?;
        let session = ModelSession::load_bytes(&env, name, path, bytes, opts)?;
        Self::with_session(session, path, descriptor)
    }

    fn with_session(session: ModelSession, path: &Path, descriptor: ModelDescriptor) -> Result<Self, RuntimeError> {
        let (inputs, outputs) = session.io_names();
        let (Some(_), Some(output_name)) = (inputs.first(), outputs.first().cloned()) else {
            return Err(RuntimeError::Model {
                path: path.to_path_buf(),
                reason: "model has no input or output".into(),
            });
        };
        Ok(Self { session, descriptor, input: Vec::new(), nhwc: Vec::new(), output_name })
    }

    pub fn session(&self) -> &ModelSession {
        &self.session
    }

    /// The tensor size this model runs at for a `w` x `h` picture.
    pub fn tensor_size(&self, w: u32, h: u32) -> (u32, u32) {
        self.descriptor.size.size_for(w, h)
    }

    /// Stylize `src` (resampled to the model's size); the result is written into `out` at the
    /// model's size.
    pub fn run(&mut self, src: &[u8], w: u32, h: u32, out: &mut RgbBuffer) -> Result<(), RuntimeError> {
        let (tw, th) = self.tensor_size(w, h);
        let (tw_us, th_us) = (tw as usize, th as usize);
        let n = tw_us * th_us;
        if (tw, th) != (w, h) {
            self.nhwc.resize(n * 3, 0.0);
        }
        self.input.resize(n * 3, 0.0);
        let affine = self.descriptor.input_range.affine();
        let order = channel_order(self.descriptor.color);
        let nchw = self.descriptor.layout == Layout::Nchw;
        let write = |input: &mut [f32], i: usize, rgb: [f32; 3]| {
            for (slot, &rgb_c) in order.iter().enumerate() {
                let (scale, offset) = affine[rgb_c];
                let at = if nchw { slot * n + i } else { i * 3 + slot };
                input[at] = rgb[rgb_c] * scale + offset;
            }
        };
        if (tw, th) == (w, h) && nchw {
            // already the model's size (the stage resizes the frame once, for the guide too): one
            // plane at a time, a loop the compiler vectorizes
            for (slot, &rgb_c) in order.iter().enumerate() {
                let (scale, offset) = affine[rgb_c];
                for (value, px) in self.input[slot * n..(slot + 1) * n].iter_mut().zip(src.chunks_exact(3)) {
                    *value = px[rgb_c] as f32 * scale + offset;
                }
            }
        } else if (tw, th) == (w, h) {
            for (i, px) in src.chunks_exact(3).take(n).enumerate() {
                write(&mut self.input, i, [px[0] as f32, px[1] as f32, px[2] as f32]);
            }
        } else {
            let src_from_dst = Affine2::scale_translate(w as f32 / tw as f32, h as f32 / th as f32, 0.0, 0.0);
            // bytes as floats; range, order and layout applied below per channel
            warp_to_tensor(
                src,
                w,
                h,
                &src_from_dst,
                Sampling::Centers,
                tw_us,
                th_us,
                Normalize { scale: 1.0, offset: 0.0 },
                &mut self.nhwc,
            );
            for (i, px) in self.nhwc.chunks_exact(3).enumerate() {
                write(&mut self.input, i, [px[0], px[1], px[2]]);
            }
        }
        let shape: [usize; 4] = if nchw { [1, 3, th_us, tw_us] } else { [1, th_us, tw_us, 3] };
        let out_affine = self.descriptor.output_range.affine();
        out.resize(tw, th);
        let output_name = &self.output_name;
        let dst = &mut out.rgb;
        self.session.run_f32(&shape, &self.input, |outs| {
            let data = crate::perception::runtime::output(outs, output_name)?;
            if data.len() != n * 3 {
                return Err(format!("output has {} values, expected {} (1x3x{th}x{tw})", data.len(), n * 3));
            }
            for (slot, &rgb_c) in order.iter().enumerate() {
                let (scale, offset) = out_affine[rgb_c];
                let byte = |v: f32| crate::perception::geometry::to_u8((v - offset) / scale);
                if nchw {
                    // one plane at a time
                    for (px, &v) in dst.chunks_exact_mut(3).zip(&data[slot * n..(slot + 1) * n]) {
                        px[rgb_c] = byte(v);
                    }
                } else {
                    for (px, v) in dst.chunks_exact_mut(3).zip(data.chunks_exact(3)) {
                        px[rgb_c] = byte(v[slot]);
                    }
                }
            }
            Ok(())
        })
    }
}

/// Tensor channel slot -> RGB channel index.
fn channel_order(c: ChannelOrder) -> [usize; 3] {
    match c {
        ChannelOrder::Rgb => [0, 1, 2],
        ChannelOrder::Bgr => [2, 1, 0],
    }
}

impl SizeRule {
    /// Whether a tensor of `w` x `h` satisfies the rule.
    pub fn accepts(&self, w: u32, h: u32) -> bool {
        match *self {
            Self::Fixed { width, height } => (w, h) == (width, height),
            Self::Multiple { multiple, max_side } => {
                w.is_multiple_of(multiple) && h.is_multiple_of(multiple) && w.max(h) <= max_side
            }
        }
    }
}
