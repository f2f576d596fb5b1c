# Shared helpers for the integration suites (sourced, POSIX sh + bash).
# Each suite sources this, runs checks with t_ok/t_check, and ends with t_done,
# which prints "N passed, N failed" and exits 0 only if nothing failed.
# Exit 77 (automake's SKIP) is only for "this machine cannot run it" (not root).
t_passed=0
t_failed=0

t_ok() {   # t_ok NAME: record a passing check
    t_passed=$((t_passed + 1)); echo "ok - $1"
}
t_fail() { # t_fail NAME [DETAIL]: record a failing check
    t_failed=$((t_failed + 1)); echo "not ok - $1${2:+: $2}"
}
t_check() { # t_check NAME CMD...: passes if CMD exits 0
    _t_name=$1; shift
    if "$@"; then t_ok "$_t_name"; else t_fail "$_t_name" "command failed: $*"; fi
}
t_eq() {   # t_eq NAME GOT WANT
    if [ "$2" = "$3" ]; then t_ok "$1"; else t_fail "$1" "got '$2', want '$3'"; fi
}
wait_until() { # wait_until SECONDS CMD...: polls CMD every 0.2 s; fails if it never held
    local t=$(($1 * 5))
    shift
    while ! "$@"; do
        t=$((t - 1))
        [ $t -le 0 ] && return 1
        sleep 0.2
    done
}
t_require_root() {
    if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (network namespaces)"; exit 77; fi
}
t_done() {
    echo "$t_passed passed, $t_failed failed"
    [ "$t_failed" -eq 0 ]
}
