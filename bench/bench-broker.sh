#!/bin/bash
# The broker benchmark (issues 2 and 10, "Benchmark"): one run, one Redis with
# the same data (bench/realms.json's corp.example plus BENCH_REALMS, default
# 20000, realms r0..rN-1.example with the same two LNS), one load generator
# (bench/radload), FreeRADIUS configurations producing the same reply (2 LNS,
# 14 tagged attributes), each started through lab.d/broker.sh without -X:
#   (a1)   rlm_realm_lns        vpdn-broker and the module file as shipped
#                               (realm table), all requests for corp.example
#   (a20k) rlm_realm_lns        the same, requests spread uniformly over the
#                               BENCH_REALMS realms (userN@r<N mod R>.example)
#   (a0)   rlm_realm_lns        table = no, cache_ttl = 0: one Redis round
#                               trip per request (spread like a20k)
#   (b)    unlang + %{redis:}   bench/sites/bench-redis-unlang (stock rlm_redis),
#                               spread like a20k
#   (c)    static files entry   bench/sites/bench-files + bench/users.static,
#                               spread like a20k (one regex entry)
# Prints one table: config, req/s, p50, p99, ratio to (c), and the
# propagation delay (p50/p99 of BENCH_PROPAGATE, default 50, down/up toggles
# of an LNS by realmctl, timed from the change's notification to the first
# reply of the a20k broker that shows it; broker-propagate.py).
#
# Everything runs in namespace rlt-bench on its loopback and is removed on exit.
# Environment: BENCH_COUNT (requests per measured round, default 40000),
# BENCH_ROUNDS (default 3; the median round is reported), BENCH_INFLIGHT
# (default 256), BENCH_MAX_SECONDS (per round, default 60), BENCH_KEEP=1 keeps
# the state directory (server logs) for a look afterwards. BENCH_PROFILE=1
# records the last round of (a20k) and (c) with `perf record` on their
# FreeRADIUS and prints, side by side, each library's share of that process's
# CPU (where a request's cost lies: the module's own code against
# FreeRADIUS's; those two rounds then include perf's cost).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/lab.d/lib.sh"

NS=rlt-bench
REDIS_PORT=6393
SECRET=bench-secret
COUNT=${BENCH_COUNT:-40000}
ROUNDS=${BENCH_ROUNDS:-3}
INFLIGHT=${BENCH_INFLIGHT:-256}
MAX_SECONDS=${BENCH_MAX_SECONDS:-60}
RADLOAD=$top_builddir/bench/radload
REALMCTL=$top_builddir/policy/realmctl/realmctl
REALMS=${BENCH_REALMS:-20000}
PROPAGATE=${BENCH_PROPAGATE:-50}

