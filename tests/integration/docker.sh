#!/bin/bash
# docker/: what can be checked without a Docker engine.
#  - docker-compose.yml parses and validates (`docker-compose config`, Debian's
#    docker-compose), its build contexts, Dockerfiles and mounts exist, every
#    command is a role docker/entrypoint.sh knows, long-running parts have
#    health checks, addresses follow the lab plan (lab.d/lab-up.sh);
#  - every file the Dockerfile copies exists and is not excluded by its
#    .dockerignore; the image build runs the native lab's own steps
#    (lab.d/deps.sh, lab.d/build.sh);
#  - the entry point really starts parts: it is run as a container would run
#    it (RLNS_PREFIX=-, each part in "its" network namespace) for Redis and an
#    LNS, answers its health check, and stops on SIGTERM.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/integration/testlib.sh"
t_require_root
export top_srcdir top_builddir
D=$top_srcdir/docker
PY=/usr/bin/python3
EP_EXEC=

tmp=$(mktemp -d /tmp/rlt-docker.XXXXXX)
cleanup() {
    [ -n "${ep_pids:-}" ] && kill $ep_pids 2>/dev/null
    LAB_TOP=$top_srcdir; . "$top_srcdir/lab.d/lib.sh"
    netns_destroy rlt-docker-aaa; netns_destroy rlt-docker-lns1
    rm -rf "$tmp"
}
trap cleanup EXIT

# 1. Compose file.
if ! command -v docker-compose >/dev/null; then
    t_fail "docker-compose installed" "run lab.d/deps.sh (package docker-compose)"
else
    t_check "docker-compose config validates" sh -c "cd '$D' && docker-compose -f docker-compose.yml config -q"
    (cd "$D" && docker-compose -f docker-compose.yml config) > "$tmp/config.yml" 2>&1
fi
if [ -s "$tmp/config.yml" ]; then
    check_out=$("$PY" - "$tmp/config.yml" "$D" <<'PY'
import os, re, sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
ddir = sys.argv[2]
entry = open(os.path.join(ddir, "entrypoint.sh")).read()
roles = set()
for m in re.finditer(r"^\s+([a-z0-9|]+)\)", entry, re.M):
    roles.update(m.group(1).split("|"))
plan = {"broker": {"aaa": "10.88.1.1"}, "lns1": {"lns1": "10.88.2.2"},
        "lns2": {"lns2": "10.88.3.2"}, "subscriber": {"access": "10.88.0.2"},
        "lac": {"access": "10.88.0.1", "aaa": "10.88.1.2", "lns1": "10.88.2.1", "lns2": "10.88.3.1"}}
oneshot = {"provision", "subscriber"}
for name, svc in sorted(cfg["services"].items()):
    b = svc.get("build", {})
    ctx = b.get("context")
    df = os.path.join(ctx or "", b.get("dockerfile", "Dockerfile"))
    print("%s %s build context and Dockerfile exist" % ("ok" if ctx and os.path.isdir(ctx) and os.path.isfile(df) else "FAIL", name))
    for v in svc.get("volumes", []):
        src = v["source"] if isinstance(v, dict) else v.split(":")[0]
        print("%s %s mount source %s exists" % ("ok" if os.path.exists(src) else "FAIL", name, src))
    cmd = svc.get("command") or []
    role = cmd[0] if cmd else ""
    print("%s %s command '%s' is an entrypoint role" % ("ok" if role in roles else "FAIL", name, role))
    if name not in oneshot:
        print("%s %s has a health check" % ("ok" if svc.get("healthcheck", {}).get("test") else "FAIL", name))
    for net, addr in plan.get(name, {}).items():
        got = ((svc.get("networks") or {}).get(net) or {}).get("ipv4_address")
        print("%s %s on %s has %s (got %s)" % ("ok" if got == addr else "FAIL", name, net, addr, got))
for need in ["redis", "provision", "broker", "lns1", "lns2", "lac", "subscriber"]:
    print("%s service %s defined" % ("ok" if need in cfg["services"] else "FAIL", need))
PY
)
    while read -r verdict rest; do
        case "$verdict" in ok) t_ok "compose: $rest" ;; *) t_fail "compose: $rest" ;; esac
    done <<< "$check_out"
fi

# 2. Dockerfile: copied files exist and survive the .dockerignore; same build steps as the lab.
df=$D/Dockerfile
t_check "Dockerfile exists" test -f "$df"
copies=$(sed -n 's/^COPY \(.*\) [^ ]*$/\1/p' "$df" | tr ' ' '\n' | grep -v '^--' | grep -v '^\.$')
for f in $copies; do
    t_check "Dockerfile COPY source $f exists" test -e "$top_srcdir/$f"
