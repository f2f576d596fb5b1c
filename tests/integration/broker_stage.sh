# The stage both broker suites stand on (sourced after testlib.sh and
# lab.d/lib.sh): one namespace with ADDR on its lo, state in STATE, and a
# cleanup that stops the named brokers and Redis and removes both, printing
# the broker's last output when a check failed (RLT_KEEP=1 keeps the state).
#
# broker_stage_up NS ADDR STATE BROKER_NAME...
broker_stage_up() {
    _bs_ns=$1 _bs_addr=$2 _bs_state=$3
    shift 3
    _bs_brokers="$*"
    trap broker_stage_cleanup EXIT
    [ -f "$top_builddir/rlm_realm_lns/.libs/rlm_realm_lns.so" ] || {
        echo "rlm_realm_lns not built: run make first"; exit 1; }
    netns_destroy "$_bs_ns"
    netns_create "$_bs_ns" || exit 1
    ip -n "$_bs_ns" addr add "$_bs_addr/32" dev lo || exit 1
}

broker_stage_cleanup() {
    local b
    for b in $_bs_brokers; do
        broker_stop "$b" "$_bs_state" 2>/dev/null
    done
    redis_stop redis "$_bs_state" 2>/dev/null
    netns_destroy "$_bs_ns" 2>/dev/null
    if [ "${t_failed:-0}" -gt 0 ] && [ -z "${RLT_KEEP:-}" ]; then
        echo "--- broker output (last 40 lines)"
        tail -n 40 "$_bs_state/broker/radius.out" 2>/dev/null
    fi
    [ -n "${RLT_KEEP:-}" ] || rm -rf "$_bs_state"
}
