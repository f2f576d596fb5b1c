/* epoll backend and timer heap for ev.h. */
#include "ev/ev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

struct ev_io {
	int fd;
	unsigned events;
	ev_io_cb cb;
	void *arg;
	bool live;
};

struct ev_loop {
	int epfd;
	bool stop;
	uint64_t now_ms;
	uint64_t (*clock_ms)(void *arg);        /* NULL: CLOCK_MONOTONIC */
	void *clock_arg;
	/* fd-indexed table of watchers; fds are small integers */
	struct ev_io *ios;
	size_t ios_cap;
	/* min-heap of armed timers; see struct heap_ent */
	struct heap_ent *heap;
	size_t heap_len, heap_cap;
	/* queued ev_defer callbacks, in order */
	struct ev_defer *defer_head, **defer_tail;
};

/* A heap slot holds its key beside the timer, so that sifting compares keys
 * in the array instead of following a pointer into every session's memory
 * (cache misses: the heap walk was 9% of lac-core's user CPU per tunnelled
 * setup). The key is when the timer must be looked at, which may be earlier
 * than its deadline (timer->when_ms): a timer pushed later while armed (an
 * idle or hello timer re-armed at every frame) keeps its slot and key, and
 * when the key comes due it is re-keyed to its deadline instead of fired. */
struct heap_ent {
	uint64_t key_ms;
	struct ev_timer *t;
};

static uint64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct ev_loop *ev_loop_create(void)
{
	struct ev_loop *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	loop->now_ms = monotonic_ms();
	loop->defer_tail = &loop->defer_head;
	return loop;
}

void ev_loop_destroy(struct ev_loop *loop)
{
	if (!loop)
		return;
	close(loop->epfd);
	free(loop->ios);
	free(loop->heap);
	free(loop);
}

static uint32_t to_epoll(unsigned events)
{
	uint32_t e = 0;
	if (events & EV_READ)
		e |= EPOLLIN;
	if (events & EV_WRITE)
		e |= EPOLLOUT;
	return e;
}

int ev_io_add(struct ev_loop *loop, int fd, unsigned events, ev_io_cb cb, void *arg)
{
	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if ((size_t)fd >= loop->ios_cap) {
		size_t cap = loop->ios_cap ? loop->ios_cap : 64;
		while (cap <= (size_t)fd)
			cap *= 2;
		struct ev_io *ios = realloc(loop->ios, cap * sizeof(*ios));
		if (!ios)
			return -1;
		memset(ios + loop->ios_cap, 0, (cap - loop->ios_cap) * sizeof(*ios));
		loop->ios = ios;
		loop->ios_cap = cap;
	}
	struct ev_io *io = &loop->ios[fd];
	if (io->live) {
		errno = EEXIST;
		return -1;
	}
	struct epoll_event ee = { .events = to_epoll(events), .data.fd = fd };
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ee) < 0)
		return -1;
	*io = (struct ev_io){ .fd = fd, .events = events, .cb = cb, .arg = arg, .live = true };
	return 0;
}

int ev_io_mod(struct ev_loop *loop, int fd, unsigned events)
{
	if (fd < 0 || (size_t)fd >= loop->ios_cap || !loop->ios[fd].live) {
		errno = ENOENT;
		return -1;
	}
	struct epoll_event ee = { .events = to_epoll(events), .data.fd = fd };
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ee) < 0)
		return -1;
	loop->ios[fd].events = events;
	return 0;
}

int ev_io_del(struct ev_loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->ios_cap || !loop->ios[fd].live) {
		errno = ENOENT;
		return -1;
	}
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->ios[fd].live = false;
	return 0;
}

int ev_io_close(struct ev_loop *loop, int fd)
{
	if (fd >= 0 && (size_t)fd < loop->ios_cap)
		loop->ios[fd].live = false;
	return close(fd);
}

/* Heap helpers: heap_index is 1-based so that 0 means "not armed". */
static void heap_set(struct ev_loop *loop, size_t i, struct heap_ent e)
{
	loop->heap[i] = e;
	e.t->heap_index = i + 1;
}

static void heap_up(struct ev_loop *loop, size_t i)
{
	struct heap_ent e = loop->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (loop->heap[parent].key_ms <= e.key_ms)
			break;
		heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_set(loop, i, e);
}

static void heap_down(struct ev_loop *loop, size_t i)
{
	struct heap_ent e = loop->heap[i];
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= loop->heap_len)
			break;
		if (child + 1 < loop->heap_len && loop->heap[child + 1].key_ms < loop->heap[child].key_ms)
			child++;
		if (loop->heap[child].key_ms >= e.key_ms)
			break;
		heap_set(loop, i, loop->heap[child]);
		i = child;
	}
	heap_set(loop, i, e);
}

void ev_timer_init(struct ev_timer *timer, ev_timer_cb cb, void *arg)
{
	*timer = (struct ev_timer){ .cb = cb, .arg = arg };
}

void ev_timer_stop(struct ev_loop *loop, struct ev_timer *timer)
{
	if (!timer->heap_index)
		return;
	size_t i = timer->heap_index - 1;
	timer->heap_index = 0;
	loop->heap_len--;
	if (i == loop->heap_len)
		return;
	struct heap_ent moved = loop->heap[loop->heap_len];
	heap_set(loop, i, moved);
	heap_up(loop, i);
	heap_down(loop, moved.t->heap_index - 1);
}

