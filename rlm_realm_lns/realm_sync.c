/*
 * realm_sync: the sync thread (see realm_sync.h). Blocking hiredis on its
 * own two connections (one subscribed, one for commands), never on a
 * worker's. Version logic in realm_notify.c, the table in realm_table.c.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <hiredis/hiredis.h>

#include "realm_notify.h"
#include "realm_sentinel.h"
#include "realm_store.h"
#include "realm_sync.h"

struct realm_sync {
	struct realm_sync_opts opts;
	struct realm_table    *table;
	pthread_t              thread;
	int                    stop;         /* __atomic */
	int                    want_resync;  /* __atomic */

	/* status: written by the sync thread, read lock-free by every request
	 * (__atomic; each field on its own, which is all a request needs) */
	pthread_mutex_t        mu;
	int                    loaded, connected;
	uint64_t               current_ms;   /* monotonic ms the table was last known current */
	uint64_t               version, resyncs, applied, errors;

	/* thread-local state */
	redisContext          *sub, *cmd;
	char                   sha[41];
	struct realm_version   ver;
	int                    outage_logged;
	char                   where[300];
	char                   refused[120]; /* why open_one refused a connection */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void logf_(struct realm_sync *s, enum realm_sync_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void logf_(struct realm_sync *s, enum realm_sync_level lvl, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!s->opts.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->opts.log(s->opts.log_ctx, lvl, line);
}

static struct timeval ms_tv(unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (long)(ms % 1000) * 1000 };
	return tv;
}

static void disconnect(struct realm_sync *s)
{
	if (s->sub)
		redisFree(s->sub);
	if (s->cmd)
		redisFree(s->cmd);
	s->sub = s->cmd = NULL;
	realm_version_reset(&s->ver);
	__atomic_store_n(&s->connected, 0, __ATOMIC_RELEASE);
}

/* The outage starts: logged once until the next successful load. */
static void outage(struct realm_sync *s, const char *why)
{
	if (!s->outage_logged)
		logf_(s, REALM_SYNC_WARN, "event=sync_redis_down redis=%s reason=\"%s\" "
		      "(the table is kept; serve_stale decides)", s->where, why);
	s->outage_logged = 1;
	__atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
	disconnect(s);
}

static redisReply *cmdv(redisContext *c, int argc, const char **argv)
{
	size_t len[8];
	int i;

	for (i = 0; i < argc && i < 8; i++)
		len[i] = strlen(argv[i]);
	return redisCommandArgv(c, argc, argv, len);
}

