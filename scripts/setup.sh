#!/usr/bin/env bash
# Installs what pyreplay needs on Debian 12 (bookworm), 13 (trixie) or unstable (sid), then
# builds it into build/. The package names of each release come from scripts/packages.sh.
# Safe to run again: apt-get runs only when a package is missing, and the build is incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

codename=$(scripts/packages.sh --codename)
package_list=$(scripts/packages.sh "$codename")
mapfile -t PACKAGES <<<"$package_list"

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm by command, not by package: a machine may have them from another source
# (NodeSource's nodejs bundles npm and conflicts with Debian's npm package).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

BUILD_DIR=${PYREPLAY_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
echo "setup: built $BUILD_DIR/bin/pyreplay"

# CPython's C sources, so `list` in a replay shows thread_pthread.h and socketmodule.c. Cached
# per user (nothing is downloaded twice). Not fatal: it needs Debian's archive, and as a non-root
# user a deb-src entry (`sudo pyreplay sources --add-deb-src` adds one).
if [ "${PYREPLAY_SKIP_SOURCES:-}" != 1 ]; then
  sources_args=()
  [ "$(id -u)" -eq 0 ] && sources_args=(--add-deb-src)
  if ! "$BUILD_DIR/bin/pyreplay" sources "${sources_args[@]}"; then
    echo "setup: CPython's C sources were not fetched (see above); replays still work, but" \
         "\`list\` shows no C code until \`$BUILD_DIR/bin/pyreplay sources\` succeeds"
  fi
fi
