#!/bin/bash
# l2tp_pool: the tunnel pool under a burst (issue 12 item 2). 2,000 calls at
# once through lac-core's L2TP engine (tests/tools/l2tp_drive: the engine with
# a scripted PPP peer per call, LCP, CHAP and IPCP with the LNS) to a real
# l2tpns, spread over 10 tunnels (200 calls per tunnel), then to two l2tpns
# instances (half the calls prefer each, 5 tunnels each). Every call must come
# up, no LNS may land in the dead-cache, no tunnel may fail, and the tunnel
# counts must be exactly what the pool settings give. Then 70,000 calls at
# once to the LNS load peer (tests/tools/lns_load) at 4,096 per tunnel: more
# than one 16-bit ID space, which the LAC holds because session IDs are per
# tunnel (RFC 2661 3.1): 18 tunnels, IDs shared between tunnels, every call
# up; then 20,000 of them through the engine built with AddressSanitizer and
# UBSan (the session-ID table grows from 1,024 buckets to 32,768; any report
# fails). The setup times are printed as figures (never asserted).
#
# Namespaces rlt-l2tpp-PID-{lac,lns1,lns2,load}; 10.90.31.0/24, 10.90.32.0/24,
# 10.90.33.0/24; LNS pools 10.93.0.0/20 and 10.93.16.0/20 (4,096 addresses each).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/integration/testlib.sh"
t_require_root
. "$top_srcdir/lab.d/lib.sh"

DRIVE=$top_builddir/tests/tools/l2tp_drive
DRIVE_ASAN=$top_builddir/tests/tools/l2tp_drive_asan
for d in "$DRIVE" "$DRIVE_ASAN"; do
    [ -x "$d" ] || { echo "not ok - $d not built (make check builds it)"; exit 1; }
done
N=${L2TP_POOL_CALLS:-2000}

P=rlt-l2tpp-$$
LAC=$P-lac; LNS1=$P-lns1; LNS2=$P-lns2; LOAD=$P-load
SECRET=pool-secret
STATE=$(mktemp -d /tmp/rlt-l2tpp.XXXXXX)

cleanup() {
    lns_stop lns1 "$STATE" 2>/dev/null
    lns_stop lns2 "$STATE" 2>/dev/null
    [ -n "${load_pid:-}" ] && kill "$load_pid" 2>/dev/null && wait "$load_pid" 2>/dev/null
    for ns in $LAC $LNS1 $LNS2 $LOAD; do netns_destroy "$ns" 2>/dev/null; done
    if [ -n "$KEEP_STATE" ]; then echo "# state kept in $STATE"; else rm -rf "$STATE"; fi
}
trap cleanup EXIT

for ns in $LAC $LNS1 $LNS2 $LOAD; do netns_destroy "$ns" 2>/dev/null
    netns_create "$ns" || { sleep 1; netns_create "$ns"; } || exit 1
done
netns_veth $LAC p-lns1 10.90.31.1/24 $LNS1 p-lac 10.90.31.2/24 || exit 1
netns_veth $LAC p-lns2 10.90.32.1/24 $LNS2 p-lac 10.90.32.2/24 || exit 1
netns_veth $LAC p-load 10.90.33.1/24 $LOAD p-lac 10.90.33.2/24 || exit 1
printf 'alice alice-pw\n' > "$STATE/users"
if lns_start lns1 $LNS1 10.90.31.2 "$SECRET" 10.93.0.0/20 "$STATE/users" "$STATE" &&
   lns_start lns2 $LNS2 10.90.32.2 "$SECRET" 10.93.16.0/20 "$STATE/users" "$STATE"; then
    t_ok "two l2tpns started"
else
    t_fail "two l2tpns started"; t_done; exit 1
fi

drive() { # drive NAME ARGS...: output in $STATE/NAME.out
    local name=$1; shift
    netns_exec $LAC "${DRIVER:-$DRIVE}" --secret "$SECRET" --user alice --password alice-pw --quiet \
        --sessions "${CALLS:-$N}" --timeout-s 90 "$@" >"$STATE/$name.out" 2>"$STATE/$name.log"
}
field() { # field FILE PREFIX KEY
    awk -v p="$2" -v k="$3" '$1 == p { for (i = 2; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit } }' "$1"
}
tunnels_to() { # tunnels_to FILE ADDR: established tunnels to ADDR when all calls were up
    grep -c "^tunnel .* peer=$2:1701 state=established sessions=200 " "$1"
}
check_run() { # check_run NAME TUNNELS [CALLS]: the common checks of one burst
    local out=$STATE/$1.out n=${3:-$N}
    t_eq "$1: all $n calls up" "$(field "$out" stats sessions_up)" "$n"
    t_eq "$1: tunnels opened" "$(field "$out" stats tunnels_opened)" "$2"
    t_eq "$1: no tunnel failed" "$(field "$out" stats tunnels_failed)" 0
    t_eq "$1: no failover" "$(field "$out" stats failovers)" 0
    t_eq "$1: no setup timeout" "$(field "$out" stats setup_timeouts)" 0
    t_check "$1: no LNS in the dead-cache" sh -c "! grep -q '^endpoint .* dead=1' '$out'"
    t_check "$1: no errors logged" sh -c "! grep -q 'level=error' '$STATE/$1.log'"
    echo "# $1: $n calls up in $(field "$out" ready ms) ms over $2 tunnels (l2tp_drive, this run)"
}

