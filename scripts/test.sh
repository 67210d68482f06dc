#!/usr/bin/env bash
# Runs pyreplay's whole test suite on a fresh Debian bookworm machine: installs what it needs,
# builds once, then runs every unit, end-to-end (real rr + gdb) and fuzz test through ctest.
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir build --output-on-failure -j2 --timeout 900

