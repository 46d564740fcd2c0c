"""Run tf2onnx's command line with a NumPy 2 shim.

tf2onnx 1.17's tfjs reader still calls numpy.product, which NumPy 2 removed; the pinned
TensorFlow needs NumPy 2, so the alias is put back instead of downgrading NumPy.
usage: same arguments as `python -m tf2onnx.convert`.
"""
import runpy
import sys

import numpy as np

if not hasattr(np, "product"):
    np.product = np.prod
sys.argv[0] = "tf2onnx.convert"
runpy.run_module("tf2onnx.convert", run_name="__main__")
