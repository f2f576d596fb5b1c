/* Tunnel and session state machines (RFC 2661 7.2, 7.4.1) driven without
 * sockets or clock: every (state, event) pair of both tables is dispatched and
 * must end in a valid state with the outcome the table names; the LAC tunnel
 * handshake with tunnel authentication; the incoming-call sequence. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "l2tp/session.h"
#include "l2tp/tunnel.h"
#include "util/log.h"

/* ---- tunnel harness ---- */

struct tcap {
	unsigned n_tx, ups, downs, session_msgs;
	struct l2tp_msg last;
	uint16_t last_tid;
	bool down_setup;
	uint16_t down_result;
};

static void t_tx(void *arg, struct l2tp_tunnel *t, const uint8_t *buf, size_t len)
{
	struct tcap *c = arg;
	struct l2tp_hdr h;
	struct l2tp_dec_err err;

	c->n_tx++;
	cr_assert_eq(l2tp_hdr_decode(buf, len, &h), L2TP_HDR_OK);
	cr_assert(h.control);
	c->last_tid = h.tid;
	if (h.payload_len)
		cr_assert_eq(l2tp_msg_decode(buf + h.payload_off, h.payload_len, t->cfg.secret,
					     t->cfg.secret_len, &c->last, &err), 0, "%s", err.what);
	else
		memset(&c->last, 0, sizeof(c->last));
}

static int t_random(void *arg, void *buf, size_t len)
{
	memset(buf, 0x5a, len);
	return 0;
}

static void t_up(void *arg, struct l2tp_tunnel *t)
{
	((struct tcap *)arg)->ups++;
}

static void t_down(void *arg, struct l2tp_tunnel *t, bool setup, uint16_t result, uint16_t error,
		   const char *why)
{
	struct tcap *c = arg;

	c->downs++;
	c->down_setup = setup;
	c->down_result = result;
}

static void t_session(void *arg, struct l2tp_tunnel *t, uint16_t sid, const struct l2tp_msg *m,
		      const struct l2tp_dec_err *err, uint64_t now)
{
	((struct tcap *)arg)->session_msgs++;
}

static void t_acked(void *arg, struct l2tp_tunnel *t, uint16_t una, uint64_t now)
{
}

static const struct l2tp_tunnel_ops tops = { t_tx, t_random, t_up, t_down, t_session, t_acked };

static void tunnel_new(struct l2tp_tunnel *t, struct tcap *c, const char *secret)
{
	struct l2tp_tunnel_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.host_name, "lac-test");
	cfg.secret_len = strlen(secret);
	memcpy(cfg.secret, secret, cfg.secret_len);
	cfg.hello_interval_ms = 60000;
	cfg.rel = (struct l2tp_rel_cfg){ 1000, 8000, 5, 8 };
	memset(c, 0, sizeof(*c));
	l2tp_tunnel_init(t, 100, &cfg, &tops, c);
}

/* A received message as l2tp_tunnel_input() takes it. */
static void tunnel_feed(struct l2tp_tunnel *t, struct l2tp_msg *m, uint16_t ns, uint16_t nr,
			uint64_t now)
{
	uint8_t buf[2048];
	struct l2tp_hdr h;
	int n = l2tp_msg_encode(m, t->cfg.secret, t->cfg.secret_len, (const uint8_t *)"0123456789abcdef",
				buf + 12, sizeof(buf) - 12);

	cr_assert_geq(n, 0);
	l2tp_ctrl_hdr_put(buf, (uint16_t)(12 + n), t->local_tid, 0, ns, nr);
	cr_assert_eq(l2tp_hdr_decode(buf, 12 + (size_t)n, &h), 0);
	l2tp_tunnel_input(t, &h, buf, 12 + (size_t)n, now);
}

