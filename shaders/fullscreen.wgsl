// Fullscreen triangle: the vertex stage of every compositor pass that shades the whole frame
// (background.wgsl, silhouette.wgsl). Three vertices, no vertex buffer; the triangle covers the
// render target and its fragments read only @builtin(position) (the pixel centre, in pixels).

@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {
    // index 0, 1, 2 -> (0, 0), (2, 0), (0, 2) -> clip space (-1, -1), (3, -1), (-1, 3).
    let corner = vec2<f32>(f32((index << 1u) & 2u), f32(index & 2u));
    return vec4<f32>(corner * 2.0 - 1.0, 0.0, 1.0);
}
