#!/bin/bash
# l2tp_hostile: a hostile fake LNS (tests/tools/l2tp_fake_lns.py) throws
# malformed, truncated, oversized and out-of-state messages at lac-core's L2TP
# engine while the same engine holds a session on a real l2tpns. The engine
# must count what it drops, answer as RFC 2661 says (CDN 2/8 for an unknown
# mandatory AVP in a session message, StopCCN 7 for a message out of state,
# StopCCN 4 to an SCCRQ, a re-ack for a duplicate), and the l2tpns session
# must still carry pings afterwards. Then the setup deadlines, off-path
# attacks (spoofed tie breaker, forged ICMP) and StopCCN on a bad SCCRP
# (issue 8 items 2, 3, 10).
#
# Namespaces rlt-l2tph-{lac,lns1,fake}; 10.90.11.0/24 (lns1), 10.90.12.0/24
# (fake); pool 10.91.11.0/24.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/integration/testlib.sh"
t_require_root
. "$top_srcdir/lab.d/lib.sh"

# The engine runs under AddressSanitizer and UBSan (make check builds
# l2tp_drive_asan); any report fails the suite (checked at the end).
DRIVE=$top_builddir/tests/tools/l2tp_drive_asan
[ -x "$DRIVE" ] || DRIVE=$top_builddir/tests/tools/l2tp_drive
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
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
field() { # field FILE PREFIX KEY: value of KEY= on the first line starting with PREFIX
    awk -v p="$2" -v k="$3" '$1 == p { for (i = 2; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit } }' "$1"
}
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

# Off-path attacks during the first run's setup (issue 8 item 3).
t_check "spoofed SCCRQ with a zero tie breaker refused (StopCCN 4), not obeyed" \
    grep -q '^rx stray-StopCCN result=4 tid=556' "$STATE/fake.log"
icmp=$(field "$STATE/drive.out" stats icmp_ignored)
if [ "${icmp:-0}" -ge 3 ]; then t_ok "forged ICMP errors ignored ($icmp)"; else t_fail "forged ICMP errors ignored" "icmp_ignored=${icmp:-none}"; fi

fake_mode() { # fake_mode MODE: restart the fake LNS in MODE, log in $STATE/MODE.log
    kill $(netns_exec $FAKENS ss -Hlunp "sport = :1701" | grep -o 'pid=[0-9]*' | cut -d= -f2) 2>/dev/null
    sleep 0.3
    netns_exec $FAKENS /usr/bin/python3 "$FAKE" 10.90.12.2 "$SECRET" "$STATE/$1.log" "$1" \
        >"$STATE/$1.fake.out" 2>&1 &
    wait_for_udp $FAKENS 1701 10 || t_fail "fake LNS ($1) listening"
}
# drive2 NAME ARGS: two calls 4.5 s apart, fake LNS first, l2tpns second.
drive2() {
    local name=$1; shift
    netns_exec $LAC "$DRIVE" --secret "$SECRET" --user alice --password alice-pw \
        --lns 10.90.12.2 --lns 10.90.11.2 --ping 10.90.11.2 --timeout-s 40 "$@" \
        >"$STATE/$name-drive.out" 2>"$STATE/$name-drive.log"
}
after_ms_ok() { # after_ms_ok FILE MAX: the first failover came within MAX ms
    local ms; ms=$(field "$1" failover after_ms)
    [ -n "$ms" ] && [ "$ms" -le "$2" ]
}

# Setup deadlines (issue 8 item 2): an LNS that acknowledges the SCCRQ with a
# ZLB and never answers; the call fails over at the 3 s deadline, the LNS goes
# into the dead-cache and the call 4.5 s later goes straight to l2tpns.
fake_mode silent-sccrq
if drive2 silent-sccrq --sessions 2 --stagger-ms 4500 --tunnel-setup-timeout-s 3; then
    t_ok "SCCRQ acked, never answered: both calls up on l2tpns"
else
    t_fail "SCCRQ acked, never answered: both calls up on l2tpns" "$(tail -n 3 "$STATE/silent-sccrq-drive.out")"
fi
t_check "failover at the tunnel setup deadline" after_ms_ok "$STATE/silent-sccrq-drive.out" 4500
t_check "the later call did not try the dead LNS" sh -c "! grep -q '^failover session=1' '$STATE/silent-sccrq-drive.out'"
t_eq "the fake LNS saw one SCCRQ" "$(grep -c '^rx SCCRQ' "$STATE/silent-sccrq.log")" 1
t_check "endpoint put in the dead-cache" grep -q 'peer=10.90.12.2:1701 event=endpoint_dead' "$STATE/silent-sccrq-drive.log"

# The same for a session: ICRQ acknowledged, never answered: CDN result 10.
fake_mode silent-icrq
if drive2 silent-icrq --sessions 2 --stagger-ms 4500 --session-setup-timeout-s 3; then
    t_ok "ICRQ acked, never answered: both calls up on l2tpns"
else
    t_fail "ICRQ acked, never answered: both calls up on l2tpns" "$(tail -n 3 "$STATE/silent-icrq-drive.out")"
