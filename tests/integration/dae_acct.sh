#!/bin/bash
# RFC 2866/2867 accounting and the RFC 5176 Disconnect/CoA server of lac-core,
# end to end with the real parts: lac-dial -> lac-core -> the broker's
# FreeRADIUS (accounting written by its detail module) -> l2tpns. A second lab
# with its own namespaces (rlt-dae-*) so it runs beside `lab up` and the other
# suites.
#
# Checks: a tunnelled subscriber's Start reaches the broker with the RFC 2867
# tunnel attributes and Acct-Tunnel-Connection = the L2TP Call Serial Number;
# radclient's signed Disconnect-Request from the AAA namespace drops it
# (lac-dial sees the link go down, l2tpns clears the session) and gets
# Disconnect-ACK; its Stop says Admin-Reset with counters; an unknown session
# gets NAK 503; an unsigned request is dropped (require_message_authenticator)
# and counted; a CoA Session-Timeout ends a local session with cause
# Session-Timeout and its Framed-IP-Address, a CoA Idle-Timeout one with cause
# Idle-Timeout; interim updates flow; a replayed Disconnect-Request (same
# packet 10 s later from a new port, and past the Event-Timestamp window) and
# one with a stale Event-Timestamp get NAK Invalid-Request and are not run;
# Accounting-On at start, and on SIGTERM NAS-Reboot Stops then Accounting-Off.
set -u
. "$(dirname "$0")/testlib.sh"
t_require_root

export RLNS_PREFIX=rlt-dae-$$
export RLNS_STATE
RLNS_STATE=$(mktemp -d /tmp/rlt-dae.XXXXXX)
export RLNS_NO_BUILD=1 RLNS_NO_DEPS=1
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/lab.d/lib.sh"

cleanup() {
    local p
    for p in ${dial_pids:-}; do kill "$p" 2>/dev/null; done
    # RLNS_KEEP=1 leaves the test's lab up for a post-mortem (lab_down it by hand)
    [ "${RLNS_KEEP:-0}" = 1 ] && { echo "kept: RLNS_PREFIX=$RLNS_PREFIX RLNS_STATE=$RLNS_STATE"; return; }
    lab_down >/dev/null 2>&1
    rm -rf "$RLNS_STATE"
}
trap cleanup EXIT

lab_down >/dev/null 2>&1
mkdir -p "$RLNS_STATE"
lab_topology_up || { t_fail "topology"; t_done; exit 1; }
for part in redis broker lns1 lns2; do
    if why=$(lab_part_built "$part"); then
        t_check "start $part" lab_part_up "$part"
    else
        t_fail "start $part" "$why"
    fi
done
# lac-core as the lab starts it, with interim updates every 2 s
t_check "start lac (acct_interim_interval_s = 2)" eval 'lac_config lac "$LAB_STATE" STREAM_LISTEN="$LAB_LAC_STREAM" \
    PPPOE_IF="$LAB_LAC_PPPOE_IF" RADIUS_SERVER="$LAB_RADIUS_ADDR:$LAB_RADIUS_PORT" \
    RADIUS_SECRET="$LAB_RADIUS_SECRET" NAS_IP=10.88.1.2 HOST_NAME=lac1 ACCT_INTERIM=2 DAE_REPLAY_WINDOW=12 &&
    lac_start lac "$LAB_NS_LAC" "$LAB_STATE"'
t_check "provision demo realms with realmctl" lab_provision

