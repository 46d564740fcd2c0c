#!/usr/bin/env bash
# Put the ONNX Runtime C library into runtime/<package>/<version>/, taken from the pinned PyPI wheel.
#
# Why a wheel: the ort crate's own binary download needs a host outside the package registries,
# so the app uses ort's load-dynamic feature with the libonnxruntime.so that the official wheel
# ships. pip only downloads here; nothing is installed into any Python environment.
#
# usage: scripts/fetch_onnxruntime.sh [--force]
# env:   ORT_WHEEL=onnxruntime (default, CPU) | onnxruntime-gpu (adds the CUDA 13 + TensorRT 10 providers, ~255 MB)
#        PYTHON=python3.11+ (reads the manifest), PIP_PYTHON=a python with pip (default: the tool venv's)
# Pins (version, wheel file, sha256) come from models/manifest.toml [onnxruntime].
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MANIFEST=$ROOT/models/manifest.toml
DOWNLOADS=$ROOT/runtime/downloads
VENV=$ROOT/runtime/tools-venv
PYTHON=${PYTHON:-python3}
FORCE=0
for a in "$@"; do
  case $a in
    --force) FORCE=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "fetch_onnxruntime.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

eval "$("$PYTHON" "$ROOT/scripts/models/manifest.py" "$MANIFEST" ort "${ORT_WHEEL:-}")"
DEST=$ROOT/runtime/$ORT_PACKAGE/$ORT_VERSION
LIB=$DEST/libonnxruntime.so.$ORT_VERSION
STAMP=$DEST/.stamp

# Fast path: the stamp names the wheel it came from and the hashes of what was extracted, so a
# changed pin or a damaged file both lead to a fresh extraction.
if [ "$FORCE" = 0 ] && [ -f "$STAMP" ] && [ "$(head -n1 "$STAMP")" = "wheel $ORT_SHA256" ] \
   && tail -n +2 "$STAMP" | (cd "$DEST" && sha256sum --quiet --status -c -); then
  echo "onnxruntime: $ORT_PACKAGE $ORT_VERSION already in runtime/$ORT_PACKAGE/$ORT_VERSION"
  exit 0
fi

# Any pip will do for downloading; prefer the tool venv's so the host Python needs no pip.
if [ -z "${PIP_PYTHON:-}" ]; then
  if [ -x "$VENV/bin/python" ]; then PIP_PYTHON=$VENV/bin/python
  elif "$PYTHON" -m pip --version >/dev/null 2>&1; then PIP_PYTHON=$PYTHON
  else
    echo "onnxruntime: no pip found; making a bare tool venv for it"
    "$PYTHON" -m venv "$VENV"; PIP_PYTHON=$VENV/bin/python
  fi
fi

mkdir -p "$DOWNLOADS"
WHL=$DOWNLOADS/$ORT_WHEEL_FILE
have_good_wheel() { [ -f "$WHL" ] && echo "$ORT_SHA256  $WHL" | sha256sum --quiet --status -c -; }
if ! have_good_wheel; then
  if [ -f "$WHL" ]; then echo "onnxruntime: cached $ORT_WHEEL_FILE has the wrong sha256; downloading it again"; rm -f "$WHL"; fi
  echo "onnxruntime: downloading $ORT_PACKAGE==$ORT_VERSION ($ORT_WHEEL_FILE)"
  REQ=$(mktemp); trap 'rm -f "$REQ"' EXIT
  echo "$ORT_PACKAGE==$ORT_VERSION --hash=sha256:$ORT_SHA256" > "$REQ"
  # --platform / --python-version name the exact pinned file rather than whatever fits this host.
  if ! "$PIP_PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
        --implementation cp --python-version "$ORT_PYVER" --platform "$ORT_PLATFORM" \
        -r "$REQ" -d "$DOWNLOADS"; then
    rm -f "$WHL"
    echo "onnxruntime: ERROR: pip could not download $ORT_PACKAGE==$ORT_VERSION with sha256 $ORT_SHA256." >&2
    echo "  A hash mismatch means the registry served a different file than the one pinned in" >&2
    echo "  models/manifest.toml [onnxruntime]; do not just update the pin without knowing why." >&2
    exit 1
  fi
  if ! have_good_wheel; then
    echo "onnxruntime: ERROR: $ORT_WHEEL_FILE is missing or its sha256 is not $ORT_SHA256; deleted it." >&2
    rm -f "$WHL"; exit 1
  fi
fi

# Only the C API libraries (and the licence texts that must travel with them), not the Python module.
rm -rf "$DEST"; mkdir -p "$DEST"
"$PYTHON" - "$WHL" "$DEST" <<'PY'
import os, sys, zipfile
whl, dest = sys.argv[1:3]
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        base = os.path.basename(n)
        lib = n.startswith("onnxruntime/capi/") and base.startswith("libonnxruntime") and ".so" in base
        notice = n in ("onnxruntime/LICENSE", "onnxruntime/ThirdPartyNotices.txt")
        if lib or notice:
            with z.open(n) as src, open(os.path.join(dest, base), "wb") as dst:
                dst.write(src.read())
PY
[ -f "$LIB" ] || { echo "onnxruntime: ERROR: $ORT_WHEEL_FILE has no libonnxruntime.so.$ORT_VERSION" >&2; exit 1; }
ln -sf "libonnxruntime.so.$ORT_VERSION" "$DEST/libonnxruntime.so.1"   # the SONAME, for linking
ln -sf "libonnxruntime.so.$ORT_VERSION" "$DEST/libonnxruntime.so"     # -lonnxruntime

# Load it once: a library that does not load here would otherwise only fail inside the app.
"$PYTHON" - "$LIB" "$ORT_VERSION" <<'PY'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
class ApiBase(ctypes.Structure):
    _fields_ = [("GetApi", ctypes.c_void_p), ("GetVersionString", ctypes.CFUNCTYPE(ctypes.c_char_p))]
lib.OrtGetApiBase.restype = ctypes.POINTER(ApiBase)
got = lib.OrtGetApiBase().contents.GetVersionString().decode()
if got != sys.argv[2]:
    sys.exit(f"onnxruntime: ERROR: the library reports version {got}, expected {sys.argv[2]}")
PY

{ echo "wheel $ORT_SHA256"; (cd "$DEST" && sha256sum -- *); } > "$STAMP.tmp"
mv "$STAMP.tmp" "$STAMP"
echo "onnxruntime: $ORT_PACKAGE $ORT_VERSION extracted to runtime/$ORT_PACKAGE/$ORT_VERSION"