done
ign_out=$("$PY" - "$D/Dockerfile.dockerignore" "$top_srcdir" $copies <<'PY'
import fnmatch, os, subprocess, sys
pats = [l.strip() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
top = sys.argv[2]
def ignored(path):
    res = False
    for p in pats:
        neg = p.startswith("!")
        q = p[1:] if neg else p
        cands = [q] + ([q[3:]] if q.startswith("**/") else [])
        hit = any(fnmatch.fnmatch(path, c) or path.startswith(c.rstrip("/") + "/") for c in cands)
        if q.startswith("**/"):
            hit = hit or fnmatch.fnmatch(os.path.basename(path), q[3:])
        if hit:
            res = not neg
    return res
tracked = subprocess.run(["git", "-C", top, "ls-files"], capture_output=True, text=True).stdout.split()
need = set(tracked) | set(sys.argv[3:])
bad = sorted(p for p in need if ignored(p))
print("ok" if not bad else "FAIL " + " ".join(bad[:20]))
PY
)
case "$ign_out" in
    ok) t_ok "no tracked source file is excluded by Dockerfile.dockerignore" ;;
    *) t_fail "no tracked source file is excluded by Dockerfile.dockerignore" "${ign_out#FAIL }" ;;
esac
t_check "image installs packages with lab.d/deps.sh" grep -q '^RUN sh /src/lab.d/deps.sh' "$df"
t_check "image builds with lab.d/build.sh" grep -q '^RUN sh lab.d/build.sh' "$df"
t_check "native lab builds with lab.d/build.sh too" grep -q 'sh "$LAB_TOP/lab.d/build.sh"' "$top_srcdir/lab.d/lab-up.sh"
ep=$(sed -n 's/^ENTRYPOINT \["\/src\/\([^"]*\)"\]/\1/p' "$df")
t_check "ENTRYPOINT $ep exists and is executable" test -x "$top_srcdir/$ep"
t_check "entrypoint.sh parses" bash -n "$D/entrypoint.sh"
t_check "docker-compose in lab.d/packages.txt" grep -qx docker-compose "$top_srcdir/lab.d/packages.txt"

# 3. The entry point run as in a container: own namespace, RLNS_PREFIX=-.
LAB_TOP=$top_srcdir; . "$top_srcdir/lab.d/lib.sh"
netns_create rlt-docker-aaa && netns_create rlt-docker-lns1
ip -n rlt-docker-aaa addr add 10.88.1.3/24 dev lo
# A container's eth0 (no dummy driver here: a veth pair inside the namespace).
ip -n rlt-docker-lns1 link add eth0 type veth peer name eth1 && ip -n rlt-docker-lns1 addr add 10.88.2.2/24 dev eth0 &&
    ip -n rlt-docker-lns1 link set eth0 up && ip -n rlt-docker-lns1 link set eth1 up
ep_env() { # ep_env NS STATE ARGS...: entrypoint.sh as the image runs it
    local ns=$1 st=$2; shift 2
    # LNS_PRIVATE_POOL stays 1 here: this is the host's /etc/l2tpns, not a container's.
    $EP_EXEC ip netns exec "$ns" env LAB_TOP="$top_srcdir" RLNS_PREFIX=- RLNS_STATE="$st" RLNS_NO_BUILD=1 \
        RLNS_NO_DEPS=1 RLNS_REDIS_ADDR=10.88.1.3 LNS_PRIVATE_POOL=1 "$D/entrypoint.sh" "$@"
}
# Started with exec so that $! is the entry point itself, as PID 1's child in a container.
EP_EXEC=exec ep_env rlt-docker-aaa "$tmp/redis" redis > "$tmp/redis.out" 2>&1 &
ep_pids="$!"
EP_EXEC=exec ep_env rlt-docker-lns1 "$tmp/lns1" lns1 > "$tmp/lns1.out" 2>&1 &
ep_pids="$ep_pids $!"
wait_healthy() { # wait_healthy NS STATE PART
    local i=0
    while [ $i -lt 30 ]; do
        ep_env "$1" "$2" health "$3" >/dev/null 2>&1 && return 0
        sleep 0.5; i=$((i + 1))
    done
    return 1
}
t_check "entrypoint redis: health check passes" wait_healthy rlt-docker-aaa "$tmp/redis" redis
t_check "entrypoint lns1: health check passes (SCCRP)" wait_healthy rlt-docker-lns1 "$tmp/lns1" lns1
kill -TERM $ep_pids
for p in $ep_pids; do wait "$p"; done
t_eq "entrypoint stops its part on SIGTERM (no process left in the namespaces)" \
    "$(ip netns pids rlt-docker-aaa; ip netns pids rlt-docker-lns1)" ""
ep_pids=
t_done
