# The lab's topology and the `lab` commands (sourced by lab.d/lib.sh, used by
# ./lab and by the integration tests, so both start things the same way).
#
# Everything lives in network namespaces named ${RLNS_PREFIX}-* (default
# rlns-*) with state under $RLNS_STATE (default /run/realm-lns). A test sets
# both (e.g. RLNS_PREFIX=rlt-lab RLNS_STATE=/tmp/x) and gets a complete
# second lab beside a running one: the addresses below exist only inside the
# namespaces, so two labs never see each other.
#
#   sub  10.88.0.2  <-> lac 10.88.0.1   stream access tcp 2000; PPPoE on pppoe-sub/pppoe-lac
#   aaa  10.88.1.1  <-> lac 10.88.1.2   Redis 6379, broker RADIUS 1812
#   lns1 10.88.2.2  <-> lac 10.88.2.1   l2tpns + enterprise FreeRADIUS, pool 10.77.1.0/24
#   lns2 10.88.3.2  <-> lac 10.88.3.1   l2tpns + enterprise FreeRADIUS, pool 10.77.2.0/24
#
# Functions: lab_vars, lab_topology_up, lab_part_up PART, lab_part_down PART,
# lab_up, lab_down, lab_restart, lab_env, lab_status, lab_logs, lab_dial, lab_table.

LAB_PARTS="redis broker lns1 lns2 lac"

lab_vars() {
    LAB_PREFIX=${RLNS_PREFIX:-rlns}
    LAB_STATE=${RLNS_STATE:-/run/realm-lns}
    if [ "$LAB_PREFIX" = - ]; then
        # Every part in the namespace we run in (one part per docker container).
        LAB_NS_SUB=- LAB_NS_LAC=- LAB_NS_AAA=- LAB_NS_LNS1=- LAB_NS_LNS2=-
        LAB_ALL_NS=
    else
        LAB_NS_SUB=$LAB_PREFIX-sub
        LAB_NS_LAC=$LAB_PREFIX-lac
        LAB_NS_AAA=$LAB_PREFIX-aaa
        LAB_NS_LNS1=$LAB_PREFIX-lns1
        LAB_NS_LNS2=$LAB_PREFIX-lns2
        LAB_ALL_NS="$LAB_NS_SUB $LAB_NS_LAC $LAB_NS_AAA $LAB_NS_LNS1 $LAB_NS_LNS2"
    fi
    LAB_RADIUS_ADDR=10.88.1.1
    LAB_RADIUS_PORT=1812
    LAB_RADIUS_SECRET=${RLNS_RADIUS_SECRET:-testing123}
    # Redis shares the AAA namespace with the broker; in docker it has its own address.
    LAB_REDIS_ADDR=${RLNS_REDIS_ADDR:-10.88.1.1}
    LAB_REDIS_URL=redis://$LAB_REDIS_ADDR:6379
    LAB_LAC_PPPOE_IF=${RLNS_LAC_PPPOE_IF-pppoe-lac}
    LAB_LAC_STREAM=tcp:10.88.0.1:2000
    LAB_LAC_COA_PORT=3799
    LAB_LNS1_ADDR=10.88.2.2
    LAB_LNS2_ADDR=10.88.3.2
    LAB_LNS1_POOL=10.77.1.0/24
    LAB_LNS2_POOL=10.77.2.0/24
    # Must match the secrets in lab.d/demo/realms.json.
    LAB_LNS1_SECRET=corp-l2tp-secret-1
    LAB_LNS2_SECRET=corp-l2tp-secret-2
    LAB_DEMO=$LAB_TOP/lab.d/demo
    LAB_BIN_LAC=$top_builddir/lac-core/lac-core
    LAB_BIN_LACCTL=$top_builddir/lac-core/lacctl
    LAB_BIN_DIAL=$top_builddir/lac-core/lac-dial
    LAB_BIN_REALMCTL=$top_builddir/policy/realmctl/realmctl
    LAB_MODULE=$top_builddir/rlm_realm_lns/.libs/rlm_realm_lns.so
}
lab_vars

lab_log() {
    printf 'lab: %s\n' "$*" >&2
}