die() { echo "bench-broker: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespace)"
[ "${BENCH_PROFILE:-0}" != 1 ] || command -v perf >/dev/null || die "BENCH_PROFILE=1 needs perf (apt-get install linux-perf)"
[ -x "$RADLOAD" ] || die "bench/radload not built (make bench/radload)"
[ -x "$REALMCTL" ] || die "realmctl not built (make policy/realmctl/realmctl)"
[ -f "$top_builddir/rlm_realm_lns/.libs/rlm_realm_lns.so" ] || die "rlm_realm_lns not built (make)"
[ -f /usr/lib/freeradius/rlm_redis.so ] || die "rlm_redis missing: apt-get install freeradius-redis"
declare -F broker_start >/dev/null || die "lab.d/broker.sh (broker_start) is missing"

STATE=$(mktemp -d /tmp/rlt-bench.XXXXXX)
# Private copies: a concurrent `make` relinking the build tree's binaries
# must not break a round half-way.
mkdir -p "$STATE/bin"
cp "$RADLOAD" "$REALMCTL" "$STATE/bin/" || die "cannot copy the binaries"
RADLOAD=$STATE/bin/radload
REALMCTL=$STATE/bin/realmctl
cleanup() {
    netns_destroy "$NS" >/dev/null 2>&1
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench-broker: state kept in $STATE" >&2; else rm -rf "$STATE"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

netns_create "$NS" || die "cannot create namespace $NS"
redis_start redis "$NS" 127.0.0.1 "$REDIS_PORT" "$STATE" || die "redis did not start"
# corp.example and REALMS copies of it (same LNS, so the same reply)
/usr/bin/python3 -c '
import copy, json, sys
doc = json.load(open(sys.argv[1]))
corp = doc["realms"][0]
for i in range(int(sys.argv[2])):
    r = copy.deepcopy(corp)
    r["name"] = "r%d.example" % i
    doc["realms"].append(r)
print(json.dumps(doc))
' "$top_srcdir/bench/realms.json" "$REALMS" > "$STATE/realms.json" || die "cannot build the realm document"
netns_exec "$NS" "$REALMCTL" --redis "redis://127.0.0.1:$REDIS_PORT" import --replace-all \
    "$STATE/realms.json" >/dev/null || die "realmctl import failed"

# All four servers run at once, each on its own port (an idle FreeRADIUS
# costs nothing), and the rounds are interleaved a, a0, b, c, a, a0, ... so
# every configuration sees the same background load on a shared machine.
declare -A SITE=([a1]=vpdn-broker [a20k]=vpdn-broker [a0]=vpdn-broker
                 [b]=$top_srcdir/bench/sites/bench-redis-unlang
                 [c]=$top_srcdir/bench/sites/bench-files)
# (b)'s stock rlm_redis instance; lab.d/broker.sh points it at our Redis.
declare -A MODS=([a1]= [a20k]= [a0]= [b]=$top_srcdir/bench/mods/redis [c]=)
declare -A PORT=([a1]=1812 [a20k]=1822 [a0]=1815 [b]=1813 [c]=1814)
# (a0): no table, no cache (empty: the module file's default)
declare -A TABLE=([a1]= [a20k]= [a0]=no [b]= [c]=)
declare -A CACHE=([a1]= [a20k]= [a0]=0 [b]= [c]=)
# the user names: one realm, or every realm in turn
users() {
    if [ "$1" = a1 ]; then printf '%s\n' --user 'user%u@corp.example'
    else printf '%s\n' --user 'user%u@r%u.example' --realms "$REALMS"; fi
}
CONFIGS="a1 a20k a0 b c"

start_config() {
    local k=$1
    # No accounting listener: vpdn-broker's would take PORT+1, i.e. (b)'s port.
    BROKER_USERS_FILE=$top_srcdir/bench/users.static BROKER_ACCT_PORT=none \
        BROKER_EXTRA_MODS=${MODS[$k]} BROKER_CACHE_TTL=${CACHE[$k]} BROKER_TABLE=${TABLE[$k]} \
        broker_start "bench-$k" "$NS" 127.0.0.1 "${PORT[$k]}" "$SECRET" 127.0.0.0/8 \
        "redis://127.0.0.1:$REDIS_PORT" "$STATE" "${SITE[$k]}" || return 1
    # warm-up: thread pool and Redis connections up; its first reply is kept
    local -a u
    local i=0
    mapfile -t u < <(users "$k")
    # the realm table must be loaded before anything is measured
    while [ -z "${TABLE[$k]}" ] && [ "${SITE[$k]}" = vpdn-broker ] &&
          ! grep -q event=sync_loaded "$STATE/bench-$k/radius.out" 2>/dev/null; do
        i=$((i + 1)); [ $i -gt 300 ] && return 1; sleep 0.1
    done
    netns_exec "$NS" "$RADLOAD" --server "127.0.0.1:${PORT[$k]}" --secret "$SECRET" "${u[@]}" \
        --count 3000 --inflight "$INFLIGHT" --max-seconds 20 --expect-tunnels 2 --show-reply \
        > "$STATE/bench-$k.warmup" 2>&1
    : > "$STATE/bench-$k.rounds"
}

# round K R: one measured round of config K; appends "EXIT figures" to its rounds file
round() {
    local k=$1 r=$2
    local -a u
    local perf_pid= rc
    mapfile -t u < <(users "$k")
    if [ "${BENCH_PROFILE:-0}" = 1 ] && [ "$r" = "$ROUNDS" ] && { [ "$k" = a20k ] || [ "$k" = c ]; }; then
        perf record -q -F 999 -p "$(cat "$STATE/bench-$k/pid")" -o "$STATE/perf-$k.data" 2>/dev/null &
        perf_pid=$!
        sleep 0.5
    fi
    netns_exec "$NS" "$RADLOAD" --server "127.0.0.1:${PORT[$k]}" --secret "$SECRET" "${u[@]}" \
        --count "$COUNT" --inflight "$INFLIGHT" --max-seconds "$MAX_SECONDS" \
        --expect-tunnels 2 > "$STATE/bench-$k.round$r" 2>&1
    rc=$?
    [ -n "$perf_pid" ] && { kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null; }
    echo "$rc $(head -n 1 "$STATE/bench-$k.round$r")" >> "$STATE/bench-$k.rounds"
}

# profile K: "library percent" lines of config K's recorded round, by share
profile() {
    perf report -i "$STATE/perf-$1.data" --no-children --sort dso -g none --stdio 2>/dev/null |
        awk '/^ *[0-9.]+%/ { sub(/%/, "", $1); printf "%s %.1f\n", $2, $1 }'
}

# result K: "rps p50 p99" of the median round by req/s (failed rounds count as 0)
result() {
    awk '{ rps = 0; p50 = "-"; p99 = "-"
           for (i = 2; i <= NF; i++) { split($i, a, "=")
               if (a[1] == "rps") rps = a[2]; if (a[1] == "p50_ms") p50 = a[2]; if (a[1] == "p99_ms") p99 = a[2] }
           if ($1 != 0) rps = 0
           print rps, p50, p99 }' "$STATE/bench-$1.rounds" |
        sort -n | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2)'
}

