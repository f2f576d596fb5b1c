#!/bin/bash
# PPPoE access (RFC 2516) between two network namespaces joined by a veth pair:
# lac-core's PPPoE server on one end (tests/tools/pppoe_pair server), N
# simulated subscribers of lac-dial's PPPoE client on the other. Checks that
# discovery completes for every client with distinct session ids and Host-Uniq
# echoed, that PPP frames flow both ways, that a PADR with a bad AC-Cookie gets
# no session, that a PADT from either side ends only its own session, and that
# tshark finds nothing malformed in a capture of the whole exchange. Interop
# with rp-pppoe (Debian's pppoe package): its client discovers and tears down
# a session on our server, and our client picks its pppoe-server by AC-Name
# while our server, on the same segment, ignores PADRs meant for it.
# Namespaces rlt-pppoe-srv / rlt-pppoe-cli; removed on exit, even on failure.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/integration/testlib.sh"
t_require_root

NS_S=rlt-pposrv-$$
NS_C=rlt-ppocli-$$
IF_S=rltpo-s
IF_C=rltpo-c
N=${PPPOE_TEST_CLIENTS:-8}
PAIR=$top_builddir/tests/tools/pppoe_pair
TMP=$(mktemp -d /tmp/rlt-pppoe.XXXXXX)
SRV_PID=
CAP_PID=

cleanup() {
    [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
    [ -n "$CAP_PID" ] && kill "$CAP_PID" 2>/dev/null
    wait 2>/dev/null
    for ns in "$NS_S" "$NS_C"; do
        if ip netns list | grep -qw "$ns"; then
            for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
            ip netns del "$ns" 2>/dev/null
        fi
    done
    if [ "${KEEP_TMP:-0}" = 1 ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ ! -x "$PAIR" ]; then
    echo "missing $PAIR: run 'make check' or 'make tests/tools/pppoe_pair'" >&2
    exit 1
fi

# A previous run killed hard may have left these behind.
ip netns del "$NS_S" 2>/dev/null
ip netns del "$NS_C" 2>/dev/null
ip netns add "$NS_S" && ip netns add "$NS_C" || { t_fail "create namespaces"; t_done; exit 1; }
ip -n "$NS_S" link set lo up
ip -n "$NS_C" link set lo up
ip link add "$IF_S" netns "$NS_S" type veth peer name "$IF_C" netns "$NS_C" ||
    { t_fail "create veth pair"; t_done; exit 1; }
ip -n "$NS_S" link set "$IF_S" up
ip -n "$NS_C" link set "$IF_C" up

# Capture on the client end: every frame of both directions crosses it.
ip netns exec "$NS_C" dumpcap -q -i "$IF_C" -w "$TMP/pppoe.pcapng" >"$TMP/dumpcap.log" 2>&1 &
CAP_PID=$!
for _ in $(seq 50); do [ -s "$TMP/pppoe.pcapng" ] && break; sleep 0.1; done

ip netns exec "$NS_S" "$PAIR" server "$IF_S" -a rlt-ac -s internet -s voip \
    >"$TMP/server.out" 2>"$TMP/server.log" &
SRV_PID=$!
for _ in $(seq 50); do grep -q '^ready' "$TMP/server.out" 2>/dev/null && break; sleep 0.1; done
t_check "server starts on the veth" grep -q '^ready' "$TMP/server.out"

# Clients: discovery, frames, PADT from either side (the tool prints ok/not ok).
ip netns exec "$NS_C" "$PAIR" client "$IF_C" -n "$N" -a rlt-ac -s internet \
    >"$TMP/client.out" 2>"$TMP/client.log"
rc=$?
while read -r line; do
    case "$line" in
        "ok - "*) t_ok "${line#ok - }" ;;
        "not ok - "*) t_fail "${line#not ok - }" ;;
    esac
done <"$TMP/client.out"
t_eq "client run exits 0" "$rc" 0

