//! Recall search: the face detector run again on zoomed, overlapping tiles of the frame, for the
//! faces the whole-frame pass misses (small faces, heads turned toward profile, bent forward,
//! looking down, tilted).
//!
//! Why tiles: the whole-frame pass letterboxes a 1280-wide frame into 192 pixels, so a 110 px face
//! is 16 px in the model's input, where BlazeFace full-range is only sure of frontal faces (and a
//! face that fills the frame is too big for it: one window zooms out instead). On
//! `t1.jpg` (six people at a card table) the whole frame finds 3 faces at MediaPipe's 0.6
//! threshold; tiles whose side is 0.6 of the frame's short side (2.8x the zoom) find all six at
//! 0.70-0.91, and 0.45-side tiles find 40 px faces that no whole-frame pass reports. The same
//! model, no new weights, about 1.7 ms of model time per tile. Every candidate still has to be
//! confirmed by the face mesh (its presence score, stricter off the person mask) before it becomes
//! a face (see `track`).
//!
//! In: a frame, the [`FaceDetector`]. Out: candidate [`FaceDetection`]s in frame pixels, the
//! overlaps between tiles merged. On the perception worker thread; the tile list and candidate
//! buffers are reused (the layout is recomputed only when the frame size changes).

use super::detector::{FaceDetection, FaceDetector, INPUT_SIZE};
use super::geometry::Affine2;
use super::runtime::RuntimeError;
use super::segment::Mask;

/// How a face was first found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FoundBy {
    /// The detector on the whole frame (at MediaPipe's threshold).
    #[default]
    Detector,
    /// The detector on a zoomed tile ([`TileScan`]), confirmed by the mesh.
    Tile,
}

impl FoundBy {
    pub fn as_str(self) -> &'static str {
        match self {
            FoundBy::Detector => "detector",
            FoundBy::Tile => "tile",
        }
    }
}

/// Tile sides as a share of the frame's short side: coarse (faces of about 70 px and up at 720p)
/// then fine (40 px faces).
pub const TILE_FRACTIONS: [f32; 2] = [0.6, 0.45];
/// Neighbouring tiles overlap by this share of their side, so a face is whole in at least one.
const TILE_OVERLAP: f32 = 0.3;
/// No tiles smaller than this (pixels): in small frames the whole-frame pass already zooms in.
const MIN_TILE_SIDE: f32 = 96.0;
/// Detector score a tile candidate needs (the mesh and the person mask confirm it afterwards).
/// MediaPipe's own 0.6: at 0.5 the space-shuttle model of the mirrored astronaut (0.55) passed
/// the mesh's checks; t1.jpg's faces found on tiles score 0.886 to 0.898.
pub const TILE_MIN_SCORE: f32 = 0.6;
/// Candidates smaller than this (box side, pixels) are ignored: the target is 40 px faces, and
/// the detector's boxes are about the face's size.
pub const MIN_FACE_PX: f32 = 28.0;
/// A tile searched for a person without a face is not searched that way again for this many scans.
const PRIORITY_COOLDOWN: u64 = 6;
/// Samples per side of the grid on which a tile's person mask is read.
const PRIORITY_GRID: usize = 8;
/// Fewest unexplained person samples (of 64) that make a tile worth searching first.
const PRIORITY_MIN_SAMPLES: usize = 4;
/// Two candidates from different tiles whose boxes overlap more than this are one face.
const MERGE_IOU: f32 = 0.3;

/// The tiles of a frame and the candidates found on them.
#[derive(Debug, Default)]
pub struct TileScan {
    size: (u32, u32),
    /// `frame_from_tensor` of each tile: the zoomed-out window, then coarse and fine tiles
    /// interleaved so that a round-robin scan covers the frame at the coarse scale first.
    tiles: Vec<Affine2>,
    next: usize,
    /// Scans so far, and the scan at which each tile was last searched.
    scans: u64,
    last_searched: Vec<u64>,
    found: Vec<FaceDetection>,
    merged: Vec<FaceDetection>,
}

impl TileScan {
    /// Number of tiles for the current frame size (0 before the first scan).
    pub fn tile_count(&self) -> usize {
        self.tiles.len()
    }

