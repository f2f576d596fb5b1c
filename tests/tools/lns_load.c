/* lns_load: an L2TP LNS load peer for capacity benchmarks (bench-lac row d,
 * bench-lac-scale tunnelled rows). Not an LNS for anything else: it accepts
 * every tunnel with the one secret it is given, every call, and every PPP
 * user, and it keeps no more state than it needs to answer.
 *
 *   lns_load --bind ADDR [--secret S] [--window N] [--pool A.B.0.0]
 *            [--report-ms MS] [--echo] [--host-name NAME]
 *
 * What it does (RFC 2661): SCCRQ -> SCCRP (with its own Challenge and the
 * Challenge Response to the LAC's, 5.1.1), SCCCN checked; HELLO, StopCCN and
 * CDN acknowledged; ICRQ -> ICRP, ICCN -> PPP: LCP, CHAP (any response is
 * accepted) and IPCP through lac-core's own PPP engine in the authenticator
 * role (ppp/ppp.h), an address from --pool per session. Control messages are
 * decoded and encoded with lac-core's codec (l2tp/msg.h); datagrams are read
 * and written in batches (l2tp/l2tp_io.h: recvmmsg/sendmmsg). Reliable
 * delivery: in-order Nr/Ns with a receive window of --window (default 4096),
 * ZLB acknowledgements once per receive batch, no more messages outstanding
 * than the LAC's Receive Window Size (5.8; the rest wait in order, counted
 * as window_waits), retransmission of its own unacknowledged messages after
 * 1 s. LCP Echo every 10 s; when PPP goes down (Terminate, or three echoes
 * unanswered) it clears the call with CDN. --echo sends every IPv4 packet of
 * an up session back with source and destination swapped (a reflector for
 * bench-relay).
 *
 * One line "stats key=value..." on stdout every --report-ms (0: only at
 * exit) and at SIGINT/SIGTERM, then it exits. Logs go to stderr. */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "ev/ev.h"
#include "l2tp/l2tp_io.h"
#include "l2tp/msg.h"
#include "l2tp/proto.h"
#include "ppp/ppp.h"
#include "util/log.h"
#include "util/md5.h"
#include "util/random.h"

#define MAX_TUNNELS 4096
#define MAX_SESSIONS 65536     /* per tunnel: session IDs are local to it (RFC 2661 3.1) */
#define RTX_SLOTS 256           /* unacknowledged messages kept per tunnel */
#define RTX_MSG_MAX 1024
#define RTX_MS 1000

struct lns_tunnel;

struct lns_session {
	struct lns_tunnel *t;
	uint16_t sid, peer_sid;
	bool ppp_up;
	bool dead;                      /* PPP is down: CDN sent, freed after the engine call */
	struct ppp_session *ppp;
	struct ev_timer timer;
	struct in_addr addr;
};

struct rtx_slot {
	uint16_t ns;
	uint16_t len;
	uint64_t sent_ms;
	uint8_t buf[RTX_MSG_MAX];
};

/* A control message waiting for the peer's receive window (RFC 2661 5.8):
 * its body is encoded, Ns and Nr are put in when it is sent. */
struct pending_msg {
	struct pending_msg *next;
	uint16_t sid, len;
	uint8_t buf[];
};

struct lns_tunnel {
	uint16_t tid, peer_tid;
	uint16_t peer_rws;              /* the LAC's Receive Window Size, at most RTX_SLOTS */
	struct pending_msg *pend_head, *pend_tail;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	uint16_t ns, nr;                /* next Ns to send, next Ns expected */
	uint16_t acked;                 /* peer's Nr: our messages below are acknowledged */
	bool need_ack;
	bool established;
	uint8_t chal[16];
	unsigned n_sessions;
	struct lns_session **sessions;  /* MAX_SESSIONS, by our sid on this tunnel */
	uint16_t next_sid;
	struct rtx_slot *rtx;           /* RTX_SLOTS, indexed by ns % RTX_SLOTS */
	struct lns_tunnel *ack_next;    /* on the list of tunnels owing a ZLB */
	bool on_ack_list;
};

