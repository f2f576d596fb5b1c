#!/bin/bash
# The lab's lifecycle, end to end, through ./lab itself: `lab down` on a
# clean state, `lab up`, the printed table checked against what l2tpns and
# lac-core (lacctl) report, a dial through the subscriber namespace, then
# `lab down` and nothing left behind (processes, namespaces, links, TUN
# devices, mounts, state).
#
# It runs a complete second lab (namespaces rlt-lab-PID-*, state in a temp
# dir) so it can run while the operator's lab (rlns-*) is up, and beside
# another run of this suite.
#
# Parts whose code has not landed are reported as "not built yet" and the
# checks that need them are listed as missing. Once lac-core is built (the
# last part to land) every part must be there, so a missing one fails the
# test instead of letting it pass on what little exists.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/integration/testlib.sh"
t_require_root

P=rlt-lab-$$
export RLNS_PREFIX=$P RLNS_NO_BUILD=1 RLNS_NO_DEPS=1 top_srcdir top_builddir
RLNS_STATE=$(mktemp -d /tmp/rlt-lab.XXXXXX)/state
export RLNS_STATE
LAB=$top_srcdir/lab
LAB_TOP=$top_srcdir
. "$top_srcdir/lab.d/lib.sh"

seen_pids=
cleanup() {
    "$LAB" down >/dev/null 2>&1
    for ns in $LAB_ALL_NS; do netns_destroy "$ns" 2>/dev/null; done
    rm -rf "$(dirname "$RLNS_STATE")"
}
trap cleanup EXIT

missing=
t_missing() { # t_missing WHAT: a check that could not run because a part is not built
    missing="$missing $1"; echo "# missing - $1"
}

# Other suites may create and remove their own namespaces and links while
# this one runs, so the host is compared on the names this lab uses.
lab_host_links() {
    ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' |
        grep -E '^(lac0|sub0|aaa0|lns[012]|pppoe-(sub|lac)|rlns-local)$' | sort
}
host_links_before=$(lab_host_links)

# 1. lab down on a state that has no lab: succeeds, changes nothing.
t_check "lab down with nothing running" "$LAB" down
t_eq "no $P namespaces before up" "$(ip netns list | grep -c "^$P-")" 0

# 2. lab up.
up_out=$("$LAB" up 2>&1); up_rc=$?
echo "$up_out" | sed 's/^/# up: /'
t_eq "lab up exits 0" "$up_rc" 0
for ns in sub lac aaa lns1 lns2; do
    t_check "namespace $P-$ns exists" netns_exists "$P-$ns"
done
t_check "lac <-> lns1 link answers ping" sh -c "ip netns exec $P-lac ping -c1 -W2 10.88.2.2 >/dev/null"
t_check "lac <-> aaa link answers ping" sh -c "ip netns exec $P-lac ping -c1 -W2 10.88.1.1 >/dev/null"

status_out=$("$LAB" status 2>&1)
echo "$status_out" | sed 's/^/# status: /'
part_state() { echo "$status_out" | awk -v p="$1" '$1 == p { print $2; exit }'; }
for part in redis lns1 lns2; do
    t_eq "status: $part running" "$(part_state "$part")" running
done
for part in broker lac realmctl dial; do
    st=$(part_state "$part")
    case "$st" in
        not) t_missing "$part (not built yet)" ;;
        running|built) t_ok "status: $part $st" ;;
        *) t_fail "status: $part" "state '$st'" ;;
    esac
done
t_check "lab status health probes pass" "$LAB" status >/dev/null

# Every part's processes, to check they are gone after `lab down`.
# A process is named by pid and start time, so a pid reused later by an
# unrelated process is not mistaken for a leftover.
proc_id() { # proc_id PID: "PID:STARTTIME:STATE" or nothing
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    st=${st##*) }
    set -- "$1" $st
    echo "$1:${21}:$2"
}
for ns in $LAB_ALL_NS; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do seen_pids="$seen_pids $(proc_id "$p")"; done
done

# lns sessions through the CLI helper work even with no session.
if lns_sessions lns1 "$RLNS_STATE" | grep -q Username; then
    t_ok "l2tpns CLI answers show session"
else
    t_fail "l2tpns CLI answers show session"
fi

# Each LNS on its own, as lac-core will use it: a whole call from the lac
# namespace (tunnel with authentication, session, LCP, CHAP checked by the
# enterprise AAA, IPCP from the pool), then a ping to the LNS's own address
# through the session, answered by the LNS namespace's kernel.
probe=$top_srcdir/lab.d/lns/l2tp_probe.py
for l in "lns1 10.88.2.2 corp-l2tp-secret-1 10.77.1." "lns2 10.88.3.2 corp-l2tp-secret-2 10.77.2."; do
    set -- $l
    out=$(ip netns exec $P-lac /usr/bin/python3 "$probe" "$2" 1701 "$3" \
            --session carol@corp.example carol-pw --ping "$2" 2>&1)
    echo "# $1 probe: $out"
    case "$out" in
        *"outcome=up lns=$1 "*"addr=$4"*"auth=chap ping=ok"*) t_ok "$1: call with CHAP, pool address, ping through the tunnel" ;;
        *) t_fail "$1: call with CHAP, pool address, ping through the tunnel" "$out" ;;
    esac
