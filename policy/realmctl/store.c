/*
 * realmctl store: see store.h. Every command goes out through
 * redisCommandArgv/redisAppendCommandArgv with explicit lengths, never a
 * format string built from names or values.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "realm_acct.h"
#include "realm_notify.h"
#include "store.h"

/* A command under construction: owned copies of its arguments. */
struct cmd {
	char  **argv;
	size_t *len;
	int     argc;
	int     cap;
	int     oom;
};

static void cmd_push(struct cmd *c, char *s, size_t len)
{
	if (!s) {
		c->oom = 1;
		return;
	}
	if (c->argc == c->cap) {
		int cap = c->cap ? c->cap * 2 : 8;
		char **v = realloc(c->argv, (size_t)cap * sizeof(*v));
		size_t *l;
		if (!v) {
			free(s);
			c->oom = 1;
			return;
		}
		c->argv = v;
		l = realloc(c->len, (size_t)cap * sizeof(*l));
		if (!l) {
			free(s);
			c->oom = 1;
			return;
		}
		c->len = l;
		c->cap = cap;
	}
	c->argv[c->argc] = s;
	c->len[c->argc++] = len;
}

static void cmd_add(struct cmd *c, const char *s)
{
	cmd_push(c, strdup(s), strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void cmd_addf(struct cmd *c, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		c->oom = 1;
		return;
	}
	cmd_push(c, s, (size_t)n);
}

static void cmd_free(struct cmd *c)
{
	int i;

	for (i = 0; i < c->argc; i++) {
		/* arguments may hold tunnel secrets */
		memset(c->argv[i], 0, c->len[i]);
		free(c->argv[i]);
	}
	free(c->argv);
	free(c->len);
	memset(c, 0, sizeof(*c));
}

/*
 * Classify a reply: STORE_OK, STORE_DATA for WRONGTYPE (a key of the schema
 * holding the wrong kind of value: bad data, reported with the key), or
 * STORE_REDIS for a broken connection or any other error reply.
 */
static int reply_rc(redisContext *ctx, redisReply *r, const char *key, struct realmctl_errs *errs)
{
	if (!r) {
		realmctl_errs_add(errs, "redis: %s", ctx->errstr[0] ? ctx->errstr : "no reply");
		return STORE_REDIS;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		if (strncmp(r->str, "WRONGTYPE", 9) == 0) {
			realmctl_errs_add(errs, "key=%s: holds the wrong kind of value for schema 1 (WRONGTYPE)",
					  key ? key : "?");
			return STORE_DATA;
		}
		realmctl_errs_add(errs, "redis: %s", r->str);
		return STORE_REDIS;
	}
	return STORE_OK;
}

/* Run one command (consumed). On STORE_OK *out holds the reply (caller frees). */
static int cmd_run(redisContext *ctx, struct cmd *c, redisReply **out, struct realmctl_errs *errs)
{
	redisReply *r;
	int rc;

	*out = NULL;
	if (c->oom) {
		cmd_free(c);
		realmctl_errs_add(errs, "out of memory");
		return STORE_REDIS;
	}
	r = redisCommandArgv(ctx, c->argc, (const char **)c->argv, c->len);
	rc = reply_rc(ctx, r, c->argc > 1 ? c->argv[1] : NULL, errs);
	cmd_free(c);
	if (rc != STORE_OK) {
		if (r)
			freeReplyObject(r);
		return rc;
	}
	*out = r;
	return STORE_OK;
}

/* One command from a NULL-terminated list of C strings. */
static int run(redisContext *ctx, redisReply **out, struct realmctl_errs *errs, ...)
{
	struct cmd c = { 0 };
	const char *s;
	va_list ap;

	va_start(ap, errs);
	while ((s = va_arg(ap, const char *)) != NULL)
		cmd_add(&c, s);
	va_end(ap);
	return cmd_run(ctx, &c, out, errs);
}

redisContext *store_connect(const struct redis_url *url, int timeout_ms, struct realmctl_errs *errs)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	redisContext *ctx;
	redisReply *r = NULL;
	char desc[512];

	redis_url_describe(url, desc, sizeof(desc));
	if (url->kind == REDIS_URL_UNIX)
		ctx = redisConnectUnixWithTimeout(url->path, tv);
	else
		ctx = redisConnectWithTimeout(url->host, url->port, tv);
	if (!ctx || ctx->err) {
		realmctl_errs_add(errs, "redis: cannot connect to %s: %s", desc,
				  ctx ? ctx->errstr : "out of memory");
		goto fail;
	}
	if (redisSetTimeout(ctx, tv) != REDIS_OK) {
		realmctl_errs_add(errs, "redis: cannot set a timeout on %s", desc);
		goto fail;
	}
	if (url->has_password) {
		int rc = url->user[0]
			? run(ctx, &r, errs, "AUTH", url->user, url->password, NULL)
			: run(ctx, &r, errs, "AUTH", url->password, NULL);
		if (rc != STORE_OK)
			goto fail;
		freeReplyObject(r);
	}
	if (url->db) {
		char db[16];
		snprintf(db, sizeof(db), "%d", url->db);
		if (run(ctx, &r, errs, "SELECT", db, NULL) != STORE_OK)
			goto fail;
		freeReplyObject(r);
	}
	/* a PING so "unreachable" is found here, with exit code 3, not mid-way */
	if (run(ctx, &r, errs, "PING", NULL) != STORE_OK)
		goto fail;
	freeReplyObject(r);
	return ctx;
fail:
	if (ctx)
		redisFree(ctx);
	return NULL;
}

void store_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Members of a set (or the keys of a SCAN), as sorted C strings. */
static int reply_names(const redisReply *r, char ***names, size_t *n, struct realmctl_errs *errs)
{
	size_t i;
	char **v;

	*names = NULL;
	*n = 0;
	if (r->type != REDIS_REPLY_ARRAY) {
		realmctl_errs_add(errs, "redis: unexpected reply type %d", r->type);
		return STORE_REDIS;
	}
	v = calloc(r->elements + 1, sizeof(*v));
	if (!v) {
		realmctl_errs_add(errs, "out of memory");
		return STORE_REDIS;
	}
	for (i = 0; i < r->elements; i++) {
		const redisReply *e = r->element[i];
		v[i] = e->type == REDIS_REPLY_STRING ? strndup(e->str, e->len) : strdup("");
		if (!v[i]) {
			store_names_free(v, i);
			realmctl_errs_add(errs, "out of memory");
			return STORE_REDIS;
		}
	}
	if (r->elements)
		qsort(v, r->elements, sizeof(*v), cmp_str);
	*names = v;
	*n = r->elements;
	return STORE_OK;
}

