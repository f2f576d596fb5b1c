/*
 * realm_acct: the accounting script, its arguments and its reply (see
 * realm_acct.h; keys in policy/REDIS-SCHEMA.md, "Session accounting").
 */
#include <stdio.h>
#include <string.h>

#include "realm_acct.h"

/*
 * KEYS: realm candidate keys in lookup order (as realm_store_script).
 * ARGV: op (start|interim|stop|nas_reset), nas, session id, endpoint,
 * assignment id ("" if none), ttl in seconds.
 *
 * Why each piece:
 * - The LNS ZSET, not a counter, is the truth: ZADD/ZREM of the session's acct
 *   key are idempotent, so a retransmitted Start or Stop never counts twice,
 *   and members scored by expiry disappear by themselves when a LAC dies
 *   without a Stop. `sessions` in the LNS hash mirrors its live cardinality
 *   (never below 0 by construction) so the lookup reads it with the hash.
 * - The acct key (value: the LNS key) finds the LNS on Stop and Interim even
 *   if the realm or the endpoint changed since the Start; only when it is
 *   lost (deleted, Redis restarted without persistence) does the script match
 *   the request's Tunnel-Server-Endpoint / Tunnel-Assignment-Id again.
 * - Endpoints are compared after normalising both sides (lower case, IPv6
 *   expanded, default port 1701), because realmctl stores what the operator
 *   typed while the LAC echoes what the broker sent.
 * - Every set expires (EXPIREAT) just after its latest member, so nothing
 *   is left behind once a NAS or an LNS carries no session.
 */
