#!/bin/bash
# access_line_vectors: the byte vectors of tests/unit/test_access_line.c (one
# access line as a TR-101 PPPoE tag, as RFC 4679 RADIUS attributes and as
# RFC 5515 L2TP AVPs) put into a PADI, an Access-Request and an ICRQ and
# dissected by tshark: every field must read back as the unit test expects,
# with no malformed packet or expert warning. This checks our hand-written
# vectors against an independent decoder.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/integration/testlib.sh"
command -v tshark >/dev/null || { echo "SKIP: no tshark"; exit 77; }
TMP=$(mktemp -d /tmp/rlt-alv.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

/usr/bin/python3 - "$top_srcdir/tests/unit/test_access_line.c" "$TMP/v.pcap" <<'PY'
import re, struct, sys
src = open(sys.argv[1]).read()
def vec(name):
    m = re.search(r'static const char ' + name + r'\[\] =((?:\s*"[0-9a-f]*")+);', src)
    return bytes.fromhex("".join(re.findall(r'"([0-9a-f]*)"', m.group(1))))
tr, rad, l2 = vec("tr101_hex"), vec("radius_hex"), vec("l2tp_hex")
def csum(b):
    s = sum(struct.unpack("!10H", b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
def ipudp(port, payload):
    udp = struct.pack(">HHHH", port, port, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    ip = ip[:10] + struct.pack(">H", csum(ip)) + ip[12:]
    return bytes.fromhex("020000000002020000000001") + b"\x08\x00" + ip + udp
tags = struct.pack(">HH", 0x0101, 0) + struct.pack(">HH", 0x0105, len(tr)) + tr
padi = b"\xff" * 6 + bytes.fromhex("001122334455") + b"\x88\x63" + struct.pack(">BBHH", 0x11, 0x09, 0, len(tags)) + tags
attrs = bytes([1, 6]) + b"u@ex" + rad
radius = struct.pack(">BBH", 1, 1, 20 + len(attrs)) + b"\x11" * 16 + attrs
def avp(t, v): return struct.pack(">HHH", 0x8000 | (6 + len(v)), 0, t) + v
body = avp(0, struct.pack(">H", 10)) + avp(14, struct.pack(">H", 7)) + avp(15, struct.pack(">I", 1)) + l2
l2tp = struct.pack(">HHHHHH", 0xc802, 12 + len(body), 5, 0, 0, 0) + body
with open(sys.argv[2], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate([padi, ipudp(1812, radius), ipudp(1701, l2tp)]):
        f.write(struct.pack("<IIII", i, 0, len(fr), len(fr)) + fr)
PY
[ -s "$TMP/v.pcap" ] && t_ok "vectors extracted" || { t_fail "vectors extracted" "no capture"; t_done; exit 1; }
f() { tshark -r "$TMP/v.pcap" -Y "$1" -T fields -E separator=, $(for e in $2; do printf -- '-e %s ' "$e"; done) 2>/dev/null; }
t_eq "PADI: TR-101 ids" "$(f pppoed 'pppoed.tags.circuit_id pppoed.tags.remote_id')" "dslam-7 eth 1/2/3:100,cpe-0042"
t_eq "PADI: TR-101 rates (kbit/s)" \
    "$(f pppoed 'pppoed.tags.act_data_rate_up pppoed.tags.act_data_rate_down pppoed.tags.min_data_rate_up pppoed.tags.min_data_rate_down pppoed.tags.max_data_rate_up pppoed.tags.max_data_rate_down')" \
    "1024,16384,64,512,2048,24000"
t_eq "PADI: access loop encapsulation" "$(f pppoed 'pppoed.tags.access_loop_encap.encap_1 pppoed.tags.access_loop_encap.encap_2')" "0x02,0x00"
t_eq "RADIUS: RFC 4679 ids" "$(f radius 'radius.ADSL_Agent_Circuit_Id radius.ADSL_Agent_Remote_Id')" "dslam-7 eth 1/2/3:100,cpe-0042"
t_eq "RADIUS: RFC 4679 rates (bit/s)" \
    "$(f radius 'radius.Actual_Data_Rate_Upstream radius.Actual_Data_Rate_Downstream radius.Minimum_Data_Rate_Upstream radius.Minimum_Data_Rate_Downstream radius.Maximum_Data_Rate_Upstream radius.Maximum_Data_Rate_Downstream')" \
    "1024000,16384000,64000,512000,2048000,24000000"
t_eq "L2TP: RFC 5515 ids" "$(f l2tp 'l2tp.broadband.agent_circuit_id l2tp.broadband.agent_remote_id')" "dslam-7 eth 1/2/3:100,cpe-0042"
t_eq "L2TP: RFC 5515 rates (64-bit bit/s)" \
    "$(f l2tp 'l2tp.broadband.actual_dr_up l2tp.broadband.actual_dr_down l2tp.broadband.minimum_dr_up l2tp.broadband.minimum_dr_down l2tp.broadband.maximum_dr_up l2tp.broadband.maximum_dr_down')" \
    "1024000,16384000,64000,512000,2048000,24000000"
t_eq "L2TP: loop encapsulation and ANCP access line type" \
    "$(f l2tp 'l2tp.broadband.access_loop_encapsulation.data_link l2tp.broadband.access_loop_encapsulation.enc1 l2tp.broadband.ancp_access_line_type')" \
    "0x01,0x02,0x00000005"
t_eq "L2TP: M set on the 3 IETF AVPs only, clear on every RFC 5515 AVP" "$(tshark -r "$TMP/v.pcap" -Y l2tp -V 2>/dev/null | grep -B1 -c 'Mandatory: True' )" "3"
bad=$(tshark -r "$TMP/v.pcap" -Y '_ws.malformed || _ws.expert.severity >= warning' 2>/dev/null)
if [ -z "$bad" ]; then t_ok "no malformed or warning packet"; else t_fail "no malformed or warning packet" "$bad"; fi
t_done
