"""Repairs that the pinned converters need for these particular models (named in [model.convert]).

Each fix exists because a model uses something the converter does not handle; the manifest says
which model needs which, so a new model does not silently get them.
"""
import json
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper


def tfjs_fused_targs(model_json):
    """Add the 'TArgs' attribute to tfjs _FusedConv2D-style nodes, in place.

    tfjs-converter wrote these nodes without TArgs; current TensorFlow refuses to rebuild the
    GraphDef without it (one entry of type T per extra argument).
    """
    with open(model_json) as f:
        j = json.load(f)
    topo = j["modelTopology"]
    nodes = list(topo.get("node", []))
    for fn in topo.get("library", {}).get("function", []):
        nodes += fn.get("nodeDef", [])
    fixed = 0
    for nd in nodes:
        attr = nd.setdefault("attr", {})
        if nd["op"] in ("_FusedConv2D", "FusedDepthwiseConv2dNative", "_FusedMatMul") and "TArgs" not in attr:
            k = int(attr.get("num_args", {}).get("i", 0))
            attr["TArgs"] = {"list": {"type": [attr["T"]["type"]] * k}}
            fixed += 1
    with open(model_json, "w") as f:
        json.dump(j, f)
    return f"added TArgs to {fixed} fused nodes"


def _transpose_conv_params(tflite_path):
    """stride/padding of each Convolution2DTransposeBias op, keyed by its output tensor name.

    The op keeps them in custom_options as raw TfLiteTransposeConvParams:
    int32 padding (1 = SAME, 2 = VALID), stride_w, stride_h.
    """
    import tflite  # only this fix needs the TFLite schema

    with open(tflite_path, "rb") as f:
        buf = f.read()
    tm = tflite.Model.GetRootAsModel(buf, 0)
    g = tm.Subgraphs(0)
    params = {}
    for i in range(g.OperatorsLength()):
        op = g.Operators(i)
        if tm.OperatorCodes(op.OpcodeIndex()).CustomCode() == b"Convolution2DTransposeBias":
            out_name = g.Tensors(op.Outputs(0)).Name().decode()
            pad, sw, sh = np.frombuffer(op.CustomOptionsAsNumpy().tobytes(), dtype="<i4")[:3]
            params[out_name] = (int(pad), int(sw), int(sh))
    return params


