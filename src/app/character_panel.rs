//! The settings panel's "Character" tab: the knobs of the character being worn, tuned live, and
//! "Save as new character".
//!
//! In: the installed packs (the bases, never changed), which one the carousel shows, the user's
//! moves of the knobs. Out: [`PanelEvent`]s for the window: a tuned pack for the stylize thread
//! (new graphs, built on the "character-tuner" thread, or only a new look, applied from the next
//! frame) and a request to save the tuned character under a new name. UI thread.

use eframe::egui;

use super::theme;
use crate::character::tuning::{Knobs, LINE_WEIGHT};
use crate::character::{CharacterPack, CharacterSet};

/// What the panel asks of the window.
#[derive(Debug, Clone, PartialEq)]
pub enum PanelEvent {
    /// Character `index` is now `pack`; `graphs`: its `[style]` changed (new stylizer graphs).
    Tuned { index: usize, pack: Box<CharacterPack>, graphs: bool },
    /// Save character `index` as tuned, as a new character called `name`.
    Save { index: usize, knobs: Box<Knobs>, name: String },
}

/// The tab's state.
#[derive(Debug, Clone)]
pub struct CharacterPanel {
    packs: Vec<CharacterPack>,
    index: usize,
    knobs: Knobs,
    /// The knobs the pipeline has now.
    sent: Knobs,
    pub save_name: String,
    /// A save in progress (the button waits).
    pub saving: bool,
    /// The last save's outcome, or a tuning error.
    pub status: Option<String>,
}

impl CharacterPanel {
    pub fn new(set: &CharacterSet, index: usize) -> Self {
        let packs = set.packs.clone();
        let index = index.min(packs.len().saturating_sub(1));
        let knobs = packs.get(index).map(Knobs::of).unwrap_or_else(|| Knobs::of(&placeholder()));
        Self {
            save_name: packs.get(index).map(|p| format!("{} (mine)", p.name)).unwrap_or_default(),
            packs,
            index,
            sent: knobs.clone(),
            knobs,
            saving: false,
            status: None,
        }
    }

    /// The character being tuned.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The knobs as they are now.
    pub fn knobs(&self) -> &Knobs {
        &self.knobs
    }

    /// The carousel moved to `index`: the knobs show that character (tuning of the previous one
    /// stays on screen until the window restarts the pipeline).
    pub fn follow(&mut self, index: usize) {
        if index != self.index && index < self.packs.len() {
            self.index = index;
            self.knobs = Knobs::of(&self.packs[index]);
            self.sent = self.knobs.clone();
            self.save_name = format!("{} (mine)", self.packs[index].name);
        }
    }

    /// Set the knobs programmatically (tests, `--tune`) as if the user moved them.
    pub fn set_knobs(&mut self, knobs: Knobs) -> Option<PanelEvent> {
        self.knobs = knobs;
        self.changed()
    }

