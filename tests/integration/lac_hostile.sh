#!/bin/bash
# Hostile stream subscribers against the real lac-core (issue 8), with the real
# broker, Redis and l2tpns (own namespaces rlt-host-*). lac-core runs under
# valgrind memcheck, or, with RLNS_LAC_ASAN=1 and RLNS_LAC_BIN naming the
# ASan/UBSan build (tests/integration/lac_asan.sh), under its sanitizers; any
# report fails.
#
#  1. 800 connections: a burst of LCP Configure-Requests with a closed
#     receive window, then a TCP reset (the use-after-free of issue 8 item 1);
#  2. slowloris: a byte every half second; lac-core's LCP gives up by itself;
#  3. a flood beyond the per-source fd budget ([stream]
#     max_connections_per_source = 64): the rest are refused, none spins;
#  4. a subscriber answering one challenge with two names, then renegotiating
#     LCP and answering the new challenge as someone else: the identity RADIUS
#     accepted stays (lacctl), the session is ended;
#  5. afterwards a tunnelled and a local subscriber still come up.
set -u
. "$(dirname "$0")/testlib.sh"
t_require_root

export RLNS_PREFIX=rlt-host-$$
export RLNS_STATE
RLNS_STATE=$(mktemp -d /tmp/rlt-host.XXXXXX)
export RLNS_NO_BUILD=1 RLNS_NO_DEPS=1
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
# lac-core drops root to nobody here: sanitizer reports go to a directory it
# can still write
asan_dir=$(mktemp -d /tmp/rlt-host-asan.XXXXXX)
chmod 1777 "$asan_dir"
if [ "${RLNS_LAC_ASAN:-0}" = 1 ]; then
    checker=sanitizers
    export ASAN_OPTIONS="log_path=$asan_dir/asan:detect_leaks=0:abort_on_error=0"
    export UBSAN_OPTIONS="log_path=$asan_dir/asan:print_stacktrace=1:halt_on_error=1"
else
    command -v valgrind >/dev/null || { echo "skip: valgrind is not installed (lab.d/packages.txt)"; exit 77; }
    checker=valgrind
    export RLNS_LAC_WRAPPER="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
