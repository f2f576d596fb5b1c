/* The L2TP engine: its configuration, sockets and timers on the ev loop,
 * tunnel lifetimes, sessions and their failover across candidates, the
 * tunnel and session callbacks, shutdown and introspection. Split out:
 * dead_cache.c (endpoints that did not answer), tunnel_pool.c (which tunnel a
 * call joins, setup pacing), input.c (datagram and ICMP demux), data.c (the
 * data plane). The protocol itself lives in tunnel.c, session.c and
 * reliable.c; engine_int.h holds what these files share.
 *
 * Lifetimes: a tunnel is freed only from its own timer callback, once CLOSED,
 * held long enough and without sessions. A session is freed after its `down`
 * callback, or by l2tp_session_close() (deferred while one of its own
 * callbacks is running). */
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
static const struct l2tp_session_fsm_ops session_fsm_ops;

/* ---- helpers ---- */

static int eng_random(void *arg, void *buf, size_t len)
{
	return random_bytes(buf, len);
}

void l2tp_engine_config_default(struct l2tp_engine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = 1701;
	snprintf(cfg->host_name, sizeof(cfg->host_name), "lac-core");
	snprintf(cfg->vendor_name, sizeof(cfg->vendor_name), "realm-lns");
	cfg->rx_window = 8;
	cfg->hello_interval_s = 60;
	cfg->retransmit_initial_ms = 1000;
	cfg->retransmit_max_ms = 8000;
	cfg->max_retransmits = 5;
	cfg->max_sessions_per_tunnel = 0;
	cfg->dead_hold_down_s = 60;
	cfg->tunnel_linger_s = 10;
	cfg->hide_avps = true;
	cfg->send_sli_wen = true;
	cfg->failover_cdn_results[0] = L2TP_CDN_GENERAL;
	cfg->failover_cdn_results[1] = L2TP_CDN_TEMP_RESOURCES;
	cfg->n_failover_cdn_results = 2;
	cfg->failover_cdn_errors[0] = L2TP_ERR_RESOURCES;
	cfg->failover_cdn_errors[1] = L2TP_ERR_VENDOR;
	cfg->failover_cdn_errors[2] = L2TP_ERR_TRY_ANOTHER;
	cfg->failover_cdn_errors[3] = 9;
	cfg->n_failover_cdn_errors = 4;
	cfg->failover_on_stopccn = true;
	cfg->tunnel_setup_timeout_s = 10;
	cfg->session_setup_timeout_s = 10;
	cfg->tunnels_per_lns = 1;
}

/* ---- output ---- */

void flush_all(struct l2tp_engine *e)
{
	size_t i;

	for (i = 0; i < e->n_socks; i++)
		e->stats.tx_datagrams += l2tp_io_flush(&e->socks[i]);
}

static void flush_cb(struct ev_loop *loop, struct ev_defer *defer, void *arg)
{
	flush_all(arg);
}

void eng_send(struct l2tp_engine *e, struct l2tp_io_sock *sock, const uint8_t *buf,
		    size_t len, const struct sockaddr *to, socklen_t to_len)
{
	if (l2tp_io_queue(sock, buf, len, to, to_len) < 0) {
		e->stats.tx_dropped++;
		return;
	}
	/* Coalesce what this loop iteration sends into one sendmmsg(). */
	ev_defer(e->loop, &e->flush);
}

/* ---- tunnels ---- */

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

/* A free tunnel or session ID, drawn at random for each tunnel and session
 * (issue 8: sequential IDs after a random start let an off-path attacker who
 * saw one ID guess the next, and with it forge ICMP errors and data). A few
 * random draws, then a scan from a random point when the table is nearly
 * full. Returns 0 when every ID is taken or no randomness is available. */
static uint16_t alloc_id(void **table)
{
	uint32_t r;
	unsigned i;

	for (i = 0; i < 16; i++) {
		if (random_range(1, ID_SPACE - 1, &r) < 0)
			return 0;
		if (table[r] == NULL)
			return (uint16_t)r;
	}
	for (i = 0; i < ID_SPACE; i++) {
		uint16_t id = (uint16_t)(r + i);

		if (id != 0 && table[id] == NULL)
			return id;
	}
	return 0;
}


