/*
 * realm_notify: the notify script, message parsing and version logic (see
 * realm_notify.h).
 */
#include <stdio.h>
#include <string.h>

#include "realm_notify.h"

const char realm_notify_script[] =
	"local v = redis.call('INCR', KEYS[1])\n"
	"local m = tostring(v) .. ' ' .. ARGV[2]\n"
	"if ARGV[3] ~= '' then m = m .. ' ' .. ARGV[3] end\n"
	"redis.call('PUBLISH', ARGV[1], m)\n"
	"return v\n";

int realm_version_parse(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int realm_notify_parse(const char *msg, size_t len, struct realm_notify *out)
{
	const char *sp, *end = msg + len, *kind, *name;
	size_t klen, nlen;

	memset(out, 0, sizeof(*out));
	sp = memchr(msg, ' ', len);
	if (!sp || sp == msg || realm_version_parse(msg, (size_t)(sp - msg), &out->version) < 0 ||
	    out->version == 0)
		return -1;
	kind = sp + 1;
	sp = memchr(kind, ' ', (size_t)(end - kind));
	klen = (size_t)((sp ? sp : end) - kind);
	name = sp ? sp + 1 : end;
	nlen = (size_t)(end - name);
	if (klen == 3 && memcmp(kind, "all", 3) == 0) {
		out->kind = REALM_NOTIFY_ALL;
		return sp ? -1 : 0;
	}
	if (!sp || nlen == 0 || nlen > REALM_NAME_MAX || memchr(name, '\0', nlen))
		return -1;
	memcpy(out->name, name, nlen);
	out->name[nlen] = '\0';
	if (klen == 5 && memcmp(kind, "realm", 5) == 0) {
		out->kind = REALM_NOTIFY_REALM;
		return realm_schema_check_realm_name(out->name, NULL, 0);
	}
	if (klen == 4 && memcmp(kind, "dnis", 4) == 0) {
		out->kind = REALM_NOTIFY_DNIS;
		return realm_schema_check_dnis(out->name, NULL, 0);
	}
	return -1;
}

static const char *const action_names[] = {
	[REALM_VERSION_SKIP]   = "skip",
	[REALM_VERSION_APPLY]  = "apply",
	[REALM_VERSION_RESYNC] = "resync",
};

const char *realm_version_action_str(enum realm_version_action a)
{
	if ((unsigned)a < sizeof(action_names) / sizeof(action_names[0]))
		return action_names[a];
	return "invalid";
}

void realm_version_reset(struct realm_version *v)
{
	memset(v, 0, sizeof(*v));
}

void realm_version_loaded(struct realm_version *v, uint64_t at)
{
	v->loaded = 1;
	v->version = at;
	v->ahead = 0;
}

enum realm_version_action realm_version_on_notify(struct realm_version *v, uint64_t n,
						  enum realm_notify_kind kind)
{
	if (!v->loaded)
		return REALM_VERSION_RESYNC;
	if (n <= v->version)
		return REALM_VERSION_SKIP;
	if (n != v->version + 1 || kind == REALM_NOTIFY_ALL)
		return REALM_VERSION_RESYNC;
	v->version = n;
	if (v->ahead && v->ahead <= n)
		v->ahead = 0;
	return REALM_VERSION_APPLY;
}

enum realm_version_action realm_version_on_poll(struct realm_version *v, uint64_t current)
{
	if (!v->loaded || current < v->version)
		return REALM_VERSION_RESYNC;
	if (current == v->version) {
		v->ahead = 0;
		return REALM_VERSION_SKIP;
	}
	/* ahead: its notification may still be on the way; only a version that
	 * the previous poll already saw ahead and that is still not applied is
	 * a missed change */
	if (v->ahead && v->ahead > v->version)
		return REALM_VERSION_RESYNC;
	v->ahead = current;
	return REALM_VERSION_SKIP;
}
