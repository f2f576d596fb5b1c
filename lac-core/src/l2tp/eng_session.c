/* A call of the engine (struct l2tp_session): its session on a tunnel to
 * the current candidate, the session FSM (session.c) driven by the tunnel's
 * events, failover to the next candidate, the setup deadlines that tell a
 * slow LNS from a dead one, and the public session calls of l2tp.h. */
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

static const struct l2tp_session_fsm_ops session_fsm_ops;

static void sess_attach(struct l2tp_session *s, struct eng_tunnel *tun)
{
	s->tun = tun;
	s->answer_probe_until = 0;
	s->tprev = NULL;
	s->tnext = tun->sessions;
	if (tun->sessions)
		tun->sessions->tprev = s;
	tun->sessions = s;
	tun->n_sessions++;
	tun->n_setup++;
	s->in_setup = true;
	s->fsm.local_tid = tun->t.local_tid;
}

void sess_ackq_remove(struct l2tp_session *s)
{
	struct eng_tunnel *tun = s->tun;

	if (!s->in_ackq)
		return;
	if (s->aprev)
		s->aprev->anext = s->anext;
	else
		tun->ackq_head = s->anext;
	if (s->anext)
		s->anext->aprev = s->aprev;
	else
		tun->ackq_tail = s->aprev;
	s->anext = s->aprev = NULL;
	s->in_ackq = false;
}

/* Appends s (waiting for the ack of Ns `ns`); Ns only grows on a tunnel, so
 * the queue stays in Ns order. */
static void ackq_push(struct l2tp_session *s, uint16_t ns, uint16_t type)
{
	struct eng_tunnel *tun = s->tun;

	sess_ackq_remove(s);
	s->ack_ns = ns;
	s->ack_type = type;
	s->in_ackq = true;
	s->anext = NULL;
	s->aprev = tun->ackq_tail;
	if (tun->ackq_tail)
		tun->ackq_tail->anext = s;
	else
		tun->ackq_head = s;
	tun->ackq_tail = s;
}

void sess_detach(struct l2tp_session *s)
{
	struct eng_tunnel *tun = s->tun;

	if (!tun)
		return;
	sess_ackq_remove(s);
	ev_timer_stop(tun->e->loop, &s->setup_timer);
	if (s->in_setup) {
		tun->n_setup--;
		s->in_setup = false;
	}
	if (s->tprev)
		s->tprev->tnext = s->tnext;
	else
		tun->sessions = s->tnext;
	if (s->tnext)
		s->tnext->tprev = s->tprev;
	s->tnext = s->tprev = NULL;
	if (tun->opener_sid == s->fsm.local_sid)
		tun->opener_sid = 0;    /* its ID may go to another session now */
	sess_id_release(s);
	tun->n_sessions--;
	if (tun->n_sessions == 0)
		tun->idle_since_ms = ev_now_ms(tun->e->loop);
	s->tun = NULL;
	tun_arm(tun);
}

void sess_free(struct l2tp_session *s)
{
	struct l2tp_engine *e = s->e;

	sess_detach(s);         /* gives its session ID back too */
	ev_timer_stop(e->loop, &s->start_timer);
	ev_timer_stop(e->loop, &s->setup_timer);
	if (s->eprev)
		s->eprev->enext = s->enext;
	else
		e->all_sessions = s->enext;
	if (s->enext)
		s->enext->eprev = s->eprev;
	free(s->setup);
	free(s);
}

static uint64_t sess_hide_mask(const struct l2tp_engine *e)
{
	if (!e->cfg.hide_avps)
		return 0;
	return L2TP_AVP_BIT(L2TP_AVP_CALLING_NUMBER) | L2TP_AVP_BIT(L2TP_AVP_CALLED_NUMBER) |
	       L2TP_AVP_BIT(L2TP_AVP_SUB_ADDRESS) | L2TP_AVP_BIT(L2TP_AVP_PROXY_AUTH_NAME) |
	       L2TP_AVP_BIT(L2TP_AVP_PROXY_AUTH_CHAL) | L2TP_AVP_BIT(L2TP_AVP_PROXY_AUTH_ID) |
	       L2TP_AVP_BIT(L2TP_AVP_PROXY_AUTH_RESP);
}

