/* RADIUS accounting transport (see radius_acct.h).
 *
 * Records live on one FIFO list, oldest first, from radius_acct_send() until
 * a verified Accounting-Response or a drop. A record holds an id on the
 * family's socket only while a packet of it is outstanding; with every id of
 * a socket taken, records wait (unsent) until one frees. One socket per
 * address family: 256 records in flight is far more than one accounting
 * server should be asked to take at once, and the queue holds the rest. */
#include "aaa/radius_acct.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev/ev.h"
#include "util/log.h"

#define ACCT_IDS 256
#define ACCT_ARENA 2048
#define ACCT_RECV_BURST 64

struct acct_record;

struct acct_sock {
	struct radius_acct *acct;
	int fd;
	int family;
	uint8_t next_id;
	struct acct_record *slots[ACCT_IDS];
};

struct radius_acct {
	struct ev_loop *loop;
	struct radius_client_config cfg;
	size_t queue_max;
	uint64_t dead_until_ms[RADIUS_MAX_SERVERS];
	struct acct_sock socks[2];      /* [0] IPv4, [1] IPv6; fd -1 until used */
	struct acct_record *head, *tail;
	size_t n_records;
	struct radius_acct_counters ctr;
	void (*idle_fn)(void *arg);
	void *idle_arg;
	struct ev_timer idle_timer;     /* runs idle_fn from the loop, never re-entrantly */
};

struct acct_record {
	struct radius_acct *acct;
	struct acct_record *prev, *next;
	struct acct_sock *sock;         /* NULL while no id is held */
	uint8_t id;
	size_t server;
	uint32_t tried;                 /* bit per server this round */
	unsigned sends;                 /* to the current server */
	uint64_t queued_ms;
	struct ev_timer timer;
	struct radius_acct_params params;       /* pointers into arena / tunnel */
	struct radius_acct_tunnel tunnel;
	uint8_t arena[ACCT_ARENA];
	size_t arena_used;
	size_t pkt_len;
	uint8_t pkt[RADIUS_MAX_PACKET];
};

static const char *status_str(uint32_t st)
{
	switch (st) {
	case RADIUS_ACCT_STATUS_START: return "start";
	case RADIUS_ACCT_STATUS_STOP: return "stop";
	case RADIUS_ACCT_STATUS_INTERIM: return "interim-update";
	case RADIUS_ACCT_STATUS_ACCOUNTING_ON: return "accounting-on";
	case RADIUS_ACCT_STATUS_ACCOUNTING_OFF: return "accounting-off";
	default: return "other";
	}
}

/* ---- copying the caller's record ---- */

static const char *arena_str(struct acct_record *r, const char *s, bool *ok)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	if (n > RADIUS_MAX_ATTR_VALUE || ACCT_ARENA - r->arena_used < n + 1) {
		*ok = false;
		return NULL;
	}
	char *dst = (char *)r->arena + r->arena_used;
	memcpy(dst, s, n + 1);
	r->arena_used += n + 1;
	return dst;
}

static int record_copy(struct acct_record *r, const struct radius_acct_params *p, const char *def_nas_id)
{
	bool ok = true;
	struct radius_acct_params *q = &r->params;
	*q = *p;
	q->user_name = arena_str(r, p->user_name, &ok);
	q->acct_session_id = arena_str(r, p->acct_session_id, &ok);
	q->nas_identifier = arena_str(r, p->nas_identifier ? p->nas_identifier
					  : def_nas_id[0] ? def_nas_id : NULL, &ok);
	q->nas_port_id = arena_str(r, p->nas_port_id, &ok);
	q->calling_station_id = arena_str(r, p->calling_station_id, &ok);
	q->called_station_id = arena_str(r, p->called_station_id, &ok);
	if (p->n_class > RADIUS_MAX_CLASS_ECHO)
		return -1;
	for (size_t i = 0; i < p->n_class; i++) {
		if (p->class_len[i] > RADIUS_MAX_ATTR_VALUE || ACCT_ARENA - r->arena_used < p->class_len[i])
			return -1;
		memcpy(r->arena + r->arena_used, p->class_val[i], p->class_len[i]);
		q->class_val[i] = r->arena + r->arena_used;
		r->arena_used += p->class_len[i];
	}
	if (p->tunnel) {
		const struct radius_acct_tunnel *t = p->tunnel;
		r->tunnel = *t;
		r->tunnel.client_endpoint = arena_str(r, t->client_endpoint, &ok);
		r->tunnel.server_endpoint = arena_str(r, t->server_endpoint, &ok);
		r->tunnel.assignment_id = arena_str(r, t->assignment_id, &ok);
		r->tunnel.client_auth_id = arena_str(r, t->client_auth_id, &ok);
		r->tunnel.server_auth_id = arena_str(r, t->server_auth_id, &ok);
		r->tunnel.connection = arena_str(r, t->connection, &ok);
		q->tunnel = &r->tunnel;
	}
	return ok ? 0 : -1;
}

