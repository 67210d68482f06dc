#!/usr/bin/env bash
# The multi-release test bed: Debian roots made with debootstrap, kept in a cache folder outside
# the clone, and commands run inside them.
#
#   root.sh ensure SUITE           make (or bring up to date) the root of SUITE (trixie, sid, ...)
#   root.sh run SUITE [--] CMD...  run CMD chrooted in that root, with the caller's git worktree at
#                                  the same absolute path
#   root.sh path SUITE             print the root's folder
#
# Roots live in ${PYREPLAY_CACHE:-$HOME/.cache/pyreplay}/roots/SUITE. A root is built in SUITE.tmp
# and renamed when complete, so a killed run never leaves a half root that looks done. Its stamp
# holds the sha256 of its package list (scripts/packages.sh --root SUITE, the list setup.sh uses
# too); `ensure` installs what the list adds when the list changed, and does nothing when it
# matches. Every .deb is kept under the cache (debs/SUITE for debootstrap, apt/SUITE for apt), so
# a rebuild downloads nothing that it downloaded before.
#
# `run` enters a private mount namespace (unshare --mount --propagation private): the bind
# mounts of /proc, /sys, /dev, /tmp and the worktree exist only for that command, so concurrent
# runs do not interfere and nothing stays mounted afterwards.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
packages_sh=$here/../packages.sh
cache=${PYREPLAY_CACHE:-$HOME/.cache/pyreplay}
roots=$cache/roots
mirror=http://deb.debian.org/debian
# Bump when the way a root is set up changes (sources, apt settings), so existing roots get it.
recipe=1

say() { echo "root.sh: $*" >&2; }
die() { say "$*"; exit 1; }

usage() {
  sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

check_suite() {
  [[ "${1:-}" =~ ^[a-z]+$ ]] || die "'${1:-}' is not a Debian suite name (e.g. trixie, sid)"
  "$packages_sh" --root "$1" >/dev/null || exit 1
}

# The stamp's content: what the root was built from. A change in it means "install again".
wanted_stamp() {
  local list
  list=$("$packages_sh" --root "$1")
  echo "recipe $recipe"
  echo "sha256 $(printf '%s\n' "$list" | sha256sum | cut -d' ' -f1)"
  echo "packages $(echo $list)"
}

# Refuses to delete a folder something is mounted under in this namespace (a bind-mounted
# worktree would go with it). Mounts made by `run` live in private namespaces, so this is only
# a guard against someone mounting by hand.
safe_remove() {
  local dir=$1
  [ -e "$dir" ] || return 0
  if awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { found = 1 } END { exit !found }' \
      /proc/self/mountinfo; then
    die "something is mounted under $dir; unmount it before the root is rebuilt"
  fi
  rm -rf --one-file-system "$dir"
}

# Runs inside the private mount namespace: mounts, then chroots. Arguments:
#   ROOT WORKTREE GIT_COMMON_DIR CWD APT_CACHE -- CMD...   (empty strings mean "none")
enter() {
  local root=$1 worktree=$2 git_common=$3 cwd=$4 apt_cache=$5
  shift 5
  [ "${1:-}" = -- ] && shift
  mount --rbind /proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount --rbind /dev "$root/dev"   # with /dev/pts and /dev/shm
  mount --rbind /tmp "$root/tmp"
  local dir
  for dir in "$worktree" "$git_common"; do
    [ -n "$dir" ] || continue
    mkdir -p "$root$dir"
    mount --bind "$dir" "$root$dir"
  done
  if [ -n "$apt_cache" ]; then
    mkdir -p "$apt_cache/partial"
    mount --bind "$apt_cache" "$root/var/cache/apt/archives"
  fi
  # ccache per release (compilers differ between roots), kept in the cache folder so a fresh
  # clone builds from cache.
  mkdir -p "$cache/ccache/$suite" "$root/var/cache/pyreplay-ccache"
  mount --bind "$cache/ccache/$suite" "$root/var/cache/pyreplay-ccache"

  local -a env_args=(HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    CCACHE_DIR=/var/cache/pyreplay-ccache)
  local name
  while IFS= read -r name; do
    case "$name" in
      CI|NO_COLOR|TERM|CCACHE_BASEDIR|CTEST_OUTPUT_ON_FAILURE|PYREPLAY_*)
        env_args+=("$name=${!name}") ;;
    esac
  done < <(compgen -e)
  [ -d "$root$cwd" ] || cwd=/root
  exec env -i "${env_args[@]}" chroot "$root" /bin/sh -c 'cd "$0" && exec "$@"' "$cwd" "$@"
}

# Runs CMD in ROOT (a folder) in a fresh private mount namespace, without the worktree.
in_root() {
  local root=$1
  shift
  unshare --mount --propagation private \
    "${BASH_SOURCE[0]}" __enter "$suite" "$root" "" "" / "$cache/apt/$suite" -- "$@"
}

apt_update() {
  # sid's Release file on the archive these machines reach has expired: apt would refuse it.
  in_root "$1" apt-get -o Acquire::Check-Valid-Until=false -qq update
}

