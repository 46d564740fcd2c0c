// Silhouette ink: a soft ink line along the person mask's 0.5 contour, blended over the composed
// frame (premultiplied alpha: blend One, OneMinusSrcAlpha). Vertex stage: fullscreen.wgsl.
//
// The low-res person mask (probability in [0, 1], covering the whole frame) is upsampled
// bilinearly; the distance of a pixel to the contour is estimated as |m - 0.5| / |grad m| (in
// output pixels), so the line has a constant width whatever the mask's resolution. The line
// fades out where the mask is soft (weak gradient): an unsure mask draws no line.

// Keep in sync with `SilhouetteUniforms` in src/compose/silhouette.rs.
struct SilhouetteUniforms {
    // rgb: ink colour (unorm), a: strength in [0, 1].
    ink: vec4<f32>,
    // Output (= camera frame) size in pixels.
    frame_size: vec2<f32>,
    // Person mask size in texels.
    mask_size: vec2<f32>,
    // Half the line width, in output pixels.
    half_width_px: f32,
    _pad0: f32,
    _pad1: f32,
    _pad2: f32,
}

@group(0) @binding(0) var<uniform> u: SilhouetteUniforms;
@group(0) @binding(1) var mask_tex: texture_2d<f32>;

// Mask gradient (per mask texel) below which no line is drawn, and above which it is full strength.
const SOFT_EDGE_GRADIENT: f32 = 0.04;
const HARD_EDGE_GRADIENT: f32 = 0.15;

@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    // Bilinear mask value and its (analytic, per-texel) gradient, clamped to the edge.
    let texel_scale = u.mask_size / u.frame_size;
    let last = u.mask_size - 1.0;
    let p = clamp(position.xy * texel_scale - 0.5, vec2<f32>(0.0), last);
    let p0 = floor(p);
    let f = p - p0;
    let i0 = vec2<i32>(p0);
    let i1 = min(i0 + 1, vec2<i32>(last));
    let m00 = textureLoad(mask_tex, i0, 0).r;
    let m10 = textureLoad(mask_tex, vec2<i32>(i1.x, i0.y), 0).r;
    let m01 = textureLoad(mask_tex, vec2<i32>(i0.x, i1.y), 0).r;
    let m11 = textureLoad(mask_tex, i1, 0).r;
    // Flat mask (most of the frame): the gradient is below SOFT_EDGE_GRADIENT, no ink. Leaving
    // early makes this pass cheap on software rasterizers.
    let spread = max(max(m00, m10), max(m01, m11)) - min(min(m00, m10), min(m01, m11));
    if spread * 1.5 < SOFT_EDGE_GRADIENT {
        discard;
    }
    let m = mix(mix(m00, m10, f.x), mix(m01, m11, f.x), f.y);
    let gradient_texel = vec2<f32>(mix(m10 - m00, m11 - m01, f.y), mix(m01 - m00, m11 - m10, f.x));
    let gradient_px = length(gradient_texel * texel_scale);

    let distance_px = abs(m - 0.5) / max(gradient_px, 1e-6);
    let coverage = 1.0 - smoothstep(u.half_width_px - 0.5, u.half_width_px + 0.5, distance_px);
    let edge = smoothstep(SOFT_EDGE_GRADIENT, HARD_EDGE_GRADIENT, length(gradient_texel));
    let alpha = u.ink.a * coverage * edge;
    if alpha < 1.0 / 512.0 {
        discard;
    }
    return vec4<f32>(u.ink.rgb * alpha, alpha);
}