static int smembers(redisContext *ctx, const char *key, char ***names, size_t *n,
		    struct realmctl_errs *errs)
{
	redisReply *r;
	int rc = run(ctx, &r, errs, "SMEMBERS", key, NULL);

	*names = NULL;
	*n = 0;
	if (rc != STORE_OK)
		return rc;
	rc = reply_names(r, names, n, errs);
	freeReplyObject(r);
	return rc;
}

int store_realm_names(redisContext *c, char ***names, size_t *n, struct realmctl_errs *errs)
{
	return smembers(c, "realms", names, n, errs);
}

/* All keys matching pattern (SCAN, so a big database is not blocked). */
static int scan_keys(redisContext *ctx, const char *pattern, char ***keys, size_t *n,
		     struct realmctl_errs *errs)
{
	char cursor[32] = "0";
	char **all = NULL;
	size_t n_all = 0, cap = 0, i;
	int rc;

	do {
		redisReply *r;
		char **part;
		size_t n_part;

		rc = run(ctx, &r, errs, "SCAN", cursor, "MATCH", pattern, "COUNT", "1000", NULL);
		if (rc != STORE_OK)
			goto fail;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING || r->element[0]->len >= sizeof(cursor)) {
			freeReplyObject(r);
			realmctl_errs_add(errs, "redis: unexpected SCAN reply");
			rc = STORE_REDIS;
			goto fail;
		}
		memcpy(cursor, r->element[0]->str, r->element[0]->len);
		cursor[r->element[0]->len] = '\0';
		rc = reply_names(r->element[1], &part, &n_part, errs);
		freeReplyObject(r);
		if (rc != STORE_OK)
			goto fail;
		if (n_all + n_part + 1 > cap) {
			size_t ncap = (n_all + n_part + 1) * 2;
			char **v = realloc(all, ncap * sizeof(*v));
			if (!v) {
				store_names_free(part, n_part);
				realmctl_errs_add(errs, "out of memory");
				rc = STORE_REDIS;
				goto fail;
			}
			all = v;
			cap = ncap;
		}
		for (i = 0; i < n_part; i++)
			all[n_all++] = part[i];
		free(part);
	} while (strcmp(cursor, "0") != 0);
	/* SCAN may return a key twice: sort and drop repeats */
	if (n_all)
		qsort(all, n_all, sizeof(*all), cmp_str);
	for (i = 1; i < n_all;) {
		if (strcmp(all[i], all[i - 1]) == 0) {
			free(all[i]);
			memmove(&all[i], &all[i + 1], (n_all - i - 1) * sizeof(*all));
			n_all--;
		} else {
			i++;
		}
	}
	*keys = all;
	*n = n_all;
	return STORE_OK;
fail:
	store_names_free(all, n_all);
	*keys = NULL;
	*n = 0;
	return rc;
}

static int worst(int a, int b)
{
	return a > b ? a : b;
}

/* HGETALL key; *empty is set when the key does not exist. */
static int hgetall(redisContext *ctx, const char *key, redisReply **out, struct realmctl_errs *errs)
{
	int rc = run(ctx, out, errs, "HGETALL", key, NULL);

	if (rc == STORE_OK && (*out)->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(*out);
		*out = NULL;
		realmctl_errs_add(errs, "redis: unexpected HGETALL reply for %s", key);
		return STORE_REDIS;
	}
	return rc;
}

/* A NUL-terminated copy of a reply string (field names). */
static int reply_str(const redisReply *e, char *buf, size_t cap)
{
	if (e->type != REDIS_REPLY_STRING || e->len >= cap || memchr(e->str, '\0', e->len))
		return -1;
	memcpy(buf, e->str, e->len);
	buf[e->len] = '\0';
	return 0;
}

/*
 * Read realm `name` (named in the realms set when from_set) and its LNS into
 * doc. Returns the worst of STORE_OK/DATA/REDIS met.
 */
static int load_realm(redisContext *ctx, struct realmctl_doc *doc, const char *name, int from_set,
		      struct realmctl_errs *errs)
{
	char err[REALM_ERR_MAX];
	char key[REALM_NAME_MAX + 80], where[REALM_NAME_MAX + 90], field[64];
	struct realmctl_realm *realm;
	redisReply *r = NULL;
	char **ids = NULL;
	size_t n_ids = 0, i, j;
	int rc = STORE_OK, rc2;

	if (realm_schema_check_realm_name(name, err, sizeof(err)) < 0) {
		realmctl_errs_add(errs, "realm=%s %s (at key realms%s)", name, err,
				  from_set ? "" : ", not found");
		return STORE_DATA;
	}
	snprintf(key, sizeof(key), "realm:%s", name);
	snprintf(where, sizeof(where), "key %s", key);
	rc2 = hgetall(ctx, key, &r, errs);
	if (rc2 != STORE_OK)
		return rc2;
	if (r->elements == 0) {
		freeReplyObject(r);
		if (from_set)
			realmctl_errs_add(errs, "realm=%s: named in set realms but key %s does not exist",
					  name, key);
		else
			realmctl_errs_add(errs, "realm=%s: no such realm", name);
		return STORE_DATA;
	}
	realm = realmctl_doc_add_realm(doc, name, where, errs);
	if (!realm) {
		freeReplyObject(r);
		return STORE_DATA;
	}
	for (i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *v = r->element[i + 1];
		if (reply_str(r->element[i], field, sizeof(field)) < 0 || v->type != REDIS_REPLY_STRING)
			continue;  /* not a field of ours: too long to be one */
		if (realmctl_realm_set(realm, field, v->str, v->len, where, 0, errs) < 0)
			rc = STORE_DATA;
	}
	freeReplyObject(r);
	r = NULL;

	snprintf(key, sizeof(key), "realm:%s:lns", name);
	rc2 = smembers(ctx, key, &ids, &n_ids, errs);
	if (rc2 != STORE_OK)
		return worst(rc, rc2);
	for (i = 0; i < n_ids; i++) {
		struct realmctl_lns *lns;
		char lkey[REALM_NAME_MAX + REALM_LNS_ID_MAX + 16], lwhere[sizeof(lkey) + 8];

		if (realm_schema_check_lns_id(ids[i], err, sizeof(err)) < 0) {
			realmctl_errs_add(errs, "realm=%s lns=%s %s (at key %s)", name, ids[i], err, key);
			rc = STORE_DATA;
			continue;
		}
		snprintf(lkey, sizeof(lkey), "lns:%s:%s", name, ids[i]);
		snprintf(lwhere, sizeof(lwhere), "key %s", lkey);
		rc2 = hgetall(ctx, lkey, &r, errs);
		if (rc2 != STORE_OK) {
			rc = worst(rc, rc2);
			if (rc2 == STORE_REDIS)
				break;
			continue;
		}
		if (r->elements == 0) {
			realmctl_errs_add(errs, "realm=%s lns=%s: named in set %s but key %s does not exist",
					  name, ids[i], key, lkey);
			freeReplyObject(r);
			rc = STORE_DATA;
			continue;
		}
		lns = realmctl_realm_add_lns(realm, ids[i], lwhere, errs);
		for (j = 0; lns && j + 1 < r->elements; j += 2) {
			const redisReply *v = r->element[j + 1];
			if (reply_str(r->element[j], field, sizeof(field)) < 0 ||
			    v->type != REDIS_REPLY_STRING)
				continue;
			if (realmctl_lns_set(realm, lns, field, v->str, v->len, lwhere, 0, errs) < 0)
				rc = STORE_DATA;
		}
		freeReplyObject(r);
	}
	store_names_free(ids, n_ids);
	return rc;
}

