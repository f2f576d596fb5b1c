/* One event loop per daemon: epoll for file descriptors, a binary heap of timers,
 * a millisecond monotonic clock read once per iteration.
 *
 * Nothing here blocks except epoll_wait itself. Callbacks may add, modify or
 * delete any fd or timer, including their own, and may call ev_loop_stop().
 * Struct ev_timer is embedded by its owner (no allocation per timer). */
#ifndef EV_EV_H
#define EV_EV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct ev_timer;
struct ev_defer;

/* Interest/readiness bits, as given to ev_io_add() and passed to callbacks. */
#define EV_READ  0x1u
#define EV_WRITE 0x2u
#define EV_ERROR 0x4u   /* only reported: EPOLLERR or EPOLLHUP */

typedef void (*ev_io_cb)(struct ev_loop *loop, int fd, unsigned events, void *arg);
typedef void (*ev_timer_cb)(struct ev_loop *loop, struct ev_timer *timer, void *arg);
typedef void (*ev_defer_cb)(struct ev_loop *loop, struct ev_defer *defer, void *arg);

struct ev_timer {
	uint64_t when_ms;       /* deadline, absolute, on ev_now_ms()'s clock */
	size_t heap_index;      /* position in the heap + 1; 0 when not armed */
	ev_timer_cb cb;
	void *arg;
};

/* Returns a new loop, or NULL with errno set. */
struct ev_loop *ev_loop_create(void);
/* Frees the loop. Registered fds are not closed; armed timers are forgotten. */
void ev_loop_destroy(struct ev_loop *loop);

/* Watches fd for events (EV_READ|EV_WRITE). Returns 0, or -1 with errno set
 * (EEXIST if fd is already watched). */
int ev_io_add(struct ev_loop *loop, int fd, unsigned events, ev_io_cb cb, void *arg);
/* Changes the interest set of a watched fd. Returns 0 or -1 with errno set. */
int ev_io_mod(struct ev_loop *loop, int fd, unsigned events);
/* Stops watching fd; safe from inside any callback, including fd's own. Call it
 * before close(fd). Returns 0, or -1 if fd was not watched. */
int ev_io_del(struct ev_loop *loop, int fd);
/* Stops watching fd and closes it, in one system call instead of two: the
 * close takes fd out of the epoll set by itself as long as no other
 * descriptor shares its open file (one made by dup or inherited by a child
 * would keep it watched: use ev_io_del then). Safe where ev_io_del is; an fd
 * not watched is just closed. Returns close()'s result. */
int ev_io_close(struct ev_loop *loop, int fd);

/* Prepares a timer for use; it starts disarmed. */
void ev_timer_init(struct ev_timer *timer, ev_timer_cb cb, void *arg);
/* Arms (or re-arms) the timer to fire once, delay_ms from ev_now_ms().
 * Re-arming an armed timer for later costs no heap work (it is re-keyed when
 * its old time comes), so a timer pushed on at every frame is cheap; the loop
 * may then wake once at the old time for nothing. */
void ev_timer_start(struct ev_loop *loop, struct ev_timer *timer, uint64_t delay_ms);
/* Arms (or re-arms) the timer at an absolute time on ev_now_ms()'s clock. */
void ev_timer_start_at(struct ev_loop *loop, struct ev_timer *timer, uint64_t when_ms);
/* Disarms the timer; a no-op when it is not armed. */
void ev_timer_stop(struct ev_loop *loop, struct ev_timer *timer);
static inline bool ev_timer_armed(const struct ev_timer *timer)
{
	return timer->heap_index != 0;
}

/* Work for the end of the iteration: a sender queues what the iteration's
 * callbacks produce and writes it in one batch (sendmmsg) once they have all
 * run. ev_defer() queues the callback once however often it is called; queued
 * callbacks run in order after the iteration's I/O and timers, and one queued
 * while they run (a flush that makes another part send) runs in the same pass,
 * so nothing waits for the next wake-up. Queued outside an iteration, it runs
 * at the end of the next one, which then does not sleep. Embedded by its
 * owner like struct ev_timer. */
struct ev_defer {
	struct ev_defer *next;
	bool queued;
	ev_defer_cb cb;
	void *arg;
};

void ev_defer_init(struct ev_defer *defer, ev_defer_cb cb, void *arg);
void ev_defer(struct ev_loop *loop, struct ev_defer *defer);
/* Unqueues it; a no-op when it is not queued. Call it before freeing the owner. */
void ev_defer_cancel(struct ev_loop *loop, struct ev_defer *defer);
static inline bool ev_defer_queued(const struct ev_defer *defer)
{
	return defer->queued;
}

/* The loop's idea of now (CLOCK_MONOTONIC, ms), refreshed before callbacks run. */
uint64_t ev_now_ms(struct ev_loop *loop);
/* Re-reads the clock; for callbacks that ran long. */
void ev_now_update(struct ev_loop *loop);
/* Replaces the clock (tests: a clock they move themselves); NULL restores
 * CLOCK_MONOTONIC. Read at once. */
void ev_loop_set_clock(struct ev_loop *loop, uint64_t (*clock_ms)(void *arg), void *arg);

/* Runs until ev_loop_stop(). Returns 0, or -1 with errno set if epoll fails. */
int ev_loop_run(struct ev_loop *loop);
/* Runs one iteration, waiting at most timeout_ms (-1: until an event or timer). */
int ev_loop_run_once(struct ev_loop *loop, int timeout_ms);
void ev_loop_stop(struct ev_loop *loop);

#endif
