#!/usr/bin/env python3
"""Build a built-in character's stylizer graphs from its character.toml.

A "white-box" toon filter written as a plain ONNX graph (opset 17, standard operators only, so
ONNX Runtime CPU/CUDA and TensorRT run it like any other model). Every number comes from the
pack's `[style]` table; `[style.face]` / `[style.background]` override keys per graph.

  face.onnx        input `image` float32 [1,3,256,256] NCHW RGB in [0,1] (a similarity-aligned
                   face crop, face ~60% of the crop), output `toon` the same
  background.onnx  input `image` float32 [1,3,H,W], H and W multiples of 8, long side <= 640
                   (the whole frame at the working resolution), output `toon` the same

Stages, in graph order:
  1. edge-preserving smoothing: iterated self-guided filter (box filters = separable
     AveragePool); coefficients computed at 1/smooth_scale resolution, composed over the passes
     and upsampled once ("fast guided filter")
  2. soft colour simplification in Y/Cb/Cr:
       palette pull   soft nearest-palette-colour weights exp(-d^2/softness) normalised by hand
                      (ReduceMax/Exp/MatMul: Softmax over NCHW channels is slow on CPU), at
                      1/palette_scale resolution; pulls chroma (and optionally luminance)
       luminance      soft staircase (sigmoid steps) of a strongly smoothed base layer (computed
                      at 1/base_scale), part of the detail (Y - base) added back, blended in by
                      step_strength; smoothing comes first so steps do not chase camera noise
  3. colour grade: mid-tone curve on luminance, then contrast, brightness, saturation, warmth
     and black/white point as one channel mix
  4. ink lines: difference of Gaussians of a (lightly) smoothed luminance, linear ramp threshold
     (not a hard step: stable on video), one step of hysteresis, despeckle, optional
     thickening; multiplied in with the ink colour
Channel mixes are MatMuls on [1,C,H*W] (1x1 Convs with 1-3 channels are ~8x slower in ORT CPU
because of NCHWc reorders), and every low-resolution field of one scale shares one Resize.

usage:
  make_stylizer.py build PACK...            write face.onnx + background.onnx into each pack
  make_stylizer.py thumbnail PACK...        write PACK/thumbnail.png (128x128) from the demo photo
  make_stylizer.py sheet PACK... -o F.png   contact sheet: face crop + 640x360 frame per pack
  make_stylizer.py bench PACK...            ORT CPU timings (1 intra-op thread)
  make_stylizer.py keys                     list the [style] keys with ranges and meaning
PACK is a character folder or its character.toml. Errors name the file and the reason; exit 1.
"""
import argparse
import hashlib
import json
import os
import struct
import sys
import time
import tomllib
import zlib

import numpy as np

GENERATOR = "webtoonme.make_stylizer"
GENERATOR_VERSION = "1.1.0"  # bump when a change alters the output for the same parameters
OPSET = 17
FACE_SIZE = 256
BG_MULTIPLE = 8
BG_MAX_SIDE = 640
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEMO_PHOTO = os.path.join(ROOT, "assets", "demo", "astronaut.png")
DEMO_FACE = (225, 125, 180)  # centre x, centre y, side (px) of the face crop in the demo photo


class PackError(Exception):
    pass


