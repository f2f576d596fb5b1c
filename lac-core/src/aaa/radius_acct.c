/* RADIUS accounting (see radius_acct.h).
 *
 * Records live on one FIFO list, oldest first, from radius_acct_send() until
 * a verified Accounting-Response or a drop. A record is its attributes in the
 * spool form (radius_acct_attrs_encode(): everything but the
 * Message-Authenticator and Acct-Delay-Time), so the same bytes go to the
 * spool and, re-encoded with the current Acct-Delay-Time at every send, to
 * the server. The transport holds one socket per address family for
 * accounting (wait_for_id): 256 records in flight is far more than one
 * accounting server should be asked to take at once, and the queue holds the
 * rest in order. */
#include "aaa/radius_acct.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aaa/acct_spool.h"
#include "aaa/radius_transport.h"
#include "ev/ev.h"
#include "util/log.h"

struct acct_record;

struct radius_acct {
	struct ev_loop *loop;
	struct radius_transport *t;
	struct acct_spool *spool;       /* NULL: memory only */
	char nas_identifier[128];
	size_t queue_max;
	struct acct_record *head, *tail;
	size_t n_records;
	size_t n_interim;               /* Interim-Updates among them */
	struct radius_acct_counters ctr;
	void (*idle_fn)(void *arg);
	void *idle_arg;
	struct ev_timer idle_timer;     /* runs idle_fn from the loop, never re-entrantly */
	bool spilled_pending;           /* records dropped from memory wait in the spool */
	struct ev_timer reload_timer;   /* takes them back once the queue is half empty */
};

struct acct_record {
	struct radius_xact x;
	struct radius_acct *acct;
	struct acct_record *prev, *next;
	uint64_t queued_ms;             /* loop clock, for Acct-Delay-Time */
	uint32_t base_delay_s;          /* waited before this process queued it (spool) */
	uint64_t spool_seq;             /* 0: not in the spool */
	uint32_t status;
	bool held;                      /* not sent before it is the oldest (send_after_pending) */
	char session[40];               /* Acct-Session-Id, for logs */
	size_t attrs_len;
	uint8_t attrs[];
};

#define REC_OF(xp) ((struct acct_record *)((char *)(xp) - offsetof(struct acct_record, x)))

static const char *status_str(uint32_t st)
{
	switch (st) {
	case RADIUS_ACCT_STATUS_START: return "start";
	case RADIUS_ACCT_STATUS_STOP: return "stop";
	case RADIUS_ACCT_STATUS_INTERIM: return "interim-update";
	case RADIUS_ACCT_STATUS_ACCOUNTING_ON: return "accounting-on";
	case RADIUS_ACCT_STATUS_ACCOUNTING_OFF: return "accounting-off";
	case RADIUS_ACCT_STATUS_TUNNEL_REJECT: return "tunnel-reject";
	case RADIUS_ACCT_STATUS_TUNNEL_LINK_REJECT: return "tunnel-link-reject";
	default: return "other";
	}
}

/* ---- the transport's callbacks ---- */

