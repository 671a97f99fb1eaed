#!/usr/bin/env bash
# The environment variables the engine reads are exactly those its header
# documents and README.md's table lists: engine/vk/env.c reads every one
# and no other engine file calls getenv.
#   usage: env.sh SOURCE_DIR
set -euo pipefail
src=${1:-$(dirname "$0")/..}
fails=0
others=$(grep -rl 'getenv(' "$src/engine" | grep -v '/engine/vk/env\.c$' || true)
if [ -n "$others" ]; then
  echo "FAIL getenv outside engine/vk/env.c: $others"; fails=1
fi
read_by_engine=$(grep -oE '"[A-Z][A-Z_]+"' "$src/engine/vk/env.c" | tr -d '"' | sort -u)
in_header=$(sed -n '/Environment variables\./,/^ \*\//p' "$src/include/alvk/alvk.h" | grep -E '^ \*   [A-Z]' |
            sed -E 's/[=:].*//' | grep -oE '[A-Z][A-Z_]+' | sort -u)
in_readme=$(sed -n '/^## Environment/,/^## Layout/p' "$src/README.md" | grep -E '^\| `' | cut -d'|' -f2 |
            grep -oE '[A-Z][A-Z_]+' | sort -u)
for doc in header readme; do
  listed=in_$doc
  if [ "$read_by_engine" != "${!listed}" ]; then
    echo "FAIL the engine reads and the $doc lists different variables:"
    diff <(echo "$read_by_engine") <(echo "${!listed}") || true
    fails=1
  fi
done
[ "$fails" = 0 ] && echo "ok   $(echo "$read_by_engine" | wc -l) variables, read in env.c, in the header and README"
exit "$fails"
