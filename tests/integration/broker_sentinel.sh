#!/bin/bash
# Integration: Redis Sentinel high availability (issue 10, item 3) on real
# redis-server, redis-sentinel and FreeRADIUS. A master and a replica, three
# sentinels (down-after-milliseconds 1000), two brokers and realmctl given
# only the sentinels (sentinel://.../rlns). Under a steady stream of
# Access-Requests to both brokers the master is killed with SIGKILL: both
# brokers go on answering (from their table), Sentinel promotes the replica,
# both brokers follow it (table sync and the accounting path), realmctl
# through Sentinel writes to the new master and both brokers see the change.
# The failover and follow times are printed, not asserted (only a generous
# deadline while waiting).
#
# Namespace rlt-bsent-PID, address 10.99.4.1 on its lo; removed on exit.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/integration/testlib.sh"
t_require_root
. "$top_srcdir/lab.d/lib.sh"
command -v redis-sentinel >/dev/null || { echo "redis-sentinel missing (apt-get install redis-sentinel)"; exit 1; }

NS=rlt-bsent-$$
ADDR=10.99.4.1
SECRET=bsent-test-secret
STATE=$(mktemp -d /tmp/rlt-bsent.XXXXXX)
PY=/usr/bin/python3
RAD="$top_srcdir/tests/integration/broker-radius.py"
REALMCTL=$top_builddir/policy/realmctl/realmctl
MASTER=rlns
SENTINELS="$ADDR:26401,$ADDR:26402,$ADDR:26403"
URL="sentinel://$SENTINELS/$MASTER"

. "$top_srcdir/tests/integration/broker_stage.sh"
broker_stage_up "$NS" "$ADDR" "$STATE" broker-a broker-b

# Beside the stage's own cleanup: the two Redis and the three sentinels.
bsent_cleanup() {
    local n
    for n in load-a load-b; do
        [ -f "$STATE/$n.pid" ] && kill "$(cat "$STATE/$n.pid")" 2>/dev/null
    done
    for n in broker-a broker-b; do
        broker_stop "$n" "$STATE" 2>/dev/null
    done
    for n in s1 s2 s3 r1 r2; do
        lab_pid_stop "$STATE/$n/pid" 2>/dev/null
    done
    if [ "${t_failed:-0}" -gt 0 ]; then
        for n in broker-a broker-b; do
            echo "--- $n (sentinel and sync lines)"
            grep -E 'sentinel|sync_|redis_(down|up)' "$STATE/$n/radius.out" 2>/dev/null | tail -n 20
        done
        echo "--- sentinel s1 (last 20 lines)"
        tail -n 20 "$STATE/s1/sentinel.log" 2>/dev/null
    fi
    broker_stage_cleanup
}
trap bsent_cleanup EXIT

