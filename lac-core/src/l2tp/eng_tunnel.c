/* A tunnel of the engine (struct eng_tunnel): created for a call's
 * candidate, its timer, what its protocol FSM (tunnel.c) reports (up, down,
 * session messages, acknowledgements) and its end. Which tunnel a call joins
 * is tunnel_pool.c's; the calls themselves are eng_session.c's. */
#include "l2tp/l2tp.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ev/ev.h"
#include "l2tp/l2tp_io.h"
#include "l2tp/msg.h"
#include "l2tp/session.h"
#include "l2tp/tunnel.h"
#include "l2tp/engine_int.h"
#include "util/escape.h"
#include "util/log.h"
#include "util/random.h"

static const struct l2tp_tunnel_ops tunnel_ops;

static int eng_random(void *arg, void *buf, size_t len)
{
	return random_bytes(buf, len);
}

static void tun_timer_cb(struct ev_loop *loop, struct ev_timer *timer, void *arg);

void tun_arm(struct eng_tunnel *tun)
{
	struct l2tp_engine *e = tun->e;
	uint64_t d = l2tp_tunnel_deadline(&tun->t);
	uint64_t now = ev_now_ms(e->loop);

	if (tun->t.state == L2TP_TUNNEL_ESTABLISHED && tun->n_sessions == 0) {
		/* Linger a little so the next session finds the tunnel up. */
		uint64_t idle = tun->idle_since_ms + (uint64_t)e->cfg.tunnel_linger_s * 1000;

		if (!d || idle < d)
			d = idle;
	}
	if (tun->t.state == L2TP_TUNNEL_CLOSED && d < now)
		d = now;
	/* Shutdown is done once every tunnel has let go (acked or given up). */
	if (e->shutting_down && e->done_cb && !ev_timer_armed(&e->done_timer)) {
		const struct eng_tunnel *t;

		for (t = e->tunnel_list; t; t = t->next)
			if (t->t.state != L2TP_TUNNEL_CLOSED)
				break;
		if (!t)
			ev_timer_start(e->loop, &e->done_timer, 0);
	}
	if (d)
		ev_timer_start_at(e->loop, &tun->timer, d);
	else
		ev_timer_stop(e->loop, &tun->timer);
}

static bool tid_taken(const void *ctx, uint16_t tid)
{
	const struct l2tp_engine *e = ctx;

	return e->tunnels[tid] != NULL;
}

struct eng_tunnel *tun_create(struct l2tp_engine *e, const struct l2tp_candidate *c)
{
	struct l2tp_tunnel_cfg tc;
	struct eng_tunnel *tun;
	struct l2tp_io_sock *sock = NULL;
	uint16_t tid;
	size_t i;
	char buf[80];

