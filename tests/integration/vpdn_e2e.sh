#!/bin/bash
# End to end, real parts only: lac-dial -> lac-core -> FreeRADIUS with
# rlm_realm_lns and Redis -> Debian's l2tpns (two LNS, each with its own
# FreeRADIUS verifying the enterprise's users), over stream access and PPPoE.
# The lab is started through the lab's own functions (lab.d/), as a second lab
# with its own namespaces (rlt-e2e-*) so it runs beside a running `lab up`.
#
# Checks (issue 4): a VPDN subscriber gets an address from the LNS pool and a
# ping to the LNS answers; a local subscriber gets its Framed-IP-Address and
# reaches lac-core's TUN gateway; rejected ones get CHAP Failure with the
# broker's Reply-Message; a subscriber whose first LNS is dead lands on the
# second, and the dead-cache sends the next one there directly; lacctl
# disconnect clears the session on the LNS too; hanging up clears it as well;
# tshark finds nothing malformed in the L2TP traffic.
set -u
. "$(dirname "$0")/testlib.sh"
t_require_root

export RLNS_PREFIX=rlt-e2e-$$
export RLNS_STATE
RLNS_STATE=$(mktemp -d /tmp/rlt-e2e.XXXXXX)
export RLNS_NO_BUILD=1 RLNS_NO_DEPS=1
# a dead LNS is skipped for this long, then used again (checked in 7): by
# lac-core's dead-cache, and by the broker, which lac-core's Tunnel-Link-Reject
# told (shared LNS health)
export RLNS_LAC_DEAD_HOLD_DOWN=20 BROKER_HEALTH_HOLD=20
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/lab.d/lib.sh"

cleanup() {
    [ -n "${cap_pid:-}" ] && kill "$cap_pid" 2>/dev/null
    # RLNS_KEEP=1 leaves the test's lab up for a post-mortem (lab_down it by hand)
    [ "${RLNS_KEEP:-0}" = 1 ] && { echo "kept: RLNS_PREFIX=$RLNS_PREFIX RLNS_STATE=$RLNS_STATE"; return; }
    lab_down >/dev/null 2>&1
}
trap cleanup EXIT

lab_down >/dev/null 2>&1
mkdir -p "$RLNS_STATE"
lab_topology_up || { t_fail "topology"; t_done; exit 1; }
for part in redis broker lns1 lns2 lac; do
    if why=$(lab_part_built "$part"); then
        t_check "start $part" lab_part_up "$part"
    else
        t_fail "start $part" "$why"
    fi
done
t_check "provision demo realms with realmctl" lab_provision

# Capture every L2TP datagram the LAC exchanges, for tshark at the end.
cap=$RLNS_STATE/l2tp.pcapng
ip netns exec "$LAB_NS_LAC" dumpcap -q -i lns1 -i lns2 -f 'udp port 1701' -w "$cap" >/dev/null 2>&1 &
cap_pid=$!
sleep 1

dial() { # dial ARGS... : lac-dial in the subscriber namespace, stream access unless --pppoe given
    local via=(--connect "$LAB_LAC_STREAM")
    case " $* " in *" --pppoe "*) via=() ;; esac
    netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" "${via[@]}" --timeout 45 "$@" 2>&1
}
field() { lab_kv "$(printf '%s\n' "$1" | grep -m1 'outcome=')" "$2"; }
in_net() { # in_net ADDR PREFIX24
    case "$1" in "$2".*) return 0 ;; *) return 1 ;; esac
}
lacctl_() { lac_ctl lac "$RLNS_STATE" "$@"; }
lacctl_quiet() { lacctl_ "$@" >/dev/null; }

# 1. VPDN subscriber over stream access: tunnelled to lns1 (preference 1).
out=$(dial --user alice@corp.example --password alice-pw --ping 10.88.2.2)
t_eq "alice@corp.example is up" "$(field "$out" outcome)" up
t_check "alice got an address from lns1's pool (10.77.1.0/24): $(field "$out" addr)" in_net "$(field "$out" addr)" 10.77.1
t_eq "ping from alice to the LNS answers through the tunnel" "$(field "$out" ping)" ok

# 2. The same subscriber, held up: lac-core and l2tpns agree on the session.
dial --user carol@corp.example --password carol-pw --hold 60 > "$RLNS_STATE/carol.out" &
carol_pid=$!
for i in $(seq 50); do grep -q outcome= "$RLNS_STATE/carol.out" && break; sleep 0.2; done
carol_addr=$(field "$(cat "$RLNS_STATE/carol.out")" addr)
lacline=$(lacctl_ show sessions | grep -m1 'user=carol@corp.example ')
t_eq "lacctl shows carol relayed" "$(lab_kv "$lacline" state)" relay
t_eq "lacctl shows carol on lns1" "$(lab_kv "$lacline" lns)" 10.88.2.2
lnsline=$(lns_sessions lns1 "$RLNS_STATE" | awk '$4 == "carol@corp.example"')
t_check "l2tpns lns1 has carol's session at $carol_addr" test -n "$lnsline"
t_eq "l2tpns assigned the address lac-dial reports" "$(echo "$lnsline" | awk '{print $5}')" "$carol_addr"
t_eq "l2tpns's session id is the one lac-core recorded as peer sid" \
    "$(echo "$lnsline" | awk '{print $1}')" "$(lab_kv "$lacline" peer_sid)"

