/* realm_select: LNS ordering policies, with a fixed-seed generator. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "realm_select.h"

static void mk(struct realm_lns *l, const char *id, unsigned pref, unsigned weight)
{
	realm_schema_lns_init(l);
	snprintf(l->id, sizeof(l->id), "%s", id);
	l->preference = pref;
	l->weight = weight;
}

#define DRAWS 20000

/* Fraction of DRAWS in which lns `who` was at position `pos`. */
static double freq_at(const struct realm_lns *lns, unsigned n, enum realm_policy p,
		      unsigned pos, unsigned who, uint64_t seed)
{
	unsigned order[64], i, hits = 0;
	for (i = 0; i < DRAWS; i++) {
		unsigned got = realm_select(lns, n, p, 31, 0, realm_rand_splitmix, &seed, order);
		cr_assert_gt(got, pos);
		if (order[pos] == who)
			hits++;
	}
	return (double)hits / DRAWS;
}

Test(realm_select, preference_orders_ascending)
{
	struct realm_lns l[3];
	unsigned order[3];
	uint64_t seed = 1;

	mk(&l[0], "c", 30, 1);
	mk(&l[1], "a", 10, 1);
	mk(&l[2], "b", 20, 1);
	cr_assert_eq(realm_select(l, 3, REALM_POLICY_PREFERENCE, 31, 0, realm_rand_splitmix, &seed, order), 3);
	cr_expect_eq(order[0], 1);
	cr_expect_eq(order[1], 2);
	cr_expect_eq(order[2], 0);
}

Test(realm_select, equal_preferences_are_shuffled_evenly)
{
	struct realm_lns l[3];
	double f;

	mk(&l[0], "x", 1, 1);
	mk(&l[1], "y", 1, 1);
	mk(&l[2], "z", 2, 1);
	f = freq_at(l, 3, REALM_POLICY_PREFERENCE, 0, 0, 42);
	cr_expect(f > 0.47 && f < 0.53, "x first in %.3f of draws, want ~0.5", f);
	f = freq_at(l, 3, REALM_POLICY_PREFERENCE, 2, 2, 42);
	cr_expect_float_eq(f, 1.0, 1e-9, "the pref-2 LNS is always last");
}

Test(realm_select, equal_preferences_shared_by_weight)
{
	struct realm_lns l[2];
	double f;

	mk(&l[0], "light", 5, 1);
	mk(&l[1], "heavy", 5, 3);
	f = freq_at(l, 2, REALM_POLICY_PREFERENCE, 0, 1, 7);
	cr_expect(f > 0.72 && f < 0.78, "heavy first in %.3f, want ~0.75", f);
}

Test(realm_select, weighted_first_position_follows_weights)
{
	struct realm_lns l[3];
	double f0, f1, f2;

	mk(&l[0], "w1", 1, 1);
	mk(&l[1], "w2", 99, 2);   /* preference is ignored by the weighted policy */
	mk(&l[2], "w7", 50, 7);
	f0 = freq_at(l, 3, REALM_POLICY_WEIGHTED, 0, 0, 3);
	f1 = freq_at(l, 3, REALM_POLICY_WEIGHTED, 0, 1, 4);
	f2 = freq_at(l, 3, REALM_POLICY_WEIGHTED, 0, 2, 5);
	cr_expect(f0 > 0.08 && f0 < 0.12, "w1 first %.3f, want 0.10", f0);
	cr_expect(f1 > 0.18 && f1 < 0.22, "w2 first %.3f, want 0.20", f1);
	cr_expect(f2 > 0.68 && f2 < 0.72, "w7 first %.3f, want 0.70", f2);
}

Test(realm_select, weighted_second_position_is_without_replacement)
{
	struct realm_lns l[3];
	double f;

	mk(&l[0], "w1", 0, 1);
	mk(&l[1], "w2", 0, 2);
	mk(&l[2], "w7", 0, 7);
	/* P(w1 second) = 0.2 * 1/8 + 0.7 * 1/3 = 0.2583 */
	f = freq_at(l, 3, REALM_POLICY_WEIGHTED, 1, 0, 9);
	cr_expect(f > 0.24 && f < 0.28, "w1 second %.3f, want 0.258", f);
}

