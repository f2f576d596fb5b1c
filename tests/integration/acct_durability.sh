#!/bin/bash
# Accounting survives a RADIUS outage and a kill -9 of lac-core (issue 9), with
# the real parts: lac-dial -> lac-core (on-disk spool) -> the broker's
# FreeRADIUS (detail files, per-LNS session counts in Redis) -> l2tpns. Own
# namespaces (rlt-adur-*), so it runs beside `lab up` and the other suites.
#
# 300 subscribers (150 tunnelled to the corp LNS, 150 terminated locally) come
# up and send Interim-Updates; the broker (the accounting server) is stopped;
# half of the subscribers hang up (their Stops can only go to the spool);
# lac-core is killed with -9 while the other half are still up; it is started
# again (it replays the spool and makes a NAS-Reboot Stop from the last
# interim for every session it lost, then Accounting-On); the broker returns.
# Checks: every session has exactly one Start and at least one Stop in the
# broker's detail files, every Stop carries a duration and counters no smaller
# than the session's last interim, the lost sessions' Stops say NAS-Reboot and
# come before Accounting-On, the broker's per-LNS counts are back to 0, lac-core
# has nothing left to send, and a new call works.
set -u
. "$(dirname "$0")/testlib.sh"
t_require_root

export RLNS_PREFIX=rlt-adur-$$
export RLNS_STATE
RLNS_STATE=$(mktemp -d /tmp/rlt-adur.XXXXXX)
export RLNS_NO_BUILD=1 RLNS_NO_DEPS=1
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/lab.d/lib.sh"

N_TUN=${ADUR_TUN:-150}
N_LOC=${ADUR_LOC:-150}
HALF_TUN=$((N_TUN / 2))
HALF_LOC=$((N_LOC / 2))
N=$((N_TUN + N_LOC))

dialers=()
# hangup PID: SIGTERM to a background dial (the subshell and the lac-dial it
# runs): lac-dial hangs up what is up (LCP Terminate, TCP close)
hangup() {
    local c
    c=$(pgrep -P "$1" 2>/dev/null)
    kill -TERM $c "$1" 2>/dev/null
}
cleanup() {
    local p
    for p in "${dialers[@]}"; do hangup "$p"; done
    [ "${RLNS_KEEP:-0}" = 1 ] && { echo "kept: RLNS_PREFIX=$RLNS_PREFIX RLNS_STATE=$RLNS_STATE"; return; }
    lab_down >/dev/null 2>&1
    rm -rf "$RLNS_STATE"
}
trap cleanup EXIT

lab_down >/dev/null 2>&1
mkdir -p "$RLNS_STATE"
users=$RLNS_STATE/lns-users
for n in $(seq 1 "$N_TUN"); do echo "t$n@corp.example t-pw"; done > "$users"

lab_topology_up || { t_fail "topology"; t_done; exit 1; }
t_check "start redis" lab_part_up redis
t_check "start broker" lab_part_up broker
t_check "start lns1" lns_start lns1 "$LAB_NS_LNS1" "$LAB_LNS1_ADDR" "$LAB_LNS1_SECRET" "$LAB_LNS1_POOL" \
    "$users" "$RLNS_STATE"
t_check "start lns2" lns_start lns2 "$LAB_NS_LNS2" "$LAB_LNS2_ADDR" "$LAB_LNS2_SECRET" "$LAB_LNS2_POOL" \
    "$users" "$RLNS_STATE"
spool=$RLNS_STATE/lac/spool
lac_up() {
    lac_config lac "$RLNS_STATE" STREAM_LISTEN="$LAB_LAC_STREAM" PPPOE_IF= \
        RADIUS_SERVER="$LAB_RADIUS_ADDR:$LAB_RADIUS_PORT" RADIUS_SECRET="$LAB_RADIUS_SECRET" \
        NAS_IP=10.88.1.2 HOST_NAME=lac1 ACCT_INTERIM=3 ACCT_SPOOL="$spool" &&
        lac_start lac "$LAB_NS_LAC" "$RLNS_STATE"
}
t_check "start lac-core with an accounting spool in $spool" lac_up
t_check "provision demo realms with realmctl" lab_provision

