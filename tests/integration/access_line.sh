#!/bin/bash
# access_line (issue 11), real parts only: lac-core serves PPPoE on VLANs of
# its subscriber-facing interface (802.1Q 100-199 and 802.1ad 1000 + 802.1Q
# inner, untagged too) and forwards the TR-101 access-line tag; FreeRADIUS with
# rlm_realm_lns and Redis as the broker; Debian's l2tpns as the LNS.
#
# Checks: a subscriber on a real 802.1Q VLAN sub-interface and one on a real
# 802.1ad + 802.1Q stack dial through to l2tpns (lac-dial on the VLAN
# interface, and Debian's rp-pppoe `pppoe` client on it carrying lac-dial's
# PPP); lacctl shows the VLANs in NAS-Port-Id; a PADI/PADR with a TR-101 tag
# gets its Agent-Circuit-Id and rates into the broker's Access-Request
# (FreeRADIUS -X output) and Accounting-Request (detail file), and into the
# ICRQ as RFC 5515 AVPs with Tx/Rx Connect Speed in the ICCN (dumpcap in the
# LAC's namespace, tshark: no malformed frame); lacctl drain refuses new calls
# and keeps the live one, undrain takes calls again; the per-realm maximum
# refuses exactly the call over it; refusals are counted by cause; l2tpns's
# LCP renegotiation (it ignores proxy LCP) passes through lac-core. With
# access_line_l2tp = realm, only a realm whose broker record has
# access_line_forwarding (corp.example in the demo) gets the RFC 5515 AVPs:
# a call of a realm without it sends an ICRQ without them.
set -u
. "$(dirname "$0")/testlib.sh"
t_require_root

export RLNS_PREFIX=rlt-al-$$
export RLNS_STATE
RLNS_STATE=$(mktemp -d /tmp/rlt-al.XXXXXX)
export RLNS_NO_BUILD=1 RLNS_NO_DEPS=1
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/lab.d/lib.sh"

cleanup() {
    [ -n "${cap_pid:-}" ] && kill "$cap_pid" 2>/dev/null
    [ -n "${bridge_pid:-}" ] && kill "$bridge_pid" 2>/dev/null
    [ -n "${hold_pid:-}" ] && kill "$hold_pid" 2>/dev/null
    [ "${RLNS_KEEP:-0}" = 1 ] && { echo "kept: RLNS_PREFIX=$RLNS_PREFIX RLNS_STATE=$RLNS_STATE"; return; }
    lab_down >/dev/null 2>&1
    rm -rf "$RLNS_STATE"
}
trap cleanup EXIT
trap 'exit 1' TERM INT

lab_down >/dev/null 2>&1
mkdir -p "$RLNS_STATE"
lab_topology_up || { t_fail "topology"; t_done; exit 1; }
for part in redis broker lns1 lns2; do
    if why=$(lab_part_built "$part"); then
        # -X for the broker only: its debug output lists each Access-Request's attributes
        if [ "$part" = broker ]; then
            RLNS_DEBUG=1 t_check "start $part (debug)" lab_part_up broker
        else
            t_check "start $part" lab_part_up "$part"
        fi
    else
        t_fail "start $part" "$why"
    fi
done
t_check "provision demo realms with realmctl" lab_provision

# lac-core as the lab renders it, plus VLANs, access-line formats and limits.
lac_config lac "$RLNS_STATE" STREAM_LISTEN="$LAB_LAC_STREAM" PPPOE_IF="$LAB_LAC_PPPOE_IF" \
    RADIUS_SERVER="$LAB_RADIUS_ADDR:$LAB_RADIUS_PORT" RADIUS_SECRET="$LAB_RADIUS_SECRET" \
    NAS_IP=10.88.1.2 HOST_NAME=lac1 DAE_LISTEN=none
cat >> "$RLNS_STATE/lac/lac.conf" <<'EOF'
[pppoe]
vlan = 100-199
vlan = 1000.1-4094
untagged = yes
calling_station_id_format = circuit-id,mac
calling_station_id_delimiter = |
nas_port_id_format = interface,vlan,session
nas_port_id_delimiter = :
access_line_radius = yes
access_line_l2tp = realm
[admission]
max_sessions_per_realm = 2
EOF
t_check "start lac with VLANs and access-line settings" lac_start lac "$LAB_NS_LAC" "$RLNS_STATE" ||
    { t_done; exit 1; }