int store_load_realm(redisContext *c, const char *name, struct realmctl_doc *doc,
		     struct realmctl_errs *errs)
{
	int rc = load_realm(c, doc, name, 0, errs);
	struct realmctl_realm *realm = realmctl_doc_find_realm(doc, name);
	char err[REALM_ERR_MAX];
	size_t i;

	if (!realm)
		return rc;
	if (realm_schema_realm_check(&realm->conf, err, sizeof(err)) < 0) {
		realmctl_errs_add(errs, "realm=%s %s (at %s)", realm->name, err, realm->where);
		rc = worst(rc, STORE_DATA);
	}
	for (i = 0; i < realm->n_lns; i++)
		if (realm_schema_lns_check(&realm->lns[i].s, err, sizeof(err)) < 0) {
			realmctl_errs_add(errs, "realm=%s lns=%s %s (at %s)", realm->name,
					  realm->lns[i].s.id, err, realm->lns[i].where);
			rc = worst(rc, STORE_DATA);
		}
	return rc;
}

/*
 * Keys realm:* and lns:* that no set refers to. A realm hash missing from the
 * `realms` set is still served by the module (the lookup does not use the
 * set), so it is read and validated like the others, in a document of its own.
 */
static int find_orphans(redisContext *ctx, const struct realmctl_doc *doc, char **set_names,
			size_t n_set, struct realmctl_errs *errs)
{
	struct realmctl_doc hidden;
	char **keys = NULL;
	size_t n = 0, i;
	int rc;

	realmctl_doc_init(&hidden);
	rc = scan_keys(ctx, "realm:*", &keys, &n, errs);
	if (rc != STORE_OK)
		return rc;
	for (i = 0; i < n; i++) {
		char name[REALM_NAME_MAX + 1];
		const char *p = keys[i] + 6, *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);

		if (colon && strcmp(colon, ":lns") != 0) {
			realmctl_errs_add(errs, "key=%s: not a key of schema 1", keys[i]);
			rc = STORE_DATA;
			continue;
		}
		if (len > REALM_NAME_MAX)
			len = REALM_NAME_MAX;
		memcpy(name, p, len);
		name[len] = '\0';
		if (bsearch(&(const char *){ name }, set_names, n_set, sizeof(*set_names), cmp_str))
			continue;
		realmctl_errs_add(errs, "realm=%s: key %s exists but the realm is not in set realms "
				  "(the module still serves it; list and export do not see it)",
				  name, keys[i]);
		rc = STORE_DATA;
		if (!colon) {
			rc = worst(rc, load_realm(ctx, &hidden, name, 0, errs));
			if (rc == STORE_REDIS)
				goto out;
		}
	}
	if (hidden.n_realms && realmctl_doc_check(&hidden, NULL, 0, errs) < 0)
		rc = worst(rc, STORE_DATA);
	store_names_free(keys, n);
	keys = NULL;
	n = 0;

	rc = worst(rc, scan_keys(ctx, "lns:*", &keys, &n, errs));
	if (rc == STORE_REDIS)
		goto out;
	for (i = 0; i < n; i++) {
		char name[REALM_NAME_MAX + 1];
		const char *p = keys[i] + 4, *colon = strchr(p, ':');
		const struct realmctl_realm *realm;
		size_t len;

		if (!colon || (size_t)(colon - p) > REALM_NAME_MAX) {
			realmctl_errs_add(errs, "key=%s: not a key of schema 1", keys[i]);
			rc = STORE_DATA;
			continue;
		}
		len = (size_t)(colon - p);
		memcpy(name, p, len);
		name[len] = '\0';
		realm = realmctl_doc_find_realm(doc, name);
		if (!realm)
			realm = realmctl_doc_find_realm(&hidden, name);
		if (!realm || !realmctl_realm_find_lns(realm, colon + 1)) {
			realmctl_errs_add(errs, "realm=%s lns=%s: key %s exists but no realm:%s:lns set "
					  "names it (the module ignores it)", name, colon + 1, keys[i], name);
			rc = STORE_DATA;
		}
	}
out:
	store_names_free(keys, n);
	realmctl_doc_free(&hidden);
	return rc;
}

int store_load(redisContext *ctx, struct realmctl_doc *doc, int orphans, struct realmctl_errs *errs)
{
	char **names = NULL, **keys = NULL;
	size_t n_names = 0, n_keys = 0, i;
	int rc, rc2;

	rc = smembers(ctx, "realms", &names, &n_names, errs);
	if (rc != STORE_OK)
		return rc;
	for (i = 0; i < n_names; i++) {
		rc = worst(rc, load_realm(ctx, doc, names[i], 1, errs));
		if (rc == STORE_REDIS)
			goto out;
	}

	rc2 = scan_keys(ctx, "dnis:*", &keys, &n_keys, errs);
	if (rc2 == STORE_REDIS) {
		rc = rc2;
		goto out;
	}
	for (i = 0; i < n_keys; i++) {
		redisReply *r;
		char where[128], realm[REALM_NAME_MAX + 1];

		rc2 = run(ctx, &r, errs, "GET", keys[i], NULL);
		if (rc2 != STORE_OK) {
			rc = worst(rc, rc2);
			if (rc2 == STORE_REDIS)
				goto out;
			continue;
		}
		if (r->type == REDIS_REPLY_STRING && reply_str(r, realm, sizeof(realm)) == 0) {
			snprintf(where, sizeof(where), "key %.100s", keys[i]);
			if (!realmctl_doc_add_dnis(doc, keys[i] + 5, realm, where, errs))
				rc = worst(rc, STORE_DATA);
		} else if (r->type == REDIS_REPLY_STRING) {
			realmctl_errs_add(errs, "dnis=%s field=realm: not a realm name (at key %s)",
					  keys[i] + 5, keys[i]);
			rc = worst(rc, STORE_DATA);
		}
		freeReplyObject(r);
	}
	if (realmctl_doc_check(doc, NULL, 0, errs) < 0)
		rc = worst(rc, STORE_DATA);

	if (orphans) {
		redisReply *r;

		rc = worst(rc, find_orphans(ctx, doc, names, n_names, errs));
		if (rc == STORE_REDIS)
			goto out;
		rc2 = run(ctx, &r, errs, "GET", REALM_SCHEMA_VERSION_KEY, NULL);
		if (rc2 != STORE_OK) {
			rc = worst(rc, rc2);
			goto out;
		}
		if (r->type == REDIS_REPLY_NIL) {
			if (n_names || n_keys) {
				realmctl_errs_add(errs, "key=%s: missing (want %s)",
						  REALM_SCHEMA_VERSION_KEY, REALM_SCHEMA_VERSION);
				rc = worst(rc, STORE_DATA);
			}
		} else if (r->type != REDIS_REPLY_STRING || strcmp(r->str, REALM_SCHEMA_VERSION) != 0) {
			realmctl_errs_add(errs, "key=%s value=\"%s\": this realmctl knows schema %s only",
					  REALM_SCHEMA_VERSION_KEY,
					  r->type == REDIS_REPLY_STRING ? r->str : "?",
					  REALM_SCHEMA_VERSION);
			rc = worst(rc, STORE_DATA);
		}
		freeReplyObject(r);
	}
out:
	store_names_free(names, n_names);
	store_names_free(keys, n_keys);
	return rc;
}

