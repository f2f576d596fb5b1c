#!/bin/bash
# lac-core under valgrind memcheck through a bounded storm, with the real
# broker, Redis and two l2tpns (own namespaces rlt-memck-*, beside a running lab).
#
# 150 subscribers at once (100 over stream access, 50 over PPPoE) in three
# realms (tunnelled to lns1, terminated locally, rejected); half of the
# established ones hang up by themselves, the others are cut by `lacctl
# disconnect`; lns1 is killed while sessions are relayed to it (they go down,
# the local ones stay); Redis is stopped (the broker without serve_stale:
# new dials fail, established ones
# stay); then SIGTERM. Checks: valgrind reports no error and no definite leak,
# and lac-core's counters add up (sessions_created == sessions_destroyed).
set -u
. "$(dirname "$0")/testlib.sh"
t_require_root
command -v valgrind >/dev/null || { echo "skip: valgrind is not installed (lab.d/packages.txt)"; exit 77; }

export RLNS_PREFIX=rlt-memck-$$
export RLNS_STATE
RLNS_STATE=$(mktemp -d /tmp/rlt-memck.XXXXXX)
export RLNS_NO_BUILD=1 RLNS_NO_DEPS=1
# Step 3 exercises lac-core on refused calls: without serve_stale the broker
# answers by fail_mode (reject) while Redis is down (kill9.sh covers serve_stale).
export BROKER_SERVE_STALE=no
export RLNS_LAC_WRAPPER="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
--track-fds=no --num-callers=30 --log-file=%d/valgrind.%p.log"
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/lab.d/lib.sh"

dialers=()
cleanup() {
    local p
    for p in "${dialers[@]}"; do kill "$p" 2>/dev/null; done
    [ "${RLNS_KEEP:-0}" = 1 ] && { echo "kept: RLNS_PREFIX=$RLNS_PREFIX RLNS_STATE=$RLNS_STATE"; return; }
    lab_down >/dev/null 2>&1
    rm -rf "$RLNS_STATE"
}
trap cleanup EXIT

lab_down >/dev/null 2>&1
mkdir -p "$RLNS_STATE"
# The LNS refuses a second session of one user, so every tunnelled
# subscriber gets its own name.
users=$RLNS_STATE/lns-users
for n in $(seq 1 200); do echo "t$n@corp.example t-pw"; done > "$users"

lab_topology_up || { t_fail "topology"; t_done; exit 1; }
t_check "start redis" lab_part_up redis
t_check "start broker" lab_part_up broker
t_check "start lns1" lns_start lns1 "$LAB_NS_LNS1" "$LAB_LNS1_ADDR" "$LAB_LNS1_SECRET" "$LAB_LNS1_POOL" \
    "$users" "$RLNS_STATE"
t_check "start lns2" lns_start lns2 "$LAB_NS_LNS2" "$LAB_LNS2_ADDR" "$LAB_LNS2_SECRET" "$LAB_LNS2_POOL" \
    "$users" "$RLNS_STATE"
t_check "start lac-core under valgrind" lab_part_up lac
lac_pid=$(cat "$RLNS_STATE/lac/pid" 2>/dev/null)
t_check "provision demo realms with realmctl" lab_provision

lacctl_() { lac_ctl lac "$RLNS_STATE" "$@"; }
counter() { lacctl_ show counters | grep -o "\\b$1=[0-9]*" | head -n 1 | cut -d= -f2; }
n_state() { lacctl_ show sessions | grep -c " state=$1 "; }
# dial NAME ARGS...: one lac-dial in the subscriber namespace, in the background
dial() {
    local name=$1
    shift
    local via=(--connect "$LAB_LAC_STREAM")
    case " $* " in *" --pppoe "*) via=() ;; esac
    netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" "${via[@]}" --timeout 60 "$@" > "$RLNS_STATE/$name.out" 2>&1 &
    dialers+=($!)
}
ups() { grep -c 'outcome=up' "$RLNS_STATE/$1.out"; }
# wait_until SECONDS CMD...: polls CMD every half second

# 1. The storm: 100 over stream, 50 over PPPoE, all at once.
dial s_tun_hup --user 't{n}@corp.example' --password t-pw --count 30 --first 1 --rate 50 --hold 20
dial s_tun_cut --user 't{n}@corp.example' --password t-pw --count 20 --first 31 --rate 50 --hold 600
dial s_loc_hup --user dave@local.example --password dave-pw --count 20 --rate 50 --hold 20
dial s_loc_cut --user dave@local.example --password dave-pw --count 20 --rate 50 --hold 600
dial s_rej --user 'x{n}@blocked.example' --password x --count 10 --rate 50 --expect rejected
dial p_tun_hup --pppoe pppoe-sub --user 't{n}@corp.example' --password t-pw --count 25 --first 101 \
    --rate 50 --hold 20
dial p_loc_cut --pppoe pppoe-sub --user dave@local.example --password dave-pw --count 25 --first 201 \
    --rate 50 --hold 600
