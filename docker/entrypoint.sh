#!/bin/bash
# Entry point of the realm-lns lab image. Starts one part with the same
# lab.d functions `lab up` uses (RLNS_PREFIX=- : in this container's own
# network namespace), stays in the foreground while it runs, stops it on
# SIGTERM. Health checks call `entrypoint.sh health PART`.
#
#   entrypoint.sh redis|broker|lns1|lns2|lac    run that part
#   entrypoint.sh provision                     import lab.d/demo/realms.json with realmctl, exit
#   entrypoint.sh subscriber                    dial the demo subscribers, print the table, stay up
#   entrypoint.sh dial USER PASSWORD [...]      one lac-dial run
#   entrypoint.sh health PART                   health probe (exit 0 when healthy)
#   entrypoint.sh logs [PART]
set -u
LAB_TOP=${LAB_TOP:-/src}
. "$LAB_TOP/lab.d/lib.sh"

role=${1:-help}
[ $# -gt 0 ] && shift
mkdir -p "$LAB_STATE"

# Waits in the background so a signal is handled at once; the sleeper is
# ended with us.
sleeper=
nap() {
    sleep "$1" &
    sleeper=$!
    wait $sleeper
}
stop_nap() {
    [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
}

stay_up() { # stay_up PART: foreground while PART runs; TERM stops it
    local part=$1
    trap 'stop_nap; lab_part_down "$part"; exit 0' TERM INT
    while lab_part_running "$part"; do
        nap 2
    done
    echo "$part stopped unexpectedly; last log lines:" >&2
    lab_logs "$part" >&2
    exit 1
}

case "$role" in
    redis|broker|lns1|lns2|lac)
        why=$(lab_part_built "$role") || { echo "$role: $why" >&2; exit 1; }
        lab_part_up "$role" || { lab_logs "$role" >&2; exit 1; }
        echo "$role running"
        stay_up "$role" ;;
    provision) lab_provision ;;
    subscriber)
        lab_demo_dial
        lab_table
        trap 'stop_nap; lab_demo_hangup; exit 0' TERM INT
        while :; do nap 3600; done ;;
    dial) lab_dial "$@" ;;
    health) lab_part_running "$1" && lab_part_health "$1" ;;
    logs) lab_logs "$@" ;;
    *)
        sed -n '2,14p' "$0"
        [ "$role" = help ] ;;
esac
