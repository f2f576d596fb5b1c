#!/bin/bash
# kill -9 of each part under load, one at a time, each with its outcome
# checked (issue 9). Real parts: two brokers (FreeRADIUS + rlm_realm_lns) on
# one Redis, two l2tpns, lac-core with both brokers in its radcli
# configuration and an accounting spool. Own namespaces (rlt-kill-*).
#
# 1. the first broker, while calls are being set up: lac-core fails over to the
#    second, every call comes up, accounting goes there;
# 2. the LNS the tunnelled sessions are on: they end with Acct-Terminate-Cause
#    Lost-Service, new calls go to the next LNS of the realm;
# 3. Redis: the brokers answer new calls from their synchronised realm
#    tables (serve_stale, the default; fail_mode without it is
#    broker_sync.sh's), established sessions stay, their Stops during the outage are recorded, and
#    once Redis is back (and provisioned) new calls work;
# 4. lac-core: restarted on its spool, it sends a NAS-Reboot Stop for each
#    session it lost, then Accounting-On, and new calls work.
set -u
. "$(dirname "$0")/testlib.sh"
t_require_root

export RLNS_PREFIX=rlt-kill-$$
export RLNS_STATE
RLNS_STATE=$(mktemp -d /tmp/rlt-kill.XXXXXX)
export RLNS_NO_BUILD=1 RLNS_NO_DEPS=1
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/lab.d/lib.sh"
N=${KILL_SUBSCRIBERS:-40}

dialers=()
hangup() { local c; c=$(pgrep -P "$1" 2>/dev/null); kill -TERM $c "$1" 2>/dev/null; }
cleanup() {
    local p
    for p in "${dialers[@]}"; do hangup "$p"; done
    [ "${RLNS_KEEP:-0}" = 1 ] && { echo "kept: RLNS_PREFIX=$RLNS_PREFIX RLNS_STATE=$RLNS_STATE"; return; }
    declare -F broker_stop >/dev/null && broker_stop broker2 "$RLNS_STATE" >/dev/null 2>&1
    lab_down >/dev/null 2>&1
    rm -rf "$RLNS_STATE"
}
trap cleanup EXIT

lab_down >/dev/null 2>&1
mkdir -p "$RLNS_STATE"
users=$RLNS_STATE/lns-users
for n in $(seq 1 $((N * 2))); do echo "t$n@corp.example t-pw"; done > "$users"
lab_topology_up || { t_fail "topology"; t_done; exit 1; }
t_check "start redis" lab_part_up redis
t_check "start broker" lab_part_up broker
broker2_up() {
    BROKER_USERS_FILE=$LAB_DEMO/carrier-users broker_start broker2 "$LAB_NS_AAA" "$LAB_RADIUS_ADDR" 1822 \
        "$LAB_RADIUS_SECRET" 10.88.1.0/24 "$LAB_REDIS_URL" "$RLNS_STATE"
}
t_check "start a second broker on the same Redis (10.88.1.1:1822)" broker2_up
t_check "start lns1" lns_start lns1 "$LAB_NS_LNS1" "$LAB_LNS1_ADDR" "$LAB_LNS1_SECRET" "$LAB_LNS1_POOL" \
    "$users" "$RLNS_STATE"
t_check "start lns2" lns_start lns2 "$LAB_NS_LNS2" "$LAB_LNS2_ADDR" "$LAB_LNS2_SECRET" "$LAB_LNS2_POOL" \
    "$users" "$RLNS_STATE"
lac_up() {
    lac_config lac "$RLNS_STATE" STREAM_LISTEN="$LAB_LAC_STREAM" PPPOE_IF= \
        RADIUS_SERVER="$LAB_RADIUS_ADDR:$LAB_RADIUS_PORT" RADIUS_SERVER2="$LAB_RADIUS_ADDR:1822" \
        RADIUS_SECRET="$LAB_RADIUS_SECRET" NAS_IP=10.88.1.2 HOST_NAME=lac1 ACCT_INTERIM=3 \
        ACCT_SPOOL="$RLNS_STATE/lac/spool" && lac_start lac "$LAB_NS_LAC" "$RLNS_STATE"
}
t_check "start lac-core with both brokers and a spool" lac_up
t_check "provision demo realms with realmctl" lab_provision