static redisContext *open_one(struct realm_sync *s, const char *host, int port)
{
	redisContext *c = redisConnectWithTimeout(host, port, ms_tv(s->opts.connect_timeout_ms));
	redisReply *r;

	if (!c || c->err) {
		if (c)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, ms_tv(s->opts.command_timeout_ms));
	if (s->opts.password && s->opts.password[0]) {
		const char *argv[] = { "AUTH", s->opts.password };
		r = cmdv(c, 2, argv);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			if (r)
				freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	if (s->opts.database) {
		char db[16];
		const char *argv[] = { "SELECT", db };
		snprintf(db, sizeof(db), "%u", s->opts.database);
		r = cmdv(c, 2, argv);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			if (r)
				freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	if (s->opts.check_role) {
		char why[120];
		if (realm_sentinel_check_master(c, why, sizeof(why)) != 1) {
			snprintf(s->refused, sizeof(s->refused), "%s", why);
			redisFree(c);
			return NULL;
		}
	}
	return c;
}

/* Both connections, SUBSCRIBE first (nothing published after it is missed),
 * then the load script. 0 or -1 (why in *why). */
static int connect_all(struct realm_sync *s, const char **why)
{
	char host[256];
	int port;
	redisReply *r;
	const char *sub[] = { "SUBSCRIBE", REALM_NOTIFY_CHANNEL };
	const char *load[] = { "SCRIPT", "LOAD", realm_store_load_script };

	if (s->opts.resolve(s->opts.resolve_ctx, host, sizeof(host), &port) < 0) {
		*why = "no redis address known (sentinel unreachable?)";
		return -1;
	}
	snprintf(s->where, sizeof(s->where), "%s:%d", host, port);
	s->refused[0] = '\0';
	s->sub = open_one(s, host, port);
	s->cmd = s->sub ? open_one(s, host, port) : NULL;
	if (!s->sub || !s->cmd) {
		*why = s->refused[0] ? s->refused : "cannot connect";
		return -1;
	}
	r = cmdv(s->sub, 2, sub);
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		if (r)
			freeReplyObject(r);
		*why = "SUBSCRIBE failed";
		return -1;
	}
	freeReplyObject(r);
	r = cmdv(s->cmd, 3, load);
	if (!r || r->type != REDIS_REPLY_STRING || r->len != 40) {
		if (r)
			freeReplyObject(r);
		*why = "SCRIPT LOAD failed";
		return -1;
	}
	memcpy(s->sha, r->str, 40);
	s->sha[40] = '\0';
	freeReplyObject(r);
	return 0;
}

static void warn_bad(void *ctx, const char *key, const char *msg)
{
	struct realm_sync *s = ctx;

	logf_(s, REALM_SYNC_WARN, "event=bad_data key=%s %s", key, msg);
}

/* GET realm_lns:version into *v. 0 or -1 (connection unusable). */
static int read_version(struct realm_sync *s, uint64_t *v)
{
	const char *argv[] = { "GET", REALM_VERSION_KEY };
	redisReply *r = cmdv(s->cmd, 2, argv);
	int rc = -1;

	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_NIL) {
		*v = 0;
		rc = 0;
	} else if (r->type == REDIS_REPLY_STRING) {
		rc = realm_version_parse(r->str, (size_t)r->len, v) < 0 ? -1 : 0;
		if (rc < 0) {
			logf_(s, REALM_SYNC_ERROR, "event=bad_version key=" REALM_VERSION_KEY);
			*v = 0;
			rc = 0;
		}
	}
	freeReplyObject(r);
	return rc;
}

/* Parse one load-script reply for realm `name` into table t. 0, or -1 if
 * the reply is not the script's (connection-level trouble). */
static int apply_realm_reply(struct realm_sync *s, struct realm_table *t, const char *name,
			     redisReply *r, struct realm_lookup *lk)
{
	struct realm_name rn;

	if (r->type == REDIS_REPLY_ERROR)
		return -1;
	if (realm_store_one_name(name, &rn) < 0) {
		realm_table_del_realm(t, name);
		return 0;
	}
	if (realm_store_parse(r, &rn, lk, warn_bad, s) < 0 || !lk->found) {
		/* gone, or its hash is invalid (logged): not in the table */
		realm_table_del_realm(t, name);
		return 0;
	}
	uint64_t seed = ((uint64_t)rand() << 16) ^ (uint64_t)now_ms();
	return realm_table_put_realm(t, lk, seed) < 0 ? -1 : 0;
}

/* Re-read realms names[0..n) with one pipeline into t. 0 or -1. */
static int load_realms(struct realm_sync *s, struct realm_table *t, char **names, size_t n,
		       struct realm_lookup *lk)
{
	char key[REALM_KEY_MAX + 8];
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		const char *argv[5] = { "EVALSHA", s->sha, "1", key, "64" };
		size_t len[5];
		int j;
		snprintf(key, sizeof(key), "realm:%s", names[i]);
		for (j = 0; j < 5; j++)
			len[j] = strlen(argv[j]);
		if (redisAppendCommandArgv(s->cmd, 5, argv, len) != REDIS_OK)
			return -1;
	}
	for (i = 0; i < n; i++) {
		redisReply *r = NULL;
		if (redisGetReply(s->cmd, (void **)&r) != REDIS_OK || !r)
			return -1;
		if (rc == 0 && apply_realm_reply(s, t, names[i], r, lk) < 0)
			rc = -1;
		freeReplyObject(r);
	}
	return rc;
}

