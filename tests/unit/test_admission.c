/* Call admission control (core/admission.c) with a fake clock: drain, the
 * session maxima in all, per realm and per LNS, the calls-per-second token
 * bucket, and a refusal counter for every cause. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/admission.h"

static struct admission adm;

static void init(uint32_t max, uint32_t realm, uint32_t lns, uint32_t cps, uint32_t burst)
{
	struct admission_config c = { max, realm, lns, cps, burst };
	admission_init(&adm, &c);
}

Test(admission, bucket_allows_the_burst_then_the_rate)
{
	struct adm_bucket b = { 0 };
	for (int i = 0; i < 3; i++)
		cr_assert(adm_bucket_take(&b, 1000, 2, 3), "burst %d", i);
	cr_assert_not(adm_bucket_take(&b, 1000, 2, 3));
	cr_assert_not(adm_bucket_take(&b, 1499, 2, 3));   /* 0.998 token */
	cr_assert(adm_bucket_take(&b, 1500, 2, 3));       /* 2/s: one every 500 ms */
	cr_assert_not(adm_bucket_take(&b, 1500, 2, 3));
	/* A long pause refills to the burst, not beyond. */
	for (int i = 0; i < 3; i++)
		cr_assert(adm_bucket_take(&b, 100000, 2, 3));
	cr_assert_not(adm_bucket_take(&b, 100000, 2, 3));
	/* Rate 0: no limit. */
	struct adm_bucket u = { 0 };
	for (int i = 0; i < 1000; i++)
		cr_assert(adm_bucket_take(&u, 0, 0, 0));
}

Test(admission, drain_refuses_new_calls_and_keeps_counting_the_old)
{
	init(0, 0, 0, 0, 0);
	cr_assert_eq(admission_call_start(&adm, 0), ADM_OK);
	admission_set_draining(&adm, true);
	cr_assert_eq(admission_call_start(&adm, 0), ADM_DRAINING);
	cr_assert_eq(admission_call_start(&adm, 0), ADM_DRAINING);
	cr_assert_eq(adm.calls, 1);
	cr_assert_eq(adm.refused[ADM_DRAINING], 2);
	admission_call_end(&adm);
	cr_assert_eq(adm.calls, 0);
	admission_set_draining(&adm, false);
	cr_assert_eq(admission_call_start(&adm, 0), ADM_OK);
	cr_assert_str_eq(adm_cause_str(ADM_DRAINING), "draining");
	cr_assert_str_eq(adm_cause_text(ADM_DRAINING), "LAC draining: new calls refused");
}

