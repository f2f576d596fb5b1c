/*
 * realm_cache: an in-process cache of realm lookups (realm_store results),
 * shared by all worker threads of one module instance.
 *
 * Why: FreeRADIUS 3 runs one request per worker thread, and a lookup that
 * goes to Redis blocks its thread for a round trip; on a loaded server the
 * context switches around that wait cost more than the lookup itself
 * (bench/README.md). Most requests ask for the same few realms, so a short
 * cache removes the round trip from almost every request.
 *
 * What is cached: the complete result of one lookup, keyed by the exact list
 * of candidate keys tried (realm_cache_key), found or not. Only the data is
 * cached; the LNS choice (shuffle, weights, round-robin) is still made per
 * request from it. For round-robin realms the cached counter is advanced by
 * one on every hit, so the rotation continues locally between round trips.
 *
 * Staleness bound: an entry is served until ttl_ms after it was read from
 * Redis (negative_ttl_ms for "no such realm"); there is no other
 * invalidation. A provisioning change (new realm, removed LNS, down = 1,
 * sessions reaching max_sessions) therefore takes effect within the TTL.
 *
 * Bounded: at most max_entries entries; inserting into a full cache evicts
 * the least recently used one. Thread-safe: one mutex, held only for a hash
 * probe and a copy. The clock is the caller's (now_ms, any monotonic
 * millisecond count), so tests drive expiry with a fake clock.
 */
#ifndef REALM_CACHE_H
#define REALM_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "realm_name.h"
#include "realm_store.h"

/* A cache key holds every candidate key of a realm_name, NUL-separated. */
#define REALM_CACHE_KEY_MAX  (REALM_CANDIDATES_MAX * REALM_KEY_MAX)

struct realm_cache_opts {
	uint32_t ttl_ms;           /* found realms; > 0 */
	uint32_t negative_ttl_ms;  /* "no such realm"; 0: not cached */
	unsigned max_entries;      /* > 0 */
};

struct realm_cache_stats {
	uint64_t hits, misses, inserts, expired, evicted;
	unsigned entries;
};

struct realm_cache;

/* A new empty cache, or NULL (bad options, out of memory). */
struct realm_cache *realm_cache_new(const struct realm_cache_opts *opts);
void realm_cache_free(struct realm_cache *c);

/*
 * The cache key of a parsed name: its candidate keys in lookup order,
 * NUL-separated (Redis keys we build never hold NUL). Returns the length, or
 * -1 if buf is too small (REALM_CACHE_KEY_MAX always suffices).
 */
int realm_cache_key(const struct realm_name *rn, char *buf, size_t len);

/*
 * Look key up at now_ms. A live entry is copied into *out (header and
 * lns[0..n_lns); rr_counter advanced per hit) and 1 is returned; a missing
 * or expired entry returns 0 (an expired one is dropped).
 */
int realm_cache_get(struct realm_cache *c, const char *key, size_t klen, uint64_t now_ms,
		    struct realm_lookup *out);

/*
 * Store lk (found or not) under key as read at now_ms, replacing an entry
 * with the same key. Returns 0, or -1 if not stored (out of memory, key
 * longer than REALM_CACHE_KEY_MAX, or a negative result with
 * negative_ttl_ms = 0).
 */
int realm_cache_put(struct realm_cache *c, const char *key, size_t klen, uint64_t now_ms,
		    const struct realm_lookup *lk);

void realm_cache_get_stats(struct realm_cache *c, struct realm_cache_stats *out);

#endif
