/* libFuzzer harness: the whole L2TP engine, lac-core/src/l2tp (RFC 2661 LAC
 * side: control connections, incoming calls with proxy AVPs, reliable
 * delivery, the tunnel pool, failover, the dead-cache, the data plane, ICMP
 * errors, shutdown), driven by a fuzzing LNS on a fake clock. The engine's
 * UDP sockets are replaced in memory: the link wraps l2tp_io_open, _close,
 * _recv, _recv_errors, _queue and _flush (-Wl,--wrap, see run.sh), so what
 * the engine sends is checked here and what "the LNS" sends is handed to the
 * engine's own receive path (sock_cb) in a buffer of exactly its length.
 *
 * The fuzzing LNS answers like a peer would when the input asks it to: it
 * follows each tunnel the engine opens (the engine's Assigned Tunnel ID and
 * Challenge from SCCRQ, its Ns), so SCCRP, ICRP, ZLB, CDN, StopCCN and data
 * carry the IDs and sequence numbers the engine expects, and the fuzzer
 * reaches the states behind the handshake; every one can be mutated.
 *
 * Input: a configuration octet
 *   bit 0: candidates carry a tunnel secret (tunnel authentication, hidden AVPs);
 *   bit 1: two candidates (failover) instead of one;
 *   bit 2: data sequencing requested (Sequencing Required in ICCN);
 *   bit 3: at most 2 sessions per tunnel; bit 4: tunnels_per_lns 3;
 *   bit 5: SLI and WEN off; bit 6: HELLO every second; bit 7: 300 ms retransmit,
 * then operations, the low four bits of each operation octet picking it:
 *   0  open a session (l2tp_session_open) to the candidates (octet: proxy
 *      authentication, optional call AVPs, and what the owner does from
 *      inside the callbacks: close in up, ppp_rx, failover or setup_reject,
 *      send or report in up, redial from down; see call_open);
 *   1  SCCRP for the newest tunnel to LNS (octet & 1) (octet: bit 1 wrong
 *      challenge response, bit 2 LNS challenge too, bit 3 mutate);
 *   2  ICRP for the newest session on LNS (octet & 1)'s tunnels, or with
 *      bit 4 set for session (octet >> 5) (bit 2 Assigned Session ID 0,
 *      bit 3 mutate);
 *   3  ZLB acknowledging everything, on tunnel (octet % 8);
 *   4  CDN for session (octet % 16) (result, error octets; the result
 *      octet's bit 7 adds a Q.931 cause and a PPP Disconnect Cause);
 *   5  StopCCN on tunnel (octet % 8) (result octet);
 *   6  a control message of type (octet) on tunnel (octet % 8) and session
 *      (octet), its AVPs raw from the input (length octet, bytes): in
 *      sequence, or with the tunnel octet's bit 6 a duplicate (the last Ns
 *      again), with bit 7 one ahead (one Ns skipped, queued by the engine);
 *   7  a data message for session (octet % 16) (flags, length octet, bytes);
 *   8  a raw datagram from address ((octet & 3) % 3: LNS 1, LNS 2, a
 *      stranger) (16-bit length, bytes); with the octet's bit 2 its Tunnel
 *      and Session IDs are set to those of session (octet >> 3);
 *   9  the clock moves (octet * 40) ms, timers run;
 *   10 the owner closes session (octet % 16) (l2tp_session_close);
 *   11 the owner sends a PPP frame on session (octet % 16) (length octet, bytes);
 *   12 SLI or WEN reported on session (octet % 16);
 *   13 an ICMP error for the last datagram sent to LNS (octet & 1) (quoted
 *      length octet, xor octet);
 *   14 l2tp_engine_shutdown (octet & 1: then the clock runs out its wait);
 *   15 set_limits (octet), stats and the foreach introspection.
 *
 * Checks: every datagram the engine sends decodes (header, and a control
 * message with the candidates' secret); `up` comes at most once and before
 * `down`; nothing comes for a session after `down` or its close; the
 * shutdown's done at most once; destroy frees everything (LeakSanitizer). */
#include "fuzz_common.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ev/ev.h"
#include "l2tp/engine_int.h"
#include "l2tp/l2tp.h"
#include "l2tp/l2tp_io.h"
#include "l2tp/msg.h"
#include "l2tp/tunnel.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __wrap_l2tp_io_open(struct l2tp_io_sock *s, const char *addr, uint16_t port);
void __wrap_l2tp_io_close(struct l2tp_io_sock *s);
unsigned __wrap_l2tp_io_recv(struct l2tp_io_sock *s, unsigned budget, l2tp_io_rx_fn rx, void *arg);
unsigned __wrap_l2tp_io_recv_errors(struct l2tp_io_sock *s, l2tp_io_err_fn fn, void *arg);
int __wrap_l2tp_io_queue(struct l2tp_io_sock *s, const uint8_t *buf, size_t len,
			 const struct sockaddr *to, socklen_t to_len);
