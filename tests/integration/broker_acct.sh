#!/bin/bash
# Integration: session accounting in the broker (FreeRADIUS 3.2 +
# rlm_realm_lns) against a real redis-server. radclient sends RFC 2866
# Accounting-Requests (it computes the Request Authenticator, which FreeRADIUS
# checks) with RFC 2867 tunnel attributes, as a LAC does; the checks read the
# counts back from Redis and ask for Access-Accepts to see max_sessions work.
#
# Everything runs in the namespace rlt-bacct (10.99.2.1 on its lo), state in
# a temp dir; both are removed on exit, even on failure.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/integration/testlib.sh"
t_require_root
. "$top_srcdir/lab.d/lib.sh"
# The max_sessions checks expect a cap reached by accounting to show in the
# very next Access-Accept: no lookup cache here (broker.sh tests the cache).
export BROKER_CACHE_TTL=0
# the live lookup path (table = no): these checks write Redis by hand, without
# change notifications; broker_sync.sh tests the realm table
export BROKER_TABLE=no

NS=rlt-bacct-$$
ADDR=10.99.2.1
SECRET=acct-test-secret
STATE=$(mktemp -d /tmp/rlt-bacct.XXXXXX)

. "$top_srcdir/tests/integration/broker_stage.sh"
broker_stage_up "$NS" "$ADDR" "$STATE" broker broker-ttl broker-noacct

rcli() { redis_cli redis "$STATE" "$@"; }
sessions() { rcli HGET "lns:$1" sessions; }