static struct {
	struct ev_loop *loop;
	struct l2tp_io_sock io;
	const char *secret;
	uint16_t window;
	const char *host_name;
	uint32_t pool_base, pool_next;
	bool echo;
	struct lns_tunnel *tunnels[MAX_TUNNELS];
	uint16_t next_tid;
	struct lns_tunnel *ack_list;
	struct ev_timer rtx_timer, report_timer;
	unsigned report_ms;
	struct {
		uint64_t rx_datagrams, rx_ctrl, rx_data, rx_zlb, rx_bad, rx_dup, rx_out_of_order;
		uint64_t rx_type[32];
		uint64_t tx_ctrl, tx_zlb, tx_data, retransmits, window_waits;
		uint64_t tunnels_up, tunnels_closed, bad_challenge;
		uint64_t sessions_opened, sessions_closed, ppp_up, ppp_down, echoed, cdn_sent;
		uint64_t no_session;
	} st;
} L;

/* ---- output ---- */

static void tx_raw(struct lns_tunnel *t, const uint8_t *buf, size_t len)
{
	l2tp_io_queue(&L.io, buf, len, (const struct sockaddr *)&t->peer, t->peer_len);
}

/* Sends one encoded control message body with the next Ns and our Nr, and
 * keeps it for retransmission. Only within the peer's window: its slot is
 * free then, since the window is at most RTX_SLOTS. */
static void tx_ctrl_now(struct lns_tunnel *t, uint16_t sid, const uint8_t *body, size_t len)
{
	struct rtx_slot *r = &t->rtx[t->ns % RTX_SLOTS];

	memcpy(r->buf + L2TP_CTRL_HDR_LEN, body, len);
	l2tp_ctrl_hdr_put(r->buf, (uint16_t)(len + L2TP_CTRL_HDR_LEN), t->peer_tid, sid, t->ns, t->nr);
	r->ns = t->ns;
	r->len = (uint16_t)(len + L2TP_CTRL_HDR_LEN);
	r->sent_ms = ev_now_ms(L.loop);
	t->ns++;
	t->need_ack = false;
	L.st.tx_ctrl++;
	tx_raw(t, r->buf, r->len);
}

static bool window_open(const struct lns_tunnel *t)
{
	return (uint16_t)(t->ns - t->acked) < t->peer_rws;
}

/* Sends what waits for the window while the window has room. */
static void tx_pending(struct lns_tunnel *t)
{
	while (t->pend_head && window_open(t)) {
		struct pending_msg *p = t->pend_head;

		t->pend_head = p->next;
		if (!t->pend_head)
			t->pend_tail = NULL;
		tx_ctrl_now(t, p->sid, p->buf, p->len);
		free(p);
	}
}

/* Sends one control message, or queues it (in order) while the peer's
 * receive window is full: a burst of thousands of CDNs must not be sent
 * past what the LAC takes, nor overwrite unacknowledged slots. */
static void tx_ctrl(struct lns_tunnel *t, uint16_t sid, struct l2tp_msg *m)
{
	uint8_t body[RTX_MSG_MAX - L2TP_CTRL_HDR_LEN];
	uint8_t rv[16] = { 0 };
	int n = l2tp_msg_encode(m, NULL, 0, rv, body, sizeof(body));
	struct pending_msg *p;

	if (n < 0) {
		log_warn("event=encode_failed type=%u", m->type);
		return;
	}
	if (!t->pend_head && window_open(t)) {
		tx_ctrl_now(t, sid, body, (size_t)n);
		return;
	}
	p = malloc(sizeof(*p) + (size_t)n);
	if (!p) {
		log_warn("event=queue_failed type=%u", m->type);
		return;
	}
	p->next = NULL;
	p->sid = sid;
	p->len = (uint16_t)n;
	memcpy(p->buf, body, (size_t)n);
	if (t->pend_tail)
		t->pend_tail->next = p;
	else
		t->pend_head = p;
	t->pend_tail = p;
	L.st.window_waits++;
}