unsigned __wrap_l2tp_io_flush(struct l2tp_io_sock *s);

#include "fuzz_rng.h"       /* deterministic getrandom(): reproducible runs */

#define SECRET "fuzz-secret"
#define NLNS 2
#define NTUN 8
#define NSESS 16
#define NCALL 16

/* FUZZ_TRACE=1: what the engine sends and which callbacks come, on stderr
 * (for writing seeds and reading a finding). */
static bool trace;
#define TRACE(...) do { if (trace) fprintf(stderr, __VA_ARGS__); } while (0)

static uint64_t now_ms;
static uint64_t fake_clock(void *arg)
{
	(void)arg;
	return now_ms;
}

static struct sockaddr_in lns_addr[NLNS + 1];   /* the two LNS and a stranger */
static bool with_secret;

/* ---- the fuzzing LNS's view of the engine ---- */
struct ftun {
	bool used;
	unsigned lns;
	uint16_t engine_tid, lns_tid;
	uint16_t ns, nr;                /* our next Ns; the Ns we expect next from the engine */
	uint8_t challenge[64];
	size_t challenge_len;
};
struct fsess {
	bool used;
	unsigned tun;
	uint16_t engine_sid, lns_sid;
	uint16_t data_ns;
};
static struct ftun tuns[NTUN];
static struct fsess sesss[NSESS];
static unsigned newest_tun[NLNS], newest_sess[NLNS];
static bool have_tun[NLNS], have_sess[NLNS];
static uint16_t next_lns_id;
static uint8_t last_sent[NLNS][L2TP_IO_MTU];
static size_t last_sent_len[NLNS];

/* ---- the owner's view of its calls ---- */
/* What the owner does from inside the engine's callbacks (the engine allows
 * any l2tp_* call there but closing from `down`): the re-entrant paths. */
enum call_mode {
	CALL_PLAIN, CALL_CLOSE_IN_UP, CALL_SEND_IN_UP, CALL_CLOSE_IN_PPP, CALL_CLOSE_IN_FAILOVER,
	CALL_CLOSE_IN_REJECT, CALL_OPEN_IN_DOWN, CALL_REPORT_IN_UP
};
struct call {
	struct l2tp_session *s;
	bool up;
	enum call_mode mode;
};
static struct call calls[NCALL];
static unsigned done_calls;

/* ---- the socket stand-in ---- */
static struct l2tp_io_txq fake_txq;
static const uint8_t *inbox;             /* the datagram sock_cb will read */
static size_t inbox_len;
static unsigned inbox_from;
static struct {
	bool pending;
	unsigned lns;
	int err;
	size_t len;
	uint8_t xor;
} icmp;

int __wrap_l2tp_io_open(struct l2tp_io_sock *s, const char *addr, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&s->local;

	(void)addr;
	memset(s, 0, sizeof(*s));
	s->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);        /* never readable */
	if (s->fd < 0)
		return -1;
	s->family = AF_INET;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(0x7f000001);
	s->local_len = sizeof(*sin);
	s->txq = &fake_txq;
	return 0;
}

void __wrap_l2tp_io_close(struct l2tp_io_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->txq = NULL;
}

unsigned __wrap_l2tp_io_recv(struct l2tp_io_sock *s, unsigned budget, l2tp_io_rx_fn rx, void *arg)
{
	uint8_t *copy;

	if (!inbox || budget == 0)
		return 0;
	/* exactly the datagram's length: a read past it is an ASan report */
	copy = malloc(inbox_len ? inbox_len : 1);
	if (!copy)
		return 0;
	memcpy(copy, inbox, inbox_len);
	inbox = NULL;
	rx(arg, s, copy, inbox_len, (const struct sockaddr *)&lns_addr[inbox_from],
	   sizeof(lns_addr[inbox_from]));
	free(copy);
	return 1;
}

unsigned __wrap_l2tp_io_recv_errors(struct l2tp_io_sock *s, l2tp_io_err_fn fn, void *arg)
{
	uint8_t q[L2TP_IO_MTU];
	size_t n;

	if (!icmp.pending)
		return 0;
	icmp.pending = false;
	n = icmp.len < last_sent_len[icmp.lns] ? icmp.len : last_sent_len[icmp.lns];
	memcpy(q, last_sent[icmp.lns], n);
	if (n)
		q[n / 2] ^= icmp.xor;
	fn(arg, s, (const struct sockaddr *)&lns_addr[icmp.lns], sizeof(lns_addr[icmp.lns]), icmp.err,
	   q, n);
	return 1;
}

