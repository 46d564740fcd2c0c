//! Criterion benches for the per-frame loops outside the models: tensor warps, the demo render,
//! the skin mask, the background's CPU upsampling. Run with `cargo bench --bench hot_loops`; compare ratios, not absolute times.

use criterion::{Criterion, criterion_group, criterion_main};
use webtoonme::compose::{CpuUpsampler, LowRes};
use webtoonme::frame::Frame;
use webtoonme::perception::geometry::{
    Affine2, Normalize, RotatedSquare, Sampling, letterbox, warp_rgb8, warp_to_tensor,
};
use webtoonme::perception::segment::Mask;
use webtoonme::perception::skin::{SkinAnalyzer, SkinStats};
use webtoonme::source::demo::{DemoConfig, DemoSource};

fn demo_frame() -> Frame {
    let mut demo = DemoSource::new(DemoConfig::default());
    let mut f = Frame::empty();
    demo.render(0, &mut f);
    f
}

fn warps(c: &mut Criterion) {
    let f = demo_frame();
    let mut det = vec![0.0f32; 192 * 192 * 3];
    let m = letterbox(f.width, f.height, 192);
    c.bench_function("letterbox 1280x720 -> 192x192 tensor", |b| {
        b.iter(|| {
            warp_to_tensor(&f.rgb, f.width, f.height, &m, Sampling::Indices, 192, 192, Normalize::SIGNED, &mut det)
        })
    });
    let roi = RotatedSquare { center: [640.0, 280.0], side: 220.0, angle: 0.1 };
    let m = roi.frame_from_crop(192.0);
    c.bench_function("rotated face crop -> 192x192 tensor", |b| {
        b.iter(|| warp_to_tensor(&f.rgb, f.width, f.height, &m, Sampling::Indices, 192, 192, Normalize::UNIT, &mut det))
    });
    let mut seg = vec![0.0f32; 256 * 144 * 3];
    let m = Affine2::scale_translate(1280.0 / 256.0, 720.0 / 144.0, 0.0, 0.0);
    c.bench_function("resize 1280x720 -> 256x144 tensor", |b| {
        b.iter(|| warp_to_tensor(&f.rgb, f.width, f.height, &m, Sampling::Indices, 256, 144, Normalize::UNIT, &mut seg))
    });
}

fn demo(c: &mut Criterion) {
    let mut demo = DemoSource::new(DemoConfig::default());
    let mut f = Frame::empty();
    let mut i = 0;
    c.bench_function("demo render 1280x720", |b| {
        b.iter(|| {
            demo.render(i % 600, &mut f);
            i += 37;
        })
    });
}

fn skin(c: &mut Criterion) {
    let f = demo_frame();
    let person = Mask { width: 256, height: 144, prob: vec![1.0; 256 * 144] };
    let stats = SkinStats {
        mean_rgb: [200.0, 150.0, 120.0],
        mean_ycbcr: [160.0, 110.0, 150.0],
        cov_cbcr: [20.0, -5.0, 25.0],
        luma_std: 20.0,
        samples: 1000,
    };
    let mut analyzer = SkinAnalyzer::default();
    let mut mask = Mask::default();
    c.bench_function("skin mask (person everywhere, one face)", |b| {
        b.iter(|| analyzer.skin_mask(&f.rgb, f.width, f.height, &person, &[stats], &mut mask))
    });
}

fn upsampling(c: &mut Criterion) {
    let f = demo_frame();
    let (lw, lh) = (640usize, 360usize);
    let mut guide = vec![0u8; lw * lh * 3];
    let m = Affine2::scale_translate(2.0, 2.0, 0.0, 0.0);
    warp_rgb8(&f.rgb, f.width, f.height, &m, lw, lh, &mut guide);
    // a cartoon-like background: the guide in 6 flat levels per channel
    let background: Vec<u8> = guide.iter().map(|&v| (v / 43) * 43 + 21).collect();
    let frame = LowRes { rgb: &f.rgb, width: f.width, height: f.height };
    let (bg, g) =
        (LowRes { rgb: &background, width: 640, height: 360 }, LowRes { rgb: &guide, width: 640, height: 360 });
    let mut up = CpuUpsampler::default();
    c.bench_function("background joint-bilateral upsampling 640x360 -> 1280x720 (CPU)", |b| {
        b.iter(|| up.upsample(frame, bg, Some(g), 0.6, 0.1).len())
    });
}

criterion_group!(benches, warps, demo, skin, upsampling);
criterion_main!(benches);
