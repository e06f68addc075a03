#!/usr/bin/env bash
# tools/format.sh — format meshgate's C sources with the root .clang-format.
#
#   tools/format.sh           rewrite every C source and header in place
#   tools/format.sh --check   change nothing; list the files clang-format
#                             would change and exit 1 if there are any
#
# The files are the C sources and headers git tracks (or, outside a git
# checkout, those under the source folders), so build trees and generated
# protobuf code are never touched.  tools/test.sh runs --check.
set -euo pipefail

cd "$(dirname "$0")/.."
check=0
case "${1:-}" in
--check) check=1 ;;
'') ;;
*)
	echo "usage: tools/format.sh [--check]" >&2
	exit 2
	;;
esac

command -v clang-format >/dev/null || {
	echo "tools/format.sh: clang-format is not installed (tools/deps.sh installs it)" >&2
	exit 1
}

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files -- '*.c' '*.h')
else
	mapfile -t files < <(find app ctrl dataplane test tools -name '*.[ch]' | sort)
fi

if ((check == 0)); then
	clang-format -i -- "${files[@]}"
	exit 0
fi

# One clang-format for all files; each file it would change is named in its
# "file:line:col: error: code should be clang-formatted" lines.
mapfile -t bad < <(clang-format --dry-run -Werror -- "${files[@]}" 2>&1 |
	sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' | sort -u)
if ((${#bad[@]} > 0)); then
	echo "tools/format.sh: ${#bad[@]} of ${#files[@]} files are not formatted" \
		"(run tools/format.sh; clang-format --dry-run FILE shows where):"
	printf '  %s\n' "${bad[@]}"
	exit 1
fi
echo "tools/format.sh: ${#files[@]} files formatted as .clang-format says"