static void sccrp_for(struct l2tp_tunnel *t, struct l2tp_msg *m, const char *secret, bool challenge)
{
	memset(m, 0, sizeof(*m));
	m->type = L2TP_MSG_SCCRP;
	m->present = L2TP_AVP_BIT(L2TP_AVP_PROTOCOL_VERSION) | L2TP_AVP_BIT(L2TP_AVP_FRAMING_CAP) |
		     L2TP_AVP_BIT(L2TP_AVP_ASSIGNED_TID) | L2TP_AVP_BIT(L2TP_AVP_RX_WINDOW);
	m->proto_ver = 1;
	m->framing_cap = 3;
	m->assigned_tid = 77;
	m->rx_window = 4;
	l2tp_msg_set_str(m, L2TP_AVP_HOST_NAME, &m->host_name, "lns-test");
	if (secret) {
		l2tp_challenge_response(L2TP_MSG_SCCRP, (const uint8_t *)secret, strlen(secret),
					t->challenge, 16, m->challenge_response.b);
		m->challenge_response.len = 16;
		m->present |= L2TP_AVP_BIT(L2TP_AVP_CHALLENGE_RESPONSE);
	}
	if (challenge)
		l2tp_msg_set_bytes(m, L2TP_AVP_CHALLENGE, &m->challenge, "lns-challenge", 13);
}

/* A tunnel without a secret that sent its SCCRQ and has just taken the
 * peer's SCCRP (so it has sent SCCCN): where the tests of an established
 * tunnel start. m is the caller's scratch message. */
static void tunnel_sccrp_received(struct l2tp_tunnel *t, struct tcap *c, struct l2tp_msg *m)
{
	log_set_level(LOG_LVL_ERROR);
	tunnel_new(t, c, "");
	l2tp_tunnel_event(t, L2TP_TEV_OPEN, NULL, 0);
	sccrp_for(t, m, NULL, false);
	tunnel_feed(t, m, 0, 1, 0);
}

Test(l2tp_tunnel, lac_handshake_with_tunnel_authentication_both_ways)
{
	struct l2tp_tunnel t;
	struct tcap c;
	struct l2tp_msg m;
	uint8_t expect[16];

	log_set_level(LOG_LVL_WARN);
	tunnel_new(&t, &c, "sekrit");
	l2tp_tunnel_event(&t, L2TP_TEV_OPEN, NULL, 0);
	cr_assert_eq(t.state, L2TP_TUNNEL_WAIT_CTL_REPLY);
	cr_assert_eq(c.last.type, L2TP_MSG_SCCRQ);
	cr_assert_eq(c.last_tid, 0);
	cr_assert(l2tp_msg_has(&c.last, L2TP_AVP_CHALLENGE));
	cr_assert(l2tp_msg_has(&c.last, L2TP_AVP_TIE_BREAKER));
	cr_assert_eq(c.last.assigned_tid, 100);
	cr_assert_eq(c.last.rx_window, 8);
	cr_assert_eq(c.last.host_name.len, 8);

	sccrp_for(&t, &m, "sekrit", true);
	tunnel_feed(&t, &m, 0, 1, 10);
	cr_assert_eq(t.state, L2TP_TUNNEL_ESTABLISHED);
	cr_assert_eq(c.ups, 1);
	cr_assert_eq(t.peer_tid, 77);
	cr_assert_eq(t.rel.peer_rws, 4);
	cr_assert_eq(c.last.type, L2TP_MSG_SCCCN);
	cr_assert_eq(c.last_tid, 77);
	l2tp_challenge_response(L2TP_MSG_SCCCN, (const uint8_t *)"sekrit", 6,
				(const uint8_t *)"lns-challenge", 13, expect);
	cr_assert(memcmp(c.last.challenge_response.b, expect, 16) == 0);
	l2tp_tunnel_release(&t);
}

Test(l2tp_tunnel, wrong_challenge_response_gives_stopccn_result_4)
{
	struct l2tp_tunnel t;
	struct tcap c;
	struct l2tp_msg m;

	log_set_level(LOG_LVL_ERROR);
	tunnel_new(&t, &c, "sekrit");
	l2tp_tunnel_event(&t, L2TP_TEV_OPEN, NULL, 0);
	sccrp_for(&t, &m, "other", false);
	tunnel_feed(&t, &m, 0, 1, 10);
	cr_assert_eq(t.state, L2TP_TUNNEL_CLOSING);
	cr_assert_eq(c.last.type, L2TP_MSG_STOPCCN);
	cr_assert_eq(c.last.result, L2TP_STOPCCN_NOT_AUTHORIZED);
	cr_assert_eq(c.downs, 1);
	cr_assert(c.down_setup);
	/* Its ack ends CLOSING, and the tunnel can go at once. */
	memset(&m, 0, sizeof(m));
	tunnel_feed(&t, &m, 1, 2, 20);
	cr_assert_eq(t.state, L2TP_TUNNEL_CLOSED);
	cr_assert(l2tp_tunnel_done(&t, 20));
	l2tp_tunnel_release(&t);
}

