#!/usr/bin/env bash
# Real group photos for the tests, fetched at test time and never committed.
#
# The insightface 2.1 source package (sdist, pinned by version and sha256 in models/manifest.toml,
# [test_photos]) ships insightface/data/images/t1.jpg: six people at a card table, several smiling,
# one looking down, one bending forward, one in three-quarter view. This script downloads the
# sdist with pip (no build, no install), checks both hashes and extracts that one picture to
# runtime/test-photos/t1.jpg. Safe to rerun: a present file with the right hash is kept.
#
# usage: scripts/fetch_test_photos.sh          prints the path of t1.jpg on success
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-python3}
eval "$("$PYTHON" scripts/models/manifest.py models/manifest.toml test-photos)"
OUT_DIR=runtime/test-photos
OUT=$OUT_DIR/t1.jpg
if [ -f "$OUT" ] && echo "$T1_SHA256  $OUT" | sha256sum --quiet --status -c; then
  echo "$ROOT/$OUT"; exit 0
fi
mkdir -p runtime/downloads "$OUT_DIR"
ARCHIVE=runtime/downloads/$SDIST_FILE
if ! { [ -f "$ARCHIVE" ] && echo "$SDIST_SHA256  $ARCHIVE" | sha256sum --quiet --status -c; }; then
  rm -f "$ARCHIVE"
  "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    "$SDIST_NAME==$SDIST_VERSION" -d runtime/downloads >&2
  echo "$SDIST_SHA256  $ARCHIVE" | sha256sum --quiet -c \
    || { echo "fetch_test_photos: $ARCHIVE does not match the pinned sha256" >&2; rm -f "$ARCHIVE"; exit 1; }
fi
tar -xzf "$ARCHIVE" -O "$SDIST_NAME-$SDIST_VERSION/$T1_MEMBER" > "$OUT.part"
echo "$T1_SHA256  $OUT.part" | sha256sum --quiet -c \
  || { echo "fetch_test_photos: $T1_MEMBER in $ARCHIVE does not match the pinned sha256" >&2; rm -f "$OUT.part"; exit 1; }
mv "$OUT.part" "$OUT"
echo "$ROOT/$OUT"
