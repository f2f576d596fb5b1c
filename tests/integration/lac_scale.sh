#!/bin/bash
# lac-core holding thousands of sessions, and giving the memory back (a leak
# test, not a timing): with the real broker and Redis (own namespaces
# rlt-scale-*), SCALE_STREAM (10000) locally terminated subscribers over stream
# access and SCALE_PPPOE (2000) over PPPoE are dialled by lac-dial and held at
# once; all must come up. Then every one hangs up; all must be torn down
# (lac-core holds no session, created == destroyed, no unexpected event), and
# lac-core's RSS must come back to within SCALE_RSS_SLACK_KB (16384) of what
# it was before the first subscriber (it grows by tens of MB while they are
# held), and every session's accounting Start and Stop must have been
# answered, none dropped. The figures (RSS per held session) are printed,
# not asserted.
set -u
. "$(dirname "$0")/testlib.sh"
t_require_root

n_stream=${SCALE_STREAM:-10000}
n_pppoe=${SCALE_PPPOE:-2000}
slack_kb=${SCALE_RSS_SLACK_KB:-16384}

export RLNS_PREFIX=rlt-scale-$$
export RLNS_STATE
RLNS_STATE=$(mktemp -d /tmp/rlt-scale.XXXXXX)
export RLNS_NO_BUILD=1 RLNS_NO_DEPS=1
export RLNS_LAC_LOCAL_POOL=10.66.0.0/16
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/lab.d/lib.sh"

dialers=()
cleanup() {
    local p
    for p in "${dialers[@]}"; do kill "$p" 2>/dev/null; done
    [ "${RLNS_KEEP:-0}" = 1 ] && { echo "kept: RLNS_PREFIX=$RLNS_PREFIX RLNS_STATE=$RLNS_STATE"; return; }
    for p in "${dialers[@]}"; do kill -9 "$p" 2>/dev/null; done
    lab_down >/dev/null 2>&1
    rm -rf "$RLNS_STATE"
}
trap cleanup EXIT

# one fd per stream subscriber, in lac-core and in lac-dial
lab_raise_nofile $((n_stream + 2048))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((n_stream + 1024)) ]; then
    echo "skip: open-file limit $(ulimit -n) is below $((n_stream + 1024))"
    exit 77
fi

lab_down >/dev/null 2>&1
mkdir -p "$RLNS_STATE"
lab_topology_up >/dev/null || { t_fail "topology"; t_done; exit 1; }
netns_exec "$LAB_NS_SUB" sysctl -q -w net.ipv4.ip_local_port_range="1024 65535"
t_check "start redis" lab_part_up redis
t_check "start broker" lab_part_up broker
t_check "start lac-core" lab_part_up lac
t_check "provision demo realms" lab_provision
lac_pid=$(cat "$RLNS_STATE/lac/pid" 2>/dev/null)

counter() { lac_ctl lac "$RLNS_STATE" show counters | grep -o "\\b$1=[0-9]*" | head -n 1 | cut -d= -f2; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$lac_pid/status"; }
# wait_until SECONDS CMD...: polls CMD every half second
held_is() { [ "$(counter sessions)" = "$1" ]; }

sleep 1
rss0=$(rss_kb)
# exec: $! is lac-dial, which hangs up everything on SIGTERM. Offered at a
# rate a loaded 2-core machine keeps up with: the lab's RADIUS timeout is 2 s.
up_is() { [ "$(counter local_up)" = "$1" ]; }
( exec ip netns exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --connect "$LAB_LAC_STREAM" --user dave@local.example \
    --password dave-pw --count "$n_stream" --rate "${SCALE_RATE:-800}" --hold 100000 --timeout 120 ) \
    > "$RLNS_STATE/stream.out" 2> "$RLNS_STATE/stream.err" &
dialers+=($!)
t_check "all $n_stream stream sessions up" wait_until $((n_stream / 100 + 120)) up_is "$n_stream"
( exec ip netns exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --pppoe pppoe-sub --user dave@local.example \
    --password dave-pw --count "$n_pppoe" --rate "${SCALE_RATE:-800}" --hold 100000 --timeout 120 ) \
    > "$RLNS_STATE/pppoe.out" 2> "$RLNS_STATE/pppoe.err" &
dialers+=($!)
total=$((n_stream + n_pppoe))
t_check "and all $n_pppoe PPPoE sessions up beside them" wait_until $((n_pppoe / 100 + 120)) up_is "$total"
t_eq "no RADIUS failure" "$(counter aaa_fail)" 0
t_eq "and held" "$(counter sessions)" "$total"
sleep 1
rss_held=$(rss_kb)
echo "# lac-core RSS: start ${rss0} KiB, $total held ${rss_held} KiB" \
     "($(awk -v a="$rss_held" -v b="$rss0" -v n="$total" 'BEGIN { printf "%.2f", (a - b) / n }') KiB per session)"

for p in "${dialers[@]}"; do kill -TERM "$p" 2>/dev/null; done
for p in "${dialers[@]}"; do wait "$p" 2>/dev/null; done
dialers=()
t_check "all torn down" wait_until 120 held_is 0
t_eq "stream dialer saw every session up" "$(grep -o 'summary count=[0-9]* up=[0-9]*' "$RLNS_STATE/stream.out")" \
    "summary count=$n_stream up=$n_stream"
t_eq "PPPoE dialer saw every session up" "$(grep -o 'summary count=[0-9]* up=[0-9]*' "$RLNS_STATE/pppoe.out")" \
    "summary count=$n_pppoe up=$n_pppoe"
t_eq "sessions created == destroyed" "$(counter sessions_destroyed)" "$(counter sessions_created)"
t_eq "no unexpected event" "$(counter unexpected_events)" 0
# freed memory goes back to the system within seconds (lac-core checks every 3 s)
rss_back() { [ "$(rss_kb)" -le $((rss0 + slack_kb)) ]; }
wait_until 20 rss_back
rss1=$(rss_kb)
echo "# lac-core RSS after teardown ${rss1} KiB (start ${rss0} KiB, bound +${slack_kb} KiB)"
if [ "$rss1" -le $((rss0 + slack_kb)) ]; then
    t_ok "RSS after teardown within ${slack_kb} KiB of the start"
else
    t_fail "RSS after teardown within ${slack_kb} KiB of the start" "start=$rss0 held=$rss_held after=$rss1"
fi
# Accounting is never lost: every session's Start and Stop, the Stops of the
# whole teardown in one burst, are answered by the broker, none dropped for
# want of queue room (the default queue holds two records per session the
# configuration admits).
acct() { lac_ctl lac "$RLNS_STATE" show counters | sed -n 's/^radius_acct .*\b'"$1"'=\([0-9]*\).*/\1/p'; }
acct_drained() { [ "$(acct pending)" = 0 ]; }
t_check "accounting drained" wait_until 120 acct_drained
t_eq "accounting Starts" "$(acct starts)" "$total"
t_eq "accounting Stops" "$(acct stops)" "$total"
t_eq "no Start or Stop dropped for queue room" "$(acct dropped_other)" 0
# queued also holds lac-core's Accounting-On
t_eq "every accounting record answered" "$(acct responses)" "$(acct queued)"
echo "# accounting: $(lac_ctl lac "$RLNS_STATE" show counters | grep '^radius_acct ')"
t_check "lac-core still answers" lac_ctl lac "$RLNS_STATE" show counters
t_done
