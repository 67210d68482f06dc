# Shared by the test bed's interpreter scripts (build_freethreaded.sh, make_stripped.sh,
# in_root.sh): where interpreters live, and how a command runs in a root that can see them.
# Sourced, not run.

# root.sh (the test bed's roots) sits beside this file; PYREPLAY_ROOT_SH may name another.
root_sh=${PYREPLAY_ROOT_SH:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/root.sh}
cache=${PYREPLAY_CACHE:-$HOME/.cache/pyreplay}
interpreters=$cache/interpreters

say() { echo "$(basename "$0"): $*" >&2; }
die() { say "$*"; exit 1; }

# Fails with one line unless SUITE's root exists.
require_root() {
  [ -x "$root_sh" ] || die "no test bed script at $root_sh (set PYREPLAY_ROOT_SH)"
  local root
  root=$("$root_sh" path "$1")
  [ -f "$root/.pyreplay-root" ] || die "no $1 root at $root: run \`$root_sh ensure $1\` first"
}

# in_root SUITE CMD...: runs CMD chrooted in SUITE's root (root.sh run), with the cache's
# interpreters folder bind-mounted at the same absolute path. The bind lives in a private mount
# namespace, which root.sh's own namespace inherits, so nothing stays mounted afterwards.
in_root() {
  local suite=$1 root
  shift
  root=$("$root_sh" path "$suite")
  mkdir -p "$interpreters" "$root$interpreters"
  unshare --mount --propagation private \
    sh -c 'mount --bind "$1" "$2$1" && shift 2 && exec "$@"' sh "$interpreters" "$root" \
    "$root_sh" run "$suite" -- "$@"
}
