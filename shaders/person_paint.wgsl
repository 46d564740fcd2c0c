// Person paint: each person's skin outside the face (neck, arms, hands) and their hair, blended
// over the upsampled background (premultiplied alpha: blend One, OneMinusSrcAlpha).
//
// Skin takes the character's skin ramp (the same tones as the face's skin) by the pixel's
// brightness relative to the face skin, so the person's shading is kept in three flat steps; hair
// (the person mask around and above the face oval, in the hair's colour) becomes a flat palette
// colour with a shadow and a light tone where the photo's hair is dark or lit. Everything is
// weighted by soft masks, so nothing pops.
//
// Two draws, skin then hair (`fs_skin`, `fs_hair`), each over the runs of person-mask cells the
// CPU listed as able to hold it (src/compose/paint.rs): cells with skin likelihood inside the
// person, and cells inside some person's hair region. A software rasterizer runs every
// instruction of a shader for every pixel it covers, so the cells are what keeps this cheap. Each
// run carries the person its cells belong to: the nearest face at the cell's centre (sideways
// distance counts fully, below the face only a little: the body hangs below its head).

// Keep in sync with `PaintUniforms` in src/compose/paint.rs.
struct PaintUniforms {
    // Output (= camera frame) size in pixels.
    frame_size: vec2<f32>,
    // Person mask (and skin mask) size in texels.
    mask_size: vec2<f32>,
    // Guide size in texels (the frame at the background's working resolution).
    guide_size: vec2<f32>,
    _pad0: u32,
    _pad1: u32,
}

// Keep in sync with `PersonUniform` in src/compose/paint.rs.
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

@group(0) @binding(0) var<uniform> u: PaintUniforms;
@group(0) @binding(1) var frame_tex: texture_2d<f32>;
// The guide: the frame at the background's working resolution.
@group(0) @binding(2) var guide_tex: texture_2d<f32>;
// r: person probability, g, b: its gradient, a: skin likelihood (src/compose/masks.rs).
@group(0) @binding(3) var mask_tex: texture_2d<f32>;
@group(0) @binding(4) var mask_sampler: sampler;
@group(0) @binding(5) var<uniform> people: array<PersonUniforms, MAX_PEOPLE>;

struct Cell {
    @builtin(position) position: vec4<f32>,
    // index into `people`
    @location(0) @interpolate(flat) person: u32,
}

// One instance per run of mask cells: (first cell x, last cell x, cell row, person). Cell (i, j)
// spans the texel centres i..i+1, j..j+1; the outermost cells also cover the half texel up to the
// frame border. Four vertices, a triangle strip over the run's rectangle.
@vertex
fn vs_main(@builtin(vertex_index) index: u32, @location(0) run: vec4<u32>) -> Cell {
    let px_per_texel = u.frame_size / u.mask_size;
    let last_cell = vec2<u32>(u.mask_size) - 2u;
    var low = (vec2<f32>(f32(run.x), f32(run.z)) + 0.5) * px_per_texel;
    var high = (vec2<f32>(f32(run.y), f32(run.z)) + 1.5) * px_per_texel;
    low = select(low, vec2<f32>(0.0), vec2<u32>(run.x, run.z) == vec2<u32>(0u));
    high = select(high, u.frame_size, vec2<u32>(run.y, run.z) == last_cell);
    let corner = select(low, high, vec2<bool>((index & 1u) != 0u, (index & 2u) != 0u));
    let ndc = vec2<f32>(corner.x / u.frame_size.x * 2.0 - 1.0, 1.0 - corner.y / u.frame_size.y * 2.0);
    return Cell(vec4<f32>(ndc, 0.0, 1.0), min(run.w, MAX_PEOPLE - 1u));
}

// The frame pixel in the face's frame (x right, y down along the face), in pixels.
fn face_space(p: PersonUniforms, at: vec2<f32>) -> vec2<f32> {
    let d = at - p.face.xy;
    return vec2<f32>(p.rot.x * d.x + p.rot.y * d.y, -p.rot.y * d.x + p.rot.x * d.y);
}

// The guide texel nearest to `g + offset` (guide texel coordinates), clamped to the picture.
fn guide_at(g: vec2<f32>, offset: vec2<f32>) -> vec3<f32> {
    let texel = clamp(vec2<i32>(round(g + offset)), vec2<i32>(0), vec2<i32>(u.guide_size) - 1);
    return textureLoad(guide_tex, texel, 0).rgb;
}

