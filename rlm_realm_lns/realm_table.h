/*
 * realm_table: the in-memory copy of every realm (with its LNS) and every
 * DNIS map of the store, one per module instance, shared by the worker
 * threads. A lookup in it costs no Redis round trip.
 *
 * Who writes: only the sync thread (realm_sync.h), one realm or one DNIS map
 * at a time (realm_table_put_realm, _del_realm, _put_dnis, _del_dnis) after a
 * change notification, or everything at once after a full load
 * (realm_table_swap). Who reads: every worker thread (realm_table_lookup).
 *
 * Locking: one rwlock. A reader holds it shared for the hash probes and the
 * copy of one entry into its own struct realm_lookup; a writer holds it
 * exclusively for a pointer swap (the new entry is built before, the old one
 * freed after). A full resync builds a second table without any lock and
 * swaps the two tables' contents in O(1). So a worker never waits for Redis
 * and never for more than one entry copy of another thread.
 *
 * Round-robin: each entry carries its own rotation counter (atomic, started
 * at a value the caller chooses, e.g. random), advanced by one per lookup.
 * Several brokers therefore rotate independently, each evenly: no broker
 * assumes it is the only one, and no round trip is needed for the rotation.
 *
 * Pure apart from malloc and pthread: no sockets, no logging, no clock.
 */
#ifndef REALM_TABLE_H
#define REALM_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "realm_name.h"
#include "realm_store.h"

struct realm_table;

struct realm_table_stats {
	unsigned realms, dnis;
	uint64_t lookups, hits;
};

/* A new empty table, or NULL (out of memory). */
struct realm_table *realm_table_new(void);
void realm_table_free(struct realm_table *t);

/*
 * Insert or replace realm lk->realm from a parsed store result (lk->found
 * must be 1; its first lk->n_lns LNS are copied). rr_start seeds the
 * round-robin counter of a new entry (a replaced entry keeps its counter).
 * Returns 0, or -1 (out of memory, lk not found; the table is unchanged).
 */
int realm_table_put_realm(struct realm_table *t, const struct realm_lookup *lk, uint64_t rr_start);
/* Remove a realm. Returns 1 if it was there, 0 if not. */
int realm_table_del_realm(struct realm_table *t, const char *name);

/* Map / unmap a DNIS to a realm name. put: 0 or -1 (out of memory, too long);
 * del: 1 if it was there, 0 if not. */
int realm_table_put_dnis(struct realm_table *t, const char *number, const char *realm);
int realm_table_del_dnis(struct realm_table *t, const char *number);

/*
 * Exchange the contents of a and b (realms, DNIS maps, counts), under both
 * write locks. Used to publish a fully loaded table: build it, swap it into
 * the live one, free the other (which now holds the old contents).
 */
void realm_table_swap(struct realm_table *a, struct realm_table *b);

/*
 * The lookup of rn against the table, with the semantics of the store's
 * lookup script (realm_store.h): candidates in order, a dnis candidate
 * names a realm through the DNIS map, the first realm that exists wins.
 * Fills *out like realm_store_parse does (found, realm, matched, conf,
 * n_lns, n_bad, lns[], rr_counter: the entry's counter after this lookup's
 * advance, 0 unless round-robin). Returns 1 if found, 0 if not.
 */
int realm_table_lookup(struct realm_table *t, const struct realm_name *rn,
		       struct realm_lookup *out);

void realm_table_get_stats(struct realm_table *t, struct realm_table_stats *out);

#endif
