#!/bin/sh
# run_fuzz.sh: build pyreplay's libFuzzer targets with clang (ASan + UBSan) and run each in turn.
#
#   tests/fuzz/run_fuzz.sh [SECONDS] [WORKDIR] [TARGET...]  # default 60 s per target, all targets
#   tests/fuzz/run_fuzz.sh 40 build/fuzz-index index        # one target; ctest runs fuzz.trace_reader
#                                                           # and fuzz.index like this
#   tests/fuzz/run_fuzz.sh 3600 /tmp/fuzz-long              # the longer run; the corpora are kept in WORKDIR
#
# Targets: `trace_reader` (trace_reader_fuzz.cc: raw stream bytes into StreamReader, RawDataReader
# and ParseTraceHeader, seeded by make_seeds.cc; corpus in WORKDIR/corpus) and `index`
# (index_fuzz.cc: FuzzedDataProvider scripts a synthetic trace for BuildIndex, whose entries,
# peers and WriteIndex/LoadIndex round trip it checks; corpus in WORKDIR/index-corpus) and
# `sidecar` (sidecar_fuzz.cc: deep index, marks, meta.json, digests and the text/JSON writers
# of what is printed from them; corpus in WORKDIR/sidecar-corpus). Built
# straight from the sources with clang++ (no CMake tree needed): the schemas are compiled with
# `capnp compile`, each target with -fsanitize=fuzzer,address,undefined, one compiler at a time.
# Each run prints a summary line (runs, exec/s, coverage). Exit status non-zero on any crash,
# leak, timeout or sanitizer report.
set -eu
SECONDS_TO_RUN=${1:-60}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${2:-$(mktemp -d /tmp/pyreplay-fuzz.XXXXXX)}
TARGETS="trace_reader index sidecar"
if [ $# -gt 2 ]; then shift 2; TARGETS=$*; fi
CXX=${CXX_FUZZ:-clang++}
mkdir -p "$WORK/gen" "$WORK/corpus" "$WORK/seeds" "$WORK/index-corpus" "$WORK/sidecar-corpus"
command -v "$CXX" >/dev/null || { echo "run_fuzz.sh: $CXX not found" >&2; exit 1; }
for target in $TARGETS; do
  case $target in
    trace_reader|index|sidecar) ;;
    *) echo "run_fuzz.sh: unknown target '$target' (targets: trace_reader, index, sidecar)" >&2; exit 2 ;;
  esac
done

capnp compile -oc++:"$WORK/gen" --src-prefix="$REPO" "$REPO/replay/trace/rr_trace.capnp" \
  "$REPO/replay/index/index.capnp" "$REPO/replay/deep_index/deep_index.capnp" \
  "$REPO/replay/marks/marks.capnp"
CFLAGS="-std=c++20 -g -O1 -I$REPO -I$WORK/gen -fno-omit-frame-pointer"
FUZZ_FLAGS="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
# The stream reader checks what it reads against the trace's digests (SHA-256, libcrypto).
LIBS="$(pkg-config --libs capnp absl_status absl_statusor absl_strings absl_str_format libcrypto) -lbrotlidec"
SOURCES="$REPO/replay/trace/trace_reader.cc $REPO/replay/trace/raw_data_reader.cc $REPO/replay/trace/internal/chunk_format.cc $REPO/replay/trace/trace_digests.cc $REPO/replay/common/atomic_file.cc $REPO/replay/common/sealed_file.cc $REPO/replay/common/sha256.cc $REPO/replay/common/rr_dialect.cc $WORK/gen/replay/trace/rr_trace.capnp.c++"
# The index builder on top: its streams' stamps need SHA-256 (libcrypto), the test trace
# writer Brotli's encoder.
INDEX_SOURCES="$SOURCES $REPO/replay/trace/task_stream.cc $REPO/replay/index/event_index.cc $REPO/replay/index/socket_address.cc $WORK/gen/replay/index/index.capnp.c++"
# The sidecars and the writers of what is printed from them.
SIDECAR_SOURCES="$INDEX_SOURCES $REPO/replay/deep_index/deep_index.cc $REPO/replay/marks/mark_store.cc $REPO/replay/marks/mark_json.cc $REPO/replay/position/position.cc $REPO/replay/record/recording_meta.cc $REPO/replay/record/pmu_mode.cc $REPO/replay/common/text_escape.cc $REPO/replay/index/index_report.cc $REPO/replay/common/human_size.cc $WORK/gen/replay/deep_index/deep_index.capnp.c++ $WORK/gen/replay/marks/marks.capnp.c++"
INDEX_LIBS="$LIBS $(pkg-config --libs absl_flat_hash_map libcrypto) -lbrotlienc"
SIDECAR_LIBS="$INDEX_LIBS $(pkg-config --libs absl_time)"