/* A burst of calls on one tunnel (every subscriber dialling at once when the
 * tunnel comes up) would fill its control queue (L2TP_REL_TXQ) with ICRQs, and
 * the calls beyond it would fail with "cannot send ICRQ". A session starts its
 * ICRQ only while the queue is at most half full, keeping room for ICCNs, CDNs
 * and Hellos; the others wait attached to the tunnel and retry every
 * SESS_PACE_MS. The tunnel's own retransmission limit bounds the wait. */
#define SESS_PACE_MS 50

static bool tun_has_room(const struct eng_tunnel *tun)
{
	return tun->t.rel.tx_count < L2TP_REL_TXQ / 2;
}

static void sess_pace_cb(struct ev_loop *loop, struct ev_timer *timer, void *arg);

/* Sends the session's ICRQ on its established tunnel now, or schedules a retry
 * when the tunnel's queue has no room. */
void sess_tunnel_up(struct l2tp_session *s, uint64_t now)
{
	if (!tun_has_room(s->tun)) {
		if (!ev_timer_armed(&s->start_timer)) {
			ev_timer_init(&s->start_timer, sess_pace_cb, s);
			ev_timer_start(s->e->loop, &s->start_timer, SESS_PACE_MS);
		}
		return;
	}
	l2tp_session_fsm_event(&s->fsm, L2TP_SEV_TUNNEL_UP, NULL, now);
	tun_arm(s->tun);
	sess_after(s);
}

static void sess_pace_cb(struct ev_loop *loop, struct ev_timer *timer, void *arg)
{
	struct l2tp_session *s = arg;

	if (s->zombie || !s->tun || s->fsm.state != L2TP_SESSION_WAIT_TUNNEL ||
	    s->tun->t.state != L2TP_TUNNEL_ESTABLISHED)
		return;
	sess_tunnel_up(s, ev_now_ms(loop));
}

/* Puts the session on a tunnel to its current candidate and starts the FSM.
 * Returns -1 when no tunnel could be made (the FSM is then CLOSED). */
static void sess_start(struct l2tp_session *s)
{
	struct l2tp_engine *e = s->e;
	const struct l2tp_candidate *c = &s->setup->cands[s->order[s->pos]];
	uint64_t now = ev_now_ms(e->loop);
	struct eng_tunnel *tun;
	struct l2tp_session_evarg a;
	bool opened = false;
	uint16_t sid = 0;

	tun = tun_find(e, c);
	if (!tun) {
		tun = tun_create(e, c);
		opened = tun != NULL;
	}
	/* The session's ID on this tunnel (a tunnel from tun_find has room:
	 * at most 65,535 sessions, one per ID). */
	if (tun)
		sid = sess_id_assign(s, tun->t.local_tid);
	if (!sid)
		tun = NULL;     /* a new tunnel left without sessions lingers and closes */
	else if (opened)
		tun->opener_sid = sid;
	l2tp_session_fsm_init(&s->fsm, sid, s->fsm.call_serial, &s->setup->call,
			      sess_hide_mask(e), &session_fsm_ops, s);
	s->fsm.sequencing_required = e->cfg.data_sequencing;
	s->seq = e->cfg.data_sequencing;
	s->data_ns = s->data_nr = 0;
	l2tp_session_fsm_event(&s->fsm, L2TP_SEV_OPEN, NULL, now);
	if (!tun) {
		memset(&a, 0, sizeof(a));
		a.result = L2TP_CDN_TEMP_RESOURCES;
		a.msg = "cannot open a tunnel to this candidate";
		s->try_next = true;
		l2tp_session_fsm_event(&s->fsm, L2TP_SEV_TUNNEL_DOWN, &a, now);
		sess_after(s);
		return;
	}
	sess_attach(s, tun);
	log_debug("tid=%u sid=%u event=session_attach candidate=%u serial=%u", tun->t.local_tid,
		 s->fsm.local_sid, s->order[s->pos], s->fsm.call_serial);
	if (tun->t.state == L2TP_TUNNEL_ESTABLISHED) {
		sess_tunnel_up(s, now);
		return;
	}
	sess_after(s);
}

/* (subscriber helper, issue 8 item 7) The session's ids as the engine knows
 * them now, for a caller whose LNS sent data before our ICCN was acked. */