/* ---- ids and sockets ---- */

static void sock_readable(struct ev_loop *loop, int fd, unsigned events, void *arg);

static struct acct_sock *sock_get(struct radius_acct *a, int family)
{
	struct acct_sock *s = &a->socks[family == AF_INET6 ? 1 : 0];
	if (s->fd >= 0)
		return s;
	s->family = family;
	s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return NULL;
	if (a->cfg.has_bind && a->cfg.bind_addr.ss_family == family &&
	    bind(s->fd, (const struct sockaddr *)&a->cfg.bind_addr, a->cfg.bind_addr_len) < 0)
		goto fail;
	if (ev_io_add(a->loop, s->fd, EV_READ, sock_readable, s) < 0)
		goto fail;
	return s;
fail:
	log_error("radius-acct event=socket-failed errno=%d", errno);
	close(s->fd);
	s->fd = -1;
	return NULL;
}

/* Takes a fresh id on the socket of `family`. Returns 0, or -1 if none is
 * free (or the socket cannot be opened). */
static int id_take(struct radius_acct *a, struct acct_record *r, int family)
{
	struct acct_sock *s = sock_get(a, family);
	if (!s)
		return -1;
	for (unsigned k = 0; k < ACCT_IDS; k++) {
		uint8_t id = (uint8_t)(s->next_id + k);
		if (!s->slots[id]) {
			s->slots[id] = r;
			s->next_id = (uint8_t)(id + 1);
			r->sock = s;
			r->id = id;
			return 0;
		}
	}
	return -1;
}

static void id_put(struct acct_record *r)
{
	if (!r->sock)
		return;
	r->sock->slots[r->id] = NULL;
	r->sock = NULL;
}

/* ---- sending ---- */

static bool server_dead(const struct radius_acct *a, size_t i, uint64_t now)
{
	return a->dead_until_ms[i] > now;
}

/* First untried live server; when all are dead, the first untried one. */
static int server_pick(const struct radius_acct *a, const struct acct_record *r, uint64_t now)
{
	bool all_dead = true;
	for (size_t i = 0; i < a->cfg.n_servers; i++)
		if (!server_dead(a, i, now))
			all_dead = false;
	for (size_t i = 0; i < a->cfg.n_servers; i++)
		if (!(r->tried & (1u << i)) && (all_dead || !server_dead(a, i, now)))
			return (int)i;
	return -1;
}

/* Encodes r for its current server with the current Acct-Delay-Time and a
 * fresh id, and sends it. Returns 0, or -1 when no id is free (r then waits
 * for one, unsent). */
static int record_transmit(struct acct_record *r)
{
	struct radius_acct *a = r->acct;
	const struct radius_server_config *sc = &a->cfg.servers[r->server];
	uint64_t now = ev_now_ms(a->loop);
	id_put(r);
	if (id_take(a, r, sc->addr.ss_family) < 0)
		return -1;
	struct radius_acct_params p = r->params;
	p.delay_time = r->params.delay_time + (uint32_t)((now - r->queued_ms) / 1000);
	ssize_t n = radius_accounting_request_encode(r->pkt, sizeof(r->pkt), r->id, &p, sc->secret,
						     sc->secret_len);
	if (n < 0) {
		/* checked at radius_acct_send(); cannot change since */
		id_put(r);
		return -1;
	}
	r->pkt_len = (size_t)n;
	if (sendto(r->sock->fd, r->pkt, r->pkt_len, 0, (const struct sockaddr *)&sc->addr, sc->addr_len) < 0)
		log_peer("radius-acct server=%s id=%u event=send-failed errno=%d", sc->name, r->id, errno);
	r->sends++;
	ev_timer_start(a->loop, &r->timer, a->cfg.timeout_ms);
	log_debug("radius-acct server=%s id=%u session=%s status=%s delay=%u event=send", sc->name, r->id,
		  r->params.acct_session_id ? r->params.acct_session_id : "-",
		  status_str(r->params.status_type), p.delay_time);
	return 0;
}

/* Sends records that are waiting for an id, oldest first. */
static void pump(struct radius_acct *a)
{
	for (struct acct_record *r = a->head; r; r = r->next) {
		if (r->sock || ev_timer_armed(&r->timer))
			continue;
		if (record_transmit(r) < 0)
			return;
	}
}

