# lac-core in the lab (sourced by lab.d/lib.sh).
#
# lac_config NAME STATE_DIR KEY=VALUE...   renders STATE_DIR/NAME/{lac.conf,radiusclient.conf,servers}
#   keys: STREAM_LISTEN (tcp:ADDR:PORT), PPPOE_IF, L2TP_BIND, RADIUS_SERVER (ADDR:PORT),
#         RADIUS_SECRET, NAS_IP, HOST_NAME, LOCAL_POOL, LOCAL_GATEWAY, DNS1, DNS2, TUN,
#         DAE_LISTEN (ADDR:PORT, default NAS_IP:3799; "none" for no RFC 5176 server),
#         DAE_CLIENT (address allowed to send Disconnect/CoA, default the broker
#         10.88.1.1, with RADIUS_SECRET), DAE_REQUIRE_MA (yes|no, default yes),
#         ACCT_INTERIM (Acct-Interim-Interval default in seconds, default 0),
#         ACCT_SPOOL (on-disk accounting spool directory, default none),
#         ACCT_SPOOL_FSYNC (startstop|always|interval|none), DAE_REPLAY_WINDOW (s, default 300),
#         RADIUS_SERVER2 (ADDR:PORT of a second broker, same secret), RADIUS_RETRIES (default 2)
#         LOG_LEVEL ([lac] log_level; default: lac-core's, info)
# lac_start NAME NS STATE_DIR              starts lac-core in NS, waits for its control socket;
#                                          RLNS_LAC_WRAPPER (e.g. "valgrind --error-exitcode=99
#                                          --log-file=DIR/valgrind.log") runs it under that command,
#                                          %d in the wrapper is replaced by STATE_DIR/NAME
# lac_stop NAME STATE_DIR                  graceful SIGTERM (sessions torn down), then KILL
# lac_ctl NAME STATE_DIR CMD...            runs lacctl against that instance

lac_bin() {
    echo "${top_builddir:-${LAB_TOP:-.}}/lac-core/$1"
}

