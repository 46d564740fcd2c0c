#!/usr/bin/env bash
# Set everything up on a fresh machine, then run every check and test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
bash scripts/check.sh
