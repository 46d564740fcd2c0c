//! The One Euro filter (Casiez, Roussel, Vogel, CHI 2012): an adaptive low-pass filter that
//! removes jitter at rest and follows fast motion with little lag.
//!
//! In: a value and its timestamp (seconds). Out: the filtered value. Pure state; any thread.
//! As in MediaPipe's landmark smoothing, the speed that opens the filter is measured in units of
//! `value_scale` (for landmarks: face sizes per second), so one tuning fits near and far faces.

/// Tuning shared by all coordinates of a filter bank.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OneEuroParams {
    /// Cutoff frequency at rest (Hz): lower removes more jitter.
    pub min_cutoff: f32,
    /// How fast the cutoff rises with speed: higher means less lag in motion.
    pub beta: f32,
    /// Cutoff used to smooth the speed estimate (Hz).
    pub d_cutoff: f32,
}

impl OneEuroParams {
    /// MediaPipe's face-landmark smoothing values.
    pub const FACE_LANDMARKS: Self = Self { min_cutoff: 0.05, beta: 80.0, d_cutoff: 1.0 };
}

#[derive(Debug, Clone, Copy, Default)]
pub struct OneEuro {
    x: f32,
    dx: f32,
    t: f64,
    primed: bool,
}

#[inline]
fn alpha(cutoff: f32, dt: f32) -> f32 {
    let tau = 1.0 / (2.0 * std::f32::consts::PI * cutoff);
    1.0 / (1.0 + tau / dt)
}

impl OneEuro {
    /// Filter `value` observed at `t` seconds. `value_scale` converts the value's units into the
    /// units `beta` is tuned for.
    pub fn filter(&mut self, value: f32, t: f64, value_scale: f32, p: &OneEuroParams) -> f32 {
        if !self.primed {
            *self = Self { x: value, dx: 0.0, t, primed: true };
            return value;
        }
        // a repeated or backwards timestamp (still image, seek): assume one 30 fps frame passed
        let dt = if t > self.t { (t - self.t) as f32 } else { 1.0 / 30.0 };
        self.t = t.max(self.t);
        let raw_dx = (value - self.x) * value_scale / dt;
        self.dx += (raw_dx - self.dx) * alpha(p.d_cutoff, dt);
        let cutoff = p.min_cutoff + p.beta * self.dx.abs();
        self.x += (value - self.x) * alpha(cutoff, dt);
        self.x
    }

    pub fn reset(&mut self) {
        self.primed = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn still_noise_is_suppressed_and_motion_is_followed() {
        let p = OneEuroParams::FACE_LANDMARKS;
        let mut f = OneEuro::default();
        let mut rng = 12345u32;
        let mut noise = || {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            (rng as f32 / u32::MAX as f32 - 0.5) * 2.0
        };
        // still: value 100 px with +-0.3 px noise on a 100 px face (the mesh's own jitter on a
        // still face under camera noise is this size: tests/tracking.rs)
        // jitter = frame-to-frame motion, what a viewer sees as wobble
        let (mut raw_jitter, mut out_jitter, mut prev) = (0.0f32, 0.0f32, (100.0f32, 100.0f32));
        for i in 0..300 {
            let x = 100.0 + 0.3 * noise();
            let y = f.filter(x, i as f64 / 30.0, 0.01, &p);
            if i > 30 {
                raw_jitter += (x - prev.0).abs();
                out_jitter += (y - prev.1).abs();
            }
            prev = (x, y);
        }
        assert!(out_jitter * 3.0 < raw_jitter, "jitter {out_jitter} of raw {raw_jitter}");
        // motion: 300 px/s ramp; lag stays within a few pixels
        let mut lag: f32 = 0.0;
        for i in 300..360 {
            let truth = 100.0 + (i - 300) as f32 * 10.0;
            let y = f.filter(truth, i as f64 / 30.0, 0.01, &p);
            if i > 320 {
                lag = lag.max((truth - y).abs());
            }
        }
        assert!(lag < 8.0, "lag in motion {lag}px");
    }
}
