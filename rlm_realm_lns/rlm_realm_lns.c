/*
 * rlm_realm_lns: FreeRADIUS 3.2 glue for the VPDN broker.
 *
 * authorize: User-Name / Called-Station-Id -> candidate keys (realm_name.c),
 * one EVALSHA round trip to Redis (realm_store.c), LNS ordering
 * (realm_select.c), then RFC 2868 tagged Tunnel-* reply attributes, one tag per
 * LNS (RFC 2868 section 3; RFC 2809 section 3 for the compulsory tunnelling
 * model). post-auth: put Message-Authenticator first in every reply (BlastRADIUS,
 * CVE-2024-3596; FreeRADIUS 3.2.1 only signs replies whose list holds one).
 * accounting: Start/Interim-Update/Stop of tunnelled sessions and
 * Accounting-On/Off keep each LNS's `sessions` exact (realm_acct.c, one
 * EVALSHA per request), which is what makes `max_sessions` caps work.
 *
 * Lookups are cached per instance for cache_ttl (realm_cache.h): a cached
 * realm costs no round trip, so the worker thread never blocks on Redis.
 *
 * Everything that needs no server lives in librealm.a; this file only adapts
 * it to FreeRADIUS: configuration, the hiredis connection pool, attributes.
 */
#include <freeradius/build.h>
RCSID("$Id$")

#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <freeradius/radiusd.h>
#include <freeradius/modules.h>
#include <hiredis/hiredis.h>

#include "realm_acct.h"
#include "realm_cache.h"
#include "realm_name.h"
#include "realm_schema.h"
#include "realm_select.h"
#include "realm_sentinel.h"
#include "realm_store.h"
#include "realm_sync.h"
#include "realm_table.h"

typedef struct rlm_realm_lns_t {
	char const              *name;                 /* instance name, for logs */
	char const              *server;
	uint32_t                 port;
	char const              *sentinel_url;         /* NULL/"": server and port */
	uint32_t                 database;
	char const              *password;
	uint32_t                 connect_timeout_ms;
	uint32_t                 command_timeout_ms;
	char const              *fail_mode;
	char const              *suffix_delimiters;
	char const              *prefix_delimiters;
	char const              *search_order;
	bool                     wildcard;
	bool                     sign_replies;
	char const              *acct_fail_mode;
	uint32_t                 acct_session_ttl;
	uint32_t                 acct_interim_interval;
	uint32_t                 acct_interim_periods;
	struct timeval           cache_ttl;
	struct timeval           cache_negative_ttl;
	uint32_t                 cache_max_entries;
	bool                     use_table;
	bool                     serve_stale;
	uint32_t                 serve_stale_max_age;
	uint32_t                 sync_poll_ms;
	uint32_t                 sync_batch;
	uint32_t                 health_hold_down;

	struct realm_sentinel   *sentinel;             /* NULL: the fixed server */
	uint64_t                 sync_gen;             /* generation the sync thread connected at */
	char                     where[600];           /* the Redis, for logs */
	struct realm_cache      *cache;                /* NULL: cache_ttl = 0 */
	struct realm_table      *table;                /* NULL: table = no */
	struct realm_sync       *sync;
	pid_t                    sync_pid;             /* the process the sync thread runs in */
	pthread_mutex_t          sync_mu;              /* restart after a fork */
	uint64_t                 acct_unrecorded;      /* __atomic: accounting not written */
	int                      stale;                /* __atomic: 1 while answering from a stale table */
	rlm_rcode_t              fail_rcode;
	rlm_rcode_t              acct_fail_rcode;
	uint32_t                 acct_ttl;              /* seconds a session counts without accounting */
	struct realm_name_opts   name_opts;
	fr_connection_pool_t    *pool;
	int                      outage;               /* 1 while Redis is unusable; __atomic */
	DICT_ATTR const         *da_realm, *da_mode, *da_match, *da_endpoints, *da_user;
} rlm_realm_lns_t;

static const CONF_PARSER module_config[] = {
	{ "server", FR_CONF_OFFSET(PW_TYPE_STRING, rlm_realm_lns_t, server), "127.0.0.1" },
	{ "port", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_realm_lns_t, port), "6379" },
	{ "sentinel", FR_CONF_OFFSET(PW_TYPE_STRING, rlm_realm_lns_t, sentinel_url), "" },
	{ "database", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_realm_lns_t, database), "0" },
	{ "password", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_SECRET, rlm_realm_lns_t, password), NULL },
	{ "connect_timeout_ms", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_realm_lns_t, connect_timeout_ms), "100" },
	{ "command_timeout_ms", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_realm_lns_t, command_timeout_ms), "100" },
	{ "fail_mode", FR_CONF_OFFSET(PW_TYPE_STRING, rlm_realm_lns_t, fail_mode), "reject" },
	{ "suffix_delimiters", FR_CONF_OFFSET(PW_TYPE_STRING, rlm_realm_lns_t, suffix_delimiters), "@" },
	{ "prefix_delimiters", FR_CONF_OFFSET(PW_TYPE_STRING, rlm_realm_lns_t, prefix_delimiters), "/\\" },
	{ "search_order", FR_CONF_OFFSET(PW_TYPE_STRING, rlm_realm_lns_t, search_order), "domain-first" },
	{ "wildcard", FR_CONF_OFFSET(PW_TYPE_BOOLEAN, rlm_realm_lns_t, wildcard), "yes" },
	{ "sign_replies", FR_CONF_OFFSET(PW_TYPE_BOOLEAN, rlm_realm_lns_t, sign_replies), "yes" },
	{ "acct_fail_mode", FR_CONF_OFFSET(PW_TYPE_STRING, rlm_realm_lns_t, acct_fail_mode), "noop" },
	{ "acct_session_ttl", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_realm_lns_t, acct_session_ttl), "7200" },
	{ "acct_interim_interval", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_realm_lns_t, acct_interim_interval), "0" },
	{ "acct_interim_periods", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_realm_lns_t, acct_interim_periods), "3" },
	{ "cache_ttl", FR_CONF_OFFSET(PW_TYPE_TIMEVAL, rlm_realm_lns_t, cache_ttl), "1.0" },
	{ "cache_negative_ttl", FR_CONF_OFFSET(PW_TYPE_TIMEVAL, rlm_realm_lns_t, cache_negative_ttl), "0.5" },
	{ "cache_max_entries", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_realm_lns_t, cache_max_entries), "10000" },
	{ "table", FR_CONF_OFFSET(PW_TYPE_BOOLEAN, rlm_realm_lns_t, use_table), "yes" },
	{ "serve_stale", FR_CONF_OFFSET(PW_TYPE_BOOLEAN, rlm_realm_lns_t, serve_stale), "yes" },
	{ "serve_stale_max_age", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_realm_lns_t, serve_stale_max_age), "600" },
	{ "sync_poll_ms", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_realm_lns_t, sync_poll_ms), "200" },
	{ "sync_batch", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_realm_lns_t, sync_batch), "256" },
	{ "health_hold_down", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_realm_lns_t, health_hold_down), "60" },
	CONF_PARSER_TERMINATOR
};

/* The Lua scripts, loaded on every connection (SCRIPT LOAD), run with EVALSHA. */
enum realm_script {
	REALM_SCRIPT_LOOKUP = 0,    /* realm_store_script */
	REALM_SCRIPT_ACCT,          /* realm_acct_script */
	REALM_SCRIPT_CAPS,          /* realm_store_caps_script */
	REALM_SCRIPT_COUNT
};

static char const *const realm_script_text[REALM_SCRIPT_COUNT] = {
	[REALM_SCRIPT_LOOKUP] = realm_store_script,
	[REALM_SCRIPT_ACCT]   = realm_acct_script,
	[REALM_SCRIPT_CAPS]   = realm_store_caps_script,
};

static char const *const realm_script_name[REALM_SCRIPT_COUNT] = {
	[REALM_SCRIPT_LOOKUP] = "lookup",
	[REALM_SCRIPT_ACCT]   = "acct",
	[REALM_SCRIPT_CAPS]   = "caps",
};

/* One pooled Redis connection; the scripts' SHA1s are learnt per connection.
 * gen: the Sentinel generation of the master it was opened to (0: no Sentinel). */
struct realm_conn {
	redisContext *ctx;
	uint64_t      gen;
	char          sha[REALM_SCRIPT_COUNT][41];
};

static int realm_conn_free(struct realm_conn *conn)
{
	if (conn->ctx)
		redisFree(conn->ctx);
	conn->ctx = NULL;
	return 0;
}

static struct timeval ms_to_tv(uint32_t ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	return tv;
}

/*
 * Mark the start or the end of an outage. Logged once per transition, not per
 * request: during an outage every request would otherwise log the same thing.
 */
