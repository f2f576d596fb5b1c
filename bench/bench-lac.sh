#!/bin/bash
# make bench-lac: how fast lac-core sets up subscriber sessions, tunnelled to a
# real LNS (Debian's l2tpns) against the baseline of the same subscribers
# terminated locally by lac-core, in one run, with the same dialer (lac-dial),
# the same broker (FreeRADIUS + rlm_realm_lns + Redis) and the same lab.
#
# Each configuration dials BENCH_LAC_COUNT subscribers at once (each: LCP,
# CHAP, RADIUS, [L2TP tunnel/session + the LNS's own LCP/CHAP/IPCP], IPCP, then
# LCP Terminate), BENCH_LAC_ROUNDS rounds interleaved; the median round by
# sessions/s is reported with its setup-time p50/p95 from lac-dial.
# Not a test: nothing is asserted about speed. Needs root (namespaces).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
count=${BENCH_LAC_COUNT:-200}
rounds=${BENCH_LAC_ROUNDS:-3}

export RLNS_PREFIX=rlt-benchlac
export RLNS_STATE
RLNS_STATE=$(mktemp -d /tmp/rlt-benchlac.XXXXXX)
export RLNS_NO_BUILD=1 RLNS_NO_DEPS=1
. "$top_srcdir/lab.d/lib.sh"
trap 'lab_down >/dev/null 2>&1' EXIT

[ "$(id -u)" = 0 ] || { echo "bench-lac: needs root (network namespaces)" >&2; exit 2; }
lab_down >/dev/null 2>&1
mkdir -p "$RLNS_STATE"
lab_topology_up >/dev/null || { echo "bench-lac: cannot create the namespaces" >&2; exit 1; }
for part in redis broker lns1 lac; do
    lab_part_up "$part" >/dev/null || { echo "bench-lac: $part did not start" >&2; exit 1; }
done
lab_provision || exit 1

# dial_round NAME ARGS...: one round; prints "up elapsed_ms p50 p95"
dial_round() {
    local name=$1 out
    shift
    out=$(netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --count "$count" --timeout 60 "$@" 2>/dev/null |
          grep '^summary')
    echo "$(lab_kv "$out" up) $(lab_kv "$out" elapsed_ms) $(lab_kv "$out" setup_ms_p50) $(lab_kv "$out" setup_ms_p95)" \
        >> "$RLNS_STATE/$name.rounds"
}

configs="local-stream tunnel-stream tunnel-pppoe"
for r in $(seq "$rounds"); do
    dial_round local-stream --connect "$LAB_LAC_STREAM" --user dave@local.example --password dave-pw
    dial_round tunnel-stream --connect "$LAB_LAC_STREAM" --user alice@corp.example --password alice-pw
    dial_round tunnel-pppoe --pppoe pppoe-sub --user alice@corp.example --password alice-pw
done

printf '\nlac-core session setup, %s subscribers dialled at once, median of %s rounds (bench/bench-lac.sh)\n' \
    "$count" "$rounds"
printf '%-15s %8s %12s %10s %10s %10s\n' config up sessions/s p50_ms p95_ms "vs local"
base=
for c in $configs; do
    # median round by sessions/s
    line=$(awk '{ rate = ($2 > 0) ? $1 * 1000 / $2 : 0; printf "%.1f %s %s %s\n", rate, $1, $3, $4 }' \
           "$RLNS_STATE/$c.rounds" | sort -n | awk -v n="$rounds" 'NR == int((n + 1) / 2)')
    set -- $line
    [ -z "$base" ] && base=$1
    ratio=$(awk -v a="$1" -v b="$base" 'BEGIN { printf "%.2fx", (b > 0) ? a / b : 0 }')
    printf '%-15s %8s %12s %10s %10s %10s\n' "$c" "$2/$count" "$1" "$3" "$4" "$ratio"
done
echo
echo "local-stream: lac-core answers CHAP after RADIUS and runs IPCP itself (the baseline);"
echo "tunnel-*: lac-core opens an L2TP session per subscriber to l2tpns, which renegotiates"
echo "LCP, re-authenticates with its own RADIUS and assigns the address."