Test(l2tp_tunnel, stopccn_from_peer_is_acked_and_held_a_retransmit_cycle)
{
	struct l2tp_tunnel t;
	struct tcap c;
	struct l2tp_msg m;

	tunnel_sccrp_received(&t, &c, &m);
	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_STOPCCN;
	m.present = L2TP_AVP_BIT(L2TP_AVP_ASSIGNED_TID) | L2TP_AVP_BIT(L2TP_AVP_RESULT_CODE);
	m.assigned_tid = 77;
	m.result = 6;
	tunnel_feed(&t, &m, 1, 2, 100);
	cr_assert_eq(t.state, L2TP_TUNNEL_CLOSED);
	cr_assert_eq(c.last.type, L2TP_MSG_ZLB, "acknowledged");
	cr_assert_eq(c.down_result, 6);
	/* The ZLB got lost: the StopCCN comes again and is acknowledged again. */
	c.n_tx = 0;
	tunnel_feed(&t, &m, 1, 2, 1100);
	cr_assert_eq(c.n_tx, 1);
	cr_assert(!l2tp_tunnel_done(&t, 1100));
	cr_assert(l2tp_tunnel_done(&t, 100 + l2tp_rel_cycle_ms(&t.cfg.rel)));
	l2tp_tunnel_release(&t);
}

Test(l2tp_tunnel, silent_peer_is_given_up_after_the_retransmit_cycle)
{
	struct l2tp_tunnel t;
	struct tcap c;
	uint64_t now = 0;

	log_set_level(LOG_LVL_ERROR);
	tunnel_new(&t, &c, "");
	l2tp_tunnel_event(&t, L2TP_TEV_OPEN, NULL, 0);
	while (t.state == L2TP_TUNNEL_WAIT_CTL_REPLY && now < 100000) {
		now = l2tp_tunnel_deadline(&t);
		l2tp_tunnel_timer(&t, now);
	}
	cr_assert_eq(now, 31000);
	cr_assert_eq(t.state, L2TP_TUNNEL_CLOSED);
	cr_assert_eq(c.n_tx, 6, "SCCRQ and five retransmissions");
	cr_assert(c.down_setup);
	cr_assert_eq(c.down_result, 0, "result 0: no answer (the engine's dead-cache cue)");
	l2tp_tunnel_release(&t);
}

/* Issue 8: an LNS that acknowledges the SCCRQ with a ZLB and then says
 * nothing used to leave the tunnel in wait_ctl_reply with no timer at all. */
Test(l2tp_tunnel, sccrq_acked_but_never_answered_gives_up_at_the_setup_deadline)
{
	struct l2tp_tunnel t;
	struct tcap c;
	struct l2tp_msg zlb;

	log_set_level(LOG_LVL_ERROR);
	memset(&c, 0, sizeof(c));
	{
		struct l2tp_tunnel_cfg cfg;

		memset(&cfg, 0, sizeof(cfg));
		strcpy(cfg.host_name, "lac-test");
		cfg.hello_interval_ms = 60000;
		cfg.setup_timeout_ms = 10000;
		cfg.rel = (struct l2tp_rel_cfg){ 1000, 8000, 5, 8 };
		l2tp_tunnel_init(&t, 100, &cfg, &tops, &c);
	}
	l2tp_tunnel_event(&t, L2TP_TEV_OPEN, NULL, 0);
	memset(&zlb, 0, sizeof(zlb));
	tunnel_feed(&t, &zlb, 0, 1, 20);        /* ZLB: SCCRQ acknowledged */
	cr_assert_eq(t.rel.tx_count, 0);
	cr_assert_eq(t.state, L2TP_TUNNEL_WAIT_CTL_REPLY);
	cr_assert_eq(l2tp_tunnel_deadline(&t), 10000, "the setup deadline is armed");
	l2tp_tunnel_timer(&t, 9999);
	cr_assert_eq(t.state, L2TP_TUNNEL_WAIT_CTL_REPLY);
	l2tp_tunnel_timer(&t, 10000);
	cr_assert_eq(t.state, L2TP_TUNNEL_CLOSED);
	cr_assert_eq(c.downs, 1);
	cr_assert(c.down_setup);
	cr_assert_eq(c.down_result, 0, "result 0: no answer (the engine's dead-cache cue)");
	cr_assert(l2tp_tunnel_done(&t, 10000));
	l2tp_tunnel_release(&t);
}