fi
t_check "failover at the session setup deadline" after_ms_ok "$STATE/silent-icrq-drive.out" 4500
t_check "the LNS got CDN result 10 (not established in time)" grep -q '^rx CDN result=10' "$STATE/silent-icrq.log"
t_check "the later call did not join the dead tunnel" sh -c "! grep -q '^failover session=1' '$STATE/silent-icrq-drive.out'"
t_eq "the fake LNS saw one ICRQ" "$(grep -c '^rx ICRQ' "$STATE/silent-icrq.log")" 1
t_check "the ICRP that crossed the LAC's CDN got a CDN on the LNS's session ID" \
    grep -q '^rx CDN result=10 .*sid=33 ' "$STATE/silent-icrq.log"
st=$(field "$STATE/silent-icrq-drive.out" stats setup_timeouts)
if [ "${st:-0}" -ge 1 ]; then t_ok "setup timeout counted ($st)"; else t_fail "setup timeout counted" "setup_timeouts=${st:-none}"; fi

# A slow LNS is not a dead one (issue 12): it holds the ICRQ back for its
# first three transmissions (0, 1 and 3 s) while it keeps sending HELLOs, then
# answers at the fourth (7 s). With a 2 s session setup deadline the call must
# wait for it, not fail over, and the LNS stays out of the dead-cache.
fake_mode slow-icrq
netns_exec $LAC "$DRIVE" --secret "$SECRET" --user alice --password alice-pw \
    --lns 10.90.12.2 --lns 10.90.11.2 --timeout-s 12 --session-setup-timeout-s 2 \
    >"$STATE/slow-icrq-drive.out" 2>"$STATE/slow-icrq-drive.log"
t_eq "slow LNS: ICRQ held back three times" "$(grep -c '^rx ICRQ held' "$STATE/slow-icrq.log")" 3
t_check "slow LNS: the call came up on it (candidate 0)" \
    grep -q '^up session=0 .*candidate=0 ' "$STATE/slow-icrq-drive.out"
t_check "slow LNS: no failover" sh -c "! grep -q '^failover' '$STATE/slow-icrq-drive.out'"
t_check "slow LNS: not put in the dead-cache" sh -c "! grep -q 'event=endpoint_dead' '$STATE/slow-icrq-drive.log'"
sw=$(field "$STATE/slow-icrq-drive.out" stats setup_waits)
if [ "${sw:-0}" -ge 1 ]; then t_ok "slow LNS: deadline moved on ($sw)"; else t_fail "slow LNS: deadline moved on" "setup_waits=${sw:-none}"; fi
t_eq "slow LNS: no setup timeout" "$(field "$STATE/slow-icrq-drive.out" stats setup_timeouts)" 0

# An answer lost on its way is not a dead LNS (issue 9): the ICRQ is
# acknowledged, the ICRP is "lost" three times and gets through at 7 s. At the
# 2 s deadline the LAC sends a HELLO, the ZLB that acknowledges it carries the
# LNS's next Ns, one past what the LAC received: an answer is on its way, the
# call waits for it.
fake_mode lost-icrp
netns_exec $LAC "$DRIVE" --secret "$SECRET" --user alice --password alice-pw \
    --lns 10.90.12.2 --lns 10.90.11.2 --timeout-s 12 --session-setup-timeout-s 2 \
    >"$STATE/lost-icrp-drive.out" 2>"$STATE/lost-icrp-drive.log"
t_check "lost ICRP: the LAC asked with a HELLO" grep -q '^rx HELLO' "$STATE/lost-icrp.log"
t_check "lost ICRP: the call came up on it (candidate 0)" \
    grep -q '^up session=0 .*candidate=0 ' "$STATE/lost-icrp-drive.out"
t_check "lost ICRP: no failover, not put in the dead-cache" \
    sh -c "! grep -q '^failover' '$STATE/lost-icrp-drive.out' && ! grep -q 'event=endpoint_dead' '$STATE/lost-icrp-drive.log'"
t_eq "lost ICRP: no setup timeout" "$(field "$STATE/lost-icrp-drive.out" stats setup_timeouts)" 0

# An SCCRP with an unknown mandatory AVP: StopCCN 2/8 to the LNS's tunnel id
# (RFC 2661 4.1), not a silent drop; the call fails over.
fake_mode bad-sccrp
if drive2 bad-sccrp; then
    t_ok "unusable SCCRP: call failed over to l2tpns"
else
    t_fail "unusable SCCRP: call failed over to l2tpns" "$(tail -n 3 "$STATE/bad-sccrp-drive.out")"
fi
t_check "StopCCN 2/8 sent to the LNS's tunnel id 4242" grep -q '^rx StopCCN result=2 error=8 tid=4242' "$STATE/bad-sccrp.log"
case "$DRIVE" in *_asan) t_check "no AddressSanitizer/UBSan report in any run" \
    sh -c "! grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' '$STATE'/*.log" ;; esac
t_check "no errors logged in the deadline and SCCRP runs" \
    sh -c "! grep -q 'level=error' '$STATE/silent-sccrq-drive.log' '$STATE/silent-icrq-drive.log' '$STATE/bad-sccrp-drive.log' '$STATE/lost-icrp-drive.log'"
t_done
