/* Stream access listener: accept, HDLC-decode what arrives, HDLC-encode what
 * goes out through a bounded per-connection queue (a slow subscriber loses
 * frames, as a congested serial link would, and never blocks the loop). */
#include "access/stream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ppp/hdlc.h"
#include "util/log.h"

#define STREAM_TXQ_MAX (256 * 1024)
#define STREAM_SRC_BITS_MIN 10         /* 1,024 buckets to start; doubles as sources come */
#define STREAM_PAUSE_MS_DEFAULT 250
/* scale: the queue exists only while the socket refuses data; it starts at
 * STREAM_TXQ_MIN, doubles up to STREAM_TXQ_MAX and is freed when drained. */
#define STREAM_TXQ_MIN 4096

struct stream_conn {
	struct access_conn base;        /* first: access_conn* <-> stream_conn* */
	struct stream_access *sa;
	int fd;
	uint32_t src;                   /* IPv4 source (host order), 0 for unix */
	/* scale: a partial frame parked between reads (heap, NULL when no frame
	 * is half-received); whole frames are decoded in sa->dec_scratch */
	struct hdlc_decoder *dec;
	uint8_t *txq;                   /* scale: NULL while nothing is queued */
	size_t txq_len, txq_cap;
	bool want_write;                /* the socket refused data: EV_WRITE is on */
	bool dirty;                     /* on sa->dirty: written at the iteration's end */
	struct stream_conn *dirty_next;
	unsigned busy;                  /* >0 while inside owner callbacks */
	bool dead;                      /* closed by the owner while busy: free when out */
	bool failed;                    /* peer gone / I/O error: `closed` is scheduled */
	const char *fail_reason;
	struct ev_defer closed_defer;   /* delivers `closed` from the loop */
	struct stream_conn *next, *prev;
};

/* Connections per source address, for max_per_source. */
struct stream_src {
	uint32_t addr;
	uint32_t n;
	struct stream_src *next;
};

struct stream_access {
	struct ev_loop *loop;
	int fd;
	bool is_unix;
	char listen[128];
	char unix_path[108];
	uint32_t nas_port_type;
	uint32_t next_port;
	access_conn_new_cb new_cb;
	void *ctx;
	struct stream_conn *conns;
	uint32_t n_conns;
	struct stream_limits lim;
	bool paused;                    /* listener interest off (budget or EMFILE) */
	struct ev_timer resume_timer;
	/* Sources by address: 2^src_bits buckets, doubled when there are two
	 * entries a bucket (a fixed 1,024 would walk 64 entries at 64k
	 * subscribers each from its own address, as the PPPoE MAC table did). */
	struct stream_src **src;
	unsigned src_bits;
	uint32_t src_entries;
	struct stream_access_counters counters;
	struct hdlc_decoder dec_scratch;        /* scale: shared by all conns (one loop) */
	/* Frames are queued and written once per loop iteration and
	 * connection (one send for what a PPP exchange answers at once, e.g.
	 * Configure-Ack and Configure-Request, or the LNS's frames of one
	 * receive batch): flush runs at the end of the iteration (ev_defer). */
	struct stream_conn *dirty;
	struct ev_defer flush;
};

/* Fibonacci hashing: the product's high bits depend on every bit of addr
 * (the low bits of the product only on the low bits of addr). */
static uint32_t stream_src_bucket(uint32_t addr, unsigned bits)
{
	return (uint32_t)(addr * 2654435761u) >> (32 - bits);
}

static struct stream_src **stream_src_slot(struct stream_access *sa, uint32_t addr)
{
	struct stream_src **pp = &sa->src[stream_src_bucket(addr, sa->src_bits)];
	while (*pp && (*pp)->addr != addr)
		pp = &(*pp)->next;
	return pp;
}

/* Doubles the buckets; without memory the table stays as it is (longer
 * chains, still correct). */
static void stream_src_grow(struct stream_access *sa)
{
	unsigned bits = sa->src_bits + 1;
	struct stream_src **t = calloc((size_t)1 << bits, sizeof(*t));
	if (!t)
		return;
	for (size_t i = 0; i < (size_t)1 << sa->src_bits; i++) {
		struct stream_src *e = sa->src[i], *next;
		for (; e; e = next) {
			uint32_t b = stream_src_bucket(e->addr, bits);
			next = e->next;
			e->next = t[b];
			t[b] = e;
		}
	}
	free(sa->src);
	sa->src = t;
	sa->src_bits = bits;
}

static uint32_t stream_src_count(struct stream_access *sa, uint32_t addr)
{
	struct stream_src **pp = stream_src_slot(sa, addr);
	return *pp ? (*pp)->n : 0;
}

