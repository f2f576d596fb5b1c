/* When lac-core gives freed memory back (core/mem.c's trim policy), on
 * live-session counts the test plays: a real fall of the count trims, once
 * more at the next check for what is freed late, and churn at a steady level
 * or a small dip does not. */
#include <criterion/criterion.h>

#include "core/mem.h"

Test(mem_trim, nothing_to_give_back_while_sessions_only_grow)
{
	struct mem_trim_policy p = { 0 };
	cr_expect_not(mem_trim_due(&p, 0));
	cr_expect_not(mem_trim_due(&p, 1000));
	cr_expect_not(mem_trim_due(&p, 64000));
}

Test(mem_trim, a_fall_trims_then_trims_once_more_then_rests)
{
	struct mem_trim_policy p = { 0 };
	cr_expect_not(mem_trim_due(&p, 8000));
	cr_expect(mem_trim_due(&p, 0), "every session hung up");
	cr_expect(mem_trim_due(&p, 0), "the settle trim: accounting freed after the sessions");
	cr_expect_not(mem_trim_due(&p, 0));
	cr_expect_not(mem_trim_due(&p, 0));
}

Test(mem_trim, a_burst_seen_only_at_its_releases_still_trims)
{
	/* 1000 up and down between two checks: the peak comes from the releases */
	struct mem_trim_policy p = { 0 };
	cr_expect_not(mem_trim_due(&p, 0));
	for (uint32_t live = 1000; live > 0; live--)
		mem_trim_observe(&p, live);
	cr_expect(mem_trim_due(&p, 0));
}

Test(mem_trim, churn_at_a_steady_level_and_small_dips_do_not_trim)
{
	struct mem_trim_policy p = { 0 };
	cr_expect_not(mem_trim_due(&p, 64000));
	/* an eighth of 64000 is 8000: 7999 fewer is churn, not a fall */
	cr_expect_not(mem_trim_due(&p, 64000 - 7999));
	cr_expect_not(mem_trim_due(&p, 64000));
	/* a small server: fewer than LAC_MEM_TRIM_DROP_MIN is not worth a trim */
	struct mem_trim_policy q = { 0 };
	cr_expect_not(mem_trim_due(&q, 100));
	cr_expect_not(mem_trim_due(&q, 100 - (LAC_MEM_TRIM_DROP_MIN - 1)));
	cr_expect(mem_trim_due(&q, 100 - LAC_MEM_TRIM_DROP_MIN));
}

Test(mem_trim, the_peak_restarts_from_the_level_after_a_trim)
{
	struct mem_trim_policy p = { 0 };
	cr_expect_not(mem_trim_due(&p, 10000));
	cr_expect(mem_trim_due(&p, 5000));
	cr_expect(mem_trim_due(&p, 5000));      /* settle */
	/* from 5000, a dip to 4900 is small; 4000 is a fall again */
	cr_expect_not(mem_trim_due(&p, 4900));
	cr_expect(mem_trim_due(&p, 4000));
}
