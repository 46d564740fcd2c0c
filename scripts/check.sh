#!/usr/bin/env bash
# The project's checks, the same for developers and CI: formatting, lints, tests.
# Expects scripts/setup.sh to have run (models and ONNX Runtime present); `make test` does both.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# headless machines: the Vulkan loader complains on every start without a runtime folder
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then export XDG_RUNTIME_DIR="${TMPDIR:-/tmp}/webtoonme-runtime-$(id -u)"; mkdir -p -m 700 "$XDG_RUNTIME_DIR"; fi

step() { printf '\n== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings

step "cargo test"
# Tests run the real models; they find ONNX Runtime and models/cache from the project folder.
cargo test --all-targets --locked 2>&1
