#!/bin/sh
# run_fuzz.sh: build the trace reader's libFuzzer target with clang (ASan + UBSan) and run it.
#
#   tests/fuzz/run_fuzz.sh [SECONDS] [WORKDIR]      # default 60 s; ctest runs it as fuzz.trace_reader
#   tests/fuzz/run_fuzz.sh 3600 /tmp/fuzz-long      # the longer run; the corpus is kept in WORKDIR
#
# Built straight from the sources with clang++ (no CMake tree needed): the rr schema is compiled
# with `capnp compile`, the reader with -fsanitize=fuzzer,address,undefined. Exit status non-zero
# on any crash, leak, timeout or sanitizer report.
set -eu
SECONDS_TO_RUN=${1:-60}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${2:-$(mktemp -d /tmp/pyreplay-fuzz.XXXXXX)}
CXX=${CXX_FUZZ:-clang++}
mkdir -p "$WORK/gen" "$WORK/corpus" "$WORK/seeds"
command -v "$CXX" >/dev/null || { echo "run_fuzz.sh: $CXX not found" >&2; exit 1; }

capnp compile -oc++:"$WORK/gen" --src-prefix="$REPO" "$REPO/replay/trace/rr_trace.capnp"
CFLAGS="-std=c++20 -g -O1 -I$REPO -I$WORK/gen -fno-omit-frame-pointer"
LIBS="$(pkg-config --libs capnp absl_status absl_statusor absl_strings absl_str_format) -lbrotlidec"
SOURCES="$REPO/replay/trace/trace_reader.cc $REPO/replay/trace/raw_data_reader.cc $REPO/replay/trace/internal/chunk_format.cc $REPO/replay/common/atomic_file.cc $WORK/gen/replay/trace/rr_trace.capnp.c++"

# The fuzz target, under ASan + UBSan (UBSan findings abort, so the run fails on them).
$CXX $CFLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  "$REPO/tests/fuzz/trace_reader_fuzz.cc" $SOURCES $LIBS -o "$WORK/trace_reader_fuzz"
# The seed writer (no fuzzer runtime).
$CXX $CFLAGS "$REPO/tests/fuzz/make_seeds.cc" "$WORK/gen/replay/trace/rr_trace.capnp.c++" \
  $(pkg-config --libs capnp) -lbrotlienc -o "$WORK/make_seeds"
"$WORK/make_seeds" "$WORK/seeds"

echo "run_fuzz.sh: fuzzing for ${SECONDS_TO_RUN}s in $WORK"
"$WORK/trace_reader_fuzz" -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="$WORK/" "$WORK/corpus" "$WORK/seeds"
