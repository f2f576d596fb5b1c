# Network namespaces and veth links for the lab and the integration tests
# (sourced by lab.d/lib.sh). Every function is idempotent and returns
# non-zero with a message on stderr when it cannot do what it says.
#
# netns_create NS                                   namespace with lo up
# netns_veth NS_A IF_A CIDR_A NS_B IF_B CIDR_B      veth pair between two namespaces ("-": no address)
# netns_destroy NS                                  kills every process in NS, deletes NS
# netns_exec NS CMD...                              runs CMD inside NS
# wait_for_udp NS PORT [TIMEOUT_S]                  waits until something listens on udp PORT in NS
# wait_for_tcp NS PORT [TIMEOUT_S]                  same for a tcp listener
# netns_ip NS ARGS...                               `ip ARGS` acting inside NS
#
# NS "-" means the namespace we already run in: the docker images start the
# same parts with the same functions, each container being its namespace.

netns_exists() {
    [ "$1" = - ] || [ -e "/run/netns/$1" ]
}

netns_create() {
    local ns=$1
    [ "$ns" = - ] && return 0
    if ! netns_exists "$ns"; then
        ip netns add "$ns" || { echo "netns_create: cannot add namespace $ns" >&2; return 1; }
    fi
    ip -n "$ns" link set lo up || { echo "netns_create: cannot bring lo up in $ns" >&2; return 1; }
}

# Both ends are created directly inside their namespaces, so the names never
# collide with interfaces of the host (or of another lab running beside us).
# Addresses are (re)applied with "replace", so a second call is harmless.
netns_veth() {
    local ns_a if_a cidr_a ns_b if_b cidr_b
    ns_a=$1; if_a=$2; cidr_a=$3; ns_b=$4; if_b=$5; cidr_b=$6
    netns_exists "$ns_a" || { echo "netns_veth: no namespace $ns_a" >&2; return 1; }
    netns_exists "$ns_b" || { echo "netns_veth: no namespace $ns_b" >&2; return 1; }
    if ! ip -n "$ns_a" link show "$if_a" >/dev/null 2>&1; then
        ip link add "$if_a" netns "$ns_a" type veth peer name "$if_b" netns "$ns_b" || {
            echo "netns_veth: cannot create veth $ns_a/$if_a <-> $ns_b/$if_b" >&2; return 1; }
    elif ! ip -n "$ns_b" link show "$if_b" >/dev/null 2>&1; then
        echo "netns_veth: $ns_a/$if_a exists but its peer $ns_b/$if_b does not" >&2
        return 1
    fi
    if [ "$cidr_a" != - ]; then
        ip -n "$ns_a" addr replace "$cidr_a" dev "$if_a" || {
            echo "netns_veth: cannot set $cidr_a on $ns_a/$if_a" >&2; return 1; }
    fi
    if [ "$cidr_b" != - ]; then
        ip -n "$ns_b" addr replace "$cidr_b" dev "$if_b" || {
            echo "netns_veth: cannot set $cidr_b on $ns_b/$if_b" >&2; return 1; }
    fi
    ip -n "$ns_a" link set "$if_a" up && ip -n "$ns_b" link set "$if_b" up || {
        echo "netns_veth: cannot bring $if_a/$if_b up" >&2; return 1; }
}

# Processes are found by their network namespace (ip netns pids), which also
# catches the ones that live in a private mount namespace (l2tpns) or that
# daemonised. TERM first so servers can say goodbye to their peers, KILL after
# two seconds. Deleting the namespace then removes its veths and TUN devices.
netns_destroy() {
    local ns=$1 pids i
    # "-" is our own namespace: never kill everything in it.
    [ "$ns" = - ] && return 0
    netns_exists "$ns" || return 0
    pids=$(ip netns pids "$ns" 2>/dev/null)
    if [ -n "$pids" ]; then
        # shellcheck disable=SC2086
        kill -TERM $pids 2>/dev/null
        i=0
        while [ -n "$(ip netns pids "$ns" 2>/dev/null)" ] && [ $i -lt 20 ]; do
            sleep 0.1; i=$((i + 1))
        done
        pids=$(ip netns pids "$ns" 2>/dev/null)
        # shellcheck disable=SC2086
        [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
        i=0
        while [ -n "$(ip netns pids "$ns" 2>/dev/null)" ] && [ $i -lt 20 ]; do
            sleep 0.1; i=$((i + 1))
        done
    fi
    ip netns del "$ns" 2>/dev/null || true
    if netns_exists "$ns"; then
        echo "netns_destroy: namespace $ns is still there" >&2
        return 1
    fi
}

netns_exec() {
    local ns=$1; shift
    if [ "$ns" = - ]; then
        "$@"
    else
        ip netns exec "$ns" "$@"
    fi
}

netns_ip() {
    local ns=$1; shift
    if [ "$ns" = - ]; then
        ip "$@"
    else
        ip -n "$ns" "$@"
    fi
}

# _netns_wait_listen NS PROTO(u|t) PORT TIMEOUT_S
_netns_wait_listen() {
    local _ns _proto _port _timeout _i
    _ns=$1; _proto=$2; _port=$3; _timeout=${4:-10}
    _i=0
    while [ $_i -lt $((_timeout * 10)) ]; do
        if [ -n "$(netns_exec "$_ns" ss -Hl"$_proto"n "sport = :$_port" 2>/dev/null)" ]; then
            return 0
        fi
        sleep 0.1; _i=$((_i + 1))
    done
    return 1
}

wait_for_udp() {
    _netns_wait_listen "$1" u "$2" "${3:-10}" || {
        echo "wait_for_udp: nothing listens on udp port $2 in $1 after ${3:-10}s" >&2; return 1; }
}

wait_for_tcp() {
    _netns_wait_listen "$1" t "$2" "${3:-10}" || {
        echo "wait_for_tcp: nothing listens on tcp port $2 in $1 after ${3:-10}s" >&2; return 1; }
}