/* Re-read DNIS maps numbers[0..n) with one MGET into t. 0 or -1. */
static int load_dnis(struct realm_sync *s, struct realm_table *t, char **numbers, size_t n)
{
	const char **argv = malloc((n + 1) * sizeof(*argv));
	size_t *len = malloc((n + 1) * sizeof(*len));
	char (*keys)[80] = malloc(n * sizeof(*keys));
	redisReply *r = NULL;
	size_t i;
	int rc = -1;

	if (!argv || !len || !keys)
		goto out;
	argv[0] = "MGET";
	len[0] = 4;
	for (i = 0; i < n; i++) {
		snprintf(keys[i], sizeof(keys[i]), "dnis:%s", numbers[i]);
		argv[i + 1] = keys[i];
		len[i + 1] = strlen(keys[i]);
	}
	r = redisCommandArgv(s->cmd, (int)n + 1, argv, len);
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != n)
		goto out;
	for (i = 0; i < n; i++) {
		redisReply *e = r->element[i];
		char realm[REALM_NAME_MAX + 1];
		if (e->type == REDIS_REPLY_STRING && (size_t)e->len < sizeof(realm)) {
			memcpy(realm, e->str, (size_t)e->len);
			realm[e->len] = '\0';
			if (realm_schema_check_realm_name(realm, NULL, 0) == 0) {
				realm_table_put_dnis(t, numbers[i], realm);
				continue;
			}
			logf_(s, REALM_SYNC_WARN, "event=bad_data key=dnis:%s maps to an invalid realm name",
			      numbers[i]);
		}
		realm_table_del_dnis(t, numbers[i]);
	}
	rc = 0;
out:
	if (r)
		freeReplyObject(r);
	free(argv);
	free(len);
	free(keys);
	return rc;
}

/*
 * SCAN prefix* in batches; names after the prefix (those holding ':' are
 * other keys, e.g. realm:<name>:lns) go to the batch loader. 0 or -1.
 */
static int scan_load(struct realm_sync *s, struct realm_table *t, const char *prefix, int dnis,
		     struct realm_lookup *lk, size_t *count)
{
	char cursor[32] = "0", match[16], batchs[16];
	size_t plen = strlen(prefix), cap = s->opts.batch ? s->opts.batch : 256, n = 0, i;
	char **names = calloc(cap, sizeof(char *));
	int rc = -1;