/* 0, or -1 when out of memory (the caller refuses the connection). */
static int stream_src_add(struct stream_access *sa, uint32_t addr)
{
	struct stream_src **pp = stream_src_slot(sa, addr);
	if (!*pp) {
		*pp = calloc(1, sizeof(**pp));
		if (!*pp)
			return -1;
		(*pp)->addr = addr;
		(*pp)->n++;
		if (++sa->src_entries > (uint32_t)2 << sa->src_bits && sa->src_bits < 24)
			stream_src_grow(sa);
		return 0;
	}
	(*pp)->n++;
	return 0;
}

static void stream_src_del(struct stream_access *sa, uint32_t addr)
{
	struct stream_src **pp = stream_src_slot(sa, addr);
	struct stream_src *e = *pp;
	if (!e)
		return;
	if (--e->n == 0) {
		*pp = e->next;
		free(e);
		sa->src_entries--;
	}
}

static void stream_listener_pause(struct stream_access *sa, bool with_timer)
{
	if (!sa->paused) {
		sa->paused = true;
		sa->counters.accept_paused++;
		ev_io_mod(sa->loop, sa->fd, 0);
	}
	if (with_timer && !ev_timer_armed(&sa->resume_timer))
		ev_timer_start(sa->loop, &sa->resume_timer,
			       sa->lim.pause_ms ? sa->lim.pause_ms : STREAM_PAUSE_MS_DEFAULT);
}

static void stream_listener_resume(struct stream_access *sa)
{
	if (!sa->paused)
		return;
	if (sa->lim.max_total && sa->n_conns >= sa->lim.max_total)
		return; /* still full: the next free resumes */
	sa->paused = false;
	ev_timer_stop(sa->loop, &sa->resume_timer);
	ev_io_mod(sa->loop, sa->fd, EV_READ);
}

static void stream_resume_timer(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	stream_listener_resume(arg);
}

static void stream_dirty_del(struct stream_conn *c)
{
	if (!c->dirty)
		return;
	for (struct stream_conn **pp = &c->sa->dirty; *pp; pp = &(*pp)->dirty_next) {
		if (*pp == c) {
			*pp = c->dirty_next;
			break;
		}
	}
	c->dirty = false;
}

static void stream_conn_free(struct stream_conn *c)
{
	struct stream_access *sa = c->sa;
	ev_defer_cancel(sa->loop, &c->closed_defer);
	stream_dirty_del(c);
	/* nothing else holds the connection's socket: its close leaves epoll */
	ev_io_close(sa->loop, c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		sa->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	sa->n_conns--;
	if (!sa->is_unix)
		stream_src_del(sa, c->src);
	sa->counters.closed++;
	/* scale: receive errors are added to sa->counters after each read */
	free(c->dec);
	free(c->txq);
	free(c);
	stream_listener_resume(sa); /* an fd came free */
}

/* Delivers `closed` from the loop: nothing of the owner is on the stack. */
static void stream_conn_closed(struct ev_loop *loop, struct ev_defer *d, void *arg)
{
	struct stream_conn *c = arg;
	if (c->dead || c->busy)
		return; /* cannot happen: close() cancels this, busy is loop-local */
	c->dead = true;
	if (c->base.handlers && c->base.handlers->closed)
		c->base.handlers->closed(c->base.owner, c->fail_reason);
	stream_conn_free(c);
}

/* The peer is gone or the socket failed. Never frees and never calls the
 * owner: it drops what is queued and schedules `closed` on the loop. The
 * socket stays in epoll (stream_conn_io ignores a failed conn's events) until
 * `closed` closes it, later in this same iteration (ev_defer runs before the
 * next wait): one system call per hang-up instead of an EPOLL_CTL_DEL and a
 * close. */
static void stream_conn_fail(struct stream_conn *c, const char *reason)
{
	if (c->dead || c->failed)
		return;
	c->failed = true;
	c->fail_reason = reason;
	c->txq_len = 0;
	ev_defer(c->sa->loop, &c->closed_defer);
}

/* Writes what is queued. May mark the conn failed; never frees it. */
static void stream_conn_flush(struct stream_conn *c)
{
	while (c->txq_len > 0) {
		ssize_t n = send(c->fd, c->txq, c->txq_len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (!c->want_write) {
					c->want_write = true;
					ev_io_mod(c->sa->loop, c->fd, EV_READ | EV_WRITE);
				}
				return;
			}
			if (errno == EINTR)
				continue;
			stream_conn_fail(c, "write error");
			return;
		}
		memmove(c->txq, c->txq + n, c->txq_len - (size_t)n);
		c->txq_len -= (size_t)n;
	}
	/* scale: drained: give the queue back */
	free(c->txq);
	c->txq = NULL;
	c->txq_cap = 0;
	if (c->want_write) {
		c->want_write = false;
		ev_io_mod(c->sa->loop, c->fd, EV_READ);
	}
}

