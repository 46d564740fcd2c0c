// Background pass: joint-bilateral upsampling (JBU) of the stylized low-res background, guided by
// the full-resolution camera frame, written into the output texture (the composed frame's base
// layer). A compute shader, one invocation per output pixel: on software rasterizers (lavapipe)
// it costs a fraction of the same work as a fullscreen fragment pass.
//
// For each output pixel, the 2x2 low-res texels around its position (the bilinear footprint) are
// weighted by
//   spatial: a Gaussian of the texel's distance to the pixel (in low-res texels), times
//   range:   a Gaussian of the colour distance between the full-res frame pixel and the guide
//            (the frame at the working resolution, what the background model saw) at that texel,
// so a texel on the other side of an edge in the frame gets ~no weight and edges stay sharp.
// All colours are plain 8-bit values read as unorm [0, 1] (no sRGB conversion).
//
// Then each person's skin outside the face (neck, arms, hands) and hair are painted over it:
// skin takes the character's skin ramp (the same tones as the drawn face) by the pixel's
// brightness relative to the face skin, so shading is kept in three soft steps; hair (the person
// mask around and above the face oval, in the hair's colour) becomes a flat palette colour with
// a shadow tone and highlight bands. Everything is weighted by soft masks, so nothing pops.

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
    // People in `people` (0 = no skin or hair painting).
    people_count: u32,
    _pad1: f32,
}

// Keep in sync with `PersonUniform` in src/compose/background.rs.
struct PersonUniforms {
    // Face oval centre (frame px), half axes (px).
    face: vec4<f32>,
    // cos and sin of the head's roll, hair strength, skin strength (0..1).
    rot: vec4<f32>,
    // Face skin chroma (Cb, Cr, unorm), its luma (unorm), unused.
    skin_chroma: vec4<f32>,
    // Inverse chroma covariance (unorm^-2): cb*cb, cb*cr, cr*cr, unused.
    skin_icov: vec4<f32>,
    skin_shadow: vec4<f32>,
    skin_base: vec4<f32>,
    skin_light: vec4<f32>,
    // Hair chroma (Cb, Cr), its luma, unused.
    hair_chroma: vec4<f32>,
    hair_shadow: vec4<f32>,
    hair_base: vec4<f32>,
    hair_light: vec4<f32>,
    // Hair region: centre offset up from the face centre (in face half-heights), half axes as
    // multiples of the face's, unused.
    hair_region: vec4<f32>,
}

const MAX_PEOPLE: u32 = 8u;

@group(0) @binding(0) var<uniform> u: BackgroundUniforms;
@group(0) @binding(1) var frame_tex: texture_2d<f32>;
@group(0) @binding(2) var background_tex: texture_2d<f32>;
@group(0) @binding(3) var guide_tex: texture_2d<f32>;
@group(0) @binding(4) var output: texture_storage_2d<rgba8unorm, write>;
@group(0) @binding(5) var person_tex: texture_2d<f32>;
@group(0) @binding(6) var skin_tex: texture_2d<f32>;
@group(0) @binding(7) var<uniform> people: array<PersonUniforms, MAX_PEOPLE>;

// Bilinear read of a low-res mask (R32Float, not filterable) at mask texel coordinates.
fn mask_at(tex: texture_2d<f32>, at: vec2<f32>) -> f32 {
    let size = vec2<i32>(textureDimensions(tex));
    let p = clamp(at, vec2<f32>(0.0), vec2<f32>(size - 1));
    let i = vec2<i32>(floor(p));
    let f = p - vec2<f32>(i);
    let j = min(i + 1, size - 1);
    let top = mix(textureLoad(tex, i, 0).r, textureLoad(tex, vec2<i32>(j.x, i.y), 0).r, f.x);
    let bottom = mix(textureLoad(tex, vec2<i32>(i.x, j.y), 0).r, textureLoad(tex, j, 0).r, f.x);
    return mix(top, bottom, f.y);
}

// The frame pixel in the face's frame (x right, y down along the face), in pixels.
fn face_space(p: PersonUniforms, at: vec2<f32>) -> vec2<f32> {
    let d = at - p.face.xy;
    return vec2<f32>(p.rot.x * d.x + p.rot.y * d.y, -p.rot.y * d.x + p.rot.x * d.y);
}

