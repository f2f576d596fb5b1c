#!/bin/bash
# lac-core's RADIUS client (lac-core/src/aaa/radius_client.c) against real
# FreeRADIUS 3.2 servers in a private network namespace, through
# tests/tools/radius_probe:
#   - Access-Accept with two tagged L2TP groups, ordered by Tunnel-Preference,
#     Tunnel-Passwords decrypted, an invalid (PPTP) group dropped;
#   - CHAP accept of a local user with Framed-IP-Address and MS DNS;
#   - Access-Reject carrying its Reply-Message, and a wrong password rejected;
#   - a dead first server: failover to the second, then skipped for its dead time;
#   - a server that does not sign its replies (no Message-Authenticator) refused;
#   - 1000 requests in flight at once (identifiers spread over 4 sockets);
#   - interop with the real broker (FreeRADIUS + rlm_realm_lns + Redis, started
#     with lab.d's broker_start/redis_start) when the module is built.
# Servers listen on 127.0.0.1 inside namespace rlt-radius; nothing else on the
# machine is touched. Needs root.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/integration/testlib.sh"
. "$top_srcdir/lab.d/lib.sh"
. "$top_srcdir/tests/tools/radius_fr_conf.sh"
t_require_root

NS=rlt-radius-$$
SECRET=rlt-radius-secret
PROBE=$top_builddir/tests/tools/radius_probe
WORK=$(mktemp -d /tmp/rlt-radius.XXXXXX)

cleanup() {
    radius_fr_stop "$WORK/signed"
    radius_fr_stop "$WORK/unsigned"
    if type broker_stop >/dev/null 2>&1; then broker_stop broker "$WORK" 2>/dev/null; fi
    if type redis_stop >/dev/null 2>&1; then redis_stop redis "$WORK" 2>/dev/null; fi
    netns_destroy "$NS"
    rm -rf "$WORK"
}
trap cleanup EXIT

if [ ! -x "$PROBE" ]; then
    echo "radius_probe not built ($PROBE)"; exit 1
fi
netns_destroy "$NS"
netns_create "$NS" || exit 1

radius_fr_conf "$WORK/signed" 127.0.0.1 18121 "$SECRET" yes 127.0.0.1 || exit 1
radius_fr_conf "$WORK/unsigned" 127.0.0.1 18123 "$SECRET" no 127.0.0.1 || exit 1
radius_fr_start "$WORK/signed" "$NS" || exit 1
radius_fr_start "$WORK/unsigned" "$NS" || exit 1
wait_for_udp "$NS" 18121 || exit 1
wait_for_udp "$NS" 18123 || exit 1

# clientconf NAME AUTHSERVERS: a radcli radiusclient.conf as lac-core reads it.
clientconf() {
    cat > "$WORK/$1.conf" <<CONF
nas-identifier rlt-radius
authserver $2
acctserver 127.0.0.1:1813
servers $WORK/servers
dictionary $top_srcdir/dictionaries/radcli/dictionary
radius_timeout 1
radius_retries 2
radius_deadtime 30
bindaddr *
default_realm
CONF
}
printf '127.0.0.1\t%s\n' "$SECRET" > "$WORK/servers"
chmod 600 "$WORK/servers"
clientconf signed 127.0.0.1:18121
clientconf failover 127.0.0.1:18199,127.0.0.1:18121
clientconf unsigned 127.0.0.1:18123

# probe NAME ARGS...: runs radius_probe in the namespace, output in $WORK/NAME.out
probe() {
    name=$1; shift
    ip netns exec "$NS" "$PROBE" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
    echo $? > "$WORK/$name.rc"
}
val() { # val NAME KEY [N]: value of the Nth (default first) KEY= line
    grep "^$2=" "$WORK/$1.out" | sed -n "${3:-1}p" | cut -d= -f2-
}
counter() { # counter NAME KEY: value of KEY in the counters line
    sed -n "s/.* $2=\([0-9]*\).*/\1/p" "$WORK/$1.out" | head -n 1
}