declare -A LABEL=(
    [a1]="(a) rlm_realm_lns, 1 realm"
    [a20k]="(a) rlm_realm_lns, $REALMS realms"
    [a0]="(a0) no table, cache_ttl=0"
    [b]="(b) unlang %{redis:HGET} x11"
    [c]="(c) static files entry"
)
echo "bench-broker: $ROUNDS round(s) of $COUNT Access-Requests per config, $INFLIGHT in flight," \
     "$(nproc) CPU(s); please wait" >&2
for k in $CONFIGS; do
    start_config "$k" || die "config $k did not start; see $STATE (BENCH_KEEP=1 keeps it)"
done
for r in $(seq "$ROUNDS"); do
    for k in $CONFIGS; do
        round "$k" "$r"
    done
done
# Propagation: LNS lns1 of r1.example down/up, PROPAGATE times, by realmctl,
# timed from the notification to the a20k broker's first reply showing it.
TOGGLE=$STATE/toggle.sh
{
    echo '#!/bin/sh'
    echo "if [ -f $STATE/toggle.down ]; then rm -f $STATE/toggle.down; w=--up; else : > $STATE/toggle.down; w=--down; fi"
    echo "exec $REALMCTL --redis redis://127.0.0.1:$REDIS_PORT lns set r1.example lns1 \$w >/dev/null"
} > "$TOGGLE"
chmod +x "$TOGGLE"
netns_exec "$NS" /usr/bin/python3 "$top_srcdir/tests/integration/broker-propagate.py" "$SECRET" \
    u@r1.example without:10.88.2.2/accept:10.88.2.2 --broker "127.0.0.1:${PORT[a20k]}" \
    --redis "127.0.0.1:$REDIS_PORT" --rounds "$PROPAGATE" -- "$TOGGLE" > "$STATE/propagate.out" 2>&1