const char realm_acct_script[] =
	"local op, nas, sid, ep, aid = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]\n"
	"local ttl = tonumber(ARGV[6])\n"
	"local hold = tonumber(ARGV[7]) or 0\n"
	"local now = tonumber(redis.call('TIME')[1])\n"
	"local naskey = 'realm_lns:nas:' .. nas\n"
	"local function zkey(lk) return 'realm_lns:sessions:' .. string.sub(lk, 5) end\n"
	"local function recount(lk)\n"
	"  local z = zkey(lk)\n"
	"  redis.call('ZREMRANGEBYSCORE', z, '-inf', now)\n"
	"  local n = redis.call('ZCARD', z)\n"
	"  if redis.call('EXISTS', lk) == 1 then redis.call('HSET', lk, 'sessions', n) end\n"
	"  return n\n"
	"end\n"
	"local function keep(z)\n"
	"  local top = redis.call('ZRANGE', z, -1, -1, 'WITHSCORES')\n"
	"  if top[2] then redis.call('EXPIREAT', z, tonumber(top[2]) + 1) end\n"
	"end\n"
	"local function v6(h)\n"
	"  local head, a, b, c, d = string.match(h, '^(.*:)(%d+)%.(%d+)%.(%d+)%.(%d+)$')\n"
	"  if head then h = head .. string.format('%x:%x', a * 256 + b, c * 256 + d) end\n"
	"  local g, l, r = {}, {}, {}\n"
	"  local dc = string.find(h, '::', 1, true)\n"
	"  if dc then\n"
	"    for x in string.gmatch(string.sub(h, 1, dc - 1), '[^:]+') do l[#l + 1] = x end\n"
	"    for x in string.gmatch(string.sub(h, dc + 2), '[^:]+') do r[#r + 1] = x end\n"
	"    for _, x in ipairs(l) do g[#g + 1] = x end\n"
	"    for _ = 1, 8 - #l - #r do g[#g + 1] = '0' end\n"
	"    for _, x in ipairs(r) do g[#g + 1] = x end\n"
	"  else\n"
	"    for x in string.gmatch(h, '[^:]+') do g[#g + 1] = x end\n"
	"  end\n"
	"  if #g ~= 8 then return h end\n"
	"  for i, x in ipairs(g) do\n"
	"    local v = tonumber(x, 16)\n"
	"    if not v or #x > 4 then return h end\n"
	"    g[i] = string.format('%x', v)\n"
	"  end\n"
	"  return table.concat(g, ':')\n"
	"end\n"
	"local function ep_norm(s)\n"
	"  if not s then return nil end\n"
	"  local host, port\n"
	"  if string.sub(s, 1, 1) == '[' then\n"
	"    host, port = string.match(s, '^%[([^%]]*)%]:?(%d*)$')\n"
	"  else\n"
	"    local _, colons = string.gsub(s, ':', ':')\n"
	"    if colons == 1 then host, port = string.match(s, '^([^:]*):(%d+)$')\n"
	"    else host, port = s, '' end\n"
	"  end\n"
	"  if not host or host == '' then return nil end\n"
	"  host = string.lower(host)\n"
	"  if string.find(host, ':', 1, true) then host = v6(host) end\n"
	"  if port == '' then port = '1701' end\n"
	"  return host .. '|' .. tostring(tonumber(port))\n"
	"end\n"
	"local function resolve()\n"
	"  local want = ep_norm(ep)\n"
	"  if not want then return nil, 'no_lns' end\n"
	"  for _, key in ipairs(KEYS) do\n"
	"    local name, rk = nil, nil\n"
	"    if string.sub(key, 1, 5) == 'dnis:' then\n"
	"      name = redis.call('GET', key)\n"
	"      if name then rk = 'realm:' .. name end\n"
	"    else\n"
	"      name = string.sub(key, 7)\n"
	"      rk = key\n"
	"    end\n"
	"    if rk and redis.call('EXISTS', rk) == 1 then\n"
	"      local ids = redis.call('SMEMBERS', rk .. ':lns')\n"
	"      table.sort(ids)\n"
	"      local bare = nil\n"
	"      for _, id in ipairs(ids) do\n"
	"        local lk = 'lns:' .. name .. ':' .. id\n"
	"        local h = redis.call('HMGET', lk, 'endpoint', 'assignment_id')\n"
	"        if h[1] and ep_norm(h[1]) == want then\n"
	"          if aid == '' or h[2] == aid then return lk, nil end\n"
	"          if not h[2] and not bare then bare = lk end\n"
	"        end\n"
	"      end\n"
	"      if bare then return bare, nil end\n"
	"      return nil, 'no_lns'\n"
	"    end\n"
	"  end\n"
	"  return nil, 'no_realm'\n"
	"end\n"
	"local function hkey(lk) return 'realm_lns:health:' .. string.sub(lk, 5) end\n"
	"local function notify(lk)\n"
	"  local realm = string.match(string.sub(lk, 5), '^(.*):[^:]*$')\n"
	"  local v = redis.call('INCR', 'realm_lns:version')\n"
	"  redis.call('PUBLISH', 'realm_lns:changes', v .. ' realm ' .. realm)\n"
	"end\n"
	"if op == 'reject' then\n"
	"  if hold <= 0 then return {'ignored', '', 0} end\n"
	"  local lk, why = resolve()\n"
	"  if not lk then return {why, '', -1} end\n"
	"  local hk = hkey(lk)\n"
	"  redis.call('HSET', hk, 'until', now + hold, 'nas', nas, 'reason', 'tunnel-reject')\n"
	"  redis.call('EXPIREAT', hk, now + hold)\n"
	"  notify(lk)\n"
	"  return {'unhealthy', lk, now + hold}\n"
	"end\n"
	"redis.call('ZREMRANGEBYSCORE', naskey, '-inf', now)\n"
	"if op == 'nas_reset' then\n"
	"  local sids = redis.call('ZRANGE', naskey, 0, -1)\n"
	"  local touched = {}\n"
	"  for _, s in ipairs(sids) do\n"
	"    local ak = 'realm_lns:acct:' .. nas .. '/' .. s\n"
	"    local lk = redis.call('GET', ak)\n"
	"    if lk then\n"
	"      redis.call('ZREM', zkey(lk), ak)\n"
	"      redis.call('DEL', ak)\n"
	"      touched[lk] = true\n"
	"    end\n"
	"  end\n"
	"  redis.call('DEL', naskey)\n"
	"  for lk in pairs(touched) do recount(lk) end\n"
	"  return {'cleared', '', #sids}\n"
	"end\n"
	"local akey = 'realm_lns:acct:' .. nas .. '/' .. sid\n"
	"local lk = redis.call('GET', akey)\n"
	"if op == 'stop' then\n"
	"  redis.call('ZREM', naskey, sid)\n"
	"  if lk then redis.call('DEL', akey) else lk = resolve() end\n"
	"  if not lk then return {'unknown', '', -1} end\n"
	"  local removed = redis.call('ZREM', zkey(lk), akey)\n"
	"  return {removed == 1 and 'stopped' or 'unknown', lk, recount(lk)}\n"
	"end\n"
	"if not lk then\n"
	"  local why\n"
	"  lk, why = resolve()\n"
	"  if not lk then return {why, '', -1} end\n"
	"end\n"
	"local exp = now + ttl\n"
	"local z = zkey(lk)\n"
	"redis.call('SET', akey, lk, 'EX', ttl)\n"
	"local added = redis.call('ZADD', z, exp, akey)\n"
	"redis.call('ZADD', naskey, exp, sid)\n"
	"keep(z)\n"
	"keep(naskey)\n"
	"local outcome\n"
	"if op == 'start' then\n"
	"  outcome = added == 1 and 'started' or 'duplicate'\n"
	"  if redis.call('DEL', hkey(lk)) == 1 then notify(lk) end\n"
	"else\n"
	"  outcome = added == 1 and 'recreated' or 'refreshed'\n"
	"end\n"
	"return {outcome, lk, recount(lk)}\n";