# lab_build: lab.d/build.sh (configure when there is no build yet, then make,
# which rebuilds what is out of date). A failing build is reported with the
# end of its log and makes `lab up` fail; the parts that did build still come
# up. RLNS_NO_BUILD=1 skips it (tests run inside `make check`, which has just
# built).
lab_build() {
    [ "${RLNS_NO_BUILD:-0}" = 1 ] && return 0
    [ -f "$top_builddir/Makefile" ] || lab_log "building (autoreconf, configure, make); this takes a few minutes"
    if ! sh "$LAB_TOP/lab.d/build.sh" > "$LAB_STATE/build.log" 2>&1; then
        lab_log "build failed; the last lines of $LAB_STATE/build.log:"
        grep -E -m 5 'error|Error|ERROR|No package|not found' "$LAB_STATE/build.log" | sed 's/^/lab:   /' >&2
        tail -n 5 "$LAB_STATE/build.log" | sed 's/^/lab:   /' >&2
        lab_log "starting what exists"
        return 1
    fi
}

lab_topology_up() {
    local ns
    for ns in $LAB_ALL_NS; do
        netns_create "$ns" || return 1
    done
    netns_veth "$LAB_NS_SUB" lac0 10.88.0.2/24 "$LAB_NS_LAC" sub0 10.88.0.1/24 || return 1
    netns_veth "$LAB_NS_SUB" pppoe-sub - "$LAB_NS_LAC" pppoe-lac - || return 1
    netns_veth "$LAB_NS_AAA" lac0 10.88.1.1/24 "$LAB_NS_LAC" aaa0 10.88.1.2/24 || return 1
    netns_veth "$LAB_NS_LNS1" lac0 10.88.2.2/24 "$LAB_NS_LAC" lns1 10.88.2.1/24 || return 1
    netns_veth "$LAB_NS_LNS2" lac0 10.88.3.2/24 "$LAB_NS_LAC" lns2 10.88.3.1/24 || return 1
}

# lab_part_built PART: 0 when the part's code exists; otherwise prints why not.
lab_part_built() {
    case $1 in
        redis) command -v redis-server >/dev/null || { echo "redis-server not installed"; return 1; } ;;
        broker)
            declare -F broker_start >/dev/null || { echo "lab.d/broker.sh not written yet"; return 1; }
            [ -f "$LAB_MODULE" ] || { echo "rlm_realm_lns module not built yet"; return 1; } ;;
        lns1|lns2) [ -x /usr/sbin/l2tpns ] || { echo "l2tpns not installed"; return 1; } ;;
        lac)
            declare -F lac_start >/dev/null || { echo "lab.d/lac.sh not written yet"; return 1; }
            [ -x "$LAB_BIN_LAC" ] || { echo "lac-core not built yet"; return 1; } ;;
        realmctl) [ -x "$LAB_BIN_REALMCTL" ] || { echo "realmctl not built yet"; return 1; } ;;
        dial) [ -x "$LAB_BIN_DIAL" ] || { echo "lac-dial not built yet"; return 1; } ;;
        *) echo "unknown part"; return 1 ;;
    esac
}

lab_part_up() {
    case $1 in
        redis) redis_start redis "$LAB_NS_AAA" "$LAB_REDIS_ADDR" 6379 "$LAB_STATE" ;;
        broker)
            BROKER_USERS_FILE=$LAB_DEMO/carrier-users \
                broker_start broker "$LAB_NS_AAA" "$LAB_RADIUS_ADDR" "$LAB_RADIUS_PORT" "$LAB_RADIUS_SECRET" \
                10.88.1.0/24 "$LAB_REDIS_URL" "$LAB_STATE" ;;
        lns1) lns_start lns1 "$LAB_NS_LNS1" "$LAB_LNS1_ADDR" "$LAB_LNS1_SECRET" "$LAB_LNS1_POOL" \
                  "$LAB_DEMO/lns-users" "$LAB_STATE" ;;
        lns2) lns_start lns2 "$LAB_NS_LNS2" "$LAB_LNS2_ADDR" "$LAB_LNS2_SECRET" "$LAB_LNS2_POOL" \
                  "$LAB_DEMO/lns-users" "$LAB_STATE" ;;
        lac)
            lac_config lac "$LAB_STATE" STREAM_LISTEN="$LAB_LAC_STREAM" PPPOE_IF="$LAB_LAC_PPPOE_IF" \
                RADIUS_SERVER="$LAB_RADIUS_ADDR:$LAB_RADIUS_PORT" RADIUS_SECRET="$LAB_RADIUS_SECRET" \
                NAS_IP=10.88.1.2 HOST_NAME=lac1 \
                ${RLNS_LAC_LOCAL_POOL:+LOCAL_POOL=$RLNS_LAC_LOCAL_POOL} \
                ${RLNS_LAC_DEAD_HOLD_DOWN:+DEAD_HOLD_DOWN=$RLNS_LAC_DEAD_HOLD_DOWN} \
                ${RLNS_LAC_LOG_LEVEL:+LOG_LEVEL=$RLNS_LAC_LOG_LEVEL} || return 1  # scale: pool, log level for benches
            lac_start lac "$LAB_NS_LAC" "$LAB_STATE" ;;
    esac
}

