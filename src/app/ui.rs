//! The booth's screen as a UI model that needs no pipeline: top bar, carousel, the feed (alone or
//! side by side with the camera picture, mirrored, cross-fading after a character change), face
//! labels and clicks, the status overlay, kiosk behaviour (controls that hide, attract screen,
//! Esc twice), the camera-lost card, the capture buttons and their countdowns (clip, photo,
//! four-cut strip, boomerang), the result card (the keepsake just kept, a large QR code of its
//! link, the short link, what is kept for how long, printing) and the settings panel (booth;
//! take it home: sharing and printing).
//!
//! In: a [`FeedView`] each frame (egui texture ids and the faces on screen: from the live
//! pipeline in the window, synthetic pictures in tests), egui input, [`ResultCard`]s from the
//! owner. Out: drawing, and [`Action`]s for the owner (choose a character, cycle a face, save the
//! config, restart the pipeline, capture, print). UI thread.

use std::path::PathBuf;

use eframe::egui::{
    self, Align2, Color32, CornerRadius, CursorIcon, Event, FontId, Key, Rect, Sense, Stroke, StrokeKind, Vec2, pos2,
};

use crate::character::CharacterSet;
use crate::config::{Config, LEAVE_KEYS, Provider, RESOLUTIONS};
use crate::share::qr::QrCode;
use crate::source::SourceSpec;

use super::carousel::{self, Carousel};
use super::character_panel::{CharacterPanel, PanelEvent};
use super::feed::ShownFace;
use super::fit;
use super::kiosk::KioskState;
use super::take_home::TakeHomeInfo;
use super::theme;

/// A picture on the GPU that egui can draw, and its size in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shown {
    pub texture: egui::TextureId,
    pub size: [u32; 2],
}

/// How the feed's pictures reach the screen.
pub trait DrawPicture {
    /// Draws `texture` over `rect` (points) with texture coordinates `uv`, at `opacity` (0..1).
    fn draw(&self, painter: &egui::Painter, texture: egui::TextureId, rect: Rect, uv: Rect, opacity: f32);
}

/// egui's own image shapes: any texture egui knows (the tests' synthetic frames).
#[derive(Debug, Clone, Copy)]
pub struct EguiImages;

impl DrawPicture for EguiImages {
    fn draw(&self, painter: &egui::Painter, texture: egui::TextureId, rect: Rect, uv: Rect, opacity: f32) {
        painter.image(texture, rect, uv, Color32::WHITE.gamma_multiply(opacity.clamp(0.0, 1.0)));
    }
}

/// What the screen shows this frame.
#[derive(Clone, Copy)]
pub struct FeedView<'a> {
    /// The stylized frame (None until the first one).
    pub stylized: Option<Shown>,
    /// The camera frame, for side by side.
    pub original: Option<Shown>,
    /// The picture from before a character change and its opacity (1 -> 0), drawn over the new one.
    pub fading: Option<(egui::TextureId, f32)>,
    /// The faces of the stylized frame, in its pixels.
    pub faces: &'a [ShownFace],
    /// Lines of the status overlay (shown when it is on).
    pub status: &'a [String],
    /// Draws the pictures above (the live feed's own quad, or egui images).
    pub pictures: &'a dyn DrawPicture,
    /// The clip being recorded (None: no clip).
    pub recording: Option<RecordingView>,
}

/// The clip being recorded, as the screen shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordingView {
    pub length: std::time::Duration,
    pub max: std::time::Duration,
    /// Frames the encoder could not take.
    pub dropped: u64,
}

/// Countdowns, the clip, the strip's shots: what the booth is capturing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CaptureFlow {
    Idle,
    /// A clip starts at `at` (UI time, seconds).
    ClipCountdown {
        at: f64,
    },
    /// A clip is being recorded (since `since`).
    Recording {
        since: f64,
    },
    /// Four-cut strip: shot `next` (0..4) is taken at `at`.
    Strip {
        next: usize,
        at: f64,
    },
    /// A boomerang starts at `at`.
    BoomerangCountdown {
        at: f64,
    },
    /// A boomerang is being recorded until `until`.
    Boomerang {
        until: f64,
    },
}

/// How long the white flash of a photo or shot lasts, seconds.
const FLASH_S: f64 = 0.35;
/// Width of the capture buttons' column at the right of the carousel, points (two buttons side
/// by side, big enough to touch).
const CAPTURE_COLUMN: f32 = 270.0;
/// How long a line about a kept file stays, seconds.
const TOAST_S: f64 = 5.0;

/// What the owner of the UI should do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// New people, and everyone in view, wear this character.
    Choose(usize),
    /// The next character for this tracked person (a click on the face).
    CycleTrack(u32),
    /// "Everyone different" on or off.
    EveryoneDifferent(bool),
    /// The config changed: save it.
    SaveConfig,
    /// The source, its resolution or the execution provider changed: restart the pipeline.
    Restart,
    /// Start recording a clip (after its countdown).
    StartClip,
    /// Stop the clip being recorded.
    StopClip,
    /// A photo of the frame on screen.
    TakePhoto,
    /// Shot k (0..4) of a four-cut strip.
    StripShot(usize),
    /// Start recording a boomerang (after its countdown).
    StartBoomerang,
    /// Print this kept file (the result card's button).
    Print(PathBuf),
    /// The character panel tuned a character or asks to save it.
    Character(PanelEvent),
}

/// The tabs of the settings panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SettingsTab {
    Booth,
    TakeHome,
    Character,
}

/// The keepsake just kept, as the screen shows it beside the feed until the next visitor
/// starts: its picture, the QR code of its link and the link, what is kept for how long, and
/// the print's state.
pub struct ResultCard {
    /// "Your four-cut strip".
    pub title: String,
    /// Its picture and size in pixels.
    pub picture: Option<(egui::TextureHandle, [u32; 2])>,
    /// The link's QR code (one texel per module, quiet zone included) and its modules per side.
    pub qr: Option<(egui::TextureHandle, usize)>,
    pub url: Option<String>,
    /// What is kept and for how long (one line).
    pub kept_line: String,
    /// The print's state, and whether it failed.
    pub print_line: Option<(String, bool)>,
    /// The file the Print button prints (None: no button).
    pub printable: Option<PathBuf>,
    /// When it was first shown (UI time; None: not yet).
    shown_at: Option<f64>,
}

impl std::fmt::Debug for ResultCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultCard").field("title", &self.title).field("url", &self.url).finish_non_exhaustive()
    }
}

impl ResultCard {
    /// A card for the keepsake `title`, its picture (RGB8 with its size), and its link's URL;
    /// the textures are made here (once per keepsake).
    pub fn new(
        ctx: &egui::Context,
        title: String,
        picture: Option<(&[u8], [u32; 2])>,
        url: Option<&str>,
        kept_line: String,
    ) -> Self {
        let picture =
            picture.filter(|(rgb, [w, h])| rgb.len() == (*w as usize) * (*h as usize) * 3).map(|(rgb, size)| {
                let image = egui::ColorImage::from_rgb([size[0] as usize, size[1] as usize], rgb);
                (ctx.load_texture("result-picture", image, egui::TextureOptions::LINEAR), size)
            });
        let qr = url.and_then(|u| QrCode::new(u).ok()).map(|code| {
            let side = code.side();
            let image = egui::ColorImage::from_rgba_unmultiplied([side, side], &code.to_rgba());
            // nearest: every module stays a sharp square however large it is drawn
            (ctx.load_texture("result-qr", image, egui::TextureOptions::NEAREST), side)
        });
        Self {
            title,
            picture,
            qr,
            url: url.map(String::from),
            kept_line,
            print_line: None,
            printable: None,
            shown_at: None,
        }
    }
}

