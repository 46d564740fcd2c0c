//! Colours and tones across pictures: the palette (modes of the flat pixels' Lab histogram) and
//! the tone steps (flat luma levels within each colour family).
//!
//! In: [`WorkPicture`]s. Out: palette colours with their area share, the tone levels. Pure.

use std::collections::HashMap;

use super::work::{WorkPicture, delta_e};

/// Lab histogram bin (L*, a*, b* units).
const BIN: f32 = 2.0;
/// Two palette colours are at least this far apart (CIE76).
const MIN_SEPARATION: f32 = 7.0;
/// A palette colour is the mean of the flat pixels this close to its mode (CIE76).
const MODE_RADIUS: f32 = 4.0;
/// Smallest area share (of all flat pixels, pictures weighted alike) of a palette colour.
pub const MIN_SHARE: f32 = 0.004;

/// Sparse Lab histogram: bin -> (weight, weighted sum of Lab).
pub type Hist = HashMap<[i16; 3], (f32, [f32; 3])>;

/// `acc += w * c`.
pub fn add(acc: &mut [f32; 3], c: [f32; 3], w: f32) {
    for (a, v) in acc.iter_mut().zip(c) {
        *a += w * v;
    }
}

fn bin_of(c: [f32; 3]) -> [i16; 3] {
    [(c[0] / BIN).round() as i16, (c[1] / BIN).round() as i16, (c[2] / BIN).round() as i16]
}

/// Flat pixels of one picture as a histogram whose weights sum to 1 (empty without flat pixels).
pub fn flat_histogram(pic: &WorkPicture) -> Hist {
    let mut h = Hist::new();
    let mut n = 0.0;
    for (i, &flat) in pic.flat.iter().enumerate() {
        if flat {
            let c = pic.lab[i];
            let e = h.entry(bin_of(c)).or_insert((0.0, [0.0; 3]));
            e.0 += 1.0;
            add(&mut e.1, c, 1.0);
            n += 1.0;
        }
    }
    if n > 0.0 {
        for e in h.values_mut() {
            e.0 /= n;
            for k in 0..3 {
                e.1[k] /= n;
            }
        }
    }
    h
}

/// A colour the art is made of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mode {
    pub lab: [f32; 3],
    /// Share of all flat pixels (pictures weighted alike) nearest to this colour.
    pub share: f32,
}

/// Dominant colours of a histogram: its modes (mean shift from the heaviest bins), at least
/// [`MIN_SEPARATION`] apart, each at least `min_share` of the weight, heaviest first, at most `max`.
pub fn modes(h: &Hist, max: usize, min_share: f32) -> Vec<Mode> {
    let total: f32 = h.values().map(|e| e.0).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    let entries: Vec<([f32; 3], f32)> =
        h.values().filter(|e| e.0 > 0.0).map(|e| ([e.1[0] / e.0, e.1[1] / e.0, e.1[2] / e.0], e.0)).collect();
    // smoothed mass of each bin (3x3x3 neighbourhood) and the local maxima of it
    let mass = |b: &[i16; 3]| -> f32 {
        let mut m = 0.0;
        for dl in -1..=1 {
            for da in -1..=1 {
                for db in -1..=1 {
                    if let Some(e) = h.get(&[b[0] + dl, b[1] + da, b[2] + db]) {
                        m += e.0;
                    }
                }
            }
        }
        m
    };
    let mut peaks: Vec<([i16; 3], f32)> = h.keys().map(|b| (*b, mass(b))).collect();
    peaks.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    peaks.truncate(300);
    let mut found: Vec<[f32; 3]> = Vec::new();
    for (b, m) in &peaks {
        if *m < 0.5 * min_share * total {
            break;
        }
        let mut c = [b[0] as f32 * BIN, b[1] as f32 * BIN, b[2] as f32 * BIN];
        for _ in 0..5 {
            let (mut w, mut s) = (0.0, [0.0f32; 3]);
            for (lab, wt) in &entries {
                if delta_e(*lab, c) <= MODE_RADIUS {
                    w += wt;
                    for k in 0..3 {
                        s[k] += wt * lab[k];
                    }
                }
            }
            if w <= 0.0 {
                break;
            }
            c = [s[0] / w, s[1] / w, s[2] / w];
        }
        if found.iter().all(|f| delta_e(*f, c) >= MIN_SEPARATION) {
            found.push(c);
        }
        if found.len() >= 4 * max {
            break;
        }
    }
    // shares: every bin to its nearest mode (within 3 separations)
    let mut shares = vec![0.0f32; found.len()];
    for (lab, wt) in &entries {
        let best = found.iter().enumerate().map(|(k, f)| (k, delta_e(*f, *lab))).min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((k, d)) = best
            && d <= 3.0 * MIN_SEPARATION
        {
            shares[k] += wt / total;
        }
    }
    let mut out: Vec<Mode> = found
        .into_iter()
        .zip(shares)
        .map(|(lab, share)| Mode { lab, share })
        .filter(|m| m.share >= min_share)
        .collect();
    out.sort_by(|a, b| b.share.total_cmp(&a.share));
    out.truncate(max);
    out
}

