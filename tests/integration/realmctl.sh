#!/bin/bash
# realmctl against a real redis-server in namespace rlt-realmctl: every
# command, import/export round trip, a bad document changing nothing, import
# from an http URL served on the namespace's loopback, `check` finding bad data
# written behind realmctl's back, and the exit codes (0 ok, 1 data, 2 usage,
# 3 Redis unreachable).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/integration/testlib.sh"
. "$top_srcdir/lab.d/lib.sh"
t_require_root

NS=rlt-realmctl-$$
PORT=6391
RC_BIN=$top_builddir/policy/realmctl/realmctl
[ -x "$RC_BIN" ] || { echo "realmctl not built: $RC_BIN"; exit 1; }
STATE=$(mktemp -d /tmp/rlt-realmctl.XXXXXX)

cleanup() {
    netns_destroy "$NS" >/dev/null 2>&1
    rm -rf "$STATE"
}
trap cleanup EXIT

netns_create "$NS" || exit 1
redis_start redis "$NS" 127.0.0.1 "$PORT" "$STATE" || exit 1

URL=redis://127.0.0.1:$PORT
# rc ARGS...: realmctl in the namespace against db 0; output in $out, exit code in $code
rc() {
    out=$(netns_exec "$NS" "$RC_BIN" --redis "$URL" "$@" 2>&1); code=$?
}
cli() {
    netns_exec "$NS" redis-cli -p "$PORT" "$@"
}
# t_code NAME WANT: checks the last rc's exit code, shows its output on failure
t_code() {
    if [ "$code" = "$2" ]; then t_ok "$1"; else t_fail "$1" "exit $code, want $2; output: $out"; fi
}
t_has() { # t_has NAME NEEDLE: the last rc's output contains NEEDLE
    case $out in *"$2"*) t_ok "$1" ;; *) t_fail "$1" "no '$2' in: $out" ;; esac
}

# ---- single-object commands ----
rc realm add Corp.Example --mode tunnel --policy weighted --client-auth-id lac1
t_code "realm add tunnel" 0
t_eq "realm name stored lower-case" "$(cli SISMEMBER realms corp.example)" 1
t_eq "realm hash has mode" "$(cli HGET realm:corp.example mode)" tunnel
t_eq "schema version written" "$(cli GET realm_lns:schema)" 1
rc lns add corp.example lns1 --endpoint 10.88.2.2 --secret s3cret --preference 1 --weight 10 \
    --assignment-id grp1 --server-auth-id lns-one --max-sessions 100
t_code "lns add v4" 0
echo "from-stdin" | netns_exec "$NS" "$RC_BIN" --redis "$URL" lns add corp.example lns2 \
    --endpoint '[2001:db8::2]:1702' --secret - --preference 2 >/dev/null 2>&1
t_eq "lns add with --secret - reads stdin" "$(cli HGET lns:corp.example:lns2 secret)" from-stdin
t_eq "lns set holds the endpoint" "$(cli HGET lns:corp.example:lns2 endpoint)" "[2001:db8::2]:1702"
t_eq "realm LNS set" "$(cli SMEMBERS realm:corp.example:lns | sort | tr '\n' ' ')" "lns1 lns2 "
rc realm add local.example --mode local
t_code "realm add local" 0
rc realm add blocked.example --mode reject --reply-message "closed for maintenance"
t_code "realm add reject" 0
rc realm add '*.wild.example' --mode local
t_code "realm add wildcard" 0

rc realm list
t_eq "realm list" "$out" "$(printf '*.wild.example\nblocked.example\ncorp.example\nlocal.example')"
rc realm show corp.example
t_code "realm show" 0
t_has "realm show: realm line" "realm=corp.example mode=tunnel policy=weighted"
t_has "realm show: lns line" "lns=lns1 endpoint=10.88.2.2 preference=1 weight=10"
t_has "realm show hides secrets" "secret=(6 bytes)"
case $out in *s3cret*) t_fail "realm show prints no secret" ;; *) t_ok "realm show prints no secret" ;; esac
rc realm show nosuch.example
t_code "realm show unknown: exit 1" 1

