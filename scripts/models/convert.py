"""Convert the models named in models/manifest.toml to ONNX, from the already verified downloads.

Runs inside the tool venv (tf2onnx, onnx, tflite). For each [[model]]: take the file out of its
package archive, convert it with tf2onnx, apply the fixes and renames the manifest names, stamp
where it came from into the ONNX metadata_props, and copy the package's licence text.

usage: convert.py MANIFEST DOWNLOADS WORK OUT
  WORK is scratch space (emptied first); OUT receives <file>.onnx and licenses/.
"""
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from importlib.metadata import version

import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fixes  # noqa: E402
from manifest import load  # noqa: E402


class BuildError(Exception):
    pass


def extract(archive, inner, dest):
    """Copy one member out of a wheel (zip) or npm tarball to dest; members are never extracted by
    their own path, so a crafted archive cannot write outside dest."""
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    try:
        if archive.endswith(".whl"):
            with zipfile.ZipFile(archive) as z, z.open(inner) as src, open(dest, "wb") as dst:
                shutil.copyfileobj(src, dst)
        else:
            with tarfile.open(archive, "r:gz") as t:
                src = t.extractfile(t.getmember(inner))
                if src is None:
                    raise KeyError(inner)
                with src, open(dest, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    except KeyError:
        raise BuildError(f"{os.path.basename(archive)} has no {inner}") from None
    return dest


def extract_model(pkg_archive, inner, fmt, dest_dir):
    """The model file, plus its weight shards for a tfjs graph model."""
    main = extract(pkg_archive, inner, os.path.join(dest_dir, os.path.basename(inner)))
    if fmt == "tfjs":
        folder = os.path.dirname(inner)
        for shard in fixes.weight_files(main):
            if shard.startswith(".."):
                raise BuildError(f"{inner} names a weight file outside its folder: {shard}")
            extract(pkg_archive, f"{folder}/{shard}", os.path.join(dest_dir, shard))
    return main


def tf2onnx(fmt, src, dst, opset, log):
    cmd = [sys.executable, os.path.join(HERE, "tf2onnx_np2.py"), "--opset", str(opset),
           f"--{fmt}", src, "--output", dst]
    with open(log, "w") as f:
        rc = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT)
    if rc != 0 or not os.path.exists(dst):
        with open(log) as f:
            tail = "".join(f.readlines()[-15:])
        raise BuildError(f"tf2onnx failed (exit {rc}); full log: {log}\n--- last lines ---\n{tail}")


@contextlib.contextmanager
def stderr_to(log):
    """Send file descriptor 2 to log for a while: TensorFlow's C++ start-up messages (absl, oneDNN)
    bypass both sys.stderr and TF_CPP_MIN_LOG_LEVEL and would clutter the build output."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(log, "w") as f:
            os.dup2(f.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def licence_name(pkg):
    return f"{pkg['name'].lstrip('@').replace('/', '-')}-{pkg['version']}_LICENSE_{pkg['licence']}.txt"


def copy_licence(pkg, archive, out_dir, work):
    """The package's licence text; where a package ships none, a note quoting its declared licence."""
    dest = os.path.join(out_dir, licence_name(pkg))
    if os.path.exists(dest):
        return dest
    if "licence_file" in pkg:
        extract(archive, pkg["licence_file"], dest)
    else:
        declared_in = pkg["licence_declared_in"]
        pj = extract(archive, declared_in, os.path.join(work, "package.json"))
        with open(pj) as f:
            declared = json.load(f).get("license")
        if declared != pkg["licence"]:
            raise BuildError(f"{pkg['name']} {pkg['version']} declares licence {declared!r}, "
                             f"the manifest says {pkg['licence']!r}")
        with open(dest, "w") as f:
            f.write(f"{pkg['name']} {pkg['version']} ({pkg['registry']} package) ships no licence file.\n"
                    f"Its {declared_in} declares: \"license\": \"{declared}\".\n"
                    f"The {declared} licence text is in the other {declared} file in this folder.\n")
    return dest


