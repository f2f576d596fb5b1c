/* Returning freed session memory to the system (scale).
 *
 * glibc keeps freed heap memory in the process: after thousands of sessions
 * have ended, lac-core's RSS would stay at its peak (179 MB after 8,000 held
 * stream sessions hung up). So the allocator is asked to give free pages back
 * (malloc_trim) after the number of live sessions has really fallen, not
 * under churn, where freed memory is reused and a trim would only make the
 * next sessions fault their pages in again.
 *
 * The decision is a pure function of the live-session count (struct
 * mem_trim_policy, tested on its own): the peak since the last trim is
 * followed at every release and every check; a check (every
 * LAC_MEM_CHECK_MS) trims when the count is at least LAC_MEM_TRIM_DROP_MIN
 * and an eighth of the peak below it, and trims once more at the next check,
 * for what is freed after the sessions (accounting Stops answered, queues
 * drained). It used to ask mallinfo2() how much of the heap was free, but
 * that walks every free chunk: 8% of lac-core's setup CPU with 64k sessions
 * held (bench-lac-scale, perf), about 50 ms of the loop every check. One
 * loop, not thread-safe. */
#ifndef CORE_MEM_H
#define CORE_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "ev/ev.h"

#define LAC_MEM_CHECK_MS 3000
#define LAC_MEM_TRIM_DROP_MIN 64u       /* sessions: a few hundred KiB at 3.4 KiB each */

struct mem_trim_policy {
	uint32_t peak;                  /* live sessions, highest since the last trim */
	bool settle;                    /* trim again at the next check */
};

/* Follows the count (at a release: the count before it). */
void mem_trim_observe(struct mem_trim_policy *p, uint32_t live);
/* At a check: should the allocator be trimmed now? */
bool mem_trim_due(struct mem_trim_policy *p, uint32_t live);

/* A session record is about to be freed; *live is the daemon's live-session
 * count, read again at every check (starts the periodic check the first
 * time). */
void lac_mem_released(struct ev_loop *loop, const uint32_t *live);

/* Number of malloc_trim calls made so far. */
unsigned long lac_mem_trims(void);

#endif
