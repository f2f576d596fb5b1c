/* The RADIUS transport (see radius_transport.h). */
#include "aaa/radius_transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/log.h"
#include "util/sock_drops.h"

#define IDS_PER_SOCKET 256
#define RECV_BURST 64           /* datagrams per wake-up, so one socket cannot starve the loop */
#define RECV_BATCH 16           /* datagrams per recvmmsg() */
#define TX_BATCH 64             /* datagrams per sendmmsg() */
#define TX_ARENA (64 * 1024)    /* bytes of queued packets; at least one RADIUS_MAX_PACKET */

/* Requests sent during one loop iteration go out together when it ends (an
 * ev_defer): at a thousand setups a second a sendto() per Access-Request and
 * accounting record, and a recvfrom() per reply, were 6 of lac-core's 8.5
 * system calls per tunnelled session. The bytes are copied, so an exchange
 * may re-encode or end before the flush; one that ends (answered or
 * cancelled) voids its entry, so a request is never sent after its answer. */
struct rt_tx {
	struct rt_sock *sock;           /* NULL: voided */
	const struct radius_xact *x;
	uint8_t id;
	size_t server;
	size_t off, len;                /* in arena */
};

struct rt_txq {
	struct rt_tx ent[TX_BATCH];
	unsigned n;
	size_t used;
	uint8_t arena[TX_ARENA];
};

