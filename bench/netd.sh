#!/bin/sh
# make bench-netd: the RPC round trip through umach-netd between two
# kernels against a plain TCP round trip between the same two endpoints
# (docs/PERFORMANCE.md "netd").  As root with ip(8), each kernel, netd and
# end runs in its own network namespace joined by a veth pair; otherwise
# both sides use 127.0.0.1.  Usage: netd.sh BUILD N SIZE > table
set -eu
B=$(cd "$1" && pwd); N=${2:-2000}; SIZE=${3:-64}
D=$(mktemp -d /tmp/umach-bench-netd.XXXXXX)
NA=""; NB=""; AA=127.0.0.1; AB=127.0.0.1; where="loopback (127.0.0.1)"
if [ "$(id -u)" -eq 0 ] && ip -V >/dev/null 2>&1; then
	NA=ubnA$$; NB=ubnB$$; AA=10.78.0.1; AB=10.78.0.2
	ip netns add $NA; ip netns add $NB
	ip link add ubva$$ type veth peer name ubvb$$
	ip link set ubva$$ netns $NA; ip link set ubvb$$ netns $NB
	ip -n $NA addr add $AA/24 dev ubva$$; ip -n $NA link set ubva$$ up
	ip -n $NB addr add $AB/24 dev ubvb$$; ip -n $NB link set ubvb$$ up
	where="two network namespaces joined by a veth pair"
fi
# Run in a namespace; exec, so that in a background job $! is the program.
in_ns() { ns=$1; shift; if [ -n "$ns" ]; then exec ip netns exec "$ns" "$@"; else exec "$@"; fi; }
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "$NA" ] && { ip netns del $NA; ip netns del $NB; } 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT INT TERM
head -c 32 /dev/urandom > "$D/secret"; chmod 600 "$D/secret"
PA=$((21000 + $$ % 9000)); PB=$((PA + 1)); PT=$((PA + 2))
for s in A B; do
	ns=$NA; [ $s = B ] && ns=$NB
	(UMACH_SOCKET=$D/$s.sock in_ns "$ns" "$B/umachd" --foreground 2>"$D/$s.log") &
	pids="$pids $!"
done
for i in $(seq 100); do [ -S "$D/A.sock" ] && [ -S "$D/B.sock" ] && break; sleep 0.05; done
(UMACH_SOCKET=$D/A.sock in_ns "$NA" "$B/umach-netd" --name hostA --listen $AA:$PA \
	--peer hostB=$AB:$PB --secret "$D/secret" 2>>"$D/A.log") & pids="$pids $!"
(UMACH_SOCKET=$D/B.sock in_ns "$NB" "$B/umach-netd" --name hostB --listen $AB:$PB \
	--peer hostA=$AA:$PA --secret "$D/secret" 2>>"$D/B.log") & pids="$pids $!"
(UMACH_SOCKET=$D/B.sock in_ns "$NB" "$B/bench/netd_rtt" serve $AB:$PT) & pids="$pids $!"
echo "Round trips between $where, $N each after 100 warm-up, payload $SIZE bytes (µs):"
echo
echo "| path | payload B | n | median | p90 | p99 |"
echo "|---|---|---|---|---|---|"
(UMACH_SOCKET=$D/A.sock in_ns "$NA" "$B/bench/netd_rtt" client hostB $AB:$PT "$N" "$SIZE")