	for (i = 0; i < e->n_socks; i++)
		if (e->socks[i].family == c->addr.ss_family) {
			sock = &e->socks[i];
			break;
		}
	if (!sock)
		return NULL;
	tid = eng_alloc_id(tid_taken, e);
	if (!tid)
		return NULL;
	tun = calloc(1, sizeof(*tun));
	if (!tun)
		return NULL;
	tun->e = e;
	tun->sock = sock;
	memcpy(&tun->peer, &c->addr, c->addr_len);
	tun->peer_len = c->addr_len;
	if (sa_port(&tun->peer) == 0)
		sa_set_port(&tun->peer, L2TP_PORT);
	tun->target = tun->peer;
	tun->target_len = tun->peer_len;
	snprintf(tun->assignment_id, sizeof(tun->assignment_id), "%s", c->assignment_id);
	memset(&tc, 0, sizeof(tc));
	snprintf(tc.host_name, sizeof(tc.host_name), "%s",
		 c->client_auth_id[0] ? c->client_auth_id : e->cfg.host_name);
	snprintf(tc.vendor_name, sizeof(tc.vendor_name), "%s", e->cfg.vendor_name);
	tc.secret_len = strnlen(c->secret, sizeof(c->secret));
	memcpy(tc.secret, c->secret, tc.secret_len);
	snprintf(tc.server_auth_id, sizeof(tc.server_auth_id), "%s", c->server_auth_id);
	tc.hide_avps = e->cfg.hide_avps;
	tc.hello_interval_ms = e->cfg.hello_interval_s * 1000;
	tc.setup_timeout_ms = e->cfg.tunnel_setup_timeout_s * 1000;
	tc.rel.rto_initial_ms = e->cfg.retransmit_initial_ms;
	tc.rel.rto_max_ms = e->cfg.retransmit_max_ms;
	tc.rel.max_retransmits = e->cfg.max_retransmits;
	tc.rel.rx_window = e->cfg.rx_window;
	l2tp_tunnel_init(&tun->t, tid, &tc, &tunnel_ops, tun);
	ev_timer_init(&tun->timer, tun_timer_cb, tun);
	e->tunnels[tid] = tun;
	tun->next = e->tunnel_list;
	if (e->tunnel_list)
		e->tunnel_list->prev = tun;
	e->tunnel_list = tun;
	e->stats.tunnels_opened++;
	log_info("tid=%u peer=%s event=tunnel_open host_name=%s assignment_id=\"%s\"", tid,
		 l2tp_sockaddr_str((struct sockaddr *)&tun->peer, buf, sizeof(buf)), tc.host_name,
		 tun->assignment_id);
	if (tun_endpoint_opening(tun)) {
		tun->open_deferred = true;
		log_info("tid=%u event=tunnel_open_deferred why=\"another tunnel to this LNS is opening\"",
			 tid);
		return tun;
	}
	l2tp_tunnel_event(&tun->t, L2TP_TEV_OPEN, NULL, ev_now_ms(e->loop));
	tun_arm(tun);
	return tun;
}

static void tun_free(struct eng_tunnel *tun)
{
	struct l2tp_engine *e = tun->e;

	ev_timer_stop(e->loop, &tun->timer);
	e->tunnels[tun->t.local_tid] = NULL;
	if (tun->prev)
		tun->prev->next = tun->next;
	else
		e->tunnel_list = tun->next;
	if (tun->next)
		tun->next->prev = tun->prev;
	e->closed_retransmits += tun->t.rel.stats.retransmits;
	e->closed_rel.duplicates += tun->t.rel.stats.duplicates;
	e->closed_rel.out_of_window += tun->t.rel.stats.out_of_window;
	e->closed_rel.bad_nr += tun->t.rel.stats.bad_nr;
	log_info("tid=%u event=tunnel_freed", tun->t.local_tid);
	l2tp_tunnel_release(&tun->t);
	free(tun);
	if (e->shutting_down && !e->tunnel_list && e->done_cb)
		ev_timer_start(e->loop, &e->done_timer, 0);
}

static bool cdn_is_failover(const struct l2tp_engine *e, const struct l2tp_msg *m)
{
	size_t i;
	bool result_ok = false;

	for (i = 0; i < e->cfg.n_failover_cdn_results; i++)
		if (e->cfg.failover_cdn_results[i] == m->result)
			result_ok = true;
	if (!result_ok)
		return false;
	if (m->result != L2TP_CDN_GENERAL)
		return true;
	for (i = 0; i < e->cfg.n_failover_cdn_errors; i++)
		if (m->has_error && e->cfg.failover_cdn_errors[i] == m->error)
			return true;
	return false;
}

/* Session IDs on a tunnel, copied: callbacks may change the list. Returns a
 * malloc'd array (caller frees) or NULL when empty. */
static uint16_t *tun_session_ids(struct eng_tunnel *tun, unsigned *n)
{
	struct l2tp_session *s;
	uint16_t *ids;
	unsigned i = 0;

	*n = 0;
	if (!tun->n_sessions)
		return NULL;
	ids = malloc(sizeof(*ids) * tun->n_sessions);
	if (!ids)
		return NULL;
	for (s = tun->sessions; s && i < tun->n_sessions; s = s->tnext)
		ids[i++] = s->fsm.local_sid;
	*n = i;
	return ids;
}

void tun_refuse_new(struct eng_tunnel *tun, uint64_t now)
{
	tun->no_new = true;
	dead_add(tun->e, &tun->target, tun->target_len, now);
}