lac_config() {
    local name=$1 state=$2 dir kv
    local STREAM_LISTEN PPPOE_IF L2TP_BIND RADIUS_SERVER RADIUS_SECRET NAS_IP HOST_NAME LOCAL_POOL
    local LOCAL_GATEWAY DNS1 DNS2 TUN DAE_LISTEN DAE_CLIENT DAE_REQUIRE_MA ACCT_INTERIM
    local ACCT_SPOOL= ACCT_SPOOL_FSYNC= DAE_REPLAY_WINDOW= RADIUS_SERVER2= RADIUS_RETRIES=2 LOG_LEVEL=
    shift 2
    dir=$state/$name
    mkdir -p "$dir"
    STREAM_LISTEN=tcp:10.88.0.1:2000 PPPOE_IF= L2TP_BIND= RADIUS_SERVER=10.88.1.1:1812
    RADIUS_SECRET=testing123 NAS_IP=10.88.1.2 HOST_NAME=lac1 LOCAL_POOL=10.66.0.0/24
    LOCAL_GATEWAY=10.66.0.1 DNS1=10.66.0.53 DNS2= TUN=rlns-local
    DAE_LISTEN= DAE_CLIENT=10.88.1.1 DAE_REQUIRE_MA=yes ACCT_INTERIM=0 DEAD_HOLD_DOWN=
    for kv in "$@"; do
        case "$kv" in
            STREAM_LISTEN=*|PPPOE_IF=*|L2TP_BIND=*|RADIUS_SERVER=*|RADIUS_SECRET=*|NAS_IP=*|HOST_NAME=*|\
            LOCAL_POOL=*|LOCAL_GATEWAY=*|DNS1=*|DNS2=*|TUN=*|DAE_LISTEN=*|DAE_CLIENT=*|DAE_REQUIRE_MA=*|\
            ACCT_INTERIM=*|ACCT_SPOOL=*|ACCT_SPOOL_FSYNC=*|DAE_REPLAY_WINDOW=*|RADIUS_SERVER2=*|RADIUS_RETRIES=*|LOG_LEVEL=*|DEAD_HOLD_DOWN=*) eval "${kv%%=*}=\${kv#*=}" ;;
            *) echo "lac_config: unknown setting '$kv'" >&2; return 1 ;;
        esac
    done
    {
        echo "# lac-core configuration rendered by lab.d/lac.sh"
        echo "[lac]"
        echo "host_name = $HOST_NAME"
        echo "nas_identifier = $HOST_NAME"
        echo "nas_ip_address = $NAS_IP"
        echo "control_socket = $dir/lac.sock"
        [ -n "$LOG_LEVEL" ] && echo "log_level = $LOG_LEVEL"
        echo "[stream]"
        echo "listen = $STREAM_LISTEN"
        if [ -n "$PPPOE_IF" ]; then
            echo "[pppoe]"
            echo "interface = $PPPOE_IF"
            echo "ac_name = realm-lns-$HOST_NAME"
            # issue 11: VLANs 100-199 and QinQ 1000.x beside untagged PPPoE
            echo "vlan = 100-199"
            echo "vlan = 1000.1-4094"
            echo "untagged = yes"
        fi
        echo "[ppp]"
        echo "auth = chap,pap"
        echo "[radius]"
        echo "config = $dir/radiusclient.conf"
        echo "acct_interim_interval_s = $ACCT_INTERIM"
        [ -n "$ACCT_SPOOL" ] && echo "acct_spool_dir = $ACCT_SPOOL"
        [ -n "$ACCT_SPOOL_FSYNC" ] && echo "acct_spool_fsync = $ACCT_SPOOL_FSYNC"
        # RFC 5176 Disconnect/CoA from the broker (the lab advertises
        # RLNS_LAC_COA_PORT=3799), signed with the lab's RADIUS secret
        [ -n "$DAE_LISTEN" ] || DAE_LISTEN=$NAS_IP:${RLNS_LAC_COA_PORT:-3799}
        if [ "$DAE_LISTEN" != none ]; then
            echo "[dae]"
            echo "listen = $DAE_LISTEN"
            echo "client = $DAE_CLIENT $RADIUS_SECRET"
            echo "require_message_authenticator = $DAE_REQUIRE_MA"
            [ -n "$DAE_REPLAY_WINDOW" ] && echo "replay_window_s = $DAE_REPLAY_WINDOW"
        fi
        echo "[l2tp]"
        for b in $L2TP_BIND; do echo "bind = $b"; done
        echo "host_name = $HOST_NAME"
        echo "hello_interval_s = 30"
        [ -n "$DEAD_HOLD_DOWN" ] && echo "dead_hold_down_s = $DEAD_HOLD_DOWN"
        echo "[local]"
        echo "pool = $LOCAL_POOL"
        echo "gateway = $LOCAL_GATEWAY"
        echo "dns1 = $DNS1"
        [ -n "$DNS2" ] && echo "dns2 = $DNS2"
        echo "tun = $TUN"
        # RLNS_LAC_EXTRA_CONF: more lines (with their [section]s) for tests
        [ -z "${RLNS_LAC_EXTRA_CONF:-}" ] || printf '%s\n' "$RLNS_LAC_EXTRA_CONF"
    } > "$dir/lac.conf"
    chmod 600 "$dir/lac.conf" # holds the DAE secret
    # radcli's own configuration format: lac-core reads servers, secrets,
    # timeouts and the dictionary through libradcli (see lac-core/src/aaa/).
    cat > "$dir/radiusclient.conf" <<CONF
