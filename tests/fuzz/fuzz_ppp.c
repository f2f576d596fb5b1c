/* libFuzzer harness: the PPP core (lac-core/src/ppp: LCP, CHAP, PAP, IPCP on
 * the RFC 1661 automaton), both roles wired back to back through queues the
 * fuzzer controls, on a fake clock.
 *
 * Input: a configuration octet, an answers octet, then operations. Each operation octet's low
 * three bits pick the operation, bit 3 the side it acts on (0: the
 * authenticator, the LAC; 1: the client, the subscriber):
 *   0  inject a raw frame into the side (length octet, or with bit 4 a 16-bit
 *      length, then the bytes);
 *   1  deliver the next frame queued towards the side;
 *   2  deliver it with one octet changed (offset octet, xor octet);
 *   3  drop the next frame queued towards the side;
 *   4  advance the clock by (octet + 1) * 50 ms and run due timers of both;
 *   5  close the side gracefully;
 *   6  bit 4 clear: the side sends an IPv4 packet (length octet, bytes);
 *      bit 4 set: the side's access link goes down;
 *   7  deliver every queued frame both ways (at most 64).
 * Configuration octet: bits 0-1 the authenticator's methods (CHAP+PAP,
 * PAP+CHAP, CHAP, PAP), bit 2 no address/control (PPPoE), bit 3 ACCM
 * negotiation (byte stream), bit 4 PFC/ACFC requests, bit 5 an accepted
 * subscriber is handed off (tunnelled) rather than terminated, bit 6 three
 * authentication attempts instead of one, bit 7 LCP echoes every 2 s.
 * The authenticator answers credentials alternately: accept, reject, accept,
 * ... or, with bit 0 of the answers octet set, reject, accept, reject, ...
 *
 * Checks: no crash, leak or sanitizer report; no frame over PPP_FRAME_MAX;
 * timers move forward; `down` is the last thing a session does; after a
 * graceful close and 120 s of timers every session not handed off has
 * called `down` (no hung session). */
#include "fuzz_common.h"


#include "ppp/ppp.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_rng.h"       /* deterministic getrandom(): reproducible runs */

#define QMAX 64

struct queue {
	uint8_t frame[QMAX][PPP_FRAME_MAX];
	size_t len[QMAX];
	size_t head, count;
};

struct side {
	struct ppp_session *s;
	int idx;
	bool down;              /* `down` was called: destroy after the call returns */
	bool handed_off;
	bool up;
	unsigned auth_requests;
	struct queue out;       /* frames this side sent, towards the other */
};

static struct side sides[2];
static uint64_t now;
static unsigned accept_parity;
static bool handoff_on_accept;

static void cb_tx(void *owner, const uint8_t *raw, size_t len)
{
	struct side *sd = owner;
	struct queue *q = &sd->out;

	FUZZ_CHECK(!sd->down, "side %d sent after down", sd->idx);
	FUZZ_CHECK(!sd->handed_off, "side %d sent after handoff", sd->idx);
	FUZZ_CHECK(len >= 1 && len <= PPP_FRAME_MAX, "side %d sent a frame of %zu", sd->idx, len);
	if (q->count == QMAX)
		return;         /* the link is congested: frames are lost */
	size_t i = (q->head + q->count++) % QMAX;
	memcpy(q->frame[i], raw, len);
	q->len[i] = len;
}

static void cb_auth_request(void *owner, const struct ppp_auth_request *req)
{
	struct side *sd = owner;
	struct ppp_proxy_info proxy;
	bool accept;

	FUZZ_CHECK(!sd->down && sd->idx == 0, "auth request to side %d", sd->idx);
	FUZZ_CHECK(req->name_len <= PPP_NAME_MAX && req->name[req->name_len] == '\0',
		   "name of %zu", req->name_len);
	FUZZ_CHECK(req->challenge_len <= PPP_CHALLENGE_MAX && req->response_len <= PPP_RESPONSE_MAX,
		   "challenge %zu response %zu", req->challenge_len, req->response_len);
	FUZZ_CHECK(ppp_session_get_proxy(sd->s, &proxy) == 0, "no proxy record at auth request");
	accept = (sd->auth_requests++ % 2) == accept_parity;
	if (accept && handoff_on_accept) {
		FUZZ_CHECK(ppp_session_handoff(sd->s, &proxy) == 0, "handoff refused");
		FUZZ_CHECK(proxy.initial_rcvd_len <= PPP_PROXY_LCP_MAX &&
			   proxy.last_sent_len <= PPP_PROXY_LCP_MAX &&
			   proxy.last_rcvd_len <= PPP_PROXY_LCP_MAX, "proxy LCP lengths");
		sd->handed_off = true;
		return;
	}
	if (accept) {
		struct in_addr local = { htonl(0x0a000001) }, peer = { htonl(0x0a000002) };
		struct in_addr dns1 = { htonl(0x08080808) }, dns2 = { 0 };

		ppp_session_set_ipcp(sd->s, local, peer, dns1, dns2);
	}
	ppp_session_auth_result(sd->s, accept, accept ? "welcome" : "go away", now);
}

