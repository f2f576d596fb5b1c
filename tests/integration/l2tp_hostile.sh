#!/bin/bash
# l2tp_hostile: a hostile fake LNS (tests/tools/l2tp_fake_lns.py) throws
# malformed, truncated, oversized and out-of-state messages at lac-core's L2TP
# engine while the same engine holds a session on a real l2tpns. The engine
# must count what it drops, answer as RFC 2661 says (CDN 2/8 for an unknown
# mandatory AVP in a session message, StopCCN 7 for a message out of state,
# StopCCN 4 to an SCCRQ, a re-ack for a duplicate), and the l2tpns session
# must still carry pings afterwards.
#
# Namespaces rlt-l2tph-{lac,lns1,fake}; 10.90.11.0/24 (lns1), 10.90.12.0/24
# (fake); pool 10.91.11.0/24.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/integration/testlib.sh"
t_require_root
. "$top_srcdir/lab.d/lib.sh"

DRIVE=$top_builddir/tests/tools/l2tp_drive
FAKE=$top_srcdir/tests/tools/l2tp_fake_lns.py
[ -x "$DRIVE" ] || { echo "not ok - $DRIVE not built (make check builds it)"; exit 1; }

P=rlt-l2tph-$$
LAC=$P-lac; LNS1=$P-lns1; FAKENS=$P-fake
SECRET=hostile-secret
STATE=$(mktemp -d /tmp/rlt-l2tph.XXXXXX)

cleanup() {
    lns_stop lns1 "$STATE" 2>/dev/null
    for ns in $LAC $LNS1 $FAKENS; do netns_destroy "$ns" 2>/dev/null; done
    if [ -n "$KEEP_STATE" ]; then echo "# state kept in $STATE"; else rm -rf "$STATE"; fi
}
trap cleanup EXIT

for ns in $LAC $LNS1 $FAKENS; do netns_destroy "$ns" 2>/dev/null
    # A concurrent "ip netns" elsewhere on the machine can race the first try.
    netns_create "$ns" || { sleep 1; netns_create "$ns"; } || exit 1
done
netns_veth $LAC h-lns1 10.90.11.1/24 $LNS1 h-lac 10.90.11.2/24 || exit 1
netns_veth $LAC h-fake 10.90.12.1/24 $FAKENS h-lac 10.90.12.2/24 || exit 1
printf 'alice alice-pw\n' > "$STATE/users"

if lns_start lns1 $LNS1 10.90.11.2 "$SECRET" 10.91.11.0/24 "$STATE/users" "$STATE"; then
    t_ok "l2tpns started"
else
    t_fail "l2tpns started"; t_done; exit 1
fi
netns_exec $FAKENS /usr/bin/python3 "$FAKE" 10.90.12.2 "$SECRET" "$STATE/fake.log" \
    >"$STATE/fake.out" 2>&1 &
wait_for_udp $FAKENS 1701 10 || { t_fail "fake LNS listening" "$(cat "$STATE/fake.out")"; t_done; exit 1; }

netns_exec $LAC "$DRIVE" --secret "$SECRET" --user alice --password alice-pw \
    --lns 10.90.11.2 --ping 10.90.11.2 --probe 10.90.12.2 --probe-wait-ms 4000 --timeout-s 40 \
    >"$STATE/drive.out" 2>"$STATE/drive.log"
rc=$?
if [ $rc = 0 ]; then
    t_ok "session on l2tpns survived the hostile peer and still pings"
else
    t_fail "session on l2tpns survived the hostile peer and still pings" "$(tail -n 3 "$STATE/drive.out")"
fi
t_check "pinged again after the hostile phase" grep -q '^ping session=0 ok again' "$STATE/drive.out"

malformed=$(awk '$1 == "stats" { for (i = 2; i <= NF; i++) if ($i ~ /^rx_malformed=/) print substr($i, 14) }' "$STATE/drive.out")
if [ "${malformed:-0}" -ge 7 ]; then
    t_ok "malformed datagrams counted ($malformed)"
else
    t_fail "malformed datagrams counted" "rx_malformed=${malformed:-none}"
fi
unknown=$(awk '$1 == "stats" { for (i = 2; i <= NF; i++) if ($i ~ /^rx_unknown_tunnel=/) print substr($i, 19) }' "$STATE/drive.out")
if [ "${unknown:-0}" -ge 2 ]; then t_ok "unknown-tunnel datagrams counted ($unknown)"; else t_fail "unknown-tunnel datagrams counted" "${unknown:-none}"; fi

t_check "SCCRQ to the LAC refused with StopCCN result 4" grep -q '^rx stray-StopCCN result=4' "$STATE/fake.log"
t_check "tunnel came up with the fake LNS despite the burst" grep -q '^rx SCCCN' "$STATE/fake.log"
t_check "unknown mandatory AVP in ICRP: CDN result 2 error 8" grep -q '^rx CDN result=2 error=8' "$STATE/fake.log"
t_check "SCCRP out of state: StopCCN result 7" grep -q '^rx StopCCN result=7' "$STATE/fake.log"
t_check "probe session reported down" grep -q '^down session=1 ' "$STATE/drive.out"
t_check "the LAC did not crash or log errors" sh -c "! grep -q 'level=error' '$STATE/drive.log'"

# CDN "try another" during setup: the session fails over to the real LNS.
kill $(netns_exec $FAKENS ss -Hlunp "sport = :1701" | grep -o 'pid=[0-9]*' | cut -d= -f2) 2>/dev/null
sleep 0.5
netns_exec $FAKENS /usr/bin/python3 "$FAKE" 10.90.12.2 "$SECRET" "$STATE/busy.log" busy \
    >"$STATE/busy.out" 2>&1 &
wait_for_udp $FAKENS 1701 10 || t_fail "busy fake LNS listening"
if netns_exec $LAC "$DRIVE" --secret "$SECRET" --user alice --password alice-pw \
    --lns 10.90.12.2 --lns 10.90.11.2 --ping 10.90.11.2 --timeout-s 30 \
    >"$STATE/busy-drive.out" 2>"$STATE/busy-drive.log"; then
    t_ok "CDN 2/7 during setup: session failed over and came up on l2tpns"
else
    t_fail "CDN 2/7 during setup: session failed over and came up on l2tpns" "$(tail -n 3 "$STATE/busy-drive.out")"
fi
t_check "failover reported after the CDN" grep -q '^failover session=0 from=0 to=1' "$STATE/busy-drive.out"
t_done