// Paints skin and hair of the person nearest to `at` over `colour`; `frame` is the camera pixel.
fn paint_person(colour: vec3<f32>, frame: vec3<f32>, at: vec2<f32>, mask_at_px: vec2<f32>) -> vec3<f32> {
    let person = mask_at(person_tex, mask_at_px);
    if person < 0.05 {
        return colour;
    }
    // nearest face: sideways distance counts fully, below the face (the body) only a little
    var best = 0u;
    var best_d = 1e30;
    for (var k = 0u; k < u.people_count; k++) {
        let q = face_space(people[k], at) / people[k].face.zw;
        let d = abs(q.x) + 0.25 * max(q.y, 0.0) + max(-q.y, 0.0);
        if d < best_d {
            best_d = d;
            best = k;
        }
    }
    let p = people[best];
    let luma = dot(frame, vec3<f32>(0.299, 0.587, 0.114));
    let chroma = vec2<f32>(0.5 + 0.564 * (frame.b - luma), 0.5 + 0.713 * (frame.r - luma));
    var out = colour;

    let skin = mask_at(skin_tex, mask_at_px);
    if p.rot.w > 0.0 && skin > 0.02 {
        // chroma relative to brightness, so shaded skin matches lit skin
        let d = (chroma - 0.5) * clamp(p.skin_chroma.z / max(luma, 0.02), 0.25, 4.0) - (p.skin_chroma.xy - 0.5);
        let d2 = p.skin_icov.x * d.x * d.x + 2.0 * p.skin_icov.y * d.x * d.y + p.skin_icov.z * d.y * d.y;
        let w = smoothstep(0.05, 0.3, skin) * exp(-0.5 * min(d2, 30.0)) * smoothstep(0.3, 0.7, person) * p.rot.w;
        let shade = luma / max(p.skin_chroma.z, 0.05);
        var tone = mix(p.skin_shadow.rgb, p.skin_base.rgb, smoothstep(0.66, 0.8, shade));
        tone = mix(tone, p.skin_light.rgb, smoothstep(1.14, 1.3, shade));
        out = mix(out, tone, w);
    }

    if p.rot.z > 0.0 {
        let q = face_space(p, at);
        let axes = p.face.zw;
        let qh = (q + vec2<f32>(0.0, p.hair_region.x * axes.y)) / (axes * p.hair_region.yz);
        let e = length(qh);
        let face_e = length(q / axes);
        let region = (1.0 - smoothstep(0.85, 1.0, e)) * smoothstep(0.98, 1.12, face_e);
        if region > 0.0 {
            // the hair's brightness smoothed over a few pixels (the guide: the frame at the
            // working resolution), so strands do not break the flat tones into speckles
            let g = at * u.lowres_size / u.frame_size - 0.5;
            let last = vec2<i32>(u.lowres_size) - 1;
            var soft = textureLoad(guide_tex, clamp(vec2<i32>(round(g)), vec2<i32>(0), last), 0).rgb;
            for (var k = 0; k < 4; k++) {
                let o = vec2<f32>(f32(k % 2) * 2.0 - 1.0, f32(k / 2) * 2.0 - 1.0);
                soft += textureLoad(guide_tex, clamp(vec2<i32>(round(g + o)), vec2<i32>(0), last), 0).rgb;
            }
            soft *= 0.2;
            let luma_s = dot(soft, vec3<f32>(0.299, 0.587, 0.114));
            let chroma_s = vec2<f32>(0.5 + 0.564 * (soft.b - luma_s), 0.5 + 0.713 * (soft.r - luma_s));
            let d = chroma_s - p.hair_chroma.xy;
            let ratio = luma_s / max(p.hair_chroma.z, 0.03);
            let similar = exp(-dot(d, d) / (2.0 * 0.08 * 0.08)) * smoothstep(0.12, 0.3, ratio) * (1.0 - smoothstep(2.2, 2.8, ratio));
            let w = region * similar * smoothstep(0.4, 0.8, person) * p.rot.z;
            // a highlight band arcing over the crown, where the hair catches light anyway
            let band = smoothstep(0.5, 0.56, e) * (1.0 - smoothstep(0.64, 0.7, e)) * smoothstep(0.0, -0.3 * axes.y, q.y);
            var tone = mix(p.hair_shadow.rgb, p.hair_base.rgb, smoothstep(0.62, 0.78, ratio));
            tone = mix(tone, p.hair_light.rgb, max(smoothstep(1.35, 1.55, ratio), band * smoothstep(0.85, 1.05, ratio)));
            out = mix(out, tone, w);
        }
    }
    return out;
}

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
    let base = vec2<i32>(floor(q));
    let last_texel = vec2<i32>(u.lowres_size) - 1;

    var sum = vec3<f32>(0.0);
    var weight_sum = 0.0;
    for (var j = 0; j <= 1; j++) {
        for (var i = 0; i <= 1; i++) {
            let tap = base + vec2<i32>(i, j);
            let texel = clamp(tap, vec2<i32>(0), last_texel);
            let offset = vec2<f32>(tap) - q;
            let colour_diff = textureLoad(guide_tex, texel, 0).rgb - frame;
            let range_exponent = min(dot(colour_diff, colour_diff) * u.range_falloff, MAX_RANGE_EXPONENT);
            let weight = exp(-dot(offset, offset) * u.spatial_falloff - range_exponent);
            sum += weight * textureLoad(background_tex, texel, 0).rgb;
            weight_sum += weight;
        }
    }
    var colour = sum / weight_sum;
    if u.people_count > 0u {
        let at = vec2<f32>(id.xy) + 0.5;
        let mask_px = at * vec2<f32>(textureDimensions(person_tex)) / u.frame_size - 0.5;
        colour = paint_person(colour, frame, at, mask_px);
    }
    textureStore(output, pixel, vec4<f32>(colour, 1.0));
}