static ssize_t record_encode(struct radius_xact *x, const struct radius_server_config *sc, uint8_t id,
			     uint8_t *buf, size_t cap)
{
	struct acct_record *r = REC_OF(x);
	uint64_t now = ev_now_ms(r->acct->loop);
	/* RFC 2866 5.2: how long the record has waited, at every send */
	uint32_t delay = r->base_delay_s + (uint32_t)((now - r->queued_ms) / 1000);
	log_debug("radius-acct server=%s id=%u session=%s status=%s delay=%u event=send", sc->name, id,
		  r->session, status_str(r->status), delay);
	return radius_accounting_request_from_attrs(buf, cap, id, r->attrs, r->attrs_len, delay, sc->secret,
						    sc->secret_len);
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

static void record_start(struct acct_record *r)
{
	r->held = false;
	if (radius_xact_start(&r->x) < 0) {
		/* no socket: try again after a timeout, like a silent round */
		log_warn("radius-acct session=%s event=send-failed errno=%d", r->session, errno);
		radius_xact_retry_in(&r->x, radius_transport_config(r->acct->t)->timeout_ms);
	}
}

/* Unlinks and frees r (its spool record is left as it is). */
static void record_free(struct acct_record *r)
{
	struct radius_acct *a = r->acct;
	radius_xact_cancel(&r->x);
	if (r->prev)
		r->prev->next = r->next;
	else
		a->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		a->tail = r->prev;
	a->n_records--;
	if (r->status == RADIUS_ACCT_STATUS_INTERIM)
		a->n_interim--;
	free(r);
	if (a->spilled_pending && a->n_records <= a->queue_max / 2 && !ev_timer_armed(&a->reload_timer))
		ev_timer_start(a->loop, &a->reload_timer, 0);
	if (a->head && a->head->held)
		record_start(a->head);
	if (a->n_records == 0 && a->idle_fn)
		ev_timer_start(a->loop, &a->idle_timer, 0);
}

static void record_answered(struct radius_xact *x, const uint8_t *pkt, size_t len, size_t server)
{
	struct acct_record *r = REC_OF(x);
	struct radius_acct *a = r->acct;
	a->ctr.responses++;
	log_debug("radius-acct server=%s id=%u session=%s status=%s event=answered", radius_xact_server_name(x),
		  pkt[1], r->session, status_str(r->status));
	if (a->spool && r->spool_seq)
		acct_spool_done(a->spool, r->spool_seq);
	record_free(r);
}

/* Every server was silent: keep the record (the queue bound protects memory)
 * and try again after the dead time. */
static void record_exhausted(struct radius_xact *x)
{
	struct acct_record *r = REC_OF(x);
	const struct radius_client_config *cfg = radius_transport_config(r->acct->t);
	uint64_t wait = cfg->deadtime_s ? (uint64_t)cfg->deadtime_s * 1000 : cfg->timeout_ms;
	log_warn("radius-acct session=%s status=%s event=no-server-answered retry_in_ms=%llu", r->session,
		 status_str(r->status), (unsigned long long)wait);
	radius_xact_retry_in(x, wait);
}

static const struct radius_xact_ops record_ops = {
	.encode = record_encode,
	.answered = record_answered,
	.exhausted = record_exhausted,
};

/* ---- queueing ---- */

/* Makes room for one record: the oldest Interim-Update goes first, since a
 * later interim or the Stop supersedes it; otherwise the oldest record, which
 * with a spool stays on disk. Among those, one not on the wire goes before
 * one that is: a request in flight has its answer on the way, and freeing it
 * would hand its identifier to a new request that the late answer then fails
 * to match. The walk ends once the choice is made: past at most the requests
 * in flight (one socket's identifiers) unless Interim-Updates are queued. */
static void queue_make_room(struct radius_acct *a)
{
	struct acct_record *interim_idle = NULL, *interim_wire = NULL, *oldest_idle = NULL, *victim;
	size_t interims_seen = 0;
	for (struct acct_record *r = a->head; r; r = r->next) {
		bool wire = radius_xact_on_wire(&r->x);
		if (r->status == RADIUS_ACCT_STATUS_INTERIM) {
			interims_seen++;
			if (!wire) {
				interim_idle = r;
				break;
			}
			if (!interim_wire)
				interim_wire = r;
		} else if (!wire && !oldest_idle) {
			oldest_idle = r;
		}
		if (oldest_idle && interims_seen == a->n_interim)
			break;
	}
	victim = interim_idle ? interim_idle : interim_wire;
	if (victim) {
		a->ctr.dropped_interim++;
		if (a->spool && victim->spool_seq)
			acct_spool_done(a->spool, victim->spool_seq);
	} else {
		victim = oldest_idle ? oldest_idle : a->head;
		a->ctr.dropped_other++;
		if (victim->spool_seq) {
			a->ctr.spilled++;
			a->spilled_pending = true;
		}
	}
	log_peer("radius-acct session=%s status=%s event=dropped reason=queue-full queue_max=%zu%s", victim->session,
		 status_str(victim->status), a->queue_max, victim->spool_seq ? " note=kept-in-spool" : "");
	record_free(victim);
}

static void count_status(struct radius_acct *a, uint32_t st)
{
	a->ctr.queued++;
	switch (st) {
	case RADIUS_ACCT_STATUS_START: a->ctr.starts++; break;
	case RADIUS_ACCT_STATUS_STOP: a->ctr.stops++; break;
	case RADIUS_ACCT_STATUS_INTERIM: a->ctr.interims++; break;
	case RADIUS_ACCT_STATUS_TUNNEL_REJECT: a->ctr.others++; a->ctr.tunnel_rejects++; break;
	case RADIUS_ACCT_STATUS_TUNNEL_LINK_REJECT: a->ctr.others++; a->ctr.tunnel_link_rejects++; break;
	default: a->ctr.others++; break;
	}
}

/* Creates a record from the spool form and appends it to the queue. */
static struct acct_record *record_new(struct radius_acct *a, const uint8_t *attrs, size_t len, bool count)
{
	struct acct_record *r = calloc(1, sizeof(*r) + len);
	if (!r)
		return NULL;
	r->acct = a;
	r->queued_ms = ev_now_ms(a->loop);
	r->status = radius_acct_attrs_status(attrs, len);
	r->attrs_len = len;
	memcpy(r->attrs, attrs, len);
	const uint8_t *sid;
	size_t sl;
	if (radius_acct_attrs_find(attrs, len, RADIUS_ATTR_ACCT_SESSION_ID, &sid, &sl))
		snprintf(r->session, sizeof(r->session), "%.*s", (int)(sl < 32 ? sl : 32), (const char *)sid);
	else
		snprintf(r->session, sizeof(r->session), "-");
	for (char *c = r->session; *c; c++)
		if (*c < 0x21 || *c > 0x7e || *c == '"')
			*c = '?';       /* our own ids are hex; keep the log line sound anyway */
	radius_xact_init(&r->x, a->t, &record_ops, NULL);
	if (a->n_records >= a->queue_max)
		queue_make_room(a);
	r->prev = a->tail;
	if (a->tail)
		a->tail->next = r;
	else
		a->head = r;
	a->tail = r;
	a->n_records++;
	if (r->status == RADIUS_ACCT_STATUS_INTERIM)
		a->n_interim++;
	if (count)
		count_status(a, r->status);
	return r;
}

static int acct_queue(struct radius_acct *a, const struct radius_acct_params *p, bool after_pending)
{
	uint8_t attrs[RADIUS_MAX_PACKET];
	struct radius_acct_params q = *p;
	if (!q.nas_identifier && a->nas_identifier[0])
		q.nas_identifier = a->nas_identifier;
	ssize_t n = radius_acct_attrs_encode(attrs, sizeof(attrs), &q);
	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	uint64_t seq = 0;
	if (a->spool) {
		seq = acct_spool_append(a->spool, p->status_type, acct_spool_wall_ms(), attrs, (size_t)n);
		if (seq)
			a->ctr.spooled++;
		else
			a->ctr.spool_not_written++;
	}
	struct acct_record *r = record_new(a, attrs, (size_t)n, true);
	if (!r) {
		errno = ENOMEM;
		return -1;      /* with a spool it is still on disk, for the next start */
	}
	r->spool_seq = seq;
	r->base_delay_s = p->delay_time;
	if (after_pending && a->head != r)
		r->held = true;
	else
		record_start(r);
	return 0;
}

int radius_acct_send(struct radius_acct *a, const struct radius_acct_params *p)
{
	return acct_queue(a, p, false);
}

int radius_acct_send_after_pending(struct radius_acct *a, const struct radius_acct_params *p)
{
	return acct_queue(a, p, true);
}

int radius_acct_tunnel_reject(struct radius_acct *a, bool link, const struct radius_acct_params *p)
{
	struct radius_acct_params q = *p;
	q.status_type = link ? RADIUS_ACCT_STATUS_TUNNEL_LINK_REJECT : RADIUS_ACCT_STATUS_TUNNEL_REJECT;
	q.has_counters = false;         /* nothing was carried */
	return acct_queue(a, &q, false);
}

/* ---- spool ---- */

static void spool_entry(void *arg, const struct acct_spool_entry *e)
{
	struct radius_acct *a = arg;
	uint64_t now = acct_spool_wall_ms();
	struct acct_record *r = record_new(a, e->body, e->body_len, true);
	if (!r) {
		log_error("radius-acct event=replay-oom seq=%llu note=kept-in-spool", (unsigned long long)e->seq);
		return;
	}
	r->spool_seq = e->seq;
	r->base_delay_s = now > e->wall_ms ? (uint32_t)((now - e->wall_ms) / 1000) : 0;
	a->ctr.spool_replayed++;
	if (e->lost_stop)
		a->ctr.spool_lost_stops++;
	log_info("radius-acct session=%s status=%s seq=%llu event=replayed%s", r->session, status_str(r->status),
		 (unsigned long long)e->seq, e->lost_stop ? " note=stop-of-a-lost-session" : "");
	record_start(r);
}

/* Taking spilled records back from the spool: every unanswered record not in
 * memory is queued again, oldest first, while the queue has room. */
struct reload_ctx {
	struct radius_acct *a;
	uint64_t *in_memory;            /* sorted spool seqs of the queue */
	size_t n_in_memory;
	struct acct_record *last;       /* the last record put back, at the front */
	bool left_out;
};

/* Moves r (just appended at the tail) to the front, after `after` (NULL: the
 * head): spilled records are older than everything still queued, and a
 * session's Start must not overtake its Stop. */
static void record_move_front(struct radius_acct *a, struct acct_record *r, struct acct_record *after)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		a->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		a->tail = r->prev;
	r->prev = after;
	r->next = after ? after->next : a->head;
	if (r->next)
		r->next->prev = r;
	else
		a->tail = r;
	if (after)
		after->next = r;
	else
		a->head = r;
}

