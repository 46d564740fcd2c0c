// Drawn faces: every shape of the webtoon face (flat skin with designed shading, blush, lips, the
// open mouth, eyes, ink strokes), built on the CPU in frame pixels (src/draw/face.rs) and blended
// over the composed frame in drawing order (premultiplied alpha). Each vertex says how its pixels
// are coloured (`param.w`, the modes of src/draw/face.rs):
//   0 stroke: coverage from the distance across the strip (anti-aliased, any width)
//   1 fill: flat colour
//   2 eye: the character's gradient iris with a dark rim, pupil and catchlights over the person's
//     own eye (their white and gaze stay)
//   3 soft ellipse (blush)
//   4 skin: base / shadow / light from the per-vertex shade and highlight (crisp cel steps)
//   5 mouth: teeth along the top of the open mouth, dark inside below

// Keep in sync with `DrawnUniforms` in src/compose/drawn.rs.
struct DrawnUniforms {
    frame_size: vec2<f32>,
    _pad: vec2<f32>,
}

@group(0) @binding(0) var<uniform> u: DrawnUniforms;

// Keep in sync with `DrawVertex` in src/draw/face.rs.
struct VertexIn {
    @location(0) pos: vec2<f32>,
    @location(1) uv: vec2<f32>,
    @location(2) color: vec4<f32>,
    @location(3) color2: vec4<f32>,
    @location(4) param: vec4<f32>,
}

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
    @location(1) color: vec4<f32>,
    @location(2) color2: vec4<f32>,
    @location(3) param: vec4<f32>,
}

@vertex
fn vs_main(v: VertexIn) -> VertexOut {
    var out: VertexOut;
    out.position = vec4<f32>(v.pos.x / u.frame_size.x * 2.0 - 1.0, 1.0 - v.pos.y / u.frame_size.y * 2.0, 0.0, 1.0);
    out.uv = v.uv;
    out.color = v.color;
    out.color2 = v.color2;
    out.param = v.param;
    return out;
}

fn premultiplied(rgb: vec3<f32>, a: f32) -> vec4<f32> {
    let alpha = clamp(a, 0.0, 1.0);
    return vec4<f32>(rgb * alpha, alpha);
}

// Coverage of a disc of radius r (iris units) around c, anti-aliased over `aa` iris units.
fn disc(p: vec2<f32>, c: vec2<f32>, r: f32, aa: f32) -> f32 {
    return clamp((r - length(p - c)) / aa + 0.5, 0.0, 1.0);
}

// The person's own eye white stays (their gaze, lids, lashes and the shadow in the corners): only
// the iris and the catchlights are the character's. Keep the white's opacity 0 unless a look
// really wants painted whites.
const WHITE_OPACITY: f32 = 0.0;

fn eye(v: VertexOut) -> vec4<f32> {
    let p = v.uv;
    let r_px = max(v.param.y, 1.0);
    let aa = 1.0 / r_px;
    let e = length(p);
    let white = v.color2.rgb;
    let iris = v.color.rgb;
    // shadow cast by the upper lid over the top of the eye
    let lid = 1.0 - smoothstep(0.0, 0.45, v.param.x);
    var c = white * (1.0 - v.color2.a * lid) + vec3<f32>(0.35, 0.3, 0.45) * v.color2.a * lid * 0.25;
    // iris: dark at the top, lit at the bottom, a darker rim
    let t = clamp((p.y + 1.0) * 0.5, 0.0, 1.0);
    var ic = mix(iris * 0.35, min(iris * 1.5 + vec3<f32>(0.06), vec3<f32>(1.0)), pow(t, 1.3));
    ic = mix(ic, iris * 0.25, smoothstep(0.78, 0.98, e));
    ic = ic * (1.0 - 0.35 * lid);
    c = mix(c, ic, disc(p, vec2<f32>(0.0), 1.0, aa));
    // pupil
    c = mix(c, iris * 0.1, disc(p, vec2<f32>(0.0, 0.05), 0.42, aa));
    // catchlights: a large one up on the image-left, a small one low on the image-right
    if v.param.z >= 0.5 {
        c = mix(c, vec3<f32>(1.0), disc(p, vec2<f32>(-0.38, -0.36), 0.3, aa));
    }
    var a = mix(WHITE_OPACITY, 1.0, disc(p, vec2<f32>(0.0), 1.0, aa));
    if v.param.z >= 1.5 {
        c = mix(c, vec3<f32>(1.0), disc(p, vec2<f32>(0.4, 0.38), 0.13, aa));
        a = max(a, disc(p, vec2<f32>(0.4, 0.38), 0.13, aa));
    }
    return premultiplied(c, a);
}

@fragment
fn fs_main(v: VertexOut) -> @location(0) vec4<f32> {
    let m = i32(round(v.param.w));
    switch m {
        case 0: {
            // stroke: uv.x is -1..1 across a strip of half width param.x around a line of half
            // width param.y; one pixel of soft edge
            let d = abs(v.uv.x) * v.param.x;
            var coverage = clamp(v.param.y - d + 0.5, 0.0, 1.0);
            coverage = coverage * min(v.param.y * 2.0, 1.0);
            return premultiplied(v.color.rgb, v.color.a * coverage);
        }
        case 2: {
            return eye(v);
        }
        case 3: {
            let r = length(v.uv);
            return premultiplied(v.color.rgb, v.color.a * (1.0 - smoothstep(0.3, 1.0, r)));
        }
        case 4: {
            let shadow = smoothstep(0.46, 0.54, v.uv.x);
            var c = mix(v.color.rgb, v.color2.rgb, shadow);
            let light = smoothstep(0.45, 0.55, v.uv.y) * (1.0 - shadow) * v.color2.a;
            c = mix(c, v.param.xyz, light);
            return premultiplied(c, v.color.a);
        }
        case 5: {
            let teeth = 1.0 - smoothstep(v.param.y - 0.06, v.param.y + 0.06, v.param.x);
            return premultiplied(mix(v.color.rgb, v.color2.rgb, teeth), v.color.a);
        }
        default: {
            return premultiplied(v.color.rgb, v.color.a);
        }
    }
}
