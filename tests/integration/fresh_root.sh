#!/bin/bash
# A fresh Debian 12, every run: the README's set-up and the Debian packages on
# a `debootstrap --variant=minbase bookworm` root (tests/integration/rootfs.sh:
# mirrors from this machine's apt sources, the pristine root cached as a
# tarball under /var/cache/realm-lns-tests, downloaded .debs kept there too).
#  1. here: `lab up` with nothing built exits non-zero and says what failed;
#  2. root A, the tree cloned from this checkout's HEAD: `./lab up` (which
#     installs the packages of lab.d/packages.txt itself), `./lab dial`, a
#     quick subset of the tests, `./lab down`;
#  3. the .debs built here with dpkg-buildpackage (no network: FR_HEADERS_OFFLINE)
#     are lintian-checked, then installed into root B (a second copy of the
#     pristine root): a broker (Debian's freeradius service configuration as
#     realm-lns-broker's README.Debian says, Redis, realmctl) and lac-core run
#     from the installed files only, lac-core as the unit runs it (user
#     realm-lns, ambient capabilities); a local and a rejected subscriber dial.
# Each root runs in private PID and mount namespaces (rootfs_run), so nothing
# it started or mounted outlives it; the roots are deleted at the end.
# RLNS_FRESH_KEEP=1 keeps them (under the printed directory) for a post-mortem.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/integration/testlib.sh"
. "$top_srcdir/tests/integration/rootfs.sh"
t_require_root
if ! git -C "$top_srcdir" rev-parse --verify -q HEAD >/dev/null 2>&1; then
    echo "SKIP: not a git checkout (the roots get a clone of HEAD)"; exit 77
fi
for c in debootstrap unshare dpkg-buildpackage; do
    command -v "$c" >/dev/null || { t_fail "$c installed" "run lab.d/deps.sh"; t_done; exit 1; }
done

tmp=$(mktemp -d /var/tmp/rlt-fresh.XXXXXX)
P=rlt-fresh-$$
debpid=
t0=$(date +%s)
phase() { echo "# $(( $(date +%s) - t0 )) s: $*"; }

