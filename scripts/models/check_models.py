"""Load each converted model with onnxruntime and hold it to the manifest's input/output tables.

A conversion can succeed and still produce a model the app cannot use (renamed tensors, a
different shape, an op ORT refuses); this catches that at setup time instead of in the app.
Each model also runs once on zeros so the declared output shapes are checked as computed, not
only as declared in the graph.

usage: check_models.py MANIFEST MODEL_DIR
"""
import os
import sys

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from manifest import load  # noqa: E402

DYNAMIC = -1


def shape_str(shape):
    return "[" + ", ".join("N" if d == DYNAMIC or not isinstance(d, int) else str(d) for d in shape) + "]"


def same_shape(declared, want):
    """Graph shapes name dynamic axes by a string (or None); the manifest says -1."""
    if len(declared) != len(want):
        return False
    return all((w == DYNAMIC and not isinstance(d, int)) or d == w for d, w in zip(declared, want))


def check(m, model_dir):
    problems, lines = [], []
    path = os.path.join(model_dir, m["file"])
    so = ort.SessionOptions()
    so.log_severity_level = 3
    try:
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    except Exception as e:  # ORT's load errors are the message the user needs
        return [f"onnxruntime cannot load it: {e}"], lines

    want_in = m["input"]
    ins = sess.get_inputs()
    if [i.name for i in ins] != [want_in["name"]]:
        problems.append(f"inputs are {[i.name for i in ins]}, expected [{want_in['name']!r}]")
    elif not same_shape(ins[0].shape, want_in["shape"]):
        problems.append(f"input {want_in['name']} has shape {shape_str(ins[0].shape)}, expected {shape_str(want_in['shape'])}")
    lines.append(f"  in   {want_in['name']:<28} {shape_str(want_in['shape'])} {want_in['layout']} {want_in['color']} {want_in['range']}")

    want_out = {o["name"]: o["shape"] for o in m["outputs"]}
    got_out = {o.name: o.shape for o in sess.get_outputs()}
    if set(got_out) != set(want_out):
        problems.append(f"outputs are {sorted(got_out)}, expected {sorted(want_out)}")
        return problems, lines
    for name, shape in want_out.items():
        if not same_shape(got_out[name], shape):
            problems.append(f"output {name} has shape {shape_str(got_out[name])}, expected {shape_str(shape)}")

    feed_shape = [1 if d == DYNAMIC else d for d in want_in["shape"]]
    results = sess.run(list(want_out), {want_in["name"]: np.zeros(feed_shape, np.float32)})
    for (name, shape), value in zip(want_out.items(), results):
        expect = [1 if d == DYNAMIC else d for d in shape]
        if list(value.shape) != expect:
            problems.append(f"output {name} computed shape {list(value.shape)}, expected {expect}")
        if not np.all(np.isfinite(value)):
            problems.append(f"output {name} is not finite on a zero input")
        lines.append(f"  out  {name:<28} {shape_str(shape)}")

    meta = sess.get_modelmeta().custom_metadata_map
    if meta.get("source_archive_sha256") != m["package"]["sha256"]:
        problems.append("metadata_props does not name the pinned source package")
    return problems, lines


def main(argv):
    manifest, model_dir = argv[1:3]
    failed = 0
    for m in load(manifest)["model"]:
        problems, lines = check(m, model_dir)
        status = "ok" if not problems else "FAILED"
        print(f"check {m['id']} ({m['file']}): {status}")
        print("\n".join(lines))
        for p in problems:
            print(f"  problem: {p}", file=sys.stderr)
        failed += bool(problems)
    if failed:
        print("\nThe converted models do not match models/manifest.toml. If the manifest's [model.input] or\n"
              "[[model.outputs]] was edited, fix it; otherwise the converter output changed: delete\n"
              "runtime/tools-venv and rerun scripts/setup.sh --force, and if it persists compare the [tools]\n"
              "pins and the [model.convert] recipe.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