/* ---- writing ---- */

/*
 * Queued commands of one MULTI/EXEC block, and the objects it changes: each
 * gets its change notification (realm_notify.h) at the end of the same
 * block, or one "all" when there are more than NOTIFY_ONE_BY_ONE of them.
 */
#define NOTIFY_ONE_BY_ONE 64
struct batch {
	struct cmd *cmds;
	size_t      n;
	size_t      cap;
	int         oom;
	struct cmd  notes;      /* argv: kind, name, kind, name, ... */
};

static void batch_notify(struct batch *b, const char *kind, const char *name)
{
	cmd_add(&b->notes, kind);
	cmd_add(&b->notes, name);
}

static struct cmd *batch_new(struct batch *b)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		struct cmd *v = realloc(b->cmds, cap * sizeof(*v));
		if (!v) {
			b->oom = 1;
			return NULL;
		}
		b->cmds = v;
		b->cap = cap;
	}
	memset(&b->cmds[b->n], 0, sizeof(struct cmd));
	return &b->cmds[b->n++];
}

static void batch_free(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		cmd_free(&b->cmds[i]);
	free(b->cmds);
	cmd_free(&b->notes);
	memset(b, 0, sizeof(*b));
}

/*
 * Send MULTI, the batch and EXEC in one pipeline. Returns STORE_OK,
 * STORE_REDIS, or -1 when EXEC answered nil because a WATCHed key changed
 * (the caller retries).
 */
static void batch_queue_notify(struct batch *b, const char *kind, const char *name)
{
	struct cmd *c = batch_new(b);

	if (!c)
		return;
	cmd_add(c, "EVAL");
	cmd_add(c, realm_notify_script);
	cmd_add(c, "1");
	cmd_add(c, REALM_VERSION_KEY);
	cmd_add(c, REALM_NOTIFY_CHANNEL);
	cmd_add(c, kind);
	cmd_add(c, name);
}

static int batch_exec(redisContext *ctx, struct batch *b, struct realmctl_errs *errs)
{
	static const char *const multi[] = { "MULTI" }, *const exec[] = { "EXEC" };
	redisReply *r = NULL;
	size_t i, notes = (size_t)b->notes.argc / 2, plain = b->n;
	int rc = STORE_OK, failed = 0;

	if (b->notes.oom)
		b->oom = 1;
	if (notes > NOTIFY_ONE_BY_ONE) {
		batch_queue_notify(b, "all", "");
	} else {
		for (i = 0; i < notes; i++)
			batch_queue_notify(b, b->notes.argv[2 * i], b->notes.argv[2 * i + 1]);
	}
	if (b->oom) {
		realmctl_errs_add(errs, "out of memory");
		return STORE_REDIS;
	}
	for (i = 0; i < b->n; i++)
		if (b->cmds[i].oom) {
			realmctl_errs_add(errs, "out of memory");
			return STORE_REDIS;
		}
	redisAppendCommandArgv(ctx, 1, (const char **)multi, NULL);
	for (i = 0; i < b->n; i++)
		redisAppendCommandArgv(ctx, b->cmds[i].argc, (const char **)b->cmds[i].argv,
				       b->cmds[i].len);
	redisAppendCommandArgv(ctx, 1, (const char **)exec, NULL);
	/* MULTI's +OK, one +QUEUED (or an error) per command, then EXEC's reply */
	for (i = 0; i < b->n + 1; i++) {
		if (redisGetReply(ctx, (void **)&r) != REDIS_OK) {
			realmctl_errs_add(errs, "redis: %s", ctx->errstr);
			return STORE_REDIS;
		}
		if (r->type == REDIS_REPLY_ERROR && !failed) {
			realmctl_errs_add(errs, "redis: %s (command %zu of the transaction)", r->str, i);
			failed = 1;
		}
		freeReplyObject(r);
	}
	if (redisGetReply(ctx, (void **)&r) != REDIS_OK) {
		realmctl_errs_add(errs, "redis: %s", ctx->errstr);
		return STORE_REDIS;
	}
	if (r->type == REDIS_REPLY_NIL)
		rc = -1;
	else if (r->type == REDIS_REPLY_ERROR) {
		/* EXECABORT: a queued command was refused, nothing was applied */
		realmctl_errs_add(errs, "redis: %s", r->str);
		rc = STORE_REDIS;
	} else if (r->type == REDIS_REPLY_ARRAY) {
		for (i = 0; i < r->elements; i++)
			if (r->element[i]->type == REDIS_REPLY_ERROR) {
				realmctl_errs_add(errs, "redis: %s (in the transaction, after others ran)",
						  r->element[i]->str);
				rc = STORE_REDIS;
				break;
			}
	}
	if (failed && rc == STORE_OK)
		rc = STORE_REDIS;
	freeReplyObject(r);
	while (b->n > plain)
		cmd_free(&b->cmds[--b->n]);
	return rc;
}

