//! The booth's look: a dark theme with one accent colour. One place for every colour the
//! window draws. UI thread.

use eframe::egui::{self, Color32};

/// The window's background: the renderer clears to it, so the panels and the bars around the
/// picture are never drawn (a software rasterizer pays for every pixel a shape covers).
pub const BACKGROUND: Color32 = Color32::from_rgb(16, 16, 22);
/// Panels drawn over the picture (settings).
pub const PANEL: Color32 = Color32::from_rgb(20, 20, 27);
pub const CARD_SELECTED: Color32 = Color32::from_rgb(44, 30, 44);
pub const CARD_HOVER: Color32 = Color32::from_rgb(34, 34, 44);
pub const OUTLINE: Color32 = Color32::from_rgb(70, 70, 86);
pub const BADGE: Color32 = Color32::from_rgba_premultiplied(0, 0, 0, 170);
pub const ACCENT: Color32 = Color32::from_rgb(255, 92, 138);
pub const TEXT: Color32 = Color32::from_rgb(240, 240, 245);
pub const TEXT_DIM: Color32 = Color32::from_rgb(150, 150, 165);
/// A line about something that went wrong (a print that failed).
pub const WARNING: Color32 = Color32::from_rgb(255, 176, 96);
/// The result card's ground: nearly opaque, so the QR code reads on any picture.
pub const CARD: Color32 = Color32::from_rgba_premultiplied(20, 20, 27, 244);
pub const OVERLAY: Color32 = Color32::from_rgba_premultiplied(0, 0, 0, 190);

pub fn apply(ctx: &egui::Context) {
    let mut visuals = egui::Visuals::dark();
    visuals.panel_fill = PANEL;
    visuals.window_fill = PANEL;
    visuals.extreme_bg_color = Color32::from_rgb(10, 10, 14);
    visuals.selection.bg_fill = ACCENT;
    ctx.set_visuals(visuals);
}