static void tx_zlb(struct lns_tunnel *t)
{
	uint8_t b[L2TP_CTRL_HDR_LEN];
	l2tp_ctrl_hdr_put(b, L2TP_CTRL_HDR_LEN, t->peer_tid, 0, t->ns, t->nr);
	t->need_ack = false;
	L.st.tx_zlb++;
	tx_raw(t, b, sizeof(b));
}

static void owe_ack(struct lns_tunnel *t)
{
	t->need_ack = true;
	if (!t->on_ack_list) {
		t->on_ack_list = true;
		t->ack_next = L.ack_list;
		L.ack_list = t;
	}
}

static void flush_acks(void)
{
	while (L.ack_list) {
		struct lns_tunnel *t = L.ack_list;
		L.ack_list = t->ack_next;
		t->on_ack_list = false;
		if (t->need_ack)
			tx_zlb(t);
	}
	l2tp_io_flush(&L.io);
}

static void msg_init(struct l2tp_msg *m, uint16_t type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->present = L2TP_AVP_BIT(L2TP_AVP_MESSAGE_TYPE);
}

static void challenge_response(uint8_t type, const uint8_t *chal, size_t len, uint8_t out[16])
{
	struct md5_ctx c;
	md5_init(&c);
	md5_update(&c, &type, 1);
	md5_update(&c, L.secret, strlen(L.secret));
	md5_update(&c, chal, len);
	md5_final(&c, out);
}

/* ---- sessions ---- */

static void sess_arm(struct lns_session *s)
{
	uint64_t when = s->ppp ? ppp_session_next_timeout(s->ppp) : 0;
	if (when)
		ev_timer_start_at(L.loop, &s->timer, when);
	else
		ev_timer_stop(L.loop, &s->timer);
}

static void sess_free(struct lns_session *s)
{
	ev_timer_stop(L.loop, &s->timer);
	if (s->ppp)
		ppp_session_destroy(s->ppp);
	if (s->ppp_up)
		L.st.ppp_down++;
	if (s->t) {
		s->t->sessions[s->sid] = NULL;
		s->t->n_sessions--;
	}
	L.st.sessions_closed++;
	free(s);
}

static void sess_ppp_tx(void *owner, const uint8_t *raw, size_t len)
{
	struct lns_session *s = owner;
	uint8_t b[L2TP_IO_MTU];
	int h = l2tp_data_hdr_put(b, sizeof(b), s->t->peer_tid, s->peer_sid, false, 0, 0, false, len);
	if (h < 0 || (size_t)h + len > sizeof(b))
		return;
	memcpy(b + h, raw, len);
	L.st.tx_data++;
	tx_raw(s->t, b, (size_t)h + len);
}

static void sess_auth_request(void *owner, const struct ppp_auth_request *req)
{
	struct lns_session *s = owner;
	(void)req;
	struct in_addr local = { htonl(L.pool_base | 1) }, none = { 0 };
	ppp_session_set_ipcp(s->ppp, local, s->addr, none, none);
	ppp_session_auth_result(s->ppp, true, "welcome", ev_now_ms(L.loop));
}

static void sess_up(void *owner, const struct ppp_ip_info *ip)
{
	struct lns_session *s = owner;
	(void)ip;
	if (!s->ppp_up) {
		s->ppp_up = true;
		L.st.ppp_up++;
	}
}