Test(admission, max_sessions_refuses_exactly_the_one_over)
{
	init(3, 0, 0, 0, 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(admission_call_start(&adm, 0), ADM_OK);
	cr_assert_eq(admission_call_start(&adm, 0), ADM_MAX_SESSIONS);
	admission_call_end(&adm);
	cr_assert_eq(admission_call_start(&adm, 0), ADM_OK);
	cr_assert_eq(adm.refused[ADM_MAX_SESSIONS], 1);
	cr_assert_eq(adm.admitted, 4);
}

Test(admission, call_rate_refuses_beyond_the_burst_and_recovers)
{
	init(0, 0, 0, 5, 2);
	cr_assert_eq(admission_call_start(&adm, 10000), ADM_OK);
	cr_assert_eq(admission_call_start(&adm, 10000), ADM_OK);
	cr_assert_eq(admission_call_start(&adm, 10000), ADM_CALL_RATE);
	cr_assert_eq(admission_call_start(&adm, 10199), ADM_CALL_RATE);
	cr_assert_eq(admission_call_start(&adm, 10200), ADM_OK);
	cr_assert_eq(adm.refused[ADM_CALL_RATE], 2);
	cr_assert_eq(adm.calls, 3);
}

Test(admission, realm_limit_from_config_or_reply)
{
	init(0, 2, 0, 0, 0);
	const char *lns[] = { "10.0.0.1" };
	bool ok[1];
	size_t taken;
	cr_assert_eq(admission_tunnel_take(&adm, "a.example", 0, lns, 1, 0, ok, &taken), ADM_OK);
	cr_assert_eq(admission_tunnel_take(&adm, "a.example", 0, lns, 1, 0, ok, &taken), ADM_OK);
	cr_assert_eq(admission_tunnel_take(&adm, "a.example", 0, lns, 1, 0, ok, &taken), ADM_REALM_LIMIT);
	/* Another realm has its own count. */
	cr_assert_eq(admission_tunnel_take(&adm, "b.example", 0, lns, 1, 0, ok, &taken), ADM_OK);
	/* The reply's maximum overrides the configured one. */
	cr_assert_eq(admission_tunnel_take(&adm, "a.example", 3, lns, 1, 0, ok, &taken), ADM_OK);
	cr_assert_eq(admission_realm_count(&adm, "a.example"), 3);
	cr_assert_eq(admission_lns_count(&adm, "10.0.0.1"), 4);
	admission_tunnel_release(&adm, "a.example", "10.0.0.1");
	cr_assert_eq(admission_realm_count(&adm, "a.example"), 2);
	cr_assert_eq(admission_lns_count(&adm, "10.0.0.1"), 3);
	cr_assert_eq(adm.refused[ADM_REALM_LIMIT], 1);
}

Test(admission, lns_limit_skips_full_candidates_and_refuses_when_all_are_full)
{
	init(0, 0, 1, 0, 0);
	const char *lns[] = { "10.0.0.1", "10.0.0.2" };
	bool ok[2];
	size_t taken;
	cr_assert_eq(admission_tunnel_take(&adm, "r", 0, lns, 2, 0, ok, &taken), ADM_OK);
	cr_assert_eq(taken, 0);
	cr_assert_eq(admission_tunnel_take(&adm, "r", 0, lns, 2, 0, ok, &taken), ADM_OK);
	cr_assert_eq(taken, 1);
	cr_assert_not(ok[0]);
	cr_assert(ok[1]);
	cr_assert_eq(admission_tunnel_take(&adm, "r", 0, lns, 2, 0, ok, &taken), ADM_LNS_LIMIT);
	cr_assert_eq(admission_realm_count(&adm, "r"), 2, "a refused call is not counted");
	/* Failover moves the count. */
	admission_tunnel_move(&adm, "10.0.0.2", "10.0.0.3");
	cr_assert_eq(admission_lns_count(&adm, "10.0.0.2"), 0);
	cr_assert_eq(admission_lns_count(&adm, "10.0.0.3"), 1);
	cr_assert_eq(admission_tunnel_take(&adm, "r", 0, lns, 2, 0, ok, &taken), ADM_OK);
	cr_assert_eq(taken, 1);
}

Test(admission, many_realms_come_and_go_without_losing_counts)
{
	init(0, 1, 0, 0, 0);
	char name[32];
	bool ok[1];
	size_t taken;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 900; i++) {
			snprintf(name, sizeof(name), "realm%d-%d", i, round);
			cr_assert_eq(admission_tunnel_take(&adm, name, 0, NULL, 0, 0, ok, &taken), ADM_OK);
			cr_assert_eq(admission_tunnel_take(&adm, name, 0, NULL, 0, 0, ok, &taken), ADM_REALM_LIMIT);
		}
		for (int i = 0; i < 900; i++) {
			snprintf(name, sizeof(name), "realm%d-%d", i, round);
			admission_tunnel_release(&adm, name, NULL);
			cr_assert_eq(admission_realm_count(&adm, name), 0);
		}
	}
}

Test(admission, counters_line_names_every_cause)
{
	char line[512];
	init(1, 0, 0, 0, 0);
	admission_call_start(&adm, 0);
	admission_call_start(&adm, 0);
	admission_counters_format(&adm, line, sizeof(line));
	cr_assert(strstr(line, "draining=no calls=1 admitted=1"));
	cr_assert(strstr(line, "refused_max_sessions=1"));
	cr_assert(strstr(line, "refused_lns_limit=0"));
}

Test(admission, ticket_takes_the_realm_from_the_user_name_and_releases_once)
{
	init(0, 1, 0, 0, 0);
	struct adm_ticket t = { 0 }, u = { 0 };
	const char *lns[] = { "10.0.0.1", "10.0.0.2" };
	bool ok[2];
	cr_assert_eq(admission_ticket_call(&adm, &t, 0), ADM_OK);
	cr_assert_eq(admission_ticket_tunnel(&adm, &t, "bob@x@corp.example", 0, lns, 2, 0, ok), ADM_OK);
	cr_assert_str_eq(t.realm, "corp.example");
	cr_assert_str_eq(t.lns, "10.0.0.1");
	cr_assert_eq(admission_ticket_call(&adm, &u, 0), ADM_OK);
	cr_assert_eq(admission_ticket_tunnel(&adm, &u, "eve@corp.example", 0, lns, 2, 0, ok), ADM_REALM_LIMIT);
	admission_ticket_move(&adm, &t, "10.0.0.2");
	cr_assert_eq(admission_lns_count(&adm, "10.0.0.2"), 1);
	admission_ticket_release(&adm, &t);
	admission_ticket_release(&adm, &t);
	admission_ticket_release(&adm, &u);
	cr_assert_eq(adm.calls, 0);
	cr_assert_eq(admission_realm_count(&adm, "corp.example"), 0);
	cr_assert_eq(admission_lns_count(&adm, "10.0.0.2"), 0);
}
