# The broker: FreeRADIUS 3.2 with rlm_realm_lns (sourced by lab.d/lib.sh).
#
# broker_start NAME NS ADDR PORT SECRET CLIENT_CIDR REDIS_URL STATE_DIR [SITE]
#     Renders a private FreeRADIUS config dir STATE_DIR/NAME/raddb: a copy of
#     /etc/freeradius/3.0 trimmed (no eap & co, no default sites, no user/group
#     switch), plus the site SITE (a name in policy/sites-available, default
#     vpdn-broker, or a path: anything containing "/"), the
#     policy/mods-available/realm_lns module pointing at REDIS_URL
#     (redis://[:PASSWORD@]HOST[:PORT][/DB], or sentinel://H:P,H:P/MASTER: the
#     module's `sentinel` option), dictionaries/dictionary.realm_lns,
#     one client CLIENT_CIDR with SECRET and require_message_authenticator, and
#     a `files` users file for the carrier AAA. Starts `freeradius -f -l stdout`
#     in NS listening on ADDR:PORT for authentication and ADDR:PORT+1 for
#     accounting (RLNS_DEBUG=1 adds -X), loading the module from the build
#     tree, and waits until it answers a signed Status-Server.
#     Every Accounting-Request is appended by the stock `detail` module to
#     STATE_DIR/NAME/radacct/<LAC address>/detail-YYYYMMDD.
#   Environment:
#     BROKER_USERS_FILE   carrier AAA users (FreeRADIUS users format); default: none
#     BROKER_FAIL_MODE    reject|noop (default reject)
#     BROKER_SEARCH_ORDER domain-first|dnis-first|domain-only|dnis-only
#     BROKER_TIMEOUT_MS   Redis connect/command timeout (default 100)
#     BROKER_REJECT_DELAY seconds (default 0: the lab and tests want fast rejects)
#     BROKER_ACCT_PORT    accounting port (default PORT+1; "none": no accounting listener)
#     BROKER_ACCT_TTL     seconds a session counts without accounting (default 7200)
#     BROKER_ACCT_INTERIM Acct-Interim-Interval sent in tunnel Accepts (default 0: none)
#     BROKER_ACCT_FAIL_MODE noop|fail (default noop)
#     BROKER_EXTRA_MODS   space-separated module files enabled beside realm_lns
#                         (e.g. the benchmark's rlm_redis instance); each gets
#                         the same `server =` / `port =` substitution (REDIS_URL)
#     BROKER_CACHE_TTL    realm_lns cache_ttl in seconds (default: the module
#                         file's); BROKER_CACHE_NEG_TTL likewise cache_negative_ttl
#     BROKER_TABLE        realm_lns table = yes|no (default: the module file's, yes)
#     BROKER_SERVE_STALE  realm_lns serve_stale = yes|no; BROKER_STALE_MAX_AGE its max age (s)
#     BROKER_HEALTH_HOLD  realm_lns health_hold_down (s)
#     BROKER_THREADS      thread pool: start_servers = max_servers = this
#                         (default: Debian's radiusd.conf)
# broker_stop NAME STATE_DIR
# broker_running NAME STATE_DIR      true while its freeradius runs
# broker_reload_users NAME STATE_DIR re-reads the users file (HUP)

broker_module_dir() {
    echo "${top_builddir:-${LAB_TOP:-.}}/rlm_realm_lns/.libs"
}