static void sess_down(void *owner, enum ppp_down_cause cause, const char *reason)
{
	struct lns_session *s = owner;
	(void)reason;
	if (s->ppp_up) {
		s->ppp_up = false;
		L.st.ppp_down++;
	}
	if (s->dead)
		return;
	/* the subscriber is gone (LCP Terminate or no echo reply): clear the
	 * call (CDN, result 1 lost carrier); freed once the engine returns */
	s->dead = true;
	L.st.cdn_sent++;
	struct l2tp_msg r;
	msg_init(&r, L2TP_MSG_CDN);
	r.present |= L2TP_AVP_BIT(L2TP_AVP_RESULT_CODE) | L2TP_AVP_BIT(L2TP_AVP_ASSIGNED_SID);
	r.result = L2TP_CDN_LOST_CARRIER;
	r.assigned_sid = s->sid;
	tx_ctrl(s->t, s->peer_sid, &r);
}

static void sess_ip_rx(void *owner, const uint8_t *pkt, size_t len)
{
	struct lns_session *s = owner;
	if (!L.echo || len < 20 || len > 2000)
		return;
	uint8_t b[2000];
	memcpy(b, pkt, len);
	memcpy(b + 12, pkt + 16, 4);    /* swap source and destination: sums unchanged */
	memcpy(b + 16, pkt + 12, 4);
	if (ppp_session_send_ip(s->ppp, b, len) == 0)
		L.st.echoed++;
}

static const struct ppp_callbacks sess_cb = {
	.tx = sess_ppp_tx,
	.auth_request = sess_auth_request,
	.up = sess_up,
	.down = sess_down,
	.ip_rx = sess_ip_rx,
};

static void sess_timer(struct ev_loop *loop, struct ev_timer *tm, void *arg)
{
	struct lns_session *s = arg;
	(void)tm;
	if (s->ppp) {
		ppp_session_timeout(s->ppp, ev_now_ms(loop));
		if (s->dead) {
			sess_free(s);
			return;
		}
		sess_arm(s);
	}
}

static void sess_start_ppp(struct lns_session *s)
{
	struct ppp_config pc;
	ppp_config_defaults(&pc);
	snprintf(pc.ident, sizeof(pc.ident), "sid=%u", s->sid);
	snprintf(pc.host_name, sizeof(pc.host_name), "%s", L.host_name);
	pc.auth_order[0] = PPP_AUTH_CHAP;
	pc.auth_order_len = 1;
	pc.echo_interval_ms = 10000;    /* find subscribers that vanished (3 unanswered) */
	s->ppp = ppp_session_create(&pc, PPP_ROLE_AUTHENTICATOR, &sess_cb, s);
	if (!s->ppp)
		return;
	ppp_session_lower_up(s->ppp, ev_now_ms(L.loop));
	sess_arm(s);
}

/* ---- tunnels ---- */

static void tunnel_free(struct lns_tunnel *t)
{
	for (unsigned i = 0; i < MAX_SESSIONS && t->n_sessions; i++)
		if (t->sessions[i])
			sess_free(t->sessions[i]);
	if (t->on_ack_list) {
		struct lns_tunnel **pp = &L.ack_list;
		while (*pp && *pp != t)
			pp = &(*pp)->ack_next;
		if (*pp)
			*pp = t->ack_next;
	}
	L.tunnels[t->tid % MAX_TUNNELS] = NULL;
	L.st.tunnels_closed++;
	while (t->pend_head) {
		struct pending_msg *p = t->pend_head;

		t->pend_head = p->next;
		free(p);
	}
	free(t->rtx);
	free(t->sessions);
	free(t);
}

static struct lns_tunnel *tunnel_by_peer(const struct sockaddr *from, socklen_t len, uint16_t peer_tid)
{
	for (unsigned i = 0; i < MAX_TUNNELS; i++) {
		struct lns_tunnel *t = L.tunnels[i];
		if (t && t->peer_tid == peer_tid && t->peer_len == len && memcmp(&t->peer, from, len) == 0)
			return t;
	}
	return NULL;
}