/* One recvmmsg() batch of replies (64 KiB, on the heap). */
struct rt_rxbuf {
	struct mmsghdr msgs[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	struct sockaddr_storage from[RECV_BATCH];
	uint8_t buf[RECV_BATCH][RADIUS_MAX_PACKET];
};

struct rt_sock {
	struct radius_transport *t;
	int fd;
	int family;
	unsigned used;
	uint8_t next_id;
	struct radius_xact *slots[IDS_PER_SOCKET];
};

struct rt_server {
	uint64_t dead_until_ms;         /* 0 = alive */
	uint64_t sent, timeouts, answers;
};

struct radius_transport {
	struct ev_loop *loop;
	struct radius_client_config cfg;
	struct radius_transport_policy pol;
	struct rt_server srv[RADIUS_MAX_SERVERS];
	struct rt_sock **socks;
	size_t n_socks, max_socks;
	struct radius_xact *whead, *wtail;      /* waiting for an id, FIFO */
	struct radius_transport_counters ctr;
	uint8_t scratch[RADIUS_MAX_PACKET];     /* packet of a reencode send */
	struct rt_txq *txq;
	struct ev_defer flush;
	struct rt_rxbuf *rx;
};

static void sock_readable(struct ev_loop *loop, int fd, unsigned events, void *arg);
static void xact_timeout(struct ev_loop *loop, struct ev_timer *timer, void *arg);
static void pump(struct radius_transport *t);

/* ---- sockets and identifiers ---- */

/* Asks for rcvbuf_bytes: SO_RCVBUFFORCE passes net.core.rmem_max when we
 * hold CAP_NET_ADMIN, SO_RCVBUF is the unprivileged fallback (capped). At
 * thousands of setups a second the replies of one burst arrive together, and
 * a reply the kernel drops costs a whole retransmission timeout. */
static void sock_set_rcvbuf(struct radius_transport *t, int fd)
{
	int want = (int)t->cfg.rcvbuf_bytes, got = 0;
	socklen_t len = sizeof(got);
	if (want <= 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0)
		t->ctr.rcvbuf = (uint64_t)got;
}

static struct rt_sock *sock_open(struct radius_transport *t, int family)
{
	struct rt_sock *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->t = t;
	s->family = family;
	s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail;
	sock_set_rcvbuf(t, s->fd);
	if (t->cfg.has_bind && t->cfg.bind_addr.ss_family == family &&
	    bind(s->fd, (const struct sockaddr *)&t->cfg.bind_addr, t->cfg.bind_addr_len) < 0) {
		log_error("%s event=bind-failed errno=%d", t->pol.log_name, errno);
		goto fail;
	}
	if (ev_io_add(t->loop, s->fd, EV_READ, sock_readable, s) < 0)
		goto fail;
	t->socks[t->n_socks++] = s;
	t->ctr.sockets++;
	log_info("%s event=socket-open family=%s sockets=%zu rcvbuf=%llu", t->pol.log_name,
		 family == AF_INET ? "ipv4" : "ipv6", t->n_socks, (unsigned long long)t->ctr.rcvbuf);
	return s;
fail:
	{
		int e = errno;
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		errno = e;
	}
	return NULL;
}

/* Gives x an id on a socket of `family`, opening a socket when every id of
 * the existing ones is in use. Returns 0, or -1 with errno set. */
static int id_alloc(struct radius_transport *t, struct radius_xact *x, int family)
{
	struct rt_sock *s = NULL;
	size_t n_family = 0;
	for (size_t i = 0; i < t->n_socks; i++) {
		if (t->socks[i]->family != family)
			continue;
		n_family++;
		if (t->socks[i]->used < IDS_PER_SOCKET) {
			s = t->socks[i];
			break;
		}
	}
	if (!s) {
		if (n_family >= t->cfg.max_sockets || t->n_socks >= t->max_socks) {
			errno = EBUSY;
			return -1;
		}
		s = sock_open(t, family);
		if (!s)
			return -1;
	}
	/* Round-robin from next_id, so a just-freed id is reused last and a late
	 * reply to its previous owner is unlikely to meet a new request. */
	for (unsigned k = 0; k < IDS_PER_SOCKET; k++) {
		uint8_t id = (uint8_t)(s->next_id + k);
		if (!s->slots[id]) {
			s->slots[id] = x;
			s->used++;
			s->next_id = (uint8_t)(id + 1);
			x->sock = s;
			x->id = id;
			return 0;
		}
	}
	errno = EBUSY;          /* unreachable: used < 256 */
	return -1;
}

static void txq_void(struct radius_transport *t, const struct radius_xact *x);

static void id_release(struct radius_xact *x)
{
	if (!x->sock)
		return;
	txq_void(x->t, x);
	x->sock->slots[x->id] = NULL;
	x->sock->used--;
	x->sock = NULL;
}

/* ---- waiting for an id ---- */

static void wait_push(struct radius_xact *x)
{
	struct radius_transport *t = x->t;
	if (x->waiting)
		return;
	x->waiting = true;
	x->wnext = NULL;
	x->wprev = t->wtail;
	if (t->wtail)
		t->wtail->wnext = x;
	else
		t->whead = x;
	t->wtail = x;
	t->ctr.waiting++;
}

static void wait_remove(struct radius_xact *x)
{
	struct radius_transport *t = x->t;
	if (!x->waiting)
		return;
	if (x->wprev)
		x->wprev->wnext = x->wnext;
	else
		t->whead = x->wnext;
	if (x->wnext)
		x->wnext->wprev = x->wprev;
	else
		t->wtail = x->wprev;
	x->wprev = x->wnext = NULL;
	x->waiting = false;
	t->ctr.waiting--;
}

/* ---- servers ---- */

static bool server_dead(const struct radius_transport *t, size_t i, uint64_t now)
{
	return t->srv[i].dead_until_ms > now;
}

/* The next server for x: the first untried live one in config order; when
 * every server is dead, the first untried one (so a dead-marked but
 * recovered server still gets a chance). Returns its index or -1. */
static int server_pick(const struct radius_transport *t, const struct radius_xact *x, uint64_t now)
{
	bool all_dead = true;
	for (size_t i = 0; i < t->cfg.n_servers; i++)
		if (!server_dead(t, i, now))
			all_dead = false;
	for (size_t i = 0; i < t->cfg.n_servers; i++) {
		if (x->tried & (1u << i))
			continue;
		if (all_dead || !server_dead(t, i, now))
			return (int)i;
	}
	return -1;
}

/* ---- sending ---- */

/* Encodes x for its current server with its current id. Returns 0 or -1. */
static int xact_encode(struct radius_xact *x, uint8_t *buf)
{
	struct radius_transport *t = x->t;
	const struct radius_server_config *sc = &t->cfg.servers[x->server];
	ssize_t n = x->ops->encode(x, sc, x->id, buf, RADIUS_MAX_PACKET);
	if (n < RADIUS_HDR_LEN + 2 + RADIUS_AUTH_LEN)
		return -1;
	/* RFC 3579 3.2 / BlastRADIUS: every request is signed, and the codec
	 * puts the Message-Authenticator first. A packet without one is a bug
	 * of ours, never sent. */
	if (buf[RADIUS_HDR_LEN] != RADIUS_ATTR_MESSAGE_AUTHENTICATOR ||
	    buf[RADIUS_HDR_LEN + 1] != 2 + RADIUS_AUTH_LEN || buf[0] != t->pol.request_code) {
		log_error("%s event=refused-to-send reason=unsigned-request", t->pol.log_name);
		return -1;
	}
	memcpy(x->auth, buf + 4, RADIUS_AUTH_LEN);
	x->pkt_len = (size_t)n;
	return 0;
}

/* ---- the send queue ---- */

static void txq_void(struct radius_transport *t, const struct radius_xact *x)
{
	struct rt_txq *q = t->txq;
	for (unsigned i = 0; i < q->n; i++)
		if (q->ent[i].x == x)
			q->ent[i].sock = NULL;
}

/* Sends the queued entries of socket s, in order, in sendmmsg() batches. An
 * entry the kernel refuses is treated like a lost packet (the timer retries,
 * then fails over): logged and skipped, the rest still go. */
static void txq_send_sock(struct radius_transport *t, struct rt_sock *s)
{
	struct rt_txq *q = t->txq;
	struct mmsghdr msgs[TX_BATCH];
	struct iovec iov[TX_BATCH];
	const struct rt_tx *ents[TX_BATCH];
	unsigned n = 0, done = 0;

	for (unsigned i = 0; i < q->n; i++) {
		const struct rt_tx *e = &q->ent[i];
		const struct radius_server_config *sc;
		if (e->sock != s)
			continue;
		sc = &t->cfg.servers[e->server];
		iov[n] = (struct iovec){ .iov_base = q->arena + e->off, .iov_len = e->len };
		msgs[n] = (struct mmsghdr){ .msg_hdr = {
			.msg_name = (void *)&sc->addr, .msg_namelen = sc->addr_len,
			.msg_iov = &iov[n], .msg_iovlen = 1 } };
		ents[n++] = e;
	}
	while (done < n) {
		int k = sendmmsg(s->fd, msgs + done, n - done, MSG_DONTWAIT);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			log_peer("%s server=%s id=%u event=send-failed errno=%d", t->pol.log_name,
				 t->cfg.servers[ents[done]->server].name, ents[done]->id,
				 k < 0 ? errno : EAGAIN);
			done++;
			continue;
		}
		done += (unsigned)k;
	}
}

