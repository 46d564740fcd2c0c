//! The stylizer graphs themselves: `build_graph` of `scripts/characters/make_stylizer.py`, node
//! for node (same operators, constants, names and order), so the bytes are the script's.
//!
//! In: resolved [`StyleParams`], the graph kind, the character id. Out: an [`onnx::Model`] with
//! input `image` and output `toon`, float32 NCHW RGB in 0..1 ([1,3,256,256] for the face,
//! [1,3,height,width] for the background). Pure data, any thread; building one takes well under a
//! millisecond.
//!
//! Constants are computed in f64 as NumPy computes them (same operation order, NumPy's pairwise
//! sums) and rounded to f32 once, where the script's `np.asarray(v, np.float32)` rounds them.
//! See the script's module doc for what each stage does.

use std::collections::{BTreeMap, HashMap};

use super::onnx::{AttrValue, Attribute, DataType, Dim, Graph, Model, Node, Tensor, ValueInfo};
use super::params::StyleParams;
use super::{FACE_SIZE, GENERATOR, GENERATOR_VERSION, GraphKind, OPSET};

const RGB_TO_YCC: [[f64; 3]; 3] = [[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]];

/// `np.linalg.inv(RGB_TO_YCC)` as NumPy (LAPACK) computes it, bit for bit.
fn ycc_to_rgb() -> [[f64; 3]; 3] {
    [
        [f64::from_bits(0x3fefffffffffffff), f64::from_bits(0xbeb4731c55600000), f64::from_bits(0x3ff66e971ee49ea3)],
        [f64::from_bits(0x3fefffffffffffff), f64::from_bits(0xbfd60651a6c6d77c), f64::from_bits(0xbfe6da341123ae82)],
        [f64::from_bits(0x3feffffffffffffe), f64::from_bits(0x3ffc5a1cbdc4c005), f64::from_bits(0x3e9b4425c755a32f)],
    ]
}

/// NumPy's sum of a float64 row (`a.sum()`): the identity 0.0 plus its pairwise sum.
fn np_sum(a: &[f64]) -> f64 {
    fn pairwise(a: &[f64]) -> f64 {
        let n = a.len();
        if n < 8 {
            let mut res = -0.0;
            for &x in a {
                res += x;
            }
            res
        } else if n <= 128 {
            let mut r = [0.0; 8];
            r.copy_from_slice(&a[..8]);
            let mut i = 8;
            while i < n - n % 8 {
                for j in 0..8 {
                    r[j] += a[i + j];
                }
                i += 8;
            }
            let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for &x in &a[i..] {
                res += x;
            }
            res
        } else {
            let mut n2 = n / 2;
            n2 -= n2 % 8;
            pairwise(&a[..n2]) + pairwise(&a[n2..])
        }
    }
    0.0 + pairwise(a)
}

/// `row . c` in the order and with the fused multiply-adds of the OpenBLAS (Haswell) `dgemv`
/// NumPy's `RGB_TO_YCC @ c` calls: checked bit for bit against NumPy on thousands of colours.
/// (Any order gives the same f32 constants but in rare ties; this one gives the same f64s.)
fn blas_dot3(row: &[f64; 3], c: &[f64; 3]) -> f64 {
    let acc = row[1].mul_add(c[1], 0.0);
    let acc = row[0].mul_add(c[0], acc);
    row[2].mul_add(c[2], acc)
}

/// Tiny ONNX graph builder (the script's `Net`): names `<op>_<n>` / `c_<n>` from one counter,
/// constants deduplicated by type, shape and bytes.
#[derive(Default)]
struct Net {
    nodes: Vec<Node>,
    inits: Vec<Tensor>,
    count: usize,
    consts: HashMap<(u8, Vec<i64>, Vec<u8>), String>,
}

