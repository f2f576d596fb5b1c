/* See mem.h. */
#include "core/mem.h"

#include <malloc.h>
#include <stdbool.h>

static unsigned long trims;
static struct ev_timer check_timer;
static bool started;

static void mem_check(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	(void)arg;
	struct mallinfo2 mi = mallinfo2();
	if (mi.fordblks >= LAC_MEM_TRIM_FREE_MIN) {
		trims++;
		malloc_trim(0);
	}
	ev_timer_start(loop, t, LAC_MEM_CHECK_MS);
}

void lac_mem_released(struct ev_loop *loop)
{
	if (started)
		return;
	started = true;
	ev_timer_init(&check_timer, mem_check, NULL);
	ev_timer_start(loop, &check_timer, LAC_MEM_CHECK_MS);
}

unsigned long lac_mem_trims(void)
{
	return trims;
}
