// Background pass: joint-bilateral upsampling (JBU) of the stylized low-res background, guided by
// the full-resolution camera frame, written into the output texture (the composed frame's base
// layer). A compute shader, one invocation per output pixel: on software rasterizers (lavapipe)
// it costs a fraction of the same work as a fullscreen fragment pass.
//
// For each output pixel, the 3x3 low-res texels around its position are weighted by
//   spatial: a Gaussian of the texel's distance to the pixel (in low-res texels), times
//   range:   a Gaussian of the colour distance between the full-res frame pixel and the guide
//            (the frame at the working resolution, what the background model saw) at that texel,
// so a texel on the other side of an edge in the frame gets ~no weight and edges stay sharp.
// All colours are plain 8-bit values read as unorm [0, 1] (no sRGB conversion).

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
@group(0) @binding(4) var output: texture_storage_2d<rgba8unorm, write>;

// Upper bound of the range exponent: when no texel resembles the frame pixel (all range weights
// would underflow), the texels keep their spatial weights relative to each other.
const MAX_RANGE_EXPONENT: f32 = 30.0;

// Keep in sync with `WORKGROUP_SIDE` in src/compose/background.rs.
@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if any(vec2<f32>(id.xy) >= u.frame_size) {
        return;
    }
    let pixel = vec2<i32>(id.xy);
    let frame = textureLoad(frame_tex, pixel, 0).rgb;
    // The pixel centre in low-res texel-centre coordinates (texel i is centred at i).
    let q = (vec2<f32>(id.xy) + 0.5) * u.lowres_size / u.frame_size - 0.5;
    let nearest = vec2<i32>(round(q));
    let last_texel = vec2<i32>(u.lowres_size) - 1;

    var sum = vec3<f32>(0.0);
    var weight_sum = 0.0;
    for (var j = -1; j <= 1; j++) {
        for (var i = -1; i <= 1; i++) {
            let tap = nearest + vec2<i32>(i, j);
            let texel = clamp(tap, vec2<i32>(0), last_texel);
            let offset = vec2<f32>(tap) - q;
            let colour_diff = textureLoad(guide_tex, texel, 0).rgb - frame;
            let range_exponent = min(dot(colour_diff, colour_diff) * u.range_falloff, MAX_RANGE_EXPONENT);
            let weight = exp(-dot(offset, offset) * u.spatial_falloff - range_exponent);
            sum += weight * textureLoad(background_tex, texel, 0).rgb;
            weight_sum += weight;
        }
    }
    textureStore(output, pixel, vec4<f32>(sum / weight_sum, 1.0));
}