# run_target NAME BINARY FLAGS... CORPUS...: fuzzes for SECONDS_TO_RUN, then prints a summary
# line from libFuzzer's final stats; fails when the fuzzer did.
run_target() {
  name=$1
  shift
  echo "run_fuzz.sh: fuzzing $name for ${SECONDS_TO_RUN}s in $WORK"
  rm -f "$WORK/$name.rc"
  { rc=0; "$@" -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$WORK/$name-" 2>&1 || rc=$?
    echo "$rc" >"$WORK/$name.rc"; } | tee "$WORK/$name.log"
  rc=$(cat "$WORK/$name.rc")
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/$name.log")
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$WORK/$name.log")
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*' "$WORK/$name.log" | tail -n 1)
  echo "run_fuzz.sh: $name: ${runs:-?} runs, ${speed:-?} exec/s, ${cov:-no coverage line}, exit $rc"
  [ "$rc" -eq 0 ]
}

for target in $TARGETS; do
  case $target in
    trace_reader)
      # The fuzz target, under ASan + UBSan (UBSan findings abort, so the run fails on them).
      $CXX $CFLAGS $FUZZ_FLAGS "$REPO/tests/fuzz/trace_reader_fuzz.cc" $SOURCES $LIBS \
        -o "$WORK/trace_reader_fuzz"
      # The seed writer (no fuzzer runtime).
      $CXX $CFLAGS "$REPO/tests/fuzz/make_seeds.cc" "$WORK/gen/replay/trace/rr_trace.capnp.c++" \
        $(pkg-config --libs capnp) -lbrotlienc -o "$WORK/make_seeds"
      "$WORK/make_seeds" "$WORK/seeds"
      run_target trace_reader "$WORK/trace_reader_fuzz" -max_len=65536 "$WORK/corpus" "$WORK/seeds"
      ;;
    index)
      # Structure-aware: any bytes are a script of trace operations, so no seeds are needed, and
      # long inputs from the start (-len_control=0) make longer traces (in 40 s from an empty
      # corpus: 15% more coverage). Its traces go to a per-process folder on /dev/shm, removed
      # at exit.
      $CXX $CFLAGS $FUZZ_FLAGS "$REPO/tests/fuzz/index_fuzz.cc" $INDEX_SOURCES $INDEX_LIBS \
        -o "$WORK/index_fuzz"
      run_target index "$WORK/index_fuzz" -max_len=4096 -len_control=0 "$WORK/index-corpus"
      ;;
    sidecar)
      # The first byte picks the file (deep index, marks, meta.json, digests, or plain text for
      # the writers), the rest is its contents; no seeds needed.
      $CXX $CFLAGS $FUZZ_FLAGS "$REPO/tests/fuzz/sidecar_fuzz.cc" $SIDECAR_SOURCES $SIDECAR_LIBS \
        -o "$WORK/sidecar_fuzz"
      run_target sidecar "$WORK/sidecar_fuzz" -max_len=8192 "$WORK/sidecar-corpus"
      ;;
  esac
done
