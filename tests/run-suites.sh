#!/bin/sh
# Runs each Check suite given as an argument, with a wall-clock guard, and
# prints one closing line over all of them.  Under UMACH_VALGRIND=1 every
# suite runs under valgrind's memcheck and a leak or error fails it.
passed=0; failed=0; bad=""
for t in "$@"; do
	if [ -n "$UMACH_VALGRIND" ]; then
		set -- valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect \
			--trace-children=no "$t"
	else
		set -- "$t"
	fi
	out=$(timeout 900 "$@" 2>&1); rc=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
	n=$(printf '%s' "$line" | sed -n 's/.*Checks: \([0-9]*\).*/\1/p')
	f=$(printf '%s' "$line" | sed -n 's/.*Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2/p')
	nf=$(( ${f% *} + ${f#* } )) 2>/dev/null || nf=0
	[ -n "$n" ] || { n=0; nf=1; }
	if [ "$rc" -ne 0 ] && [ "$nf" -eq 0 ]; then nf=1; fi
	passed=$((passed + n - nf)); failed=$((failed + nf))
	[ "$rc" -eq 0 ] || bad="$bad $(basename "$t")"
done
echo "suites:$bad" | grep -q ' ' && echo "failing suites:$bad"
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ -z "$bad" ]