/// The settings being edited (applied on Save).
#[derive(Debug, Clone)]
struct Draft {
    config: Config,
    source: SourceSpec,
    output_folder: String,
}

pub struct BoothUi {
    /// The settings in use (saved by the owner on [`Action::SaveConfig`]).
    pub config: Config,
    /// Where the config lives (shown in the settings panel).
    pub config_path: Option<PathBuf>,
    /// The source the pipeline runs on.
    pub source: SourceSpec,
    /// Cameras found at start: (index, name).
    cameras: Vec<(u32, String)>,
    /// Character (id, name), in carousel order.
    characters: Vec<(String, String)>,
    pub carousel: Carousel,
    pub mirror: bool,
    pub side_by_side: bool,
    pub show_status: bool,
    pub kiosk: KioskState,
    draft: Option<Draft>,
    /// A line over the feed: the source ended, a pipeline error, restarting...
    pub message: Option<String>,
    /// While the camera is lost: why (the card says it is being retried).
    pub source_lost: Option<String>,
    actions: Vec<Action>,
    /// Whether the controls were drawn in the last frame (for tests and the screenshot report).
    pub controls_shown: bool,
    /// Whether the attract screen was drawn in the last frame.
    pub attract_shown: bool,
    /// Where the stylized frame was drawn in the last frame (window points).
    pub feed_rect: Option<Rect>,
    /// Countdowns, the clip, the strip being shot.
    pub capture: CaptureFlow,
    /// When the last photo or shot was taken (UI time): the screen flashes.
    flash_at: Option<f64>,
    /// A line about a file kept (or not), and until when it shows (UI time).
    toast: Option<(String, f64)>,
    /// Whether `show` paints the window's background itself. The window sets its renderer's
    /// clear colour to [`theme::BACKGROUND`] instead (one shape fewer over the whole window).
    pub paint_background: bool,
    /// The keepsake just kept, until the next visitor starts.
    pub result: Option<ResultCard>,
    /// Whether the result card was drawn in the last frame.
    pub result_shown: bool,
    /// Where it was drawn (lines on screen go beside it).
    card_rect: Option<Rect>,
    /// Addresses, printers and the link's address, for the settings panel.
    pub take_home: TakeHomeInfo,
    settings_tab: SettingsTab,
    /// The "Character" tab: the worn character's knobs, live.
    pub character_panel: CharacterPanel,
}

impl BoothUi {
    pub fn new(
        ctx: &egui::Context,
        characters: &CharacterSet,
        current: usize,
        config: Config,
        config_path: Option<PathBuf>,
        source: SourceSpec,
        cameras: Vec<(u32, String)>,
    ) -> Self {
        theme::apply(ctx);
        let mirror = matches!(source, SourceSpec::Camera { .. }) && config.mirror;
        let now = ctx.input(|i| i.time);
        Self {
            carousel: Carousel::new(ctx, characters, current),
            characters: characters.packs.iter().map(|p| (p.id.clone(), p.name.clone())).collect(),
            mirror,
            side_by_side: false,
            show_status: false,
            kiosk: KioskState::new(false, now),
            draft: None,
            message: None,
            source_lost: None,
            actions: Vec::with_capacity(8),
            controls_shown: true,
            attract_shown: false,
            feed_rect: None,
            paint_background: true,
            capture: CaptureFlow::Idle,
            flash_at: None,
            toast: None,
            result: None,
            result_shown: false,
            card_rect: None,
            take_home: TakeHomeInfo::default(),
            settings_tab: SettingsTab::Booth,
            character_panel: CharacterPanel::new(characters, current),
            config,
            config_path,
            source,
            cameras,
        }
    }

    /// The installed characters changed (one was saved from the character panel): the carousel,
    /// the names and the panel show `set`, with `current` chosen (the owner restarts the
    /// pipeline with the same set).
    pub fn set_characters(&mut self, ctx: &egui::Context, set: &CharacterSet, current: usize) {
        self.carousel = Carousel::new(ctx, set, current);
        self.characters = set.packs.iter().map(|p| (p.id.clone(), p.name.clone())).collect();
        let status = self.character_panel.status.take();
        self.character_panel = CharacterPanel::new(set, current);
        self.character_panel.status = status;
    }

    /// Starts in fullscreen kiosk mode.
    pub fn start_fullscreen(&mut self, ctx: &egui::Context) {
        let now = ctx.input(|i| i.time);
        self.kiosk.set_fullscreen(true, now);
    }

    /// Opens a part of the screen by name: settings, side-by-side, status, labels.
    pub fn open(&mut self, part: &str) -> Result<(), String> {
        match part {
            "settings" if self.draft.is_none() => self.toggle_settings(),
            "settings" => {}
            "take-home" => {
                if self.draft.is_none() {
                    self.toggle_settings();
                }
                self.settings_tab = SettingsTab::TakeHome;
            }
            "character" => {
                if self.draft.is_none() {
                    self.toggle_settings();
                }
                self.settings_tab = SettingsTab::Character;
            }
            "side-by-side" => self.side_by_side = true,
            "status" => self.show_status = true,
            "labels" => self.config.show_labels = true,
            other => {
                return Err(format!(
                    "unknown part '{other}' (settings, take-home, character, side-by-side, status, labels)"
                ));
            }
        }
        Ok(())
    }

