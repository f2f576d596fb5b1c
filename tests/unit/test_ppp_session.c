/* PPP core driven with a fake clock: scripted peers against the authenticator
 * and the client role, and the two roles wired back to back. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppp/ppp.h"
#include "util/log.h"
#include "util/md5.h"

#define MAXF 256

struct peer {
	struct ppp_session *s;
	uint8_t tx[MAXF][1600];
	size_t tx_len[MAXF];
	size_t ntx;
	size_t seen;                    /* frames already consumed by the test */
	int auth_requests;
	struct ppp_auth_request last_req;
	int ups;
	struct ppp_ip_info ip;
	int downs;
	enum ppp_down_cause down_cause;
	char down_reason[300];
	bool destroy_in_tx;             /* owner frees the session from inside tx */
	int auth_results;
	bool auth_ok;
	int ip_rx;
	/* back to back */
	struct peer *other;
	bool auto_accept;               /* authenticator answers at once */
	const char *good_password;
};

static void cb_tx(void *o, const uint8_t *raw, size_t len)
{
	struct peer *p = o;
	cr_assert_lt(p->ntx, MAXF);
	cr_assert_leq(len, sizeof(p->tx[0]));
	memcpy(p->tx[p->ntx], raw, len);
	p->tx_len[p->ntx++] = len;
	if (p->destroy_in_tx) {
		p->destroy_in_tx = false;
		ppp_session_destroy(p->s); /* issue 8 item 1: must not free under the FSM */
		p->s = NULL;
	}
}

static bool chap_ok(const struct ppp_auth_request *r, const char *password)
{
	struct md5_ctx c;
	uint8_t d[16];
	md5_init(&c);
	md5_update(&c, &r->chap_id, 1);
	md5_update(&c, password, strlen(password));
	md5_update(&c, r->challenge, r->challenge_len);
	md5_final(&c, d);
	return r->response_len == 16 && memcmp(d, r->response, 16) == 0;
}

static void cb_auth_request(void *o, const struct ppp_auth_request *r)
{
	struct peer *p = o;
	p->auth_requests++;
	p->last_req = *r;
	if (p->auto_accept) {
		bool ok = r->type == PPP_AUTH_CHAP ? chap_ok(r, p->good_password) :
			  (r->response_len == strlen(p->good_password) &&
			   memcmp(r->response, p->good_password, r->response_len) == 0);
		ppp_session_auth_result(p->s, ok, ok ? "welcome" : "go away", 0);
	}
}

static void cb_auth_result(void *o, bool ok, const char *msg)
{
	struct peer *p = o;
	p->auth_results++;
	p->auth_ok = ok;
}

static void cb_up(void *o, const struct ppp_ip_info *ip)
{
	struct peer *p = o;
	p->ups++;
	p->ip = *ip;
}

static void cb_down(void *o, enum ppp_down_cause cause, const char *reason)
{
	struct peer *p = o;
	p->downs++;
	p->down_cause = cause;
	snprintf(p->down_reason, sizeof(p->down_reason), "%s", reason);
}

static void cb_ip_rx(void *o, const uint8_t *pkt, size_t len)
{
	struct peer *p = o;
	p->ip_rx++;
}

static const struct ppp_callbacks cbs = {
	.tx = cb_tx, .auth_request = cb_auth_request, .auth_result = cb_auth_result,
	.up = cb_up, .down = cb_down, .ip_rx = cb_ip_rx,
};

static struct ppp_config base_cfg(void)
{
	struct ppp_config c;
	ppp_config_defaults(&c);
	snprintf(c.ident, sizeof(c.ident), "test");
	c.restart_ms = 1000;
	return c;
}

static void peer_init(struct peer *p, const struct ppp_config *cfg, enum ppp_role role)
{
	memset(p, 0, sizeof(*p));
	p->s = ppp_session_create(cfg, role, &cbs, p);
	cr_assert_not_null(p->s);
}

