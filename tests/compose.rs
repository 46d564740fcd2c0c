//! The compositor on a real wgpu device (a software adapter: lavapipe, installed by setup), plus
//! the shaders checked by naga without any device.
//!
//! Every GPU test fails with a clear message when no adapter exists: a machine without one is a
//! broken setup, not a reason to skip.
//!
//! Timing (not run by default): `cargo test --release --test compose -- --ignored --nocapture`.

use std::time::Instant;

use webtoonme::compose::{
    AdapterPreference, Affine2x3, BackgroundUpsampling, ComposeError, ComposeInputs, Compositor, FLAT_SPREAD,
    FaceLayer, LowRes, MaskView, invert,
};

fn compositor() -> Compositor {
    match Compositor::new_headless_with(AdapterPreference::Software) {
        Ok(compositor) => compositor,
        Err(e) => {
            panic!("the compositor tests need a wgpu adapter; setup installs lavapipe (mesa-vulkan-drivers): {e}")
        }
    }
}

/// A deterministic pseudo-random picture (every byte value appears, no structure).
fn noise(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..width as usize * height as usize * 3)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        })
        .collect()
}

/// A smooth colourful picture (what bilinear resampling reproduces well).
fn smooth(width: u32, height: u32) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height {
        for x in 0..width {
            let (fx, fy) = (x as f32, y as f32);
            rgb.push((128.0 + 90.0 * (fx / 23.0).sin() * (fy / 31.0).cos()) as u8);
            rgb.push((128.0 + 80.0 * ((fx + fy) / 37.0).sin()) as u8);
            rgb.push((40.0 + fx / width as f32 * 180.0) as u8);
        }
    }
    rgb
}

fn apply(affine: &Affine2x3, x: f32, y: f32) -> (f32, f32) {
    let [a, b, c, d, e, f] = *affine;
    (a * x + b * y + c, d * x + e * y + f)
}

/// crop = scale * rotation(angle) * (frame - frame_centre) + crop_centre.
fn similarity(scale: f32, angle: f32, frame_centre: (f32, f32), crop_centre: (f32, f32)) -> Affine2x3 {
    let (s, c) = angle.sin_cos();
    let (a, b, d, e) = (scale * c, -scale * s, scale * s, scale * c);
    [
        a,
        b,
        crop_centre.0 - a * frame_centre.0 - b * frame_centre.1,
        d,
        e,
        crop_centre.1 - d * frame_centre.0 - e * frame_centre.1,
    ]
}

/// Bilinear sample of an RGB8 picture at continuous pixel coordinates (pixel centres at +0.5),
/// clamped to the edge.
fn bilinear(rgb: &[u8], width: u32, height: u32, x: f32, y: f32) -> [f32; 3] {
    let sx = (x - 0.5).clamp(0.0, (width - 1) as f32);
    let sy = (y - 0.5).clamp(0.0, (height - 1) as f32);
    let (x0, y0) = (sx.floor() as u32, sy.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(width - 1), (y0 + 1).min(height - 1));
    let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
    let at = |x: u32, y: u32, c: usize| rgb[(y * width + x) as usize * 3 + c] as f32;
    std::array::from_fn(|c| {
        let top = at(x0, y0, c) * (1.0 - fx) + at(x1, y0, c) * fx;
        let bottom = at(x0, y1, c) * (1.0 - fx) + at(x1, y1, c) * fx;
        top * (1.0 - fy) + bottom * fy
    })
}

/// 2x2 box downsampling (the guide a background model would have seen at half resolution).
fn half_size(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let (w, h) = (width / 2, height / 2);
    let mut out = Vec::with_capacity(w as usize * h as usize * 3);
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                let at = |dx: u32, dy: u32| rgb[((2 * y + dy) * width + 2 * x + dx) as usize * 3 + c] as u32;
                out.push(((at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1) + 2) / 4) as u8);
            }
        }
    }
    out
}