/// Sum of histograms, each picture weighted alike.
pub fn merge(hists: &[Hist]) -> Hist {
    let mut all = Hist::new();
    for h in hists {
        for (b, e) in h {
            let a = all.entry(*b).or_insert((0.0, [0.0; 3]));
            a.0 += e.0;
            for k in 0..3 {
                a.1[k] += e.1[k];
            }
        }
    }
    all
}

/// Share of a picture's flat pixels within `radius` (CIE76) of `lab`.
pub fn share_near(h: &Hist, lab: [f32; 3], radius: f32) -> f32 {
    h.values()
        .filter(|e| e.0 > 0.0 && delta_e([e.1[0] / e.0, e.1[1] / e.0, e.1[2] / e.0], lab) <= radius)
        .map(|e| e.0)
        .sum()
}

// ---- tone steps

/// Luma histogram bins (0..1 in 256 steps).
const LUMA_BINS: usize = 256;
/// Chroma families are at least this far apart (a*, b* units).
const FAMILY_SEPARATION: f32 = 8.0;

/// How the shading of the art is stepped.
#[derive(Debug, Clone, PartialEq)]
pub struct Tones {
    /// Flat luma levels (0..1) of each colour family with enough pixels, and the family's share.
    pub families: Vec<(Vec<f32>, f32)>,
    /// Levels shared by several families (a staircase over the whole picture, as the generator
    /// makes); empty when the families step on their own (cel shading per colour).
    pub shared_levels: Vec<f32>,
    /// The number of tones: the levels of all families' flat luma together when the families
    /// share their levels (2% of it, 10/255 apart), else the median
    /// count of the shaded families (2 levels or more), by area; 1 when under 15% is shaded.
    pub steps: u32,
    /// Share of the non-ink pixels of the families within 3/255 of one of their levels.
    pub hardness: f32,
}

/// Levels of a weighted 1-D histogram (0..1 over its bins): smoothed peaks holding at least
/// `min_share` of it within 5 bins, `min_gap` bins apart, with a valley below 0.6 of the lower one between neighbours.
pub fn levels(hist: &[f32], min_share: f32, min_gap: usize) -> Vec<f32> {
    let total: f32 = hist.iter().sum();
    if total <= 0.0 {
        return Vec::new();
    }
    let ker: Vec<f32> = (-4..=4).map(|i: i32| (-0.5 * (i as f32 / 1.5).powi(2)).exp()).collect();
    let ks: f32 = ker.iter().sum();
    let n = hist.len();
    let s: Vec<f32> =
        (0..n).map(|i| (0..9).map(|k| hist[(i + k).saturating_sub(4).min(n - 1)] * ker[k]).sum::<f32>() / ks).collect();
    let near = |i: usize| -> f32 { hist[i.saturating_sub(5)..(i + 6).min(n)].iter().sum::<f32>() / total };
    let mut cands: Vec<usize> = (0..n)
        .filter(|&i| (i == 0 || s[i] >= s[i - 1]) && (i + 1 == n || s[i] > s[i + 1]) && near(i) >= min_share)
        .collect();
    cands.sort_by(|a, b| s[*b].total_cmp(&s[*a]));
    let mut kept: Vec<usize> = Vec::new();
    for c in cands {
        let ok = kept.iter().all(|&k| {
            let (a, b) = (c.min(k), c.max(k));
            let valley = s[a..=b].iter().copied().fold(f32::MAX, f32::min);
            b - a >= min_gap && valley <= 0.6 * s[c].min(s[k])
        });
        if ok {
            kept.push(c);
        }
    }
    kept.sort_unstable();
    kept.into_iter().map(|i| i as f32 / (n - 1) as f32).collect()
}