static const char *const op_names[] = {
	[REALM_ACCT_OP_NONE]      = "none",
	[REALM_ACCT_OP_START]     = "start",
	[REALM_ACCT_OP_INTERIM]   = "interim",
	[REALM_ACCT_OP_STOP]      = "stop",
	[REALM_ACCT_OP_NAS_RESET] = "nas_reset",
	[REALM_ACCT_OP_REJECT]    = "reject",
};

/* Also the script's reply words: realm_acct_parse maps them back. */
static const char *const outcome_names[REALM_ACCT_OUTCOME_COUNT] = {
	[REALM_ACCT_STARTED]   = "started",
	[REALM_ACCT_DUPLICATE] = "duplicate",
	[REALM_ACCT_REFRESHED] = "refreshed",
	[REALM_ACCT_RECREATED] = "recreated",
	[REALM_ACCT_STOPPED]   = "stopped",
	[REALM_ACCT_UNKNOWN]   = "unknown",
	[REALM_ACCT_CLEARED]   = "cleared",
	[REALM_ACCT_NO_REALM]  = "no_realm",
	[REALM_ACCT_NO_LNS]    = "no_lns",
	[REALM_ACCT_UNHEALTHY] = "unhealthy",
	[REALM_ACCT_IGNORED]   = "ignored",
};

const char *realm_acct_op_str(enum realm_acct_op op)
{
	if ((unsigned)op < sizeof(op_names) / sizeof(op_names[0]))
		return op_names[op];
	return "invalid";
}

const char *realm_acct_outcome_str(enum realm_acct_outcome outcome)
{
	if ((unsigned)outcome < REALM_ACCT_OUTCOME_COUNT)
		return outcome_names[outcome];
	return "invalid";
}

/* RFC 2866 5.1 Acct-Status-Type values. */
enum realm_acct_op realm_acct_op_from_status(uint32_t status_type)
{
	switch (status_type) {
	case 1:
		return REALM_ACCT_OP_START;
	case 2:
		return REALM_ACCT_OP_STOP;
	case 3:
		return REALM_ACCT_OP_INTERIM;
	case 7:  /* Accounting-On */
	case 8:  /* Accounting-Off */
		return REALM_ACCT_OP_NAS_RESET;
	case 11: /* Tunnel-Reject */
	case 14: /* Tunnel-Link-Reject */
		return REALM_ACCT_OP_REJECT;
	default:
		return REALM_ACCT_OP_NONE;
	}
}

uint32_t realm_acct_reject_hold_left(uint32_t hold_s, uint32_t delay_s)
{
	return delay_s >= hold_s ? 0 : hold_s - delay_s;
}

int realm_acct_check_nas(const char *nas)
{
	size_t len = strlen(nas), i;

	if (len == 0 || len > REALM_ACCT_NAS_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)nas[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '-'))
			return -1;
	}
	return 0;
}

int realm_acct_check_session_id(const char *sid, size_t len)
{
	size_t i;

	if (len == 0 || len > REALM_ACCT_SESSION_ID_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)sid[i];
		if (c < 0x20 || c > 0x7e)
			return -1;
	}
	return 0;
}

