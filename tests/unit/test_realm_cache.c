/*
 * realm_cache: hits, expiry on an injected clock, negative entries, LRU
 * eviction, round-robin continuation, keys, and a few threads at once.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "realm_cache.h"

static struct realm_lookup *lk_new(const char *realm, unsigned n_lns)
{
	struct realm_lookup *lk = calloc(1, sizeof(*lk));
	unsigned i;

	cr_assert_not_null(lk);
	if (!realm)
		return lk;    /* not found */
	lk->found = 1;
	snprintf(lk->realm, sizeof(lk->realm), "%s", realm);
	lk->conf.mode = REALM_MODE_TUNNEL;
	lk->conf.policy = REALM_POLICY_PREFERENCE;
	lk->conf.max_endpoints = 31;
	lk->n_lns = n_lns;
	for (i = 0; i < n_lns; i++) {
		snprintf(lk->lns[i].id, sizeof(lk->lns[i].id), "lns%u", i + 1);
		lk->lns[i].preference = i;
		lk->lns[i].weight = 1;
		snprintf(lk->lns[i].secret, sizeof(lk->lns[i].secret), "s%u", i);
		lk->lns[i].secret_len = strlen(lk->lns[i].secret);
	}
	return lk;
}

static struct realm_cache *cache_new(uint32_t ttl, uint32_t neg, unsigned max)
{
	struct realm_cache_opts o = { .ttl_ms = ttl, .negative_ttl_ms = neg, .max_entries = max };
	struct realm_cache *c = realm_cache_new(&o);

	cr_assert_not_null(c);
	return c;
}

#define K(s) (s), sizeof(s)

Test(realm_cache, miss_then_hit_copies_the_lookup)
{
	struct realm_cache *c = cache_new(1000, 500, 10);
	struct realm_lookup *in = lk_new("corp.example", 2), *out = lk_new(NULL, 0);
	struct realm_cache_stats st;

	cr_assert_eq(realm_cache_get(c, K("realm:corp.example"), 0, out), 0);
	cr_assert_eq(realm_cache_put(c, K("realm:corp.example"), 0, in), 0);
	in->lns[0].secret[0] = 'X';    /* the cache holds its own copy */
	cr_assert_eq(realm_cache_get(c, K("realm:corp.example"), 999, out), 1);
	cr_assert_eq(out->found, 1);
	cr_assert_str_eq(out->realm, "corp.example");
	cr_assert_eq(out->n_lns, 2);
	cr_assert_str_eq(out->lns[0].secret, "s0");
	cr_assert_str_eq(out->lns[1].id, "lns2");
	cr_assert_eq(out->lns[1].secret_len, 2);
	cr_assert_eq(realm_cache_get(c, K("realm:other.example"), 1, out), 0);
	realm_cache_get_stats(c, &st);
	cr_assert_eq(st.hits, 1);
	cr_assert_eq(st.misses, 2);
	cr_assert_eq(st.entries, 1);
	realm_cache_free(c);
	free(in);
	free(out);
}

Test(realm_cache, entry_expires_at_ttl_on_the_injected_clock)
{
	struct realm_cache *c = cache_new(1000, 500, 10);
	struct realm_lookup *in = lk_new("corp.example", 1), *out = lk_new(NULL, 0);
	struct realm_cache_stats st;

	cr_assert_eq(realm_cache_put(c, K("realm:corp.example"), 5000, in), 0);
	cr_assert_eq(realm_cache_get(c, K("realm:corp.example"), 5999, out), 1);
	cr_assert_eq(realm_cache_get(c, K("realm:corp.example"), 6000, out), 0);
	realm_cache_get_stats(c, &st);
	cr_assert_eq(st.expired, 1);
	cr_assert_eq(st.entries, 0);
	/* a fresh read replaces it and lives its own ttl */
	in->lns[0].down = 1;
	cr_assert_eq(realm_cache_put(c, K("realm:corp.example"), 6000, in), 0);
	cr_assert_eq(realm_cache_get(c, K("realm:corp.example"), 6500, out), 1);
	cr_assert_eq(out->lns[0].down, 1);
	realm_cache_free(c);
	free(in);
	free(out);
}