static void queue_realm_hash(struct batch *b, const struct realmctl_realm *realm)
{
	struct cmd *c;
	char buf[REALM_REPLY_MESSAGE_MAX + 1];
	size_t i;

	if ((c = batch_new(b))) {
		cmd_add(c, "DEL");
		cmd_addf(c, "realm:%s", realm->name);
	}
	if ((c = batch_new(b))) {
		cmd_add(c, "HSET");
		cmd_addf(c, "realm:%s", realm->name);
		for (i = 0; realmctl_realm_fields[i]; i++)
			if (realmctl_realm_field_str(&realm->conf, realmctl_realm_fields[i], buf, sizeof(buf))) {
				cmd_add(c, realmctl_realm_fields[i]);
				cmd_add(c, buf);
			}
	}
	if ((c = batch_new(b))) {
		cmd_add(c, "SADD");
		cmd_add(c, "realms");
		cmd_add(c, realm->name);
	}
}

/* HDEL the provisioned fields then HSET the given ones: `sessions` survives. */
static void queue_lns_hash(struct batch *b, const char *realm, const struct realm_lns *lns)
{
	struct cmd *c;
	char buf[REALM_STRING_MAX + 1];
	size_t i;

	if ((c = batch_new(b))) {
		cmd_add(c, "HDEL");
		cmd_addf(c, "lns:%s:%s", realm, lns->id);
		for (i = 0; realmctl_lns_fields[i]; i++)
			cmd_add(c, realmctl_lns_fields[i]);
	}
	if ((c = batch_new(b))) {
		cmd_add(c, "HSET");
		cmd_addf(c, "lns:%s:%s", realm, lns->id);
		for (i = 0; realmctl_lns_fields[i]; i++)
			if (realmctl_lns_field_str(lns, realmctl_lns_fields[i], buf, sizeof(buf))) {
				cmd_add(c, realmctl_lns_fields[i]);
				cmd_add(c, buf);
			}
	}
	if ((c = batch_new(b))) {
		cmd_add(c, "SADD");
		cmd_addf(c, "realm:%s:lns", realm);
		cmd_add(c, lns->id);
	}
}

static void queue_schema(struct batch *b)
{
	struct cmd *c = batch_new(b);

	if (c) {
		cmd_add(c, "SET");
		cmd_add(c, REALM_SCHEMA_VERSION_KEY);
		cmd_add(c, REALM_SCHEMA_VERSION);
	}
}

/* Delete a realm and everything hanging off it (ids: its current LNS set). */
static void queue_realm_delete(struct batch *b, const char *name, char **ids, size_t n_ids)
{
	struct cmd *c;
	size_t i;

	if ((c = batch_new(b))) {
		cmd_add(c, "DEL");
		cmd_addf(c, "realm:%s", name);
		cmd_addf(c, "realm:%s:lns", name);
		cmd_addf(c, "realm_lns:rr:%s", name);
		for (i = 0; i < n_ids; i++)
			cmd_addf(c, "lns:%s:%s", name, ids[i]);
	}
	if ((c = batch_new(b))) {
		cmd_add(c, "SREM");
		cmd_add(c, "realms");
		cmd_add(c, name);
	}
	batch_notify(b, "realm", name);
}

static int watch(redisContext *ctx, const char *key, struct realmctl_errs *errs)
{
	redisReply *r;
	int rc = run(ctx, &r, errs, "WATCH", key, NULL);

	if (rc == STORE_OK)
		freeReplyObject(r);
	return rc;
}

static void unwatch(redisContext *ctx)
{
	redisReply *r = redisCommand(ctx, "UNWATCH");

	if (r)
		freeReplyObject(r);
}

static int in_sorted(char **names, size_t n, const char *name)
{
	return n && bsearch(&name, names, n, sizeof(*names), cmp_str) != NULL;
}

/* One attempt of store_apply_doc; -1 means "a watched key changed, retry". */
static int apply_once(redisContext *ctx, const struct realmctl_doc *doc, int replace_all,
		      struct realmctl_errs *errs)
{
	struct batch b = { 0 };
	char **names = NULL, **dnis_keys = NULL, **ids = NULL;
	size_t n_names = 0, n_dnis = 0, n_ids = 0, i, j;
	char key[REALM_NAME_MAX + 16];
	int rc;

	if ((rc = watch(ctx, "realms", errs)) != STORE_OK)
		goto out;
	if ((rc = smembers(ctx, "realms", &names, &n_names, errs)) != STORE_OK)
		goto out;
	for (i = 0; i < doc->n_dnis; i++) {
		const char *realm = doc->dnis[i].realm;
		if (!realmctl_doc_find_realm(doc, realm) &&
		    (replace_all || !in_sorted(names, n_names, realm))) {
			realmctl_errs_add(errs, "dnis=%s field=realm value=\"%s\": no such realm (at %s)",
					  doc->dnis[i].number, realm, doc->dnis[i].where);
			rc = STORE_DATA;
		}
	}
	if (rc != STORE_OK)
		goto out;

	for (i = 0; i < doc->n_realms; i++) {
		const struct realmctl_realm *realm = &doc->realms[i];

		snprintf(key, sizeof(key), "realm:%s:lns", realm->name);
		if ((rc = watch(ctx, key, errs)) != STORE_OK ||
		    (rc = smembers(ctx, key, &ids, &n_ids, errs)) != STORE_OK)
			goto out;
		queue_realm_hash(&b, realm);
		/* the LNS the document drops */
		for (j = 0; j < n_ids; j++) {
			if (!realmctl_realm_find_lns(realm, ids[j])) {
				struct cmd *c = batch_new(&b);
				if (c) {
					cmd_add(c, "DEL");
					cmd_addf(c, "lns:%s:%s", realm->name, ids[j]);
				}
			}
		}
		store_names_free(ids, n_ids);
		ids = NULL;
		n_ids = 0;
		{
			struct cmd *c = batch_new(&b);
			if (c) {
				cmd_add(c, "DEL");
				cmd_add(c, key);
			}
		}
		for (j = 0; j < realm->n_lns; j++)
			queue_lns_hash(&b, realm->name, &realm->lns[j].s);
		batch_notify(&b, "realm", realm->name);
	}
	for (i = 0; i < doc->n_dnis; i++) {
		struct cmd *c = batch_new(&b);
		if (c) {
			cmd_add(c, "SET");
			cmd_addf(c, "dnis:%s", doc->dnis[i].number);
			cmd_add(c, doc->dnis[i].realm);
		}
		batch_notify(&b, "dnis", doc->dnis[i].number);
	}
	if (replace_all) {
		for (i = 0; i < n_names; i++) {
			if (realmctl_doc_find_realm(doc, names[i]))
				continue;
			snprintf(key, sizeof(key), "realm:%s:lns", names[i]);
			if ((rc = watch(ctx, key, errs)) != STORE_OK ||
			    (rc = smembers(ctx, key, &ids, &n_ids, errs)) != STORE_OK)
				goto out;
			queue_realm_delete(&b, names[i], ids, n_ids);
			store_names_free(ids, n_ids);
			ids = NULL;
			n_ids = 0;
		}
		if ((rc = scan_keys(ctx, "dnis:*", &dnis_keys, &n_dnis, errs)) != STORE_OK)
			goto out;
		for (i = 0; i < n_dnis; i++) {
			int keep = 0;
			for (j = 0; j < doc->n_dnis && !keep; j++)
				keep = strcmp(dnis_keys[i] + 5, doc->dnis[j].number) == 0;
			if (!keep) {
				struct cmd *c;
				if ((rc = watch(ctx, dnis_keys[i], errs)) != STORE_OK)
					goto out;
				if ((c = batch_new(&b))) {
					cmd_add(c, "DEL");
					cmd_add(c, dnis_keys[i]);
				}
				batch_notify(&b, "dnis", dnis_keys[i] + 5);
			}
		}
	}
	queue_schema(&b);
	rc = batch_exec(ctx, &b, errs);
out:
	if (rc != STORE_OK && rc != -1)
		unwatch(ctx);
	batch_free(&b);
	store_names_free(names, n_names);
	store_names_free(dnis_keys, n_dnis);
	store_names_free(ids, n_ids);
	return rc;
}

