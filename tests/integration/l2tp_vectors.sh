#!/bin/bash
# l2tp_vectors: the byte vectors of tests/unit/test_l2tp_codec.c, one per
# control message type, put behind a control header into a capture
# (text2pcap) and dissected by tshark: every one must be recognised as the
# message it claims to be, with no malformed packet or expert warning. This
# checks our hand-written vectors against an independent decoder.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/integration/testlib.sh"
command -v text2pcap >/dev/null && command -v tshark >/dev/null || { echo "SKIP: no text2pcap/tshark"; exit 77; }
TMP=$(mktemp -d /tmp/rlt-l2tpv.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

/usr/bin/python3 - "$top_srcdir/tests/unit/test_l2tp_codec.c" "$TMP/vec.txt" "$TMP/names" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
start = src.index("static const struct vec vectors[]")
block = src[start:src.index("};", start)]
out, names = open(sys.argv[2], "w"), open(sys.argv[3], "w")
for m in re.finditer(r'\{ "(\w+)", L2TP_MSG_\w+,\s*((?:"[^"]*"\s*)+)\}', block):
    body = bytes.fromhex("".join(re.findall(r'"([^"]*)"', m.group(2))).replace(" ", ""))
    pkt = bytes.fromhex("c802") + (12 + len(body)).to_bytes(2, "big") + bytes.fromhex("0007000000000000") + body
    out.write("0000 " + " ".join("%02x" % b for b in pkt) + "\n")
    names.write(m.group(1) + "\n")
PY
n=$(wc -l < "$TMP/names")
if [ "$n" -ge 14 ]; then t_ok "$n vectors extracted"; else t_fail "vectors extracted" "only $n"; fi
text2pcap -q -u 1701,1701 "$TMP/vec.txt" "$TMP/vec.pcap" 2>"$TMP/t2p.err" || { t_fail "text2pcap" "$(cat "$TMP/t2p.err")"; t_done; exit 1; }
tshark -r "$TMP/vec.pcap" -T fields -e l2tp.avp.message_type 2>/dev/null > "$TMP/types"
t_eq "tshark sees one L2TP control message per vector" "$(grep -c . "$TMP/types")" "$n"
# tshark prints the type by number; our names in the same order.
want="1 2 3 4 6 7 8 9 10 11 12 14 15 16"
t_eq "message types as tshark decodes them" "$(tr '\n' ' ' < "$TMP/types" | sed 's/ $//')" "$want"
bad=$(tshark -r "$TMP/vec.pcap" -Y '_ws.malformed || _ws.expert.severity >= warning' 2>/dev/null)
if [ -z "$bad" ]; then t_ok "no malformed or warning packet"; else t_fail "no malformed or warning packet" "$bad"; fi
t_done