Test(realm_cache, negative_result_cached_with_its_shorter_ttl)
{
	struct realm_cache *c = cache_new(1000, 200, 10);
	struct realm_lookup *none = lk_new(NULL, 0), *out = lk_new("x", 3);

	cr_assert_eq(realm_cache_put(c, K("realm:nope.example"), 0, none), 0);
	cr_assert_eq(realm_cache_get(c, K("realm:nope.example"), 199, out), 1);
	cr_assert_eq(out->found, 0);
	cr_assert_eq(out->n_lns, 0);
	cr_assert_eq(out->realm[0], '\0');
	cr_assert_eq(realm_cache_get(c, K("realm:nope.example"), 200, out), 0);
	realm_cache_free(c);

	/* negative_ttl_ms = 0: unknown realms are never cached */
	c = cache_new(1000, 0, 10);
	cr_assert_eq(realm_cache_put(c, K("realm:nope.example"), 0, none), -1);
	cr_assert_eq(realm_cache_get(c, K("realm:nope.example"), 1, out), 0);
	realm_cache_free(c);
	free(none);
	free(out);
}

Test(realm_cache, full_cache_evicts_the_least_recently_used)
{
	struct realm_cache *c = cache_new(10000, 10000, 2);
	struct realm_lookup *in = lk_new("a.example", 1), *out = lk_new(NULL, 0);
	struct realm_cache_stats st;

	cr_assert_eq(realm_cache_put(c, K("realm:a"), 0, in), 0);
	cr_assert_eq(realm_cache_put(c, K("realm:b"), 1, in), 0);
	cr_assert_eq(realm_cache_get(c, K("realm:a"), 2, out), 1);   /* a is now the recent one */
	cr_assert_eq(realm_cache_put(c, K("realm:c"), 3, in), 0);
	cr_assert_eq(realm_cache_get(c, K("realm:b"), 4, out), 0);
	cr_assert_eq(realm_cache_get(c, K("realm:a"), 4, out), 1);
	cr_assert_eq(realm_cache_get(c, K("realm:c"), 4, out), 1);
	realm_cache_get_stats(c, &st);
	cr_assert_eq(st.evicted, 1);
	cr_assert_eq(st.entries, 2);
	/* replacing a key is not an eviction */
	cr_assert_eq(realm_cache_put(c, K("realm:c"), 5, in), 0);
	realm_cache_get_stats(c, &st);
	cr_assert_eq(st.evicted, 1);
	cr_assert_eq(st.entries, 2);
	realm_cache_free(c);
	free(in);
	free(out);
}

Test(realm_cache, round_robin_counter_advances_per_hit)
{
	struct realm_cache *c = cache_new(1000, 500, 10);
	struct realm_lookup *in = lk_new("rr.example", 3), *out = lk_new(NULL, 0);

	in->conf.policy = REALM_POLICY_ROUND_ROBIN;
	in->rr_counter = 41;
	cr_assert_eq(realm_cache_put(c, K("realm:rr.example"), 0, in), 0);
	cr_assert_eq(realm_cache_get(c, K("realm:rr.example"), 1, out), 1);
	cr_assert_eq(out->rr_counter, 42);
	cr_assert_eq(realm_cache_get(c, K("realm:rr.example"), 2, out), 1);
	cr_assert_eq(out->rr_counter, 43);
	/* other policies keep the counter as read */
	in->conf.policy = REALM_POLICY_WEIGHTED;
	cr_assert_eq(realm_cache_put(c, K("realm:w.example"), 0, in), 0);
	cr_assert_eq(realm_cache_get(c, K("realm:w.example"), 1, out), 1);
	cr_assert_eq(out->rr_counter, 41);
	realm_cache_free(c);
	free(in);
	free(out);
}

