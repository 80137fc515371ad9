#!/usr/bin/env bash
# The locking contracts (GUARDED_BY, REQUIRES from src/common/mutex.h) hold: every source file
# that uses keel::Mutex is compiled with clang's -Wthread-safety as an error. Syntax only, so it
# takes seconds; clang is installed by scripts/install-deps.
set -euo pipefail
root="${KEEL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$root"
if ! command -v clang++ > /dev/null; then
  echo "clang++ is not installed (scripts/install-deps installs it)" >&2
  exit 1
fi
# Every .cc that includes common/mutex.h, or a header of src/ that includes it.
users=("common/mutex.h")
for h in $(grep -rl '#include "common/mutex.h"' src --include=*.h); do users+=("${h#src/}"); done
files=$(for u in "${users[@]}"; do grep -rlF "#include \"$u\"" src --include=*.cc; done | sort -u)
if [ -z "$files" ]; then
  echo "no file uses keel::Mutex" >&2
  exit 1
fi
# Include paths of the libraries the engines use (Debian's).
flags=(-std=c++20 -fsyntax-only -Wthread-safety -Werror=thread-safety -Wno-unknown-warning-option -Isrc)
status=0
for f in $files; do
  if clang++ "${flags[@]}" "$f" 2> /tmp/keel-thread-safety.$$; then
    echo "ok   $f"
  else
    echo "FAIL $f"
    sed 's/^/    /' /tmp/keel-thread-safety.$$
    status=1
  fi
done
rm -f /tmp/keel-thread-safety.$$
exit $status
