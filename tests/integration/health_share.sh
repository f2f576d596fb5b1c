#!/bin/bash
# Shared LNS health end to end (issue 10, item 5), real parts only: one broker
# (FreeRADIUS with rlm_realm_lns and Redis), the realm corp.example with lns1
# (preference 1) and lns2, two lac-core instances on that broker. lns1 is a
# real l2tpns whose tunnel secret is not the one the broker hands out, so it
# fails every tunnel's authentication; lns2 is a working l2tpns.
#
# 1. A subscriber dialling through LAC A fails over from lns1 to lns2, and
#    LAC A sends one RFC 2867 Tunnel-Reject naming lns1 and the subscriber.
# 2. The broker then leaves lns1 out of every Access-Accept: radclient sees
#    only lns2, LAC B's call goes straight to lns2 (no failover, no tunnel to
#    lns1), `realmctl realm show` prints lns1 unhealthy.
# 3. After the hold-down lns1 is in the replies again.
# 4. lns1 turns silent (its L2TP port dropped): five calls through LAC B
#    dialled at once wait on one tunnel; at tunnel_setup_timeout_s they fail
#    over, and LAC B sends exactly one Tunnel-Reject for that tunnel.
# 5. tshark dissects the accounting records without malformed or warning
#    flags.
# The hold-down is HEALTH_HOLD seconds (15): long enough that the checks of
# step 2 fall inside it on a loaded machine; step 3 waits for its end (bounded).
set -u
. "$(dirname "$0")/testlib.sh"
t_require_root

export RLNS_PREFIX=rlt-hs-$$
export RLNS_STATE
RLNS_STATE=$(mktemp -d /tmp/rlt-hs.XXXXXX)
export RLNS_NO_BUILD=1 RLNS_NO_DEPS=1
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/lab.d/lib.sh"
HOLD=${HEALTH_HOLD:-15}

cleanup() {
    [ -n "${cap_pid:-}" ] && kill "$cap_pid" 2>/dev/null
    [ "${RLNS_KEEP:-0}" = 1 ] && { echo "kept: RLNS_PREFIX=$RLNS_PREFIX RLNS_STATE=$RLNS_STATE"; return; }
    declare -F lac_stop >/dev/null && lac_stop lacb "$RLNS_STATE" >/dev/null 2>&1
    lab_down >/dev/null 2>&1
    rm -rf "$RLNS_STATE"
}
trap cleanup EXIT

lab_down >/dev/null 2>&1
mkdir -p "$RLNS_STATE"
lab_topology_up || { t_fail "topology"; t_done; exit 1; }
t_check "start redis" lab_part_up redis
broker_up() {
    BROKER_HEALTH_HOLD=$HOLD BROKER_USERS_FILE=$LAB_DEMO/carrier-users \
        broker_start broker "$LAB_NS_AAA" "$LAB_RADIUS_ADDR" "$LAB_RADIUS_PORT" "$LAB_RADIUS_SECRET" \
        10.88.1.0/24 "$LAB_REDIS_URL" "$RLNS_STATE"
}
t_check "start the broker (health_hold_down = $HOLD s)" broker_up
t_check "start lns1 with a tunnel secret the broker does not hand out" \
    lns_start lns1 "$LAB_NS_LNS1" "$LAB_LNS1_ADDR" not-the-provisioned-secret "$LAB_LNS1_POOL" \
    "$LAB_DEMO/lns-users" "$RLNS_STATE"
t_check "start lns2" lab_part_up lns2
t_check "provision demo realms with realmctl" lab_provision

# Every Accounting-Request the LACs send, for tshark at the end.
cap=$RLNS_STATE/acct.pcapng
ip netns exec "$LAB_NS_LAC" dumpcap -q -i aaa0 -f 'udp port 1813' -w "$cap" >/dev/null 2>&1 &
cap_pid=$!