nas-identifier $HOST_NAME
authserver $RADIUS_SERVER${RADIUS_SERVER2:+,$RADIUS_SERVER2}
acctserver ${RADIUS_SERVER%:*}:$((${RADIUS_SERVER##*:} + 1))${RADIUS_SERVER2:+,${RADIUS_SERVER2%:*}:$((${RADIUS_SERVER2##*:} + 1))}
servers $dir/servers
dictionary ${top_srcdir:-${LAB_TOP:-.}}/dictionaries/radcli/dictionary
radius_timeout 2
radius_retries $RADIUS_RETRIES
radius_deadtime 30
bindaddr *
CONF
    printf '%s\t%s\n' "${RADIUS_SERVER%:*}" "$RADIUS_SECRET" > "$dir/servers"
    chmod 600 "$dir/servers"
}

lac_start() {
    local name=$1 ns=$2 state=$3 dir bin i
    dir=$state/$name
    bin=${RLNS_LAC_BIN:-$(lac_bin lac-core)} # RLNS_LAC_BIN: e.g. the ASan build
    if [ ! -x "$bin" ]; then
        echo "lac_start: $bin not built yet" >&2
        return 1
    fi
    if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
        return 0
    fi
    # started directly (not through a shell function) so $! is lac-core itself:
    # `ip netns exec` execs it, and signals (HUP, TERM) reach the daemon
    # A wrapper (valgrind) execs the daemon in its own process, so $! stays
    # the process that receives signals; it needs longer to come up.
    local -a wrap=()
    local limit=50
    if [ -n "${RLNS_LAC_WRAPPER:-}" ]; then
        read -r -a wrap <<<"${RLNS_LAC_WRAPPER//%d/$dir}"
        limit=${RLNS_LAC_WRAPPER_WAIT:-600}
    fi
    # scale: one fd per stream subscriber; the benches hold 64k sessions. The
    # limit is raised (RLNS_LAC_NOFILE, default 262144; never lowered) in a
    # subshell that execs the daemon, so $! is still lac-core. Under a wrapper
    # (valgrind) only when RLNS_LAC_NOFILE is set.
    local nofile=${RLNS_LAC_NOFILE:-262144}
    [ ${#wrap[@]} -gt 0 ] && nofile=${RLNS_LAC_NOFILE:-0}
    if [ "$ns" = - ]; then
        ( lab_raise_nofile "$nofile"; exec "${wrap[@]}" "$bin" -c "$dir/lac.conf" ) >>"$dir/lac-core.log" 2>&1 &
    else
        ( lab_raise_nofile "$nofile"; exec ip netns exec "$ns" "${wrap[@]}" "$bin" -c "$dir/lac.conf" ) \
            >>"$dir/lac-core.log" 2>&1 &
    fi
    echo $! > "$dir/pid"
    # The socket is bound before lac-core leaves root and starts its loop: an
    # answer on it means start-up is over (privileges dropped, listeners open).
    lac_wait_up "$dir" "$limit" test -S "$dir/lac.sock" &&
        lac_wait_up "$dir" "$limit" "$(lac_bin lacctl)" -s "$dir/lac.sock" show counters
}

# lac_wait_up DIR TENTHS CMD...: until CMD succeeds, for at most TENTHS tenths
# of a second while lac-core (DIR/pid) lives; else its last log lines.
lac_wait_up() {
    local dir=$1 limit=$2 i=0
    shift 2
    until "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        if [ $i -gt "$limit" ] || ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
            echo "lac_start: lac-core did not come up; last log lines:" >&2
            tail -n 20 "$dir/lac-core.log" >&2
            return 1
        fi
        sleep 0.1
    done
}

# lab_raise_nofile N: raises this shell's open-file limit to N (soft and hard)
# unless it is already higher; where the hard limit cannot be raised (no
# CAP_SYS_RESOURCE), the soft limit goes up to the hard one (scale).
lab_raise_nofile() {
    local cur
    cur=$(ulimit -n)
    [ "$cur" = unlimited ] || [ "$cur" -ge "$1" ] && return 0
    ulimit -Hn "$1" 2>/dev/null
    ulimit -n "$1" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
    return 0
}

lac_stop() {
    # SIGTERM first: lac-core ends every session properly (CDN, StopCCN, LCP Terminate).
    # Under a wrapper the exit (leak check) takes seconds: wait up to 30 s.
    if [ -n "${RLNS_LAC_WRAPPER:-}" ]; then
        lab_pid_stop "$2/$1/pid" 300
    else
        lab_pid_stop "$2/$1/pid" 50
    fi
}

lac_ctl() {
    local name=$1 state=$2
    shift 2
    "$(lac_bin lacctl)" -s "$state/$name/lac.sock" "$@"
}