	if (!names)
		return -1;
	snprintf(match, sizeof(match), "%s*", prefix);
	snprintf(batchs, sizeof(batchs), "%zu", cap * 4);
	do {
		const char *argv[] = { "SCAN", cursor, "MATCH", match, "COUNT", batchs };
		redisReply *r = cmdv(s->cmd, 6, argv);
		if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			if (r)
				freeReplyObject(r);
			goto out;
		}
		snprintf(cursor, sizeof(cursor), "%.*s", (int)r->element[0]->len, r->element[0]->str);
		for (i = 0; i < r->element[1]->elements; i++) {
			redisReply *k = r->element[1]->element[i];
			const char *name;
			size_t nl;
			if (k->type != REDIS_REPLY_STRING || (size_t)k->len <= plen)
				continue;
			name = k->str + plen;
			nl = (size_t)k->len - plen;
			if (nl > REALM_NAME_MAX || memchr(name, '\0', nl) ||
			    (!dnis && memchr(name, ':', nl)) || (dnis && nl > 64))
				continue;
			names[n] = strndup(name, nl);
			if (!names[n]) {
				freeReplyObject(r);
				goto out;
			}
			n++;
			if (n == cap) {
				int b = dnis ? load_dnis(s, t, names, n) : load_realms(s, t, names, n, lk);
				*count += n;
				while (n)
					free(names[--n]);
				if (b < 0) {
					freeReplyObject(r);
					goto out;
				}
			}
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	if (n) {
		int b = dnis ? load_dnis(s, t, names, n) : load_realms(s, t, names, n, lk);
		*count += n;
		if (b < 0)
			goto out;
	}
	rc = 0;
out:
	while (n)
		free(names[--n]);
	free(names);
	return rc;
}

static void mark_current(struct realm_sync *s)
{
	__atomic_store_n(&s->current_ms, now_ms(), __ATOMIC_RELAXED);
	__atomic_store_n(&s->version, s->ver.version, __ATOMIC_RELAXED);
	__atomic_store_n(&s->connected, 1, __ATOMIC_RELEASE);
}

/* Everything into a fresh table, then one swap. 0 or -1. */
static int full_load(struct realm_sync *s, struct realm_lookup *lk)
{
	struct realm_table *fresh = realm_table_new();
	struct realm_table_stats st;
	uint64_t v, t0 = now_ms();
	size_t realms = 0, dnis = 0;

	if (!fresh)
		return -1;
	if (read_version(s, &v) < 0 || scan_load(s, fresh, "realm:", 0, lk, &realms) < 0 ||
	    scan_load(s, fresh, "dnis:", 1, lk, &dnis) < 0) {
		realm_table_free(fresh);
		return -1;
	}
	realm_table_swap(s->table, fresh);
	realm_table_free(fresh);
	realm_version_loaded(&s->ver, v);
	realm_table_get_stats(s->table, &st);
	__atomic_store_n(&s->want_resync, 0, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->resyncs, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&s->loaded, 1, __ATOMIC_RELEASE);
	mark_current(s);
	logf_(s, REALM_SYNC_INFO, "event=sync_loaded redis=%s version=%llu realms=%u dnis=%u ms=%llu%s",
	      s->where, (unsigned long long)v, st.realms, st.dnis,
	      (unsigned long long)(now_ms() - t0), s->outage_logged ? " (redis back)" : "");
	s->outage_logged = 0;
	return 0;
}

/* One notification message. 0, or -1 (connection trouble). */
static int on_message(struct realm_sync *s, const char *msg, size_t len, struct realm_lookup *lk)
{
	struct realm_notify n;
	enum realm_version_action a;
	char *one;

	if (realm_notify_parse(msg, len, &n) < 0) {
		logf_(s, REALM_SYNC_WARN, "event=bad_notification len=%zu (full resync)", len);
		return full_load(s, lk);
	}
	a = realm_version_on_notify(&s->ver, n.version, n.kind);
	if (a == REALM_VERSION_SKIP)
		return 0;
	if (a == REALM_VERSION_RESYNC) {
		logf_(s, REALM_SYNC_INFO, "event=sync_gap have=%llu got=%llu kind=%s (full resync)",
		      (unsigned long long)s->ver.version, (unsigned long long)n.version,
		      n.kind == REALM_NOTIFY_ALL ? "all" : "one");
		return full_load(s, lk);
	}
	one = n.name;
	if ((n.kind == REALM_NOTIFY_DNIS ? load_dnis(s, s->table, &one, 1)
					 : load_realms(s, s->table, &one, 1, lk)) < 0)
		return -1;
	__atomic_add_fetch(&s->applied, 1, __ATOMIC_RELAXED);
	mark_current(s);
	return 0;
}

/* Wait up to ms for the subscribed connection; handle what arrived.
 * 0 (nothing, or handled), -1 (connection trouble). */
static int pump(struct realm_sync *s, unsigned ms, struct realm_lookup *lk)
{
	struct pollfd p = { .fd = s->sub->fd, .events = POLLIN };
	void *reply;
	int got;

	for (;;) {
		for (;;) {
			redisReply *r;
			reply = NULL;
			if (redisGetReplyFromReader(s->sub, &reply) != REDIS_OK)
				return -1;
			if (!reply)
				break;
			r = reply;
			if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
			    r->element[0]->type == REDIS_REPLY_STRING &&
			    strcmp(r->element[0]->str, "message") == 0 &&
			    r->element[2]->type == REDIS_REPLY_STRING &&
			    on_message(s, r->element[2]->str, (size_t)r->element[2]->len, lk) < 0) {
				freeReplyObject(r);
				return -1;
			}
			freeReplyObject(r);
			ms = 0;     /* handled something: look for more without waiting */
		}
		got = poll(&p, 1, (int)ms);
		if (got < 0)
			return errno == EINTR ? 0 : -1;
		if (got == 0)
			return 0;
		if (redisBufferRead(s->sub) != REDIS_OK)
			return -1;
		ms = 0;
	}
}