static void setup(void)
{
	log_set_level(getenv("PPP_TEST_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERROR);
}

/* ---- frame helpers ---- */

/* A decoded control packet the session sent. */
struct pkt {
	uint16_t proto;
	uint8_t code, id;
	const uint8_t *data;
	size_t len;
};

static bool frame_pkt(const uint8_t *raw, size_t len, struct pkt *out)
{
	const uint8_t *info;
	size_t ilen;
	if (ppp_frame_parse(raw, len, &out->proto, &info, &ilen) < 0 || ilen < 4)
		return false;
	out->code = info[0];
	out->id = info[1];
	out->data = info + 4;
	out->len = (size_t)(info[2] << 8 | info[3]) - 4;
	return true;
}

/* Next unseen frame of proto (skipping others); fails the test if none. */
static struct pkt next_pkt(struct peer *p, uint16_t proto)
{
	struct pkt k;
	while (p->seen < p->ntx) {
		size_t i = p->seen++;
		if (frame_pkt(p->tx[i], p->tx_len[i], &k) && k.proto == proto)
			return k;
	}
	cr_assert_fail("no frame of proto 0x%04x", proto);
	return k;
}

static bool have_pkt(struct peer *p, uint16_t proto, uint8_t code)
{
	struct pkt k;
	for (size_t i = p->seen; i < p->ntx; i++)
		if (frame_pkt(p->tx[i], p->tx_len[i], &k) && k.proto == proto && k.code == code)
			return true;
	return false;
}

static size_t count_pkts(struct peer *p, uint16_t proto, uint8_t code)
{
	struct pkt k;
	size_t n = 0;
	for (size_t i = 0; i < p->ntx; i++)
		if (frame_pkt(p->tx[i], p->tx_len[i], &k) && k.proto == proto && k.code == code)
			n++;
	return n;
}

static void send_pkt(struct peer *p, uint16_t proto, uint8_t code, uint8_t id,
		     const uint8_t *data, size_t len, uint64_t now)
{
	uint8_t f[1600];
	f[0] = 0xff;
	f[1] = 0x03;
	f[2] = (uint8_t)(proto >> 8);
	f[3] = (uint8_t)proto;
	f[4] = code;
	f[5] = id;
	f[6] = (uint8_t)((len + 4) >> 8);
	f[7] = (uint8_t)(len + 4);
	if (len)
		memcpy(f + 8, data, len);
	ppp_session_input(p->s, f, len + 8, now);
}

static const uint8_t *find_opt(const struct pkt *k, uint8_t type)
{
	for (size_t off = 0; off + 2 <= k->len && k->data[off + 1] >= 2; off += k->data[off + 1])
		if (k->data[off] == type)
			return k->data + off;
	return NULL;
}

static const uint8_t peer_opts[] = { 0x05, 0x06, 0x11, 0x22, 0x33, 0x44 };  /* magic */

/* Drives the authenticator's LCP to Opened with a cooperative scripted peer. */
static void lcp_open(struct peer *p)
{
	ppp_session_lower_up(p->s, 0);
	struct pkt req = next_pkt(p, PPP_PROTO_LCP);
	cr_assert_eq(req.code, 1);
	send_pkt(p, PPP_PROTO_LCP, 2, req.id, req.data, req.len, 10);
	send_pkt(p, PPP_PROTO_LCP, 1, 0x42, peer_opts, sizeof(peer_opts), 20);
	struct pkt ack = next_pkt(p, PPP_PROTO_LCP);
	cr_assert_eq(ack.code, 2);
	cr_assert_eq(ack.id, 0x42);
	cr_assert(ppp_session_lcp_opened(p->s));
}

/* An authenticator with the base configuration whose lower layer is up and
 * whose first LCP Configure-Request has been read off the wire: the starting
 * point of the tests that then play the peer's side of LCP. */
static struct pkt authenticator_started(struct peer *p)
{
	struct ppp_config c = base_cfg();
	peer_init(p, &c, PPP_ROLE_AUTHENTICATOR);
	ppp_session_lower_up(p->s, 0);
	return next_pkt(p, PPP_PROTO_LCP);
}

/* An authenticator with the base configuration and LCP opened: the starting
 * point of the tests that play authentication or later phases. */
static void authenticator_opened(struct peer *p)
{
	struct ppp_config c = base_cfg();
	peer_init(p, &c, PPP_ROLE_AUTHENTICATOR);
	lcp_open(p);
}

/* Fires the session's timers in order until it reports down or has none
 * left: the fake clock jumps straight to each deadline. */
static void run_timers_until_down(struct peer *p)
{
	uint64_t t;
	while ((t = ppp_session_next_timeout(p->s)) != 0 && p->downs == 0)
		ppp_session_timeout(p->s, t);
}

/* A client (user "h@x", password "pw") with the base configuration. */
static void client_init(struct peer *c)
{
	struct ppp_config cc = base_cfg();
	snprintf(cc.user, sizeof(cc.user), "h@x");
	snprintf(cc.password, sizeof(cc.password), "pw");
	peer_init(c, &cc, PPP_ROLE_CLIENT);
}

TestSuite(ppp, .init = setup);

Test(ppp, frame_parse_handles_addr_ctl_and_pfc)
{
	const uint8_t full[] = { 0xff, 0x03, 0xc0, 0x21, 0x09 };
	const uint8_t noac[] = { 0x00, 0x21, 0x45 };
	const uint8_t pfc[] = { 0x21, 0x45, 0x00 };
	const uint8_t bad[] = { 0xff, 0x03, 0xc0, 0x20 };
	uint16_t proto;
	const uint8_t *info;
	size_t len;
	cr_assert_eq(ppp_frame_parse(full, sizeof(full), &proto, &info, &len), 0);
	cr_assert_eq(proto, 0xc021);
	cr_assert_eq(len, 1);
	cr_assert_eq(ppp_frame_parse(noac, sizeof(noac), &proto, &info, &len), 0);
	cr_assert_eq(proto, 0x0021);
	cr_assert_eq(ppp_frame_parse(pfc, sizeof(pfc), &proto, &info, &len), 0);
	cr_assert_eq(proto, 0x0021);
	cr_assert_eq(len, 2);
	cr_assert_eq(ppp_frame_parse(bad, sizeof(bad), &proto, &info, &len), -1);
	for (size_t cut = 0; cut <= 3; cut++)
		cr_assert_eq(ppp_frame_parse(full, cut, &proto, &info, &len), -1, "cut %zu", cut);
	uint8_t buf[16];
	cr_assert_eq(ppp_frame_build(buf, sizeof(buf), true, 0xc021, full + 4, 1), 5);
	cr_assert_arr_eq(buf, full, 5);
	cr_assert_eq(ppp_frame_build(buf, 4, true, 0xc021, full + 4, 1), -1);
	cr_assert_eq(ppp_frame_build(buf, sizeof(buf), false, 0x0021, NULL, 0), 2);
}

Test(ppp, authenticator_first_confreq_asks_chap_md5_and_magic)
{
	struct ppp_config c = base_cfg();
	c.async_map = true;
	struct peer p;
	peer_init(&p, &c, PPP_ROLE_AUTHENTICATOR);
	ppp_session_lower_up(p.s, 0);
	cr_assert_eq(p.ntx, 1);
	cr_assert_eq(p.tx[0][0], 0xff);
	cr_assert_eq(p.tx[0][1], 0x03);
	struct pkt k = next_pkt(&p, PPP_PROTO_LCP);
	cr_assert_eq(k.code, 1);
	const uint8_t *auth = find_opt(&k, 3);
	cr_assert_not_null(auth);
	const uint8_t chap[] = { 3, 5, 0xc2, 0x23, 5 };
	cr_assert_arr_eq(auth, chap, 5);
	cr_assert_not_null(find_opt(&k, 5));
	const uint8_t *accm = find_opt(&k, 2);
	cr_assert_not_null(accm);
	cr_assert_eq(accm[2] | accm[3] | accm[4] | accm[5], 0);
	cr_assert_eq(ppp_session_next_timeout(p.s), 1000);
	ppp_session_destroy(p.s);
}

Test(ppp, silent_peer_gets_max_configure_requests_then_down)
{
	struct ppp_config c = base_cfg();
	c.max_configure = 4;
	struct peer p;
	peer_init(&p, &c, PPP_ROLE_AUTHENTICATOR);
	ppp_session_lower_up(p.s, 0);
	run_timers_until_down(&p);
	cr_assert_eq(count_pkts(&p, PPP_PROTO_LCP, 1), 4);
	cr_assert_eq(p.downs, 1);
	cr_assert_eq(ppp_session_phase(p.s), PPP_PHASE_DEAD);
	ppp_session_destroy(p.s);
}

Test(ppp, small_mru_is_naked_to_the_minimum)
{
	struct peer p;
	authenticator_started(&p);
	const uint8_t req[] = { 1, 4, 0x00, 0x20 };
	send_pkt(&p, PPP_PROTO_LCP, 1, 7, req, sizeof(req), 1);
	struct pkt k = next_pkt(&p, PPP_PROTO_LCP);
	cr_assert_eq(k.code, 3);
	cr_assert_eq(k.id, 7);
	const uint8_t nak[] = { 1, 4, 0x00, 0x40 };
	cr_assert_eq(k.len, 4);
	cr_assert_arr_eq(k.data, nak, 4);
	ppp_session_destroy(p.s);
}

Test(ppp, unknown_options_are_rejected_alone)
{
	struct peer p;
	authenticator_started(&p);
	/* MRU 1500 (fine), MRRU (17, unknown to us), magic */
	const uint8_t req[] = { 1, 4, 0x05, 0xdc, 17, 4, 0x05, 0xdc, 5, 6, 1, 2, 3, 4 };
	send_pkt(&p, PPP_PROTO_LCP, 1, 8, req, sizeof(req), 1);
	struct pkt k = next_pkt(&p, PPP_PROTO_LCP);
	cr_assert_eq(k.code, 4);
	const uint8_t rej[] = { 17, 4, 0x05, 0xdc };
	cr_assert_eq(k.len, 4);
	cr_assert_arr_eq(k.data, rej, 4);
	ppp_session_destroy(p.s);
}

Test(ppp, malformed_confreq_is_dropped)
{
	struct peer p;
	authenticator_started(&p);
	const uint8_t req[] = { 1, 4, 0x05, 0xdc, 5, 9, 1, 2 };    /* option overruns */
	send_pkt(&p, PPP_PROTO_LCP, 1, 8, req, sizeof(req), 1);
	cr_assert_eq(p.seen, p.ntx);
	/* declared length beyond the frame */
	const uint8_t bad[] = { 0xff, 0x03, 0xc0, 0x21, 1, 9, 0, 40, 1, 4 };
	ppp_session_input(p.s, bad, sizeof(bad), 2);
	cr_assert_eq(p.seen, p.ntx);
	ppp_session_destroy(p.s);
}

Test(ppp, confreq_loop_turns_naks_into_rejects_after_max_failure)
{
	struct ppp_config c = base_cfg();
	c.max_failure = 3;
	struct peer p;
	peer_init(&p, &c, PPP_ROLE_AUTHENTICATOR);
	ppp_session_lower_up(p.s, 0);
	next_pkt(&p, PPP_PROTO_LCP);
	const uint8_t req[] = { 1, 4, 0x00, 0x10 };
	for (int i = 0; i < 3; i++) {
		send_pkt(&p, PPP_PROTO_LCP, 1, (uint8_t)(20 + i), req, sizeof(req), 1);
		cr_assert_eq(next_pkt(&p, PPP_PROTO_LCP).code, 3, "round %d", i);
	}
	send_pkt(&p, PPP_PROTO_LCP, 1, 30, req, sizeof(req), 2);
	struct pkt k = next_pkt(&p, PPP_PROTO_LCP);
	cr_assert_eq(k.code, 4);
	cr_assert_arr_eq(k.data, req, sizeof(req));
	ppp_session_destroy(p.s);
}

Test(ppp, nak_of_chap_suggesting_pap_switches_to_pap)
{
	struct peer p;
	struct pkt req = authenticator_started(&p);
	const uint8_t nak[] = { 3, 4, 0xc0, 0x23 };
	send_pkt(&p, PPP_PROTO_LCP, 3, req.id, nak, sizeof(nak), 5);
	struct pkt k = next_pkt(&p, PPP_PROTO_LCP);
	cr_assert_eq(k.code, 1);
	cr_assert_neq(k.id, req.id);
	const uint8_t *auth = find_opt(&k, 3);
	cr_assert_not_null(auth);
	cr_assert_arr_eq(auth, nak, 4);
	ppp_session_destroy(p.s);
}

Test(ppp, nak_with_a_stale_id_is_ignored)
{
	struct peer p;
	struct pkt req = authenticator_started(&p);
	const uint8_t nak[] = { 3, 4, 0xc0, 0x23 };
	send_pkt(&p, PPP_PROTO_LCP, 3, (uint8_t)(req.id + 5), nak, sizeof(nak), 5);
	cr_assert_eq(p.seen, p.ntx);
	ppp_session_destroy(p.s);
}

Test(ppp, rejected_authentication_terminates_the_link)
{
	struct peer p;
	struct pkt req = authenticator_started(&p);
	const uint8_t rej[] = { 3, 5, 0xc2, 0x23, 5 };
	send_pkt(&p, PPP_PROTO_LCP, 4, req.id, rej, sizeof(rej), 5);
	cr_assert(have_pkt(&p, PPP_PROTO_LCP, 5), "Terminate-Request expected");
	struct pkt k;
	do
		k = next_pkt(&p, PPP_PROTO_LCP);
	while (k.code != 5);
	send_pkt(&p, PPP_PROTO_LCP, 6, k.id, NULL, 0, 6);
	cr_assert_eq(p.downs, 1);
	cr_assert(strstr(p.down_reason, "refused authentication"), "%s", p.down_reason);
	ppp_session_destroy(p.s);
}

Test(ppp, peer_terminate_request_is_acked_then_down_after_restart_time)
{
	struct peer p;
	authenticator_opened(&p);
	send_pkt(&p, PPP_PROTO_LCP, 5, 99, (const uint8_t *)"bye", 3, 100);
	struct pkt k;
	do
		k = next_pkt(&p, PPP_PROTO_LCP);
	while (k.code != 6);
	cr_assert_eq(k.id, 99);
	cr_assert_eq(p.downs, 0);
	ppp_session_timeout(p.s, ppp_session_next_timeout(p.s));
	cr_assert_eq(p.downs, 1);
	ppp_session_destroy(p.s);
}

Test(ppp, own_confreq_looped_back_is_detected)
{
	struct ppp_config c = base_cfg();
	c.max_failure = 3;
	struct peer p;
	peer_init(&p, &c, PPP_ROLE_AUTHENTICATOR);
	ppp_session_lower_up(p.s, 0);
	/* a looped line returns everything we send */
	for (int round = 0; round < 20 && p.downs == 0; round++) {
		size_t from = p.seen, to = p.ntx;
		p.seen = to;
		for (size_t i = from; i < to; i++)
			ppp_session_input(p.s, p.tx[i], p.tx_len[i], (uint64_t)round);
		if (p.seen == p.ntx) {
			uint64_t t = ppp_session_next_timeout(p.s);
			if (!t)
				break;
			ppp_session_timeout(p.s, t);
		}
	}
	cr_assert(!ppp_session_lcp_opened(p.s));
	cr_assert_eq(p.downs, 1);
	cr_assert(strstr(p.down_reason, "loopback"), "%s", p.down_reason);
	ppp_session_destroy(p.s);
}

Test(ppp, echo_requests_detect_a_dead_peer)
{
	struct ppp_config c = base_cfg();
	c.echo_interval_ms = 2000;
	c.echo_failures = 2;
	struct peer p;
	peer_init(&p, &c, PPP_ROLE_AUTHENTICATOR);
	lcp_open(&p);
	uint64_t t;
	/* authentication timer would fire too; answer nothing at all */
	while ((t = ppp_session_next_timeout(p.s)) != 0 && p.downs == 0 && t < 9000)
		ppp_session_timeout(p.s, t);
	cr_assert_eq(count_pkts(&p, PPP_PROTO_LCP, 9), 2);
	cr_assert_eq(p.downs, 1);
	cr_assert_str_eq(p.down_reason, "echo timeout");
	ppp_session_destroy(p.s);
}

Test(ppp, echo_request_is_answered_with_our_magic)
{
	struct peer p;
	authenticator_opened(&p);
	next_pkt(&p, PPP_PROTO_CHAP);
	const uint8_t echo[] = { 0x11, 0x22, 0x33, 0x44, 'x' };
	send_pkt(&p, PPP_PROTO_LCP, 9, 3, echo, sizeof(echo), 50);
	struct pkt k = next_pkt(&p, PPP_PROTO_LCP);
	cr_assert_eq(k.code, 10);
	cr_assert_eq(k.id, 3);
	cr_assert_eq(k.len, 5);
	cr_assert_eq(k.data[4], 'x');
	ppp_session_destroy(p.s);
}

Test(ppp, unknown_protocol_is_dropped_while_authenticating_and_rejected_after)
{
	struct peer p;
	authenticator_opened(&p);
	struct pkt ch = next_pkt(&p, PPP_PROTO_CHAP);
	const uint8_t ccp[] = { 0xff, 0x03, 0x80, 0xfd, 1, 1, 0, 4 };
	ppp_session_input(p.s, ccp, sizeof(ccp), 60);
	cr_assert_eq(p.seen, p.ntx);
	uint8_t resp[17] = { 16 };
	send_pkt(&p, PPP_PROTO_CHAP, 2, ch.id, resp, sizeof(resp), 70);
	ppp_session_auth_result(p.s, true, NULL, 80);
	ppp_session_input(p.s, ccp, sizeof(ccp), 90);
	struct pkt k;
	do
		k = next_pkt(&p, PPP_PROTO_LCP);
	while (k.code != 8);
	cr_assert_eq(k.code, 8);
	cr_assert_eq(k.data[0], 0x80);
	cr_assert_eq(k.data[1], 0xfd);
	ppp_session_destroy(p.s);
}

Test(ppp, unknown_lcp_code_gets_code_reject)
{
	struct peer p;
	authenticator_opened(&p);
	send_pkt(&p, PPP_PROTO_LCP, 42, 1, (const uint8_t *)"zz", 2, 60);
	struct pkt k;
	do
		k = next_pkt(&p, PPP_PROTO_LCP);
	while (k.code != 7);
	cr_assert_eq(k.data[0], 42);
	ppp_session_destroy(p.s);
}

/* ---- authenticator: CHAP and PAP against scripted subscribers ---- */

static void chap_answer(struct peer *p, const struct pkt *ch, const char *user, const char *pw,
			uint64_t now)
{
	uint8_t resp[1 + 16 + 64];
	struct md5_ctx m;
	md5_init(&m);
	md5_update(&m, &ch->id, 1);
	md5_update(&m, pw, strlen(pw));
	md5_update(&m, ch->data + 1, ch->data[0]);
	resp[0] = 16;
	md5_final(&m, resp + 1);
	memcpy(resp + 17, user, strlen(user));
	send_pkt(p, PPP_PROTO_CHAP, 2, ch->id, resp, 17 + strlen(user), now);
}

Test(ppp, chap_success_leads_to_ipcp_with_the_given_addresses)
{
	struct peer p;
	authenticator_opened(&p);
	struct pkt ch = next_pkt(&p, PPP_PROTO_CHAP);
	cr_assert_eq(ch.code, 1);
	cr_assert_eq(ch.data[0], 16);
	cr_assert_eq(ch.len, 1 + 16 + 3);
	cr_assert_arr_eq(ch.data + 17, "lac", 3);
	chap_answer(&p, &ch, "alice@corp.example", "secret", 100);
	cr_assert_eq(p.auth_requests, 1);
	cr_assert_eq(p.last_req.type, PPP_AUTH_CHAP);
	cr_assert_str_eq(p.last_req.name, "alice@corp.example");
	cr_assert_eq(p.last_req.chap_id, ch.id);
	cr_assert_arr_eq(p.last_req.challenge, ch.data + 1, 16);
	cr_assert(chap_ok(&p.last_req, "secret"));
	cr_assert_eq(ppp_session_next_timeout(p.s), 0, "no timer while the owner decides");

	struct in_addr l, r, d1, d2 = { 0 };
	inet_pton(AF_INET, "10.0.0.1", &l);
	inet_pton(AF_INET, "10.0.0.2", &r);
	inet_pton(AF_INET, "192.0.2.53", &d1);
	ppp_session_set_ipcp(p.s, l, r, d1, d2);
	ppp_session_auth_result(p.s, true, "ok", 200);
	struct pkt ok = next_pkt(&p, PPP_PROTO_CHAP);
	cr_assert_eq(ok.code, 3);
	cr_assert_eq(ok.id, ch.id);
	cr_assert_arr_eq(ok.data, "ok", 2);
	struct pkt ip = next_pkt(&p, PPP_PROTO_IPCP);
	cr_assert_eq(ip.code, 1);
	const uint8_t myaddr[] = { 3, 6, 10, 0, 0, 1 };
	cr_assert_arr_eq(ip.data, myaddr, 6);
	cr_assert_eq(ppp_session_phase(p.s), PPP_PHASE_NETWORK);

	/* subscriber asks 0.0.0.0 and DNS: Nak with ours, Reject secondary DNS */
	const uint8_t sreq[] = { 3, 6, 0, 0, 0, 0, 129, 6, 0, 0, 0, 0, 131, 6, 0, 0, 0, 0 };
	send_pkt(&p, PPP_PROTO_IPCP, 1, 1, sreq, sizeof(sreq), 210);
	struct pkt rj = next_pkt(&p, PPP_PROTO_IPCP);
	cr_assert_eq(rj.code, 4);
	const uint8_t rejd[] = { 131, 6, 0, 0, 0, 0 };
	cr_assert_arr_eq(rj.data, rejd, 6);
	send_pkt(&p, PPP_PROTO_IPCP, 1, 2, sreq, 12, 220);
	struct pkt nk = next_pkt(&p, PPP_PROTO_IPCP);
	cr_assert_eq(nk.code, 3);
	const uint8_t nakd[] = { 3, 6, 10, 0, 0, 2, 129, 6, 192, 0, 2, 53 };
	cr_assert_eq(nk.len, 12);
	cr_assert_arr_eq(nk.data, nakd, 12);
	send_pkt(&p, PPP_PROTO_IPCP, 1, 3, nakd, 12, 230);
	cr_assert_eq(next_pkt(&p, PPP_PROTO_IPCP).code, 2);
	send_pkt(&p, PPP_PROTO_IPCP, 2, ip.id, ip.data, ip.len, 240);
	cr_assert(ppp_session_ipcp_opened(p.s));
	cr_assert_eq(p.ups, 1);
	cr_assert_eq(p.ip.peer.s_addr, r.s_addr);

	const uint8_t ippkt[] = { 0xff, 0x03, 0x00, 0x21, 0x45, 0, 0, 20 };
	ppp_session_input(p.s, ippkt, sizeof(ippkt), 250);
	cr_assert_eq(p.ip_rx, 1);
	cr_assert_eq(ppp_session_send_ip(p.s, ippkt + 4, 4), 0);
	ppp_session_destroy(p.s);
}

Test(ppp, chap_challenge_is_retransmitted_then_times_out)
{
	struct ppp_config c = base_cfg();
	c.max_configure = 3;
	struct peer p;
	peer_init(&p, &c, PPP_ROLE_AUTHENTICATOR);
	lcp_open(&p);
	run_timers_until_down(&p);
	cr_assert_eq(count_pkts(&p, PPP_PROTO_CHAP, 1), 3);
	cr_assert_eq(p.downs, 1);
	cr_assert(strstr(p.down_reason, "authentication timeout"), "%s", p.down_reason);
	ppp_session_destroy(p.s);
}

Test(ppp, chap_failure_sends_failure_then_terminate)
{
	struct peer p;
	authenticator_opened(&p);
	struct pkt ch = next_pkt(&p, PPP_PROTO_CHAP);
	chap_answer(&p, &ch, "bob@blocked.example", "x", 100);
	ppp_session_auth_result(p.s, false, "realm blocked", 150);
	struct pkt f = next_pkt(&p, PPP_PROTO_CHAP);
	cr_assert_eq(f.code, 4);
	cr_assert_eq(f.len, strlen("realm blocked"));
	struct pkt t = next_pkt(&p, PPP_PROTO_LCP);
	cr_assert_eq(t.code, 5);
	send_pkt(&p, PPP_PROTO_LCP, 6, t.id, NULL, 0, 160);
	cr_assert_eq(p.downs, 1);
	cr_assert(strstr(p.down_reason, "realm blocked"), "%s", p.down_reason);
	ppp_session_destroy(p.s);
}

Test(ppp, chap_failure_with_attempts_left_rechallenges)
{
	struct ppp_config c = base_cfg();
	c.auth_max_attempts = 2;
	struct peer p;
	peer_init(&p, &c, PPP_ROLE_AUTHENTICATOR);
	lcp_open(&p);
	struct pkt ch = next_pkt(&p, PPP_PROTO_CHAP);
	chap_answer(&p, &ch, "u", "wrong", 100);
	ppp_session_auth_result(p.s, false, "bad", 110);
	cr_assert_eq(next_pkt(&p, PPP_PROTO_CHAP).code, 4);
	struct pkt ch2 = next_pkt(&p, PPP_PROTO_CHAP);
	cr_assert_eq(ch2.code, 1);
	cr_assert_neq(ch2.id, ch.id);
	chap_answer(&p, &ch2, "u", "right", 120);
	cr_assert_eq(p.auth_requests, 2);
	ppp_session_auth_result(p.s, true, NULL, 130);
	cr_assert_eq(next_pkt(&p, PPP_PROTO_CHAP).code, 3);
	cr_assert_eq(p.downs, 0);
	ppp_session_destroy(p.s);
}

Test(ppp, chap_response_with_wrong_id_is_ignored)
{
	struct peer p;
	authenticator_opened(&p);
	struct pkt ch = next_pkt(&p, PPP_PROTO_CHAP);
	ch.id++;
	chap_answer(&p, &ch, "u", "pw", 100);
	cr_assert_eq(p.auth_requests, 0);
	ppp_session_destroy(p.s);
}

static void pap_request(struct peer *p, uint8_t id, const char *user, const char *pw,
			uint64_t now)
{
	uint8_t d[256];
	size_t n = 0;
	d[n++] = (uint8_t)strlen(user);
	memcpy(d + n, user, strlen(user));
	n += strlen(user);
	d[n++] = (uint8_t)strlen(pw);
	memcpy(d + n, pw, strlen(pw));
	n += strlen(pw);
	send_pkt(p, PPP_PROTO_PAP, 1, id, d, n, now);
}

Test(ppp, pap_only_configuration_accepts_and_nak_rejects)
{
	struct ppp_config c = base_cfg();
	c.auth_order[0] = PPP_AUTH_PAP;
	c.auth_order_len = 1;
	c.auth_max_attempts = 2;
	struct peer p;
	peer_init(&p, &c, PPP_ROLE_AUTHENTICATOR);
	ppp_session_lower_up(p.s, 0);
	struct pkt req = next_pkt(&p, PPP_PROTO_LCP);
	const uint8_t pap[] = { 3, 4, 0xc0, 0x23 };
	cr_assert_arr_eq(find_opt(&req, 3), pap, 4);
	send_pkt(&p, PPP_PROTO_LCP, 2, req.id, req.data, req.len, 10);
	send_pkt(&p, PPP_PROTO_LCP, 1, 1, peer_opts, sizeof(peer_opts), 20);
	pap_request(&p, 5, "carol@local.example", "pw1", 30);
	cr_assert_eq(p.auth_requests, 1);
	cr_assert_eq(p.last_req.type, PPP_AUTH_PAP);
	cr_assert_str_eq(p.last_req.name, "carol@local.example");
	cr_assert_eq(p.last_req.response_len, 3);
	ppp_session_auth_result(p.s, false, "no", 40);
	struct pkt nak;
	do
		nak = next_pkt(&p, PPP_PROTO_PAP);
	while (nak.code != 3);
	cr_assert_eq(nak.id, 5);
	cr_assert_eq(nak.data[0], 2);
	pap_request(&p, 6, "carol@local.example", "pw2", 50);
	cr_assert_eq(p.auth_requests, 2);
	ppp_session_auth_result(p.s, true, "hi", 60);
	struct pkt ack = next_pkt(&p, PPP_PROTO_PAP);
	cr_assert_eq(ack.code, 2);
	cr_assert_eq(ack.id, 6);
	/* retransmitted request after the Ack: the Ack again, no new auth_request */
	pap_request(&p, 6, "carol@local.example", "pw2", 70);
	cr_assert_eq(next_pkt(&p, PPP_PROTO_PAP).code, 2);
	cr_assert_eq(p.auth_requests, 2);
	ppp_session_destroy(p.s);
}

Test(ppp, proxy_info_records_initial_last_sent_and_last_received_confreqs)
{
	struct ppp_config c = base_cfg();
	struct peer p;
	peer_init(&p, &c, PPP_ROLE_AUTHENTICATOR);
	ppp_session_lower_up(p.s, 0);
	struct pkt r1 = next_pkt(&p, PPP_PROTO_LCP);
	/* first subscriber request is naked (MRU too small), the second acked */
	const uint8_t first[] = { 1, 4, 0x00, 0x20, 5, 6, 9, 9, 9, 9 };
	const uint8_t second[] = { 1, 4, 0x05, 0xd4, 5, 6, 9, 9, 9, 9, 7, 2, 8, 2 };
	send_pkt(&p, PPP_PROTO_LCP, 1, 1, first, sizeof(first), 1);
	/* and it naks our CHAP towards PAP: last sent is the PAP request */
	const uint8_t nak[] = { 3, 4, 0xc0, 0x23 };
	send_pkt(&p, PPP_PROTO_LCP, 3, r1.id, nak, sizeof(nak), 2);
	send_pkt(&p, PPP_PROTO_LCP, 1, 2, second, sizeof(second), 3);
	struct pkt r2;
	do
		r2 = next_pkt(&p, PPP_PROTO_LCP);
	while (r2.code != 1);
	send_pkt(&p, PPP_PROTO_LCP, 2, r2.id, r2.data, r2.len, 4);
	cr_assert(ppp_session_lcp_opened(p.s));
	struct ppp_proxy_info pi;
	cr_assert_eq(ppp_session_get_proxy(p.s, &pi), -1, "no proxy before credentials");
	pap_request(&p, 77, "dave@corp.example", "pw", 5);
	cr_assert_eq(ppp_session_get_proxy(p.s, &pi), 0);
	cr_assert_eq(pi.initial_rcvd_len, sizeof(first));
	cr_assert_arr_eq(pi.initial_rcvd_confreq, first, sizeof(first));
	cr_assert_eq(pi.last_rcvd_len, sizeof(second));
	cr_assert_arr_eq(pi.last_rcvd_confreq, second, sizeof(second));
	cr_assert_eq(pi.last_sent_len, r2.len);
	cr_assert_arr_eq(pi.last_sent_confreq, r2.data, r2.len);
	cr_assert_eq(pi.peer_mru, 1492);
	cr_assert_eq(pi.peer_magic, 0x09090909);
	cr_assert_neq(pi.our_magic, 0);
	cr_assert_eq(pi.auth.type, PPP_AUTH_PAP);
	cr_assert_str_eq(pi.auth.name, "dave@corp.example");
	cr_assert_eq(pi.auth.response_len, 2);
	cr_assert_eq(pi.auth.chap_id, 77);
	cr_assert(!pi.truncated);

	/* handoff: stops timers, later frames are ignored, nothing more sent */
	struct ppp_proxy_info ho;
	cr_assert_eq(ppp_session_handoff(p.s, &ho), 0);
	cr_assert_eq(ho.last_rcvd_len, pi.last_rcvd_len);
	cr_assert_eq(ppp_session_phase(p.s), PPP_PHASE_HANDED_OFF);
	cr_assert_eq(ppp_session_next_timeout(p.s), 0);
	size_t before = p.ntx;
	send_pkt(&p, PPP_PROTO_LCP, 9, 1, peer_opts + 2, 4, 6);
	send_pkt(&p, PPP_PROTO_LCP, 1, 3, second, sizeof(second), 7);
	ppp_session_auth_result(p.s, true, NULL, 8);
	ppp_session_close(p.s, "x", 9);
	cr_assert_eq(p.ntx, before);
	cr_assert_eq(p.downs, 0);
	cr_assert_eq(ppp_session_handoff(p.s, &ho), -1);
	ppp_session_destroy(p.s);
}

Test(ppp, handoff_from_inside_auth_request_callback_works)
{
	struct peer p;
	authenticator_opened(&p);
	struct pkt ch = next_pkt(&p, PPP_PROTO_CHAP);
	chap_answer(&p, &ch, "erin@corp.example", "pw", 100);
	struct ppp_proxy_info pi;
	cr_assert_eq(ppp_session_handoff(p.s, &pi), 0);
	cr_assert_eq(pi.auth.type, PPP_AUTH_CHAP);
	cr_assert_eq(pi.auth.challenge_len, 16);
	cr_assert_eq(pi.auth.response_len, 16);
	cr_assert_eq(pi.auth.chap_id, ch.id);
	ppp_session_destroy(p.s);
}

/* ---- back to back: authenticator <-> client ---- */

static void pump(struct peer *a, struct peer *b, uint64_t now)
{
	for (int guard = 0; guard < 1000; guard++) {
		bool moved = false;
		if (a->seen < a->ntx) {
			size_t i = a->seen++;
			ppp_session_input(b->s, a->tx[i], a->tx_len[i], now);
			moved = true;
		}
		if (b->seen < b->ntx) {
			size_t i = b->seen++;
			ppp_session_input(a->s, b->tx[i], b->tx_len[i], now);
			moved = true;
		}
		if (!moved)
			return;
	}
	cr_assert_fail("pump did not settle");
}

static void back_to_back(enum ppp_auth_type method, const char *client_pw, bool expect_up)
{
	struct ppp_config ac = base_cfg();
	ac.async_map = true;
	if (method == PPP_AUTH_PAP) {
		ac.auth_order[0] = PPP_AUTH_PAP;
		ac.auth_order_len = 1;
	}
	struct ppp_config cc = base_cfg();
	cc.async_map = true;
	cc.request_pfc = cc.request_acfc = true;
	snprintf(cc.user, sizeof(cc.user), "frank@local.example");
	snprintf(cc.password, sizeof(cc.password), "%s", client_pw);
	static struct peer a, c;
	peer_init(&a, &ac, PPP_ROLE_AUTHENTICATOR);
	peer_init(&c, &cc, PPP_ROLE_CLIENT);
	a.auto_accept = true;
	a.good_password = "letmein";
	struct in_addr l, r, d1, d2;
	inet_pton(AF_INET, "10.88.9.1", &l);
	inet_pton(AF_INET, "10.88.9.2", &r);
	inet_pton(AF_INET, "192.0.2.1", &d1);
	inet_pton(AF_INET, "192.0.2.2", &d2);
	ppp_session_set_ipcp(a.s, l, r, d1, d2);
	ppp_session_lower_up(c.s, 0);
	ppp_session_lower_up(a.s, 0);
	pump(&a, &c, 1);
	for (int i = 0; i < 10 && (a.downs == 0 || c.downs == 0) && !expect_up; i++) {
		uint64_t t = ppp_session_next_timeout(a.s);
		uint64_t u = ppp_session_next_timeout(c.s);
		if (t && !a.downs)
			ppp_session_timeout(a.s, t);
		if (u && !c.downs)
			ppp_session_timeout(c.s, u);
		pump(&a, &c, t > u ? t : u);
	}
	if (expect_up) {
		cr_assert(ppp_session_ipcp_opened(a.s));
		cr_assert(ppp_session_ipcp_opened(c.s));
		cr_assert_eq(c.ups, 1);
		cr_assert_eq(c.ip.local.s_addr, r.s_addr);
		cr_assert_eq(c.ip.peer.s_addr, l.s_addr);
		cr_assert_eq(c.ip.dns1.s_addr, d1.s_addr);
		cr_assert_eq(c.ip.dns2.s_addr, d2.s_addr);
		cr_assert_eq(a.ups, 1);
		cr_assert(c.auth_ok);
		cr_assert_eq(a.last_req.type, method);
		/* data both ways; the client negotiated PFC/ACFC towards it */
		const uint8_t ip[] = { 0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8 };
		cr_assert_eq(ppp_session_send_ip(a.s, ip, sizeof(ip)), 0);
		cr_assert_eq(a.tx[a.ntx - 1][0], 0x21, "PFC+ACFC frame towards the client");
		cr_assert_eq(ppp_session_send_ip(c.s, ip, sizeof(ip)), 0);
		pump(&a, &c, 2);
		cr_assert_eq(a.ip_rx, 1);
		cr_assert_eq(c.ip_rx, 1);
		/* client hangs up cleanly */
		ppp_session_close(c.s, "hold time over", 3);
		pump(&a, &c, 3);
		cr_assert_eq(c.downs, 1);
		cr_assert_str_eq(c.down_reason, "hold time over");
		uint64_t t = ppp_session_next_timeout(a.s);
		cr_assert_neq(t, 0);
		ppp_session_timeout(a.s, t);
		cr_assert_eq(a.downs, 1);
	} else {
		cr_assert_eq(c.auth_results, 1);
		cr_assert(!c.auth_ok);
		cr_assert_eq(c.downs, 1);
		cr_assert(strstr(c.down_reason, "authentication failed"), "%s", c.down_reason);
		cr_assert_eq(a.downs, 1);
		cr_assert_eq(c.ups, 0);
	}
	ppp_session_destroy(a.s);
	ppp_session_destroy(c.s);
}

Test(ppp, back_to_back_chap_reaches_ipcp_opened)
{
	back_to_back(PPP_AUTH_CHAP, "letmein", true);
}

Test(ppp, back_to_back_pap_reaches_ipcp_opened)
{
	back_to_back(PPP_AUTH_PAP, "letmein", true);
}

Test(ppp, back_to_back_chap_failure_reports_rejected)
{
	back_to_back(PPP_AUTH_CHAP, "wrong", false);
}

Test(ppp, back_to_back_pap_failure_reports_rejected)
{
	back_to_back(PPP_AUTH_PAP, "wrong", false);
}

/* ---- client against a scripted LNS-like peer ---- */

Test(ppp, client_follows_lcp_renegotiation_and_reauthenticates)
{
	struct ppp_config cc = base_cfg();
	snprintf(cc.user, sizeof(cc.user), "gina@corp.example");
	snprintf(cc.password, sizeof(cc.password), "pw");
	struct peer c;
	peer_init(&c, &cc, PPP_ROLE_CLIENT);
	ppp_session_lower_up(c.s, 0);
	struct pkt req = next_pkt(&c, PPP_PROTO_LCP);
	cr_assert_null(find_opt(&req, 3), "client never asks to authenticate the peer");
	send_pkt(&c, PPP_PROTO_LCP, 2, req.id, req.data, req.len, 1);
	const uint8_t lac_req[] = { 3, 5, 0xc2, 0x23, 5, 5, 6, 0xa, 0xb, 0xc, 0xd };
	send_pkt(&c, PPP_PROTO_LCP, 1, 1, lac_req, sizeof(lac_req), 2);
	cr_assert_eq(next_pkt(&c, PPP_PROTO_LCP).code, 2);
	cr_assert(ppp_session_lcp_opened(c.s));
	/* LAC challenge, client responds; then (tunnelled) no verdict: the LNS
	 * renegotiates LCP with MP options */
	const uint8_t chal[] = { 4, 1, 2, 3, 4, 'l', 'a', 'c' };
	send_pkt(&c, PPP_PROTO_CHAP, 1, 9, chal, sizeof(chal), 3);
	struct pkt resp = next_pkt(&c, PPP_PROTO_CHAP);
	cr_assert_eq(resp.code, 2);
	cr_assert_eq(resp.id, 9);
	cr_assert_eq(resp.data[0], 16);
	uint8_t expect[16];
	struct md5_ctx m;
	uint8_t id = 9;
	md5_init(&m);
	md5_update(&m, &id, 1);
	md5_update(&m, "pw", 2);
	md5_update(&m, chal + 1, 4);
	md5_final(&m, expect);
	cr_assert_arr_eq(resp.data + 1, expect, 16);
	cr_assert_arr_eq(resp.data + 17, "gina@corp.example", 17);

	const uint8_t lns_req[] = { 1, 4, 0x05, 0xdc, 3, 5, 0xc2, 0x23, 5, 5, 6, 1, 2, 3, 4,
				    17, 4, 0x05, 0xdc, 19, 3, 0 };
	send_pkt(&c, PPP_PROTO_LCP, 1, 50, lns_req, sizeof(lns_req), 4);
	cr_assert(!ppp_session_lcp_opened(c.s));
	/* tld, scr, scj-style reply: new ConfReq and a Reject of MRRU/ED */
	struct pkt nreq = next_pkt(&c, PPP_PROTO_LCP);
	cr_assert_eq(nreq.code, 1);
	struct pkt rej = next_pkt(&c, PPP_PROTO_LCP);
	cr_assert_eq(rej.code, 4);
	const uint8_t rejd[] = { 17, 4, 0x05, 0xdc, 19, 3, 0 };
	cr_assert_eq(rej.len, sizeof(rejd));
	cr_assert_arr_eq(rej.data, rejd, sizeof(rejd));
	send_pkt(&c, PPP_PROTO_LCP, 1, 51, lns_req, 15, 5);
	cr_assert_eq(next_pkt(&c, PPP_PROTO_LCP).code, 2);
	send_pkt(&c, PPP_PROTO_LCP, 2, nreq.id, nreq.data, nreq.len, 6);
	cr_assert(ppp_session_lcp_opened(c.s));
	cr_assert_eq(ppp_session_phase(c.s), PPP_PHASE_AUTHENTICATE);
	/* the LNS authenticates again */
	const uint8_t chal2[] = { 2, 7, 7, 'l', 'n', 's' };
	send_pkt(&c, PPP_PROTO_CHAP, 1, 33, chal2, sizeof(chal2), 7);
	struct pkt resp2 = next_pkt(&c, PPP_PROTO_CHAP);
	cr_assert_eq(resp2.id, 33);
	send_pkt(&c, PPP_PROTO_CHAP, 3, 33, (const uint8_t *)"ok", 2, 8);
	cr_assert(c.auth_ok);
	struct pkt ipreq = next_pkt(&c, PPP_PROTO_IPCP);
	cr_assert_eq(ipreq.code, 1);
	const uint8_t want[] = { 3, 6, 0, 0, 0, 0, 129, 6, 0, 0, 0, 0, 131, 6, 0, 0, 0, 0 };
	cr_assert_eq(ipreq.len, sizeof(want));
	cr_assert_arr_eq(ipreq.data, want, sizeof(want));
	/* the LNS rejects secondary DNS, naks the rest */
	send_pkt(&c, PPP_PROTO_IPCP, 4, ipreq.id, want + 12, 6, 9);
	struct pkt ipreq2 = next_pkt(&c, PPP_PROTO_IPCP);
	cr_assert_eq(ipreq2.len, 12);
	const uint8_t nakd[] = { 3, 6, 10, 77, 1, 5, 129, 6, 10, 77, 1, 1 };
	send_pkt(&c, PPP_PROTO_IPCP, 3, ipreq2.id, nakd, sizeof(nakd), 10);
	struct pkt ipreq3 = next_pkt(&c, PPP_PROTO_IPCP);
	cr_assert_arr_eq(ipreq3.data, nakd, sizeof(nakd));
	const uint8_t lns_ip[] = { 3, 6, 10, 77, 1, 254 };
	send_pkt(&c, PPP_PROTO_IPCP, 1, 60, lns_ip, sizeof(lns_ip), 11);
	cr_assert_eq(next_pkt(&c, PPP_PROTO_IPCP).code, 2);
	send_pkt(&c, PPP_PROTO_IPCP, 2, ipreq3.id, ipreq3.data, ipreq3.len, 12);
	cr_assert(ppp_session_ipcp_opened(c.s));
	cr_assert_eq(c.ups, 1);
	char buf[32];
	inet_ntop(AF_INET, &c.ip.local, buf, sizeof(buf));
	cr_assert_str_eq(buf, "10.77.1.5");
	inet_ntop(AF_INET, &c.ip.peer, buf, sizeof(buf));
	cr_assert_str_eq(buf, "10.77.1.254");
	inet_ntop(AF_INET, &c.ip.dns1, buf, sizeof(buf));
	cr_assert_str_eq(buf, "10.77.1.1");
	cr_assert_eq(c.ip.dns2.s_addr, 0);
	ppp_session_destroy(c.s);
}

Test(ppp, client_terminated_while_awaiting_the_verdict_reports_rejection)
{
	struct ppp_config cc = base_cfg();
	snprintf(cc.user, sizeof(cc.user), "u1@corp.example");
	snprintf(cc.password, sizeof(cc.password), "pw");
	struct peer c;
	peer_init(&c, &cc, PPP_ROLE_CLIENT);
	ppp_session_lower_up(c.s, 0);
	struct pkt req = next_pkt(&c, PPP_PROTO_LCP);
	send_pkt(&c, PPP_PROTO_LCP, 2, req.id, req.data, req.len, 1);
	const uint8_t lns_req[] = { 3, 5, 0xc2, 0x23, 5 };
	send_pkt(&c, PPP_PROTO_LCP, 1, 1, lns_req, sizeof(lns_req), 2);
	const uint8_t chal[] = { 4, 1, 2, 3, 4 };
	send_pkt(&c, PPP_PROTO_CHAP, 1, 9, chal, sizeof(chal), 3);
	cr_assert_eq(next_pkt(&c, PPP_PROTO_CHAP).code, 2);
	send_pkt(&c, PPP_PROTO_LCP, 5, 2, (const uint8_t *)"bad\x01", 4, 4);
	cr_assert_eq(c.auth_results, 1);
	cr_assert(!c.auth_ok);
	ppp_session_timeout(c.s, ppp_session_next_timeout(c.s));
	cr_assert_eq(c.downs, 1);
	cr_assert_str_eq(c.down_reason, "terminated by peer during authentication: bad.");
	ppp_session_destroy(c.s);
}

Test(ppp, peer_terminate_reason_is_reported)
{
	struct peer p;
	authenticator_opened(&p);
	send_pkt(&p, PPP_PROTO_LCP, 5, 3, (const uint8_t *)"User request", 12, 30);
	ppp_session_timeout(p.s, ppp_session_next_timeout(p.s));
	cr_assert_eq(p.downs, 1);
	cr_assert_str_eq(p.down_reason, "terminated by peer: User request");
	ppp_session_destroy(p.s);
}

/* Authenticator through CHAP to the Network phase with a scripted peer. */
static struct pkt to_network(struct peer *p)
{
	lcp_open(p);
	struct pkt ch = next_pkt(p, PPP_PROTO_CHAP);
	uint8_t resp[17] = { 16 };
	send_pkt(p, PPP_PROTO_CHAP, 2, ch.id, resp, sizeof(resp), 30);
	struct in_addr l = { htonl(0x0a000001) }, r = { htonl(0x0a000002) }, z = { 0 };
	ppp_session_set_ipcp(p->s, l, r, z, z);
	ppp_session_auth_result(p->s, true, NULL, 40);
	cr_assert_eq(next_pkt(p, PPP_PROTO_CHAP).code, 3);
	return next_pkt(p, PPP_PROTO_IPCP);
}

Test(ppp, ipcp_that_never_converges_closes_the_link)
{
	struct ppp_config c = base_cfg();
	c.max_configure = 3;
	struct peer p;
	peer_init(&p, &c, PPP_ROLE_AUTHENTICATOR);
	struct pkt ip = to_network(&p);
	cr_assert_eq(ip.code, 1);
	run_timers_until_down(&p);
	cr_assert_eq(count_pkts(&p, PPP_PROTO_IPCP, 1), 3);
	cr_assert_eq(count_pkts(&p, PPP_PROTO_LCP, 5), 2, "Max-Terminate Terminate-Requests");
	cr_assert_eq(p.downs, 1);
	cr_assert_str_eq(p.down_reason, "ipcp negotiation failed");
	ppp_session_destroy(p.s);
}

Test(ppp, protocol_reject_of_ipcp_closes_the_link)
{
	struct ppp_config c = base_cfg();
	struct peer p;
	peer_init(&p, &c, PPP_ROLE_AUTHENTICATOR);
	struct pkt ip = to_network(&p);
	uint8_t rej[2 + 4 + 6] = { 0x80, 0x21, 1, ip.id, 0, 10 };
	memcpy(rej + 6, ip.data, 6);
	send_pkt(&p, PPP_PROTO_LCP, 8, 77, rej, sizeof(rej), 50);
	cr_assert(have_pkt(&p, PPP_PROTO_LCP, 5), "Terminate-Request expected");
	cr_assert(!ppp_session_ipcp_opened(p.s));
	ppp_session_destroy(p.s);
}

Test(ppp, lower_down_reports_down_once_and_silences_the_session)
{
	struct peer p;
	authenticator_opened(&p);
	size_t before = p.ntx;
	ppp_session_lower_down(p.s, 100);
	cr_assert_eq(p.downs, 1);
	cr_assert_str_eq(p.down_reason, "lower layer down");
	cr_assert_eq(p.ntx, before);
	cr_assert_eq(ppp_session_next_timeout(p.s), 0);
	ppp_session_close(p.s, "again", 110);
	send_pkt(&p, PPP_PROTO_LCP, 1, 5, peer_opts, sizeof(peer_opts), 120);
	cr_assert_eq(p.downs, 1);
	cr_assert_eq(p.ntx, before);
	ppp_session_destroy(p.s);
}

Test(ppp, every_truncated_prefix_of_a_confreq_is_dropped_without_reply)
{
	const uint8_t frame[] = { 0xff, 0x03, 0xc0, 0x21, 1, 7, 0, 18, 1, 4, 0x05, 0xd4,
				  5, 6, 1, 2, 3, 4, 7, 2, 8, 2 };
	struct ppp_config c = base_cfg();
	for (size_t cut = 0; cut <= sizeof(frame); cut++) {
		struct peer p;
		peer_init(&p, &c, PPP_ROLE_AUTHENTICATOR);
		ppp_session_lower_up(p.s, 0);
		next_pkt(&p, PPP_PROTO_LCP);
		ppp_session_input(p.s, frame, cut, 1);
		if (cut < sizeof(frame)) {
			cr_assert_eq(p.seen, p.ntx, "reply to a %zu-octet prefix", cut);
		} else {
			struct pkt k = next_pkt(&p, PPP_PROTO_LCP);
			cr_assert_eq(k.code, 2);
		}
		ppp_session_destroy(p.s);
	}
}

/* Client LCP opened against a scripted authenticator asking for auth_opt. */
static void client_lcp_open(struct peer *c, const uint8_t *auth_opt, size_t auth_len)
{
	ppp_session_lower_up(c->s, 0);
	struct pkt req = next_pkt(c, PPP_PROTO_LCP);
	send_pkt(c, PPP_PROTO_LCP, 2, req.id, req.data, req.len, 1);
	send_pkt(c, PPP_PROTO_LCP, 1, 1, auth_opt, auth_len, 2);
	cr_assert_eq(next_pkt(c, PPP_PROTO_LCP).code, 2);
	cr_assert(ppp_session_lcp_opened(c->s));
}

Test(ppp, client_pap_request_is_retransmitted_then_gives_up)
{
	struct ppp_config cc = base_cfg();
	cc.max_configure = 3;
	snprintf(cc.user, sizeof(cc.user), "h@x");
	snprintf(cc.password, sizeof(cc.password), "pw");
	struct peer c;
	peer_init(&c, &cc, PPP_ROLE_CLIENT);
	const uint8_t pap[] = { 3, 4, 0xc0, 0x23 };
	client_lcp_open(&c, pap, sizeof(pap));
	struct pkt r = next_pkt(&c, PPP_PROTO_PAP);
	cr_assert_eq(r.code, 1);
	const uint8_t body[] = { 3, 'h', '@', 'x', 2, 'p', 'w' };
	cr_assert_eq(r.len, sizeof(body));
	cr_assert_arr_eq(r.data, body, sizeof(body));
	run_timers_until_down(&c);
	cr_assert_eq(count_pkts(&c, PPP_PROTO_PAP, 1), 3);
	cr_assert_eq(c.downs, 1);
	cr_assert_str_eq(c.down_reason, "authentication timeout");
	ppp_session_destroy(c.s);
}

Test(ppp, client_pap_nak_is_a_rejection_with_its_message)
{
	struct peer c;
	client_init(&c);
	const uint8_t pap[] = { 3, 4, 0xc0, 0x23 };
	client_lcp_open(&c, pap, sizeof(pap));
	struct pkt r = next_pkt(&c, PPP_PROTO_PAP);
	const uint8_t stale[] = { 2, 'n', 'o' };
	send_pkt(&c, PPP_PROTO_PAP, 3, (uint8_t)(r.id + 1), stale, sizeof(stale), 10);
	cr_assert_eq(c.auth_results, 0, "a Nak for another request is ignored");
	send_pkt(&c, PPP_PROTO_PAP, 3, r.id, stale, sizeof(stale), 11);
	cr_assert_eq(c.auth_results, 1);
	cr_assert(!c.auth_ok);
	cr_assert(have_pkt(&c, PPP_PROTO_LCP, 5), "the client hangs up");
	ppp_session_destroy(c.s);
}

Test(ppp, client_rejects_an_unknown_auth_protocol_by_suggesting_chap)
{
	struct peer c;
	client_init(&c);
	ppp_session_lower_up(c.s, 0);
	next_pkt(&c, PPP_PROTO_LCP);
	const uint8_t mschap[] = { 3, 5, 0xc2, 0x23, 0x81 };
	send_pkt(&c, PPP_PROTO_LCP, 1, 1, mschap, sizeof(mschap), 1);
	struct pkt k = next_pkt(&c, PPP_PROTO_LCP);
	cr_assert_eq(k.code, 3);
	const uint8_t md5[] = { 3, 5, 0xc2, 0x23, 5 };
	cr_assert_arr_eq(k.data, md5, 5);
	ppp_session_destroy(c.s);
}

Test(ppp, authenticator_pap_wait_times_out)
{
	struct ppp_config c = base_cfg();
	c.auth_order[0] = PPP_AUTH_PAP;
	c.auth_order_len = 1;
	c.auth_timeout_ms = 5000;
	struct peer p;
	peer_init(&p, &c, PPP_ROLE_AUTHENTICATOR);
	lcp_open(&p);
	cr_assert_eq(ppp_session_next_timeout(p.s), 20 + 5000);
	ppp_session_timeout(p.s, 5020);
	cr_assert(have_pkt(&p, PPP_PROTO_LCP, 5));
	run_timers_until_down(&p);
	cr_assert_eq(p.downs, 1);
	cr_assert_str_eq(p.down_reason, "authentication timeout");
	ppp_session_destroy(p.s);
}

Test(ppp, client_renegotiation_acked_at_once_still_waits_for_authentication)
{
	struct peer c;
	client_init(&c);
	const uint8_t chap[] = { 3, 5, 0xc2, 0x23, 5, 7, 2, 8, 2 };
	client_lcp_open(&c, chap, sizeof(chap));
	/* the new peer (an LNS) asks the same: RCR+ in Opened -> tld, scr, sca */
	send_pkt(&c, PPP_PROTO_LCP, 1, 2, chap, sizeof(chap), 10);
	struct pkt req = next_pkt(&c, PPP_PROTO_LCP);
	cr_assert_eq(req.code, 1);
	cr_assert_eq(next_pkt(&c, PPP_PROTO_LCP).code, 2);
	send_pkt(&c, PPP_PROTO_LCP, 2, req.id, req.data, req.len, 11);
	cr_assert(ppp_session_lcp_opened(c.s));
	cr_assert_eq(ppp_session_phase(c.s), PPP_PHASE_AUTHENTICATE);
	cr_assert(!have_pkt(&c, PPP_PROTO_IPCP, 1), "no IPCP before authentication");
	/* PFC/ACFC acked in the renegotiation apply to what we send */
	const uint8_t chal[] = { 1, 9 };
	send_pkt(&c, PPP_PROTO_CHAP, 1, 4, chal, sizeof(chal), 12);
	struct pkt r = next_pkt(&c, PPP_PROTO_CHAP);
	cr_assert_eq(r.code, 2);
	cr_assert_eq(c.tx[c.ntx - 1][0], 0xc2, "ACFC: no ff03 on CHAP");
	ppp_session_destroy(c.s);
}

Test(ppp, ipcp_renegotiation_keeps_the_peer_address)
{
	struct ppp_config cc = base_cfg();
	cc.request_dns = false;
	snprintf(cc.user, sizeof(cc.user), "h@x");
	snprintf(cc.password, sizeof(cc.password), "pw");
	struct peer c;
	peer_init(&c, &cc, PPP_ROLE_CLIENT);
	const uint8_t none[] = { 5, 6, 1, 1, 1, 1 };
	client_lcp_open(&c, none, sizeof(none));
	struct pkt ip = next_pkt(&c, PPP_PROTO_IPCP);
	const uint8_t nak[] = { 3, 6, 10, 0, 0, 9 };
	send_pkt(&c, PPP_PROTO_IPCP, 3, ip.id, nak, sizeof(nak), 5);
	ip = next_pkt(&c, PPP_PROTO_IPCP);
	send_pkt(&c, PPP_PROTO_IPCP, 2, ip.id, ip.data, ip.len, 6);
	const uint8_t peer_ip[] = { 3, 6, 10, 0, 0, 1 };
	send_pkt(&c, PPP_PROTO_IPCP, 1, 1, peer_ip, sizeof(peer_ip), 7);
	cr_assert(ppp_session_ipcp_opened(c.s));
	cr_assert_eq(c.ups, 1);
	/* peer restarts IPCP with an acceptable request: RCR+ in Opened */
	send_pkt(&c, PPP_PROTO_IPCP, 1, 2, peer_ip, sizeof(peer_ip), 8);
	struct pkt again;
	do
		again = next_pkt(&c, PPP_PROTO_IPCP);
	while (again.code != 1);
	/* a new negotiation asks afresh (0.0.0.0); the peer names the address again */
	const uint8_t zero[] = { 3, 6, 0, 0, 0, 0 };
	cr_assert_arr_eq(again.data, zero, 6);
	send_pkt(&c, PPP_PROTO_IPCP, 3, again.id, nak, sizeof(nak), 9);
	do
		again = next_pkt(&c, PPP_PROTO_IPCP);
	while (again.code != 1);
	send_pkt(&c, PPP_PROTO_IPCP, 2, again.id, again.data, again.len, 9);
	cr_assert(ppp_session_ipcp_opened(c.s));
	cr_assert_eq(c.ups, 2);
	cr_assert_eq(c.ip.peer.s_addr, htonl(0x0a000001));
	cr_assert_eq(c.ip.local.s_addr, htonl(0x0a000009));
	ppp_session_destroy(c.s);
}

/* issue 12 item 5: the subscriber hangs up in the Network phase. We answer
 * with Terminate-Ack only (never a Terminate-Request of our own), and `down`
 * carries PPP_DOWN_PEER_TERMINATE so the owner accounts User-Request. */
Test(ppp, peer_terminate_in_network_phase_gets_only_an_ack_and_its_cause)
{
	struct peer p;
	authenticator_opened(&p);
	struct pkt ch = next_pkt(&p, PPP_PROTO_CHAP);
	cr_assert_eq(ch.code, 1);
	uint8_t resp[1 + 16 + 3] = { 16 };
	memcpy(resp + 17, "h@x", 3);
	send_pkt(&p, PPP_PROTO_CHAP, 2, ch.id, resp, sizeof(resp), 30);
	cr_assert_eq(p.auth_requests, 1);
	struct in_addr a, b, z = { 0 };
	inet_pton(AF_INET, "10.66.0.1", &a);
	inet_pton(AF_INET, "10.66.0.9", &b);
	ppp_session_set_ipcp(p.s, a, b, z, z);
	ppp_session_auth_result(p.s, true, NULL, 40);
	cr_assert_eq(ppp_session_phase(p.s), PPP_PHASE_NETWORK);
	size_t termreqs = count_pkts(&p, PPP_PROTO_LCP, 5);
	send_pkt(&p, PPP_PROTO_LCP, 5, 77, (const uint8_t *)"bye", 3, 100);
	cr_expect(have_pkt(&p, PPP_PROTO_LCP, 6), "Terminate-Ack sent");
	run_timers_until_down(&p);
	cr_expect_eq(p.downs, 1);
	cr_expect_eq(count_pkts(&p, PPP_PROTO_LCP, 5), termreqs, "no Terminate-Request of ours");
	cr_expect_eq(p.down_cause, PPP_DOWN_PEER_TERMINATE, "cause %s", ppp_down_cause_str(p.down_cause));
	ppp_session_destroy(p.s);
}

Test(ppp, echo_timeout_down_carries_its_cause)
{
	struct peer p;
	struct ppp_config c = base_cfg();
	c.echo_interval_ms = 1000;
	c.echo_failures = 2;
	c.auth_order[0] = PPP_AUTH_NONE;
	c.auth_order_len = 0;
	peer_init(&p, &c, PPP_ROLE_AUTHENTICATOR);
	lcp_open(&p);
	run_timers_until_down(&p);
	cr_expect_eq(p.downs, 1);
	cr_expect(p.down_cause == PPP_DOWN_ECHO_TIMEOUT || p.down_cause == PPP_DOWN_AUTH_FAILED,
		  "cause %s", ppp_down_cause_str(p.down_cause));
	ppp_session_destroy(p.s);
}

/* issue 8 item 1: the owner destroys the session from inside a callback
 * that the FSM is still under (tx of a Configure-Ack): no use after free
 * (valgrind/ASan would report it), nothing more is sent, no callback follows. */
Test(ppp, destroy_from_inside_tx_is_deferred_to_the_outermost_return)
{
	struct peer p;
	struct pkt req = authenticator_started(&p);
	(void)req;
	size_t before = p.ntx;
	p.destroy_in_tx = true;
	send_pkt(&p, PPP_PROTO_LCP, 1, 0x42, peer_opts, sizeof(peer_opts), 20);
	cr_expect_null(p.s);
	cr_expect_eq(p.ntx, before + 1, "the Configure-Ack went out, then nothing more");
	cr_expect_eq(p.downs, 0, "no callback after destroy");
}
