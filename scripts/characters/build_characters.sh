#!/usr/bin/env bash
# Build the built-in characters' stylizer graphs: for every assets/characters/<id>/character.toml,
# scripts/characters/make_stylizer.py writes <id>/face.onnx and <id>/background.onnx (gitignored)
# from the [style] table. A pack is rebuilt only when its character.toml, the generator or one of
# its .onnx files changed (sha256 stamps in runtime/build/characters/); otherwise this takes well
# under a second.
#
# usage: scripts/characters/build_characters.sh [--force] [--thumbnails]
#   --force        rebuild every pack
#   --thumbnails   also regenerate each pack's thumbnail.png (128x128, committed) by running its
#                  face.onnx on a face crop of assets/demo/astronaut.png; do this whenever a
#                  style changes (the build prints a note when a thumbnail is out of date)
# env: PYTHON=python3.11|3.12 to create the tool venv if runtime/tools-venv is missing
# exit status 1 when a pack fails (the message names the file and the reason); the other packs
# are still built.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
GEN=scripts/characters/make_stylizer.py
PACKS=assets/characters
STAMPS=runtime/build/characters
VENV=runtime/tools-venv
PY=$VENV/bin/python
export PYTHONDONTWRITEBYTECODE=1
FORCE=0
THUMBS=0
for a in "$@"; do
  case $a in
    --force) FORCE=1 ;;
    --thumbnails) THUMBS=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "build_characters.sh: unknown argument $a (see --help)" >&2; exit 2 ;;
  esac
done

# The generator needs onnx, onnxruntime and numpy: the tool venv that scripts/models/build_models.sh
# makes has them. If it is missing (it may be deleted after setup), make one with just these three,
# pinned as in models/manifest.toml; build_models.sh completes it when it needs the rest.
PY_READY=0
need_python() {
  [ "$PY_READY" = 1 ] && return 0
  if ! "$PY" -c 'import onnx, onnxruntime, numpy' 2>/dev/null; then
    local pins
    pins=$(grep -oE '"(onnx|onnxruntime|numpy)==[^"]+"' models/manifest.toml | tr -d '"' | tr '\n' ' ')
    [ -n "$pins" ] || { echo "characters: ERROR: no onnx/onnxruntime/numpy pins in models/manifest.toml" >&2; exit 1; }
    echo "characters: preparing $VENV ($pins)"
    [ -x "$PY" ] || "${PYTHON:-python3}" -m venv "$VENV"
    # shellcheck disable=SC2086  # one pin per word
    "$PY" -m pip install --quiet --disable-pip-version-check $pins
  fi
  PY_READY=1
}

mkdir -p "$STAMPS"
shopt -s nullglob
tomls=("$PACKS"/*/character.toml)
if [ ${#tomls[@]} -eq 0 ]; then
  echo "characters: no packs in $PACKS"
  exit 0
fi

built=0 fresh=0 failed=()
for toml in "${tomls[@]}"; do
  pack=$(dirname "$toml")
  id=$(basename "$pack")
  stamp=$STAMPS/$id.sha256
  if [ "$FORCE" = 0 ] && [ -f "$stamp" ] && sha256sum --quiet --status -c "$stamp" 2>/dev/null; then
    fresh=$((fresh + 1))
    continue
  fi
  rm -f "$stamp"   # a build that stops half-way must not look finished
  need_python
  echo "characters: building $id (character.toml, generator or outputs changed)"
  build_args=(build "$pack")
  [ "$THUMBS" = 0 ] || build_args+=(--no-thumbnail-check)   # refreshed below anyway
  if "$PY" "$GEN" "${build_args[@]}"; then
    # the stamp lists the inputs and what was written, by repo-relative path
    sha256sum "$toml" "$GEN" "$pack"/*.onnx > "$stamp"
    built=$((built + 1))
  else
    failed+=("$id")
  fi
done

if [ "$THUMBS" = 1 ]; then
  need_python
  ok=()
  for toml in "${tomls[@]}"; do
    id=$(basename "$(dirname "$toml")")
    [[ " ${failed[*]-} " == *" $id "* ]] || ok+=("$(dirname "$toml")")
  done
  [ ${#ok[@]} -eq 0 ] || "$PY" "$GEN" thumbnail "${ok[@]}" || failed+=("thumbnails")
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "characters: ERROR: failed: ${failed[*]} (see the messages above)" >&2
  exit 1
fi
if [ "$built" = 0 ]; then
  echo "characters: up to date ($fresh packs in $PACKS)"
else
  echo "characters: built $built, up to date $fresh"
fi
