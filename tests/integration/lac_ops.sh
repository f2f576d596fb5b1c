#!/bin/bash
# lac-core as an operator runs it:
#  - Type=notify: READY=1 on $NOTIFY_SOCKET once up, RELOADING=1 then READY=1
#    around SIGHUP, STOPPING=1 on SIGTERM (a datagram socket read here);
#  - metrics: GET /metrics on [lac] metrics_listen, fetched with curl after a
#    local and a rejected subscriber: Prometheus text (every family has HELP and
#    TYPE), session, setup-time histogram, RADIUS and per-server series, and
#    the same values as `lacctl show counters` (one table drives both);
#    another path is 404; a connection that sends nothing does not block it;
#  - systemd-analyze verify accepts etc/lac-core.service (paths pointed at
#    this build).
set -u
. "$(dirname "$0")/testlib.sh"
t_require_root
export RLNS_PREFIX=rlt-ops-$$
export RLNS_STATE
RLNS_STATE=$(mktemp -d /tmp/rlt-ops.XXXXXX)
export RLNS_NO_BUILD=1 RLNS_NO_DEPS=1
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/lab.d/lib.sh"
PY=/usr/bin/python3
rx_pid=
cleanup() {
    [ -n "$rx_pid" ] && kill "$rx_pid" 2>/dev/null
    [ "${RLNS_KEEP:-0}" = 1 ] && { echo "kept: RLNS_PREFIX=$RLNS_PREFIX RLNS_STATE=$RLNS_STATE"; return; }
    lab_down >/dev/null 2>&1
}
trap cleanup EXIT

# 1. The unit file.
if command -v systemd-analyze >/dev/null; then
    u=$RLNS_STATE/unit/lac-core.service
    mkdir -p "${u%/*}"
    sed "s|/usr/sbin/lac-core|$top_builddir/lac-core/lac-core|g" "$top/etc/lac-core.service" > "$u"
    # only what it says about our unit (other installed units may draw remarks)
    out=$(systemd-analyze verify --man=no "$u" 2>&1 | grep 'lac-core\.service')
    t_eq "systemd-analyze verify lac-core.service: no complaint" "$out" ""
else
    echo "# systemd-analyze not installed: unit not verified"
fi

# 2. A LAC with a broker and Redis (no LNS needed), metrics on.
lab_down >/dev/null 2>&1
mkdir -p "$RLNS_STATE"
lab_topology_up || { t_fail topology; t_done; exit 1; }
for part in redis broker; do t_check "start $part" lab_part_up "$part"; done
t_check "provision the demo realms" lab_provision
lac_config lac "$RLNS_STATE" STREAM_LISTEN="$LAB_LAC_STREAM" PPPOE_IF="$LAB_LAC_PPPOE_IF" \
    RADIUS_SERVER="$LAB_RADIUS_ADDR:$LAB_RADIUS_PORT" \
    RADIUS_SECRET="$LAB_RADIUS_SECRET" NAS_IP=10.88.1.2 HOST_NAME=lac1 DAE_LISTEN=none
