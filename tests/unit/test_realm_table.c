/*
 * realm_table and realm_notify: lookups with the lookup script's semantics
 * (exact, wildcard, DNIS, order), replace and delete, swap, round-robin
 * counters surviving a replace, readers and a writer in threads at once;
 * the notification message contract and the version logic (apply, skip,
 * gap, poll ahead twice, version going back).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "realm_notify.h"
#include "realm_table.h"

static struct realm_lookup *lk_new(const char *realm, unsigned n_lns)
{
	struct realm_lookup *lk = calloc(1, sizeof(*lk));
	unsigned i;

	cr_assert_not_null(lk);
	if (!realm)
		return lk;
	lk->found = 1;
	snprintf(lk->realm, sizeof(lk->realm), "%s", realm);
	realm_schema_realm_init(&lk->conf);
	lk->conf.mode = REALM_MODE_TUNNEL;
	lk->n_lns = n_lns;
	for (i = 0; i < n_lns; i++) {
		snprintf(lk->lns[i].id, sizeof(lk->lns[i].id), "lns%u", i + 1);
		lk->lns[i].weight = 1;
		snprintf(lk->lns[i].secret, sizeof(lk->lns[i].secret), "s%u", i);
		lk->lns[i].secret_len = strlen(lk->lns[i].secret);
	}
	return lk;
}

static const struct realm_name_opts opts = {
	.suffix_delimiters = "@", .prefix_delimiters = "/", .order = REALM_SEARCH_DOMAIN_FIRST,
	.wildcard = 1,
};

static int find(struct realm_table *t, const char *user, const char *dnis, struct realm_lookup *out)
{
	struct realm_name rn;

	realm_name_parse(&opts, user, user ? strlen(user) : 0, dnis, dnis ? strlen(dnis) : 0, &rn);
	return realm_table_lookup(t, &rn, out);
}

Test(realm_table, exact_wildcard_and_dnis_in_candidate_order)
{
	struct realm_table *t = realm_table_new();
	struct realm_lookup *a = lk_new("corp.example", 2), *w = lk_new("*.wild.example", 1);
	struct realm_lookup *d = lk_new("dnis.example", 1), *out = lk_new(NULL, 0);

	cr_assert_not_null(t);
	cr_assert_eq(realm_table_put_realm(t, a, 0), 0);
	cr_assert_eq(realm_table_put_realm(t, w, 0), 0);
	cr_assert_eq(realm_table_put_realm(t, d, 0), 0);
	cr_assert_eq(realm_table_put_dnis(t, "5551234", "dnis.example"), 0);

	cr_assert_eq(find(t, "joe@corp.example", NULL, out), 1);
	cr_expect_str_eq(out->realm, "corp.example");
	cr_expect_eq(out->n_lns, 2);
	cr_expect_str_eq(out->lns[1].secret, "s1");
	cr_expect_eq(out->matched, 0);

	cr_assert_eq(find(t, "joe@a.b.wild.example", NULL, out), 1);
	cr_expect_str_eq(out->realm, "*.wild.example");
	cr_expect_eq(out->matched, 2, "third candidate: *.b.wild.example missed first");

	cr_assert_eq(find(t, "joe@nowhere.example", "5551234", out), 1);
	cr_expect_str_eq(out->realm, "dnis.example");
	/* domain first: a realm of the domain wins over the DNIS */
	cr_assert_eq(find(t, "joe@corp.example", "5551234", out), 1);
	cr_expect_str_eq(out->realm, "corp.example");

	cr_expect_eq(find(t, "joe@nowhere.example", "999", out), 0);
	cr_expect_eq(out->found, 0);
	/* a DNIS mapped to a realm that is not there finds nothing */
	cr_assert_eq(realm_table_put_dnis(t, "777", "gone.example"), 0);
	cr_expect_eq(find(t, "x", "777", out), 0);
	realm_table_free(t);
	free(a); free(w); free(d); free(out);
}