static void on_sccrq(const struct l2tp_msg *m, const struct sockaddr *from, socklen_t len)
{
	struct lns_tunnel *t = NULL;
	for (unsigned i = 0; i < MAX_TUNNELS && !t; i++) {
		uint16_t tid = (uint16_t)(L.next_tid++ % (MAX_TUNNELS - 1) + 1);
		if (!L.tunnels[tid]) {
			t = calloc(1, sizeof(*t));
			if (!t)
				return;
			t->tid = tid;
		}
	}
	if (!t || !(t->rtx = calloc(RTX_SLOTS, sizeof(*t->rtx))) ||
	    !(t->sessions = calloc(MAX_SESSIONS, sizeof(*t->sessions)))) {
		if (t)
			free(t->rtx);
		free(t);
		return;
	}
	L.tunnels[t->tid] = t;
	t->peer_tid = m->assigned_tid;
	memcpy(&t->peer, from, len);
	t->peer_len = len;
	t->nr = 1;                      /* the SCCRQ (Ns 0) is taken */
	/* RFC 2661 4.4.3: absent, the window is 4 */
	t->peer_rws = l2tp_msg_has(m, L2TP_AVP_RX_WINDOW) && m->rx_window ? m->rx_window : 4;
	if (t->peer_rws > RTX_SLOTS)
		t->peer_rws = RTX_SLOTS;
	random_bytes(t->chal, sizeof(t->chal));

	struct l2tp_msg r;
	msg_init(&r, L2TP_MSG_SCCRP);
	r.present |= L2TP_AVP_BIT(L2TP_AVP_PROTOCOL_VERSION) | L2TP_AVP_BIT(L2TP_AVP_FRAMING_CAP) |
		     L2TP_AVP_BIT(L2TP_AVP_ASSIGNED_TID) | L2TP_AVP_BIT(L2TP_AVP_RX_WINDOW);
	r.proto_ver = 1;
	r.proto_rev = 0;
	r.framing_cap = L2TP_FRAMING_SYNC | L2TP_FRAMING_ASYNC;
	r.assigned_tid = t->tid;
	r.rx_window = L.window;
	l2tp_msg_set_str(&r, L2TP_AVP_HOST_NAME, &r.host_name, L.host_name);
	if (L.secret[0]) {
		l2tp_msg_set_bytes(&r, L2TP_AVP_CHALLENGE, &r.challenge, t->chal, sizeof(t->chal));
		if (l2tp_msg_has(m, L2TP_AVP_CHALLENGE)) {
			uint8_t resp[16];
			challenge_response(L2TP_MSG_SCCRP, m->challenge.b, m->challenge.len, resp);
			l2tp_msg_set_bytes(&r, L2TP_AVP_CHALLENGE_RESPONSE, &r.challenge_response, resp, 16);
		}
	}
	tx_ctrl(t, 0, &r);
}