static void realm_outage_begin(rlm_realm_lns_t *inst, char const *reason)
{
	if (__atomic_exchange_n(&inst->outage, 1, __ATOMIC_ACQ_REL) == 0)
		WARN("rlm_realm_lns (%s): event=redis_down server=%s fail_mode=%s reason=\"%s\"",
		     inst->name, inst->where, inst->fail_mode, reason);
}

static void realm_outage_end(rlm_realm_lns_t *inst)
{
	if (__atomic_exchange_n(&inst->outage, 0, __ATOMIC_ACQ_REL) == 1)
		INFO("rlm_realm_lns (%s): event=redis_up server=%s acct_unrecorded=%llu",
		     inst->name, inst->where,
		     (unsigned long long)__atomic_load_n(&inst->acct_unrecorded, __ATOMIC_RELAXED));
}

/* hiredis reports a socket timeout as an I/O error with strerror(EAGAIN). */
static char const *realm_conn_errstr(struct realm_conn const *conn)
{
	if (conn->ctx->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK))
		return "timeout";
	return conn->ctx->errstr;
}

/* SCRIPT LOAD one script into conn->sha[which]. 0, or -1 with the connection unusable or refused. */
static int realm_conn_load_script(rlm_realm_lns_t *inst, struct realm_conn *conn,
				  enum realm_script which)
{
	const char *argv[3] = { "SCRIPT", "LOAD", realm_script_text[which] };
	size_t argvlen[3] = { 6, 4, strlen(realm_script_text[which]) };
	redisReply *r;

	errno = 0;
	r = redisCommandArgv(conn->ctx, 3, argv, argvlen);
	if (!r) {
		realm_outage_begin(inst, realm_conn_errstr(conn));
		return -1;
	}
	if (r->type != REDIS_REPLY_STRING || r->len != 40) {
		ERROR("rlm_realm_lns (%s): event=script_load_failed script=%s reply=\"%.*s\"",
		      inst->name, realm_script_name[which], r->type == REDIS_REPLY_ERROR ? (int)r->len : 0, r->type == REDIS_REPLY_ERROR ? r->str : "");
		freeReplyObject(r);
		return -1;
	}
	memcpy(conn->sha[which], r->str, 40);
	conn->sha[which][40] = '\0';
	freeReplyObject(r);
	return 0;
}

/* Run a fixed command (AUTH, SELECT) built from argv; 0 if Redis said OK. */
static int realm_conn_simple(rlm_realm_lns_t *inst, struct realm_conn *conn, int argc,
			     const char **argv, const size_t *argvlen)
{
	redisReply *r;
	int ok;

	errno = 0;
	r = redisCommandArgv(conn->ctx, argc, argv, argvlen);
	if (!r) {
		realm_outage_begin(inst, realm_conn_errstr(conn));
		return -1;
	}
	ok = r->type == REDIS_REPLY_STATUS;
	if (!ok)
		ERROR("rlm_realm_lns (%s): event=redis_%s_failed", inst->name, argv[0]);
	freeReplyObject(r);
	return ok ? 0 : -1;
}

/*
 * fr_connection_pool create callback: connect with the connect timeout, set
 * the command timeout (SO_RCVTIMEO/SO_SNDTIMEO, so a stalled Redis costs one
 * timeout, never a stuck thread), authenticate, select, load the script.
 * Returns a talloc'd handle (freed by the pool) or NULL.
 */
static void *mod_conn_create(TALLOC_CTX *ctx, void *instance)
{
	rlm_realm_lns_t *inst = instance;
	struct realm_conn *conn;
	char db[16], host[REALM_SENTINEL_HOST_MAX + 1], why[200];
	int port = (int)inst->port;

	conn = talloc_zero(ctx, struct realm_conn);
	if (!conn)
		return NULL;
	talloc_set_destructor(conn, realm_conn_free);
	if (inst->sentinel) {
		/* the known master, or one Sentinel query within the connect timeout */
		if (realm_sentinel_get(inst->sentinel, inst->connect_timeout_ms, 0, host, sizeof(host),
				       &port, &conn->gen, why, sizeof(why)) < 0) {
			realm_outage_begin(inst, why);
			goto fail;
		}
	} else {
		snprintf(host, sizeof(host), "%s", inst->server);
	}
	conn->ctx = redisConnectWithTimeout(host, port, ms_to_tv(inst->connect_timeout_ms));
	if (!conn->ctx || conn->ctx->err) {
		realm_outage_begin(inst, conn->ctx ? conn->ctx->errstr : "out of memory");
		goto fail;
	}
	if (redisSetTimeout(conn->ctx, ms_to_tv(inst->command_timeout_ms)) != REDIS_OK) {
		realm_outage_begin(inst, "cannot set command timeout");
		goto fail;
	}
	if (inst->password && inst->password[0]) {
		const char *argv[2] = { "AUTH", inst->password };
		size_t argvlen[2] = { 4, strlen(inst->password) };
		if (realm_conn_simple(inst, conn, 2, argv, argvlen) < 0)
			goto fail;
	}
	if (inst->database) {
		const char *argv[2] = { "SELECT", db };
		size_t argvlen[2] = { 6, 0 };
		argvlen[1] = (size_t)snprintf(db, sizeof(db), "%u", inst->database);
		if (realm_conn_simple(inst, conn, 2, argv, argvlen) < 0)
			goto fail;
	}
	/* after a failover the old master comes back as a replica: writes there fail */
	if (inst->sentinel && realm_sentinel_check_master(conn->ctx, why, sizeof(why)) != 1) {
		RATE_LIMIT(WARN("rlm_realm_lns (%s): event=sentinel_not_master addr=%s:%d reason=\"%s\"",
				inst->name, host, port, why));
		realm_outage_begin(inst, why);
		goto fail;
	}
	if (realm_conn_load_script(inst, conn, REALM_SCRIPT_LOOKUP) < 0 ||
	    realm_conn_load_script(inst, conn, REALM_SCRIPT_ACCT) < 0 ||
	    realm_conn_load_script(inst, conn, REALM_SCRIPT_CAPS) < 0)
		goto fail;
	return conn;

fail:
	if (inst->sentinel)
		realm_sentinel_invalidate(inst->sentinel, conn->gen);
	talloc_free(conn);
	return NULL;
}

static void realm_store_warn(void *ctx, char const *key, char const *msg)
{
	REQUEST *request = ctx;

	/* bad provisioning repeats on every request for that realm: once a second is enough */
	RATE_LIMIT(WARN("rlm_realm_lns: event=bad_data key=%s %s", key, msg));
	RWDEBUG("bad data key=%s %s", key, msg);
}

/* A configured duration in ms; -1 if above limit_ms. */
static int64_t realm_tv_ms(struct timeval const *tv, int64_t limit_ms)
{
	int64_t ms = (int64_t)tv->tv_sec * 1000 + tv->tv_usec / 1000;

	if (tv->tv_sec < 0 || tv->tv_usec < 0 || ms > limit_ms)
		return -1;
	return ms;
}

/* CLOCK_MONOTONIC in ms: cache expiry must not jump with the wall clock. */
static uint64_t realm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The lookup cache from cache_ttl, cache_negative_ttl, cache_max_entries.
 * cache_ttl = 0 leaves inst->cache NULL: every lookup goes to Redis. The
 * limits keep "live provisioning" meaningful: a change is seen within
 * cache_ttl, and an hour is already far beyond what an operator expects.
 */
static int realm_cache_setup(CONF_SECTION *conf, rlm_realm_lns_t *inst)
{
	struct realm_cache_opts o;
	int64_t ttl = realm_tv_ms(&inst->cache_ttl, 3600 * 1000);
	int64_t neg = realm_tv_ms(&inst->cache_negative_ttl, 3600 * 1000);

	if (ttl < 0 || neg < 0) {
		cf_log_err_cs(conf, "cache_ttl and cache_negative_ttl must be 0..3600 s");
		return -1;
	}
	if (ttl == 0) {
		INFO("rlm_realm_lns (%s): event=cache_off (every lookup reads redis)", inst->name);
		return 0;
	}
	if (inst->cache_max_entries == 0 || inst->cache_max_entries > 1000000) {
		cf_log_err_cs(conf, "cache_max_entries = %u: want 1..1000000", inst->cache_max_entries);
		return -1;
	}
	if (neg > ttl)
		neg = ttl;
	o.ttl_ms = (uint32_t)ttl;
	o.negative_ttl_ms = (uint32_t)neg;
	o.max_entries = inst->cache_max_entries;
	inst->cache = realm_cache_new(&o);
	if (!inst->cache) {
		cf_log_err_cs(conf, "cannot allocate the lookup cache");
		return -1;
	}
	INFO("rlm_realm_lns (%s): event=cache_on ttl_ms=%u negative_ttl_ms=%u max_entries=%u",
	     inst->name, o.ttl_ms, o.negative_ttl_ms, o.max_entries);
	return 0;
}

