/*
 * realm_store: lookup script and reply parsing (see realm_store.h; schema in
 * policy/REDIS-SCHEMA.md).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "realm_store.h"

/*
 * KEYS: candidate keys in lookup order. ARGV[1]: how many LNS ids to read.
 * A dnis:<id> key holds a realm name; every other key is realm:<name>. The
 * LNS ids are sorted so that a cut at ARGV[1] and the round-robin base order
 * are deterministic. The counter is only touched for round-robin realms.
 *
 * An LNS whose `sessions` has reached its `max_sessions` is recounted from
 * its session set (realm_acct.h) before it is returned: sessions of a LAC
 * that died without a Stop expire there, and without this an LNS nobody
 * sends accounting for any more would stay "full" forever. Only LNS at their
 * cap pay for it, so ordinary lookups stay reads.
 */
const char realm_store_script[] =
	"local max = tonumber(ARGV[1])\n"
	"local now = nil\n"
	"local function live(lk, h)\n"
	"  local cap, cur, at = nil, nil, nil\n"
	"  for k = 1, #h, 2 do\n"
	"    if h[k] == 'max_sessions' then cap = tonumber(h[k + 1])\n"
	"    elseif h[k] == 'sessions' then cur = tonumber(h[k + 1]); at = k + 1 end\n"
	"  end\n"
	"  if cap and cap > 0 and cur and cur >= cap then\n"
	"    if not now then now = tonumber(redis.call('TIME')[1]) end\n"
	"    local z = 'realm_lns:sessions:' .. string.sub(lk, 5)\n"
	"    redis.call('ZREMRANGEBYSCORE', z, '-inf', now)\n"
	"    local n = redis.call('ZCARD', z)\n"
	"    if n ~= cur then\n"
	"      redis.call('HSET', lk, 'sessions', n)\n"
	"      h[at] = tostring(n)\n"
	"    end\n"
	"  end\n"
	"  return h\n"
	"end\n"
	"for i, key in ipairs(KEYS) do\n"
	"  local name, rk = nil, nil\n"
	"  if string.sub(key, 1, 5) == 'dnis:' then\n"
	"    name = redis.call('GET', key)\n"
	"    if name then rk = 'realm:' .. name end\n"
	"  else\n"
	"    name = string.sub(key, 7)\n"
	"    rk = key\n"
	"  end\n"
	"  if rk then\n"
	"    local realm = redis.call('HGETALL', rk)\n"
	"    if #realm > 0 then\n"
	"      local ids = redis.call('SMEMBERS', rk .. ':lns')\n"
	"      table.sort(ids)\n"
	"      local lns = {}\n"
	"      for j, id in ipairs(ids) do\n"
	"        if j > max then break end\n"
	"        lns[#lns + 1] = id\n"
	"        local lk = 'lns:' .. name .. ':' .. id\n"
	"        local h = live(lk, redis.call('HGETALL', lk))\n"
	"        local u = redis.call('HGET', 'realm_lns:health:' .. name .. ':' .. id, 'until')\n"
	"        if u and #h > 0 then h[#h + 1] = 'unhealthy_until'; h[#h + 1] = u end\n"
	"        lns[#lns + 1] = h\n"
	"      end\n"
	"      local rr = 0\n"
	"      for k = 1, #realm, 2 do\n"
	"        if realm[k] == 'policy' and realm[k + 1] == 'round-robin' then\n"
	"          rr = redis.call('INCR', 'realm_lns:rr:' .. name)\n"
	"        end\n"
	"      end\n"
	"      return {name, realm, lns, rr, i}\n"
	"    end\n"
	"  end\n"
	"end\n"
	"return {}\n";