/* An ICMP unreachable quoting an unacknowledged control message of this
 * established tunnel: the LNS's daemon is gone while its host lives (port
 * unreachable), or its host or network is (host/net unreachable). ICMP is
 * not authenticated, so the tunnel is not taken down on it: its reliable
 * delivery still decides, and the calls that are up on it stay (an ICMP
 * during a route flap must not cut a subscriber). But a call still in setup
 * here (ICRQ or ICCN unanswered) moves to its next candidate now rather than
 * waiting out session_setup_timeout_s, the tunnel takes no new call, and the
 * endpoint goes into the dead-cache, so the calls of the next seconds go
 * straight elsewhere. A forger must know the tunnel's random peer ID and an
 * Ns in flight; what it gains is moving calls in setup to another LNS. */
unsigned tun_unreachable(struct eng_tunnel *tun, const char *why, uint64_t now)
{
	struct l2tp_engine *e = tun->e;
	uint16_t *ids;
	unsigned n, i, moved = 0;

	tun_refuse_new(tun, now);
	ids = tun_session_ids(tun, &n);
	for (i = 0; i < n; i++) {
		struct l2tp_session *s = sess_by_id(e, tun->t.local_tid, ids[i]);

		if (!s || s->tun != tun || s->zombie ||
		    (s->fsm.state != L2TP_SESSION_WAIT_REPLY && s->fsm.state != L2TP_SESSION_WAIT_ACK))
			continue;
		moved++;
		sess_fail_over(s, why, now);
	}
	free(ids);
	return moved;
}

static void tun_on_tx(void *arg, struct l2tp_tunnel *t, const uint8_t *buf, size_t len)
{
	struct eng_tunnel *tun = arg;

	eng_send(tun->e, tun->sock, buf, len, (struct sockaddr *)&tun->peer, tun->peer_len);
}

static void tun_on_up(void *arg, struct l2tp_tunnel *t)
{
	struct eng_tunnel *tun = arg;
	struct l2tp_engine *e = tun->e;
	uint64_t now = ev_now_ms(e->loop);
	uint16_t *ids;
	unsigned n, i;

	tun->idle_since_ms = now;
	ids = tun_session_ids(tun, &n);
	for (i = 0; i < n; i++) {
		struct l2tp_session *s = sess_by_id(e, tun->t.local_tid, ids[i]);

		if (!s || s->tun != tun)
			continue;
		sess_tunnel_up(s, now);
	}
	free(ids);
}

/* RFC 2867 4.1/4.2, once per tunnel: a tunnel that never came up is a
 * Tunnel-Reject, reported by the session that opened it (or, if that one
 * has gone, by any left on it); an established one that goes down under
 * calls still in setup is one Tunnel-Link-Reject, by the first of them. No
 * session left to name a user: nothing to report. */
static void tun_report_reject(struct eng_tunnel *tun, bool setup, uint16_t result, uint16_t error,
			      const char *why)
{
	struct l2tp_session *s, *by = NULL;

	for (s = tun->sessions; s; s = s->tnext) {
		if (s->zombie)
			continue;
		if (setup && s->fsm.local_sid == tun->opener_sid) {
			by = s;
			break;
		}
		if (setup ? !by : (!by && s->fsm.state != L2TP_SESSION_ESTABLISHED))
			by = s;
	}
	if (!by) {
		log_info("tid=%u event=%s_unreported why=\"no call waiting on it\"", tun->t.local_tid,
			 setup ? "tunnel_reject" : "link_reject");
		return;
	}
	sess_report_reject(by, !setup, result, error, why);
	if (by->zombie && !by->busy)
		sess_free(by);  /* closed from the callback: already detached */
}

