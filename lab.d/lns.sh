# An LNS site for the lab and the tests (sourced by lab.d/lib.sh): Debian's
# l2tpns on TUN inside a namespace, plus the enterprise's own FreeRADIUS on
# 127.0.0.1 in the same namespace, which verifies the tunnelled users.
#
# lns_start NAME NS BIND_ADDR L2TP_SECRET POOL_CIDR USERS_FILE STATE_DIR
#     USERS_FILE: lines "user password" (# comments); accepted with CHAP or PAP.
#     Files, logs and pid files in STATE_DIR/NAME/. l2tpns runs in its own
#     mount namespace where /etc/l2tpns/ip_pool is a bind mount of
#     STATE_DIR/NAME/ip_pool, so the machine's file is never touched and the
#     mount disappears with the process.
# lns_stop NAME STATE_DIR
# lns_sessions NAME STATE_DIR     l2tpns's session table ("show session" on its CLI)
# lns_cli NAME STATE_DIR CMD      any l2tpns CLI command
#
# lab.d/lns/l2tp_probe.py checks an LNS from another namespace: an SCCRQ with
# tunnel authentication, or a whole call (--session USER PASSWORD [--ping A]).
#
# Fixed per instance: its RADIUS listens on 127.0.0.1:LNS_RADIUS_PORT (1812)
# with secret LNS_RADIUS_SECRET; the TUN device is named LNS_TUN (lns0).
# NS may be "-" (the current namespace, as in the docker image); there
# LNS_PRIVATE_POOL=0 writes the pool to /etc/l2tpns/ip_pool directly.

LNS_RADIUS_PORT=${LNS_RADIUS_PORT:-1812}
LNS_RADIUS_SECRET=${LNS_RADIUS_SECRET:-lns-aaa-secret}
LNS_TUN=${LNS_TUN:-lns0}
LNS_PRIVATE_POOL=${LNS_PRIVATE_POOL:-1}

# lns_render TEMPLATE OUT KEY=VALUE...: copies TEMPLATE replacing @KEY@.
# Values are lab-controlled (paths, addresses, secrets).
lns_render() {
    local tpl=$1 out=$2 kv expr=
    shift 2
    for kv in "$@"; do
        # sed's delimiter, escape and match reference, and the quotes around
        # l2tpns strings cannot be passed through.
        case "${kv#*=}" in *['|\&"']*) echo "lns_render: | \\ & \" not allowed in ${kv%%=*}" >&2; return 1 ;; esac
        expr="$expr;s|@${kv%%=*}@|${kv#*=}|g"
    done
    sed -e "${expr#;}" "$tpl" > "$out" && chmod 600 "$out" # may hold secrets
}

# lns_users_render USERS_FILE OUT: "user password" lines to a FreeRADIUS users file.
lns_users_render() {
    local in=$1 out=$2 user pass rest
    : > "$out" && chmod 600 "$out" || return 1
    while read -r user pass rest; do
        case "$user" in ''|'#'*) continue ;; esac
        case "$user$pass" in *'"'*|*'\'*)
            echo "lns: user '$user': quotes and backslashes are not supported" >&2; return 1 ;;
        esac
        [ -n "$pass" ] || { echo "lns: user '$user' has no password in $in" >&2; return 1; }
        printf '"%s" Cleartext-Password := "%s"\n\tService-Type = Framed-User,\n\tFramed-Protocol = PPP\n\n' \
            "$user" "$pass" >> "$out"
    done < "$in"
    # Anyone else is rejected.
    printf 'DEFAULT Auth-Type := Reject\n\tReply-Message = "unknown user"\n' >> "$out"
}

