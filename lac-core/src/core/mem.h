/* Returning freed session memory to the system (scale).
 *
 * glibc keeps freed heap memory in the process: after thousands of sessions
 * have ended, lac-core's RSS would stay at its peak (179 MB after 8,000 held
 * stream sessions hung up). From the first session record freed on
 * (lac_mem_released), a timer looks every LAC_MEM_CHECK_MS at how much of the
 * heap is free (mallinfo2) and, above LAC_MEM_TRIM_FREE_MIN, asks the
 * allocator to give the free pages back (malloc_trim). The check is cheap; a
 * trim walks the free lists and madvises their pages (which are faulted in
 * again when reused), so it is not done per free: under churn freed memory
 * is reused and stays below the threshold. What is freed after the sessions
 * (accounting Stops answered, queues drained) goes back too. One loop, not
 * thread-safe. */
#ifndef CORE_MEM_H
#define CORE_MEM_H

#include "ev/ev.h"

#define LAC_MEM_CHECK_MS 3000
#define LAC_MEM_TRIM_FREE_MIN (4u << 20)

/* A session record was freed (starts the periodic check the first time). */
void lac_mem_released(struct ev_loop *loop);

/* Number of malloc_trim calls made so far. */
unsigned long lac_mem_trims(void);

#endif
