// Background pass: joint-bilateral upsampling (JBU) of the stylized low-res background, guided by
// the full-resolution camera frame, written into the output texture (the composed frame's base
// layer). One fullscreen triangle, one fragment per output pixel, no blending.
//
// For each output pixel, the 2x2 low-res texels around its position (the bilinear footprint) are
// weighted by
//   spatial: a Gaussian of the texel's distance to the pixel (in low-res texels), times
//   range:   a Gaussian of the colour distance between the full-res frame pixel and the guide
//            (the frame at the working resolution, what the background model saw) at that texel,
// so a texel on the other side of an edge in the frame gets ~no weight and edges stay sharp.
// All colours are plain 8-bit values read as unorm [0, 1] (no sRGB conversion).
//
// Skin and hair are painted over this by `person_paint.wgsl`, on the mask cells that hold them
// only: on a software rasterizer (lavapipe) every instruction of a shader runs for every pixel,
// branch taken or not, so the painting stays out of this per-pixel pass.

// Keep in sync with `BackgroundUniforms` in src/compose/background.rs.
struct BackgroundUniforms {
    // Output (= camera frame) size in pixels.
    frame_size: vec2<f32>,
    // Background / guide size in texels (the working resolution).
    lowres_size: vec2<f32>,
    // 1 / (2 sigma_s^2), sigma_s in low-res texels.
    spatial_falloff: f32,
    // 1 / (2 sigma_r^2), sigma_r in unorm colour units; 0 = no range term (no guide given).
    range_falloff: f32,
    _pad0: f32,
    _pad1: f32,
}

@group(0) @binding(0) var<uniform> u: BackgroundUniforms;
@group(0) @binding(1) var frame_tex: texture_2d<f32>;
@group(0) @binding(2) var background_tex: texture_2d<f32>;
@group(0) @binding(3) var guide_tex: texture_2d<f32>;

// Upper bound of the range exponent: when no texel resembles the frame pixel (all range weights
// would underflow), the texels keep their spatial weights relative to each other.
const MAX_RANGE_EXPONENT: f32 = 30.0;

// A triangle covering the whole output (vertex indices 0, 1, 2).
@vertex
fn vs_fullscreen(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {
    let uv = vec2<f32>(f32((index << 1u) & 2u), f32(index & 2u));
    return vec4<f32>(uv * 2.0 - 1.0, 0.0, 1.0);
}

// The weighted tap at low-res texel `tap` for a pixel at `q` (low-res texel-centre coordinates)
// whose frame colour is `frame`: (weight * background colour, weight).
fn tap(tap: vec2<i32>, q: vec2<f32>, frame: vec3<f32>) -> vec4<f32> {
    let texel = clamp(tap, vec2<i32>(0), vec2<i32>(u.lowres_size) - 1);
    let offset = vec2<f32>(tap) - q;
    let colour_diff = textureLoad(guide_tex, texel, 0).rgb - frame;
    let range_exponent = min(dot(colour_diff, colour_diff) * u.range_falloff, MAX_RANGE_EXPONENT);
    let weight = exp(-dot(offset, offset) * u.spatial_falloff - range_exponent);
    return vec4<f32>(weight * textureLoad(background_tex, texel, 0).rgb, weight);
}

// One output pixel (`position.xy` is its centre in frame pixels).
@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let frame = textureLoad(frame_tex, vec2<i32>(floor(position.xy)), 0).rgb;
    // The pixel centre in low-res texel-centre coordinates (texel i is centred at i).
    let q = position.xy * u.lowres_size / u.frame_size - 0.5;
    let base = vec2<i32>(floor(q));
    let sum = tap(base, q, frame) + tap(base + vec2<i32>(1, 0), q, frame) + tap(base + vec2<i32>(0, 1), q, frame)
        + tap(base + vec2<i32>(1, 1), q, frame);
    return vec4<f32>(sum.rgb / sum.a, 1.0);
}
