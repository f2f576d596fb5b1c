#!/bin/bash
# Loss tolerance (issue 9): LOSS_SUBSCRIBERS (200) subscribers dial, tunnelled to l2tpns,
# through 20% random loss of L2TP control messages in both directions
# (nftables in each LNS's namespace) and 5% loss of RADIUS in both directions
# (nftables in lac-core's namespace). Own namespaces (rlt-loss-*). Checks:
# every subscriber comes up and is relayed; lac-core retransmitted (RFC 2661
# 5.8) and the retransmission counts it saw are printed; no LNS was taken for
# dead (a slow LNS is waited for: the setup deadlines move on while it answers
# on its tunnels) and no call failed over; with the loss removed lac-core
# holds every session still. Rules and namespaces go even on failure.
#
# Calls are spread over tunnels of LOSS_PER_TUNNEL (10) sessions: through 20%
# loss one tunnel's control channel moves about one message a second (1 s
# retransmission timeouts, l2tpns's receive window of 4), so 200 calls on one
# tunnel would take minutes; twenty tunnels carry them in well under one.
set -u
. "$(dirname "$0")/testlib.sh"
t_require_root
command -v nft >/dev/null || { echo "skip: nft is not installed"; exit 77; }

export RLNS_PREFIX=rlt-loss-$$
export RLNS_STATE
RLNS_STATE=$(mktemp -d /tmp/rlt-loss.XXXXXX)
export RLNS_NO_BUILD=1 RLNS_NO_DEPS=1
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/lab.d/lib.sh"
. "$top/tests/integration/loss_lib.sh"
N=${LOSS_SUBSCRIBERS:-200}
export RLNS_LAC_EXTRA_CONF=$'[l2tp]\nmax_sessions_per_tunnel = '${LOSS_PER_TUNNEL:-10}
PCT=${LOSS_L2TP_PCT:-20}
RPCT=${LOSS_RADIUS_PCT:-5}

dialers=()
cleanup() {
    local p c
    for p in "${dialers[@]}"; do c=$(pgrep -P "$p" 2>/dev/null); kill $c "$p" 2>/dev/null; done
    loss_clear "$LAB_NS_LNS1" "$LAB_NS_LNS2" "$LAB_NS_LAC" 2>/dev/null
    [ "${RLNS_KEEP:-0}" = 1 ] && { echo "kept: RLNS_PREFIX=$RLNS_PREFIX RLNS_STATE=$RLNS_STATE"; return; }
    lab_down >/dev/null 2>&1
    rm -rf "$RLNS_STATE"
}
trap cleanup EXIT

lab_down >/dev/null 2>&1
mkdir -p "$RLNS_STATE"
users=$RLNS_STATE/lns-users
for n in $(seq 1 "$N"); do echo "t$n@corp.example t-pw"; done > "$users"
lab_topology_up || { t_fail "topology"; t_done; exit 1; }
t_check "start redis" lab_part_up redis
t_check "start broker" lab_part_up broker
t_check "start lns1" lns_start lns1 "$LAB_NS_LNS1" "$LAB_LNS1_ADDR" "$LAB_LNS1_SECRET" "$LAB_LNS1_POOL" \
    "$users" "$RLNS_STATE"
t_check "start lns2" lns_start lns2 "$LAB_NS_LNS2" "$LAB_LNS2_ADDR" "$LAB_LNS2_SECRET" "$LAB_LNS2_POOL" \
    "$users" "$RLNS_STATE"
t_check "start lac-core" eval 'lac_config lac "$RLNS_STATE" STREAM_LISTEN="$LAB_LAC_STREAM" PPPOE_IF= \
    RADIUS_SERVER="$LAB_RADIUS_ADDR:$LAB_RADIUS_PORT" RADIUS_SECRET="$LAB_RADIUS_SECRET" NAS_IP=10.88.1.2 \
    HOST_NAME=lac1 RADIUS_RETRIES=5 LOG_LEVEL="${LOSS_LOG_LEVEL:-}" && lac_start lac "$LAB_NS_LAC" "$RLNS_STATE"'
t_check "provision demo realms with realmctl" lab_provision
lacctl_() { lac_ctl lac "$RLNS_STATE" "$@"; }
counter() { lacctl_ show counters | grep "^$1 " | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }

t_check "$PCT% L2TP control loss at lns1 and lns2, both directions" \
    eval 'loss_l2tp "$LAB_NS_LNS1" "$PCT" && loss_l2tp "$LAB_NS_LNS2" "$PCT"'
