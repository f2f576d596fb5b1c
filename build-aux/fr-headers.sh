#!/bin/sh
# Build the FreeRADIUS 3.2 header tree modules compile against.
#
# Why: Debian 12's libfreeradius-dev installs radiusd.h but not 23 of the headers
# it includes (log.h, xlat.h, tmpl.h, connection.h, ...), an upstream install-list
# bug. The matching source package has them under src/include/. We fetch it with
# apt-get source (a deb-src entry derived from this machine's own apt sources, so
# no archive host is written into the project), and lay out:
#   OUT/freeradius/        Debian's installed headers, then the missing ones
#   OUT/freeradius-devel -> freeradius   (the source headers include each other so)
# Debian's generated autoconf.h, features.h and radpaths.h are kept as installed.
#
# usage: fr-headers.sh OUTDIR
set -eu
out=${1:?usage: fr-headers.sh OUTDIR}
[ -f "$out/.complete" ] && exit 0

if [ ! -f /usr/include/freeradius/radiusd.h ]; then
    echo "fr-headers: /usr/include/freeradius/radiusd.h missing: install libfreeradius-dev" >&2
    exit 1
fi
version=$(dpkg-query -W -f='${source:Upstream-Version}' libfreeradius-dev 2>/dev/null || true)
[ -n "$version" ] || { echo "fr-headers: cannot read libfreeradius-dev version" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

src_dir=
cache=${FR_SOURCE_CACHE:-/var/cache/realm-lns}
if [ -d "$cache/freeradius-$version/src/include" ]; then
    src_dir=$cache/freeradius-$version
elif [ "${FR_HEADERS_OFFLINE:-0}" = 1 ]; then
    # debian/rules: a package build never downloads.
    echo "fr-headers: no FreeRADIUS $version source headers in $cache and FR_HEADERS_OFFLINE=1;" >&2
    echo "fr-headers: build the tree once with network (e.g. ./lab up) or set FR_SOURCE_CACHE" >&2
    exit 1
else
    # A private apt configuration that knows deb-src lines for the machine's own archives.
    mkdir -p "$work/apt/lists/partial" "$work/apt/sources.list.d" "$work/dl"
    : > "$work/apt/sources.list"
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >> "$work/apt/sources.list"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        sed 's/^Types:.*/Types: deb-src/' "$f" > "$work/apt/sources.list.d/$(basename "$f")"
    done
    aptopts="-o Dir::Etc::SourceList=$work/apt/sources.list -o Dir::Etc::SourceParts=$work/apt/sources.list.d -o Dir::State::Lists=$work/apt/lists -o APT::Get::List-Cleanup=0"
    # shellcheck disable=SC2086
    apt-get $aptopts update >"$work/update.log" 2>&1 || { cat "$work/update.log" >&2; exit 1; }
    # shellcheck disable=SC2086
    (cd "$work/dl" && apt-get $aptopts source --download-only "freeradius=$(dpkg-query -W -f='${Version}' libfreeradius-dev)") >"$work/source.log" 2>&1 \
        || { cat "$work/source.log" >&2; exit 1; }
    orig=$(ls "$work"/dl/freeradius_*.orig.tar.* | head -n1)
    mkdir -p "$work/src"
    tar -xf "$orig" -C "$work/src" --wildcards '*/src/include/*'
    top=$(ls -d "$work"/src/*/ | head -n1)
    mkdir -p "$cache"
    rm -rf "$cache/freeradius-$version"
    cp -r "$top" "$cache/freeradius-$version"
    src_dir=$cache/freeradius-$version
fi

rm -rf "$out"
mkdir -p "$out/freeradius"
cp /usr/include/freeradius/*.h "$out/freeradius/"
for h in "$src_dir"/src/include/*.h; do
    name=$(basename "$h")
    [ -e "$out/freeradius/$name" ] && continue
    cp "$h" "$out/freeradius/$name"
done
ln -s freeradius "$out/freeradius-devel"
touch "$out/.complete"
echo "fr-headers: header tree for FreeRADIUS $version in $out"