    /// The actions of the last frame, oldest first.
    pub fn take_actions(&mut self) -> std::vec::Drain<'_, Action> {
        self.actions.drain(..)
    }

    pub fn settings_open(&self) -> bool {
        self.draft.is_some()
    }

    /// Draws the whole screen for one frame.
    pub fn show(&mut self, ui: &mut egui::Ui, feed: &FeedView<'_>) {
        let ctx = ui.ctx().clone();
        if self.paint_background {
            ui.painter().rect_filled(ui.max_rect(), CornerRadius::ZERO, theme::BACKGROUND);
        }
        let (now, input, viewport_fullscreen) = ctx.input(|i| {
            let input = i.events.iter().any(|e| {
                matches!(
                    e,
                    Event::Text(_)
                        | Event::Key { .. }
                        | Event::PointerMoved(_)
                        | Event::MouseMoved(_)
                        | Event::PointerButton { .. }
                        | Event::Touch { .. }
                        | Event::Zoom(_)
                )
            });
            (i.time, input, i.viewport().fullscreen)
        });
        self.kiosk.follow_viewport(viewport_fullscreen);
        self.kiosk.tick(now, input, feed.faces.len());
        if feed.stylized.is_none() || self.source_lost.is_some() || self.draft.is_some() {
            self.kiosk.keep_awake(now);
        }
        self.keys(&ctx, now);
        self.capture_tick(now, feed.recording);
        self.controls_shown =
            self.draft.is_some() || self.kiosk.controls_visible(now, self.config.kiosk.hide_controls_after_s);
        if self.controls_shown {
            self.top_bar(ui, now);
            self.carousel_panel(ui, now);
        } else {
            ctx.set_cursor_icon(CursorIcon::None);
        }
        if self.draft.is_some() {
            self.settings_panel(ui);
        }
        self.view(ui, feed, now);
    }

    fn push(&mut self, action: Action) {
        self.actions.push(action);
    }

    fn choose(&mut self, index: usize) {
        self.push(Action::Choose(index));
    }

    fn set_fullscreen(&mut self, ctx: &egui::Context, on: bool, now: f64) {
        self.kiosk.set_fullscreen(on, now);
        ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(on));
    }

    pub fn toggle_mirror(&mut self) {
        self.mirror = !self.mirror;
        if matches!(self.source, SourceSpec::Camera { .. }) {
            self.config.mirror = self.mirror;
            self.push(Action::SaveConfig);
        }
    }

    pub fn toggle_labels(&mut self) {
        self.config.show_labels = !self.config.show_labels;
        self.push(Action::SaveConfig);
    }

    pub fn toggle_everyone_different(&mut self) {
        self.config.everyone_different = !self.config.everyone_different;
        self.push(Action::EveryoneDifferent(self.config.everyone_different));
        self.push(Action::SaveConfig);
    }

    fn toggle_settings(&mut self) {
        self.draft = match self.draft {
            Some(_) => None,
            None => Some(Draft {
                config: self.config.clone(),
                source: self.source.clone(),
                output_folder: self.config.output_folder.display().to_string(),
            }),
        };
    }

    /// Record button (R): a countdown, then the clip; pressed again, the countdown is cancelled or
    /// the clip stops.
    pub fn press_record(&mut self, now: f64) {
        self.result = None;
        self.capture = match self.capture {
            CaptureFlow::Idle if self.config.recording.countdown_s == 0 => {
                self.push(Action::StartClip);
                CaptureFlow::Recording { since: now }
            }
            CaptureFlow::Idle => CaptureFlow::ClipCountdown { at: now + f64::from(self.config.recording.countdown_s) },
            CaptureFlow::ClipCountdown { .. } => CaptureFlow::Idle,
            CaptureFlow::Recording { .. } => {
                self.push(Action::StopClip);
                CaptureFlow::Idle
            }
            busy @ (CaptureFlow::Strip { .. }
            | CaptureFlow::BoomerangCountdown { .. }
            | CaptureFlow::Boomerang { .. }) => busy,
        };
    }

    /// Photo button (P): the frame on screen, at once (also while a clip records).
    pub fn press_photo(&mut self, now: f64) {
        self.result = None;
        self.push(Action::TakePhoto);
        self.flash_at = Some(now);
    }

    /// Four-cut button (T): four shots, each after a countdown.
    pub fn press_strip(&mut self, now: f64) {
        self.result = None;
        if self.capture == CaptureFlow::Idle {
            self.capture = CaptureFlow::Strip { next: 0, at: now + self.countdown_s() };
        }
    }

    /// Boomerang button (B): a countdown, then about two seconds of motion played back and forth.
    pub fn press_boomerang(&mut self, now: f64) {
        self.result = None;
        if self.capture == CaptureFlow::Idle {
            self.capture = CaptureFlow::BoomerangCountdown { at: now + self.countdown_s() };
        }
    }

    /// Shows `card` beside the feed until the next visitor starts (a capture button, the
    /// attract screen) or the settings' time is up.
    pub fn show_result(&mut self, card: ResultCard) {
        self.result = Some(card);
    }

    /// Seconds before each strip shot (at least one: people need a moment to change pose).
    fn countdown_s(&self) -> f64 {
        f64::from(self.config.recording.countdown_s.max(1))
    }

    /// A line about a file kept (or not) for the next few seconds.
    pub fn toast(&mut self, text: String, now: f64) {
        self.toast = Some((text, now + TOAST_S));
    }

    /// Advances countdowns and shots; follows the clip the owner records.
    fn capture_tick(&mut self, now: f64, recording: Option<RecordingView>) {
        match self.capture {
            CaptureFlow::ClipCountdown { at } if now >= at => {
                self.push(Action::StartClip);
                self.capture = CaptureFlow::Recording { since: now };
            }
            // the clip ended by itself (its length, a full disk): the owner no longer records
            CaptureFlow::Recording { since } if recording.is_none() && now - since > 1.0 => {
                self.capture = CaptureFlow::Idle;
            }
            CaptureFlow::BoomerangCountdown { at } if now >= at => {
                self.push(Action::StartBoomerang);
                self.flash_at = Some(now);
                self.capture = CaptureFlow::Boomerang { until: now + crate::record::boomerang::SECONDS };
            }
            CaptureFlow::Boomerang { until } if now >= until => self.capture = CaptureFlow::Idle,
            CaptureFlow::Strip { next, at } if now >= at => {
                self.push(Action::StripShot(next));
                self.flash_at = Some(now);
                self.capture = if next + 1 < crate::record::strip::SHOTS {
                    CaptureFlow::Strip { next: next + 1, at: now + self.countdown_s() }
                } else {
                    CaptureFlow::Idle
                };
            }
            _ => {}
        }
        if self.toast.as_ref().is_some_and(|(_, until)| now >= *until) {
            self.toast = None;
        }
        let show_for = f64::from(self.config.sharing.show_link_s);
        if show_for > 0.0 && self.result.as_ref().and_then(|r| r.shown_at).is_some_and(|t| now - t >= show_for) {
            self.result = None;
        }
    }

    fn keys(&mut self, ctx: &egui::Context, now: f64) {
        if ctx.text_edit_focused() {
            return;
        }
        let leave_key = self.config.leave_key();
        let pressed = |k: Key| ctx.input(|i| i.key_pressed(k));
        if pressed(Key::F1) {
            self.show_status = !self.show_status;
        }
        if pressed(Key::F11) {
            self.set_fullscreen(ctx, !self.kiosk.fullscreen, now);
        }
        if pressed(Key::Escape) {
            if self.kiosk.escape_pressed(now) {
                self.set_fullscreen(ctx, false, now);
            } else if !self.kiosk.fullscreen && self.draft.is_some() {
                self.draft = None;
            }
        }
        if let Some(key) = leave_key
            && self.kiosk.fullscreen
            && pressed(key)
        {
            self.set_fullscreen(ctx, false, now);
        }
        if pressed(Key::M) {
            self.toggle_mirror();
        }
        if pressed(Key::L) {
            self.toggle_labels();
        }
        if pressed(Key::E) {
            self.toggle_everyone_different();
        }
        if pressed(Key::D) {
            self.side_by_side = !self.side_by_side;
        }
        if pressed(Key::S) {
            self.toggle_settings();
        }
        if pressed(Key::R) {
            self.press_record(now);
        }
        if pressed(Key::P) {
            self.press_photo(now);
        }
        if pressed(Key::T) {
            self.press_strip(now);
        }
        if pressed(Key::B) {
            self.press_boomerang(now);
        }
        if let Some(choice) = ctx.input(|i| self.carousel.keys(i)) {
            self.choose(choice);
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui, now: f64) {
        // no fill: the window's clear colour is the panel's
        let frame = egui::Frame::NONE.inner_margin(egui::Margin::symmetric(16, 8));
        egui::Panel::top("top").frame(frame).resizable(false).show_separator_line(false).show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(egui::RichText::new("webtoonme").size(20.0).strong().color(theme::ACCENT));
                ui.add_space(12.0);
                let name = self.carousel.name(self.carousel.current);
                let wearing = if self.config.everyone_different {
                    format!("everyone different, from {name}")
                } else {
                    format!("wearing {name}")
                };
                ui.label(egui::RichText::new(wearing).size(15.0).color(theme::TEXT_DIM));
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui.selectable_label(self.draft.is_some(), "Settings  S").clicked() {
                        self.toggle_settings();
                    }
                    let fullscreen = self.kiosk.fullscreen;
                    if ui.button(if fullscreen { "Window  F11" } else { "Fullscreen  F11" }).clicked() {
                        let ctx = ui.ctx().clone();
                        self.set_fullscreen(&ctx, !fullscreen, now);
                    }
                    if ui.selectable_label(self.show_status, "Status  F1").clicked() {
                        self.show_status = !self.show_status;
                    }
                    if ui.selectable_label(self.config.show_labels, "Labels  L").clicked() {
                        self.toggle_labels();
                    }
                    if ui.selectable_label(self.config.everyone_different, "Everyone different  E").clicked() {
                        self.toggle_everyone_different();
                    }
                    if ui.selectable_label(self.side_by_side, "Side by side  D").clicked() {
                        self.side_by_side = !self.side_by_side;
                    }
                    if ui.selectable_label(self.mirror, "Mirror  M").clicked() {
                        self.toggle_mirror();
                    }
                });
            });
        });
    }

    fn carousel_panel(&mut self, ui: &mut egui::Ui, now: f64) {
        let frame = egui::Frame::NONE;
        let mut chosen = None;
        egui::Panel::bottom("carousel").frame(frame).resizable(false).exact_size(carousel::HEIGHT).show(ui, |ui| {
            // the capture buttons in a column on the right, the cards centred in the rest
            let area = ui.max_rect();
            let column = Rect::from_min_max(pos2(area.max.x - CAPTURE_COLUMN, area.min.y), area.max);
            let cards = Rect::from_min_max(area.min, pos2(column.min.x, area.max.y));
            chosen = ui.scope_builder(egui::UiBuilder::new().max_rect(cards), |ui| self.carousel.show(ui)).inner;
            self.capture_buttons(ui, column, now);
        });
        if let Some(choice) = chosen {
            self.choose(choice);
        }
    }

    /// Record, photo, four-cut and boomerang buttons, two by two in `column`.
    fn capture_buttons(&mut self, ui: &mut egui::Ui, column: Rect, now: f64) {
        let gap = 8.0;
        let size = Vec2::new((CAPTURE_COLUMN - 32.0 - gap) * 0.5, 42.0);
        let top = column.center().y - (2.0 * size.y + gap) * 0.5;
        let at = |k: usize| {
            let (x, y) = ((k % 2) as f32, (k / 2) as f32);
            Rect::from_min_size(pos2(column.min.x + 16.0 + x * (size.x + gap), top + y * (size.y + gap)), size)
        };
        let (record, active) = match self.capture {
            CaptureFlow::Recording { .. } => ("Stop  R", true),
            CaptureFlow::ClipCountdown { .. } => ("Cancel  R", true),
            _ => ("Record  R", false),
        };
        let button = |text: &str, active: bool| {
            let text = egui::RichText::new(text).size(15.0).color(theme::TEXT);
            egui::Button::new(text).fill(if active { theme::ACCENT } else { theme::CARD_HOVER })
        };
        let strip_running = matches!(self.capture, CaptureFlow::Strip { .. });
        let boomerang_running =
            matches!(self.capture, CaptureFlow::BoomerangCountdown { .. } | CaptureFlow::Boomerang { .. });
        if ui.put(at(0), button(record, active)).clicked() {
            self.press_record(now);
        }
        if ui.put(at(1), button("Photo  P", false)).clicked() {
            self.press_photo(now);
        }
        if ui.put(at(2), button("Four-cut  T", strip_running)).clicked() {
            self.press_strip(now);
        }
        if ui.put(at(3), button("Boomerang  B", boomerang_running)).clicked() {
            self.press_boomerang(now);
        }
    }

    fn source_label(&self, source: &SourceSpec) -> String {
        match source {
            SourceSpec::Demo => "Demo (built-in people)".into(),
            SourceSpec::Camera { index } => match self.cameras.iter().find(|(i, _)| i == index) {
                Some((_, name)) => format!("Camera {index}: {name}"),
                None => format!("Camera {index}"),
            },
            SourceSpec::Video { path } => format!("Video {}", path.display()),
            SourceSpec::Image { path } => format!("Image {}", path.display()),
        }
    }

    fn settings_panel(&mut self, ui: &mut egui::Ui) {
        let Some(mut draft) = self.draft.take() else { return };
        let mut close = false;
        let mut save = false;
        let frame = egui::Frame::NONE.fill(theme::PANEL).inner_margin(egui::Margin::same(16));
        let mut tab = self.settings_tab;
        egui::Panel::right("settings").frame(frame).resizable(false).exact_size(360.0).show(ui, |ui| {
            ui.heading(egui::RichText::new("Settings").color(theme::TEXT));
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                ui.selectable_value(&mut tab, SettingsTab::Booth, "Booth");
                ui.selectable_value(&mut tab, SettingsTab::TakeHome, "Take it home");
                ui.selectable_value(&mut tab, SettingsTab::Character, "Character");
            });
            ui.add_space(8.0);
            egui::ScrollArea::vertical().max_height(ui.available_height() - 64.0).show(ui, |ui| {
                if tab == SettingsTab::TakeHome {
                    self.take_home_settings(ui, &mut draft);
                    return;
                }
                if tab == SettingsTab::Character {
                    self.character_panel.follow(self.carousel.current);
                    for event in self.character_panel.show(ui) {
                        self.actions.push(Action::Character(event));
                    }
                    return;
                }
                egui::Grid::new("settings-grid").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
                    let label = ui.label("Source").id;
                    let mut sources = vec![SourceSpec::Demo];
                    sources.extend(self.cameras.iter().map(|(i, _)| SourceSpec::Camera { index: *i }));
                    if !sources.contains(&self.source) {
                        sources.push(self.source.clone());
                    }
                    if !sources.contains(&SourceSpec::Camera { index: draft.config.camera }) {
                        sources.push(SourceSpec::Camera { index: draft.config.camera });
                    }
                    egui::ComboBox::from_id_salt("source")
                        .width(200.0)
                        .selected_text(self.source_label(&draft.source))
                        .show_ui(ui, |ui| {
                            for s in sources {
                                let text = self.source_label(&s);
                                ui.selectable_value(&mut draft.source, s, text);
                            }
                        })
                        .response
                        .labelled_by(label);
                    ui.end_row();

                    let label = ui.label("Resolution").id;
                    let [w, h] = draft.config.resolution;
                    egui::ComboBox::from_id_salt("resolution")
                        .width(200.0)
                        .selected_text(format!("{w} x {h}"))
                        .show_ui(ui, |ui| {
                            for r in RESOLUTIONS {
                                ui.selectable_value(&mut draft.config.resolution, r, format!("{} x {}", r[0], r[1]));
                            }
                        })
                        .response
                        .labelled_by(label);
                    ui.end_row();

                    let label = ui.label("Execution provider").id;
                    egui::ComboBox::from_id_salt("provider")
                        .width(200.0)
                        .selected_text(draft.config.execution_provider.label())
                        .show_ui(ui, |ui| {
                            for p in Provider::ALL {
                                ui.selectable_value(&mut draft.config.execution_provider, p, p.label());
                            }
                        })
                        .response
                        .labelled_by(label);
                    ui.end_row();

                    let label = ui.label("Output folder").id;
                    ui.add(egui::TextEdit::singleline(&mut draft.output_folder).desired_width(200.0))
                        .labelled_by(label);
                    ui.end_row();

                    let label = ui.label("Mirror camera").id;
                    ui.checkbox(&mut draft.config.mirror, "").labelled_by(label);
                    ui.end_row();

                    let label = ui.label("Default character").id;
                    let current = draft
                        .config
                        .default_character
                        .as_deref()
                        .and_then(|id| self.characters.iter().find(|(i, _)| i == id))
                        .map_or("first installed", |(_, n)| n.as_str())
                        .to_string();
                    egui::ComboBox::from_id_salt("default-character")
                        .width(200.0)
                        .selected_text(current)
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut draft.config.default_character, None, "first installed");
                            for (id, name) in &self.characters {
                                ui.selectable_value(&mut draft.config.default_character, Some(id.clone()), name);
                            }
                        })
                        .response
                        .labelled_by(label);
                    ui.end_row();

                    let label = ui.label("Hide controls after").id;
                    ui.add(
                        egui::DragValue::new(&mut draft.config.kiosk.hide_controls_after_s)
                            .range(1.0..=600.0)
                            .speed(0.2)
                            .suffix(" s"),
                    )
                    .labelled_by(label);
                    ui.end_row();

                    let label = ui.label("Attract screen after").id;
                    ui.add(
                        egui::DragValue::new(&mut draft.config.kiosk.attract_after_s)
                            .range(0.0..=3600.0)
                            .speed(1.0)
                            .suffix(" s (0: never)"),
                    )
                    .labelled_by(label);
                    ui.end_row();

                    let label = ui.label("Leave fullscreen").id;
                    let leave = draft
                        .config
                        .kiosk
                        .leave_key
                        .clone()
                        .map_or("Esc twice".to_string(), |k| format!("Esc twice or {k}"));
                    egui::ComboBox::from_id_salt("leave-key")
                        .width(200.0)
                        .selected_text(leave)
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut draft.config.kiosk.leave_key, None, "Esc twice");
                            for k in LEAVE_KEYS {
                                ui.selectable_value(
                                    &mut draft.config.kiosk.leave_key,
                                    Some(k.to_string()),
                                    format!("Esc twice or {k}"),
                                );
                            }
                        })
                        .response
                        .labelled_by(label);
                    ui.end_row();

                    let label = ui.label("Countdown").id;
                    ui.add(egui::DragValue::new(&mut draft.config.recording.countdown_s).range(0..=10).suffix(" s"))
                        .labelled_by(label);
                    ui.end_row();

                    let label = ui.label("Clips up to").id;
                    ui.add(egui::DragValue::new(&mut draft.config.recording.max_clip_s).range(1..=600).suffix(" s"))
                        .labelled_by(label);
                    ui.end_row();

                    let label = ui.label("Camera beside photo").id;
                    ui.checkbox(&mut draft.config.recording.photo_with_original, "").labelled_by(label);
                    ui.end_row();
                });
            });
            ui.add_space(12.0);
            let restart = self.needs_restart(&draft);
            if restart {
                ui.label(egui::RichText::new("Saving restarts the camera and the models.").color(theme::ACCENT));
            }
            ui.horizontal(|ui| {
                if tab == SettingsTab::Character {
                    // the character tab saves characters, not settings
                    close = ui.button("Close").clicked();
                } else {
                    save = ui.button("Save").clicked();
                    close = ui.button("Cancel").clicked();
                }
            });
            ui.add_space(12.0);
            if let Some(path) = &self.config_path {
                ui.label(egui::RichText::new(format!("Saved in {}", path.display())).size(12.0).color(theme::TEXT_DIM));
            }
        });
        self.settings_tab = tab;
        if save {
            self.apply(draft);
        } else if !close {
            self.draft = Some(draft);
        }
    }

    /// The settings panel's "Take it home" tab: sharing with phones and printing.
    fn take_home_settings(&self, ui: &mut egui::Ui, draft: &mut Draft) {
        let info = &self.take_home;
        egui::Grid::new("take-home-grid").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
            let sharing = &mut draft.config.sharing;
            let label = ui.label("Share with phones").id;
            let current = match (sharing.enabled, sharing.interface.as_str()) {
                (false, _) => "Off".to_string(),
                (true, "auto") => "Automatic".to_string(),
                (true, chosen) => info
                    .interfaces
                    .iter()
                    .find(|(l, v)| v == chosen || l.split_whitespace().next() == Some(chosen))
                    .map_or_else(|| chosen.to_string(), |(l, _)| l.clone()),
            };
            egui::ComboBox::from_id_salt("share-interface")
                .width(170.0)
                .selected_text(current)
                .show_ui(ui, |ui| {
                    if ui.selectable_label(!sharing.enabled, "Off").clicked() {
                        sharing.enabled = false;
                    }
                    let auto = sharing.enabled && sharing.interface == "auto";
                    if ui.selectable_label(auto, "Automatic").clicked() {
                        sharing.enabled = true;
                        sharing.interface = "auto".into();
                    }
                    for (text, value) in &info.interfaces {
                        if ui.selectable_label(sharing.enabled && sharing.interface == *value, text).clicked() {
                            sharing.enabled = true;
                            sharing.interface = value.clone();
                        }
                    }
                })
                .response
                .labelled_by(label);
            ui.end_row();

            let label = ui.label("Port").id;
            ui.add(egui::DragValue::new(&mut sharing.port).range(0..=65535))
                .on_hover_text("0: any free port")
                .labelled_by(label);
            ui.end_row();

            let label = ui.label("Links work for").id;
            ui.add(egui::DragValue::new(&mut sharing.link_hours).range(1..=720).suffix(" h")).labelled_by(label);
            ui.end_row();

            let label = ui.label("Delete files after").id;
            ui.add(egui::DragValue::new(&mut sharing.retention_hours).range(0..=8784).suffix(" h (0: never)"))
                .labelled_by(label);
            ui.end_row();

            let label = ui.label("QR code shows").id;
            ui.add(egui::DragValue::new(&mut sharing.show_link_s).range(0..=3600).suffix(" s (0: till next)"))
                .labelled_by(label);
            ui.end_row();

            let printing = &mut draft.config.printing;
            let label = ui.label("Printer").id;
            let printers: &[String] = match &info.printers {
                Some(Ok(list)) => list,
                _ => &[],
            };
            egui::ComboBox::from_id_salt("printer")
                .width(170.0)
                .selected_text(printing.printer.clone().unwrap_or_else(|| "None".into()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut printing.printer, None, "None");
                    for p in printers {
                        ui.selectable_value(&mut printing.printer, Some(p.clone()), p);
                    }
                })
                .response
                .labelled_by(label);
            ui.end_row();

            let label = ui.label("Copies").id;
            ui.add(egui::DragValue::new(&mut printing.copies).range(1..=crate::share::print::MAX_COPIES))
                .labelled_by(label);
            ui.end_row();

            let label = ui.label("Auto-print strips").id;
            ui.checkbox(&mut printing.auto_print, "").labelled_by(label);
            ui.end_row();

            let label = ui.label("Print photos too").id;
            ui.checkbox(&mut printing.photos, "").labelled_by(label);
            ui.end_row();
        });
        ui.add_space(10.0);
        ui.label(egui::RichText::new(&info.address).size(13.0).color(theme::TEXT_DIM));
        match &info.printers {
            Some(Err(e)) => {
                ui.label(egui::RichText::new(format!("Printers: {e}")).size(13.0).color(theme::TEXT_DIM));
            }
            Some(Ok(list)) if list.is_empty() => {
                ui.label(egui::RichText::new("No printer is set up (CUPS)").size(13.0).color(theme::TEXT_DIM));
            }
            _ => {}
        }
    }

    fn needs_restart(&self, draft: &Draft) -> bool {
        let camera = matches!(draft.source, SourceSpec::Camera { .. });
        draft.source != self.source
            || draft.config.execution_provider != self.config.execution_provider
            || (camera && draft.config.resolution != self.config.resolution)
    }

    fn apply(&mut self, mut draft: Draft) {
        let folder = draft.output_folder.trim();
        if !folder.is_empty() {
            draft.config.output_folder = PathBuf::from(folder);
        }
        draft.config.sanitize();
        let restart = self.needs_restart(&draft);
        if let SourceSpec::Camera { index } = draft.source {
            draft.config.camera = index;
        }
        let camera = matches!(draft.source, SourceSpec::Camera { .. });
        if camera && (draft.config.mirror != self.config.mirror || draft.source != self.source) {
            self.mirror = draft.config.mirror;
        } else if !camera && draft.source != self.source {
            self.mirror = false;
        }
        self.config = draft.config;
        self.source = draft.source;
        self.push(Action::SaveConfig);
        if restart {
            self.push(Action::Restart);
        }
    }

    fn view(&mut self, ui: &mut egui::Ui, feed: &FeedView<'_>, now: f64) {
        let mut clicked_track = None;
        let mut print = None;
        self.result_shown = false;
        self.card_rect = None;
        egui::CentralPanel::no_frame().show(ui, |ui| {
            let space = ui.available_rect_before_wrap();
            self.attract_shown = false;
            let Some(stylized) = feed.stylized else {
                let text = match (&self.source_lost, &self.message) {
                    (Some(_), _) => "",
                    (None, Some(m)) => m.as_str(),
                    (None, None) => "starting the camera and the models...",
                };
                ui.painter().text(
                    space.center(),
                    Align2::CENTER_CENTER,
                    text,
                    FontId::proportional(22.0),
                    theme::TEXT_DIM,
                );
                self.lost_card(ui, space);
                return;
            };
            let (left, right) = if self.side_by_side && feed.original.is_some() {
                let half = (space.width() - 12.0) * 0.5;
                let left = Rect::from_min_size(space.min, Vec2::new(half, space.height()));
                (Some(left), Rect::from_min_max(pos2(space.max.x - half, space.min.y), space.max))
            } else {
                (None, space)
            };
            let uv = fit::uv(self.mirror);
            let view = fit::fit(right, stylized.size);
            // the rest of `space` is the renderer's clear colour (theme::BACKGROUND)
            if let (Some(left), Some(original)) = (left, feed.original) {
                let r = fit::fit(left, original.size);
                feed.pictures.draw(ui.painter(), original.texture, r, uv, 1.0);
                caption(ui, r, "camera");
            }
            self.feed_rect = Some(view);
            feed.pictures.draw(ui.painter(), stylized.texture, view, uv, 1.0);
            if let Some((previous, opacity)) = feed.fading {
                feed.pictures.draw(ui.painter(), previous, view, uv, opacity);
            }
            if left.is_some() {
                caption(ui, view, "webtoon");
            }
            let response = ui.interact(view, ui.scope_id().with("feed"), Sense::click());
            if response.clicked()
                && let Some(p) = response.interact_pointer_pos()
                && let Some(at) = fit::to_frame(view, stylized.size, self.mirror, p)
            {
                let mut faces = [(0u32, [0.0f32; 4]); crate::render::MAX_FACES];
                let n = feed.faces.len().min(faces.len());
                for (slot, f) in faces.iter_mut().zip(feed.faces) {
                    *slot = (f.track_id, f.box_px);
                }
                clicked_track = fit::face_at(&faces[..n], at);
            }
            if self.config.show_labels {
                self.labels(ui, feed, view, stylized.size);
            }
            let attract = self.source_lost.is_none() && self.kiosk.attract(now, self.config.kiosk.attract_after_s);
            if attract {
                // nobody is in view any more: the last visitor's link goes
                self.result = None;
                self.attract(ui, view, now);
            }
            self.attract_shown = attract;
            print = self.result_card(ui, view, now);
            if let Some(msg) = &self.message {
                let r = Rect::from_center_size(
                    pos2(view.center().x, view.max.y - 40.0),
                    Vec2::new(view.width().min(720.0), 44.0),
                );
                ui.painter().rect_filled(r, CornerRadius::same(8), theme::OVERLAY);
                ui.painter().text(r.center(), Align2::CENTER_CENTER, msg, FontId::proportional(17.0), theme::TEXT);
            }
            self.lost_card(ui, space);
            if self.kiosk.escape_hint(now) {
                let r = Rect::from_center_size(pos2(space.center().x, space.min.y + 48.0), Vec2::new(420.0, 40.0));
                ui.painter().rect_filled(r, CornerRadius::same(20), theme::OVERLAY);
                let text = match &self.config.kiosk.leave_key {
                    Some(k) => format!("Press Esc again (or {k}) to leave fullscreen"),
                    None => "Press Esc again to leave fullscreen".to_string(),
                };
                ui.painter().text(r.center(), Align2::CENTER_CENTER, text, FontId::proportional(16.0), theme::TEXT);
            }
            self.capture_overlays(ui, view, feed.recording, now);
            if self.show_status {
                // below the "webtoon" caption when side by side
                let below_caption = if left.is_some() { view.with_min_y(view.min.y + 34.0) } else { view };
                status_overlay(ui, below_caption, feed.status);
            }
        });
        if let Some(track) = clicked_track {
            self.push(Action::CycleTrack(track));
        }
        if let Some(path) = print {
            self.push(Action::Print(path));
        }
    }

    /// The result card at the right of the feed: the keepsake's picture, the QR code of its link
    /// (whole pixels per module, on white), the link, what is kept for how long, the print's
    /// state and the Print button. Returns the file to print when the button was clicked.
    fn result_card(&mut self, ui: &mut egui::Ui, view: Rect, now: f64) -> Option<PathBuf> {
        let card = self.result.as_mut()?;
        card.shown_at.get_or_insert(now);
        self.result_shown = true;
        let painter = ui.painter().clone();
        let w = (view.width() * 0.62).clamp(300.0, 640.0).min(view.width() - 24.0);
        let h = (view.height() - 24.0).clamp(160.0, 480.0);
        let outer =
            Rect::from_min_size(pos2(view.max.x - w - 12.0, view.center().y - h * 0.5), Vec2::new(w, h)).round();
        painter.rect_filled(outer, CornerRadius::same(16), theme::CARD);
        painter.rect_stroke(outer, CornerRadius::same(16), Stroke::new(2.0, theme::ACCENT), StrokeKind::Inside);
        self.card_rect = Some(outer);
        let inner = outer.shrink(18.0);
        painter.text(inner.left_top(), Align2::LEFT_TOP, "Take it home", FontId::proportional(24.0), theme::ACCENT);
        painter.text(
            inner.left_top() + Vec2::new(0.0, 32.0),
            Align2::LEFT_TOP,
            &card.title,
            FontId::proportional(16.0),
            theme::TEXT_DIM,
        );
        let kept = painter.layout(card.kept_line.clone(), FontId::proportional(14.0), theme::TEXT, inner.width());
        let printed = card.print_line.as_ref().map(|(text, failed)| {
            let colour = if *failed { theme::WARNING } else { theme::TEXT_DIM };
            painter.layout(text.clone(), FontId::proportional(14.0), colour, inner.width())
        });
        let button = Vec2::new(150.0, 36.0);
        let bottom = kept.size().y
            + printed.as_ref().map_or(0.0, |g| g.size().y + 4.0)
            + if card.printable.is_some() { button.y + 8.0 } else { 0.0 };
        let body =
            Rect::from_min_max(pos2(inner.min.x, inner.min.y + 62.0), pos2(inner.max.x, inner.max.y - bottom - 10.0));
        let (picture_area, qr_area) = match (&card.picture, &card.qr) {
            (Some(_), Some(_)) => {
                let split = body.min.x + body.width() * 0.4;
                (Some(body.with_max_x(split - 8.0)), Some(body.with_min_x(split + 8.0)))
            }
            (Some(_), None) => (Some(body), None),
            (None, Some(_)) => (None, Some(body)),
            (None, None) => (None, None),
        };
        let whole = Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0));
        if let (Some(area), Some((texture, size))) = (picture_area, &card.picture) {
            let r = fit::fit(area, *size);
            painter.image(texture.id(), r, whole, Color32::WHITE);
        }
        if let (Some(area), Some((texture, modules))) = (qr_area, &card.qr) {
            let url = card.url.as_deref().unwrap_or_default();
            let shown = url.split_once("://").map_or(url, |(_, rest)| rest);
            let link = painter.layout(shown.to_string(), FontId::monospace(13.0), theme::TEXT, area.width());
            let side_max = area.width().min(area.height() - link.size().y - 8.0).max(0.0);
            // whole pixels per module: every module the same size, sharp for a phone's camera
            let px = (side_max / *modules as f32).floor().max(1.0);
            let side = px * *modules as f32;
            let top = pos2((area.center().x - side * 0.5).round(), area.min.y.round());
            let qr = Rect::from_min_size(top, Vec2::splat(side));
            painter.image(texture.id(), qr, whole, Color32::WHITE);
            painter.galley(pos2(area.center().x - link.size().x * 0.5, qr.max.y + 8.0), link, theme::TEXT);
        }
        let mut y = inner.max.y - bottom;
        let kept_h = kept.size().y;
        painter.galley(pos2(inner.min.x, y), kept, theme::TEXT);
        y += kept_h;
        if let Some(g) = printed {
            let gh = g.size().y;
            painter.galley(pos2(inner.min.x, y + 4.0), g, theme::TEXT_DIM);
            y += gh + 4.0;
        }
        let path = card.printable.clone()?;
        let rect = Rect::from_min_size(pos2(inner.min.x, y + 8.0), button);
        let text = egui::RichText::new("Print").size(15.0).color(theme::TEXT);
        ui.put(rect, egui::Button::new(text).fill(theme::CARD_HOVER)).clicked().then_some(path)
    }

    /// The countdown's number, the recording's red dot and timer, the flash of a shot, and the
    /// line about the last file kept.
    fn capture_overlays(&self, ui: &egui::Ui, view: Rect, recording: Option<RecordingView>, now: f64) {
        let painter = ui.painter();
        let countdown = match self.capture {
            CaptureFlow::ClipCountdown { at } => Some(("Recording in", at)),
            CaptureFlow::Strip { next, at } => {
                Some((["Shot 1 of 4", "Shot 2 of 4", "Shot 3 of 4", "Shot 4 of 4"][next.min(3)], at))
            }
            CaptureFlow::BoomerangCountdown { at } => Some(("Boomerang in", at)),
            _ => None,
        };
        if let CaptureFlow::Boomerang { until } = self.capture {
            // a pill with the time left as a shrinking bar
            let left = ((until - now) / crate::record::boomerang::SECONDS).clamp(0.0, 1.0) as f32;
            let galley = painter.layout_no_wrap("Boomerang: move!".into(), FontId::proportional(22.0), theme::TEXT);
            let pill = Rect::from_center_size(
                pos2(view.center().x, view.min.y + 40.0),
                Vec2::new(galley.size().x + 40.0, galley.size().y + 22.0),
            );
            painter.rect_filled(pill, CornerRadius::same(14), theme::OVERLAY);
            painter.galley(pill.min + Vec2::new(20.0, 6.0), galley, theme::TEXT);
            let bar = Rect::from_min_size(
                pill.left_bottom() - Vec2::new(-14.0, 8.0),
                Vec2::new((pill.width() - 28.0) * left, 4.0),
            );
            painter.rect_filled(bar, CornerRadius::same(2), theme::ACCENT);
        }
        if let Some((label, at)) = countdown {
            let left = (at - now).max(0.0);
            let number = (left.ceil() as u32).max(1);
            // each second's number grows in and fades a little
            let phase = (1.0 - (left - left.floor())) as f32;
            let size = 150.0 + 40.0 * (1.0 - phase);
            let centre = view.center();
            painter.circle_filled(centre, 110.0, Color32::from_rgba_premultiplied(0, 0, 0, 120));
            painter.text(centre, Align2::CENTER_CENTER, number, FontId::proportional(size), theme::TEXT);
            let galley = painter.layout_no_wrap(label.to_string(), FontId::proportional(24.0), theme::TEXT);
            let pill = Rect::from_center_size(centre - Vec2::new(0.0, 142.0), galley.size() + Vec2::new(28.0, 12.0));
            painter.rect_filled(pill, CornerRadius::same(14), theme::OVERLAY);
            painter.galley(pill.min + Vec2::new(14.0, 6.0), galley, theme::TEXT);
        }
        if let Some(r) = recording {
            let secs = |d: std::time::Duration| {
                let s = d.as_secs();
                format!("{}:{:02}", s / 60, s % 60)
            };
            let text = format!("REC  {} / {}", secs(r.length), secs(r.max));
            let galley = painter.layout_no_wrap(text, FontId::proportional(18.0), theme::TEXT);
            let pill = Rect::from_min_size(
                pos2(view.max.x - galley.size().x - 52.0, view.min.y + 12.0),
                galley.size() + Vec2::new(40.0, 10.0),
            );
            painter.rect_filled(pill, CornerRadius::same(12), theme::OVERLAY);
            // the red dot blinks once a second
            let on = (now.fract()) < 0.6;
            let dot = Color32::from_rgb(235, 40, 50);
            painter.circle_filled(
                pill.left_center() + Vec2::new(16.0, 0.0),
                7.0,
                if on { dot } else { dot.gamma_multiply(0.35) },
            );
            painter.galley(pill.min + Vec2::new(30.0, 5.0), galley, theme::TEXT);
        }
        if let Some(t) = self.flash_at.filter(|t| now - t < FLASH_S) {
            let a = (1.0 - (now - t) / FLASH_S).clamp(0.0, 1.0) as f32;
            painter.rect_filled(view, CornerRadius::ZERO, Color32::WHITE.gamma_multiply(0.85 * a));
        }
        if let Some((text, _)) = &self.toast {
            // beside the result card when one shows, else in the middle
            let (area, width) = match self.card_rect {
                Some(card) => (view.with_max_x(card.min.x - 12.0), (card.min.x - view.min.x - 40.0).max(120.0)),
                None => (view, view.width() - 40.0),
            };
            let galley = painter.layout(text.clone(), FontId::proportional(16.0), theme::TEXT, width);
            let pill =
                Rect::from_center_size(pos2(area.center().x, view.max.y - 96.0), galley.size() + Vec2::new(28.0, 14.0));
            painter.rect_filled(pill, CornerRadius::same(12), theme::OVERLAY);
            painter.galley(pill.min + Vec2::new(14.0, 7.0), galley, theme::TEXT);
        }
    }

    fn labels(&self, ui: &egui::Ui, feed: &FeedView<'_>, view: Rect, size: [u32; 2]) {
        let painter = ui.painter();
        for face in feed.faces {
            let Some(c) = face.character else { continue };
            let r = fit::to_view(view, size, self.mirror, face.box_px);
            let galley =
                painter.layout_no_wrap(self.carousel.name(c).to_string(), FontId::proportional(14.0), theme::TEXT);
            let pill = Rect::from_center_size(
                pos2(r.center().x, r.min.y - galley.size().y * 0.5 - 10.0),
                galley.size() + Vec2::new(16.0, 6.0),
            );
            painter.rect_filled(pill, CornerRadius::same(10), theme::OVERLAY);
            painter.rect_stroke(pill, CornerRadius::same(10), Stroke::new(1.5, theme::ACCENT), StrokeKind::Inside);
            painter.galley(pill.center() - galley.size() * 0.5, galley, theme::TEXT);
        }
    }

    /// "Step in": over the live feed, dimmed, with the characters one can become.
    fn attract(&self, ui: &egui::Ui, view: Rect, now: f64) {
        let painter = ui.painter();
        painter.rect_filled(view, CornerRadius::ZERO, Color32::from_rgba_premultiplied(8, 6, 14, 150));
        let pulse = (0.5 + 0.5 * (now * 2.4).sin()) as f32;
        let title = view.center() - Vec2::new(0.0, 70.0);
        painter.text(title, Align2::CENTER_CENTER, "Step in!", FontId::proportional(64.0 + 4.0 * pulse), theme::ACCENT);
        painter.text(
            title + Vec2::new(0.0, 62.0),
            Align2::CENTER_CENTER,
            "Stand in front of the camera and become a webtoon character",
            FontId::proportional(22.0),
            theme::TEXT,
        );
        let side = 72.0;
        let total = self.carousel.thumbnails().count() as f32 * (side + 16.0) - 16.0;
        let mut x = view.center().x - total * 0.5;
        let y = title.y + 110.0;
        for (i, t) in self.carousel.thumbnails().enumerate() {
            let bob = 6.0 * ((now * 2.0 + i as f64 * 0.8).sin() as f32);
            let r = Rect::from_min_size(pos2(x, y + bob), Vec2::splat(side));
            painter.image(t, r, Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)), Color32::WHITE);
            painter.rect_stroke(r, CornerRadius::same(10), Stroke::new(2.0, theme::ACCENT), StrokeKind::Outside);
            x += side + 16.0;
        }
    }

    /// The camera-lost card: what happened and that it is being retried.
    fn lost_card(&self, ui: &egui::Ui, space: Rect) {
        let Some(reason) = &self.source_lost else { return };
        let painter = ui.painter();
        painter.rect_filled(space, CornerRadius::ZERO, Color32::from_rgba_premultiplied(0, 0, 0, 110));
        let card = Rect::from_center_size(space.center(), Vec2::new(space.width().min(640.0), 150.0));
        painter.rect_filled(card, CornerRadius::same(16), theme::PANEL);
        painter.rect_stroke(card, CornerRadius::same(16), Stroke::new(2.0, theme::ACCENT), StrokeKind::Inside);
        let what =
            if matches!(self.source, SourceSpec::Camera { .. }) { "The camera is gone" } else { "The source is gone" };
        painter.text(
            card.center() - Vec2::new(0.0, 36.0),
            Align2::CENTER_CENTER,
            what,
            FontId::proportional(26.0),
            theme::TEXT,
        );
        painter.text(
            card.center(),
            Align2::CENTER_CENTER,
            "Reconnecting every 2 seconds: plug it back in",
            FontId::proportional(17.0),
            theme::TEXT_DIM,
        );
        let galley = painter.layout(reason.clone(), FontId::monospace(13.0), theme::TEXT_DIM, card.width() - 40.0);
        painter.galley(pos2(card.center().x - galley.size().x * 0.5, card.center().y + 28.0), galley, theme::TEXT_DIM);
    }
}