static void idle_fire(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct radius_acct *a = arg;
	if (a->n_records || !a->idle_fn)
		return;
	void (*fn)(void *) = a->idle_fn;
	a->idle_fn = NULL;
	fn(a->idle_arg);
}

static void record_free(struct acct_record *r)
{
	struct radius_acct *a = r->acct;
	if (r->prev)
		r->prev->next = r->next;
	else
		a->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		a->tail = r->prev;
	ev_timer_stop(a->loop, &r->timer);
	id_put(r);
	a->n_records--;
	free(r);
	if (a->n_records == 0 && a->idle_fn)
		ev_timer_start(a->loop, &a->idle_timer, 0);
}

static void record_timeout(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct acct_record *r = arg;
	struct radius_acct *a = r->acct;
	uint64_t now = ev_now_ms(loop);

	if (!r->sock && r->sends == 0 && r->tried == 0) {
		/* end of a back-off after a silent round: start a new one */
		int first = server_pick(a, r, now);
		r->server = first < 0 ? 0 : (size_t)first;
		r->tried = 1u << r->server;
		record_transmit(r);
		return;
	}
	if (r->sends < a->cfg.tries) {
		a->ctr.retransmits++;
		if (record_transmit(r) < 0)
			id_put(r);
		return;
	}
	if (!server_dead(a, r->server, now) && a->cfg.deadtime_s > 0) {
		a->dead_until_ms[r->server] = now + (uint64_t)a->cfg.deadtime_s * 1000;
		log_warn("radius-acct server=%s event=server-dead deadtime_s=%u",
			 a->cfg.servers[r->server].name, a->cfg.deadtime_s);
	}
	int next = server_pick(a, r, now);
	id_put(r);
	r->sends = 0;
	if (next >= 0) {
		a->ctr.failovers++;
		log_info("radius-acct session=%s from=%s to=%s event=failover",
			 r->params.acct_session_id ? r->params.acct_session_id : "-",
			 a->cfg.servers[r->server].name, a->cfg.servers[next].name);
		r->server = (size_t)next;
		r->tried |= 1u << next;
		record_transmit(r);
		return;
	}
	/* Every server was silent: keep the record (the queue bound protects
	 * memory) and try again after the dead time. */
	r->tried = 0;
	uint64_t wait = a->cfg.deadtime_s ? (uint64_t)a->cfg.deadtime_s * 1000 : a->cfg.timeout_ms;
	log_warn("radius-acct session=%s status=%s event=no-server-answered retry_in_ms=%llu",
		 r->params.acct_session_id ? r->params.acct_session_id : "-",
		 status_str(r->params.status_type), (unsigned long long)wait);
	ev_timer_start(loop, &r->timer, wait);
	pump(a);        /* its id is free: a waiting record may use it */
}

/* Makes room for one record: the oldest Interim-Update goes first, since a
 * later interim or the Stop supersedes it; otherwise the oldest record. */
static void queue_make_room(struct radius_acct *a)
{
	struct acct_record *victim = NULL;
	for (struct acct_record *r = a->head; r; r = r->next)
		if (r->params.status_type == RADIUS_ACCT_STATUS_INTERIM) {
			victim = r;
			break;
		}
	if (victim) {
		a->ctr.dropped_interim++;
	} else {
		victim = a->head;
		a->ctr.dropped_other++;
	}
	log_peer("radius-acct session=%s status=%s event=dropped reason=queue-full queue_max=%zu",
		 victim->params.acct_session_id ? victim->params.acct_session_id : "-",
		 status_str(victim->params.status_type), a->queue_max);
	record_free(victim);
}

int radius_acct_send(struct radius_acct *a, const struct radius_acct_params *p)
{
	struct acct_record *r = calloc(1, sizeof(*r));
	if (!r) {
		errno = ENOMEM;
		return -1;
	}
	r->acct = a;
	r->queued_ms = ev_now_ms(a->loop);
	ev_timer_init(&r->timer, record_timeout, r);
	if (record_copy(r, p, a->cfg.nas_identifier) < 0 ||
	    radius_accounting_request_encode(r->pkt, sizeof(r->pkt), 0, &r->params,
					     a->cfg.servers[0].secret, a->cfg.servers[0].secret_len) < 0) {
		free(r);
		errno = EINVAL;
		return -1;
	}
	if (a->n_records >= a->queue_max)
		queue_make_room(a);
	r->prev = a->tail;
	if (a->tail)
		a->tail->next = r;
	else
		a->head = r;
	a->tail = r;
	a->n_records++;
	a->ctr.queued++;
	switch (p->status_type) {
	case RADIUS_ACCT_STATUS_START: a->ctr.starts++; break;
	case RADIUS_ACCT_STATUS_STOP: a->ctr.stops++; break;
	case RADIUS_ACCT_STATUS_INTERIM: a->ctr.interims++; break;
	}
	int first = server_pick(a, r, r->queued_ms);
	r->server = first < 0 ? 0 : (size_t)first;
	r->tried = 1u << r->server;
	record_transmit(r);     /* no id free: it waits for pump() */
	return 0;
}

