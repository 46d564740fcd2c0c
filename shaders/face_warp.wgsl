// Face warp: reshapes a face toward its character's geometry. The face mesh (plus a ring of
// anchored border vertices) is drawn with WARPED positions and the ORIGINAL positions as texture
// coordinates into a copy of the composed frame, so the rasterizer moves the pixels. One draw per
// face; triangles never fold (the CPU caps the warp, src/draw/warp.rs).
//
// Coordinates are continuous frame pixels (origin at the top-left corner of the top-left pixel).

// Keep in sync with `DrawnUniforms` in src/compose/drawn.rs.
struct DrawnUniforms {
    frame_size: vec2<f32>,
    _pad: vec2<f32>,
}

@group(0) @binding(0) var<uniform> u: DrawnUniforms;
@group(0) @binding(1) var source: texture_2d<f32>;
@group(0) @binding(2) var source_sampler: sampler;

struct VertexIn {
    @location(0) warped: vec2<f32>,
    @location(1) original: vec2<f32>,
}

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) original: vec2<f32>,
}

@vertex
fn vs_main(v: VertexIn) -> VertexOut {
    var out: VertexOut;
    out.position = vec4<f32>(v.warped.x / u.frame_size.x * 2.0 - 1.0, 1.0 - v.warped.y / u.frame_size.y * 2.0, 0.0, 1.0);
    out.original = v.original;
    return out;
}

@fragment
fn fs_main(v: VertexOut) -> @location(0) vec4<f32> {
    let c = textureSampleLevel(source, source_sampler, v.original / u.frame_size, 0.0);
    return vec4<f32>(c.rgb, 1.0);
}