/// Uniform structs and their sizes in bytes: the Rust mirrors in src/compose/ assert the same sizes
/// at compile time, so a field added on one side only fails the build or this test.
const UNIFORM_SIZES: [(&str, u32); 7] = [
    ("BackgroundUniforms", 32),
    ("PaintUniforms", 32),
    ("PictureUniforms", 32),
    ("PersonUniforms", 192),
    ("SilhouetteUniforms", 48),
    ("FaceUniforms", 80),
    ("DrawnUniforms", 16),
];

#[test]
fn every_shader_parses_and_validates_with_naga() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let (mut checked, mut uniforms) = (Vec::new(), Vec::new());
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "wgsl") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        let name = path.display().to_string();
        let module = naga::front::wgsl::parse_str(&source)
            .unwrap_or_else(|e| panic!("{name} does not parse:\n{}", e.emit_to_string_with_path(&source, &name)));
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::default())
            .validate(&module)
            .unwrap_or_else(|e| panic!("{name} does not validate:\n{}", e.emit_to_string_with_path(&source, &name)));
        let mut layouter = naga::proc::Layouter::default();
        layouter.update(module.to_ctx()).unwrap();
        for (handle, ty) in module.types.iter() {
            let Some(name) = ty.name.as_deref().filter(|name| name.ends_with("Uniforms")) else { continue };
            let expected = UNIFORM_SIZES.iter().find(|(n, _)| *n == name).map(|(_, size)| *size);
            assert_eq!(Some(layouter[handle].size), expected, "{name} in {path:?}: size differs from its Rust mirror");
            uniforms.push(name.to_string());
        }
        checked.push(path.file_name().unwrap().to_string_lossy().into_owned());
    }
    checked.sort();
    assert_eq!(
        checked,
        [
            "background.wgsl",
            "drawn.wgsl",
            "face.wgsl",
            "face_warp.wgsl",
            "feed.wgsl",
            "person_paint.wgsl",
            "silhouette.wgsl"
        ]
    );
    uniforms.sort();
    assert_eq!(
        uniforms,
        [
            "BackgroundUniforms",
            "DrawnUniforms",
            "DrawnUniforms",
            "FaceUniforms",
            "PaintUniforms",
            "PersonUniforms",
            "PictureUniforms",
            "SilhouetteUniforms"
        ]
    );
}

#[test]
fn without_layers_the_output_is_the_frame_byte_for_byte() {
    let mut compositor = compositor();
    let mut out = Vec::new();
    // Odd sizes: rows that are not a multiple of wgpu's 256-byte copy alignment; then a size change.
    for (width, height, seed) in [(333, 217, 1), (333, 217, 2), (64, 48, 3), (1280, 720, 4)] {
        let frame = noise(width, height, seed);
        compositor.compose(&ComposeInputs::new(&frame, width, height), &mut out).unwrap();
        assert_eq!(out.len(), frame.len());
        let differing = out.iter().zip(&frame).filter(|(a, b)| a != b).count();
        assert_eq!(differing, 0, "{width}x{height}: {differing} bytes differ from the frame");
    }
    // For the window: the same picture stays on the GPU, in a texture it can sample.
    let frame = noise(64, 48, 5);
    let texture = compositor.compose_to_texture(&ComposeInputs::new(&frame, 64, 48)).unwrap();
    assert_eq!((texture.width(), texture.height()), (64, 48));
    assert!(texture.usage().contains(wgpu::TextureUsages::TEXTURE_BINDING));
}