/*
 * The sync thread's Redis: the configured one, or with Sentinel the master
 * the sentinels name now (asked afresh before every connect: the sync thread
 * is no worker and may wait for each sentinel in turn). Workers then find
 * the address known without asking.
 */
static int realm_sync_resolve(void *ctx, char *host, size_t hostlen, int *port)
{
	rlm_realm_lns_t *inst = ctx;
	char why[200];
	uint64_t gen;

	if (inst->sentinel) {
		unsigned n = realm_sentinel_conf(inst->sentinel)->n;
		if (realm_sentinel_get(inst->sentinel, inst->connect_timeout_ms * n, 1, host, hostlen,
				       port, &gen, why, sizeof(why)) < 0) {
			RATE_LIMIT(WARN("rlm_realm_lns (%s): event=sentinel_unavailable reason=\"%s\"",
					inst->name, why));
			return -1;
		}
		__atomic_store_n(&inst->sync_gen, gen, __ATOMIC_RELAXED);
		return 0;
	}
	if ((size_t)snprintf(host, hostlen, "%s", inst->server) >= hostlen)
		return -1;
	*port = (int)inst->port;
	return 0;
}

/* The sync thread's master was replaced (+switch-master, or a worker found it gone). */
static int realm_sync_moved(void *ctx)
{
	rlm_realm_lns_t *inst = ctx;

	return inst->sentinel &&
	       realm_sentinel_generation(inst->sentinel) != __atomic_load_n(&inst->sync_gen, __ATOMIC_RELAXED);
}

static void realm_sentinel_log(void *ctx, int warn, char const *line)
{
	rlm_realm_lns_t *inst = ctx;

	if (warn)
		WARN("rlm_realm_lns (%s): %s", inst->name, line);
	else
		INFO("rlm_realm_lns (%s): %s", inst->name, line);
}

/*
 * The `sentinel` option: parsed once, the master's credentials and database
 * from `password` and `database` only. Starts the +switch-master watcher.
 */
static int realm_sentinel_setup(CONF_SECTION *conf, rlm_realm_lns_t *inst)
{
	struct realm_sentinel_conf sc;
	char err[200];

	if (!inst->sentinel_url || !inst->sentinel_url[0]) {
		snprintf(inst->where, sizeof(inst->where), "%s:%u", inst->server, inst->port);
		return 0;
	}
	if (realm_sentinel_parse(inst->sentinel_url, &sc, err, sizeof(err)) < 0) {
		cf_log_err_cs(conf, "sentinel: %s", err);
		return -1;
	}
	if (sc.has_password || sc.db) {
		cf_log_err_cs(conf, "sentinel: give the master's password and database with "
			      "`password` and `database`, not in the URL");
		return -1;
	}
	realm_sentinel_describe(&sc, inst->where, sizeof(inst->where));
	inst->sentinel = realm_sentinel_new(&sc, inst->connect_timeout_ms, realm_sentinel_log, inst);
	if (!inst->sentinel || realm_sentinel_watch_start(inst->sentinel, 500) < 0) {
		cf_log_err_cs(conf, "sentinel: cannot start the +switch-master watcher");
		return -1;
	}
	INFO("rlm_realm_lns (%s): event=sentinel_on sentinels=%u master=%s (server and port unused)",
	     inst->name, sc.n, sc.master);
	return 0;
}

static void realm_sync_log(void *ctx, enum realm_sync_level level, char const *line)
{
	rlm_realm_lns_t *inst = ctx;

	switch (level) {
	case REALM_SYNC_ERROR:
		ERROR("rlm_realm_lns (%s): %s", inst->name, line);
		break;
	case REALM_SYNC_WARN:
		WARN("rlm_realm_lns (%s): %s", inst->name, line);
		break;
	default:
		INFO("rlm_realm_lns (%s): %s", inst->name, line);
		break;
	}
}

static int realm_sync_begin(rlm_realm_lns_t *inst)
{
	struct realm_sync_opts o = {
		.resolve = realm_sync_resolve, .moved = realm_sync_moved, .resolve_ctx = inst,
		.check_role = inst->sentinel != NULL,
		.password = inst->password, .database = inst->database,
		.connect_timeout_ms = inst->connect_timeout_ms,
		/* a full load's pipeline of sync_batch scripts takes longer than one command */
		.command_timeout_ms = inst->command_timeout_ms * 10,
		.poll_ms = inst->sync_poll_ms, .retry_ms = 500, .batch = inst->sync_batch,
		.log = realm_sync_log, .log_ctx = inst,
	};

	inst->sync = realm_sync_start(&o, inst->table);
	inst->sync_pid = getpid();
	return inst->sync ? 0 : -1;
}

/*
 * The sync thread belongs to the process that started it: if the server
 * forked after instantiate (daemon mode), the child has the table but no
 * thread. The first request of such a child starts a new one.
 */
static int realm_forked;      /* __atomic: set in a child after fork (pthread_atfork) */

static void realm_atfork_child(void);
static void realm_atfork_once(void)
{
	pthread_atfork(NULL, NULL, realm_atfork_child);
}

static void realm_atfork_child(void)
{
	__atomic_store_n(&realm_forked, 1, __ATOMIC_RELAXED);
}

static void realm_sync_check_pid(rlm_realm_lns_t *inst)
{
	pid_t me;

	/* no syscall per request: only a process that has forked looks further */
	if (!__atomic_load_n(&realm_forked, __ATOMIC_RELAXED))
		return;
	me = getpid();
	if (__atomic_load_n(&inst->sync_pid, __ATOMIC_ACQUIRE) == me)
		return;
	pthread_mutex_lock(&inst->sync_mu);
	if (inst->sync_pid != me) {
		/* the old handle's thread does not exist here: forget it, start ours */
		inst->sync = NULL;
		if (inst->sentinel && realm_sentinel_watch_restart_child(inst->sentinel, 500) < 0)
			ERROR("rlm_realm_lns (%s): event=sentinel_watch_start_failed", inst->name);
		if (realm_sync_begin(inst) < 0)
			ERROR("rlm_realm_lns (%s): event=sync_start_failed", inst->name);
	}
	pthread_mutex_unlock(&inst->sync_mu);
}

