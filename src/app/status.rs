//! The status overlay's numbers: frames shown per second, latency p50 (capture to stylized),
//! per-stage times, dropped frames, and the window's own repaint rate.
//!
//! In: each pipeline output the window shows (or skips), each repaint. Out: text lines. UI thread.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::pipeline::PipelineOutput;

/// Outputs the statistics look back over.
const WINDOW: usize = 90;

#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    latency_ms: f32,
    perception_ms: f32,
    background_ms: f32,
    faces_ms: f32,
    people: usize,
}

#[derive(Debug)]
pub struct FeedStats {
    samples: VecDeque<Sample>,
    arrivals: VecDeque<Instant>,
    repaints: VecDeque<Instant>,
    pub compose_ms: f32,
    pub started: Instant,
    pub total_repaints: u64,
}

impl Default for FeedStats {
    fn default() -> Self {
        Self {
            samples: VecDeque::with_capacity(WINDOW),
            arrivals: VecDeque::with_capacity(WINDOW),
            repaints: VecDeque::with_capacity(256),
            compose_ms: 0.0,
            started: Instant::now(),
            total_repaints: 0,
        }
    }
}

impl FeedStats {
    pub fn add(&mut self, out: &PipelineOutput) {
        if self.samples.len() == WINDOW {
            self.samples.pop_front();
            self.arrivals.pop_front();
        }
        let ms = |d: Duration| d.as_secs_f32() * 1e3;
        self.samples.push_back(Sample {
            latency_ms: ms(out.stylized_at.saturating_duration_since(out.frame.captured_at)),
            perception_ms: ms(out.analysis.times.total),
            background_ms: ms(out.stylized.times.background),
            faces_ms: ms(out.stylized.times.faces),
            people: out.analysis.faces.len(),
        });
        self.arrivals.push_back(Instant::now());
    }

    pub fn repainted(&mut self) {
        let now = Instant::now();
        self.total_repaints += 1;
        self.repaints.push_back(now);
        while self.repaints.front().is_some_and(|t| now - *t > Duration::from_secs(1)) {
            self.repaints.pop_front();
        }
    }

    /// Pipeline outputs per second over the recent window.
    pub fn fps(&self) -> f64 {
        match (self.arrivals.front(), self.arrivals.back()) {
            (Some(a), Some(b)) if self.arrivals.len() > 1 && b > a => {
                (self.arrivals.len() - 1) as f64 / (*b - *a).as_secs_f64()
            }
            _ => 0.0,
        }
    }

    /// Repaints in the last second.
    pub fn repaint_rate(&self) -> usize {
        self.repaints.len()
    }

    fn p50(&self, f: impl Fn(&Sample) -> f32) -> f32 {
        let mut v: Vec<f32> = self.samples.iter().map(f).collect();
        if v.is_empty() {
            return 0.0;
        }
        v.sort_by(f32::total_cmp);
        v[v.len() / 2]
    }

    pub fn lines(&self) -> Vec<String> {
        let people = self.samples.back().map_or(0, |s| s.people);
        vec![
            format!("{:.1} fps   {} repaints/s   people {people}", self.fps(), self.repaint_rate()),
            format!("latency p50 {:.0} ms (capture to stylized)", self.p50(|s| s.latency_ms)),
            format!(
                "perception {:.1}  background {:.1}  faces {:.1}  compose {:.1} ms",
                self.p50(|s| s.perception_ms),
                self.p50(|s| s.background_ms),
                self.p50(|s| s.faces_ms),
                self.compose_ms
            ),
        ]
    }
}