    /// Draw the tab; returns what the window should do.
    pub fn show(&mut self, ui: &mut egui::Ui) -> Vec<PanelEvent> {
        let mut events = Vec::new();
        let Some(base) = self.packs.get(self.index) else {
            ui.label("No character to tune.");
            return events;
        };
        let has_style = Knobs::has_style(base);
        let title = format!("Tuning {} ({})", base.name, base.provenance());
        ui.label(egui::RichText::new(title).color(theme::TEXT));
        if !has_style {
            ui.label("This character brings its own models: only its skin and eyes can be tuned here.");
        }
        ui.horizontal(|ui| {
            let label = ui.label("Name").id;
            ui.add(egui::TextEdit::singleline(&mut self.save_name).desired_width(180.0)).labelled_by(label);
        });
        let can_save = has_style && !self.saving && !self.save_name.trim().is_empty();
        let label = if self.saving { "Saving..." } else { "Save as new character" };
        let (mut save, mut reset) = (false, false);
        ui.horizontal(|ui| {
            save = ui.add_enabled(can_save, egui::Button::new(label)).clicked();
            reset = ui.button("Reset").clicked();
        });
        if save {
            self.saving = true;
            self.status = None;
            events.push(PanelEvent::Save {
                index: self.index,
                knobs: Box::new(self.knobs.clone()),
                name: self.save_name.trim().to_string(),
            });
        }
        if reset {
            self.knobs = Knobs::of(&self.packs[self.index]);
            if let Some(e) = self.changed() {
                events.push(e);
            }
        }
        if let Some(status) = &self.status {
            ui.label(egui::RichText::new(status).color(theme::TEXT_DIM));
        }
        ui.separator();
        ui.add_space(6.0);
        let k = &mut self.knobs;
        egui::Grid::new("character-grid").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
            if has_style && !k.palette.is_empty() {
                ui.label("Palette");
                // rows of four: a wrapped row in a grid cell would overlap the next row
                ui.vertical(|ui| {
                    for row in k.palette.chunks_mut(4) {
                        ui.horizontal(|ui| {
                            for c in row {
                                ui.color_edit_button_srgb(c);
                            }
                        });
                    }
                });
                ui.end_row();
            }
            if has_style {
                let label = ui.label("Line weight").id;
                ui.add(egui::Slider::new(&mut k.line_weight, LINE_WEIGHT).step_by(0.05).suffix("x")).labelled_by(label);
                ui.end_row();
                let label = ui.label("Line darkness").id;
                ui.add(egui::Slider::new(&mut k.line_darkness, 0.0..=1.0).step_by(0.05)).labelled_by(label);
                ui.end_row();
                let label = ui.label("Tone steps").id;
                ui.add(egui::Slider::new(&mut k.tone_steps, 0..=6)).labelled_by(label);
                ui.end_row();
                let label = ui.label("Saturation").id;
                ui.add(egui::Slider::new(&mut k.saturation, 0.0..=2.0).step_by(0.05)).labelled_by(label);
                ui.end_row();
            }
            if let Some(skin) = k.skin.as_mut() {
                ui.label("Skin tone / shade");
                ui.horizontal(|ui| {
                    ui.color_edit_button_srgb(&mut skin.tone);
                    ui.color_edit_button_srgb(&mut skin.shadow);
                });
                ui.end_row();
                let label = ui.label("Own skin kept").id;
                ui.add(egui::Slider::new(&mut skin.keep, 0.0..=1.0).step_by(0.05)).labelled_by(label);
                ui.end_row();
            }
            let label = ui.label("Eye size").id;
            ui.add(egui::Slider::new(&mut k.eye_scale, 0.8..=1.6).step_by(0.01)).labelled_by(label);
            ui.end_row();
            let label = ui.label("Iris size").id;
            ui.add(egui::Slider::new(&mut k.iris_scale, 0.8..=1.5).step_by(0.01)).labelled_by(label);
            ui.end_row();
            if let Some(iris) = k.iris.as_mut() {
                ui.label("Iris colour");
                ui.color_edit_button_srgb(iris);
                ui.end_row();
            }
        });
        if let Some(e) = self.changed() {
            events.push(e);
        }
        events
    }

    /// The event for knobs that differ from what the pipeline has.
    fn changed(&mut self) -> Option<PanelEvent> {
        if self.knobs == self.sent {
            return None;
        }
        let base = self.packs.get(self.index)?;
        let graphs = Knobs::has_style(base) && self.sent.changes_graphs(&self.knobs);
        self.sent = self.knobs.clone();
        Some(PanelEvent::Tuned { index: self.index, pack: Box::new(self.knobs.apply(base)), graphs })
    }
}

fn placeholder() -> CharacterPack {
    CharacterPack {
        id: String::new(),
        name: String::new(),
        author: String::new(),
        licence: String::new(),
        description: String::new(),
        dir: Default::default(),
        thumbnail: Default::default(),
        thumbnail_size: (0, 0),
        face: None,
        background: None,
        style: Default::default(),
        skin: None,
        geometry: Default::default(),
        drawing: None,
        builtin: false,
    }
}