static void stream_flush(struct ev_loop *loop, struct ev_defer *d, void *arg)
{
	struct stream_access *sa = arg;
	while (sa->dirty) {
		struct stream_conn *c = sa->dirty;
		sa->dirty = c->dirty_next;
		c->dirty = false;
		if (!c->dead && !c->failed && !c->want_write)
			stream_conn_flush(c);   /* may mark failed, never frees */
	}
}

static int stream_conn_send(struct access_conn *conn, const uint8_t *frame, size_t len)
{
	struct stream_conn *c = (struct stream_conn *)conn;
	if (c->dead || c->failed)
		return -1;
	size_t bound = hdlc_encode_bound(len);
	if (c->txq_len + bound > STREAM_TXQ_MAX) {
		c->sa->counters.tx_dropped++;
		return -1;
	}
	/* Escape every control character: valid whatever ACCM the subscriber
	 * negotiated (RFC 1662 7.1), and the LAC does not see LCP renegotiated
	 * end to end with an LNS. */
	uint8_t enc[hdlc_encode_bound(HDLC_MAX_FRAME)];
	if (bound > sizeof(enc))
		return -1;
	ssize_t n = hdlc_encode(enc, sizeof(enc), frame, len, HDLC_ACCM_DEFAULT);
	if (n < 0)
		return -1;
	/* scale: the queue grows by doubling from STREAM_TXQ_MIN; it holds
	 * this iteration's frames, or what the socket refused */
	size_t need = c->txq_len + (size_t)n;
	if (need > c->txq_cap) {
		size_t cap = c->txq_cap ? c->txq_cap : STREAM_TXQ_MIN;
		while (cap < need)
			cap *= 2;
		uint8_t *q = realloc(c->txq, cap);
		if (!q) {
			c->sa->counters.tx_dropped++;
			return -1;
		}
		c->txq = q;
		c->txq_cap = cap;
	}
	memcpy(c->txq + c->txq_len, enc, (size_t)n);
	c->txq_len = need;
	c->sa->counters.frames_tx++;
	if (!c->want_write && !c->dirty) {
		c->dirty = true;
		c->dirty_next = c->sa->dirty;
		c->sa->dirty = c;
		ev_defer(c->sa->loop, &c->sa->flush);
	}
	return 0;
}

static void stream_conn_close(struct access_conn *conn, const char *reason)
{
	struct stream_conn *c = (struct stream_conn *)conn;
	if (c->dead)
		return;
	log_debug("access=stream conn=%u event=close reason=%s", conn->info.nas_port, reason);
	/* Best effort: push out what is queued (e.g. an LCP Terminate-Ack). */
	if (c->txq_len && !c->failed)
		(void)send(c->fd, c->txq, c->txq_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	c->txq_len = 0;
	stream_dirty_del(c);
	c->dead = true;
	ev_defer_cancel(c->sa->loop, &c->closed_defer); /* the owner asked: no `closed` */
	if (!c->busy)
		stream_conn_free(c);
}

static const struct access_conn_vtbl stream_conn_vtbl = {
	.send = stream_conn_send,
	.close = stream_conn_close,
};

static void stream_conn_io(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct stream_conn *c = arg;
	if (events & EV_WRITE)
		stream_conn_flush(c);   /* may mark failed, never frees */
	if (c->failed || !(events & (EV_READ | EV_ERROR)))
		return;

	uint8_t buf[16384];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	if (n == 0) {
		stream_conn_fail(c, "subscriber closed the connection");
		return;
	}
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		stream_conn_fail(c, "read error");
		return;
	}

	/* scale: decode in the shared scratch decoder unless a partial frame of
	 * this conn is parked */
	struct stream_access *sa = c->sa;
	struct hdlc_decoder *d = c->dec ? c->dec : &sa->dec_scratch;
	uint64_t fcs0 = d->bad_fcs, long0 = d->too_long, short0 = d->too_short, abort0 = d->aborted;
	uint64_t bad_before = d->bad_fcs + d->too_long + d->too_short + d->aborted;
	const uint8_t *p = buf;
	size_t left = (size_t)n;
	c->busy++;
	while (left > 0 && !c->dead && !c->failed) {
		const uint8_t *frame;
		size_t frame_len;
		size_t used = hdlc_decoder_feed(d, p, left, &frame, &frame_len);
		p += used;
		left -= used;
		if (frame && c->base.handlers && c->base.handlers->frame_rx) {
			c->sa->counters.frames_rx++;
			c->base.handlers->frame_rx(c->base.owner, frame, frame_len);
		}
	}
	c->busy--;
	uint64_t bad_after = d->bad_fcs + d->too_long + d->too_short + d->aborted;
	sa->counters.bad_fcs += d->bad_fcs - fcs0;
	sa->counters.too_long += d->too_long - long0;
	sa->counters.too_short += d->too_short - short0;
	sa->counters.aborted += d->aborted - abort0;
	/* scale: park a half-received frame, free a parked one that completed */
	bool idle = (d->len == 0 || d->emitted) && !d->escaped && !d->discard;
	if (d == &sa->dec_scratch) {
		if (!idle && !c->dead) {
			c->dec = malloc(sizeof(*c->dec));
			if (c->dec)
				*c->dec = *d;
		}
		/* back to "between frames" without clearing its 4 KiB buffer */
		sa->dec_scratch.len = 0;
		sa->dec_scratch.escaped = sa->dec_scratch.discard = sa->dec_scratch.emitted = 0;
	} else if (idle) {
		free(c->dec);
		c->dec = NULL;
	}
	if (bad_after != bad_before)
		log_peer("access=stream conn=%u event=bad_frames dropped=%llu", c->base.info.nas_port,
			 (unsigned long long)(bad_after - bad_before));
	if (c->dead && !c->busy)
		stream_conn_free(c);
}

