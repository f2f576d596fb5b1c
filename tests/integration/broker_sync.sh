#!/bin/bash
# Integration: the realm table (issue 10) on real FreeRADIUS + redis-server.
# 20,000 realms imported with realmctl; three brokers on one Redis (two with
# serve_stale, one without); provisioning changes (add, lns set --down,
# delete) seen by the next requests on both brokers, with the measured
# propagation times printed (not asserted); the brokers cut off from Redis
# (nftables drop in the namespace): the stale table answered, fail_mode
# without serve_stale, a change made meanwhile seen after the cut heals
# (full resync); Redis stopped: still answered from the table, by fail_mode
# once serve_stale_max_age has passed; shared LNS health (a Tunnel-Reject
# through one broker takes the LNS out of the other's replies for the hold-down).
#
# Namespace rlt-bsync-PID, address 10.99.3.1 on its lo; removed on exit.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/integration/testlib.sh"
t_require_root
. "$top_srcdir/lab.d/lib.sh"

NS=rlt-bsync-$$
ADDR=10.99.3.1
SECRET=bsync-test-secret
STATE=$(mktemp -d /tmp/rlt-bsync.XXXXXX)
PY=/usr/bin/python3
RAD="$top_srcdir/tests/integration/broker-radius.py"
PROP="$top_srcdir/tests/integration/broker-propagate.py"
REALMCTL=$top_builddir/policy/realmctl/realmctl
N_REALMS=${BSYNC_REALMS:-20000}

. "$top_srcdir/tests/integration/broker_stage.sh"
broker_stage_up "$NS" "$ADDR" "$STATE" broker-a broker-b broker-c
command -v nft >/dev/null || { echo "nft missing (apt-get install nftables)"; exit 1; }