rc() { ip netns exec "$NS" "$REALMCTL" --redis "$URL" "$@"; }
q() { ip netns exec "$NS" "$PY" "$RAD" "$ADDR" "$1" "$SECRET" "$2" x; }
eps() { q "$1" "$2" | sed -n 's/^attr=Tunnel-Server-Endpoint tag=[0-9]* value=//p' | tr '\n' ' ' | sed 's/ $//'; }
scli() { netns_exec "$NS" redis-cli -h "$ADDR" -p "$1" "${@:2}"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# wait_for SECONDS CMD...: CMD true within the deadline (checked every 0.1 s)
wait_for() {
    local end=$(( $(date +%s) + $1 )); shift
    until "$@"; do
        [ "$(date +%s)" -ge "$end" ] && return 1
        sleep 0.1
    done
}

# --- master r1 (6401) and replica r2 (6402)
redis_start r1 "$NS" "$ADDR" 6401 "$STATE" || exit 1
redis_start r2 "$NS" "$ADDR" 6402 "$STATE" || exit 1
redis_cli r2 "$STATE" CONFIG SET replica-announce-ip "$ADDR" >/dev/null
redis_cli r2 "$STATE" REPLICAOF "$ADDR" 6401 >/dev/null
link_up() { [ "$(redis_cli r2 "$STATE" INFO replication | tr -d '\r' | sed -n 's/^master_link_status://p')" = up ]; }
t_check "replica r2 follows master r1" wait_for 20 link_up

# --- three sentinels (26401..26403); each rewrites its own config file
for i in 1 2 3; do
    mkdir -p "$STATE/s$i"
    cat > "$STATE/s$i/sentinel.conf" <<CONF
# rendered by tests/integration/broker_sentinel.sh
port 2640$i
bind $ADDR 127.0.0.1
protected-mode no
daemonize yes
pidfile $STATE/s$i/pid
logfile $STATE/s$i/sentinel.log
dir $STATE/s$i
sentinel announce-ip $ADDR
sentinel monitor $MASTER $ADDR 6401 2
sentinel down-after-milliseconds $MASTER 1000
sentinel failover-timeout $MASTER 4000
sentinel parallel-syncs $MASTER 1
CONF
    netns_exec "$NS" redis-sentinel "$STATE/s$i/sentinel.conf" || { echo "redis-sentinel s$i failed"; exit 1; }
done
# every sentinel knows the replica and the two other sentinels
sentinels_ready() {
    local i
    for i in 1 2 3; do
        scli 2640$i SENTINEL MASTER "$MASTER" 2>/dev/null | tr -d '\r' |
            awk 'p == "num-slaves" { s = $0 } p == "num-other-sentinels" { o = $0 } { p = $0 }
                 END { exit !(s == 1 && o == 2) }' || return 1
    done
}
t_check "three sentinels watch $MASTER with its replica" wait_for 30 sentinels_ready
master_is() { [ "$(scli 26401 SENTINEL get-master-addr-by-name "$MASTER" 2>/dev/null | tr '\n' ':')" = "$1:" ]; }
t_check "sentinels name r1 the master" master_is "$ADDR:6401"

# --- provisioning through Sentinel
cat > "$STATE/realms.json" <<'EOF'
{"schema": 1, "realms": [
  {"name": "t.example", "mode": "tunnel",
   "lns": [{"id": "a", "endpoint": "10.66.0.1", "secret": "sa", "preference": 1}]}],
 "dnis": []}
EOF
rc import "$STATE/realms.json" >/dev/null
t_eq "realmctl imports through sentinel" "$?" 0
t_eq "the realm is on the master r1" "$(redis_cli r1 "$STATE" HGET realm:t.example mode)" tunnel
t_eq "realmctl: a malformed sentinel url is a usage error" \
    "$(ip netns exec "$NS" "$REALMCTL" --redis "sentinel://$ADDR:26401" realm list >/dev/null 2>&1; echo $?)" 2

# --- the module refuses a malformed sentinel option at start, saying why
bad_start() {
    broker_start broker-bad "$NS" "$ADDR" 1842 "$SECRET" "$ADDR/32" "$1" "$STATE" >/dev/null 2>&1 && {
        broker_stop broker-bad "$STATE"; return 1; }
    grep -q "$2" "$STATE/broker-bad/radius.out"
}
t_check "the module refuses a sentinel url without a master name" \
    bad_start "sentinel://$ADDR:26401" "sentinel url: no master name"
t_check "the module refuses the master's password in the sentinel url" \
    bad_start "sentinel://:pw@$ADDR:26401/$MASTER" "give the master's password and database with"

# --- two brokers on the sentinels
for b in a b; do
    port=$([ $b = a ] && echo 1812 || echo 1822)
    broker_start broker-$b "$NS" "$ADDR" "$port" "$SECRET" "$ADDR/32" "$URL" "$STATE" || exit 1
done
wait_loaded() { grep -q "event=sync_loaded redis=$2" "$STATE/$1/radius.out" 2>/dev/null; }
for b in broker-a broker-b; do
    t_check "$b: table loaded from r1 found through sentinel" wait_for 20 wait_loaded "$b" "$ADDR:6401"
done
t_eq "broker-a answers the tunnel realm" "$(eps 1812 joe@t.example)" 10.66.0.1
t_eq "broker-b answers the tunnel realm" "$(eps 1822 joe@t.example)" 10.66.0.1

# acct PORT STATUS SESSION-ID: Accounting-Response or none
acct() {
    printf '%s\n' "Acct-Status-Type = $2" "Acct-Session-Id = \"$3\"" "NAS-IP-Address = $ADDR" \
        'User-Name = "joe@t.example"' 'Tunnel-Type:1 = L2TP' 'Tunnel-Server-Endpoint:1 = "10.66.0.1"' |
        ip netns exec "$NS" radclient -x -r 2 -t 2 "$ADDR:$1" acct "$SECRET" 2>&1 |
        grep -q 'Received Accounting-Response' && echo Accounting-Response || echo none
}
t_eq "accounting Start through broker-a" "$(acct 1813 Start s1)" Accounting-Response
t_eq "the session is counted on r1" "$(redis_cli r1 "$STATE" HGET lns:t.example:a sessions)" 1

# --- load: both brokers asked 25 times a second for 16 s, the master killed at ~2 s
LOAD_N=400
for b in a b; do
    port=$([ $b = a ] && echo 1812 || echo 1822)
    printf 'User-Name = "joe@t.example"\nUser-Password = "x"\nMessage-Authenticator = 0x00\n' > "$STATE/load.req"
    ip netns exec "$NS" radclient -s -q -n 25 -c $LOAD_N -r 3 -t 1 -f "$STATE/load.req" \
        "$ADDR:$port" auth "$SECRET" > "$STATE/load-$b.out" 2>&1 &
    echo $! > "$STATE/load-$b.pid"
done
sleep 2
kill -9 "$(cat "$STATE/r1/pid")"
t_kill=$(now_ms)
rm -f "$STATE/r1/pid"
echo "# master r1 killed (SIGKILL) under load"

t_check "sentinels promote r2 (deadline 60 s)" wait_for 60 master_is "$ADDR:6402"
t_promoted=$(now_ms)
echo "# failover: sentinels name r2 $((t_promoted - t_kill)) ms after the kill"
for b in broker-a broker-b; do
    if wait_for 60 wait_loaded "$b" "$ADDR:6402"; then
        t_ok "$b: table reloaded from the new master r2"
        echo "# $b followed the new master $(( $(now_ms) - t_kill )) ms after the kill (at most; polled every 100 ms)"
    else
        t_fail "$b: table reloaded from the new master r2"
    fi
done

for b in a b; do
    wait "$(cat "$STATE/load-$b.pid")"
    rm -f "$STATE/load-$b.pid"
    acc=$(sed -n 's/^[[:space:]]*Accepted[[:space:]]*:[[:space:]]*//p' "$STATE/load-$b.out")
    lost=$(sed -n 's/^[[:space:]]*Lost[[:space:]]*:[[:space:]]*//p' "$STATE/load-$b.out")
    echo "# broker-$b under load: accepted=${acc:-?} lost=${lost:-?} of $LOAD_N"
    t_eq "broker-$b answered every request of the load with an Accept across the failover" "${acc:-0}" $LOAD_N
done

# --- after the failover: realmctl follows, both brokers see its change
t_eq "realmctl adds an LNS through sentinel after the failover" \
    "$(rc lns add t.example b --endpoint 10.66.0.2 --secret sb --preference 2 >/dev/null 2>&1; echo $?)" 0
t_eq "the change is on the new master r2" "$(redis_cli r2 "$STATE" HGET lns:t.example:b endpoint)" 10.66.0.2
both() { [ "$(eps "$1" joe@t.example)" = "10.66.0.1 10.66.0.2" ]; }
t_check "broker-a sees the change made after the failover" wait_for 20 both 1812
t_check "broker-b sees the change made after the failover" wait_for 20 both 1822
t_eq "realmctl reads through sentinel after the failover" \
    "$(rc realm show t.example 2>/dev/null | grep -c '10.66.0.2')" 1

# the accounting path (worker connections) follows the new master too
acct_on_r2() {
    acct 1813 Start "$1" >/dev/null
    [ "$(redis_cli r2 "$STATE" EXISTS "realm_lns:acct:$ADDR/$1")" = 1 ]
}
t_check "accounting through broker-a is written to the new master" wait_for 20 acct_on_r2 s2
acct_on_r2_b() {
    acct 1823 Start "$1" >/dev/null
    [ "$(redis_cli r2 "$STATE" EXISTS "realm_lns:acct:$ADDR/$1")" = 1 ]
}
t_check "accounting through broker-b is written to the new master" wait_for 20 acct_on_r2_b s3
for b in broker-a broker-b; do
    t_check "$b: logged the master move" grep -q "event=sentinel_master_moved master=$MASTER from=$ADDR:6401 to=$ADDR:6402" \
        "$STATE/$b/radius.out"
done

# --- a planned failover back to r1 (SENTINEL FAILOVER): the old master r2
# stays up and becomes a replica, the brokers follow the +switch-master
rm -rf "$STATE/r1"
redis_start r1 "$NS" "$ADDR" 6401 "$STATE" || exit 1
redis_cli r1 "$STATE" CONFIG SET replica-announce-ip "$ADDR" >/dev/null
redis_cli r1 "$STATE" REPLICAOF "$ADDR" 6402 >/dev/null
r1_link_up() { [ "$(redis_cli r1 "$STATE" INFO replication | tr -d '\r' | sed -n 's/^master_link_status://p')" = up ]; }
t_check "r1 back as a replica of r2" wait_for 30 r1_link_up
r1_known() { scli 26401 SENTINEL REPLICAS "$MASTER" 2>/dev/null | tr -d '\r' | grep -qx "$ADDR:6401"; }
t_check "the sentinels list r1 as a replica" wait_for 30 r1_known
# a fresh log line to wait for: the brokers' lines so far are not counted
for b in broker-a broker-b; do : > "$STATE/$b/radius.out"; done
t0=$(now_ms)
t_eq "SENTINEL FAILOVER accepted" "$(scli 26401 SENTINEL FAILOVER "$MASTER")" OK
t_check "sentinels name r1 the master again" wait_for 60 master_is "$ADDR:6401"
echo "# planned failover: sentinels name r1 $(( $(now_ms) - t0 )) ms after SENTINEL FAILOVER"
for b in broker-a broker-b; do
    if wait_for 60 wait_loaded "$b" "$ADDR:6401"; then
        t_ok "$b: table reloaded from r1 after the planned failover"
        echo "# $b followed $(( $(now_ms) - t0 )) ms after SENTINEL FAILOVER ($(grep -o 'event=sentinel_master_moved.*via=[^ ]*' \
            "$STATE/$b/radius.out" | sed 's/.*via=/via /' | head -n 1))"
    else
        t_fail "$b: table reloaded from r1 after the planned failover"
    fi
done
t_eq "realmctl marks an LNS down through sentinel" "$(rc lns set t.example a --down >/dev/null 2>&1; echo $?)" 0
t_eq "the change is on r1" "$(redis_cli r1 "$STATE" HGET lns:t.example:a down)" 1
only_b() { [ "$(eps "$1" joe@t.example)" = "10.66.0.2" ]; }
t_check "broker-a leaves the LNS marked down out" wait_for 20 only_b 1812
t_check "broker-b leaves the LNS marked down out" wait_for 20 only_b 1822
acct_on_r1() {
    acct "$1" Start "$2" >/dev/null
    [ "$(redis_cli r1 "$STATE" EXISTS "realm_lns:acct:$ADDR/$2")" = 1 ]
}
t_check "accounting through broker-a is written to r1 (not READONLY r2)" wait_for 20 acct_on_r1 1813 s4
t_check "accounting through broker-b is written to r1 (not READONLY r2)" wait_for 20 acct_on_r1 1823 s5

t_done