lab_part_down() {
    case $1 in
        redis) redis_stop redis "$LAB_STATE" ;;
        broker) declare -F broker_stop >/dev/null && broker_stop broker "$LAB_STATE" ;;
        lns1|lns2) lns_stop "$1" "$LAB_STATE" ;;
        lac) declare -F lac_stop >/dev/null && lac_stop lac "$LAB_STATE" ;;
    esac
    return 0
}

# lab_restart PART: stops and starts one part of a running lab.
lab_restart() {
    local why
    case " $LAB_PARTS " in *" $1 "*) ;; *) echo "lab restart: no part '$1' (one of: $LAB_PARTS)" >&2; return 2 ;; esac
    why=$(lab_part_built "$1") || { echo "lab restart: $1: $why" >&2; return 1; }
    netns_exists "$LAB_NS_AAA" || { echo "lab restart: the lab is not up" >&2; return 1; }
    lab_part_down "$1"
    lab_part_up "$1" || { echo "lab restart: $1 failed to start (lab logs $1)" >&2; return 1; }
    [ "$1" = redis ] && lab_provision
    return 0
}

# lab_provision: imports the demo realms with realmctl (inside the AAA
# namespace, the only place Redis is reachable).
lab_provision() {
    local why out
    if ! why=$(lab_part_built realmctl); then
        lab_log "demo realms not provisioned: $why"
        return 1
    fi
    if ! out=$(netns_exec "$LAB_NS_AAA" "$LAB_BIN_REALMCTL" --redis "$LAB_REDIS_URL" \
                   import "$LAB_DEMO/realms.json" 2>&1); then
        lab_log "realmctl import failed: $out"
        return 1
    fi
}

# lab_dial USER PASSWORD [--count N] [--rate R] [--pppoe] [lac-dial options...]
# Runs lac-dial in the subscriber namespace and passes its output through.
lab_dial() {
    local user=$1 pass=$2 why
    shift 2 || { echo "usage: lab dial USER PASSWORD [--count N] [--rate R] [--pppoe]" >&2; return 2; }
    why=$(lab_part_built dial) || { echo "lab dial: $why" >&2; return 1; }
    netns_exists "$LAB_NS_SUB" || { echo "lab dial: the lab is not up (lab up)" >&2; return 1; }
    # The stream access unless --pppoe asks for the PPPoE link instead.
    local access=(--connect "$LAB_LAC_STREAM") args=(--user "$user" --password "$pass")
    while [ $# -gt 0 ]; do
        case $1 in
            --pppoe) access=(--pppoe pppoe-sub); shift ;;
            *) args+=("$1"); shift ;;
        esac
    done
    args=("${access[@]}" "${args[@]}")
    netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" "${args[@]}"
}

# lab_demo_subscribers: the demo subscriber rows this lab can dial: a
# "pppoe-vlan=ID" row needs lac-core's PPPoE access, which a lab started with
# RLNS_LAC_PPPOE_IF= (the Docker lab) does not have.
lab_demo_subscribers() {
    local user pass rest
    while read -r user pass rest; do
        case "$user" in ''|'#'*) continue ;; esac
        case "$rest" in pppoe-vlan=*) [ -n "${LAB_LAC_PPPOE_IF:-}" ] || continue ;; esac
        printf '%s %s %s\n' "$user" "$pass" "$rest"
    done < "$LAB_DEMO/subscribers"
}