int realm_acct_argv(const struct realm_acct_req *req, const struct realm_name *rn,
		    const char *sha, char *buf, size_t buflen, const char **argv,
		    size_t *argvlen, int argv_cap)
{
	static const char *const script_op[] = {
		[REALM_ACCT_OP_START]     = "start",
		[REALM_ACCT_OP_INTERIM]   = "interim",
		[REALM_ACCT_OP_STOP]      = "stop",
		[REALM_ACCT_OP_NAS_RESET] = "nas_reset",
		[REALM_ACCT_OP_REJECT]    = "reject",
	};
	unsigned nkeys = rn ? rn->n : 0, i;
	size_t used;
	int argc = 0, n;

	if (req->op <= REALM_ACCT_OP_NONE || req->op > REALM_ACCT_OP_REJECT ||
	    realm_acct_check_nas(req->nas) < 0 || req->ttl_s == 0 || req->ttl_s > REALM_ACCT_TTL_MAX)
		return -1;
	if (req->op != REALM_ACCT_OP_NAS_RESET &&
	    (realm_acct_check_session_id(req->session_id, req->session_id_len) < 0 ||
	     !req->endpoint || !req->assignment_id))
		return -1;
	if (argv_cap < (int)nkeys + 10)
		return -1;
	argv[argc] = "EVALSHA";
	argvlen[argc++] = 7;
	argv[argc] = sha;
	argvlen[argc++] = strlen(sha);
	/* numkeys and ttl live in buf: no shared buffer between server threads */
	n = snprintf(buf, buflen, "%u", nkeys);
	if (n < 0 || (size_t)n >= buflen)
		return -1;
	argv[argc] = buf;
	argvlen[argc++] = (size_t)n;
	used = (size_t)n + 1;
	for (i = 0; i < nkeys; i++) {
		if (used >= buflen)
			return -1;
		n = realm_name_key(rn, i, buf + used, buflen - used);
		if (n < 0)
			return -1;
		argv[argc] = buf + used;
		argvlen[argc++] = (size_t)n;
		used += (size_t)n + 1;
	}
	argv[argc] = script_op[req->op];
	argvlen[argc++] = strlen(script_op[req->op]);
	argv[argc] = req->nas;
	argvlen[argc++] = strlen(req->nas);
	if (req->op == REALM_ACCT_OP_NAS_RESET) {
		argv[argc] = "";
		argvlen[argc++] = 0;
		argv[argc] = "";
		argvlen[argc++] = 0;
		argv[argc] = "";
		argvlen[argc++] = 0;
	} else {
		argv[argc] = req->session_id;
		argvlen[argc++] = req->session_id_len;
		argv[argc] = req->endpoint;
		argvlen[argc++] = strlen(req->endpoint);
		argv[argc] = req->assignment_id;
		argvlen[argc++] = req->assignment_id_len;
	}
	if (used >= buflen)
		return -1;
	n = snprintf(buf + used, buflen - used, "%u", (unsigned)req->ttl_s);
	if (n < 0 || (size_t)n >= buflen - used)
		return -1;
	argv[argc] = buf + used;
	argvlen[argc++] = (size_t)n;
	used += (size_t)n + 1;
	if (used >= buflen)
		return -1;
	n = snprintf(buf + used, buflen - used, "%u", (unsigned)req->hold_s);
	if (n < 0 || (size_t)n >= buflen - used)
		return -1;
	argv[argc] = buf + used;
	argvlen[argc++] = (size_t)n;
	return argc;
}

int realm_acct_parse(const redisReply *reply, struct realm_acct_result *out)
{
	const redisReply *word, *key, *count;
	unsigned i;

	memset(out, 0, sizeof(*out));
	out->count = -1;
	if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
		return -1;
	word = reply->element[0];
	key = reply->element[1];
	count = reply->element[2];
	if (word->type != REDIS_REPLY_STRING || key->type != REDIS_REPLY_STRING ||
	    count->type != REDIS_REPLY_INTEGER)
		return -1;
	for (i = 0; i < REALM_ACCT_OUTCOME_COUNT; i++) {
		if (strlen(outcome_names[i]) == word->len &&
		    memcmp(outcome_names[i], word->str, word->len) == 0)
			break;
	}
	if (i == REALM_ACCT_OUTCOME_COUNT)
		return -1;
	if (key->len > REALM_ACCT_LNS_KEY_MAX || memchr(key->str, '\0', key->len))
		return -1;
	out->outcome = (enum realm_acct_outcome)i;
	memcpy(out->lns_key, key->str, key->len);
	out->lns_key[key->len] = '\0';
	out->count = count->integer;
	return 0;
}