lacctl_() { lac_ctl lac "$RLNS_STATE" "$@"; }
# detail records the broker wrote for lac-core (10.88.1.2), one per paragraph
detail() { cat "$RLNS_STATE"/broker/radacct/10.88.1.2/detail-* 2>/dev/null; }
# record SESSION_ID STATUS: the detail paragraph of that Accounting-Request
record() {
    detail | awk -v id="\"$1\"" -v st="$2" '
        /^[A-Z][a-z][a-z] / { if (keep) print buf; buf = ""; keep = 0; sid = 0; sst = 0 }
        { buf = buf $0 "\n" }
        $1 == "Acct-Session-Id" && $3 == id { sid = 1 }
        $1 == "Acct-Status-Type" && $3 == st { sst = 1 }
        { keep = sid && sst }
        END { if (keep) print buf }'
}
wait_record() { # wait_record SESSION_ID STATUS: up to 10 s
    local i
    for i in $(seq 50); do
        [ -n "$(record "$1" "$2")" ] && return 0
        sleep 0.2
    done
    return 1
}
has() { grep -q -- "$2" <<<"$1"; }  # has TEXT PATTERN
hold() { # hold FILE ARGS...: a dialer held up in the background
    local out=$1
    shift
    netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --connect "$LAB_LAC_STREAM" --timeout 45 "$@" > "$out" 2>&1 &
    dial_pids="${dial_pids:-} $!"
    local i
    for i in $(seq 100); do grep -q outcome= "$out" && return 0; sleep 0.2; done
    return 1
}
# dae CMD ATTRS...: radclient from the AAA namespace (the broker's address)
dae() {
    local cmd=$1
    shift
    printf '%s\n' "$@" | netns_exec "$LAB_NS_AAA" radclient -x -r 1 -t 2 10.88.1.2:3799 "$cmd" "$LAB_RADIUS_SECRET" 2>&1
}
counter() { lacctl_ show counters | grep "^$1 " | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
# dae_id ID ATTR=VALUE...: a Disconnect-Request with a fixed Identifier, built
# by dae_send.py (radclient 3.2 cannot fix it): the same arguments give the
# same bytes, from a new source port each run
dae_id() {
    netns_exec "$LAB_NS_AAA" /usr/bin/python3 "$top/tests/integration/dae_send.py" 10.88.1.2:3799 \
        "$LAB_RADIUS_SECRET" "$@" 2>&1
}

status_seen() { detail | grep -q "Acct-Status-Type = $1"; }
wait_status() { local i; for i in $(seq 50); do status_seen "$1" && return 0; sleep 0.2; done; return 1; }
t_check "lac-core announced itself with Accounting-On" wait_status Accounting-On

# 1. A tunnelled subscriber: Start with the RFC 2867 attributes.
t_check "carol dials and is held up" hold "$RLNS_STATE/carol.out" --user carol@corp.example --password carol-pw --hold 60
line=$(lacctl_ show sessions | grep -m1 'user=carol@corp.example ')
sid=$(lab_kv "$line" acct_session_id)
serial=$(lacctl_ show tunnels | grep -m1 "session tid=$(lab_kv "$line" tid) sid=$(lab_kv "$line" sid) " |
         tr ' ' '\n' | grep '^call_serial=' | cut -d= -f2)
t_check "carol relayed, Acct-Session-Id $sid, call serial $serial" test -n "$sid" -a -n "$serial"
t_check "the broker recorded carol's Start" wait_record "$sid" Start
start=$(record "$sid" Start)
t_check "Start: User-Name" has "$start" 'User-Name = "carol@corp.example"'
t_check "Start: NAS-IP-Address and NAS-Identifier" has "$start" 'NAS-Identifier = "lac1"'
t_check "Start: Tunnel-Type L2TP" has "$start" 'Tunnel-Type:[0-9]* = L2TP'
t_check "Start: Tunnel-Medium-Type IPv4" has "$start" 'Tunnel-Medium-Type:[0-9]* = IPv4'
t_check "Start: Tunnel-Server-Endpoint lns1" has "$start" 'Tunnel-Server-Endpoint:[0-9]* = "10.88.2.2'
t_check "Start: Tunnel-Client-Auth-Id lac1" has "$start" 'Tunnel-Client-Auth-Id:[0-9]* = "lac1"'
t_check "Start: Tunnel-Server-Auth-Id lns1 (the LNS's Host Name)" has "$start" 'Tunnel-Server-Auth-Id:[0-9]* = "lns1"'
t_check "Start: Tunnel-Client-Endpoint (our address towards lns1)" has "$start" 'Tunnel-Client-Endpoint:[0-9]* = "10.88.2.1"'
t_check "Start: Tunnel-Assignment-Id" has "$start" 'Tunnel-Assignment-Id'
t_check "Start: Acct-Tunnel-Connection = call serial $serial" has "$start" "Acct-Tunnel-Connection = \"$serial\""

t_check "an Interim-Update for carol arrives within 2 s" wait_record "$sid" Interim-Update
t_check "Interim-Update: Acct-Session-Time and counters" has "$(record "$sid" Interim-Update)" 'Acct-Output-Octets = '

# 2. Disconnect-Request, signed, from the broker's address: ACK, link down.
out=$(dae disconnect "Acct-Session-Id = \"$sid\"" 'User-Name = "carol@corp.example"' 'Message-Authenticator = 0x00')
t_check "Disconnect-Request for carol gets Disconnect-ACK" has "$out" 'Received Disconnect-ACK'
for i in $(seq 50); do grep -q 'event=down' "$RLNS_STATE/carol.out" && break; sleep 0.2; done
t_check "carol's lac-dial saw the link go down" grep -q 'event=down' "$RLNS_STATE/carol.out"
sleep 1
t_eq "l2tpns lns1 cleared carol's session" \
    "$(lns_sessions lns1 "$RLNS_STATE" | awk '$4 == "carol@corp.example" && $5 != "0.0.0.0"' | wc -l)" 0
t_check "the broker recorded carol's Stop" wait_record "$sid" Stop
stop=$(record "$sid" Stop)
t_check "Stop: Acct-Terminate-Cause Admin-Reset" has "$stop" 'Acct-Terminate-Cause = Admin-Reset'
t_check "Stop: Acct-Session-Time" has "$stop" 'Acct-Session-Time = '
t_check "Stop: octet counters" has "$stop" 'Acct-Input-Octets = '
t_check "Stop: Acct-Tunnel-Connection" has "$stop" "Acct-Tunnel-Connection = \"$serial\""

# 3. Unknown session: NAK 503; unsigned: dropped and counted.
out=$(dae disconnect 'Acct-Session-Id = "FFFFFFFF00000000"' 'Message-Authenticator = 0x00')
t_check "an unknown session gets Disconnect-NAK" has "$out" 'Received Disconnect-NAK'
t_check "...with Error-Cause Session-Context-Not-Found" has "$out" 'Error-Cause = Session-Context-Not-Found'
before=$(counter dae no_message_authenticator)
out=$(dae disconnect 'User-Name = "carol@corp.example"')
t_check "an unsigned Disconnect-Request gets no answer" has "$out" 'No reply from server'
t_eq "lac-core counted the unsigned request" "$(counter dae no_message_authenticator)" "$((before + 1))"
t_eq "lac-core counted one ACK" "$(counter dae disconnect_acks)" 1
t_eq "and one NAK" "$(counter dae disconnect_naks)" 1

# 4. CoA Session-Timeout on a locally terminated subscriber.
t_check "bob (local) dials and is held up" hold "$RLNS_STATE/bob.out" --user bob@local.example --password bob-pw --hold 60
line=$(lacctl_ show sessions | grep -m1 'user=bob@local.example ')
bsid=$(lab_kv "$line" acct_session_id)
t_check "the broker recorded bob's Start" wait_record "$bsid" Start
t_check "bob's Start has his Framed-IP-Address" has "$(record "$bsid" Start)" 'Framed-IP-Address = 10.66.0.10'
out=$(dae coa 'Framed-IP-Address = 10.66.0.10' 'Session-Timeout = 2' 'Message-Authenticator = 0x00')
t_check "CoA Session-Timeout gets CoA-ACK" has "$out" 'Received CoA-ACK'
out=$(dae coa 'Framed-IP-Address = 10.66.0.10' 'Filter-Id = "gold"' 'Message-Authenticator = 0x00')
t_check "CoA with an unsupported attribute gets CoA-NAK" has "$out" 'Received CoA-NAK'
t_check "...Unsupported-Attribute" has "$out" 'Error-Cause = Unsupported-Attribute'
t_check "bob's session ends at the new Session-Timeout" wait_record "$bsid" Stop
t_check "Stop: Acct-Terminate-Cause Session-Timeout" has "$(record "$bsid" Stop)" 'Acct-Terminate-Cause = Session-Timeout'
t_check "bob's lac-dial saw the link go down" grep -q 'event=down' "$RLNS_STATE/bob.out"

# 4b. CoA Idle-Timeout: a local subscriber that sends no data is dropped.
t_check "dave (local, idle) dials and is held up" hold "$RLNS_STATE/dave.out" --user dave@local.example --password dave-pw --hold 60
dsid=$(lab_kv "$(lacctl_ show sessions | grep -m1 'user=dave@local.example ')" acct_session_id)
t_check "the broker recorded dave's Start" wait_record "$dsid" Start
out=$(dae coa 'User-Name = "dave@local.example"' 'Idle-Timeout = 2' 'Message-Authenticator = 0x00')
t_check "CoA Idle-Timeout gets CoA-ACK" has "$out" 'Received CoA-ACK'
t_check "dave's session ends after 2 idle seconds" wait_record "$dsid" Stop
t_check "Stop: Acct-Terminate-Cause Idle-Timeout" has "$(record "$dsid" Stop)" 'Acct-Terminate-Cause = Idle-Timeout'
t_eq "lac-core counted one idle timeout" "$(lacctl_ show counters | grep -o 'idle_timeouts=[0-9]*' | cut -d= -f2)" 1

# 4c. RFC 5176 3.3 replay protection (lac-core runs with replay_window_s = 12,
# so 10 s is inside the window and 16 s outside, as 10 s and 400 s are with the
# default 300 s): a replayed Disconnect-Request is NAKed, never run twice.
t_check "erin (local) dials and is held up" hold "$RLNS_STATE/erin.out" --user dave@local.example --password dave-pw --hold 60
esid=$(lab_kv "$(lacctl_ show sessions | grep -m1 'user=dave@local.example ')" acct_session_id)
t_check "the broker recorded erin's Start" wait_record "$esid" Start
ts=$(date +%s)
req=("Acct-Session-Id=$esid" "Event-Timestamp=$ts")
out=$(dae_id 77 "${req[@]}")
t_check "a Disconnect-Request with a current Event-Timestamp gets Disconnect-ACK" has "$out" 'Received Disconnect-ACK'
t_check "erin's session ends" wait_record "$esid" Stop
sleep $((ts + 10 - $(date +%s)))
out=$(dae_id 77 "${req[@]}")
t_check "the same packet 10 s later, from a new source port, gets Disconnect-NAK" has "$out" 'Received Disconnect-NAK'
t_check "...Error-Cause 404 Invalid-Request (a replay), not 503 Session-Context-Not-Found" has "$out" 'Error-Cause = 404'
t_eq "lac-core counted one replay" "$(counter dae replays)" 1
sleep $((ts + 16 - $(date +%s)))
out=$(dae_id 77 "${req[@]}")
t_check "the same packet past the window gets Disconnect-NAK Invalid-Request" has "$out" 'Error-Cause = 404'
t_eq "lac-core counted it stale" "$(counter dae stale)" 1
t_check "frank (local) dials and is held up" hold "$RLNS_STATE/frank.out" --user dave@local.example --password dave-pw --hold 60
fsid=$(lab_kv "$(lacctl_ show sessions | grep -m1 'user=dave@local.example ')" acct_session_id)
out=$(dae_id 78 "Acct-Session-Id=$fsid" "Event-Timestamp=$(( $(date +%s) - 100 ))")
t_check "an Event-Timestamp 100 s old (window 12 s) gets Disconnect-NAK" has "$out" 'Error-Cause = 404'
t_eq "...counted stale" "$(counter dae stale)" 2
t_check "...and frank's session was not touched" has "$(lacctl_ show sessions)" "acct_session_id=$fsid"
out=$(dae_id 79 "Acct-Session-Id=$fsid" "Event-Timestamp=$(date +%s)")
t_check "a fresh request for frank gets Disconnect-ACK" has "$out" 'Received Disconnect-ACK'
t_eq "handler runs: the ACKs so far" "$(counter dae disconnect_acks)" 3

# 5. Shutdown: every live session's Stop says NAS-Reboot, and arrives.
t_check "alice dials and is held up" hold "$RLNS_STATE/alice.out" --user alice@corp.example --password alice-pw --hold 60
asid=$(lab_kv "$(lacctl_ show sessions | grep -m1 'user=alice@corp.example ')" acct_session_id)
t_check "the broker recorded alice's Start" wait_record "$asid" Start
acct_line=$(lacctl_ show counters | grep '^radius_acct ')
t_check "lacctl shows accounting counters: $acct_line" has "$acct_line" 'responses=[1-9]'
t_check "lac-core stops on SIGTERM" lac_stop lac "$RLNS_STATE"
t_check "alice's Stop arrived before lac-core exited" test -n "$(record "$asid" Stop)"
t_check "Stop: Acct-Terminate-Cause NAS-Reboot" has "$(record "$asid" Stop)" 'Acct-Terminate-Cause = NAS-Reboot'
t_check "and Accounting-Off followed" status_seen Accounting-Off

t_done