done
out=$(ip netns exec $P-lac /usr/bin/python3 "$probe" 10.88.2.2 1701 corp-l2tp-secret-1 \
        --session carol@corp.example wrong-pw 2>&1)
case "$out" in outcome=failed*) t_ok "lns1: wrong password refused by the enterprise AAA" ;;
    *) t_fail "lns1: wrong password refused by the enterprise AAA" "$out" ;; esac
out=$(ip netns exec $P-lac /usr/bin/python3 "$probe" 10.88.2.2 1701 wrong-secret 2>&1)
case "$out" in *"does not match"*) t_ok "lns1: wrong tunnel secret detected" ;;
    *) t_fail "lns1: wrong tunnel secret detected" "$out" ;; esac

env_out=$("$LAB" env)
t_check "lab env is shell-sourceable" sh -c "set -e; eval \"\$1\"; [ -n \"\$RLNS_DIAL\" ] && [ \"\$RLNS_NS_SUB\" = $P-sub ]" sh "$env_out"

# The broker's decisions for the demo realms, asked as lac-core would ask
# (from the lac namespace, signed), once realmctl has provisioned them.
if [ "$(part_state broker)" = running ] && [ "$(part_state realmctl)" = built ]; then
    rad() {
        printf 'User-Name = "%s"\nUser-Password = "%s"\nMessage-Authenticator = 0x00\n' "$1" "$2" |
            ip netns exec $P-lac radclient -x -r 1 -t 3 10.88.1.1:1812 auth testing123 2>&1
    }
    has() { echo "$1" | grep -q -- "$2"; }
    out=$(rad alice@corp.example alice-pw)
    if has "$out" "Access-Accept" && has "$out" 'Tunnel-Server-Endpoint:1 = "10.88.2.2' &&
        has "$out" 'Tunnel-Server-Endpoint:2 = "10.88.3.2'; then
        t_ok "broker: corp.example tunnelled to lns1 then lns2"
    else
        t_fail "broker: corp.example tunnelled to lns1 then lns2" "$(echo "$out" | tr '\n' ' ')"
    fi
    out=$(rad bob@local.example bob-pw)
    if has "$out" "Access-Accept" && has "$out" "Framed-IP-Address = 10.66.0.10" && ! has "$out" "Tunnel-"; then
        t_ok "broker: local.example accepted by the carrier AAA, no tunnel"
    else
        t_fail "broker: local.example accepted by the carrier AAA, no tunnel" "$(echo "$out" | tr '\n' ' ')"
    fi
    out=$(rad eve@blocked.example eve-pw)
    if has "$out" "Access-Reject"; then
        t_ok "broker: blocked.example rejected"
    else
        t_fail "broker: blocked.example rejected" "$(echo "$out" | tr '\n' ' ')"
    fi
else
    t_missing "broker decisions (broker or realmctl not built)"
fi

