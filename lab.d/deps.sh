#!/bin/sh
# Installs the Debian packages realm-lns builds, tests and runs with, if missing,
# and nothing else. Idempotent; quiet when everything is present.
# Package list: lab.d/packages.txt (one package per line, # comments).
#   deps.sh          everything (tests/run-all.sh)
#   deps.sh --lab    only what building and the lab need: the list up to its
#                    "#@tests" line (./lab up, docker/Dockerfile)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
case "${1:-}" in
    --lab) list=$(sed '/^#@tests/,$d; s/#.*//' "$here/packages.txt") ;;
    '') list=$(sed 's/#.*//' "$here/packages.txt") ;;
    *) echo "usage: deps.sh [--lab]" >&2; exit 2 ;;
esac
missing=
for pkg in $list; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *" installed") ;;
        *) missing="$missing $pkg" ;;
    esac
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $missing >/dev/null
# Debian's packages start services under systemd/init scripts where they can;
# the lab starts its own instances in namespaces, so stop any that came up.
for svc in redis-server freeradius l2tpns; do
    if command -v service >/dev/null 2>&1; then service "$svc" stop >/dev/null 2>&1 || true; fi
done