#[test]
fn a_face_layer_lands_where_its_transform_says() {
    let (width, height) = (320, 240);
    let frame = noise(width, height, 7);
    // A 64x64 red crop, opaque inside a circle of radius 24 around its centre.
    let size = 64;
    let rgb: Vec<u8> = (0..size * size).flat_map(|_| [255, 0, 0]).collect();
    let alpha: Vec<u8> = (0..size * size)
        .map(|i| {
            let (u, v) = ((i % size) as f32 + 0.5 - 32.0, (i / size) as f32 + 0.5 - 32.0);
            if u.hypot(v) < 24.0 { 255 } else { 0 }
        })
        .collect();
    // Half scale and rotated: the circle lands around (200, 110) with radius 48 frame pixels.
    let crop_from_frame = similarity(0.5, 0.4, (200.0, 110.0), (32.0, 32.0));
    let faces = [FaceLayer { rgb: &rgb, size, alpha: &alpha, crop_from_frame }];
    let mut out = Vec::new();
    let mut compositor = compositor();
    compositor
        .compose(&ComposeInputs { faces: &faces, ..ComposeInputs::new(&frame, width, height) }, &mut out)
        .unwrap();

    let (mut red, mut unchanged_outside, mut inside, mut outside) = (0, 0, 0, 0);
    for y in 0..height {
        for x in 0..width {
            let i = (y * width + x) as usize * 3;
            let (u, v) = apply(&crop_from_frame, x as f32 + 0.5, y as f32 + 0.5);
            let radius = (u - 32.0).hypot(v - 32.0);
            if radius < 22.5 {
                inside += 1;
                red += usize::from(out[i..i + 3] == [255, 0, 0]);
            } else if radius > 25.5 {
                outside += 1;
                unchanged_outside += usize::from(out[i..i + 3] == frame[i..i + 3]);
            }
        }
    }
    // Bilinear taps reach 1.42 crop pixels around a point: within 22.5 crop pixels of the centre
    // (45 frame pixels, about 6360 pixels) every tap is opaque red, beyond 25.5 every tap is clear.
    assert!((6150..6550).contains(&inside), "{inside} pixels map inside the circle");
    assert_eq!(red, inside, "pixels inside the mapped circle must be the crop's red");
    assert_eq!(unchanged_outside, outside, "pixels outside the mapped circle must be unchanged");
}

#[test]
fn a_face_crop_resampled_from_the_frame_pastes_back_onto_itself() {
    let (width, height) = (320, 240);
    let frame = smooth(width, height);
    let size = 128;
    let crop_from_frame = similarity(1.3, -0.3, (150.0, 120.0), (64.0, 64.0));
    let frame_from_crop = invert(&crop_from_frame).unwrap();
    // Crop pixel (u, v) = bilinear frame sample at frame_from_crop(u + 0.5, v + 0.5); alpha 255 in
    // a disc of radius 40, feathered to 0 over 8 crop pixels.
    let mut rgb = Vec::new();
    let mut alpha = Vec::new();
    for v in 0..size {
        for u in 0..size {
            let (cu, cv) = (u as f32 + 0.5, v as f32 + 0.5);
            let (x, y) = apply(&frame_from_crop, cu, cv);
            rgb.extend(bilinear(&frame, width, height, x, y).map(|c| c.round() as u8));
            let r = (cu - 64.0).hypot(cv - 64.0);
            alpha.push((255.0 * ((48.0 - r) / 8.0).clamp(0.0, 1.0)).round() as u8);
        }
    }
    let faces = [FaceLayer { rgb: &rgb, size, alpha: &alpha, crop_from_frame }];
    let mut out = Vec::new();
    compositor()
        .compose(&ComposeInputs { faces: &faces, ..ComposeInputs::new(&frame, width, height) }, &mut out)
        .unwrap();

    let (mut error_sum, mut inside_values, mut changed_outside) = (0.0, 0usize, 0);
    for y in 0..height {
        for x in 0..width {
            let i = (y * width + x) as usize * 3;
            let (u, v) = apply(&crop_from_frame, x as f32 + 0.5, y as f32 + 0.5);
            let r = (u - 64.0).hypot(v - 64.0);
            if r < 47.0 {
                for c in 0..3 {
                    error_sum += (out[i + c] as f32 - frame[i + c] as f32).abs();
                    inside_values += 1;
                }
            } else if r > 50.0 {
                changed_outside += usize::from(out[i..i + 3] != frame[i..i + 3]);
            }
        }
    }
    let mean_error = error_sum / inside_values as f32;
    assert!(inside_values > 3 * 3800, "only {inside_values} values inside the face");
    assert!(mean_error <= 2.0, "mean abs error inside the face {mean_error:.2} levels (limit 2)");
    assert_eq!(changed_outside, 0, "pixels outside the face changed");
}