const char realm_store_load_script[] =
	"local max = tonumber(ARGV[1])\n"
	"local rk = KEYS[1]\n"
	"local name = string.sub(rk, 7)\n"
	"local realm = redis.call('HGETALL', rk)\n"
	"if #realm == 0 then return {} end\n"
	"local ids = redis.call('SMEMBERS', rk .. ':lns')\n"
	"table.sort(ids)\n"
	"local lns = {}\n"
	"for j, id in ipairs(ids) do\n"
	"  if j > max then break end\n"
	"  local h = redis.call('HGETALL', 'lns:' .. name .. ':' .. id)\n"
	"  local u = redis.call('HGET', 'realm_lns:health:' .. name .. ':' .. id, 'until')\n"
	"  if u and #h > 0 then h[#h + 1] = 'unhealthy_until'; h[#h + 1] = u end\n"
	"  lns[#lns + 1] = id\n"
	"  lns[#lns + 1] = h\n"
	"end\n"
	"return {name, realm, lns, 0, 1}\n";

const char realm_store_caps_script[] =
	"local now = redis.call('TIME')[1]\n"
	"local out = {}\n"
	"for i, lk in ipairs(KEYS) do\n"
	"  out[i] = redis.call('ZCOUNT', 'realm_lns:sessions:' .. string.sub(lk, 5), '(' .. now, '+inf')\n"
	"end\n"
	"return out\n";

int realm_store_one_name(const char *name, struct realm_name *out)
{
	size_t len = strlen(name);

	if (realm_schema_check_realm_name(name, NULL, 0) < 0 || len > REALM_NAME_MAX)
		return -1;
	memset(out, 0, offsetof(struct realm_name, cand) + sizeof(out->cand[0]));
	memcpy(out->realm, name, len + 1);
	out->n = 1;
	out->cand[0].kind = REALM_CANDIDATE_EXACT;
	return 0;
}

int realm_store_argv(const struct realm_name *rn, const char *sha, char *keybuf,
		     size_t keybuf_len, const char **argv, size_t *argvlen, int argv_cap)
{
	static const char maxlns[] = "64";
	int argc = 0, n;
	unsigned i;
	size_t used = 0;

	_Static_assert(REALM_STORE_LNS_MAX == 64, "maxlns string out of date");
	if (argv_cap < (int)rn->n + 4)
		return -1;
	argv[argc] = "EVALSHA";
	argvlen[argc++] = 7;
	argv[argc] = sha;
	argvlen[argc++] = strlen(sha);
	/* numkeys lives in keybuf too: no shared buffer between server threads */
	n = snprintf(keybuf, keybuf_len, "%u", rn->n);
	if (n < 0 || (size_t)n >= keybuf_len)
		return -1;
	argv[argc] = keybuf;
	argvlen[argc++] = (size_t)n;
	used = (size_t)n + 1;
	for (i = 0; i < rn->n; i++) {
		if (used >= keybuf_len)
			return -1;
		n = realm_name_key(rn, i, keybuf + used, keybuf_len - used);
		if (n < 0)
			return -1;
		argv[argc] = keybuf + used;
		argvlen[argc++] = (size_t)n;
		used += (size_t)n + 1;
	}
	argv[argc] = maxlns;
	argvlen[argc++] = sizeof(maxlns) - 1;
	return argc;
}

/* NUL-terminated copy of a bulk/status string element; -1 if not a string or too long. */
static int reply_str(const redisReply *r, char *buf, size_t len)
{
	if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS))
		return -1;
	if ((size_t)r->len >= len || memchr(r->str, '\0', (size_t)r->len))
		return -1;
	memcpy(buf, r->str, (size_t)r->len);
	buf[r->len] = '\0';
	return 0;
}

static void warnf(realm_store_warn_fn warn, void *ctx, const char *key, const char *msg)
{
	if (warn)
		warn(ctx, key, msg);
}

/* Apply a flat {field, value, ...} array to one LNS. -1: skip this LNS. */
static int parse_lns(const redisReply *h, const char *key, struct realm_lns *lns,
		     realm_store_warn_fn warn, void *ctx)
{
	char field[64], err[REALM_ERR_MAX];
	size_t k;

	if (h->type != REDIS_REPLY_ARRAY || h->elements == 0) {
		warnf(warn, ctx, key, "missing hash (id in the set but no lns hash)");
		return -1;
	}
	for (k = 0; k + 1 < h->elements; k += 2) {
		const redisReply *v = h->element[k + 1];
		if (reply_str(h->element[k], field, sizeof(field)) < 0 || v->type != REDIS_REPLY_STRING)
			continue;
		if (realm_schema_lns_set(lns, field, v->str, (size_t)v->len, NULL, err, sizeof(err)) < 0) {
			warnf(warn, ctx, key, err);
			return -1;
		}
	}
	if (realm_schema_lns_check(lns, err, sizeof(err)) < 0) {
		warnf(warn, ctx, key, err);
		return -1;
	}
	return 0;
}