static void cb_auth_result(void *owner, bool success, const char *message)
{
	struct side *sd = owner;

	(void)success;
	FUZZ_CHECK(message != NULL && !sd->down, "auth result");
}

static void cb_up(void *owner, const struct ppp_ip_info *ip)
{
	struct side *sd = owner;

	FUZZ_CHECK(!sd->down && ip != NULL, "up after down");
	sd->up = true;
}

static void cb_down(void *owner, enum ppp_down_cause cause, const char *reason)
{
	struct side *sd = owner;

	FUZZ_CHECK(!sd->down, "side %d down twice", sd->idx);
	FUZZ_CHECK(reason != NULL, "down without a reason");
	sd->down = true;
}

static void cb_ip_rx(void *owner, const uint8_t *pkt, size_t len)
{
	struct side *sd = owner;

	FUZZ_CHECK(!sd->down && (len == 0 || pkt != NULL), "ip rx");
}

static const struct ppp_callbacks cbs = {
	.tx = cb_tx, .auth_request = cb_auth_request, .auth_result = cb_auth_result,
	.up = cb_up, .down = cb_down, .ip_rx = cb_ip_rx,
};

/* Destroys a session once it has said `down`: the owner's duty. */
static void reap(struct side *sd)
{
	if (sd->s && sd->down) {
		ppp_session_destroy(sd->s);
		sd->s = NULL;
	}
}

static bool live(const struct side *sd)
{
	return sd->s != NULL && !sd->down;
}

static void run_timers(struct side *sd)
{
	for (int i = 0; i < 1000 && live(sd); i++) {
		uint64_t t = ppp_session_next_timeout(sd->s);

		if (t == 0 || t > now)
			break;
		ppp_session_timeout(sd->s, now);
		reap(sd);
		if (live(sd))
			FUZZ_CHECK(ppp_session_next_timeout(sd->s) != t ||
				   ppp_session_phase(sd->s) == PPP_PHASE_HANDED_OFF,
				   "side %d: timer at %llu did not move", sd->idx, (unsigned long long)t);
	}
}

/* The read-only views lacctl and the logs use: consistent in every state. */
static void peek(const struct side *sd)
{
	enum ppp_phase ph = ppp_session_phase(sd->s);

	(void)ppp_phase_str(ph);
	(void)ppp_session_tx_accm(sd->s);
	if (ppp_session_ipcp_opened(sd->s)) {
		FUZZ_CHECK(ppp_session_lcp_opened(sd->s), "side %d: IPCP opened without LCP", sd->idx);
		FUZZ_CHECK(ph == PPP_PHASE_NETWORK, "side %d: IPCP opened in phase %s", sd->idx,
			   ppp_phase_str(ph));
		(void)ppp_session_ip_info(sd->s);
	}
}

static void deliver(struct side *to, bool mutate, uint8_t off, uint8_t x)
{
	struct queue *q = &sides[!to->idx].out;
	static uint8_t f[PPP_FRAME_MAX];
	size_t len;

	if (q->count == 0)
		return;
	len = q->len[q->head];
	memcpy(f, q->frame[q->head], len);
	q->head = (q->head + 1) % QMAX;
	q->count--;
	if (mutate && len)
		f[off % len] ^= x;
	if (live(to)) {
		ppp_session_input(to->s, f, len, now);
		reap(to);
	}
}

static void input_raw(struct side *to, const uint8_t *p, size_t len)
{
	/* An exact-size copy, so ASan sees reads past the frame. */
	uint8_t *f = malloc(len ? len : 1);

	if (!f)
		return;
	memcpy(f, p, len);
	if (live(to)) {
		ppp_session_input(to->s, f, len, now);
		reap(to);
	}
	free(f);
}