int l2tp_session_get_status(const struct l2tp_session *s, struct l2tp_session_status *st)
{
	if (!s || !s->tun || s->zombie)
		return -1;
	memset(st, 0, sizeof(*st));
	st->local_tid = s->tun->t.local_tid;
	st->peer_tid = s->tun->t.peer_tid;
	st->local_sid = s->fsm.local_sid;
	st->peer_sid = s->fsm.peer_sid;
	st->call_serial = s->fsm.call_serial;
	st->candidate_idx = s->order[s->pos];
	st->peer = (const struct sockaddr *)&s->tun->peer;
	st->peer_len = s->tun->peer_len;
	st->peer_host_name = s->tun->t.peer_host_name;
	st->sequencing = s->seq;
	return 0;
}

/* Tells s's owner that its current candidate refused the tunnel or the call
 * (l2tp.h, struct l2tp_setup_reject), counted. The owner may close s from
 * the callback: the caller checks s->zombie afterwards. */
void sess_report_reject(struct l2tp_session *s, bool link, uint16_t result, uint16_t error,
			       const char *why)
{
	struct l2tp_engine *e = s->e;
	struct l2tp_setup_reject r;
	char esc[ESCAPE_FIELD_MAX];

	memset(&r, 0, sizeof(r));
	r.link = link;
	r.candidate_idx = s->order[s->pos];
	r.call_serial = s->fsm.call_serial;
	r.result = result;
	r.error = error;
	r.why = why ? why : "";
	r.peer_host_name = s->tun ? s->tun->t.peer_host_name : "";
	if (link)
		e->stats.link_rejects++;
	else
		e->stats.setup_rejects++;
	log_info("tid=%u sid=%u event=%s candidate=%u serial=%u result=%u error=%u why=\"%s\"",
		 s->tun ? s->tun->t.local_tid : 0, s->fsm.local_sid, link ? "link_reject" : "tunnel_reject",
		 r.candidate_idx, r.call_serial, result, error, escape_str(esc, sizeof(esc), r.why));
	s->busy++;
	if (s->ev.setup_reject)
		s->ev.setup_reject(s->owner, &r);
	s->busy--;
}

/* Reports what the last FSM event produced: up, failover, or down. Frees the
 * session when it is finished. */
void sess_after(struct l2tp_session *s)
{
	struct l2tp_engine *e = s->e;

	if (s->fsm.up_pending && !s->zombie) {
		struct l2tp_session_status st;

		s->fsm.up_pending = false;
		e->stats.sessions_up++;
		free(s->setup);         /* no other LNS will be asked now */
		s->setup = NULL;
		s->fsm.call = NULL;
		if (s->in_setup) {
			s->tun->n_setup--;
			s->in_setup = false;
		}
		memset(&st, 0, sizeof(st));
		st.local_tid = s->tun->t.local_tid;
		st.peer_tid = s->tun->t.peer_tid;
		st.local_sid = s->fsm.local_sid;
		st.peer_sid = s->fsm.peer_sid;
		st.call_serial = s->fsm.call_serial;
		st.candidate_idx = s->order[s->pos];
		st.peer = (const struct sockaddr *)&s->tun->peer;
		st.peer_len = s->tun->peer_len;
		st.peer_host_name = s->tun->t.peer_host_name;
		st.sequencing = s->seq;
		s->busy++;
		if (s->ev.up)
			s->ev.up(s->owner, &st);
		s->busy--;
	}
	if (s->zombie) {
		if (!s->busy)
			sess_free(s);
		return;
	}
	if (s->fsm.state != L2TP_SESSION_CLOSED)
		return;
	/* The LNS refused the call on an established tunnel (failures the
	 * tunnel caused are reported once for it, by tun_on_down). */
	if (s->fsm.lns_refused && s->fsm.why.setup_failed && !s->fsm.why.local && !s->fsm.why.tunnel &&
	    !e->shutting_down) {
		s->fsm.lns_refused = false;
		sess_report_reject(s, true, s->fsm.why.result, s->fsm.why.error, s->fsm.why.message);
		if (s->zombie) {        /* the owner closed it (no CDN: the FSM is CLOSED) */
			if (!s->busy)
				sess_free(s);
			return;
		}
	}
	sess_detach(s);
	if (!s->fsm.why.local && s->fsm.why.setup_failed && s->try_next && !e->shutting_down &&
	    s->pos + 1 < s->n_cands) {
		unsigned from = s->order[s->pos], to = s->order[s->pos + 1];

		e->stats.failovers++;
		char esc[ESCAPE_FIELD_MAX];

		log_info("sid=%u serial=%u event=failover from=%u to=%u why=\"%s\"", s->fsm.local_sid,
			 s->fsm.call_serial, from, to,
			 escape_str(esc, sizeof(esc), s->fsm.why.message));
		s->pos++;
		s->try_next = false;
		s->busy++;
		if (s->ev.failover)
			s->ev.failover(s->owner, from, to, s->fsm.why.message);
		s->busy--;
		if (s->zombie) {
			sess_free(s);
			return;
		}
		sess_start(s);
		return;
	}
	if (!s->fsm.why.local) {
		struct l2tp_disconnect why = s->fsm.why;

		if (why.setup_failed)
			e->stats.sessions_failed++;
		s->busy++;
		if (s->ev.down)
			s->ev.down(s->owner, &why);
		s->busy--;
	}
	sess_free(s);
}