int realm_store_parse(const redisReply *reply, const struct realm_name *rn,
		      struct realm_lookup *out, realm_store_warn_fn warn, void *ctx)
{
	char key[REALM_KEY_MAX + REALM_LNS_ID_MAX + 8], field[64], err[REALM_ERR_MAX];
	const redisReply *realm, *lns;
	size_t k;

	/* lns[] is large and filled entry by entry: clear only the header */
	memset(out, 0, offsetof(struct realm_lookup, lns));
	realm_schema_realm_init(&out->conf);
	if (!reply || reply->type != REDIS_REPLY_ARRAY) {
		warnf(warn, ctx, "(script)", "reply is not an array");
		return -1;
	}
	if (reply->elements == 0)
		return 0;
	if (reply->elements != 5 || reply->element[1]->type != REDIS_REPLY_ARRAY ||
	    reply->element[2]->type != REDIS_REPLY_ARRAY ||
	    reply->element[3]->type != REDIS_REPLY_INTEGER ||
	    reply->element[4]->type != REDIS_REPLY_INTEGER) {
		warnf(warn, ctx, "(script)", "reply does not have the lookup script's shape");
		return -1;
	}
	if (reply_str(reply->element[0], out->realm, sizeof(out->realm)) < 0 ||
	    realm_schema_check_realm_name(out->realm, err, sizeof(err)) < 0) {
		/* a dnis:<id> value that is not a realm name */
		warnf(warn, ctx, "(dnis)", "maps to an invalid realm name");
		return -1;
	}
	if (reply->element[4]->integer < 1 || (unsigned long long)reply->element[4]->integer > rn->n) {
		warnf(warn, ctx, "(script)", "matched key index out of range");
		return -1;
	}
	out->matched = (unsigned)reply->element[4]->integer - 1;
	out->rr_counter = (uint64_t)reply->element[3]->integer;

	snprintf(key, sizeof(key), "realm:%s", out->realm);
	realm = reply->element[1];
	for (k = 0; k + 1 < realm->elements; k += 2) {
		const redisReply *v = realm->element[k + 1];
		if (reply_str(realm->element[k], field, sizeof(field)) < 0 || v->type != REDIS_REPLY_STRING)
			continue;
		if (realm_schema_realm_set(&out->conf, field, v->str, (size_t)v->len, NULL,
					   err, sizeof(err)) < 0) {
			warnf(warn, ctx, key, err);
			return -1;
		}
	}
	if (realm_schema_realm_check(&out->conf, err, sizeof(err)) < 0) {
		warnf(warn, ctx, key, err);
		return -1;
	}
	out->found = 1;

	lns = reply->element[2];
	for (k = 0; k + 1 < lns->elements && out->n_lns < REALM_STORE_LNS_MAX; k += 2) {
		struct realm_lns *l = &out->lns[out->n_lns];
		realm_schema_lns_init(l);
		if (reply_str(lns->element[k], l->id, sizeof(l->id)) < 0 ||
		    realm_schema_check_lns_id(l->id, err, sizeof(err)) < 0) {
			snprintf(key, sizeof(key), "realm:%s:lns", out->realm);
			warnf(warn, ctx, key, "set member is not a valid LNS id");
			out->n_bad++;
			continue;
		}
		snprintf(key, sizeof(key), "lns:%s:%s", out->realm, l->id);
		if (parse_lns(lns->element[k + 1], key, l, warn, ctx) < 0) {
			out->n_bad++;
			continue;
		}
		out->n_lns++;
	}
	return 0;
}
