#!/usr/bin/env bash
# The main job on a fresh Debian bookworm machine: install, build, record the chapter's two
# sessions with rr, show their indexed events, and replay each in gdb at the chapter's functions.
# Safe to run again: each run records new traces (traces/threads-<n>, traces/sockets-<n>).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
PYREPLAY=build/bin/pyreplay
export PATH="$PWD/build/bin:$PATH"

"$PYREPLAY" doctor --no-smoke || true
echo
for session in threads sockets; do
  echo "== record: $session"
  "$PYREPLAY" record --session "$session"
  trace=$(ls -dt traces/"$session"-* | head -1)
  echo
  echo "== events: $trace"
  if "$PYREPLAY" events --help >/dev/null 2>&1; then
    "$PYREPLAY" events "$trace"
  fi
  echo
  echo "== replay: $trace"
  case "$session" in
    threads) stops=(-ex "set print frame-arguments scalars" -ex "break PyThread_start_new_thread" -ex continue -ex when -ex "bt 3" -ex py-bt) ;;
    sockets) stops=(-ex "set print frame-arguments scalars" -ex "break sock_connect" -ex continue -ex when -ex "bt 3" -ex py-bt) ;;
  esac
  "$PYREPLAY" replay "$trace" --batch "${stops[@]}" 2>&1 | grep -v '^\[New Thread\|^BFD: warning'
  echo
done
echo "Done. Replay interactively with: $PYREPLAY replay $(ls -dt traces/sockets-* | head -1)"
