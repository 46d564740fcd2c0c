// The live feed's pictures in the window (the stylized frame, the picture fading out after a
// character change, the camera frame side by side): one textured quad each, drawn by an egui
// paint callback into egui's render pass, whose viewport is the picture's rectangle.
//
// egui's own shader carries branches for texture wrapping, predictable filtering and dithering;
// a software rasterizer (lavapipe) runs all of them on every pixel, which made a 1280x720 window
// repaint under 20 times a second. This one only samples.
//
// The textures hold plain 8-bit (gamma-encoded) colours, like egui's framebuffer of choice
// (Rgba8Unorm / Bgra8Unorm): `fs_gamma` passes them on; `fs_linear` is for an sRGB framebuffer.
// Blending is egui's: premultiplied alpha (One, OneMinusSrcAlpha).

// Keep in sync with `PictureUniforms` in src/app/picture.rs.
struct PictureUniforms {
    // Texture coordinates at the rectangle's top-left and bottom-right corners (x flipped when
    // mirrored).
    uv_min: vec2<f32>,
    uv_max: vec2<f32>,
    // 0..1: how much of the picture covers what is below.
    opacity: f32,
    _pad0: f32,
    _pad1: f32,
    _pad2: f32,
}

@group(0) @binding(0) var<uniform> u: PictureUniforms;
@group(0) @binding(1) var picture: texture_2d<f32>;
@group(0) @binding(2) var picture_sampler: sampler;

struct Corner {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
}

// Vertex indices 0..4, a triangle strip over the viewport.
@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> Corner {
    let corner = vec2<f32>(f32(index & 1u), f32(index >> 1u));
    let ndc = vec2<f32>(corner.x * 2.0 - 1.0, 1.0 - corner.y * 2.0);
    return Corner(vec4<f32>(ndc, 0.0, 1.0), mix(u.uv_min, u.uv_max, corner));
}

@fragment
fn fs_gamma(in: Corner) -> @location(0) vec4<f32> {
    let colour = textureSample(picture, picture_sampler, in.uv);
    return vec4<f32>(colour.rgb, 1.0) * (colour.a * u.opacity);
}

@fragment
fn fs_linear(in: Corner) -> @location(0) vec4<f32> {
    let colour = textureSample(picture, picture_sampler, in.uv);
    let c = colour.rgb;
    let linear = select(pow((c + 0.055) / 1.055, vec3<f32>(2.4)), c / 12.92, c < vec3<f32>(0.04045));
    return vec4<f32>(linear, 1.0) * (colour.a * u.opacity);
}
