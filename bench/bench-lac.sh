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
# BENCH_LAC_CONFIGS picks rows (default all); rows wan-* reach l2tpns over a
# path with a round-trip time (BENCH_LAC_WAN_MS each way, tests/tools/udp_delay).
# Not a test: nothing is asserted about speed. Needs root (namespaces).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
count=${BENCH_LAC_COUNT:-200}
load_count=${BENCH_LAC_LOAD_COUNT:-2000}    # rows load-*: the load peer holds many more
# rows wan-*: every call needs about ten round trips of 20 ms whatever the
# tunnels, so a burst must be large enough that the window-bound rate, not
# that fixed latency, is what the round measures
wan_count=${BENCH_LAC_WAN_COUNT:-1000}
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
for part in redis broker lac; do
    lab_part_up "$part" >/dev/null || { echo "bench-lac: $part did not start" >&2; exit 1; }
done
# The lab's /24 LNS pools would fill when a round starts while l2tpns still
# closes the sessions of the one before (seen: "IP address pool is FULL", a
# round at 180/200): each bench LNS gets 4,094 addresses.
lns1_pool=${BENCH_LAC_LNS1_POOL:-10.78.0.0/20}
lns2_pool=${BENCH_LAC_LNS2_POOL:-10.78.16.0/20}
# Both l2tpns instances know the demo users, sam@spread.example (row
# tunnel-spread) and the users of the wide-area rows.
users=$RLNS_STATE/lns-users
{ cat "$LAB_DEMO/lns-users"; echo "sam@spread.example sam-pw"
  echo "wan@wan.example wan-pw"; echo "wan@wanspread.example wan-pw"; echo "wan@wanpool.example wan-pw"; } > "$users"
lns_start lns1 "$LAB_NS_LNS1" "$LAB_LNS1_ADDR" "$LAB_LNS1_SECRET" "$lns1_pool" "$users" "$RLNS_STATE" \
    >/dev/null || { echo "bench-lac: lns1 did not start" >&2; exit 1; }
lns_start lns2 "$LAB_NS_LNS2" "$LAB_LNS2_ADDR" "$LAB_LNS2_SECRET" "$lns2_pool" "$users" "$RLNS_STATE" \
    >/dev/null || { echo "bench-lac: lns2 did not start" >&2; exit 1; }
lab_provision || exit 1

# (d) the LNS load peer (tests/tools/lns_load) in lns2's namespace, on a
# second address beside l2tpns lns2, for realm load.example: what lac-core
# itself can do, with the same dialer and broker.
load_secret=load-l2tp-secret
load_addr=${LAB_LNS2_ADDR%.*}.3
netns_exec "$LAB_NS_LNS2" ip addr add "$load_addr/24" dev lac0 2>/dev/null
( exec ip netns exec "$LAB_NS_LNS2" "$top_builddir/tests/tools/lns_load" --bind "$load_addr" \
    --secret "$load_secret" --host-name lns-load ) > "$RLNS_STATE/lns_load.out" 2>&1 &
load_pid=$!
helper_pids=$load_pid
trap 'kill $helper_pids 2>/dev/null; lab_down >/dev/null 2>&1' EXIT
rc() { netns_exec "$LAB_NS_AAA" "$LAB_BIN_REALMCTL" --redis "$LAB_REDIS_URL" "$@" >/dev/null; }
rc realm add load.example --mode tunnel --policy preference &&
    rc lns add load.example a --endpoint "$load_addr" --secret "$load_secret" --preference 1 \
        --assignment-id load-a ||
    { echo "bench-lac: cannot provision load.example" >&2; exit 1; }
# (c) tunnel-spread: spread.example has both l2tpns instances 5 times each,
# every entry with its own Tunnel-Assignment-Id (RFC 2868 3.7: one tunnel per
# endpoint and Assignment-Id), all at preference 1, so the broker's shuffle of
# ties spreads the calls over 10 tunnels on two LNS.
# spread_realm REALM ID_PREFIX ADDR1 ADDR2: REALM with lns1 (at ADDR1) and
# lns2 (at ADDR2) five times each, Assignment-Ids ID_PREFIX-{1,2}-{1..5}
spread_realm() {
    local realm=$1 id=$2 a
    rc realm add "$realm" --mode tunnel --policy preference || return 1
    for a in 1 2 3 4 5; do
        rc lns add "$realm" "lns1-$a" --endpoint "$3" --secret "$LAB_LNS1_SECRET" \
            --preference 1 --assignment-id "$id-1-$a" &&
        rc lns add "$realm" "lns2-$a" --endpoint "$4" --secret "$LAB_LNS2_SECRET" \
            --preference 1 --assignment-id "$id-2-$a" || return 1
    done
}
spread_realm spread.example spread "$LAB_LNS1_ADDR" "$LAB_LNS2_ADDR" ||
    { echo "bench-lac: cannot provision spread.example" >&2; exit 1; }
