#!/usr/bin/env bash
# Makes, in the cache, a copy of a root's Debian interpreter whose debug info cannot be found:
# what an interpreter from pyenv, uv or a container image looks like to gdb.
#
#   make_stripped.sh SUITE [PYTHON]   SUITE: trixie (python3.13), sid (python3.14), or host
#                                     (this machine's python3.11, no root)
#   make_stripped.sh --path SUITE [PYTHON]   print the copy's interpreter if it is made
#
# The copy is ${PYREPLAY_CACHE:-$HOME/.cache/pyreplay}/interpreters/python3.X-stripped-<debian
# version>/bin/python3.X: `strip --strip-all` (no .symtab, no DWARF) and without the sections
# through which gdb finds a separate debug file: .note.gnu.build-id (/usr/lib/debug/.build-id/)
# and .gnu_debuglink. The dynamic symbol table stays, as in every such build: Debian's
# interpreter exports the C API (`_PyRuntime`, `Py_Version`, ...), so gdb still knows those
# names, as "Non-debugging symbols". If the interpreter links libpython3.X.so, that library is
# copied and stripped the same way and the copy's RUNPATH points at it. The stdlib is the root's
# own: the copy keeps its compiled-in prefix (/usr), which is where CPython's getpath looks once
# no lib/python3.X sits beside the copy.
#
# Made in NAME.tmp and renamed when complete; a second run finds it and does nothing.
# Run the copy inside its root with in_root.sh (beside this script).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=interpreters_lib.sh
. "$here/interpreters_lib.sh"

want_path=0
if [ "${1:-}" = --path ]; then want_path=1; shift; fi
(($# == 1 || $# == 2)) || { sed -n '4,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
suite=$1
case "$suite" in
  host)   python=${2:-python3.11} ;;
  trixie) python=${2:-python3.13} ;;
  sid)    python=${2:-python3.14} ;;
  *)      python=${2:?"make_stripped.sh: name the interpreter for suite '$suite' (e.g. python3.13)"} ;;
esac
[[ "$python" =~ ^python3\.[0-9]+$ ]] || die "'$python' is not an interpreter name like python3.13"

# run_there CMD...: runs CMD where the interpreter lives (the root, or this machine).
if [ "$suite" = host ]; then
  fs=""
  run_there() { "$@"; }
else
  require_root "$suite"
  fs=$("$root_sh" path "$suite")
  run_there() { in_root "$suite" "$@"; }
fi

original=/usr/bin/$python
[ -x "$fs$original" ] || die "$suite has no $original"
version=$(run_there dpkg-query -W -f='${Version}' "lib$python-minimal" 2>/dev/null) \
  || die "$suite: dpkg knows no lib$python-minimal, so no Debian version for $original"
name=$python-stripped-$version
final=$interpreters/$name
exe=$final/bin/$python
if [ -x "$exe" ] && [ -f "$final/.pyreplay-interpreter" ]; then
  ((want_path)) && { echo "$exe"; exit 0; }
  say "$name is made ($exe); nothing to do"
  exit 0
fi
((want_path)) && die "no stripped $python for $suite yet: run $0 $suite"

# strip_copy FILE: no symbols, no debug info, nothing that leads gdb to a separate debug file.
strip_copy() {
  strip --strip-all "$1"
  objcopy --remove-section=.note.gnu.build-id --remove-section=.gnu_debuglink "$1"
}

t0=$(date +%s.%N)
stage=$interpreters/$name.tmp
rm -rf "$stage"
mkdir -p "$stage/bin"
cp "$fs$original" "$stage/bin/$python"
strip_copy "$stage/bin/$python"
libpython=$(readelf -d "$fs$original" | sed -n "s/.*Shared library: \[\(lib$python[^]]*\)\]/\1/p")
if [ -n "$libpython" ]; then
  # Dynamically linked: the library holds the interpreter, so it is the part to strip.
  lib=$(run_there sh -c "ldd '$original' | sed -n 's/.*$libpython => \([^ ]*\).*/\1/p'")
  [ -n "$lib" ] || die "$suite: ldd does not resolve $libpython for $original"
  mkdir -p "$stage/lib"
  cp -L "$fs$lib" "$stage/lib/$libpython"
  strip_copy "$stage/lib/$libpython"
  command -v patchelf >/dev/null || die "$original links $libpython: patchelf is needed to point the copy at its stripped copy"
  patchelf --set-rpath "$final/lib" "$stage/bin/$python"
  linkage="dynamic ($libpython, stripped copy in lib/, RUNPATH $final/lib)"
else
  linkage="static (no libpython3.X.so needed)"
fi
{
  echo "original $suite $original $version"
  echo "linkage $linkage"
  echo "made strip --strip-all; objcopy --remove-section=.note.gnu.build-id --remove-section=.gnu_debuglink"
} >"$stage/.pyreplay-interpreter"
rm -rf "$final"
mv "$stage" "$final"
t1=$(date +%s.%N)
say "$name made in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s: $exe, linkage $linkage"

# Checks: it runs, and gdb finds no debug info for it.
run_there "$exe" -c 'import sys; assert sys.prefix == "/usr", sys.prefix; print("runs:", sys.version.split()[0], "prefix", sys.prefix)' >&2 \
  || die "the stripped copy $exe does not run"
gdb_out=$(run_there gdb -nx -batch -ex 'info functions _PyEval_EvalFrameDefault' "$exe" 2>&1)
if grep -q '^File ' <<<"$gdb_out"; then
  die "gdb still finds debug info for $exe: $gdb_out"
fi
say "gdb finds no debug info for it: $(grep -c 'Non-debugging symbols' <<<"$gdb_out") non-debugging symbol list, 0 source files"