/* ---- answers ---- */

static bool addr_equal(const struct sockaddr_storage *x, const struct sockaddr_storage *y)
{
	if (x->ss_family != y->ss_family)
		return false;
	if (x->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)x, *b = (const struct sockaddr_in *)y;
		return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)x, *b = (const struct sockaddr_in6 *)y;
	return a->sin6_port == b->sin6_port && memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) == 0;
}

static void handle_datagram(struct radius_acct *a, struct acct_sock *s, const uint8_t *buf, size_t len,
			    const struct sockaddr_storage *from)
{
	struct radius_err err = { 0 };
	if (len < RADIUS_HDR_LEN) {
		a->ctr.replies_invalid++;
		log_peer("radius-acct event=reply-dropped reason=short len=%zu", len);
		return;
	}
	struct acct_record *r = s->slots[buf[1]];
	const struct radius_server_config *sc = r ? &a->cfg.servers[r->server] : NULL;
	if (!r || !addr_equal(from, &sc->addr)) {
		a->ctr.replies_unexpected++;
		log_peer("radius-acct id=%u event=reply-dropped reason=no-such-request", buf[1]);
		return;
	}
	if (radius_accounting_response_verify(buf, len, r->pkt + 4, sc->secret, sc->secret_len, &err) < 0) {
		a->ctr.replies_invalid++;
		log_peer("radius-acct server=%s id=%u event=reply-dropped reason=\"%s\" offset=%zu", sc->name,
			 buf[1], err.msg, err.offset);
		return;
	}
	a->ctr.responses++;
	if (a->dead_until_ms[r->server]) {
		a->dead_until_ms[r->server] = 0;
		log_info("radius-acct server=%s event=server-alive", sc->name);
	}
	log_debug("radius-acct server=%s id=%u session=%s status=%s event=answered", sc->name, r->id,
		  r->params.acct_session_id ? r->params.acct_session_id : "-", status_str(r->params.status_type));
	record_free(r);
	pump(a);
}

static void sock_readable(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct acct_sock *s = arg;
	struct radius_acct *a = s->acct;
	uint8_t buf[RADIUS_MAX_PACKET];
	for (int i = 0; i < ACCT_RECV_BURST; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0)
			return;
		handle_datagram(a, s, buf, (size_t)n, &from);
	}
}

/* ---- life cycle ---- */

struct radius_acct *radius_acct_create(struct ev_loop *loop, const struct radius_client_config *cfg,
				       size_t queue_max)
{
	if (cfg->n_servers == 0 || cfg->n_servers > RADIUS_MAX_SERVERS || cfg->tries == 0 || queue_max == 0) {
		errno = EINVAL;
		return NULL;
	}
	struct radius_acct *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->loop = loop;
	a->cfg = *cfg;
	a->queue_max = queue_max;
	a->socks[0].fd = a->socks[1].fd = -1;
	a->socks[0].acct = a->socks[1].acct = a;
	a->socks[0].family = AF_INET;
	a->socks[1].family = AF_INET6;
	ev_timer_init(&a->idle_timer, idle_fire, a);
	return a;
}

void radius_acct_destroy(struct radius_acct *a)
{
	if (!a)
		return;
	a->idle_fn = NULL;
	while (a->head) {
		a->ctr.dropped_other++;
		record_free(a->head);
	}
	ev_timer_stop(a->loop, &a->idle_timer);
	for (int i = 0; i < 2; i++) {
		if (a->socks[i].fd < 0)
			continue;
		ev_io_del(a->loop, a->socks[i].fd);
		close(a->socks[i].fd);
	}
	free(a);
}

size_t radius_acct_pending(const struct radius_acct *a)
{
	return a->n_records;
}

void radius_acct_on_idle(struct radius_acct *a, void (*fn)(void *arg), void *arg)
{
	a->idle_fn = fn;
	a->idle_arg = arg;
	if (fn && a->n_records == 0)
		ev_timer_start(a->loop, &a->idle_timer, 0);
}

void radius_acct_counters_get(const struct radius_acct *a, struct radius_acct_counters *out)
{
	*out = a->ctr;
	out->pending = a->n_records;
}
