#!/usr/bin/env bash
# The likeness table per built-in character: each character stylizes t1.jpg (six people), the
# astronaut and the duo with `webtoonme photo`, and `webtoonme likeness` measures every face found
# against its photo. Printed per character: faces, identified as their own person, mean and min
# cosine, the mean self-similarity after a JPEG quality-30 round trip (the reference), their ratio
# and the lowest per-face ratio. Issue 10's target: all identified, ratio >= 0.80, min >= 0.60.
#
# usage: scripts/likeness_report.sh     (after setup; a few minutes on 2 cores)
# It runs the test `every_character_keeps_every_face_recognizable` of tests/likeness.rs (which also
# holds each character to floors), building the duo picture the other tests use.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# headless machines: the Vulkan loader complains on every start without a runtime folder
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then export XDG_RUNTIME_DIR="${TMPDIR:-/tmp}/webtoonme-runtime-$(id -u)"; mkdir -p -m 700 "$XDG_RUNTIME_DIR"; fi
exec cargo test --test likeness every_character_keeps_every_face_recognizable -- --nocapture --test-threads 1