type Attrs = Vec<(&'static str, AttrValue)>;

fn ints(v: &[i64]) -> AttrValue {
    AttrValue::Ints(v.to_vec())
}

impl Net {
    fn fresh(&mut self, base: &str) -> String {
        self.count += 1;
        format!("{base}_{}", self.count)
    }

    fn constant(&mut self, tensor: impl FnOnce(String) -> Tensor, probe: Tensor) -> String {
        let key = (probe.data_type as u8, probe.dims, probe.raw);
        if let Some(name) = self.consts.get(&key) {
            return name.clone();
        }
        let name = self.fresh("c");
        self.inits.push(tensor(name.clone()));
        self.consts.insert(key, name.clone());
        name
    }

    /// A float32 constant of shape `dims` from f64 values (rounded once, like `np.asarray(v,
    /// np.float32)`).
    fn floats(&mut self, dims: &[i64], values: &[f64]) -> String {
        let v: Vec<f32> = values.iter().map(|&x| x as f32).collect();
        let make = |name: String| Tensor::f32(name, dims.to_vec(), &v);
        let probe = make(String::new());
        self.constant(make, probe)
    }

    /// An int64 vector constant.
    fn ints(&mut self, values: &[i64]) -> String {
        let dims = vec![values.len() as i64];
        let make = |name: String| Tensor::i64(name, dims.clone(), values);
        let probe = make(String::new());
        self.constant(make, probe)
    }

    /// A float32 "scalar": shape [1], as the script's `np.ascontiguousarray` (ndim >= 1) makes it.
    fn num(&mut self, v: f64) -> String {
        self.floats(&[1], &[v])
    }

    fn op_n(&mut self, op_type: &str, inputs: &[&str], outputs: usize, mut attrs: Attrs) -> Vec<String> {
        let base = op_type.to_lowercase();
        let outs: Vec<String> = (0..outputs).map(|_| self.fresh(&base)).collect();
        attrs.sort_by_key(|(name, _)| *name); // `make_node` sorts its keyword attributes
        self.nodes.push(Node {
            op_type: op_type.into(),
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            outputs: outs.clone(),
            attributes: attrs.into_iter().map(|(name, value)| Attribute { name: name.into(), value }).collect(),
        });
        outs
    }

    fn op(&mut self, op_type: &str, inputs: &[&str], attrs: Attrs) -> String {
        self.op_n(op_type, inputs, 1, attrs).pop().expect("one output")
    }

    fn add(&mut self, a: &str, b: &str) -> String {
        self.op("Add", &[a, b], vec![])
    }

    fn sub(&mut self, a: &str, b: &str) -> String {
        self.op("Sub", &[a, b], vec![])
    }

    fn mul(&mut self, a: &str, b: &str) -> String {
        self.op("Mul", &[a, b], vec![])
    }

    fn div(&mut self, a: &str, b: &str) -> String {
        self.op("Div", &[a, b], vec![])
    }

    fn clip01(&mut self, x: &str) -> String {
        let lo = self.num(0.0);
        let hi = self.num(1.0);
        self.op("Clip", &[x, &lo, &hi], vec![])
    }

    fn per_channel(&mut self, v: &[f64]) -> String {
        self.floats(&[1, v.len() as i64, 1, 1], v)
    }

    /// Per-pixel channel mix `out[o] = sum_i weights[o][i] x[i] + bias[o]` as a MatMul on
    /// [1,C,H*W].
    fn mix(&mut self, x: &str, weights: &[Vec<f64>], bias: Option<&[f64]>) -> String {
        let (o, c) = (weights.len() as i64, weights[0].len() as i64);
        let shape = self.ints(&[1, c, -1]);
        let flat = self.op("Reshape", &[x, &shape], vec![]);
        let w: Vec<f64> = weights.iter().flatten().copied().collect();
        let wc = self.floats(&[o, c], &w);
        let mut y = self.op("MatMul", &[&wc, &flat], vec![]);
        if let Some(b) = bias {
            let bc = self.floats(&[b.len() as i64, 1], b);
            y = self.add(&y, &bc);
        }
        let shape_of = self.op("Shape", &[x], vec![]);
        let (i2, i4) = (self.ints(&[2]), self.ints(&[4]));
        let hw = self.op("Slice", &[&shape_of, &i2, &i4], vec![]);
        let head = self.ints(&[1, o]);
        let out_shape = self.op("Concat", &[&head, &hw], vec![("axis", AttrValue::Int(0))]);
        self.op("Reshape", &[&y, &out_shape], vec![])
    }

    fn concat(&mut self, xs: &[&str]) -> String {
        self.op("Concat", xs, vec![("axis", AttrValue::Int(1))])
    }

    fn split(&mut self, x: &str, sizes: &[i64]) -> Vec<String> {
        let s = self.ints(sizes);
        self.op_n("Split", &[x, &s], sizes.len(), vec![("axis", AttrValue::Int(1))])
    }

    /// Mean over a (2r+1)^2 window, normalised at the borders; separable.
    fn boxf(&mut self, x: &str, r: i64) -> String {
        let k = 2 * r + 1;
        let h = self.op(
            "AveragePool",
            &[x],
            vec![
                ("kernel_shape", ints(&[1, k])),
                ("pads", ints(&[0, r, 0, r])),
                ("count_include_pad", AttrValue::Int(0)),
            ],
        );
        self.op(
            "AveragePool",
            &[&h],
            vec![
                ("kernel_shape", ints(&[k, 1])),
                ("pads", ints(&[r, 0, r, 0])),
                ("count_include_pad", AttrValue::Int(0)),
            ],
        )
    }

    fn down(&mut self, x: &str, s: i64) -> String {
        if s == 1 {
            return x.into();
        }
        self.op("AveragePool", &[x], vec![("kernel_shape", ints(&[s, s])), ("strides", ints(&[s, s]))])
    }

    fn up(&mut self, x: &str, s: i64) -> String {
        if s == 1 {
            return x.into();
        }
        let scales = self.floats(&[4], &[1.0, 1.0, s as f64, s as f64]);
        self.op(
            "Resize",
            &[x, "", &scales],
            vec![
                ("mode", AttrValue::String("linear".into())),
                ("coordinate_transformation_mode", AttrValue::String("half_pixel".into())),
            ],
        )
    }

    fn pool(&mut self, op: &str, x: &str, k: i64, include_pad: Option<i64>) -> String {
        let p = k / 2;
        let mut attrs = vec![("kernel_shape", ints(&[k, k])), ("pads", ints(&[p, p, p, p]))];
        if let Some(c) = include_pad {
            attrs.push(("count_include_pad", AttrValue::Int(c)));
        }
        self.op(op, &[x], attrs)
    }

    /// [N,1,H,W] -> [N,len(sigmas),H,W] Gaussian blurs, separable, edge padding.
    fn gaussians(&mut self, x: &str, sigmas: &[f64]) -> String {
        let max = sigmas.iter().copied().fold(f64::MIN, f64::max);
        let r = (3.0 * max).ceil() as i64;
        let mut ker = Vec::new();
        for &s in sigmas {
            let row: Vec<f64> = (-r..=r)
                .map(|t| {
                    let q = t as f64 / s;
                    (-0.5 * (q * q)).exp()
                })
                .collect();
            let sum = np_sum(&row);
            ker.extend(row.iter().map(|v| v / sum));
        }
        let (n, k) = (sigmas.len() as i64, 2 * r + 1);
        let pads = self.ints(&[0, 0, r, r, 0, 0, r, r]);
        let padded = self.op("Pad", &[x, &pads], vec![("mode", AttrValue::String("edge".into()))]);
        let kh = self.floats(&[n, 1, 1, k], &ker);
        let h = self.op("Conv", &[&padded, &kh], vec![]);
        let kv = self.floats(&[n, 1, k, 1], &ker);
        self.op("Conv", &[&h, &kv], vec![("group", AttrValue::Int(n))])
    }
}

fn rows(m: &[[f64; 3]]) -> Vec<Vec<f64>> {
    m.iter().map(|r| r.to_vec()).collect()
}

/// Self-guided filter per channel: box-averaged a, b with out = a x + b.
fn guided_coeffs(g: &mut Net, x: &str, ch: i64, r: i64, eps: f64) -> (String, String) {
    let xx = g.mul(x, x);
    let cat = g.concat(&[x, &xx]);
    let m = g.boxf(&cat, r);
    let ms = g.split(&m, &[ch, ch]);
    let (mean, mean_sq) = (&ms[0], &ms[1]);
    let mm = g.mul(mean, mean);
    let var = g.sub(mean_sq, &mm);
    let e = g.num(eps);
    let ve = g.add(&var, &e);
    let a = g.div(&var, &ve);
    let am = g.mul(&a, mean);
    let b = g.sub(mean, &am);
    let ab = g.concat(&[&a, &b]);
    let bx = g.boxf(&ab, r);
    let mut out = g.split(&bx, &[ch, ch]);
    let b = out.pop().expect("two");
    (out.pop().expect("two"), b)
}

/// Iterated self-guided filter (see the script's `smooth`): (full-res result, low-res result,
/// full-res result after each pass where it exists).
fn smooth(
    g: &mut Net,
    x: &str,
    x_low: &str,
    scale: i64,
    r: i64,
    eps: f64,
    iters: i64,
) -> (String, String, Vec<Option<String>>) {
    let mut passes = vec![Some(x.to_string())];
    if iters == 0 {
        return (x.into(), x_low.into(), passes);
    }
    if scale == 1 {
        let mut x = x.to_string();
        for _ in 0..iters {
            let (a, b) = guided_coeffs(g, &x, 3, r, eps);
            let ax = g.mul(&a, &x);
            x = g.add(&ax, &b);
            passes.push(Some(x.clone()));
        }
        return (x.clone(), x, passes);
    }
    let mut cur = x_low.to_string();
    let mut acc: Option<(String, String)> = None;
    for _ in 0..iters {
        let (a, b) = guided_coeffs(g, &cur, 3, r, eps);
        let ac = g.mul(&a, &cur);
        cur = g.add(&ac, &b);
        acc = Some(match acc {
            None => (a, b),
            Some((pa, pb)) => {
                let na = g.mul(&a, &pa);
                let ab = g.mul(&a, &pb);
                let nb = g.add(&ab, &b);
                (na, nb)
            }
        });
    }
    let (a, b) = acc.expect("iters > 0");
    let cat = g.concat(&[&a, &b]);
    let u = g.up(&cat, scale);
    let ab = g.split(&u, &[3, 3]);
    let ax = g.mul(&ab[0], x);
    let out = g.add(&ax, &ab[1]);
    passes.extend((1..iters).map(|_| None));
    passes.push(Some(out.clone()));
    (out, cur, passes)
}

/// Soft pull toward the palette (+ skin colours) of a Y/Cb/Cr tensor `src`: (dY, dCbCr) at
/// `src`'s resolution, or `None` when there is nothing to pull.
fn palette_delta(g: &mut Net, src: &str, p: &StyleParams) -> Option<(Option<String>, String)> {
    let (strength, luma, skin_pull) = (p.float("palette_strength"), p.float("palette_luma"), p.float("skin_pull"));
    let mut cols: Vec<([f64; 3], f64)> = p.colours("palette").iter().map(|c| (*c, strength)).collect();
    cols.extend(p.colours("skin_colors").iter().map(|c| (*c, skin_pull)));
    if cols.is_empty() || (strength <= 0.0 && luma <= 0.0 && skin_pull <= 0.0) {
        return None;
    }
    let pal: Vec<[f64; 3]> = cols.iter().map(|(c, _)| RGB_TO_YCC.map(|row| blas_dot3(&row, c))).collect();
    let pull: Vec<f64> = cols.iter().map(|(_, s)| *s).collect();
    let wd = [p.float("palette_luma_weight"), 1.0, 1.0];
    let tau = p.float("palette_softness");
    let weights: Vec<Vec<f64>> = pal.iter().map(|q| (0..3).map(|j| 2.0 * q[j] * wd[j] / tau).collect()).collect();
    let bias: Vec<f64> =
        pal.iter().map(|q| -np_sum(&[q[0] * q[0] * wd[0], q[1] * q[1] * wd[1], q[2] * q[2] * wd[2]]) / tau).collect();
    let logits = g.mix(src, &weights, Some(bias.as_slice()));
    let peak = g.op("ReduceMax", &[&logits], vec![("axes", ints(&[1])), ("keepdims", AttrValue::Int(1))]);
    let d = g.sub(&logits, &peak);
    let e = g.op("Exp", &[&d], vec![]);
    let rows = vec![
        pal.iter().map(|q| q[0]).collect(),
        pal.iter().zip(&pull).map(|(q, s)| s * q[1]).collect(),
        pal.iter().zip(&pull).map(|(q, s)| s * q[2]).collect(),
        pull.clone(),
        vec![1.0; cols.len()],
    ];
    let m = g.mix(&e, &rows, None);
    let parts = g.split(&m, &[1, 2, 1, 1]);
    let (num_y, num_c, wsum, den) = (&parts[0], &parts[1], &parts[2], &parts[3]);
    let inv = g.op("Reciprocal", &[den], vec![]);
    let yc = g.split(src, &[1, 2]);
    let wc = g.mul(wsum, &yc[1]);
    let diff = g.sub(num_c, &wc);
    let dc = g.mul(&diff, &inv);
    if luma <= 0.0 {
        return Some((None, dc));
    }
    let ny = g.mul(num_y, &inv);
    let dy = g.sub(&ny, &yc[0]);
    let l = g.num(luma);
    Some((Some(g.mul(&dy, &l)), dc))
}

/// A low-resolution field: key, tensor, channels.
type Field = (&'static str, String, i64);

/// Collects low-resolution fields and upsamples each scale's fields with one Resize.
#[derive(Default)]
struct Upsampler {
    /// (scale, [(key, tensor, channels)]) in the order scales first appear.
    want: Vec<(i64, Vec<Field>)>,
}

impl Upsampler {
    fn add(&mut self, key: &'static str, x: String, ch: i64, scale: i64) {
        match self.want.iter_mut().find(|(s, _)| *s == scale) {
            Some((_, items)) => items.push((key, x, ch)),
            None => self.want.push((scale, vec![(key, x, ch)])),
        }
    }

    fn has(&self, key: &str) -> bool {
        self.want.iter().any(|(_, items)| items.iter().any(|(k, _, _)| *k == key))
    }

    fn run(self, g: &mut Net) -> HashMap<&'static str, String> {
        let mut out = HashMap::new();
        for (scale, items) in self.want {
            let x = if items.len() == 1 {
                items[0].1.clone()
            } else {
                let xs: Vec<&str> = items.iter().map(|(_, t, _)| t.as_str()).collect();
                g.concat(&xs)
            };
            let x = g.up(&x, scale);
            let parts = if items.len() == 1 {
                vec![x]
            } else {
                let sizes: Vec<i64> = items.iter().map(|(_, _, c)| *c).collect();
                g.split(&x, &sizes)
            };
            for ((k, _, _), t) in items.into_iter().zip(parts) {
                out.insert(k, t);
            }
        }
        out
    }
}

/// Smoothed RGB by scale (the script's `lows`, `rgb_at` and `ycc_at`).
struct Lows {
    rgb: BTreeMap<i64, String>,
    ycc: HashMap<i64, String>,
}

impl Lows {
    /// Smoothed RGB at 1/q, from the nearest finer one there is.
    fn rgb_at(&mut self, g: &mut Net, q: i64) -> String {
        if let Some(x) = self.rgb.get(&q) {
            return x.clone();
        }
        let k = *self.rgb.keys().filter(|&&k| q % k == 0).max().expect("scale 1 is there");
        let x = g.down(&self.rgb[&k].clone(), q / k);
        self.rgb.insert(q, x.clone());
        x
    }

    fn ycc_at(&mut self, g: &mut Net, q: i64) -> String {
        if let Some(x) = self.ycc.get(&q) {
            return x.clone();
        }
        let rgb = self.rgb_at(g, q);
        let x = g.mix(&rgb, &rows(&RGB_TO_YCC), None);
        self.ycc.insert(q, x.clone());
        x
    }
}

/// The graph for `p` (the script's `build_graph`), without metadata.
pub fn model(p: &StyleParams, name: &str) -> Model {
    let kind = p.kind;
    let mut g = Net::default();
    let g = &mut g;
    let x = "image";
    // ---- 1. edge-preserving smoothing
    let ss = p.int("smooth_scale");
    let x_low = g.down(x, ss);
    let (s_full, s_low, passes) =
        smooth(g, x, &x_low, ss, 1.max(p.int("smooth_radius") / ss), p.float("smooth_eps"), p.int("smooth_iters"));
    let mut lows = Lows { rgb: BTreeMap::from([(1, s_full.clone()), (ss, s_low)]), ycc: HashMap::new() };
    // ---- 2. low-resolution fields: palette pull, base (shading) layer, bled chroma
    let mut ups = Upsampler::default();
    let (ps, bs, cb) = (p.int("palette_scale"), p.int("base_scale"), p.int("color_bleed"));
    let src = lows.ycc_at(g, ps);
    let delta = palette_delta(g, &src, p);
    if let Some((dy, dc)) = &delta {
        if let Some(dy) = dy {
            ups.add("dy", dy.clone(), 1, ps);
        }
        if cb > 1 && cb == ps {
            let ycc = lows.ycc_at(g, cb);
            let c = g.split(&ycc, &[1, 2]);
            let sum = g.add(&c[1], dc);
            ups.add("c", sum, 2, cb);
        } else {
            ups.add("dc", dc.clone(), 2, ps);
        }
    }
    if cb > 1 && !ups.has("c") {
        let ycc = lows.ycc_at(g, cb);
        let c = g.split(&ycc, &[1, 2]);
        ups.add("c", c[1].clone(), 2, cb);
    }
    let n = p.int("tone_steps");
    let stepped = n >= 2 && p.float("step_strength") > 0.0;
    if stepped {
        let ycc = lows.ycc_at(g, bs);
        let mut y_b = g.split(&ycc, &[1, 2]).swap_remove(0);
        if let Some((Some(dy), _)) = &delta
            && ps == bs
        {
            y_b = g.add(&y_b, dy);
        }
        let (a, b) = guided_coeffs(g, &y_b, 1, 1.max(p.int("base_radius") / bs), p.float("base_eps"));
        let ab = g.concat(&[&a, &b]);
        ups.add("base", ab, 2, bs);
    }
    let f = ups.run(g);
    // ---- 3. full resolution: colour simplification in Y/Cb/Cr
    let ycc = g.mix(&s_full, &rows(&RGB_TO_YCC), None);
    let mut yc = g.split(&ycc, &[1, 2]);
    let mut c = yc.pop().expect("two");
    let mut y = yc.pop().expect("two");
    if let Some(dy) = f.get("dy") {
        y = g.add(&y, dy);
    }
    if let Some(fc) = f.get("c") {
        c = fc.clone();
    }
    if let Some(dc) = f.get("dc") {
        c = g.add(&c, dc);
    }
    if stepped {
        let ab = g.split(&f["base"], &[1, 1]);
        let ay = g.mul(&ab[0], &y);
        let base = g.add(&ay, &ab[1]);
        let nf = n as f64;
        let t: Vec<f64> = (1..n).map(|i| (i as f64 / nf + p.float("tone_shift")).clamp(0.02, 0.98)).collect();
        let mut edges = vec![0.0];
        edges.extend(&t);
        edges.push(1.0);
        let step = 1.0 / (nf - 1.0);
        let spread = p.float("tone_spread");
        let levels: Vec<f64> = (0..n as usize)
            .map(|i| {
                let l = 0.5 * (edges[i] + edges[i + 1]);
                let lin = if i + 1 == n as usize { 1.0 } else { i as f64 * step + 0.0 };
                l + spread * (lin - l)
            })
            .collect();
        let w = p.float("step_width");
        let sw: Vec<Vec<f64>> = (1..n).map(|_| vec![1.0 / w]).collect();
        let sb: Vec<f64> = t.iter().map(|v| -v / w).collect();
        let sm = g.mix(&base, &sw, Some(sb.as_slice()));
        let steps = g.op("Sigmoid", &[&sm], vec![]);
        let (s, d) = (p.float("step_strength"), p.float("detail"));
        let mut wts = vec![1.0 - s + s * d, -s * d];
        wts.extend(levels.windows(2).map(|l| s * (l[1] - l[0])));
        let cat = g.concat(&[&y, &base, &steps]);
        let y_new = g.mix(&cat, &[wts], Some(&[s * levels[0]][..]));
        if p.float("shade_chroma") > 0.0 {
            let k = p.float("shade_chroma");
            let c04 = g.num(0.04);
            let a1 = g.add(&y_new, &c04);
            let c04 = g.num(0.04);
            let a2 = g.add(&y, &c04);
            let ratio = g.div(&a1, &a2);
            let (lo, hi) = (g.num(0.5), g.num(1.6));
            let ratio = g.op("Clip", &[&ratio, &lo, &hi], vec![]);
            let kc = g.num(k);
            let rk = g.mul(&ratio, &kc);
            let one_k = g.num(1.0 - k);
            let gain = g.add(&rk, &one_k);
            c = g.mul(&c, &gain);
        }
        y = y_new;
    }
    // ---- 4. grade
    let mt = p.float("midtones");
    if mt.abs() > 1e-6 {
        let m = g.num(-mt);
        let ym = g.mul(&y, &m);
        let o = g.num(1.0 + mt);
        let curve = g.add(&ym, &o);
        y = g.mul(&y, &curve);
    }
    let (con, sat, bp, wp) =
        (p.float("contrast"), p.float("saturation"), p.float("black_point"), p.float("white_point"));
    let lv = 1.0 / (wp - bp);
    let warmth = p.float("warmth");
    let gains = [(1.0 + warmth) * lv, (1.0 + 0.25 * warmth) * lv, (1.0 - warmth) * lv];
    let inv = ycc_to_rgb();
    let diag = [con, sat, sat];
    let v0 = 0.5 * (1.0 - con) + p.float("brightness");
    let mut m = Vec::new();
    let mut bias = Vec::new();
    for i in 0..3 {
        // gains @ YCC_TO_RGB: one product per entry (the other terms are exact zeros)
        let gi: Vec<f64> = (0..3).map(|j| gains[i] * inv[i][j]).collect();
        m.push((0..3).map(|j| gi[j] * diag[j]).collect::<Vec<f64>>());
        bias.push(((0.0 + gi[0] * v0) + gi[1] * 0.0) + gi[2] * 0.0 - bp * lv);
    }
    let cat = g.concat(&[&y, &c]);
    let mixed = g.mix(&cat, &m, Some(bias.as_slice()));
    let mut rgb = g.clip01(&mixed);
    // ---- 5. ink
    if p.float("ink_darkness") > 0.0 {
        let ks = p.int("ink_scale");
        let src = &passes[p.int("ink_smooth") as usize];
        let luma_row = vec![RGB_TO_YCC[0].to_vec()];
        let lum = match src {
            Some(s) if *s == s_full => {
                let at = lows.rgb_at(g, ks);
                g.mix(&at, &luma_row, None)
            }
            Some(s) => {
                let d = g.down(s, ks);
                g.mix(&d, &luma_row, None)
            }
            None => {
                let mut lum = g.mix(x, &luma_row, None);
                let r = p.int("smooth_radius");
                for _ in 0..p.int("ink_smooth") {
                    let (a, b) = guided_coeffs(g, &lum, 1, r, p.float("smooth_eps"));
                    let al = g.mul(&a, &lum);
                    lum = g.add(&al, &b);
                }
                g.down(&lum, ks)
            }
        };
        let s1 = p.float("ink_sigma") / ks as f64;
        let blur = g.gaussians(&lum, &[s1, s1 * p.float("ink_k")]);
        let k = p.float("ink_slope");
        let eps = p.float("ink_eps");
        let dog = g.mix(&blur, &[vec![-k, k]], None);
        let e = g.num(-k * eps);
        let de = g.add(&dog, &e);
        let mut ink = g.clip01(&de);
        let hy = p.float("ink_hysteresis");
        if hy > 1.0 {
            let e = g.num(-k * eps * hy);
            let de = g.add(&dog, &e);
            let strong = g.clip01(&de);
            let near = g.pool("MaxPool", &strong, 5, None);
            ink = g.mul(&ink, &near);
        }
        let q = p.float("ink_clean");
        if q > 0.0 {
            let (lo, hi) = (0.12 * q, 0.12 * q + 0.16);
            let cover = g.pool("AveragePool", &ink, 3, Some(1));
            let sc = g.num(1.0 / (hi - lo));
            let cs = g.mul(&cover, &sc);
            let off = g.num(-lo / (hi - lo));
            let ramp = g.add(&cs, &off);
            let keep = g.clip01(&ramp);
            ink = g.mul(&ink, &keep);
        }
        let q = p.float("ink_despeckle");
        if q > 0.0 {
            let cover = g.pool("AveragePool", &ink, 9, Some(1));
            let off = g.num(-0.12);
            let co = g.add(&cover, &off);
            let sc = g.num(1.0 / 0.08);
            let ramp = g.mul(&co, &sc);
            let keep = g.clip01(&ramp);
            let qc = g.num(q);
            let kq = g.mul(&keep, &qc);
            let oq = g.num(1.0 - q);
            let gain = g.add(&kq, &oq);
            ink = g.mul(&ink, &gain);
        }
        let wdt = p.float("ink_width");
        if wdt > 0.0 {
            let fat = g.pool("MaxPool", &ink, 3, None);
            let wc = g.num(wdt);
            let fw = g.mul(&fat, &wc);
            ink = g.op("Max", &[&ink, &fw], vec![]);
        }
        let ink = g.up(&ink, ks);
        let dark = p.float("ink_darkness");
        let absorb: Vec<f64> = p.colour("ink_color").iter().map(|v| -dark * (1.0 - v)).collect();
        let absorb = g.per_channel(&absorb);
        let ia = g.mul(&ink, &absorb);
        let one = g.num(1.0);
        let gain = g.add(&ia, &one);
        rgb = g.mul(&rgb, &gain);
    }
    g.nodes.push(Node {
        op_type: "Identity".into(),
        inputs: vec![rgb],
        outputs: vec!["toon".into()],
        attributes: Vec::new(),
    });

    let shape = match kind {
        GraphKind::Face => vec![Dim::Value(1), Dim::Value(3), Dim::Value(FACE_SIZE), Dim::Value(FACE_SIZE)],
        GraphKind::Background => {
            vec![Dim::Value(1), Dim::Value(3), Dim::Param("height".into()), Dim::Param("width".into())]
        }
    };
    let io = |name: &str| ValueInfo { name: name.into(), elem_type: DataType::Float, shape: shape.clone() };
    Model {
        ir_version: 8,
        producer_name: GENERATOR.into(),
        producer_version: GENERATOR_VERSION.into(),
        doc_string: format!(
            "webtoonme built-in {} stylizer: image [1,3,H,W] RGB [0,1] -> toon (same). Generated from \
             character.toml [style]; do not edit.",
            kind.name()
        ),
        graph: Graph {
            name: name.into(),
            nodes: std::mem::take(&mut g.nodes),
            initializers: std::mem::take(&mut g.inits),
            inputs: vec![io("image")],
            outputs: vec![io("toon")],
        },
        opset_import: vec![(String::new(), OPSET)],
        metadata: Vec::new(),
    }
}