# 1. One l2tpns, 200 calls per tunnel, the pool may hold 10 tunnels.
if drive one --lns 10.90.31.2 --max-per-tunnel 200 --tunnels-per-lns 10; then
    t_ok "one LNS: burst of $N calls came up"
else
    t_fail "one LNS: burst of $N calls came up" "$(tail -n 2 "$STATE/one.out")"
fi
check_run one 10
t_eq "one LNS: 10 tunnels of 200 calls" "$(tunnels_to "$STATE/one.out" 10.90.31.2)" 10
t_check "one LNS: l2tpns took no SCCRQ for a duplicate" sh -c "! grep -q 'Duplicate SCCRQ' '$STATE/lns1/l2tpns.log'"

# 2. Two l2tpns: odd calls list lns2 first; 5 tunnels of 200 calls each.
if drive two --lns 10.90.31.2 --lns 10.90.32.2 --alternate --max-per-tunnel 200 --tunnels-per-lns 5; then
    t_ok "two LNSs: burst of $N calls came up"
else
    t_fail "two LNSs: burst of $N calls came up" "$(tail -n 2 "$STATE/two.out")"
fi
check_run two 10
t_eq "two LNSs: 5 tunnels of 200 calls to lns1" "$(tunnels_to "$STATE/two.out" 10.90.31.2)" 5
t_eq "two LNSs: 5 tunnels of 200 calls to lns2" "$(tunnels_to "$STATE/two.out" 10.90.32.2)" 5

# 3. More calls than one 16-bit session ID space, to the load peer.
BIG=${L2TP_POOL_BIG_CALLS:-70000}
( exec ip netns exec $LOAD "$top_builddir/tests/tools/lns_load" --bind 10.90.33.2 \
    --secret "$SECRET" --host-name lns-load ) >"$STATE/load.out" 2>"$STATE/load.log" &
load_pid=$!
t_check "lns_load started" wait_for_udp $LOAD 1701 5
if CALLS=$BIG drive big --lns 10.90.33.2 --max-per-tunnel 4096; then
    t_ok "load peer: burst of $BIG calls came up"
else
    t_fail "load peer: burst of $BIG calls came up" "$(tail -n 2 "$STATE/big.out")"
fi
tunnels=$(( (BIG + 4095) / 4096 ))
check_run big $tunnels "$BIG"
t_eq "load peer: $((BIG / 4096)) tunnels of 4,096 calls" \
    "$(grep -c '^tunnel .* peer=10.90.33.2:1701 state=established sessions=4096 ' "$STATE/big.out")" \
    $((BIG / 4096))
shared=$(awk '$1 == "up" { for (i = 2; i <= NF; i++) if ($i ~ /^sid=/) print $i }' "$STATE/big.out" |
         sort | uniq -d | wc -l)
echo "# big: $shared session IDs are in use on more than one tunnel at once"
t_check "load peer: session IDs are per tunnel (some ID in use on two tunnels)" test "$shared" -gt 0

# 4. The same engine under AddressSanitizer and UBSan, 20,000 calls.
ASAN_CALLS=${L2TP_POOL_ASAN_CALLS:-20000}
if ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 DRIVER=$DRIVE_ASAN CALLS=$ASAN_CALLS \
    drive asan --lns 10.90.33.2 --max-per-tunnel 4096; then
    t_ok "ASan/UBSan engine: burst of $ASAN_CALLS calls came up and closed"
else
    t_fail "ASan/UBSan engine: burst of $ASAN_CALLS calls came up and closed" "$(tail -n 2 "$STATE/asan.out")"
fi
t_eq "ASan/UBSan engine: all $ASAN_CALLS calls up" "$(field "$STATE/asan.out" stats sessions_up)" "$ASAN_CALLS"
t_check "ASan/UBSan engine: no report" \
    sh -c "! grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' '$STATE/asan.log'"
t_done