static void txq_flush(struct radius_transport *t)
{
	for (size_t i = 0; i < t->n_socks; i++)
		txq_send_sock(t, t->socks[i]);
	t->txq->n = 0;
	t->txq->used = 0;
}

static void flush_cb(struct ev_loop *loop, struct ev_defer *defer, void *arg)
{
	txq_flush(arg);
}

/* Queues x's packet (buf, x->pkt_len bytes) for the end of the iteration. */
static void xact_sendto(struct radius_xact *x, const uint8_t *buf)
{
	struct radius_transport *t = x->t;
	struct rt_txq *q = t->txq;
	struct rt_tx *e;

	if (q->n == TX_BATCH || q->used + x->pkt_len > sizeof(q->arena))
		txq_flush(t);
	e = &q->ent[q->n++];
	*e = (struct rt_tx){ .sock = x->sock, .x = x, .id = x->id, .server = x->server,
			     .off = q->used, .len = x->pkt_len };
	memcpy(q->arena + q->used, buf, x->pkt_len);
	q->used += x->pkt_len;
	ev_defer(t->loop, &t->flush);
	t->srv[x->server].sent++;
	t->ctr.sent++;
	x->sends++;
	ev_timer_start(t->loop, &x->timer, t->cfg.timeout_ms);
}

/* One send to the current server. With reencode: a fresh id and packet;
 * without: the packet as encoded by xact_send_to(). Returns 0, 1 when x
 * now waits for an id, or -1 (errno set). */
static int xact_transmit(struct radius_xact *x)
{
	struct radius_transport *t = x->t;
	if (t->pol.reencode || !x->pkt) {
		const struct radius_server_config *sc = &t->cfg.servers[x->server];
		id_release(x);
		if (id_alloc(t, x, sc->addr.ss_family) < 0) {
			if (errno == EBUSY && t->pol.wait_for_id) {
				ev_timer_stop(t->loop, &x->timer);
				wait_push(x);
				return 1;
			}
			return -1;
		}
		if (xact_encode(x, t->scratch) < 0) {
			id_release(x);
			errno = EINVAL;
			return -1;
		}
		xact_sendto(x, t->scratch);
		return 0;
	}
	xact_sendto(x, x->pkt);
	return 0;
}