# Wide-area rows: the same l2tpns instances behind tests/tools/udp_delay,
# which holds every datagram BENCH_LAC_WAN_MS (one way) in each direction, on
# a second address in each LNS's namespace (.5), so that lac-core reaches the
# LNS over a path with a round-trip time, as across a carrier's backbone
# (this kernel has no netem). An L2TP tunnel then moves at most the LNS's
# receive window (l2tpns: 4 messages) per round trip: (b') wan-tunnel is
# realm wan.example, one entry, one tunnel; (c') wan-spread is
# wanspread.example, each delayed LNS 5 times with its own Assignment-Id;
# wan-pool is wan.example with lac-core's tunnel pool allowed 10 tunnels.
wan_ms=${BENCH_LAC_WAN_MS:-10}
wan1_addr=${LAB_LNS1_ADDR%.*}.5 wan2_addr=${LAB_LNS2_ADDR%.*}.5
for w in "$LAB_NS_LNS1 $wan1_addr $LAB_LNS1_ADDR wan1" "$LAB_NS_LNS2 $wan2_addr $LAB_LNS2_ADDR wan2"; do
    set -- $w
    netns_exec "$1" ip addr add "$2/24" dev lac0 2>/dev/null
    ( exec ip netns exec "$1" "$top_builddir/tests/tools/udp_delay" --listen "$2:1701" --to "$3:1701" \
        --bind "$2" --delay-ms "$wan_ms" ) > "$RLNS_STATE/udp_delay-$4.out" 2>&1 &
    wan_pids="${wan_pids:-} $!"
done
helper_pids="$helper_pids $wan_pids"
# wanpool.example: wan.example's LNS under its own Assignment-Id, so that the
# pool row's tunnels (they linger 10 s after their last call) are never
# joined by wan-tunnel's calls, nor wan-tunnel's by the pool's (RFC 2868 3.7)
rc realm add wan.example --mode tunnel --policy preference &&
    rc lns add wan.example lns1 --endpoint "$wan1_addr" --secret "$LAB_LNS1_SECRET" --preference 1 &&
    rc realm add wanpool.example --mode tunnel --policy preference &&
    rc lns add wanpool.example lns1 --endpoint "$wan1_addr" --secret "$LAB_LNS1_SECRET" --preference 1 \
        --assignment-id wan-pool &&
    spread_realm wanspread.example wan "$wan1_addr" "$wan2_addr" ||
    { echo "bench-lac: cannot provision the wide-area realms" >&2; exit 1; }
lac_pid=$(cat "$RLNS_STATE/lac/pid")
# lac_pool_size N: [l2tp] tunnels_per_lns = N in the running lac-core (a
# reload applies it, lac.conf(5) RELOAD), for row wan-pool: wan.example's one
# LNS entry, the pool opening tunnels while the window is what holds calls back
lac_conf=$RLNS_STATE/lac/lac.conf
lac_pool_size() {
    sed -i '/^tunnels_per_lns = /d' "$lac_conf"
    sed -i "s/^\[l2tp\]\$/[l2tp]\ntunnels_per_lns = $1/" "$lac_conf"
    local n0
    n0=$(grep -c 'event=reloaded' "$RLNS_STATE/lac/lac-core.log")
    kill -HUP "$lac_pid"
    for _ in $(seq 50); do
        [ "$(grep -c 'event=reloaded' "$RLNS_STATE/lac/lac-core.log")" -gt "$n0" ] && return 0
        sleep 0.1
    done
    echo "bench-lac: lac-core did not reload tunnels_per_lns = $1" >&2
    exit 1
}
# lac-core's CPU time in ns, the scheduler's own sum over its threads
# (/proc/PID/task/*/schedstat): utime+stime in /proc/PID/stat counts the same
# time in 10 ms ticks, too coarse for a 200-call round (50 us per setup).
ns_per_s=1000000000
cpu_ns() { cat /proc/"$lac_pid"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f\n", s }'; }

# dial_round NAME ARGS...: one round; prints "up elapsed_ms p50 p95 cpu_us"
# (cpu_us: lac-core CPU time from /proc (schedstat) over the round, per session up; it
# includes the hang-up of each session)
dial_round() {
    local name=$1 out c0 c1 n=$count
    shift
    case $name in load-*) n=$load_count ;; wan-*) n=$wan_count ;; esac
    c0=$(cpu_ns)
    netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --count "$n" --timeout 60 "$@" > "$RLNS_STATE/$name.dial" 2>/dev/null
    out=$(grep '^summary' "$RLNS_STATE/$name.dial")
    [ -n "${BENCH_LAC_KEEP:-}" ] && mkdir -p "$BENCH_LAC_KEEP" &&
        cp "$RLNS_STATE/$name.dial" "$BENCH_LAC_KEEP/$name.round$(($(wc -l < "$RLNS_STATE/$name.rounds" 2>/dev/null || echo 0) + 1)).dial"
    c1=$(cpu_ns)
    echo "$(lab_kv "$out" up) $(lab_kv "$out" elapsed_ms) $(lab_kv "$out" setup_ms_p50) $(lab_kv "$out" setup_ms_p95)" \
        "$(awk -v d=$((c1 - c0)) -v hz="$ns_per_s" -v n="$(lab_kv "$out" up)" 'BEGIN { printf "%.0f", n ? d * 1e6 / hz / n : 0 }')" \
        "$n" >> "$RLNS_STATE/$name.rounds"
}

