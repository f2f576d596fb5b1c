#!/bin/bash
# lac-core as a daemon, with real peers: configuration errors name file, line
# and key; SIGHUP applies a new configuration and survives a broken one;
# garbage on the access side is counted and dropped without disturbing other
# subscribers; SIGTERM ends every session properly (the subscriber sees LCP
# Terminate, the LNS gets a CDN) and the daemon exits 0.
set -u
. "$(dirname "$0")/testlib.sh"
t_require_root

export RLNS_PREFIX=rlt-lacd-$$
export RLNS_STATE
RLNS_STATE=$(mktemp -d /tmp/rlt-lacd.XXXXXX)
export RLNS_NO_BUILD=1 RLNS_NO_DEPS=1
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/lab.d/lib.sh"

cleanup() {
    [ "${RLNS_KEEP:-0}" = 1 ] && { echo "kept: RLNS_PREFIX=$RLNS_PREFIX RLNS_STATE=$RLNS_STATE"; return; }
    lab_down >/dev/null 2>&1
}
trap cleanup EXIT

# 1. Configuration errors, before anything runs.
bad=$RLNS_STATE/bad.conf
mkdir -p "$RLNS_STATE"
printf '[lac]\nhost_name = lac1\n\n[ppp]\nmru = 70000\n' > "$bad"
out=$("$LAB_BIN_LAC" -t -c "$bad" 2>&1); rc=$?
t_eq "a bad configuration is refused" "$rc" 1
t_check "the error names file, line and key: $out" grep -q "$bad:5: \[ppp\] mru: 70000 is out of range 128..65535" <<<"$out"
printf '[l2tp]\nbogus_key = 1\n' > "$bad"
out=$("$LAB_BIN_LAC" -t -c "$bad" 2>&1)
t_check "an unknown key is named: $out" grep -q "$bad:2: \[l2tp\] bogus_key: unknown key" <<<"$out"

# 2. The real thing.
lab_down >/dev/null 2>&1
mkdir -p "$RLNS_STATE"
lab_topology_up || { t_fail topology; t_done; exit 1; }
for part in redis broker lns1 lac; do
    t_check "start $part" lab_part_up "$part"
done
t_check "provision" lab_provision
conf=$RLNS_STATE/lac/lac.conf
log=$RLNS_STATE/lac/lac-core.log
t_check "lac-core -t accepts the lab's configuration" "$LAB_BIN_LAC" -t -c "$conf"

held() { # held NAME USER PASSWORD: a subscriber that stays up in the background
    netns_exec "$LAB_NS_SUB" "$LAB_BIN_DIAL" --connect "$LAB_LAC_STREAM" --user "$2" --password "$3" \
        --hold 120 --timeout 30 > "$RLNS_STATE/$1.out" 2>&1 &
    eval "${1}_pid=$!"
    for _ in $(seq 100); do grep -q outcome= "$RLNS_STATE/$1.out" && return 0; sleep 0.1; done
    return 1
}
t_check "a tunnelled subscriber is up" held alice alice@corp.example alice-pw
t_check "a local subscriber is up" held bob bob@local.example bob-pw

# 3. Hostile access input: garbage, bad FCS, a frame of flags, then a close.
ip netns exec "$LAB_NS_SUB" /usr/bin/python3 - <<'PY'
import socket
s = socket.create_connection(("10.88.0.1", 2000), timeout=5)
s.sendall(b"\x00\x01garbage" * 50)                      # no flags at all
s.sendall(b"\x7e\xff\x7d\x23\xc0\x21\x01\x01\x00\x04\x12\x34\x7e")  # LCP ConfReq with a wrong FCS
s.sendall(b"\x7e" * 100)                                # empty frames
s.sendall(b"\x7e" + b"\x41" * 9000 + b"\x7e")           # over-long frame
s.close()
PY
sleep 0.5
counters=$(lac_ctl lac "$RLNS_STATE" show counters)
bad_fcs=$(grep -o 'bad_fcs=[0-9]*' <<<"$counters" | head -n1 | cut -d= -f2)
too_long=$(grep -o 'too_long=[0-9]*' <<<"$counters" | head -n1 | cut -d= -f2)
t_check "bad FCS frames were counted ($bad_fcs)" test "${bad_fcs:-0}" -ge 1
t_check "over-long frames were counted ($too_long)" test "${too_long:-0}" -ge 1
t_check "lac-core survived" lab_pid_alive "$RLNS_STATE/lac/pid"
t_eq "the other subscribers are still up" \
    "$(lac_ctl lac "$RLNS_STATE" show sessions | grep -c 'state=relay\|state=local')" 2