# lab_demo_dial: dials each demo subscriber once, keeping the ones that come
# up connected (lac-dial --hold in the background, in the subscriber
# namespace, so `lab down` ends them with the namespace). Output per user in
# $LAB_STATE/dial/USER.out.
lab_demo_dial() {
    local user pass rest f i
    mkdir -p "$LAB_STATE/dial"
    while read -r user pass rest; do
        case "$user" in ''|'#'*) continue ;; esac
        f=$LAB_STATE/dial/$user
        lab_pid_alive "$f.pid" && continue
        # A third column "pppoe-vlan=ID" dials PPPoE tagged with VLAN ID and a
        # TR-101 access-line tag (issue 11); otherwise the stream access.
        local via=(--connect "$LAB_LAC_STREAM")
        case "$rest" in pppoe-vlan=*)
            via=(--pppoe pppoe-sub --vlan "${rest#pppoe-vlan=}" --tr101 "lab-dslam eth 1/1/${rest#pppoe-vlan=},$user,1024,16384") ;;
        esac
        # Not through netns_exec: a backgrounded function would leave $! naming
        # a subshell. `ip netns exec` and setsid exec, so $! is lac-dial itself;
        # setsid keeps it clear of the terminal `lab up` ran from.
        if [ "$LAB_NS_SUB" = - ]; then
            setsid "$LAB_BIN_DIAL" "${via[@]}" \
                --user "$user" --password "$pass" --hold 86400 --timeout 20 > "$f.out" 2>&1 < /dev/null &
        else
            ip netns exec "$LAB_NS_SUB" setsid "$LAB_BIN_DIAL" "${via[@]}" \
                --user "$user" --password "$pass" --hold 86400 --timeout 20 > "$f.out" 2>&1 < /dev/null &
        fi
        echo $! > "$f.pid"
    done < <(lab_demo_subscribers)
    # Wait until every dial has reported its outcome (or 30 s).
    i=0
    while [ $i -lt 300 ]; do
        local pending=0
        while read -r user pass rest; do
            case "$user" in ''|'#'*) continue ;; esac
            grep -q 'outcome=' "$LAB_STATE/dial/$user.out" 2>/dev/null || pending=1
        done < <(lab_demo_subscribers)
        [ $pending = 0 ] && return 0
        sleep 0.1; i=$((i + 1))
    done
    lab_log "some demo dials did not report an outcome within 30 s (see lab logs dial)"
    return 1
}