# ============================================================================ style parameters
# key: (kind, default, low, high, meaning). Kinds: float, int, color ("#rrggbb"), colors (list).
STYLE_KEYS = {
    # -- 1. smoothing
    "smooth_radius": ("int", 3, 1, 16, "guided-filter box radius, full-resolution px (divided "
                      "by smooth_scale, at least 1)"),
    "smooth_eps": ("float", 0.01, 0.0005, 0.05, "guided-filter eps: larger flattens stronger edges"),
    "smooth_iters": ("int", 2, 0, 3, "guided-filter passes (0 = no smoothing)"),
    "smooth_scale": ("int", 2, 1, 4, "coefficients at 1/scale resolution (1, 2 or 4)"),
    # -- 2a. palette
    "palette": ("colors", [], 0, 24, "target colours the image is pulled toward"),
    "palette_strength": ("float", 0.0, 0.0, 1.0, "chroma pull toward the nearest palette colours"),
    "palette_luma": ("float", 0.0, 0.0, 1.0, "luminance pull toward the nearest palette colours"),
    "palette_softness": ("float", 0.02, 0.002, 0.2, "softness of 'nearest' (larger = blend more)"),
    "palette_luma_weight": ("float", 0.3, 0.0, 1.0, "weight of luminance in the colour distance"),
    "palette_scale": ("int", 2, 1, 8, "pull computed at 1/scale resolution (1, 2, 4 or 8)"),
    "skin_pull": ("float", 0.0, 0.0, 1.0,
                  "face graph: [skin] tone/shadow join the palette with this chroma pull"),
    # -- 2b. luminance steps
    "tone_steps": ("int", 3, 0, 6, "number of flat luminance levels (0 or 1 = no steps)"),
    "tone_shift": ("float", 0.0, -0.3, 0.3, "moves the step thresholds (negative = more light tone)"),
    "tone_spread": ("float", 0.0, 0.0, 1.0, "flat tones move from their interval's mean toward "
                    "evenly spaced 0..1 (keeps whites white with few steps)"),
    "step_width": ("float", 0.03, 0.005, 0.2, "softness of each step (luminance units)"),
    "step_strength": ("float", 0.5, 0.0, 1.0, "blend of the stepped luminance over the original"),
    "detail": ("float", 0.5, 0.0, 1.0, "share of fine detail (Y - base layer) kept on the steps"),
    "base_radius": ("int", 16, 1, 64, "base (shading) layer guided-filter radius, full-res px"),
    "base_eps": ("float", 0.01, 0.001, 0.1, "base layer guided-filter eps"),
    "base_scale": ("int", 2, 1, 8, "base layer computed at 1/scale resolution (1, 2, 4 or 8)"),
    "shade_chroma": ("float", 0.3, 0.0, 1.0, "chroma follows the stepped luminance (richer shade)"),
    "color_bleed": ("int", 1, 1, 8, "chroma blurred over scale x scale blocks (watercolour bleed)"),
    # -- 3. grade
    "saturation": ("float", 1.0, 0.0, 2.0, "chroma gain"),
    "contrast": ("float", 1.0, 0.5, 2.0, "luminance contrast around mid grey"),
    "brightness": ("float", 0.0, -0.3, 0.3, "luminance offset"),
    "warmth": ("float", 0.0, -0.3, 0.3, "red gain +w, blue gain -w (negative = cooler)"),
    "black_point": ("float", 0.0, 0.0, 0.3, "input level mapped to black (deep blacks, no fog)"),
    "white_point": ("float", 1.0, 0.7, 1.0, "input level mapped to white (airy highlights)"),
    "midtones": ("float", 0.0, -0.5, 0.5, "tone curve y (1 + m (1 - y)): > 0 lifts mid tones"),
    # -- 4. ink
    "ink_sigma": ("float", 1.0, 0.4, 2.5, "inner Gaussian sigma of the DoG (px): line width"),
    "ink_k": ("float", 1.6, 1.1, 3.0, "outer/inner sigma ratio"),
    "ink_eps": ("float", 0.005, 0.0, 0.05, "DoG response where ink starts (higher = fewer lines)"),
    "ink_slope": ("float", 100.0, 5.0, 1000.0, "ramp slope: ink is full at eps + 1/slope"),
    "ink_darkness": ("float", 0.8, 0.0, 1.0, "ink opacity (0 = no lines)"),
    "ink_color": ("color", "#1a1418", None, None, "ink colour (multiplied in)"),
    "ink_hysteresis": ("float", 1.0, 1.0, 6.0, "weak lines kept only within 2 px of lines "
                       "stronger than eps x this (1 = off)"),
    "ink_clean": ("float", 0.5, 0.0, 1.0, "removes isolated ink dots (0 = off)"),
    "ink_despeckle": ("float", 0.0, 0.0, 1.0, "removes ink blobs up to ~4 px across that no line "
                      "runs through (9x9 coverage test; textured scenes: gravel, crowds, chips)"),
    "ink_width": ("float", 0.0, 0.0, 1.0, "thickens lines (3x3 dilation blended in)"),
    "ink_smooth": ("int", 1, 0, 3, "smoothing passes the ink sees (0..smooth_iters); a "
                   "pass that only exists at low res is redone on luminance at full res"),
    "ink_scale": ("int", 1, 1, 2, "lines computed at 1/scale resolution (2: softer, cheaper)"),
}
# Per-graph defaults, applied before [style] (resolution-dependent keys).
KIND_DEFAULTS = {
    "face": {},
    "background": {"palette_scale": 4, "base_scale": 4, "base_eps": 0.005},
}
SUBTABLES = ("face", "background")
POW2 = {"smooth_scale": (1, 2, 4), "palette_scale": (1, 2, 4, 8), "base_scale": (1, 2, 4, 8),
        "color_bleed": (1, 2, 4, 8), "ink_scale": (1, 2)}


def parse_color(s, where):
    if not (isinstance(s, str) and len(s) == 7 and s[0] == "#"):
        raise PackError(f"{where}: expected a colour \"#rrggbb\", got {s!r}")
    try:
        return [int(s[i:i + 2], 16) / 255.0 for i in (1, 3, 5)]
    except ValueError:
        raise PackError(f"{where}: expected a colour \"#rrggbb\", got {s!r}") from None


def check_value(key, v, where):
    kind, _, lo, hi, _ = STYLE_KEYS[key]
    w = f"{where} {key}"
    if kind in ("float", "int"):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise PackError(f"{w}: expected a number, got {v!r}")
        if kind == "int" and not (isinstance(v, int) or float(v).is_integer()):
            raise PackError(f"{w}: expected a whole number, got {v!r}")
        if not (lo <= v <= hi):
            raise PackError(f"{w} = {v} is outside {lo}..{hi}")
        if key in POW2 and v not in POW2[key]:
            raise PackError(f"{w} = {v}: must be one of {', '.join(map(str, POW2[key]))}")
        return int(v) if kind == "int" else float(v)
    if kind == "color":
        return parse_color(v, w)
    if not isinstance(v, list) or len(v) > hi:
        raise PackError(f"{w}: expected a list of at most {hi} colours \"#rrggbb\"")
    return [parse_color(c, f"{w}[{i}]") for i, c in enumerate(v)]


