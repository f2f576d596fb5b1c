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

/* ev_io_close: the close alone takes the fd out of epoll, so the same fd
 * number, reused by the next socket, can be watched again and only its own
 * events arrive (no EEXIST from a stale registration, no event of the old). */
Test(ev_io, a_closed_fd_leaves_epoll_and_its_number_can_be_watched_again)
{
	struct ev_loop *loop = ev_loop_create();
	int a[2], b[2];
	cr_assert(pipe(a) == 0);
	reads = 0;
	cr_assert(ev_io_add(loop, a[0], EV_READ, on_read, NULL) == 0);
	cr_assert(write(a[1], "abc", 3) == 3);      /* readable, never read */
	int reused = a[0];
	cr_assert_eq(ev_io_close(loop, a[0]), 0);
	ev_loop_run_once(loop, 10);
	cr_expect_eq(reads, 0, "no event of a closed fd");
	cr_assert(pipe(b) == 0);
	cr_assert_eq(b[0], reused, "the lowest free number comes back");
	cr_expect(ev_io_add(loop, b[0], EV_READ, on_read, NULL) == 0, "watched again");
	cr_assert(write(b[1], "xy", 2) == 2);
	ev_loop_run_once(loop, 100);
	cr_expect_eq(reads, 2, "the new pipe's own bytes");
	ev_loop_destroy(loop);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

/* ---- the timer heap against a model, on a clock the test moves ---- */

static uint64_t fake_now;
static uint64_t fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

enum { MODEL_TIMERS = 300 };
static struct ev_timer mt[MODEL_TIMERS];
static uint64_t model_due[MODEL_TIMERS];        /* 0: not armed */
static uint64_t model_fired_at[MODEL_TIMERS];
static unsigned model_fires, model_wrong;

static void model_fire(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	size_t i = (size_t)(intptr_t)arg;
	/* fires once, exactly at its last deadline (the clock steps by 1 ms) */
	if (model_due[i] != ev_now_ms(loop) || ev_timer_armed(t))
		model_wrong++;
	model_due[i] = 0;
	model_fired_at[i] = ev_now_ms(loop);
	model_fires++;
}

Test(ev_timer, heap_matches_a_model_under_random_arming_pushing_pulling_and_stopping)
{
	struct ev_loop *loop = ev_loop_create();
	fake_now = 1000;
	ev_loop_set_clock(loop, fake_clock, NULL);
	for (size_t i = 0; i < MODEL_TIMERS; i++) {
		ev_timer_init(&mt[i], model_fire, (void *)(intptr_t)i);
		model_due[i] = 0;
	}
	model_fires = model_wrong = 0;
	uint32_t rnd = 12345;
	unsigned stops = 0, pushes = 0, pulls = 0;
	for (int step = 0; step < 20000; step++) {
		rnd = rnd * 1103515245u + 12345u;
		size_t i = (rnd >> 8) % MODEL_TIMERS;
		unsigned op = (rnd >> 20) % 8;
		if (op < 5) {
			/* (re)arm 1..200 ms ahead: later than before (push), earlier (pull) or new */
			uint64_t when = fake_now + 1 + (rnd >> 24) % 200;
			if (model_due[i])
				(when > model_due[i] ? pushes++ : pulls++);
			ev_timer_start_at(loop, &mt[i], when);
			model_due[i] = when;
		} else if (op == 5) {
			ev_timer_stop(loop, &mt[i]);
			stops += model_due[i] != 0;
			model_due[i] = 0;
		} else {
			fake_now++;
			ev_loop_run_once(loop, 0);
		}
		cr_assert_eq(ev_timer_armed(&mt[i]), model_due[i] != 0, "step %d", step);
	}
	/* let every armed timer come due */
	for (int k = 0; k < 300; k++) {
		fake_now++;
		ev_loop_run_once(loop, 0);
	}
	for (size_t i = 0; i < MODEL_TIMERS; i++)
		cr_expect(!ev_timer_armed(&mt[i]) && model_due[i] == 0, "timer %zu still armed", i);
	cr_expect_eq(model_wrong, 0, "a timer fired off its deadline or twice");
	cr_expect_gt(model_fires, 1000);
	cr_expect_gt(pushes, 1000);
	cr_expect_gt(pulls, 1000);
	cr_expect_gt(stops, 100);
	ev_loop_destroy(loop);
}

static struct ev_timer pushed;
static unsigned pushed_fires;
static void on_pushed(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	pushed_fires++;
}

Test(ev_timer, a_timer_pushed_later_fires_at_the_later_time_only)
{
	struct ev_loop *loop = ev_loop_create();
	fake_now = 5000;
	ev_loop_set_clock(loop, fake_clock, NULL);
	pushed_fires = 0;
	ev_timer_init(&pushed, on_pushed, NULL);
	ev_timer_start(loop, &pushed, 10);
	ev_timer_start(loop, &pushed, 30);      /* pushed on: keeps its old slot */
	fake_now = 5010;
	ev_loop_run_once(loop, 0);
	cr_expect_eq(pushed_fires, 0, "not at the old time");
	cr_expect(ev_timer_armed(&pushed));
	fake_now = 5029;
	ev_loop_run_once(loop, 0);
	cr_expect_eq(pushed_fires, 0);
	fake_now = 5030;
	ev_loop_run_once(loop, 0);
	cr_expect_eq(pushed_fires, 1);
	cr_expect(!ev_timer_armed(&pushed));
	ev_loop_destroy(loop);
}

/* ---- ev_defer: work for the end of the iteration ---- */

struct defer_probe {
	struct ev_defer d[3];
	int order[16];
	int n;
	struct ev_loop *loop;
};

static void defer_record(struct ev_loop *loop, struct ev_defer *d, void *arg)
{
	struct defer_probe *p = arg;
	int which = (int)(d - p->d);
	p->order[p->n++] = which;
	if (which == 0)                 /* a flush that makes another part send */
		ev_defer(loop, &p->d[2]);
}

static void io_queues_defers(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct defer_probe *p = arg;
	char c;
	(void)events;
	cr_assert_eq(read(fd, &c, 1), 1);
	/* queued twice, run once; in the order first queued */
	ev_defer(loop, &p->d[1]);
	ev_defer(loop, &p->d[0]);
	ev_defer(loop, &p->d[1]);
	cr_expect_eq(p->n, 0, "nothing runs while the iteration's I/O is handled");
}

Test(ev_defer, runs_once_after_the_iterations_io_in_order_with_what_it_queues)
{
	struct defer_probe p = { .n = 0 };
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	p.loop = ev_loop_create();
	for (int i = 0; i < 3; i++)
		ev_defer_init(&p.d[i], defer_record, &p);
	cr_assert_eq(ev_io_add(p.loop, fds[0], EV_READ, io_queues_defers, &p), 0);
	cr_assert_eq(write(fds[1], "x", 1), 1);
	cr_assert_eq(ev_loop_run_once(p.loop, 1000), 0);
	cr_assert_eq(p.n, 3, "d1, d0 and the d2 that d0 queued, in one pass");
	cr_expect_eq(p.order[0], 1);
	cr_expect_eq(p.order[1], 0);
	cr_expect_eq(p.order[2], 2);
	for (int i = 0; i < 3; i++)
		cr_expect(!ev_defer_queued(&p.d[i]));
	ev_io_del(p.loop, fds[0]);
	ev_loop_destroy(p.loop);
	close(fds[0]);
	close(fds[1]);
}

/* The iteration below waits without a bound (-1) with no fd and no timer: it
 * returns only because queued work makes it not sleep. If it slept, the test
 * would hang until criterion's timeout failed it; no time is measured. */
Test(ev_defer, queued_outside_an_iteration_it_runs_without_waiting_and_a_cancelled_one_never,
     .timeout = 30)
{
	struct defer_probe p = { .n = 0 };
	p.loop = ev_loop_create();
	for (int i = 0; i < 3; i++)
		ev_defer_init(&p.d[i], defer_record, &p);
	ev_defer(p.loop, &p.d[1]);
	ev_defer(p.loop, &p.d[2]);
	ev_defer(p.loop, &p.d[0]);
	ev_defer_cancel(p.loop, &p.d[0]);       /* the tail: d2 becomes it */
	ev_defer_cancel(p.loop, &p.d[1]);       /* the head */
	cr_expect(!ev_defer_queued(&p.d[0]));
	ev_defer(p.loop, &p.d[1]);              /* appended after d2 */
	cr_assert_eq(ev_loop_run_once(p.loop, -1), 0);
	cr_assert_eq(p.n, 2);
	cr_expect_eq(p.order[0], 2);
	cr_expect_eq(p.order[1], 1);
	ev_loop_destroy(p.loop);
}
