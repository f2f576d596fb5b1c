/*
 * realmctl store: the Redis side of realmctl (hiredis, blocking: realmctl is
 * a one-shot CLI). Key layout: policy/REDIS-SCHEMA.md (schema version 1).
 *
 * Every function returns an exit code of realmctl: STORE_OK (0), STORE_DATA
 * (1: the data is bad or an object does not exist; lines in errs) or
 * STORE_REDIS (3: Redis unreachable, refused the command, or the connection
 * broke; a line in errs).
 */
#ifndef REALMCTL_STORE_H
#define REALMCTL_STORE_H

#include <hiredis/hiredis.h>

#include "doc.h"
#include "redis_url.h"

enum store_rc {
	STORE_OK    = 0,
	STORE_DATA  = 1,
	STORE_REDIS = 3,
};

/* Connect (timeout_ms for connect and for each command), AUTH and SELECT as
 * the URL says. Returns the context or NULL with a line in errs. */
redisContext *store_connect(const struct redis_url *url, int timeout_ms, struct realmctl_errs *errs);

/*
 * Read every realm named in the `realms` set with its LNS, and every DNIS map,
 * into doc (fresh). Field problems and dangling references (a realm in the set
 * without its hash, an LNS id without its hash, a key of the wrong type) are
 * added to errs and make the result STORE_DATA; what is readable is still in
 * doc. With `orphans`, keys no set refers to (realm:*, lns:*) and a missing or
 * wrong schema version are reported too (for `check`).
 */
int store_load(redisContext *c, struct realmctl_doc *doc, int orphans, struct realmctl_errs *errs);

/* Read one realm (and its LNS) into doc; STORE_DATA if it does not exist. */
int store_load_realm(redisContext *c, const char *name, struct realmctl_doc *doc,
		     struct realmctl_errs *errs);

/* Members of the `realms` set, sorted; *names malloc'ed (free with store_names_free). */
int store_realm_names(redisContext *c, char ***names, size_t *n, struct realmctl_errs *errs);
void store_names_free(char **names, size_t n);

/*
 * Apply a validated document atomically (WATCH + MULTI/EXEC, retried when a
 * watched key changes under us). Each realm of the document replaces that
 * realm: its hash, its LNS set and its LNS hashes (LNS not in the document are
 * deleted; the `sessions` counter of kept LNS survives). Each DNIS map of the
 * document is set. With replace_all, realms and DNIS maps absent from the
 * document are deleted too, so Redis ends up equal to the document. A DNIS
 * map naming a realm that is neither in the document nor (any longer) in
 * Redis fails with STORE_DATA and nothing is written.
 */
int store_apply_doc(redisContext *c, const struct realmctl_doc *doc, int replace_all,
		    struct realmctl_errs *errs);

/* Create or replace one realm's hash (its LNS are kept). */
int store_realm_put(redisContext *c, const struct realmctl_realm *realm, struct realmctl_errs *errs);
/* Delete a realm with its LNS; STORE_DATA if missing or still named by a DNIS map. */
int store_realm_del(redisContext *c, const char *name, struct realmctl_errs *errs);
/* Create or replace one LNS of an existing realm (keeps its `sessions`). */
int store_lns_put(redisContext *c, const char *realm, const struct realm_lns *lns,
		  struct realmctl_errs *errs);
/* Delete one LNS; STORE_DATA if missing. *left is set to the LNS remaining. */
int store_lns_del(redisContext *c, const char *realm, const char *id, long long *left,
		  struct realmctl_errs *errs);
/* Set the down flag of an existing LNS. */
int store_lns_set_down(redisContext *c, const char *realm, const char *id, int down,
		       struct realmctl_errs *errs);
/* Map / unmap a DNIS; map needs an existing realm, unmap an existing map. */
int store_dnis_map(redisContext *c, const char *number, const char *realm,
		   struct realmctl_errs *errs);
int store_dnis_unmap(redisContext *c, const char *number, struct realmctl_errs *errs);

/*
 * Recount every LNS's sessions from the session keys the accounting wrote
 * (realm_lns:acct:<nas>/<sid>, policy/REDIS-SCHEMA.md "Session accounting"):
 * per LNS (every lns:* hash and every LNS a session key names), stale set
 * members (session gone or on another LNS) and missing ones (a live session
 * key not in the set: e.g. a write lost by async replication before a
 * Sentinel failover) are counted, and with fix removed / added and
 * `sessions` rewritten, atomically per LNS (one script that re-checks each
 * key, so concurrent accounting is never undone). report is called once per
 * LNS.
 */
/* The health hold-down of an LNS: its end (unix s) and reason ("-" if none
 * given), or 0 when healthy (or unreadable: show prints what it can). */
long long store_lns_health(redisContext *c, const char *realm, const char *id, char *reason,
			   size_t reason_len);

struct store_reconcile_row {
	char      lns[REALM_NAME_MAX + REALM_LNS_ID_MAX + 2];   /* <realm>:<id> */
	long long field;     /* `sessions` as stored; -1: none */
	long long live;      /* the recount */
	long long added, removed;
};
typedef void (*store_reconcile_fn)(void *ctx, const struct store_reconcile_row *row);
int store_reconcile(redisContext *c, int fix, store_reconcile_fn report, void *report_ctx,
		    struct realmctl_errs *errs);

#endif
