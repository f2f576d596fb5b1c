#!/bin/bash
# l2tp_interop: lac-core's L2TP engine (driven by tests/tools/l2tp_drive with a
# scripted PPP peer) against Debian's l2tpns in network namespaces.
# Checks: tunnel authentication and hidden AVPs accepted by l2tpns; session
# up, l2tpns's own LCP/CHAP/IPCP relayed transparently, ICMP through the
# session; several sessions share one tunnel; failover from an address where
# nothing listens and from a stopped l2tpns to a live one, with the dead-cache;
# a call in setup on an established tunnel whose l2tpns died moves on at the
# ICMP unreachable;
# tshark dissects every captured L2TP packet without malformed/expert warnings.
#
# Namespaces rlt-l2tp-{lac,lns1,lns2}; addresses 10.90.1.0/24 (lns1),
# 10.90.2.0/24 (lns2); pools 10.91.1.0/24, 10.91.2.0/24.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/integration/testlib.sh"
t_require_root
. "$top_srcdir/lab.d/lib.sh"

DRIVE=$top_builddir/tests/tools/l2tp_drive
[ -x "$DRIVE" ] || { echo "not ok - $DRIVE not built (make check builds it)"; exit 1; }
command -v dumpcap >/dev/null && command -v tshark >/dev/null || { echo "SKIP: no dumpcap/tshark"; exit 77; }

P=rlt-l2tp-$$
LAC=$P-lac; LNS1=$P-lns1; LNS2=$P-lns2
SECRET=tunnel-secret-l2tp
STATE=$(mktemp -d /tmp/rlt-l2tp.XXXXXX)
CAPPID=

cleanup() {
    [ -n "$CAPPID" ] && kill "$CAPPID" 2>/dev/null && wait "$CAPPID" 2>/dev/null
    lns_stop lns1 "$STATE" 2>/dev/null
    lns_stop lns2 "$STATE" 2>/dev/null
    for ns in $LAC $LNS1 $LNS2; do netns_destroy "$ns" 2>/dev/null; done
    if [ -n "$KEEP_STATE" ]; then echo "# state kept in $STATE"; else rm -rf "$STATE"; fi
}
trap cleanup EXIT

for ns in $LAC $LNS1 $LNS2; do netns_destroy "$ns" 2>/dev/null
    # A concurrent "ip netns" elsewhere on the machine can race the first try.
    netns_create "$ns" || { sleep 1; netns_create "$ns"; } || exit 1
done
netns_veth $LAC l2tp-lns1 10.90.1.1/24 $LNS1 l2tp-lac 10.90.1.2/24 || exit 1
netns_veth $LAC l2tp-lns2 10.90.2.1/24 $LNS2 l2tp-lac 10.90.2.2/24 || exit 1
printf 'alice alice-pw\nbob bob-pw\n' > "$STATE/users"

if lns_start lns1 $LNS1 10.90.1.2 "$SECRET" 10.91.1.0/24 "$STATE/users" "$STATE" &&
   lns_start lns2 $LNS2 10.90.2.2 "$SECRET" 10.91.2.0/24 "$STATE/users" "$STATE"; then
    t_ok "l2tpns lns1 and lns2 started"
else
    t_fail "l2tpns lns1 and lns2 started"; t_done; exit 1
fi

# Capture everything L2TP the LAC sends and receives, on both links.
netns_exec $LAC dumpcap -q -i l2tp-lns1 -i l2tp-lns2 -f 'udp port 1701' -w "$STATE/l2tp.pcapng" \
    >"$STATE/dumpcap.out" 2>&1 &
CAPPID=$!
sleep 1

drive() { # drive NAME ARGS...: runs the driver in the LAC namespace, output in $STATE/NAME.out
    local name=$1; shift
    netns_exec $LAC "$DRIVE" --secret "$SECRET" --user alice --password alice-pw "$@" \
        >"$STATE/$name.out" 2>"$STATE/$name.log"
}
field() { # field FILE PREFIX KEY: value of KEY= on the first line starting with PREFIX
    awk -v p="$2" -v k="$3" '$1 == p { for (i = 2; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit } }' "$1"
}

# 1. One session, tunnel auth + hidden AVPs, l2tpns's CHAP and IPCP, ping the LNS.
if drive basic --lns 10.90.1.2 --ping 10.90.1.2 --timeout-s 30; then
    t_ok "session up on l2tpns with tunnel auth and hidden AVPs, ping through it"