rc lns set corp.example lns1 --down
t_code "lns set --down" 0
t_eq "down flag set" "$(cli HGET lns:corp.example:lns1 down)" 1
rc realm show corp.example
t_has "show marks down LNS unavailable" "down=1 sessions=0 available=no"
rc lns set corp.example lns1 --up
t_eq "down flag cleared" "$(cli HGET lns:corp.example:lns1 down)" 0
rc lns set corp.example nosuch --down
t_code "lns set unknown LNS: exit 1" 1

rc dnis map 5550100 corp.example
t_code "dnis map" 0
t_eq "dnis key" "$(cli GET dnis:5550100)" corp.example
rc dnis map 5550101 nosuch.example
t_code "dnis map to unknown realm: exit 1" 1
t_has "dnis map names the realm" 'field=realm value="nosuch.example": no such realm'
rc realm del corp.example
t_code "realm del refused while a DNIS maps to it" 1
t_has "realm del names the DNIS" "dnis=5550100"

# ---- validation on the command line ----
rc lns add corp.example lns3 --endpoint 10.1.1.300 --preference 70000
t_code "lns add with bad fields: exit 1" 1
t_has "bad endpoint named" 'realm=corp.example lns=lns3 field=endpoint value="10.1.1.300"'
t_has "bad preference named" 'field=preference value="70000": out of range 0..65535'
t_has "missing secret named" "field=secret: missing"
t_eq "nothing written for lns3" "$(cli EXISTS lns:corp.example:lns3)" 0
rc lns add nosuch.example lns1 --endpoint 10.1.1.1 --secret x
t_code "lns add to unknown realm: exit 1" 1
rc realm add BAD_realm! --mode local
t_code "realm add bad name: exit 1" 1
rc realm add x.example --mode proxy
t_has "realm add bad mode named" 'realm=x.example field=mode value="proxy"'

