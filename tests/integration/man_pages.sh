#!/bin/bash
# The manual pages name everything the programs accept: every command and
# option in realmctl's, lacctl's and lac-dial's --help and lac-core's usage
# appears in its page (man/), and every key of lac-core's configuration table
# in lac.conf(5) (checked by tests/unit/test_conf). What an operator reads
# first must not lag behind what the code takes. No root, no lab.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/integration/testlib.sh"

# a page's text without troff escapes and font changes, one space between words
page_text() {
    sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/^\.[A-Z][A-Z]* //' -e 's/"//g' "$1" | tr -s ' \n' ' '
}

# mentions PAGE WHAT NAME...: each NAME (a command or an option) is in PAGE
mentions() {
    local page=$1 what=$2 text missing=
    shift 2
    text=" $(page_text "$page") "
    for name in "$@"; do
        case $text in *"$name"[\ ,\|\]\)]*) ;; *) missing="$missing $name" ;; esac
    done
    t_eq "$(basename "$page") names every $what" "${missing# }" ""
}

help_of() { "$@" --help 2>&1 || :; }

# realmctl: the command words of --help ("  realm add NAME ...") and every --option
rc_help=$(help_of "$top_builddir/policy/realmctl/realmctl")
mapfile -t rc_cmds < <(sed -n 's/^  \([a-z]\+\)\( \(add\|del\|show\|list\|set\|map\|unmap\)\)\?\( .*\)\?$/\1\2/p' <<<"$rc_help")
t_check "realmctl --help lists its commands (${#rc_cmds[@]})" test "${#rc_cmds[@]}" -ge 13
mentions "$top_srcdir/man/realmctl.8" "realmctl command" "${rc_cmds[@]}"
mapfile -t rc_opts < <(grep -o -- '--[a-z][a-z-]*' <<<"$rc_help" | sort -u)
mentions "$top_srcdir/man/realmctl.8" "realmctl option" "${rc_opts[@]}"

# lacctl: "  show sessions   ...", "  drain | undrain   ...", "  disconnect ID ..."
lc_help=$(help_of "$top_builddir/lac-core/lacctl")
mapfile -t lc_cmds < <(sed -n 's/^  \([a-z]\+\( [a-z]\+\)\?\( | [a-z]\+\)\?\)\( [A-Z]\+\)\? .*/\1/p' <<<"$lc_help" |
    sed 's/ | /\n/')
t_check "lacctl --help lists its commands (${#lc_cmds[@]})" test "${#lc_cmds[@]}" -ge 6
mentions "$top_srcdir/man/lacctl.8" "lacctl command" "${lc_cmds[@]}"
mentions "$top_srcdir/man/lacctl.8" "lacctl option" -s

# lac-dial: every --option of its usage
mapfile -t ld_opts < <(help_of "$top_builddir/lac-core/lac-dial" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
t_check "lac-dial --help lists its options (${#ld_opts[@]})" test "${#ld_opts[@]}" -ge 20
mentions "$top_srcdir/man/lac-dial.1" "lac-dial option" "${ld_opts[@]}"

# lac-core: the options of its usage line
mapfile -t lco < <(help_of "$top_builddir/lac-core/lac-core" | grep -o -- '^  -[a-z]' | tr -d ' ')
t_check "lac-core's usage lists its options (${#lco[@]})" test "${#lco[@]}" -ge 3
mentions "$top_srcdir/man/lac-core.8" "lac-core option" "${lco[@]}"

t_done