def conv2d_transpose_bias(model, tflite_path):
    """Replace MediaPipe's custom op (left by tf2onnx as TFL_Convolution2DTransposeBias) with
    Transpose(NHWC->NCHW) -> ConvTranspose -> Transpose(NCHW->NHWC), all standard ONNX."""
    params = _transpose_conv_params(tflite_path)
    init = {t.name: t for t in model.graph.initializer}
    nodes, patched = [], 0
    for n in model.graph.node:
        if n.op_type != "TFL_Convolution2DTransposeBias":
            nodes.append(n)
            continue
        if n.output[0] not in params:
            raise RuntimeError(f"no Convolution2DTransposeBias parameters for {n.output[0]} in the .tflite")
        pad, sw, sh = params[n.output[0]]
        x, w_name, b_name = n.input
        w = numpy_helper.to_array(init[w_name])  # TFLite OHWI: [out, kh, kw, in]
        b = numpy_helper.to_array(init[b_name]).reshape(-1)
        kh, kw = w.shape[1], w.shape[2]
        # SAME with kernel == stride needs no explicit padding; anything else would need pads.
        if pad != 1 or (kh, kw) != (sh, sw):
            raise RuntimeError(f"{n.name}: only SAME padding with kernel == stride is handled "
                               f"(padding {pad}, kernel {(kh, kw)}, stride {(sh, sw)})")
        wn, bn = n.name + "_W", n.name + "_B"
        model.graph.initializer.extend([
            numpy_helper.from_array(np.ascontiguousarray(w.transpose(3, 0, 1, 2)).astype(np.float32), wn),
            numpy_helper.from_array(b.astype(np.float32), bn),
        ])
        nodes += [
            helper.make_node("Transpose", [x], [n.name + "_nchw"], perm=[0, 3, 1, 2], name=n.name + "_to_nchw"),
            helper.make_node("ConvTranspose", [n.name + "_nchw", wn, bn], [n.name + "_ct"],
                             strides=[sh, sw], kernel_shape=[kh, kw], name=n.name + "_convT"),
            helper.make_node("Transpose", [n.name + "_ct"], [n.output[0]], perm=[0, 2, 3, 1], name=n.name + "_to_nhwc"),
        ]
        patched += 1
    if patched == 0:
        raise RuntimeError("no TFL_Convolution2DTransposeBias node found; the fix is not needed or the converter changed")
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    # The old OHWI kernels and biases are no longer used by any node.
    used = {i for nd in model.graph.node for i in nd.input}
    keep = [t for t in model.graph.initializer if t.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(keep)
    # The custom op's domain import (if tf2onnx added one) is now dangling.
    used_domains = {n.domain for n in model.graph.node} | {"", "ai.onnx"}
    keep_ops = [o for o in model.opset_import if o.domain in used_domains]
    del model.opset_import[:]
    model.opset_import.extend(keep_ops)
    return f"replaced {patched} Convolution2DTransposeBias ops with ConvTranspose"


def tflite_densify(tflite_path):
    """Bake the weights of TFLite DENSIFY ops into constant tensors, in place.

    MediaPipe's full-range face detector ships only as a sparse model: 46 weight tensors are stored
    compressed (TFLite sparsity metadata) and expanded at run time by DENSIFY ops, which tf2onnx
    cannot convert. Rather than re-implementing TFLite's sparse format, the TFLite runtime itself
    expands them (the same kernel MediaPipe runs); each DENSIFY output tensor then gets the dense
    data as its constant buffer and the op is dropped, so its consumers are unchanged. The result
    must compute exactly what the sparse file computes, which is checked before it replaces it.
    """
    import warnings

    import tensorflow as tf
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated.*")
    # The reference kernels, not XNNPACK: the delegate would take over the DENSIFY ops and their
    # outputs could not be read back.
    reference = tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES

    def interpreter(path, **kw):
        it = tf.lite.Interpreter(model_path=path, experimental_op_resolver_type=reference, **kw)
        it.allocate_tensors()
        return it

    sparse = interpreter(tflite_path, experimental_preserve_all_tensors=True)
    sparse.invoke()  # DENSIFY runs on the first invoke; its inputs are constants, the image is irrelevant

    model = flatbuffer_utils.read_model(tflite_path)
    if len(model.subgraphs) != 1:
        raise RuntimeError(f"expected one subgraph, found {len(model.subgraphs)}")
    g = model.subgraphs[0]
    kept, baked = [], 0
    for op in g.operators:
        code = model.operatorCodes[op.opcodeIndex]
        if max(code.builtinCode, code.deprecatedBuiltinCode) != schema.BuiltinOperator.DENSIFY:
            kept.append(op)
            continue
        src, dst = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
        dense = sparse.get_tensor(op.outputs[0])
        if list(dense.shape) != list(dst.shape):
            raise RuntimeError(f"DENSIFY output {dst.name} has shape {list(dense.shape)}, declared {list(dst.shape)}")
        buf = schema.BufferT()
        buf.data = np.frombuffer(dense.tobytes(), np.uint8)
        model.buffers.append(buf)
        dst.buffer = len(model.buffers) - 1
        # The compressed tensor is now unused: empty it so the file does not carry both copies.
        model.buffers[src.buffer].data = None
        src.buffer, src.sparsity = 0, None
        baked += 1
    if baked == 0:
        raise RuntimeError("no DENSIFY op found; the fix is not needed or the model changed")
    g.operators = kept

    dense_path = tflite_path + ".dense"
    flatbuffer_utils.write_model(model, dense_path)
    x = np.random.default_rng(0).uniform(-1, 1, sparse.get_input_details()[0]["shape"]).astype(np.float32)
    runs = []
    for it in (interpreter(tflite_path), interpreter(dense_path)):
        it.set_tensor(it.get_input_details()[0]["index"], x)
        it.invoke()
        runs.append([it.get_tensor(d["index"]) for d in it.get_output_details()])
    if not all(np.array_equal(a, b) for a, b in zip(*runs)):
        raise RuntimeError("the densified model does not reproduce the sparse model's outputs")
    os.replace(dense_path, tflite_path)
    return f"densified {baked} sparse weight tensors (outputs identical to the sparse model)"


def prelu_as_relu_convs(model):
    """Rewrite PRelu with constant per-channel slopes as ops ONNX Runtime keeps in its blocked
    (NCHWc) layout, in place. Not a repair: a speed fix, the same function.

    PRelu(x) = Relu(x) + (-s) * Relu(-x), with the negation and the scaling as depthwise 1x1
    convolutions. ONNX Runtime's CPU provider runs convolutions in a blocked layout and has no
    blocked PRelu, so each PRelu was wrapped in layout reorders (the face mesh: 73 PRelu, about 170
    reorder nodes, 8.4 ms a run on one core); rewritten, the whole chain stays blocked and the
    convolutions absorb the activations and the sum (5.3 ms). Outputs agree within 1e-4 px.
    """
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    nodes, rewritten = [], 0
    for node in model.graph.node:
        slope = inits.get(node.input[1]) if node.op_type == "PRelu" and len(node.input) == 2 else None
        if slope is None or slope.ndim != 4 or slope.shape[0] != 1 or slope.shape[2:] != (1, 1):
            nodes.append(node)
            continue
        rewritten += 1
        c = slope.shape[1]
        x, y, tag = node.input[0], node.output[0], f"prelu{rewritten}"
        neg = numpy_helper.from_array(-np.ones((c, 1, 1, 1), np.float32), f"{tag}_negate")
        scale = numpy_helper.from_array((-slope).reshape(c, 1, 1, 1).astype(np.float32), f"{tag}_slope")
        model.graph.initializer.extend([neg, scale])
        conv = {"group": c, "kernel_shape": [1, 1]}
        nodes += [
            helper.make_node("Relu", [x], [f"{tag}_pos"]),
            helper.make_node("Conv", [x, neg.name], [f"{tag}_neg"], **conv),
            helper.make_node("Relu", [f"{tag}_neg"], [f"{tag}_neg_pos"]),
            helper.make_node("Conv", [f"{tag}_neg_pos", scale.name], [f"{tag}_scaled"], **conv),
            helper.make_node("Add", [f"{tag}_pos", f"{tag}_scaled"], [y]),
        ]
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return f"rewrote {rewritten} PRelu as Relu and depthwise 1x1 convolutions"


def rename_io(model, mapping):
    """Rename graph outputs (by appending Identity nodes) and inputs (by rewriting consumers)."""
    g = model.graph
    missing = set(mapping) - {o.name for o in g.output} - {i.name for i in g.input}
    if missing:
        have = [o.name for o in g.output]
        raise RuntimeError(f"cannot rename {sorted(missing)}: not among the converted outputs {have}")
    for o in g.output:
        if o.name in mapping:
            new = mapping[o.name]
            g.node.append(helper.make_node("Identity", [o.name], [new], name="rename_" + new))
            o.name = new
    for i in g.input:
        if i.name in mapping:
            old, new = i.name, mapping[i.name]
            for n in g.node:
                for k, x in enumerate(n.input):
                    if x == old:
                        n.input[k] = new
            i.name = new
    return "renamed " + ", ".join(f"{a}->{b}" for a, b in mapping.items())


def weight_files(model_json):
    """The weight shards a tfjs graph model needs, relative to its folder."""
    with open(model_json) as f:
        j = json.load(f)
    return [os.path.normpath(p) for group in j.get("weightsManifest", []) for p in group["paths"]]
