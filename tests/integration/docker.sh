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
P=rlt-docker-$$   # namespaces: one run of this suite never meets another
cleanup() {
    [ -n "${ep_pids:-}" ] && kill $ep_pids 2>/dev/null
    LAB_TOP=$top_srcdir; . "$top_srcdir/lab.d/lib.sh"
    for ns in ${dk_ns:-}; do netns_destroy "$ns"; done
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

# 3. The compose topology run without Docker: one namespace per service with
# the compose file's addresses and environment, one namespace per network
# holding a bridge, the image's ENV from the Dockerfile, each service started
# with its compose command through docker/entrypoint.sh in dependency order,
# each health check run as compose would run it. Differences from a real
# container: the file system is the host's (so LNS_PRIVATE_POOL=1 keeps the
# host's /etc/l2tpns untouched and each service gets its own RLNS_STATE).
LAB_TOP=$top_srcdir; . "$top_srcdir/lab.d/lib.sh"
"$PY" - "$tmp/config.yml" "$df" > "$tmp/plan" <<'PY'
import re, sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
for line in open(sys.argv[2]):
    if line.startswith("ENV "):
        for k, v in re.findall(r"(\w+)=(\S+)", line):
            print("imageenv", k, v)
for name, net in cfg["networks"].items():
    print("net", name, net["ipam"]["config"][0]["subnet"].split("/")[1])
for name, svc in cfg["services"].items():
    print("svc", name, (svc.get("command") or ["help"])[0])
    for net, v in (svc.get("networks") or {}).items():
        print("addr", name, net, v["ipv4_address"])
    for k, v in (svc.get("environment") or {}).items():
        print("env", name, k, v if v is not None else "")
    for k in ["test"]:
        t = (svc.get("healthcheck") or {}).get("test")
        if t:
            print("health", name, " ".join(t[1:]))
PY
image_env=() ; declare -A svc_env svc_cmd svc_health
while read -r kind a b c d; do
    case $kind in
        imageenv) image_env+=("$a=$b") ;;
        env) svc_env[$a]="${svc_env[$a]:-} $b=$c" ;;
        svc) svc_cmd[$a]=$b ;;
        health) svc_health[$a]="$b $c $d" ;;
    esac
done < "$tmp/plan"
dk_ns=
for net in $(awk '$1 == "net" {print $2}' "$tmp/plan"); do
    netns_create "$P-n-$net" && ip -n "$P-n-$net" link add br0 type bridge &&
        ip -n "$P-n-$net" link set br0 up
    dk_ns="$dk_ns $P-n-$net"
done
declare -A ifn
while read -r kind svc net addr; do
    [ "$kind" = svc ] && { netns_create "$P-$svc"; dk_ns="$dk_ns $P-$svc"; }
    [ "$kind" = addr ] || continue
    i=${ifn[$svc]:-0}; ifn[$svc]=$((i + 1))
    ip link add "eth$i" netns "$P-$svc" type veth peer name "$svc" netns "$P-n-$net" &&
        ip -n "$P-n-$net" link set "$svc" master br0 up &&
        ip -n "$P-$svc" addr add "$addr/24" dev "eth$i" && ip -n "$P-$svc" link set "eth$i" up
