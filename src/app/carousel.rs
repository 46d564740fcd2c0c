//! The character carousel along the bottom: every installed character's thumbnail and name,
//! the current one highlighted; click, 1-9 or Left/Right to choose.
//!
//! In: character packs (thumbnails read once at start), key presses, clicks. Out: the chosen
//! character index when it changes. UI thread.

use eframe::egui::{self, Align2, Color32, CornerRadius, FontId, Rect, Sense, Stroke, StrokeKind, Vec2, pos2};

use crate::character::CharacterSet;

use super::theme;

/// Side of a thumbnail on screen, points.
const THUMB: f32 = 76.0;
const CARD_W: f32 = 104.0;
const GAP: f32 = 14.0;
/// Height of the carousel panel, points.
pub const HEIGHT: f32 = 132.0;

pub struct Carousel {
    cards: Vec<Card>,
    pub current: usize,
}

struct Card {
    name: String,
    thumbnail: Option<egui::TextureHandle>,
    /// Its pack broke while running: shown dimmed, cannot be chosen.
    disabled: bool,
}

impl Carousel {
    pub fn new(ctx: &egui::Context, set: &CharacterSet, current: usize) -> Self {
        let cards = set
            .packs
            .iter()
            .map(|p| Card {
                name: p.name.clone(),
                thumbnail: match load_thumbnail(&p.thumbnail) {
                    Ok(img) => Some(ctx.load_texture(format!("thumb-{}", p.id), img, egui::TextureOptions::LINEAR)),
                    Err(e) => {
                        log::warn!("{}: {e}", p.thumbnail.display());
                        None
                    }
                },
                disabled: false,
            })
            .collect();
        Self { cards, current }
    }

    /// The thumbnails that loaded, in carousel order.
    pub fn thumbnails(&self) -> impl Iterator<Item = egui::TextureId> + '_ {
        self.cards.iter().filter_map(|c| c.thumbnail.as_ref().map(|t| t.id()))
    }

    pub fn len(&self) -> usize {
        self.cards.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cards.is_empty()
    }

    /// The character at `index` broke: dimmed, skipped by the keys, not clickable; the current
    /// choice moves to the next one that works (returned when it moved).
    pub fn disable(&mut self, index: usize) -> Option<usize> {
        let card = self.cards.get_mut(index)?;
        card.disabled = true;
        if self.current != index {
            return None;
        }
        let n = self.cards.len();
        let next = (1..n).map(|k| (index + k) % n).find(|&i| !self.cards[i].disabled)?;
        self.current = next;
        Some(next)
    }

    pub fn is_disabled(&self, index: usize) -> bool {
        self.cards.get(index).is_some_and(|c| c.disabled)
    }

    /// The next card after `from` in direction `step` (+1 / n-1) that can be chosen.
    pub fn step_from(&self, from: usize, step: usize) -> usize {
        let n = self.cards.len().max(1);
        (1..=n).map(|k| (from + k * step) % n).find(|&i| !self.is_disabled(i)).unwrap_or(from)
    }

    pub fn name(&self, index: usize) -> &str {
        self.cards.get(index).map_or("", |c| c.name.as_str())
    }

    /// Hotkeys: 1-9 pick, Left/Right step (wrapping). Returns the new choice when it changed.
    pub fn keys(&mut self, input: &egui::InputState) -> Option<usize> {
        const DIGITS: [egui::Key; 9] = [
            egui::Key::Num1,
            egui::Key::Num2,
            egui::Key::Num3,
            egui::Key::Num4,
            egui::Key::Num5,
            egui::Key::Num6,
            egui::Key::Num7,
            egui::Key::Num8,
            egui::Key::Num9,
        ];
        let n = self.cards.len();
        if n == 0 {
            return None;
        }
        let mut next = self.current;
        for (i, key) in DIGITS.iter().enumerate() {
            if input.key_pressed(*key) && i < n {
                next = i;
            }
        }
        if input.key_pressed(egui::Key::ArrowRight) {
            next = self.step_from(self.current, 1);
        }
        if input.key_pressed(egui::Key::ArrowLeft) {
            next = self.step_from(self.current, n - 1);
        }
        self.choose(next)
    }

    fn choose(&mut self, index: usize) -> Option<usize> {
        (index != self.current && index < self.cards.len() && !self.cards[index].disabled).then(|| {
            self.current = index;
            index
        })
    }

    /// Draws the cards centred in `ui`; returns the new choice when a card was clicked.
    pub fn show(&mut self, ui: &mut egui::Ui) -> Option<usize> {
        let area = ui.available_rect_before_wrap();
        let n = self.cards.len() as f32;
        let total = n * CARD_W + (n - 1.0).max(0.0) * GAP;
        let mut x = area.center().x - total * 0.5;
        let top = area.center().y - (THUMB + 30.0) * 0.5;
        let mut clicked = None;
        for (i, card) in self.cards.iter().enumerate() {
            let rect = Rect::from_min_size(pos2(x, top), Vec2::new(CARD_W, THUMB + 30.0));
            x += CARD_W + GAP;
            let response = ui.interact(rect, ui.scope_id().with(("card", i)), Sense::click());
            let selected = i == self.current;
            response.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, selected, &card.name));
            let painter = ui.painter();
            let thumb = Rect::from_center_size(pos2(rect.center().x, rect.min.y + THUMB * 0.5), Vec2::splat(THUMB));
            if selected {
                painter.rect_filled(rect.expand(4.0), CornerRadius::same(14), theme::CARD_SELECTED);
            } else if response.hovered() {
                painter.rect_filled(rect.expand(4.0), CornerRadius::same(14), theme::CARD_HOVER);
            }
            match &card.thumbnail {
                Some(t) => {
                    let uv = Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0));
                    let tint = if card.disabled { Color32::from_gray(70) } else { Color32::WHITE };
                    painter.image(t.id(), thumb, uv, tint);
                }
                None => {
                    painter.rect_filled(thumb, CornerRadius::same(10), theme::CARD_HOVER);
                }
            }
            let (ring, width) = if selected { (theme::ACCENT, 3.0) } else { (theme::OUTLINE, 1.0) };
            painter.rect_stroke(thumb, CornerRadius::same(10), Stroke::new(width, ring), StrokeKind::Outside);
            if i < 9 {
                let badge = Rect::from_center_size(thumb.left_top() + Vec2::new(12.0, 12.0), Vec2::splat(20.0));
                painter.rect_filled(badge, CornerRadius::same(10), theme::BADGE);
                painter.text(badge.center(), Align2::CENTER_CENTER, i + 1, FontId::proportional(12.0), theme::TEXT);
            }
            let colour = if selected { theme::TEXT } else { theme::TEXT_DIM };
            let label = if card.disabled { format!("{} (off)", card.name) } else { card.name.clone() };
            painter.text(
                pos2(rect.center().x, thumb.max.y + 8.0),
                Align2::CENTER_TOP,
                label,
                FontId::proportional(15.0),
                colour,
            );
            if response.clicked() {
                clicked = Some(i);
            }
        }
        clicked.and_then(|i| self.choose(i))
    }
}

/// A thumbnail as an egui picture, scaled down to at most 160 pixels a side.
fn load_thumbnail(path: &std::path::Path) -> anyhow::Result<egui::ColorImage> {
    let img = image::open(path)?.thumbnail(160, 160).to_rgba8();
    let size = [img.width() as usize, img.height() as usize];
    Ok(egui::ColorImage::from_rgba_unmultiplied(size, img.as_raw()))
}
