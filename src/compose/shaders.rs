//! The compositor's WGSL sources, each defined once in `shaders/` and compiled into the binary.
//!
//! In: nothing. Out: shader modules for the passes (created on the compositor's thread).
//! `tests/compose.rs` parses and validates every `shaders/*.wgsl` file with naga, no GPU needed.

/// Joint-bilateral upsampling of the stylized background.
pub(super) const BACKGROUND: &str = include_str!("../../shaders/background.wgsl");
/// Each person's skin outside the face and hair, on the mask cells that hold them.
pub(super) const PERSON_PAINT: &str = include_str!("../../shaders/person_paint.wgsl");
/// Ink line along the person mask's edge.
pub(super) const SILHOUETTE: &str = include_str!("../../shaders/silhouette.wgsl");
/// One face layer pasted through its inverse alignment transform.
pub(super) const FACE: &str = include_str!("../../shaders/face.wgsl");

/// Face reshaping: the warp mesh textured from a copy of the composed frame.
pub(super) const FACE_WARP: &str = include_str!("../../shaders/face_warp.wgsl");
/// Drawn faces: skin, blush, lips, eyes and ink strokes.
pub(super) const DRAWN: &str = include_str!("../../shaders/drawn.wgsl");

pub(super) fn module(device: &wgpu::Device, label: &str, source: &str) -> wgpu::ShaderModule {
    device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    })
}