// The masks (person, gradient, skin) at a frame pixel.
fn masks_at(at: vec2<f32>) -> vec4<f32> {
    return textureSampleLevel(mask_tex, mask_sampler, at / u.frame_size, 0.0);
}

@fragment
fn fs_skin(cell: Cell) -> @location(0) vec4<f32> {
    let at = cell.position.xy;
    let masks = masks_at(at);
    let person = masks.r;
    let skin = masks.a;
    let p = people[cell.person];
    let frame = textureLoad(frame_tex, vec2<i32>(floor(at)), 0).rgb;
    let luma = dot(frame, vec3<f32>(0.299, 0.587, 0.114));
    let chroma = vec2<f32>(0.5 + 0.564 * (frame.b - luma), 0.5 + 0.713 * (frame.r - luma));
    // chroma relative to brightness, so shaded skin matches lit skin
    let d = (chroma - 0.5) * clamp(p.skin_chroma.z / max(luma, 0.02), 0.25, 4.0) - (p.skin_chroma.xy - 0.5);
    let d2 = p.skin_icov.x * d.x * d.x + 2.0 * p.skin_icov.y * d.x * d.y + p.skin_icov.z * d.y * d.y;
    // flat tones with narrow steps, the same ones the face's skin takes (src/stylize/face_tones.rs)
    let w = smoothstep(0.05, 0.3, skin) * exp(-0.5 * min(d2, 30.0)) * smoothstep(0.3, 0.7, person)
        * max(p.rot.w, 0.0);
    let shade = luma / max(p.skin_chroma.z, 0.05);
    var tone = mix(p.skin_shadow.rgb, p.skin_base.rgb, smoothstep(0.76, 0.8, shade));
    tone = mix(tone, p.skin_light.rgb, smoothstep(1.2, 1.24, shade));
    if w < 1.0 / 512.0 {
        discard;
    }
    return vec4<f32>(tone * w, w);
}

@fragment
fn fs_hair(cell: Cell) -> @location(0) vec4<f32> {
    let at = cell.position.xy;
    let person = masks_at(at).r;
    let p = people[cell.person];
    let q = face_space(p, at);
    let axes = p.face.zw;
    let qh = (q + vec2<f32>(0.0, p.hair_region.x * axes.y)) / (axes * p.hair_region.yz);
    let e = length(qh);
    let face_e = length(q / axes);
    let region = (1.0 - smoothstep(0.85, 1.0, e)) * smoothstep(0.98, 1.12, face_e);
    // the hair's brightness smoothed over a few pixels (the guide: the frame at the working
    // resolution), so strands do not break the flat tones into speckles
    let g = at * u.guide_size / u.frame_size - 0.5;
    var soft = guide_at(g, vec2<f32>(0.0)) + guide_at(g, vec2<f32>(-1.0, -1.0)) + guide_at(g, vec2<f32>(1.0, -1.0))
        + guide_at(g, vec2<f32>(-1.0, 1.0)) + guide_at(g, vec2<f32>(1.0, 1.0));
    soft *= 0.2;
    let luma_s = dot(soft, vec3<f32>(0.299, 0.587, 0.114));
    let chroma_s = vec2<f32>(0.5 + 0.564 * (soft.b - luma_s), 0.5 + 0.713 * (soft.r - luma_s));
    let d = chroma_s - p.hair_chroma.xy;
    let ratio = luma_s / max(p.hair_chroma.z, 0.03);
    let similar = exp(-dot(d, d) / (2.0 * 0.08 * 0.08)) * smoothstep(0.12, 0.3, ratio) * (1.0 - smoothstep(2.2, 2.8, ratio));
    let w = region * similar * smoothstep(0.4, 0.8, person) * max(p.rot.z, 0.0);
    // flat tones from the hair's own brightness: its light tone only where the photo's hair is
    // lit (no designed highlight band: on real hair it landed as grey patches)
    var tone = mix(p.hair_shadow.rgb, p.hair_base.rgb, smoothstep(0.7, 0.76, ratio));
    tone = mix(tone, p.hair_light.rgb, smoothstep(1.4, 1.48, ratio));
    if w < 1.0 / 512.0 {
        discard;
    }
    return vec4<f32>(tone * w, w);
}