PROP=$(sed -n 's/.* p50_ms=\([^ ]*\) p99_ms=\([^ ]*\) max_ms=\([^ ]*\) n=\([0-9]*\).*/p50 \1 ms, p99 \2 ms, max \3 ms over \4 changes/p' "$STATE/propagate.out")
for k in $CONFIGS; do
    broker_stop "bench-$k" "$STATE"
done
# Where Redis spent its time (its single thread is shared by (a) and (b)).
redis_cli redis "$STATE" INFO commandstats 2>/dev/null | tr -d '\r' |
    sed -n 's/^cmdstat_\(evalsha\|hget\|hgetall\|smembers\):calls=\([0-9]*\),usec=[0-9]*,usec_per_call=\([0-9.]*\).*/\1 calls=\2 usec_per_call=\3/p' \
    > "$STATE/redis.stats"

# Every configuration must have produced the same verified reply.
ref=$(sed -n 's/^reply: //p' "$STATE/bench-c.warmup")
same=yes
for k in a1 a20k a0 b; do
    [ "$(sed -n 's/^reply: //p' "$STATE/bench-$k.warmup")" = "$ref" ] || same=no
done
[ -n "$ref" ] || same=no

crps=$(result c | cut -d' ' -f1)
printf '\n%-30s %10s %10s %10s %10s\n' config "req/s" "p50 ms" "p99 ms" "vs (c)"
for k in $CONFIGS; do
    read -r rps p50 p99 <<EOF
$(result "$k")
EOF
    ratio=$(awk -v a="$rps" -v c="$crps" 'BEGIN { if (c > 0) printf "%.2fx", a / c; else print "-" }')
    printf '%-30s %10s %10s %10s %10s\n' "${LABEL[$k]}" "$rps" "$p50" "$p99" "$ratio"
done
brps=$(result b | cut -d' ' -f1)
arps=$(result a20k | cut -d' ' -f1)
echo
# rounds are interleaved, so round r of each config saw the same background
# load: the ratio within a round is steadier than the ratio of medians
rrps() { sed -n 's/.* rps=\([0-9]*\).*/\1/p' "$STATE/bench-$1.rounds"; }
per_round=$(paste -d' ' <(rrps a20k) <(rrps c) <(rrps b) |
    awk '{ printf "%s%.2fx/%.1fx", (NR > 1 ? " " : ""), ($2 > 0 ? $1 / $2 : 0), ($3 > 0 ? $1 / $3 : 0) }')
echo "per round, (a) at $REALMS realms vs (c)/(b): $per_round"
echo "(a) at $REALMS realms vs (b): $(awk -v a="$arps" -v b="$brps" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }')"
echo "propagation of a provisioning change (realmctl lns set --down/--up, notification to the first reply showing it): ${PROP:-failed}"
echo "reply (all configs identical: $same): $ref"
echo "redis commands during the run: $(tr '\n' ';' < "$STATE/redis.stats")"
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
    echo "CPU of each FreeRADIUS by library in its last round (perf record; % of that process's samples):"
    printf '  %-28s %12s %12s\n' library "(a) $REALMS" "(c) files"
    LC_ALL=C join -a 1 -a 2 -e - -o 0,1.2,2.2 <(profile a20k | LC_ALL=C sort) <(profile c | LC_ALL=C sort) |
        sort -k2,2 -g -r | awk '{ printf "  %-28s %12s %12s\n", $1, $2, $3 }'
fi
for k in $CONFIGS; do
    echo "rounds $k:"
    sed 's/^/  exit=/' "$STATE/bench-$k.rounds"
done
failed=0
for k in $CONFIGS; do
    grep -qv '^0 ' "$STATE/bench-$k.rounds" && failed=1
done
[ "$same" = yes ] && [ $failed = 0 ] || {
    echo "bench-broker: some round lost, refused or mis-answered requests (see above)" >&2
    exit 1
}