# 1. tunnel accept
probe tunnel -c "$WORK/signed.conf" -u tunnel@corp.example -p secret1
t_eq "tunnel user is accepted" "$(val tunnel status)" accept
t_eq "reply message is decoded" "$(val tunnel reply_message)" "tunnelled to corp.example"
t_eq "two valid L2TP groups" "$(val tunnel tunnels)" 2
t_eq "preference 1 group (tag 2) comes first" "$(val tunnel tunnel.0.tag)" 2
t_eq "its endpoint" "$(val tunnel tunnel.0.endpoint)" "10.88.3.2:1701"
t_eq "its tunnel password decrypts (39 octets: 3 blocks)" "$(val tunnel tunnel.0.password)" \
    "a-longer-lns2-secret-of-40-characters!!"
t_eq "second group endpoint" "$(val tunnel tunnel.1.endpoint)" "10.88.2.2"
t_eq "second group tunnel password decrypts" "$(val tunnel tunnel.1.password)" lns1secret
t_eq "assignment id" "$(val tunnel tunnel.1.assignment_id)" corp-lns1
t_eq "client auth id (our SCCRQ host name)" "$(val tunnel tunnel.1.client_auth_id)" lac1
t_eq "server auth id" "$(val tunnel tunnel.1.server_auth_id)" lns1
t_eq "PPTP group dropped with a reason" "$(val tunnel dropped.0)" "tag 3: tunnel-type is not L2TP"

# 2. CHAP, local user
probe local -c "$WORK/signed.conf" -u local@local.example -C secret1
t_eq "CHAP user is accepted" "$(val local status)" accept
t_eq "no tunnel groups for a local user" "$(val local tunnels)" 0
t_eq "Framed-IP-Address" "$(val local framed_ip)" 10.66.0.10
t_eq "primary DNS" "$(val local dns1)" 10.66.0.53
t_eq "secondary DNS" "$(val local dns2)" 10.66.0.54

# 3. reject
probe reject -c "$WORK/signed.conf" -u user@blocked.example -p secret1
t_eq "blocked user is rejected" "$(val reject status)" reject
t_eq "reject carries its Reply-Message" "$(val reject reply_message)" "realm blocked.example is blocked"
t_eq "probe exit status 1 on reject" "$(cat "$WORK/reject.rc")" 1
probe wrongpw -c "$WORK/signed.conf" -u tunnel@corp.example -C wrong
t_eq "wrong CHAP password is rejected" "$(val wrongpw status)" reject

# 4. failover: 18199 has no server; two requests on one client
probe failover -c "$WORK/failover.conf" -u tunnel@corp.example -p secret1 -n 2
t_eq "first request accepted after failover" "$(val failover status 1)" accept
t_eq "answered by the second server" "$(val failover server 1)" 127.0.0.1:18121
t_eq "two sends to the dead server (radius_retries 2), one failover" \
    "$(counter failover retransmits)/$(counter failover failovers)" 1/1
e1=$(val failover elapsed_ms 1); e2=$(val failover elapsed_ms 2)
t_check "first request waited about timeout x retries (${e1} ms)" [ "$e1" -ge 1900 -a "$e1" -lt 4000 ]
t_eq "second request accepted" "$(val failover status 2)" accept
t_check "second request skips the dead server (${e2} ms)" [ "$e2" -lt 500 ]
t_check "first server reported dead" grep -q "^server.0 name=127.0.0.1:18199 dead=1 sent=2 " "$WORK/failover.out"

# 5. a server that does not sign its replies
probe unsigned -c "$WORK/unsigned.conf" -u tunnel@corp.example -p secret1
t_eq "unsigned replies are refused: the request times out" "$(val unsigned status)" timeout
t_eq "and says why" "$(val unsigned detail)" "only invalid replies (unsigned, wrong secret or malformed)"
t_eq "both unsigned replies counted" "$(counter unsigned no_message_authenticator)" 2
t_check "the server really answered (its log)" grep -q "Login OK" "$WORK/unsigned/log/radius.log"