/* A silent peer (not even a ZLB) is given up at the setup deadline too, when
 * that comes before the end of the retransmission cycle. */
Test(l2tp_tunnel, silent_peer_is_given_up_at_the_setup_deadline_when_shorter)
{
	struct l2tp_tunnel t;
	struct tcap c;
	uint64_t now = 0;

	log_set_level(LOG_LVL_ERROR);
	tunnel_new(&t, &c, "");
	t.cfg.setup_timeout_ms = 5000;
	l2tp_tunnel_event(&t, L2TP_TEV_OPEN, NULL, 0);
	while (t.state == L2TP_TUNNEL_WAIT_CTL_REPLY && now < 100000) {
		now = l2tp_tunnel_deadline(&t);
		l2tp_tunnel_timer(&t, now);
	}
	cr_assert_eq(now, 5000);
	cr_assert_eq(t.state, L2TP_TUNNEL_CLOSED);
	cr_assert_eq(c.down_result, 0);
	l2tp_tunnel_release(&t);
}

/* RFC 2867 4.1 reports what the LNS refused or left unanswered (shared LNS
 * health): a wrong challenge response, a StopCCN in answer to the SCCRQ and
 * silence count as the peer's; our own close does not (failed_here). */
Test(l2tp_tunnel, setup_failures_of_the_peer_are_not_failed_here_a_local_close_is)
{
	struct l2tp_tunnel t;
	struct tcap c;
	struct l2tp_msg m;
	uint64_t now = 0;

	log_set_level(LOG_LVL_ERROR);
	tunnel_new(&t, &c, "sekrit");
	l2tp_tunnel_event(&t, L2TP_TEV_OPEN, NULL, 0);
	sccrp_for(&t, &m, "other", false);
	tunnel_feed(&t, &m, 0, 1, 10);
	cr_assert_eq(c.downs, 1);
	cr_expect(c.down_setup && !t.failed_here, "authentication failure: the LNS's");
	l2tp_tunnel_release(&t);

	tunnel_new(&t, &c, "");
	l2tp_tunnel_event(&t, L2TP_TEV_OPEN, NULL, 0);
	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_STOPCCN;
	m.present = L2TP_AVP_BIT(L2TP_AVP_ASSIGNED_TID) | L2TP_AVP_BIT(L2TP_AVP_RESULT_CODE);
	m.assigned_tid = 77;
	m.result = L2TP_STOPCCN_NOT_AUTHORIZED;
	tunnel_feed(&t, &m, 0, 1, 10);
	cr_assert_eq(c.downs, 1);
	cr_expect(c.down_setup && !t.failed_here, "StopCCN in answer to the SCCRQ: the LNS's");
	cr_expect_eq(c.down_result, L2TP_STOPCCN_NOT_AUTHORIZED);
	l2tp_tunnel_release(&t);

	tunnel_new(&t, &c, "");
	l2tp_tunnel_event(&t, L2TP_TEV_OPEN, NULL, 0);
	while (t.state == L2TP_TUNNEL_WAIT_CTL_REPLY && now < 100000) {
		now = l2tp_tunnel_deadline(&t);
		l2tp_tunnel_timer(&t, now);
	}
	cr_expect(c.down_setup && !t.failed_here, "silence: the LNS's");
	l2tp_tunnel_release(&t);

	tunnel_new(&t, &c, "");
	l2tp_tunnel_event(&t, L2TP_TEV_OPEN, NULL, 0);
	l2tp_tunnel_event(&t, L2TP_TEV_CLOSE, &(struct l2tp_tunnel_evarg){ .result = 6, .why = "bye" }, 5);
	cr_assert_eq(c.downs, 1);
	cr_expect(t.failed_here, "our own close during setup is not a Tunnel-Reject");
	l2tp_tunnel_release(&t);

	tunnel_new(&t, &c, "");
	l2tp_tunnel_event(&t, L2TP_TEV_CLOSE, &(struct l2tp_tunnel_evarg){ .why = "deferred" }, 5);
	cr_expect(t.failed_here, "a deferred tunnel closed before its SCCRQ");
	l2tp_tunnel_release(&t);
}