static void on_ctrl(struct lns_tunnel *t, const struct l2tp_hdr *h, const struct l2tp_msg *m)
{
	struct l2tp_msg r;
	switch (m->type) {
	case L2TP_MSG_SCCCN:
		if (L.secret[0]) {
			uint8_t want[16];
			challenge_response(L2TP_MSG_SCCCN, t->chal, sizeof(t->chal), want);
			if (!l2tp_msg_has(m, L2TP_AVP_CHALLENGE_RESPONSE) || m->challenge_response.len != 16 ||
			    memcmp(want, m->challenge_response.b, 16) != 0) {
				L.st.bad_challenge++;
				msg_init(&r, L2TP_MSG_STOPCCN);
				r.present |= L2TP_AVP_BIT(L2TP_AVP_ASSIGNED_TID) | L2TP_AVP_BIT(L2TP_AVP_RESULT_CODE);
				r.assigned_tid = t->tid;
				r.result = 4;   /* not authorized */
				tx_ctrl(t, 0, &r);
				return;
			}
		}
		t->established = true;
		L.st.tunnels_up++;
		owe_ack(t);
		break;
	case L2TP_MSG_HELLO:
		owe_ack(t);
		break;
	case L2TP_MSG_STOPCCN:
		tx_zlb(t);
		tunnel_free(t);
		break;
	case L2TP_MSG_ICRQ: {
		struct lns_session *s = NULL;
		for (unsigned i = 0; i < MAX_SESSIONS && !s; i++) {
			uint16_t sid = (uint16_t)(t->next_sid++ % (MAX_SESSIONS - 1) + 1);
			if (!t->sessions[sid]) {
				s = calloc(1, sizeof(*s));
				if (s)
					s->sid = sid;
				else
					break;
			}
		}
		if (!s) {
			owe_ack(t);
			break;
		}
		t->sessions[s->sid] = s;
		s->t = t;
		s->peer_sid = m->assigned_sid;
		ev_timer_init(&s->timer, sess_timer, s);
		uint32_t host = ++L.pool_next;
		if ((host & 0xff) == 0 || (host & 0xff) == 0xff)
			host = ++L.pool_next;
		s->addr.s_addr = htonl(L.pool_base | (host & 0xffff));
		t->n_sessions++;
		L.st.sessions_opened++;
		msg_init(&r, L2TP_MSG_ICRP);
		r.present |= L2TP_AVP_BIT(L2TP_AVP_ASSIGNED_SID);
		r.assigned_sid = s->sid;
		tx_ctrl(t, s->peer_sid, &r);
		break;
	}
	case L2TP_MSG_ICCN: {
		struct lns_session *s = t->sessions[h->sid];
		owe_ack(t);
		if (s && !s->ppp)
			sess_start_ppp(s);
		break;
	}
	case L2TP_MSG_CDN: {
		struct lns_session *s = t->sessions[h->sid];
		owe_ack(t);
		if (s)
			sess_free(s);
		break;
	}
	default:
		owe_ack(t);
		break;
	}
}

static void on_ack(struct lns_tunnel *t, uint16_t nr)
{
	/* our messages with Ns before nr are acknowledged (serial arithmetic) */
	if ((uint16_t)(nr - t->acked) <= (uint16_t)(t->ns - t->acked))
		t->acked = nr;
	tx_pending(t);
}

static void on_datagram(void *arg, struct l2tp_io_sock *sock, uint8_t *buf, size_t len,
			const struct sockaddr *from, socklen_t from_len)
{
	(void)arg;
	(void)sock;
	struct l2tp_hdr h;
	L.st.rx_datagrams++;
	if (l2tp_hdr_decode(buf, len, &h) != L2TP_HDR_OK) {
		L.st.rx_bad++;
		return;
	}
	if (!h.control) {
		L.st.rx_data++;
		struct lns_tunnel *dt = L.tunnels[h.tid % MAX_TUNNELS];
		struct lns_session *s = dt && dt->tid == h.tid ? dt->sessions[h.sid] : NULL;
		if (!s || !s->ppp) {
			L.st.no_session++;
			return;
		}
		ppp_session_input(s->ppp, buf + h.payload_off, h.payload_len, ev_now_ms(L.loop));
		if (s->dead)
			sess_free(s);
		else
			sess_arm(s);
		return;
	}
	L.st.rx_ctrl++;
	struct l2tp_msg m;
	struct l2tp_dec_err err;
	if (l2tp_msg_decode(buf + h.payload_off, h.payload_len, (const uint8_t *)L.secret,
			    strlen(L.secret), &m, &err) < 0) {
		L.st.rx_bad++;
		log_warn("event=decode_failed status=%s avp=%u what=%s", l2tp_dec_status_str(err.status),
			 err.avp_type, err.what ? err.what : "");
		return;
	}
	if (m.type < 32)
		L.st.rx_type[m.type]++;
	struct lns_tunnel *t;
	if (h.tid == 0) {
		if (m.type != L2TP_MSG_SCCRQ) {
			L.st.rx_bad++;
			return;
		}
		t = tunnel_by_peer(from, from_len, m.assigned_tid);
		if (!t) {
			on_sccrq(&m, from, from_len);
			return;
		}
	} else {
		t = L.tunnels[h.tid % MAX_TUNNELS];
		if (!t || t->tid != h.tid) {
			L.st.rx_bad++;
			return;
		}
	}
	on_ack(t, h.nr);
	if (m.type == 0) {
		L.st.rx_zlb++;
		return;
	}
	if (h.ns != t->nr) {
		if ((uint16_t)(t->nr - h.ns) <= 32768) {
			L.st.rx_dup++;          /* already taken: acknowledge again */
			owe_ack(t);
		} else {
			L.st.rx_out_of_order++; /* a gap: the LAC retransmits */
		}
		return;
	}
	t->nr++;
	on_ctrl(t, &h, &m);
}