int store_apply_doc(redisContext *ctx, const struct realmctl_doc *doc, int replace_all,
		    struct realmctl_errs *errs)
{
	int attempt, rc = -1;

	for (attempt = 0; attempt < 5; attempt++) {
		rc = apply_once(ctx, doc, replace_all, errs);
		if (rc != -1)
			return rc;
	}
	realmctl_errs_add(errs, "redis: the data kept changing during import (5 attempts); nothing "
			  "was written");
	return STORE_DATA;
}

/* 1 if the realm exists (in the set and its hash), 0 if not, or <0 as -rc. */
static int realm_exists(redisContext *ctx, const char *name, struct realmctl_errs *errs)
{
	redisReply *r;
	char key[REALM_NAME_MAX + 16];
	int rc, yes;

	rc = run(ctx, &r, errs, "SISMEMBER", "realms", name, NULL);
	if (rc != STORE_OK)
		return -rc;
	yes = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	if (!yes)
		return 0;
	snprintf(key, sizeof(key), "realm:%s", name);
	rc = run(ctx, &r, errs, "EXISTS", key, NULL);
	if (rc != STORE_OK)
		return -rc;
	yes = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	return yes;
}

static int lns_exists(redisContext *ctx, const char *realm, const char *id,
		      struct realmctl_errs *errs)
{
	redisReply *r;
	char key[REALM_NAME_MAX + 16];
	int rc, yes;

	snprintf(key, sizeof(key), "realm:%s:lns", realm);
	rc = run(ctx, &r, errs, "SISMEMBER", key, id, NULL);
	if (rc != STORE_OK)
		return -rc;
	yes = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	return yes;
}

int store_realm_put(redisContext *ctx, const struct realmctl_realm *realm, struct realmctl_errs *errs)
{
	struct batch b = { 0 };
	int rc;

	queue_realm_hash(&b, realm);
	queue_schema(&b);
	batch_notify(&b, "realm", realm->name);
	rc = batch_exec(ctx, &b, errs);
	batch_free(&b);
	return rc == -1 ? STORE_REDIS : rc;
}

/* DNIS numbers mapped to `realm` (sorted, malloc'ed). */
static int dnis_of_realm(redisContext *ctx, const char *realm, char ***out, size_t *n_out,
			 struct realmctl_errs *errs)
{
	char **keys = NULL, **found;
	size_t n = 0, i, k = 0;
	int rc = scan_keys(ctx, "dnis:*", &keys, &n, errs);

	*out = NULL;
	*n_out = 0;
	if (rc != STORE_OK)
		return rc;
	found = calloc(n + 1, sizeof(*found));
	if (!found) {
		store_names_free(keys, n);
		realmctl_errs_add(errs, "out of memory");
		return STORE_REDIS;
	}
	for (i = 0; i < n; i++) {
		redisReply *r;
		if (run(ctx, &r, errs, "GET", keys[i], NULL) != STORE_OK)
			continue;  /* a wrong-type key is `check`'s business */
		if (r->type == REDIS_REPLY_STRING && strcasecmp(r->str, realm) == 0 &&
		    (found[k] = strdup(keys[i] + 5)) != NULL)
			k++;
		freeReplyObject(r);
	}
	store_names_free(keys, n);
	*out = found;
	*n_out = k;
	return STORE_OK;
}

int store_realm_del(redisContext *ctx, const char *name, struct realmctl_errs *errs)
{
	struct batch b = { 0 };
	char **ids = NULL, **dnis = NULL;
	size_t n_ids = 0, n_dnis = 0, i;
	char key[REALM_NAME_MAX + 16];
	int rc, ex;

	ex = realm_exists(ctx, name, errs);
	if (ex < 0)
		return -ex;
	if (!ex) {
		realmctl_errs_add(errs, "realm=%s: no such realm", name);
		return STORE_DATA;
	}
	rc = dnis_of_realm(ctx, name, &dnis, &n_dnis, errs);
	if (rc != STORE_OK)
		return rc;
	if (n_dnis) {
		for (i = 0; i < n_dnis; i++)
			realmctl_errs_add(errs, "realm=%s: still mapped by dnis=%s (dnis unmap it first)",
					  name, dnis[i]);
		store_names_free(dnis, n_dnis);
		return STORE_DATA;
	}
	store_names_free(dnis, n_dnis);
	snprintf(key, sizeof(key), "realm:%s:lns", name);
	for (;;) {
		if ((rc = watch(ctx, key, errs)) != STORE_OK ||
		    (rc = smembers(ctx, key, &ids, &n_ids, errs)) != STORE_OK)
			break;
		queue_realm_delete(&b, name, ids, n_ids);
		rc = batch_exec(ctx, &b, errs);
		batch_free(&b);
		store_names_free(ids, n_ids);
		ids = NULL;
		n_ids = 0;
		if (rc != -1)
			break;
	}
	return rc;
}

int store_lns_put(redisContext *ctx, const char *realm, const struct realm_lns *lns,
		  struct realmctl_errs *errs)
{
	struct batch b = { 0 };
	int rc, ex;

	ex = realm_exists(ctx, realm, errs);
	if (ex < 0)
		return -ex;
	if (!ex) {
		realmctl_errs_add(errs, "realm=%s: no such realm (realm add it first)", realm);
		return STORE_DATA;
	}
	queue_lns_hash(&b, realm, lns);
	batch_notify(&b, "realm", realm);
	rc = batch_exec(ctx, &b, errs);
	batch_free(&b);
	return rc == -1 ? STORE_REDIS : rc;
}