configs=${BENCH_LAC_CONFIGS:-local-stream tunnel-stream tunnel-pppoe tunnel-spread wan-tunnel wan-spread wan-pool load-stream load-pppoe}
wanted() { case " $configs " in *" $1 "*) return 0 ;; esac; return 1; }
for r in $(seq "$rounds"); do
    for c in $configs; do
        case $c in
        local-stream) dial_round "$c" --connect "$LAB_LAC_STREAM" --user dave@local.example --password dave-pw ;;
        tunnel-stream) dial_round "$c" --connect "$LAB_LAC_STREAM" --user alice@corp.example --password alice-pw ;;
        tunnel-pppoe) dial_round "$c" --pppoe pppoe-sub --user alice@corp.example --password alice-pw ;;
        tunnel-spread) dial_round "$c" --pppoe pppoe-sub --user sam@spread.example --password sam-pw ;;
        wan-tunnel) dial_round "$c" --pppoe pppoe-sub --user wan@wan.example --password wan-pw ;;
        wan-spread) dial_round "$c" --pppoe pppoe-sub --user wan@wanspread.example --password wan-pw ;;
        wan-pool) lac_pool_size 10
                  dial_round "$c" --pppoe pppoe-sub --user wan@wanpool.example --password wan-pw
                  lac_pool_size 1 ;;
        load-stream) dial_round "$c" --connect "$LAB_LAC_STREAM" --user 'u{n}@load.example' --password x ;;
        load-pppoe) dial_round "$c" --pppoe pppoe-sub --user 'u{n}@load.example' --password x ;;
        *) echo "bench-lac: no configuration $c (BENCH_LAC_CONFIGS)" >&2; exit 2 ;;
        esac
    done
done

printf '\nlac-core session setup, %s subscribers dialled at once (load-*: %s, wan-*: %s), median of %s rounds (bench/bench-lac.sh)\n' \
    "$count" "$load_count" "$wan_count" "$rounds"
# the ratio column: against local-stream when it ran, else against the first row run
base_row=local-stream
wanted "$base_row" || base_row=${configs%% *}
vs="vs $base_row"
[ "$base_row" = local-stream ] && vs="vs local"
printf '%-15s %8s %12s %10s %10s %10s %12s\n' config up sessions/s p50_ms p95_ms "$vs" cpu_us/setup
for c in $configs; do
    # median round by sessions/s: "rate up p50 p95 cpu_us n"
    awk '{ rate = ($2 > 0) ? $1 * 1000 / $2 : 0; printf "%.1f %s %s %s %s %s\n", rate, $1, $3, $4, $5, $6 }' \
        "$RLNS_STATE/$c.rounds" | sort -n | awk -v n="$rounds" 'NR == int((n + 1) / 2)' > "$RLNS_STATE/$c.mline"
    cut -d' ' -f1 "$RLNS_STATE/$c.mline" > "$RLNS_STATE/$c.median"
done
base=$(cat "$RLNS_STATE/$base_row.median")
for c in $configs; do
    set -- $(cat "$RLNS_STATE/$c.mline")
    ratio=$(awk -v a="$1" -v b="$base" 'BEGIN { printf "%.2fx", (b > 0) ? a / b : 0 }')
    printf '%-15s %8s %12s %10s %10s %10s %12s\n' "$c" "$2/$6" "$1" "$3" "$4" "$ratio" "$5"