lns_start() {
    local name=$1 ns=$2 bind=$3 secret=$4 pool=$5 users=$6 state=$7
    local dir raddb tpl cif i
    [ $# -ge 7 ] || { echo "usage: lns_start NAME NS BIND_ADDR L2TP_SECRET POOL_CIDR USERS_FILE STATE_DIR" >&2; return 1; }
    [ -x /usr/sbin/l2tpns ] || { echo "lns_start: l2tpns is not installed (lab.d/deps.sh)" >&2; return 1; }
    command -v freeradius >/dev/null || { echo "lns_start: freeradius is not installed" >&2; return 1; }
    netns_exists "$ns" || { echo "lns_start: no namespace $ns" >&2; return 1; }
    [ -r "$users" ] || { echo "lns_start: cannot read users file $users" >&2; return 1; }
    dir=$state/$name; raddb=$dir/raddb; tpl=$LAB_TOP/lab.d/lns
    mkdir -p "$raddb"
    dir=$(cd "$dir" && pwd); raddb=$dir/raddb
    printf '%s\n' "$ns" > "$dir/ns"

    # The enterprise AAA first: l2tpns asks it as soon as a session arrives.
    if ! lab_pid_alive "$dir/radiusd.pid"; then
        lns_render "$tpl/radiusd.conf.in" "$raddb/radiusd.conf" DIR="$dir" RADDB="$raddb" \
            SECRET="$LNS_RADIUS_SECRET" PORT="$LNS_RADIUS_PORT" ACCT_PORT=$((LNS_RADIUS_PORT + 1)) || return 1
        lns_users_render "$users" "$raddb/users" || return 1
        : > "$raddb/acct_users"
        # FreeRADIUS wants the server's dictionary set next to its config.
        printf '$INCLUDE /usr/share/freeradius/dictionary\n' > "$raddb/dictionary"
        netns_exec "$ns" freeradius -d "$raddb" -n radiusd >>"$dir/radius.out" 2>&1 || {
            echo "lns_start: FreeRADIUS for $name failed to start:" >&2
            tail -n 20 "$dir/radius.out" "$dir/radius.log" >&2 2>/dev/null; return 1; }
        wait_for_udp "$ns" "$LNS_RADIUS_PORT" 10 || {
            tail -n 20 "$dir/radius.log" >&2 2>/dev/null; return 1; }
    fi

    if ! lab_pid_alive "$dir/l2tpns.pid"; then
        cif=$(netns_ip "$ns" -o -4 addr show to "$bind/32" 2>/dev/null | awk '{print $2; exit}')
        [ -n "$cif" ] || { echo "lns_start: no interface in $ns holds $bind" >&2; return 1; }
        lns_render "$tpl/startup-config.in" "$dir/startup-config" DIR="$dir" BIND_ADDR="$bind" \
            L2TP_SECRET="$secret" RADIUS_PORT="$LNS_RADIUS_PORT" RADIUS_SECRET="$LNS_RADIUS_SECRET" \
            CLUSTER_IF="$cif" TUN="$LNS_TUN" || return 1
        printf '%s\n' "$pool" > "$dir/ip_pool"
        rm -f "$dir/l2tpns.pid"
        : > "$dir/l2tpns.log"
        # -d: l2tpns daemonises and writes its pid file; the mount namespace
        # lives exactly as long as it does. In a container (LNS_PRIVATE_POOL=0)
        # the file system is already private: the pool is copied into place.
        if [ "$LNS_PRIVATE_POOL" = 0 ]; then
            cp "$dir/ip_pool" /etc/l2tpns/ip_pool &&
                netns_exec "$ns" /usr/sbin/l2tpns -d -h "$name" -c "$dir/startup-config" >>"$dir/l2tpns.out" 2>&1
        else
            netns_exec "$ns" unshare -m --propagation private sh -c \
                'mount --bind "$1" /etc/l2tpns/ip_pool && exec /usr/sbin/l2tpns -d -h "$3" -c "$2"' \
                lns "$dir/ip_pool" "$dir/startup-config" "$name" >>"$dir/l2tpns.out" 2>&1
        fi || {
            echo "lns_start: l2tpns for $name failed to start:" >&2
            tail -n 20 "$dir/l2tpns.out" "$dir/l2tpns.log" >&2 2>/dev/null; return 1; }
        i=0
        # Up means: listening on 1701 and master of its (one-member) cluster;
        # before the election it ignores tunnels.
        while ! lab_pid_alive "$dir/l2tpns.pid" || ! grep -q 'declaring myself the master' "$dir/l2tpns.log" 2>/dev/null \
            || [ -z "$(netns_exec "$ns" ss -Hlun "sport = :1701")" ]; do
            i=$((i + 1))
            if [ $i -gt 100 ]; then
                echo "lns_start: l2tpns for $name did not come up; last log lines:" >&2
                tail -n 20 "$dir/l2tpns.log" >&2 2>/dev/null
                return 1
            fi
            sleep 0.1
        done
    fi
}

lns_stop() {
    local name=$1 state=$2
    lab_pid_stop "$state/$name/l2tpns.pid"
    lab_pid_stop "$state/$name/radiusd.pid"
}

lns_cli() {
    local name=$1 state=$2 ns
    shift 2
    ns=$(cat "$state/$name/ns" 2>/dev/null) || { echo "lns_cli: no LNS $name in $state" >&2; return 1; }
    netns_exec "$ns" /usr/bin/python3 "$LAB_TOP/lab.d/lns/cli.py" 127.0.0.1 23 "$*"
}

lns_sessions() {
    lns_cli "$1" "$2" "show session"
}