static int lns_of(const struct sockaddr *to)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)to;

	for (int i = 0; i < NLNS; i++)
		if (sin->sin_family == AF_INET && sin->sin_addr.s_addr == lns_addr[i].sin_addr.s_addr &&
		    sin->sin_port == lns_addr[i].sin_port)
			return i;
	return -1;
}

static struct ftun *tun_by_lns_tid(unsigned lns, uint16_t lns_tid)
{
	for (int i = 0; i < NTUN; i++)
		if (tuns[i].used && tuns[i].lns == lns && tuns[i].lns_tid == lns_tid)
			return &tuns[i];
	return NULL;
}

/* Follows what the engine sent to LNS lns: new tunnels (SCCRQ), new
 * sessions (ICRQ), the engine's Ns. */
static void lns_learn(unsigned lns, const struct l2tp_hdr *h, const struct l2tp_msg *m)
{
	struct ftun *t = NULL;
	int i;

	if (m->type == L2TP_MSG_SCCRQ) {
		for (i = 0; i < NTUN && tuns[i].used; i++)
			;
		if (i == NTUN)
			i = (int)(rng_state % NTUN);  /* forget one */
		t = &tuns[i];
		memset(t, 0, sizeof(*t));
		t->used = true;
		t->lns = lns;
		t->engine_tid = m->assigned_tid;
		t->lns_tid = (uint16_t)(100 + next_lns_id++);
		t->challenge_len = m->challenge.len;
		memcpy(t->challenge, m->challenge.b, m->challenge.len);
		newest_tun[lns] = (unsigned)i;
		have_tun[lns] = true;
	} else {
		t = tun_by_lns_tid(lns, h->tid);
	}
	if (!t)
		return;
	if (m->type != L2TP_MSG_ZLB && h->ns == t->nr)
		t->nr++;
	if (m->type == L2TP_MSG_ICRQ) {
		for (i = 0; i < NSESS && sesss[i].used; i++)
			;
		if (i == NSESS)
			i = (int)(rng_state % NSESS);
		memset(&sesss[i], 0, sizeof(sesss[i]));
		sesss[i].used = true;
		sesss[i].tun = (unsigned)(t - tuns);
		sesss[i].engine_sid = m->assigned_sid;
		sesss[i].lns_sid = (uint16_t)(200 + next_lns_id++);
		newest_sess[lns] = (unsigned)i;
		have_sess[lns] = true;
	}
}

int __wrap_l2tp_io_queue(struct l2tp_io_sock *s, const uint8_t *buf, size_t len,
			 const struct sockaddr *to, socklen_t to_len)
{
	static struct l2tp_msg m;
	struct l2tp_dec_err err;
	struct l2tp_hdr h;
	int lns;

	(void)s;
	(void)to_len;
	if (len > L2TP_IO_MTU)
		return -1;
	FUZZ_CHECK(l2tp_hdr_decode(buf, len, &h) == L2TP_HDR_OK, "sent a datagram whose header does not decode");
	lns = lns_of(to);
	if (lns >= 0) {
		memcpy(last_sent[lns], buf, len);
		last_sent_len[lns] = len;
	}
	if (!h.control) {
		TRACE("tx data lns=%d tid=%u sid=%u len=%zu\n", lns, h.tid, h.sid, len);
		return 0;
	}
	FUZZ_CHECK(l2tp_msg_decode(buf + h.payload_off, h.payload_len,
				   with_secret ? (const uint8_t *)SECRET : NULL,
				   with_secret ? strlen(SECRET) : 0, &m, &err) == 0,
		   "sent a control message that does not decode: %s (AVP %u)", err.what, err.avp_type);
	FUZZ_CHECK(m.type == L2TP_MSG_ZLB || l2tp_msg_type_known(m.type), "sent message type %u", m.type);
	TRACE("tx %s lns=%d tid=%u sid=%u ns=%u nr=%u\n", l2tp_msg_type_str(m.type), lns, h.tid, h.sid,
	      h.ns, h.nr);
	if (lns >= 0)
		lns_learn((unsigned)lns, &h, &m);
	return 0;
}

unsigned __wrap_l2tp_io_flush(struct l2tp_io_sock *s)
{
	(void)s;
	return 0;
}

/* ---- engine callbacks ---- */
static struct l2tp_engine *eng;
static struct ev_loop *loop;
static struct l2tp_candidate cands[2];
static size_t n_cands;

static void call_open(uint8_t o);

/* The owner closes its session from inside a callback. */
static void close_from_callback(struct call *c, const char *why)
{
	l2tp_session_close(c->s, L2TP_CDN_ADMIN, 0, why, 0);
	c->s = NULL;
	c->up = false;
}

