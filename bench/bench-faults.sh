#!/bin/bash
# make bench-faults (issue 9): what faults cost, from one run.
#   1. accounting: records/s through radius_acct with the on-disk spool (each
#      fsync policy) beside the memory queue alone (bench/acct_spool_bench,
#      spool on the disk under BENCH_FAULTS_DIR, default /var/tmp);
#   2. session setup time p50/p95 of BENCH_FAULTS_COUNT tunnelled subscribers
#      (to l2tpns) with 0%, 5% and 20% random loss of L2TP control messages in
#      both directions (nftables in the LNS's namespace), 0% as the baseline;
#   2b. the same with BENCH_FAULTS_SPREAD (200) subscribers spread over
#      tunnels of BENCH_FAULTS_PER_TUNNEL (10) sessions;
#   3. LNS failover: lns1 is killed with -9 while its tunnel is up; the setup
#      time of the first call after the kill (it fails over to lns2) and of the
#      next one (lns1 is in the dead-cache), beside a call with lns1 alive.
# Not a test: nothing is asserted about speed. Needs root (namespaces).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
count=${BENCH_FAULTS_COUNT:-20}
spread=${BENCH_FAULTS_SPREAD:-200}
per_tunnel=${BENCH_FAULTS_PER_TUNNEL:-10}
records=${BENCH_FAULTS_RECORDS:-20000}

[ "$(id -u)" = 0 ] || { echo "bench-faults: needs root (network namespaces)" >&2; exit 2; }
spooldir=$(mktemp -d "${BENCH_FAULTS_DIR:-/var/tmp}/rlt-benchfaults.XXXXXX")
export RLNS_PREFIX=rlt-benchflt
export RLNS_STATE
RLNS_STATE=$(mktemp -d /tmp/rlt-benchflt.XXXXXX)
export RLNS_NO_BUILD=1 RLNS_NO_DEPS=1
. "$top_srcdir/lab.d/lib.sh"
. "$top_srcdir/tests/integration/loss_lib.sh"
trap 'lab_down >/dev/null 2>&1; rm -rf "$RLNS_STATE" "$spooldir"' EXIT

echo
echo "1. accounting records/s (Start+Stop pairs of $records/2 sessions, answered by a responder on"
echo "   127.0.0.1; spool in $spooldir; bench/acct_spool_bench)"
"$top_builddir/bench/acct_spool_bench" "$spooldir" "$records" 2>/dev/null

lab_down >/dev/null 2>&1
mkdir -p "$RLNS_STATE"
users=$RLNS_STATE/lns-users
for n in $(seq 1 $((count * 4 + spread * 3 + 10))); do echo "t$n@corp.example t-pw"; done > "$users"
lab_topology_up >/dev/null || { echo "bench-faults: cannot create the namespaces" >&2; exit 1; }
lab_part_up redis >/dev/null && lab_part_up broker >/dev/null || { echo "bench-faults: broker" >&2; exit 1; }
for l in 1 2; do
    eval "lns_start lns$l \"\$LAB_NS_LNS$l\" \"\$LAB_LNS${l}_ADDR\" \"\$LAB_LNS${l}_SECRET\" \"\$LAB_LNS${l}_POOL\" \
        \"$users\" \"$RLNS_STATE\"" >/dev/null || { echo "bench-faults: lns$l" >&2; exit 1; }
done
lab_part_up lac >/dev/null || { echo "bench-faults: lac" >&2; exit 1; }
lab_provision || exit 1

first=1
# dial N ARGS...: N tunnelled subscribers at once; prints "up p50 p95"
dial() {
    local n=$1 out
    shift
    out=$(netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --connect "$LAB_LAC_STREAM" --count "$n" --timeout 120 \
          --user 't{n}@corp.example' --password t-pw --first "$first" "$@" 2>/dev/null | grep '^summary')
    first=$((first + n))
    echo "$(lab_kv "$out" up) $(lab_kv "$out" setup_ms_p50) $(lab_kv "$out" setup_ms_p95)"
}
l2tp_counter() { lac_ctl lac "$RLNS_STATE" show counters | grep '^l2tp ' | tr ' ' '\n' | grep "^$1=" | cut -d= -f2; }
rtx() { l2tp_counter retransmits; }
tunnels() { l2tp_counter tunnels_opened; }

