/*
 * realm_select: LNS ordering policies (see realm_select.h). The output order
 * becomes RFC 2868 tags (section 3: tag values 0x01..0x1F group the attributes
 * of one tunnel; RFC 2868 3.8 Tunnel-Preference says lower values first).
 */
#include <string.h>

#include "realm_select.h"

uint32_t realm_rand_splitmix(void *ctx)
{
	uint64_t *s = ctx;
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

/* Uniform in [0, bound) without the modulo bias of r % bound (bound > 0). */
static uint32_t rand_below(realm_rand_fn rnd, void *ctx, uint32_t bound)
{
	return (uint32_t)(((uint64_t)rnd(ctx) * bound) >> 32);
}

/* Sort key for deterministic orders: preference, then id. */
static int lns_cmp(const struct realm_lns *a, const struct realm_lns *b)
{
	if (a->preference != b->preference)
		return a->preference < b->preference ? -1 : 1;
	return strcmp(a->id, b->id);
}

/* Insertion sort of idx[0..n) by lns_cmp: n <= a few dozen, and stable. */
static void sort_by_preference(const struct realm_lns *lns, unsigned *idx, unsigned n)
{
	unsigned i, j;

	for (i = 1; i < n; i++) {
		unsigned v = idx[i];
		for (j = i; j > 0 && lns_cmp(&lns[idx[j - 1]], &lns[v]) > 0; j--)
			idx[j] = idx[j - 1];
		idx[j] = v;
	}
}

/*
 * Reorder idx[0..n) in place into a weighted random order: draw one with
 * probability weight/total among those left, move it to the front, repeat.
 * Integer weights (1..1000) and n <= 64 keep the total far from overflow.
 */
static void weighted_shuffle(const struct realm_lns *lns, unsigned *idx, unsigned n,
			     realm_rand_fn rnd, void *ctx)
{
	unsigned i, j;

	for (i = 0; i + 1 < n; i++) {
		uint32_t total = 0, r, acc = 0;
		for (j = i; j < n; j++)
			total += lns[idx[j]].weight ? lns[idx[j]].weight : 1;
		r = rand_below(rnd, ctx, total);
		for (j = i; j < n; j++) {
			acc += lns[idx[j]].weight ? lns[idx[j]].weight : 1;
			if (r < acc)
				break;
		}
		if (j >= n)
			j = n - 1;
		if (j != i) {
			unsigned chosen = idx[j];
			/* keep the rest in their relative order: shift, not swap */
			memmove(&idx[i + 1], &idx[i], (j - i) * sizeof(idx[0]));
			idx[i] = chosen;
		}
	}
}

unsigned realm_select(const struct realm_lns *lns, unsigned n, enum realm_policy policy,
		      unsigned max_endpoints, uint64_t rr_counter,
		      realm_rand_fn rnd, void *rnd_ctx, unsigned *order)
{
	unsigned avail = 0, i, limit;

	for (i = 0; i < n; i++)
		if (realm_lns_available(&lns[i]))
			order[avail++] = i;
	if (avail == 0)
		return 0;

	switch (policy) {
	case REALM_POLICY_WEIGHTED:
		weighted_shuffle(lns, order, avail, rnd, rnd_ctx);
		break;
	case REALM_POLICY_ROUND_ROBIN: {
		unsigned tmp[avail], k, start;
		sort_by_preference(lns, order, avail);
		start = (unsigned)(rr_counter % avail);
		for (k = 0; k < avail; k++)
			tmp[k] = order[(start + k) % avail];
		memcpy(order, tmp, avail * sizeof(order[0]));
		break;
	}
	case REALM_POLICY_PREFERENCE:
	default: {
		unsigned g = 0, e;
		sort_by_preference(lns, order, avail);
		while (g < avail) {
			for (e = g + 1; e < avail && lns[order[e]].preference == lns[order[g]].preference; e++)
				;
			weighted_shuffle(lns, order + g, e - g, rnd, rnd_ctx);
			g = e;
		}
		break;
	}
	}

	limit = max_endpoints;
	if (limit == 0 || limit > REALM_ENDPOINTS_MAX)
		limit = REALM_ENDPOINTS_MAX;
	return avail < limit ? avail : limit;
}
