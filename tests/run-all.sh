#!/bin/sh
# The whole test suite, as CI runs it (.ci/run calls this): installs missing
# Debian packages, builds from a clean configure, runs `make check` (Criterion
# unit tests and the integration suites against real FreeRADIUS, Redis and
# l2tpns in network namespaces), and prints one closing "N passed, N failed".
# Run as root on Debian 12.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ "$(id -u)" != 0 ]; then
    echo "run-all: run as root (apt-get, network namespaces)" >&2
    exit 2
fi
sh lab.d/deps.sh

if [ ! -f Makefile ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
    autoreconf -fi >/dev/null
    ./configure -q
fi
make -j"$(nproc)" >/dev/null

status=0
make -k check || status=$?

# One summary line over every suite: automake's .trs files record each test
# program's result; Criterion and the shell suites also print their own counts.
passed=0 failed=0 skipped=0
for trs in $(find . -name '*.trs' -newer config.status | sort); do
    case "$(sed -n 's/^:test-result: //p' "$trs" | head -n1)" in
        PASS|XFAIL) passed=$((passed + 1)) ;;
        SKIP) skipped=$((skipped + 1)) ;;
        *) failed=$((failed + 1)); echo "FAILED: ${trs%.trs} (log: ${trs%.trs}.log)" ;;
    esac
done
echo "suites: $passed passed, $failed failed, $skipped skipped"
exit "$status"