/* Moves x to server idx: a fresh id and authenticator (re-encoded for that
 * server's secret). Returns as xact_transmit(). */
static int xact_send_to(struct radius_xact *x, size_t idx)
{
	struct radius_transport *t = x->t;
	const struct radius_server_config *sc = &t->cfg.servers[idx];
	x->server = idx;
	x->tried |= 1u << idx;
	x->sends = 0;
	if (t->pol.reencode || !x->pkt)
		return xact_transmit(x);
	id_release(x);
	if (id_alloc(t, x, sc->addr.ss_family) < 0) {
		if (errno == EBUSY && t->pol.wait_for_id) {
			wait_push(x);
			return 1;
		}
		return -1;
	}
	if (xact_encode(x, x->pkt) < 0) {
		id_release(x);
		errno = EINVAL;
		return -1;
	}
	log_debug("%s server=%s id=%u event=send", t->pol.log_name, sc->name, x->id);
	xact_sendto(x, x->pkt);
	return 0;
}

/* Ends x as idle: no id, no timer, not waiting. */
static void xact_idle(struct radius_xact *x)
{
	ev_timer_stop(x->t->loop, &x->timer);
	wait_remove(x);
	id_release(x);
	x->active = false;
}

/* Tries the untried servers of this round in order. Returns 0 when x is on
 * its way (or waiting), -1 when none is left. */
static int xact_next_server(struct radius_xact *x, uint64_t now)
{
	for (;;) {
		int next = server_pick(x->t, x, now);
		if (next < 0)
			return -1;
		if (xact_send_to(x, (size_t)next) >= 0)
			return 0;
		if (errno == EINVAL)
			return -1;
		x->tried |= 1u << next;         /* no id or socket there: the next one */
	}
}

static void xact_exhaust(struct radius_xact *x)
{
	struct radius_transport *t = x->t;
	xact_idle(x);
	pump(t);
	x->ops->exhausted(x);
}

static void xact_timeout(struct ev_loop *loop, struct ev_timer *timer, void *arg)
{
	struct radius_xact *x = arg;
	struct radius_transport *t = x->t;
	uint64_t now = ev_now_ms(loop);
	size_t idx = x->server;

	if (x->backoff) {
		/* end of a back-off after a silent round: start a new one */
		x->backoff = false;
		x->tried = 0;
		if (xact_next_server(x, now) < 0)
			xact_exhaust(x);
		return;
	}
	if (x->sends < t->cfg.tries) {
		t->ctr.retransmits++;
		log_debug("%s server=%s id=%u event=retransmit try=%u", t->pol.log_name,
			  t->cfg.servers[idx].name, x->id, x->sends + 1);
		if (xact_transmit(x) < 0)
			xact_exhaust(x);
		return;
	}
	t->srv[idx].timeouts++;
	if (!server_dead(t, idx, now) && t->cfg.deadtime_s > 0) {
		t->srv[idx].dead_until_ms = now + (uint64_t)t->cfg.deadtime_s * 1000;
		log_warn("%s server=%s event=server-dead deadtime_s=%u", t->pol.log_name,
			 t->cfg.servers[idx].name, t->cfg.deadtime_s);
	}
	int next = server_pick(t, x, now);
	if (next >= 0) {
		t->ctr.failovers++;
		log_info("%s from=%s to=%s event=failover", t->pol.log_name, t->cfg.servers[idx].name,
			 t->cfg.servers[next].name);
		if (xact_next_server(x, now) == 0)
			return;
	}
	xact_exhaust(x);
}

/* Sends exchanges that wait for an id, oldest first, while ids are free. */
static void pump(struct radius_transport *t)
{
	while (t->whead) {
		struct radius_xact *x = t->whead;
		wait_remove(x);
		int r = xact_transmit(x);
		if (r == 1)
			return;         /* back at the tail: still no id */
		if (r < 0) {
			xact_idle(x);
			x->ops->exhausted(x);
		}
	}
}

void radius_xact_init(struct radius_xact *x, struct radius_transport *t,
		      const struct radius_xact_ops *ops, uint8_t *pkt)
{
	memset(x, 0, sizeof(*x));
	x->t = t;
	x->ops = ops;
	x->pkt = pkt;
	ev_timer_init(&x->timer, xact_timeout, x);
}