t_check "$RPCT% RADIUS loss at lac-core, both directions" loss_radius "$LAB_NS_LAC" "$RPCT"

netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --connect "$LAB_LAC_STREAM" --timeout 180 --user 't{n}@corp.example' \
    --password t-pw --count "$N" --first 1 --rate "${LOSS_RATE:-10}" --hold 600 > "$RLNS_STATE/dial.out" 2>&1 &
dialers+=($!)
all_up() { [ "$(grep -c 'outcome=' "$RLNS_STATE/dial.out")" -ge "$N" ]; }
t=0
while ! all_up && [ $t -lt 300 ]; do sleep 1; t=$((t + 1)); done
t_eq "all $N subscribers came up through the loss" "$(grep -c 'outcome=up' "$RLNS_STATE/dial.out")" "$N"
t_eq "lac-core relays all $N" "$(lacctl_ show sessions | grep -c ' state=relay ')" "$N"
l2tp_rtx=$(counter l2tp retransmits)
# the dropped datagrams may be accounting ones: both transports count
rad_rtx=$(( $(counter radius retransmits) + $(counter radius_acct retransmits) ))
rad_fo=$(counter radius failovers)
drop_l2tp=$(( $(loss_dropped "$LAB_NS_LNS1" rlt_loss_l2tp) + $(loss_dropped "$LAB_NS_LNS2" rlt_loss_l2tp) ))
drop_rad=$(loss_dropped "$LAB_NS_LAC" rlt_loss_radius)
echo "# loss: L2TP control messages dropped by nft: $drop_l2tp; RADIUS datagrams dropped: $drop_rad"
setup=$(sed -n 's/.*outcome=up .*setup_ms=\([0-9]*\).*/\1/p' "$RLNS_STATE/dial.out" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR) printf "p50 %d ms, max %d ms", v[int((NR + 1) / 2)], v[NR] }')
tunnels=$(counter l2tp tunnels_opened)
waits=$(counter l2tp setup_waits)
echo "# lac-core retransmissions: L2TP $l2tp_rtx, RADIUS $rad_rtx (failovers $rad_fo); setup $setup"
echo "# tunnels opened: $tunnels; setup deadlines moved on (LNS late but answering): $waits"
t_eq "no LNS taken for dead (a lossy LNS is slow, not dead)" \
    "$(grep -c 'event=endpoint_dead' "$RLNS_STATE/lac/lac-core.log")" 0
t_eq "no call failed over" "$(counter l2tp failovers)" 0
t_check "calls spread over tunnels ($tunnels for $N calls)" test "${tunnels:-0}" -ge $((N / ${LOSS_PER_TUNNEL:-10}))
t_check "nft dropped L2TP control messages ($drop_l2tp)" test "$drop_l2tp" -gt 0
t_check "lac-core retransmitted L2TP control messages ($l2tp_rtx)" test "${l2tp_rtx:-0}" -gt 0
t_check "lac-core retransmitted RADIUS requests ($rad_rtx)" test "${rad_rtx:-0}" -gt 0 -o "$drop_rad" -eq 0
loss_clear "$LAB_NS_LNS1" "$LAB_NS_LNS2" "$LAB_NS_LAC"
sleep 2
t_eq "with the loss gone, lac-core still relays all $N" "$(lacctl_ show sessions | grep -c ' state=relay ')" "$N"
t_check "lac-core stops on SIGTERM" lac_stop lac "$RLNS_STATE"
if [ "$t_failed" -gt 0 ]; then
    # What lac-core logged about the calls that gave up, and every line of
    # the tunnels they were on (the state is removed at exit).
    log=$RLNS_STATE/lac/lac-core.log
    echo "# lac-core's give-up lines ($log):"
    grep -E 'event=(endpoint_dead|session_setup_timeout|failover|peer_gone|stopccn_[rt]x|tunnel_dropped|cdn_rx)' \
        "$log" | head -n 60 | sed 's/^/#   /'
    echo "# the LNSs' own give-ups (l2tpns kills a tunnel whose control message went unacknowledged):"
    grep -h -E 'Kill tunnel|Timeout on control' "$RLNS_STATE"/lns*/l2tpns.log 2>/dev/null |
        head -n 20 | sed 's/^/#   /'
    for tid in $(sed -n 's/.*tid=\([0-9]*\) .*event=session_setup_timeout.*/\1/p' "$log" | sort -u | head -n 3); do
        echo "# tunnel $tid:"
        grep -E "(^| )tid=$tid( |$)" "$log" | grep -v 'event=[rt]x ' | head -n 80 | sed 's/^/#   /'
    done
fi
t_done