# 4. SIGHUP: a new log level is applied; a broken file is refused, nothing changes.
sed -i 's/^\[lac\]$/[lac]\nlog_level = debug/' "$conf"
kill -HUP "$(cat "$RLNS_STATE/lac/pid")"
sleep 0.5
t_check "SIGHUP reloads the configuration" grep -q 'event=reloaded' "$log"
cp "$conf" "$conf.good"
printf '[ppp]\nmru = nope\n' >> "$conf"
kill -HUP "$(cat "$RLNS_STATE/lac/pid")"
sleep 0.5
t_check "a broken configuration on SIGHUP is refused with its location" \
    grep -q "event=reload_failed error=\"$conf:[0-9]*: \[ppp\] mru: 'nope' is not a whole number\"" "$log"
t_check "lac-core keeps running after a refused reload" lab_pid_alive "$RLNS_STATE/lac/pid"
cp "$conf.good" "$conf"
# issue 8 item 11: what a reload cannot apply is named, never "reloaded"
sed -i 's/^hello_interval_s = .*/hello_interval_s = 45/' "$conf"
printf '[pppoe]\nac_name = renamed\n' >> "$conf"
reloads=$(grep -c 'event=reloaded' "$log")
kill -HUP "$(cat "$RLNS_STATE/lac/pid")"
sleep 0.5
t_check "SIGHUP names the [l2tp] and [pppoe] settings that need a restart" \
    grep -q 'event=reload_partial .*restart_needed=[^ ]*\[pppoe\]ac_name,[^ ]*\[l2tp\]hello_interval_s' "$log"
t_eq "and does not say reloaded" "$(grep -c 'event=reloaded' "$log")" "$reloads"
cp "$conf.good" "$conf"
# keys the table marks live that running objects hold copies of (the L2TP
# engine, the PPPoE servers) are handed to them: a full reload, nothing named
printf '[l2tp]\ntunnels_per_lns = 4\nsession_setup_timeout_s = 20\n[admission]\npadi_per_second = 500\n' >> "$conf"
partials=$(grep -c 'event=reload_partial' "$log")
kill -HUP "$(cat "$RLNS_STATE/lac/pid")"
sleep 0.5
t_eq "SIGHUP applies [l2tp] tunnels_per_lns, [admission] padi_per_second: reloaded" \
    "$(grep -c 'event=reloaded' "$log")" "$((reloads + 1))"
t_eq "and names nothing as needing a restart" "$(grep -c 'event=reload_partial' "$log")" "$partials"
# the NAS identity is fixed for the life of the process (a session's records keep its Start's)
printf '[lac]\nnas_identifier = lac-renamed\n' >> "$conf"
kill -HUP "$(cat "$RLNS_STATE/lac/pid")"
sleep 0.5
t_check "SIGHUP names [lac] nas_identifier as needing a restart" \
    grep -q 'event=reload_partial .*restart_needed=\[lac\]nas_identifier' "$log"
cp "$conf.good" "$conf"
kill -HUP "$(cat "$RLNS_STATE/lac/pid")"
sleep 0.5

# 5. SIGTERM: every session ends properly.
lacpid=$(cat "$RLNS_STATE/lac/pid")
t_eq "l2tpns has alice's session before shutdown" \
    "$(lns_sessions lns1 "$RLNS_STATE" | awk '$4 == "alice@corp.example" && $5 != "0.0.0.0"' | wc -l)" 1
kill -TERM "$lacpid"
for _ in $(seq 100); do kill -0 "$lacpid" 2>/dev/null || break; sleep 0.1; done
t_check "lac-core exited on SIGTERM" sh -c "! kill -0 $lacpid 2>/dev/null"
wait "$alice_pid" "$bob_pid" 2>/dev/null
t_check "alice's link was taken down by lac-core" grep -q 'event=down' "$RLNS_STATE/alice.out"
t_check "bob's link was taken down by lac-core" grep -q 'event=down' "$RLNS_STATE/bob.out"
t_check "lac-core logged a clean stop" grep -q 'event=stopped' "$log"
sleep 1
t_eq "l2tpns cleared alice's session (CDN/StopCCN received)" \
    "$(lns_sessions lns1 "$RLNS_STATE" | awk '$4 == "alice@corp.example" && $5 != "0.0.0.0"' | wc -l)" 0
t_check "l2tpns logged the disconnect from the LAC" grep -Eq 'Received (CDN|StopCCN)' "$RLNS_STATE/lns1/l2tpns.log"

t_done
