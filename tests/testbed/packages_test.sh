#!/usr/bin/env bash
# Checks scripts/packages.sh: the release each os-release names (sid's says "forky/sid" or
# "trixie/sid", with VERSION_CODENAME naming the next release), and the names that differ
# between releases. Runs in a second; ctest runs it as testbed.packages.
set -euo pipefail
packages=$(cd "$(dirname "$0")/../.." && pwd)/scripts/packages.sh
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0
expect() {  # expect WHAT GOT WANTED
  if [ "$2" = "$3" ]; then
    echo "ok: $1"
  else
    echo "FAIL: $1: got '$2', wanted '$3'"
    failures=$((failures + 1))
  fi
}
codename_of() {  # codename_of OS_RELEASE_TEXT DEBIAN_VERSION_TEXT
  printf '%s\n' "$1" >"$dir/os-release"
  printf '%s\n' "$2" >"$dir/debian_version"
  PYREPLAY_OS_RELEASE=$dir/os-release PYREPLAY_DEBIAN_VERSION=$dir/debian_version \
    "$packages" --codename 2>&1 || true
}

expect "Debian 12" "$(codename_of 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
VERSION_CODENAME=bookworm' 12.8)" bookworm
expect "Debian 13" "$(codename_of 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"
VERSION_CODENAME=trixie' 13.2)" trixie
expect "unstable after trixie" "$(codename_of 'PRETTY_NAME="Debian GNU/Linux forky/sid"
VERSION_CODENAME=forky' forky/sid)" sid
expect "unstable while trixie froze" "$(codename_of 'PRETTY_NAME="Debian GNU/Linux trixie/sid"
VERSION_CODENAME=trixie' trixie/sid)" sid
expect "unstable by debian_version alone" "$(codename_of 'VERSION_CODENAME=forky' forky/sid)" sid
expect "no release named" "$(codename_of 'ID=debian' '')" \
  "packages.sh: cannot tell this machine's Debian release from $dir/os-release"

list() { "$packages" "$@" | tr '\n' ' '; }
for want in "bookworm python3.11-dbg" "bookworm libclang-rt-14-dev" "trixie python3.13-dbg" \
            "trixie libclang-rt-19-dev" "sid python3.14-dbg" "sid python3.15-dbg" \
            "sid libclang-rt-dev"; do
  set -- $want
  # Captured first: grep -q stops reading early, and pipefail would count packages.sh's SIGPIPE.
  names=$("$packages" "$1")
  if grep -qx -- "$2" <<<"$names"; then echo "ok: $1 has $2"
  else echo "FAIL: $1 lacks $2: $(list "$1")"; failures=$((failures + 1)); fi
done
if grep -qx nodejs <<<"$("$packages" bookworm)"; then
  echo "FAIL: the machine's list names nodejs (setup.sh checks node by command)"
  failures=$((failures + 1))
fi
if grep -qx nodejs <<<"$("$packages" --root trixie)"; then echo "ok: a root's list has nodejs"
else echo "FAIL: a root's list lacks nodejs"; failures=$((failures + 1)); fi
out=$("$packages" wheezy 2>&1) && { echo "FAIL: wheezy gave a list"; failures=$((failures + 1)); }
expect "unknown release" "$out" \
  "packages.sh: no package list for Debian 'wheezy' (known: bookworm trixie sid)"
((failures == 0))
