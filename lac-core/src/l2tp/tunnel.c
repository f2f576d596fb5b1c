/* Tunnel state machine, LAC originating (RFC 2661 7.2, 5.1.1, 6.5, 4.2). */
#include "l2tp/tunnel.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/escape.h"
#include "util/md5.h"
#include "util/random.h"

#define tlog(t, fmt, ...) \
	log_info("tid=%u ptid=%u " fmt, (t)->local_tid, (t)->peer_tid, ##__VA_ARGS__)
#define tlog_peer(t, fmt, ...) \
	log_peer("tid=%u ptid=%u " fmt, (t)->local_tid, (t)->peer_tid, ##__VA_ARGS__)

static const char *const state_names[L2TP_TUNNEL_N_STATES] = {
	"idle", "wait_ctl_reply", "established", "closing", "closed",
};
static const char *const event_names[L2TP_TEV_N_EVENTS] = {
	"open", "rx_sccrq", "rx_sccrp", "rx_scccn", "rx_stopccn", "rx_hello", "rx_session",
	"rx_bad", "rx_unknown", "hello_timer", "give_up", "close", "all_acked",
};

const char *l2tp_tunnel_state_str(enum l2tp_tunnel_state s)
{
	return (unsigned)s < L2TP_TUNNEL_N_STATES ? state_names[s] : "unknown";
}

const char *l2tp_tunnel_event_str(enum l2tp_tunnel_event e)
{
	return (unsigned)e < L2TP_TEV_N_EVENTS ? event_names[e] : "unknown";
}

void l2tp_challenge_response(uint8_t type, const uint8_t *secret, size_t secret_len,
			     const uint8_t *chal, size_t chal_len, uint8_t out[16])
{
	struct md5_ctx c;

	md5_init(&c);
	md5_update(&c, &type, 1);
	md5_update(&c, secret, secret_len);
	md5_update(&c, chal, chal_len);
	md5_final(&c, out);
}

static void tunnel_tx(void *arg, const uint8_t *buf, size_t len)
{
	struct l2tp_tunnel *t = arg;

	t->stats.tx_msgs++;
	t->ops->tx(t->arg, t, buf, len);
}

/* Encodes m behind a control header for peer session sid and hands it to
 * reliable delivery. The hidden-AVP choice is the caller's (m->hide). */
static int tunnel_send_msg(struct l2tp_tunnel *t, uint16_t sid, struct l2tp_msg *m, uint64_t now)
{
	uint8_t buf[4096], rv[16];
	int n;

	if (!t->cfg.hide_avps || !t->cfg.secret_len)
		m->hide = 0;
	if (m->hide && t->ops->random(t->arg, rv, sizeof(rv)) < 0) {
		tlog(t, "event=no_randomness msg=%s", l2tp_msg_type_str(m->type));
		return -1;
	}
	n = l2tp_msg_encode(m, t->cfg.secret, t->cfg.secret_len, rv, buf + L2TP_CTRL_HDR_LEN,
			    sizeof(buf) - L2TP_CTRL_HDR_LEN);
	if (n < 0) {
		tlog(t, "event=encode_failed msg=%s", l2tp_msg_type_str(m->type));
		return -1;
	}
	l2tp_ctrl_hdr_put(buf, (uint16_t)(L2TP_CTRL_HDR_LEN + n), t->peer_tid, sid, 0, 0);
	if (l2tp_rel_send(&t->rel, buf, L2TP_CTRL_HDR_LEN + (size_t)n, now, tunnel_tx, t) < 0) {
		tlog(t, "event=send_queue_full msg=%s", l2tp_msg_type_str(m->type));
		return -1;
	}
	log_debug("tid=%u ptid=%u event=tx msg=%s sid=%u", t->local_tid, t->peer_tid,
		  l2tp_msg_type_str(m->type), sid);
	return 0;
}

int l2tp_tunnel_send(struct l2tp_tunnel *t, uint16_t peer_sid, struct l2tp_msg *m, uint64_t now)
{
	if (t->state != L2TP_TUNNEL_ESTABLISHED)
		return -1;
	return tunnel_send_msg(t, peer_sid, m, now);
}

static void tunnel_notify_down(struct l2tp_tunnel *t, bool setup, uint16_t result, uint16_t error,
			       const char *why)
{
	t->close_result = result;
	t->close_error = error;
	t->ops->down(t->arg, t, setup, result, error, why);
}

/* ---- actions: return 0 to take the table's next state, -1 when they set it ---- */

typedef int (*tunnel_action_fn)(struct l2tp_tunnel *t, const struct l2tp_tunnel_evarg *a,
				uint64_t now);

static int a_ignore(struct l2tp_tunnel *t, const struct l2tp_tunnel_evarg *a, uint64_t now)
{
	return 0;
}

/* 6.1: SCCRQ with everything an LNS may want; Challenge only with a secret. */
static int a_send_sccrq(struct l2tp_tunnel *t, const struct l2tp_tunnel_evarg *a, uint64_t now)
{
	struct l2tp_msg m;

	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_SCCRQ;
	m.present = L2TP_AVP_BIT(L2TP_AVP_PROTOCOL_VERSION) | L2TP_AVP_BIT(L2TP_AVP_FRAMING_CAP) |
		    L2TP_AVP_BIT(L2TP_AVP_BEARER_CAP) | L2TP_AVP_BIT(L2TP_AVP_TIE_BREAKER) |
		    L2TP_AVP_BIT(L2TP_AVP_FIRMWARE_REV) | L2TP_AVP_BIT(L2TP_AVP_ASSIGNED_TID) |
		    L2TP_AVP_BIT(L2TP_AVP_RX_WINDOW);
	m.proto_ver = 1;
	m.proto_rev = 0;
	m.framing_cap = L2TP_FRAMING_SYNC | L2TP_FRAMING_ASYNC;
	m.bearer_cap = L2TP_BEARER_DIGITAL | L2TP_BEARER_ANALOG;
	if (t->ops->random(t->arg, t->tie_breaker, sizeof(t->tie_breaker)) < 0 ||
	    (t->cfg.secret_len && t->ops->random(t->arg, t->challenge, sizeof(t->challenge)) < 0)) {
		t->state = L2TP_TUNNEL_CLOSED;
		t->hold_until_ms = now;
		t->failed_here = true;
		tunnel_notify_down(t, true, 0, 0, "no randomness for SCCRQ");
		return -1;
	}
	memcpy(m.tie_breaker, t->tie_breaker, 8);
	m.firmware_rev = 0x0100;
	m.assigned_tid = t->local_tid;
	/* What reliable delivery really buffers (it caps the configured value at
	 * L2TP_REL_RXQ), not what the configuration asked for. */
	m.rx_window = t->rel.cfg.rx_window;
	l2tp_msg_set_str(&m, L2TP_AVP_HOST_NAME, &m.host_name, t->cfg.host_name);
	if (t->cfg.vendor_name[0])
		l2tp_msg_set_str(&m, L2TP_AVP_VENDOR_NAME, &m.vendor_name, t->cfg.vendor_name);
	if (t->cfg.secret_len) {
		l2tp_msg_set_bytes(&m, L2TP_AVP_CHALLENGE, &m.challenge, t->challenge,
				   sizeof(t->challenge));
	}
	t->last_activity_ms = now;
	t->setup_deadline_ms = t->cfg.setup_timeout_ms ? now + t->cfg.setup_timeout_ms : 0;
	if (tunnel_send_msg(t, 0, &m, now) < 0) {
		t->state = L2TP_TUNNEL_CLOSED;
		t->hold_until_ms = now;
		t->failed_here = true;
		tunnel_notify_down(t, true, 0, 0, "cannot send SCCRQ");
		return -1;
	}
	return 0;
}

static void send_stopccn(struct l2tp_tunnel *t, uint16_t result, uint16_t error, const char *why,
			 uint64_t now)
{
	struct l2tp_msg m;

	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_STOPCCN;
	m.present = L2TP_AVP_BIT(L2TP_AVP_ASSIGNED_TID) | L2TP_AVP_BIT(L2TP_AVP_RESULT_CODE);
	m.assigned_tid = t->local_tid;
	m.result = result;
	m.error = error;
	m.has_error = error != 0 || (why && *why);
	if (why)
		l2tp_msg_set_str(&m, L2TP_AVP_RESULT_CODE, &m.result_msg, why);
	tunnel_send_msg(t, 0, &m, now);
}

/* Local or error-driven StopCCN (6.4): notify, send, wait for the ack in CLOSING. */
static void tunnel_stop(struct l2tp_tunnel *t, uint16_t result, uint16_t error, const char *why,
			uint64_t now)
{
	bool setup = t->state != L2TP_TUNNEL_ESTABLISHED;

	if (t->peer_tid == 0) {
		/* The peer never answered: it has no tunnel to clear and nothing to
		 * ack a StopCCN with. Drop ours without a word. */
		tlog(t, "event=tunnel_dropped result=%u why=\"%s\"", result, why ? why : "");
		t->state = L2TP_TUNNEL_CLOSED;
		t->hold_until_ms = now;
		tunnel_notify_down(t, setup, result, error, why);
		return;
	}
	tlog(t, "event=stopccn_tx result=%u error=%u why=\"%s\"", result, error, why ? why : "");
	send_stopccn(t, result, error, why, now);
	tunnel_notify_down(t, setup, result, error, why);
	t->state = L2TP_TUNNEL_CLOSING;
	t->hold_until_ms = now + l2tp_rel_cycle_ms(&t->cfg.rel);
}

static int a_send_stopccn(struct l2tp_tunnel *t, const struct l2tp_tunnel_evarg *a, uint64_t now)
{
	t->failed_here = true;         /* a local close */
	tunnel_stop(t, a->result ? a->result : L2TP_STOPCCN_CLEAR, a->error, a->why, now);
	return -1;
}

static int a_fsm_error(struct l2tp_tunnel *t, const struct l2tp_tunnel_evarg *a, uint64_t now)
{
	t->stats.rx_unexpected++;
	tunnel_stop(t, L2TP_STOPCCN_FSM_ERROR, 0, "message not expected in this state", now);
	return -1;
}

static int a_stop_bad(struct l2tp_tunnel *t, const struct l2tp_tunnel_evarg *a, uint64_t now)
{
	t->stats.rx_bad++;
	tunnel_stop(t, a->err ? a->err->result : L2TP_STOPCCN_GENERAL,
		    a->err ? a->err->error : L2TP_ERR_VENDOR, a->err ? a->err->what : "bad message",
		    now);
	return -1;
}

/* 7.2 + 5.1.1: take the LNS's SCCRP, check who it is, answer its challenge. */
static int a_rx_sccrp(struct l2tp_tunnel *t, const struct l2tp_tunnel_evarg *a, uint64_t now)
{
	const struct l2tp_msg *r = a->m;
	uint8_t expect[16];
	struct l2tp_msg m;
	size_t n;

	t->peer_tid = r->assigned_tid;
	n = r->host_name.len < sizeof(t->peer_host_name) - 1 ? r->host_name.len
							     : sizeof(t->peer_host_name) - 1;
	memcpy(t->peer_host_name, r->host_name.b, n);
	t->peer_host_name[n] = 0;
	if (l2tp_msg_has(r, L2TP_AVP_VENDOR_NAME)) {
		n = r->vendor_name.len < sizeof(t->peer_vendor) - 1 ? r->vendor_name.len
								    : sizeof(t->peer_vendor) - 1;
		memcpy(t->peer_vendor, r->vendor_name.b, n);
		t->peer_vendor[n] = 0;
	}
	if (l2tp_msg_has(r, L2TP_AVP_RX_WINDOW))
		l2tp_rel_set_peer_window(&t->rel, r->rx_window);
	if (r->assigned_tid == 0) {
		tunnel_stop(t, L2TP_STOPCCN_GENERAL, L2TP_ERR_RANGE, "Assigned Tunnel ID 0", now);
		return -1;
	}
	if (r->proto_ver != 1 || r->proto_rev != 0) {
		tunnel_stop(t, L2TP_STOPCCN_BAD_VERSION, 0, "protocol version 1.0 only", now);
		return -1;
	}
	if (t->cfg.secret_len) {
		l2tp_challenge_response(L2TP_MSG_SCCRP, t->cfg.secret, t->cfg.secret_len,
					t->challenge, sizeof(t->challenge), expect);
		if (!l2tp_msg_has(r, L2TP_AVP_CHALLENGE_RESPONSE) ||
		    r->challenge_response.len != 16 ||
		    !bytes_equal_ct(expect, r->challenge_response.b, 16)) {
			char eh[ESCAPE_FIELD_MAX];

			tlog_peer(t, "event=tunnel_auth_failed peer_host=\"%s\"",
				  escape_str(eh, sizeof(eh), t->peer_host_name));
			tunnel_stop(t, L2TP_STOPCCN_NOT_AUTHORIZED, 0,
				    "challenge response missing or wrong", now);
			return -1;
		}
	}
	if (t->cfg.server_auth_id[0] && strcmp(t->cfg.server_auth_id, t->peer_host_name) != 0) {
		char eh[ESCAPE_FIELD_MAX], ex[ESCAPE_FIELD_MAX];

		tlog_peer(t, "event=tunnel_auth_failed peer_host=\"%s\" expected=\"%s\"",
			  escape_str(eh, sizeof(eh), t->peer_host_name),
			  escape_str(ex, sizeof(ex), t->cfg.server_auth_id));
		tunnel_stop(t, L2TP_STOPCCN_NOT_AUTHORIZED, 0, "unexpected LNS host name", now);
		return -1;
	}
	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_SCCCN;
	if (l2tp_msg_has(r, L2TP_AVP_CHALLENGE)) {
		if (!t->cfg.secret_len) {
			tunnel_stop(t, L2TP_STOPCCN_NOT_AUTHORIZED, 0,
				    "challenged but no tunnel secret configured", now);
			return -1;
		}
		l2tp_challenge_response(L2TP_MSG_SCCCN, t->cfg.secret, t->cfg.secret_len,
					r->challenge.b, r->challenge.len, m.challenge_response.b);
		m.challenge_response.len = 16;
		m.present |= L2TP_AVP_BIT(L2TP_AVP_CHALLENGE_RESPONSE);
	}
	if (tunnel_send_msg(t, 0, &m, now) < 0) {
		t->failed_here = true;
		tunnel_stop(t, L2TP_STOPCCN_GENERAL, L2TP_ERR_RESOURCES, "cannot send SCCCN", now);
		return -1;
	}
	t->state = L2TP_TUNNEL_ESTABLISHED;
	{
		char eh[ESCAPE_FIELD_MAX];

		tlog(t, "event=tunnel_up peer_host=\"%s\" peer_rws=%u",
		     escape_str(eh, sizeof(eh), t->peer_host_name), t->rel.peer_rws);
	}
	t->ops->up(t->arg, t);
	return -1;
}

static int a_rx_stopccn(struct l2tp_tunnel *t, const struct l2tp_tunnel_evarg *a, uint64_t now)
{
	const struct l2tp_msg *r = a->m;
	bool setup = t->state != L2TP_TUNNEL_ESTABLISHED;
	char why[ESCAPE_FIELD_MAX * 2];

	escape_bytes(why, sizeof(why), r->result_msg.b, r->result_msg.len);
	if (t->peer_tid == 0)
		t->peer_tid = r->assigned_tid;
	tlog_peer(t, "event=stopccn_rx result=%u error=%u msg=\"%s\"", r->result, r->error, why);
	/* 5.7: keep state for a full retransmission cycle to re-ack a lost ZLB. */
	t->hold_until_ms = now + l2tp_rel_cycle_ms(&t->cfg.rel);
	if (t->state != L2TP_TUNNEL_CLOSING)
		tunnel_notify_down(t, setup, r->result, r->error, "StopCCN from peer");
	return 0;
}

static int a_hello(struct l2tp_tunnel *t, const struct l2tp_tunnel_evarg *a, uint64_t now)
{
	struct l2tp_msg m;

	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_HELLO;
	t->stats.hellos_sent++;
	t->last_activity_ms = now;
	tunnel_send_msg(t, 0, &m, now);
	return 0;
}

static int a_session(struct l2tp_tunnel *t, const struct l2tp_tunnel_evarg *a, uint64_t now)
{
	t->ops->session_msg(t->arg, t, a->sid, a->m, a->err, now);
	return 0;
}

static int a_give_up(struct l2tp_tunnel *t, const struct l2tp_tunnel_evarg *a, uint64_t now)
{
	bool setup = t->state != L2TP_TUNNEL_ESTABLISHED;

	const char *why = a->why ? a->why : "peer not answering";

	tlog(t, "event=peer_gone why=\"%s\" retransmits=%llu", why,
	     (unsigned long long)t->rel.stats.retransmits);
	t->hold_until_ms = now;
	tunnel_notify_down(t, setup, 0, 0, why);
	return 0;
}

static int a_closed_quiet(struct l2tp_tunnel *t, const struct l2tp_tunnel_evarg *a, uint64_t now)
{
	t->hold_until_ms = now;
	t->failed_here = true;
	tunnel_notify_down(t, true, a->result, a->error, a->why ? a->why : "closed");
	return 0;
}

/* Our StopCCN was acknowledged (or never will be): the peer has let go, nothing
 * is left to re-acknowledge (5.7 asks the receiver of a StopCCN to hold). */
static int a_hold(struct l2tp_tunnel *t, const struct l2tp_tunnel_evarg *a, uint64_t now)
{
	t->hold_until_ms = now;
	return 0;
}

/* ---- the table ---- */

struct tunnel_row {
	enum l2tp_tunnel_state state;
	enum l2tp_tunnel_event event;
	tunnel_action_fn action;
	const char *action_name;
	int next;                       /* -1: the action sets the state */
};

#define ROW(s, e, a, n) { L2TP_TUNNEL_##s, L2TP_TEV_##e, a, #a, n }
#define STAY -1
static const struct tunnel_row tunnel_table[] = {
	ROW(IDLE, OPEN, a_send_sccrq, L2TP_TUNNEL_WAIT_CTL_REPLY),
	ROW(IDLE, CLOSE, a_closed_quiet, L2TP_TUNNEL_CLOSED),

	ROW(WAIT_CTL_REPLY, RX_SCCRP, a_rx_sccrp, STAY),
	ROW(WAIT_CTL_REPLY, RX_STOPCCN, a_rx_stopccn, L2TP_TUNNEL_CLOSED),
	ROW(WAIT_CTL_REPLY, RX_BAD, a_stop_bad, STAY),
	ROW(WAIT_CTL_REPLY, RX_UNKNOWN, a_stop_bad, STAY),
	ROW(WAIT_CTL_REPLY, HELLO_TIMER, a_ignore, L2TP_TUNNEL_WAIT_CTL_REPLY),
	ROW(WAIT_CTL_REPLY, GIVE_UP, a_give_up, L2TP_TUNNEL_CLOSED),
	ROW(WAIT_CTL_REPLY, CLOSE, a_send_stopccn, STAY),
	ROW(WAIT_CTL_REPLY, ALL_ACKED, a_ignore, L2TP_TUNNEL_WAIT_CTL_REPLY),
	ROW(WAIT_CTL_REPLY, OPEN, a_ignore, L2TP_TUNNEL_WAIT_CTL_REPLY),

	ROW(ESTABLISHED, RX_HELLO, a_ignore, L2TP_TUNNEL_ESTABLISHED),
	ROW(ESTABLISHED, RX_SESSION, a_session, L2TP_TUNNEL_ESTABLISHED),
	ROW(ESTABLISHED, RX_STOPCCN, a_rx_stopccn, L2TP_TUNNEL_CLOSED),
	ROW(ESTABLISHED, RX_BAD, a_stop_bad, STAY),
	ROW(ESTABLISHED, RX_UNKNOWN, a_stop_bad, STAY),
	ROW(ESTABLISHED, HELLO_TIMER, a_hello, L2TP_TUNNEL_ESTABLISHED),
	ROW(ESTABLISHED, GIVE_UP, a_give_up, L2TP_TUNNEL_CLOSED),
	ROW(ESTABLISHED, CLOSE, a_send_stopccn, STAY),
	ROW(ESTABLISHED, ALL_ACKED, a_ignore, L2TP_TUNNEL_ESTABLISHED),
	ROW(ESTABLISHED, OPEN, a_ignore, L2TP_TUNNEL_ESTABLISHED),

	/* Both sides closing at once: their StopCCN ends it as our ack would. */
	ROW(CLOSING, RX_STOPCCN, a_rx_stopccn, L2TP_TUNNEL_CLOSED),
	ROW(CLOSING, ALL_ACKED, a_hold, L2TP_TUNNEL_CLOSED),
	ROW(CLOSING, GIVE_UP, a_hold, L2TP_TUNNEL_CLOSED),
};
#undef ROW

/* What a pair without a row does: once a control connection exists on the
 * wire, an unexpected message is an FSM error (StopCCN result 7); local events
 * and anything after StopCCN are ignored. */
static bool default_is_fsm_error(enum l2tp_tunnel_state s, enum l2tp_tunnel_event e)
{
	if (s != L2TP_TUNNEL_WAIT_CTL_REPLY && s != L2TP_TUNNEL_ESTABLISHED)
		return false;
	return e >= L2TP_TEV_RX_SCCRQ && e <= L2TP_TEV_RX_UNKNOWN;
}

static const struct tunnel_row *tunnel_row_find(enum l2tp_tunnel_state s, enum l2tp_tunnel_event e)
{
	size_t i;

	for (i = 0; i < sizeof(tunnel_table) / sizeof(tunnel_table[0]); i++)
		if (tunnel_table[i].state == s && tunnel_table[i].event == e)
			return &tunnel_table[i];
	return NULL;
}

const char *l2tp_tunnel_outcome(enum l2tp_tunnel_state s, enum l2tp_tunnel_event e, int *next)
{
	const struct tunnel_row *row = tunnel_row_find(s, e);

	if (row) {
		*next = row->next;
		return row->action_name;
	}
	if (default_is_fsm_error(s, e)) {
		*next = L2TP_TUNNEL_CLOSING;
		return "a_fsm_error";
	}
	*next = (int)s;
	return "a_ignore";
}

void l2tp_tunnel_event(struct l2tp_tunnel *t, enum l2tp_tunnel_event ev,
		       const struct l2tp_tunnel_evarg *arg, uint64_t now)
{
	static const struct l2tp_tunnel_evarg none;
	const struct tunnel_row *row = tunnel_row_find(t->state, ev);
	enum l2tp_tunnel_state from = t->state;

	if (!arg)
		arg = &none;
	if (!row) {
		if (default_is_fsm_error(t->state, ev)) {
			tlog_peer(t, "event=%s state=%s outcome=fsm_error", l2tp_tunnel_event_str(ev),
				  l2tp_tunnel_state_str(t->state));
			a_fsm_error(t, arg, now);
		} else {
			log_debug("tid=%u event=%s state=%s outcome=ignored", t->local_tid,
				  l2tp_tunnel_event_str(ev), l2tp_tunnel_state_str(t->state));
		}
		return;
	}
	if (row->action(t, arg, now) == 0 && row->next >= 0)
		t->state = (enum l2tp_tunnel_state)row->next;
	if (t->state != from)
		log_debug("tid=%u ptid=%u fsm=tunnel event=%s from=%s to=%s", t->local_tid, t->peer_tid,
			  l2tp_tunnel_event_str(ev), l2tp_tunnel_state_str(from),
			  l2tp_tunnel_state_str(t->state));
}

void l2tp_tunnel_init(struct l2tp_tunnel *t, uint16_t local_tid, const struct l2tp_tunnel_cfg *cfg,
		      const struct l2tp_tunnel_ops *ops, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->state = L2TP_TUNNEL_IDLE;
	t->local_tid = local_tid;
	t->cfg = *cfg;
	t->ops = ops;
	t->arg = arg;
	l2tp_rel_init(&t->rel, &cfg->rel);
}

void l2tp_tunnel_release(struct l2tp_tunnel *t)
{
	l2tp_rel_free(&t->rel);
}

/* Runs one in-order message through the FSM. */
static void tunnel_process(struct l2tp_tunnel *t, uint16_t sid, const struct l2tp_msg *m,
			   const struct l2tp_dec_err *err, uint64_t now)
{
	struct l2tp_tunnel_evarg a = { .m = m, .sid = sid, .err = err };
	enum l2tp_tunnel_event ev;

	t->stats.rx_msgs++;
	if (err) {
		if (l2tp_msg_is_session(m->type) && err->status != L2TP_DEC_UNKNOWN_TYPE)
			ev = L2TP_TEV_RX_SESSION;
		else if (err->status == L2TP_DEC_UNKNOWN_TYPE)
			ev = L2TP_TEV_RX_UNKNOWN;
		else
			ev = L2TP_TEV_RX_BAD;
		tlog_peer(t, "event=rx_bad msg=%s avp=%s status=%s", l2tp_msg_type_str(m->type),
			  l2tp_avp_type_str(err->avp_type), l2tp_dec_status_str(err->status));
	} else {
		switch (m->type) {
		case L2TP_MSG_SCCRQ: ev = L2TP_TEV_RX_SCCRQ; break;
		case L2TP_MSG_SCCRP: ev = L2TP_TEV_RX_SCCRP; break;
		case L2TP_MSG_SCCCN: ev = L2TP_TEV_RX_SCCCN; break;
		case L2TP_MSG_STOPCCN: ev = L2TP_TEV_RX_STOPCCN; break;
		case L2TP_MSG_HELLO: ev = L2TP_TEV_RX_HELLO; break;
		default: ev = L2TP_TEV_RX_SESSION; break;
		}
		log_debug("tid=%u event=rx msg=%s sid=%u", t->local_tid, l2tp_msg_type_str(m->type),
			  sid);
	}
	l2tp_tunnel_event(t, ev, &a, now);
}

/* Decodes and processes one in-order message. */
static void tunnel_take(struct l2tp_tunnel *t, const uint8_t *pkt, size_t len, uint64_t now)
{
	struct l2tp_hdr h;
	struct l2tp_msg m;
	struct l2tp_dec_err err;

	if (l2tp_hdr_decode(pkt, len, &h) != L2TP_HDR_OK)
		return;
	if (l2tp_msg_decode(pkt + h.payload_off, h.payload_len, t->cfg.secret, t->cfg.secret_len,
			    &m, &err) < 0) {
		if (!err.tear_down) {
			/* An unknown message type without M: ignore it (6). */
			t->stats.rx_bad++;
			tlog_peer(t, "event=rx_ignored status=%s", l2tp_dec_status_str(err.status));
			return;
		}
		/* An SCCRP we cannot take (unknown M AVP, bad value) still names the
		 * LNS's tunnel: address the StopCCN to it (RFC 2661 4.1, 4.2), so
		 * the LNS is not left with a half-open control connection. */
		if (t->peer_tid == 0 && m.type == L2TP_MSG_SCCRP &&
		    l2tp_msg_peek_u16(pkt + h.payload_off, h.payload_len, L2TP_AVP_ASSIGNED_TID,
				      &t->peer_tid))
			tlog_peer(t, "event=sccrp_rejected status=%s", l2tp_dec_status_str(err.status));
		tunnel_process(t, h.sid, &m, &err, now);
		return;
	}
	tunnel_process(t, h.sid, &m, NULL, now);
}

void l2tp_tunnel_input(struct l2tp_tunnel *t, const struct l2tp_hdr *h, const uint8_t *pkt,
		       size_t len, uint64_t now)
{
	uint16_t una = t->rel.una;
	enum l2tp_rel_verdict v;
	struct l2tp_rel_msg *q;
	bool zlb = h->payload_len == 0;

	if (!zlb) {
		struct l2tp_msg m;
		struct l2tp_dec_err err;

		/* A message whose AVP structure is broken is dropped unacknowledged:
		 * nothing in it can be trusted, not even that it is a message. */
		if (l2tp_msg_decode(pkt + h->payload_off, h->payload_len, t->cfg.secret,
				    t->cfg.secret_len, &m, &err) < 0 &&
		    err.status == L2TP_DEC_MALFORMED) {
			t->stats.rx_bad++;
			tlog_peer(t, "event=rx_malformed what=\"%s\"", err.what);
			return;
		}
	}
	v = l2tp_rel_input(&t->rel, h->ns, h->nr, zlb, pkt, len, now, tunnel_tx, t);
	if (v != L2TP_REL_DROPPED)
		t->last_heard_ms = now;
	if (v != L2TP_REL_DELIVER && v != L2TP_REL_ZLB)
		log_debug("tid=%u event=rx_seq verdict=%s ns=%u nr=%u", t->local_tid,
			  l2tp_rel_verdict_str(v), h->ns, t->rel.nr);
	if (t->rel.una != una)
		t->ops->acked(t->arg, t, t->rel.una, now);
	if (v == L2TP_REL_DELIVER) {
		t->last_activity_ms = now;
		tunnel_take(t, pkt, len, now);
		while ((q = l2tp_rel_pop(&t->rel)) != NULL) {
			tunnel_take(t, q->buf, q->len, now);
			free(q);
		}
	}
	if (t->state == L2TP_TUNNEL_CLOSING && l2tp_rel_idle(&t->rel))
		l2tp_tunnel_event(t, L2TP_TEV_ALL_ACKED, NULL, now);
	if (l2tp_rel_ack_due(&t->rel))
		l2tp_rel_send_zlb(&t->rel, t->peer_tid, tunnel_tx, t);
}

void l2tp_tunnel_timer(struct l2tp_tunnel *t, uint64_t now)
{
	if (t->state == L2TP_TUNNEL_CLOSED || t->state == L2TP_TUNNEL_IDLE)
		return;
	if (t->state == L2TP_TUNNEL_WAIT_CTL_REPLY && t->setup_deadline_ms &&
	    now >= t->setup_deadline_ms) {
		/* Acknowledged (or not) but never answered: the peer is as good as
		 * silent, whatever reliable delivery thinks. */
		struct l2tp_tunnel_evarg a = { .why = "no SCCRP within the setup timeout" };

		l2tp_tunnel_event(t, L2TP_TEV_GIVE_UP, &a, now);
		return;
	}
	if (l2tp_rel_timer(&t->rel, now, tunnel_tx, t) < 0) {
		l2tp_tunnel_event(t, L2TP_TEV_GIVE_UP, NULL, now);
		return;
	}
	if (t->state == L2TP_TUNNEL_ESTABLISHED && t->cfg.hello_interval_ms &&
	    now >= t->last_activity_ms + t->cfg.hello_interval_ms && l2tp_rel_idle(&t->rel))
		l2tp_tunnel_event(t, L2TP_TEV_HELLO_TIMER, NULL, now);
}

uint64_t l2tp_tunnel_deadline(const struct l2tp_tunnel *t)
{
	uint64_t d = l2tp_rel_deadline(&t->rel);

	switch (t->state) {
	case L2TP_TUNNEL_CLOSED:
		return t->hold_until_ms;
	case L2TP_TUNNEL_CLOSING:
		if (!d || t->hold_until_ms < d)
			d = t->hold_until_ms;
		return d;
	case L2TP_TUNNEL_WAIT_CTL_REPLY:
		if (t->setup_deadline_ms && (!d || t->setup_deadline_ms < d))
			d = t->setup_deadline_ms;
		return d;
	case L2TP_TUNNEL_ESTABLISHED:
		if (t->cfg.hello_interval_ms && l2tp_rel_idle(&t->rel)) {
			uint64_t h = t->last_activity_ms + t->cfg.hello_interval_ms;

			if (!d || h < d)
				d = h;
		}
		return d;
	default:
		return d;
	}
}

bool l2tp_tunnel_done(const struct l2tp_tunnel *t, uint64_t now)
{
	if (t->state == L2TP_TUNNEL_CLOSING && now >= t->hold_until_ms)
		return true;    /* StopCCN never acknowledged: give up holding */
	return t->state == L2TP_TUNNEL_CLOSED && now >= t->hold_until_ms;
}