done < "$tmp/plan"
svc_run() { # svc_run SERVICE ARGS...: entrypoint.sh in the service's "container"
    local svc=$1; shift
    # shellcheck disable=SC2086
    $EP_EXEC ip netns exec "$P-$svc" env "${image_env[@]}" ${svc_env[$svc]:-} LAB_TOP="$top_srcdir" \
        RLNS_STATE="$tmp/state-$svc" LNS_PRIVATE_POOL=1 "$top_srcdir/docker/entrypoint.sh" "$@"
}
svc_healthy() { # svc_healthy SERVICE: its compose health check passes within 30 s
    local i=0
    # shellcheck disable=SC2086
    while ! svc_run "$1" ${svc_health[$1]#/src/docker/entrypoint.sh } >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -gt 60 ] && return 1; sleep 0.5
    done
}
svc_start() { # svc_start SERVICE: its compose command, in the background
    EP_EXEC=exec svc_run "$1" "${svc_cmd[$1]}" > "$tmp/$1.out" 2>&1 &
    ep_pids="$ep_pids $!"
}
built=1
for need in lac-core/lac-core lac-core/lac-dial policy/realmctl/realmctl rlm_realm_lns/.libs/rlm_realm_lns.so; do
    [ -e "$top_builddir/$need" ] || { built=0; echo "# missing - $need not built: compose run limited to redis and LNS"; }
done
svc_start redis
t_check "compose redis: healthy" svc_healthy redis
svc_start lns1; svc_start lns2
t_check "compose lns1: healthy (SCCRP)" svc_healthy lns1
t_check "compose lns2: healthy (SCCRP)" svc_healthy lns2
if [ $built = 1 ]; then
    t_check "compose provision: realmctl import succeeds" svc_run provision provision
    svc_start broker
    t_check "compose broker: healthy (Status-Server)" svc_healthy broker
    svc_start lac
    t_check "compose lac: healthy (lacctl)" svc_healthy lac
    svc_start subscriber
    i=0
    while ! grep -q eve@ "$tmp/state-subscriber/table.tsv" 2>/dev/null && [ $i -lt 60 ]; do sleep 0.5; i=$((i + 1)); done
    sed 's/^/# subscriber: /' "$tmp/subscriber.out"
    row() { awk -F'\t' -v u="$1" '$1 == u { print $3, $6 }' "$tmp/state-subscriber/table.tsv" 2>/dev/null; }
    # The subscriber container cannot ask l2tpns or lacctl: "up" with lns1's address.
    case "$(row alice@corp.example)" in "up 10.77.1."*) t_ok "compose: alice tunnelled to lns1 with a pool address" ;;
        *) t_fail "compose: alice tunnelled to lns1 with a pool address" "$(row alice@corp.example)" ;; esac
    t_eq "compose: bob up with the carrier's address" "$(row bob@local.example)" "up 10.66.0.10"
    t_eq "compose: eve rejected" "$(row eve@blocked.example)" "reject -"
    out=$(svc_run subscriber dial carol@corp.example carol-pw --ping 10.88.2.2 --timeout 20 2>&1)
    case "$out" in *"outcome=up addr=10.77.1."*"ping=ok"*) t_ok "compose: entrypoint dial carol, ping through lns1" ;;
        *) t_fail "compose: entrypoint dial carol, ping through lns1" "$out" ;; esac
fi
kill -TERM $ep_pids 2>/dev/null
for p in $ep_pids; do wait "$p"; done
ep_pids=
left=
for ns in $dk_ns; do
    for p in $(ip netns pids "$ns"); do left="$left $p($(cat /proc/$p/comm 2>/dev/null))"; done
done
t_eq "entry points stop their parts on SIGTERM (no process left)" "$left" ""

