//! A pack's models tried before the pack is offered: each must load in ONNX Runtime, take one
//! picture and give one in the shapes its descriptor says, and stylize a small picture once.
//!
//! In: a [`PackModel`] of a pack that passed the file checks, session options. Out: the loaded,
//! tried [`StylizerModel`], or a [`PackProblem`] naming the model file and what is wrong. Runs on
//! the thread that loads the characters (main, or "pipeline-restart" in the window).

use crate::perception::runtime::{RuntimeError, SessionOptions, TensorInfo};
use crate::stylize::StylizerModel;
use crate::stylize::descriptor::{Layout, ModelDescriptor, SizeRule};
use crate::stylize::model::RgbBuffer;

use super::{PackModel, PackProblem};

/// Size of the picture a model is tried on (a model with a fixed size gets it resized).
pub const TRIAL_SIZE: (u32, u32) = (64, 48);

/// Load `model` (the pack's `[key]`: "face" or "background"), check its inputs and outputs
/// against its descriptor, and run it once on a [`TRIAL_SIZE`] picture.
pub fn tried_model(
    key: &'static str,
    name: &'static str,
    model: &PackModel,
    opts: &SessionOptions,
) -> Result<StylizerModel, PackProblem> {
    let problem = |reason: String| PackProblem::new(&model.path, None, format!("[{key}] model {reason}"));
    let mut loaded = StylizerModel::load(name, &model.path, model.descriptor.clone(), opts).map_err(|e| {
        problem(match e {
            RuntimeError::Model { reason, .. } => format!("cannot be loaded: {reason}"),
            other => format!("cannot be loaded: {other}"),
        })
    })?;
    let (inputs, outputs) = loaded.session().io_tensors();
    check_io(&model.descriptor, &inputs, &outputs).map_err(problem)?;
    let (w, h) = TRIAL_SIZE;
    let picture = trial_picture(w, h);
    let mut out = RgbBuffer::default();
    loaded.run(&picture, w, h, &mut out).map_err(|e| {
        problem(match e {
            RuntimeError::Inference { reason, .. } => format!("failed on a {w}x{h} trial picture: {reason}"),
            other => format!("failed on a {w}x{h} trial picture: {other}"),
        })
    })?;
    Ok(loaded)
}

/// A smooth colour ramp with a bright disc: something a stylizer can chew on.
fn trial_picture(w: u32, h: u32) -> Vec<u8> {
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 - w as f32 / 2.0, y as f32 - h as f32 / 2.0);
            let disc = if dx * dx + dy * dy < (h as f32 / 4.0).powi(2) { 80 } else { 0 };
            rgb.extend([(x * 255 / w) as u8, (y * 255 / h) as u8, (120 + disc) as u8]);
        }
    }
    rgb
}

/// One f32 picture in, a picture out, in the layout and sizes the descriptor says.
pub fn check_io(descriptor: &ModelDescriptor, inputs: &[TensorInfo], outputs: &[TensorInfo]) -> Result<(), String> {
    if inputs.len() != 1 {
        let names: Vec<&str> = inputs.iter().map(|t| t.name.as_str()).collect();
        return Err(format!(
            "takes {} inputs ({}); a stylizer takes one picture (bake any other input into the model)",
            inputs.len(),
            names.join(", ")
        ));
    }
    let Some(output) = outputs.first() else { return Err("has no output".into()) };
    let (ih, iw) = picture("input", &inputs[0], descriptor.layout)?;
    let (oh, ow) = picture("output", output, descriptor.layout)?;
    let size = |d: i64| if d < 0 { "any".to_string() } else { d.to_string() };
    match descriptor.size {
        SizeRule::Fixed { width, height } => {
            if (ih >= 0 && ih != i64::from(height)) || (iw >= 0 && iw != i64::from(width)) {
                return Err(format!(
                    "input '{}' is {}x{} (width x height) but the descriptor says size = [{width}, {height}]",
                    inputs[0].name,
                    size(iw),
                    size(ih)
                ));
            }
        }
        SizeRule::Multiple { .. } => {
            if ih >= 0 || iw >= 0 {
                return Err(format!(
                    "input '{}' has a fixed size {}x{} (width x height) but the descriptor says size_multiple \
                     (any size): write size = [{}, {}] instead",
                    inputs[0].name,
                    size(iw),
                    size(ih),
                    size(iw),
                    size(ih)
                ));
            }
        }
    }
    // the output is read at the input's size
    let differs = |o: i64, i: i64| o >= 0 && i >= 0 && o != i;
    if differs(oh, ih) || differs(ow, iw) {
        return Err(format!(
            "output '{}' is {}x{} but its input is {}x{} (width x height): a stylizer returns a picture of the size it takes",
            output.name,
            size(ow),
            size(oh),
            size(iw),
            size(ih)
        ));
    }
    Ok(())
}