# 3. The table against l2tpns and lacctl.
if [ -f "$RLNS_STATE/table.tsv" ]; then
    row() { awk -F'\t' -v u="$1" '$1 == u' "$RLNS_STATE/table.tsv"; }
    col() { row "$1" | cut -f "$2"; }
    alice=alice@corp.example
    t_eq "table: $alice tunnelled" "$(col $alice 3)" tunnel
    t_eq "table: $alice on lns1 (preference 1)" "$(col $alice 4)" lns1
    addr=$(col $alice 6)
    case "$addr" in 10.77.1.*) t_ok "table: $alice has an lns1 pool address ($addr)" ;;
        *) t_fail "table: $alice address" "got '$addr', want 10.77.1.x" ;; esac
    lns_row=$(lns_sessions lns1 "$RLNS_STATE" | awk -v u=$alice '$4 == u')
    t_eq "l2tpns lns1 reports $alice with the table's address" "$(echo "$lns_row" | awk '{print $5}')" "$addr"
    t_eq "table ids match l2tpns tunnel/session" \
        "$(col $alice 5 | grep -o 'lns:[0-9]*/[0-9]*')" "$(echo "$lns_row" | awk '{print "lns:" $3 "/" $1}')"
    lac_out=$(lac_ctl lac "$RLNS_STATE" show sessions 2>&1)
    echo "$lac_out" | sed 's/^/# lacctl: /'
    kv() { echo "$lac_out" | grep -m1 " user=$1 " | tr ' ' '\n' | sed -n "s/^$2=//p"; }
    t_eq "lacctl: $alice decision" "$(kv $alice decision)" tunnel
    t_eq "lacctl: $alice relayed to lns1's address" "$(kv $alice lns)" 10.88.2.2
    t_eq "lacctl: $alice tunnel/session at the LNS match l2tpns" \
        "lns:$(kv $alice peer_tid)/$(kv $alice peer_sid)" "$(echo "$lns_row" | awk '{print "lns:" $3 "/" $1}')"
    t_eq "table: lac-side ids match lacctl" "$(col $alice 5 | grep -o 'lac:[0-9]*/[0-9]*')" \
        "lac:$(kv $alice tid)/$(kv $alice sid)"
    t_eq "lacctl: bob@local.example decision" "$(kv bob@local.example decision)" local
    t_eq "lacctl: bob@local.example address matches the table" "$(kv bob@local.example addr)" \
        "$(col bob@local.example 6)"
    t_eq "lacctl: no session for eve@blocked.example" "$(kv eve@blocked.example decision)" ""
    t_eq "table: bob@local.example terminated locally" "$(col bob@local.example 3)" local
    t_eq "table: bob@local.example has the carrier's Framed-IP-Address" "$(col bob@local.example 6)" 10.66.0.10
    t_eq "table: eve@blocked.example rejected" "$(col eve@blocked.example 3)" reject
    t_eq "lns2 holds no demo session (lns1 is preferred)" \
    "$(lns_sessions lns2 "$RLNS_STATE" | awk '$4 ~ /^(alice|bob|eve)@/ && $5 != "0.0.0.0"' | wc -l)" 0

    # A dial through `lab dial` reaches the LNS's own address through the tunnel.
    dial_out=$("$LAB" dial carol@corp.example carol-pw --ping 10.88.2.2 --timeout 20 2>&1)
    echo "$dial_out" | sed 's/^/# dial: /'
    if echo "$dial_out" | grep -q 'outcome=up' && echo "$dial_out" | grep -q 'ping=ok'; then
        t_ok "lab dial carol: up, ping to lns1 answered through the tunnel"
    else
        t_fail "lab dial carol: up, ping to lns1 answered through the tunnel"
    fi
    # lab up again: nothing restarted, the demo sessions stay as they were.
    table_before=$(cat "$RLNS_STATE/table.tsv")
    up2_out=$("$LAB" up 2>&1); up2_rc=$?
    t_eq "second lab up exits 0" "$up2_rc" 0
    t_eq "second lab up keeps the same sessions (same table)" "$(cat "$RLNS_STATE/table.tsv")" "$table_before"

    # The same over PPPoE (lab dial --pppoe).
    dial_out=$("$LAB" dial carol@corp.example carol-pw --pppoe --ping 10.88.2.2 --timeout 20 2>&1)
    echo "$dial_out" | sed 's/^/# dial pppoe: /'
    case "$dial_out" in
        *"outcome=up addr=10.77.1."*"ping=ok"*) t_ok "lab dial --pppoe carol: up on lns1, ping answered" ;;
        *) t_fail "lab dial --pppoe carol: up on lns1, ping answered" ;;
    esac

    # "What to try next": lns1 marked down with realmctl, the next call lands on lns2.
    rctl() { ip netns exec $P-aaa "$top_builddir/policy/realmctl/realmctl" --redis redis://10.88.1.1:6379 "$@"; }
    t_check "realmctl marks lns1 down" rctl lns set corp.example lns1 --down
    sleep 1.2   # the broker serves a realm from its lookup cache for cache_ttl (1 s)
    dial_out=$("$LAB" dial carol@corp.example carol-pw --ping 10.88.3.2 --timeout 20 2>&1)
    echo "$dial_out" | sed 's/^/# dial after lns1 down: /'
    case "$dial_out" in
        *"outcome=up addr=10.77.2."*"ping=ok"*) t_ok "with lns1 down, carol lands on lns2" ;;
        *) t_fail "with lns1 down, carol lands on lns2" ;;
    esac
    t_check "realmctl marks lns1 up again" rctl lns set corp.example lns1 --up
else
    t_missing "session table (lac-core or lac-dial not built)"
fi

# 4. lab down: nothing left.
t_check "lab down exits 0" "$LAB" down
t_eq "no $P namespaces left" "$(ip netns list | grep -c "^$P-")" 0
lab_leftovers() {
    local e now
    for e in $seen_pids; do
        now=$(proc_id "${e%%:*}")
        # same process (same start time) still there and not a zombie
        [ -n "$now" ] && [ "${now%:*}" = "${e%:*}" ] && [ "${now##*:}" != Z ] &&
            printf ' %s(%s)' "${e%%:*}" "$(cat "/proc/${e%%:*}/comm" 2>/dev/null)"
    done
}
i=0
while [ -n "$(lab_leftovers)" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
t_eq "no lab process left" "$(lab_leftovers)" ""
t_eq "host links unchanged (no veth or TUN left)" "$(lab_host_links)" "$host_links_before"
t_check "no namespace or pool mount of this lab left" sh -c "! grep -q -e '$P-' -e ip_pool /proc/self/mountinfo"
t_check "no process keeps a pool mount of this lab" sh -c "! grep -qs '$(dirname "$RLNS_STATE")' /proc/[0-9]*/mountinfo"
t_check "state directory removed" test ! -e "$RLNS_STATE"

if [ -n "$missing" ]; then
    echo "# parts not built yet:$missing"
    if [ -x "$top_builddir/lac-core/lac-core" ]; then
        t_fail "every part present once lac-core is built" "missing:$missing"
    fi
fi
t_done