# 4. A real Docker engine, when this machine has one or can start one (root,
# Debian's docker.io): dockerd --iptables=false --ip-forward=false on a private
# socket (the host's networking is left alone; build containers use the host
# network), debian:12 imported from the fresh-root suite's debootstrap tarball
# (no registry), the image built, the compose lab up, the session table,
# a dial, down. RLNS_DOCKER_REAL=0 skips it. One run at a time per machine
# (the compose networks use the lab's fixed subnets): flock.
dk_mode=emulation
dk_real() {
    local sock pid i proj out
    export DOCKER_HOST=
    if [ "${RLNS_DOCKER_REAL:-1}" = 0 ]; then echo "# RLNS_DOCKER_REAL=0: real engine skipped"; return; fi
    if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
        echo "# no Docker engine installed (docker.io): real engine path skipped"; return
    fi
    exec 8> /run/realm-lns-docker.lock; flock 8
    if ! docker info >/dev/null 2>&1; then
        sock=/run/rlt-docker-$$.sock
        dockerd --iptables=false --ip-forward=false --ip-masq=false --bridge=none -H "unix://$sock" \
            --pidfile "/run/rlt-docker-$$.pid" --exec-root "/run/rlt-docker-$$" \
            --data-root /var/lib/realm-lns-docker > "$tmp/dockerd.log" 2>&1 &
        dk_dockerd=$!
        export DOCKER_HOST=unix://$sock
        i=0
        while ! docker info >/dev/null 2>&1; do
            i=$((i + 1))
            if [ $i -gt 60 ] || ! kill -0 "$dk_dockerd" 2>/dev/null; then
                echo "# could not start dockerd (its log below): real engine path skipped"
                tail -n 5 "$tmp/dockerd.log" | sed 's/^/#   /'
                return
            fi
            sleep 0.5
        done
    fi
    dk_mode=real
    if ! docker image inspect debian:12 >/dev/null 2>&1; then
        . "$top_srcdir/tests/integration/rootfs.sh"
        rootfs_extract "$tmp/base" && tar -C "$tmp/base" -c . | docker import - debian:12 >/dev/null
        rm -rf "$tmp/base"
        t_check "debian:12 imported from a debootstrap root (no registry)" docker image inspect debian:12
    fi
    proj=rltdk$$
    dk_compose() { docker-compose -p "$proj" -f "$D/docker-compose.yml" "$@"; }
    dk_proj=$proj
    local s0=$(date +%s)
    if ! dk_compose build > "$tmp/build.log" 2>&1; then
        t_fail "docker-compose build (real engine)" "$(tail -n 5 "$tmp/build.log" | tr '\n' ' ')"
        return
    fi
    t_ok "docker-compose build: the image builds on a real engine ($(( $(date +%s) - s0 )) s)"
    t_check "the image's build ran lab.d/build.sh's configure (no host build tree came in)" \
        sh -c "grep -q 'fr-headers: header tree' '$tmp/build.log' ||
               grep -A1 'RUN sh lab.d/build.sh' '$tmp/build.log' | grep -q 'Using cache'"
    dk_compose up -d > "$tmp/up.log" 2>&1 || { t_fail "docker-compose up -d" "$(tail -n 5 "$tmp/up.log" | tr '\n' ' ')"; return; }
    t_ok "docker-compose up -d"
    i=0
    while ! dk_compose logs subscriber 2>/dev/null | grep -q 'eve@blocked.example' && [ $i -lt 120 ]; do
        sleep 1; i=$((i + 1))
    done
    dk_compose logs --no-color subscriber 2>/dev/null | sed -n 's/^[^|]*| //p' > "$tmp/table.txt"
    sed 's/^/# real subscriber: /' "$tmp/table.txt"
    t_check "real: the session table shows alice tunnelled" grep -Eq '^alice@corp.example +corp.example +up +.*10\.77\.1\.' "$tmp/table.txt"
    t_check "real: the session table shows eve rejected" grep -Eq '^eve@blocked.example +blocked.example +reject' "$tmp/table.txt"
    out=$(dk_compose exec -T subscriber /src/docker/entrypoint.sh dial carol@corp.example carol-pw --timeout 20 2>&1)
    case "$out" in *"outcome=up addr=10.77.1."*) t_ok "real: dial carol through the lac container to lns1" ;;
        *) t_fail "real: dial carol through the lac container to lns1" "$out" ;; esac
    t_check "real: docker-compose down" dk_compose down -v --remove-orphans
    dk_proj=
}
dk_real_cleanup() {
    [ -n "${dk_proj:-}" ] && docker-compose -p "$dk_proj" -f "$D/docker-compose.yml" down -v --remove-orphans >/dev/null 2>&1
    if [ -n "${dk_dockerd:-}" ]; then
        kill -TERM "$dk_dockerd" 2>/dev/null
        for i in $(seq 100); do kill -0 "$dk_dockerd" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$dk_dockerd" 2>/dev/null
        # dockerd leaves its netns/default bind mount behind in the exec root
        local er=/run/rlt-docker-$$ m
        awk -v t="$er/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
            while read -r m; do umount "$m" 2>/dev/null; done
        rm -rf "$er" "$er.sock" "$er.pid"
    fi
}
trap 'dk_real_cleanup; cleanup' EXIT
dk_real
echo "# docker.sh ran: namespace emulation$([ "$dk_mode" = real ] && echo " and the REAL Docker engine path" || echo " only (no real engine)")"
t_check "root .dockerignore matches docker/Dockerfile.dockerignore" \
    bash -c "grep -v '^#' '$top_srcdir/.dockerignore' | cmp -s - <(grep -v '^#' '$D/Dockerfile.dockerignore')"
t_done