Test(l2tp_tunnel, hello_after_idle_interval)
{
	struct l2tp_tunnel t;
	struct tcap c;
	struct l2tp_msg m;

	tunnel_sccrp_received(&t, &c, &m);
	memset(&m, 0, sizeof(m));
	tunnel_feed(&t, &m, 1, 2, 5);           /* SCCCN acked */
	cr_assert_eq(l2tp_tunnel_deadline(&t), 60000);
	l2tp_tunnel_timer(&t, 60000);
	cr_assert_eq(c.last.type, L2TP_MSG_HELLO);
	l2tp_tunnel_release(&t);
}

/* Builds a plausible received message for an event (for the table walk). */
static void msg_for_event(enum l2tp_tunnel_event e, struct l2tp_msg *m,
			  struct l2tp_tunnel_evarg *a, struct l2tp_dec_err *err)
{
	memset(m, 0, sizeof(*m));
	memset(a, 0, sizeof(*a));
	memset(err, 0, sizeof(*err));
	a->m = m;
	switch (e) {
	case L2TP_TEV_RX_SCCRQ: m->type = L2TP_MSG_SCCRQ; break;
	case L2TP_TEV_RX_SCCRP:
		m->type = L2TP_MSG_SCCRP;
		m->proto_ver = 1;
		m->assigned_tid = 5;
		break;
	case L2TP_TEV_RX_SCCCN: m->type = L2TP_MSG_SCCCN; break;
	case L2TP_TEV_RX_STOPCCN: m->type = L2TP_MSG_STOPCCN; m->result = 1; break;
	case L2TP_TEV_RX_HELLO: m->type = L2TP_MSG_HELLO; break;
	case L2TP_TEV_RX_SESSION: m->type = L2TP_MSG_CDN; break;
	case L2TP_TEV_RX_BAD:
	case L2TP_TEV_RX_UNKNOWN:
		m->type = L2TP_MSG_HELLO;
		err->status = L2TP_DEC_UNKNOWN_M;
		err->result = 2;
		err->error = 8;
		err->what = "test";
		a->err = err;
		break;
	case L2TP_TEV_CLOSE: a->result = 1; break;
	default: break;
	}
}

Test(l2tp_tunnel, every_state_event_pair_has_a_defined_outcome)
{
	unsigned s, e;

	log_set_level(LOG_LVL_ERROR);
	for (s = 0; s < L2TP_TUNNEL_N_STATES; s++) {
		for (e = 0; e < L2TP_TEV_N_EVENTS; e++) {
			struct l2tp_tunnel t;
			struct tcap c;
			struct l2tp_msg m;
			struct l2tp_tunnel_evarg a;
			struct l2tp_dec_err err;
			const char *action;
			int next;
			unsigned tx_before;

			action = l2tp_tunnel_outcome(s, e, &next);
			cr_assert_not_null(action);
			cr_assert(next >= -1 && next < L2TP_TUNNEL_N_STATES);
			tunnel_new(&t, &c, "x");
			t.state = s;
			t.peer_tid = 9;
			msg_for_event(e, &m, &a, &err);
			tx_before = c.n_tx;
			l2tp_tunnel_event(&t, e, &a, 1000);
			cr_assert(t.state < L2TP_TUNNEL_N_STATES, "%s/%s", l2tp_tunnel_state_str(s),
				  l2tp_tunnel_event_str(e));
			if (next >= 0)
				cr_assert_eq(t.state, (unsigned)next, "%s/%s: %s -> %s, table says %s",
					     l2tp_tunnel_state_str(s), l2tp_tunnel_event_str(e), action,
					     l2tp_tunnel_state_str(t.state), l2tp_tunnel_state_str(next));
			if (strcmp(action, "a_fsm_error") == 0) {
				cr_assert_eq(c.last.type, L2TP_MSG_STOPCCN);
				cr_assert_eq(c.last.result, L2TP_STOPCCN_FSM_ERROR);
			}
			if (strcmp(action, "a_ignore") == 0 || strcmp(action, "a_hold") == 0)
				cr_assert_eq(c.n_tx, tx_before, "%s/%s sent something",
					     l2tp_tunnel_state_str(s), l2tp_tunnel_event_str(e));
			l2tp_tunnel_release(&t);
		}
	}
}

/* ---- session harness ---- */

struct scap {
	unsigned n;
	struct l2tp_msg last;
	uint16_t last_peer_sid;
};