Test(realm_cache, key_is_the_candidate_list)
{
	struct realm_name_opts o = { .suffix_delimiters = "@", .prefix_delimiters = "/",
				     .order = REALM_SEARCH_DOMAIN_FIRST, .wildcard = 1 };
	struct realm_name rn1, rn2, rn3;
	char k1[REALM_CACHE_KEY_MAX], k2[REALM_CACHE_KEY_MAX], k3[REALM_CACHE_KEY_MAX];
	int n1, n2, n3;

	cr_assert(realm_name_parse(&o, "alice@a.Corp.example", 20, NULL, 0, &rn1) > 0);
	cr_assert(realm_name_parse(&o, "bob@a.corp.example", 18, NULL, 0, &rn2) > 0);
	cr_assert(realm_name_parse(&o, "bob@a.corp.example", 18, "5551234", 7, &rn3) > 0);
	n1 = realm_cache_key(&rn1, k1, sizeof(k1));
	n2 = realm_cache_key(&rn2, k2, sizeof(k2));
	n3 = realm_cache_key(&rn3, k3, sizeof(k3));
	/* users of one realm share an entry; a DNIS makes a different lookup */
	cr_assert_eq(n1, n2);
	cr_assert_eq(memcmp(k1, k2, (size_t)n1), 0);
	cr_assert_neq(n1, n3);
	cr_assert_str_eq(k1, "realm:a.corp.example");
	cr_assert_str_eq(k1 + strlen(k1) + 1, "realm:*.corp.example");
	cr_assert_eq(realm_cache_key(&rn1, k1, 10), -1);
}

Test(realm_cache, bad_options_and_oversized_keys_refused)
{
	struct realm_cache_opts o = { .ttl_ms = 0, .negative_ttl_ms = 0, .max_entries = 1 };
	struct realm_cache *c;
	struct realm_lookup *in = lk_new("a", 1);
	char *big = calloc(1, REALM_CACHE_KEY_MAX + 1);

	cr_assert_null(realm_cache_new(&o));
	o.ttl_ms = 1;
	o.max_entries = 0;
	cr_assert_null(realm_cache_new(&o));
	c = cache_new(10, 10, 1);
	cr_assert_eq(realm_cache_put(c, big, REALM_CACHE_KEY_MAX + 1, 0, in), -1);
	cr_assert_eq(realm_cache_put(c, big, 0, 0, in), -1);
	realm_cache_free(c);
	free(big);
	free(in);
}

/* Concurrency smoke: readers and writers on overlapping keys with eviction
 * going on; every get must return a consistent entry (its own key's realm). */
struct worker_arg {
	struct realm_cache *c;
	unsigned            seed;
	unsigned            bad;
	unsigned            gets;
};

static void *worker(void *p)
{
	struct worker_arg *a = p;
	struct realm_lookup *in = lk_new("x", 2), *out = lk_new(NULL, 0);
	unsigned i, k;
	char key[32];

	for (i = 0; i < 20000; i++) {
		a->seed = a->seed * 1103515245u + 12345u;
		k = (a->seed >> 16) % 40;
		snprintf(key, sizeof(key), "realm:r%u", k);
		if (realm_cache_get(a->c, key, strlen(key), i / 100, out)) {
			char want[16];
			snprintf(want, sizeof(want), "r%u", k);
			if (strcmp(out->realm, want) != 0 || out->n_lns != 2 ||
			    strcmp(out->lns[1].id, "lns2") != 0)
				a->bad++;
		} else {
			snprintf(in->realm, sizeof(in->realm), "r%u", k);
			realm_cache_put(a->c, key, strlen(key), i / 100, in);
		}
		a->gets++;
	}
	free(in);
	free(out);
	return NULL;
}

Test(realm_cache, threads_share_one_cache)
{
	struct realm_cache *c = cache_new(50, 10, 16);
	struct worker_arg a[4];
	pthread_t t[4];
	struct realm_cache_stats st;
	unsigned i, gets = 0;

	for (i = 0; i < 4; i++) {
		a[i] = (struct worker_arg){ .c = c, .seed = i + 1 };
		cr_assert_eq(pthread_create(&t[i], NULL, worker, &a[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(a[i].bad, 0);
		gets += a[i].gets;
	}
	realm_cache_get_stats(c, &st);
	cr_assert_eq(st.hits + st.misses, gets);
	cr_assert_leq(st.entries, 16);
	cr_assert_gt(st.hits, 0);
	cr_assert_gt(st.evicted, 0);
	realm_cache_free(c);
}
