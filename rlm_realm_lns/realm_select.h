/*
 * realm_select: order a realm's LNS set into RFC 2868 tags 1..N.
 *
 * Policies (per realm, policy/REDIS-SCHEMA.md):
 *   preference   ascending Tunnel-Preference (ordered failover); within one
 *                preference value a weighted random order (all weights 1 by
 *                default, i.e. a uniform shuffle) so equal LNS share load.
 *   weighted     weighted random order over all LNS, ignoring preference: P(first
 *                = i) = weight_i / sum(weights), and so on without replacement.
 *   round-robin  the LNS sorted by (preference, id), rotated by a counter the
 *                caller increments per request (Redis realm_lns:rr:<realm>).
 * An LNS that is down or at its session cap (realm_lns_available) is left out
 * before ordering. At most max_endpoints (and never more than 31) are chosen.
 *
 * Pure: randomness comes from the caller's generator, so tests fix the seed.
 */
#ifndef REALM_SELECT_H
#define REALM_SELECT_H

#include <stdint.h>

#include "realm_schema.h"

/* Returns 32 uniformly random bits. */
typedef uint32_t (*realm_rand_fn)(void *ctx);

/* A small deterministic generator (splitmix64) for tests and for per-request
 * use seeded from the server's RNG. ctx points at a uint64_t state. */
uint32_t realm_rand_splitmix(void *ctx);

/*
 * Choose and order. lns[0..n) are validated candidates; the chosen indexes are
 * written to order[] (capacity n), tag = position + 1. Returns the number
 * chosen (0 when none is available).
 */
unsigned realm_select(const struct realm_lns *lns, unsigned n, enum realm_policy policy,
		      unsigned max_endpoints, uint64_t rr_counter,
		      realm_rand_fn rnd, void *rnd_ctx, unsigned *order);

#endif