static void setup(uint8_t c)
{
	static const enum ppp_auth_type orders[4][2] = {
		{ PPP_AUTH_CHAP, PPP_AUTH_PAP }, { PPP_AUTH_PAP, PPP_AUTH_CHAP },
		{ PPP_AUTH_CHAP, PPP_AUTH_NONE }, { PPP_AUTH_PAP, PPP_AUTH_NONE },
	};
	struct ppp_config cfg;

	memset(sides, 0, sizeof(sides));
	for (int i = 0; i < 2; i++) {
		ppp_config_defaults(&cfg);
		snprintf(cfg.ident, sizeof(cfg.ident), "fuzz=%d", i);
		cfg.restart_ms = 1000;
		cfg.auth_timeout_ms = 5000;
		cfg.no_addr_ctl = (c & 4) != 0;
		cfg.async_map = (c & 8) != 0;
		cfg.request_pfc = cfg.request_acfc = (c & 16) != 0;
		cfg.auth_order[0] = orders[c & 3][0];
		cfg.auth_order[1] = orders[c & 3][1];
		cfg.auth_order_len = orders[c & 3][1] == PPP_AUTH_NONE ? 1 : 2;
		cfg.auth_max_attempts = (c & 64) ? 3 : 1;
		cfg.echo_interval_ms = (c & 128) ? 2000 : 0;
		snprintf(cfg.user, sizeof(cfg.user), "user@realm.example");
		snprintf(cfg.password, sizeof(cfg.password), "secret");
		sides[i].idx = i;
		sides[i].s = ppp_session_create(&cfg, i == 0 ? PPP_ROLE_AUTHENTICATOR : PPP_ROLE_CLIENT,
						&cbs, &sides[i]);
		FUZZ_CHECK(sides[i].s != NULL, "create");
	}
	handoff_on_accept = (c & 32) != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	size_t got;
	unsigned ops = 0;

	if (size < 1)
		return 0;
	/* FUZZ_PPP_DEBUG=1 shows every transition when replaying one input. */
	log_set_level(getenv("FUZZ_PPP_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERROR);
	rng_state = 0x2545f4914f6cdd1dull;
	now = 1000;
	setup(fz_u8(&f));
	accept_parity = fz_u8(&f) & 1;
	for (int i = 0; i < 2; i++) {
		ppp_session_lower_up(sides[i].s, now);
		reap(&sides[i]);
	}

	while (f.n > 0 && ops < 4096) {
		uint8_t op = fz_u8(&f);
		struct side *sd = &sides[(op >> 3) & 1];

		ops++;
		if (live(sd))
			peek(sd);
		switch (op & 7) {
		case 0: {
			size_t len = (op & 16) ? fz_u16(&f) : fz_u8(&f);
			const uint8_t *p = fz_bytes(&f, len, &got);

			input_raw(sd, p, got);
			break;
		}
		case 1:
			deliver(sd, false, 0, 0);
			break;
		case 2: {
			uint8_t off = fz_u8(&f), x = fz_u8(&f);

			deliver(sd, true, off, x);
			break;
		}
		case 3: {
			struct queue *q = &sides[!sd->idx].out;

			if (q->count) {
				q->head = (q->head + 1) % QMAX;
				q->count--;
			}
			break;
		}
		case 4:
			now += ((uint64_t)fz_u8(&f) + 1) * 50;
			run_timers(&sides[0]);
			run_timers(&sides[1]);
			break;
		case 5:
			if (live(sd)) {
				ppp_session_close(sd->s, "fuzz close", now);
				reap(sd);
			}
			break;
		case 6:
			if (op & 16) {
				if (live(sd)) {
					ppp_session_lower_down(sd->s, now);
					FUZZ_CHECK(sd->down || sd->handed_off,
						   "side %d: lower down without down", sd->idx);
					reap(sd);
				}
			} else {
				const uint8_t *p = fz_bytes(&f, fz_u8(&f), &got);

				if (live(sd))
					(void)ppp_session_send_ip(sd->s, p, got);
			}
			break;
		default:
			for (int i = 0; i < 64 && (sides[0].out.count || sides[1].out.count); i++) {
				deliver(&sides[1], false, 0, 0);
				deliver(&sides[0], false, 0, 0);
			}
			break;
		}
	}

	/* Wind down: close what is left and let the timers finish it. */
	for (int i = 0; i < 2; i++) {
		struct side *sd = &sides[i];

		if (live(sd) && !sd->handed_off) {
			ppp_session_close(sd->s, "fuzz end", now);
			reap(sd);
		}
	}
	for (int step = 0; step < 120; step++) {
		now += 1000;
		run_timers(&sides[0]);
		run_timers(&sides[1]);
	}
	for (int i = 0; i < 2; i++) {
		struct side *sd = &sides[i];

		FUZZ_CHECK(!live(sd) || sd->handed_off, "side %d still up 120 s after close (phase %s)",
			   i, ppp_phase_str(ppp_session_phase(sd->s)));
		if (sd->s)
			ppp_session_destroy(sd->s);
		sd->s = NULL;
	}
	return 0;
}