#[test]
fn background_upsampling_keeps_the_frames_edges_sharp() {
    for upsampling in [BackgroundUpsampling::Shader, BackgroundUpsampling::Cpu] {
        edges_stay_sharp(upsampling);
    }
}

#[test]
fn a_software_adapter_upsamples_on_the_cpu_and_gets_the_shaders_picture() {
    let mut compositor = compositor();
    assert_eq!(compositor.background_upsampling(), BackgroundUpsampling::Cpu, "lavapipe is a CPU adapter");
    // a real photo (the demo frame) and a cartoon-like background: the frame at half size in six
    // flat levels per channel, guided by the frame at half size
    let mut demo = webtoonme::source::demo::DemoSource::new(Default::default());
    let mut f = webtoonme::frame::Frame::empty();
    demo.render(40, &mut f);
    let (width, height) = (f.width, f.height);
    let guide = half_size(&f.rgb, width, height);
    let background: Vec<u8> = guide.iter().map(|&v| (v / 43) * 43 + 21).collect();
    let (lw, lh) = (width / 2, height / 2);
    let inputs = ComposeInputs {
        background: Some(LowRes { rgb: &background, width: lw, height: lh }),
        guide: Some(LowRes { rgb: &guide, width: lw, height: lh }),
        ..ComposeInputs::new(&f.rgb, width, height)
    };
    let (mut cpu, mut shader) = (Vec::new(), Vec::new());
    compositor.compose(&inputs, &mut cpu).unwrap();
    compositor.set_background_upsampling(BackgroundUpsampling::Shader);
    compositor.compose(&inputs, &mut shader).unwrap();
    let mut diffs: Vec<u8> = cpu.iter().zip(&shader).map(|(a, b)| a.abs_diff(*b)).collect();
    let mean = diffs.iter().map(|&d| d as f64).sum::<f64>() / diffs.len() as f64;
    diffs.sort_unstable();
    let p999 = diffs[diffs.len() * 999 / 1000];
    println!(
        "CPU vs shader upsampling: mean {mean:.3} levels, 99.9th percentile {p999}, max {}",
        diffs.last().unwrap()
    );
    // flat footprints skip the range term: within FLAT_SPREAD of the full computation
    assert!(mean < 0.5, "the CPU upsampling differs from the shader's by {mean:.2} levels on average");
    assert!(p999 <= FLAT_SPREAD + 2, "0.1% of values differ by more than {p999} levels");
    // and it is the stylized background, not the frame
    let from_frame = cpu.iter().zip(&f.rgb).map(|(a, b)| a.abs_diff(*b) as f64).sum::<f64>() / cpu.len() as f64;
    assert!(from_frame > 5.0, "the output is {from_frame:.1} levels from the frame: the background was not drawn");
}

fn edges_stay_sharp(upsampling: BackgroundUpsampling) {
    let (width, height) = (1280, 720);
    // A hard vertical edge between columns 640 (black) and 641 (white): at half resolution the
    // guide's column 320 is the grey average of both.
    let edge = 641;
    let frame: Vec<u8> = (0..width * height).flat_map(|i| if i % width < edge { [0; 3] } else { [255; 3] }).collect();
    let guide = half_size(&frame, width, height);
    let (lw, lh) = (width / 2, height / 2);
    // A background that is the guide itself: ideal upsampling gives the frame back.
    let low = LowRes { rgb: &guide, width: lw, height: lh };
    let inputs = ComposeInputs { background: Some(low), guide: Some(low), ..ComposeInputs::new(&frame, width, height) };
    let mut out = Vec::new();
    let mut compositor = compositor();
    compositor.set_background_upsampling(upsampling);
    compositor.compose(&inputs, &mut out).unwrap();

    // Compare within 8 pixels of the edge, against plain bilinear upsampling of the same picture.
    let (mut jbu_error, mut bilinear_error, mut jbu_max, mut count) = (0.0f32, 0.0f32, 0.0f32, 0);
    for y in 0..height {
        for x in edge - 8..edge + 8 {
            let i = (y * width + x) as usize * 3;
            let smooth = bilinear(&guide, lw, lh, (x as f32 + 0.5) / 2.0, (y as f32 + 0.5) / 2.0);
            for c in 0..3 {
                let jbu = (out[i + c] as f32 - frame[i + c] as f32).abs();
                jbu_error += jbu;
                jbu_max = jbu_max.max(jbu);
                bilinear_error += (smooth[c] - frame[i + c] as f32).abs();
                count += 1;
            }
        }
    }
    let (jbu_mean, bilinear_mean) = (jbu_error / count as f32, bilinear_error / count as f32);
    assert!(jbu_max <= 4.0, "{upsampling:?}: joint-bilateral output is {jbu_max} levels off near the edge (limit 4)");
    assert!(
        jbu_mean * 10.0 < bilinear_mean,
        "{upsampling:?}: near the edge: joint-bilateral mean error {jbu_mean:.2}, plain bilinear {bilinear_mean:.2}"
    );
    // Away from the edge the flat colours come through exactly.
    let far: Vec<usize> = [100usize, 1200].iter().map(|&x| (360 * width as usize + x) * 3).collect();
    for i in far {
        assert_eq!(out[i..i + 3], frame[i..i + 3]);
    }
}

