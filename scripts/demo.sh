#!/usr/bin/env bash
# The main job on a fresh Debian bookworm machine: install, build, record the chapter's two
# sessions with rr, show their indexed events with Python locations, replay each in gdb at the
# chapter's functions, and draw the sockets session's timeline.
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
  echo "== deep index and events: $trace"
  # One replay pass (no gdb) adds each event's Python location and the threads' Python names.
  "$PYREPLAY" index --deep "$trace"
  "$PYREPLAY" events "$trace"
  echo
  echo "== replay: $trace"
  case "$session" in
    threads) stops=(-ex "set print frame-arguments scalars" -ex "break PyThread_start_new_thread" -ex continue -ex when -ex "bt 3" -ex py-bt) ;;
    sockets) stops=(-ex "set print frame-arguments scalars" -ex "break sock_connect" -ex continue -ex when -ex "bt 3" -ex py-bt) ;;
  esac
  "$PYREPLAY" replay "$trace" --batch "${stops[@]}" 2>&1 | grep -v '^\[New Thread\|^BFD: warning'
  echo
done
sockets=$(ls -dt traces/sockets-* | head -1)
"$PYREPLAY" timeline "$sockets" -o "$sockets/timeline.html"
echo "Done. Replay interactively with: $PYREPLAY replay $sockets"
echo "Open $sockets/timeline.html in a browser to see its threads and connections over time."
