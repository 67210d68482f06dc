#!/usr/bin/env bash
# Prints the Debian packages pyreplay needs on one release, one per line: the single list that
# scripts/setup.sh installs on the machine and scripts/testbed/root.sh installs in a test root.
#   packages.sh [CODENAME]      CODENAME: bookworm, trixie or sid (default: this machine's)
#   packages.sh --root CODENAME the same plus what a fresh debootstrap root lacks and a
#                               desktop machine has (node, git, certificates, ps)
#   packages.sh --codename      prints this machine's codename as the list knows it
# Names that change between releases (the interpreter gdb embeds, the sanitizer runtime of the
# release's clang) are chosen here and nowhere else.
set -euo pipefail

# This machine's release. sid's os-release has no VERSION_CODENAME (or says trixie while it
# freezes), so unstable is recognised by its PRETTY_NAME ("Debian GNU/Linux trixie/sid" or
# ".../forky/sid") or by /etc/debian_version ending in "/sid".
# (PYREPLAY_OS_RELEASE and PYREPLAY_DEBIAN_VERSION name other files, for the tests.)
this_codename() {
  local os_release=${PYREPLAY_OS_RELEASE:-/etc/os-release}
  local debian_version=${PYREPLAY_DEBIAN_VERSION:-/etc/debian_version}
  local VERSION_CODENAME="" PRETTY_NAME="" ID=""
  # shellcheck disable=SC1090
  [ -r "$os_release" ] && . "$os_release"
  if [[ "$PRETTY_NAME" == */sid* ]] || grep -qs '/sid$' "$debian_version"; then
    echo sid
  elif [ -n "$VERSION_CODENAME" ]; then
    echo "$VERSION_CODENAME"
  else
    echo "packages.sh: cannot tell this machine's Debian release from $os_release" >&2
    return 1
  fi
}

if [ "${1:-}" = --codename ]; then this_codename; exit; fi
in_root=0
if [ "${1:-}" = --root ]; then in_root=1; shift; fi
codename=${1:-$(this_codename)}
more=()

case "$codename" in
  bookworm) python=python3.11; clang_rt=libclang-rt-14-dev ;;
  trixie)   python=python3.13; clang_rt=libclang-rt-19-dev ;;
  # sid's python3 is 3.14 (gdb 18 embeds it); it also carries 3.15, which the tests record too.
  # libclang-rt-dev follows sid's default clang (21 today), which moves.
  sid)      python=python3.14; clang_rt=libclang-rt-dev
            more=(python3.15 python3.15-dev python3.15-dbg) ;;
  *) echo "packages.sh: no package list for Debian '$codename' (known: bookworm trixie sid)" >&2
     exit 1 ;;
esac

printf '%s\n' \
  rr gdb cmake g++ make pkg-config \
  capnproto libcapnp-dev libabsl-dev libbrotli-dev pybind11-dev \
  "$python" "$python-dev" "$python-dbg" \
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libarchive-dev libzstd-dev \
  nlohmann-json3-dev libssl-dev clang "$clang_rt" \
  dpkg-dev \
  chromium \
  "${more[@]}"
# dpkg-dev: dpkg-source, which `pyreplay sources` (apt-get source) unpacks CPython's sources with.
# chromium: the timeline e2e test opens the HTML in headless Chromium (playwright-core).
# nodejs and npm are not listed: setup.sh checks them by command, since a machine may have them
# from another source (NodeSource's nodejs bundles npm and conflicts with Debian's npm).
if ((in_root)); then
  # libc6-dbg: the host has it as gdb's Recommends, which roots do not install.
  printf '%s\n' nodejs npm git ca-certificates procps ccache python3 libc6-dbg
fi