/* Every status the engine gives must be whole. */
static void check_status(const struct call *c)
{
	struct l2tp_session_status st;

	if (l2tp_session_get_status(c->s, &st) == 0) {
		FUZZ_CHECK(st.candidate_idx < n_cands, "carried by candidate %u of %zu", st.candidate_idx, n_cands);
		FUZZ_CHECK(st.peer != NULL && st.peer_host_name != NULL, "status without peer");
	}
}

static void ev_up(void *owner, const struct l2tp_session_status *st)
{
	struct call *c = owner;
	static const uint8_t lcp_echo[] = { 0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 1, 2, 3, 4 };
	struct l2tp_wan_errors we = { 1, 2, 3, 4, 5, 6 };

	FUZZ_CHECK(c->s != NULL, "up for a session that is gone");
	FUZZ_CHECK(!c->up, "up twice");
	FUZZ_CHECK(st->peer != NULL, "up without a peer");
	c->up = true;
	TRACE("up call=%d\n", (int)(c - calls));
	check_status(c);
	switch (c->mode) {
	case CALL_CLOSE_IN_UP:
		close_from_callback(c, "closed in up");
		break;
	case CALL_SEND_IN_UP:
		FUZZ_CHECK(l2tp_session_send_ppp(c->s, lcp_echo, sizeof(lcp_echo)) == 0, "cannot send once up");
		break;
	case CALL_REPORT_IN_UP:
		l2tp_session_report_sli(c->s, 0, 0xffffffffu);
		l2tp_session_report_wen(c->s, &we);
		break;
	default:
		break;
	}
}

static void ev_failover(void *owner, unsigned from_idx, unsigned to_idx, const char *reason)
{
	struct call *c = owner;

	FUZZ_CHECK(c->s != NULL, "failover for a session that is gone");
	FUZZ_CHECK(to_idx < n_cands && from_idx < n_cands, "failover %u -> %u of %zu", from_idx, to_idx,
		   n_cands);
	FUZZ_CHECK(reason != NULL, "failover without a reason");
	TRACE("failover call=%d %u -> %u\n", (int)(c - calls), from_idx, to_idx);
	if (c->mode == CALL_CLOSE_IN_FAILOVER)
		close_from_callback(c, "closed in failover");
}

static void ev_down(void *owner, const struct l2tp_disconnect *why)
{
	struct call *c = owner;

	FUZZ_CHECK(c->s != NULL, "down twice, or for a closed session");
	FUZZ_CHECK(memchr(why->message, 0, sizeof(why->message)) != NULL, "message not terminated");
	TRACE("down call=%d setup_failed=%d result=%u\n", (int)(c - calls), why->setup_failed, why->result);
	c->s = NULL;
	c->up = false;
	if (c->mode == CALL_OPEN_IN_DOWN) {
		c->mode = CALL_PLAIN;   /* once: a redial, not a loop */
		call_open(0);
	}
}

static void ev_ppp_rx(void *owner, const uint8_t *frame, size_t len)
{
	struct call *c = owner;
	volatile uint8_t sink = 0;

	FUZZ_CHECK(c->s != NULL, "PPP for a session that is gone");
	for (size_t i = 0; i < len; i++)
		sink ^= frame[i];       /* every byte handed over must be readable */
	(void)sink;
	check_status(c);
	if (c->mode == CALL_CLOSE_IN_PPP)
		close_from_callback(c, "closed in ppp_rx");
}

static void ev_setup_reject(void *owner, const struct l2tp_setup_reject *r)
{
	struct call *c = owner;

	FUZZ_CHECK(c->s != NULL, "setup_reject for a session that is gone");
	FUZZ_CHECK(r->candidate_idx < n_cands, "reject of candidate %u", r->candidate_idx);
	FUZZ_CHECK(r->why != NULL && r->peer_host_name != NULL, "reject without why/host");
	TRACE("setup_reject call=%d link=%d\n", (int)(c - calls), r->link);
	if (c->mode == CALL_CLOSE_IN_REJECT)
		close_from_callback(c, "closed in setup_reject");
}

static const struct l2tp_session_events events = {
	.up = ev_up, .failover = ev_failover, .down = ev_down, .ppp_rx = ev_ppp_rx,
	.setup_reject = ev_setup_reject,
};

static void shutdown_done(void *arg)
{
	(void)arg;
	done_calls++;
	FUZZ_CHECK(done_calls == 1, "shutdown done %u times", done_calls);
}

static void count_tunnel(void *arg, const struct l2tp_tunnel_info *ti)
{
	FUZZ_CHECK(ti->state != NULL, "tunnel without a state");
	(*(unsigned *)arg)++;
}

