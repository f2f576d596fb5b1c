# realm-lns lab shell library. Source it from bash:  . lab.d/lib.sh
# It loads the part files below when they exist, so the lab and every
# integration test start servers through the same functions:
#   netns.sh   namespaces, veths, waiting for listeners
#   redis.sh   redis_start / redis_stop
#   lns.sh     lns_start / lns_stop / lns_sessions (l2tpns + its own FreeRADIUS)
#   broker.sh  broker_start / broker_stop (FreeRADIUS with rlm_realm_lns)
#   lac.sh     lac_config / lac_start / lac_stop / lac_ctl
#   lab-up.sh  the lab's topology and the `lab` commands built on the above
#
# LAB_TOP is the source tree; top_srcdir/top_builddir default to it (make
# check sets them to the build's own values).

LAB_TOP=${LAB_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
top_srcdir=${top_srcdir:-$LAB_TOP}
top_builddir=${top_builddir:-$LAB_TOP}
export LAB_TOP top_srcdir top_builddir

for _lab_part in netns redis lns broker lac lab-up; do
    if [ -f "$LAB_TOP/lab.d/$_lab_part.sh" ]; then
        # shellcheck disable=SC1090
        . "$LAB_TOP/lab.d/$_lab_part.sh"
    fi
done
unset _lab_part

# lab_pid_alive PIDFILE: true when the file names a running process.
lab_pid_alive() {
    [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

# lab_pid_stop PIDFILE [TIMEOUT_TENTHS]: TERM, wait, KILL; removes the file.
lab_pid_stop() {
    local _pf _t _pid _i
    _pf=$1; _t=${2:-50}
    [ -f "$_pf" ] || return 0
    _pid=$(cat "$_pf")
    if [ -n "$_pid" ] && kill -0 "$_pid" 2>/dev/null; then
        kill -TERM "$_pid" 2>/dev/null
        _i=0
        while kill -0 "$_pid" 2>/dev/null && [ $_i -lt "$_t" ]; do sleep 0.1; _i=$((_i + 1)); done
        kill -KILL "$_pid" 2>/dev/null || true
    fi
    rm -f "$_pf"
}
