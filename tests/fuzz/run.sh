#!/bin/bash
# Builds and runs the libFuzzer harnesses of tests/fuzz (clang, ASan, UBSan),
# independently of the automake build: each harness is compiled together with
# the library sources it exercises, listed below.
#
#   tests/fuzz/run.sh [--seconds N | --runs N] [--jobs N] [--fresh] [--build-only] [target...]
#
# --jobs N builds and runs N targets at a time; --fresh starts from the seeds
# alone (the work corpus of earlier runs is discarded first).
# Default: --runs 5000 over every target. Seeds come from tests/fuzz/corpus/<t>/
# (committed, read-only here); what the fuzzer finds new goes to a work corpus
# under the build dir, so runs accumulate without touching the tree.
# Known findings, tests/fuzz/corpus/<t>/crash-*, are replayed one by one first
# and left out of the seeds: each one that still fails is reported as KNOWN.
#
# Exit status: 0 when no target crashed, leaked or tripped a sanitizer (and no
# known finding still reproduces, unless FUZZ_ALLOW_KNOWN=1); 1 otherwise;
# 2 on usage or build errors. Environment: FUZZ_BUILD_DIR (default
# tests/fuzz/build), CC (default clang).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
fuzz_dir=$top/tests/fuzz
build=${FUZZ_BUILD_DIR:-$fuzz_dir/build}
cc=${CC_FUZZ:-clang}
cflags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=all -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow
	-Wmissing-prototypes -Wstrict-prototypes -D_GNU_SOURCE
	-I$top/lac-core/src -I$top/rlm_realm_lns -I$top/policy/realmctl -I$fuzz_dir"

ALL_TARGETS="l2tp l2tp_engine radius dae_server pppoe access_line pppoe_server hdlc ppp realm_name realm_schema realmctl_doc conf"

ppp_srcs="lac-core/src/ppp/ppp.c lac-core/src/ppp/fsm.c lac-core/src/ppp/lcp.c
	lac-core/src/ppp/auth.c lac-core/src/ppp/chap.c lac-core/src/ppp/pap.c
	lac-core/src/ppp/ipcp.c lac-core/src/util/log.c lac-core/src/util/md5.c
	lac-core/src/util/random.c lac-core/src/util/escape.c"

# Library sources, libraries and -max_len of each target.
target_srcs() {
	case $1 in
	l2tp) echo "lac-core/src/l2tp/msg.c lac-core/src/l2tp/avp.c lac-core/src/util/md5.c" ;;
	l2tp_engine) echo "lac-core/src/l2tp/avp.c lac-core/src/l2tp/msg.c lac-core/src/l2tp/reliable.c
		lac-core/src/l2tp/tunnel.c lac-core/src/l2tp/session.c lac-core/src/l2tp/l2tp_io.c
		lac-core/src/l2tp/engine.c lac-core/src/l2tp/eng_tunnel.c lac-core/src/l2tp/eng_session.c
		lac-core/src/l2tp/dead_cache.c lac-core/src/l2tp/tunnel_pool.c lac-core/src/l2tp/input.c
		lac-core/src/l2tp/data.c lac-core/src/l2tp/sess_ids.c lac-core/src/ev/ev.c
		lac-core/src/util/md5.c lac-core/src/util/log.c lac-core/src/util/random.c
		lac-core/src/util/escape.c lac-core/src/util/sock_drops.c" ;;
	radius) echo "lac-core/src/aaa/radius_codec.c lac-core/src/aaa/dae_codec.c lac-core/src/util/md5.c lac-core/src/util/random.c" ;;
	dae_server) echo "lac-core/src/aaa/dae_server.c lac-core/src/aaa/dae_codec.c lac-core/src/aaa/radius_codec.c
		lac-core/src/ev/ev.c lac-core/src/util/md5.c lac-core/src/util/random.c lac-core/src/util/log.c" ;;
	pppoe) echo "lac-core/src/access/pppoe_codec.c" ;;
	access_line) echo "lac-core/src/access/access_line.c" ;;
	pppoe_server) echo "lac-core/src/access/pppoe_server.c lac-core/src/access/pppoe_sock.c
		lac-core/src/access/pppoe_vsock.c lac-core/src/access/access_line.c lac-core/src/util/random.c
		lac-core/src/access/pppoe_codec.c lac-core/src/ev/ev.c lac-core/src/util/log.c lac-core/src/util/send_batch.c
		lac-core/src/util/md5.c" ;;
	hdlc) echo "lac-core/src/ppp/hdlc.c $ppp_srcs" ;;
	ppp) echo "$ppp_srcs" ;;
	realm_name) echo "rlm_realm_lns/realm_name.c rlm_realm_lns/realm_schema.c" ;;
	realm_schema) echo "rlm_realm_lns/realm_schema.c" ;;
	realmctl_doc) echo "policy/realmctl/doc.c rlm_realm_lns/realm_schema.c" ;;
	conf) echo "lac-core/src/conf/conf.c lac-core/src/access/access_line.c lac-core/src/util/log.c" ;;
	*) return 1 ;;
	esac
}
target_libs() {
	case $1 in
	realmctl_doc) echo "-ljansson" ;;
	# the engine's sockets are replaced by the harness (see fuzz_l2tp_engine.c)
	l2tp_engine) echo "-Wl,--wrap=l2tp_io_open,--wrap=l2tp_io_close,--wrap=l2tp_io_recv,--wrap=l2tp_io_recv_errors,--wrap=l2tp_io_queue,--wrap=l2tp_io_flush" ;;
	*) echo "" ;;
	esac
}
target_max_len() {
	case $1 in
	l2tp) echo 2048 ;;      # a control message of a few dozen AVPs
	l2tp_engine) echo 4096 ;;   # a dialogue of a few tunnels and calls
	radius) echo 4200 ;;    # RADIUS_MAX_PACKET and a little over
	dae_server) echo 8192 ;;    # a few requests and clock moves
	pppoe) echo 1600 ;;     # an Ethernet frame and a little over
	access_line) echo 600 ;;    # a TR-101 tag of every sub-option and a little over
	pppoe_server) echo 4096 ;;  # a discovery and session dialogue
	hdlc) echo 9000 ;;      # two maximal frames, escaped
	ppp) echo 8192 ;;       # a dialogue of frames
	realm_name) echo 600 ;;
	realm_schema) echo 400 ;;
	realmctl_doc) echo 8192 ;;
	conf) echo 4096 ;;
	esac
}