/// Height and width (-1: dynamic) of a picture tensor in `layout`, or why it is not one.
fn picture(role: &str, t: &TensorInfo, layout: Layout) -> Result<(i64, i64), String> {
    let Some(shape) = &t.shape else { return Err(format!("{role} '{}' is not a tensor", t.name)) };
    if !t.f32 {
        return Err(format!("{role} '{}' does not hold float32 values", t.name));
    }
    let dims = || shape.iter().map(|d| if *d < 0 { "?".to_string() } else { d.to_string() }).collect::<Vec<_>>();
    let layout_name = match layout {
        Layout::Nchw => "nchw",
        Layout::Nhwc => "nhwc",
    };
    if shape.len() != 4 {
        return Err(format!(
            "{role} '{}' has {} dimensions [{}]; layout = \"{layout_name}\" needs 4",
            t.name,
            shape.len(),
            dims().join(", ")
        ));
    }
    let (c, h, w) = match layout {
        Layout::Nchw => (shape[1], shape[2], shape[3]),
        Layout::Nhwc => (shape[3], shape[1], shape[2]),
    };
    if shape[0] > 1 {
        return Err(format!("{role} '{}' takes a batch of {} [{}]; expected 1", t.name, shape[0], dims().join(", ")));
    }
    if c >= 0 && c != 3 {
        return Err(format!(
            "{role} '{}' is [{}]: {c} channels where layout = \"{layout_name}\" puts them, expected 3",
            t.name,
            dims().join(", ")
        ));
    }
    Ok((h, w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stylize::descriptor::{ChannelOrder, ValueRange};

    fn t(name: &str, shape: &[i64]) -> TensorInfo {
        TensorInfo { name: name.into(), f32: true, shape: Some(shape.to_vec()) }
    }

    fn desc(layout: Layout, size: SizeRule) -> ModelDescriptor {
        ModelDescriptor {
            model: "m.onnx".into(),
            layout,
            color: ChannelOrder::Rgb,
            input_range: ValueRange::Linear([0.0, 1.0]),
            output_range: ValueRange::Linear([0.0, 1.0]),
            size,
        }
    }

    #[test]
    fn shapes_are_held_against_the_descriptor() {
        let fixed = desc(Layout::Nchw, SizeRule::Fixed { width: 256, height: 256 });
        let any = desc(Layout::Nhwc, SizeRule::Multiple { multiple: 8, max_side: 640 });
        assert!(check_io(&fixed, &[t("x", &[1, 3, 256, 256])], &[t("y", &[1, 3, 256, 256])]).is_ok());
        assert!(check_io(&fixed, &[t("x", &[-1, 3, -1, -1])], &[t("y", &[-1, -1, -1, -1])]).is_ok());
        assert!(check_io(&any, &[t("x", &[1, -1, -1, 3])], &[t("y", &[1, -1, -1, 3])]).is_ok());
        let err = |d: &ModelDescriptor, i: &[TensorInfo], o: &[TensorInfo]| check_io(d, i, o).unwrap_err();
        assert!(err(&fixed, &[t("x", &[1, 3, 512, 512])], &[t("y", &[1, 3, 512, 512])]).contains("size = [256, 256]"));
        assert!(err(&fixed, &[t("x", &[1, 256, 256, 3])], &[t("y", &[1, 3, 256, 256])]).contains("256 channels"));
        assert!(err(&any, &[t("x", &[1, 64, 64, 3])], &[t("y", &[1, 64, 64, 3])]).contains("size_multiple"));
        assert!(
            err(&fixed, &[t("x", &[1, 3, 256, 256]), t("style", &[1, 1])], &[t("y", &[1, 3, 256, 256])])
                .contains("2 inputs (x, style)")
        );
        assert!(err(&fixed, &[t("x", &[3, 256, 256])], &[t("y", &[1, 3, 256, 256])]).contains("3 dimensions"));
        assert!(err(&fixed, &[t("x", &[1, 3, 256, 256])], &[t("y", &[1, 3, 128, 128])]).contains("output 'y'"));
        assert!(err(&fixed, &[t("x", &[1, 3, 256, 256])], &[]).contains("no output"));
        let ints = TensorInfo { f32: false, ..t("x", &[1, 3, 256, 256]) };
        assert!(err(&fixed, &[ints], &[t("y", &[1, 3, 256, 256])]).contains("float32"));
    }
}