static void count_session(void *arg, const struct l2tp_session_info *si)
{
	FUZZ_CHECK(si->state != NULL, "session without a state");
	(*(unsigned *)arg)++;
}

/* ---- the fuzzing LNS's messages ---- */

static void run_loop(void)
{
	for (int i = 0; i < 3; i++)
		ev_loop_run_once(loop, 0);
}

/* Hands one datagram from address `from` to the engine's receive path. */
static void deliver(unsigned from, const uint8_t *buf, size_t len)
{
	if (!eng || eng->n_socks == 0)
		return;
	inbox = buf;
	inbox_len = len;
	inbox_from = from;
	sock_cb(loop, eng->socks[0].fd, EV_READ, eng);
	inbox = NULL;
	run_loop();
}

/* Encodes m as the next message on t (Ns/Nr), optionally mutates one octet,
 * delivers it. sid: the header's Session ID. */
static void send_ctrl(struct ftun *t, uint16_t sid, const struct l2tp_msg *m, struct fz *f, bool mutate)
{
	static const uint8_t rv[16] = "fuzz-rv-0123456";
	uint8_t buf[L2TP_IO_MTU];
	int n = l2tp_msg_encode(m, (const uint8_t *)SECRET, with_secret ? strlen(SECRET) : 0, rv,
				buf + 12, sizeof(buf) - 12);

	if (n < 0)
		return;
	l2tp_ctrl_hdr_put(buf, (uint16_t)(12 + n), t->engine_tid, sid, t->ns, t->nr);
	if (m->type != L2TP_MSG_ZLB)
		t->ns++;
	if (mutate) {
		uint16_t off = fz_u16(f);

		buf[off % (12 + n)] ^= fz_u8(f) | 1;
	}
	deliver(t->lns, buf, 12 + (size_t)n);
}

static void op_sccrp(struct fz *f)
{
	uint8_t o = fz_u8(f);
	unsigned lns = o & 1;
	struct ftun *t;
	static struct l2tp_msg m;

	if (!have_tun[lns])
		return;
	t = &tuns[newest_tun[lns]];
	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_SCCRP;
	m.present = L2TP_AVP_BIT(L2TP_AVP_PROTOCOL_VERSION) | L2TP_AVP_BIT(L2TP_AVP_FRAMING_CAP) |
		    L2TP_AVP_BIT(L2TP_AVP_ASSIGNED_TID) | L2TP_AVP_BIT(L2TP_AVP_RX_WINDOW);
	m.proto_ver = 1;
	m.proto_rev = 0;
	m.framing_cap = 3;
	m.assigned_tid = t->lns_tid;
	m.rx_window = (uint16_t)(fz_u8(f) % 10);
	l2tp_msg_set_str(&m, L2TP_AVP_HOST_NAME, &m.host_name, lns ? "lns2" : "lns1");
	if (with_secret && t->challenge_len) {
		l2tp_challenge_response(L2TP_MSG_SCCRP, (const uint8_t *)SECRET, strlen(SECRET),
					t->challenge, t->challenge_len, m.challenge_response.b);
		if (o & 2)
			m.challenge_response.b[0] ^= 1;
		m.challenge_response.len = 16;
		m.present |= L2TP_AVP_BIT(L2TP_AVP_CHALLENGE_RESPONSE);
	}
	if (o & 4)
		l2tp_msg_set_bytes(&m, L2TP_AVP_CHALLENGE, &m.challenge, "lns-challenge-16", 16);
	send_ctrl(t, 0, &m, f, o & 8);
}

static void op_icrp(struct fz *f)
{
	uint8_t o = fz_u8(f);
	unsigned lns = o & 1;
	struct fsess *s;
	static struct l2tp_msg m;

	if (o & 0x10)
		s = &sesss[o >> 5];
	else if (have_sess[lns])
		s = &sesss[newest_sess[lns]];
	else
		return;
	if (!s->used)
		return;
	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_ICRP;
	m.present = L2TP_AVP_BIT(L2TP_AVP_ASSIGNED_SID);
	m.assigned_sid = (o & 4) ? 0 : s->lns_sid;
	send_ctrl(&tuns[s->tun], s->engine_sid, &m, f, o & 8);
}

static void op_zlb(struct fz *f)
{
	struct ftun *t = &tuns[fz_u8(f) % NTUN];
	static struct l2tp_msg m;

	if (!t->used)
		return;
	memset(&m, 0, sizeof(m));
	send_ctrl(t, 0, &m, f, false);
}