static int mod_instantiate(CONF_SECTION *conf, void *instance)
{
	rlm_realm_lns_t *inst = instance;
	enum realm_search_order order;

	inst->name = cf_section_name2(conf);
	if (!inst->name)
		inst->name = cf_section_name1(conf);

	if (strcmp(inst->fail_mode, "reject") == 0) {
		inst->fail_rcode = RLM_MODULE_REJECT;
	} else if (strcmp(inst->fail_mode, "noop") == 0) {
		inst->fail_rcode = RLM_MODULE_NOOP;
	} else {
		cf_log_err_cs(conf, "fail_mode = \"%s\": want reject or noop", inst->fail_mode);
		return -1;
	}
	if (strcmp(inst->acct_fail_mode, "noop") == 0) {
		inst->acct_fail_rcode = RLM_MODULE_NOOP;
	} else if (strcmp(inst->acct_fail_mode, "fail") == 0) {
		inst->acct_fail_rcode = RLM_MODULE_FAIL;
	} else {
		cf_log_err_cs(conf, "acct_fail_mode = \"%s\": want noop or fail", inst->acct_fail_mode);
		return -1;
	}
	if (inst->acct_interim_interval) {
		if (inst->acct_interim_periods == 0 ||
		    (uint64_t)inst->acct_interim_interval * inst->acct_interim_periods > REALM_ACCT_TTL_MAX) {
			cf_log_err_cs(conf, "acct_interim_interval x acct_interim_periods must be 1..%u s",
				      REALM_ACCT_TTL_MAX);
			return -1;
		}
		inst->acct_ttl = inst->acct_interim_interval * inst->acct_interim_periods;
	} else {
		if (inst->acct_session_ttl == 0 || inst->acct_session_ttl > REALM_ACCT_TTL_MAX) {
			cf_log_err_cs(conf, "acct_session_ttl = %u: want 1..%u s", inst->acct_session_ttl,
				      REALM_ACCT_TTL_MAX);
			return -1;
		}
		inst->acct_ttl = inst->acct_session_ttl;
	}
	if (realm_search_order_parse(inst->search_order, &order) < 0) {
		cf_log_err_cs(conf, "search_order = \"%s\": want domain-first, dnis-first, "
			      "domain-only or dnis-only", inst->search_order);
		return -1;
	}
	if (inst->port == 0 || inst->port > 65535) {
		cf_log_err_cs(conf, "port = %u: want 1..65535", inst->port);
		return -1;
	}
	if (inst->connect_timeout_ms == 0 || inst->command_timeout_ms == 0) {
		cf_log_err_cs(conf, "connect_timeout_ms and command_timeout_ms must be > 0");
		return -1;
	}
	if (realm_sentinel_setup(conf, inst) < 0)
		return -1;
	inst->name_opts.suffix_delimiters = inst->suffix_delimiters;
	inst->name_opts.prefix_delimiters = inst->prefix_delimiters;
	inst->name_opts.order = order;
	inst->name_opts.wildcard = inst->wildcard ? 1 : 0;

	inst->da_realm = dict_attrbyname("Realm-LNS-Realm");
	inst->da_mode = dict_attrbyname("Realm-LNS-Mode");
	inst->da_match = dict_attrbyname("Realm-LNS-Match");
	inst->da_endpoints = dict_attrbyname("Realm-LNS-Endpoints");
	inst->da_user = dict_attrbyname("Realm-LNS-User");
	if (!inst->da_realm || !inst->da_mode || !inst->da_match || !inst->da_endpoints ||
	    !inst->da_user) {
		cf_log_err_cs(conf, "Realm-LNS-* attributes unknown: $INCLUDE dictionary.realm_lns "
			      "from the server's dictionary");
		return -1;
	}

	if (inst->use_table) {
		if (inst->sync_poll_ms < 10 || inst->sync_poll_ms > 10000 || inst->sync_batch == 0 ||
		    inst->sync_batch > 10000) {
			cf_log_err_cs(conf, "sync_poll_ms must be 10..10000 and sync_batch 1..10000");
			return -1;
		}
		if (inst->serve_stale && inst->serve_stale_max_age == 0) {
			cf_log_err_cs(conf, "serve_stale_max_age must be > 0 (or serve_stale = no)");
			return -1;
		}
		static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

		inst->table = realm_table_new();
		pthread_mutex_init(&inst->sync_mu, NULL);
		pthread_once(&atfork_once, realm_atfork_once);
		if (!inst->table || realm_sync_begin(inst) < 0) {
			cf_log_err_cs(conf, "cannot create the realm table or its sync thread");
			return -1;
		}
		INFO("rlm_realm_lns (%s): event=table_on serve_stale=%s max_age_s=%u poll_ms=%u "
		     "(cache_ttl unused)", inst->name, inst->serve_stale ? "yes" : "no",
		     inst->serve_stale_max_age, inst->sync_poll_ms);
	} else if (realm_cache_setup(conf, inst) < 0) {
		return -1;
	}

	inst->pool = fr_connection_pool_module_init(conf, inst, mod_conn_create, NULL, NULL);
	if (!inst->pool)
		return -1;
	return 0;
}

static int mod_detach(void *instance)
{
	rlm_realm_lns_t *inst = instance;

	if (inst->table) {
		struct realm_table_stats st;

		if (inst->sync_pid == getpid())
			realm_sync_stop(inst->sync);
		inst->sync = NULL;
		realm_table_get_stats(inst->table, &st);
		INFO("rlm_realm_lns (%s): event=table_stats realms=%u dnis=%u lookups=%llu hits=%llu",
		     inst->name, st.realms, st.dnis, (unsigned long long)st.lookups,
		     (unsigned long long)st.hits);
		realm_table_free(inst->table);
		inst->table = NULL;
		pthread_mutex_destroy(&inst->sync_mu);
	}
	fr_connection_pool_free(inst->pool);
	if (inst->sentinel) {
		realm_sentinel_free(inst->sentinel);
		inst->sentinel = NULL;
	}
	if (inst->cache) {
		struct realm_cache_stats st;

		realm_cache_get_stats(inst->cache, &st);
		INFO("rlm_realm_lns (%s): event=cache_stats hits=%llu misses=%llu inserts=%llu "
		     "expired=%llu evicted=%llu entries=%u", inst->name,
		     (unsigned long long)st.hits, (unsigned long long)st.misses,
		     (unsigned long long)st.inserts, (unsigned long long)st.expired,
		     (unsigned long long)st.evicted, st.entries);
		realm_cache_free(inst->cache);
		inst->cache = NULL;
	}
	return 0;
}

/* Add one integer or string attribute with a tag (0: untagged) to a list. */
static int realm_vp_add_int(TALLOC_CTX *ctx, VALUE_PAIR **list, unsigned attr, int8_t tag, uint32_t value)
{
	VALUE_PAIR *vp = fr_pair_afrom_num(ctx, attr, 0);

	if (!vp)
		return -1;
	vp->tag = tag;
	vp->vp_integer = value;
	fr_pair_add(list, vp);
	return 0;
}

static int realm_vp_add_str(TALLOC_CTX *ctx, VALUE_PAIR **list, unsigned attr, int8_t tag,
			    char const *value, size_t len)
{
	VALUE_PAIR *vp = fr_pair_afrom_num(ctx, attr, 0);

	if (!vp)
		return -1;
	vp->tag = tag;
	fr_pair_value_bstrncpy(vp, value, len);
	fr_pair_add(list, vp);
	return 0;
}

static int realm_control_str(REQUEST *request, DICT_ATTR const *da, char const *value)
{
	VALUE_PAIR *vp = fr_pair_afrom_da(request, da);

	if (!vp)
		return -1;
	fr_pair_value_strcpy(vp, value);
	vp->op = T_OP_SET;
	fr_pair_replace(&request->config, vp);
	return 0;
}

static int realm_control_int(REQUEST *request, DICT_ATTR const *da, uint32_t value)
{
	VALUE_PAIR *vp = fr_pair_afrom_da(request, da);

	if (!vp)
		return -1;
	vp->vp_integer = value;
	vp->op = T_OP_SET;
	fr_pair_replace(&request->config, vp);
	return 0;
}

/*
 * The reply for a tunnel realm: per chosen LNS, tag = position + 1, the
 * RFC 2868 attributes it has (3.1 Tunnel-Type, 3.2 Tunnel-Medium-Type, 3.4
 * Tunnel-Server-Endpoint, 3.5 Tunnel-Password, 3.7 Tunnel-Assignment-Id,
 * 3.8 Tunnel-Preference, 3.9/3.10 Tunnel-Client/Server-Auth-Id). The
 * preference sent is the stored one, so a LAC that re-sorts by it agrees with
 * our order except within equal values, which we shuffled on purpose.
 */
static int realm_reply_tunnel(rlm_realm_lns_t *inst, REQUEST *request,
			      struct realm_lookup const *lk, unsigned const *order, unsigned n)
{
	RADIUS_PACKET *reply = request->reply;
	char endpoints[1024];
	size_t used = 0;
	unsigned i;

	endpoints[0] = '\0';
	for (i = 0; i < n; i++) {
		struct realm_lns const *l = &lk->lns[order[i]];
		int8_t tag = (int8_t)(i + 1);
		char ep[INET6_ADDRSTRLEN + 8];
		int w, eplen = realm_endpoint_format(&l->endpoint, ep, sizeof(ep));

		if (eplen < 0)
			return -1;
		if (realm_vp_add_int(reply, &reply->vps, PW_TUNNEL_TYPE, tag, 3) < 0 ||  /* L2TP */
		    realm_vp_add_int(reply, &reply->vps, PW_TUNNEL_MEDIUM_TYPE, tag,
				     l->endpoint.family == AF_INET6 ? 2 : 1) < 0 ||
		    realm_vp_add_str(reply, &reply->vps, PW_TUNNEL_SERVER_ENDPOINT, tag,
				     ep, (size_t)eplen) < 0 ||
		    realm_vp_add_str(reply, &reply->vps, PW_TUNNEL_PASSWORD, tag,
				     l->secret, l->secret_len) < 0 ||
		    realm_vp_add_int(reply, &reply->vps, PW_TUNNEL_PREFERENCE, tag, l->preference) < 0)
			return -1;
		if (l->assignment_id[0] &&
		    realm_vp_add_str(reply, &reply->vps, PW_TUNNEL_ASSIGNMENT_ID, tag,
				     l->assignment_id, strlen(l->assignment_id)) < 0)
			return -1;
		if (lk->conf.client_auth_id[0] &&
		    realm_vp_add_str(reply, &reply->vps, PW_TUNNEL_CLIENT_AUTH_ID, tag,
				     lk->conf.client_auth_id, strlen(lk->conf.client_auth_id)) < 0)
			return -1;
		if (l->server_auth_id[0] &&
		    realm_vp_add_str(reply, &reply->vps, PW_TUNNEL_SERVER_AUTH_ID, tag,
				     l->server_auth_id, strlen(l->server_auth_id)) < 0)
			return -1;
		w = snprintf(endpoints + used, sizeof(endpoints) - used, "%s%u:%s=%s",
			     i ? "," : "", i + 1, l->id, ep);
		if (w > 0 && (size_t)w < sizeof(endpoints) - used)
			used += (size_t)w;
		RDEBUG2("tag=%u lns=%s endpoint=%s preference=%u weight=%u", i + 1, l->id,
			ep, l->preference, l->weight);
	}
	/* The realm wants its LNS to see the subscriber's access line (RFC 5515
	 * AVPs in the ICRQ): the LAC's per-realm switch, named as Cisco names
	 * the VPDN feature (lac-core's [pppoe] access_line_l2tp = realm). */
	if (lk->conf.access_line_forwarding) {
		VALUE_PAIR *vp = fr_pair_afrom_num(reply, 1, 9);        /* Cisco-AVPair */

		if (!vp)
			return -1;
		fr_pair_value_strcpy(vp, "vpdn:dsl-line-info-forwarding=1");
		fr_pair_add(&reply->vps, vp);
	}
	/* RFC 2869 5.16: how often the LAC sends Interim-Updates, which keep the
	 * session counted (acct_ttl is a few of these periods) */
	if (inst->acct_interim_interval &&
	    realm_vp_add_int(reply, &reply->vps, PW_ACCT_INTERIM_INTERVAL, 0,
			     inst->acct_interim_interval) < 0)
		return -1;
	return realm_control_str(request, inst->da_endpoints, endpoints);
}

