/* Session IDs per tunnel (sess_ids.c; RFC 2661 3.1: a Session ID is local
 * to its tunnel): each tunnel has all 65,535 IDs, the engine holds more
 * sessions than one ID space, an ID freed on a tunnel is free there again,
 * and the table grows while every session stays found. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "l2tp/engine_int.h"

#define IDS_PER_TUNNEL (ID_SPACE - 1)

static struct l2tp_engine eng;

static void setup(void)
{
	memset(&eng, 0, sizeof(eng));
	cr_assert_eq(sess_ids_init(&eng), 0);
}

static void teardown(void)
{
	sess_ids_free(&eng);
}

static struct l2tp_session *sessions_new(size_t n)
{
	struct l2tp_session *s = calloc(n, sizeof(*s));
	size_t i;

	cr_assert_not_null(s);
	for (i = 0; i < n; i++)
		s[i].e = &eng;
	return s;
}

/* Fills tunnel tid with all its IDs; returns the sessions, indexed by ID. */
static struct l2tp_session **fill_tunnel(struct l2tp_session *s, uint16_t tid)
{
	struct l2tp_session **by_sid = calloc(ID_SPACE, sizeof(*by_sid));
	size_t i;

	cr_assert_not_null(by_sid);
	for (i = 0; i < IDS_PER_TUNNEL; i++) {
		uint16_t sid = sess_id_assign(&s[i], tid);

		cr_assert_neq(sid, 0, "ID %zu of tunnel %u not given", i + 1, tid);
		cr_assert_eq(s[i].fsm.local_sid, sid);
		cr_assert_null(by_sid[sid], "ID %u given twice on tunnel %u", sid, tid);
		by_sid[sid] = &s[i];
	}
	return by_sid;
}

TestSuite(l2tp_sess_ids, .init = setup, .fini = teardown);

Test(l2tp_sess_ids, two_tunnels_hold_every_id_each_and_more_sessions_than_one_id_space)
{
	struct l2tp_session *a = sessions_new(IDS_PER_TUNNEL), *b = sessions_new(IDS_PER_TUNNEL);
	struct l2tp_session extra = { .e = &eng };
	struct l2tp_session **a_by, **b_by;
	unsigned sid;

	a_by = fill_tunnel(a, 7);
	b_by = fill_tunnel(b, 4242);
	cr_assert_eq(eng.n_sids, 2 * (size_t)IDS_PER_TUNNEL);
	for (sid = 1; sid < ID_SPACE; sid++) {
		cr_assert_eq(sess_by_id(&eng, 7, (uint16_t)sid), a_by[sid]);
		cr_assert_eq(sess_by_id(&eng, 4242, (uint16_t)sid), b_by[sid]);
	}
	cr_assert_null(sess_by_id(&eng, 8, 1), "a tunnel with no sessions finds none");
	cr_assert_null(sess_by_id(&eng, 7, 0), "session ID 0 is never a session");
	cr_assert_eq(sess_id_assign(&extra, 7), 0, "a full tunnel has no ID left");
	cr_assert_eq(extra.id_tid, 0);
	cr_assert_neq(sess_id_assign(&extra, 9), 0, "another tunnel still has all of its");
	sess_id_release(&extra);
	free(a_by);
	free(b_by);
	free(a);
	free(b);
}

Test(l2tp_sess_ids, an_id_released_on_a_tunnel_is_free_there_again_and_only_there)
{
	struct l2tp_session *a = sessions_new(IDS_PER_TUNNEL);
	struct l2tp_session other = { .e = &eng }, again = { .e = &eng };
	struct l2tp_session **a_by = fill_tunnel(a, 1);
	uint16_t freed = a[100].fsm.local_sid;

	sess_id_release(&a[100]);
	cr_assert_null(sess_by_id(&eng, 1, freed));
	cr_assert_eq(a[100].fsm.local_sid, freed, "the released ID stays readable for logs");
	sess_id_release(&a[100]);       /* twice: a no-op */
	cr_assert_eq(eng.n_sids, (size_t)IDS_PER_TUNNEL - 1);
	cr_assert_eq(sess_id_assign(&again, 1), freed, "the one free ID of the tunnel");
	cr_assert_eq(sess_by_id(&eng, 1, freed), &again);
	/* Moving to another tunnel (failover) gives the old ID back. */
	cr_assert_neq(sess_id_assign(&again, 2), 0);
	cr_assert_null(sess_by_id(&eng, 1, freed));
	cr_assert_eq(sess_id_assign(&other, 1), freed);
	cr_assert_eq(sess_by_id(&eng, 2, again.fsm.local_sid), &again);
	sess_id_release(&again);
	sess_id_release(&other);
	free(a_by);
	free(a);
}