/* ---- timers, signals, main ---- */

static void rtx_tick(struct ev_loop *loop, struct ev_timer *tm, void *arg)
{
	(void)arg;
	uint64_t now = ev_now_ms(loop);
	for (unsigned i = 0; i < MAX_TUNNELS; i++) {
		struct lns_tunnel *t = L.tunnels[i];
		if (!t)
			continue;
		for (uint16_t ns = t->acked; ns != t->ns; ns++) {
			struct rtx_slot *r = &t->rtx[ns % RTX_SLOTS];
			if (r->ns != ns || now - r->sent_ms < RTX_MS)
				continue;
			/* the current Nr in the retransmission */
			l2tp_put16(r->buf + 10, t->nr);
			r->sent_ms = now;
			L.st.retransmits++;
			tx_raw(t, r->buf, r->len);
		}
	}
	l2tp_io_flush(&L.io);
	ev_timer_start(loop, tm, RTX_MS / 2);
}

static void report(void)
{
	unsigned tunnels = 0, sessions = 0;
	for (unsigned i = 0; i < MAX_TUNNELS; i++)
		if (L.tunnels[i]) {
			tunnels++;
			sessions += L.tunnels[i]->n_sessions;
		}
	printf("stats tunnels=%u sessions=%u tunnels_up=%llu tunnels_closed=%llu bad_challenge=%llu "
	       "sessions_opened=%llu sessions_closed=%llu ppp_up=%llu ppp_down=%llu "
	       "rx_datagrams=%llu rx_ctrl=%llu rx_data=%llu rx_zlb=%llu rx_bad=%llu rx_dup=%llu "
	       "rx_out_of_order=%llu no_session=%llu rx_sccrq=%llu rx_scccn=%llu rx_stopccn=%llu "
	       "rx_hello=%llu rx_icrq=%llu rx_iccn=%llu rx_cdn=%llu tx_ctrl=%llu tx_zlb=%llu "
	       "tx_data=%llu retransmits=%llu window_waits=%llu echoed=%llu cdn_sent=%llu tx_dropped=%llu\n",
	       tunnels, sessions, (unsigned long long)L.st.tunnels_up,
	       (unsigned long long)L.st.tunnels_closed, (unsigned long long)L.st.bad_challenge,
	       (unsigned long long)L.st.sessions_opened, (unsigned long long)L.st.sessions_closed,
	       (unsigned long long)L.st.ppp_up, (unsigned long long)L.st.ppp_down,
	       (unsigned long long)L.st.rx_datagrams, (unsigned long long)L.st.rx_ctrl,
	       (unsigned long long)L.st.rx_data, (unsigned long long)L.st.rx_zlb,
	       (unsigned long long)L.st.rx_bad, (unsigned long long)L.st.rx_dup,
	       (unsigned long long)L.st.rx_out_of_order, (unsigned long long)L.st.no_session,
	       (unsigned long long)L.st.rx_type[L2TP_MSG_SCCRQ], (unsigned long long)L.st.rx_type[L2TP_MSG_SCCCN],
	       (unsigned long long)L.st.rx_type[L2TP_MSG_STOPCCN], (unsigned long long)L.st.rx_type[L2TP_MSG_HELLO],
	       (unsigned long long)L.st.rx_type[L2TP_MSG_ICRQ], (unsigned long long)L.st.rx_type[L2TP_MSG_ICCN],
	       (unsigned long long)L.st.rx_type[L2TP_MSG_CDN], (unsigned long long)L.st.tx_ctrl,
	       (unsigned long long)L.st.tx_zlb, (unsigned long long)L.st.tx_data,
	       (unsigned long long)L.st.retransmits, (unsigned long long)L.st.window_waits,
	       (unsigned long long)L.st.echoed, (unsigned long long)L.st.cdn_sent,
	       (unsigned long long)L.io.tx_dropped);
	fflush(stdout);
}