int radius_xact_start(struct radius_xact *x)
{
	struct radius_transport *t = x->t;
	uint64_t now = ev_now_ms(t->loop);
	x->tried = 0;
	x->backoff = false;
	x->invalid_replies = 0;
	x->active = true;
	errno = 0;
	for (;;) {
		int first = server_pick(t, x, now);
		if (first < 0)
			break;
		if (xact_send_to(x, (size_t)first) >= 0)
			return 0;
		if (errno == EINVAL)
			break;
		x->tried |= 1u << first;
	}
	if (!errno)
		errno = EBUSY;
	int e = errno;
	xact_idle(x);
	errno = e;
	return -1;
}

void radius_xact_retry_in(struct radius_xact *x, uint64_t delay_ms)
{
	x->active = true;
	x->backoff = true;
	x->sends = 0;
	x->tried = 0;
	ev_timer_start(x->t->loop, &x->timer, delay_ms);
}

bool radius_xact_on_wire(const struct radius_xact *x)
{
	return x->sock != NULL;
}

void radius_xact_cancel(struct radius_xact *x)
{
	if (!x->t)
		return;
	bool held = x->sock != NULL;
	xact_idle(x);
	if (held)
		pump(x->t);
}

const char *radius_xact_server_name(const struct radius_xact *x)
{
	return x->t->cfg.servers[x->server].name;
}

/* ---- replies ---- */

static bool addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

/* Whether `code` answers a request of the policy's code. */
static bool code_answers(const struct radius_transport *t, uint8_t code)
{
	if (t->pol.request_code == RADIUS_CODE_ACCOUNTING_REQUEST)
		return code == RADIUS_CODE_ACCOUNTING_RESPONSE;
	return code == RADIUS_CODE_ACCESS_ACCEPT || code == RADIUS_CODE_ACCESS_REJECT ||
	       code == RADIUS_CODE_ACCESS_CHALLENGE;
}

static void handle_datagram(struct rt_sock *s, const uint8_t *buf, size_t len,
			    const struct sockaddr_storage *from)
{
	struct radius_transport *t = s->t;
	struct radius_err err = { 0 };
	char peer[INET6_ADDRSTRLEN] = "?";

	if (from->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)from)->sin_addr, peer, sizeof(peer));
	else if (from->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)from)->sin6_addr, peer, sizeof(peer));
	if (len < RADIUS_HDR_LEN) {
		t->ctr.replies_malformed++;
		log_peer("%s peer=%s event=reply-dropped reason=short len=%zu", t->pol.log_name, peer, len);
		return;
	}
	struct radius_xact *x = s->slots[buf[1]];
	if (!x || !addr_equal(from, &t->cfg.servers[x->server].addr)) {
		t->ctr.replies_unexpected++;
		log_peer("%s peer=%s id=%u event=reply-dropped reason=no-such-request", t->pol.log_name, peer,
			 buf[1]);
		return;
	}
	if (!code_answers(t, buf[0])) {
		t->ctr.replies_unexpected++;
		log_peer("%s peer=%s id=%u code=%s event=reply-dropped reason=unexpected-code", t->pol.log_name,
			 peer, buf[1], radius_code_str(buf[0]));
		return;
	}
	const struct radius_server_config *sc = &t->cfg.servers[x->server];
	ssize_t plen = radius_response_verify_ext(buf, len, x->auth, sc->secret, sc->secret_len,
						  t->pol.require_reply_msg_auth, &err);
	if (plen < 0) {
		switch (err.kind) {
		case RADIUS_ERR_MALFORMED: t->ctr.replies_malformed++; break;
		case RADIUS_ERR_AUTHENTICATOR: t->ctr.replies_bad_authenticator++; break;
		case RADIUS_ERR_NO_MSG_AUTH: t->ctr.replies_no_message_authenticator++; break;
		case RADIUS_ERR_MSG_AUTH: t->ctr.replies_bad_message_authenticator++; break;
		}
		x->invalid_replies++;
		log_peer("%s server=%s id=%u event=reply-dropped reason=\"%s\" offset=%zu", t->pol.log_name,
			 sc->name, buf[1], err.msg, err.offset);
		return;
	}
	size_t idx = x->server;
	t->srv[idx].answers++;
	if (t->srv[idx].dead_until_ms) {
		t->srv[idx].dead_until_ms = 0;
		log_info("%s server=%s event=server-alive", t->pol.log_name, sc->name);
	}
	xact_idle(x);
	x->ops->answered(x, buf, (size_t)plen, idx);
	pump(t);
}