static void tun_on_down(void *arg, struct l2tp_tunnel *t, bool setup, uint16_t result,
			uint16_t error, const char *why)
{
	struct eng_tunnel *tun = arg;
	struct l2tp_engine *e = tun->e;
	uint64_t now = ev_now_ms(e->loop);
	struct l2tp_session *s;
	struct l2tp_session_evarg a;

	tun->going_down = true;
	if (setup)
		e->stats.tunnels_failed++;
	if (setup && result == 0 && t->setup_deadline_ms && now >= t->setup_deadline_ms)
		e->stats.setup_timeouts++;
	/* No answer at all (setup never answered, or an established tunnel whose
	 * peer stopped acknowledging): hold the endpoint down so the next caller
	 * does not wait out a retransmit cycle on it again. */
	if (result == 0)
		dead_add(e, &tun->target, tun->target_len, now);
	if (!t->failed_here && !e->shutting_down)
		tun_report_reject(tun, setup, result, error, why);
	memset(&a, 0, sizeof(a));
	a.result = result;
	a.error = error;
	a.msg = why;
	a.tunnel_setup = setup;
	while ((s = tun->sessions) != NULL) {
		sess_detach(s);
		s->try_next = setup ? (result == 0 || e->cfg.failover_on_stopccn)
				    : e->cfg.failover_on_stopccn;
		l2tp_session_fsm_event(&s->fsm, L2TP_SEV_TUNNEL_DOWN, &a, now);
		sess_after(s);
	}
	/* The next tunnel to this LNS may open now, unless the LNS is silent. */
	tun->open_deferred = false;
	if (!e->shutting_down)
		tun_kick(e, tun, setup && result == 0);
	ev_timer_start(e->loop, &tun->timer, 0);
}

/* A session message for a session we do not have on this tunnel. The LAC
 * takes no calls from the LNS (ICRQ, OCRQ): those get CDN. An ICRP answers an
 * ICRQ we gave up on (its setup deadline passed and the call failed over, our
 * CDN went out without the LNS's session ID, which an LNS may not match):
 * the LNS holds that session now, so it gets a CDN on its own session ID, or
 * it would keep it (an address and a session count) until the tunnel goes.
 * Anything else is counted and ignored. */
static void tun_stray_session_msg(struct eng_tunnel *tun, uint16_t sid, const struct l2tp_msg *m,
				  uint64_t now)
{
	struct l2tp_msg r;
	const char *why;

	tun->e->stats.rx_unknown_session++;
	memset(&r, 0, sizeof(r));
	r.type = L2TP_MSG_CDN;
	r.present = L2TP_AVP_BIT(L2TP_AVP_RESULT_CODE) | L2TP_AVP_BIT(L2TP_AVP_ASSIGNED_SID);
	switch (m->type) {
	case L2TP_MSG_ICRQ:
	case L2TP_MSG_OCRQ:
		r.result = m->type == L2TP_MSG_OCRQ ? L2TP_CDN_PERM_RESOURCES : L2TP_CDN_GENERAL;
		r.error = L2TP_ERR_VENDOR;
		r.has_error = true;
		why = m->type == L2TP_MSG_OCRQ ? "outgoing calls not supported by this LAC"
					       : "incoming calls from the LNS not supported";
		r.assigned_sid = 0;
		break;
	case L2TP_MSG_ICRP:
		if (!m->assigned_sid)
			goto ignore;
		r.result = L2TP_CDN_TIMEOUT;
		why = "answer came after the LAC's setup timeout";
		r.assigned_sid = sid;
		break;
	default:
		goto ignore;
	}
	l2tp_msg_set_str(&r, L2TP_AVP_RESULT_CODE, &r.result_msg, why);
	log_peer("tid=%u event=call_refused msg=%s sid=%u peer_sid=%u", tun->t.local_tid,
		 l2tp_msg_type_str(m->type), sid, m->assigned_sid);
	l2tp_tunnel_send(&tun->t, m->assigned_sid, &r, now);
	tun_arm(tun);
	return;
ignore:
	log_peer("tid=%u event=rx_unknown_session msg=%s", tun->t.local_tid, l2tp_msg_type_str(m->type));
}

static void tun_on_session_msg(void *arg, struct l2tp_tunnel *t, uint16_t sid,
			       const struct l2tp_msg *m, const struct l2tp_dec_err *err,
			       uint64_t now)
{
	struct eng_tunnel *tun = arg;
	struct l2tp_engine *e = tun->e;
	struct l2tp_session *s = sess_by_id(e, tun->t.local_tid, sid);
	struct l2tp_session_evarg a;
	enum l2tp_session_event ev;

	if (!s || s->tun != tun) {
		tun_stray_session_msg(tun, sid, m, now);
		return;
	}
	memset(&a, 0, sizeof(a));
	a.m = m;
	a.err = err;
	ev = err ? L2TP_SEV_RX_BAD : l2tp_session_event_for(m->type);
	if (ev == L2TP_SEV_RX_CDN)
		s->try_next = cdn_is_failover(e, m);
	else
		s->try_next = false;
	l2tp_session_fsm_event(&s->fsm, ev, &a, now);
	sess_after(s);
}