Test(realm_select, every_order_is_a_permutation)
{
	struct realm_lns l[8];
	unsigned order[8], i, k, seen;
	uint64_t seed = 99;
	char id[8];

	for (i = 0; i < 8; i++) {
		snprintf(id, sizeof(id), "l%u", i);
		mk(&l[i], id, i % 3, 1 + i * 10);
	}
	for (k = 0; k < 1000; k++) {
		enum realm_policy p = (enum realm_policy)(k % 3);
		cr_assert_eq(realm_select(l, 8, p, 31, k, realm_rand_splitmix, &seed, order), 8);
		seen = 0;
		for (i = 0; i < 8; i++)
			seen |= 1u << order[i];
		cr_assert_eq(seen, 0xffu, "policy %s draw %u", realm_policy_str(p), k);
	}
}

Test(realm_select, same_seed_same_order)
{
	struct realm_lns l[5];
	unsigned a[5], b[5], i;
	uint64_t s1 = 1234, s2 = 1234;
	char id[8];

	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "l%u", i);
		mk(&l[i], id, 0, 1);
	}
	realm_select(l, 5, REALM_POLICY_WEIGHTED, 31, 0, realm_rand_splitmix, &s1, a);
	realm_select(l, 5, REALM_POLICY_WEIGHTED, 31, 0, realm_rand_splitmix, &s2, b);
	cr_expect_arr_eq(a, b, sizeof(a));
}

Test(realm_select, round_robin_rotates_in_preference_then_id_order)
{
	struct realm_lns l[3];
	unsigned order[3], c;
	uint64_t seed = 0;
	static const unsigned want_first[] = { 2, 0, 1, 2, 0, 1 };

	mk(&l[0], "b", 1, 1);
	mk(&l[1], "c", 1, 1);
	mk(&l[2], "a", 1, 1);   /* base order: a(2) b(0) c(1) */
	for (c = 0; c < 6; c++) {
		cr_assert_eq(realm_select(l, 3, REALM_POLICY_ROUND_ROBIN, 31, c, realm_rand_splitmix, &seed, order), 3);
		cr_expect_eq(order[0], want_first[c], "counter %u", c);
		cr_expect_eq(order[1], want_first[(c + 1) % 6], "counter %u", c);
	}
}

Test(realm_select, down_and_full_lns_are_skipped)
{
	struct realm_lns l[4];
	unsigned order[4];
	uint64_t seed = 5;

	mk(&l[0], "down", 0, 1);
	l[0].down = 1;
	mk(&l[1], "full", 0, 1);
	l[1].max_sessions = 10;
	l[1].sessions = 10;
	mk(&l[2], "room", 1, 1);
	l[2].max_sessions = 10;
	l[2].sessions = 9;
	mk(&l[3], "unlimited", 2, 1);
	l[3].sessions = 100000;
	cr_assert_eq(realm_select(l, 4, REALM_POLICY_PREFERENCE, 31, 0, realm_rand_splitmix, &seed, order), 2);
	cr_expect_eq(order[0], 2);
	cr_expect_eq(order[1], 3);
}

Test(realm_select, none_available_gives_zero)
{
	struct realm_lns l[2];
	unsigned order[2];
	uint64_t seed = 5;

	mk(&l[0], "a", 0, 1);
	mk(&l[1], "b", 0, 1);
	l[0].down = l[1].down = 1;
	cr_expect_eq(realm_select(l, 2, REALM_POLICY_WEIGHTED, 31, 0, realm_rand_splitmix, &seed, order), 0);
	cr_expect_eq(realm_select(l, 0, REALM_POLICY_PREFERENCE, 31, 0, realm_rand_splitmix, &seed, order), 0);
}

Test(realm_select, max_endpoints_caps_and_31_is_the_ceiling)
{
	struct realm_lns l[40];
	unsigned order[40], i;
	uint64_t seed = 11;
	char id[8];

	for (i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "l%02u", i);
		mk(&l[i], id, 40 - i, 1);
	}
	cr_expect_eq(realm_select(l, 40, REALM_POLICY_PREFERENCE, 2, 0, realm_rand_splitmix, &seed, order), 2);
	cr_expect_eq(order[0], 39, "lowest preference first");
	cr_expect_eq(order[1], 38);
	cr_expect_eq(realm_select(l, 40, REALM_POLICY_PREFERENCE, 31, 0, realm_rand_splitmix, &seed, order), 31);
	cr_expect_eq(realm_select(l, 40, REALM_POLICY_PREFERENCE, 200, 0, realm_rand_splitmix, &seed, order), 31);
}