lacctl_() { lac_ctl lac "$RLNS_STATE" "$@"; }
counter() { lacctl_ show counters | grep "^$1 " | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
dial() { # dial NAME ARGS...: one lac-dial in the subscriber namespace, in the background
    local name=$1
    shift
    netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --connect "$LAB_LAC_STREAM" --timeout 60 "$@" \
        > "$RLNS_STATE/$name.out" 2>&1 &
    dialers+=($!)
}
ups() { cat "$@" 2>/dev/null | grep -c 'outcome=up'; }
# One line per detail paragraph of lac-core (NAS 10.88.1.2):
#   SESSION-ID STATUS CAUSE SESSION-TIME OUTPUT-OCTETS INPUT-OCTETS
records() {
    cat "$RLNS_STATE"/broker/radacct/10.88.1.2/detail-* 2>/dev/null | awk '
        function flush() { if (st != "") print (sid == "" ? "-" : sid), st, (cause == "" ? "-" : cause),
                                              t + 0, o + 0, i + 0; sid = st = cause = ""; t = o = i = 0 }
        /^[A-Z][a-z][a-z] / { flush(); next }
        $1 == "Acct-Session-Id" { sid = $3; gsub(/"/, "", sid) }
        $1 == "Acct-Status-Type" { st = $3 }
        $1 == "Acct-Terminate-Cause" { cause = $3 }
        $1 == "Acct-Session-Time" { t = $3 }
        $1 == "Acct-Output-Octets" { o = $3 }
        $1 == "Acct-Input-Octets" { i = $3 }
        END { flush() }'
}
n_with() { records | awk -v st="$1" '$2 == st { print $1 }' | sort -u | wc -l; }
lns_counts() { # the broker's per-LNS session counts, summed
    local k sum=0 v
    for k in $(redis_cli redis "$RLNS_STATE" --scan --pattern 'lns:*'); do
        v=$(redis_cli redis "$RLNS_STATE" HGET "$k" sessions)
        sum=$((sum + ${v:-0}))
    done
    echo "$sum"
}

# 1. 300 subscribers up, their Starts and an interim each recorded.
dial tun_hup --user 't{n}@corp.example' --password t-pw --count "$HALF_TUN" --first 1 --rate 50 --hold 600
dial tun_live --user 't{n}@corp.example' --password t-pw --count "$((N_TUN - HALF_TUN))" --first $((HALF_TUN + 1)) \
    --rate 50 --hold 600
dial loc_hup --user dave@local.example --password dave-pw --count "$HALF_LOC" --rate 50 --hold 600
dial loc_live --user dave@local.example --password dave-pw --count "$((N_LOC - HALF_LOC))" --rate 50 --hold 600
all_up() { [ "$(ups "$RLNS_STATE"/*.out)" -ge "$N" ]; }
t_check "$N subscribers came up" wait_until 120 all_up
t_eq "lac-core holds $N sessions" "$(lacctl_ show sessions | grep -c '^id=')" "$N"
starts_in() { [ "$(n_with Start)" -ge "$N" ]; }
t_check "the broker recorded $N Starts" wait_until 60 starts_in
interims_in() { [ "$(n_with Interim-Update)" -ge "$N" ]; }
t_check "and an Interim-Update of every session" wait_until 60 interims_in
counted=$(lns_counts)
t_eq "the broker counts the $N_TUN tunnelled sessions on their LNS" "$counted" "$N_TUN"

# 2. The accounting server stops; half of the subscribers hang up.
lab_part_down broker
hangup "${dialers[0]}"
hangup "${dialers[2]}"
wait "${dialers[0]}" "${dialers[2]}" 2>/dev/null
half_left() { [ "$(lacctl_ show sessions | grep -c '^id=')" = $((N - HALF_TUN - HALF_LOC)) ]; }
t_check "the $((HALF_TUN + HALF_LOC)) hung-up sessions ended" wait_until 60 half_left
pending=$(counter radius_acct pending)
t_check "their Stops wait in lac-core ($pending pending)" test "${pending:-0}" -ge $((HALF_TUN + HALF_LOC))
spooled=$(counter radius_acct_spool spooled)
t_check "every record went to the spool ($spooled)" test "${spooled:-0}" -ge $((2 * N))

# 3. kill -9 with the other half up; restart.
lac_pid=$(cat "$RLNS_STATE/lac/pid")
kill -9 "$lac_pid"
dead() { ! kill -0 "$lac_pid" 2>/dev/null; }
t_check "lac-core is killed with -9" wait_until 10 dead
hangup "${dialers[1]}"
hangup "${dialers[3]}"
rm -f "$RLNS_STATE/lac/lac.sock" "$RLNS_STATE/lac/pid"
t_check "lac-core starts again on the same spool" lac_up
open_line=$(grep 'event=acct_spool_open' "$RLNS_STATE/lac/lac-core.log" | tail -n 1)
t_check "it replays the spool: $open_line" grep -q "lost_sessions=$((N - HALF_TUN - HALF_LOC)) " <<<"$open_line "
t_eq "it made a Stop for each of the $((N - HALF_TUN - HALF_LOC)) lost sessions" \
    "$(counter radius_acct_spool lost_stops)" "$((N - HALF_TUN - HALF_LOC))"

# 4. The accounting server returns: everything arrives.
t_check "start broker again" lab_part_up broker
drained() { [ "$(counter radius_acct pending)" = 0 ]; }
t_check "lac-core delivered every record (pending 0)" wait_until 120 drained
recs=$(records)
t_eq "every session has exactly one Start" \
    "$(awk '$2 == "Start" { n[$1]++ } END { for (s in n) if (n[s] != 1) bad++; print length(n), bad + 0 }' <<<"$recs")" \
    "$N 0"
t_eq "every session has at least one Stop" \
    "$(awk '$2 == "Start" { s[$1] = 1 } $2 == "Stop" { p[$1] = 1 }
            END { for (x in s) if (!(x in p)) miss++; print miss + 0 }' <<<"$recs")" 0
t_eq "the lost sessions' Stops say NAS-Reboot" \
    "$(awk '$2 == "Stop" && $3 == "NAS-Reboot" { n[$1] = 1 } END { print length(n) }' <<<"$recs")" \
    "$((N - HALF_TUN - HALF_LOC))"
t_eq "every Stop has a duration and counters no smaller than the last interim" \
    "$(awk '$2 == "Interim-Update" { if ($4 > t[$1]) t[$1] = $4; if ($5 > o[$1]) o[$1] = $5 }
            $2 == "Stop" { if ($4 < t[$1] || $5 < o[$1]) bad++; if ($4 < 3) short++ }
            END { print bad + 0, short + 0 }' <<<"$recs")" "0 0"
last_stop=$(grep -n ' Stop NAS-Reboot ' <<<"$recs" | tail -n 1 | cut -d: -f1)
last_on=$(grep -n ' Accounting-On ' <<<"$recs" | tail -n 1 | cut -d: -f1)
t_check "Accounting-On (record $last_on) after the lost sessions' Stops (last $last_stop)" \
    test "${last_on:-0}" -gt "${last_stop:-999999}"
t_eq "the broker's per-LNS counts are back to 0" "$(lns_counts)" 0
t_eq "no spool record was refused or damaged" \
    "$(counter radius_acct_spool not_written) $(counter radius_acct_spool errors)" "0 0"

# 5. New calls work.
netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --connect "$LAB_LAC_STREAM" --timeout 30 --user dave@local.example \
    --password dave-pw > "$RLNS_STATE/after.out" 2>&1
t_check "a new call after the restart comes up" grep -q 'outcome=up' "$RLNS_STATE/after.out"
t_check "lac-core stops on SIGTERM" lac_stop lac "$RLNS_STATE"
t_done