lacctl_() { lac_ctl lac "$RLNS_STATE" "$@"; }
counter() { lacctl_ show counters | grep "^$1 " | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
dial() { # dial NAME ARGS...: lac-dial in the background
    local name=$1
    shift
    netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --connect "$LAB_LAC_STREAM" --timeout 60 "$@" \
        > "$RLNS_STATE/$name.out" 2>&1 &
    dialers+=($!)
}
ups() { grep -c 'outcome=up' "$RLNS_STATE/$1.out" 2>/dev/null; }
outcomes() { grep -c 'outcome=' "$RLNS_STATE/$1.out" 2>/dev/null; }
# SESSION-ID STATUS CAUSE per detail paragraph of lac-core, both brokers
records() {
    cat "$RLNS_STATE"/broker*/radacct/10.88.1.2/detail-* 2>/dev/null | awk '
        function flush() { if (st != "") print (sid == "" ? "-" : sid), st, (cause == "" ? "-" : cause)
                           sid = st = cause = "" }
        /^[A-Z][a-z][a-z] / { flush(); next }
        $1 == "Acct-Session-Id" { sid = $3; gsub(/"/, "", sid) }
        $1 == "Acct-Status-Type" { st = $3 }
        $1 == "Acct-Terminate-Cause" { cause = $3 }
        END { flush() }'
}
sids_of() { lacctl_ show sessions | grep "$1" | tr ' ' '\n' | sed -n 's/^acct_session_id=//p'; }
# n_recorded STATUS [CAUSE] < SIDS: how many of those sessions have such a record
n_recorded() {
    local r
    r=$(records)
    awk -v st="$1" -v c="${2:-}" 'NR == FNR { want[$1] = 1; next }
        $2 == st && (c == "" || $3 == c) && ($1 in want) { got[$1] = 1 }
        END { print length(got) }' - <(echo "$r")
}
kill9() { kill -9 "$(cat "$1")" 2>/dev/null; rm -f "$1"; }

# 1. The first broker dies while N calls are being set up.
dial loc --user dave@local.example --password dave-pw --count "$N" --rate 20 --hold 600
sleep 0.5
kill9 "$RLNS_STATE/broker/pid"
loc_done() { [ "$(outcomes loc)" -ge "$N" ]; }
wait_until 90 loc_done
t_eq "broker 1 killed mid-burst: all $N calls came up" "$(ups loc)" "$N"
t_check "lac-core failed over to the second broker ($(counter radius failovers) failovers)" \
    test "$(counter radius failovers)" -gt 0
loc_sids=$(sids_of 'user=dave@local.example ')
starts_in() { [ "$(n_recorded Start <<<"$loc_sids")" -ge "$N" ]; }
t_check "their Starts were recorded (by the second broker)" wait_until 60 starts_in
t_check "broker 1 starts again" lab_part_up broker

# 2. The LNS of the tunnelled sessions dies.
dial tun --user 't{n}@corp.example' --password t-pw --count "$N" --first 1 --rate 20 --hold 600
tun_done() { [ "$(outcomes tun)" -ge "$N" ]; }
wait_until 90 tun_done
t_eq "$N tunnelled calls came up" "$(ups tun)" "$N"
t_eq "all on lns1 (preference 1)" "$(lacctl_ show sessions | grep ' state=relay ' | grep -c ' lns=10.88.2.2 ')" "$N"
tun_sids=$(sids_of ' lns=10.88.2.2 ')
kill9 "$RLNS_STATE/lns1/l2tpns.pid"
no_lns1() { [ "$(lacctl_ show sessions | grep -c ' lns=10.88.2.2 ')" = 0 ]; }
t_check "lns1 killed: its $N sessions end" wait_until 120 no_lns1
stops_in() { [ "$(n_recorded Stop <<<"$tun_sids")" -ge "$N" ]; }
t_check "their Stops were recorded" wait_until 60 stops_in
t_eq "...with Acct-Terminate-Cause Lost-Service" "$(n_recorded Stop Lost-Service <<<"$tun_sids")" "$N"
dial tun2 --user 't{n}@corp.example' --password t-pw --count 10 --first $((N + 1)) --rate 20 --hold 600
tun2_done() { [ "$(outcomes tun2)" -ge 10 ]; }
wait_until 120 tun2_done
t_eq "new calls come up" "$(ups tun2)" 10
on_lns2() { [ "$(lacctl_ show sessions | grep ' state=relay ' | grep -c ' lns=10.88.3.2 ')" = 10 ]; }
if wait_until 20 on_lns2; then
    t_ok "...on lns2, the next LNS of the realm"
else
    t_fail "...on lns2, the next LNS of the realm" "$(lacctl_ show sessions | grep -v ' lns=10.88.3.2 ' | head -n 5)"
fi

# 3. Redis dies.
kill9 "$RLNS_STATE/redis/pid"
sleep 2 # past the brokers' lookup cache
netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --connect "$LAB_LAC_STREAM" --timeout 30 --user 't{n}@corp.example' \
    --password t-pw --count 3 --first $((N + 20)) > "$RLNS_STATE/noredis.out" 2>&1
t_eq "Redis killed: new calls are answered from the brokers' synchronised tables (serve_stale)" \
    "$(ups noredis)" 3
noredis_users="user=t($((N + 20))|$((N + 21))|$((N + 22)))@"
t_eq "established sessions stay" "$(lacctl_ show sessions | grep '^id=' | grep -Evc "$noredis_users")" $((N + 10))
hangup "${dialers[0]}"
loc_gone() { [ "$(lacctl_ show sessions | grep -c 'user=dave@local.example ')" = 0 ]; }
t_check "the $N local subscribers hang up" wait_until 60 loc_gone
loc_stops() { [ "$(n_recorded Stop <<<"$loc_sids")" -ge "$N" ]; }
t_check "their Stops during the outage are recorded" wait_until 60 loc_stops
t_check "Redis starts again" lab_part_up redis
t_check "and is provisioned again" lab_provision
sleep 2
netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --connect "$LAB_LAC_STREAM" --timeout 30 --user dave@local.example \
    --password dave-pw > "$RLNS_STATE/redis_back.out" 2>&1
t_eq "after Redis returns a new call comes up" "$(ups redis_back)" 1

# 4. lac-core dies with 10 sessions on lns2.
kill9 "$RLNS_STATE/lac/pid"
sleep 0.5
hangup "${dialers[2]}"
rm -f "$RLNS_STATE/lac/lac.sock"
t_check "lac-core killed with -9 starts again on its spool" lac_up
t_check "it made NAS-Reboot Stops for the 10 sessions it lost" \
    grep -q 'event=acct_spool_open .* lost_sessions=10$' "$RLNS_STATE/lac/lac-core.log"
lost_in() { [ "$(records | awk '$2 == "Stop" && $3 == "NAS-Reboot"' | wc -l)" -ge 10 ]; }
t_check "the broker recorded them" wait_until 90 lost_in
on_after() {
    local r
    r=$(records)
    [ "$(grep -n ' Accounting-On ' <<<"$r" | tail -n 1 | cut -d: -f1)" -gt \
      "$(grep -n ' Stop NAS-Reboot' <<<"$r" | tail -n 1 | cut -d: -f1)" ]
}
t_check "then Accounting-On" wait_until 30 on_after
netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --connect "$LAB_LAC_STREAM" --timeout 60 --user 't{n}@corp.example' \
    --password t-pw --first $((N + 30)) > "$RLNS_STATE/after.out" 2>&1
t_eq "a new tunnelled call works after the restart" "$(ups after)" 1
t_check "lac-core stops on SIGTERM" lac_stop lac "$RLNS_STATE"
t_done