static int s_send(void *arg, struct l2tp_session_fsm *f, uint16_t peer_sid, struct l2tp_msg *m,
		  uint64_t now)
{
	struct scap *c = arg;

	c->n++;
	c->last = *m;
	c->last_peer_sid = peer_sid;
	return 0;
}

static const struct l2tp_session_fsm_ops sops = { s_send };

static void call_info(struct l2tp_call_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	strcpy(ci->calling_number, "0123");
	strcpy(ci->called_number, "l2tp");
	ci->bearer_type = L2TP_BEARER_DIGITAL;
	ci->framing_type = L2TP_FRAMING_SYNC;
	ci->tx_connect_speed = 1000000;
	ci->proxy.init_rx_lcp_len = 4;
	memcpy(ci->proxy.init_rx_lcp, "\x01\x04\x05\xdc", 4);
	ci->proxy.authen_type = L2TP_PROXY_AUTH_CHAP;
	strcpy(ci->proxy.authen_name, "alice");
	ci->proxy.authen_challenge_len = 4;
	ci->proxy.authen_id = 3;
	ci->proxy.authen_response_len = 16;
}

/* A session (local id 42, the given call serial) opened on a tunnel that is
 * up, so it has just sent its ICRQ: where both incoming-call tests start. */
static void session_asked(struct l2tp_session_fsm *f, struct l2tp_call_info *ci,
			  struct scap *c, uint32_t serial)
{
	log_set_level(LOG_LVL_ERROR);
	call_info(ci);
	l2tp_session_fsm_init(f, 42, serial, ci, 0, &sops, c);
	l2tp_session_fsm_event(f, L2TP_SEV_OPEN, NULL, 0);
	l2tp_session_fsm_event(f, L2TP_SEV_TUNNEL_UP, NULL, 0);
}

Test(l2tp_session, incoming_call_icrq_icrp_iccn_then_up_and_cdn)
{
	struct l2tp_session_fsm f;
	struct l2tp_call_info ci;
	struct scap c = { 0 };
	struct l2tp_msg m;
	struct l2tp_session_evarg a = { .m = &m };

	session_asked(&f, &ci, &c, 0xdeadbeef);
	cr_assert_eq(f.state, L2TP_SESSION_WAIT_REPLY);
	cr_assert_eq(c.last.type, L2TP_MSG_ICRQ);
	cr_assert_eq(c.last.assigned_sid, 42);
	cr_assert_eq(c.last.call_serial, 0xdeadbeef);
	cr_assert(l2tp_msg_has(&c.last, L2TP_AVP_CALLING_NUMBER));
	cr_assert_eq(l2tp_msg_mandatory(L2TP_MSG_ICRQ) & ~c.last.present & ~L2TP_AVP_BIT(L2TP_AVP_MESSAGE_TYPE), 0);

	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_ICRP;
	m.assigned_sid = 7;
	l2tp_session_fsm_event(&f, L2TP_SEV_RX_ICRP, &a, 1);
	cr_assert_eq(f.state, L2TP_SESSION_WAIT_ACK);
	cr_assert_eq(c.last.type, L2TP_MSG_ICCN);
	cr_assert_eq(c.last_peer_sid, 7);
	cr_assert_eq(l2tp_msg_mandatory(L2TP_MSG_ICCN) & ~c.last.present & ~L2TP_AVP_BIT(L2TP_AVP_MESSAGE_TYPE), 0);
	cr_assert(l2tp_msg_has(&c.last, L2TP_AVP_INIT_RX_LCP));
	cr_assert(l2tp_msg_has(&c.last, L2TP_AVP_PROXY_AUTH_TYPE));
	cr_assert(l2tp_msg_has(&c.last, L2TP_AVP_PROXY_AUTH_NAME));
	cr_assert(l2tp_msg_has(&c.last, L2TP_AVP_PROXY_AUTH_CHAL));
	cr_assert(l2tp_msg_has(&c.last, L2TP_AVP_PROXY_AUTH_ID));
	cr_assert(l2tp_msg_has(&c.last, L2TP_AVP_PROXY_AUTH_RESP));

	l2tp_session_fsm_event(&f, L2TP_SEV_ICCN_ACKED, NULL, 2);
	cr_assert_eq(f.state, L2TP_SESSION_ESTABLISHED);
	cr_assert(f.up_pending);

	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_SLI;
	m.send_accm = 0xa;
	l2tp_session_fsm_event(&f, L2TP_SEV_RX_SLI, &a, 3);
	cr_assert_eq(f.send_accm, 0xa);

	l2tp_session_fsm_event(&f, L2TP_SEV_CLOSE,
			       &(struct l2tp_session_evarg){ .result = 3, .msg = "bye", .ppp_disc_code = 3 }, 4);
	cr_assert_eq(f.state, L2TP_SESSION_CLOSED);
	cr_assert_eq(c.last.type, L2TP_MSG_CDN);
	cr_assert_eq(c.last.result, 3);
	cr_assert_eq(c.last.assigned_sid, 42);
	cr_assert_eq(c.last.ppp_disc_code, 3);
	cr_assert(f.why.local);
}

