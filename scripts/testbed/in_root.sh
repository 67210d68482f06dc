#!/usr/bin/env bash
# Runs a command in a test root (root.sh run) that also sees the cache's interpreters folder
# (the free-threaded and stripped interpreters that build_freethreaded.sh and make_stripped.sh
# put there) at the same absolute path.
#   in_root.sh SUITE [--] CMD...
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=interpreters_lib.sh
. "$here/interpreters_lib.sh"
(($# >= 2)) || { sed -n '2,5p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
suite=$1
shift
[ "$1" = -- ] && shift
require_root "$suite"
in_root "$suite" "$@"
