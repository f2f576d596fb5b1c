/* See mem.h. */
#include "core/mem.h"

#include <malloc.h>

void mem_trim_observe(struct mem_trim_policy *p, uint32_t live)
{
	if (live > p->peak)
		p->peak = live;
}

bool mem_trim_due(struct mem_trim_policy *p, uint32_t live)
{
	mem_trim_observe(p, live);
	uint32_t drop = p->peak - live;
	if (drop >= LAC_MEM_TRIM_DROP_MIN && drop >= p->peak / 8) {
		p->peak = live;
		p->settle = true;
		return true;
	}
	if (p->settle) {
		p->settle = false;
		return true;
	}
	return false;
}

static unsigned long trims;
static struct ev_timer check_timer;
static struct mem_trim_policy policy;
static const uint32_t *live_count;

static void mem_check(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	(void)arg;
	if (mem_trim_due(&policy, *live_count)) {
		trims++;
		malloc_trim(0);
	}
	ev_timer_start(loop, t, LAC_MEM_CHECK_MS);
}

void lac_mem_released(struct ev_loop *loop, const uint32_t *live)
{
	mem_trim_observe(&policy, *live);
	if (live_count)
		return;
	live_count = live;
	ev_timer_init(&check_timer, mem_check, NULL);
	ev_timer_start(loop, &check_timer, LAC_MEM_CHECK_MS);
}

unsigned long lac_mem_trims(void)
{
	return trims;
}
