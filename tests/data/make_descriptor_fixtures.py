#!/usr/bin/env python3
"""Write the model-descriptor fixtures into tests/data/descriptors/ (committed; each file < 1 KB).

For every layout (nchw, nhwc) x channel order (rgb, bgr) x value range ([0,1], [-1,1], [0,255],
imagenet) one ONNX model (opset 17) that takes a 32x32 image in THAT convention and returns the
colour-inverted image (255 - byte) in the SAME convention: a loader that feeds and reads the
model correctly gets exactly 255 - x back (within float rounding, far below 1/255). Because the
inverse is per channel, ImageNet fixtures also catch a swapped channel order; shapes catch a
wrong layout (32x32x3 vs 3x32x32).

  invert_<layout>_<color>_<range>.onnx    range: unit [0,1], signed [-1,1], byte [0,255], imagenet
  invert_dynamic_nhwc_bgr_byte.onnx       dynamic H/W (size_multiple 8)
  identity_256.onnx                       NCHW RGB [0,1] 256x256 -> the same, exact identity
  identity_dynamic.onnx                   NCHW RGB [0,1], dynamic H/W (multiple of 8) -> the same
  fixtures.toml                           one [[fixture]] per file, in the character.toml
                                          descriptor syntax (model, layout, color, input_range,
                                          output_range, size | size_multiple + max_side)

and models that are broken in ways a pack's file checks cannot see, into tests/data/damaged/:
  two_inputs.onnx      NCHW 32x32 picture plus a second input "style" [1, 1]
  one_channel.onnx     NCHW [1, 1, 32, 32]: a grey picture, not RGB
  breaks_later.onnx    NCHW any HxW in its declared shape, but it reshapes to [1, 3, 48, 64]: it
                       works on the 64x48 trial picture and fails on every other size (a model
                       that breaks while the app runs)

usage: runtime/tools-venv/bin/python tests/data/make_descriptor_fixtures.py
(needs onnx and numpy; also checks every model with onnxruntime when it is installed).
Output is deterministic: rerunning rewrites identical bytes.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "descriptors")
SIZE = 32
MULTIPLE, MAX_SIDE = 8, 640
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406])  # RGB
IMAGENET_STD = np.array([0.229, 0.224, 0.225])
RANGES = {  # name -> TOML value, (scale, offset) per RGB channel with tensor = byte * scale + offset
    "unit": ([0.0, 1.0], (np.full(3, 1 / 255), np.zeros(3))),
    "signed": ([-1.0, 1.0], (np.full(3, 2 / 255), np.full(3, -1.0))),
    "byte": ([0.0, 255.0], (np.ones(3), np.zeros(3))),
    "imagenet": ("imagenet", (1 / (255 * IMAGENET_STD), -IMAGENET_MEAN / IMAGENET_STD)),
}


def channel_order(v, color):
    return np.asarray(v)[::-1] if color == "bgr" else np.asarray(v)


def invert_constant(rng, color):
    """c with  c - enc(b) = enc(255 - b)  for every byte b:  c = 255 * scale + 2 * offset"""
    scale, offset = RANGES[rng][1]
    return channel_order(255 * scale + 2 * offset, color)


def shape_of(layout, h, w):
    return [1, 3, h, w] if layout == "nchw" else [1, h, w, 3]


def save(name, nodes, inits, shape, doc, inputs=None, out_dir=OUT):
    """One opset-17 model: `inputs` (name, shape) pairs (default: "image" of `shape`) -> "out"."""
    inputs = inputs or [("image", shape)]
    graph = helper.make_graph(
        nodes, name.removesuffix(".onnx"),
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="webtoonme tests/data/make_descriptor_fixtures.py")
    model.ir_version = 8
    model.doc_string = doc
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out_dir, name))


def invert_model(name, layout, color, rng, h, w):
    c = invert_constant(rng, color).astype(np.float32)
    c = c.reshape(1, 3, 1, 1) if layout == "nchw" else c.reshape(1, 1, 1, 3)
    save(name, [helper.make_node("Sub", ["c", "image"], ["out"])],
         [numpy_helper.from_array(c, "c")], shape_of(layout, h, w),
         f"fixture: {layout} {color} {rng}; returns the colour-inverted image (255 - byte) in the "
         f"same convention")


def toml_value(v):
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def entry(model, layout, color, rng, size=None):
    e = {"model": model, "layout": layout, "color": color,
         "input_range": RANGES[rng][0], "output_range": RANGES[rng][0]}
    if size:
        e["size"] = list(size)
    else:
        e["size_multiple"], e["max_side"] = MULTIPLE, MAX_SIDE
    return e


def check(entries):
    """Run every model with onnxruntime on random bytes in its convention."""
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime not installed: models written but not run")
        return
    rs = np.random.default_rng(0)
    for e in entries:
        h, w = e["size"][::-1] if "size" in e else (MULTIPLE * 4, MULTIPLE * 6)
        sess = ort.InferenceSession(os.path.join(OUT, e["model"]), providers=["CPUExecutionProvider"])
        b = rs.integers(0, 256, (h, w, 3)).astype(np.float64)            # RGB bytes, HWC
        rng = next(k for k, (v, _) in RANGES.items() if v == e["input_range"])
        scale, offset = RANGES[rng][1]
        t = b * scale + offset                                           # RGB tensor values
        t = t[:, :, ::-1] if e["color"] == "bgr" else t
        t = t.transpose(2, 0, 1)[None] if e["layout"] == "nchw" else t[None]
        y = sess.run(None, {"image": t.astype(np.float32)})[0].astype(np.float64)
        y = y[0].transpose(1, 2, 0) if e["layout"] == "nchw" else y[0]
        y = y[:, :, ::-1] if e["color"] == "bgr" else y
        got = (y - offset) / scale                                       # back to bytes
        want = b if e["model"].startswith("identity") else 255 - b
        err = np.abs(got - want).max()
        assert err < 0.01, f"{e['model']}: worst error {err} levels"
    print(f"checked {len(entries)} models with onnxruntime {ort.__version__}")


def damaged():
    out = os.path.join(os.path.dirname(OUT), "damaged")
    os.makedirs(out, exist_ok=True)

    def write(name, nodes, inputs, output_shape, inits, doc):
        save(name, nodes, inits, output_shape, doc, inputs=inputs, out_dir=out)

    write("two_inputs.onnx", [helper.make_node("Add", ["image", "style"], ["out"])],
          [("image", [1, 3, SIZE, SIZE]), ("style", [1, 1])], [1, 3, SIZE, SIZE], [],
          "damaged fixture: a second input the app cannot feed")
    write("one_channel.onnx", [helper.make_node("Identity", ["image"], ["out"])],
          [("image", [1, 1, SIZE, SIZE])], [1, 1, SIZE, SIZE], [],
          "damaged fixture: one channel, not RGB")
    write("breaks_later.onnx", [helper.make_node("Reshape", ["image", "shape"], ["out"])],
          [("image", [1, 3, "height", "width"])], [1, 3, "height", "width"],
          [numpy_helper.from_array(np.array([1, 3, 48, 64], np.int64), "shape")],
          "damaged fixture: works on a 64x48 picture only")
    print(f"wrote 3 damaged models to {out}")


def main():
    damaged()
    os.makedirs(OUT, exist_ok=True)
    entries = []
    for layout in ("nchw", "nhwc"):
        for color in ("rgb", "bgr"):
            for rng in RANGES:
                name = f"invert_{layout}_{color}_{rng}.onnx"
                invert_model(name, layout, color, rng, SIZE, SIZE)
                entries.append(entry(name, layout, color, rng, (SIZE, SIZE)))
    name = "invert_dynamic_nhwc_bgr_byte.onnx"
    invert_model(name, "nhwc", "bgr", "byte", "height", "width")
    entries.append(entry(name, "nhwc", "bgr", "byte"))
    save("identity_256.onnx", [helper.make_node("Identity", ["image"], ["out"])], [],
         [1, 3, 256, 256], "fixture: NCHW RGB [0,1] 256x256, returns its input unchanged")
    entries.append(entry("identity_256.onnx", "nchw", "rgb", "unit", (256, 256)))
    save("identity_dynamic.onnx", [helper.make_node("Identity", ["image"], ["out"])], [],
         [1, 3, "height", "width"], "fixture: NCHW RGB [0,1] any HxW, returns its input unchanged")
    entries.append(entry("identity_dynamic.onnx", "nchw", "rgb", "unit"))

    lines = ["# Model-descriptor fixtures, written by tests/data/make_descriptor_fixtures.py (do not",
             "# edit). invert_*: returns 255 - x in the same convention; identity_*: returns x.",
             "# Each [[fixture]] is a descriptor in character.toml syntax."]
    for e in entries:
        lines.append("")
        lines.append("[[fixture]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in e.items()]
    with open(os.path.join(OUT, "fixtures.toml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(entries)} models and fixtures.toml to {OUT}")
    check(entries)


if __name__ == "__main__":
    main()