static int stopping(struct realm_sync *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_RELAXED);
}

static void sleep_ms_interruptible(struct realm_sync *s, unsigned ms)
{
	while (ms && !stopping(s)) {
		unsigned step = ms > 50 ? 50 : ms;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)step * 1000000 };
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

static void *sync_main(void *arg)
{
	struct realm_sync *s = arg;
	struct realm_lookup *lk = malloc(sizeof(*lk));
	const char *why = "";

	if (!lk)
		return NULL;
	while (!stopping(s)) {
		if (connect_all(s, &why) < 0 || full_load(s, lk) < 0) {
			outage(s, why[0] ? why : "load failed");
			why = "";
			sleep_ms_interruptible(s, s->opts.retry_ms);
			continue;
		}
		while (!stopping(s)) {
			uint64_t v;
			uint64_t next = now_ms() + s->opts.poll_ms;
			while (!stopping(s) && now_ms() < next) {
				uint64_t left = next - now_ms();
				if (pump(s, (unsigned)(left > 50 ? 50 : left), lk) < 0)
					goto lost;
				if (s->opts.moved && s->opts.moved(s->opts.resolve_ctx)) {
					logf_(s, REALM_SYNC_INFO, "event=sync_master_moved redis=%s "
					      "(reconnecting to the new master)", s->where);
					disconnect(s);
					goto again;
				}
			}
			if (__atomic_load_n(&s->want_resync, __ATOMIC_RELAXED) && full_load(s, lk) < 0)
				goto lost;
			if (read_version(s, &v) < 0)
				goto lost;
			if (realm_version_on_poll(&s->ver, v) == REALM_VERSION_RESYNC) {
				logf_(s, REALM_SYNC_INFO, "event=sync_poll_gap have=%llu store=%llu (full resync)",
				      (unsigned long long)s->ver.version, (unsigned long long)v);
				if (full_load(s, lk) < 0)
					goto lost;
			} else if (v == s->ver.version) {
				mark_current(s);
			}
		}
		break;
lost:
		outage(s, "connection lost or command timeout");
		sleep_ms_interruptible(s, s->opts.retry_ms);
again:
		;
	}
	disconnect(s);
	free(lk);
	return NULL;
}

struct realm_sync *realm_sync_start(const struct realm_sync_opts *opts, struct realm_table *t)
{
	struct realm_sync *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->opts = *opts;
	if (!s->opts.poll_ms)
		s->opts.poll_ms = 200;
	if (!s->opts.retry_ms)
		s->opts.retry_ms = 500;
	s->table = t;
	pthread_mutex_init(&s->mu, NULL);
	realm_version_reset(&s->ver);
	snprintf(s->where, sizeof(s->where), "-");
	if (pthread_create(&s->thread, NULL, sync_main, s) != 0) {
		pthread_mutex_destroy(&s->mu);
		free(s);
		return NULL;
	}
	return s;
}

void realm_sync_stop(struct realm_sync *s)
{
	if (!s)
		return;
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

void realm_sync_request_resync(struct realm_sync *s)
{
	__atomic_store_n(&s->want_resync, 1, __ATOMIC_RELAXED);
}

void realm_sync_status(struct realm_sync *s, struct realm_sync_status *out)
{
	out->loaded = __atomic_load_n(&s->loaded, __ATOMIC_ACQUIRE);
	out->connected = __atomic_load_n(&s->connected, __ATOMIC_ACQUIRE);
	out->version = __atomic_load_n(&s->version, __ATOMIC_RELAXED);
	out->resyncs = __atomic_load_n(&s->resyncs, __ATOMIC_RELAXED);
	out->applied = __atomic_load_n(&s->applied, __ATOMIC_RELAXED);
	out->errors = __atomic_load_n(&s->errors, __ATOMIC_RELAXED);
	/* the clock only when it matters: while cut off */
	if (out->connected)
		out->age_ms = 0;
	else if (out->loaded)
		out->age_ms = now_ms() - __atomic_load_n(&s->current_ms, __ATOMIC_RELAXED);
	else
		out->age_ms = UINT64_MAX;
}
