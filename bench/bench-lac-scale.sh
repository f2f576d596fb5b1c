#!/bin/bash
# make bench-lac-scale: lac-core's memory per held session and its setup rate
# at fill levels of thousands of sessions, over stream access and PPPoE.
#
# One lab (Redis, broker, lac-core). Transports: "stream" and "pppoe" are
# locally terminated subscribers (dave@local.example, no LNS bounds anything);
# "pppoe-tunnel" are PPPoE subscribers u{n}@load.example tunnelled by L2TP to
# the LNS load peer tests/tools/lns_load (in lns2's namespace; lac-core's PPP
# state is freed at the hand-off, the L2TP session is held). For each, held
# sessions are added by lac-dial (--hold, BENCH_SCALE_FILL_RATE per second)
# until each level of BENCH_SCALE_LEVELS is reached; at each level:
#   - lac-core's RSS (VmRSS) and its growth per held session since the start
#     (before any subscriber), i.e. (RSS(level) - RSS(start)) / level;
#   - a probe burst of BENCH_SCALE_PROBE subscribers dialled at once
#     (connect, LCP, CHAP, RADIUS, IPCP, hang up): sessions/s and setup
#     p50/p95 from lac-dial, and lac-core CPU microseconds per probe setup
#     (CPU time from /proc/PID/task/*/schedstat over the burst; the held sessions idle).
# Then every held session hangs up and the RSS after teardown is printed
# beside the start. Not a test: nothing is asserted. Needs root.
#
# Stream access needs one fd per subscriber in lac-core and lac-dial: a level
# above the open-file hard limit less 1024 is capped there for it, once (a
# container without CAP_SYS_RESOURCE cannot raise the limit).
# Environment: BENCH_SCALE_LEVELS ("8000 32000 64000"), BENCH_SCALE_TRANSPORTS
# ("stream pppoe pppoe-tunnel"), BENCH_SCALE_PROBE (1000), BENCH_SCALE_FILL_RATE (1500),
# BENCH_KEEP=1 keeps the state directory. BENCH_SCALE_PERF=DIR records each probe
# burst with `perf record -g` on lac-core into DIR/perf-TRANSPORT-LEVEL.data (to
# see where setup CPU goes at a fill level; the figures then include perf's cost).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
levels=${BENCH_SCALE_LEVELS:-8000 32000 64000}
transports=${BENCH_SCALE_TRANSPORTS:-stream pppoe pppoe-tunnel}
probe=${BENCH_SCALE_PROBE:-1000}
fill_rate=${BENCH_SCALE_FILL_RATE:-1500}
idle_s=${BENCH_SCALE_IDLE_S:-5}

export RLNS_PREFIX=rlt-bscale-$$
export RLNS_STATE
RLNS_STATE=$(mktemp -d /tmp/rlt-bscale.XXXXXX)
export RLNS_NO_BUILD=1 RLNS_NO_DEPS=1
# Enough addresses for the largest level plus a probe (10.66.0.0/15: 131070).
export RLNS_LAC_LOCAL_POOL=${RLNS_LAC_LOCAL_POOL:-10.66.0.0/15}
export RLNS_LAC_NOFILE=${RLNS_LAC_NOFILE:-262144}
. "$top_srcdir/lab.d/lib.sh"

dialers=()
cleanup() {
    local p
    for p in "${dialers[@]}"; do kill "$p" 2>/dev/null; done
    sleep 1
    for p in "${dialers[@]}"; do kill -9 "$p" 2>/dev/null; done
    [ -n "${load_pid:-}" ] && kill "$load_pid" 2>/dev/null
    # lab_down removes the state directory: a copy is what BENCH_KEEP keeps
    [ "${BENCH_KEEP:-0}" = 1 ] && cp -a "$RLNS_STATE" "$RLNS_STATE.kept" && echo "kept: $RLNS_STATE.kept"
    lab_down >/dev/null 2>&1
    rm -rf "$RLNS_STATE"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "bench-lac-scale: needs root (network namespaces)" >&2; exit 2; }
# lac-dial raises its own soft limit to this hard limit (one fd per stream subscriber).
lab_raise_nofile 1048576
nofile=$(ulimit -n)
[ "$nofile" = unlimited ] && nofile=1048576
lab_down >/dev/null 2>&1
mkdir -p "$RLNS_STATE"
lab_topology_up >/dev/null || { echo "bench-lac-scale: cannot create the namespaces" >&2; exit 1; }
# 64k TCP connections from one address to one port need that many source ports.
netns_exec "$LAB_NS_SUB" sysctl -q -w net.ipv4.ip_local_port_range="1024 65535"
for ns in "$LAB_NS_SUB" "$LAB_NS_LAC"; do
    netns_exec "$ns" sysctl -q -w net.core.somaxconn=8192 2>/dev/null
    netns_exec "$ns" sysctl -q -w net.ipv4.tcp_max_syn_backlog=8192 2>/dev/null
done
for part in redis broker lac; do
    lab_part_up "$part" >/dev/null || { echo "bench-lac-scale: $part did not start" >&2; exit 1; }
