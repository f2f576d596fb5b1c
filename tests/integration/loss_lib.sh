# Random packet loss inside a test's own namespaces with nftables (this kernel
# has no netem): `numgen random mod 100 < PCT drop`. Sourced by
# tests/integration/l2tp_loss.sh and bench/bench-faults.sh. The tables live in
# the namespaces, so deleting a namespace removes them too; loss_clear removes
# them from a namespace that stays.

# loss_l2tp NS PCT: drops PCT% of L2TP control messages (T bit set, RFC 2661
# 3.1) to and from UDP port 1701 in NS, both directions; data messages pass.
loss_l2tp() {
    local ns=$1 pct=$2
    loss_clear_table "$ns" rlt_loss_l2tp
    [ "$pct" -gt 0 ] || return 0
    ip netns exec "$ns" nft -f - <<NFT
table inet rlt_loss_l2tp {
  chain in {
    type filter hook input priority 0; policy accept;
    udp dport 1701 @th,64,1 1 numgen random mod 100 < $pct counter drop
  }
  chain out {
    type filter hook output priority 0; policy accept;
    udp sport 1701 @th,64,1 1 numgen random mod 100 < $pct counter drop
  }
}
NFT
}

# loss_radius NS PCT: drops PCT% of RADIUS (1812, 1813) sent from and
# received in NS (the LAC's namespace), both directions.
loss_radius() {
    local ns=$1 pct=$2
    loss_clear_table "$ns" rlt_loss_radius
    [ "$pct" -gt 0 ] || return 0
    ip netns exec "$ns" nft -f - <<NFT
table inet rlt_loss_radius {
  chain in {
    type filter hook input priority 0; policy accept;
    udp sport { 1812, 1813 } numgen random mod 100 < $pct counter drop
  }
  chain out {
    type filter hook output priority 0; policy accept;
    udp dport { 1812, 1813 } numgen random mod 100 < $pct counter drop
  }
}
NFT
}

loss_clear_table() {
    ip netns exec "$1" nft delete table inet "$2" 2>/dev/null
    return 0
}

# loss_clear NS...: removes every loss table from those namespaces.
loss_clear() {
    local ns
    for ns in "$@"; do
        loss_clear_table "$ns" rlt_loss_l2tp
        loss_clear_table "$ns" rlt_loss_radius
    done
}

# loss_dropped NS TABLE: packets dropped by TABLE's rules in NS so far.
loss_dropped() {
    ip netns exec "$1" nft list table inet "$2" 2>/dev/null |
        awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) } END { print n + 0 }'
}
