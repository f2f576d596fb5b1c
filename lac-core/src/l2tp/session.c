/* Session state machine, LAC incoming call (RFC 2661 7.4.1, 6.6-6.16). */
#include "l2tp/session.h"

#include <string.h>

#include "util/escape.h"
#include "util/log.h"

/* Per-call events: debug (the subscriber's session_end line is the one line
 * a call leaves at info); failures the peer caused go through log_peer. */
#define slog(f, fmt, ...) \
	log_debug("tid=%u sid=%u psid=%u " fmt, (f)->local_tid, (f)->local_sid, (f)->peer_sid, \
		 ##__VA_ARGS__)

static const char *const state_names[L2TP_SESSION_N_STATES] = {
	"idle", "wait_tunnel", "wait_reply", "wait_ack", "established", "closed",
};
static const char *const event_names[L2TP_SEV_N_EVENTS] = {
	"open", "tunnel_up", "tunnel_down", "rx_icrp", "rx_cdn", "rx_sli", "rx_other", "rx_bad",
	"iccn_acked", "close", "setup_timeout",
};

const char *l2tp_session_state_str(enum l2tp_session_state s)
{
	return (unsigned)s < L2TP_SESSION_N_STATES ? state_names[s] : "unknown";
}

const char *l2tp_session_event_str(enum l2tp_session_event e)
{
	return (unsigned)e < L2TP_SEV_N_EVENTS ? event_names[e] : "unknown";
}

enum l2tp_session_event l2tp_session_event_for(uint16_t msg_type)
{
	switch (msg_type) {
	case L2TP_MSG_ICRP: return L2TP_SEV_RX_ICRP;
	case L2TP_MSG_CDN: return L2TP_SEV_RX_CDN;
	case L2TP_MSG_SLI: return L2TP_SEV_RX_SLI;
	default: return L2TP_SEV_RX_OTHER;
	}
}

void l2tp_session_fsm_init(struct l2tp_session_fsm *f, uint16_t local_sid, uint32_t call_serial,
			   const struct l2tp_call_info *call, uint64_t hide,
			   const struct l2tp_session_fsm_ops *ops, void *arg)
{
	memset(f, 0, sizeof(*f));
	f->state = L2TP_SESSION_IDLE;
	f->local_sid = local_sid;
	f->call_serial = call_serial;
	f->call = call;
	f->hide = hide;
	f->ops = ops;
	f->arg = arg;
}

static void set_why(struct l2tp_session_fsm *f, bool local, uint16_t result, uint16_t error,
		    const char *msg)
{
	struct l2tp_disconnect *w = &f->why;

	memset(w, 0, sizeof(*w));
	w->setup_failed = f->state != L2TP_SESSION_ESTABLISHED;
	w->local = local;
	w->result = result;
	w->error = error;
	if (msg) {
		size_t n = strnlen(msg, sizeof(w->message) - 1);

		memcpy(w->message, msg, n);
		w->message[n] = 0;
	}
}

/* 6.14: CDN with Result Code, our Assigned Session ID and, when given, the
 * RFC 3145 PPP Disconnect Cause (LCP, local direction). */
static void send_cdn(struct l2tp_session_fsm *f, uint16_t result, uint16_t error, const char *msg,
		     uint16_t ppp_cause, uint64_t now)
{
	struct l2tp_msg m;

	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_CDN;
	m.present = L2TP_AVP_BIT(L2TP_AVP_RESULT_CODE) | L2TP_AVP_BIT(L2TP_AVP_ASSIGNED_SID);
	m.result = result;
	m.error = error;
	m.has_error = error != 0 || (msg && *msg);
	if (msg && *msg)
		l2tp_msg_set_str(&m, L2TP_AVP_RESULT_CODE, &m.result_msg, msg);
	m.assigned_sid = f->local_sid;
	if (ppp_cause) {
		m.present |= L2TP_AVP_BIT(L2TP_AVP_PPP_DISCONNECT_CAUSE);
		m.ppp_disc_code = ppp_cause;
		m.ppp_disc_proto = 0xc021;
		m.ppp_disc_dir = 2;     /* RFC 3145: 2 = local (the LAC side) */
	}
	slog(f, "event=cdn_tx result=%u error=%u", result, error);
	f->ops->send(f->arg, f, f->peer_sid, &m, now);
}

typedef int (*session_action_fn)(struct l2tp_session_fsm *f, const struct l2tp_session_evarg *a,
				 uint64_t now);

static int a_ignore(struct l2tp_session_fsm *f, const struct l2tp_session_evarg *a, uint64_t now)
{
	return 0;
}

/* 6.6: ICRQ: Assigned Session ID, Call Serial Number, Bearer Type, numbers. */
static int a_send_icrq(struct l2tp_session_fsm *f, const struct l2tp_session_evarg *a, uint64_t now)
{
	const struct l2tp_call_info *c = f->call;
	struct l2tp_msg m;

	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_ICRQ;
	m.present = L2TP_AVP_BIT(L2TP_AVP_ASSIGNED_SID) | L2TP_AVP_BIT(L2TP_AVP_CALL_SERIAL);
	m.assigned_sid = f->local_sid;
	m.call_serial = f->call_serial;
	if (c->bearer_type) {
		m.bearer_type = c->bearer_type;
		m.present |= L2TP_AVP_BIT(L2TP_AVP_BEARER_TYPE);
	}
	if (c->physical_channel_id) {
		m.phys_channel = c->physical_channel_id;
		m.present |= L2TP_AVP_BIT(L2TP_AVP_PHYS_CHANNEL);
	}
	if (c->calling_number[0])
		l2tp_msg_set_str(&m, L2TP_AVP_CALLING_NUMBER, &m.calling_number, c->calling_number);
	if (c->called_number[0])
		l2tp_msg_set_str(&m, L2TP_AVP_CALLED_NUMBER, &m.called_number, c->called_number);
	if (c->sub_address[0])
		l2tp_msg_set_str(&m, L2TP_AVP_SUB_ADDRESS, &m.sub_address, c->sub_address);
	/* Issue 11: RFC 5515 access-line AVPs, prepared by the caller. */
	if (c->vendor_avps_len && c->vendor_avps_len <= sizeof(m.vendor_avps)) {
		memcpy(m.vendor_avps, c->vendor_avps, c->vendor_avps_len);
		m.vendor_avps_len = c->vendor_avps_len;
	}
	m.hide = f->hide;
	if (f->ops->send(f->arg, f, 0, &m, now) < 0) {
		set_why(f, false, L2TP_CDN_TEMP_RESOURCES, L2TP_ERR_RESOURCES, "cannot send ICRQ");
		f->state = L2TP_SESSION_CLOSED;
		return -1;
	}
	return 0;
}

/* 6.8: ICCN with connect speeds, framing and every proxy AVP the PPP side gave. */
static int a_rx_icrp(struct l2tp_session_fsm *f, const struct l2tp_session_evarg *a, uint64_t now)
{
	const struct l2tp_call_info *c = f->call;
	const struct l2tp_proxy_info *p = &c->proxy;
	struct l2tp_msg m;

	if (a->m->assigned_sid == 0) {
		send_cdn(f, L2TP_CDN_GENERAL, L2TP_ERR_RANGE, "Assigned Session ID 0", 0, now);
		set_why(f, false, L2TP_CDN_GENERAL, L2TP_ERR_RANGE, "ICRP with Assigned Session ID 0");
		f->lns_refused = true;
		f->state = L2TP_SESSION_CLOSED;
		return -1;
	}
	f->peer_sid = a->m->assigned_sid;
	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_ICCN;
	m.present = L2TP_AVP_BIT(L2TP_AVP_TX_SPEED) | L2TP_AVP_BIT(L2TP_AVP_FRAMING_TYPE);
	m.tx_speed = c->tx_connect_speed ? c->tx_connect_speed : 100000000;
	m.framing_type = c->framing_type ? c->framing_type : L2TP_FRAMING_ASYNC;
	if (c->rx_connect_speed) {
		m.rx_speed = c->rx_connect_speed;
		m.present |= L2TP_AVP_BIT(L2TP_AVP_RX_SPEED);
	}
	if (f->sequencing_required)
		m.present |= L2TP_AVP_BIT(L2TP_AVP_SEQ_REQUIRED);
	if (c->private_group_id[0])
		l2tp_msg_set_str(&m, L2TP_AVP_PRIVATE_GROUP, &m.private_group, c->private_group_id);
	if (p->init_rx_lcp_len)
		l2tp_msg_set_bytes(&m, L2TP_AVP_INIT_RX_LCP, &m.init_rx_lcp, p->init_rx_lcp,
				   p->init_rx_lcp_len);
	if (p->last_tx_lcp_len)
		l2tp_msg_set_bytes(&m, L2TP_AVP_LAST_TX_LCP, &m.last_tx_lcp, p->last_tx_lcp,
				   p->last_tx_lcp_len);
	if (p->last_rx_lcp_len)
		l2tp_msg_set_bytes(&m, L2TP_AVP_LAST_RX_LCP, &m.last_rx_lcp, p->last_rx_lcp,
				   p->last_rx_lcp_len);
	if (p->authen_type) {
		m.proxy_auth_type = p->authen_type;
		m.present |= L2TP_AVP_BIT(L2TP_AVP_PROXY_AUTH_TYPE);
		if (p->authen_name[0])
			l2tp_msg_set_str(&m, L2TP_AVP_PROXY_AUTH_NAME, &m.proxy_auth_name,
					 p->authen_name);
		if (p->authen_type == L2TP_PROXY_AUTH_CHAP ||
		    p->authen_type == L2TP_PROXY_AUTH_MSCHAPV1) {
			if (p->authen_challenge_len)
				l2tp_msg_set_bytes(&m, L2TP_AVP_PROXY_AUTH_CHAL, &m.proxy_auth_chal,
						   p->authen_challenge, p->authen_challenge_len);
			m.proxy_auth_id = p->authen_id;
			m.present |= L2TP_AVP_BIT(L2TP_AVP_PROXY_AUTH_ID);
		}
		if (p->authen_type != L2TP_PROXY_AUTH_NONE && p->authen_response_len)
			l2tp_msg_set_bytes(&m, L2TP_AVP_PROXY_AUTH_RESP, &m.proxy_auth_resp,
					   p->authen_response, p->authen_response_len);
	}
	m.hide = f->hide;
	if (f->ops->send(f->arg, f, f->peer_sid, &m, now) < 0) {
		set_why(f, false, L2TP_CDN_TEMP_RESOURCES, L2TP_ERR_RESOURCES, "cannot send ICCN");
		f->state = L2TP_SESSION_CLOSED;
		return -1;
	}
	return 0;
}

static int a_up(struct l2tp_session_fsm *f, const struct l2tp_session_evarg *a, uint64_t now)
{
	f->up_pending = true;
	slog(f, "event=session_up serial=%u", f->call_serial);
	return 0;
}

static int a_rx_cdn(struct l2tp_session_fsm *f, const struct l2tp_session_evarg *a, uint64_t now)
{
	const struct l2tp_msg *m = a->m;
	char msg[L2TP_VAL_MAX + 1];

	memcpy(msg, m->result_msg.b, m->result_msg.len);
	msg[m->result_msg.len] = 0;
	set_why(f, false, m->result, m->error, msg);
	f->lns_refused = f->why.setup_failed;
	if (l2tp_msg_has(m, L2TP_AVP_Q931_CAUSE)) {
		f->why.q931_cause = m->q931_cause;
		f->why.q931_msg = m->q931_msg;
	}
	if (l2tp_msg_has(m, L2TP_AVP_PPP_DISCONNECT_CAUSE)) {
		f->why.ppp_disc_code = m->ppp_disc_code;
		f->why.ppp_disc_proto = m->ppp_disc_proto;
		f->why.ppp_disc_dir = m->ppp_disc_dir;
	}
	if (f->peer_sid == 0)
		f->peer_sid = m->assigned_sid;
	{
		char esc[ESCAPE_FIELD_MAX * 2];

		log_peer("tid=%u sid=%u event=cdn_rx result=%u error=%u msg=\"%s\"", f->local_tid,
			 f->local_sid, m->result, m->error,
			 escape_bytes(esc, sizeof(esc), m->result_msg.b, m->result_msg.len));
	}
	return 0;
}

static int a_tunnel_down(struct l2tp_session_fsm *f, const struct l2tp_session_evarg *a,
			 uint64_t now)
{
	set_why(f, false, a->result, a->error, a->msg ? a->msg : "tunnel down");
	f->why.tunnel = true;
	return 0;
}

static int a_close_quiet(struct l2tp_session_fsm *f, const struct l2tp_session_evarg *a,
			 uint64_t now)
{
	set_why(f, true, a->result, a->error, a->msg);
	return 0;
}

static int a_close_cdn(struct l2tp_session_fsm *f, const struct l2tp_session_evarg *a, uint64_t now)
{
	send_cdn(f, a->result ? a->result : L2TP_CDN_ADMIN, a->error, a->msg, a->ppp_disc_code, now);
	set_why(f, true, a->result, a->error, a->msg);
	return 0;
}

/* 4.2: a session message we cannot take clears the session, not the tunnel. */
static int a_bad_cdn(struct l2tp_session_fsm *f, const struct l2tp_session_evarg *a, uint64_t now)
{
	uint16_t err = a->err ? a->err->error : L2TP_ERR_VENDOR;
	const char *what = a->err ? a->err->what : "bad message";

	if (f->peer_sid == 0 && a->m && a->m->assigned_sid)
		f->peer_sid = a->m->assigned_sid;
	send_cdn(f, L2TP_CDN_GENERAL, err, what, 0, now);
	set_why(f, false, L2TP_CDN_GENERAL, err, what);
	f->lns_refused = f->why.setup_failed;
	return 0;
}

static int a_unexpected_cdn(struct l2tp_session_fsm *f, const struct l2tp_session_evarg *a,
			    uint64_t now)
{
	send_cdn(f, L2TP_CDN_GENERAL, L2TP_ERR_VENDOR, "message not expected in this state", 0, now);
	set_why(f, false, L2TP_CDN_GENERAL, L2TP_ERR_VENDOR, "unexpected message from LNS");
	f->lns_refused = f->why.setup_failed;
	return 0;
}

/* The LNS acknowledged our ICRQ (or ICCN) but never answered: CDN result 10
 * (RFC 2661 4.4.2: not established within the time allotted by the LAC); a
 * setup failure the engine fails over on. */
static int a_setup_timeout(struct l2tp_session_fsm *f, const struct l2tp_session_evarg *a,
			   uint64_t now)
{
	/* a->msg: why the LAC stops waiting before the deadline (an ICMP
	 * unreachable for the tunnel, eng_tunnel.c tun_unreachable) */
	const char *why = a && a->msg ? a->msg : NULL;

	send_cdn(f, L2TP_CDN_TIMEOUT, 0, why ? why : "no answer within the LAC's setup timeout", 0, now);
	set_why(f, false, L2TP_CDN_TIMEOUT, 0, why ? why : "no answer from the LNS within the setup timeout");
	f->lns_refused = true;
	return 0;
}

static int a_sli(struct l2tp_session_fsm *f, const struct l2tp_session_evarg *a, uint64_t now)
{
	f->send_accm = a->m->send_accm;
	f->recv_accm = a->m->recv_accm;
	slog(f, "event=sli_rx send_accm=0x%08x recv_accm=0x%08x", f->send_accm, f->recv_accm);
	return 0;
}

struct session_row {
	enum l2tp_session_state state;
	enum l2tp_session_event event;
	session_action_fn action;
	const char *action_name;
	int next;
};

#define ROW(s, e, a, n) { L2TP_SESSION_##s, L2TP_SEV_##e, a, #a, n }
#define S(x) L2TP_SESSION_##x
static const struct session_row session_table[] = {
	ROW(IDLE, OPEN, a_ignore, S(WAIT_TUNNEL)),
	ROW(IDLE, CLOSE, a_close_quiet, S(CLOSED)),
	ROW(IDLE, TUNNEL_DOWN, a_tunnel_down, S(CLOSED)),

	ROW(WAIT_TUNNEL, TUNNEL_UP, a_send_icrq, S(WAIT_REPLY)),
	ROW(WAIT_TUNNEL, TUNNEL_DOWN, a_tunnel_down, S(CLOSED)),
	ROW(WAIT_TUNNEL, CLOSE, a_close_quiet, S(CLOSED)),

	ROW(WAIT_REPLY, RX_ICRP, a_rx_icrp, S(WAIT_ACK)),
	ROW(WAIT_REPLY, RX_CDN, a_rx_cdn, S(CLOSED)),
	ROW(WAIT_REPLY, RX_BAD, a_bad_cdn, S(CLOSED)),
	ROW(WAIT_REPLY, TUNNEL_DOWN, a_tunnel_down, S(CLOSED)),
	ROW(WAIT_REPLY, CLOSE, a_close_cdn, S(CLOSED)),
	ROW(WAIT_REPLY, TUNNEL_UP, a_ignore, S(WAIT_REPLY)),
	ROW(WAIT_REPLY, SETUP_TIMEOUT, a_setup_timeout, S(CLOSED)),

	ROW(WAIT_ACK, ICCN_ACKED, a_up, S(ESTABLISHED)),
	ROW(WAIT_ACK, RX_CDN, a_rx_cdn, S(CLOSED)),
	ROW(WAIT_ACK, RX_SLI, a_sli, S(WAIT_ACK)),
	ROW(WAIT_ACK, RX_BAD, a_bad_cdn, S(CLOSED)),
	ROW(WAIT_ACK, TUNNEL_DOWN, a_tunnel_down, S(CLOSED)),
	ROW(WAIT_ACK, CLOSE, a_close_cdn, S(CLOSED)),
	ROW(WAIT_ACK, TUNNEL_UP, a_ignore, S(WAIT_ACK)),
	ROW(WAIT_ACK, SETUP_TIMEOUT, a_setup_timeout, S(CLOSED)),

	ROW(ESTABLISHED, RX_CDN, a_rx_cdn, S(CLOSED)),
	ROW(ESTABLISHED, RX_SLI, a_sli, S(ESTABLISHED)),
	ROW(ESTABLISHED, RX_BAD, a_bad_cdn, S(CLOSED)),
	ROW(ESTABLISHED, TUNNEL_DOWN, a_tunnel_down, S(CLOSED)),
	ROW(ESTABLISHED, CLOSE, a_close_cdn, S(CLOSED)),
	ROW(ESTABLISHED, ICCN_ACKED, a_ignore, S(ESTABLISHED)),
	ROW(ESTABLISHED, TUNNEL_UP, a_ignore, S(ESTABLISHED)),
};
#undef ROW
#undef S

/* Pairs without a row: a message the LNS should not have sent once it knows
 * the session gets CDN (result 2); everything else is ignored. */
static bool default_is_cdn(enum l2tp_session_state s, enum l2tp_session_event e)
{
	if (s != L2TP_SESSION_WAIT_REPLY && s != L2TP_SESSION_WAIT_ACK &&
	    s != L2TP_SESSION_ESTABLISHED)
		return false;
	return e == L2TP_SEV_RX_ICRP || e == L2TP_SEV_RX_SLI || e == L2TP_SEV_RX_OTHER;
}

static const struct session_row *session_row_find(enum l2tp_session_state s,
						  enum l2tp_session_event e)
{
	size_t i;

	for (i = 0; i < sizeof(session_table) / sizeof(session_table[0]); i++)
		if (session_table[i].state == s && session_table[i].event == e)
			return &session_table[i];
	return NULL;
}

const char *l2tp_session_outcome(enum l2tp_session_state s, enum l2tp_session_event e, int *next)
{
	const struct session_row *row = session_row_find(s, e);

	if (row) {
		*next = row->next;
		return row->action_name;
	}
	if (default_is_cdn(s, e)) {
		*next = L2TP_SESSION_CLOSED;
		return "a_unexpected_cdn";
	}
	*next = (int)s;
	return "a_ignore";
}

void l2tp_session_fsm_event(struct l2tp_session_fsm *f, enum l2tp_session_event ev,
			    const struct l2tp_session_evarg *arg, uint64_t now)
{
	static const struct l2tp_session_evarg none;
	const struct session_row *row = session_row_find(f->state, ev);
	enum l2tp_session_state from = f->state;

	if (!arg)
		arg = &none;
	if (!row) {
		if (default_is_cdn(f->state, ev)) {
			log_peer("tid=%u sid=%u event=%s state=%s outcome=cdn", f->local_tid,
				 f->local_sid, l2tp_session_event_str(ev),
				 l2tp_session_state_str(f->state));
			a_unexpected_cdn(f, arg, now);
			f->state = L2TP_SESSION_CLOSED;
		} else {
			log_debug("tid=%u sid=%u event=%s state=%s outcome=ignored", f->local_tid,
				  f->local_sid, l2tp_session_event_str(ev),
				  l2tp_session_state_str(f->state));
			return;
		}
	} else if (row->action(f, arg, now) == 0 && row->next >= 0) {
		f->state = (enum l2tp_session_state)row->next;
	}
	if (f->state != from)
		slog(f, "fsm=session event=%s from=%s to=%s", l2tp_session_event_str(ev),
		     l2tp_session_state_str(from), l2tp_session_state_str(f->state));
}
