/*
 * realm_sentinel: finding the Redis master through Redis Sentinel, for the
 * module's sync thread and worker connections and for realmctl. hiredis 0.14
 * has no Sentinel support, so we ask Sentinel ourselves:
 *   SENTINEL get-master-addr-by-name <name>   the address (sentinels in order)
 *   ROLE                                      on the connection we then open:
 *                                             refused unless it says "master"
 *   SUBSCRIBE +switch-master                  on one sentinel, by a watcher
 *                                             thread: a failover is followed
 *                                             at once, not at the next error
 * (https://redis.io/docs/latest/develop/reference/sentinel-clients/).
 *
 * The address is given as one URL, everywhere (module option `sentinel`,
 * realmctl --redis, $REALM_LNS_REDIS):
 *   sentinel://[[user]:password@]host[:port][,host[:port]...]/master-name[/db]
 * host may be [IPv6]; port defaults to 26379. The password, user and db are
 * the master's (as in redis://); sentinels are asked without AUTH. The
 * module takes them from its `password` and `database` options instead and
 * refuses them in the URL (a secret in a URL would be printed by -X).
 *
 * Two layers: the parsers (URL, replies, the +switch-master message) are
 * pure and tested without a server; struct realm_sentinel holds the shared,
 * thread-safe "current master" that every connection of a process follows.
 */
#ifndef REALM_SENTINEL_H
#define REALM_SENTINEL_H

#include <stddef.h>
#include <stdint.h>
#include <hiredis/hiredis.h>

#define REALM_SENTINEL_SCHEME        "sentinel://"
#define REALM_SENTINEL_MAX           8
#define REALM_SENTINEL_HOST_MAX      255
#define REALM_SENTINEL_NAME_MAX      64
#define REALM_SENTINEL_SECRET_MAX    255
#define REALM_SENTINEL_DEFAULT_PORT  26379

struct realm_sentinel_addr {
	char host[REALM_SENTINEL_HOST_MAX + 1];   /* literal or name, no brackets */
	int  port;                                /* 1..65535 */
};

struct realm_sentinel_conf {
	struct realm_sentinel_addr sentinel[REALM_SENTINEL_MAX];
	unsigned n;                               /* 1..REALM_SENTINEL_MAX */
	char master[REALM_SENTINEL_NAME_MAX + 1]; /* [A-Za-z0-9._-]{1,64} */
	char user[REALM_SENTINEL_SECRET_MAX + 1];     /* the master's, "" unless given */
	char password[REALM_SENTINEL_SECRET_MAX + 1];
	int  has_password;
	int  db;                                  /* the master's database, 0 unless given */
};

/* 1 if s is meant as a sentinel URL (starts with "sentinel://"). */
int realm_sentinel_is_url(const char *s);

/*
 * Parse url into out. Returns 0, or -1 with one line in err (starting
 * "sentinel url: ") naming what is wrong; the password is never echoed.
 */
int realm_sentinel_parse(const char *url, struct realm_sentinel_conf *out, char *err, size_t errlen);

/* "sentinel://h:p,h:p/name/db" without credentials, for logs. */
void realm_sentinel_describe(const struct realm_sentinel_conf *conf, char *buf, size_t buflen);

/*
 * The reply to SENTINEL get-master-addr-by-name: host into host (hostlen
 * includes the NUL) and port. Returns 0; or -1 with err saying why (a nil:
 * the sentinel does not know the name; an error reply; another shape).
 */
int realm_sentinel_parse_master_reply(const redisReply *r, char *host, size_t hostlen, int *port,
				      char *err, size_t errlen);

/* The reply to ROLE: 1 "master", 0 anything else Redis says it is ("slave",
 * "sentinel"), -1 not a ROLE reply (an error, an old Redis without ROLE). */
int realm_sentinel_parse_role_reply(const redisReply *r);

/*
 * A +switch-master message ("<name> <old-ip> <old-port> <new-ip> <new-port>").
 * Returns 1 with the new address when it is about master, 0 when it names
 * another master, -1 when it is malformed.
 */
int realm_sentinel_parse_switch(const char *msg, size_t len, const char *master, char *host,
				size_t hostlen, int *port);

/* ---- the shared current master of one process ---- */

struct realm_sentinel;

typedef void (*realm_sentinel_log_fn)(void *ctx, int warn, const char *line);

/*
 * A resolver for conf (copied). timeout_ms bounds each connect and command to
 * one sentinel. log may be NULL; it gets complete lines (never a format).
 * Returns NULL on allocation failure. Free with realm_sentinel_free, after
 * realm_sentinel_watch_stop.
 */
struct realm_sentinel *realm_sentinel_new(const struct realm_sentinel_conf *conf, unsigned timeout_ms,
					  realm_sentinel_log_fn log, void *log_ctx);
void realm_sentinel_free(struct realm_sentinel *s);
const struct realm_sentinel_conf *realm_sentinel_conf(const struct realm_sentinel *s);

/*
 * The current master into host/port and its generation into *gen (NULL:
 * not wanted). With fresh = 0 the known address is returned without I/O
 * while it is valid; otherwise (fresh = 1, nothing known yet, or it was
 * invalidated) the sentinels are asked in order, starting with the one that
 * answered last, all within budget_ms in total: a worker never waits longer
 * (no lock is held while a sentinel is asked). With fresh = 0, while another
 * caller's query is under way or one failed less than its budget ago, -1 at
 * once instead of a second query. Returns 0, or -1 with why.
 *
 * The generation changes whenever the master's address does, so a
 * connection opened at generation g is stale once the generation is not g.
 */
int realm_sentinel_get(struct realm_sentinel *s, unsigned budget_ms, int fresh, char *host,
		       size_t hostlen, int *port, uint64_t *gen, char *why, size_t whylen);

/* The current generation (no I/O, any thread). */
uint64_t realm_sentinel_generation(struct realm_sentinel *s);

/*
 * A connection opened at generation gen found the master unusable (connect
 * or I/O error, READONLY, ROLE not master): the next realm_sentinel_get asks
 * the sentinels. Ignored when gen is no longer current (already followed).
 */
void realm_sentinel_invalidate(struct realm_sentinel *s, uint64_t gen);

/*
 * Send ROLE on c (an open connection to the address realm_sentinel_get gave).
 * Returns 1 if it is the master, 0 if not (why says what it is), -1 on an I/O
 * error or an unexpected reply.
 */
int realm_sentinel_check_master(redisContext *c, char *why, size_t whylen);

/*
 * The watcher thread: SUBSCRIBEs to +switch-master on one sentinel (the next
 * on loss, retried every retry_ms) and moves the current master, and its
 * generation, as soon as a failover is announced; asks for the master again
 * after each subscribe, so a switch missed while unsubscribed is caught.
 * Returns 0 or -1. Stop joins it (within about 100 ms + one timeout).
 */
int realm_sentinel_watch_start(struct realm_sentinel *s, unsigned retry_ms);
void realm_sentinel_watch_stop(struct realm_sentinel *s);
/* In a child after fork (the parent's watcher does not run there): start
 * its own. Nothing if this process already has one. 0 or -1. Stop and free
 * never join a thread of another process. */
int realm_sentinel_watch_restart_child(struct realm_sentinel *s, unsigned retry_ms);

#endif