static void sock_readable(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct rt_sock *s = arg;
	struct rt_rxbuf *rx = s->t->rx;
	for (int got = 0; got < RECV_BURST;) {
		for (unsigned i = 0; i < RECV_BATCH; i++) {
			rx->iov[i] = (struct iovec){ .iov_base = rx->buf[i], .iov_len = sizeof(rx->buf[i]) };
			rx->msgs[i] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &rx->from[i], .msg_namelen = sizeof(rx->from[i]),
				.msg_iov = &rx->iov[i], .msg_iovlen = 1 } };
		}
		int n = recvmmsg(fd, rx->msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_peer("%s event=recv-failed errno=%d", s->t->pol.log_name, errno);
			return;
		}
		/* A reply may end exchanges and start others: their sends are
		 * queued, so nothing here reads or closes a socket. */
		for (int i = 0; i < n; i++) {
			/* A datagram over RADIUS_MAX_PACKET arrives cut to it: RFC
			 * 2865 3 ignores octets past the Length field anyway. */
			handle_datagram(s, rx->buf[i], rx->msgs[i].msg_len, &rx->from[i]);
		}
		got += n;
		if (n < RECV_BATCH)
			return;         /* drained: no further call just to see EAGAIN */
	}
}

/* ---- transport ---- */

struct radius_transport *radius_transport_create(struct ev_loop *loop,
						 const struct radius_client_config *cfg,
						 const struct radius_transport_policy *policy)
{
	if (cfg->n_servers == 0 || cfg->n_servers > RADIUS_MAX_SERVERS || cfg->tries == 0 ||
	    cfg->max_sockets == 0) {
		errno = EINVAL;
		return NULL;
	}
	struct radius_transport *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->loop = loop;
	t->cfg = *cfg;
	t->pol = *policy;
	t->max_socks = cfg->max_sockets * 2;    /* both families */
	t->socks = calloc(t->max_socks, sizeof(*t->socks));
	t->txq = malloc(sizeof(*t->txq));
	t->rx = malloc(sizeof(*t->rx));
	if (!t->socks || !t->txq || !t->rx) {
		free(t->socks);
		free(t->txq);
		free(t->rx);
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->txq->n = 0;
	t->txq->used = 0;
	ev_defer_init(&t->flush, flush_cb, t);
	bool have[2] = { false, false };
	for (size_t i = 0; i < cfg->n_servers; i++) {
		int fam = cfg->servers[i].addr.ss_family;
		int k = fam == AF_INET6 ? 1 : 0;
		if (have[k])
			continue;
		have[k] = true;
		if (!sock_open(t, fam)) {
			int e = errno;
			radius_transport_destroy(t);
			errno = e;
			return NULL;
		}
	}
	return t;
}

void radius_transport_destroy(struct radius_transport *t)
{
	if (!t)
		return;
	/* What the last iteration queued still goes (a Stop at shutdown). */
	if (t->txq)
		txq_flush(t);
	ev_defer_cancel(t->loop, &t->flush);
	for (size_t i = 0; i < t->n_socks; i++) {
		ev_io_del(t->loop, t->socks[i]->fd);
		close(t->socks[i]->fd);
		free(t->socks[i]);
	}
	free(t->socks);
	free(t->txq);
	free(t->rx);
	free(t);
}

const struct radius_client_config *radius_transport_config(const struct radius_transport *t)
{
	return &t->cfg;
}

struct ev_loop *radius_transport_loop(const struct radius_transport *t)
{
	return t->loop;
}

void radius_transport_counters_get(const struct radius_transport *t,
				   struct radius_transport_counters *out)
{
	*out = t->ctr;
	out->rx_socket_drops = 0;
	for (size_t i = 0; i < t->n_socks; i++)   /* sockets live as long as the transport */
		(void)sock_rx_drops(t->socks[i]->fd, &out->rx_socket_drops);
}

int radius_transport_server_status(const struct radius_transport *t, size_t i,
				   struct radius_server_status *out)
{
	if (i >= t->cfg.n_servers)
		return -1;
	uint64_t now = ev_now_ms(t->loop);
	out->name = t->cfg.servers[i].name;
	out->dead = server_dead(t, i, now);
	out->dead_for_ms = out->dead ? t->srv[i].dead_until_ms - now : 0;
	out->sent = t->srv[i].sent;
	out->timeouts = t->srv[i].timeouts;
	out->answers = t->srv[i].answers;
	return 0;
}