    fn layout(&mut self, w: u32, h: u32) {
        if self.size == (w, h) {
            return;
        }
        self.size = (w, h);
        self.tiles.clear();
        self.next = 0;
        self.last_searched.clear();
        let mut per_scale: Vec<Vec<Affine2>> = Vec::new();
        for frac in TILE_FRACTIONS {
            let side = frac * w.min(h) as f32;
            if side < MIN_TILE_SIDE {
                continue;
            }
            let step = side * (1.0 - TILE_OVERLAP);
            let count = |len: f32| if len <= side { 1 } else { ((len - side) / step).ceil() as u32 + 1 };
            let (nx, ny) = (count(w as f32), count(h as f32));
            let at = |i: u32, n: u32, len: f32| if n > 1 { (len - side) * i as f32 / (n - 1) as f32 } else { 0.0 };
            let k = side / INPUT_SIZE as f32;
            let mut tiles = Vec::with_capacity((nx * ny) as usize);
            for j in 0..ny {
                for i in 0..nx {
                    tiles.push(Affine2::scale_translate(k, k, at(i, nx, w as f32), at(j, ny, h as f32)));
                }
            }
            per_scale.push(tiles);
        }
        // one window zoomed OUT (the frame in the middle of a square twice its long side): the
        // full-range model misses faces that fill the frame
        let side = 2.0 * w.max(h) as f32;
        let k = side / INPUT_SIZE as f32;
        self.tiles.push(Affine2::scale_translate(k, k, (w as f32 - side) * 0.5, (h as f32 - side) * 0.5));
        let longest = per_scale.iter().map(Vec::len).max().unwrap_or(0);
        for i in 0..longest {
            for scale in &per_scale {
                if let Some(t) = scale.get(i) {
                    self.tiles.push(*t);
                }
            }
        }
        self.last_searched.resize(self.tiles.len(), 0);
    }

    /// The tile with the most person-mask samples that no tracked face explains (outside the
    /// column below and beside each face), not searched in the last [`PRIORITY_COOLDOWN`] scans;
    /// `None` when no tile has at least [`PRIORITY_MIN_SAMPLES`] such samples.
    fn priority_tile(&self, mask: &Mask, faces: &[[f32; 4]], w: u32, h: u32) -> Option<usize> {
        let explained = |x: f32, y: f32| {
            faces.iter().any(|b| {
                let size = (b[2] - b[0]).max(b[3] - b[1]);
                x >= b[0] - size && x <= b[2] + size && y >= b[1] - size * 0.5
            })
        };
        let mut best = None;
        let mut best_count = PRIORITY_MIN_SAMPLES - 1;
        for (i, t) in self.tiles.iter().enumerate().skip(1) {
            if self.scans.saturating_sub(self.last_searched[i]) < PRIORITY_COOLDOWN && self.last_searched[i] > 0 {
                continue;
            }
            let side = t.a * INPUT_SIZE as f32;
            let mut count = 0;
            for j in 0..PRIORITY_GRID {
                for k in 0..PRIORITY_GRID {
                    let x = t.c + side * (k as f32 + 0.5) / PRIORITY_GRID as f32;
                    let y = t.f + side * (j as f32 + 0.5) / PRIORITY_GRID as f32;
                    if mask.at_frame(x, y, w, h) > 0.5 && !explained(x, y) {
                        count += 1;
                    }
                }
            }
            if count > best_count {
                best_count = count;
                best = Some(i);
            }
        }
        best
    }