dial 1 >/dev/null       # the tunnel to lns1 is up before the rounds
echo
echo "2. session setup under L2TP control-channel loss, $count tunnelled subscribers at once (lac-dial)"
printf '%-14s %8s %10s %10s %12s %12s\n' loss up p50_ms p95_ms "p50 vs 0%" retransmits
base=
for pct in 0 5 20; do
    loss_l2tp "$LAB_NS_LNS1" "$pct"
    before=$(rtx)
    set -- $(dial "$count")
    after=$(rtx)
    [ -z "$base" ] && base=${2:-0}
    ratio=$(awk -v a="${2:-0}" -v b="$base" 'BEGIN { printf "%.2fx", (b > 0) ? a / b : 0 }')
    printf '%-14s %8s %10s %10s %12s %12s\n' "$pct%" "${1:-0}/$count" "${2:--}" "${3:--}" "$ratio" \
        "$((${after:-0} - ${before:-0}))"
done
loss_l2tp "$LAB_NS_LNS1" 0

# 2b: the calls of a burst spread over tunnels of per_tunnel sessions (what
# tests/integration/l2tp_loss.sh does with 200): each tunnel's control
# channel carries its own share, so loss costs each call far less.
echo
echo "2b. the same with $spread subscribers at once spread over tunnels of $per_tunnel sessions"
echo "    (lac-core restarted with [l2tp] max_sessions_per_tunnel = $per_tunnel)"
lac_stop lac "$RLNS_STATE" >/dev/null 2>&1
RLNS_LAC_EXTRA_CONF=$'[l2tp]\nmax_sessions_per_tunnel = '$per_tunnel lab_part_up lac >/dev/null ||
    { echo "bench-faults: lac" >&2; exit 1; }
printf '%-14s %8s %10s %10s %12s %12s %8s\n' loss up p50_ms p95_ms "p50 vs 0%" retransmits tunnels
log_mark=$(wc -l < "$RLNS_STATE/lac/lac-core.log")
base=
for pct in 0 5 20; do
    # both LNS: a call that fails over to lns2 must not escape the loss
    loss_l2tp "$LAB_NS_LNS1" "$pct"
    loss_l2tp "$LAB_NS_LNS2" "$pct"
    before=$(rtx)
    tbefore=$(tunnels)
    set -- $(dial "$spread")
    after=$(rtx)
    [ -z "$base" ] && base=${2:-0}
    ratio=$(awk -v a="${2:-0}" -v b="$base" 'BEGIN { printf "%.2fx", (b > 0) ? a / b : 0 }')
    printf '%-14s %8s %10s %10s %12s %12s %8s\n' "$pct%" "${1:-0}/$spread" "${2:--}" "${3:--}" "$ratio" \
        "$((${after:-0} - ${before:-0}))" "$(($(tunnels) - ${tbefore:-0}))"
done
loss_l2tp "$LAB_NS_LNS1" 0
loss_l2tp "$LAB_NS_LNS2" 0
echo "    (tunnels: opened in the round; the rounds after the first reuse the pool's tunnels)"
echo "    LNSs taken for dead by lac-core in these rounds: $(tail -n +$((log_mark + 1)) "$RLNS_STATE/lac/lac-core.log" | grep -c 'event=endpoint_dead'),"
echo "    calls failed over: $(l2tp_counter failovers)"
dial 1 >/dev/null       # a tunnel to lns1 is up before the failover

echo
echo "3. LNS failover (lns1 killed with -9 while its tunnel is up; corp.example prefers lns1, then lns2)"
printf '%-44s %8s %10s\n' call up setup_ms
set -- $(dial 1)
printf '%-44s %8s %10s\n' "lns1 alive (baseline)" "$1/1" "$2"
kill -9 "$(cat "$RLNS_STATE/lns1/l2tpns.pid")" 2>/dev/null
set -- $(dial 1)
printf '%-44s %8s %10s\n' "first call after the kill (fails over)" "$1/1" "$2"
set -- $(dial 1)
printf '%-44s %8s %10s\n' "next call (lns1 in the dead-cache)" "$1/1" "$2"
echo
echo "Loss: nftables 'numgen random mod 100 < PCT drop' on L2TP control messages (T bit) to and from lns1,"
echo "both directions; data messages pass. Failover time depends on the L2TP retransmission and setup"
echo "deadlines ([l2tp] retransmit_*, max_retransmits)."