# the hanging-up and rejected dialers end by themselves
for i in 0 2 4 5; do wait "${dialers[$i]}"; done
# Every subscriber dialling as the tunnel comes up: the engine paces the
# ICRQs to the tunnel's control queue, so none fails with "cannot send ICRQ".
t_eq "30 tunnelled stream subscribers came up and hung up" "$(ups s_tun_hup)" 30
t_eq "20 local stream subscribers came up and hung up" "$(ups s_loc_hup)" 20
t_eq "25 tunnelled PPPoE subscribers came up and hung up" "$(ups p_tun_hup)" 25
t_eq "10 rejected subscribers were rejected" "$(grep -c 'outcome=rejected' "$RLNS_STATE/s_rej.out")" 10
held_tun=$(ups s_tun_cut)
t_eq "20 held tunnelled stream subscribers are up" "$held_tun" 20
t_eq "20 held local stream subscribers are up" "$(ups s_loc_cut)" 20
t_eq "25 held local PPPoE subscribers are up" "$(ups p_loc_cut)" 25
only_held() { [ "$(lacctl_ show sessions | grep -c '^id=')" = $((45 + held_tun)) ]; }
t_check "lac-core holds exactly the $((45 + held_tun)) held sessions" wait_until 30 only_held
t_eq "$held_tun of them relayed to lns1" "$(lacctl_ show sessions | grep ' state=relay ' | grep -c ' lns=10.88.2.2 ')" \
    "$held_tun"

# 2. lns1 dies: its sessions go down, the local ones stay.
lab_pid_stop "$RLNS_STATE/lns1/l2tpns.pid" 30
no_relay() { [ "$(n_state relay)" = 0 ]; }
t_check "every session relayed to lns1 went down" wait_until 90 no_relay
t_eq "the 45 local sessions stay" "$(n_state local)" 45
wait "${dialers[1]}"
t_eq "lac-dial saw the $held_tun tunnelled sessions end" "$(grep -c 'event=down' "$RLNS_STATE/s_tun_cut.out")" \
    "$held_tun"

# 3. Redis stops: new dials fail, established sessions stay.
redis_stop redis "$RLNS_STATE"
sleep 2 # past the broker's cache_ttl
netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --connect "$LAB_LAC_STREAM" --timeout 30 --user 't{n}@corp.example' \
    --password t-pw --count 5 --first 150 > "$RLNS_STATE/s_noredis.out" 2>&1
t_eq "no dial comes up while Redis is down" "$(grep -c 'outcome=up' "$RLNS_STATE/s_noredis.out")" 0
t_eq "the 45 local sessions still stay" "$(n_state local)" 45

# 4. lacctl disconnect the stream sessions; the PPPoE ones stay for SIGTERM.
for id in $(lacctl_ show sessions | sed -n 's/^id=\([0-9]*\) .* access=stream .*/\1/p'); do
    lacctl_ disconnect "$id" >/dev/null
done
only_pppoe() { [ "$(lacctl_ show sessions | grep -c '^id=')" = 25 ] && [ "$(counter sessions)" = 25 ]; }
t_check "lacctl disconnect ended every stream session" wait_until 60 only_pppoe
wait "${dialers[3]}"
t_eq "lac-dial saw the 20 local stream sessions end" "$(grep -c 'event=down' "$RLNS_STATE/s_loc_cut.out")" 20
created=$(counter sessions_created)
destroyed=$(counter sessions_destroyed)
t_check "sessions created ($created) >= 155" test "${created:-0}" -ge 155
t_eq "sessions_created == sessions_destroyed + the 25 live ones" "$created" "$((destroyed + 25))"

# 5. SIGTERM with 25 live PPPoE sessions, then valgrind's verdict.
created_final=$(counter sessions_created)
lac_stop lac "$RLNS_STATE"
wait "$lac_pid" 2>/dev/null
rc=$?
t_eq "lac-core (under valgrind) exited 0 after SIGTERM" "$rc" 0
wait "${dialers[6]}"
dialers=()
t_eq "lac-dial saw the 25 PPPoE sessions end at shutdown" "$(grep -c 'event=down' "$RLNS_STATE/p_loc_cut.out")" 25
t_eq "lac-core sent 25 Stops with cause NAS-Reboot" "$(grep -c 'event=session_end .* acct=stop cause=nas-reboot' \
    "$RLNS_STATE/lac/lac-core.log")" 25
# one info line per session: its event=session_end
t_eq "lac-core ended every session it created" "$created_final" \
    "$(grep -c 'event=session_end ' "$RLNS_STATE/lac/lac-core.log")"
vlog=$(ls "$RLNS_STATE"/lac/valgrind.*.log 2>/dev/null | head -n 1)
t_check "valgrind wrote a report" test -s "$vlog"
t_check "valgrind: ERROR SUMMARY 0 errors" grep -q 'ERROR SUMMARY: 0 errors' "$vlog"
t_check "valgrind: no definite leak" grep -Eq 'definitely lost: 0 bytes|All heap blocks were freed' "$vlog"
if ! grep -q 'ERROR SUMMARY: 0 errors' "$vlog" 2>/dev/null; then
    sed -n '1,200p' "$vlog" >&2
fi
t_done
