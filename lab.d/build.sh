#!/bin/sh
# Builds realm-lns in the source tree: the same steps for `lab up` and for the
# docker image (docker/Dockerfile). Configures only when there is no build
# yet; afterwards make rebuilds whatever sources are newer.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ ! -f Makefile ]; then
    autoreconf -fi
    ./configure -q
fi
make -j2