done
lab_provision >/dev/null || exit 1
( exec ip netns exec "$LAB_NS_LNS2" "$top_builddir/tests/tools/lns_load" --bind "$LAB_LNS2_ADDR" \
    --secret load-l2tp-secret --host-name lns-load ) > "$RLNS_STATE/lns_load.out" 2>&1 &
load_pid=$!
rc() { netns_exec "$LAB_NS_AAA" "$LAB_BIN_REALMCTL" --redis "$LAB_REDIS_URL" "$@" >/dev/null; }
rc realm add load.example --mode tunnel --policy preference &&
    rc lns add load.example a --endpoint "$LAB_LNS2_ADDR" --secret load-l2tp-secret --preference 1 \
        --assignment-id load-a || { echo "bench-lac-scale: cannot provision load.example" >&2; exit 1; }
lac_pid=$(cat "$RLNS_STATE/lac/pid")
# lac-core's CPU time in ns, the scheduler's own sum over its threads
# (/proc/PID/task/*/schedstat): utime+stime in /proc/PID/stat counts the same
# time in 10 ms ticks, too coarse for a 200-call round (50 us per setup).
ns_per_s=1000000000

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$lac_pid/status"; }
# minor page faults so far (/proc/PID/stat field 10): fresh heap pages touched
minflt() { awk '{ print $10 }' "/proc/$lac_pid/stat"; }
cpu_ns() { cat /proc/"$lac_pid"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
held() { lac_ctl lac "$RLNS_STATE" show counters | sed -n 's/^sessions=\([0-9]*\) .*/\1/p'; }
via() { if [ "$1" = stream ]; then echo "--connect $LAB_LAC_STREAM"; else echo "--pppoe pppoe-sub"; fi; }
who() { if [ "$1" = pppoe-tunnel ]; then echo "--user u{n}@load.example --password x"; else
        echo "--user dave@local.example --password dave-pw"; fi; }
# wait_held N SECONDS: until lac-core holds exactly N sessions (probe gone) or time runs out
wait_held() {
    local t=$(($2 * 2)) h
    while :; do
        h=$(held)
        [ "${h:-0}" -eq "$1" ] && return 0
        t=$((t - 1))
        [ $t -le 0 ] && return 1
        sleep 0.5
    done
}

printf 'bench-lac-scale: levels %s, probe %s at once, fill at %s/s; load average %s\n' \
    "$levels" "$probe" "$fill_rate" "$(cut -d' ' -f1-3 /proc/loadavg)"
rows=$RLNS_STATE/rows
: > "$rows"
ntr=0
for tr in $transports; do
    # a fresh lac-core per transport, so its start RSS is a clean baseline
    if [ $ntr -gt 0 ]; then
        old=$lac_pid
        lab_part_down lac
        wait "$old" 2>/dev/null     # reaped: its TUN device is free again
        lab_part_up lac >/dev/null || { echo "bench-lac-scale: lac restart failed" >&2; exit 1; }
        lac_pid=$(cat "$RLNS_STATE/lac/pid")
    fi
    ntr=$((ntr + 1))
    wait_held 0 120
    sleep 1
    rss0=$(rss_kb)
    have=0
    first=1
    for lvl in $levels; do
        if [ "$tr" = stream ] && [ "$lvl" -gt $((nofile - 1024)) ]; then
            [ "$have" -ge $((nofile - 1024)) ] && continue
            echo "bench-lac-scale: stream $lvl capped at $((nofile - 1024)): open-file limit $nofile" |
                tee -a "$rows.skipped"
            lvl=$((nofile - 1024))
        fi
        add=$((lvl - have))
        t0=$(date +%s.%N)
        # exec: $! is lac-dial itself, which hangs up on SIGTERM
        ( exec ip netns exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" $(via "$tr") $(who "$tr") --count "$add" --first "$first" --rate "$fill_rate" --hold 1000000 \
            --timeout 120 ) > "$RLNS_STATE/fill-$tr-$lvl.out" 2>"$RLNS_STATE/fill-$tr-$lvl.err" &
        dialers+=($!)
        first=$((first + add))
        # until every subscriber of this step has an outcome (up, rejected, ...)
        fill_out=$RLNS_STATE/fill-$tr-$lvl.out
        t=$((add / 100 + 180))
        outcomes() { local n; n=$(grep -c 'outcome=' "$fill_out" 2>/dev/null); echo "${n:-0}"; }
        while [ "$(outcomes)" -lt "$add" ] && [ $t -gt 0 ]; do
            sleep 0.5; t=$((t - 1))
        done
        sleep 1
        if [ "$(held)" != "$lvl" ]; then
            echo "bench-lac-scale: $tr: $(held) of $lvl sessions up" \
                "($(grep -c 'outcome=up' "$fill_out") of $add in this step; the others: $(grep -o 'outcome=[a-z]*' \
                "$fill_out" | grep -v =up | sort | uniq -c | tr -s ' ' | tr '\n' ' '))" | tee -a "$rows.skipped"
            lvl=$(held)
        fi
        fill_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
        have=$lvl
        sleep 2
        rss=$(rss_kb)
        # what the held sessions cost with nobody dialling (keepalives relayed
        # for them, timers), so the probe's figure can be given without it
        i0=$(cpu_ns); it0=$(date +%s.%N)
        sleep "$idle_s"
        i1=$(cpu_ns); it1=$(date +%s.%N)
        idle_pct=$(awk -v d=$((i1 - i0)) -v hz="$ns_per_s" -v a="$it0" -v b="$it1" 'BEGIN { printf "%.1f", d * 100 / hz / (b - a) }')
        perf_pid=
        if [ -n "${BENCH_SCALE_PERF:-}" ]; then
            mkdir -p "$BENCH_SCALE_PERF"
            perf record -q -F 10000 -g -p "$lac_pid" -o "$BENCH_SCALE_PERF/perf-$tr-$lvl.data" 2>/dev/null &
            perf_pid=$!
            sleep 1
        fi
        c0=$(cpu_ns); f0=$(minflt)
        out=$(netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" $(via "$tr") $(who "$tr") --count "$probe" --first 900001 --timeout 60 2>/dev/null | grep '^summary')
        c1=$(cpu_ns); f1=$(minflt)
        [ -n "$perf_pid" ] && { kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null; }
        up=$(lab_kv "$out" up)
        el=$(lab_kv "$out" elapsed_ms)
        cpu_us=$(awk -v d=$((c1 - c0)) -v hz="$ns_per_s" -v n="${up:-0}" 'BEGIN { printf "%.0f", n ? d * 1e6 / hz / n : 0 }')
        # the same less the idle share over the probe's own time
        net_us=$(awk -v d=$((c1 - c0)) -v hz="$ns_per_s" -v n="${up:-0}" -v e="${el:-0}" -v p="$idle_pct" \
            'BEGIN { x = d / hz - p / 100 * e / 1000; if (x < 0) x = 0; printf "%.0f", n ? x * 1e6 / n : 0 }')
        rate=$(awk -v n="${up:-0}" -v e="${el:-0}" 'BEGIN { printf "%.0f", e ? n * 1000 / e : 0 }')
        flt=$(awk -v d=$((f1 - f0)) -v n="${up:-0}" 'BEGIN { printf "%.1f", n ? d / n : 0 }')
        per=$(awk -v a="$rss" -v b="$rss0" -v n="$lvl" 'BEGIN { printf "%.2f", n ? (a - b) / n : 0 }')
        printf '%s %s %s %s %s %s %s %s %s %s %s %s %s %s\n' "$tr" "$lvl" "$rss0" "$rss" "$per" "$fill_s" \
            "${up:-0}/$probe" "$rate" "$(lab_kv "$out" setup_ms_p50)" "$(lab_kv "$out" setup_ms_p95)" "$cpu_us" \
            "$idle_pct" "$net_us" "$flt" | tee -a "$rows"
        wait_held "$lvl" 60
    done
    # hang up everything of this transport
    for p in "${dialers[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${dialers[@]}"; do wait "$p" 2>/dev/null; done
    dialers=()
    wait_held 0 300 || echo "bench-lac-scale: $tr: $(held) sessions left after hang-up" >&2
    sleep 2
    echo "$tr teardown $rss0 $(rss_kb)" >> "$rows.teardown"
done

printf '\nlac-core memory per held session and setup rate at fill levels (bench/bench-lac-scale.sh)\n'
printf '%-12s %7s %10s %10s %9s %7s %10s %8s %7s %7s %9s %7s %9s %9s\n' access held rss0_KiB rss_KiB \
    KiB/sess fill_s probe_up setups/s p50_ms p95_ms cpu_us/su idle_% net_us/su faults/su
while read -r tr lvl r0 r per fs pu rate p50 p95 cpu idle net flt; do
    printf '%-12s %7s %10s %10s %9s %7s %10s %8s %7s %7s %9s %7s %9s %9s\n' "$tr" "$lvl" "$r0" "$r" "$per" \
        "$fs" "$pu" "$rate" "$p50" "$p95" "$cpu" "$idle" "$net" "$flt"
done < "$rows"
echo
while read -r tr _ r0 r; do
    printf '%-12s after every session hung up: RSS %s KiB (start %s KiB, %+d KiB)\n' "$tr" "$r" "$r0" $((r - r0))
done < "$rows.teardown"
[ -f "$rows.skipped" ] && cat "$rows.skipped"
kill "$load_pid" 2>/dev/null; wait "$load_pid" 2>/dev/null
echo "lns_load: $(tail -n 1 "$RLNS_STATE/lns_load.out")"
echo "(RSS of lac-core from /proc/PID/status; KiB/sess = (RSS at the level - RSS at the start) / held;"
echo " probe: $probe subscribers dialled at once at that fill level, local termination, then hung up;"
echo " cpu_us/su = lac-core CPU time (schedstat) over the probe / probe setups; idle_% = lac-core CPU with the"
echo " sessions held and nobody dialling, over ${idle_s} s before the probe; net_us/su = cpu_us/su less"
echo " idle_% of the probe's elapsed time; faults/su = lac-core's minor page faults over the probe / setups;"
echo " load average $(cut -d' ' -f1-3 /proc/loadavg))"
