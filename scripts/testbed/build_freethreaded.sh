#!/usr/bin/env bash
# Builds a free-threaded CPython (configure --disable-gil) for the test bed, once, from Debian's
# own source package, inside a test root so that it links against that root's libraries.
#
#   build_freethreaded.sh [SUITE PACKAGE]   default: sid python3.14, or trixie python3.13 when
#                                           the archive does not serve python3.14's source
#   build_freethreaded.sh --path [SUITE PACKAGE]  print the interpreter's folder if it is built
#
# The result is ${PYREPLAY_CACHE:-$HOME/.cache/pyreplay}/interpreters/python3.Xt-<debian version>/
# (bin/python3.Xt, lib/python3.Xt/...). It is installed into NAME.tmp and renamed when complete,
# so a killed build never looks done; a second run finds it and does nothing. The object files
# and sources stay in NAME.build: the interpreter's debug info (-g, kept: no strip) names them,
# so gdb can list the C source and a reader can check struct offsets against the DWARF.
# No PGO, no LTO: a plain `./configure --disable-gil` build, `make -j2`, `make install`.
#
# The interpreter runs only inside its root (it links the root's libc and libssl). The cache's
# interpreters folder is bind-mounted into the root at the same absolute path for each command;
# `build_freethreaded.sh` does that for its own build and checks, and `in_root.sh` (beside this
# script) does it for everyone else.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=interpreters_lib.sh
. "$here/interpreters_lib.sh"

want_path=0
if [ "${1:-}" = --path ]; then want_path=1; shift; fi
if (($# == 2)); then
  candidates=("$1 $2")
elif (($# == 0)); then
  # Debian's archive as these machines reach it serves no source for sid's python3.14 (the .dsc
  # is listed in sid's Sources index, yet the pool answers 404); trixie's python3.13 is served.
  candidates=("sid python3.14" "trixie python3.13")
else
  sed -n '5,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

# The Debian version of PACKAGE's source in SUITE's root ("" when apt knows none).
source_version() {
  in_root "$1" apt-cache showsrc "$2" 2>/dev/null |
    awk '/^Version:/ { print $2 }' | sort -V | tail -n 1
}

# Downloads and unpacks PACKAGE's source into DIR (pristine upstream: Debian's patches adapt it
# to Debian's own build, which this is not). Returns 1 when the archive does not serve it.
fetch_source() {
  local suite=$1 package=$2 version=$3 dir=$4
  rm -rf "$dir"
  mkdir -p "$dir"
  if ! in_root "$suite" sh -c "cd '$dir' && apt-get source --download-only -qq '$package=$version'" \
      >"$dir.fetch.log" 2>&1; then
    say "$suite: the archive does not serve $package $version's source ($(grep -m1 -o '40[0-9] *Not Found' "$dir.fetch.log" || echo 'see log'): $dir.fetch.log)"
    rm -rf "$dir"
    return 1
  fi
  in_root "$suite" sh -c "cd '$dir' && dpkg-source --skip-patches -x *.dsc src" >>"$dir.fetch.log" 2>&1 \
    || die "$suite: dpkg-source could not unpack $package $version (log: $dir.fetch.log)"
}

for candidate in "${candidates[@]}"; do
  read -r suite package <<<"$candidate"
  require_root "$suite"
  short=${package#python}              # 3.14
  version=$(source_version "$suite" "$package")
  [ -n "$version" ] || { say "$suite: apt knows no source package $package (deb-src missing?)"; continue; }
  name=python${short}t-$version
  final=$interpreters/$name
  exe=$final/bin/python${short}t
  if [ -x "$exe" ] && [ -f "$final/.pyreplay-interpreter" ]; then
    ((want_path)) && { echo "$final"; exit 0; }
    say "$name is built ($final); nothing to do"
    exit 0
  fi
  ((want_path)) && continue
  build=$interpreters/$name.build
  stage=$interpreters/$name.tmp
  mkdir -p "$interpreters"
  exec 9>"$interpreters/.$name.lock"
  flock 9   # one build at a time; a second run waits, then finds it built
  if [ -x "$exe" ] && [ -f "$final/.pyreplay-interpreter" ]; then
    say "$name is built ($final); nothing to do"
    exit 0
  fi
  t0=$SECONDS
  say "$suite: fetching Debian's $package $version source"
  fetch_source "$suite" "$package" "$version" "$build" || continue
  say "$suite: source unpacked in $((SECONDS - t0)) s; configure --disable-gil (no PGO, no LTO)"
  t1=$SECONDS
  in_root "$suite" sh -c "cd '$build/src' && ./configure --disable-gil --prefix='$final' \
      --without-ensurepip" >"$build/configure.log" 2>&1 \
    || { tail -n 20 "$build/configure.log" >&2; die "$suite: configure failed (log: $build/configure.log)"; }
  say "$suite: configured in $((SECONDS - t1)) s; make -j2 (log: $build/make.log)"
  t1=$SECONDS
  in_root "$suite" sh -c "cd '$build/src' && make -j2" >"$build/make.log" 2>&1 \
    || { tail -n 30 "$build/make.log" >&2; die "$suite: make failed (log: $build/make.log)"; }
  say "$suite: built in $((SECONDS - t1)) s; make install into $stage"
  t1=$SECONDS
  rm -rf "$stage"
  in_root "$suite" sh -c "cd '$build/src' && make install DESTDIR='$stage'" >"$build/install.log" 2>&1 \
    || { tail -n 20 "$build/install.log" >&2; die "$suite: make install failed (log: $build/install.log)"; }
  # DESTDIR puts the tree at $stage$final; it becomes $final in one rename.
  [ -x "$stage$final/bin/python${short}t" ] || die "$suite: make install left no bin/python${short}t"
  {
    echo "package $package $version"
    echo "suite $suite"
    echo "configure --disable-gil --prefix=$final --without-ensurepip"
    echo "build_seconds $((SECONDS - t0))"
  } >"$stage$final/.pyreplay-interpreter"
  rm -rf "$final"
  mv "$stage$final" "$final"
  rm -rf "$stage"
  say "$suite: installed in $((SECONDS - t1)) s"
  say "$name ready in $((SECONDS - t0)) s: $exe (run it with in_root.sh $suite -- $exe)"
  exit 0
done
((want_path)) && die "no free-threaded interpreter is built yet: run $0"
die "no free-threaded interpreter could be built (tried: ${candidates[*]})"