static void sess_start_cb(struct ev_loop *loop, struct ev_timer *timer, void *arg)
{
	sess_start(arg);
}

/* The call made no progress for session_setup_timeout_s: the ICRQ went out
 * and was never acknowledged (an established tunnel whose LNS died: waiting
 * for the tunnel's own retransmit cycle, over a minute with max_retransmits
 * 10, would outlast the subscriber's patience), or it was acknowledged and
 * never answered. The call fails over, the endpoint goes into the dead-cache
 * (tried last) and the tunnel takes no new calls (it closes once empty).
 *
 * An ICRQ not yet acknowledged while the LNS answers on its tunnels is only
 * late: queued behind the LNS's receive window (l2tpns advertises 4, so a
 * burst of calls on one tunnel queues) or retransmitted through loss. Its
 * deadline moves to session_setup_timeout_s after the LNS was last heard, so
 * a slow LNS is never put in the dead-cache (issue 12) and a dead one still
 * is, that long after it fell silent. An acknowledged one: see
 * sess_answer_wait_until. */
static uint64_t sess_answer_wait_until(struct l2tp_session *s, uint64_t now, unsigned within_s);

static void sess_setup_timeout_cb(struct ev_loop *loop, struct ev_timer *timer, void *arg)
{
	struct l2tp_session *s = arg;
	struct eng_tunnel *tun = s->tun;
	uint64_t now = ev_now_ms(loop);
	unsigned timeout_s = s->e->cfg.session_setup_timeout_s;
	bool acked;
	uint64_t until;

	if (s->zombie || !tun || s->fsm.state != L2TP_SESSION_WAIT_REPLY)
		return;
	acked = !(s->in_ackq && s->ack_type == L2TP_MSG_ICRQ);
	until = acked ? sess_answer_wait_until(s, now, timeout_s)
		      : tun_endpoint_wait_until(tun, now, timeout_s);
	if (until > now) {
		s->e->stats.setup_waits++;
		log_debug("tid=%u sid=%u event=session_setup_wait why=\"%s\" wait_ms=%" PRIu64,
			  tun->t.local_tid, s->fsm.local_sid,
			  acked ? "ICRP not received yet, the LNS sent messages we lack or is asked"
				: "ICRQ not acknowledged yet, the LNS answers",
			  until - now);
		ev_timer_start(loop, &s->setup_timer, until - now);
		return;
	}
	log_info("tid=%u sid=%u event=session_setup_timeout timeout_s=%u", tun->t.local_tid,
		 s->fsm.local_sid, s->e->cfg.session_setup_timeout_s);
	s->e->stats.setup_timeouts++;
	tun_refuse_new(tun, now);
	sess_fail_over(s, NULL, now);
}

void sess_fail_over(struct l2tp_session *s, const char *why, uint64_t now)
{
	struct l2tp_session_evarg a;

	memset(&a, 0, sizeof(a));
	a.msg = why;
	ev_timer_stop(s->e->loop, &s->setup_timer);
	s->try_next = true;
	l2tp_session_fsm_event(&s->fsm, L2TP_SEV_SETUP_TIMEOUT, &a, now);
	sess_after(s);
}