/// Tone levels over all pictures. Families are the chroma modes of the flat pixels; each family's
/// flat luma histogram gives its levels. Face skin (`in_face`) is left out: it is measured as
/// `[skin]`, which the app paints in its own ramp.
pub fn tones(pics: &[WorkPicture]) -> Option<Tones> {
    // chroma histogram of flat pixels (pictures alike), as a Lab histogram with L fixed
    let mut ab = Hist::new();
    for pic in pics {
        let n = pic.flat.iter().filter(|&&f| f).count();
        if n == 0 {
            continue;
        }
        for (i, &f) in pic.flat.iter().enumerate() {
            if f {
                let c = [50.0, pic.lab[i][1], pic.lab[i][2]];
                let e = ab.entry(bin_of(c)).or_insert((0.0, [0.0; 3]));
                e.0 += 1.0 / n as f32;
                add(&mut e.1, c, 1.0 / n as f32);
            }
        }
    }
    let fams: Vec<[f32; 2]> = modes(&ab, 12, 0.03).iter().map(|m| [m.lab[1], m.lab[2]]).collect();
    if fams.is_empty() {
        return None;
    }
    let family_of = |c: [f32; 3]| -> Option<usize> {
        fams.iter()
            .enumerate()
            .map(|(k, f)| (k, ((c[1] - f[0]).powi(2) + (c[2] - f[1]).powi(2)).sqrt()))
            .filter(|(_, d)| *d <= 0.75 * FAMILY_SEPARATION)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(k, _)| k)
    };
    let mut flat_h = vec![vec![0.0f32; LUMA_BINS]; fams.len()];
    let mut all_h = vec![vec![0.0f32; LUMA_BINS]; fams.len()];
    for pic in pics {
        let n = pic.len().max(1) as f32;
        for i in 0..pic.len() {
            if pic.ink[i] || pic.in_face.get(i).copied().unwrap_or(false) {
                continue;
            }
            if let Some(k) = family_of(pic.lab[i]) {
                let b = (pic.luma[i] * (LUMA_BINS - 1) as f32).round().clamp(0.0, (LUMA_BINS - 1) as f32) as usize;
                all_h[k][b] += 1.0 / n;
                if pic.flat[i] {
                    flat_h[k][b] += 1.0 / n;
                }
            }
        }
    }
    let total: f32 = flat_h.iter().flatten().sum();
    let mut families = Vec::new();
    let (mut on_level, mut all) = (0.0, 0.0);
    for (fh, ah) in flat_h.iter().zip(&all_h) {
        let mass: f32 = fh.iter().sum();
        if mass < 0.04 * total {
            continue;
        }
        let lv = levels(fh, 0.05, 8);
        for (b, w) in ah.iter().enumerate() {
            let y = b as f32 / (LUMA_BINS - 1) as f32;
            all += w;
            if lv.iter().any(|l| (l - y).abs() <= 3.0 / 255.0) {
                on_level += w;
            }
        }
        families.push((lv, mass / total));
    }
    if families.is_empty() {
        return None;
    }
    // union of the families' levels (within 6/255), and in how many families each appears
    let mut union: Vec<(f32, usize, f32)> = Vec::new(); // level, families, mass share
    for (lv, share) in &families {
        for &l in lv {
            match union.iter_mut().find(|u| (u.0 - l).abs() <= 6.0 / 255.0) {
                Some(u) => {
                    u.1 += 1;
                    u.2 += share / lv.len() as f32;
                }
                None => union.push((l, 1, share / lv.len() as f32)),
            }
        }
    }
    let family_levels: usize = families.iter().map(|f| f.0.len()).sum();
    let shared_count: usize = union.iter().filter(|u| u.1 >= 2).map(|u| u.1).sum();
    let staircase = families.len() >= 2 && shared_count as f32 >= 0.6 * family_levels as f32;
    let mut shared_levels: Vec<f32> =
        if staircase { union.iter().filter(|u| u.1 >= 2 || u.2 >= 0.08).map(|u| u.0).collect() } else { Vec::new() };
    shared_levels.sort_by(f32::total_cmp);
    let steps = if staircase {
        // the staircase's levels over all families at once (a family's clipped colours do not
        // make a peak of their own there)
        let mut global = vec![0.0f32; LUMA_BINS];
        for fh in &flat_h {
            for (g, v) in global.iter_mut().zip(fh) {
                *g += v;
            }
        }
        shared_levels = levels(&global, 0.02, 10);
        shared_levels.len() as u32
    } else {
        // weighted median of the shaded families' counts (a colour in one level is not shaded:
        // backgrounds, flat fills); no steps when little of the art is shaded
        let mut counts: Vec<(usize, f32)> =
            families.iter().filter(|f| f.0.len() >= 2).map(|f| (f.0.len(), f.1)).collect();
        counts.sort_by_key(|c| c.0);
        let shaded = counts.iter().map(|c| c.1).sum::<f32>();
        let mut pick = 1;
        if shaded >= 0.15 {
            let mut acc = 0.0;
            for (c, w) in counts {
                acc += w;
                pick = c;
                if acc >= shaded / 2.0 {
                    break;
                }
            }
        }
        pick as u32
    };
    Some(Tones { families, shared_levels, steps, hardness: if all > 0.0 { on_level / all } else { 0.0 } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_of_three_peaks() {
        let mut h = vec![0.0; 256];
        for (c, w) in [(40usize, 1.0), (120, 2.0), (200, 1.5)] {
            for d in 0..5 {
                h[c + d - 2] += w;
            }
        }
        let lv = levels(&h, 0.05, 8);
        assert_eq!(lv.len(), 3, "{lv:?}");
    }
}