/* Redis unusable for this request: the configured answer. */
static rlm_rcode_t realm_fail(rlm_realm_lns_t *inst, REQUEST *request, char const *reason)
{
	realm_outage_begin(inst, reason);
	RWDEBUG("realm lookup unavailable (%s): fail_mode=%s", reason, inst->fail_mode);
	return inst->fail_rcode;
}

/*
 * Builds a script's EVALSHA argv for the SHA1 it is given (the SHA1 is only
 * known per connection and may change after a reload). Returns argc or -1.
 */
typedef int (*realm_argv_fn)(void *ctx, char const *sha, char const **argv, size_t *argvlen,
			     int argv_cap);

#define REALM_ARGV_CAP  (REALM_CANDIDATES_MAX + 12)

/*
 * Run one script on a pooled connection. Returns the reply (caller frees) or
 * NULL, with *why saying why (the caller applies its fail mode). A connection
 * that failed is closed (a stale one after a Redis restart is replaced once
 * and the command retried); after a timeout it is closed without retry, so a
 * slow Redis costs at most one timeout per request. NOSCRIPT (SCRIPT FLUSH, a
 * Redis restart under the same connection) reloads the script and retries.
 */
static redisReply *realm_script_run(rlm_realm_lns_t *inst, enum realm_script which,
				    realm_argv_fn build, void *build_ctx, char const **why)
{
	struct realm_conn *conn;
	char const *argv[REALM_ARGV_CAP];
	size_t argvlen[REALM_ARGV_CAP];
	redisReply *r = NULL;
	int attempt, argc;

	conn = fr_connection_get(inst->pool);
	if (!conn) {
		*why = "no connection to redis";
		return NULL;
	}
	if (inst->sentinel && conn->gen != realm_sentinel_generation(inst->sentinel)) {
		/* opened to a master Sentinel has since replaced */
		conn = fr_connection_reconnect(inst->pool, conn);
		if (!conn) {
			*why = "cannot connect to the new master";
			return NULL;
		}
	}
	*why = "script retries exhausted";
	for (attempt = 0; attempt < 3; attempt++) {
		argc = build(build_ctx, conn->sha[which], argv, argvlen, REALM_ARGV_CAP);
		if (argc < 0) {
			*why = "cannot build the script command";
			break;
		}
		errno = 0;
		r = redisCommandArgv(conn->ctx, argc, argv, argvlen);
		if (!r) {
			int timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
			*why = timed_out ? "redis command timeout" : "redis connection error";
			if (inst->sentinel)
				realm_sentinel_invalidate(inst->sentinel, conn->gen);
			if (timed_out || attempt > 0) {
				fr_connection_close(inst->pool, conn, *why);
				return NULL;
			}
			conn = fr_connection_reconnect(inst->pool, conn);
			if (!conn)
				return NULL;
			continue;
		}
		if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "READONLY", 8) == 0) {
			/* a replica now (failover): ask Sentinel again, retry once on the master */
			freeReplyObject(r);
			r = NULL;
			*why = "redis is a read-only replica (failover?)";
			if (inst->sentinel)
				realm_sentinel_invalidate(inst->sentinel, conn->gen);
			if (attempt > 0) {
				fr_connection_close(inst->pool, conn, *why);
				return NULL;
			}
			conn = fr_connection_reconnect(inst->pool, conn);
			if (!conn)
				return NULL;
			continue;
		}
		if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
			freeReplyObject(r);
			r = NULL;
			if (realm_conn_load_script(inst, conn, which) < 0) {
				*why = "cannot load the script";
				fr_connection_close(inst->pool, conn, *why);
				return NULL;
			}
			continue;
		}
		break;
	}
	if (r && r->type == REDIS_REPLY_ERROR) {
		RATE_LIMIT(ERROR("rlm_realm_lns (%s): event=script_error script=%s reply=\"%.*s\"",
				 inst->name, realm_script_name[which],
				 (int)(r->len > 200 ? 200 : r->len), r->str));
		freeReplyObject(r);
		r = NULL;
		*why = "redis script error";
	}
	fr_connection_release(inst->pool, conn);
	return r;
}

struct realm_lookup_args {
	struct realm_name const *rn;
	char                     keybuf[16 + REALM_CANDIDATES_MAX * REALM_KEY_MAX];
};

static int realm_lookup_argv(void *ctx, char const *sha, char const **argv, size_t *argvlen,
			     int argv_cap)
{
	struct realm_lookup_args *a = ctx;

	return realm_store_argv(a->rn, sha, a->keybuf, sizeof(a->keybuf), argv, argvlen, argv_cap);
}

/* The lookup script for rn; see realm_script_run. */
static redisReply *realm_lookup_run(rlm_realm_lns_t *inst, struct realm_name const *rn,
				    char const **why)
{
	struct realm_lookup_args a;

	a.rn = rn;
	return realm_script_run(inst, REALM_SCRIPT_LOOKUP, realm_lookup_argv, &a, why);
}

/*
 * The lookup for rn into *lk: from the cache when it holds a live entry,
 * else one round trip to Redis, whose valid result (found or not) is then
 * cached. Returns 0; or -1 with *why set (Redis unusable: fail_mode) or
 * *why NULL (the realm's data is invalid; never cached, so a fix is seen at
 * once).
 */
static int realm_lookup_cached(rlm_realm_lns_t *inst, REQUEST *request,
			       struct realm_name const *rn, struct realm_lookup *lk,
			       char const **why)
{
	char key[REALM_CACHE_KEY_MAX];
	int klen = -1;
	uint64_t asked_ms = 0;
	redisReply *r;

	if (inst->cache) {
		/* taken before the round trip: data read after it is at least this
		 * new, so an entry never outlives a change by more than cache_ttl */
		asked_ms = realm_now_ms();
		klen = realm_cache_key(rn, key, sizeof(key));
		if (klen > 0 && realm_cache_get(inst->cache, key, (size_t)klen, asked_ms, lk)) {
			RDEBUG2("lookup from cache");
			return 0;
		}
	}
	r = realm_lookup_run(inst, rn, why);
	if (!r)
		return -1;
	realm_outage_end(inst);
	*why = NULL;
	if (realm_store_parse(r, rn, lk, realm_store_warn, request) < 0) {
		freeReplyObject(r);
		return -1;
	}
	freeReplyObject(r);
	if (klen > 0)
		realm_cache_put(inst->cache, key, (size_t)klen, asked_ms, lk);
	return 0;
}

struct realm_caps_args {
	unsigned n;
	char     keys[REALM_STORE_LNS_MAX][REALM_ACCT_LNS_KEY_MAX + 1];
	char     numkeys[8];
};

static int realm_caps_argv(void *ctx, char const *sha, char const **argv, size_t *argvlen,
			   int argv_cap)
{
	struct realm_caps_args *a = ctx;
	unsigned i;
	int argc = 0;

	if (argv_cap < (int)a->n + 3)
		return -1;
	argv[argc] = "EVALSHA";
	argvlen[argc++] = 7;
	argv[argc] = sha;
	argvlen[argc++] = strlen(sha);
	argvlen[argc] = (size_t)snprintf(a->numkeys, sizeof(a->numkeys), "%u", a->n);
	argv[argc++] = a->numkeys;
	for (i = 0; i < a->n; i++) {
		argv[argc] = a->keys[i];
		argvlen[argc++] = strlen(a->keys[i]);
	}
	return argc;
}