void ev_timer_start_at(struct ev_loop *loop, struct ev_timer *timer, uint64_t when_ms)
{
	if (timer->heap_index && loop->heap[timer->heap_index - 1].key_ms <= when_ms) {
		timer->when_ms = when_ms;       /* later than its key: re-keyed when due */
		return;
	}
	ev_timer_stop(loop, timer);
	if (loop->heap_len == loop->heap_cap) {
		size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
		struct heap_ent *heap = realloc(loop->heap, cap * sizeof(*heap));
		if (!heap)
			abort(); /* a timer that silently never fires is worse than a crash */
		loop->heap = heap;
		loop->heap_cap = cap;
	}
	timer->when_ms = when_ms;
	heap_set(loop, loop->heap_len++, (struct heap_ent){ when_ms, timer });
	heap_up(loop, loop->heap_len - 1);
}

void ev_timer_start(struct ev_loop *loop, struct ev_timer *timer, uint64_t delay_ms)
{
	ev_timer_start_at(loop, timer, loop->now_ms + delay_ms);
}

uint64_t ev_now_ms(struct ev_loop *loop)
{
	return loop->now_ms;
}

void ev_now_update(struct ev_loop *loop)
{
	loop->now_ms = loop->clock_ms ? loop->clock_ms(loop->clock_arg) : monotonic_ms();
}

void ev_loop_set_clock(struct ev_loop *loop, uint64_t (*clock_ms)(void *arg), void *arg)
{
	loop->clock_ms = clock_ms;
	loop->clock_arg = arg;
	ev_now_update(loop);
}

static void run_timers(struct ev_loop *loop)
{
	while (loop->heap_len > 0 && loop->heap[0].key_ms <= loop->now_ms) {
		struct ev_timer *t = loop->heap[0].t;
		if (t->when_ms > loop->now_ms) {        /* pushed later since armed */
			loop->heap[0].key_ms = t->when_ms;
			heap_down(loop, 0);
			continue;
		}
		ev_timer_stop(loop, t);
		t->cb(loop, t, t->arg);
		if (loop->stop)
			return;
	}
}

void ev_defer_init(struct ev_defer *defer, ev_defer_cb cb, void *arg)
{
	*defer = (struct ev_defer){ .cb = cb, .arg = arg };
}

void ev_defer(struct ev_loop *loop, struct ev_defer *defer)
{
	if (defer->queued)
		return;
	defer->queued = true;
	defer->next = NULL;
	*loop->defer_tail = defer;
	loop->defer_tail = &defer->next;
}

void ev_defer_cancel(struct ev_loop *loop, struct ev_defer *defer)
{
	if (!defer->queued)
		return;
	/* A few parts at most are queued at a time: a walk is fine. */
	for (struct ev_defer **p = &loop->defer_head; *p; p = &(*p)->next) {
		if (*p != defer)
			continue;
		*p = defer->next;
		if (loop->defer_tail == &defer->next)
			loop->defer_tail = p;
		break;
	}
	defer->queued = false;
}

static void run_defers(struct ev_loop *loop)
{
	while (loop->defer_head && !loop->stop) {
		struct ev_defer *d = loop->defer_head;
		loop->defer_head = d->next;
		if (!loop->defer_head)
			loop->defer_tail = &loop->defer_head;
		d->queued = false;
		d->cb(loop, d, d->arg);
	}
}

int ev_loop_run_once(struct ev_loop *loop, int timeout_ms)
{
	struct epoll_event events[64];
	int wait = loop->defer_head ? 0 : timeout_ms;

	ev_now_update(loop);
	if (loop->heap_len > 0) {
		uint64_t next = loop->heap[0].key_ms;
		int until = next <= loop->now_ms ? 0 : (int)(next - loop->now_ms > 60000 ? 60000 : next - loop->now_ms);
		if (wait < 0 || until < wait)
			wait = until;
	}
	int n = epoll_wait(loop->epfd, events, 64, wait);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return -1;
	}
	ev_now_update(loop);
	for (int i = 0; i < n && !loop->stop; i++) {
		int fd = events[i].data.fd;
		if ((size_t)fd >= loop->ios_cap || !loop->ios[fd].live)
			continue; /* deleted by an earlier callback of this batch */
		unsigned ev = 0;
		if (events[i].events & (EPOLLIN | EPOLLRDHUP))
			ev |= EV_READ;
		if (events[i].events & EPOLLOUT)
			ev |= EV_WRITE;
		if (events[i].events & (EPOLLERR | EPOLLHUP))
			ev |= EV_ERROR | (loop->ios[fd].events & EV_READ);
		struct ev_io *io = &loop->ios[fd];
		io->cb(loop, fd, ev, io->arg);
	}
	if (!loop->stop)
		run_timers(loop);
	run_defers(loop);
	return 0;
}

int ev_loop_run(struct ev_loop *loop)
{
	loop->stop = false;
	while (!loop->stop) {
		if (ev_loop_run_once(loop, -1) < 0)
			return -1;
	}
	return 0;
}

void ev_loop_stop(struct ev_loop *loop)
{
	loop->stop = true;
}