# Real VLAN sub-interfaces on the subscriber side when the kernel has 802.1Q
# (CONFIG_VLAN_8021Q); without it, lac-dial tags its frames itself (--vlan),
# which is the same on the wire, and rp-pppoe dials untagged.
ns=$LAB_NS_SUB
if ip -n "$ns" link add link pppoe-sub name vl100 type vlan id 100 2>/dev/null; then
    ip -n "$ns" link add link pppoe-sub name vs1000 type vlan proto 802.1ad id 1000 &&
        ip -n "$ns" link add link vs1000 name vs1000.42 type vlan id 42 &&
        ip -n "$ns" link set vl100 up && ip -n "$ns" link set vs1000 up && ip -n "$ns" link set vs1000.42 up
    t_eq "802.1Q and 802.1ad+802.1Q sub-interfaces" "$?" 0
    V100=(--pppoe vl100) Q42=(--pppoe vs1000.42) RP_IF=vl100
else
    echo "# SKIP: no 802.1Q in this kernel: VLAN tags come from lac-dial --vlan; rp-pppoe dials untagged"
    V100=(--pppoe pppoe-sub --vlan 100) Q42=(--pppoe pppoe-sub --vlan 1000.42) RP_IF=pppoe-sub
fi

cap=$RLNS_STATE/l2tp.pcapng
ip netns exec "$LAB_NS_LAC" dumpcap -q -i lns1 -f 'udp port 1701' -w "$cap" >/dev/null 2>&1 &
cap_pid=$!
sleep 1

dial() { netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --timeout 30 "$@" 2>&1; }
field() { lab_kv "$(printf '%s\n' "$1" | grep -m1 'outcome=')" "$2"; }
lacctl_() { lac_ctl lac "$RLNS_STATE" "$@"; }
lacctl_has() { local pat=$1; shift; lacctl_ "$@" | grep -q -- "$pat"; }
port_id_is() { case "$(lab_kv "$1" port_id)" in $2) return 0 ;; esac; return 1; }
counter() { lacctl_ show counters | grep "^$1 " | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }

# 1. 802.1Q VLAN 100 with a TR-101 tag: up through lns1, held while we look.
dial "${V100[@]}" --user alice@corp.example --password alice-pw --hold 8 \
    --tr101 "dslam-7 eth 1/2/3:100,cpe-0042,1024,16384" > "$RLNS_STATE/alice.out" &
hold_pid=$!
for i in $(seq 100); do grep -q outcome= "$RLNS_STATE/alice.out" && break; sleep 0.2; done
t_eq "alice on 802.1Q VLAN 100 (TR-101 tag) is up" "$(field "$(cat "$RLNS_STATE/alice.out")" outcome)" up
line=$(lacctl_ show sessions | grep -m1 'user=alice@corp.example ')
t_check "lacctl shows VLAN 100 in NAS-Port-Id: $(lab_kv "$line" port_id)" port_id_is "$line" 'pppoe-lac:100:*'
t_check "lacctl shows Calling-Station-Id from the Agent-Circuit-Id" lacctl_has 'calling=dslam-7' show sessions

# 2. Drain while alice is up: a new call is refused, alice stays.
t_check "lacctl drain" lacctl_has 'draining=yes' drain
out=$(dial "${Q42[@]}" --user carol@corp.example --password carol-pw --timeout 8 --expect rejected)
t_check "a new call while draining does not come up ($(field "$out" outcome))" test "$(field "$out" outcome)" != up
t_eq "the draining refusal is counted" "$(counter admission refused_draining)" 1
t_check "alice is still relayed while draining" lacctl_has 'user=alice@corp.example state=relay' show sessions
t_check "lacctl undrain" lacctl_has 'draining=no' undrain