else
    t_fail "session up on l2tpns with tunnel auth and hidden AVPs, ping through it" "$(tail -n 3 "$STATE/basic.out")"
fi
case "$(field "$STATE/basic.out" ipcp address)" in
    10.91.1.*) t_ok "address from lns1's pool" ;;
    *) t_fail "address from lns1's pool" "$(grep ipcp "$STATE/basic.out")" ;;
esac
if grep -q "Received ICCN" "$STATE/lns1/l2tpns.log" &&
   ! grep -Eq "Short hidden AVP|too long in hidden AVP|Bad tunnel auth|Invalid mandatory AVP" "$STATE/lns1/l2tpns.log"; then
    t_ok "l2tpns took our challenge response and hidden AVPs without complaint"
else
    t_fail "l2tpns took our challenge response and hidden AVPs without complaint" \
        "$(grep -E "hidden|auth|Invalid" "$STATE/lns1/l2tpns.log" | head -n 3)"
fi

# 1b. Data messages with Sequencing Required, Ns/Nr and the Length bit.
if drive seq --lns 10.90.1.2 --ping 10.90.1.2 --seq --len-bit --no-hide --timeout-s 30; then
    t_ok "session with sequenced, length-bit data messages and plain AVPs"
else
    t_fail "session with sequenced, length-bit data messages and plain AVPs" "$(tail -n 3 "$STATE/seq.out")"
fi

# 2. Four sessions at once share one tunnel (same endpoint, no Assignment-Id).
if drive shared --lns 10.90.1.2 --sessions 4 --ping 10.90.1.2 --timeout-s 30; then
    t_ok "four sessions up and pinging"
else
    t_fail "four sessions up and pinging" "$(tail -n 3 "$STATE/shared.out")"
fi
t_eq "four sessions used one tunnel" "$(field "$STATE/shared.out" stats tunnels_opened)" 1
# With at most 2 per tunnel, four sessions need two tunnels.
drive shared2 --lns 10.90.1.2 --sessions 4 --max-per-tunnel 2 --timeout-s 30
t_eq "max sessions per tunnel opens a second tunnel" "$(field "$STATE/shared2.out" stats tunnels_opened)" 2

# 3. Failover: the first candidate swallows everything (no answer, no ICMP):
# the session waits out the retransmission cycle, then lands on lns2.
netns_exec $LNS1 ip addr add 10.90.1.9/24 dev l2tp-lac
printf 'table inet rlt_l2tp {\n chain in {\n  type filter hook input priority 0;\n  ip daddr 10.90.1.9 udp dport 1701 drop\n }\n}\n' |
    netns_exec $LNS1 nft -f - || t_fail "nftables drop rule for the silent endpoint"
if drive failover --lns 10.90.1.9 --lns 10.90.2.2 --ping 10.90.2.2 --rto-ms 200 --max-retransmits 3 --timeout-s 30; then
    t_ok "failover from a silent endpoint to lns2"
else
    t_fail "failover from a silent endpoint to lns2" "$(tail -n 3 "$STATE/failover.out")"
fi
t_eq "session landed on candidate 1" "$(field "$STATE/failover.out" up candidate)" 1
t_check "failover event reported" grep -q '^failover session=0 from=0 to=1' "$STATE/failover.out"

# 3b. An established tunnel whose l2tpns dies (kill -9, no StopCCN): the
# next call's ICRQ on it is answered by ICMP port unreachable, and that call
# moves to lns2 at once instead of waiting out its setup deadline (the call
# already up there is left to the tunnel's reliable delivery: an ICMP takes
# no tunnel down).
# Session 0 comes up on lns1; lns1 is killed; session 1 opens 6 s after it.
netns_exec $LAC "$DRIVE" --secret "$SECRET" --user alice --password alice-pw --lns 10.90.1.2 \
    --lns 10.90.2.2 --sessions 2 --stagger-ms 6000 --rto-ms 200 --max-retransmits 3 \
    --timeout-s 30 >"$STATE/lnsdies.out" 2>"$STATE/lnsdies.log" &
lnsdies_pid=$!
first_up() { grep -q '^up session=0 .* candidate=0 ' "$STATE/lnsdies.out"; }
t_check "lnsdies: the first call is up on lns1" wait_until 5 first_up
kill -9 "$(cat "$STATE/lns1/l2tpns.pid")" 2>/dev/null
if wait "$lnsdies_pid"; then
    t_ok "lnsdies: both calls up, the second on lns2"
