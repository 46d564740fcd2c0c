// Face layer: pastes one stylized face crop back into the frame through the inverse of its
// alignment transform, blended over the composed frame (premultiplied alpha: blend One,
// OneMinusSrcAlpha). One draw per face; the vertex stage draws the crop square mapped into the
// frame (a triangle strip of 4 vertices), so only pixels the crop covers are shaded.
//
// Coordinates are continuous pixel coordinates: origin at the top-left corner of the top-left
// pixel, pixel (x, y) centred at (x + 0.5, y + 0.5), in the frame and in the crop alike.

// Keep in sync with `FaceUniforms` in src/compose/faces.rs.
struct FaceUniforms {
    // crop = [a b; d e] * frame + [c; f], stored as rows (a, b, c, 0) and (d, e, f, 0).
    crop_from_frame_x: vec4<f32>,
    crop_from_frame_y: vec4<f32>,
    // The inverse transform, same layout.
    frame_from_crop_x: vec4<f32>,
    frame_from_crop_y: vec4<f32>,
    // Output (= camera frame) size in pixels.
    frame_size: vec2<f32>,
    // Side of the square crop, in crop pixels.
    crop_size: f32,
    _pad0: f32,
}

@group(0) @binding(0) var<uniform> u: FaceUniforms;
// RGB: the stylized face; A: its feathered face+hair mask (straight alpha, not premultiplied).
@group(0) @binding(1) var crop_tex: texture_2d<f32>;

@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {
    // index 0..3 -> crop corners (0, 0), (S, 0), (0, S), (S, S), as a triangle strip.
    let corner = vec3<f32>(vec2<f32>(f32(index & 1u), f32(index >> 1u)) * u.crop_size, 1.0);
    let frame = vec2<f32>(dot(u.frame_from_crop_x.xyz, corner), dot(u.frame_from_crop_y.xyz, corner));
    let ndc = vec2<f32>(frame.x / u.frame_size.x * 2.0 - 1.0, 1.0 - frame.y / u.frame_size.y * 2.0);
    return vec4<f32>(ndc, 0.0, 1.0);
}

// One crop texel as premultiplied colour.
fn premultiplied(texel: vec2<i32>) -> vec4<f32> {
    let c = textureLoad(crop_tex, texel, 0);
    return vec4<f32>(c.rgb * c.a, c.a);
}

@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let frame = vec3<f32>(position.xy, 1.0);
    let crop = vec2<f32>(dot(u.crop_from_frame_x.xyz, frame), dot(u.crop_from_frame_y.xyz, frame));
    // Outside the crop nothing is pasted.
    if any(crop < vec2<f32>(0.0)) || any(crop > vec2<f32>(u.crop_size)) {
        discard;
    }
    // Bilinear on premultiplied texels (so transparent texels' colours never bleed in), clamped to
    // the crop's edge texels.
    let last = u.crop_size - 1.0;
    let s = clamp(crop - 0.5, vec2<f32>(0.0), vec2<f32>(last));
    let s0 = floor(s);
    let f = s - s0;
    let i0 = vec2<i32>(s0);
    let i1 = min(i0 + 1, vec2<i32>(i32(last)));
    let top = mix(premultiplied(i0), premultiplied(vec2<i32>(i1.x, i0.y)), f.x);
    let bottom = mix(premultiplied(vec2<i32>(i0.x, i1.y)), premultiplied(i1), f.x);
    let colour = mix(top, bottom, f.y);
    if colour.a <= 0.0 {
        discard;
    }
    return colour;
}
