//! Kiosk behaviour, as pure state over the UI clock: controls hide after a few seconds without
//! input in fullscreen and come back on any input; the attract screen comes when nobody has been
//! in view for a while; Escape pressed twice within a moment leaves fullscreen (one stray press by
//! a visitor does not, and shows a hint), or a configured single leave key does.
//!
//! In: the UI time (seconds, egui's input clock), whether there was input, how many people are in
//! view, Escape presses. Out: what to show and whether to leave fullscreen. UI thread.

/// Two Escape presses closer than this leave fullscreen.
pub const DOUBLE_ESCAPE_S: f64 = 1.5;

#[derive(Debug, Default)]
pub struct EscapeGuard {
    last: Option<f64>,
}

impl EscapeGuard {
    /// An Escape press at time `t`: true when it is the second of a pair.
    pub fn press(&mut self, t: f64) -> bool {
        match self.last.take() {
            Some(prev) if t - prev <= DOUBLE_ESCAPE_S && t >= prev => true,
            _ => {
                self.last = Some(t);
                false
            }
        }
    }

    /// Whether a first press is waiting for its second at time `t` (the hint is on screen).
    pub fn waiting(&self, t: f64) -> bool {
        self.last.is_some_and(|prev| t >= prev && t - prev <= DOUBLE_ESCAPE_S)
    }
}

#[derive(Debug, Default)]
pub struct KioskState {
    /// Fullscreen (kiosk) mode.
    pub fullscreen: bool,
    /// The viewport's own fullscreen flag last seen (to follow changes made by the window manager).
    seen_viewport: Option<bool>,
    last_input: f64,
    last_person: f64,
    pub escape: EscapeGuard,
}

impl KioskState {
    pub fn new(fullscreen: bool, now: f64) -> Self {
        Self { fullscreen, last_input: now, last_person: now, ..Default::default() }
    }

    /// Follows the viewport's fullscreen flag when it changes by itself.
    pub fn follow_viewport(&mut self, viewport: Option<bool>) {
        if viewport.is_some() && viewport != self.seen_viewport {
            self.seen_viewport = viewport;
            if let Some(v) = viewport {
                self.fullscreen = v;
            }
        }
    }

    /// Call each frame: `input` when the user moved, touched, clicked or pressed something.
    pub fn tick(&mut self, now: f64, input: bool, people: usize) {
        if input {
            self.last_input = now;
        }
        if people > 0 {
            self.last_person = now;
        }
    }

    /// Someone is treated as present now (no feed yet, the source is lost, settings are open).
    pub fn keep_awake(&mut self, now: f64) {
        self.last_person = now;
    }

    /// Whether the controls (top bar, carousel) are shown.
    pub fn controls_visible(&self, now: f64, hide_after_s: f32) -> bool {
        !self.fullscreen || now - self.last_input < hide_after_s as f64
    }

    /// Whether the attract screen is shown (`after_s` 0: never).
    pub fn attract(&self, now: f64, after_s: f32) -> bool {
        after_s > 0.0 && now - self.last_person >= after_s as f64
    }

    /// Escape pressed at `now`: true when fullscreen should be left.
    pub fn escape_pressed(&mut self, now: f64) -> bool {
        self.fullscreen && self.escape.press(now)
    }

    /// Whether the "press Esc again" hint is shown.
    pub fn escape_hint(&self, now: f64) -> bool {
        self.fullscreen && self.escape.waiting(now)
    }

    /// Sets the mode (the caller sends the viewport command).
    pub fn set_fullscreen(&mut self, on: bool, now: f64) {
        self.fullscreen = on;
        self.last_input = now;
        self.escape = EscapeGuard::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_quick_presses_leave_one_does_not() {
        let mut g = EscapeGuard::default();
        assert!(!g.press(10.0));
        assert!(g.waiting(10.5));
        assert!(g.press(10.8));
        assert!(!g.press(20.0));
        assert!(!g.waiting(21.6));
        assert!(!g.press(25.0)); // too slow: starts a new pair
        assert!(g.press(25.5));
    }

    #[test]
    fn controls_hide_in_fullscreen_only_and_come_back_on_input() {
        let mut k = KioskState::new(true, 0.0);
        assert!(k.controls_visible(3.9, 4.0));
        assert!(!k.controls_visible(4.1, 4.0));
        k.tick(10.0, true, 0);
        assert!(k.controls_visible(10.1, 4.0));
        k.set_fullscreen(false, 11.0);
        assert!(k.controls_visible(100.0, 4.0), "a window never hides its controls");
    }

    #[test]
    fn attract_after_nobody_in_view_for_a_while() {
        let mut k = KioskState::new(false, 0.0);
        k.tick(1.0, false, 2);
        assert!(!k.attract(20.9, 20.0));
        assert!(k.attract(21.0, 20.0));
        k.tick(21.5, false, 1);
        assert!(!k.attract(21.6, 20.0), "someone stepping in ends it at once");
        assert!(!k.attract(1000.0, 0.0), "0 turns it off");
    }

    #[test]
    fn escape_leaves_only_fullscreen_and_the_viewport_is_followed() {
        let mut k = KioskState::new(false, 0.0);
        assert!(!k.escape_pressed(1.0) && !k.escape_pressed(1.2), "nothing to leave in a window");
        k.follow_viewport(Some(true));
        assert!(k.fullscreen);
        assert!(!k.escape_pressed(2.0));
        assert!(k.escape_hint(2.5));
        assert!(k.escape_pressed(2.6));
        k.set_fullscreen(false, 2.6);
        k.follow_viewport(Some(true)); // the viewport has not caught up yet: no change, no flip back
        assert!(!k.fullscreen);
    }
}