/* Our ICRQ was acknowledged, its ICRP has not come within the deadline. Until
 * when it is still waited for (0: not at all, the LNS is broken for this call).
 *
 * When the LNS has sent messages on this tunnel that we have not received
 * (its Ns, in its messages and in its ZLBs, is ahead of ours), the ICRP may be
 * one of them, lost and retransmitted on the LNS's own schedule: through 20%
 * loss each way l2tpns's backoff (1, 2, 4, 8 s) can take half a minute to get
 * one message through (seen in l2tp_loss). That is waited for, as long as our
 * own reliable delivery would keep retransmitting before it gave up (a peer
 * that keeps a gap open longer is not going to close it). Nothing missing
 * that we know of: the ICRP may still be the LNS's latest message, lost, so
 * a HELLO goes out on the tunnel (RFC 2661 6.5) once per call; its
 * acknowledgement carries the LNS's next Ns and shows the gap if there is
 * one. Acknowledged with no gap, or unacknowledged after one more deadline,
 * the LNS is broken for this call. Until then the timer polls at the
 * retransmission interval, so the verdict comes with the acknowledgement. */
static uint64_t sess_answer_wait_until(struct l2tp_session *s, uint64_t now, unsigned within_s)
{
	struct eng_tunnel *tun = s->tun;
	uint64_t within = (uint64_t)within_s * 1000, behind = l2tp_rel_behind_since(&tun->t.rel);
	uint64_t poll = tun->t.rel.cfg.rto_initial_ms ? tun->t.rel.cfg.rto_initial_ms : 1000;

	if (behind) {
		uint64_t cap = behind + l2tp_rel_cycle_ms(&tun->t.rel.cfg);

		if (now >= cap)
			return 0;
		return now + within < cap ? now + within : cap;
	}
	if (tun->t.state != L2TP_TUNNEL_ESTABLISHED)
		return 0;
	if (!s->answer_probe_until) {
		s->answer_probe_until = now + within;
		/* Late calls on one tunnel share a HELLO still unacknowledged. */
		if (!tun->probe_ms || now >= tun->probe_ms + within ||
		    l2tp_seq_lt(tun->probe_ns, tun->t.rel.una)) {
			tun_send_probe(tun, now, "ICRP late, asking for the LNS's next Ns");
		}
		s->answer_probe_ns = tun->probe_ns;
	} else if (l2tp_seq_lt(s->answer_probe_ns, tun->t.rel.una) || now >= s->answer_probe_until) {
		return 0;       /* the HELLO was acknowledged and nothing is missing, or no answer */
	}
	return now + poll < s->answer_probe_until ? now + poll : s->answer_probe_until;
}

static int sess_fsm_send(void *arg, struct l2tp_session_fsm *f, uint16_t peer_sid,
			 struct l2tp_msg *m, uint64_t now)
{
	struct l2tp_session *s = arg;
	uint16_t ns;
	int r;

	if (!s->tun)
		return -1;
	ns = s->tun->t.rel.ns_next;
	r = l2tp_tunnel_send(&s->tun->t, peer_sid, m, now);
	if (r == 0 && (m->type == L2TP_MSG_ICRQ || m->type == L2TP_MSG_ICCN))
		ackq_push(s, ns, m->type);
	if (r == 0 && m->type == L2TP_MSG_ICRQ)
		ev_timer_start(s->e->loop, &s->setup_timer,
			       (uint64_t)s->e->cfg.session_setup_timeout_s * 1000);
	if (m->type == L2TP_MSG_ICCN || m->type == L2TP_MSG_CDN)
		ev_timer_stop(s->e->loop, &s->setup_timer);     /* ICRP came, or we gave up */
	tun_arm(s->tun);
	return r;
}

static const struct l2tp_session_fsm_ops session_fsm_ops = {
	.send = sess_fsm_send,
};

