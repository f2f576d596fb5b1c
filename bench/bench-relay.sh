#!/bin/bash
# make bench-relay (issue 12): lac-core's data plane in packets per second,
# beside a raw userspace UDP relay and kernel forwarding, on the same
# namespaces and veth links, in one run. Not a test: nothing is asserted.
#
# Three paths, each driven by the same generator (lac-dial --traffic: paced
# steps of offered packets/s, sendmmsg batches, every packet stamped with a
# sequence number and counted when it comes back), each packet going access
# -> far end -> back (so the relay forwards it twice):
#   lac-core : BENCH_RELAY_SESSIONS PPPoE subscribers u{n}@load.example from
#              lac-dial in the subscriber namespace, tunnelled by lac-core to
#              tests/tools/lns_load --echo in lns2's namespace, which sends each
#              IPv4 packet back with the addresses swapped;
#   raw relay: tests/tools/udp_relay in lac-core's namespace (recvmmsg ->
#              sendmmsg, no parsing), from the subscriber namespace's veth to
#              udp_relay --reflect in lns2's namespace;
#   kernel   : IPv4 forwarding in lac-core's namespace between the same two veth
#              links, to the same reflector (no userspace relay at all).
# Sizes (BENCH_RELAY_SIZES, "64 1400"): the IPv4 packet inside PPP for
# lac-core, and the same IPv4 packet (UDP payload = size - 28) for the others.
# Per path and size: the highest offered rate of BENCH_RELAY_STEPS with no
# packet lost, the relay's CPU per relayed packet at that rate (utime+stime of
# lac-core or udp_relay from /proc, over sent + received packets), and the
# ratio to the raw relay. Every step's line is kept in the state directory
# (BENCH_KEEP=1) and printed with BENCH_RELAY_VERBOSE=1.
# Environment: BENCH_RELAY_SESSIONS (100), BENCH_RELAY_SIZES ("64 1400"),
# BENCH_RELAY_STEPS (20k,...,300k), BENCH_RELAY_STEP_S (2), BENCH_KEEP.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
sessions=${BENCH_RELAY_SESSIONS:-100}
sizes=${BENCH_RELAY_SIZES:-64 1400}
steps=${BENCH_RELAY_STEPS:-20k,40k,60k,70k,80k,90k,100k,110k,120k,135k,150k,175k,200k,250k,300k}
step_s=${BENCH_RELAY_STEP_S:-2}

export RLNS_PREFIX=rlt-brelay-$$
export RLNS_STATE
RLNS_STATE=$(mktemp -d /tmp/rlt-brelay.XXXXXX)
export RLNS_NO_BUILD=1 RLNS_NO_DEPS=1
. "$top_srcdir/lab.d/lib.sh"

pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    # lab_down removes the state directory: a copy is what is kept
    [ "${BENCH_KEEP:-0}" = 1 ] && cp -a "$RLNS_STATE" "$RLNS_STATE.kept" && echo "kept: $RLNS_STATE.kept"
    lab_down >/dev/null 2>&1
    rm -rf "$RLNS_STATE"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "bench-relay: needs root (network namespaces)" >&2; exit 2; }
lab_down >/dev/null 2>&1
mkdir -p "$RLNS_STATE"
lab_topology_up >/dev/null || { echo "bench-relay: cannot create the namespaces" >&2; exit 1; }
for part in redis broker lac; do
    lab_part_up "$part" >/dev/null || { echo "bench-relay: $part did not start" >&2; exit 1; }
done
lab_provision >/dev/null || exit 1
( exec ip netns exec "$LAB_NS_LNS2" "$top_builddir/tests/tools/lns_load" --bind "$LAB_LNS2_ADDR" \
    --secret load-l2tp-secret --host-name lns-load --echo ) > "$RLNS_STATE/lns_load.out" 2>&1 &
pids+=($!)
rc() { netns_exec "$LAB_NS_AAA" "$LAB_BIN_REALMCTL" --redis "$LAB_REDIS_URL" "$@" >/dev/null; }
rc realm add load.example --mode tunnel --policy preference &&
    rc lns add load.example a --endpoint "$LAB_LNS2_ADDR" --secret load-l2tp-secret --preference 1 \
        --assignment-id load-a || { echo "bench-relay: cannot provision load.example" >&2; exit 1; }
lac_pid=$(cat "$RLNS_STATE/lac/pid")