def load_pack(path):
    """-> (pack dir, toml path, parsed toml); raises PackError naming the file."""
    toml_path = path if path.endswith(".toml") else os.path.join(path, "character.toml")
    pack = os.path.dirname(os.path.abspath(toml_path))
    try:
        with open(toml_path, "rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        raise PackError(f"{toml_path}: not found") from None
    except tomllib.TOMLDecodeError as e:
        raise PackError(f"{toml_path}: TOML syntax error: {e}") from None
    return pack, toml_path, doc


def key_line(toml_path, table, key):
    """'file:LINE' of `key = ...` inside [table] (best effort, for error messages)"""
    try:
        lines = open(toml_path, encoding="utf-8").read().splitlines()
    except OSError:
        return toml_path
    inside = False
    for i, line in enumerate(lines, 1):
        t = line.strip()
        if t.startswith("["):
            inside = t.split("]")[0].strip("[ ") == table
        elif inside and t.split("=")[0].strip() == key:
            return f"{toml_path}:{i}"
    return toml_path


def resolve_style(doc, kind, toml_path):
    """Validated parameters for one graph: defaults < kind defaults < [style] < [style.<kind>]."""
    style = doc.get("style")
    if not isinstance(style, dict):
        raise PackError(f"{toml_path}: missing [style] table")
    for k, v in style.items():
        if k in SUBTABLES:
            if not isinstance(v, dict):
                raise PackError(f"{toml_path}: [style] {k} must be a table ([style.{k}])")
        elif k not in STYLE_KEYS:
            raise PackError(f"{key_line(toml_path, 'style', k)}: [style] unknown key {k!r} "
                            f"(known: {', '.join(STYLE_KEYS)}; sub-tables: face, background)")
    p = {k: check_value(k, spec[1], "default") for k, spec in STYLE_KEYS.items()}
    p.update(KIND_DEFAULTS[kind])
    for k, v in style.items():
        if k not in SUBTABLES:
            p[k] = check_value(k, v, f"{key_line(toml_path, 'style', k)}: [style]")
    for k, v in style.get(kind, {}).items():
        where = key_line(toml_path, f"style.{kind}", k)
        if k not in STYLE_KEYS:
            raise PackError(f"{where}: [style.{kind}] unknown key {k!r}")
        p[k] = check_value(k, v, f"{where}: [style.{kind}]")
    if p["ink_smooth"] > p["smooth_iters"]:
        p["ink_smooth"] = p["smooth_iters"]
    if kind == "face" and p["skin_pull"] > 0:
        skin = doc.get("skin", {})
        p["skin_colors"] = [parse_color(skin.get(c), f"{toml_path}: [skin] {c}")
                            for c in ("tone", "shadow")]
    else:
        p["skin_pull"] = 0.0
    return p


def check_descriptors(doc, toml_path, pack):
    """The generator writes NCHW RGB [0,1] graphs; the descriptors must say so."""
    out = {}
    want = {"layout": "nchw", "color": "rgb", "input_range": [0.0, 1.0], "output_range": [0.0, 1.0]}
    for kind in SUBTABLES:
        d = doc.get(kind)
        if not isinstance(d, dict):
            raise PackError(f"{toml_path}: missing [{kind}] table")
        for k, v in want.items():
            if d.get(k, v) != v:
                raise PackError(f"{toml_path}: [{kind}] {k} = {d.get(k)!r}, but the generated "
                                f"graph takes {v!r}")
        if kind == "face" and d.get("size") != [FACE_SIZE, FACE_SIZE]:
            raise PackError(f"{toml_path}: [face] size must be [{FACE_SIZE}, {FACE_SIZE}]")
        if kind == "background":
            if d.get("size_multiple") != BG_MULTIPLE or d.get("max_side", 720) > BG_MAX_SIDE:
                raise PackError(f"{toml_path}: [background] needs size_multiple = {BG_MULTIPLE} "
                                f"and max_side <= {BG_MAX_SIDE}")
        model = d.get("model")
        if (not isinstance(model, str) or not model.endswith(".onnx") or "/" in model
                or "\\" in model or model.startswith(".")):
            raise PackError(f"{toml_path}: [{kind}] model must be a plain file name *.onnx "
                            f"inside the pack, got {model!r}")
        out[kind] = os.path.join(pack, model)
    cid = doc.get("character", {}).get("id")
    if cid != os.path.basename(pack):
        raise PackError(f"{toml_path}: [character] id = {cid!r} must equal the folder name "
                        f"{os.path.basename(pack)!r}")
    return out


def style_hash(p, kind):
    canon = json.dumps({"kind": kind, "params": p, "generator": GENERATOR_VERSION},
                       sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


# ============================================================================ graph builder
RGB_TO_YCC = np.array([[0.299, 0.587, 0.114],
                       [-0.168736, -0.331264, 0.5],
                       [0.5, -0.418688, -0.081312]], np.float64)
YCC_TO_RGB = np.linalg.inv(RGB_TO_YCC)


class Net:
    """Tiny ONNX graph builder: deterministic names, deduplicated constants."""

    def __init__(self):
        from onnx import helper, numpy_helper
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.inits, self.count, self.consts = [], [], 0, {}

    def fresh(self, base):
        self.count += 1
        return f"{base}_{self.count}"

    def const(self, value, dtype=np.float32):
        a = np.ascontiguousarray(np.asarray(value, dtype))
        key = (a.dtype.str, a.shape, a.tobytes())
        if key not in self.consts:
            name = self.fresh("c")
            self.inits.append(self.numpy_helper.from_array(a, name))
            self.consts[key] = name
        return self.consts[key]

    def ints(self, v):
        return self.const(v, np.int64)

    def op(self, op_type, inputs, outputs=1, **attrs):
        outs = [self.fresh(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(self.helper.make_node(op_type, inputs, outs, **attrs))
        return outs if outputs > 1 else outs[0]

    # -- element-wise
    def add(self, a, b): return self.op("Add", [a, b])
    def sub(self, a, b): return self.op("Sub", [a, b])
    def mul(self, a, b): return self.op("Mul", [a, b])
    def div(self, a, b): return self.op("Div", [a, b])
    def num(self, v): return self.const(np.float32(v))
    def clip01(self, x): return self.op("Clip", [x, self.num(0.0), self.num(1.0)])

    def per_channel(self, v):
        return self.const(np.asarray(v, np.float32).reshape(1, -1, 1, 1))

    def mix(self, x, weights, bias=None):
        """per-pixel channel mix out[o] = sum_i weights[o][i] * x[i] + bias[o], as a MatMul on
        [1,C,H*W] (a 1x1 Conv with a few channels is ~8x slower in ORT CPU: NCHWc reorders)"""
        w = np.asarray(weights, np.float32)
        flat = self.op("Reshape", [x, self.ints([1, w.shape[1], -1])])
        y = self.op("MatMul", [self.const(w), flat])
        if bias is not None:
            y = self.add(y, self.const(np.asarray(bias, np.float32).reshape(-1, 1)))
        hw = self.op("Slice", [self.op("Shape", [x]), self.ints([2]), self.ints([4])])
        return self.op("Reshape", [y, self.op("Concat", [self.ints([1, w.shape[0]]), hw], axis=0)])

    def concat(self, xs): return self.op("Concat", xs, axis=1)

    def split(self, x, sizes):
        return self.op("Split", [x, self.ints(sizes)], outputs=len(sizes), axis=1)

    # -- spatial
    def box(self, x, r):
        """mean over a (2r+1)^2 window, normalised at the borders; separable"""
        k = 2 * r + 1
        x = self.op("AveragePool", [x], kernel_shape=[1, k], pads=[0, r, 0, r],
                    count_include_pad=0)
        return self.op("AveragePool", [x], kernel_shape=[k, 1], pads=[r, 0, r, 0],
                       count_include_pad=0)

    def down(self, x, s):
        if s == 1:
            return x
        return self.op("AveragePool", [x], kernel_shape=[s, s], strides=[s, s])

    def up(self, x, s):
        if s == 1:
            return x
        return self.op("Resize", [x, "", self.const([1.0, 1.0, s, s])], mode="linear",
                       coordinate_transformation_mode="half_pixel")

    def gaussians(self, x, sigmas):
        """[N,1,H,W] -> [N,len(sigmas),H,W] Gaussian blurs, separable, edge padding"""
        r = int(np.ceil(3.0 * max(sigmas)))
        t = np.arange(-r, r + 1, dtype=np.float64)
        ker = np.stack([np.exp(-0.5 * (t / s) ** 2) for s in sigmas])
        ker = (ker / ker.sum(1, keepdims=True)).astype(np.float32)
        n, k = len(sigmas), 2 * r + 1
        x = self.op("Pad", [x, self.ints([0, 0, r, r, 0, 0, r, r])], mode="edge")
        x = self.op("Conv", [x, self.const(ker.reshape(n, 1, 1, k))])
        return self.op("Conv", [x, self.const(ker.reshape(n, 1, k, 1))], group=n)


def guided_coeffs(g, x, ch, r, eps):
    """Self-guided filter (He et al.) per channel: box-averaged a, b with out = a * x + b."""
    m = g.box(g.concat([x, g.mul(x, x)]), r)
    mean, mean_sq = g.split(m, [ch, ch])
    var = g.sub(mean_sq, g.mul(mean, mean))
    a = g.div(var, g.add(var, g.num(eps)))
    b = g.sub(mean, g.mul(a, mean))
    return g.split(g.box(g.concat([a, b]), r), [ch, ch])


def smooth(g, x, x_low, scale, r, eps, iters):
    """Iterated self-guided filter. scale > 1: coefficients computed on x_low (x at 1/scale) and
    composed over the iterations (a2 (a1 x + b1) + b2 = a2 a1 x + (a2 b1 + b2)), then upsampled
    once ("fast guided filter"). Returns (full-res result, low-res result, full-res result after
    each pass [x, pass 1, ...] where available)."""
    passes = [x]
    if iters == 0:
        return x, x_low, passes
    if scale == 1:
        for _ in range(iters):
            a, b = guided_coeffs(g, x, 3, r, eps)
            x = g.add(g.mul(a, x), b)
            passes.append(x)
        return x, x, passes
    cur, A, B = x_low, None, None
    for _ in range(iters):
        a, b = guided_coeffs(g, cur, 3, r, eps)
        cur = g.add(g.mul(a, cur), b)
        A, B = (a, b) if A is None else (g.mul(a, A), g.add(g.mul(a, B), b))
    A, B = g.split(g.up(g.concat([A, B]), scale), [3, 3])
    out = g.add(g.mul(A, x), B)
    return out, cur, passes + [None] * (iters - 1) + [out]


def palette_delta(g, src, p):
    """Soft pull toward the palette (+ skin colours) for a Y/Cb/Cr tensor src at any resolution.
    Weights exp(-|x - p_k|^2_w / softness), normalised by hand (no Softmax over channels).
    Returns (dY or None, dCb/Cr) at src's resolution, or None when there is nothing to pull."""
    cols = [(c, p["palette_strength"]) for c in p["palette"]]
    cols += [(c, p["skin_pull"]) for c in p.get("skin_colors", [])]
    if not cols or (p["palette_strength"] <= 0 and p["palette_luma"] <= 0 and p["skin_pull"] <= 0):
        return None
    pal = np.array([RGB_TO_YCC @ np.array(c) for c, _ in cols])          # [K,3]
    pull = np.array([st for _, st in cols])                              # [K]
    wd = np.array([p["palette_luma_weight"], 1.0, 1.0])
    tau = p["palette_softness"]
    # -|x - p|^2_w / tau = (2 x.(w p) - |p|^2_w) / tau - |x|^2_w / tau; the last term is the same
    # for every k and cancels in the normalisation
    logits = g.mix(src, 2.0 * pal * wd / tau, -(pal ** 2 * wd).sum(1) / tau)
    peak = g.op("ReduceMax", [logits], axes=[1], keepdims=1)
    e = g.op("Exp", [g.sub(logits, peak)])
    # rows: sum e*pY, sum e*pull*pCb, sum e*pull*pCr, sum e*pull, sum e
    rows = np.stack([pal[:, 0], pull * pal[:, 1], pull * pal[:, 2], pull, np.ones(len(cols))])
    num_y, num_c, wsum, den = g.split(g.mix(e, rows), [1, 2, 1, 1])
    inv = g.op("Reciprocal", [den])
    y, c = g.split(src, [1, 2])
    dc = g.mul(g.sub(num_c, g.mul(wsum, c)), inv)          # sum_k w_k pull_k (p_k - c)
    if p["palette_luma"] <= 0:
        return None, dc
    return g.mul(g.sub(g.mul(num_y, inv), y), g.num(p["palette_luma"])), dc


class Upsampler:
    """Collects low-resolution fields and upsamples each scale's fields with one Resize."""

    def __init__(self, g):
        self.g, self.want = g, {}

    def add(self, key, x, ch, scale):
        self.want.setdefault(scale, []).append((key, x, ch))

    def run(self):
        out = {}
        for scale, items in self.want.items():
            x = items[0][1] if len(items) == 1 else self.g.concat([t for _, t, _ in items])
            x = self.g.up(x, scale)
            parts = [x] if len(items) == 1 else self.g.split(x, [c for _, _, c in items])
            out.update({k: t for (k, _, _), t in zip(items, parts)})
        return out


def build_graph(p, kind, name):
    """ModelProto for one graph from resolved parameters p."""
    import onnx
    from onnx import TensorProto, helper

    g = Net()
    x = "image"
    # ---- 1. edge-preserving smoothing (full res = S, at 1/smooth_scale = lows[scale])
    ss = p["smooth_scale"]
    S, S_low, passes = smooth(g, x, g.down(x, ss), ss, max(1, p["smooth_radius"] // ss),
                              p["smooth_eps"], p["smooth_iters"])
    lows = {1: S, ss: S_low}          # smoothed RGB by scale

    def rgb_at(q):                    # smoothed RGB at 1/q, from the nearest finer one we have
        k = max(k for k in lows if q % k == 0)
        if q not in lows:
            lows[q] = g.down(lows[k], q // k)
        return lows[q]
    ycc_low = {}

    def ycc_at(q):
        if q not in ycc_low:
            ycc_low[q] = g.mix(rgb_at(q), RGB_TO_YCC)
        return ycc_low[q]
    # ---- 2. low-resolution fields: palette pull, base (shading) layer, bled chroma
    ups = Upsampler(g)
    ps, bs, cb = p["palette_scale"], p["base_scale"], p["color_bleed"]
    delta = palette_delta(g, ycc_at(ps), p)
    if delta is not None:
        if delta[0] is not None:
            ups.add("dy", delta[0], 1, ps)
        if cb > 1 and cb == ps:
            ups.add("c", g.add(g.split(ycc_at(cb), [1, 2])[1], delta[1]), 2, cb)
        else:
            ups.add("dc", delta[1], 2, ps)
    if cb > 1 and "c" not in [k for v in ups.want.values() for k, _, _ in v]:
        ups.add("c", g.split(ycc_at(cb), [1, 2])[1], 2, cb)
    n = p["tone_steps"]
    stepped = n >= 2 and p["step_strength"] > 0
    if stepped:
        y_b = g.split(ycc_at(bs), [1, 2])[0]
        if delta is not None and delta[0] is not None and ps == bs:
            y_b = g.add(y_b, delta[0])
        a, b = guided_coeffs(g, y_b, 1, max(1, p["base_radius"] // bs), p["base_eps"])
        ups.add("base", g.concat([a, b]), 2, bs)
    f = ups.run()
    # ---- 3. full resolution: colour simplification in Y/Cb/Cr
    y, c = g.split(g.mix(S, RGB_TO_YCC), [1, 2])
    if "dy" in f:
        y = g.add(y, f["dy"])
    if "c" in f:
        c = f["c"]
    if "dc" in f:
        c = g.add(c, f["dc"])
    if stepped:
        a, b = g.split(f["base"], [1, 1])
        base = g.add(g.mul(a, y), b)
        t = np.clip(np.arange(1, n) / n + p["tone_shift"], 0.02, 0.98)
        edges = np.concatenate([[0.0], t, [1.0]])
        # each flat tone = its interval's mean, spread toward evenly spaced 0..1 levels
        levels = 0.5 * (edges[:-1] + edges[1:])
        levels += p["tone_spread"] * (np.linspace(0.0, 1.0, n) - levels)
        w = p["step_width"]
        steps = g.op("Sigmoid", [g.mix(base, np.full((n - 1, 1), 1.0 / w), -t / w)])
        s, d = p["step_strength"], p["detail"]
        # y' = y + s * (stairs(base) + d * (y - base) - y)
        wts = [[1.0 - s + s * d, -s * d] + list(s * np.diff(levels))]
        y_new = g.mix(g.concat([y, base, steps]), wts, [s * levels[0]])
        if p["shade_chroma"] > 0:
            # chroma scales with the luminance change so shaded areas keep their colour
            k = p["shade_chroma"]
            ratio = g.div(g.add(y_new, g.num(0.04)), g.add(y, g.num(0.04)))
            ratio = g.op("Clip", [ratio, g.num(0.5), g.num(1.6)])
            c = g.mul(c, g.add(g.mul(ratio, g.num(k)), g.num(1.0 - k)))
        y = y_new
    # ---- 4. grade: tone curve (mid-tone lift, on Y), contrast/brightness, saturation, warmth,
    # black/white point: one channel mix
    mt = p["midtones"]
    if abs(mt) > 1e-6:                # y (1 + mt (1 - y)): 0 and 1 stay put
        y = g.mul(y, g.add(g.mul(y, g.num(-mt)), g.num(1.0 + mt)))
    con, sat, bp, wp = p["contrast"], p["saturation"], p["black_point"], p["white_point"]
    lv = 1.0 / (wp - bp)
    gains = np.diag([1.0 + p["warmth"], 1.0 + 0.25 * p["warmth"], 1.0 - p["warmth"]]) * lv
    m = gains @ YCC_TO_RGB @ np.diag([con, sat, sat])
    bias = gains @ YCC_TO_RGB @ np.array([0.5 * (1.0 - con) + p["brightness"], 0.0, 0.0]) - bp * lv
    rgb = g.clip01(g.mix(g.concat([y, c]), m, bias))
    # ---- 5. ink: DoG of the smoothed luminance at 1/ink_scale, linear ramp threshold
    if p["ink_darkness"] > 0:
        ks, src = p["ink_scale"], passes[p["ink_smooth"]]
        if src is S:
            lum = g.mix(rgb_at(ks), RGB_TO_YCC[:1])
        elif src is not None:
            lum = g.mix(g.down(src, ks), RGB_TO_YCC[:1])
        else:
            # that pass only exists at low resolution: a luminance-only guided filter at full
            # resolution instead (a third of the cost of the colour one)
            lum = g.mix(x, RGB_TO_YCC[:1])
            r = p["smooth_radius"]
            for _ in range(p["ink_smooth"]):
                a, b = guided_coeffs(g, lum, 1, r, p["smooth_eps"])
                lum = g.add(g.mul(a, lum), b)
            lum = g.down(lum, ks)
        s1 = p["ink_sigma"] / ks
        blur = g.gaussians(lum, [s1, s1 * p["ink_k"]])
        k = p["ink_slope"]
        # dark side of an edge: G1 - G2 < -eps; ink = clip((-(G1-G2) - eps) * slope, 0, 1)
        dog = g.mix(blur, [[-k, k]])                      # -(G1 - G2) * slope
        ink = g.clip01(g.add(dog, g.num(-k * p["ink_eps"])))
        hy = p["ink_hysteresis"]
        if hy > 1.0:
            # keep weak lines only near strong ones (one step of Canny-style hysteresis): kills
            # faint texture strands and dots, keeps the faint ends of real contours
            strong = g.clip01(g.add(dog, g.num(-k * p["ink_eps"] * hy)))
            near = g.op("MaxPool", [strong], kernel_shape=[5, 5], pads=[2, 2, 2, 2])
            ink = g.mul(ink, near)
        if p["ink_clean"] > 0:
            # a lone dot covers 1/9 of its 3x3 neighbourhood, a line through it >= 1/3
            q = p["ink_clean"]
            lo, hi = 0.12 * q, 0.12 * q + 0.16
            cover = g.op("AveragePool", [ink], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                         count_include_pad=1)
            keep = g.clip01(g.add(g.mul(cover, g.num(1.0 / (hi - lo))), g.num(-lo / (hi - lo))))
            ink = g.mul(ink, keep)
        if p["ink_despeckle"] > 0:
            # a line 2 px wide through a 9x9 window covers >= 18/81 of it; a blob of 3x3 with
            # nothing around it 9/81: keep ink where the 9x9 coverage says "line"
            q = p["ink_despeckle"]
            cover = g.op("AveragePool", [ink], kernel_shape=[9, 9], pads=[4, 4, 4, 4],
                         count_include_pad=1)
            keep = g.clip01(g.mul(g.add(cover, g.num(-0.12)), g.num(1.0 / 0.08)))
            ink = g.mul(ink, g.add(g.mul(keep, g.num(q)), g.num(1.0 - q)))
        if p["ink_width"] > 0:
            fat = g.op("MaxPool", [ink], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
            ink = g.op("Max", [ink, g.mul(fat, g.num(p["ink_width"]))])
        ink = g.up(ink, ks)
        # rgb * (1 - ink * darkness * (1 - ink_color))
        absorb = g.per_channel([-p["ink_darkness"] * (1.0 - v) for v in p["ink_color"]])
        rgb = g.mul(rgb, g.add(g.mul(ink, absorb), g.num(1.0)))
    g.nodes.append(helper.make_node("Identity", [rgb], ["toon"]))

    if kind == "face":
        shape = [1, 3, FACE_SIZE, FACE_SIZE]
    else:
        shape = [1, 3, "height", "width"]
    graph = helper.make_graph(
        g.nodes, name,
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("toon", TensorProto.FLOAT, shape)], g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name=GENERATOR, producer_version=GENERATOR_VERSION)
    model.ir_version = 8
    model.doc_string = (f"webtoonme built-in {kind} stylizer: image [1,3,H,W] RGB [0,1] -> "
                        f"toon (same). Generated from character.toml [style]; do not edit.")
    onnx.checker.check_model(model)
    return model


def smoke_test(path, kind):
    """Run the graph once per typical shape in ONNX Runtime CPU: right shape, finite, in [0,1]."""
    sess = session(path)
    shapes = [(FACE_SIZE, FACE_SIZE)] if kind == "face" else [(360, 640), (480, 640), (640, 480),
                                                             (8, 8), (16, 640)]
    rng = np.random.default_rng(0)
    for h, w in shapes:
        x = rng.random((1, 3, h, w), np.float32)
        y = sess.run(None, {"image": x})[0]
        if y.shape != x.shape or not np.isfinite(y).all() or y.min() < -1e-4 or y.max() > 1 + 1e-4:
            raise ValueError(f"{w}x{h}: output shape {y.shape}, range {y.min()}..{y.max()}")


def build_pack(path, quiet=False, thumbnail_check=True):
    import onnx
    from onnx import helper
    pack, toml_path, doc = load_pack(path)
    outs = check_descriptors(doc, toml_path, pack)
    cid = os.path.basename(pack)
    results = {}
    for kind in SUBTABLES:
        p = resolve_style(doc, kind, toml_path)
        h = style_hash(p, kind)
        model = build_graph(p, kind, f"{cid}_{kind}")
        meta = {"generator": GENERATOR, "generator_version": GENERATOR_VERSION,
                "style_hash": h, "character": cid, "graph": kind,
                "params": json.dumps(p, sort_keys=True)}
        helper.set_model_props(model, meta)
        tmp = outs[kind] + ".tmp"
        onnx.save(model, tmp)
        try:
            smoke_test(tmp, kind)
        except Exception as e:  # noqa: BLE001 - any failure here is a generator bug
            os.remove(tmp)
            raise PackError(f"{toml_path}: generated {kind} graph failed its ONNX Runtime check: "
                            f"{e}") from None
        os.replace(tmp, outs[kind])
        results[kind] = h
        if not quiet:
            print(f"  {os.path.relpath(outs[kind], ROOT)}: {len(model.graph.node)} nodes, "
                  f"style {h[:12]}")
    # a committed thumbnail records the style it was made from
    thumb = os.path.join(pack, doc.get("character", {}).get("thumbnail", "thumbnail.png"))
    if (thumbnail_check and os.path.exists(thumb)
            and png_text(thumb).get("webtoonme-style") != results["face"]):
        print(f"  note: {os.path.relpath(thumb, ROOT)} shows another style; refresh it with "
              f"scripts/characters/build_characters.sh --thumbnails")
    return results


# ============================================================================ images (no PIL)
def png_read(path):
    """8-bit grey/RGB/RGBA non-interlaced PNG -> uint8 [H,W,3]"""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        n, = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    chans = {0: 1, 2: 3, 6: 4}.get(ctype)
    if depth != 8 or chans is None or interlace:
        raise ValueError(f"{path}: only 8-bit grey/RGB/RGBA non-interlaced PNGs are supported")
    raw = zlib.decompress(b"".join(idat))
    stride = w * chans
    out = np.zeros((h, stride), np.uint8)
    prev = np.zeros(stride, np.int32)
    for yy in range(h):
        f = raw[yy * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, yy * (stride + 1) + 1).astype(np.int32)
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 255
        elif f == 1:
            cur = line.reshape(w, chans).cumsum(0).reshape(-1) & 255
        else:  # average / paeth: sequential along the row
            cur = line.copy()
            pv = prev.tolist()
            cl = cur.tolist()
            for i in range(stride):
                a = cl[i - chans] if i >= chans else 0
                b = pv[i]
                if f == 3:
                    cl[i] = (cl[i] + ((a + b) >> 1)) & 255
                else:
                    cc = pv[i - chans] if i >= chans else 0
                    pp = a + b - cc
                    pa, pb, pc = abs(pp - a), abs(pp - b), abs(pp - cc)
                    pr = a if (pa <= pb and pa <= pc) else (b if pb <= pc else cc)
                    cl[i] = (cl[i] + pr) & 255
            cur = np.array(cl, np.int32)
        out[yy] = cur
        prev = cur
    img = out.reshape(h, w, chans)
    if chans == 1:
        img = np.repeat(img, 3, 2)
    return np.ascontiguousarray(img[:, :, :3])


def png_write(path, img, text=None):
    img = np.ascontiguousarray(img, np.uint8)
    h, w, _ = img.shape
    raw = b"".join(b"\x00" + img[yy].tobytes() for yy in range(h))

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    parts = [b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))]
    for k, v in (text or {}).items():
        parts.append(chunk(b"tEXt", k.encode("latin-1") + b"\x00" + v.encode("latin-1")))
    parts += [chunk(b"IDAT", zlib.compress(raw, 9)), chunk(b"IEND", b"")]
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(b"".join(parts))
    os.replace(tmp, path)


def png_text(path):
    try:
        data = open(path, "rb").read()
    except OSError:
        return {}
    pos, out = 8, {}
    while pos + 8 <= len(data):
        n, = struct.unpack(">I", data[pos:pos + 4])
        if data[pos + 4:pos + 8] == b"tEXt":
            k, _, v = data[pos + 8:pos + 8 + n].partition(b"\x00")
            out[k.decode("latin-1")] = v.decode("latin-1")
        pos += 12 + n
    return out


def resize(img, w, h):
    """bilinear (half-pixel centres) float resize of [H,W,C]; area average when shrinking 2x"""
    img = img.astype(np.float32)
    ih, iw = img.shape[:2]
    if ih == 2 * h and iw == 2 * w:
        return img.reshape(h, 2, w, 2, -1).mean((1, 3))
    ys = np.clip((np.arange(h) + 0.5) * ih / h - 0.5, 0, ih - 1)
    xs = np.clip((np.arange(w) + 0.5) * iw / w - 0.5, 0, iw - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, ih - 1), np.minimum(x0 + 1, iw - 1)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    top = img[y0][:, x0] * (1 - fx) + img[y0][:, x1] * fx
    bot = img[y1][:, x0] * (1 - fx) + img[y1][:, x1] * fx
    return top * (1 - fy) + bot * fy


def demo_face(photo):
    cx, cy, side = DEMO_FACE
    h = side // 2
    return resize(photo[cy - h:cy + h, cx - h:cx + h], FACE_SIZE, FACE_SIZE)


def demo_frame(photo, w=640, h=360, grey=128):
    """the photo letterboxed (fit inside) on grey at w x h"""
    ph, pw = photo.shape[:2]
    s = min(w / pw, h / ph)
    nw, nh = int(round(pw * s)), int(round(ph * s))
    frame = np.full((h, w, 3), grey, np.float32)
    y0, x0 = (h - nh) // 2, (w - nw) // 2
    frame[y0:y0 + nh, x0:x0 + nw] = resize(photo, nw, nh)
    return frame


def session(path, threads=1):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def run_image(sess, img):
    """uint8/float [H,W,3] 0..255 -> float [H,W,3] 0..255 through an NCHW RGB [0,1] graph"""
    x = (np.asarray(img, np.float32) / 255.0).transpose(2, 0, 1)[None]
    y = sess.run(None, {"image": np.ascontiguousarray(x)})[0]
    return np.clip(y[0].transpose(1, 2, 0) * 255.0, 0, 255)


def to8(img):
    return np.clip(np.asarray(img) + 0.5, 0, 255).astype(np.uint8)


def pack_models(path):
    pack, toml_path, doc = load_pack(path)
    outs = check_descriptors(doc, toml_path, pack)
    for kind, f in outs.items():
        if not os.path.exists(f):
            raise PackError(f"{f}: missing; build it first (scripts/characters/build_characters.sh)")
    return pack, doc, outs


def make_thumbnail(path, photo):
    pack, doc, outs = pack_models(path)
    toon = run_image(session(outs["face"]), demo_face(photo))
    thumb = to8(resize(toon, 128, 128))
    name = doc.get("character", {}).get("thumbnail", "thumbnail.png")
    import onnx
    meta = {p.key: p.value for p in onnx.load(outs["face"], load_external_data=False).metadata_props}
    dst = os.path.join(pack, name)
    png_write(dst, thumb, {"Software": f"{GENERATOR} {GENERATOR_VERSION}",
                           "webtoonme-style": meta.get("style_hash", "")})
    print(f"  {os.path.relpath(dst, ROOT)}: 128x128 from {os.path.relpath(DEMO_PHOTO, ROOT)}")


# 3x5 glyphs for sheet labels
GLYPHS = {
    "a": "010101111101101", "b": "110101110101110", "c": "011100100100011", "d": "110101101101110",
    "e": "111100110100111", "f": "111100110100100", "g": "011100101101011", "h": "101101111101101",
    "i": "111010010010111", "j": "001001001101010", "k": "101101110101101", "l": "100100100100111",
    "m": "101111111101101", "n": "110101101101101", "o": "010101101101010", "p": "110101110100100",
    "q": "010101101110011", "r": "110101110101101", "s": "011100010001110", "t": "111010010010010",
    "u": "101101101101111", "v": "101101101101010", "w": "101101111111101", "x": "101101010101101",
    "y": "101101010010010", "z": "111001010100111", "0": "111101101101111", "1": "010110010010111",
    "2": "111001111100111", "3": "111001111001111", "4": "101101111001001", "5": "111100111001111",
    "6": "111100111101111", "7": "111001010010010", "8": "111101111101111", "9": "111101111001111",
    " ": "000000000000000", ".": "000000000000010", "-": "000000111000000",
}


def label(img, x, y, text, scale=3):
    w = len(text) * 4 * scale + scale
    img[y:y + 7 * scale, x:x + w] = img[y:y + 7 * scale, x:x + w] * 0.35
    for i, ch in enumerate(text.lower()):
        bits = GLYPHS.get(ch, GLYPHS[" "])
        for r in range(5):
            for col in range(3):
                if bits[r * 3 + col] == "1":
                    yy, xx = y + scale + r * scale, x + scale + (i * 4 + col) * scale
                    img[yy:yy + scale, xx:xx + scale] = 255


def make_sheet(paths, out, photo):
    face = demo_face(photo)
    frame = demo_frame(photo)
    faces, frames = [("input", face)], [("input 640x360", frame)]
    for path in paths:
        pack, doc, outs = pack_models(path)
        cid = os.path.basename(pack)
        faces.append((cid, run_image(session(outs["face"]), face)))
        frames.append((cid, run_image(session(outs["background"]), frame)))
    fs, cols = FACE_SIZE, 2
    width = max(fs * len(faces), 640 * cols)
    rows = (len(frames) + cols - 1) // cols
    sheet = np.full((fs + 360 * rows, width, 3), 40, np.float32)
    for i, (name, im) in enumerate(faces):
        sheet[0:fs, i * fs:(i + 1) * fs] = im
        label(sheet, i * fs + 4, 4, name)
    for i, (name, im) in enumerate(frames):
        y0, x0 = fs + (i // cols) * 360, (i % cols) * 640
        sheet[y0:y0 + 360, x0:x0 + 640] = im
        label(sheet, x0 + 4, y0 + 4, name)
    png_write(out, to8(sheet))
    print(f"wrote {out} ({sheet.shape[1]}x{sheet.shape[0]})")


def bench(paths, runs=50):
    res = {}
    for path in paths:
        pack, doc, outs = pack_models(path)
        cid = os.path.basename(pack)
        res[cid] = {}
        for kind, (h, w) in (("face", (FACE_SIZE, FACE_SIZE)), ("background", (360, 640))):
            s = session(outs[kind])
            x = np.random.default_rng(0).random((1, 3, h, w), np.float32)
            for _ in range(5):
                s.run(None, {"image": x})
            ts = []
            for _ in range(runs):
                t0 = time.perf_counter()
                s.run(None, {"image": x})
                ts.append((time.perf_counter() - t0) * 1e3)
            res[cid][kind] = (float(np.min(ts)), float(np.median(ts)), float(np.percentile(ts, 90)))
            print(f"{cid:8s} {kind:10s} {w}x{h}: min {res[cid][kind][0]:6.2f}  median "
                  f"{res[cid][kind][1]:6.2f}  p90 {res[cid][kind][2]:6.2f} ms", flush=True)
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["build", "thumbnail", "sheet", "bench", "keys"])
    ap.add_argument("packs", nargs="*", help="character folders or their character.toml")
    ap.add_argument("-o", "--out", default="/tmp/characters_sheet.png", help="sheet output")
    ap.add_argument("--photo", default=DEMO_PHOTO, help="photo for thumbnails and the sheet")
    ap.add_argument("--no-thumbnail-check", action="store_true",
                    help="build: do not note thumbnails made from another style")
    a = ap.parse_args(argv)
    if a.command == "keys":
        for k, (kind, d, lo, hi, doc) in STYLE_KEYS.items():
            rng = f"{lo}..{hi}" if kind in ("int", "float") else kind
            print(f"{k:20s} {rng:14s} default {d!r:10}  {doc}")
        return 0
    failed = 0
    try:
        if a.command == "build":
            for pk in a.packs:
                try:
                    build_pack(pk, thumbnail_check=not a.no_thumbnail_check)
                except PackError as e:
                    print(f"ERROR: {e}", file=sys.stderr)
                    failed += 1
        elif a.command == "thumbnail":
            photo = png_read(a.photo)
            for pk in a.packs:
                make_thumbnail(pk, photo)
        elif a.command == "sheet":
            make_sheet(a.packs, a.out, png_read(a.photo))
        elif a.command == "bench":
            bench(a.packs)
    except PackError as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