# 3. 802.1ad 1000 + 802.1Q 42 (QinQ): up, NAS-Port-Id shows both ids.
dial "${Q42[@]}" --user carol@corp.example --password carol-pw --hold 6 > "$RLNS_STATE/carol.out" &
carol_pid=$!
for i in $(seq 100); do grep -q outcome= "$RLNS_STATE/carol.out" && break; sleep 0.2; done
t_eq "carol on 802.1ad 1000 + 802.1Q 42 is up" "$(field "$(cat "$RLNS_STATE/carol.out")" outcome)" up
line=$(lacctl_ show sessions | grep -m1 'user=carol@corp.example ')
t_check "lacctl shows 1000.42 in NAS-Port-Id: $(lab_kv "$line" port_id)" port_id_is "$line" 'pppoe-lac:1000.42:*'

# 4. The realm holds 2 sessions (alice, carol): a third corp.example call is
# refused with the admission message, the two stay.
out=$(dial "${V100[@]}" --first 7 --user dave@corp.example --password dave-pw --timeout 10 --expect rejected)
t_eq "the third corp.example call is refused (realm maximum 2)" "$(field "$out" outcome)" rejected
t_eq "the realm refusal is counted" "$(counter admission refused_realm_limit)" 1
wait "$carol_pid" 2>/dev/null
wait "$hold_pid" 2>/dev/null
hold_pid=

# 5. Debian's rp-pppoe client on the 802.1Q VLAN interface: it does the PPPoE,
# lac-dial the PPP (async HDLC over a TCP bridge to pppoe's stdin/stdout).
if command -v pppoe >/dev/null; then
    netns_exec "$LAB_NS_SUB" /usr/bin/python3 - "$RLNS_STATE/bridge.port" "$RP_IF" <<'PY' &