# ---- exit codes ----
rc realm add
t_code "usage error: exit 2" 2
t_has "usage text per command" "usage: realmctl [--redis URL] realm add NAME"
rc frobnicate
t_code "unknown command: exit 2" 2
rc lns set corp.example lns1
t_code "lns set without --down/--up: exit 2" 2
out=$(netns_exec "$NS" "$RC_BIN" --redis redis://127.0.0.1:6399 realm list 2>&1); code=$?
t_code "Redis unreachable: exit 3" 3
out=$(netns_exec "$NS" "$RC_BIN" --redis http://127.0.0.1 realm list 2>&1); code=$?
t_code "bad Redis URL: exit 2" 2
out=$(netns_exec "$NS" env REALM_LNS_REDIS="$URL" "$RC_BIN" realm list 2>&1); code=$?
t_code "REALM_LNS_REDIS is honoured" 0

# ---- export / import ----
rc export
t_code "export" 0
echo "$out" > "$STATE/export1.json"
json_ok() { jq -e "$1" "$2" >/dev/null; }
t_check "export is JSON" json_ok '.schema == 1 and (.realms | length) == 4' "$STATE/export1.json"
t_eq "export keeps the secret" "$(jq -r '.realms[] | select(.name=="corp.example") | .lns[] | select(.id=="lns1") | .secret' "$STATE/export1.json")" s3cret

# round trip into another database: the same export comes back
out=$(netns_exec "$NS" "$RC_BIN" --redis "$URL/1" import "$STATE/export1.json" 2>&1); code=$?
t_code "import into db 1" 0
out=$(netns_exec "$NS" "$RC_BIN" --redis "$URL/1" export 2>&1); code=$?
t_eq "export -> import -> export round trip" "$out" "$(cat "$STATE/export1.json")"

# a bad document: every error listed with realm, lns, field, value and path; nothing changes
cat > "$STATE/bad.json" <<'EOF'
{ "schema": 1,
  "realms": [
    { "name": "corp.example", "mode": "tunnel",
      "lns": [ { "id": "lns1", "endpoint": "10.88.2.2", "preference": 70000, "secret": "new" },
               { "id": "lns1", "endpoint": "10.88.2.3", "secret": "dup" } ] },
    { "name": "new.example", "mode": "tunnel",
      "lns": [ { "id": "a", "endpoint": "not-an-ip", "secret": "x", "wieght": 3 } ] },
    { "name": "fine.example", "mode": "local" } ],
  "dnis": [ { "number": "5550199", "realm": "ghost.example" } ] }
EOF
rc import "$STATE/bad.json"
t_code "bad import: exit 1" 1
t_has "bad import: preference" 'realm=corp.example lns=lns1 field=preference value="70000": out of range 0..65535 (at $.realms[0].lns[0].preference)'
t_has "bad import: duplicate id" "realm=corp.example lns=lns1 field=id: duplicate LNS id"
t_has "bad import: endpoint" 'realm=new.example lns=a field=endpoint value="not-an-ip"'
t_has "bad import: unknown field" "realm=new.example lns=a field=wieght: unknown field (at \$.realms[1].lns[0].wieght)"
t_has "bad import: dangling DNIS" 'dnis=5550199 field=realm value="ghost.example": no such realm (at $.dnis[0])'
t_has "bad import: says nothing was written" "nothing written"
rc export
t_eq "bad import changed nothing (export identical)" "$out" "$(cat "$STATE/export1.json")"
t_eq "bad import did not add the valid realm either" "$(cli SISMEMBER realms fine.example)" 0

# dry run validates but writes nothing
cat > "$STATE/more.json" <<'EOF'
{ "schema": 1,
  "realms": [ { "name": "corp.example", "mode": "tunnel", "policy": "round-robin",
                "lns": [ { "id": "lns1", "endpoint": "10.88.2.2:1701", "preference": 5, "secret": "rotated" },
                         { "id": "lns9", "endpoint": "10.88.9.2", "secret": "nine" } ] },
              { "name": "extra.example", "mode": "local" } ],
  "dnis": [ { "number": "5550102", "realm": "local.example" } ] }
EOF
rc import --dry-run "$STATE/more.json"
t_code "import --dry-run" 0
rc export
t_eq "dry run wrote nothing" "$out" "$(cat "$STATE/export1.json")"

# merge import: named realms replaced (lns2 dropped, lns9 added), others untouched, sessions kept
cli HSET lns:corp.example:lns1 sessions 5 >/dev/null
rc import - < "$STATE/more.json"
t_code "import from stdin" 0
t_eq "import replaced the realm's policy" "$(cli HGET realm:corp.example policy)" round-robin
t_eq "import dropped the client_auth_id it did not name" "$(cli HEXISTS realm:corp.example client_auth_id)" 0
t_eq "import deleted the LNS the document dropped" "$(cli EXISTS lns:corp.example:lns2)" 0
t_eq "import set the LNS set" "$(cli SMEMBERS realm:corp.example:lns | sort | tr '\n' ' ')" "lns1 lns9 "
t_eq "import kept the sessions counter" "$(cli HGET lns:corp.example:lns1 sessions)" 5
t_eq "import updated the secret" "$(cli HGET lns:corp.example:lns1 secret)" rotated
t_eq "import left other realms alone" "$(cli HGET realm:blocked.example mode)" reject
t_eq "import kept other DNIS maps" "$(cli GET dnis:5550100)" corp.example
t_eq "import added its DNIS map" "$(cli GET dnis:5550102)" local.example
rc check
t_code "check after imports is clean" 0
t_has "check summary" "check: ok: 5 realm(s), 2 LNS, 2 DNIS map(s)"

# import from a URL served on the namespace's loopback
mkdir -p "$STATE/www"
cp "$STATE/export1.json" "$STATE/www/realms.json"
netns_exec "$NS" /usr/bin/python3 -m http.server 8765 --bind 127.0.0.1 --directory "$STATE/www" \
    >"$STATE/http.log" 2>&1 &
wait_for_tcp "$NS" 8765 10
rc import --replace-all http://127.0.0.1:8765/realms.json
t_code "import --replace-all from http URL" 0
rc export
t_eq "replace-all from URL makes Redis equal the document" "$out" "$(cat "$STATE/export1.json")"
t_eq "replace-all removed realms not in the document" "$(cli EXISTS realm:extra.example)" 0
t_eq "replace-all removed DNIS maps not in the document" "$(cli EXISTS dnis:5550102)" 0
t_eq "replace-all removed LNS of dropped realms' sets" "$(cli EXISTS lns:corp.example:lns9)" 0
rc import http://127.0.0.1:8765/missing.json
t_code "import from a 404 URL: exit 1" 1
t_has "404 reported" "404"

# ---- lns del / dnis unmap / realm del ----
rc lns del corp.example lns2
t_code "lns del" 0
t_eq "lns del removed the hash" "$(cli EXISTS lns:corp.example:lns2)" 0
rc lns del corp.example lns2
t_code "lns del twice: exit 1" 1
rc dnis unmap 5550100
t_code "dnis unmap" 0
rc dnis unmap 5550100
t_code "dnis unmap twice: exit 1" 1
rc realm del corp.example
t_code "realm del" 0
t_eq "realm del removed everything" "$(cli KEYS "*corp.example*" | grep -c .)" 0

# ---- check finds bad data written behind realmctl's back ----
rc realm add corp.example --mode tunnel
rc lns add corp.example lns1 --endpoint 10.88.2.2 --secret s
rc check
t_code "check clean" 0
cli HSET lns:corp.example:lns1 preference 99999 >/dev/null
cli SADD realm:corp.example:lns ghost >/dev/null
cli SET dnis:5550999 nowhere.example >/dev/null
cli HSET lns:old.example:x endpoint 1.2.3.4 >/dev/null
cli SADD realms missing.example >/dev/null
cli HSET realm:local.example mode tunnel >/dev/null
cli SET realm:blocked.example oops >/dev/null
cli HSET realm:hidden.example mode local max_endpoints 40 >/dev/null
rc check
t_code "check with bad data: exit 1" 1
t_has "check: bad field" 'realm=corp.example lns=lns1 field=preference value="99999": out of range 0..65535 (at key lns:corp.example:lns1)'
t_has "check: dangling LNS id" "realm=corp.example lns=ghost: named in set realm:corp.example:lns but key lns:corp.example:ghost does not exist"
t_has "check: dangling DNIS" 'dnis=5550999 field=realm value="nowhere.example": no such realm'
t_has "check: orphan LNS key" "realm=old.example lns=x: key lns:old.example:x exists but no realm:old.example:lns set names it"
t_has "check: realm in set without hash" "realm=missing.example: named in set realms but key realm:missing.example does not exist"
t_has "check: tunnel realm without LNS" "realm=local.example field=lns: mode tunnel needs at least one LNS"
t_has "check: key of the wrong type" "key=realm:blocked.example: holds the wrong kind of value"
t_has "check: realm hash missing from set realms" "realm=hidden.example: key realm:hidden.example exists but the realm is not in set realms"
t_has "check: fields of a hidden realm are validated too" 'realm=hidden.example field=max_endpoints value="40"'
t_has "check: counts the problems" "check: 9 problem(s)"
rc export
t_code "export refuses bad data" 1

# ---- unix socket and AUTH ----
netns_exec "$NS" redis-server --port 0 --unixsocket "$STATE/r.sock" --requirepass 'p@ss' \
    --save '' --daemonize yes --pidfile "$STATE/r2.pid" --logfile "$STATE/r2.log" --dir "$STATE"
for _ in $(seq 50); do [ -S "$STATE/r.sock" ] && break; sleep 0.1; done
out=$(netns_exec "$NS" "$RC_BIN" --redis "unix://:p%40ss@$STATE/r.sock" realm add u.example --mode local 2>&1); code=$?
t_code "unix socket with password" 0
out=$(netns_exec "$NS" "$RC_BIN" --redis "unix://:wrong@$STATE/r.sock" realm list 2>&1); code=$?
t_code "wrong password: exit 3" 3
out=$(netns_exec "$NS" "$RC_BIN" --redis "unix://$STATE/r.sock" realm list 2>&1); code=$?
t_code "no password where one is needed: exit 3" 3
lab_pid_stop "$STATE/r2.pid"

t_done
