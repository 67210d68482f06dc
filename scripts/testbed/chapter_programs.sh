#!/usr/bin/env bash
# Runs every chapter program (scripts/sessions/*.py and tests/e2e/programs/*.py) unchanged with
# one interpreter, without rr, and checks each exits 0 and writes its ground truth.
#   chapter_programs.sh PYTHON      e.g. in_root.sh trixie -- scripts/testbed/chapter_programs.sh /usr/bin/python3.13
# Prints one line per program: ok/FAIL, seconds, name; exits 1 if any failed.
set -uo pipefail
python=${1:?usage: chapter_programs.sh PYTHON}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=$(mktemp -d /tmp/pyreplay-chapter.XXXXXX)
trap 'rm -rf "$out"' EXIT
"$python" -c 'import sys; print("interpreter:", sys.version.split()[0], "GIL", sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True)'
failed=0
run() {   # run NAME CMD...
  local name=$1 t0 rc
  shift
  t0=$(date +%s.%N)
  PYREPLAY_GROUND_TRUTH=$out/$name.json timeout 120 "$@" >"$out/$name.log" 2>&1
  rc=$?
  local dt
  dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  if ((rc == 0)) && { [ "$name" = race ] || [ "$name" = unreadable_code ] || [ -s "$out/$name.json" ] \
      || [ -s "$out/$name.trace.json" ]; }; then
    echo "ok   ${dt}s $name"
  else
    echo "FAIL ${dt}s $name (exit $rc): $(tail -n 3 "$out/$name.log" | tr '\n' ' ')"
    failed=1
  fi
}
s=$repo/scripts/sessions p=$repo/tests/e2e/programs
run threads "$python" "$s/threads.py"
run sockets "$python" "$s/sockets.py"
run race "$python" "$s/race.py"
run many_conns "$python" "$p/many_conns.py" --threads 6 --per-thread 4
run socket_kinds "$python" "$p/socket_kinds.py"
run stepping "$python" "$p/stepping.py" --trace "$out/stepping.trace.json"
run unreadable_code "$python" "$p/unreadable_code.py"
exit $failed