# LAC A is the lab's lac (L2TP port 1701, stream 2000); LAC B shares its
# namespace with its own stream port, L2TP port, TUN device and pool, no DAE.
t_check "start LAC A (lac1)" lab_part_up lac
lacb_up() {
    RLNS_LAC_EXTRA_CONF=$'[l2tp]\nport = 1702\ntunnel_setup_timeout_s = 3' \
        lac_config lacb "$RLNS_STATE" STREAM_LISTEN=tcp:10.88.0.1:2001 PPPOE_IF= \
        RADIUS_SERVER="$LAB_RADIUS_ADDR:$LAB_RADIUS_PORT" RADIUS_SECRET="$LAB_RADIUS_SECRET" \
        NAS_IP=10.88.1.2 HOST_NAME=lac2 LOCAL_POOL=10.66.1.0/24 LOCAL_GATEWAY=10.66.1.1 TUN=rlns-local2 \
        DAE_LISTEN=none && lac_start lacb "$LAB_NS_LAC" "$RLNS_STATE"
}
t_check "start LAC B (lac2) on the same broker" lacb_up
sleep 1

dial() { # dial LAC-STREAM ARGS...
    local to=$1
    shift
    netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --connect "$to" --timeout 45 "$@" 2>&1
}
field() { lab_kv "$(printf '%s\n' "$1" | grep -m1 'outcome=')" "$2"; }
in_net() { case "$1" in "$2".*) return 0 ;; *) return 1 ;; esac; }
counter() { # counter LAC LINE KEY: one value of `lacctl show counters`
    lac_ctl "$1" "$RLNS_STATE" show counters | grep "^$2 " | tr ' ' '\n' | sed -n "s/^$3=//p" | head -1
}
lac_counter() { # lac_counter LAC KEY: a subscriber counter (lines without a prefix)
    lac_ctl "$1" "$RLNS_STATE" show counters | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}