static void stream_accept(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct stream_access *sa = arg;
	while (!sa->paused) {
		if (sa->lim.max_total && sa->n_conns >= sa->lim.max_total) {
			/* budget spent: leave the rest in the kernel's backlog */
			stream_listener_pause(sa, false);
			log_peer("access=stream event=accept_paused reason=max_connections limit=%u",
				 sa->lim.max_total);
			return;
		}
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* the connection stays queued; retrying now would spin */
				sa->counters.accept_fd_exhausted++;
				stream_listener_pause(sa, true);
				log_peer("access=stream event=accept_paused reason=%s n_conns=%u",
					 errno == EMFILE ? "emfile" : errno == ENFILE ? "enfile" : "nomem",
					 sa->n_conns);
				return;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
				log_warn("access=stream event=accept_failed errno=%d", errno);
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		uint32_t src = 0;
		if (ss.ss_family == AF_INET)
			src = ntohl(((const struct sockaddr_in *)&ss)->sin_addr.s_addr);
		if (sa->lim.max_per_source && stream_src_count(sa, src) >= sa->lim.max_per_source) {
			sa->counters.refused_per_source++;
			log_peer("access=stream event=conn_refused reason=max_connections_per_source limit=%u",
				 sa->lim.max_per_source);
			close(cfd);
			continue;
		}
		struct stream_conn *c = calloc(1, sizeof(*c));
		if (!c || (!sa->is_unix && stream_src_add(sa, src) < 0)) {
			free(c);
			close(cfd);
			continue;
		}
		c->sa = sa;
		c->fd = cfd;
		c->src = src;
		ev_defer_init(&c->closed_defer, stream_conn_closed, c);
		c->base.vtbl = &stream_conn_vtbl;
		struct access_conn_info *info = &c->base.info;
		info->kind = ACCESS_KIND_STREAM;
		info->nas_port = ++sa->next_port;
		info->nas_port_type = sa->nas_port_type;
		info->mru = 1500;
		snprintf(info->called_station_id, sizeof(info->called_station_id), "%.63s", sa->listen);
		if (ss.ss_family == AF_INET) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
			char a[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
			snprintf(info->calling_station_id, sizeof(info->calling_station_id), "%s:%u", a,
				 ntohs(sin->sin_port));
			int one = 1;
			setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		} else {
			snprintf(info->calling_station_id, sizeof(info->calling_station_id), "unix");
		}
		snprintf(info->nas_port_id, sizeof(info->nas_port_id), "%.40s#%u", sa->listen, info->nas_port);

		if (ev_io_add(loop, cfd, EV_READ, stream_conn_io, c) < 0) {
			if (!sa->is_unix)
				stream_src_del(sa, src);
			close(cfd);
			free(c);
			continue;
		}
		c->next = sa->conns;
		if (sa->conns)
			sa->conns->prev = c;
		sa->conns = c;
		sa->n_conns++;
		sa->counters.accepted++;

		c->busy++;
		sa->new_cb(sa->ctx, &c->base);
		c->busy--;
		if (!c->base.handlers && !c->dead) {
			log_warn("access=stream conn=%u event=not_attached", info->nas_port);
			stream_conn_close(&c->base, "not attached");
		} else if (c->dead) {
			stream_conn_free(c);
		}
	}
}

