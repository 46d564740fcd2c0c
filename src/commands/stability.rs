//! Temporal stability of the output: does the picture stay still when the person does?
//!
//! In: consecutive (input frame, output frame) pairs, RGB8 of equal size, flagged "still" when the
//! scene did not move between them (the demo's still stretch, a repeated image). Out: a
//! [`Stability`] report: the mean and 99th-percentile absolute change per pixel channel between
//! consecutive frames, for the input (camera noise) and for the output (noise, quantization steps
//! and ink edges that flicker). A stable stylization changes no more than its input. Runs on the
//! sink's thread (`bench`); buffers are allocated once, on the first frame.

use serde::Serialize;

/// Frame-to-frame change of the input and of the output over still frames (0-255 units).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Stability {
    /// Frame pairs measured.
    pub pairs: u64,
    /// Mean absolute change per pixel channel of the input.
    pub input_change: f64,
    /// Mean absolute change per pixel channel of the output.
    pub output_change: f64,
    /// 99th percentile of the input's per-channel change.
    pub input_p99: u32,
    /// 99th percentile of the output's per-channel change.
    pub output_p99: u32,
}

/// Accumulates change histograms over still frame pairs.
#[derive(Debug, Default)]
pub struct StabilityMeter {
    previous: Option<(u64, Vec<u8>, Vec<u8>)>,
    input: Histogram,
    output: Histogram,
    pairs: u64,
}

#[derive(Debug)]
struct Histogram([u64; 256]);

impl Default for Histogram {
    fn default() -> Self {
        Self([0; 256])
    }
}

impl Histogram {
    fn add(&mut self, a: &[u8], b: &[u8]) {
        // four interleaved counts, summed at the end: one array would make each increment wait
        // for the previous one to the same bin (most differences are 0); the meter runs on the
        // sink thread, between two frames
        let mut counts = [[0u32; 256]; 4];
        let (a4, b4) = (a.chunks_exact(4), b.chunks_exact(4));
        let (a_rest, b_rest) = (a4.remainder(), b4.remainder());
        for (x, y) in a4.zip(b4) {
            for k in 0..4 {
                counts[k][x[k].abs_diff(y[k]) as usize] += 1;
            }
        }
        for (x, y) in a_rest.iter().zip(b_rest) {
            counts[0][x.abs_diff(*y) as usize] += 1;
        }
        for (bin, total) in self.0.iter_mut().enumerate() {
            *total += counts.iter().map(|c| c[bin] as u64).sum::<u64>();
        }
    }

    fn count(&self) -> u64 {
        self.0.iter().sum()
    }

    fn mean(&self) -> f64 {
        let n = self.count();
        if n == 0 {
            return 0.0;
        }
        self.0.iter().enumerate().map(|(v, &c)| v as f64 * c as f64).sum::<f64>() / n as f64
    }

    fn quantile(&self, q: f64) -> u32 {
        let target = (self.count() as f64 * q).ceil() as u64;
        let mut seen = 0;
        for (v, &c) in self.0.iter().enumerate() {
            seen += c;
            if seen >= target.max(1) {
                return v as u32;
            }
        }
        255
    }
}

impl StabilityMeter {
    /// Frame `seq` went in as `input` and came out as `output`. `still`: nothing in the scene
    /// moved since frame `seq - 1`. Pairs count only when frame `seq - 1` was seen too.
    pub fn add(&mut self, seq: u64, input: &[u8], output: &[u8], still: bool) {
        if input.len() != output.len() {
            return;
        }
        let previous = self.previous.get_or_insert_with(|| (u64::MAX, Vec::new(), Vec::new()));
        let consecutive = previous.0.checked_add(1) == Some(seq) && previous.1.len() == input.len();
        if still && consecutive {
            self.input.add(&previous.1, input);
            self.output.add(&previous.2, output);
            self.pairs += 1;
        }
        previous.0 = seq;
        previous.1.clear();
        previous.1.extend_from_slice(input);
        previous.2.clear();
        previous.2.extend_from_slice(output);
    }

    /// The report, or `None` when no still pair was seen.
    pub fn report(&self) -> Option<Stability> {
        (self.pairs > 0).then(|| Stability {
            pairs: self.pairs,
            input_change: self.input.mean(),
            output_change: self.output.mean(),
            input_p99: self.input.quantile(0.99),
            output_p99: self.output.quantile(0.99),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_change_of_still_consecutive_pairs_only() {
        let mut m = StabilityMeter::default();
        let a = vec![100u8; 1000];
        let mut b = a.clone();
        b[..10].fill(110); // 1% of channels change by 10
        m.add(0, &a, &a, true);
        m.add(1, &b, &a, true); // output did not change
        m.add(3, &a, &b, true); // not consecutive: skipped
        m.add(4, &b, &b, false); // not still: skipped
        let r = m.report().unwrap();
        assert_eq!(r.pairs, 1);
        assert!((r.input_change - 0.1).abs() < 1e-9, "{r:?}");
        assert_eq!(r.output_change, 0.0);
        assert_eq!(r.input_p99, 0, "exactly 1% changed: the 99th percentile is still 0");
        assert_eq!(r.output_p99, 0);
    }

    #[test]
    fn p99_sees_a_flickering_percent_of_pixels() {
        let mut m = StabilityMeter::default();
        let a = vec![50u8; 1000];
        let mut b = a.clone();
        b[..20].fill(90); // 2% flicker by 40
        m.add(7, &a, &a, true);
        m.add(8, &a, &b, true);
        let r = m.report().unwrap();
        assert_eq!(r.output_p99, 40);
        assert_eq!(r.input_p99, 0);
        assert!(m.report().unwrap().output_change > r.input_change);
    }

    #[test]
    fn no_still_pairs_no_report() {
        let mut m = StabilityMeter::default();
        m.add(0, &[1, 2, 3], &[1, 2, 3], false);
        m.add(1, &[1, 2, 3], &[1, 2, 3], false);
        assert!(m.report().is_none());
    }
}