# lab_demo_hangup: ends the demo subscribers' lac-dial runs.
lab_demo_hangup() {
    local f
    # All at once: each lac-dial says goodbye (LCP Terminate) before it exits.
    for f in "$LAB_STATE"/dial/*.pid; do
        [ -f "$f" ] && lab_pid_stop "$f" 30 &
    done
    wait
    return 0
}

# lab_kv LINE KEY: value of KEY=value in a key=value line.
lab_kv() {
    printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# lab_lns_session LNS USER: "TID SID IP" of USER's session in that l2tpns, if any
# (closed sessions linger in its table for a while with address 0.0.0.0).
lab_lns_session() {
    lns_sessions "$1" "$LAB_STATE" 2>/dev/null | awk -v u="$2" '$4 == u && $5 != "0.0.0.0" { print $3, $1, $5; exit }'
}

# lab_table: one row per demo subscriber, from lac-dial's report, l2tpns's
# session tables and lacctl (when lac-core runs). Columns are tab-separated
# in $LAB_STATE/table.tsv (the test reads it) and aligned on stdout.
lab_table() {
    local user pass rest line outcome addr ms realm decision lns ids s lacline l
    {
        printf 'SUBSCRIBER\tREALM\tDECISION\tLNS\tTUNNEL/SESSION\tADDRESS\tSETUP\n'
        while read -r user pass rest; do
            case "$user" in ''|'#'*) continue ;; esac
            realm=${user#*@}
            line=$(grep -m1 'outcome=' "$LAB_STATE/dial/$user.out" 2>/dev/null)
            outcome=$(lab_kv "$line" outcome); addr=$(lab_kv "$line" addr); ms=$(lab_kv "$line" setup_ms)
            decision=-; lns=-; ids=-
            case "$outcome" in
                up)
                    # Decided below from what l2tpns and lac-core report; "up"
                    # when neither can be asked from here (docker subscriber).
                    decision=up
                    if [ -d "$LAB_STATE/lns1" ] || [ -d "$LAB_STATE/lac" ]; then decision=local; fi
                    for l in lns1 lns2; do
                        s=$(lab_lns_session "$l" "$user")
                        if [ -n "$s" ]; then
                            decision=tunnel; lns=$l
                            set -- $s
                            ids="lns:$1/$2"
                            [ -z "$addr" ] && addr=$3
                        fi
                    done
                    if [ -x "$LAB_BIN_LACCTL" ] && [ -S "$LAB_STATE/lac/lac.sock" ]; then
                        lacline=$(lac_ctl lac "$LAB_STATE" show sessions 2>/dev/null | grep -m1 " user=$user ")
                        if [ -n "$lacline" ] && [ -n "$(lab_kv "$lacline" tid)" ]; then
                            ids="lac:$(lab_kv "$lacline" tid)/$(lab_kv "$lacline" sid) $ids"
                        fi
                        [ -n "$lacline" ] && [ -n "$(lab_kv "$lacline" decision)" ] &&
                            decision=$(lab_kv "$lacline" decision)
                    fi ;;
                rejected) decision=reject ;;
                '') outcome=no-report; decision="?" ;;
                *) decision="$outcome" ;;
            esac
            # lac-dial's setup time is only meaningful for a session that came up.
            [ "$outcome" = up ] || ms=
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$user" "$realm" "$decision" "$lns" "$ids" \
                "${addr:--}" "${ms:-"-"}${ms:+ms}"
        done < <(lab_demo_subscribers)
    } > "$LAB_STATE/table.tsv"
    # Aligned columns (awk rather than column(1), which minimal images lack).
    awk -F'\t' '{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) }
                   if (NF > nf) nf = NF }
        END { for (r = 1; r <= NR; r++) { line = ""
                  for (i = 1; i <= nf; i++) line = line sprintf(i < nf ? "%-" w[i] + 2 "s" : "%s", c[r, i])
                  print line } }' "$LAB_STATE/table.tsv"
}

# lab_hint COMMAND TEXT: one "what to try next" line.
lab_hint() {
    if [ ${#1} -le 46 ]; then
        printf '  %-46s %s\n' "$1" "$2"
    else
        printf '  %s\n  %-46s %s\n' "$1" "" "$2"
    fi
}

# lab_up: every step that fails is named in $LAB_STATE/problems and in the
# closing line; `lab up` then exits 1 and never says the lab is up.
lab_up() {
    local part why failed=0 problems=
    [ "$(id -u)" = 0 ] || { echo "lab up: needs root (network namespaces)" >&2; return 1; }
    mkdir -p "$LAB_STATE"
    if [ "${RLNS_NO_DEPS:-0}" != 1 ]; then
        sh "$LAB_TOP/lab.d/deps.sh" --lab || { lab_log "installing packages failed (lab.d/deps.sh); the lab is NOT up"; return 1; }
    fi
    lab_build || problems="$problems build"
    lab_topology_up || { lab_log "cannot create the namespaces; the lab is NOT up"; return 1; }
    : > "$LAB_STATE/parts"
    for part in $LAB_PARTS; do
        if ! why=$(lab_part_built "$part"); then
            lab_log "$part: $why"
            printf '%s not-built %s\n' "$part" "$why" >> "$LAB_STATE/parts"
            problems="$problems $part(not-built)"
            continue
        fi
        if lab_part_up "$part"; then
            printf '%s running\n' "$part" >> "$LAB_STATE/parts"
        else
            lab_log "$part failed to start (lab logs $part)"
            printf '%s failed\n' "$part" >> "$LAB_STATE/parts"
            problems="$problems $part(failed)"
        fi
    done
    if lab_pid_alive "$LAB_STATE/redis/pid"; then
        lab_provision || problems="$problems provision"
    fi
    if why=$(lab_part_built dial) && lab_part_running lac; then
        lab_demo_dial || problems="$problems demo-dials"
        echo
        lab_table
        grep -q 'no-report' "$LAB_STATE/table.tsv" && problems="$problems demo-dials(no-report)"
    else
        lab_part_running lac || why="lac-core is not running"
        lab_log "no demo dials: $why"
        problems="$problems demo-dials"
    fi
    echo
    if [ -n "$problems" ]; then
        printf '%s\n' $problems > "$LAB_STATE/problems"
        failed=1
        echo "The lab is NOT up: failed:$problems (namespaces $LAB_PREFIX-*, state in $LAB_STATE)." >&2
        echo "See the lines above, $0 status and $0 logs PART; $0 down removes what did start." >&2
        return $failed
    fi
    rm -f "$LAB_STATE/problems"
    echo "The lab is up (namespaces $LAB_PREFIX-*, state in $LAB_STATE). What to try next:"
    lab_hint "$0 status" "what runs, health of each part"
    lab_hint "eval \"\$($0 env)\"" "addresses, secrets, namespaces as shell variables"
    lab_hint "$0 dial carol@corp.example carol-pw" "tunnelled to lns1 (preference 1)"
    lab_hint "$0 dial dave@local.example dave-pw" "terminated by lac-core itself"
    lab_hint "$0 dial eve@blocked.example x" "rejected by the broker"
    lab_hint "$0 dial carol@corp.example carol-pw --pppoe" "the same over PPPoE"
    lab_hint "ip netns exec $LAB_NS_AAA $LAB_BIN_REALMCTL --redis $LAB_REDIS_URL lns set corp.example lns1 --down" \
        "then dial carol again: the session lands on lns2"
    lab_hint "$0 logs [redis|broker|lns1|lns2|lac|dial]" "recent log lines"
    lab_hint "$0 down" "removes everything"
    return $failed
}

# lab_part_running PART: the part's processes run.
lab_part_running() {
    case $1 in
        redis) lab_pid_alive "$LAB_STATE/redis/pid" ;;
        broker)
            if declare -F broker_running >/dev/null; then
                broker_running broker "$LAB_STATE"
            else
                netns_exists "$LAB_NS_AAA" &&
                    [ -n "$(netns_exec "$LAB_NS_AAA" ss -Hlun "sport = :$LAB_RADIUS_PORT" 2>/dev/null)" ]
            fi ;;
        lns1|lns2) lab_pid_alive "$LAB_STATE/$1/l2tpns.pid" && lab_pid_alive "$LAB_STATE/$1/radiusd.pid" ;;
        lac) lab_pid_alive "$LAB_STATE/lac/pid" ;;
    esac
}

# lab_part_health PART: one line from a real probe of the running part.
lab_part_health() {
    local out
    case $1 in
        redis)
            out=$(netns_exec "$LAB_NS_AAA" redis-cli -u "$LAB_REDIS_URL" ping 2>&1)
            [ "$out" = PONG ] && echo "PING answered" || { echo "PING: $out"; return 1; } ;;
        broker)
            # Status-Server (RFC 5997), signed: the broker requires Message-Authenticator.
            if out=$(echo "Message-Authenticator = 0x00" | netns_exec "$LAB_NS_LAC" \
                    radclient -r 1 -t 2 "$LAB_RADIUS_ADDR:$LAB_RADIUS_PORT" status "$LAB_RADIUS_SECRET" 2>&1); then
                echo "Status-Server answered"
            else
                echo "no answer to Status-Server"; return 1
            fi ;;
        lns1|lns2)
            local addr=$LAB_LNS1_ADDR secret=$LAB_LNS1_SECRET n
            [ "$1" = lns2 ] && addr=$LAB_LNS2_ADDR secret=$LAB_LNS2_SECRET
            out=$(netns_exec "$LAB_NS_LAC" /usr/bin/python3 "$LAB_TOP/lab.d/lns/l2tp_probe.py" \
                    "$addr" 1701 "$secret" 2>&1) || { echo "L2TP: $out"; return 1; }
            n=$(lns_sessions "$1" "$LAB_STATE" 2>/dev/null | awk 'NR > 1 && $1 ~ /^[0-9]+$/ && $5 != "0.0.0.0"' | wc -l)
            echo "SCCRP with valid challenge response; $n session(s)" ;;
        lac)
            out=$(lac_ctl lac "$LAB_STATE" show counters 2>&1) && echo "lacctl answered" ||
                { echo "lacctl: $out"; return 1; } ;;
    esac
}

lab_status() {
    local part why state health rc=0
    printf '%-8s %-14s %s\n' PART STATE HEALTH
    for part in $LAB_PARTS; do
        if ! why=$(lab_part_built "$part"); then
            printf '%-8s %-14s %s\n' "$part" "not built yet" "$why"
            continue
        fi
        if lab_part_running "$part"; then
            state=running
            health=$(lab_part_health "$part") || rc=1
        else
            state=stopped; health=-
        fi
        printf '%-8s %-14s %s\n' "$part" "$state" "$health"
    done
    for part in realmctl dial; do
        if why=$(lab_part_built "$part"); then
            printf '%-8s %-14s %s\n' "$part" built -
        else
            printf '%-8s %-14s %s\n' "$part" "not built yet" "$why"
        fi
    done
    if [ -n "$LAB_ALL_NS" ] && ! netns_exists "$LAB_NS_LAC"; then
        echo "(the lab is not up: lab up)"
    fi
    return $rc
}

lab_logs() {
    local part=${1:-} f found=0
    for f in "$LAB_STATE"/${part:-*}/*.log "$LAB_STATE"/${part:-*}/*.out; do
        [ -f "$f" ] || continue
        found=1
        echo "==> $f <=="
        tail -n "${RLNS_LOG_LINES:-40}" "$f"
    done
    [ $found = 1 ] || { echo "no logs${part:+ for $part} in $LAB_STATE" >&2; return 1; }
}

lab_env() {
    local user pass rest realm key
    cat <<EOF
RLNS_STATE=$LAB_STATE
RLNS_RADIUS_ADDR=$LAB_RADIUS_ADDR
RLNS_RADIUS_PORT=$LAB_RADIUS_PORT
RLNS_RADIUS_SECRET=$LAB_RADIUS_SECRET
RLNS_REDIS_URL=$LAB_REDIS_URL
RLNS_LAC_STREAM=$LAB_LAC_STREAM
RLNS_LAC_PPPOE_IF=pppoe-sub
RLNS_LAC_CTL=$LAB_STATE/lac/lac.sock
RLNS_LAC_COA_ADDR=10.88.1.2
RLNS_LAC_COA_PORT=$LAB_LAC_COA_PORT
RLNS_LNS1=$LAB_LNS1_ADDR:1701
RLNS_LNS2=$LAB_LNS2_ADDR:1701
RLNS_NS_SUB=$LAB_NS_SUB
RLNS_NS_LAC=$LAB_NS_LAC
RLNS_NS_AAA=$LAB_NS_AAA
RLNS_NS_LNS1=$LAB_NS_LNS1
RLNS_NS_LNS2=$LAB_NS_LNS2
EOF
    while read -r user pass rest; do
        case "$user" in ''|'#'*) continue ;; esac
        case "$rest" in pppoe-vlan=*) continue ;; esac     # the realm's first user stays the one
        realm=${user#*@}
        key=$(printf '%s' "${realm%%.*}" | tr 'a-z-' 'A-Z_')
        printf 'RLNS_DEMO_%s_USER=%s\nRLNS_DEMO_%s_PASSWORD=%s\n' "$key" "$user" "$key" "$pass"
    done < "$LAB_DEMO/subscribers"
    printf 'RLNS_DIAL="ip netns exec %s %s --connect %s"\n' "$LAB_NS_SUB" "$LAB_BIN_DIAL" "$LAB_LAC_STREAM"
    printf 'RLNS_LAB_DIAL="%s/lab dial"\n' "$LAB_TOP"
}

# lab_down: stops every part, removes the namespaces (and with them the
# veths, TUN devices and l2tpns's private mounts) and the state directory.
lab_down() {
    local part ns rc=0
    # Subscribers hang up first, then lac-core can say goodbye to the LNS and
    # the AAA; the others
    # take a few seconds each to stop, so in parallel.
    [ -d "$LAB_STATE/dial" ] && lab_demo_hangup
    [ -d "$LAB_STATE/lac" ] && lab_part_down lac
    for part in broker lns1 lns2 redis; do
        [ -d "$LAB_STATE/$part" ] && lab_part_down "$part" &
    done
    wait
    for ns in $LAB_ALL_NS; do
        netns_destroy "$ns" || rc=1
    done
    case "$LAB_STATE" in
        /|'') ;;
        *) rm -rf "$LAB_STATE" ;;
    esac
    return $rc
}
