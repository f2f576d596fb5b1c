# A minimal Debian 12 root for the fresh-machine suites (sourced by
# tests/integration/fresh_root.sh; bash).
#
# rootfs_mirrors                 "DEBIAN_URI SECURITY_URI" read from this machine's
#                                apt sources (never a host name written here)
# rootfs_pristine                path of a cached `debootstrap --variant=minbase
#                                bookworm` tarball, made on first use (flock'd)
# rootfs_extract DIR             unpacks the pristine root into DIR and points its
#                                apt at the same mirrors
# rootfs_run DIR CMD...          runs CMD (bash -c) chrooted in DIR, inside private
#                                PID and mount namespaces: DIR bind-mounted onto
#                                itself (so `ip netns` works), its own proc, sys,
#                                /dev, /run and /tmp. When CMD ends the kernel
#                                kills whatever it left running and drops every
#                                mount with the namespace: nothing to unmount.
#
# Cache: $RLNS_ROOTFS_CACHE (default /var/cache/realm-lns-tests): the tarball,
# debootstrap's .debs (archives/) and the .debs apt downloads inside each root
# (apt-NAME/, by the root directory's name), kept for later runs; the roots
# still install every package themselves, so the package list is proven on
# each run.

ROOTFS_CACHE=${RLNS_ROOTFS_CACHE:-/var/cache/realm-lns-tests}
ROOTFS_SUITE=bookworm

# Prints the first URI of a stanza or line whose suite is exactly $1.
_rootfs_uri_for_suite() {
    local suite=$1 f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        # deb [options] URI SUITE COMPONENTS...
        sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
            awk -v s="$suite" '$1 == "deb" && $3 == s { print $2; exit }'
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v s="$suite" '
            function flush() { if (deb && hit && uri != "" && !done) { print uri; done = 1 }
                               deb = 0; hit = 0; uri = "" }
            /^[[:space:]]*#/ { next }
            /^[[:space:]]*$/ { flush(); next }
            tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
            tolower($1) == "uris:" { uri = $2 }
            tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) hit = 1 }
            tolower($1) == "enabled:" && tolower($2) == "no" { deb = 0 }
            END { flush() }' "$f"
    done
}

rootfs_mirrors() {
    local deb sec
    deb=$(_rootfs_uri_for_suite "$ROOTFS_SUITE" | head -n1)
    sec=$(_rootfs_uri_for_suite "$ROOTFS_SUITE-security" | head -n1)
    [ -n "$deb" ] || { echo "rootfs: no 'deb ... $ROOTFS_SUITE' source in /etc/apt" >&2; return 1; }
    echo "$deb ${sec:--}"
}

rootfs_pristine() {
    local tar=$ROOTFS_CACHE/$ROOTFS_SUITE-minbase-$(dpkg --print-architecture).tar m deb work
    mkdir -p "$ROOTFS_CACHE/archives/partial" || return 1
    (
        flock 9
        [ -s "$tar" ] && exit 0
        m=$(rootfs_mirrors) || exit 1
        deb=${m%% *}
        work=$(mktemp -d "$ROOTFS_CACHE/.debootstrap.XXXXXX") || exit 1
        trap 'rm -rf "$work"' EXIT
        echo "rootfs: debootstrap --variant=minbase $ROOTFS_SUITE from $deb (cached in $tar)" >&2
        # --cache-dir keeps the .debs for the next pristine root.
        if ! debootstrap --variant=minbase --cache-dir="$ROOTFS_CACHE/archives" \
                "$ROOTFS_SUITE" "$work/root" "$deb" > "$work/debootstrap.log" 2>&1; then
            tail -n 20 "$work/debootstrap.log" >&2
            exit 1
        fi
        rm -rf "$work/root/var/cache/apt/archives"/*.deb "$work/root/var/lib/apt/lists"/*_Packages
        tar -C "$work/root" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    ) 9> "$ROOTFS_CACHE/.lock" || return 1
    echo "$tar"
}

rootfs_extract() {
    local dir=$1 tar m deb sec
    tar=$(rootfs_pristine) || return 1
    m=$(rootfs_mirrors) || return 1
    deb=${m%% *}; sec=${m#* }
    mkdir -p "$dir" && tar -C "$dir" -xf "$tar" || return 1
    {
        echo "deb $deb $ROOTFS_SUITE main"
        echo "deb $deb $ROOTFS_SUITE-updates main"
        [ "$sec" != - ] && echo "deb $sec $ROOTFS_SUITE-security main"
    } > "$dir/etc/apt/sources.list"
    rm -f "$dir"/etc/apt/sources.list.d/*
    # Name resolution for apt inside the root: the machine's own resolver.
    cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
    # No daemons started by package scripts (there is no init in the root).
    printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"
    chmod 755 "$dir/usr/sbin/policy-rc.d"
}

rootfs_run() {
    local dir=$1 arch; shift
    # Each root (by name) keeps its own .deb cache: apt locks its archive
    # directory, and two roots may install at the same time.
    arch=$ROOTFS_CACHE/apt-$(basename "$dir")
    mkdir -p "$arch/partial"
    # unshare --pid --fork: the chroot's processes live in a PID namespace whose
    # end kills them all; --mount with private propagation: the mounts below
    # exist only there and go away with it.
    unshare --pid --fork --mount --propagation private /bin/bash -c '
        set -e
        d=$1; arch=$2; shift 2
        mount --bind "$d" "$d"
        mount -t proc proc "$d/proc"
        mount -t sysfs sysfs "$d/sys"
        mount --rbind /dev "$d/dev"
        mount -t tmpfs -o mode=755 tmpfs "$d/run"
        mount -t tmpfs -o mode=1777 tmpfs "$d/tmp"
        mount --bind "$arch" "$d/var/cache/apt/archives"
        exec chroot "$d" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            /bin/bash -c "$*"
    ' rootfs_run "$dir" "$arch" "$@"
}
