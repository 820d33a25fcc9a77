#!/bin/sh
# Run each stress driver given as an argument under a hard wall-clock
# guard (UMACH_STRESS_GUARD seconds each, 1200 by default), show its
# output, and end with the figures line of every driver and one summary:
#   check-stress: N passed, N failed (W s)
guard=${UMACH_STRESS_GUARD:-1200}
passed=0; failed=0; figures=""
start=$(date +%s)
for t in "$@"; do
	t0=$(date +%s)
	out=$(timeout -s KILL "$guard" "$t" 2>&1); rc=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | grep -E '^T[0-9]+ ' | tail -n 1)
	[ -n "$line" ] || line="$(basename "$t"): no figures line (exit $rc)"
	[ "$rc" -eq 137 ] && line="$line [killed by the ${guard} s guard]"
	figures="$figures$line ($(( $(date +%s) - t0 )) s)
"
	if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "---- stress figures ----"
printf '%s' "$figures"
echo "check-stress: $passed passed, $failed failed ($(( $(date +%s) - start )) s)"
[ "$failed" -eq 0 ]