/// A person disc of radius 40 mask texels around (128, 72) in a 256x144 mask (2.5 px per texel
/// on a 640x360 frame: radius 100 px around (320, 180)).
fn disc_mask() -> Vec<f32> {
    let (mw, mh) = (256, 144);
    (0..mw * mh)
        .map(|i| {
            let r = ((i % mw) as f32 + 0.5 - 128.0).hypot((i / mw) as f32 + 0.5 - 72.0);
            (40.5 - r).clamp(0.0, 1.0)
        })
        .collect()
}

/// The composed 640x360 frame with silhouette ink along the disc mask's edge.
fn ink_over(frame: &[u8], mask: &[f32]) -> Vec<u8> {
    let mut inputs = ComposeInputs {
        person_mask: Some(MaskView { data: mask, width: 256, height: 144 }),
        ..ComposeInputs::new(frame, 640, 360)
    };
    inputs.params.silhouette_ink = 1.0;
    inputs.params.silhouette_ink_width_px = 3.0;
    let mut out = Vec::new();
    compositor().compose(&inputs, &mut out).unwrap();
    out
}

#[test]
fn silhouette_ink_follows_the_person_mask_edge() {
    let (width, height) = (640u32, 360u32);
    // the photo: a darker person (120) on a light wall (200), where the mask says
    let frame: Vec<u8> = (0..width * height)
        .flat_map(|i| {
            let r = ((i % width) as f32 + 0.5 - 320.0).hypot((i / width) as f32 + 0.5 - 180.0);
            [if r < 100.0 { 120u8 } else { 200 }; 3]
        })
        .collect();
    let out = ink_over(&frame, &disc_mask());

    // Along the contour (radius 100 output pixels) the line is dark; well inside and outside the
    // frame is untouched.
    let at = |x: u32, y: u32| out[(y * width + x) as usize * 3] as i32;
    for angle in (0..360).step_by(15) {
        let (s, c) = (angle as f32).to_radians().sin_cos();
        let on_line = (0..7)
            .map(|k| {
                let r = 97.0 + k as f32;
                at((320.0 + r * c) as u32, (180.0 + r * s) as u32)
            })
            .min()
            .unwrap();
        assert!(on_line < 60, "no ink at angle {angle}: darkest {on_line}");
        for (r, want) in [(80.0, 120), (120.0, 200)] {
            let value = at((320.0 + r * c) as u32, (180.0 + r * s) as u32);
            assert_eq!(value, want, "ink away from the edge at angle {angle}, radius {r}");
        }
    }
}