struct l2tp_session *l2tp_session_open(struct l2tp_engine *e, const struct l2tp_candidate *cands,
				       size_t n_cands, const struct l2tp_call_info *call,
				       const struct l2tp_session_events *ev, void *owner)
{
	uint64_t now = ev_now_ms(e->loop);
	struct l2tp_session *s;
	unsigned i, n = 0;

	if (n_cands == 0 || e->shutting_down)
		return NULL;
	if (n_cands > L2TP_MAX_CANDIDATES)
		n_cands = L2TP_MAX_CANDIDATES;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->setup = malloc(sizeof(*s->setup) + n_cands * sizeof(*cands));
	if (!s->setup) {
		free(s);
		return NULL;
	}
	s->e = e;
	s->fsm.call_serial = ++e->next_serial;
	memcpy(s->setup->cands, cands, n_cands * sizeof(*cands));
	s->n_cands = n_cands;
	/* Live endpoints in the given order, then those in the dead-cache (tried
	 * only when nothing else is left). */
	for (i = 0; i < n_cands; i++) {
		struct sockaddr_storage ss = cands[i].addr;

		if (sa_port(&ss) == 0)
			sa_set_port(&ss, L2TP_PORT);
		if (!dead_check(e, &ss, now))
			s->order[n++] = i;
	}
	for (i = 0; i < n_cands; i++) {
		struct sockaddr_storage ss = cands[i].addr;

		if (sa_port(&ss) == 0)
			sa_set_port(&ss, L2TP_PORT);
		if (dead_check(e, &ss, now)) {
			log_info("serial=%u event=candidate_skipped_dead candidate=%u",
				 s->fsm.call_serial, i);
			s->order[n++] = i;
		}
	}
	s->setup->call = *call;
	s->ev = *ev;
	s->owner = owner;
	s->enext = e->all_sessions;
	if (s->enext)
		s->enext->eprev = s;
	e->all_sessions = s;
	e->stats.sessions_opened++;
	ev_timer_init(&s->start_timer, sess_start_cb, s);
	ev_timer_init(&s->setup_timer, sess_setup_timeout_cb, s);
	ev_timer_start(e->loop, &s->start_timer, 0);
	return s;
}

void l2tp_session_close(struct l2tp_session *s, uint16_t result, uint16_t error, const char *msg,
			uint16_t ppp_disconnect_cause)
{
	struct l2tp_session_evarg a;

	if (s->zombie)
		return;
	memset(&a, 0, sizeof(a));
	a.result = result;
	a.error = error;
	a.msg = msg;
	a.ppp_disc_code = ppp_disconnect_cause;
	if (s->fsm.state != L2TP_SESSION_CLOSED)
		l2tp_session_fsm_event(&s->fsm, L2TP_SEV_CLOSE, &a, ev_now_ms(s->e->loop));
	s->zombie = true;
	if (s->busy) {
		sess_detach(s);
		return;         /* freed when the running callback returns */
	}
	sess_free(s);
}

void l2tp_session_report_sli(struct l2tp_session *s, uint32_t send_accm, uint32_t recv_accm)
{
	struct l2tp_msg m;

	if (!s->tun || s->fsm.state != L2TP_SESSION_ESTABLISHED || !s->e->cfg.send_sli_wen)
		return;
	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_SLI;
	m.present = L2TP_AVP_BIT(L2TP_AVP_ACCM);
	m.send_accm = send_accm;
	m.recv_accm = recv_accm;
	sess_fsm_send(s, &s->fsm, s->fsm.peer_sid, &m, ev_now_ms(s->e->loop));
}

void l2tp_session_report_wen(struct l2tp_session *s, const struct l2tp_wan_errors *errs)
{
	struct l2tp_msg m;

	if (!s->tun || s->fsm.state != L2TP_SESSION_ESTABLISHED || !s->e->cfg.send_sli_wen)
		return;
	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_WEN;
	m.present = L2TP_AVP_BIT(L2TP_AVP_CALL_ERRORS);
	m.call_errors.crc = errs->crc;
	m.call_errors.framing = errs->framing;
	m.call_errors.hw_overruns = errs->hw_overruns;
	m.call_errors.buf_overruns = errs->buf_overruns;
	m.call_errors.timeouts = errs->timeouts;
	m.call_errors.alignment = errs->alignment;
	sess_fsm_send(s, &s->fsm, s->fsm.peer_sid, &m, ev_now_ms(s->e->loop));
}