else
    t_fail "lnsdies: both calls up, the second on lns2" "$(tail -n 3 "$STATE/lnsdies.out")"
fi
t_check "lnsdies: the second call moved on because of the ICMP" \
    grep -q '^failover session=1 from=0 to=1 .*reason=".*ICMP' "$STATE/lnsdies.out"
t_check "lnsdies: lac-core logged the ICMP for the established tunnel, one call moved" \
    grep -q 'event=icmp_unreachable_established .*calls_moved=1' "$STATE/lnsdies.log"
t_eq "lnsdies: the second call is on candidate 1" \
    "$(awk '$1 == "up" && $2 == "session=1" { sub("candidate=", "", $7); print $7 }' "$STATE/lnsdies.out")" 1

# 4. Failover from a stopped l2tpns: lns1 goes away, its host answers ICMP
# port unreachable, and the session moves to lns2 at once (default timers:
# without the ICMP it would take the 31 s retransmission cycle).
lns_stop lns1 "$STATE"
t0=$(date +%s)
if drive stopped --lns 10.90.1.2 --lns 10.90.2.2 --ping 10.90.2.2 --timeout-s 40; then
    t_ok "failover from a stopped l2tpns to lns2"
else
    t_fail "failover from a stopped l2tpns to lns2" "$(tail -n 3 "$STATE/stopped.out")"
fi
took=$(( $(date +%s) - t0 ))
if [ "$took" -lt 10 ]; then
    t_ok "ICMP unreachable cut the failover short (${took}s)"
else
    t_fail "ICMP unreachable cut the failover short" "took ${took}s"
fi
case "$(field "$STATE/stopped.out" ipcp address)" in
    10.91.2.*) t_ok "address from lns2's pool after failover" ;;
    *) t_fail "address from lns2's pool after failover" "$(grep ipcp "$STATE/stopped.out")" ;;
esac

# 5. The dead-cache: two sessions 4 s apart in the same engine; the first
# waits out the dead lns1 and fails over, the second skips it (straight to lns2).
if drive deadcache --lns 10.90.1.2 --lns 10.90.2.2 --sessions 2 --stagger-ms 4000 \
    --rto-ms 200 --max-retransmits 3 --timeout-s 30; then
    t_ok "sessions up through the dead-cache run"
else
    t_fail "sessions up through the dead-cache run" "$(tail -n 3 "$STATE/deadcache.out")"
fi
t_check "first session failed over from the dead LNS" grep -q '^failover session=0 from=0 to=1' "$STATE/deadcache.out"
if grep -q '^failover session=1' "$STATE/deadcache.out"; then
    t_fail "second session skipped the dead-cached LNS" "it waited on it again"
else
    t_check "second session skipped the dead-cached LNS" grep -q 'event=candidate_skipped_dead candidate=0' "$STATE/deadcache.log"
fi

# Every run ended with l2tp_engine_shutdown(): CDNs and StopCCNs acknowledged in time.
if grep -l shutdown_timeout "$STATE"/*.out >/dev/null 2>&1; then
    t_fail "engine shutdown completed in every run" "$(grep -l shutdown_timeout "$STATE"/*.out)"
else
    t_ok "engine shutdown completed in every run"
fi
t_check "l2tpns saw our StopCCN on shutdown" grep -q 'Received StopCCN\|Stopped' "$STATE/lns2/l2tpns.log"

# 6. Every L2TP packet dissects cleanly.
sleep 1
kill "$CAPPID" 2>/dev/null; wait "$CAPPID" 2>/dev/null; CAPPID=
n=$(tshark -r "$STATE/l2tp.pcapng" -Y l2tp 2>/dev/null | wc -l)
if [ "$n" -gt 20 ]; then t_ok "captured $n L2TP packets"; else t_fail "captured L2TP packets" "only $n"; fi
bad=$(tshark -r "$STATE/l2tp.pcapng" -Y 'l2tp && (_ws.malformed || _ws.expert.severity >= warning)' 2>/dev/null)
if [ -z "$bad" ]; then
    t_ok "tshark: no malformed or warning L2TP packets"
else
    t_fail "tshark: no malformed or warning L2TP packets" "$(echo "$bad" | head -n 5)"
fi
t_done