def stamp(model, m, tools):
    """Provenance in metadata_props, and no build-path-dependent doc strings."""
    pkg = m["package"]
    source = f"{pkg['registry']} package {pkg['name']} {pkg['version']} ({pkg['archive']}): {m['path']}"
    props = {
        "source": source,
        "source_registry": pkg["registry"],
        "source_package": pkg["name"],
        "source_version": pkg["version"],
        "source_archive_sha256": pkg["sha256"],
        "source_path": m["path"],
        "licence": m["licence"],
        "package_licence": pkg["licence"],
        "converter": tools,
        "manifest_id": m["id"],
    }
    model.graph.doc_string = ""
    model.doc_string = "source: " + source
    del model.metadata_props[:]
    for k, v in props.items():
        e = model.metadata_props.add()
        e.key, e.value = k, v


def build_one(m, downloads, work, out_dir):
    pkg, conv = m["package"], m["convert"]
    archive = os.path.join(downloads, pkg["archive"])
    src_dir = os.path.join(work, m["id"])
    fmt = conv["from"]
    if fmt not in ("tflite", "tfjs"):
        raise BuildError(f"unknown [model.convert].from = {fmt!r}")
    src = extract_model(archive, m["path"], fmt, src_dir)
    steps = []
    wanted = conv.get("fixes", [])
    if "tfjs_fused_targs" in wanted:
        steps.append(fixes.tfjs_fused_targs(src))
    if "tflite_densify" in wanted:
        with stderr_to(os.path.join(work, m["id"] + ".densify.log")):
            steps.append(fixes.tflite_densify(src))
    raw = os.path.join(work, m["id"] + ".raw.onnx")
    tf2onnx(fmt, src, raw, conv["opset"], os.path.join(work, m["id"] + ".tf2onnx.log"))
    model = onnx.load(raw)
    if "conv2d_transpose_bias" in wanted:
        steps.append(fixes.conv2d_transpose_bias(model, src))
    if "prelu_as_relu_convs" in wanted:
        steps.append(fixes.prelu_as_relu_convs(model))
    unknown = set(wanted) - {"tfjs_fused_targs", "tflite_densify", "conv2d_transpose_bias", "prelu_as_relu_convs"}
    if unknown:
        raise BuildError(f"unknown fixes {sorted(unknown)}")
    if conv.get("rename"):
        steps.append(fixes.rename_io(model, conv["rename"]))
    tools = f"tf2onnx {version('tf2onnx')} (opset {conv['opset']}) on tensorflow-cpu {version('tensorflow-cpu')}"
    if wanted:
        tools += "; fixes: " + ", ".join(wanted)
    stamp(model, m, tools)
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out_dir, m["file"]))
    lic = copy_licence(pkg, archive, os.path.join(out_dir, "licenses"), src_dir)
    for s in steps:
        print(f"  {s}")
    print(f"  -> {m['file']} ({os.path.getsize(os.path.join(out_dir, m['file'])) / 1e6:.1f} MB), licence {os.path.basename(lic)}")


def main(argv):
    manifest, downloads, work, out_dir = argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.makedirs(os.path.join(out_dir, "licenses"), exist_ok=True)
    failed = []
    for m in load(manifest)["model"]:
        print(f"model {m['id']}: {m['package']['name']} {m['package']['version']}: {m['path']}", flush=True)
        try:
            build_one(m, downloads, work, out_dir)
        except Exception as e:  # report every model, not only the first failure
            failed.append(m["id"])
            print(f"  FAILED: {type(e).__name__}: {e}", file=sys.stderr)
    if failed:
        print(f"\nconversion failed for: {', '.join(failed)}.\n"
              "What to do: read the tf2onnx log named above. The packages were verified, so the cause is\n"
              "on the converter side: if runtime/tools-venv was changed by hand, delete it and rerun\n"
              "scripts/setup.sh; otherwise the [tools] pins or the model's [model.convert] recipe in\n"
              "models/manifest.toml no longer fit the package.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
