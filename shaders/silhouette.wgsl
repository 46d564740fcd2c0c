// Silhouette ink: a soft ink line along the person mask's 0.5 contour, blended over the composed
// frame (premultiplied alpha: blend One, OneMinusSrcAlpha).
//
// The low-res person mask (probability in [0, 1], covering the whole frame) is upsampled
// bilinearly, with its gradient (the texels' central differences, in the mask texture's g and b,
// interpolated the same way: the line stays smooth across cell borders); the distance of a pixel to the contour is estimated as |m - 0.5| / |grad m| (in
// output pixels), so the line keeps its width whatever the mask's resolution. The line fades out
// where the mask is soft (weak gradient): an unsure mask draws no line.
//
// Only mask cells that can hold ink are drawn: the CPU lists, row by row, runs of cells (a cell
// spans the square between 4 neighbouring texel centres) whose 4x4 texel neighbourhood differs
// enough for the gradient to reach `soft_edge_gradient`; elsewhere this shader would draw nothing.

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
    // Mask gradient (per mask texel) below which no line is drawn, and from which it is full strength.
    soft_edge_gradient: f32,
    hard_edge_gradient: f32,
    _pad0: f32,
}

@group(0) @binding(0) var<uniform> u: SilhouetteUniforms;
// r: person probability, g, b: its gradient per texel, a: skin (src/compose/masks.rs).
@group(0) @binding(1) var mask_tex: texture_2d<f32>;
@group(0) @binding(2) var mask_sampler: sampler;

// One instance per run of cells: (first cell x, last cell x, cell row, unused). Cell (i, j) spans
// the texel centres i..i+1, j..j+1; the outermost cells also cover the half texel up to the frame
// border. Four vertices, a triangle strip over the run's rectangle.
@vertex
fn vs_main(@builtin(vertex_index) index: u32, @location(0) run: vec4<u32>) -> @builtin(position) vec4<f32> {
    let px_per_texel = u.frame_size / u.mask_size;
    let last_cell = vec2<u32>(u.mask_size) - 2u;
    var low = (vec2<f32>(f32(run.x), f32(run.z)) + 0.5) * px_per_texel;
    var high = (vec2<f32>(f32(run.y), f32(run.z)) + 1.5) * px_per_texel;
    low = select(low, vec2<f32>(0.0), vec2<u32>(run.x, run.z) == vec2<u32>(0u));
    high = select(high, u.frame_size, vec2<u32>(run.y, run.z) == last_cell);
    let corner = select(low, high, vec2<bool>((index & 1u) != 0u, (index & 2u) != 0u));
    let ndc = vec2<f32>(corner.x / u.frame_size.x * 2.0 - 1.0, 1.0 - corner.y / u.frame_size.y * 2.0);
    return vec4<f32>(ndc, 0.0, 1.0);
}

@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let texel_scale = u.mask_size / u.frame_size;
    let mask = textureSampleLevel(mask_tex, mask_sampler, position.xy / u.frame_size, 0.0);
    let m = mask.r;
    let gradient_texel = mask.gb;
    let gradient_px = length(gradient_texel * texel_scale);

    let distance_px = abs(m - 0.5) / max(gradient_px, 1e-6);
    let coverage = 1.0 - smoothstep(u.half_width_px - 0.5, u.half_width_px + 0.5, distance_px);
    let edge = smoothstep(u.soft_edge_gradient, u.hard_edge_gradient, length(gradient_texel));
    let alpha = u.ink.a * coverage * edge;
    if alpha < 1.0 / 512.0 {
        discard;
    }
    return vec4<f32>(u.ink.rgb * alpha, alpha);
}
