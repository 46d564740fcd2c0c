//! Kiosk controls: F11 toggles fullscreen; Escape pressed twice within a moment leaves it (one
//! stray press by a visitor does not).
//!
//! In: key presses with their times (seconds). Out: whether to leave fullscreen. UI thread.

/// Two Escape presses closer than this leave fullscreen.
const DOUBLE_ESCAPE_S: f64 = 1.5;

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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_quick_presses_leave_one_does_not() {
        let mut g = EscapeGuard::default();
        assert!(!g.press(10.0));
        assert!(g.press(10.8));
        assert!(!g.press(20.0));
        assert!(!g.press(25.0)); // too slow: starts a new pair
        assert!(g.press(25.5));
    }
}