# acct [PORT=1813] STATUS SESSION-ID [ATTRIBUTE-LINE...]: the response code
# name (Accounting-Response, or "none" after radclient gave up). Defaults: a
# tunnelled corp.example session on lns1 (tag 1) from NAS 10.99.2.1.
acct() {
    local status=$1 sid=$2 out
    shift 2
    out=$({
        echo "Acct-Status-Type = $status"
        [ -n "$sid" ] && echo "Acct-Session-Id = \"$sid\""
        echo "NAS-IP-Address = ${NAS:-10.99.2.1}"
        if [ $# -gt 0 ]; then
            printf '%s\n' "$@"
        else
            echo 'User-Name = "joe@corp.example"'
            echo 'Tunnel-Type:1 = L2TP'
            echo 'Tunnel-Medium-Type:1 = IPv4'
            echo 'Tunnel-Server-Endpoint:1 = "10.88.2.2"'
            echo 'Tunnel-Assignment-Id:1 = "corp-lns1"'
            echo 'Acct-Tunnel-Connection = "42"'
        fi
    } | ip netns exec "$NS" radclient -x -r 2 -t 2 "$ADDR:${PORT:-1813}" acct "$SECRET" 2>&1)
    if grep -q 'Received Accounting-Response' <<<"$out"; then echo Accounting-Response; else echo none; fi
}
# tunnel_attrs TAG ENDPOINT [ASSIGNMENT-ID] [USER]: attribute lines of a tunnelled session
tunnel_attrs() {
    echo "User-Name = \"${4:-joe@corp.example}\""
    echo "Tunnel-Type:$1 = L2TP"
    echo "Tunnel-Server-Endpoint:$1 = \"$2\""
    [ -n "${3:-}" ] && echo "Tunnel-Assignment-Id:$1 = \"$3\""
    return 0
}
# endpoints [PORT=1812] USER: "tag:endpoint ..." of an Access-Accept, or the reply code
endpoints() {
    local out
    out=$(printf 'User-Name = "%s"\nUser-Password = "x"\nMessage-Authenticator = 0x00\n' "$1" |
        ip netns exec "$NS" radclient -x -r 2 -t 2 "$ADDR:${PORT:-1812}" auth "$SECRET" 2>&1)
    grep -q 'Received Access-Accept' <<<"$out" || { echo "no-accept"; return; }
    sed -n 's/^[[:space:]]*Tunnel-Server-Endpoint:\([0-9]*\) = "\(.*\)"$/\1:\2/p' <<<"$out" |
        tr '\n' ' ' | sed 's/ $//'
}

provision() {
    rcli SET realm_lns:schema 1 >/dev/null
    rcli SADD realms corp.example multi.example local.example >/dev/null
    rcli HSET realm:corp.example mode tunnel >/dev/null
    rcli SADD realm:corp.example:lns lns1 lns2 lns3 >/dev/null
    rcli HSET lns:corp.example:lns1 endpoint 10.88.2.2 preference 1 secret s1 \
        assignment_id corp-lns1 max_sessions 2 >/dev/null
    rcli HSET lns:corp.example:lns2 endpoint 10.88.3.2:1701 preference 2 secret s2 >/dev/null
    # stored as an operator might type it; the LAC echoes the canonical form
    rcli HSET lns:corp.example:lns3 endpoint '[2001:DB8:0::2]:1702' preference 3 secret s3 >/dev/null
    # one l2tpns serving two groups: same endpoint, told apart by Tunnel-Assignment-Id
    rcli HSET realm:multi.example mode tunnel >/dev/null
    rcli SADD realm:multi.example:lns ga gb >/dev/null
    rcli HSET lns:multi.example:ga endpoint 10.88.4.2 secret a assignment_id group-a >/dev/null
    rcli HSET lns:multi.example:gb endpoint 10.88.4.2 secret b assignment_id group-b >/dev/null
    rcli HSET realm:local.example mode local >/dev/null
}

redis_start redis "$NS" "$ADDR" 6379 "$STATE" || exit 1
provision
# clients: the namespace's /24, so a second source address (10.99.2.9, the
# "other client" of the NAS-binding checks) is a client too
ip -n "$NS" addr add 10.99.2.9/32 dev lo
broker_start broker "$NS" "$ADDR" 1812 "$SECRET" "10.99.2.0/24" "redis://$ADDR:6379" "$STATE" || exit 1
# a second broker on the same Redis, with a short session life (interim 1 s x 3
# periods) and acct_fail_mode = fail
BROKER_ACCT_INTERIM=1 BROKER_ACCT_FAIL_MODE=fail broker_start broker-ttl "$NS" "$ADDR" 1822 "$SECRET" "$ADDR/32" \
    "redis://$ADDR:6379" "$STATE" || exit 1

t_eq "accounting listener rendered on the auth port + 1" \
    "$(sed -n 5p "$STATE/broker/where") $(sed -n 5p "$STATE/broker-ttl/where")" "1813 1823"
t_check "accounting socket bound" test -n "$(netns_exec "$NS" ss -Hlun "sport = :1813")"
# BROKER_ACCT_PORT=none: no accounting listener (e.g. brokers on adjacent ports)
if BROKER_ACCT_PORT=none broker_start broker-noacct "$NS" "$ADDR" 1832 "$SECRET" "$ADDR/32" \
    "redis://$ADDR:6379" "$STATE"; then
    t_eq "BROKER_ACCT_PORT=none: auth only" \
        "$(sed -n 5p "$STATE/broker-noacct/where") $(netns_exec "$NS" ss -Hlun "sport = :1833" | wc -l)" "none 0"
    broker_stop broker-noacct "$STATE"
else
    t_fail "BROKER_ACCT_PORT=none: broker starts"
fi

# --- Start, duplicate Start
t_eq "Start answered" "$(acct Start sess-a)" Accounting-Response
t_eq "Start counts the session on the LNS of its endpoint" "$(sessions corp.example:lns1)" 1
t_eq "the session key names the LNS" "$(rcli GET realm_lns:acct:10.99.2.1/sess-a)" lns:corp.example:lns1
ttl=$(rcli TTL realm_lns:acct:10.99.2.1/sess-a)
if [ "$ttl" -gt 7100 ] && [ "$ttl" -le 7200 ]; then t_ok "session key TTL is acct_session_ttl (${ttl}s)"
else t_fail "session key TTL is acct_session_ttl" "got $ttl"; fi
t_eq "the NAS's session set holds it" "$(rcli ZRANGE realm_lns:nas:10.99.2.1 0 -1)" sess-a
t_eq "duplicate Start answered" "$(acct Start sess-a)" Accounting-Response
t_eq "duplicate Start does not count twice" "$(sessions corp.example:lns1)" 1
t_check "detail file records the Start with its tunnel attributes" \
    grep -q 'Tunnel-Server-Endpoint:1 = "10.88.2.2"' "$STATE"/broker/radacct/*/detail-*

# --- non-tunnelled and other status types: answered, nothing counted
t_eq "non-tunnelled Start answered" \
    "$(acct Start sess-local 'User-Name = "bob@local.example"')" Accounting-Response
t_eq "non-tunnelled Start leaves no session key" "$(rcli EXISTS realm_lns:acct:10.99.2.1/sess-local)" 0
t_eq "Tunnel-Link-Start (RFC 2867) answered" "$(acct Tunnel-Link-Start sess-link)" Accounting-Response
t_eq "Tunnel-Link-Start does not count" "$(sessions corp.example:lns1)" 1
t_eq "Start for an endpoint the realm does not have: answered" \
    "$(acct Start sess-x "$(tunnel_attrs 1 10.88.99.9)")" Accounting-Response
t_eq "... and not counted anywhere" "$(rcli EXISTS realm_lns:acct:10.99.2.1/sess-x)" 0

# --- max_sessions: lns1 (cap 2) leaves the Accept when full, returns after a Stop
t_eq "lns1 under its cap: first in the Accept" "$(endpoints joe@corp.example | cut -d' ' -f1)" 1:10.88.2.2
acct Start sess-b >/dev/null
t_eq "second session on lns1" "$(sessions corp.example:lns1)" 2
t_eq "lns1 at max_sessions is left out of the next Access-Accept" \
    "$(endpoints joe@corp.example)" "1:10.88.3.2:1701 2:[2001:db8::2]:1702"

# --- Stop, duplicate Stop
t_eq "Stop answered" "$(acct Stop sess-a)" Accounting-Response
t_eq "Stop uncounts the session" "$(sessions corp.example:lns1)" 1
t_eq "Stop deletes the session key" "$(rcli EXISTS realm_lns:acct:10.99.2.1/sess-a)" 0
t_eq "lns1 back in the Access-Accept after a Stop" "$(endpoints joe@corp.example | cut -d' ' -f1)" 1:10.88.2.2
t_eq "duplicate Stop answered" "$(acct Stop sess-a)" Accounting-Response
t_eq "duplicate Stop does not uncount again" "$(sessions corp.example:lns1)" 1
t_eq "Stop of a session never started: nothing below zero" \
    "$(acct Stop never-started "$(tunnel_attrs 2 10.88.3.2:1701)"; sessions corp.example:lns2)" \
    "Accounting-Response
0"

# --- Interim-Update: refreshes, and re-creates lost state without double counting
rcli EXPIRE realm_lns:acct:10.99.2.1/sess-b 100 >/dev/null
acct Interim-Update sess-b >/dev/null
ttl=$(rcli TTL realm_lns:acct:10.99.2.1/sess-b)
[ "$ttl" -gt 7000 ] && t_ok "Interim-Update renews the session TTL" || t_fail "Interim-Update renews the session TTL" "ttl $ttl"
rcli DEL realm_lns:acct:10.99.2.1/sess-b >/dev/null
t_eq "Interim-Update after the session key was flushed: answered" "$(acct Interim-Update sess-b)" Accounting-Response
t_eq "... the key is re-created" "$(rcli GET realm_lns:acct:10.99.2.1/sess-b)" lns:corp.example:lns1
t_eq "... and the session still counts once" "$(sessions corp.example:lns1)" 1
rcli DEL realm_lns:acct:10.99.2.1/sess-b realm_lns:sessions:corp.example:lns1 >/dev/null
rcli HSET lns:corp.example:lns1 sessions 0 >/dev/null
acct Interim-Update sess-b >/dev/null
t_eq "Interim-Update after all session state was lost counts the session again" \
    "$(rcli EXISTS realm_lns:acct:10.99.2.1/sess-b) $(sessions corp.example:lns1)" "1 1"
t_check "re-creation logged" grep -q 'event=acct_recreated nas=10.99.2.1 lns=lns:corp.example:lns1' \
    "$STATE/broker/radius.out"

# --- the session key finds the LNS at Stop even when the request no longer resolves
acct Start sess-c >/dev/null
t_eq "Stop with a User-Name of no realm still finds the session's LNS" \
    "$(acct Stop sess-c "$(tunnel_attrs 1 10.88.2.2 corp-lns1 nobody)" >/dev/null; sessions corp.example:lns1)" 1

# --- endpoint matching: canonical IPv6 against a non-canonical stored one; assignment ids
acct Start sess-v6 "$(tunnel_attrs 3 '[2001:db8::2]:1702')" >/dev/null
t_eq "IPv6 endpoint matches the LNS stored as [2001:DB8:0::2]:1702" "$(sessions corp.example:lns3)" 1
acct Start sess-gb "$(tunnel_attrs 1 10.88.4.2 group-b joe@multi.example)" >/dev/null
t_eq "same endpoint, Tunnel-Assignment-Id group-b: counted on gb only" \
    "$(sessions multi.example:ga)/$(sessions multi.example:gb)" "/1"
acct Start sess-port "$(tunnel_attrs 2 10.88.3.2)" >/dev/null
t_eq "endpoint without port matches one stored with :1701" "$(sessions corp.example:lns2)" 1

# --- Accounting-On clears the NAS's sessions, not another NAS's
NAS=10.99.2.7 acct Start other-nas >/dev/null
t_eq "another NAS's session on lns1" "$(sessions corp.example:lns1)" 2
t_eq "Accounting-On answered" "$(acct Accounting-On '' 'NAS-Identifier = "lac1"')" Accounting-Response
t_eq "Accounting-On clears every session of that NAS" \
    "$(sessions corp.example:lns1) $(sessions corp.example:lns2) $(sessions corp.example:lns3) $(sessions multi.example:gb)" \
    "1 0 0 0"
t_eq "... and its session keys and set" \
    "$(rcli EXISTS realm_lns:acct:10.99.2.1/sess-b realm_lns:acct:10.99.2.1/sess-v6 realm_lns:nas:10.99.2.1)" 0
t_eq "the other NAS's session is kept, under the client it came from" \
    "$(rcli EXISTS realm_lns:acct:10.99.2.1_10.99.2.7/other-nas)" 1
t_check "NAS reset logged" grep -q 'event=acct_nas_reset nas=10.99.2.1 cleared=' "$STATE/broker/radius.out"
# --- the NAS identity is bound to the RADIUS client: another client (source
# 10.99.2.9) claiming NAS-IP-Address 10.99.2.1 cannot clear 10.99.2.1's sessions
spoof_on() {
    ip netns exec "$NS" /usr/bin/python3 -c '
import hashlib, socket, struct, sys
secret, src, dst, nas = sys.argv[1].encode(), sys.argv[2], sys.argv[3], sys.argv[4]
attrs = struct.pack("!BBI", 40, 6, 7) + struct.pack("!BB", 4, 6) + socket.inet_aton(nas)
hdr = struct.pack("!BBH", 4, 77, 20 + len(attrs))
auth = hashlib.md5(hdr + b"\0" * 16 + attrs + secret).digest()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0)); s.settimeout(3)
s.sendto(hdr + auth + attrs, (dst, 1813))
try:
    r = s.recv(4096); print("Accounting-Response" if r[0] == 5 else "code %d" % r[0])
except socket.timeout:
    print("none")
' "$SECRET" 10.99.2.9 "$ADDR" "$1"
}
t_eq "a spoofed Accounting-On from another client is answered" "$(spoof_on 10.99.2.1)" Accounting-Response
t_eq "... and clears nothing of the NAS it names" "$(sessions corp.example:lns1)" 1
t_check "... it cleared its own (empty) set only" \
    grep -q 'event=acct_nas_reset nas=10.99.2.9_10.99.2.1 cleared=0' "$STATE/broker/radius.out"

t_eq "Accounting-Off clears too" \
    "$(NAS=10.99.2.7 acct Accounting-Off '' >/dev/null; sessions corp.example:lns1)" 0

# --- TTL: a LAC that died without Stop stops counting (broker-ttl: 1 s interim x 3)
out=$(printf 'User-Name = "joe@corp.example"\nUser-Password = "x"\nMessage-Authenticator = 0x00\n' |
    ip netns exec "$NS" radclient -x "$ADDR:1822" auth "$SECRET" 2>&1)
t_check "acct_interim_interval sent as Acct-Interim-Interval in tunnel Accepts" \
    grep -q 'Acct-Interim-Interval = 1$' <<<"$out"
rcli HSET lns:corp.example:lns1 max_sessions 1 >/dev/null
PORT=1823 acct Start dies-without-stop >/dev/null
ttl=$(rcli TTL realm_lns:acct:10.99.2.1/dies-without-stop)
t_eq "session TTL is interim x periods" "$ttl" 3
t_eq "the LAC's session fills lns1" "$(PORT=1822 endpoints joe@corp.example | cut -d' ' -f1)" 1:10.88.3.2:1701
sleep 4.5
t_eq "after its TTL the session no longer counts: lns1 offered again" \
    "$(PORT=1822 endpoints joe@corp.example | cut -d' ' -f1)" 1:10.88.2.2
t_eq "... and its sessions field is corrected" "$(sessions corp.example:lns1)" 0
t_eq "expired sets are gone from Redis" \
    "$(rcli EXISTS realm_lns:sessions:corp.example:lns1 realm_lns:nas:10.99.2.1)" 0

# --- realmctl reconcile: counts recomputed from the session keys (issue 9 item 4)
REALMCTL=$top_builddir/policy/realmctl/realmctl
recon() { ip netns exec "$NS" "$REALMCTL" --redis "redis://$ADDR:6379" reconcile "$@"; }
acct Start rec-1 >/dev/null
acct Start rec-2 >/dev/null
acct Start rec-3 >/dev/null
t_eq "three sessions on lns1" "$(sessions corp.example:lns1)" 3
recon --fix >/dev/null     # the checks above left hand-made counters behind
out=$(recon); code=$?
t_eq "reconcile of a consistent store: no drift, exit 0" "$code/$(printf '%s\n' "$out" | grep -c drift$)" 0/0
# what a failover with async replication can leave: a lost set member, a
# member whose session key is gone, a wrong counter
rcli ZREM realm_lns:sessions:corp.example:lns1 realm_lns:acct:10.99.2.1/rec-1 >/dev/null
rcli ZADD realm_lns:sessions:corp.example:lns1 "$(( $(date +%s) + 600 ))" realm_lns:acct:10.99.2.1/ghost >/dev/null
rcli HSET lns:corp.example:lns1 sessions 17 >/dev/null
out=$(recon); code=$?
t_eq "reconcile finds the drift (exit 1)" "$code" 1
t_eq "... and names it" "$(printf '%s\n' "$out" | grep '^lns=corp.example:lns1 ')" \
    "lns=corp.example:lns1 sessions=17 live=3 missing=1 stale=1 drift"
t_eq "... without --fix nothing changed" "$(sessions corp.example:lns1)" 17
out=$(recon --fix); code=$?
t_eq "reconcile --fix: exit 0" "$code" 0
printf '%s\n' "$out" | tail -n 1 | sed 's/^/# /'
t_eq "... sessions rewritten" "$(sessions corp.example:lns1)" 3
t_eq "... the set holds the live sessions only" \
    "$(rcli ZRANGE realm_lns:sessions:corp.example:lns1 0 -1 | sort | tr '\n' ' ')" \
    "realm_lns:acct:10.99.2.1/rec-1 realm_lns:acct:10.99.2.1/rec-2 realm_lns:acct:10.99.2.1/rec-3 "
out=$(recon); code=$?
t_eq "reconcile after the fix: no drift" "$code" 0
for s in rec-1 rec-2 rec-3; do acct Stop $s >/dev/null; done
t_eq "Stops after the fix count down to 0" "$(sessions corp.example:lns1)" 0

# --- Redis down: accounting is still answered (acct_fail_mode = noop), logged once
redis_stop redis "$STATE"
t_eq "Redis down: Start still answered" "$(acct Start during-outage)" Accounting-Response
t_eq "Redis down: Stop still answered" "$(acct Stop during-outage)" Accounting-Response
t_eq "outage logged once" "$(grep -c 'event=redis_down' "$STATE/broker/radius.out")" 1
t_eq "Redis down, acct_fail_mode = fail: no response, so the LAC retransmits" \
    "$(PORT=1823 acct Start during-outage)" none
t_eq "Redis down, acct_fail_mode = fail: a non-tunnelled Start is still answered" \
    "$(PORT=1823 acct Start no-tunnel 'User-Name = "bob@local.example"')" Accounting-Response
redis_start redis "$NS" "$ADDR" 6379 "$STATE" || t_fail "redis restart"
provision
code=
for _ in 1 2 3 4 5 6 7 8 9 10; do
    code=$(acct Interim-Update after-outage)
    [ "$(rcli EXISTS realm_lns:acct:10.99.2.1/after-outage)" = 1 ] && break
    sleep 0.5
done
t_eq "Redis back: an Interim-Update counts the session again" "$(sessions corp.example:lns1)" 1

t_check "freeradius still running" broker_running broker "$STATE"
t_done