static void op_cdn(struct fz *f)
{
	struct fsess *s = &sesss[fz_u8(f) % NSESS];
	static struct l2tp_msg m;
	uint8_t r;

	if (!s->used)
		return;
	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_CDN;
	m.present = L2TP_AVP_BIT(L2TP_AVP_RESULT_CODE) | L2TP_AVP_BIT(L2TP_AVP_ASSIGNED_SID);
	r = fz_u8(f);
	m.result = (r & 0x7f) % 12;
	m.error = fz_u8(f) % 10;
	m.has_error = m.error != 0;
	m.assigned_sid = s->lns_sid;
	if (r & 0x80) {
		m.present |= L2TP_AVP_BIT(L2TP_AVP_Q931_CAUSE) | L2TP_AVP_BIT(L2TP_AVP_PPP_DISCONNECT_CAUSE);
		m.q931_cause = 16;
		m.q931_msg = 0x45;
		m.ppp_disc_code = 5;
		m.ppp_disc_proto = 0xc021;
		m.ppp_disc_dir = 1;
		l2tp_msg_set_str(&m, L2TP_AVP_PPP_DISCONNECT_CAUSE, &m.ppp_disc_msg, "peer terminated");
	}
	send_ctrl(&tuns[s->tun], s->engine_sid, &m, f, false);
	s->used = false;
}

static void op_stopccn(struct fz *f)
{
	struct ftun *t = &tuns[fz_u8(f) % NTUN];
	static struct l2tp_msg m;

	if (!t->used)
		return;
	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_STOPCCN;
	m.present = L2TP_AVP_BIT(L2TP_AVP_RESULT_CODE) | L2TP_AVP_BIT(L2TP_AVP_ASSIGNED_TID);
	m.result = fz_u8(f) % 8;
	m.assigned_tid = t->lns_tid;
	send_ctrl(t, 0, &m, f, false);
}

/* A message of any type in sequence, its AVPs straight from the input (after
 * the Message Type AVP). */
static void op_raw_ctrl(struct fz *f)
{
	uint8_t type = fz_u8(f);
	uint8_t to = fz_u8(f);
	struct ftun *t = &tuns[to % NTUN];
	struct fsess *s = &sesss[fz_u8(f) % NSESS];
	uint8_t buf[12 + 8 + 255];
	size_t n;
	const uint8_t *avps = fz_bytes(f, fz_u8(f), &n);
	uint16_t ns;

	if (!t->used)
		return;
	if (to & 0x40) {
		ns = (uint16_t)(t->ns - 1);
	} else if (to & 0x80) {
		ns = (uint16_t)(t->ns + 1);   /* the next in-sequence message fills the gap */
	} else {
		ns = t->ns++;
	}
	/* Message Type AVP: M, length 8, vendor 0, type 0 */
	buf[12] = 0x80; buf[13] = 8; buf[14] = 0; buf[15] = 0; buf[16] = 0; buf[17] = 0;
	buf[18] = 0; buf[19] = type;
	memcpy(buf + 20, avps, n);
	l2tp_ctrl_hdr_put(buf, (uint16_t)(20 + n), t->engine_tid, s->used ? s->engine_sid : 0, ns, t->nr);
	deliver(t->lns, buf, 20 + n);
}

static void op_data(struct fz *f)
{
	struct fsess *s = &sesss[fz_u8(f) % NSESS];
	uint8_t flags = fz_u8(f);
	uint8_t buf[16 + 255];
	size_t n;
	const uint8_t *ppp = fz_bytes(f, fz_u8(f), &n);
	int h;

	if (!s->used)
		return;
	h = l2tp_data_hdr_put(buf, sizeof(buf), tuns[s->tun].engine_tid, s->engine_sid, flags & 1,
			      s->data_ns++, 0, flags & 2, n);
	if (h < 0)
		return;
	memcpy(buf + h, ppp, n);
	deliver(tuns[s->tun].lns, buf, (size_t)h + n);
}

static void op_raw(struct fz *f)
{
	uint8_t o = fz_u8(f);
	unsigned from = (o & 3) % (NLNS + 1);
	size_t n;
	const uint8_t *p = fz_bytes(f, fz_u16(f) % 2048, &n);
	uint8_t buf[2048];
	struct fsess *s = &sesss[(o >> 3) % NSESS];

	memcpy(buf, p, n);
	if ((o & 4) && s->used) {
		/* RFC 2661 3.1: Tunnel ID after the flags and the optional Length */
		size_t at = (n >= 1 && (buf[0] & 0x40)) ? 4 : 2;

		if (n >= at + 4) {
			buf[at] = (uint8_t)(tuns[s->tun].engine_tid >> 8);
			buf[at + 1] = (uint8_t)tuns[s->tun].engine_tid;
			buf[at + 2] = (uint8_t)(s->engine_sid >> 8);
			buf[at + 3] = (uint8_t)s->engine_sid;
		}
	}
	deliver(from, buf, n);
}