# 3. lacctl disconnect: CDN to the LNS, LCP Terminate to the subscriber.
t_check "lacctl disconnect answers ok" lacctl_quiet disconnect "$(lab_kv "$lacline" id)"
wait "$carol_pid" 2>/dev/null
t_check "carol's lac-dial saw the link go down" grep -q 'event=down' "$RLNS_STATE/carol.out"
sleep 1
# l2tpns lists a cleared session for a while with address 0.0.0.0
t_eq "l2tpns lns1 cleared carol's session" \
    "$(lns_sessions lns1 "$RLNS_STATE" | awk '$4 == "carol@corp.example" && $5 != "0.0.0.0"' | wc -l)" 0

# 3b. A burst of calls on one tunnel: more ICRQs than the LNS's receive window
# (l2tpns: 4) and than the engine once queued per tunnel (64) all get through.
out=$(dial --user alice@corp.example --password alice-pw --count 80 | grep '^summary')
t_eq "80 simultaneous VPDN subscribers on one tunnel all come up" "$(lab_kv "$out" up)" 80

# 4. Local realm: terminated by lac-core with the broker's Framed-IP-Address.
out=$(dial --user bob@local.example --password bob-pw --ping 10.66.0.1)
t_eq "bob@local.example is up" "$(field "$out" outcome)" up
t_eq "bob got his Framed-IP-Address" "$(field "$out" addr)" 10.66.0.10
t_eq "ping from bob to lac-core's TUN gateway answers" "$(field "$out" ping)" ok
out=$(dial --user dave@local.example --password dave-pw)
t_check "dave (no Framed-IP-Address) got a pool address: $(field "$out" addr)" in_net "$(field "$out" addr)" 10.66.0

# 5. Rejections: a rejected realm, and a wrong carrier password.
out=$(dial --user eve@blocked.example --password x --expect rejected)
t_eq "eve@blocked.example is rejected" "$(field "$out" outcome)" rejected
t_check "eve sees the broker's Reply-Message" grep -q 'not served here' <<<"$out"
out=$(dial --user bob@local.example --password wrong --expect rejected)
t_eq "bob with a wrong password is rejected" "$(field "$out" outcome)" rejected

# 6. PPPoE access (RFC 2516) on the veth pair: the same VPDN call.
out=$(dial --pppoe pppoe-sub --user alice@corp.example --password alice-pw --ping 10.88.2.2)
t_eq "alice over PPPoE is up" "$(field "$out" outcome)" up
t_check "alice over PPPoE got a 10.77.1.0/24 address: $(field "$out" addr)" in_net "$(field "$out" addr)" 10.77.1
t_eq "ping over PPPoE answers" "$(field "$out" ping)" ok
out=$(dial --pppoe pppoe-sub --user bob@local.example --password bob-pw)
t_eq "bob over PPPoE gets his Framed-IP-Address" "$(field "$out" addr)" 10.66.0.10

# 7. Failover: lns1's l2tpns dies; the next VPDN subscriber lands on lns2.
lab_pid_stop "$RLNS_STATE/lns1/l2tpns.pid"
before=$(lacctl_ show counters | grep -o 'tunnel_failover=[0-9]*' | cut -d= -f2)
out=$(dial --user carol@corp.example --password carol-pw --ping 10.88.3.2)
failed_at=$(date +%s)
t_eq "carol is up although lns1 is dead" "$(field "$out" outcome)" up
t_check "carol got an address from lns2's pool (10.77.2.0/24): $(field "$out" addr)" in_net "$(field "$out" addr)" 10.77.2
t_eq "ping to lns2 answers" "$(field "$out" ping)" ok
after=$(lacctl_ show counters | grep -o 'tunnel_failover=[0-9]*' | cut -d= -f2)
t_eq "lac-core counted one failover" "$((after - before))" 1
out=$(dial --user alice@corp.example --password alice-pw)
t_check "the next subscriber lands on lns2 too: $(field "$out" addr)" in_net "$(field "$out" addr)" 10.77.2
again=$(lacctl_ show counters | grep -o 'tunnel_failover=[0-9]*' | cut -d= -f2)
t_eq "...directly: lns1 is in the dead-cache, no second failover" "$again" "$after"
# lns1 returns: once the hold-downs (20 s from carol's failover) are over,
# calls go to the preferred LNS again, on a fresh tunnel.
t_check "lns1 restarted" lab_part_up lns1
sleep_until=$((failed_at + RLNS_LAC_DEAD_HOLD_DOWN + 1))
while [ "$(date +%s)" -lt "$sleep_until" ]; do sleep 1; done
out=$(dial --user alice@corp.example --password alice-pw)
t_check "after the hold-down the returned lns1 is used again: $(field "$out" addr)" \
    in_net "$(field "$out" addr)" 10.77.1

# 8. Hanging up clears the session on the LNS (CDN).
sleep 1
t_eq "no session left on lns2 after every subscriber hung up" \
    "$(lns_sessions lns2 "$RLNS_STATE" | awk 'NR > 1 && $1 ~ /^[0-9]+$/ && $5 != "0.0.0.0"' | wc -l)" 0

# 9. Wire check: tshark dissects every L2TP packet without malformed/expert errors.
kill "$cap_pid" 2>/dev/null; wait "$cap_pid" 2>/dev/null; cap_pid=
n=$(tshark -r "$cap" -Y l2tp 2>/dev/null | wc -l)
t_check "capture holds L2TP traffic ($n packets)" test "$n" -gt 20
bad=$(tshark -r "$cap" -Y '_ws.malformed || _ws.expert.severity >= "warning"' 2>/dev/null)
t_eq "tshark finds no malformed or warning-level L2TP packet" "$bad" ""

t_done