import os, socket, subprocess, sys, select
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(1); s.settimeout(40)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
c, _ = s.accept()
p = subprocess.Popen(["pppoe", "-I", sys.argv[2], "-T", "20"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
fds = [c, p.stdout]
while True:
    r, _, _ = select.select(fds, [], [], 30)
    if not r: break
    if c in r:
        d = c.recv(4096)
        if not d: break
        p.stdin.write(d); p.stdin.flush()
    if p.stdout in r:
        d = os.read(p.stdout.fileno(), 4096)
        if not d: break
        c.sendall(d)
p.terminate()
PY
    bridge_pid=$!
    for i in $(seq 50); do [ -s "$RLNS_STATE/bridge.port" ] && break; sleep 0.1; done
    out=$(dial --connect "tcp:127.0.0.1:$(cat "$RLNS_STATE/bridge.port")" --user alice@corp.example \
          --password alice-pw --ping 10.88.2.2)
    t_eq "rp-pppoe on $RP_IF carries a session through to l2tpns" "$(field "$out" outcome)" up
    t_eq "ping through rp-pppoe's session answers" "$(field "$out" ping)" ok
    kill "$bridge_pid" 2>/dev/null; wait "$bridge_pid" 2>/dev/null; bridge_pid=
else
    t_fail "rp-pppoe on a VLAN" "pppoe not installed (lab.d/packages.txt lists it)"
fi

# 6. What the broker and the LNS were told.
sleep 1
kill "$cap_pid" 2>/dev/null; wait "$cap_pid" 2>/dev/null; cap_pid=
rad=$RLNS_STATE/broker/radius.out
# FreeRADIUS 3.2 types the RFC 4679 ids as octets: it prints them in hex.
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
t_check "Access-Request carries ADSL-Agent-Circuit-Id" grep -q "ADSL-Agent-Circuit-Id = 0x$(hex 'dslam-7 eth 1/2/3:100')" "$rad"
t_check "Access-Request carries Actual-Data-Rate-Downstream in bit/s" grep -q 'Actual-Data-Rate-Downstream = 16384000' "$rad"
t_check "Access-Request carries the formatted Calling-Station-Id" grep -q 'Calling-Station-Id = "dslam-7 eth 1/2/3:100|' "$rad"
t_check "Access-Request carries NAS-Port-Id with the VLAN" grep -q 'NAS-Port-Id = "pppoe-lac:100:' "$rad"
t_check "Accounting-Request (detail) carries the Agent-Remote-Id" \
    grep -rq "ADSL-Agent-Remote-Id = 0x$(hex cpe-0042)" "$RLNS_STATE/broker/radacct"
icrq=$(tshark -r "$cap" -Y 'l2tp.avp.message_type == 10 && l2tp.broadband.agent_circuit_id' -T fields \
       -e l2tp.broadband.agent_circuit_id -e l2tp.broadband.agent_remote_id -e l2tp.broadband.actual_dr_up \
       -e l2tp.broadband.actual_dr_down 2>/dev/null | head -1)
t_eq "ICRQ carries the RFC 5515 AVPs" "$icrq" "$(printf 'dslam-7 eth 1/2/3:100\tcpe-0042\t1024000\t16384000')"
iccn=$(tshark -r "$cap" -Y 'l2tp.avp.message_type == 12 && l2tp.avp.rx_connect_speed == 1024000' -T fields \
       -e l2tp.avp.connect_speed -e l2tp.avp.rx_connect_speed 2>/dev/null | head -1)
t_eq "ICCN Tx/Rx Connect Speed from the actual rates" "$iccn" "$(printf '16384000\t1024000')"
# l2tpns ignores proxy LCP and restarts LCP with the subscriber after the
# ICCN (l2tpns 2.4.1 always does): its Configure-Requests ride the data channel and
# were answered through lac-core, since every session above came up.
lcp_from_lns=$(tshark -r "$cap" -Y 'ip.src == 10.88.2.2 && lcp && ppp.code == 1' 2>/dev/null | wc -l)
lcp_acks=$(tshark -r "$cap" -Y 'ip.dst == 10.88.2.2 && lcp && ppp.code == 2' 2>/dev/null | wc -l)
t_check "the LNS renegotiated LCP through lac-core ($lcp_from_lns Configure-Request, $lcp_acks Configure-Ack back)" \
    test "$lcp_from_lns" -gt 0 -a "$lcp_acks" -gt 0
bad=$(tshark -r "$cap" -Y '_ws.malformed' 2>/dev/null | head -3)
t_eq "tshark finds no malformed L2TP frame" "$bad" ""

# 7. The per-realm switch: a tunnel realm without access_line_forwarding, on
# the same LNS. Its ICRQ goes out without the access-line AVPs (the LNS's own
# AAA does not know the user; the call need not come up for the check).
rctl() { netns_exec "$LAB_NS_AAA" "$LAB_BIN_REALMCTL" --redis "$LAB_REDIS_URL" "$@"; }
t_check "realmctl: a tunnel realm without access_line_forwarding" \
    rctl realm add wholesale.example --mode tunnel
t_check "realmctl: its LNS is lns1" \
    rctl lns add wholesale.example lns1 --endpoint 10.88.2.2 --secret corp-l2tp-secret-1
show_has() { rctl realm show "$1" | grep -q -- "$2"; }
t_check "realmctl realm show: corp.example forwards" show_has corp.example 'access_line_forwarding=1'
t_check "realmctl realm show: wholesale.example does not" show_has wholesale.example 'access_line_forwarding=0'
cap2=$RLNS_STATE/l2tp-realm.pcapng
ip netns exec "$LAB_NS_LAC" dumpcap -q -i lns1 -f 'udp port 1701' -w "$cap2" >/dev/null 2>&1 &
cap_pid=$!
sleep 1
dial "${V100[@]}" --user zed@wholesale.example --password zed-pw \
    --tr101 "dslam-9 eth 9/9/9:100,cpe-0099,2048,32768" >/dev/null
sleep 1
kill "$cap_pid" 2>/dev/null; wait "$cap_pid" 2>/dev/null; cap_pid=
n_icrq=$(tshark -r "$cap2" -Y 'l2tp.avp.message_type == 10' 2>/dev/null | wc -l)
t_check "wholesale.example's call sent an ICRQ ($n_icrq)" test "$n_icrq" -ge 1
fwd=$(tshark -r "$cap2" -Y 'l2tp.avp.message_type == 10 && l2tp.broadband.agent_circuit_id' 2>/dev/null | wc -l)
t_eq "...without the RFC 5515 AVPs (the realm does not forward)" "$fwd" 0
spd=$(tshark -r "$cap2" -Y 'l2tp.avp.message_type == 12 && l2tp.avp.rx_connect_speed == 2048000' 2>/dev/null | wc -l)
t_eq "...and without connect speeds from the line" "$spd" 0
t_done