/*
 * The exact check of capped LNS: the table's `sessions` is only a snapshot,
 * so an LNS with max_sessions (and not down) gets its live count from its
 * session set in one round trip (realm_store_caps_script; uncapped realms
 * never pay for it). The cap can then only be passed by calls accepted but
 * not yet started (their Accounting-Start not yet counted): the calls in
 * flight. Returns 0, or -1 with *why (Redis unusable and no serve_stale: the
 * caller applies fail_mode); with serve_stale the snapshot's counts are used.
 */
static int realm_caps_live(rlm_realm_lns_t *inst, REQUEST *request, struct realm_lookup *lk,
			   char const **why)
{
	struct realm_caps_args *a;
	unsigned idx[REALM_STORE_LNS_MAX], i;
	redisReply *r;

	a = talloc(request, struct realm_caps_args);
	if (!a) {
		*why = "out of memory";
		return -1;
	}
	a->n = 0;
	for (i = 0; i < lk->n_lns; i++) {
		if (!lk->lns[i].max_sessions || lk->lns[i].down)
			continue;
		snprintf(a->keys[a->n], sizeof(a->keys[a->n]), "lns:%s:%s", lk->realm, lk->lns[i].id);
		idx[a->n++] = i;
	}
	if (a->n == 0) {
		talloc_free(a);
		return 0;
	}
	r = realm_script_run(inst, REALM_SCRIPT_CAPS, realm_caps_argv, a, why);
	if (!r) {
		talloc_free(a);
		if (inst->serve_stale) {
			RWDEBUG("live session counts unavailable (%s): using the table's", *why);
			return 0;
		}
		return -1;
	}
	if (r->type == REDIS_REPLY_ARRAY && r->elements == a->n) {
		for (i = 0; i < a->n; i++) {
			if (r->element[i]->type == REDIS_REPLY_INTEGER && r->element[i]->integer >= 0)
				lk->lns[idx[i]].sessions = r->element[i]->integer > UINT32_MAX ?
					UINT32_MAX : (uint32_t)r->element[i]->integer;
			RDEBUG2("lns=%s sessions=%u max_sessions=%u (live)", lk->lns[idx[i]].id,
				lk->lns[idx[i]].sessions, lk->lns[idx[i]].max_sessions);
		}
	}
	freeReplyObject(r);
	talloc_free(a);
	return 0;
}

/*
 * The lookup from the realm table (table = yes): no round trip unless the
 * realm has capped LNS. While the sync thread cannot reach Redis the table
 * is answered from if serve_stale allows (and for at most
 * serve_stale_max_age since it was last known current), logged once when
 * that starts and once when the table is current again. Returns 0, or -1
 * with *why (the caller applies fail_mode).
 */
static int realm_lookup_table(rlm_realm_lns_t *inst, REQUEST *request,
			      struct realm_name const *rn, struct realm_lookup *lk, char const **why)
{
	struct realm_sync_status st;

	realm_sync_check_pid(inst);
	if (!inst->sync) {
		*why = "realm table has no sync thread";
		return -1;
	}
	realm_sync_status(inst->sync, &st);
	if (!st.loaded) {
		*why = "realm table not loaded yet (redis unreachable since start)";
		return -1;
	}
	if (!st.connected) {
		if (!inst->serve_stale) {
			*why = "redis unreachable (serve_stale = no)";
			return -1;
		}
		if (st.age_ms > (uint64_t)inst->serve_stale_max_age * 1000) {
			*why = "redis unreachable for longer than serve_stale_max_age";
			return -1;
		}
		if (__atomic_exchange_n(&inst->stale, 1, __ATOMIC_ACQ_REL) == 0)
			WARN("rlm_realm_lns (%s): event=serving_stale version=%llu age_ms=%llu "
			     "max_age_s=%u", inst->name, (unsigned long long)st.version,
			     (unsigned long long)st.age_ms, inst->serve_stale_max_age);
		RDEBUG2("answering from the realm table, %llu ms stale", (unsigned long long)st.age_ms);
	} else if (__atomic_exchange_n(&inst->stale, 0, __ATOMIC_ACQ_REL) == 1) {
		INFO("rlm_realm_lns (%s): event=table_current version=%llu", inst->name,
		     (unsigned long long)st.version);
	}
	realm_table_lookup(inst->table, rn, lk);
	if (lk->found && realm_caps_live(inst, request, lk, why) < 0)
		return -1;
	*why = NULL;
	return 0;
}

/* LNS in their health hold-down (policy/REDIS-SCHEMA.md, "LNS health") are
 * left out of this reply as if down. */
static void realm_apply_health(REQUEST *request, struct realm_lookup *lk)
{
	uint32_t now = (uint32_t)time(NULL);
	unsigned i;

	for (i = 0; i < lk->n_lns; i++) {
		if (lk->lns[i].unhealthy_until > now && !lk->lns[i].down) {
			RDEBUG2("lns=%s unhealthy for %u s more: left out", lk->lns[i].id,
				lk->lns[i].unhealthy_until - now);
			lk->lns[i].down = 1;
		}
	}
}

