# Redis for the lab and the tests (sourced by lab.d/lib.sh).
#
# redis_start NAME NS ADDR PORT STATE_DIR   redis-server in NS on ADDR:PORT (and 127.0.0.1:PORT),
#                                           no persistence; files in STATE_DIR/NAME/
# redis_stop NAME STATE_DIR                 stops it (its data is not kept)
# redis_cli NAME STATE_DIR ARGS...          redis-cli against that instance, inside its namespace

redis_start() {
    local name=$1 ns=$2 addr=$3 port=$4 state=$5
    local dir=$state/$name i
    [ $# -ge 5 ] || { echo "usage: redis_start NAME NS ADDR PORT STATE_DIR" >&2; return 1; }
    command -v redis-server >/dev/null || { echo "redis_start: redis-server is not installed" >&2; return 1; }
    netns_exists "$ns" || { echo "redis_start: no namespace $ns" >&2; return 1; }
    mkdir -p "$dir"
    if lab_pid_alive "$dir/pid"; then
        return 0
    fi
    # A lab database: nothing written to disk, nothing kept across restarts.
    # The namespace is the access control, hence no protected mode.
    local bind=$addr
    case $addr in 127.0.0.1|0.0.0.0) ;; *) bind="$addr 127.0.0.1" ;; esac
    cat > "$dir/redis.conf" <<CONF
# rendered by lab.d/redis.sh
bind $bind
port $port
protected-mode no
daemonize yes
pidfile $dir/pid
logfile $dir/redis.log
dir $dir
save ""
appendonly no
CONF
    printf '%s\n%s\n%s\n' "$ns" "$addr" "$port" > "$dir/where"
    netns_exec "$ns" redis-server "$dir/redis.conf" || {
        echo "redis_start: redis-server failed; last log lines:" >&2
        tail -n 20 "$dir/redis.log" >&2 2>/dev/null; return 1; }
    i=0
    while [ "$(netns_exec "$ns" redis-cli -h "$addr" -p "$port" ping 2>/dev/null)" != PONG ]; do
        i=$((i + 1))
        if [ $i -gt 100 ]; then
            echo "redis_start: redis $name does not answer PING on $addr:$port; last log lines:" >&2
            tail -n 20 "$dir/redis.log" >&2 2>/dev/null
            return 1
        fi
        sleep 0.1
    done
}

redis_stop() {
    local name=$1 state=$2
    lab_pid_stop "$state/$name/pid"
}

redis_cli() {
    local name=$1 state=$2 ns addr port
    shift 2
    { read -r ns; read -r addr; read -r port; } < "$state/$name/where" || {
        echo "redis_cli: no redis $name in $state" >&2; return 1; }
    netns_exec "$ns" redis-cli -h "$addr" -p "$port" "$@"
}