Test(realm_table, replace_delete_and_dnis_remap)
{
	struct realm_table *t = realm_table_new();
	struct realm_lookup *a = lk_new("corp.example", 3), *out = lk_new(NULL, 0);
	struct realm_table_stats st;

	cr_assert_eq(realm_table_put_realm(t, a, 0), 0);
	a->n_lns = 1;
	a->lns[0].down = 1;
	cr_assert_eq(realm_table_put_realm(t, a, 0), 0);
	a->lns[0].down = 0;    /* the table holds its own copy */
	cr_assert_eq(find(t, "joe@corp.example", NULL, out), 1);
	cr_expect_eq(out->n_lns, 1);
	cr_expect_eq(out->lns[0].down, 1);
	realm_table_get_stats(t, &st);
	cr_expect_eq(st.realms, 1);

	cr_assert_eq(realm_table_put_dnis(t, "1", "corp.example"), 0);
	cr_assert_eq(realm_table_put_dnis(t, "1", "other.example"), 0);
	realm_table_get_stats(t, &st);
	cr_expect_eq(st.dnis, 1);
	cr_expect_eq(find(t, NULL, "1", out), 0, "remapped to a realm that does not exist");
	cr_expect_eq(realm_table_del_dnis(t, "1"), 1);
	cr_expect_eq(realm_table_del_dnis(t, "1"), 0);

	cr_expect_eq(realm_table_del_realm(t, "corp.example"), 1);
	cr_expect_eq(realm_table_del_realm(t, "corp.example"), 0);
	cr_expect_eq(find(t, "joe@corp.example", NULL, out), 0);
	realm_table_get_stats(t, &st);
	cr_expect_eq(st.realms, 0);
	a->found = 0;
	cr_expect_eq(realm_table_put_realm(t, a, 0), -1, "a not-found lookup is not an entry");
	realm_table_free(t);
	free(a); free(out);
}

Test(realm_table, twenty_thousand_realms_grow_and_swap)
{
	struct realm_table *live = realm_table_new(), *fresh = realm_table_new();
	struct realm_lookup *a = lk_new("x", 2), *out = lk_new(NULL, 0);
	struct realm_table_stats st;
	char user[64];
	unsigned i;

	a->realm[0] = 0;
	snprintf(a->realm, sizeof(a->realm), "old.example");
	cr_assert_eq(realm_table_put_realm(live, a, 0), 0);
	for (i = 0; i < 20000; i++) {
		snprintf(a->realm, sizeof(a->realm), "r%u.example", i);
		cr_assert_eq(realm_table_put_realm(fresh, a, 0), 0);
	}
	realm_table_swap(live, fresh);
	realm_table_free(fresh);
	realm_table_get_stats(live, &st);
	cr_expect_eq(st.realms, 20000);
	for (i = 0; i < 20000; i += 997) {
		snprintf(user, sizeof(user), "u@r%u.example", i);
		cr_expect_eq(find(live, user, NULL, out), 1, "%s", user);
	}
	cr_expect_eq(find(live, "u@old.example", NULL, out), 0, "the swap dropped the old contents");
	realm_table_free(live);
	free(a); free(out);
}

Test(realm_table, round_robin_counter_advances_and_survives_a_replace)
{
	struct realm_table *t = realm_table_new();
	struct realm_lookup *a = lk_new("rr.example", 3), *out = lk_new(NULL, 0);

	a->conf.policy = REALM_POLICY_ROUND_ROBIN;
	cr_assert_eq(realm_table_put_realm(t, a, 41), 0);
	cr_assert_eq(find(t, "u@rr.example", NULL, out), 1);
	cr_expect_eq(out->rr_counter, 42);
	cr_assert_eq(find(t, "u@rr.example", NULL, out), 1);
	cr_expect_eq(out->rr_counter, 43);
	cr_assert_eq(realm_table_put_realm(t, a, 0), 0);
	cr_assert_eq(find(t, "u@rr.example", NULL, out), 1);
	cr_expect_eq(out->rr_counter, 44, "a replaced entry keeps its rotation");
	a->conf.policy = REALM_POLICY_PREFERENCE;
	cr_assert_eq(realm_table_put_realm(t, a, 0), 0);
	cr_assert_eq(find(t, "u@rr.example", NULL, out), 1);
	cr_expect_eq(out->rr_counter, 0);
	realm_table_free(t);
	free(a); free(out);
}

struct reader_arg {
	struct realm_table *t;
	int                 bad;
};

static int stop_readers;

static void *reader(void *p)
{
	struct reader_arg *ra = p;
	struct realm_lookup *out = lk_new(NULL, 0);

	while (!__atomic_load_n(&stop_readers, __ATOMIC_RELAXED)) {
		if (find(ra->t, "u@busy.example", NULL, out) == 1 &&
		    (out->n_lns < 1 || out->n_lns > 4 || strcmp(out->lns[0].id, "lns1") != 0))
			ra->bad++;
	}
	free(out);
	return NULL;
}

Test(realm_table, readers_see_whole_entries_while_a_writer_replaces_them)
{
	struct realm_table *t = realm_table_new(), *fresh;
	struct realm_lookup *a = lk_new("busy.example", 4);
	struct reader_arg ra[3];
	pthread_t th[3];
	unsigned i;

	for (i = 0; i < 3; i++) {
		ra[i].t = t;
		ra[i].bad = 0;
		pthread_create(&th[i], NULL, reader, &ra[i]);
	}
	for (i = 0; i < 20000; i++) {
		a->n_lns = 1 + i % 4;
		if (i % 3 == 0)
			realm_table_del_realm(t, "busy.example");
		realm_table_put_realm(t, a, 0);
		if (i % 1000 == 0) {
			fresh = realm_table_new();
			realm_table_put_realm(fresh, a, 0);
			realm_table_swap(t, fresh);
			realm_table_free(fresh);
		}
	}
	__atomic_store_n(&stop_readers, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		cr_expect_eq(ra[i].bad, 0);
	}
	realm_table_free(t);
	free(a);
}