void stream_access_set_limits(struct stream_access *sa, const struct stream_limits *lim)
{
	sa->lim = *lim;
	stream_listener_resume(sa);
}

uint32_t stream_access_n_conns(const struct stream_access *sa)
{
	return sa->n_conns;
}

struct stream_access *stream_access_create(struct ev_loop *loop, const char *listen_spec,
					   uint32_t nas_port_type, access_conn_new_cb new_cb,
					   void *ctx, char *err, size_t errlen)
{
	struct stream_access *sa = calloc(1, sizeof(*sa));
	if (!sa) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sa->loop = loop;
	sa->fd = -1;
	sa->nas_port_type = nas_port_type;
	sa->new_cb = new_cb;
	sa->ctx = ctx;
	ev_timer_init(&sa->resume_timer, stream_resume_timer, sa);
	sa->src_bits = STREAM_SRC_BITS_MIN;
	sa->src = calloc((size_t)1 << sa->src_bits, sizeof(*sa->src));
	if (!sa->src) {
		snprintf(err, errlen, "out of memory");
		free(sa);
		return NULL;
	}
	ev_defer_init(&sa->flush, stream_flush, sa);
	hdlc_decoder_init(&sa->dec_scratch, 0);
	snprintf(sa->listen, sizeof(sa->listen), "%s", listen_spec);

	if (strncmp(listen_spec, "unix:", 5) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		const char *path = listen_spec + 5;
		if (strlen(path) >= sizeof(sun.sun_path)) {
			snprintf(err, errlen, "%s: path too long", listen_spec);
			goto fail;
		}
		memcpy(sun.sun_path, path, strlen(path) + 1);
		sa->is_unix = true;
		snprintf(sa->unix_path, sizeof(sa->unix_path), "%s", path);
		sa->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (sa->fd < 0)
			goto fail_errno;
		unlink(path);
		if (bind(sa->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			goto fail_errno;
	} else if (strncmp(listen_spec, "tcp:", 4) == 0) {
		char host[64];
		const char *colon = strrchr(listen_spec + 4, ':');
		struct sockaddr_in sin = { .sin_family = AF_INET };
		if (!colon || (size_t)(colon - listen_spec - 4) >= sizeof(host)) {
			snprintf(err, errlen, "%s: expected tcp:ADDR:PORT", listen_spec);
			goto fail;
		}
		memcpy(host, listen_spec + 4, (size_t)(colon - listen_spec - 4));
		host[colon - listen_spec - 4] = '\0';
		int port = atoi(colon + 1);
		if (inet_pton(AF_INET, host, &sin.sin_addr) != 1 || port <= 0 || port > 65535) {
			snprintf(err, errlen, "%s: expected tcp:IPV4:PORT", listen_spec);
			goto fail;
		}
		sin.sin_port = htons((uint16_t)port);
		sa->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (sa->fd < 0)
			goto fail_errno;
		int one = 1;
		setsockopt(sa->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(sa->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			goto fail_errno;
	} else {
		snprintf(err, errlen, "%s: expected tcp:ADDR:PORT or unix:/PATH", listen_spec);
		goto fail;
	}
	if (listen(sa->fd, 1024) < 0 || ev_io_add(loop, sa->fd, EV_READ, stream_accept, sa) < 0)
		goto fail_errno;
	log_info("access=stream event=listening listen=%s", listen_spec);
	return sa;

fail_errno:
	snprintf(err, errlen, "%s: %s", listen_spec, strerror(errno));
fail:
	if (sa->fd >= 0)
		close(sa->fd);
	free(sa->src);
	free(sa);
	return NULL;
}

void stream_access_destroy(struct stream_access *sa)
{
	if (!sa)
		return;
	while (sa->conns) {
		sa->conns->dead = true;
		stream_conn_free(sa->conns);
	}
	ev_timer_stop(sa->loop, &sa->resume_timer);
	ev_defer_cancel(sa->loop, &sa->flush);
	ev_io_del(sa->loop, sa->fd);
	close(sa->fd);
	if (sa->is_unix)
		unlink(sa->unix_path);
	free(sa->src);
	free(sa);
}

void stream_access_counters(const struct stream_access *sa, struct stream_access_counters *out)
{
	*out = sa->counters;    /* scale: receive errors are added after each read */
}
