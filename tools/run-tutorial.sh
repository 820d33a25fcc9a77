#!/bin/sh
# Run docs/tutorial.md as a reader would: in a fresh directory, with the
# build tree's tools on PATH, write every ```c/```defs block that names a
# file (```c file=hello.c), run every ```sh block (each must succeed), and
# check that every line of an ```output block appears in what the sh
# block before it printed.  `make check-tutorial` runs it; so does CI.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
doc=${1:-$top/docs/tutorial.md}
build=${BUILD:-build}
work=$(mktemp -d /tmp/umach-tutorial-XXXXXX)
trap 'rm -rf "$work"' EXIT
export PATH="$top/$build:$PATH"
unset UMACH_SOCKET
cd "$work"

n=0 kind= file= last="$work/.last"
: > "$last"
while IFS= read -r line || [ -n "$line" ]; do
	case "$kind" in
	"")
		case "$line" in
		'```sh') kind=sh; : > "$work/.block" ;;
		'```output') kind=output; : > "$work/.block" ;;
		'```'*' file='*) kind=file; file=${line##* file=}; : > "$file" ;;
		esac ;;
	*)
		if [ "$line" = '```' ]; then
			case "$kind" in
			sh)
				n=$((n + 1))
				echo "tutorial: block $n:"; sed 's/^/  $ /' "$work/.block"
				if ! sh -e "$work/.block" > "$last" 2>&1; then
					cat "$last"
					echo "tutorial: block $n failed" >&2
					exit 1
				fi ;;
			output)
				while IFS= read -r want; do
					if ! grep -qF -- "$want" "$last"; then
						echo "tutorial: block $n did not print: $want" >&2
						echo "it printed:" >&2; cat "$last" >&2
						exit 1
					fi
				done < "$work/.block" ;;
			esac
			kind=
		elif [ "$kind" = file ]; then
			printf '%s\n' "$line" >> "$file"
		else
			printf '%s\n' "$line" >> "$work/.block"
		fi ;;
	esac
done < "$doc"
[ -z "$kind" ] || { echo "tutorial: an unclosed block" >&2; exit 1; }
echo "tutorial: $n command blocks ran as written"