Test(l2tp_session, cdn_during_setup_reports_setup_failure)
{
	struct l2tp_session_fsm f;
	struct l2tp_call_info ci;
	struct scap c = { 0 };
	struct l2tp_msg m;
	struct l2tp_session_evarg a = { .m = &m };

	session_asked(&f, &ci, &c, 1);
	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_CDN;
	m.result = 2;
	m.error = 7;
	m.has_error = true;
	l2tp_session_fsm_event(&f, L2TP_SEV_RX_CDN, &a, 1);
	cr_assert_eq(f.state, L2TP_SESSION_CLOSED);
	cr_assert(f.why.setup_failed);
	cr_assert(!f.why.local);
	cr_assert_eq(f.why.error, 7);
}

/* Issue 8: the LNS took the ICRQ (or ICCN) and never answered: at the
 * engine's setup deadline the session clears with CDN result 10 and reports
 * a setup failure (not local), which the engine fails over on. */
Test(l2tp_session, setup_timeout_sends_cdn_10_and_reports_setup_failure)
{
	struct l2tp_session_fsm f;
	struct l2tp_call_info ci;
	struct scap c = { 0 };
	struct l2tp_msg m;
	struct l2tp_session_evarg a = { .m = &m };

	session_asked(&f, &ci, &c, 1);
	l2tp_session_fsm_event(&f, L2TP_SEV_SETUP_TIMEOUT, NULL, 10000);
	cr_assert_eq(f.state, L2TP_SESSION_CLOSED);
	cr_assert_eq(c.last.type, L2TP_MSG_CDN);
	cr_assert_eq(c.last.result, L2TP_CDN_TIMEOUT);
	cr_assert_eq(c.last.assigned_sid, 42);
	cr_assert(f.why.setup_failed);
	cr_assert(!f.why.local);
	cr_assert_eq(f.why.result, L2TP_CDN_TIMEOUT);

	session_asked(&f, &ci, &c, 2);
	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_ICRP;
	m.assigned_sid = 7;
	l2tp_session_fsm_event(&f, L2TP_SEV_RX_ICRP, &a, 1);
	cr_assert_eq(f.state, L2TP_SESSION_WAIT_ACK);
	l2tp_session_fsm_event(&f, L2TP_SEV_SETUP_TIMEOUT, NULL, 10000);
	cr_assert_eq(f.state, L2TP_SESSION_CLOSED);
	cr_assert_eq(c.last_peer_sid, 7);
	cr_assert_eq(c.last.result, L2TP_CDN_TIMEOUT);

	/* Once up, a late timer is ignored. */
	session_asked(&f, &ci, &c, 3);
	l2tp_session_fsm_event(&f, L2TP_SEV_RX_ICRP, &a, 1);
	l2tp_session_fsm_event(&f, L2TP_SEV_ICCN_ACKED, NULL, 2);
	c.n = 0;
	l2tp_session_fsm_event(&f, L2TP_SEV_SETUP_TIMEOUT, NULL, 10000);
	cr_assert_eq(f.state, L2TP_SESSION_ESTABLISHED);
	cr_assert_eq(c.n, 0);
}

/* RFC 2867 4.2: what the LNS did to a call in setup (CDN, silence past the
 * setup timeout) marks it lns_refused, the engine's cue for one
 * Tunnel-Link-Reject; a CDN once up, our own close and the tunnel going
 * down do not. */