sed -i 's|^\[lac\]$|[lac]\nmetrics_listen = 10.88.1.2:9477|' "$RLNS_STATE/lac/lac.conf"
notify=$RLNS_STATE/notify.sock
"$PY" - "$notify" > "$RLNS_STATE/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    print(s.recv(4096).decode(), flush=True)
PY
rx_pid=$!
for i in $(seq 50); do [ -S "$notify" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$notify lac_start lac "$LAB_NS_LAC" "$RLNS_STATE" || t_fail "lac-core starts"
sleep 0.3
t_check "READY=1 sent once up" grep -qx 'READY=1' "$RLNS_STATE/notify.log"

M="http://10.88.1.2:9477/metrics"
fetch() { netns_exec "$LAB_NS_LAC" curl -s -m 5 "$@"; }
# a connection that never sends a request must not hold up the daemon
netns_exec "$LAB_NS_LAC" "$PY" -c 'import socket,time; s=socket.create_connection(("10.88.1.2",9477)); time.sleep(3)' &
idle=$!
netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --connect "$LAB_LAC_STREAM" --user dave@local.example --password dave-pw \
    --timeout 10 > "$RLNS_STATE/dial1.out" 2>&1
t_check "a local subscriber comes up" grep -q 'outcome=up' "$RLNS_STATE/dial1.out"
netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --connect "$LAB_LAC_STREAM" --user eve@blocked.example --password x \
    --expect rejected --timeout 10 > "$RLNS_STATE/dial2.out" 2>&1
t_check "a blocked subscriber is rejected" grep -q 'outcome=rejected' "$RLNS_STATE/dial2.out"
fetch -o "$RLNS_STATE/metrics.txt" -w '%{http_code} %{content_type}\n' "$M" > "$RLNS_STATE/http.txt"
t_check "GET /metrics: 200, text/plain version 0.0.4" grep -q '^200 text/plain; version=0.0.4' "$RLNS_STATE/http.txt"
wait "$idle"
m() { awk -v n="$1" '$1 == n { print $2; exit }' "$RLNS_STATE/metrics.txt"; }
t_eq "lac_aaa_local_total counts the local subscriber" "$(m lac_aaa_local_total)" 1
t_eq "lac_aaa_reject_total counts the rejected one" "$(m lac_aaa_reject_total)" 1
t_eq "lac_session_setup_seconds_count: one session came up" "$(m lac_session_setup_seconds_count)" 1
t_eq "histogram +Inf bucket equals the count" "$(m 'lac_session_setup_seconds_bucket{le="+Inf"}')" 1
t_check "lac_sessions gauge present" test -n "$(m lac_sessions)"
t_eq "lac_radius_server_up for the broker" "$(m "lac_radius_server_up{server=\"$LAB_RADIUS_ADDR:$LAB_RADIUS_PORT\"}")" 1
t_check "per-LNS families present (lac_lns_sessions)" grep -q '^# TYPE lac_lns_sessions gauge' "$RLNS_STATE/metrics.txt"
t_check "stream series labelled by listener" grep -q "^lac_stream_accepted_total{listen=\"$LAB_LAC_STREAM\"} 2" "$RLNS_STATE/metrics.txt"
t_check "PPPoE series labelled by interface, with the kernel's drops at its socket" \
    grep -q "^lac_pppoe_rx_kernel_drops_total{interface=\"$LAB_LAC_PPPOE_IF\"} 0" "$RLNS_STATE/metrics.txt"
untyped=$(awk '/^# TYPE /{t[$3]=1} /^[a-z]/{n=$1; sub(/\{.*/, "", n); b=n; sub(/_(bucket|sum|count)$/, "", b); if (!(n in t) && !(b in t)) print n}' "$RLNS_STATE/metrics.txt" | sort -u)
t_eq "every sample belongs to a family with # TYPE" "$untyped" ""
c=$(lac_ctl lac "$RLNS_STATE" show counters)
t_check "lacctl show counters: the PPPoE line counts the kernel's drops" \
    grep -q "^access=pppoe if=$LAB_LAC_PPPOE_IF .* rx_kernel_drops=0" <<<"$c"
t_check "lacctl show counters: the L2TP line counts its sockets' drops" grep -q "^l2tp .* rx_socket_drops=0" <<<"$c"
t_check "lacctl show counters: the RADIUS line counts its sockets' drops" grep -q "^radius .* rx_socket_drops=0" <<<"$c"
t_eq "lacctl radius requests= equals lac_radius_requests_total" \
    "$(printf '%s\n' "$c" | sed -n 's/^radius .*\brequests=\([0-9]*\).*/\1/p')" "$(m lac_radius_requests_total)"
t_eq "lacctl aaa_local= equals lac_aaa_local_total" "$(lab_kv "$(printf '%s\n' "$c" | grep aaa_local=)" aaa_local)" "$(m lac_aaa_local_total)"
t_eq "another path is 404" "$(fetch -o /dev/null -w '%{http_code}' "http://10.88.1.2:9477/other")" 404
t_eq "lac_metrics_http_requests_total counts both scrapes" "$(fetch "$M" | awk '$1 == "lac_metrics_http_requests_total" { print $2 }')" 2

# 3. Reload and stop.
kill -HUP "$(cat "$RLNS_STATE/lac/pid")"
sleep 0.5
t_eq "SIGHUP: RELOADING=1 then READY=1" "$(tail -n 2 "$RLNS_STATE/notify.log" | xargs)" "RELOADING=1 READY=1"
t_eq "metrics still served after the reload" "$(fetch -o /dev/null -w '%{http_code}' "$M")" 200
lac_stop lac "$RLNS_STATE"
t_check "SIGTERM: STOPPING=1" grep -qx 'STOPPING=1' "$RLNS_STATE/notify.log"
t_done