# Bad cookies: no PADS, nothing allocated.
ip netns exec "$NS_C" "$PAIR" badcookie "$IF_C" >"$TMP/badcookie.out" 2>"$TMP/badcookie.log"
rc=$?
while read -r line; do
    case "$line" in
        "ok - "*) t_ok "${line#ok - }" ;;
        "not ok - "*) t_fail "${line#not ok - }" ;;
    esac
done <"$TMP/badcookie.out"
t_eq "bad-cookie probe exits 0" "$rc" 0

# 802.1Q-tagged PADIs belong to a VLAN interface, not to ours.
ip netns exec "$NS_C" "$PAIR" tagged "$IF_C" >"$TMP/tagged.out" 2>"$TMP/tagged.log"
t_check "a VLAN-tagged PADI gets no PADO" grep -q '^ok - ' "$TMP/tagged.out"

# rp-pppoe's client against our server: AC list, discovery, PADT.
if command -v pppoe >/dev/null; then
    ip netns exec "$NS_C" timeout 15 pppoe -I "$IF_C" -A >"$TMP/rp-ac.out" 2>&1
    t_check "rp-pppoe lists our AC-Name and services" \
        sh -c "grep -q 'Access-Concentrator: rlt-ac' '$TMP/rp-ac.out' && grep -q 'Service-Name: voip' '$TMP/rp-ac.out'"
    ip netns exec "$NS_C" timeout 15 pppoe -I "$IF_C" -U -S internet -d >"$TMP/rp-d.out" 2>&1
    rp_sess=$(grep -E '^[0-9]+:([0-9a-f]{2}:){5}[0-9a-f]{2}$' "$TMP/rp-d.out" | head -n1)
    t_check "rp-pppoe completes discovery with our server" test -n "$rp_sess"
    [ -n "$rp_sess" ] && ip netns exec "$NS_C" timeout 15 pppoe -I "$IF_C" -k -e "$rp_sess" >/dev/null 2>&1
    RP_SESSIONS=1
else
    t_fail "rp-pppoe interop" "pppoe not installed (lab.d/packages.txt lists it)"
    RP_SESSIONS=0
fi

# Our client against rp-pppoe's pppoe-server on a second MAC of the same
# segment (macvlan), chosen by AC-Name; our server must leave its PADRs alone.
if command -v pppoe-server >/dev/null; then
    printf '#!/bin/sh\nexec sleep 30\n' >"$TMP/fake-pppd"   # no kernel PPP here
    chmod +x "$TMP/fake-pppd"
    ip -n "$NS_S" link add rltpo-m link "$IF_S" type macvlan mode bridge &&
        ip -n "$NS_S" link set rltpo-m up
    ip netns exec "$NS_S" pppoe-server -I rltpo-m -C rlt-rp -S internet -q "$TMP/fake-pppd" \
        -X "$TMP/rp-server.pid" >"$TMP/rp-server.log" 2>&1
    sleep 0.5
    ip netns exec "$NS_C" "$PAIR" client "$IF_C" -n 3 -a rlt-rp -s internet -d \
        >"$TMP/rp-client.out" 2>"$TMP/rp-client.log"
    t_eq "our client gets sessions from rp-pppoe's server chosen by AC-Name" "$?" 0
    [ -s "$TMP/rp-server.pid" ] && kill "$(head -n1 "$TMP/rp-server.pid")" 2>/dev/null
else
    t_fail "rp-pppoe server interop" "pppoe-server not installed"
fi

# The server saw what the clients saw.
t_eq "server announced one conn per client" "$(grep -c '^conn ' "$TMP/server.out")" "$((N + RP_SESSIONS))"
t_check "conn info: MAC as Calling-Station-Id, service as Called-Station-Id, MRU 1492" \
    grep -q '^conn .*calling=02:50:00:00:00:01 called=internet mru=1492' "$TMP/server.out"