# endpoints USER: the Access-Accept's Tunnel-Server-Endpoints, "tag:addr" in tag order
endpoints() {
    printf 'User-Name = "%s"\nUser-Password = "x"\nMessage-Authenticator = 0x00\n' "$1" |
        netns_exec "$LAB_NS_AAA" radclient -x -r 2 -t 2 "$LAB_RADIUS_ADDR:$LAB_RADIUS_PORT" auth \
            "$LAB_RADIUS_SECRET" 2>&1 |
        sed -n 's/^[[:space:]]*Tunnel-Server-Endpoint:\([0-9]*\) = "\(.*\)"/\1:\2/p' | sort -n | tr '\n' ' ' |
        sed 's/ $//'
}
realm_show() {
    netns_exec "$LAB_NS_AAA" "$LAB_BIN_REALMCTL" --redis "$LAB_REDIS_URL" realm show corp.example 2>&1
}
# records NAS STATUS: detail paragraphs from NAS (NAS-Identifier) with that
# Acct-Status-Type, one line each: the paragraph's attributes joined by "|"
records() {
    cat "$RLNS_STATE"/broker/radacct/*/detail-* 2>/dev/null | awk -v nas="$1" -v st="$2" '
        /^[A-Z][a-z][a-z] / { if (p != "") out(); p = ""; next }
        /^[[:space:]]*$/ { if (p != "") out(); p = ""; next }
        { sub(/^[[:space:]]+/, ""); p = p "|" $0 }
        function out() { if (p ~ ("NAS-Identifier = \"" nas "\"") && p ~ ("Acct-Status-Type = " st "(\\||$)")) print p }
        END { if (p != "") out() }'
}
attr() { # attr RECORD NAME: one attribute's value (quotes removed)
    printf '%s\n' "$1" | tr '|' '\n' | sed -n "s/^$2 = //p" | tr -d '"' | head -1
}

# --- 1. LAC A: lns1 refuses the tunnel, the call fails over, one Tunnel-Reject
t_eq "before: the broker offers lns1 first, then lns2" "$(endpoints alice@corp.example)" "1:10.88.2.2 2:10.88.3.2"
out=$(dial "$LAB_LAC_STREAM" --user alice@corp.example --password alice-pw)
t_eq "alice through LAC A is up" "$(field "$out" outcome)" up
t_check "...on lns2 (10.77.2.0/24): $(field "$out" addr)" in_net "$(field "$out" addr)" 10.77.2
t_eq "LAC A counted one failover" "$(lac_counter lac tunnel_failover)" 1
t_eq "LAC A's engine saw one tunnel refused" "$(counter lac l2tp setup_rejects)" 1
t_eq "LAC A queued one Tunnel-Reject" "$(counter lac radius_acct tunnel_rejects)" 1
wait_acct() { # wait_acct LAC: until its accounting queue is empty (bounded)
    local i
    for i in $(seq 50); do [ "$(counter "$1" radius_acct pending)" = 0 ] && return 0; sleep 0.2; done
    return 1
}
t_check "LAC A's accounting was answered" wait_acct lac
rec=$(records lac1 Tunnel-Reject)
t_eq "the broker recorded one Tunnel-Reject from LAC A" "$(printf '%s\n' "$rec" | grep -c .)" 1
t_eq "...naming lns1 (Tunnel-Server-Endpoint)" "$(attr "$rec" 'Tunnel-Server-Endpoint:1')" 10.88.2.2
t_eq "...its Tunnel-Assignment-Id" "$(attr "$rec" 'Tunnel-Assignment-Id:1')" corp-lns1
t_eq "...Tunnel-Type and Tunnel-Medium-Type" \
    "$(attr "$rec" 'Tunnel-Type:1') $(attr "$rec" 'Tunnel-Medium-Type:1')" "L2TP IPv4"
t_eq "...our end of it (Tunnel-Client-Endpoint)" "$(attr "$rec" 'Tunnel-Client-Endpoint:1')" 10.88.2.1
t_check "...the call serial (Acct-Tunnel-Connection)" test -n "$(attr "$rec" Acct-Tunnel-Connection)"
t_eq "...and the user whose call found it" "$(attr "$rec" User-Name)" alice@corp.example
t_check "the broker logged lns1 unhealthy" \
    grep -q 'event=lns_unhealthy lns=lns:corp.example:lns1 ' "$RLNS_STATE/broker/radius.out"

# --- 2. every reply leaves lns1 out, to LAC B too
t_eq "radclient: the Access-Accept names lns2 only" "$(endpoints carol@corp.example)" "1:10.88.3.2"
out=$(dial tcp:10.88.0.1:2001 --user carol@corp.example --password carol-pw)
t_eq "carol through LAC B is up" "$(field "$out" outcome)" up
t_check "...on lns2: $(field "$out" addr)" in_net "$(field "$out" addr)" 10.77.2
t_eq "...directly: LAC B neither failed over nor saw a refusal" \
    "$(lac_counter lacb tunnel_failover) $(counter lacb l2tp setup_rejects)" "0 0"
t_check "...and never opened a tunnel to lns1" \
    sh -c "! grep -q 'event=tunnel_open .*peer=10.88.2.2' '$RLNS_STATE/lacb/lac-core.log'"
show=$(realm_show)
t_check "realmctl realm show: lns1 unhealthy (tunnel-reject)" \
    grep -q '^lns=lns1 .*health=unhealthy reason=tunnel-reject hold_down_left=' <<<"$show"
t_check "realmctl realm show: lns2 ok" grep -q '^lns=lns2 .*health=ok' <<<"$show"
# Still inside the hold-down after these checks, so they saw it in force.
t_check "(the checks above ran inside the hold-down)" \
    grep -q '^lns=lns1 .*health=unhealthy' <<<"$(realm_show)"

# --- 3. after the hold-down lns1 is offered again
back() { [ "$(endpoints alice@corp.example)" = "1:10.88.2.2 2:10.88.3.2" ]; }
waited=0
while ! back && [ $waited -lt $((HOLD * 2 + 20)) ]; do sleep 1; waited=$((waited + 1)); done
t_check "after the hold-down ($HOLD s) the broker offers lns1 first again" back
t_check "realmctl realm show: lns1 ok again" grep -q '^lns=lns1 .*health=ok' <<<"$(realm_show)"

# --- 4. lns1 silent: five calls on one tunnel, one Tunnel-Reject
netns_exec "$LAB_NS_LNS1" nft -f - <<'EOF'
table inet rlt_hs {
    chain in { type filter hook input priority 0; udp dport 1701 drop; }
}
EOF
before_fo=$(lac_counter lacb tunnel_failover)
out=$(dial tcp:10.88.0.1:2001 --user dave@corp.example --password dave-pw --count 5 | grep '^summary')
t_eq "five calls through LAC B at once all come up (on lns2)" "$(lab_kv "$out" up)" 5
t_eq "...each failed over once" "$(($(lac_counter lacb tunnel_failover) - before_fo))" 5
t_eq "...from one tunnel to lns1 that was never answered" "$(counter lacb l2tp setup_rejects)" 1
t_eq "LAC B queued one Tunnel-Reject, not one per call" "$(counter lacb radius_acct tunnel_rejects)" 1
t_check "LAC B's accounting was answered" wait_acct lacb
rec=$(records lac2 Tunnel-Reject)
t_eq "the broker recorded exactly one Tunnel-Reject from LAC B" "$(printf '%s\n' "$rec" | grep -c .)" 1
t_eq "...naming lns1 and dave" "$(attr "$rec" 'Tunnel-Server-Endpoint:1') $(attr "$rec" User-Name)" \
    "10.88.2.2 dave@corp.example"
t_check "realmctl realm show: lns1 unhealthy again" grep -q '^lns=lns1 .*health=unhealthy' <<<"$(realm_show)"
t_eq "no Tunnel-Link-Reject anywhere (every failure was a tunnel's)" \
    "$(counter lac radius_acct tunnel_link_rejects) $(counter lacb radius_acct tunnel_link_rejects)" "0 0"

# --- 5. the records on the wire
sleep 1
kill "$cap_pid" 2>/dev/null; wait "$cap_pid" 2>/dev/null; cap_pid=
n=$(tshark -r "$cap" -Y 'radius.Acct_Status_Type == 11' 2>/dev/null | wc -l)
t_eq "tshark: the two Tunnel-Reject records (and their retransmissions, if any) are Acct-Status-Type 11" \
    "$([ "$n" -ge 2 ] && echo yes)" yes
bad=$(tshark -r "$cap" -Y 'radius && (_ws.malformed || _ws.expert.severity >= "warning")' 2>/dev/null)
t_eq "tshark finds no malformed or warning-level accounting packet" "$bad" ""

# --- 6. a Tunnel-Reject replayed late (a LAC's spool after an outage) marks
# the LNS only for what is left of the hold-down since the refusal
# (Acct-Delay-Time, RFC 2866 5.2); one older than the hold-down changes nothing.
late_reject() { # late_reject DELAY_S: a Tunnel-Reject naming lns2, DELAY_S late
    printf '%s\n' 'Acct-Status-Type = Tunnel-Reject' 'NAS-Identifier = "lac9"' \
        'User-Name = "zed@corp.example"' "Acct-Session-Id = \"late-$1\"" \
        'Tunnel-Type = L2TP' 'Tunnel-Medium-Type = IPv4' 'Tunnel-Server-Endpoint = "10.88.3.2"' \
        'Tunnel-Client-Endpoint = "10.88.3.1"' "Acct-Delay-Time = $1" |
        netns_exec "$LAB_NS_AAA" radclient -r 2 -t 2 "$LAB_RADIUS_ADDR:$((LAB_RADIUS_PORT + 1))" acct \
            "$LAB_RADIUS_SECRET" >/dev/null 2>&1
}
t_check "a Tunnel-Reject $((HOLD + 5)) s late is answered" late_reject $((HOLD + 5))
t_check "...and leaves lns2 healthy (its hold-down was over)" \
    grep -q '^lns=lns2 .*health=ok' <<<"$(realm_show)"
t_check "a Tunnel-Reject $((HOLD - 5)) s late is answered" late_reject $((HOLD - 5))
left=$(realm_show | sed -n 's/^lns=lns2 .*health=unhealthy .*hold_down_left=\([0-9]*\).*/\1/p')
t_check "...and holds lns2 down for what is left of the hold-down (${left:-none} s, at most 5)" \
    test -n "$left" -a "${left:-99}" -le 5

t_done