int store_lns_del(redisContext *ctx, const char *realm, const char *id, long long *left,
		  struct realmctl_errs *errs)
{
	struct batch b = { 0 };
	struct cmd *c;
	redisReply *r;
	char key[REALM_NAME_MAX + 16];
	int rc, ex;

	ex = lns_exists(ctx, realm, id, errs);
	if (ex < 0)
		return -ex;
	if (!ex) {
		realmctl_errs_add(errs, "realm=%s lns=%s: no such LNS", realm, id);
		return STORE_DATA;
	}
	if ((c = batch_new(&b))) {
		cmd_add(c, "SREM");
		cmd_addf(c, "realm:%s:lns", realm);
		cmd_add(c, id);
	}
	if ((c = batch_new(&b))) {
		cmd_add(c, "DEL");
		cmd_addf(c, "lns:%s:%s", realm, id);
	}
	batch_notify(&b, "realm", realm);
	rc = batch_exec(ctx, &b, errs);
	batch_free(&b);
	if (rc != STORE_OK)
		return rc == -1 ? STORE_REDIS : rc;
	snprintf(key, sizeof(key), "realm:%s:lns", realm);
	*left = -1;
	if (run(ctx, &r, errs, "SCARD", key, NULL) == STORE_OK) {
		if (r->type == REDIS_REPLY_INTEGER)
			*left = r->integer;
		freeReplyObject(r);
	}
	return STORE_OK;
}

int store_lns_set_down(redisContext *ctx, const char *realm, const char *id, int down,
		       struct realmctl_errs *errs)
{
	struct batch b = { 0 };
	struct cmd *c;
	int rc, ex;

	ex = lns_exists(ctx, realm, id, errs);
	if (ex < 0)
		return -ex;
	if (!ex) {
		realmctl_errs_add(errs, "realm=%s lns=%s: no such LNS", realm, id);
		return STORE_DATA;
	}
	if ((c = batch_new(&b))) {
		cmd_add(c, "HSET");
		cmd_addf(c, "lns:%s:%s", realm, id);
		cmd_add(c, "down");
		cmd_add(c, down ? "1" : "0");
	}
	batch_notify(&b, "realm", realm);
	rc = batch_exec(ctx, &b, errs);
	batch_free(&b);
	return rc == -1 ? STORE_REDIS : rc;
}

int store_dnis_map(redisContext *ctx, const char *number, const char *realm,
		   struct realmctl_errs *errs)
{
	struct batch b = { 0 };
	struct cmd *c;
	int rc, ex;

	ex = realm_exists(ctx, realm, errs);
	if (ex < 0)
		return -ex;
	if (!ex) {
		realmctl_errs_add(errs, "dnis=%s field=realm value=\"%s\": no such realm", number, realm);
		return STORE_DATA;
	}
	if ((c = batch_new(&b))) {
		cmd_add(c, "SET");
		cmd_addf(c, "dnis:%s", number);
		cmd_add(c, realm);
	}
	batch_notify(&b, "dnis", number);
	rc = batch_exec(ctx, &b, errs);
	batch_free(&b);
	return rc == -1 ? STORE_REDIS : rc;
}

int store_dnis_unmap(redisContext *ctx, const char *number, struct realmctl_errs *errs)
{
	struct batch b = { 0 };
	struct cmd *c;
	redisReply *r;
	char key[REALMCTL_DNIS_MAX + 8];
	int rc, gone;

	snprintf(key, sizeof(key), "dnis:%s", number);
	rc = run(ctx, &r, errs, "EXISTS", key, NULL);
	if (rc != STORE_OK)
		return rc;
	gone = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	if (!gone) {
		realmctl_errs_add(errs, "dnis=%s: not mapped", number);
		return STORE_DATA;
	}
	if ((c = batch_new(&b))) {
		cmd_add(c, "DEL");
		cmd_add(c, key);
	}
	batch_notify(&b, "dnis", number);
	rc = batch_exec(ctx, &b, errs);
	batch_free(&b);
	return rc == -1 ? STORE_REDIS : rc;
}

/* ---- reconciliation of the session counts ---- */

/*
 * One LNS, atomically. KEYS[1] = lns:<realm>:<id>; ARGV[1] = fix|dry;
 * ARGV[2..] = the session keys (realm_lns:acct:<nas>/<sid>) that named this
 * LNS when realmctl scanned them. The session keys are the truth (each is
 * written by the accounting script at Start/Interim and deleted at Stop, and
 * expires with the session); the LNS's session set and its `sessions` field
 * are derived from them and are what async replication or a bug can leave
 * wrong. A set member whose session key is gone or names another LNS is
 * stale; a session key naming this LNS but missing from the set is missing.
 * Everything is re-checked here, inside the script, so accounting that ran
 * between the scan and the fix is never undone.
 * Reply: { sessions field (-1: none), live count after the fix, added, removed }.
 */
static const char reconcile_script[] =
	"local lk, fix = KEYS[1], ARGV[1] == 'fix'\n"
	"local now = tonumber(redis.call('TIME')[1])\n"
	"local z = 'realm_lns:sessions:' .. string.sub(lk, 5)\n"
	"local removed, added, top = 0, 0, 0\n"
	"local members = redis.call('ZRANGE', z, 0, -1)\n"
	"local inz = {}\n"
	"for _, m in ipairs(members) do\n"
	"  inz[m] = true\n"
	"  if redis.call('GET', m) ~= lk then\n"
	"    removed = removed + 1\n"
	"    if fix then redis.call('ZREM', z, m) end\n"
	"  end\n"
	"end\n"
	"for i = 2, #ARGV do\n"
	"  local ak = ARGV[i]\n"
	"  if not inz[ak] and redis.call('GET', ak) == lk then\n"
	"    local ttl = redis.call('TTL', ak)\n"
	"    if ttl > 0 then\n"
	"      added = added + 1\n"
	"      inz[ak] = true\n"
	"      if now + ttl > top then top = now + ttl end\n"
	"      if fix then\n"
	"        redis.call('ZADD', z, now + ttl, ak)\n"
	"        local nas, sid = string.match(ak, '^realm_lns:acct:([^/]+)/(.+)$')\n"
	"        if nas then redis.call('ZADD', 'realm_lns:nas:' .. nas, now + ttl, sid) end\n"
	"      end\n"
	"    end\n"
	"  end\n"
	"end\n"
	"local live = #members - removed + added\n"
	"local field = redis.call('HGET', lk, 'sessions')\n"
	"if fix then\n"
	"  if top > 0 then\n"
	"    local t = redis.call('ZRANGE', z, -1, -1, 'WITHSCORES')\n"
	"    if t[2] then redis.call('EXPIREAT', z, tonumber(t[2]) + 1) end\n"
	"  end\n"
	"  if redis.call('EXISTS', lk) == 1 then redis.call('HSET', lk, 'sessions', live) end\n"
	"end\n"
	"return {field and tonumber(field) or -1, live, added, removed}\n";