# The raw relay and its reflector, and the routes for kernel forwarding.
sub_addr=10.88.0.2 lac_sub_addr=10.88.0.1 lac_lns_addr=10.88.3.1 far=$LAB_LNS2_ADDR
( exec ip netns exec "$LAB_NS_LAC" "$top_builddir/tests/tools/udp_relay" --listen "$lac_sub_addr:9000" \
    --to "$far:9001" ) > "$RLNS_STATE/udp_relay.out" 2>&1 &
relay_pid=$!
pids+=($relay_pid)
( exec ip netns exec "$LAB_NS_LNS2" "$top_builddir/tests/tools/udp_relay" --reflect "$far:9001" ) \
    > "$RLNS_STATE/reflector.out" 2>&1 &
pids+=($!)
netns_exec "$LAB_NS_LAC" sysctl -q -w net.ipv4.ip_forward=1
netns_exec "$LAB_NS_SUB" ip route replace "${far%.*}.0/24" via "$lac_sub_addr"
netns_exec "$LAB_NS_LNS2" ip route replace "${sub_addr%.*}.0/24" via "$lac_lns_addr"
sleep 0.5

out=$RLNS_STATE/steps
: > "$out"
# run PATH SIZE: one lac-dial run over every step; its traffic lines go to $out
# prefixed with the path.
run() {
    local path=$1 size=$2 log=$RLNS_STATE/$1-$2.out
    case $path in
        lac-core)
            netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --pppoe pppoe-sub --user 'u{n}@load.example' --password x \
                --count "$sessions" --timeout 60 --traffic "$steps" --traffic-size "$size" \
                --traffic-s "$step_s" --cpu-pid "$lac_pid" > "$log" 2>&1 ;;
        raw-relay)
            netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --udp "$lac_sub_addr:9000" --traffic "$steps" \
                --traffic-size "$size" --traffic-s "$step_s" --cpu-pid "$relay_pid" > "$log" 2>&1 ;;
        kernel)
            netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --udp "$far:9001" --traffic "$steps" \
                --traffic-size "$size" --traffic-s "$step_s" > "$log" 2>&1 ;;
    esac
    grep '^traffic step=' "$log" | sed "s/^/$path /" >> "$out"
    [ "${BENCH_RELAY_VERBOSE:-0}" = 1 ] && grep '^traffic' "$log" >&2
    grep -q '^traffic step=' "$log" || { echo "bench-relay: $path $size produced no figures:" >&2; tail -n 5 "$log" >&2; }
}

printf 'bench-relay: %s PPPoE sessions for lac-core; steps %s pps, %s s each; load average %s\n' \
    "$sessions" "$steps" "$step_s" "$(cut -d' ' -f1-3 /proc/loadavg)"
for size in $sizes; do
    for path in lac-core raw-relay kernel; do
        run "$path" "$size"
    done
done

# best PATH SIZE: "pps cpu_us relay_cpu_pct" of the highest step with no loss (all steps before
# it may have lost: the highest clean one counts), or "0 - -".
best() {
    awk -v p="$1" -v s="$2" '
        $1 == p {
            for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            if (v["size"] == s && v["lost"] == 0 && v["received"] > 0 && v["offered_pps"] + 0 > best) {
                best = v["offered_pps"] + 0; cpu = v["relay_cpu_us_per_pkt"]; pct = v["relay_cpu_pct"]
            }
        }
        END { if (best) print best, cpu, pct; else print 0, "-", "-" }' "$out"
}
echo
printf '%-10s %6s %18s %12s %16s %14s\n' path size "no-loss pps" "vs raw" "relay us/pkt" "relay cpu %"
for size in $sizes; do
    read -r raw _ _ <<< "$(best raw-relay "$size")"
    for path in lac-core raw-relay kernel; do
        read -r pps cpu pct <<< "$(best "$path" "$size")"
        ratio=$(awk -v a="$pps" -v b="$raw" 'BEGIN { printf "%.2fx", (b > 0) ? a / b : 0 }')
        printf '%-10s %6s %18s %12s %16s %14s\n' "$path" "$size" "$pps" "$ratio" "$cpu" "$pct"
    done
done
echo
echo "no-loss pps: the highest offered rate (packets/s sent by the generator, each relayed twice:"
echo "to the far end and back) at which every packet came back. us/pkt: relay CPU per relayed"
echo "packet at that rate (sent + received). The generator, the relay and the far end share this"
echo "machine's $(nproc) cores."
printf 'lac-core counters: %s\n' "$(lac_ctl lac "$RLNS_STATE" show counters | grep -E '^(pppoe|l2tp) ' | tr '\n' ' ' | cut -c1-400)"