# 6. load: 1000 requests in flight at once need 4 sockets (256 ids each)
ip netns exec "$NS" "$PROBE" -c "$WORK/signed.conf" -u tunnel@corp.example -p secret1 -P 1000 -T 3000 \
    > "$WORK/parallel.out" 2> "$WORK/parallel.err"
t_check "1000 parallel requests all accepted over 4 sockets ($(cat "$WORK/parallel.out"))" \
    grep -q "^parallel=1000 accept=1000 .* sockets=4 " "$WORK/parallel.out"

# 7. the real broker
if [ -f "$top_builddir/rlm_realm_lns/.libs/rlm_realm_lns.so" ] && type broker_start >/dev/null 2>&1 &&
   type redis_start >/dev/null 2>&1; then
    cat > "$WORK/broker-users" <<'USERS'
"bob@local.example" Cleartext-Password := "bob-pw"
	Framed-IP-Address = 10.66.0.10
USERS
    if redis_start redis "$NS" 127.0.0.1 16379 "$WORK" >/dev/null; then
        rcli() { redis_cli redis "$WORK" "$@" >/dev/null; }
        rcli SET realm_lns:schema 1
        rcli SADD realms corp.example local.example blocked.example
        rcli HSET realm:corp.example mode tunnel policy preference client_auth_id lac1
        rcli SADD realm:corp.example:lns lns1 lns2
        rcli HSET lns:corp.example:lns1 endpoint 10.88.2.2 preference 1 secret lns1-secret \
            assignment_id corp server_auth_id lns1
        rcli HSET lns:corp.example:lns2 endpoint 10.88.3.2 preference 2 \
            secret 'a much longer lns2 secret spanning three md5 blocks'
        rcli HSET realm:local.example mode local
        rcli HSET realm:blocked.example mode reject reply_message 'VPDN service suspended'
        BROKER_USERS_FILE=$WORK/broker-users broker_start broker "$NS" 127.0.0.1 18131 "$SECRET" \
            127.0.0.1/32 redis://127.0.0.1:16379 "$WORK" >/dev/null
        clientconf broker 127.0.0.1:18131
        probe b_tunnel -c "$WORK/broker.conf" -u alice@corp.example -C alice-pw
        t_eq "broker: tunnel realm accepted and verified" "$(val b_tunnel status)" accept
        t_eq "broker: two LNS" "$(val b_tunnel tunnels)" 2
        t_eq "broker: preferred LNS first" "$(val b_tunnel tunnel.0.endpoint)" 10.88.2.2
        t_eq "broker: its secret decrypts" "$(val b_tunnel tunnel.0.password)" lns1-secret
        t_eq "broker: realm client_auth_id" "$(val b_tunnel tunnel.0.client_auth_id)" lac1
        t_eq "broker: assignment id" "$(val b_tunnel tunnel.0.assignment_id)" corp
        t_eq "broker: long secret decrypts" "$(val b_tunnel tunnel.1.password)" \
            "a much longer lns2 secret spanning three md5 blocks"
        probe b_local -c "$WORK/broker.conf" -u bob@local.example -p bob-pw
        t_eq "broker: local realm accepted" "$(val b_local status)" accept
        t_eq "broker: local realm has no tunnels" "$(val b_local tunnels)" 0
        t_eq "broker: local Framed-IP-Address" "$(val b_local framed_ip)" 10.66.0.10
        probe b_reject -c "$WORK/broker.conf" -u eve@blocked.example -p x
        t_eq "broker: blocked realm rejected" "$(val b_reject status)" reject
        t_eq "broker: with its reply message" "$(val b_reject reply_message)" "VPDN service suspended"
    else
        t_fail "broker: redis did not start"
    fi
else
    echo "skip - broker interop: rlm_realm_lns not built or lab.d/broker.sh missing"
fi

if [ "$t_failed" -ne 0 ]; then
    for f in "$WORK"/*.out; do echo "== $f"; cat "$f"; done
fi
t_done