static void tun_on_acked(void *arg, struct l2tp_tunnel *t, uint16_t una, uint64_t now)
{
	struct eng_tunnel *tun = arg;
	struct l2tp_engine *e = tun->e;
	struct l2tp_session *s;

	if (!tun->open_done && tun->t.state == L2TP_TUNNEL_ESTABLISHED && una >= 2) {
		/* SCCRQ (Ns 0) and SCCCN (Ns 1) acknowledged: the LNS has the tunnel
		 * open, the next tunnel to it may start. */
		tun->open_done = true;
		tun_kick(e, tun, false);
	}
	/* Callbacks run from sess_after may close or move any session, this one
	 * included; each round takes the queue's head afresh. */
	while ((s = tun->ackq_head) != NULL && l2tp_seq_lt(s->ack_ns, una)) {
		sess_ackq_remove(s);
		if (s->ack_type == L2TP_MSG_ICRQ) {
			/* The LNS has the ICRQ (progress): from now on it owes us an
			 * answer within a fresh session_setup_timeout_s. */
			if (s->fsm.state == L2TP_SESSION_WAIT_REPLY)
				ev_timer_start(e->loop, &s->setup_timer,
					       (uint64_t)e->cfg.session_setup_timeout_s * 1000);
			continue;
		}
		if (s->fsm.state != L2TP_SESSION_WAIT_ACK)
			continue;
		l2tp_session_fsm_event(&s->fsm, L2TP_SEV_ICCN_ACKED, NULL, now);
		sess_after(s);
	}
}

static const struct l2tp_tunnel_ops tunnel_ops = {
	.tx = tun_on_tx,
	.random = eng_random,
	.up = tun_on_up,
	.down = tun_on_down,
	.session_msg = tun_on_session_msg,
	.acked = tun_on_acked,
};

static void tun_timer_cb(struct ev_loop *loop, struct ev_timer *timer, void *arg)
{
	struct eng_tunnel *tun = arg;
	uint64_t now = ev_now_ms(loop);

	uint64_t until = 0;

	if (tun->t.state == L2TP_TUNNEL_WAIT_CTL_REPLY && tun->t.setup_deadline_ms &&
	    now >= tun->t.setup_deadline_ms && tun->t.rel.una == 0)
		until = tun_endpoint_wait_until(tun, now, tun->e->cfg.tunnel_setup_timeout_s);
	if (until > now) {
		/* Our SCCRQ not acknowledged yet, but the LNS answers on its other
		 * tunnels: the SCCRQ or its answer was lost, a retransmission is
		 * due, the LNS is not dead (see sess_setup_timeout_cb). An SCCRQ
		 * acknowledged and never answered keeps its deadline: that is the
		 * LNS ignoring this tunnel. */
		tun->t.setup_deadline_ms = until;
		tun->e->stats.setup_waits++;
		log_debug("tid=%u event=tunnel_setup_wait why=\"SCCRQ not acknowledged yet, the LNS answers on other tunnels\"",
			  tun->t.local_tid);
	}
	l2tp_tunnel_timer(&tun->t, now);
	if (l2tp_tunnel_done(&tun->t, now) && tun->n_sessions == 0) {
		tun_free(tun);
		return;
	}
	if (tun->t.state == L2TP_TUNNEL_ESTABLISHED && tun->n_sessions == 0 &&
	    now >= tun->idle_since_ms + (uint64_t)tun->e->cfg.tunnel_linger_s * 1000) {
		struct l2tp_tunnel_evarg a = { .result = L2TP_STOPCCN_CLEAR, .why = "no sessions left" };

		l2tp_tunnel_event(&tun->t, L2TP_TEV_CLOSE, &a, now);
	}
	tun_arm(tun);
}