Test(l2tp_sess_ids, ids_are_drawn_at_random_not_in_sequence)
{
	struct l2tp_session *s = sessions_new(64);
	unsigned i, in_sequence = 0;

	for (i = 0; i < 64; i++)
		cr_assert_neq(sess_id_assign(&s[i], 3), 0);
	for (i = 1; i < 64; i++)
		in_sequence += s[i].fsm.local_sid == (uint16_t)(s[i - 1].fsm.local_sid + 1);
	/* a sequence would give 63; random draws give one by chance in ~1,000 */
	cr_assert_lt(in_sequence, 4);
	for (i = 0; i < 64; i++)
		sess_id_release(&s[i]);
	cr_assert_eq(eng.n_sids, 0);
	free(s);
}

Test(l2tp_sess_ids, the_table_grows_from_1024_buckets_and_keeps_every_session)
{
	enum { N = 20000 };
	struct l2tp_session *s = sessions_new(N);
	unsigned i;

	cr_assert_eq(eng.sid_shift, 32 - 10);
	for (i = 0; i < N; i++)
		cr_assert_neq(sess_id_assign(&s[i], (uint16_t)(1 + i % 5)), 0);
	cr_assert_lt(eng.sid_shift, 32 - 14, "at most one session per bucket on average");
	for (i = 0; i < N; i++)
		cr_assert_eq(sess_by_id(&eng, (uint16_t)(1 + i % 5), s[i].fsm.local_sid), &s[i]);
	for (i = 0; i < N; i += 2)
		sess_id_release(&s[i]);
	for (i = 0; i < N; i++)
		cr_assert_eq(sess_by_id(&eng, (uint16_t)(1 + i % 5), s[i].fsm.local_sid),
			     i % 2 ? &s[i] : NULL);
	cr_assert_eq(eng.n_sids, N / 2);
	free(s);
}

/* The engine's configuration: a 0 means the default where l2tp.h says so,
 * and "none" for HELLO, the dead-cache hold-down and the tunnel size, as
 * lac.conf(5) documents ([l2tp] hello_interval_s = 0: no HELLO). */
Test(l2tp_engine_config, zero_means_the_default_or_none_as_documented)
{
	struct l2tp_engine_config c;
	memset(&c, 0, sizeof(c));
	l2tp_engine_config_resolve(&c);
	cr_expect_eq(c.port, 1701);
	cr_expect_str_eq(c.host_name, "lac-core");
	cr_expect_eq(c.rx_window, 8);
	cr_expect_eq(c.retransmit_initial_ms, 1000);
	cr_expect_eq(c.retransmit_max_ms, 8000);
	cr_expect_eq(c.max_retransmits, 5);
	cr_expect_eq(c.tunnel_setup_timeout_s, 10);
	cr_expect_eq(c.session_setup_timeout_s, 10);
	cr_expect_eq(c.tunnels_per_lns, 1);
	cr_expect_eq(c.hello_interval_s, 0, "no HELLO");
	cr_expect_eq(c.dead_hold_down_s, 0, "no hold-down");
	cr_expect_eq(c.max_sessions_per_tunnel, 0, "no limit");
	l2tp_engine_config_default(&c);
	cr_expect_eq(c.hello_interval_s, 60);
	cr_expect_eq(c.dead_hold_down_s, 60);
	c.tunnels_per_lns = 7;
	l2tp_engine_config_resolve(&c);
	cr_expect_eq(c.tunnels_per_lns, 7, "what is set stays");
	cr_expect_eq(c.hello_interval_s, 60);
}
