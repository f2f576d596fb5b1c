/* The on-disk accounting spool: Accounting-Requests survive a RADIUS outage
 * and a lac-core crash or restart.
 *
 * One append-only file, DIR/acct.spool, of checksummed records
 * (acct_spool_codec.h), locked with flock() so two daemons can not share it.
 * radius_acct appends a REQ for every Accounting-Request before it is sent
 * and a DONE when its Accounting-Response verified; nothing is removed in
 * place. Compaction rewrites the file (DIR/acct.spool.new, fsync, rename,
 * fsync DIR) with what still matters: the unanswered REQs and, for every live
 * session, its last Start/Interim-Update (SNAP), from which a Stop can be made.
 *
 * Durability (fsync policy, [radius] acct_spool_fsync):
 *   always     fdatasync after every append (power loss loses nothing queued);
 *   startstop  (default) fdatasync after Start, Stop, Accounting-On/Off and
 *              every other status except Interim-Update and the RFC 2867
 *              Tunnel-Reject / Tunnel-Link-Reject health hints (a call
 *              failing over must not wait on the disk for them), before the
 *              append returns, so those records are on disk before the
 *              caller releases the session's state; the rest is synced
 *              every sync_interval_ms;
 *   interval   fdatasync every sync_interval_ms only;
 *   none       never (the kernel writes back; a lac-core crash still loses
 *              nothing: write() has put the record in the page cache).
 * Every append is one write(2) of one record, done when radius_acct_send()
 * queues it: a kill -9 of lac-core loses nothing that was queued.
 *
 * Size: when the file exceeds max(1 MiB, 2 x its size after the last
 * compaction) it is compacted from the loop (deferred, never inside an
 * append). When even the compacted file would pass max_bytes, appends are
 * refused (counted `full`); the record is then kept in memory only.
 *
 * Restart: acct_spool_open() reads the file; every unanswered REQ comes back
 * in order, and for every session that was live (a Start or Interim-Update
 * and no Stop) a Stop, in the place of its last known record and made from it
 * (radius_acct_attrs_to_stop(): duration and counters of the last interim,
 * Acct-Terminate-Cause lost_cause) is appended and comes back too. */
#ifndef AAA_ACCT_SPOOL_H
#define AAA_ACCT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aaa/acct_spool_codec.h"

struct ev_loop;
struct acct_spool;

enum acct_spool_fsync {
	ACCT_SPOOL_FSYNC_STARTSTOP = 0,
	ACCT_SPOOL_FSYNC_ALWAYS,
	ACCT_SPOOL_FSYNC_INTERVAL,
	ACCT_SPOOL_FSYNC_NONE,
};
/* "startstop", "always", "interval", "none"; parse returns -1 for others. */
const char *acct_spool_fsync_str(enum acct_spool_fsync f);
int acct_spool_fsync_parse(const char *s, enum acct_spool_fsync *out);

struct acct_spool_config {
	char dir[256];
	uint64_t max_bytes;             /* 0 = no limit */
	enum acct_spool_fsync fsync;
	uint32_t sync_interval_ms;      /* interval and the non-forced part of startstop */
};

/* A request handed back by acct_spool_open(). body is valid during the call. */
struct acct_spool_entry {
	uint64_t seq;
	uint64_t wall_ms;
	const uint8_t *body;
	size_t body_len;
	bool lost_stop;                 /* made for a session lost in a crash */
};

struct acct_spool_load_stats {
	uint64_t records, corrupt, truncated, skipped_octets;
	uint64_t pending;               /* unanswered REQs handed back */
	uint64_t lost_sessions;         /* Stops made for live sessions */
};

/* Creates DIR if missing (0700), locks and reads DIR/acct.spool, hands every
 * request still to send to fn in order, and rewrites the file compacted.
 * Blocking file I/O: call it before the loop runs. Returns the spool, or NULL
 * with a message naming the path in err (DIR unusable, locked by another
 * process, I/O error). Corrupt and truncated records are not an error: they
 * are counted in st and logged. */
struct acct_spool *acct_spool_open(struct ev_loop *loop, const struct acct_spool_config *cfg,
				   uint32_t lost_cause,
				   void (*fn)(void *arg, const struct acct_spool_entry *e), void *arg,
				   struct acct_spool_load_stats *st, char *err, size_t errlen);
/* Syncs and closes (the file stays: what is in it is sent on the next start). */
void acct_spool_close(struct acct_spool *s);

/* Appends a REQ for an Accounting-Request (body: radius_acct_attrs_encode())
 * of Acct-Status-Type status, queued at wall_ms. Returns its seq (> 0), or 0
 * when it was not spooled (full, or an I/O error: counted and logged). */
uint64_t acct_spool_append(struct acct_spool *s, uint32_t status, uint64_t wall_ms, const uint8_t *body,
			   size_t body_len);
/* Appends a DONE for seq (answered, or superseded). Never synced by itself:
 * a lost DONE only means a duplicate, which RADIUS servers de-duplicate. */
void acct_spool_done(struct acct_spool *s, uint64_t seq);

/* Hands every unanswered REQ in the file to fn, in order (a blocking read of
 * the file: radius_acct calls it from a timer, to take back records its
 * memory queue had to drop). Returns 0 or -1. */
int acct_spool_pending(struct acct_spool *s, void (*fn)(void *arg, const struct acct_spool_entry *e), void *arg);

struct acct_spool_counters {
	uint64_t appends, dones, syncs, compactions;
	uint64_t full;                  /* appends refused: max_bytes */
	uint64_t errors;                /* write/fsync/compaction failures */
	uint64_t bytes;                 /* file size now */
	uint64_t sync_us_max;           /* longest fdatasync seen */
};
void acct_spool_counters_get(const struct acct_spool *s, struct acct_spool_counters *out);

/* Unix time in ms (CLOCK_REALTIME): the spool's wall_ms. */
uint64_t acct_spool_wall_ms(void);

#endif
