#!/usr/bin/env bash
# Set everything up on a fresh machine, build, and start `webtoonme live`
# (camera 0 when there is one, else the built-in demo source). Extra arguments go to `live`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
cargo build --release --locked
exec target/release/webtoonme live "$@"
