#!/bin/bash
# Bounded fuzzing of every wire codec and outside-input parser (the libFuzzer
# harnesses of tests/fuzz, built with clang under ASan/UBSan by
# tests/fuzz/run.sh): each target runs FUZZ_SMOKE_RUNS inputs (default 2000)
# from its committed seeds, two targets at a time. A crash, leak, sanitizer
# report or broken property fails the target's check and names the
# reproducer. Earlier findings (tests/fuzz/corpus/<t>/crash-*) are fixed and
# replayed first as regressions: one that reproduces again fails the suite
# (FUZZ_STRICT_KNOWN=0 only lists them, for a developer chasing new ones).
# The long run for developers is tests/fuzz/run.sh --seconds 300.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/integration/testlib.sh"

# Only a machine without clang's libFuzzer runtime cannot run this.
probe=$(mktemp -d /tmp/rlt-fuzz.XXXXXX)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$probe/p.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" >/dev/null 2>&1; then
    echo "SKIP: clang with libFuzzer (clang, libclang-rt-14-dev) not installed"
    exit 77
fi

export FUZZ_BUILD_DIR=$top_builddir/tests/fuzz/build
runs=${FUZZ_SMOKE_RUNS:-2000}
FUZZ_ALLOW_KNOWN=1 "$top_srcdir/tests/fuzz/run.sh" --fresh --runs "$runs" --jobs 2 >"$probe/out" 2>&1
rc=$?
cat "$probe/out"
if [ $rc = 2 ]; then
    t_fail "fuzz harnesses build" "see the output above"
    t_done
    exit
fi
t_ok "fuzz harnesses build"
for t in l2tp l2tp_engine radius dae_server pppoe access_line pppoe_server hdlc ppp realm_name realm_schema realmctl_doc conf; do
    if grep -q "^fuzz: $t: ok " "$probe/out" && ! grep -q "^fuzz: $t: FINDING" "$probe/out"; then
        if grep -q "^fuzz: $t: KNOWN" "$probe/out" && [ "${FUZZ_STRICT_KNOWN:-1}" = 1 ]; then
            t_fail "fuzz $t: $runs runs" "known finding still reproduces: $(grep "^fuzz: $t: KNOWN" "$probe/out" | head -1)"
        else
            grep "^fuzz: $t: KNOWN" "$probe/out" | sed 's/^/# /'
            t_ok "fuzz $t: $runs runs, $(sed -n "s/^fuzz: $t: ok //p" "$probe/out")"
        fi
    else
        t_fail "fuzz $t: $runs runs" "$(grep "^fuzz: $t: " "$probe/out" | tr '\n' ' ')"
    fi
done
t_done