    /// Run the detector on tiles and return the candidates, best first, overlaps between tiles
    /// merged. `all`: every tile. Otherwise at most one tile: every other scan the tile where the
    /// person mask (`people`: the mask and the tracked faces' boxes) shows the most person
    /// without a face (someone walking in is searched for where they are), else, when
    /// `round_robin`, the next tile round robin, else none.
    #[allow(clippy::too_many_arguments)]
    pub fn scan(
        &mut self,
        detector: &mut FaceDetector,
        rgb: &[u8],
        w: u32,
        h: u32,
        all: bool,
        round_robin: bool,
        people: Option<(&Mask, &[[f32; 4]])>,
    ) -> Result<&[FaceDetection], RuntimeError> {
        self.found.clear();
        self.merged.clear();
        if w == 0 || h == 0 || rgb.len() < (w * h * 3) as usize {
            return Ok(&self.merged);
        }
        self.layout(w, h);
        let n = self.tiles.len();
        if n == 0 {
            return Ok(&self.merged);
        }
        self.scans += 1;
        let mut count = if all { n } else { usize::from(round_robin) };
        if !all
            && self.scans.is_multiple_of(2)
            && let Some((mask, faces)) = people
            && let Some(i) = self.priority_tile(mask, faces, w, h)
        {
            self.last_searched[i] = self.scans;
            let tile = self.tiles[i];
            detector.detect_window(rgb, w, h, &tile, TILE_MIN_SCORE, &mut self.found)?;
            count = 0;
        }
        let start = if count == n { 0 } else { self.next };
        for k in 0..count {
            let i = (start + k) % n;
            self.last_searched[i] = self.scans;
            let tile = self.tiles[i];
            detector.detect_window(rgb, w, h, &tile, TILE_MIN_SCORE, &mut self.found)?;
        }
        self.next = (start + count) % n;
        self.found.retain(|d| {
            let side = (d.box_px[2] - d.box_px[0]).min(d.box_px[3] - d.box_px[1]);
            side >= MIN_FACE_PX && d.box_px.iter().all(|v| v.is_finite())
        });
        self.found.sort_by(|a, b| b.score.total_cmp(&a.score));
        for d in &self.found {
            if !self.merged.iter().any(|m| overlaps(m, d)) {
                self.merged.push(*d);
            }
        }
        Ok(&self.merged)
    }
}

fn overlaps(a: &FaceDetection, b: &FaceDetection) -> bool {
    let (p, q) = (&a.box_px, &b.box_px);
    let iw = (p[2].min(q[2]) - p[0].max(q[0])).max(0.0);
    let ih = (p[3].min(q[3]) - p[1].max(q[1])).max(0.0);
    let inter = iw * ih;
    let union = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter;
    let c = b.center();
    (union > 0.0 && inter / union > MERGE_IOU) || (c[0] >= p[0] && c[0] <= p[2] && c[1] >= p[1] && c[1] <= p[3])
}

/// Mean person probability over the inner half of a face box (a 3x3 grid of samples): a face
/// found on a tile off the person mask needs a surer mesh.
pub fn person_support(mask: &Mask, box_px: &[f32; 4], w: u32, h: u32) -> f32 {
    let (cx, cy) = ((box_px[0] + box_px[2]) * 0.5, (box_px[1] + box_px[3]) * 0.5);
    let (hw, hh) = ((box_px[2] - box_px[0]) * 0.25, (box_px[3] - box_px[1]) * 0.25);
    let mut sum = 0.0;
    for j in -1..=1 {
        for i in -1..=1 {
            let (x, y) = (cx + hw * i as f32, cy + hh * j as f32);
            sum += mask.at_frame(x.clamp(0.0, w as f32 - 1.0), y.clamp(0.0, h as f32 - 1.0), w, h);
        }
    }
    sum / 9.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_the_frame_and_interleave_scales() {
        let mut s = TileScan::default();
        s.layout(1280, 720);
        // zoomed out; 0.6 x 720 = 432 px: 4 x 2 tiles; 0.45 x 720 = 324 px: 6 x 3 tiles
        assert_eq!(s.tile_count(), 1 + 8 + 18);
        let side = |a: &Affine2| a.a * INPUT_SIZE as f32;
        assert!((side(&s.tiles[0]) - 2560.0).abs() < 0.01);
        assert!((side(&s.tiles[1]) - 432.0).abs() < 0.01);
        assert!((side(&s.tiles[2]) - 324.0).abs() < 0.01);
        for t in &s.tiles[1..] {
            let far = t.apply([INPUT_SIZE as f32; 2]);
            assert!(t.c >= 0.0 && t.f >= 0.0 && far[0] <= 1280.01 && far[1] <= 720.01);
        }
        let right = s.tiles[1..].iter().map(|t| t.apply([INPUT_SIZE as f32; 2])[0]).fold(0.0, f32::max);
        assert!((right - 1280.0).abs() < 0.01);
        // tiny frames get only the zoomed-out window
        let mut tiny = TileScan::default();
        tiny.layout(64, 48);
        assert_eq!(tiny.tile_count(), 1);
    }

    #[test]
    fn found_by_serializes_lowercase() {
        assert_eq!(serde_json::to_string(&FoundBy::Tile).unwrap(), "\"tile\"");
        assert_eq!(FoundBy::Detector.as_str(), "detector");
    }
}