# A burst while the server does not read (stopped): what its receive ring
# (about 4,096 frames) cannot hold the kernel drops, and the server counts
# those drops (rx_kernel_drops, PACKET_STATISTICS) instead of losing them
# silently.
kill -STOP "$SRV_PID"
ip netns exec "$NS_C" /usr/bin/python3 - "$IF_C" <<'PY'
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for i in range(10000):
    src = bytes([0x02, 0x77, 0, 0, i >> 8, i & 0xff])
    # PADI: ver/type 0x11, code 0x09, session 0, length 4, Service-Name "" (0x0101)
    frame = b"\xff" * 6 + src + b"\x88\x63" + b"\x11\x09\x00\x00\x00\x04" + b"\x01\x01\x00\x00"
    s.send(frame.ljust(60, b"\x00"))
PY
kill -CONT "$SRV_PID"
sleep 1

kill -TERM "$SRV_PID"
wait "$SRV_PID"
SRV_PID=
counters=$(sed -n 's/^counters //p' "$TMP/server.out")
echo "# server $counters"
counter() { echo "$counters" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
t_eq "server counted two bad cookies" "$(counter bad_cookie)" 2
t_eq "server created one session per client" "$(counter sessions_created)" "$((N + RP_SESSIONS))"
t_eq "server counted no malformed frames" "$(counter malformed)" 0
t_eq "server skipped the two VLAN-tagged PADIs" "$(counter skipped)" 2
# client 0 hangs up mid-test, clients 2..N-1 at the end; client 1 was closed by the AC
t_eq "server received a PADT from every client that hung up" "$(counter padt_rx)" "$((N - 1 + RP_SESSIONS))"
t_check "server ignored PADRs for the other AC" test "$(counter not_for_us)" -ge 3
t_eq "server saw no frame for an unknown session" "$(counter unknown_session)" 0
t_eq "no session left after shutdown" "$(counter sessions_live)" 0
drops=$(counter rx_kernel_drops)
t_check "the kernel's drops at the server's socket are counted ($drops of a 10,000-frame burst)" \
    test "${drops:-0}" -ge 1000 -a "${drops:-0}" -lt 10000

sleep 0.5
kill -TERM "$CAP_PID"
wait "$CAP_PID" 2>/dev/null
CAP_PID=

cap=$TMP/pppoe.pcapng
tshark -r "$cap" >"$TMP/tshark.txt" 2>&1
t_check "tshark reads the capture" test -s "$TMP/tshark.txt"
malformed=$(tshark -r "$cap" -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null | wc -l)
t_eq "tshark finds no malformed or erroneous frames" "$malformed" 0
pado=$(tshark -r "$cap" -Y 'pppoe.code == 0x07' 2>/dev/null | wc -l)
pads=$(tshark -r "$cap" -Y 'pppoe.code == 0x65 && pppoe.session_id != 0' 2>/dev/null | wc -l)
t_check "capture holds PADOs and PADSs" test "$pado" -ge "$N" -a "$pads" -ge "$N"
# Our simulated subscribers (02:50:...) always send a Host-Uniq.
no_hu=$(tshark -r "$cap" -Y '(pppoe.code == 0x07 || pppoe.code == 0x65) && eth.dst[0:2] == 02:50 && !pppoed.tags.host_uniq' 2>/dev/null | wc -l)
t_eq "every PADO and PADS to our clients carries the Host-Uniq" "$no_hu" 0
padt_ac=$(tshark -r "$cap" -Y 'pppoe.code == 0xa7 && pppoed.tags.generic_error' 2>/dev/null | wc -l)
t_check "capture holds PADTs from the AC" test "$padt_ac" -ge 1
lcp=$(tshark -r "$cap" -Y 'lcp' 2>/dev/null | wc -l)
t_check "capture holds LCP frames in sessions" test "$lcp" -ge "$((3 * N))"

t_done
