/*
 * realm_sync: the thread that keeps one realm_table equal to the store.
 *
 * On start, and again after every reconnect, it SUBSCRIBEs to
 * realm_lns:changes first, then loads everything (SCAN of realm:* and
 * dnis:* in batches of realm_sync_opts.batch, each batch one pipeline of
 * load-script runs or one MGET) into a fresh table that replaces the live
 * one in one swap: workers go on answering from the old table meanwhile.
 * Then it applies each notification (realm_notify.h): re-reads only the
 * realm or DNIS map it names, or everything on a version gap. Every
 * poll_ms it reads realm_lns:version (a missed or unpublished change, a
 * failover that lost writes: full resync) which also proves Redis alive.
 *
 * Redis unreachable: the table stays as it was; realm_sync_status says how
 * long ago it was last known current, so the module decides (serve_stale,
 * else fail_mode). The outage is logged once, the return once; the thread
 * retries every retry_ms and resynchronises in full when Redis is back.
 *
 * The address of Redis comes from resolve() before each connect (a fixed
 * host, or the master named by Sentinel: realm_sentinel.h), so a failover
 * is followed on the next reconnect; with check_role a connection whose
 * ROLE is not master is refused (the next try resolves again), and moved()
 * polled every 50 ms makes an announced failover a reconnect at once.
 *
 * Threads: the sync thread is the only writer of the table; status and
 * stop may be called from any thread. Nothing here blocks a worker.
 */
#ifndef REALM_SYNC_H
#define REALM_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "realm_table.h"

enum realm_sync_level { REALM_SYNC_INFO = 0, REALM_SYNC_WARN, REALM_SYNC_ERROR };

/* One complete log line (never a format string). */
typedef void (*realm_sync_log_fn)(void *ctx, enum realm_sync_level level, const char *line);
/* The current Redis address into host/port; 0, or -1 (none known now). */
typedef int (*realm_sync_resolve_fn)(void *ctx, char *host, size_t hostlen, int *port);
/* 1 when the address resolve() gave last is no longer the master's (a
 * Sentinel failover was announced): the thread reconnects at once. */
typedef int (*realm_sync_moved_fn)(void *ctx);

struct realm_sync_opts {
	realm_sync_resolve_fn resolve;
	realm_sync_moved_fn   moved;            /* NULL: the address never moves */
	void                 *resolve_ctx;      /* for both */
	int                   check_role;       /* ROLE must say master (Sentinel) */
	const char           *password;         /* NULL or "": no AUTH */
	unsigned              database;
	unsigned              connect_timeout_ms;
	unsigned              command_timeout_ms;
	unsigned              poll_ms;          /* version poll period, e.g. 200 */
	unsigned              retry_ms;         /* reconnect period, e.g. 500 */
	unsigned              batch;            /* realms per pipeline in a full load */
	realm_sync_log_fn     log;
	void                 *log_ctx;
};

struct realm_sync;

/* Start the thread on table t (owned by the caller, outlives the sync).
 * Returns the handle or NULL. The first load happens on the thread. */
struct realm_sync *realm_sync_start(const struct realm_sync_opts *opts, struct realm_table *t);

/* Stop and join the thread (within about poll_ms + one command timeout). */
void realm_sync_stop(struct realm_sync *s);

struct realm_sync_status {
	int      loaded;        /* the table was loaded at least once */
	int      connected;     /* Redis answered within the last poll period */
	uint64_t age_ms;        /* since the table was last known current (0 when connected) */
	uint64_t version;       /* store version the table reflects */
	uint64_t resyncs, applied, errors;
};

void realm_sync_status(struct realm_sync *s, struct realm_sync_status *out);

/* Ask for a full resync at the next opportunity (any thread). */
void realm_sync_request_resync(struct realm_sync *s);

#endif