Test(l2tp_session, lns_refused_marks_only_what_the_lns_did_during_setup)
{
	struct l2tp_session_fsm f;
	struct l2tp_call_info ci;
	struct scap c = { 0 };
	struct l2tp_msg m;
	struct l2tp_session_evarg a = { .m = &m };

	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_CDN;
	m.result = 2;
	m.error = 4;
	m.has_error = true;
	session_asked(&f, &ci, &c, 1);
	l2tp_session_fsm_event(&f, L2TP_SEV_RX_CDN, &a, 1);
	cr_expect(f.lns_refused, "CDN in answer to the ICRQ");

	session_asked(&f, &ci, &c, 2);
	l2tp_session_fsm_event(&f, L2TP_SEV_SETUP_TIMEOUT, NULL, 10000);
	cr_expect(f.lns_refused, "no ICRP within the setup timeout");

	session_asked(&f, &ci, &c, 3);
	l2tp_session_fsm_event(&f, L2TP_SEV_CLOSE, &(struct l2tp_session_evarg){ .result = 3 }, 1);
	cr_expect(!f.lns_refused, "our own CDN");

	session_asked(&f, &ci, &c, 4);
	l2tp_session_fsm_event(&f, L2TP_SEV_TUNNEL_DOWN, &(struct l2tp_session_evarg){ .msg = "gone" }, 1);
	cr_expect(!f.lns_refused, "the tunnel's failure is reported for the tunnel");

	session_asked(&f, &ci, &c, 5);
	struct l2tp_msg icrp;
	memset(&icrp, 0, sizeof(icrp));
	icrp.type = L2TP_MSG_ICRP;
	icrp.assigned_sid = 7;
	l2tp_session_fsm_event(&f, L2TP_SEV_RX_ICRP, &(struct l2tp_session_evarg){ .m = &icrp }, 1);
	l2tp_session_fsm_event(&f, L2TP_SEV_ICCN_ACKED, NULL, 2);
	cr_assert_eq(f.state, L2TP_SESSION_ESTABLISHED);
	l2tp_session_fsm_event(&f, L2TP_SEV_RX_CDN, &a, 3);
	cr_expect(!f.lns_refused, "a CDN once up ends a session, it refuses nothing");
}

Test(l2tp_session, every_state_event_pair_has_a_defined_outcome)
{
	unsigned s, e;

	log_set_level(LOG_LVL_ERROR);
	for (s = 0; s < L2TP_SESSION_N_STATES; s++) {
		for (e = 0; e < L2TP_SEV_N_EVENTS; e++) {
			struct l2tp_session_fsm f;
			struct l2tp_call_info ci;
			struct scap c = { 0 };
			struct l2tp_msg m;
			struct l2tp_dec_err err = { .status = L2TP_DEC_UNKNOWN_M, .result = 2, .error = 8,
						    .what = "t" };
			struct l2tp_session_evarg a = { .m = &m };
			const char *action;
			int next;

			call_info(&ci);
			action = l2tp_session_outcome(s, e, &next);
			cr_assert_not_null(action);
			cr_assert(next >= -1 && next < L2TP_SESSION_N_STATES);
			l2tp_session_fsm_init(&f, 1, 1, &ci, 0, &sops, &c);
			f.state = s;
			f.peer_sid = 5;
			memset(&m, 0, sizeof(m));
			m.type = e == L2TP_SEV_RX_ICRP ? L2TP_MSG_ICRP : e == L2TP_SEV_RX_CDN ? L2TP_MSG_CDN
				 : e == L2TP_SEV_RX_SLI ? L2TP_MSG_SLI : L2TP_MSG_ICRQ;
			m.assigned_sid = 9;
			if (e == L2TP_SEV_RX_BAD)
				a.err = &err;
			l2tp_session_fsm_event(&f, e, &a, 0);
			cr_assert(f.state < L2TP_SESSION_N_STATES);
			if (next >= 0)
				cr_assert_eq(f.state, (unsigned)next, "%s/%s: %s",
					     l2tp_session_state_str(s), l2tp_session_event_str(e), action);
			if (strcmp(action, "a_unexpected_cdn") == 0 || strcmp(action, "a_bad_cdn") == 0) {
				cr_assert_eq(c.last.type, L2TP_MSG_CDN);
				cr_assert_eq(c.last.result, L2TP_CDN_GENERAL);
			}
			if (strcmp(action, "a_ignore") == 0)
				cr_assert_eq(c.n, 0, "%s/%s sent something", l2tp_session_state_str(s),
					     l2tp_session_event_str(e));
		}
	}
}