usage() {
	echo "usage: $0 [--seconds N | --runs N] [--jobs N] [--fresh] [--build-only] [target...]" >&2
	echo "targets: $ALL_TARGETS" >&2
	exit 2
}

seconds=
runs=5000
jobs=1
build_only=0
fresh=0
targets=
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) [ $# -ge 2 ] || usage; seconds=$2; runs=; shift 2 ;;
	--runs) [ $# -ge 2 ] || usage; runs=$2; seconds=; shift 2 ;;
	--jobs) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
	--build-only) build_only=1; shift ;;
	--fresh) fresh=1; shift ;;
	-h|--help) usage ;;
	-*) usage ;;
	*) target_srcs "$1" >/dev/null || { echo "unknown target: $1" >&2; usage; }
	   targets="$targets $1"; shift ;;
	esac
done
[ -n "$targets" ] || targets=$ALL_TARGETS
command -v "$cc" >/dev/null || { echo "fuzz: $cc not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

mkdir -p "$build/bin" "$build/logs"

# Headers any source may include: an object older than one of them is stale.
newest_header=$(cd "$top" && ls -t lac-core/src/*/*.h rlm_realm_lns/*.h policy/realmctl/*.h \
	tests/fuzz/fuzz_common.h tests/fuzz/fuzz_rng.h tests/fuzz/fuzz_radius_sign.h tests/fuzz/run.sh 2>/dev/null | head -1)

# Compiles one source (path relative to the top) into the object cache, shared
# by every harness that needs it, unless the object is newer than the source
# and every header.
build_object() {
	local s=$1 obj=$build/obj/${1%.c}.o
	local log=$build/logs/build_$(echo "$1" | tr / _).log

	if [ -f "$obj" ] && [ "$obj" -nt "$top/$s" ] && [ "$obj" -nt "$top/$newest_header" ]; then
		return 0
	fi
	mkdir -p "$(dirname "$obj")"
	# shellcheck disable=SC2086
	if ! $cc $cflags -c "$top/$s" -o "$obj.tmp.$$" >"$log" 2>&1; then
		echo "fuzz: compiling $s failed:" >&2
		cat "$log" >&2
		rm -f "$obj.tmp.$$"
		return 1
	fi
	[ -s "$log" ] && cat "$log" >&2      # warnings
	mv "$obj.tmp.$$" "$obj"
}

# Links a harness from its objects when any of them is newer than it.
link_target() {
	local t=$1 bin=$build/bin/fuzz_$1 s objs= stale=0

	for s in tests/fuzz/fuzz_$t.c $(target_srcs "$t"); do
		objs="$objs $build/obj/${s%.c}.o"
		[ -f "$bin" ] && [ "$bin" -nt "$build/obj/${s%.c}.o" ] || stale=1
	done
	[ $stale = 0 ] && return 0
	# shellcheck disable=SC2086
	if ! $cc $cflags $objs -o "$bin.tmp" $(target_libs "$t") >"$build/logs/link_$t.log" 2>&1; then
		echo "fuzz: linking $t failed:" >&2
		cat "$build/logs/link_$t.log" >&2
		return 1
	fi
	mv "$bin.tmp" "$bin"
}

# Runs "$@" once per word of $list, $jobs at a time; fails if any did.
parallel() {
	local list=$1 w n=0 failed=0
	shift
	for w in $list; do
		"$@" "$w" &
		n=$((n + 1))
		if [ $n -ge "$jobs" ]; then
			wait -n || failed=1
			n=$((n - 1))
		fi
	done
	while [ $n -gt 0 ]; do
		wait -n || failed=1
		n=$((n - 1))
	done
	return $failed
}

# Runs one target; prints one summary line; returns 0 clean, 1 finding.
run_target() {
	local t=$1 bin=$build/bin/fuzz_$1 seeds=$fuzz_dir/corpus/$1
	local work=$build/corpus/$1 art=$build/artifacts/$1 log=$build/logs/$1.log
	local f rc=0 known=0 limit execs cov ft

	[ $fresh = 1 ] && rm -rf "$work"
	mkdir -p "$work" "$art"
	# Known findings: replayed on their own, not used as seeds.
	for f in "$seeds"/crash-*; do
		[ -e "$f" ] || continue
		if ! "$bin" -runs=1 "$f" >"$build/logs/$t.known.$(basename "$f").log" 2>&1; then
			echo "fuzz: $t: KNOWN finding still reproduces: $f" \
			     "(log $build/logs/$t.known.$(basename "$f").log)"
			known=$((known + 1))
		fi
	done
	if [ -d "$seeds" ]; then
		for f in "$seeds"/*; do
			[ -f "$f" ] || continue
			case $(basename "$f") in crash-*) continue ;; esac
			cp -p "$f" "$work/seed-$(basename "$f")" 2>/dev/null
		done
	fi
	if [ -n "$seconds" ]; then limit="-max_total_time=$seconds"; else limit="-runs=$runs"; fi
	"$bin" "$limit" -max_len="$(target_max_len "$t")" -timeout=10 -rss_limit_mb=1024 \
		-print_final_stats=1 -artifact_prefix="$art/" "$work" >"$log" 2>&1 || rc=1
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	if [ $rc != 0 ] || grep -q 'ERROR: \(AddressSanitizer\|LeakSanitizer\|libFuzzer\)\|runtime error:\|fuzz check failed' "$log"; then
		echo "fuzz: $t: FINDING after ${execs:-?} execs: $(grep -m1 -o 'ERROR: .*\|runtime error: .*\|fuzz check failed.*' "$log")"
		grep -o 'Test unit written to .*' "$log" | sed "s/^/fuzz: $t: reproducer: /"
		echo "fuzz: $t: log $log"
		return 1
	fi
	echo "fuzz: $t: ok execs=${execs:-?} cov=${cov:-?} ft=${ft:-?} corpus=$(ls "$work" | wc -l)"
	if [ $known -gt 0 ] && [ "${FUZZ_ALLOW_KNOWN:-0}" != 1 ]; then
		return 1
	fi
	return 0
}

# Every source once (harnesses share library objects), then the links.
sources=$(for t in $targets; do echo "tests/fuzz/fuzz_$t.c"; target_srcs "$t"; done | tr ' \t' '\n\n' | sed '/^$/d' | sort -u)
parallel "$sources" build_object || exit 2
parallel "$targets" link_target || exit 2
[ $build_only = 1 ] && exit 0

status=0
if [ "$jobs" -le 1 ]; then
	for t in $targets; do
		run_target "$t" || status=1
	done
else
	# Up to $jobs targets at once; each writes its summary to a file.
	pids=
	n=0
	for t in $targets; do
		run_target "$t" >"$build/logs/$t.summary" &
		pids="$pids $!"
		n=$((n + 1))
		if [ $n -ge "$jobs" ]; then
			wait -n
			n=$((n - 1))
		fi
	done
	wait
	for t in $targets; do
		cat "$build/logs/$t.summary"
		grep -q 'FINDING\|KNOWN' "$build/logs/$t.summary" && status=1
	done
	[ "${FUZZ_ALLOW_KNOWN:-0}" = 1 ] && ! grep -q FINDING $(for t in $targets; do echo "$build/logs/$t.summary"; done) && status=0
fi
exit $status
