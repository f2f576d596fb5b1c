/* Event loop: timers fire in deadline order, stop/re-arm works from callbacks,
 * fd readiness reaches its callback, and a deleted fd is not reported. */
#include <criterion/criterion.h>
#include <unistd.h>

#include "ev/ev.h"

static int fired[16];
static int nfired;

static void record(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	fired[nfired++] = (int)(intptr_t)arg;
}

Test(ev_timer, fire_in_deadline_order_and_stopped_ones_never_fire)
{
	struct ev_loop *loop = ev_loop_create();
	struct ev_timer t[6];
	nfired = 0;
	int delays[6] = { 30, 10, 50, 20, 40, 0 };
	for (int i = 0; i < 6; i++) {
		ev_timer_init(&t[i], record, (void *)(intptr_t)delays[i]);
		ev_timer_start(loop, &t[i], (uint64_t)delays[i]);
	}
	ev_timer_stop(loop, &t[4]); /* the 40 ms one */
	cr_assert(!ev_timer_armed(&t[4]));
	while (nfired < 5)
		ev_loop_run_once(loop, 100);
	int want[5] = { 0, 10, 20, 30, 50 };
	for (int i = 0; i < 5; i++)
		cr_expect_eq(fired[i], want[i], "position %d", i);
	ev_loop_destroy(loop);
}

static void rearm(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	int *count = arg;
	if (++*count < 3)
		ev_timer_start(loop, t, 1);
	else
		ev_loop_stop(loop);
}

Test(ev_timer, rearm_from_own_callback)
{
	struct ev_loop *loop = ev_loop_create();
	struct ev_timer t;
	int count = 0;
	ev_timer_init(&t, rearm, &count);
	ev_timer_start(loop, &t, 1);
	ev_loop_run(loop);
	cr_expect_eq(count, 3);
	ev_loop_destroy(loop);
}

static int reads;
static void on_read(struct ev_loop *loop, int fd, unsigned ev, void *arg)
{
	char b[8];
	cr_expect(ev & EV_READ);
	reads += (int)read(fd, b, sizeof(b));
	ev_io_del(loop, fd);
}

Test(ev_io, readable_fd_reaches_callback_once_then_deleted)
{
	struct ev_loop *loop = ev_loop_create();
	int p[2];
	cr_assert(pipe(p) == 0);
	reads = 0;
	cr_assert(ev_io_add(loop, p[0], EV_READ, on_read, NULL) == 0);
	cr_expect(ev_io_add(loop, p[0], EV_READ, on_read, NULL) < 0, "double add refused");
	cr_assert(write(p[1], "abc", 3) == 3);
	ev_loop_run_once(loop, 100);
	cr_expect_eq(reads, 3);
	cr_assert(write(p[1], "x", 1) == 1);
	ev_loop_run_once(loop, 10);
	cr_expect_eq(reads, 3, "no callback after ev_io_del");
	ev_loop_destroy(loop);
	close(p[0]);
	close(p[1]);
}