/// Where the mask's contour crosses a flat part of the photo (the low-res mask strays over a wall
/// as light as the person, a table between people), no line is drawn: a wandering outline across
/// the background is the mask's error, not an edge anyone sees.
#[test]
fn silhouette_ink_needs_an_edge_in_the_photo() {
    let (width, height) = (640u32, 360u32);
    // flat wall with a little noise (JPEG-like, +-4 levels) on the left half; the person's real
    // outline (the disc) only on the right half
    let frame: Vec<u8> = (0..width * height)
        .flat_map(|i| {
            let (x, y) = (i % width, i / width);
            let r = (x as f32 + 0.5 - 320.0).hypot(y as f32 + 0.5 - 180.0);
            let noise = ((x * 7 + y * 13) % 9) as u8;
            [if x >= 330 && r < 100.0 { 120u8 } else { 196 + noise }; 3]
        })
        .collect();
    let out = ink_over(&frame, &disc_mask());
    let darkest_near = |angle: f32| {
        let (s, c) = angle.to_radians().sin_cos();
        (0..7)
            .map(|k| {
                let r = 97.0 + k as f32;
                let (x, y) = ((320.0 + r * c) as u32, (180.0 + r * s) as u32);
                out[(y * width + x) as usize * 3] as i32
            })
            .min()
            .unwrap()
    };
    for angle in [150.0f32, 180.0, 210.0] {
        assert!(darkest_near(angle) >= 190, "ink over the flat wall at angle {angle}: {}", darkest_near(angle));
    }
    for angle in [-30.0f32, 0.0, 30.0] {
        assert!(darkest_near(angle) < 60, "no ink on the real outline at angle {angle}: {}", darkest_near(angle));
    }
}

#[test]
fn resources_follow_changes_of_size_and_layers() {
    // The same inputs give the same pixels whatever was composed before (textures, bind groups and
    // the readback buffer are recreated when sizes change).
    let (width, height) = (200, 120);
    let frame = smooth(width, height);
    let guide = half_size(&frame, width, height);
    let background = noise(width / 2, height / 2, 9);
    let low = LowRes { rgb: &background, width: width / 2, height: height / 2 };
    let inputs = ComposeInputs {
        background: Some(low),
        guide: Some(LowRes { rgb: &guide, ..low }),
        ..ComposeInputs::new(&frame, width, height)
    };
    let mut compositor = compositor();
    let (mut first, mut out) = (Vec::new(), Vec::new());
    compositor.compose(&inputs, &mut first).unwrap();
    assert_ne!(first, frame, "the background was not drawn");

    let other = noise(90, 70, 10);
    compositor.compose(&ComposeInputs::new(&other, 90, 70), &mut out).unwrap();
    assert_eq!(out, other);
    compositor.compose(&ComposeInputs::new(&frame, width, height), &mut out).unwrap();
    assert_eq!(out, frame);
    compositor.compose(&inputs, &mut out).unwrap();
    assert!(out == first, "the same inputs composed differently after size and layer changes");
    // Without a guide the background is still drawn (smooth upsampling), then with it again.
    compositor.compose(&ComposeInputs { guide: None, ..inputs }, &mut out).unwrap();
    assert!(out != first && out != frame);
    compositor.compose(&inputs, &mut out).unwrap();
    assert!(out == first);
}

#[test]
fn bad_inputs_are_errors_that_say_what_is_wrong() {
    let mut compositor = compositor();
    let mut out = Vec::new();
    let frame = vec![0u8; 10 * 10 * 3];
    let error = compositor.compose(&ComposeInputs::new(&frame[..299], 10, 10), &mut out).unwrap_err();
    assert!(matches!(error, ComposeError::InputLength { got: 299, expected: 300, .. }), "{error}");
    assert!(error.to_string().contains("frame"), "{error}");

    let rgb = vec![0u8; 4 * 4 * 3];
    let alpha = vec![0u8; 16];
    let faces = [FaceLayer { rgb: &rgb, size: 4, alpha: &alpha, crop_from_frame: [1.0, 2.0, 0.0, 2.0, 4.0, 0.0] }];
    let error = compositor
        .compose(&ComposeInputs { faces: &faces, ..ComposeInputs::new(&frame, 10, 10) }, &mut out)
        .unwrap_err();
    assert!(matches!(error, ComposeError::FaceTransform { index: 0, .. }), "{error}");

    let guide = vec![0u8; 4 * 4 * 3];
    let background = vec![0u8; 5 * 5 * 3];
    let inputs = ComposeInputs {
        background: Some(LowRes { rgb: &background, width: 5, height: 5 }),
        guide: Some(LowRes { rgb: &guide, width: 4, height: 4 }),
        ..ComposeInputs::new(&frame, 10, 10)
    };
    assert!(matches!(compositor.compose(&inputs, &mut out), Err(ComposeError::GuideSize { .. })));
    // The compositor still works after errors.
    compositor.compose(&ComposeInputs::new(&frame, 10, 10), &mut out).unwrap();
    assert_eq!(out, frame);
}