# broker_parse_redis_url URL: prints "HOST PORT DB PASSWORD" (password may be empty).
broker_parse_redis_url() {
    local url=$1 rest auth host port db
    case $url in
        redis://*) rest=${url#redis://} ;;
        *) echo "broker: REDIS_URL '$url' is not redis://[:PASSWORD@]HOST[:PORT][/DB]" >&2; return 1 ;;
    esac
    auth=
    case $rest in *@*) auth=${rest%%@*}; rest=${rest#*@}; auth=${auth#*:} ;; esac
    db=0
    case $rest in */*) db=${rest#*/}; rest=${rest%%/*} ;; esac
    [ -n "$db" ] || db=0
    case $rest in
        \[*\]:*) host=${rest%%]:*}; host=${host#[}; port=${rest##*]:} ;;
        \[*\]) host=${rest#[}; host=${host%]}; port=6379 ;;
        *:*) host=${rest%%:*}; port=${rest#*:} ;;
        *) host=$rest; port=6379 ;;
    esac
    case $port in ''|*[!0-9]*) echo "broker: bad port in REDIS_URL '$url'" >&2; return 1 ;; esac
    case $db in *[!0-9]*) echo "broker: bad database in REDIS_URL '$url'" >&2; return 1 ;; esac
    [ -n "$host" ] || { echo "broker: no host in REDIS_URL '$url'" >&2; return 1; }
    echo "$host $port $db $auth"
}

# broker_acct_port PORT: the accounting port broker_start uses ("none" if disabled).
broker_acct_port() {
    local p=${BROKER_ACCT_PORT:-$(($1 + 1))}
    case $p in
        none) echo none ;;
        ''|*[!0-9]*) echo "broker: BROKER_ACCT_PORT '$p' is not a port or none" >&2; return 1 ;;
        *) [ "$p" -ge 1 ] && [ "$p" -le 65535 ] ||
               { echo "broker: accounting port $p out of range" >&2; return 1; }
           echo "$p" ;;
    esac
}

# broker_render NAME ADDR PORT SECRET CLIENT_CIDR REDIS_URL STATE_DIR SITE
broker_render() {
    local name=$1 addr=$2 port=$3 secret=$4 cidr=$5 url=$6 state=$7 site=$8
    local dir=$state/$name raddb=$state/$name/raddb src=${top_srcdir:-$LAB_TOP}
    local rhost rport rdb rpass m parsed acct_port site_file site_name f sentinel=
    case $url in
        sentinel://*) sentinel=$url; url=redis://127.0.0.1:6379 ;;
    esac
    parsed=$(broker_parse_redis_url "$url") || return 1
    acct_port=$(broker_acct_port "$port") || return 1
    read -r rhost rport rdb rpass <<EOF
$parsed
EOF
    case $site in
        */*) site_file=$site ;;
        *) site_file=$src/policy/sites-available/$site ;;
    esac
    site_name=$(basename "$site_file")
    [ -f "$site_file" ] || { echo "broker_start: no site $site_file" >&2; return 1; }
    for f in ${BROKER_EXTRA_MODS:-}; do
        [ -f "$f" ] || { echo "broker_start: no module file $f (BROKER_EXTRA_MODS)" >&2; return 1; }
    done
    [ -d /etc/freeradius/3.0 ] || { echo "broker_start: /etc/freeradius/3.0 missing (install freeradius)" >&2; return 1; }
    rm -rf "$raddb"
    mkdir -p "$dir"
    cp -a /etc/freeradius/3.0 "$raddb" || { echo "broker_start: cannot copy /etc/freeradius/3.0" >&2; return 1; }
    # Private and trimmed: only the modules the broker site uses (the stock eap
    # wants certificates, others want files we do not provide).
    rm -f "$raddb"/sites-enabled/* "$raddb"/mods-enabled/*
    for m in always pap chap expr attr_filter; do
        ln -s ../mods-available/$m "$raddb/mods-enabled/$m"
    done
    {
        echo "# carrier AAA users for the broker (rendered by lab.d/broker.sh)"
        echo "files {"
        echo "	filename = $dir/users"
        echo "	acctusersfile = $dir/acct_users"
        echo "	preproxy_usersfile = $dir/preproxy_users"
        echo "}"
    } > "$raddb/mods-enabled/files"
    : > "$dir/acct_users"; : > "$dir/preproxy_users"
    if [ -n "${BROKER_USERS_FILE:-}" ]; then
        cp "$BROKER_USERS_FILE" "$dir/users" || { echo "broker_start: cannot read $BROKER_USERS_FILE" >&2; return 1; }
    else
        : > "$dir/users"
    fi
    # The module: the operators' file with this instance's Redis and options.
    sed -e "s|^\([[:space:]]*\)server = .*|\1server = \"$rhost\"|" \
        -e "s|^\([[:space:]]*\)port = .*|\1port = $rport|" \
        -e "s|^\([[:space:]]*\)#  database = .*|\1database = $rdb|" \
        -e "s|^\([[:space:]]*\)fail_mode = .*|\1fail_mode = ${BROKER_FAIL_MODE:-reject}|" \
        -e "s|^\([[:space:]]*\)search_order = .*|\1search_order = ${BROKER_SEARCH_ORDER:-domain-first}|" \
        -e "s|^\([[:space:]]*\)connect_timeout_ms = .*|\1connect_timeout_ms = ${BROKER_TIMEOUT_MS:-100}|" \
        -e "s|^\([[:space:]]*\)command_timeout_ms = .*|\1command_timeout_ms = ${BROKER_TIMEOUT_MS:-100}|" \
        -e "s|^\([[:space:]]*\)acct_session_ttl = .*|\1acct_session_ttl = ${BROKER_ACCT_TTL:-7200}|" \
        -e "s|^\([[:space:]]*\)acct_interim_interval = .*|\1acct_interim_interval = ${BROKER_ACCT_INTERIM:-0}|" \
        -e "s|^\([[:space:]]*\)acct_fail_mode = .*|\1acct_fail_mode = ${BROKER_ACCT_FAIL_MODE:-noop}|" \
        "$src/policy/mods-available/realm_lns" > "$raddb/mods-available/realm_lns" || return 1
    if [ -n "$rpass" ]; then
        sed -i "s|^\([[:space:]]*\)#  password = .*|\1password = \"$rpass\"|" "$raddb/mods-available/realm_lns"
    fi
    if [ -n "$sentinel" ]; then
        sed -i "s|^\([[:space:]]*\)#  sentinel = \"\"\$|\1sentinel = \"$sentinel\"|" "$raddb/mods-available/realm_lns"
        grep -q "^[[:space:]]*sentinel = \"$sentinel\"" "$raddb/mods-available/realm_lns" || {
            echo "broker_start: cannot set sentinel in the module file" >&2; return 1; }
    fi
    # realm table options (rlm_realm_lns, issue 10): BROKER_TABLE yes|no,
    # BROKER_SERVE_STALE yes|no, BROKER_STALE_MAX_AGE seconds
    [ -z "${BROKER_TABLE:-}" ] ||
        sed -i "s|^\([[:space:]]*\)table = .*|\1table = $BROKER_TABLE|" "$raddb/mods-available/realm_lns"
    [ -z "${BROKER_SERVE_STALE:-}" ] ||
        sed -i "s|^\([[:space:]]*\)serve_stale = .*|\1serve_stale = $BROKER_SERVE_STALE|" "$raddb/mods-available/realm_lns"
    [ -z "${BROKER_HEALTH_HOLD:-}" ] ||
        sed -i "s|^\([[:space:]]*\)health_hold_down = .*|\1health_hold_down = $BROKER_HEALTH_HOLD|" "$raddb/mods-available/realm_lns"
    [ -z "${BROKER_STALE_MAX_AGE:-}" ] ||
        sed -i "s|^\([[:space:]]*\)serve_stale_max_age = .*|\1serve_stale_max_age = $BROKER_STALE_MAX_AGE|" "$raddb/mods-available/realm_lns"
    if [ -n "${BROKER_CACHE_TTL:-}" ]; then
        sed -i "s|^\([[:space:]]*\)cache_ttl = .*|\1cache_ttl = $BROKER_CACHE_TTL|" "$raddb/mods-available/realm_lns"
    fi
    if [ -n "${BROKER_CACHE_NEG_TTL:-}" ]; then
        sed -i "s|^\([[:space:]]*\)cache_negative_ttl = .*|\1cache_negative_ttl = $BROKER_CACHE_NEG_TTL|" "$raddb/mods-available/realm_lns"
    fi
    ln -s ../mods-available/realm_lns "$raddb/mods-enabled/realm_lns"
    for f in ${BROKER_EXTRA_MODS:-}; do
        m=bench_extra_$(basename "$f")
        sed -e "s|^\([[:space:]]*\)server = .*|\1server = \"$rhost\"|" \
            -e "s|^\([[:space:]]*\)port = .*|\1port = $rport|" \
            "$f" > "$raddb/mods-available/$m" || return 1
        ln -s ../mods-available/"$m" "$raddb/mods-enabled/$m"
    done
    # The site, listening where we were told: every listen block on ADDR, the
    # auth one on PORT, the accounting one on its port (or dropped). `t`: a
    # line rewritten to PORT is done (PORT may be 1813 itself).
    sed -e "s|^\([[:space:]]*\)ipaddr = \*|\1ipaddr = $addr|" \
        -e "s|^\([[:space:]]*\)port = 1812\$|\1port = $port|" -e t \
        -e "s|^\([[:space:]]*\)port = 1813\$|\1port = $acct_port|" \
        "$site_file" > "$raddb/sites-available/$site_name" || return 1
    if [ "$acct_port" = none ]; then
        broker_drop_acct_listener "$raddb/sites-available/$site_name" || return 1
    fi
    ln -s ../sites-available/"$site_name" "$raddb/sites-enabled/$site_name"
    # The site's accounting section writes every Accounting-Request with the
    # stock detail module: DIR/radacct/CLIENT-ADDRESS/detail-YYYYMMDD
    # (radacctdir is under logdir, which is DIR).
    ln -s ../mods-available/detail "$raddb/mods-enabled/detail"
    cp "$src/dictionaries/dictionary.realm_lns" "$raddb/dictionary.realm_lns"
    printf '$INCLUDE %s\n' "$raddb/dictionary.realm_lns" >> "$raddb/dictionary"
    cat > "$raddb/clients.conf" <<CONF
# rendered by lab.d/broker.sh (see policy/clients.conf.example)
client lac {
	ipaddr = $cidr
	secret = $secret
	require_message_authenticator = yes
	nas_type = other
}
CONF
    chmod 600 "$raddb/clients.conf"
    # radiusd.conf: run as ourselves, keep logs and run files in our dir, find
    # the module in the build tree first.
    sed -i -e 's|^\([[:space:]]*\)user = freerad|\1# user = freerad|' \
        -e 's|^\([[:space:]]*\)group = freerad|\1# group = freerad|' \
        -e "s|^logdir = .*|logdir = $dir|" \
        -e "s|^run_dir = .*|run_dir = $dir|" \
        -e "s|^libdir = .*|libdir = $(broker_module_dir):/usr/lib/freeradius|" \
        -e "s|^\([[:space:]]*\)reject_delay = .*|\1reject_delay = ${BROKER_REJECT_DELAY:-0}|" \
        "$raddb/radiusd.conf"
    if [ -n "${BROKER_THREADS:-}" ]; then
        case $BROKER_THREADS in ''|*[!0-9]*|0) echo "broker_start: BROKER_THREADS '$BROKER_THREADS' is not a count" >&2; return 1 ;; esac
        sed -i -e "s|^\([[:space:]]*\)start_servers = .*|\1start_servers = $BROKER_THREADS|" \
            -e "s|^\([[:space:]]*\)max_servers = .*|\1max_servers = $BROKER_THREADS|" \
            -e "s|^\([[:space:]]*\)min_spare_servers = .*|\1min_spare_servers = 1|" \
            -e "s|^\([[:space:]]*\)max_spare_servers = .*|\1max_spare_servers = $BROKER_THREADS|" \
            "$raddb/radiusd.conf"
    fi
}

# broker_drop_acct_listener FILE: delete the `listen { type = acct ... }` block.
broker_drop_acct_listener() {
    awk '
        /^[[:space:]]*listen[[:space:]]*\{/ { held = $0; inblock = 1; acct = 0; next }
        inblock { held = held "\n" $0
                  if ($0 ~ /type[[:space:]]*=[[:space:]]*acct/) acct = 1
                  if ($0 ~ /^[[:space:]]*}/) { if (!acct) print held; inblock = 0 }
                  next }
        { print }
    ' "$1" > "$1.tmp" && mv "$1.tmp" "$1"
}

broker_running() {
    lab_pid_alive "$2/$1/pid"
}

# broker_probe NS ADDR PORT SECRET: one signed Status-Server (RFC 5997).
broker_probe() {
    echo "Message-Authenticator = 0x00" |
        netns_exec "$1" radclient -q -r 1 -t 1 "$2:$3" status "$4" >/dev/null 2>&1
}

broker_start() {
    local name=$1 ns=$2 addr=$3 port=$4 secret=$5 cidr=$6 url=$7 state=$8 site=${9:-vpdn-broker}
    local dir=$state/$name i debug= probe_addr
    [ $# -ge 8 ] || { echo "usage: broker_start NAME NS ADDR PORT SECRET CLIENT_CIDR REDIS_URL STATE_DIR [SITE]" >&2; return 1; }
    command -v freeradius >/dev/null || { echo "broker_start: freeradius is not installed" >&2; return 1; }
    netns_exists "$ns" || { echo "broker_start: no namespace $ns" >&2; return 1; }
    [ -f "$(broker_module_dir)/rlm_realm_lns.so" ] || {
        echo "broker_start: $(broker_module_dir)/rlm_realm_lns.so not built (make)" >&2; return 1; }
    if broker_running "$name" "$state"; then
        return 0
    fi
    broker_render "$name" "$addr" "$port" "$secret" "$cidr" "$url" "$state" "$site" || return 1
    [ "${RLNS_DEBUG:-0}" = 1 ] && debug=-X
    printf '%s\n%s\n%s\n%s\n%s\n' "$ns" "$addr" "$port" "$secret" "$(broker_acct_port "$port")" > "$dir/where"
    # Not through netns_exec: a backgrounded shell function would leave $! naming
    # a subshell, not the server. `ip netns exec` execs, so $! is freeradius.
    if [ "$ns" = - ]; then
        # shellcheck disable=SC2086
        freeradius -f -l stdout -d "$dir/raddb" -n radiusd $debug >>"$dir/radius.out" 2>&1 &
    else
        # shellcheck disable=SC2086
        ip netns exec "$ns" freeradius -f -l stdout -d "$dir/raddb" -n radiusd $debug >>"$dir/radius.out" 2>&1 &
    fi
    echo $! > "$dir/pid"
    # The probe comes from inside the namespace; "*" listens everywhere.
    probe_addr=$addr
    [ "$addr" = "*" ] && probe_addr=127.0.0.1
    i=0
    while :; do
        if ! lab_pid_alive "$dir/pid"; then
            echo "broker_start: freeradius $name exited; last output:" >&2
            tail -n 30 "$dir/radius.out" >&2
            rm -f "$dir/pid"
            return 1
        fi
        # Status-Server is only answered for a known client: try from the
        # listening address itself when it is inside CLIENT_CIDR, else wait
        # for the socket.
        if broker_probe "$ns" "$probe_addr" "$port" "$secret"; then
            return 0
        fi
        if [ -n "$(netns_exec "$ns" ss -Hlun "sport = :$port" 2>/dev/null)" ] && [ $i -gt 20 ]; then
            return 0
        fi
        i=$((i + 1))
        if [ $i -gt 100 ]; then
            echo "broker_start: freeradius $name does not answer on $addr:$port; last output:" >&2
            tail -n 30 "$dir/radius.out" >&2
            return 1
        fi
        sleep 0.2
    done
}

broker_stop() {
    local name=$1 state=$2
    lab_pid_stop "$state/$name/pid"
}

broker_reload_users() {
    local name=$1 state=$2
    lab_pid_alive "$state/$name/pid" && kill -HUP "$(cat "$state/$name/pid")"
}