Test(realm_notify, messages_of_the_contract_parse_and_others_do_not)
{
	struct realm_notify n;

	cr_assert_eq(realm_notify_parse("12 realm corp.example", 21, &n), 0);
	cr_expect_eq(n.version, 12);
	cr_expect_eq(n.kind, REALM_NOTIFY_REALM);
	cr_expect_str_eq(n.name, "corp.example");
	cr_assert_eq(realm_notify_parse("13 realm *.wild.example", 23, &n), 0);
	cr_assert_eq(realm_notify_parse("7 dnis 5551234", 14, &n), 0);
	cr_expect_eq(n.kind, REALM_NOTIFY_DNIS);
	cr_expect_str_eq(n.name, "5551234");
	cr_assert_eq(realm_notify_parse("99 all", 6, &n), 0);
	cr_expect_eq(n.kind, REALM_NOTIFY_ALL);
	cr_expect_eq(realm_notify_parse("99 all x", 8, &n), -1);
	cr_expect_eq(realm_notify_parse("0 realm a.example", 17, &n), -1, "versions start at 1");
	cr_expect_eq(realm_notify_parse("x realm a.example", 17, &n), -1);
	cr_expect_eq(realm_notify_parse("1 realm", 7, &n), -1);
	cr_expect_eq(realm_notify_parse("1 realm Bad_Case!", 17, &n), -1);
	cr_expect_eq(realm_notify_parse("1 lns a.example", 15, &n), -1);
	cr_expect_eq(realm_notify_parse("1 realm a\0b", 11, &n), -1);
	cr_expect_eq(realm_notify_parse("", 0, &n), -1);
	cr_expect_eq(realm_notify_parse("99999999999999999999999 all", 27, &n), -1);
}

Test(realm_notify, version_logic_applies_in_order_and_resyncs_on_a_gap)
{
	struct realm_version v;

	realm_version_reset(&v);
	cr_expect_eq(realm_version_on_notify(&v, 5, REALM_NOTIFY_REALM), REALM_VERSION_RESYNC,
		     "nothing loaded yet");
	realm_version_loaded(&v, 10);
	cr_expect_eq(realm_version_on_notify(&v, 9, REALM_NOTIFY_REALM), REALM_VERSION_SKIP);
	cr_expect_eq(realm_version_on_notify(&v, 10, REALM_NOTIFY_REALM), REALM_VERSION_SKIP,
		     "published before the load read it");
	cr_expect_eq(realm_version_on_notify(&v, 11, REALM_NOTIFY_REALM), REALM_VERSION_APPLY);
	cr_expect_eq(v.version, 11);
	cr_expect_eq(realm_version_on_notify(&v, 12, REALM_NOTIFY_DNIS), REALM_VERSION_APPLY);
	cr_expect_eq(realm_version_on_notify(&v, 14, REALM_NOTIFY_REALM), REALM_VERSION_RESYNC,
		     "13 was missed");
	realm_version_loaded(&v, 14);
	cr_expect_eq(realm_version_on_notify(&v, 15, REALM_NOTIFY_ALL), REALM_VERSION_RESYNC);
}

Test(realm_notify, poll_resyncs_when_ahead_twice_or_behind)
{
	struct realm_version v;

	realm_version_reset(&v);
	cr_expect_eq(realm_version_on_poll(&v, 0), REALM_VERSION_RESYNC);
	realm_version_loaded(&v, 10);
	cr_expect_eq(realm_version_on_poll(&v, 10), REALM_VERSION_SKIP);
	cr_expect_eq(realm_version_on_poll(&v, 11), REALM_VERSION_SKIP, "its message may be on the way");
	cr_expect_eq(realm_version_on_notify(&v, 11, REALM_NOTIFY_REALM), REALM_VERSION_APPLY);
	cr_expect_eq(realm_version_on_poll(&v, 12), REALM_VERSION_SKIP);
	cr_expect_eq(realm_version_on_poll(&v, 12), REALM_VERSION_RESYNC,
		     "still ahead at the next poll: a change without a notification");
	realm_version_loaded(&v, 12);
	cr_expect_eq(realm_version_on_poll(&v, 3), REALM_VERSION_RESYNC,
		     "the store went back (failover to a replica that missed writes, flush)");
}