/// Per-frame compose time at 720p: background 640x360 (+ guide), two 256x256 faces, with and
/// without the silhouette ink, readback included.
#[test]
#[ignore = "timing: run with --release --ignored --nocapture"]
fn compose_time_720p() {
    let (width, height) = (1280, 720);
    let frame = smooth(width, height);
    let guide = half_size(&frame, width, height);
    let background = noise(640, 360, 5);
    let size = 256;
    let face_rgb = noise(size, size, 6);
    let face_alpha = vec![255u8; (size * size) as usize];
    let mask: Vec<f32> = (0..256 * 144).map(|i| if (i % 256) > 100 { 1.0 } else { 0.0 }).collect();
    let faces = [
        FaceLayer {
            rgb: &face_rgb,
            size,
            alpha: &face_alpha,
            crop_from_frame: similarity(1.0, 0.2, (400.0, 300.0), (128.0, 128.0)),
        },
        FaceLayer {
            rgb: &face_rgb,
            size,
            alpha: &face_alpha,
            crop_from_frame: similarity(1.2, -0.1, (900.0, 350.0), (128.0, 128.0)),
        },
    ];
    let mut compositor = compositor();
    let info = compositor.adapter_info().unwrap();
    println!("adapter: {} ({:?}, {:?})", info.name, info.device_type, info.backend);
    let low = LowRes { rgb: &background, width: 640, height: 360 };
    let guide_low = LowRes { rgb: &guide, width: 640, height: 360 };
    let full = ComposeInputs {
        background: Some(low),
        guide: Some(guide_low),
        faces: &faces,
        ..ComposeInputs::new(&frame, width, height)
    };
    let mut with_ink = ComposeInputs { person_mask: Some(MaskView { data: &mask, width: 256, height: 144 }), ..full };
    with_ink.params.silhouette_ink = 0.8;
    let mut ink_only = ComposeInputs { person_mask: with_ink.person_mask, ..ComposeInputs::new(&frame, width, height) };
    ink_only.params.silhouette_ink = 0.8;
    let cases: [(&str, &ComposeInputs<'_>); 5] = [
        ("frame + ink", &ink_only),
        ("frame only", &ComposeInputs::new(&frame, width, height)),
        ("background + guide", &ComposeInputs { faces: &[], ..full }),
        ("background + guide + 2 faces", &full),
        ("background + guide + 2 faces + ink", &with_ink),
    ];
    let mut out = Vec::new();
    for (name, inputs) in cases {
        for _ in 0..5 {
            compositor.compose(inputs, &mut out).unwrap();
        }
        let cpu_start = process_cpu_seconds();
        let mut times: Vec<f64> = (0..30)
            .map(|_| {
                let start = Instant::now();
                compositor.compose(inputs, &mut out).unwrap();
                start.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        let cpu_ms = (process_cpu_seconds() - cpu_start) / 30.0 * 1e3;
        times.sort_by(f64::total_cmp);
        println!(
            "{name:40} wall: min {:6.2} ms  median {:6.2} ms  p90 {:6.2} ms; CPU (all threads) {cpu_ms:6.2} ms",
            times[0], times[15], times[27]
        );
    }
}

/// CPU time of this process, all threads (lavapipe's rasterizer threads included), from
/// /proc/self/stat (10 ms ticks: meaningful over many frames).
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