/* The LNS keys to look at and, per key, the session keys that name it. */
struct rec_lns {
	char   *key;
	char  **acct;
	size_t  n, cap;
};

static int rec_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rec_lns *)a)->key, ((const struct rec_lns *)b)->key);
}

static struct rec_lns *rec_find(struct rec_lns *v, size_t n, const char *key)
{
	struct rec_lns k = { .key = (char *)key };

	return n ? bsearch(&k, v, n, sizeof(*v), rec_cmp) : NULL;
}

static void rec_free(struct rec_lns *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		free(v[i].key);
		for (j = 0; j < v[i].n; j++)
			free(v[i].acct[j]);
		free(v[i].acct);
	}
	free(v);
}

int store_reconcile(redisContext *ctx, int fix, store_reconcile_fn report, void *report_ctx,
		    struct realmctl_errs *errs)
{
	char **lns_keys = NULL, **acct_keys = NULL;
	size_t n_lns = 0, n_acct = 0, i, j, n = 0;
	struct rec_lns *v = NULL;
	int rc;

	/* every LNS hash, and every LNS named by a live session key */
	if ((rc = scan_keys(ctx, "lns:*", &lns_keys, &n_lns, errs)) != STORE_OK ||
	    (rc = scan_keys(ctx, REALM_ACCT_KEY_PREFIX "*", &acct_keys, &n_acct, errs)) != STORE_OK)
		goto out;
	v = calloc(n_lns + n_acct + 1, sizeof(*v));
	if (!v) {
		realmctl_errs_add(errs, "out of memory");
		rc = STORE_REDIS;
		goto out;
	}
	for (i = 0; i < n_lns; i++) {
		v[n].key = lns_keys[i];
		lns_keys[i] = NULL;
		n++;
	}
	qsort(v, n, sizeof(*v), rec_cmp);
	for (i = 0; i < n_acct; i += 256) {
		size_t batch = n_acct - i < 256 ? n_acct - i : 256;
		for (j = 0; j < batch; j++) {
			const char *argv[2] = { "GET", acct_keys[i + j] };
			size_t len[2] = { 3, strlen(acct_keys[i + j]) };
			redisAppendCommandArgv(ctx, 2, argv, len);
		}
		for (j = 0; j < batch; j++) {
			redisReply *r = NULL;
			struct rec_lns *l;
			if (redisGetReply(ctx, (void **)&r) != REDIS_OK || !r) {
				realmctl_errs_add(errs, "redis: %s", ctx->errstr);
				rc = STORE_REDIS;
				goto out;
			}
			if (r->type == REDIS_REPLY_STRING && strncmp(r->str, "lns:", 4) == 0) {
				l = rec_find(v, n, r->str);
				if (!l) {
					/* a session on an LNS whose hash is gone: still counted in its set */
					v[n].key = strdup(r->str);
					if (!v[n].key) {
						freeReplyObject(r);
						rc = STORE_REDIS;
						goto out;
					}
					n++;
					qsort(v, n, sizeof(*v), rec_cmp);
					l = rec_find(v, n, r->str);
				}
				if (l->n == l->cap) {
					size_t cap = l->cap ? l->cap * 2 : 8;
					char **a = realloc(l->acct, cap * sizeof(*a));
					if (!a) {
						freeReplyObject(r);
						rc = STORE_REDIS;
						goto out;
					}
					l->acct = a;
					l->cap = cap;
				}
				l->acct[l->n++] = acct_keys[i + j];
				acct_keys[i + j] = NULL;
			}
			freeReplyObject(r);
		}
	}
	for (i = 0; i < n; i++) {
		struct store_reconcile_row row;
		const char **argv = malloc((v[i].n + 5) * sizeof(*argv));
		size_t *len = malloc((v[i].n + 5) * sizeof(*len));
		redisReply *r;
		int k = 0;

		if (!argv || !len) {
			free(argv);
			free(len);
			realmctl_errs_add(errs, "out of memory");
		rc = STORE_REDIS;
			goto out;
		}
		argv[k++] = "EVAL";
		argv[k++] = reconcile_script;
		argv[k++] = "1";
		argv[k++] = v[i].key;
		argv[k++] = fix ? "fix" : "dry";
		for (j = 0; j < v[i].n; j++)
			argv[k++] = v[i].acct[j];
		for (j = 0; j < (size_t)k; j++)
			len[j] = strlen(argv[j]);
		r = redisCommandArgv(ctx, k, argv, len);
		free(argv);
		free(len);
		if ((rc = reply_rc(ctx, r, v[i].key, errs)) != STORE_OK) {
			if (r)
				freeReplyObject(r);
			goto out;
		}
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 4) {
			freeReplyObject(r);
			realmctl_errs_add(errs, "redis: unexpected reconcile reply");
		rc = STORE_REDIS;
			goto out;
		}
		snprintf(row.lns, sizeof(row.lns), "%s", v[i].key + 4);
		row.field = r->element[0]->integer;
		row.live = r->element[1]->integer;
		row.added = r->element[2]->integer;
		row.removed = r->element[3]->integer;
		freeReplyObject(r);
		report(report_ctx, &row);
	}
	rc = STORE_OK;
out:
	store_names_free(lns_keys, n_lns);
	store_names_free(acct_keys, n_acct);
	rec_free(v, n);
	return rc;
}

long long store_lns_health(redisContext *ctx, const char *realm, const char *id, char *reason,
			   size_t reason_len)
{
	struct realmctl_errs errs = { 0 };
	char key[REALM_NAME_MAX + REALM_LNS_ID_MAX + 32];
	redisReply *r;
	long long until = 0;

	snprintf(reason, reason_len, "-");
	snprintf(key, sizeof(key), "realm_lns:health:%s:%s", realm, id);
	if (run(ctx, &r, &errs, "HMGET", key, "until", "reason", NULL) != STORE_OK) {
		realmctl_errs_free(&errs);
		return 0;
	}
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
		if (r->element[0]->type == REDIS_REPLY_STRING)
			until = strtoll(r->element[0]->str, NULL, 10);
		if (r->element[1]->type == REDIS_REPLY_STRING) {
			size_t i;
			snprintf(reason, reason_len, "%s", r->element[1]->str);
			for (i = 0; reason[i]; i++)     /* it came from Redis: keep the line ours */
				if ((unsigned char)reason[i] <= ' ' || (unsigned char)reason[i] > '~')
					reason[i] = '?';
		}
	}
	freeReplyObject(r);
	return until;
}
