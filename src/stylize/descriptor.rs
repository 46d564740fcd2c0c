//! Model descriptors: how an image-to-image ONNX model wants its pixels, so published toon models
//! (NCHW or NHWC, RGB or BGR, [-1,1] / [0,1] / 0-255 / ImageNet, fixed size or a multiple of N)
//! load with no code change. Parsed from a character pack's `[face]` / `[background]` tables.
//!
//! In: TOML values. Out: a validated [`ModelDescriptor`]. Any thread.

use serde::{Deserialize, Serialize};

/// Tensor memory layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    Nchw,
    Nhwc,
}

/// Channel order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelOrder {
    Rgb,
    Bgr,
}

/// How 8-bit colour maps to tensor values: `[lo, hi]` maps 0..255 linearly onto lo..hi, or
/// ImageNet's per-channel mean/std on [0, 1] values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ValueRange {
    Linear([f32; 2]),
    Named(NamedRange),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NamedRange {
    Imagenet,
}

pub const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
pub const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];

impl ValueRange {
    /// (scale, offset) per RGB channel so that tensor = byte * scale + offset.
    pub fn affine(&self) -> [(f32, f32); 3] {
        match self {
            Self::Linear([lo, hi]) => [((hi - lo) / 255.0, *lo); 3],
            Self::Named(NamedRange::Imagenet) => {
                std::array::from_fn(|c| (1.0 / (255.0 * IMAGENET_STD[c]), -IMAGENET_MEAN[c] / IMAGENET_STD[c]))
            }
        }
    }
}

/// Input size rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SizeRule {
    /// Exactly width x height.
    Fixed { width: u32, height: u32 },
    /// Any size whose sides are multiples of `multiple`, the longer side at most `max_side`.
    Multiple { multiple: u32, max_side: u32 },
}

impl SizeRule {
    /// The tensor size for an input of `w` x `h` (aspect kept for `Multiple`).
    pub fn size_for(&self, w: u32, h: u32) -> (u32, u32) {
        match *self {
            Self::Fixed { width, height } => (width, height),
            Self::Multiple { multiple, max_side } => {
                let scale = (max_side as f32 / w.max(h) as f32).min(1.0);
                let round = |v: u32| (((v as f32 * scale / multiple as f32).round() as u32).max(1)) * multiple;
                (round(w), round(h))
            }
        }
    }
}

/// Everything needed to feed and read an image-to-image model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelDescriptor {
    /// File name inside the pack folder (validated to stay inside it).
    pub model: String,
    pub layout: Layout,
    pub color: ChannelOrder,
    pub input_range: ValueRange,
    pub output_range: ValueRange,
    pub size: SizeRule,
}

/// The TOML form, before validation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDescriptor {
    pub model: String,
    #[serde(default = "default_layout")]
    pub layout: Layout,
    #[serde(default = "default_color")]
    pub color: ChannelOrder,
    #[serde(default = "default_range")]
    pub input_range: ValueRange,
    #[serde(default = "default_range")]
    pub output_range: ValueRange,
    pub size: Option<[u32; 2]>,
    pub size_multiple: Option<u32>,
    pub max_side: Option<u32>,
}

fn default_layout() -> Layout {
    Layout::Nchw
}
fn default_color() -> ChannelOrder {
    ChannelOrder::Rgb
}
fn default_range() -> ValueRange {
    ValueRange::Linear([0.0, 1.0])
}

/// Largest tensor side accepted from a pack.
pub const MAX_SIDE: u32 = 2048;

impl RawDescriptor {
    /// Check the values; the error says which key is wrong and why.
    pub fn validate(self) -> Result<ModelDescriptor, String> {
        let size = match (self.size, self.size_multiple, self.max_side) {
            (Some([w, h]), None, None) => {
                if !(16..=MAX_SIDE).contains(&w) || !(16..=MAX_SIDE).contains(&h) {
                    return Err(format!("size {w}x{h} outside 16..{MAX_SIDE}"));
                }
                SizeRule::Fixed { width: w, height: h }
            }
            (None, Some(m), max) => {
                let max_side = max.unwrap_or(720);
                if !(1..=256).contains(&m) {
                    return Err(format!("size_multiple {m} outside 1..256"));
                }
                if !(m..=MAX_SIDE).contains(&max_side) {
                    return Err(format!("max_side {max_side} outside {m}..{MAX_SIDE}"));
                }
                SizeRule::Multiple { multiple: m, max_side }
            }
            (Some(_), _, _) => return Err("give either size or size_multiple (+ max_side), not both".into()),
            (None, None, _) => return Err("missing size (e.g. size = [256, 256]) or size_multiple".into()),
        };
        for (key, r) in [("input_range", self.input_range), ("output_range", self.output_range)] {
            if let ValueRange::Linear([lo, hi]) = r
                && (!lo.is_finite() || !hi.is_finite() || (hi - lo).abs() < 1e-6)
            {
                return Err(format!("{key} [{lo}, {hi}] is empty or not finite"));
            }
        }
        if self.model.is_empty() {
            return Err("model is empty".into());
        }
        Ok(ModelDescriptor {
            model: self.model,
            layout: self.layout,
            color: self.color,
            input_range: self.input_range,
            output_range: self.output_range,
            size,
        })
    }
}