static void report_tick(struct ev_loop *loop, struct ev_timer *tm, void *arg)
{
	(void)arg;
	report();
	ev_timer_start(loop, tm, L.report_ms);
}

static void on_udp(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	(void)arg;
	l2tp_io_recv(&L.io, 1024, on_datagram, NULL);
	flush_acks();
}

static void on_signal(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	(void)events;
	(void)arg;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	ev_loop_stop(loop);
}

static void usage(void)
{
	fprintf(stderr, "usage: lns_load --bind ADDR [--secret S] [--window N] [--pool A.B.0.0] "
			"[--report-ms MS] [--echo] [--host-name NAME] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "secret", required_argument, NULL, 's' },
		{ "window", required_argument, NULL, 'w' },
		{ "pool", required_argument, NULL, 'p' },
		{ "report-ms", required_argument, NULL, 'r' },
		{ "echo", no_argument, NULL, 'e' },
		{ "host-name", required_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bind_addr = NULL, *pool = "10.200.0.0";
	int c, verbose = 0;
	L.secret = "";
	L.window = 4096;
	L.host_name = "lns-load";
	while ((c = getopt_long(argc, argv, "b:s:w:p:r:en:v", opts, NULL)) != -1) {
		switch (c) {
		case 'b': bind_addr = optarg; break;
		case 's': L.secret = optarg; break;
		case 'w': L.window = (uint16_t)atoi(optarg); break;
		case 'p': pool = optarg; break;
		case 'r': L.report_ms = (unsigned)atoi(optarg); break;
		case 'e': L.echo = true; break;
		case 'n': L.host_name = optarg; break;
		case 'v': verbose++; break;
		default: usage();
		}
	}
	struct in_addr pa;
	if (!bind_addr || inet_pton(AF_INET, pool, &pa) != 1 || L.window == 0)
		usage();
	L.pool_base = ntohl(pa.s_addr) & 0xffff0000u;
	log_set_level(verbose ? LOG_LVL_DEBUG : LOG_LVL_WARN);
	if (random_init() < 0) {
		fprintf(stderr, "lns_load: no randomness\n");
		return 1;
	}
	L.loop = ev_loop_create();
	if (!L.loop || l2tp_io_open(&L.io, bind_addr, L2TP_PORT) < 0) {
		perror("lns_load: bind");
		return 1;
	}
	int big = 16 << 20;
	(void)setsockopt(L.io.fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	(void)setsockopt(L.io.fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	ev_io_add(L.loop, L.io.fd, EV_READ, on_udp, NULL);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	ev_io_add(L.loop, sfd, EV_READ, on_signal, NULL);
	ev_timer_init(&L.rtx_timer, rtx_tick, NULL);
	ev_timer_start(L.loop, &L.rtx_timer, RTX_MS / 2);
	if (L.report_ms) {
		ev_timer_init(&L.report_timer, report_tick, NULL);
		ev_timer_start(L.loop, &L.report_timer, L.report_ms);
	}
	fprintf(stderr, "lns_load: listening on %s:%u window=%u\n", bind_addr, L2TP_PORT, L.window);
	ev_loop_run(L.loop);
	report();
	for (unsigned i = 0; i < MAX_TUNNELS; i++)
		if (L.tunnels[i])
			tunnel_free(L.tunnels[i]);
	l2tp_io_close(&L.io);
	ev_loop_destroy(L.loop);
	return 0;
}