static struct call *call_at(struct fz *f)
{
	struct call *c = &calls[fz_u8(f) % NCALL];

	return c->s ? c : NULL;
}

/* Opens a call in a free slot. o: bit 0 CHAP (else PAP) proxy
 * authentication; bit 1 the optional call AVPs (bearer, physical channel,
 * sub-address, Rx speed, private group, vendor AVPs); bits 2-4 the call's
 * enum call_mode. */
static void call_open(uint8_t o)
{
	static struct l2tp_call_info ci;
	static const uint8_t vendor_avp[] = { 0x00, 0x0c, 0x00, 0x00, 0x0d, 0xe9, 0x00, 0x01, 'c', 'i', 'r', 'c' };
	struct call *c = NULL;

	for (int i = 0; i < NCALL; i++)
		if (!calls[i].s) {
			c = &calls[i];
			break;
		}
	if (!c)
		return;
	memset(&ci, 0, sizeof(ci));
	snprintf(ci.calling_number, sizeof(ci.calling_number), "02:00:00:00:00:%02x", o);
	snprintf(ci.called_number, sizeof(ci.called_number), "lac-fuzz");
	ci.proxy.authen_type = (o & 1) ? L2TP_PROXY_AUTH_CHAP : L2TP_PROXY_AUTH_PAP;
	snprintf(ci.proxy.authen_name, sizeof(ci.proxy.authen_name), "user%u@corp.example", o);
	memcpy(ci.proxy.authen_challenge, "0123456789abcdef", 16);
	ci.proxy.authen_challenge_len = 16;
	ci.proxy.authen_id = o;
	memcpy(ci.proxy.authen_response, "response-0123456", 16);
	ci.proxy.authen_response_len = 16;
	memcpy(ci.proxy.init_rx_lcp, "\x01\x04\x05\xd4\x05\x06\x11\x22\x33\x44", 10);
	ci.proxy.init_rx_lcp_len = 10;
	memcpy(ci.proxy.last_rx_lcp, ci.proxy.init_rx_lcp, 10);
	ci.proxy.last_rx_lcp_len = 10;
	memcpy(ci.proxy.last_tx_lcp, "\x03\x05\xc2\x23\x05", 5);
	ci.proxy.last_tx_lcp_len = 5;
	if (o & 2) {
		ci.bearer_type = L2TP_BEARER_DIGITAL;
		ci.physical_channel_id = 7;
		snprintf(ci.sub_address, sizeof(ci.sub_address), "sub-%u", o);
		ci.tx_connect_speed = 1000000;
		ci.rx_connect_speed = 2000000;
		snprintf(ci.private_group_id, sizeof(ci.private_group_id), "vrf-corp");
		memcpy(ci.vendor_avps, vendor_avp, sizeof(vendor_avp));
		ci.vendor_avps_len = sizeof(vendor_avp);
	}
	c->up = false;
	c->mode = (enum call_mode)((o >> 2) & 7);
	c->s = l2tp_session_open(eng, cands, n_cands, &ci, &events, c);
}

