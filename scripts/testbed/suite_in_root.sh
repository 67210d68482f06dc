#!/usr/bin/env bash
# Runs inside a test root (scripts/testbed/root.sh run SUITE -- this): builds the worktree into
# build-SUITE/, runs every unit test, then the end-to-end tests whose ctest names match
# $PYREPLAY_ROOT_TESTS, and names every test it did not run. Exits non-zero when a test fails.
#   suite_in_root.sh SUITE
set -euo pipefail
suite=$1
cd "$(dirname "$0")/../.."
build=build-$suite
say() { echo "test bed $suite: $*"; }

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  # Paths relative to the tree and no working folder in the hash: a fresh clone elsewhere (CI)
  # gets the hits of an earlier build (pyreplay's own DWARF then names that build's folder).
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=1
fi
t0=$SECONDS
# -O1 without -g: 40% less compile time than the host's RelWithDebInfo (10.8 s -> 6.4 s of CPU for
# replay/index/event_index.cc), which two roots on two cores need; NDEBUG as on the host.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -DNDEBUG" \
  -DCMAKE_C_FLAGS="-O1 -DNDEBUG" "${launcher[@]}" \
  >"$build.configure.log" 2>&1 || { cat "$build.configure.log"; say "configure failed"; exit 1; }
grep -h "gdb embeds" "$build.configure.log" | sed "s/^-- /test bed $suite: /"
cmake --build "$build" -j"$(nproc)" >"$build.build.log" 2>&1 \
  || { tail -n 60 "$build.build.log"; say "build failed (log: $build.build.log)"; exit 1; }
say "built in $((SECONDS - t0)) s"

status=0
t0=$SECONDS
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 900 -E '^(e2e|fuzz)\.' \
  || status=1
say "unit tests took $((SECONDS - t0)) s"

all_e2e=$(ctest --test-dir "$build" -N -R '^e2e\.' | sed -n 's/^ *Test *#[0-9]*: //p')
selected=""
if [ -n "${PYREPLAY_ROOT_TESTS:-}" ]; then
  selected=$(ctest --test-dir "$build" -N -R '^e2e\.' | sed -n 's/^ *Test *#[0-9]*: //p' \
             | grep -E -- "$PYREPLAY_ROOT_TESTS" || true)
fi
not_run=$(comm -23 <(echo "$all_e2e" | sort) <(echo "$selected" | sed '/^$/d' | sort) | tr '\n' ' ')
fuzz=$(ctest --test-dir "$build" -N -R '^fuzz\.' | sed -n 's/^ *Test *#[0-9]*: //p' | tr '\n' ' ')
if [ -n "$selected" ]; then
  t0=$SECONDS
  # Anchored names, so e2e.test_pack does not also pick e2e.test_pack_extra.
  regex="^($(echo "$selected" | sed 's/\./\\./g' | paste -sd'|'))\$"
  ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 900 -R "$regex" || status=1
  say "end-to-end tests took $((SECONDS - t0)) s"
else
  say "no end-to-end test selected (PYREPLAY_ROOT_TESTS='${PYREPLAY_ROOT_TESTS:-}')"
fi
say "NOT RUN here (not counted as passed): ${not_run:-none}${fuzz:+; fuzz (host only): $fuzz}"
exit $status