static rlm_rcode_t CC_HINT(nonnull) mod_authorize(void *instance, REQUEST *request)
{
	rlm_realm_lns_t *inst = instance;
	VALUE_PAIR *user = fr_pair_find_by_num(request->packet->vps, PW_USER_NAME, 0, TAG_ANY);
	VALUE_PAIR *dnis = fr_pair_find_by_num(request->packet->vps, PW_CALLED_STATION_ID, 0, TAG_ANY);
	struct realm_name rn;
	struct realm_lookup *lk;
	char const *why = "";
	unsigned order[REALM_STORE_LNS_MAX], n;
	uint64_t seed;
	rlm_rcode_t rcode;

	{	/* install (issue 13): health line, at most one a minute while requests come:
		 * requests seen by authorize, cache counters, Redis state (per process) */
		static uint64_t requests, last_ms;
		uint64_t now = realm_now_ms(), prev = __atomic_load_n(&last_ms, __ATOMIC_RELAXED);
		uint64_t nreq = __atomic_add_fetch(&requests, 1, __ATOMIC_RELAXED);
		if ((prev == 0 || now - prev >= 60000) &&
		    __atomic_compare_exchange_n(&last_ms, &prev, now, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			struct realm_cache_stats st = { 0 };
			if (inst->cache)
				realm_cache_get_stats(inst->cache, &st);
			INFO("rlm_realm_lns (%s): event=stats requests=%llu cache_hits=%llu cache_misses=%llu "
			     "cache_entries=%u cache_evicted=%llu redis=%s", inst->name, (unsigned long long)nreq,
			     (unsigned long long)st.hits, (unsigned long long)st.misses, st.entries,
			     (unsigned long long)st.evicted, __atomic_load_n(&inst->outage, __ATOMIC_ACQUIRE) ? "down" : "up");
		}
	}
	if (!realm_name_parse(&inst->name_opts, user ? user->vp_strvalue : NULL, user ? user->vp_length : 0,
			      dnis ? dnis->vp_strvalue : NULL, dnis ? dnis->vp_length : 0, &rn)) {
		RDEBUG2("no realm in User-Name and no usable Called-Station-Id");
		return RLM_MODULE_NOOP;
	}
	lk = talloc(request, struct realm_lookup);
	if (!lk)
		return RLM_MODULE_FAIL;
	if ((inst->table ? realm_lookup_table(inst, request, &rn, lk, &why)
			 : realm_lookup_cached(inst, request, &rn, lk, &why)) < 0) {
		talloc_free(lk);
		if (why)
			return realm_fail(inst, request, why);
		/* the realm exists but is unusable: the same answer as an outage of it */
		RWDEBUG("realm data invalid: fail_mode=%s", inst->fail_mode);
		return inst->fail_rcode;
	}
	if (!lk->found) {
		RDEBUG2("no realm found for %s%s%s", rn.realm[0] ? rn.realm : "",
			rn.realm[0] && rn.dnis[0] ? " / dnis " : "", rn.dnis);
		talloc_free(lk);
		return RLM_MODULE_NOOP;
	}

	realm_apply_health(request, lk);
	RDEBUG("realm=%s match=%s mode=%s policy=%s lns=%u bad=%u", lk->realm,
	       realm_candidate_kind_str(rn.cand[lk->matched].kind), realm_mode_str(lk->conf.mode),
	       realm_policy_str(lk->conf.policy), lk->n_lns, lk->n_bad);
	realm_control_str(request, inst->da_realm, lk->realm);
	realm_control_int(request, inst->da_mode, (uint32_t)lk->conf.mode + 1);
	realm_control_int(request, inst->da_match, (uint32_t)rn.cand[lk->matched].kind + 1);
	if (user && rn.user_len && rn.user_off + rn.user_len <= user->vp_length) {
		char ubuf[256];
		size_t ul = rn.user_len < sizeof(ubuf) - 1 ? rn.user_len : sizeof(ubuf) - 1;
		memcpy(ubuf, user->vp_strvalue + rn.user_off, ul);
		ubuf[ul] = '\0';
		realm_control_str(request, inst->da_user, ubuf);
	}

	switch (lk->conf.mode) {
	case REALM_MODE_REJECT:
		if (lk->conf.reply_message[0])
			realm_vp_add_str(request->reply, &request->reply->vps, PW_REPLY_MESSAGE, 0,
					 lk->conf.reply_message, strlen(lk->conf.reply_message));
		rcode = RLM_MODULE_REJECT;
		break;

	case REALM_MODE_LOCAL:
		/* the carrier's own AAA decides; we only labelled the request */
		rcode = RLM_MODULE_NOOP;
		break;

	case REALM_MODE_TUNNEL:
	default:
		seed = ((uint64_t)fr_rand() << 32) | fr_rand();
		n = realm_select(lk->lns, lk->n_lns, lk->conf.policy, lk->conf.max_endpoints,
				 lk->rr_counter, realm_rand_splitmix, &seed, order);
		if (n == 0) {
			RWARN("realm=%s event=no_lns_available lns=%u bad=%u", lk->realm, lk->n_lns,
			      lk->n_bad);
			rcode = RLM_MODULE_REJECT;
			break;
		}
		if (realm_reply_tunnel(inst, request, lk, order, n) < 0) {
			rcode = RLM_MODULE_FAIL;
			break;
		}
		if (!lk->conf.verify_password) {
			/* RFC 2809 partial authentication: the LNS authenticates the user */
			VALUE_PAIR *vp = fr_pair_afrom_num(request, PW_AUTH_TYPE, 0);
			if (vp) {
				vp->vp_integer = PW_AUTH_TYPE_ACCEPT;
				vp->op = T_OP_SET;
				fr_pair_replace(&request->config, vp);
			}
		}
		rcode = RLM_MODULE_UPDATED;
		break;
	}
	talloc_free(lk);
	return rcode;
}

/*
 * The NAS identity that names the per-NAS session set (realm_acct.h), bound
 * to the RADIUS client the request came from: the packet's source address,
 * so a client can only ever name, count and clear (Accounting-On/Off) its
 * own sessions, whatever NAS-IP-Address or NAS-Identifier it claims. A
 * client that speaks for several NAS (a proxy, a LAC with several
 * identities) gets one set per claimed identity under its address:
 * "<source>_<claim>", the claim being NAS-IP-Address, NAS-IPv6-Address or
 * NAS-Identifier (RFC 2865 5.4/5.32, RFC 3162 2.1) when it differs from the
 * source (a claim that does not fit is dropped: the source alone). A LAC
 * that names itself by its own address, as lac-core does, is keyed by that
 * address. Returns 0, or -1 if nothing usable.
 */
static int realm_acct_nas(REQUEST *request, char *buf, size_t len)
{
	VALUE_PAIR *vp;
	fr_ipaddr_t const *src = &request->packet->src_ipaddr;
	char claim[REALM_ACCT_NAS_MAX + 1];
	size_t sl;

	if (!(src->af == AF_INET && inet_ntop(AF_INET, &src->ipaddr.ip4addr, buf, (socklen_t)len)) &&
	    !(src->af == AF_INET6 && inet_ntop(AF_INET6, &src->ipaddr.ip6addr, buf, (socklen_t)len)))
		return -1;
	claim[0] = '\0';
	vp = fr_pair_find_by_num(request->packet->vps, PW_NAS_IP_ADDRESS, 0, TAG_ANY);
	if (vp)
		inet_ntop(AF_INET, &vp->vp_ipaddr, claim, sizeof(claim));
	if (!claim[0] && (vp = fr_pair_find_by_num(request->packet->vps, PW_NAS_IPV6_ADDRESS, 0, TAG_ANY)))
		inet_ntop(AF_INET6, &vp->vp_ipv6addr, claim, sizeof(claim));
	if (!claim[0] && (vp = fr_pair_find_by_num(request->packet->vps, PW_NAS_IDENTIFIER, 0, TAG_ANY)) &&
	    vp->vp_length < sizeof(claim)) {
		memcpy(claim, vp->vp_strvalue, vp->vp_length);
		claim[vp->vp_length] = '\0';
		if (realm_acct_check_nas(claim) < 0)
			claim[0] = '\0';
	}
	sl = strlen(buf);
	if (claim[0] && strcmp(claim, buf) != 0 && sl + 1 + strlen(claim) < len &&
	    sl + 1 + strlen(claim) <= REALM_ACCT_NAS_MAX) {
		buf[sl] = '_';
		memcpy(buf + sl + 1, claim, strlen(claim) + 1);
	}
	return 0;
}

struct realm_acct_args {
	struct realm_acct_req const *req;
	struct realm_name const     *rn;    /* NULL: no candidates */
	char                         buf[32 + REALM_CANDIDATES_MAX * REALM_KEY_MAX];
};

static int realm_acct_build(void *ctx, char const *sha, char const **argv, size_t *argvlen,
			    int argv_cap)
{
	struct realm_acct_args *a = ctx;

	return realm_acct_argv(a->req, a->rn, sha, a->buf, sizeof(a->buf), argv, argvlen, argv_cap);
}

/*
 * Fill the tunnel part of an accounting request from RFC 2867's attributes:
 * the first Tunnel-Server-Endpoint (in canonical form into ep, as the
 * Access-Accept sent it) and the Tunnel-Assignment-Id of the same tag.
 * Returns 1 if the session is tunnelled, 0 if not (no endpoint), -1 if the
 * endpoint is not an address literal (we never send anything else).
 */
static int realm_acct_tunnel(REQUEST *request, struct realm_acct_req *req, char *ep, size_t eplen)
{
	VALUE_PAIR *vp, *aid;
	struct realm_endpoint parsed;
	char text[INET6_ADDRSTRLEN + 16];

	vp = fr_pair_find_by_num(request->packet->vps, PW_TUNNEL_SERVER_ENDPOINT, 0, TAG_ANY);
	if (!vp)
		return 0;
	if (vp->vp_length >= sizeof(text) || memchr(vp->vp_strvalue, '\0', vp->vp_length))
		return -1;
	memcpy(text, vp->vp_strvalue, vp->vp_length);
	text[vp->vp_length] = '\0';
	if (realm_schema_parse_endpoint("Tunnel-Server-Endpoint", text, &parsed, NULL, 0) < 0 ||
	    realm_endpoint_format(&parsed, ep, eplen) < 0)
		return -1;
	req->endpoint = ep;
	aid = fr_pair_find_by_num(request->packet->vps, PW_TUNNEL_ASSIGNMENT_ID, 0, vp->tag);
	if (!aid)
		aid = fr_pair_find_by_num(request->packet->vps, PW_TUNNEL_ASSIGNMENT_ID, 0, TAG_ANY);
	if (aid) {
		req->assignment_id = aid->vp_strvalue;
		req->assignment_id_len = aid->vp_length;
	}
	return 1;
}

/*
 * accounting: keep lns:<realm>:<id> `sessions` exact for tunnelled sessions
 * (realm_acct.h). Start/Interim-Update/Stop of a session with a
 * Tunnel-Server-Endpoint run the accounting script once; Accounting-On/Off
 * clear the NAS's sessions; everything else is noop. Never rejects: an
 * Accounting-Request is always answered unless acct_fail_mode = fail and
 * Redis is unusable (then the NAS retransmits, which is the point).
 */
static rlm_rcode_t CC_HINT(nonnull) mod_accounting(void *instance, REQUEST *request)
{
	rlm_realm_lns_t *inst = instance;
	VALUE_PAIR *status, *sid, *user, *dnis;
	struct realm_acct_req req;
	struct realm_acct_result res;
	struct realm_acct_args *a;
	struct realm_name *rn = NULL;
	char nas[REALM_ACCT_NAS_MAX + 1], ep[INET6_ADDRSTRLEN + 8];
	char const *why = "";
	redisReply *r;
	rlm_rcode_t rcode;
	int tunnelled;

	status = fr_pair_find_by_num(request->packet->vps, PW_ACCT_STATUS_TYPE, 0, TAG_ANY);
	if (!status)
		return RLM_MODULE_NOOP;
	memset(&req, 0, sizeof(req));
	req.op = realm_acct_op_from_status(status->vp_integer);
	if (req.op == REALM_ACCT_OP_NONE) {
		RDEBUG2("Acct-Status-Type %u does not change session counts", status->vp_integer);
		return RLM_MODULE_NOOP;
	}
	if (realm_acct_nas(request, nas, sizeof(nas)) < 0) {
		RWDEBUG("no usable NAS identity: session not counted");
		return RLM_MODULE_NOOP;
	}
	req.nas = nas;
	req.ttl_s = inst->acct_ttl;
	req.hold_s = inst->health_hold_down;
	if (req.op == REALM_ACCT_OP_REJECT && !inst->health_hold_down) {
		RDEBUG2("tunnel reject: health_hold_down = 0, LNS health off");
		return RLM_MODULE_NOOP;
	}
	if (req.op == REALM_ACCT_OP_REJECT) {
		VALUE_PAIR *delay = fr_pair_find_by_num(request->packet->vps, PW_ACCT_DELAY_TIME, 0,
							TAG_ANY);

		req.hold_s = realm_acct_reject_hold_left(inst->health_hold_down,
							 delay ? delay->vp_integer : 0);
		if (!req.hold_s) {
			RDEBUG2("tunnel reject %u s old (Acct-Delay-Time): its hold-down is over",
				delay->vp_integer);
			return RLM_MODULE_NOOP;
		}
	}
	req.session_id = "";
	req.endpoint = "";
	req.assignment_id = "";

	if (req.op != REALM_ACCT_OP_NAS_RESET) {
		tunnelled = realm_acct_tunnel(request, &req, ep, sizeof(ep));
		if (tunnelled == 0) {
			RDEBUG2("no Tunnel-Server-Endpoint: not a tunnelled session, nothing to count");
			return RLM_MODULE_NOOP;
		}
		if (tunnelled < 0) {
			RATE_LIMIT(INFO("rlm_realm_lns (%s): event=acct_ignored nas=%s "
					"reason=\"Tunnel-Server-Endpoint is not an address literal\"",
					inst->name, nas));
			return RLM_MODULE_NOOP;
		}
		sid = fr_pair_find_by_num(request->packet->vps, PW_ACCT_SESSION_ID, 0, TAG_ANY);
		if (req.op == REALM_ACCT_OP_REJECT &&
		    (!sid || realm_acct_check_session_id(sid->vp_strvalue, sid->vp_length) < 0)) {
			/* a tunnel that never came up may have no session: the id is not used */
			sid = NULL;
			req.session_id = "-";
			req.session_id_len = 1;
		} else if (!sid || realm_acct_check_session_id(sid->vp_strvalue, sid->vp_length) < 0) {
			RATE_LIMIT(INFO("rlm_realm_lns (%s): event=acct_ignored nas=%s "
					"reason=\"no printable Acct-Session-Id of 1..%u bytes\"",
					inst->name, nas, REALM_ACCT_SESSION_ID_MAX));
			return RLM_MODULE_NOOP;
		}
		if (sid) {
			req.session_id = sid->vp_strvalue;
			req.session_id_len = sid->vp_length;
		}
		/* only needed when the session's own key is gone, but it costs nothing here */
		user = fr_pair_find_by_num(request->packet->vps, PW_USER_NAME, 0, TAG_ANY);
		dnis = fr_pair_find_by_num(request->packet->vps, PW_CALLED_STATION_ID, 0, TAG_ANY);
		rn = talloc(request, struct realm_name);
		if (!rn)
			return RLM_MODULE_FAIL;
		realm_name_parse(&inst->name_opts, user ? user->vp_strvalue : NULL,
				 user ? user->vp_length : 0, dnis ? dnis->vp_strvalue : NULL,
				 dnis ? dnis->vp_length : 0, rn);
	}

	a = talloc(request, struct realm_acct_args);
	if (!a) {
		talloc_free(rn);
		return RLM_MODULE_FAIL;
	}
	a->req = &req;
	a->rn = rn;
	r = realm_script_run(inst, REALM_SCRIPT_ACCT, realm_acct_build, a, &why);
	talloc_free(a);
	talloc_free(rn);
	if (!r) {
		__atomic_add_fetch(&inst->acct_unrecorded, 1, __ATOMIC_RELAXED);
		realm_outage_begin(inst, why);
		RWDEBUG("session accounting unavailable (%s): acct_fail_mode=%s", why,
			inst->acct_fail_mode);
		return inst->acct_fail_rcode;
	}
	realm_outage_end(inst);
	if (realm_acct_parse(r, &res) < 0) {
		RATE_LIMIT(ERROR("rlm_realm_lns (%s): event=acct_bad_reply "
				 "reason=\"reply does not have the accounting script's shape\"",
				 inst->name));
		freeReplyObject(r);
		return inst->acct_fail_rcode;
	}
	freeReplyObject(r);

	switch (res.outcome) {
	case REALM_ACCT_CLEARED:
		INFO("rlm_realm_lns (%s): event=acct_nas_reset nas=%s cleared=%lld", inst->name, nas,
		     res.count);
		rcode = RLM_MODULE_OK;
		break;

	case REALM_ACCT_NO_REALM:
	case REALM_ACCT_NO_LNS:
		/* a tunnel we cannot place: provisioning changed under a live session */
		RATE_LIMIT(INFO("rlm_realm_lns (%s): event=acct_unmatched op=%s nas=%s endpoint=%s "
				"outcome=%s", inst->name, realm_acct_op_str(req.op), nas, req.endpoint,
				realm_acct_outcome_str(res.outcome)));
		rcode = RLM_MODULE_NOOP;
		break;

	case REALM_ACCT_RECREATED:
		/* the session's key was lost (Redis restart, flush, TTL too short) */
		INFO("rlm_realm_lns (%s): event=acct_recreated nas=%s lns=%s sessions=%lld",
		     inst->name, nas, res.lns_key, res.count);
		rcode = RLM_MODULE_OK;
		break;

	case REALM_ACCT_UNKNOWN:
	case REALM_ACCT_IGNORED:
		rcode = RLM_MODULE_NOOP;
		break;

	case REALM_ACCT_UNHEALTHY:
		/* count holds the end of the hold-down (unix s) */
		INFO("rlm_realm_lns (%s): event=lns_unhealthy lns=%s nas=%s status=%u hold_s=%u "
		     "until=%lld", inst->name, res.lns_key, nas, status->vp_integer,
		     inst->health_hold_down, res.count);
		rcode = RLM_MODULE_OK;
		break;

	default:
		rcode = RLM_MODULE_OK;
		break;
	}
	RDEBUG("acct op=%s nas=%s outcome=%s lns=%s sessions=%lld", realm_acct_op_str(req.op), nas,
	       realm_acct_outcome_str(res.outcome), res.lns_key[0] ? res.lns_key : "-", res.count);
	return rcode;
}

/*
 * post-auth (also listed under Post-Auth-Type REJECT): make Message-Authenticator
 * the first reply attribute. 3.2.1 signs a reply only if its list holds one,
 * and encodes attributes in list order, so prepending puts it first on the
 * wire (RFC 3579 3.2; the BlastRADIUS advice is to send it first).
 */
static rlm_rcode_t CC_HINT(nonnull) mod_post_auth(void *instance, REQUEST *request)
{
	rlm_realm_lns_t *inst = instance;
	VALUE_PAIR *vp;

	if (!inst->sign_replies)
		return RLM_MODULE_NOOP;
	fr_pair_delete_by_num(&request->reply->vps, PW_MESSAGE_AUTHENTICATOR, 0, TAG_ANY);
	vp = fr_pair_afrom_num(request->reply, PW_MESSAGE_AUTHENTICATOR, 0);
	if (!vp)
		return RLM_MODULE_FAIL;
	fr_pair_value_memcpy(vp, (uint8_t const *)"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	fr_pair_prepend(&request->reply->vps, vp);
	return RLM_MODULE_UPDATED;
}

extern module_t rlm_realm_lns;
module_t rlm_realm_lns = {
	.magic		= RLM_MODULE_INIT,
	.name		= "realm_lns",
	.type		= RLM_TYPE_THREAD_SAFE,
	.inst_size	= sizeof(rlm_realm_lns_t),
	.config		= module_config,
	.instantiate	= mod_instantiate,
	.detach		= mod_detach,
	.methods = {
		[MOD_AUTHORIZE]		= mod_authorize,
		[MOD_ACCOUNTING]	= mod_accounting,
		[MOD_POST_AUTH]		= mod_post_auth,
	},
};