--track-fds=no --num-callers=30 --log-file=%d/valgrind.%p.log"
fi
# short PPP timers so abandoned links end fast; HOSTILE_CONF replaces them
# (e.g. to run an older lac-core that lacks the [stream] budget keys)
export RLNS_LAC_EXTRA_CONF=${HOSTILE_CONF-'[lac]
user = nobody
group = nogroup
[ppp]
restart_ms = 500
max_configure = 4
auth_timeout_s = 5
[stream]
max_connections_per_source = 64'}
. "$top/lab.d/lib.sh"
tool=$top/tests/tools/hostile_sub.py

cleanup() {
    [ "${RLNS_KEEP:-0}" = 1 ] && { echo "kept: RLNS_PREFIX=$RLNS_PREFIX RLNS_STATE=$RLNS_STATE"; return; }
    lab_down >/dev/null 2>&1
    rm -rf "$RLNS_STATE" "$asan_dir"
}
trap cleanup EXIT

lab_down >/dev/null 2>&1
mkdir -p "$RLNS_STATE"
users=$RLNS_STATE/lns-users
for n in $(seq 1 13); do echo "t$n@corp.example t-pw"; done > "$users"

lab_topology_up || { t_fail "topology"; t_done; exit 1; }
t_check "start redis" lab_part_up redis
t_check "start broker" lab_part_up broker
t_check "start lns1" lns_start lns1 "$LAB_NS_LNS1" "$LAB_LNS1_ADDR" "$LAB_LNS1_SECRET" "$LAB_LNS1_POOL" \
    "$users" "$RLNS_STATE"
t_check "start lac-core ($checker)" lab_part_up lac
lac_pid=$(cat "$RLNS_STATE/lac/pid" 2>/dev/null)
t_check "provision demo realms with realmctl" lab_provision
# issue 8 item 6: no root, no capability, control socket for root only
status=$(cat "/proc/$lac_pid/status" 2>/dev/null)
t_check "lac-core runs as nobody" bash -c 'awk "/^Uid:/ {exit !(\$2 == \$3 && \$2 == $(id -u nobody))}" <<<"$1"' _ "$status"
t_check "lac-core keeps no capability" grep -Eq '^CapEff:[[:space:]]+0+$' <<<"$status"
t_check "lac-core logged the drop" grep -q 'event=privileges_dropped user=nobody' "$RLNS_STATE/lac/lac-core.log"
t_check "the control socket is mode 0660" test "$(stat -c %a "$RLNS_STATE/lac/lac.sock")" = 660
t_check "lacctl as another user is refused" bash -c '! setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$1" -s "$2" show counters >/dev/null 2>&1' _ "$(lac_bin lacctl)" "$RLNS_STATE/lac/lac.sock"

lacctl_() { lac_ctl lac "$RLNS_STATE" "$@"; }
n_sessions() { lacctl_ show sessions | grep -c '^id='; }
no_sessions() { [ "$(n_sessions)" = 0 ]; }
field() { grep -o "\\b$1=[0-9a-z_]*" <<<"$2" | head -n 1 | cut -d= -f2; }
hostile() { netns_exec "$LAB_NS_SUB" /usr/bin/python3 "$tool" "$@"; }
target=${LAB_LAC_STREAM#tcp:}

# 1. LCP bursts, closed window, reset
out=$(hostile burst "$target" 800 50 30)
t_eq "800 bursting subscribers connected and reset ($out)" "$(field connections "$out")" 800
t_check "lac-core is alive after the bursts" kill -0 "$lac_pid"
t_check "every bursting session was cleaned up" wait_until 90 no_sessions

# 2. slowloris
out=$(hostile slowloris "$target" 40 10)
t_eq "lac-core closed all 40 slowloris connections by itself ($out)" "$(field closed_by_lac "$out")" 40
t_check "no slowloris session is left" wait_until 30 no_sessions

# 3. flood beyond the per-source budget
out=$(hostile flood "$target" 300 6)
served=$(field served "$out")
refused=$(field refused "$out")
t_check "at most 64 of 300 connections from one source were served ($out)" test "${served:-999}" -le 64
t_check "the others were refused at once, not left hanging ($out)" test "${refused:-0}" -ge 200
t_check "no flood session is left" wait_until 60 no_sessions
budget=$(lacctl_ show counters | grep '^stream_budget ')
t_check "lac-core counted the refusals ($budget)" test "$(field refused_per_source "$budget")" -ge 200

# 4. two answers to one challenge, then LCP renegotiation as someone else
export HOSTILE_PAUSE=3
hostile renegotiate "$target" dave@local.example dave-pw mallory@local.example > "$RLNS_STATE/reneg.out" 2>&1 &
reneg=$!
first_done() { grep -q 'step=first_auth' "$RLNS_STATE/reneg.out"; }
wait_until 30 first_done
t_check "the first authentication succeeded" grep -q 'step=first_auth result=success' "$RLNS_STATE/reneg.out"
rows=$(lacctl_ show sessions)
t_check "lacctl shows the identity RADIUS accepted" grep -q 'user=dave@local.example state=local' <<<"$rows"
t_check "lacctl never shows the second answer's name" bash -c '! grep -q mallory <<<"$1"' _ "$rows"
wait "$reneg"
t_check "renegotiating as another user ends the session ($(cat "$RLNS_STATE/reneg.out" | tail -n 1))" \
    grep -Eq 'step=reauth result=(terminated|closed)' "$RLNS_STATE/reneg.out"
t_check "lac-core refused the identity change" grep -q 'event=identity_change_refused' "$RLNS_STATE/lac/lac-core.log"
t_check "that session is gone" wait_until 30 no_sessions
t_check "it ended with the accepted identity" \
    grep -q 'event=session_end user=dave@local.example decision=local' "$RLNS_STATE/lac/lac-core.log"
t_check "no session ever carried the other name" bash -c '! grep -q "session_end user=mallory" "$1"' _ \
    "$RLNS_STATE/lac/lac-core.log"

# 5. ordinary subscribers still come up
dial() {
    netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --connect "$LAB_LAC_STREAM" --timeout 60 "$@" 2>&1
}
t_check "a tunnelled subscriber still comes up" grep -q outcome=up <<<"$(dial --user t13@corp.example --password t-pw)"
# issue 8 item 7: in bursts of 3 calls the LNS's data often beats the ack of
# our ICCN; the relay must still show (and account) the engine's ids
relay_rows=$RLNS_STATE/relay-rows
: > "$relay_rows"
for b in 0 1 2 3; do
    dial --user 't{n}@corp.example' --password t-pw --count 3 --first $((b * 3 + 1)) --rate 100 --hold 4 \
        > "$RLNS_STATE/burst$b.out" &
    dialer=$!
    three_up() { [ "$(lacctl_ show sessions | grep -c ' state=relay ')" -ge 3 ]; }
    wait_until 30 three_up
    lacctl_ show sessions | grep ' state=relay ' >> "$relay_rows"
    wait "$dialer"
    wait_until 30 no_sessions
done
t_eq "12 tunnelled calls in bursts of 3 came up" "$(cat "$RLNS_STATE"/burst*.out | grep -c outcome=up)" 12
t_check "lacctl showed 12 relayed rows" test "$(wc -l < "$relay_rows")" -ge 12
t_check "no relayed row shows tid=0 or sid=0" bash -c '! grep -Eq " (tid|sid)=0 " "$1"' _ "$relay_rows"
t_check "no tunnelled session ended with tid=0" \
    bash -c '! grep "event=session_end .*decision=tunnel" "$1" | grep -q " tid=0 "' _ "$RLNS_STATE/lac/lac-core.log"
t_check "a local subscriber still comes up" grep -q outcome=up <<<"$(dial --user dave@local.example --password dave-pw)"
t_check "every session ended" wait_until 30 no_sessions

# the checker's verdict
lac_stop lac "$RLNS_STATE"
wait "$lac_pid" 2>/dev/null
rc=$?
t_eq "lac-core ($checker) exited 0 after SIGTERM" "$rc" 0
if [ "$checker" = valgrind ]; then
    vlog=$(ls "$RLNS_STATE"/lac/valgrind.*.log 2>/dev/null | head -n 1)
    t_check "valgrind wrote a report" test -s "$vlog"
    t_check "valgrind: ERROR SUMMARY 0 errors" grep -q 'ERROR SUMMARY: 0 errors' "$vlog"
    t_check "valgrind: no definite leak" grep -Eq 'definitely lost: 0 bytes|All heap blocks were freed' "$vlog"
    grep -q 'ERROR SUMMARY: 0 errors' "$vlog" 2>/dev/null || sed -n '1,200p' "$vlog" >&2
else
    reports=$(ls "$asan_dir"/asan.* 2>/dev/null)
    t_check "no ASan/UBSan report" test -z "$reports"
    [ -z "$reports" ] || head -n 100 $reports >&2
fi
t_done