# Installs the package list into ROOT (new or existing) and writes its stamp last.
install_packages() {
  local root=$1 t0 list stamp
  # The stamp is taken before installing, so a list edited meanwhile is installed next time.
  stamp=$(wanted_stamp "$suite")
  list=$("$packages_sh" --root "$suite")
  t0=$SECONDS
  say "$suite: apt-get update"
  apt_update "$root"
  say "$suite: installing $(echo "$list" | wc -l) packages"
  # shellcheck disable=SC2086
  in_root "$root" apt-get install -y -qq --no-install-recommends $list >"$root.install.log" 2>&1 \
    || { tail -n 30 "$root.install.log" >&2
         die "$suite: apt-get install failed (log: $root.install.log)"; }
  say "$suite: packages installed in $((SECONDS - t0)) s"
  echo "$stamp" >"$root/.pyreplay-root"
}

# Settings a fresh root needs before apt runs in it.
configure_root() {
  local root=$1
  cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb-src $mirror $suite main
EOF
  # Keep downloaded .debs (the archive folder is bind-mounted from the cache), accept sid's
  # expired Release file, and start no services while installing.
  cat >"$root/etc/apt/apt.conf.d/90pyreplay-testbed" <<'EOF'
Binary::apt::APT::Keep-Downloaded-Packages "true";
APT::Keep-Downloaded-Packages "true";
Acquire::Check-Valid-Until "false";
Acquire::Languages "none";
EOF
  rm -f "$root/etc/apt/apt.conf.d/docker-clean"
  # A throwaway root needs no fsync after every unpacked file (which doubles the install time).
  echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/pyreplay-unsafe-io"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod +x "$root/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  cp /etc/hosts "$root/etc/hosts"
}

ensure() {
  local root=$roots/$suite tmp=$roots/$suite.tmp t0
  mkdir -p "$roots" "$cache/debs/$suite" "$cache/apt/$suite"
  exec 9>"$roots/.$suite.lock"
  flock 9   # one ensure per suite at a time; a second one waits, then finds the root done
  if [ -f "$root/.pyreplay-root" ]; then
    if [ "$(cat "$root/.pyreplay-root")" = "$(wanted_stamp "$suite")" ]; then
      say "$suite: root is up to date ($root)"
      return
    fi
    say "$suite: package list changed: installing the difference"
    install_packages "$root"
    say "$suite: root is up to date ($root)"
    return
  fi
  t0=$SECONDS
  if [ -f "$tmp/.pyreplay-debootstrapped" ]; then
    # A previous ensure got this far (then failed or was killed while installing packages).
    say "$suite: debootstrap already done in $tmp: installing packages again"
  else
    safe_remove "$tmp"
    say "$suite: debootstrap --variant=minbase into $tmp"
    debootstrap --variant=minbase --cache-dir="$cache/debs/$suite" "$suite" "$tmp" "$mirror" \
      >"$tmp.debootstrap.log" 2>&1 \
      || { tail -n 30 "$tmp.debootstrap.log" >&2
           die "$suite: debootstrap failed (log: $tmp.debootstrap.log)"; }
    touch "$tmp/.pyreplay-debootstrapped"
    say "$suite: debootstrap done in $((SECONDS - t0)) s"
  fi
  configure_root "$tmp"
  install_packages "$tmp"
  safe_remove "$root"   # a root without stamp: the leftover of an interrupted rename
  mv "$tmp" "$root"
  mv "$tmp.install.log" "$root.install.log" 2>/dev/null || true
  say "$suite: root ready in $((SECONDS - t0)) s ($root)"
}

run() {
  local root=$roots/$suite worktree="" git_common=""
  [ -f "$root/.pyreplay-root" ] || die "no $suite root at $root: run \`$0 ensure $suite\` first"
  [ "${1:-}" = -- ] && shift
  (($#)) || die "run: no command given"
  if worktree=$(git rev-parse --show-toplevel 2>/dev/null); then
    # A linked worktree's .git file points into the main checkout's .git: bind that too, so
    # git works inside the root.
    git_common=$(cd "$(git rev-parse --git-common-dir)" && pwd)
    case "$git_common/" in "$worktree"/*) git_common="" ;; esac
  else
    worktree=$PWD   # not a git checkout (an unpacked tarball): the folder the caller is in
  fi
  exec unshare --mount --propagation private \
    "${BASH_SOURCE[0]}" __enter "$suite" "$root" "$worktree" "$git_common" "$PWD" "" -- "$@"
}

cmd=${1:-}
(($#)) && shift
case "$cmd" in
  ensure) (($# == 1)) || usage; suite=$1; check_suite "$suite"; ensure ;;
  run)    (($# >= 1)) || usage; suite=$1; shift; check_suite "$suite"; run "$@" ;;
  path)   (($# == 1)) || usage; suite=$1; check_suite "$suite"; echo "$roots/$suite" ;;
  __enter) suite=$1; shift; enter "$@" ;;
  *) usage ;;
esac
