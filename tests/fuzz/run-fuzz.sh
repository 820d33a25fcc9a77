#!/bin/sh
# Run one libFuzzer target for a fixed time under a hard wall-clock guard
# and print one figures line:
#   T4 <target>: <execs> execs in <s> s (<rate>/s), <n> crashes, corpus <c>
# Usage: run-fuzz.sh BINARY SECONDS SEED_DIR [MIN_EXECS]
# The grown corpus and any crash inputs go to build-fuzz/<target>_{corpus,artifacts}.
# Exit 0 only if the run ended cleanly (no crash, leak or timeout) and, when
# MIN_EXECS is given, it executed at least that many inputs.
bin=$1; secs=$2; seeds=$3; min=${4:-0}
name=$(basename "$bin")
dir=$(dirname "$bin")
mkdir -p "$dir/${name}_corpus" "$dir/${name}_artifacts"
log="$dir/$name.log"
timeout -s KILL $((secs + 120)) "$bin" -max_total_time="$secs" -timeout=2 \
	-rss_limit_mb=2048 -max_len=8400 -print_final_stats=1 \
	-artifact_prefix="$dir/${name}_artifacts/" \
	"$dir/${name}_corpus" "$seeds" >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
[ -n "$execs" ] || execs=0
crashes=$(find "$dir/${name}_artifacts" -type f | wc -l)
corpus=$(find "$dir/${name}_corpus" -type f | wc -l)
if [ "$rc" -ne 0 ]; then
	tail -n 60 "$log"
fi
echo "T4 $name: $execs execs in $secs s ($((execs / secs))/s), $crashes crash inputs, exit $rc, corpus $corpus (min execs $min)"
[ "$rc" -eq 0 ] && [ "$crashes" -eq 0 ] && [ "$execs" -ge "$min" ]