kill_tree() { # kill_tree PID: PID and its descendants (by parent pid, not by name)
    local c
    for c in $(cat /proc/[0-9]*/stat 2>/dev/null | awk -v p="$1" '$4 == p { print $1 }'); do kill_tree "$c"; done
    kill -KILL "$1" 2>/dev/null
}
cleanup() {
    [ -n "$debpid" ] && kill_tree "$debpid"
    # The lab of step 1 (host namespaces).
    (cd "$top_srcdir" && RLNS_PREFIX=$P RLNS_STATE=$tmp/empty-state ./lab down) >/dev/null 2>&1
    # Whatever still runs chrooted in our roots (rootfs_run's PID namespace
    # should have ended it all), then any mount left under them, then the files.
    local p
    for p in /proc/[0-9]*; do
        case "$(readlink "$p/root" 2>/dev/null)" in "$tmp"/*) kill -KILL "${p#/proc/}" 2>/dev/null ;; esac
    done
    if grep -q " $tmp/" /proc/self/mountinfo; then
        awk -v t="$tmp/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
            while read -r m; do umount -l "$m" 2>/dev/null; done
    fi
    if [ "${RLNS_FRESH_KEEP:-0}" = 1 ]; then
        echo "# kept $tmp"
    elif ! grep -q " $tmp/" /proc/self/mountinfo; then
        rm -rf "$tmp"
    else
        echo "# mounts left under $tmp: not deleting it" >&2
    fi
}
trap cleanup EXIT

# 1. lab up with nothing built: non-zero, names the parts, never "The lab is up".
mkdir -p "$tmp/empty-build/lac-core"
out=$(cd "$top_srcdir" && RLNS_PREFIX=$P RLNS_STATE=$tmp/empty-state RLNS_NO_BUILD=1 RLNS_NO_DEPS=1 \
      top_builddir=$tmp/empty-build ./lab up 2>&1); rc=$?
t_check "lab up with nothing built exits non-zero" test "$rc" -ne 0
t_check "it names the parts that are not built" grep -q 'NOT up: failed:.*broker(not-built).*lac(not-built)' <<< "$out"
t_check "it never says the lab is up" sh -c '! grep -q "The lab is up" "$1"' - <(printf '%s\n' "$out")
(cd "$top_srcdir" && RLNS_PREFIX=$P RLNS_STATE=$tmp/empty-state ./lab down) >/dev/null 2>&1
phase "lab up failure reporting checked"

# 3c. Root B: the packages installed on a fresh root, run from installed files
# only (run_rootB; started in the background as soon as the .debs exist, so
# it overlaps root A; its results are read after root A).
run_rootB() {
local debs
debs=$(ls "$tmp"/deb/*.deb 2>/dev/null | grep -v dbgsym)
[ -n "$debs" ] || return 1
rootfs_extract "$B" && mkdir -p "$B/debs" && cp $debs "$B/debs/" &&
    cp "$top_srcdir/lab.d/demo/realms.json" "$B/debs/realms.json" || return 1
cat > "$B/debs/run.sh" <<'ROOTB'
r() { name=$1; shift; "$@" > "/debs/$name.out" 2>&1; echo "$name $?" >> /debs/results; }
export DEBIAN_FRONTEND=noninteractive
r install sh -c "apt-get update -q && apt-get install -y -q --no-install-recommends /debs/*.deb redis-server freeradius-utils iproute2"
# The servers in a network namespace of their own (loopback only).
exec unshare --net /bin/bash /debs/servers.sh
ROOTB
cat > "$B/debs/servers.sh" <<'ROOTB'
r() { name=$1; shift; "$@" > "/debs/$name.out" 2>&1; echo "$name $?" >> /debs/results; }
ip link set lo up
redis-server --port 6379 --bind 127.0.0.1 --daemonize yes --save "" >/dev/null
r provision realmctl import /debs/realms.json
# Debian's freeradius service configuration, as realm-lns-broker's README.Debian says.
cd /etc/freeradius/3.0
echo '$INCLUDE /usr/share/freeradius/dictionary.realm_lns' >> dictionary
ln -s ../mods-available/realm_lns mods-enabled/realm_lns
ln -s ../sites-available/vpdn-broker sites-enabled/vpdn-broker
rm -f sites-enabled/default sites-enabled/inner-tunnel mods-enabled/eap
# a carrier user, before Debian's "DEFAULT Framed-Protocol == PPP" (first match wins)
a=mods-config/files/authorize
{ printf '"dave@local.example" Cleartext-Password := "dave-pw"\n\n'; cat "$a"; } > "$a.new" && cat "$a.new" > "$a"
r broker-check freeradius -C
r broker freeradius
# lac-core from its examples, run as lac-core.service runs it.
cd /etc/realm-lns
sed -e 's/^nas_ip_address = .*/nas_ip_address = 127.0.0.1/' -e 's/^listen = tcp:.*/listen = tcp:127.0.0.1:2000/' \
    lac.conf.example > lac.conf
sed -e 's/^authserver.*/authserver 127.0.0.1:1812/' -e 's/^acctserver.*/acctserver 127.0.0.1:1813/' \
    radiusclient.conf.example > radiusclient.conf
printf '127.0.0.1\ttesting123\n' > servers; chgrp realm-lns servers; chmod 0640 servers
mkdir -p /run/realm-lns /var/lib/realm-lns; chown realm-lns:realm-lns /run/realm-lns /var/lib/realm-lns
r lac-check lac-core -t -c /etc/realm-lns/lac.conf
# /dev/net/tun is 0666 on a Debian machine (udev's rule); this root's /dev is
# the host's, which may lack udev: a 0666 node of our own over it, in the
# root's private mount namespace only.
if [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
    mknod -m 0666 /tmp/tun c 10 200 && mount --bind /tmp/tun /dev/net/tun
fi
caps=+net_admin,+net_raw,+net_bind_service
setpriv --reuid realm-lns --regid realm-lns --init-groups --inh-caps $caps --ambient-caps $caps \
    --bounding-set -all,$caps /usr/sbin/lac-core -c /etc/realm-lns/lac.conf > /debs/lac-core.log 2>&1 &
lacpid=$!
for i in $(seq 50); do [ -S /run/realm-lns/lac.sock ] && break; sleep 0.1; done
r lac-up test -S /run/realm-lns/lac.sock
r lac-user test "$(stat -c %U /proc/$lacpid)" = realm-lns
r dial-local lac-dial --connect tcp:127.0.0.1:2000 --user dave@local.example --password dave-pw --timeout 10
r dial-reject lac-dial --connect tcp:127.0.0.1:2000 --user eve@blocked.example --password x --expect rejected --timeout 10
r counters lacctl show counters
ROOTB
rootfs_run "$B" 'bash /debs/run.sh' > "$tmp/rootB.log" 2>&1
}

# 3a. The packages, built here in the background while root A installs, then
# lintian and root B.
B=$tmp/rootB
git clone -q "$top_srcdir" "$tmp/deb/realm-lns" || t_fail "clone for the package build"
( cd "$tmp/deb/realm-lns" && dpkg-buildpackage -us -uc -b > "$tmp/deb/build.log" 2>&1 &&
  lintian --tag-display-limit 0 ../realm-lns_*_amd64.changes > "$tmp/deb/lintian.log" 2>&1
  echo $? > "$tmp/deb/lintian.rc"
  echo "$(( $(date +%s) - t0 ))" > "$tmp/deb/built.at"
  run_rootB
  echo "$(( $(date +%s) - t0 ))" > "$tmp/deb/rootB.at" ) &
debpid=$!

# 2. Root A: the README's first command on a fresh machine.
A=$tmp/rootA
if ! rootfs_extract "$A"; then
    t_fail "minimal Debian 12 root (debootstrap)"; t_done; exit 1
fi
phase "root A unpacked ($(rootfs_mirrors))"
git clone -q "$top_srcdir" "$A/src/realm-lns"
t_ok "repository cloned into the root ($(git -C "$A/src/realm-lns" rev-parse --short HEAD))"
rootfs_run "$A" '
    cd /src/realm-lns
    r() { name=$1; shift; s=$(date +%s); "$@" > "/src/$name.out" 2>&1; echo "$name $? $(( $(date +%s) - s ))" >> /src/results; }
    r lab-up ./lab up
    r dial-tunnel ./lab dial carol@corp.example carol-pw
    r dial-local ./lab dial dave@local.example dave-pw
    r dial-reject ./lab dial eve@blocked.example x --expect rejected
    r status ./lab status
    r tests make check TESTS="tests/unit/test_conf tests/unit/test_realm_name tests/integration/lac_daemon.sh" \
        check_PROGRAMS="tests/unit/test_conf tests/unit/test_realm_name"
    r lab-down ./lab down
    r no-namespaces test -z "$(ip netns list)"
' > "$tmp/rootA.log" 2>&1
res() { awk -v n="$1" '$1 == n { print $2; exit }' "$A/src/results" 2>/dev/null; }
secs() { awk -v n="$1" '$1 == n { print $3; exit }' "$A/src/results" 2>/dev/null; }
show() { sed 's/^/#   /' "$A/src/$1.out" 2>/dev/null | tail -n "${2:-15}"; }
t_eq "root A: ./lab up exits 0 ($(secs lab-up) s: packages, build, start, demo dials)" "$(res lab-up)" 0 || true
[ "$(res lab-up)" = 0 ] || show lab-up 30
t_check "root A: ./lab up says the lab is up" grep -q '^The lab is up' "$A/src/lab-up.out"
t_eq "root A: ./lab dial carol@corp.example (tunnel)" "$(res dial-tunnel)" 0
[ "$(res dial-tunnel)" = 0 ] || show dial-tunnel
t_eq "root A: ./lab dial dave@local.example (local)" "$(res dial-local)" 0
t_eq "root A: ./lab dial eve@blocked.example is rejected" "$(res dial-reject)" 0
t_eq "root A: ./lab status: every part healthy" "$(res status)" 0
[ "$(res status)" = 0 ] || show status
t_eq "root A: make check (test_conf, test_realm_name, lac_daemon.sh) ($(secs tests) s)" "$(res tests)" 0
[ "$(res tests)" = 0 ] || show tests 30
t_eq "root A: ./lab down exits 0" "$(res lab-down)" 0
t_eq "root A: no namespace left in the root" "$(res no-namespaces)" 0
phase "root A done"

# 3b. The packages: built, lintian (and root B, which ran after them).
wait "$debpid"; debpid=
debs=$(ls "$tmp"/deb/*.deb 2>/dev/null | grep -v dbgsym)
t_eq "dpkg-buildpackage built realm-lns-broker, lac-core, realmctl" \
    "$(for d in $debs; do basename "${d%%_*}"; done | sort | xargs)" "lac-core realm-lns-broker realmctl"
[ -n "$debs" ] || tail -n 20 "$tmp/deb/build.log" | sed 's/^/#   /'
# Remaining lintian tags are explained in debian/README.source.
bad=$(grep -E '^[EW]: ' "$tmp/deb/lintian.log" 2>/dev/null)
t_eq "lintian: no error or warning" "$bad" ""
sed 's/^/#   lintian: /' "$tmp/deb/lintian.log" 2>/dev/null | grep -v 'running with root' | head -n 10
phase "packages built and checked (built and linted at $(cat "$tmp/deb/built.at" 2>/dev/null) s, root B done at $(cat "$tmp/deb/rootB.at" 2>/dev/null) s)"

bres() { awk -v n="$1" '$1 == n { print $2; exit }' "$B/debs/results" 2>/dev/null; }
bshow() { sed 's/^/#   /' "$B/debs/$1.out" 2>/dev/null | tail -n "${2:-15}"; }
t_eq "root B: apt-get install the three .debs (dependencies from the mirror)" "$(bres install)" 0
[ "$(bres install)" = 0 ] || bshow install
t_eq "root B: realmctl imports the demo realms" "$(bres provision)" 0
t_eq "root B: freeradius -C with the broker site enabled (README.Debian)" "$(bres broker-check)" 0
[ "$(bres broker-check)" = 0 ] || bshow broker-check 20
t_eq "root B: freeradius starts" "$(bres broker)" 0
t_eq "root B: lac-core -t accepts the config made from lac.conf.example" "$(bres lac-check)" 0
t_eq "root B: lac-core up as user realm-lns with the unit's capabilities" "$(bres lac-up)" 0
[ "$(bres lac-up)" = 0 ] || sed 's/^/#   /' "$B/debs/lac-core.log" | tail -n 10
t_eq "root B: lac-core runs as realm-lns" "$(bres lac-user)" 0
t_eq "root B: lac-dial dave@local.example comes up (local, TUN)" "$(bres dial-local)" 0
[ "$(bres dial-local)" = 0 ] && grep -h 'outcome=' "$B/debs/dial-local.out" | head -n1 | sed 's/^/#   /'
[ "$(bres dial-local)" = 0 ] || { bshow dial-local; sed 's/^/#   /' "$B/debs/lac-core.log" | tail -n 10; }
t_eq "root B: lac-dial eve@blocked.example is rejected by the broker" "$(bres dial-reject)" 0
t_eq "root B: lacctl show counters answers" "$(bres counters)" 0
phase "root B done"
t_done