fn caption(ui: &egui::Ui, r: Rect, text: &str) {
    let galley = ui.painter().layout_no_wrap(text.to_string(), FontId::proportional(14.0), theme::TEXT);
    let pill = Rect::from_min_size(r.left_top() + Vec2::new(10.0, 10.0), galley.size() + Vec2::new(16.0, 6.0));
    ui.painter().rect_filled(pill, CornerRadius::same(10), theme::OVERLAY);
    ui.painter().galley(pill.min + Vec2::new(8.0, 3.0), galley, theme::TEXT);
}

fn status_overlay(ui: &egui::Ui, view: Rect, lines: &[String]) {
    let painter = ui.painter();
    let galleys: Vec<_> =
        lines.iter().map(|l| painter.layout_no_wrap(l.clone(), FontId::monospace(13.0), theme::TEXT)).collect();
    let width = galleys.iter().map(|g| g.size().x).fold(0.0, f32::max);
    let height: f32 = galleys.iter().map(|g| g.size().y + 2.0).sum();
    let r = Rect::from_min_size(view.min + Vec2::new(12.0, 12.0), Vec2::new(width + 20.0, height + 16.0));
    painter.rect_filled(r, CornerRadius::same(8), theme::OVERLAY);
    let mut y = r.min.y + 8.0;
    for g in galleys {
        let h = g.size().y + 2.0;
        painter.galley(pos2(r.min.x + 10.0, y), g, theme::TEXT);
        y += h;
    }
}
