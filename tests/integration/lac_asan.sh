#!/bin/bash
# lac-core's integration suites once more with lac-core built with ASan and
# UBSan (lac-core/lac-core-asan, -fno-sanitize-recover=all): vpdn_e2e,
# lac_daemon, dae_acct, lac_hostile and health_share. Fails when a suite fails or when the
# sanitizers wrote any report (ASAN_OPTIONS/UBSAN_OPTIONS log_path below).
set -u
. "$(dirname "$0")/testlib.sh"
t_require_root
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$top}
bin=$build/lac-core/lac-core-asan
[ -x "$bin" ] || { echo "skip: $bin not built (make check builds it)"; exit 77; }
reports=$(mktemp -d /tmp/rlt-asan.XXXXXX)
chmod 1777 "$reports" # writable after lac-core dropped root
trap 'rm -rf "$reports"' EXIT
export RLNS_LAC_BIN=$bin RLNS_LAC_ASAN=1
# leaks are left to valgrind (lac_memcheck, lac_hostile): radcli keeps its
# configuration for the process lifetime
export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=0:abort_on_error=0:strict_string_checks=1"
export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1"
for suite in vpdn_e2e lac_daemon dae_acct lac_hostile health_share; do
    out=$reports/$suite.out
    bash "$top/tests/integration/$suite.sh" > "$out" 2>&1
    rc=$?
    if [ $rc = 77 ]; then
        t_ok "$suite with ASan/UBSan lac-core: skipped ($(tail -n 1 "$out"))"
        continue
    fi
    t_eq "$suite with ASan/UBSan lac-core ($(tail -n 1 "$out"))" "$rc" 0
    [ $rc = 0 ] || grep '^not ok' "$out" | head -n 20 >&2
    found=$(ls "$reports"/asan.* "$reports"/ubsan.* 2>/dev/null)
    t_check "$suite: no sanitizer report" test -z "$found"
    [ -z "$found" ] || { head -n 60 $found >&2; rm -f $found; }
done
t_done