# realmctl reaches Redis on 127.0.0.1 (never cut); the brokers on $ADDR.
rc() { ip netns exec "$NS" "$REALMCTL" --redis redis://127.0.0.1:6379 "$@"; }
q() { ip netns exec "$NS" "$PY" "$RAD" "$ADDR" "$1" "$SECRET" "$2" x; }
code() { q "$1" "$2" | sed -n 's/^code=//p'; }
eps() { q "$1" "$2" | sed -n 's/^attr=Tunnel-Server-Endpoint tag=[0-9]* value=//p' | tr '\n' ' ' | sed 's/ $//'; }
prop() { ip netns exec "$NS" "$PY" "$PROP" "$SECRET" "$@"; }

redis_start redis "$NS" "$ADDR" 6379 "$STATE" || exit 1

# --- 20,000 realms, one LNS each (endpoint 10.77.x.y), imported in one go
"$PY" - "$N_REALMS" > "$STATE/realms.json" <<'EOF'
import json, sys
n = int(sys.argv[1])
realms = [{"name": "r%d.example" % i, "mode": "tunnel",
           "lns": [{"id": "a", "endpoint": "10.77.%d.%d" % (i // 250, i % 250 + 1),
                    "secret": "s%d" % i, "preference": 1}]} for i in range(n)]
realms.append({"name": "hc.example", "mode": "tunnel",
               "lns": [{"id": "h1", "endpoint": "10.33.0.1", "secret": "h1", "preference": 1},
                       {"id": "h2", "endpoint": "10.33.0.2", "secret": "h2", "preference": 2}]})
realms.append({"name": "two.example", "mode": "tunnel",
               "lns": [{"id": "a", "endpoint": "10.66.0.1", "secret": "sa", "preference": 1},
                       {"id": "b", "endpoint": "10.66.0.2", "secret": "sb", "preference": 2}]})
print(json.dumps({"schema": 1, "realms": realms, "dnis": []}))
EOF
t0=$(date +%s%N)
rc import "$STATE/realms.json" >/dev/null
t_eq "realmctl imports $N_REALMS realms" "$?" 0
echo "# import of $((N_REALMS + 1)) realms: $(( ($(date +%s%N) - t0) / 1000000 )) ms"

BROKER_HEALTH_HOLD=3 broker_start broker-a "$NS" "$ADDR" 1812 "$SECRET" "$ADDR/32" \
    "redis://$ADDR:6379" "$STATE" || exit 1
# broker-b: serve_stale_max_age = 4 s (the Redis-stop checks below pass it)
BROKER_HEALTH_HOLD=3 BROKER_STALE_MAX_AGE=4 broker_start broker-b "$NS" "$ADDR" 1822 "$SECRET" "$ADDR/32" \
    "redis://$ADDR:6379" "$STATE" || exit 1
BROKER_ACCT_PORT=none BROKER_SERVE_STALE=no broker_start broker-c "$NS" "$ADDR" 1832 "$SECRET" \
    "$ADDR/32" "redis://$ADDR:6379" "$STATE" || exit 1

# wait_loaded NAME: the sync thread's first full load logged
wait_loaded() {
    local i=0
    while ! grep -q 'event=sync_loaded' "$STATE/$1/radius.out" 2>/dev/null; do
        i=$((i + 1)); [ $i -gt 200 ] && return 1; sleep 0.1
    done
}
for b in broker-a broker-b broker-c; do
    t_check "$b: table loaded in full at start" wait_loaded "$b"
done
sed -n 's/.*\(event=sync_loaded.*\)/# broker-a: \1/p' "$STATE/broker-a/radius.out" | head -n 1
t_check "broker-a: every realm in the table" \
    grep -q "event=sync_loaded .*realms=$((N_REALMS + 2)) " "$STATE/broker-a/radius.out"

last=$((N_REALMS - 1))
t_eq "first realm answered from the table" "$(eps 1812 u@r0.example)" 10.77.0.1
t_eq "last realm answered from the table (broker-b)" "$(eps 1822 u@r$last.example)" \
    "10.77.$((last / 250)).$((last % 250 + 1))"
t_eq "two LNS in preference order" "$(eps 1812 u@two.example)" "10.66.0.1 10.66.0.2"
t_eq "unknown realm: carrier AAA (no such user: reject)" "$(code 1812 u@none.example)" Access-Reject

# --- propagation: add, lns set --down, delete; printed, seen by both brokers
BR="--broker $ADDR:1812 --broker $ADDR:1822 --redis 127.0.0.1:6379"
out=$(prop u@new.example accept:10.55.0.1 $BR -- sh -c \
    "ip netns exec $NS $REALMCTL --redis redis://127.0.0.1:6379 realm add new.example --mode tunnel >/dev/null &&
     ip netns exec $NS $REALMCTL --redis redis://127.0.0.1:6379 lns add new.example a --endpoint 10.55.0.1 --secret s >/dev/null")
t_eq "realm add: seen by both brokers" "$?" 0
printf '%s\n' "$out" | sed -n 's/ round=1 / /p' | sed 's/^/# add: /'
out=$(prop u@two.example without:10.66.0.1 $BR -- \
    ip netns exec "$NS" "$REALMCTL" --redis redis://127.0.0.1:6379 lns set two.example a --down)
t_eq "lns set --down: seen by both brokers" "$?" 0
printf '%s\n' "$out" | sed -n 's/ round=1 / /p' | sed 's/^/# lns set --down: /'
t_eq "the down LNS is left out" "$(eps 1822 u@two.example)" 10.66.0.2
out=$(prop u@r7.example reject $BR -- \
    ip netns exec "$NS" "$REALMCTL" --redis redis://127.0.0.1:6379 realm del r7.example)
t_eq "realm del: seen by both brokers" "$?" 0
printf '%s\n' "$out" | sed -n 's/ round=1 / /p' | sed 's/^/# realm del: /'
toggle=$STATE/toggle.sh
cat > "$toggle" <<EOF
#!/bin/sh
f=$STATE/toggle.state
if [ -f "\$f" ]; then rm -f "\$f"; w=--up; else : > "\$f"; w=--down; fi
exec ip netns exec $NS $REALMCTL --redis redis://127.0.0.1:6379 lns set two.example a \$w >/dev/null
EOF
chmod +x "$toggle"
: > "$STATE/toggle.state"     # lns a is down: the first toggle brings it up
out=$(prop u@two.example accept:10.66.0.1/without:10.66.0.1 $BR --rounds 20 -- "$toggle")
t_eq "20 down/up toggles: each seen by both brokers" "$?" 0
printf '%s\n' "$out" | grep p50_ms | sed 's/^/# toggles: /'

# --- shared LNS health: a Tunnel-Reject sent to broker-a by one LAC takes the
# LNS out of broker-b's replies to every LAC, for the hold-down (3 s here)
tunnel_acct() {   # STATUS SESSION-ID: accounting for hc.example's h1, sent to broker-a
    printf '%s\n' "Acct-Status-Type = $1" "Acct-Session-Id = \"$2\"" "NAS-IP-Address = $ADDR" \
        'User-Name = "u@hc.example"' 'Tunnel-Type:1 = L2TP' 'Tunnel-Medium-Type:1 = IPv4' \
        'Tunnel-Server-Endpoint:1 = "10.33.0.1"' |
        ip netns exec "$NS" radclient -r 2 -t 2 "$ADDR:1813" acct "$SECRET" >/dev/null 2>&1
}
t_eq "hc.example: both LNS offered" "$(eps 1822 u@hc.example)" "10.33.0.1 10.33.0.2"
cat > "$STATE/reject.sh" <<EOF
#!/bin/bash
$(declare -f tunnel_acct)
NS=$NS ADDR=$ADDR SECRET=$SECRET
tunnel_acct Tunnel-Reject rej-1
EOF
chmod +x "$STATE/reject.sh"
out=$(prop u@hc.example without:10.33.0.1 $BR -- "$STATE/reject.sh")
t_eq "Tunnel-Reject via broker-a: the LNS is left out by both brokers" "$?" 0
printf '%s\n' "$out" | sed -n 's/ round=1 / /p' | sed 's/^/# tunnel-reject: /'
t_eq "... the other LNS still offered" "$(eps 1822 u@hc.example)" 10.33.0.2
t_check "... logged" grep -q 'event=lns_unhealthy lns=lns:hc.example:h1 ' "$STATE/broker-a/radius.out"
t_check "realmctl realm show displays the health" \
    sh -c "ip netns exec $NS $REALMCTL --redis redis://127.0.0.1:6379 realm show hc.example |
           grep -q '^lns=h1 .* available=no health=unhealthy reason=tunnel-reject hold_down_left='"
out=$(prop u@hc.example accept:10.33.0.1 --broker "$ADDR:1812" --broker "$ADDR:1822" --timeout 8 -- true)
t_eq "after the hold-down the LNS is offered again by both" "$?" 0
printf '%s\n' "$out" | sed -n 's/ round=1 / /p' | sed 's/^/# back after hold-down (3 s): /'
tunnel_acct Tunnel-Link-Reject rej-2
t_eq "Tunnel-Link-Reject: left out too" "$(eps 1822 u@hc.example)" 10.33.0.2
tunnel_acct Start sess-ok
t_eq "a session Start on it brings it back at once" "$(eps 1822 u@hc.example)" "10.33.0.1 10.33.0.2"
tunnel_acct Stop sess-ok

# --- cut off from Redis (the brokers' address only; realmctl goes on)
ip netns exec "$NS" nft -f - <<EOF
table inet bsync {
    chain out { type filter hook output priority 0; ip daddr $ADDR tcp dport 6379 drop; }
}
EOF
t_eq "nft cut installed" "$?" 0
sleep 1.5
t_eq "cut off, serve_stale: broker-a answers from the table" "$(eps 1812 u@r5.example)" 10.77.0.6
mid=$((N_REALMS / 2))
t_eq "cut off, serve_stale: broker-b answers from the table" "$(eps 1822 u@r$mid.example)" \
    "10.77.$((mid / 250)).$((mid % 250 + 1))"
t_eq "cut off, serve_stale = no: broker-c answers by fail_mode (reject)" \
    "$(code 1832 u@r5.example)" Access-Reject
t_check "outage logged by the sync thread" grep -q 'event=sync_redis_down' "$STATE/broker-a/radius.out"
t_check "serving stale logged" grep -q 'event=serving_stale' "$STATE/broker-a/radius.out"
t_eq "outage logged once" "$(grep -c 'event=serving_stale' "$STATE/broker-a/radius.out")" 1
# a change while they are cut off
rc lns add r5.example b --endpoint 10.44.0.5 --secret s5 --preference 0 >/dev/null
t_eq "while cut off: the brokers still have the old r5" "$(eps 1812 u@r5.example)" 10.77.0.6
ip netns exec "$NS" nft delete table inet bsync
t_eq "cut healed" "$?" 0
out=$(prop u@r5.example accept:10.44.0.5 --broker $ADDR:1812 --broker $ADDR:1822 --timeout 10 -- true)
t_eq "after the cut: both brokers resynchronised and see the change" "$?" 0
printf '%s\n' "$out" | sed -n 's/ round=1 / /p' | sed 's/^/# resync after the cut (from heal): /'
# broker-c (serve_stale = no) resynchronises on its own sync thread's retry,
# not necessarily by the time a and b have: wait for it as for them.
prop u@r5.example accept:10.44.0.5 --broker $ADDR:1832 --timeout 10 -- true >/dev/null
t_eq "broker-c answers again (Accept with the change)" "$?" 0
t_check "resync after the outage logged" grep -q 'event=sync_loaded .*(redis back)' \
    "$STATE/broker-a/radius.out"

# --- Redis stopped
redis_stop redis "$STATE"
sleep 0.5
t_eq "redis stopped, serve_stale: broker-a answers" "$(eps 1812 u@r1.example)" 10.77.0.2
t_eq "redis stopped, serve_stale: broker-b answers (lns a down after 20 toggles)" \
    "$(eps 1822 u@two.example)" 10.66.0.2
t_eq "redis stopped, serve_stale = no: fail_mode" "$(code 1832 u@r1.example)" Access-Reject
sleep 4
t_eq "redis stopped past serve_stale_max_age (4 s): broker-b answers by fail_mode" \
    "$(code 1822 u@r1.example)" Access-Reject
t_eq "... while broker-a (600 s) still answers from its table" "$(eps 1812 u@r1.example)" 10.77.0.2
for b in broker-a broker-b broker-c; do
    t_check "$b still running" broker_running "$b" "$STATE"
done

t_done
