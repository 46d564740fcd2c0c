use eframe::egui;
use std::time::Instant;
struct App {
    n: u64,
    t: Instant,
    tex: Option<egui::TextureHandle>,
    mode: String,
}
impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _f: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.n += 1;
        if self.t.elapsed().as_secs_f64() > 2.0 {
            println!("{} fps", self.n as f64 / self.t.elapsed().as_secs_f64());
            self.n = 0;
            self.t = Instant::now();
        }
        if self.mode == "image" {
            let tex = self.tex.get_or_insert_with(|| {
                ctx.load_texture(
                    "x",
                    egui::ColorImage::new([1280, 720], vec![egui::Color32::from_rgb(120, 80, 40); 1280 * 720]),
                    egui::TextureOptions::LINEAR,
                )
            });
            let r = ui.max_rect();
            ui.painter().image(
                tex.id(),
                r,
                egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
                egui::Color32::WHITE,
            );
        }
        ui.label(format!("frame {}", self.n));
        ctx.request_repaint();
    }
}
fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let renderer = eframe::Renderer::Wgpu;
    let mut opts = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([1280.0, 720.0]),
        renderer,
        dithering: false,
        ..Default::default()
    };
    if let Some(pm) = std::env::args().nth(3) {
        let pm = match pm.as_str() {
            "immediate" => eframe::egui_wgpu::wgpu::PresentMode::Immediate,
            "mailbox" => eframe::egui_wgpu::wgpu::PresentMode::Mailbox,
            _ => eframe::egui_wgpu::wgpu::PresentMode::AutoNoVsync,
        };
        opts.wgpu_options =
            eframe::egui_wgpu::WgpuConfiguration::default().with_surface_config(eframe::egui_wgpu::SurfaceConfig {
                present_mode: pm,
                desired_maximum_frame_latency: Some(2),
            });
    }
    eframe::run_native("idle", opts, Box::new(move |_| Ok(Box::new(App { n: 0, t: Instant::now(), tex: None, mode }))))
        .unwrap();
}