static int cmp_seq(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static void reload_entry(void *arg, const struct acct_spool_entry *e)
{
	struct reload_ctx *c = arg;
	struct radius_acct *a = c->a;
	if (bsearch(&e->seq, c->in_memory, c->n_in_memory, sizeof(*c->in_memory), cmp_seq))
		return;
	if (a->n_records >= a->queue_max) {
		c->left_out = true;
		return;
	}
	struct acct_record *r = record_new(a, e->body, e->body_len, false);
	if (!r) {
		c->left_out = true;
		return;
	}
	uint64_t now = acct_spool_wall_ms();
	r->spool_seq = e->seq;
	r->base_delay_s = now > e->wall_ms ? (uint32_t)((now - e->wall_ms) / 1000) : 0;
	a->ctr.spill_reloaded++;
	record_move_front(a, r, c->last);
	c->last = r;
	record_start(r);
}

static void reload_fire(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct radius_acct *a = arg;
	struct reload_ctx c = { .a = a };
	if (!a->spool || !a->spilled_pending)
		return;
	c.in_memory = calloc(a->n_records + 1, sizeof(*c.in_memory));
	if (!c.in_memory)
		return;
	for (struct acct_record *r = a->head; r; r = r->next)
		if (r->spool_seq)
			c.in_memory[c.n_in_memory++] = r->spool_seq;
	qsort(c.in_memory, c.n_in_memory, sizeof(*c.in_memory), cmp_seq);
	if (acct_spool_pending(a->spool, reload_entry, &c) == 0)
		a->spilled_pending = c.left_out;
	log_info("radius-acct event=spilled-records-reloaded reloaded=%llu still_spilled=%s",
		 (unsigned long long)a->ctr.spill_reloaded, a->spilled_pending ? "yes" : "no");
	free(c.in_memory);
}

int radius_acct_spool_open(struct radius_acct *a, const struct acct_spool_config *cfg, uint32_t lost_cause,
			   struct acct_spool_load_stats *st, char *err, size_t errlen)
{
	if (a->spool) {
		snprintf(err, errlen, "accounting spool already open");
		return -1;
	}
	a->spool = acct_spool_open(a->loop, cfg, lost_cause, spool_entry, a, st, err, errlen);
	return a->spool ? 0 : -1;
}

/* ---- life cycle ---- */

struct radius_acct *radius_acct_create(struct ev_loop *loop, const struct radius_client_config *cfg,
				       size_t queue_max)
{
	static const struct radius_transport_policy policy = {
		.log_name = "radius-acct",
		.request_code = RADIUS_CODE_ACCOUNTING_REQUEST,
		.reencode = true,               /* RFC 2866 5.2 */
		.wait_for_id = true,
		/* FreeRADIUS 3.2.1 cannot sign Accounting-Responses; one that
		 * carries a Message-Authenticator must verify. */
		.require_reply_msg_auth = false,
	};
	if (queue_max == 0) {
		errno = EINVAL;
		return NULL;
	}
	struct radius_acct *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	struct radius_client_config tc = *cfg;
	tc.max_sockets = 1;
	a->t = radius_transport_create(loop, &tc, &policy);
	if (!a->t) {
		int e = errno;
		free(a);
		errno = e;
		return NULL;
	}
	a->loop = loop;
	a->queue_max = queue_max;
	snprintf(a->nas_identifier, sizeof(a->nas_identifier), "%s", cfg->nas_identifier);
	ev_timer_init(&a->idle_timer, idle_fire, a);
	ev_timer_init(&a->reload_timer, reload_fire, a);
	return a;
}

void radius_acct_destroy(struct radius_acct *a)
{
	if (!a)
		return;
	a->idle_fn = NULL;
	for (struct acct_record *r = a->head; r; r = r->next)
		r->held = false;        /* nothing is started while we tear down */
	while (a->head) {
		/* with a spool they stay on disk and go out after the next start */
		a->ctr.dropped_other++;
		record_free(a->head);
	}
	ev_timer_stop(a->loop, &a->idle_timer);
	ev_timer_stop(a->loop, &a->reload_timer);
	acct_spool_close(a->spool);
	radius_transport_destroy(a->t);
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
	struct radius_transport_counters t;
	radius_transport_counters_get(a->t, &t);
	*out = a->ctr;
	out->pending = a->n_records;
	out->retransmits = t.retransmits;
	out->failovers = t.failovers;
	out->replies_invalid = t.replies_malformed + t.replies_bad_authenticator +
			       t.replies_no_message_authenticator + t.replies_bad_message_authenticator;
	out->replies_unexpected = t.replies_unexpected;
	out->rcvbuf = t.rcvbuf;
	out->rx_socket_drops = t.rx_socket_drops;
	if (a->spool) {
		struct acct_spool_counters s;
		acct_spool_counters_get(a->spool, &s);
		out->spool_bytes = s.bytes;
		out->spool_syncs = s.syncs;
		out->spool_compactions = s.compactions;
		out->spool_errors = s.errors;
		out->spool_sync_us_max = s.sync_us_max;
	}
}