done
echo "sessions/s of every round, in order:"
for c in $configs; do
    printf '  %-13s %s\n' "$c" "$(awk '{ printf "%s%.1f", (NR > 1 ? " " : ""), ($2 > 0 ? $1 * 1000 / $2 : 0) }' \
        "$RLNS_STATE/$c.rounds")"
done
echo
echo "local-stream: lac-core answers CHAP after RADIUS and runs IPCP itself (the baseline);"
echo "tunnel-*: lac-core opens an L2TP session per subscriber to l2tpns, which renegotiates"
echo "LCP, re-authenticates with its own RADIUS and assigns the address (one tunnel)."
ratio_of() { awk 'NR == FNR { a = $1; next } { printf "%.2fx", (a > 0) ? $1 / a : 0 }' \
    "$RLNS_STATE/$1.median" "$RLNS_STATE/$2.median"; }
wanted tunnel-spread && wanted tunnel-pppoe &&
    echo "tunnel-spread: PPPoE as tunnel-pppoe, spread over 10 tunnels on two l2tpns instances (5" &&
    echo "    Tunnel-Assignment-Ids each, all at preference 1): $(ratio_of tunnel-pppoe tunnel-spread) tunnel-pppoe"
echo "    tunnels lac-core opened in all: $(lac_ctl lac "$RLNS_STATE" show counters | grep '^l2tp ' | tr ' ' '\n' | sed -n 's/^tunnels_opened=//p')"
echo "wan-* ($wan_count subscribers): PPPoE tunnelled to the same l2tpns instances through"
echo "    tests/tools/udp_delay, $wan_ms ms each way; wan-tunnel: one tunnel to lns1; wan-spread: 10"
wanted wan-tunnel && wanted wan-spread &&
    echo "    tunnels on both (5 Assignment-Ids each): $(ratio_of wan-tunnel wan-spread) wan-tunnel"
wanted wan-tunnel && wanted wan-pool &&
    echo "    wan-pool: lns1 as wan-tunnel (realm wanpool.example), lac-core reloaded with [l2tp] tunnels_per_lns = 10 (the pool" &&
    echo "    opens tunnels to lns1 while the window holds calls back): $(ratio_of wan-tunnel wan-pool) wan-tunnel"
kill -INT $wan_pids 2>/dev/null; wait $wan_pids 2>/dev/null
for w in wan1 wan2; do echo "    udp_delay $w: $(tail -n 1 "$RLNS_STATE/udp_delay-$w.out")"; done
echo "load-*: tunnelled to tests/tools/lns_load (LCP, CHAP, IPCP through lac-core's PPP engine,"
echo "receive window 4096): the LAC's own limit with the same dialer and broker."
echo "cpu_us/setup: lac-core CPU time (/proc/PID/task/*/schedstat, ns) per session, setup and hang-up, median round."
# UDP datagrams the kernel dropped at a full socket, per namespace (what the
# LNS or lac-core could not read in time: a lost L2TP message costs a
# retransmission, a lost PPP frame a PPP restart, 3 s at l2tpns)
rcvbuf_errors() { netns_exec "$1" cat /proc/net/snmp | awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ { print $6 }'; }
echo "UDP receive-buffer drops (RcvbufErrors) in all rounds: lac-core's namespace $(rcvbuf_errors "$LAB_NS_LAC")," \
    "lns1's $(rcvbuf_errors "$LAB_NS_LNS1"), lns2's (and lns_load's) $(rcvbuf_errors "$LAB_NS_LNS2")"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
kill "$load_pid" 2>/dev/null; wait "$load_pid" 2>/dev/null
# BENCH_LAC_KEEP=DIR: lac-core's and the LNS's logs are copied there for a look afterwards
if [ -n "${BENCH_LAC_KEEP:-}" ]; then
    mkdir -p "$BENCH_LAC_KEEP" && cp "$RLNS_STATE/lac/lac-core.log" "$RLNS_STATE"/lns1/l2tpns.log \
        "$RLNS_STATE"/*.rounds "$BENCH_LAC_KEEP/" 2>/dev/null
    lac_ctl lac "$RLNS_STATE" show counters > "$BENCH_LAC_KEEP/lac-counters.txt" 2>&1
    for n in "$LAB_NS_LAC" "$LAB_NS_LNS1" "$LAB_NS_LNS2" "$LAB_NS_SUB"; do
        echo "== $n"; netns_exec "$n" cat /proc/net/snmp | grep '^Udp:'
    done > "$BENCH_LAC_KEEP/udp-snmp.txt" 2>&1
fi
echo "lns_load: $(tail -n 1 "$RLNS_STATE/lns_load.out")"
