#!/usr/bin/env bash
# Set everything up on a fresh machine, build, and start `webtoonme live`
# (camera 0 when there is one, else the built-in demo source). Extra arguments go to `live`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# headless machines: the Vulkan loader complains on every start without a runtime folder
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then export XDG_RUNTIME_DIR="${TMPDIR:-/tmp}/webtoonme-runtime-$(id -u)"; mkdir -p -m 700 "$XDG_RUNTIME_DIR"; fi
bash scripts/setup.sh
cargo build --release --locked
exec target/release/webtoonme live "$@"