static void op_open(struct fz *f)
{
	call_open(fz_u8(f));
	run_loop();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct l2tp_engine_config cfg;
	struct l2tp_engine_stats st;
	uint8_t conf = fz_u8(&f);
	unsigned ops = 0, counted;
	bool shut = false;

	trace = getenv("FUZZ_TRACE") != NULL;
	log_set_level((enum log_level)(LOG_LVL_ERROR + 1));   /* quiet: the fuzzer runs millions */
	rng_state = 0x9e3779b97f4a7c15ull;
	now_ms = 1000000;
	memset(tuns, 0, sizeof(tuns));
	memset(sesss, 0, sizeof(sesss));
	memset(calls, 0, sizeof(calls));
	memset(have_tun, 0, sizeof(have_tun));
	memset(have_sess, 0, sizeof(have_sess));
	memset(last_sent_len, 0, sizeof(last_sent_len));
	memset(&icmp, 0, sizeof(icmp));
	next_lns_id = 0;
	done_calls = 0;
	with_secret = conf & 1;
	for (int i = 0; i <= NLNS; i++) {
		memset(&lns_addr[i], 0, sizeof(lns_addr[i]));
		lns_addr[i].sin_family = AF_INET;
		lns_addr[i].sin_port = htons(1701);
		lns_addr[i].sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)i);
	}

	memset(cands, 0, sizeof(cands));
	n_cands = (conf & 2) ? 2 : 1;
	for (int i = 0; i < 2; i++) {
		memcpy(&cands[i].addr, &lns_addr[i], sizeof(lns_addr[i]));
		cands[i].addr_len = sizeof(lns_addr[i]);
		if (with_secret)
			snprintf(cands[i].secret, sizeof(cands[i].secret), "%s", SECRET);
		snprintf(cands[i].assignment_id, sizeof(cands[i].assignment_id), "corp-lns%d", i + 1);
		cands[i].preference = (uint32_t)i + 1;
	}

	loop = ev_loop_create();
	if (!loop)
		return 0;
	ev_loop_set_clock(loop, fake_clock, NULL);
	l2tp_engine_config_default(&cfg);
	snprintf(cfg.bind[0], sizeof(cfg.bind[0]), "127.0.0.1");
	cfg.n_bind = 1;
	cfg.data_sequencing = conf & 4;
	if (conf & 8)
		cfg.max_sessions_per_tunnel = 2;
	if (conf & 16)
		cfg.tunnels_per_lns = 3;
	cfg.send_sli_wen = !(conf & 32);
	cfg.hello_interval_s = (conf & 64) ? 1 : 60;
	if (conf & 128)
		cfg.retransmit_initial_ms = 300;
	eng = l2tp_engine_create(loop, &cfg);
	if (!eng) {
		ev_loop_destroy(loop);
		return 0;
	}

	while (f.n > 0 && ops++ < 256) {
		uint8_t op = fz_u8(&f);
		struct call *c;

		TRACE("op %u\n", op & 15);
		uint8_t ppp[256];
		size_t n;
		const uint8_t *p;

		switch (op & 15) {
		case 0:
			op_open(&f);
			break;
		case 1:
			op_sccrp(&f);
			break;
		case 2:
			op_icrp(&f);
			break;
		case 3:
			op_zlb(&f);
			break;
		case 4:
			op_cdn(&f);
			break;
		case 5:
			op_stopccn(&f);
			break;
		case 6:
			op_raw_ctrl(&f);
			break;
		case 7:
			op_data(&f);
			break;
		case 8:
			op_raw(&f);
			break;
		case 9:
			now_ms += (uint64_t)fz_u8(&f) * 40;
			run_loop();
			break;
		case 10:
			c = call_at(&f);
			if (c) {
				l2tp_session_close(c->s, L2TP_CDN_ADMIN, 0, "fuzz close", fz_u8(&f) & 1 ? 3 : 0);
				c->s = NULL;
				run_loop();
			}
			break;
		case 11:
			c = call_at(&f);
			p = fz_bytes(&f, fz_u8(&f), &n);
			memcpy(ppp, p, n);
			if (c) {
				(void)l2tp_session_send_ppp(c->s, ppp, n);
				run_loop();
			}
			break;
		case 12:
			c = call_at(&f);
			if (c) {
				struct l2tp_wan_errors we = { 1, 2, 3, 4, 5, 6 };

				if (fz_u8(&f) & 1)
					l2tp_session_report_wen(c->s, &we);
				else
					l2tp_session_report_sli(c->s, 0, 0xffffffffu);
				run_loop();
			}
			break;
		case 13: {
			uint8_t o = fz_u8(&f);

			icmp.pending = true;
			icmp.lns = o & 1;
			icmp.err = (o & 2) ? ECONNREFUSED : EHOSTUNREACH;
			icmp.len = fz_u8(&f) * 4u;
			icmp.xor = fz_u8(&f);
			sock_cb(loop, eng->socks[0].fd, EV_READ | EV_ERROR, eng);
			icmp.pending = false;
			run_loop();
			break;
		}
		case 14:
			if (!shut) {
				shut = true;
				l2tp_engine_shutdown(eng, shutdown_done, NULL);
				run_loop();
				if (fz_u8(&f) & 1) {
					for (int i = 0; i < 40; i++) {
						now_ms += 1000;
						run_loop();
					}
				}
			}
			break;
		case 15: {
			struct l2tp_engine_config lim = cfg;

			lim.max_sessions_per_tunnel = fz_u8(&f) % 4;
			lim.tunnels_per_lns = 1 + (op >> 4) % 4;
			l2tp_engine_set_limits(eng, &lim);
			l2tp_engine_get_stats(eng, &st);
			counted = 0;
			l2tp_engine_foreach(eng, count_tunnel, count_session, &counted);
			(void)l2tp_engine_endpoint_dead(eng, (const struct sockaddr *)&lns_addr[0],
							sizeof(lns_addr[0]));
			break;
		}
		}
	}
	/* Run out every timer a little: retransmissions, setup deadlines, lingering. */
	for (int i = 0; i < 8; i++) {
		now_ms += 5000;
		run_loop();
	}
	l2tp_engine_get_stats(eng, &st);
	l2tp_engine_destroy(eng);
	eng = NULL;
	ev_loop_destroy(loop);
	loop = NULL;
	return 0;
}