static struct eng_tunnel *tun_create(struct l2tp_engine *e, const struct l2tp_candidate *c)
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
	tid = alloc_id((void **)e->tunnels);
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

/* ---- sessions ---- */

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

static void ackq_remove(struct l2tp_session *s)
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

	ackq_remove(s);
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

static void sess_detach(struct l2tp_session *s)
{
	struct eng_tunnel *tun = s->tun;

	if (!tun)
		return;
	ackq_remove(s);
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
	tun->n_sessions--;
	if (tun->n_sessions == 0)
		tun->idle_since_ms = ev_now_ms(tun->e->loop);
	s->tun = NULL;
	tun_arm(tun);
}

void sess_free(struct l2tp_session *s)
{
	struct l2tp_engine *e = s->e;

	sess_detach(s);
	ev_timer_stop(e->loop, &s->start_timer);
	ev_timer_stop(e->loop, &s->setup_timer);
	e->sessions[s->fsm.local_sid] = NULL;
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

static void sess_after(struct l2tp_session *s);

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
static void sess_tunnel_up(struct l2tp_session *s, uint64_t now)
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

	l2tp_session_fsm_init(&s->fsm, s->fsm.local_sid, s->fsm.call_serial, &s->setup->call,
			      sess_hide_mask(e), &session_fsm_ops, s);
	s->fsm.sequencing_required = e->cfg.data_sequencing;
	s->seq = e->cfg.data_sequencing;
	s->data_ns = s->data_nr = 0;
	tun = tun_find(e, c);
	if (!tun) {
		tun = tun_create(e, c);
		if (tun)
			tun->opener_sid = s->fsm.local_sid;
	}
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
static void sess_report_reject(struct l2tp_session *s, bool link, uint16_t result, uint16_t error,
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
static void sess_after(struct l2tp_session *s)
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

		log_info("sid=%u event=failover from=%u to=%u why=\"%s\"", s->fsm.local_sid, from, to,
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
	tun->no_new = true;
	dead_add(s->e, &tun->target, tun->target_len, now);
	s->try_next = true;
	l2tp_session_fsm_event(&s->fsm, L2TP_SEV_SETUP_TIMEOUT, NULL, now);
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

/* ---- tunnel callbacks ---- */

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
		struct l2tp_session *s = e->sessions[ids[i]];

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
	struct l2tp_session *s = sid ? e->sessions[sid] : NULL;
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
		ackq_remove(s);
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

/* ---- public API ---- */

static void done_timer_cb(struct ev_loop *loop, struct ev_timer *timer, void *arg)
{
	struct l2tp_engine *e = arg;
	void (*cb)(void *) = e->done_cb;

	flush_all(e);
	e->done_cb = NULL;
	if (cb)
		cb(e->done_arg);
}

struct l2tp_engine *l2tp_engine_create(struct ev_loop *loop, const struct l2tp_engine_config *cfg)
{
	struct l2tp_engine *e = calloc(1, sizeof(*e));
	size_t i;
	char a[80];

	if (!e)
		return NULL;
	e->loop = loop;
	e->cfg = *cfg;
	if (!e->cfg.port)
		e->cfg.port = L2TP_PORT;
	if (!e->cfg.host_name[0])
		snprintf(e->cfg.host_name, sizeof(e->cfg.host_name), "lac-core");
	if (!e->cfg.rx_window)
		e->cfg.rx_window = 8;
	if (!e->cfg.hello_interval_s)
		e->cfg.hello_interval_s = 60;
	if (!e->cfg.retransmit_initial_ms)
		e->cfg.retransmit_initial_ms = 1000;
	if (!e->cfg.retransmit_max_ms)
		e->cfg.retransmit_max_ms = 8000;
	if (!e->cfg.max_retransmits)
		e->cfg.max_retransmits = 5;
	if (!e->cfg.dead_hold_down_s)
		e->cfg.dead_hold_down_s = 60;
	if (!e->cfg.tunnel_linger_s)
		e->cfg.tunnel_linger_s = 10;
	if (!e->cfg.tunnel_setup_timeout_s)
		e->cfg.tunnel_setup_timeout_s = 10;
	if (!e->cfg.session_setup_timeout_s)
		e->cfg.session_setup_timeout_s = 10;
	if (!e->cfg.tunnels_per_lns)
		e->cfg.tunnels_per_lns = 1;
	e->tunnels = calloc(ID_SPACE, sizeof(*e->tunnels));
	e->sessions = calloc(ID_SPACE, sizeof(*e->sessions));
	if (!e->tunnels || !e->sessions)
		goto fail;
	if (random_bytes(&e->next_serial, sizeof(e->next_serial)) < 0) {
		log_error("event=l2tp_no_randomness err=\"%s\"", strerror(errno));
		goto fail;
	}
	ev_defer_init(&e->flush, flush_cb, e);
	ev_timer_init(&e->done_timer, done_timer_cb, e);
	e->stray_tokens = STRAY_BURST;
	e->stray_refill_ms = ev_now_ms(loop);
	for (i = 0; i < (e->cfg.n_bind ? e->cfg.n_bind : 1); i++) {
		const char *addr = e->cfg.n_bind ? e->cfg.bind[i] : "0.0.0.0";
		struct l2tp_io_sock *s = &e->socks[e->n_socks];

		if (l2tp_io_open(s, addr, e->cfg.port) < 0) {
			log_error("event=l2tp_bind_failed addr=%s port=%u err=\"%s\"", addr,
				  e->cfg.port, strerror(errno));
			goto fail;
		}
		e->n_socks++;
		if (ev_io_add(loop, s->fd, EV_READ, sock_cb, e) < 0)
			goto fail;
		log_info("event=l2tp_listen addr=%s",
			 l2tp_sockaddr_str((struct sockaddr *)&s->local, a, sizeof(a)));
	}
	return e;
fail:
	l2tp_engine_destroy(e);
	return NULL;
}

void l2tp_engine_destroy(struct l2tp_engine *e)
{
	size_t i;

	if (!e)
		return;
	if (e->sessions)
		for (i = 0; i < ID_SPACE; i++)
			if (e->sessions[i]) {
				ev_timer_stop(e->loop, &e->sessions[i]->start_timer);
				ev_timer_stop(e->loop, &e->sessions[i]->setup_timer);
				free(e->sessions[i]);
			}
	while (e->tunnel_list) {
		struct eng_tunnel *tun = e->tunnel_list;

		e->tunnel_list = tun->next;
		ev_timer_stop(e->loop, &tun->timer);
		l2tp_tunnel_release(&tun->t);
		free(tun);
	}
	for (i = 0; i < e->n_socks; i++) {
		l2tp_io_flush(&e->socks[i]);
		ev_io_del(e->loop, e->socks[i].fd);
		l2tp_io_close(&e->socks[i]);
	}
	ev_defer_cancel(e->loop, &e->flush);
	ev_timer_stop(e->loop, &e->done_timer);
	free(e->tunnels);
	free(e->sessions);
	free(e);
}

void l2tp_engine_shutdown(struct l2tp_engine *e, void (*done)(void *), void *arg)
{
	uint64_t now = ev_now_ms(e->loop);
	struct eng_tunnel *tun, *next;
	size_t i;

	e->shutting_down = true;
	e->done_cb = done;
	e->done_arg = arg;
	log_info("event=l2tp_shutdown tunnels=%s", e->tunnel_list ? "some" : "none");
	for (i = 1; i < ID_SPACE; i++) {
		struct l2tp_session *s = e->sessions[i];
		struct l2tp_disconnect why;

		if (!s || s->zombie)
			continue;
		memset(&why, 0, sizeof(why));
		why.local = true;
		why.setup_failed = s->fsm.state != L2TP_SESSION_ESTABLISHED;
		why.result = L2TP_CDN_ADMIN;
		snprintf(why.message, sizeof(why.message), "LAC shutting down");
		s->busy++;
		if (s->ev.down)
			s->ev.down(s->owner, &why);
		s->busy--;
		if (s->zombie)
			sess_free(s);   /* the owner closed it from `down` (CDN already sent) */
		else
			l2tp_session_close(s, L2TP_CDN_ADMIN, 0, "LAC shutting down", 0);
	}
	for (tun = e->tunnel_list; tun; tun = next) {
		struct l2tp_tunnel_evarg a = { .result = L2TP_STOPCCN_SHUTDOWN, .why = "LAC shutting down" };

		next = tun->next;
		l2tp_tunnel_event(&tun->t, L2TP_TEV_CLOSE, &a, now);
		tun_arm(tun);
	}
	if (!e->tunnel_list)
		ev_timer_start(e->loop, &e->done_timer, 0);
}

struct l2tp_session *l2tp_session_open(struct l2tp_engine *e, const struct l2tp_candidate *cands,
				       size_t n_cands, const struct l2tp_call_info *call,
				       const struct l2tp_session_events *ev, void *owner)
{
	uint64_t now = ev_now_ms(e->loop);
	struct l2tp_session *s;
	unsigned i, n = 0;
	uint16_t sid;

	if (n_cands == 0 || e->shutting_down)
		return NULL;
	if (n_cands > L2TP_MAX_CANDIDATES)
		n_cands = L2TP_MAX_CANDIDATES;
	sid = alloc_id((void **)e->sessions);
	if (!sid)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->setup = malloc(sizeof(*s->setup) + n_cands * sizeof(*cands));
	if (!s->setup) {
		free(s);
		return NULL;
	}
	s->e = e;
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
			log_info("sid=%u event=candidate_skipped_dead candidate=%u", sid, i);
			s->order[n++] = i;
		}
	}
	s->setup->call = *call;
	s->ev = *ev;
	s->owner = owner;
	s->fsm.local_sid = sid;
	s->fsm.call_serial = ++e->next_serial;
	e->sessions[sid] = s;
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

void l2tp_engine_get_stats(const struct l2tp_engine *e, struct l2tp_engine_stats *out)
{
	const struct eng_tunnel *tun;
	size_t i;

	*out = e->stats;
	out->retransmits = e->closed_retransmits;
	out->rx_duplicate = e->closed_rel.duplicates;
	out->rx_out_of_window = e->closed_rel.out_of_window;
	out->rx_bad_nr = e->closed_rel.bad_nr;
	for (tun = e->tunnel_list; tun; tun = tun->next) {
		out->retransmits += tun->t.rel.stats.retransmits;
		out->rx_duplicate += tun->t.rel.stats.duplicates;
		out->rx_out_of_window += tun->t.rel.stats.out_of_window;
		out->rx_bad_nr += tun->t.rel.stats.bad_nr;
	}
	for (i = 0; i < e->n_socks; i++) {
		out->tx_dropped += e->socks[i].tx_dropped;
		out->rx_malformed += e->socks[i].rx_truncated;
	}
}

void l2tp_engine_foreach(const struct l2tp_engine *e,
			 void (*tfn)(void *arg, const struct l2tp_tunnel_info *ti),
			 void (*sfn)(void *arg, const struct l2tp_session_info *si), void *arg)
{
	const struct eng_tunnel *tun;
	const struct l2tp_session *s;

	for (tun = e->tunnel_list; tun; tun = tun->next) {
		struct l2tp_tunnel_info ti = {
			.local_tid = tun->t.local_tid, .peer_tid = tun->t.peer_tid,
			.peer = (const struct sockaddr *)&tun->peer, .peer_len = tun->peer_len,
			.state = l2tp_tunnel_state_str(tun->t.state),
			.peer_host_name = tun->t.peer_host_name, .sessions = tun->n_sessions,
			.rx_msgs = tun->t.stats.rx_msgs, .tx_msgs = tun->t.stats.tx_msgs,
			.retransmits = tun->t.rel.stats.retransmits,
		};

		if (tfn)
			tfn(arg, &ti);
		if (!sfn)
			continue;
		for (s = tun->sessions; s; s = s->tnext) {
			struct l2tp_session_info si = {
				.local_tid = tun->t.local_tid, .local_sid = s->fsm.local_sid,
				.peer_sid = s->fsm.peer_sid, .call_serial = s->fsm.call_serial,
				.state = l2tp_session_state_str(s->fsm.state),
				.rx_packets = s->rx_packets, .tx_packets = s->tx_packets,
				.rx_bytes = s->rx_bytes, .tx_bytes = s->tx_bytes,
			};

			sfn(arg, &si);
		}
	}
}
