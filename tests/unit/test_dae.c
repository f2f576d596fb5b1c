/* RFC 5176 codec: requests made by FreeRADIUS's radclient decode and verify,
 * tampered or unsigned ones do not, every truncation is refused, unsupported
 * content earns the right NAK, session matching needs every given attribute,
 * and our ACK/NAK verify as a response to the request. The server on a loop
 * in this process: retransmissions answered from the cache without running
 * the handler again; unsigned, tampered, short and unknown-client requests
 * dropped and counted; another NAS's request NAKed 403. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aaa/dae_codec.h"
#include "aaa/dae_server.h"
#include "aaa/radius_codec.h"
#include "ev/ev.h"

static const uint8_t secret[] = "testing123";
#define SECRET_LEN 10

/* radclient 3.2.1: disconnect testing123 with User-Name = "alice@corp.example",
 * Acct-Session-Id = "0A1B2C3D00000007", NAS-IP-Address = 10.88.1.2,
 * Message-Authenticator = 0x00 (signed by radclient) */
static const uint8_t vec_disconnect[] = {
	0x28, 0xe8, 0x00, 0x52, 0x67, 0x18, 0x16, 0x7f, 0xca, 0xd9, 0xdb, 0x07, 0x28, 0x07, 0xd8, 0x01,
	0x16, 0xe4, 0x6d, 0x48, 0x01, 0x14, 0x61, 0x6c, 0x69, 0x63, 0x65, 0x40, 0x63, 0x6f, 0x72, 0x70,
	0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2c, 0x12, 0x30, 0x41, 0x31, 0x42, 0x32, 0x43,
	0x33, 0x44, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x37, 0x04, 0x06, 0x0a, 0x58, 0x01, 0x02,
	0x50, 0x12, 0x86, 0xa2, 0x44, 0xa0, 0x19, 0x9e, 0x4c, 0xb5, 0x26, 0xb0, 0x64, 0x97, 0x8a, 0x96,
	0xb1, 0x3b,
};

/* radclient 3.2.1: coa testing123 with User-Name = "alice@corp.example",
 * Session-Timeout = 600 (no Message-Authenticator) */
static const uint8_t vec_coa[] = {
	0x2b, 0x2e, 0x00, 0x2e, 0x01, 0x8b, 0xd9, 0x2d, 0x7c, 0xf1, 0x76, 0x1c, 0x16, 0xef, 0xf5, 0x9d,
	0xd1, 0x45, 0x54, 0x3b, 0x01, 0x14, 0x61, 0x6c, 0x69, 0x63, 0x65, 0x40, 0x63, 0x6f, 0x72, 0x70,
	0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x1b, 0x06, 0x00, 0x00, 0x02, 0x58,
};

Test(dae_codec, radclient_disconnect_request_decodes)
{
	struct dae_request r;
	struct radius_err err = { 0 };
	cr_assert_eq(dae_request_decode(vec_disconnect, sizeof(vec_disconnect), secret, SECRET_LEN, true, &r, &err),
		     0, "%s", err.msg);
	cr_expect_eq(r.code, RADIUS_CODE_DISCONNECT_REQUEST);
	cr_expect_eq(r.id, 0xe8);
	cr_expect(r.has_msg_auth);
	cr_expect_eq(r.refuse, DAE_ERR_NONE);
	cr_expect(r.has_user_name);
	cr_expect_str_eq(r.user_name, "alice@corp.example");
	cr_expect_str_eq(r.acct_session_id, "0A1B2C3D00000007");
	cr_expect(r.has_nas_ip);
	cr_expect_eq(r.nas_ip.s_addr, inet_addr("10.88.1.2"));
	cr_expect(dae_request_nas_matches(&r, "lac1", r.nas_ip));
	struct in_addr other = { inet_addr("10.88.1.3") };
	cr_expect(!dae_request_nas_matches(&r, "lac1", other), "another NAS's address: NAK 403");
}

Test(dae_codec, radclient_coa_without_message_authenticator)
{
	struct dae_request r;
	struct radius_err err = { 0 };
	cr_assert_eq(dae_request_decode(vec_coa, sizeof(vec_coa), secret, SECRET_LEN, false, &r, &err), 0,
		     "%s", err.msg);
	cr_expect(!r.has_msg_auth);
	cr_expect_eq(r.refuse, DAE_ERR_NONE);
	cr_expect(r.has_session_timeout);
	cr_expect_eq(r.session_timeout, 600);
	cr_expect_eq(dae_request_decode(vec_coa, sizeof(vec_coa), secret, SECRET_LEN, true, &r, &err), -1,
		     "unsigned request accepted although required");
	cr_expect_eq(err.kind, RADIUS_ERR_NO_MSG_AUTH);
}

Test(dae_codec, wrong_secret_or_tampering_is_refused)
{
	struct dae_request r;
	struct radius_err err = { 0 };
	cr_expect_eq(dae_request_decode(vec_disconnect, sizeof(vec_disconnect), (const uint8_t *)"wrong", 5, true,
					&r, &err), -1);
	cr_expect_eq(err.kind, RADIUS_ERR_AUTHENTICATOR);
	uint8_t bad[sizeof(vec_disconnect)];
	memcpy(bad, vec_disconnect, sizeof(bad));
	bad[22] ^= 1;   /* inside User-Name */
	cr_expect_eq(dae_request_decode(bad, sizeof(bad), secret, SECRET_LEN, true, &r, &err), -1);
	cr_expect_eq(err.kind, RADIUS_ERR_AUTHENTICATOR);
	/* not a DAE code at all */
	memcpy(bad, vec_disconnect, sizeof(bad));
	bad[0] = RADIUS_CODE_ACCESS_REQUEST;
	cr_expect_eq(dae_request_decode(bad, sizeof(bad), secret, SECRET_LEN, true, &r, &err), -1);
}

Test(dae_codec, every_truncated_prefix_is_refused)
{
	struct dae_request r;
	struct radius_err err;
	for (size_t n = 0; n < sizeof(vec_disconnect); n++)
		cr_expect_eq(dae_request_decode(vec_disconnect, n, secret, SECRET_LEN, false, &r, &err), -1,
			     "prefix of %zu accepted", n);
	for (size_t n = 0; n < sizeof(vec_coa); n++)
		cr_expect_eq(dae_request_decode(vec_coa, n, secret, SECRET_LEN, false, &r, &err), -1,
			     "prefix of %zu accepted", n);
}

/* Builds a signed request of `code` with the given attributes (type, value). */
static size_t build(uint8_t *buf, uint8_t code, const uint8_t *attrs, size_t attrs_len)
{
	struct radius_builder b;
	cr_assert_eq(radius_builder_init(&b, buf, RADIUS_MAX_PACKET, code, 7, NULL), 0);
	for (size_t i = 0; i < attrs_len;) {
		uint8_t t = attrs[i], l = attrs[i + 1];
		cr_assert(l >= 2 && i + l <= attrs_len, "bad attribute list at %zu", i);
		radius_builder_add(&b, t, attrs + i + 2, l - 2u);
		i += l;
	}
	ssize_t n = radius_builder_finish(&b, secret, SECRET_LEN);
	cr_assert_gt(n, 0);
	return (size_t)n;
}

Test(dae_codec, unsupported_content_earns_the_rfc_5176_nak)
{
	static const struct {
		const char *name;
		uint8_t code;
		uint8_t attrs[32];
		size_t len;
		enum dae_error_cause want;
	} cases[] = {
		{ "disconnect with Session-Timeout", RADIUS_CODE_DISCONNECT_REQUEST,
		  { 1, 3, 'a', 27, 6, 0, 0, 0, 9 }, 9, DAE_ERR_UNSUPPORTED_ATTRIBUTE },
		{ "disconnect with Filter-Id", RADIUS_CODE_DISCONNECT_REQUEST,
		  { 1, 3, 'a', 11, 3, 'f' }, 6, DAE_ERR_UNSUPPORTED_ATTRIBUTE },
		{ "disconnect naming no session", RADIUS_CODE_DISCONNECT_REQUEST,
		  { 55, 6, 0, 0, 0, 1 }, 6, DAE_ERR_MISSING_ATTRIBUTE },
		{ "coa Authorize-Only", RADIUS_CODE_COA_REQUEST,
		  { 1, 3, 'a', 6, 6, 0, 0, 0, 17 }, 9, DAE_ERR_UNSUPPORTED_SERVICE },
		{ "coa changing nothing we support", RADIUS_CODE_COA_REQUEST,
		  { 1, 3, 'a' }, 3, DAE_ERR_UNSUPPORTED_ATTRIBUTE },
		{ "coa with a vendor attribute", RADIUS_CODE_COA_REQUEST,
		  { 1, 3, 'a', 27, 6, 0, 0, 0, 9, 26, 8, 0, 0, 0, 9, 1, 2 }, 17, DAE_ERR_UNSUPPORTED_ATTRIBUTE },
		{ "two User-Names", RADIUS_CODE_DISCONNECT_REQUEST,
		  { 1, 3, 'a', 1, 3, 'b' }, 6, DAE_ERR_INVALID_REQUEST },
		{ "a 3-octet Framed-IP-Address", RADIUS_CODE_DISCONNECT_REQUEST,
		  { 8, 5, 10, 0, 0 }, 5, DAE_ERR_INVALID_REQUEST },
		{ "coa Session-Timeout", RADIUS_CODE_COA_REQUEST,
		  { 8, 6, 10, 66, 0, 10, 27, 6, 0, 0, 0, 30 }, 12, DAE_ERR_NONE },
		{ "coa Idle-Timeout", RADIUS_CODE_COA_REQUEST,
		  { 1, 3, 'a', 28, 6, 0, 0, 0, 30 }, 9, DAE_ERR_NONE },
		{ "disconnect with Idle-Timeout", RADIUS_CODE_DISCONNECT_REQUEST,
		  { 1, 3, 'a', 28, 6, 0, 0, 0, 30 }, 9, DAE_ERR_UNSUPPORTED_ATTRIBUTE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t pkt[RADIUS_MAX_PACKET];
		struct dae_request r;
		struct radius_err err = { 0 };
		size_t n = build(pkt, cases[i].code, cases[i].attrs, cases[i].len);
		cr_assert_eq(dae_request_decode(pkt, n, secret, SECRET_LEN, true, &r, &err), 0, "%s: %s",
			     cases[i].name, err.msg);
		cr_expect_eq(r.refuse, cases[i].want, "%s: got %s", cases[i].name, dae_error_cause_str(r.refuse));
	}
}

Test(dae_codec, every_given_attribute_must_match_the_session)
{
	struct dae_request r;
	struct radius_err err = { 0 };
	cr_assert_eq(dae_request_decode(vec_disconnect, sizeof(vec_disconnect), secret, SECRET_LEN, true, &r, &err), 0);
	struct dae_session_ids s = {
		.user_name = "alice@corp.example", .acct_session_id = "0A1B2C3D00000007",
		.nas_port = 3, .nas_port_id = "tcp:10.88.0.1:2000#3", .calling_station_id = "10.88.0.2",
	};
	cr_expect(dae_session_matches(&r, &s));
	s.acct_session_id = "0A1B2C3D00000008";
	cr_expect(!dae_session_matches(&r, &s), "another session of the same user");
	s.acct_session_id = NULL;
	cr_expect(!dae_session_matches(&r, &s), "an unknown value never matches");
	s.acct_session_id = "0A1B2C3D00000007";
	r.has_framed_ip = true;
	r.framed_ip.s_addr = inet_addr("10.66.0.10");
	cr_expect(!dae_session_matches(&r, &s), "a tunnelled session has no local address");
	s.has_framed_ip = true;
	s.framed_ip = r.framed_ip;
	cr_expect(dae_session_matches(&r, &s));
	r.has_nas_port = true;
	r.nas_port = 4;
	cr_expect(!dae_session_matches(&r, &s));
	struct dae_request none = { .code = RADIUS_CODE_DISCONNECT_REQUEST };
	cr_expect(!dae_session_matches(&none, &s), "a request naming nothing matches nothing");
}

Test(dae_codec, ack_and_nak_verify_as_responses_and_echo_proxy_state)
{
	uint8_t pkt[RADIUS_MAX_PACKET], reply[512];
	static const uint8_t attrs[] = { 1, 3, 'a', 33, 5, 'p', 's', '1', 33, 4, 'p', '2' };
	size_t n = build(pkt, RADIUS_CODE_DISCONNECT_REQUEST, attrs, sizeof(attrs));
	struct dae_request r;
	struct radius_err err = { 0 };
	cr_assert_eq(dae_request_decode(pkt, n, secret, SECRET_LEN, true, &r, &err), 0, "%s", err.msg);
	cr_expect_eq(r.n_proxy_state, 2);

	ssize_t m = dae_reply_encode(reply, sizeof(reply), &r, DAE_ERR_NONE, secret, SECRET_LEN);
	cr_assert_gt(m, 0);
	cr_expect_eq(reply[0], RADIUS_CODE_DISCONNECT_ACK);
	cr_expect_eq(reply[1], 7);
	cr_expect_eq(reply[20], RADIUS_ATTR_MESSAGE_AUTHENTICATOR, "signed, Message-Authenticator first");
	cr_expect_eq(radius_response_verify(reply, (size_t)m, pkt + 4, secret, SECRET_LEN, &err), m, "%s", err.msg);
	static const uint8_t ps[] = { 33, 5, 'p', 's', '1', 33, 4, 'p', '2' };
	cr_expect(memcmp(reply + 38, ps, sizeof(ps)) == 0, "Proxy-State echoed in order");

	m = dae_reply_encode(reply, sizeof(reply), &r, DAE_ERR_SESSION_NOT_FOUND, secret, SECRET_LEN);
	cr_assert_gt(m, 0);
	cr_expect_eq(reply[0], RADIUS_CODE_DISCONNECT_NAK);
	static const uint8_t cause[] = { 101, 6, 0, 0, 0x01, 0xf7 };   /* Error-Cause 503 */
	cr_expect(memcmp(reply + 38, cause, sizeof(cause)) == 0);
	cr_expect_eq(radius_response_verify(reply, (size_t)m, pkt + 4, secret, SECRET_LEN, &err), m, "%s", err.msg);

	struct dae_request coa = r;
	coa.code = RADIUS_CODE_COA_REQUEST;
	m = dae_reply_encode(reply, sizeof(reply), &coa, DAE_ERR_UNSUPPORTED_SERVICE, secret, SECRET_LEN);
	cr_expect_eq(reply[0], RADIUS_CODE_COA_NAK);
	cr_expect_eq(dae_reply_encode(reply, 30, &r, DAE_ERR_NONE, secret, SECRET_LEN), -1, "too small a buffer");
}

/* ---- the server on the loop, against a client socket in this process ---- */

struct handled {
	unsigned calls;
	enum dae_error_cause answer;
};

static enum dae_error_cause count_handler(void *arg, const struct dae_request *req, const char *client)
{
	struct handled *h = arg;
	h->calls++;
	return h->answer;
}

struct dae_rig {
	struct ev_loop *loop;
	struct dae_server *srv;
	int cli;
	struct sockaddr_in to;
	struct handled h;
};

/* the server's wall clock (Unix s), moved by the replay tests */
static uint64_t fake_now = 1700000000;
static bool rig_require_ts;

static uint64_t fake_wall(void *arg)
{
	return fake_now;
}

static void rig_open(struct dae_rig *r, bool require_ma, const char *client_addr)
{
	struct dae_server_config cfg;
	memset(r, 0, sizeof(*r));
	memset(&cfg, 0, sizeof(cfg));
	r->loop = ev_loop_create();
	cfg.listen.sin_family = AF_INET;
	cfg.listen.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cfg.clients[0].addr.s_addr = inet_addr(client_addr);
	memcpy(cfg.clients[0].secret, secret, SECRET_LEN);
	cfg.clients[0].secret_len = SECRET_LEN;
	cfg.n_clients = 1;
	cfg.require_message_authenticator = require_ma;
	snprintf(cfg.nas_identifier, sizeof(cfg.nas_identifier), "lac1");
	cfg.nas_ip.s_addr = inet_addr("10.88.1.2");
	cfg.wall_s = fake_wall;
	cfg.require_event_timestamp = rig_require_ts;
	r->srv = dae_server_create(r->loop, &cfg, count_handler, &r->h);
	cr_assert(r->srv);
	cr_assert_eq(dae_server_local_addr(r->srv, &r->to), 0);
	r->cli = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	cr_assert(r->cli >= 0);
}

static void rig_close(struct dae_rig *r)
{
	dae_server_destroy(r->srv);
	close(r->cli);
	ev_loop_destroy(r->loop);
}

/* Sends pkt and runs the loop; returns the answer's length (0: none). */
static size_t exchange(struct dae_rig *r, const uint8_t *pkt, size_t len, uint8_t *ans)
{
	sendto(r->cli, pkt, len, 0, (struct sockaddr *)&r->to, sizeof(r->to));
	for (int i = 0; i < 20; i++) {
		ev_loop_run_once(r->loop, 5);
		ssize_t n = recv(r->cli, ans, RADIUS_MAX_PACKET, 0);
		if (n > 0)
			return (size_t)n;
	}
	return 0;
}

static const uint8_t by_user[] = { 1, 7, 'c', 'a', 'r', 'o', 'l' };

Test(dae_server, a_retransmission_is_answered_from_the_cache_not_run_again)
{
	struct dae_rig r;
	uint8_t pkt[RADIUS_MAX_PACKET], a1[RADIUS_MAX_PACKET], a2[RADIUS_MAX_PACKET];
	rig_open(&r, true, "127.0.0.1");
	size_t n = build(pkt, RADIUS_CODE_DISCONNECT_REQUEST, by_user, sizeof(by_user));
	size_t m1 = exchange(&r, pkt, n, a1);
	cr_assert_gt(m1, 0);
	cr_expect_eq(a1[0], RADIUS_CODE_DISCONNECT_ACK);
	struct radius_err err = { 0 };
	cr_expect_gt(radius_response_verify(a1, m1, pkt + 4, secret, SECRET_LEN, &err), 0, "%s", err.msg);
	size_t m2 = exchange(&r, pkt, n, a2);
	cr_expect_eq(m2, m1);
	cr_expect(memcmp(a1, a2, m1) == 0, "the same answer");
	cr_expect_eq(r.h.calls, 1, "the handler ran once");
	struct dae_server_counters c;
	dae_server_counters_get(r.srv, &c);
	cr_expect_eq(c.duplicates, 1);
	cr_expect_eq(c.disconnect_acks, 1);
	/* a new request (new authenticator) with the same id is executed */
	n = build(pkt, RADIUS_CODE_DISCONNECT_REQUEST, (const uint8_t[]){ 1, 5, 'b', 'o', 'b' }, 5);
	r.h.answer = DAE_ERR_SESSION_NOT_FOUND;
	m1 = exchange(&r, pkt, n, a1);
	cr_assert_gt(m1, 0);
	cr_expect_eq(a1[0], RADIUS_CODE_DISCONNECT_NAK);
	cr_expect_eq(r.h.calls, 2);
	rig_close(&r);
}

Test(dae_server, unsigned_unknown_and_malformed_requests_are_dropped_and_counted)
{
	struct dae_rig r;
	uint8_t pkt[RADIUS_MAX_PACKET], ans[RADIUS_MAX_PACKET];
	struct dae_server_counters c;
	rig_open(&r, true, "127.0.0.1");
	cr_expect_eq(exchange(&r, vec_coa, sizeof(vec_coa), ans), 0, "unsigned: no answer");
	cr_expect_eq(exchange(&r, vec_disconnect, 19, ans), 0, "short: no answer");
	size_t n = build(pkt, RADIUS_CODE_DISCONNECT_REQUEST, by_user, sizeof(by_user));
	pkt[n - 1] ^= 1;
	cr_expect_eq(exchange(&r, pkt, n, ans), 0, "tampered: no answer");
	dae_server_counters_get(r.srv, &c);
	cr_expect_eq(c.no_message_authenticator, 1);
	cr_expect_eq(c.malformed, 1);
	cr_expect_eq(c.bad_authenticator, 1);
	cr_expect_eq(r.h.calls, 0);
	rig_close(&r);

	rig_open(&r, true, "10.9.9.9");
	n = build(pkt, RADIUS_CODE_DISCONNECT_REQUEST, by_user, sizeof(by_user));
	cr_expect_eq(exchange(&r, pkt, n, ans), 0, "not a configured client: no answer");
	dae_server_counters_get(r.srv, &c);
	cr_expect_eq(c.unknown_client, 1);
	rig_close(&r);
}

Test(dae_server, another_nas_and_unsupported_requests_get_naks_without_the_handler)
{
	struct dae_rig r;
	uint8_t pkt[RADIUS_MAX_PACKET], ans[RADIUS_MAX_PACKET];
	rig_open(&r, false, "127.0.0.1");
	static const uint8_t other_nas[] = { 1, 3, 'a', 32, 6, 'l', 'a', 'c', '9' };
	size_t n = build(pkt, RADIUS_CODE_DISCONNECT_REQUEST, other_nas, sizeof(other_nas));
	size_t m = exchange(&r, pkt, n, ans);
	cr_assert_gt(m, 0);
	cr_expect_eq(ans[0], RADIUS_CODE_DISCONNECT_NAK);
	static const uint8_t cause403[] = { 101, 6, 0, 0, 0x01, 0x93 };
	cr_expect(memcmp(ans + 38, cause403, sizeof(cause403)) == 0, "Error-Cause 403");
	static const uint8_t filter[] = { 1, 3, 'a', 11, 3, 'f' };
	n = build(pkt, RADIUS_CODE_COA_REQUEST, filter, sizeof(filter));
	m = exchange(&r, pkt, n, ans);
	cr_assert_gt(m, 0);
	cr_expect_eq(ans[0], RADIUS_CODE_COA_NAK);
	cr_expect_eq(r.h.calls, 0);
	/* radclient's CoA, unsigned, is fine when signatures are not required */
	m = exchange(&r, vec_coa, sizeof(vec_coa), ans);
	cr_assert_gt(m, 0);
	cr_expect_eq(ans[0], RADIUS_CODE_COA_ACK);
	cr_expect_eq(r.h.calls, 1);
	rig_close(&r);
}

/* ---- RFC 5176 3.3 replay protection ---- */

/* User-Name carol and Event-Timestamp ts */
static size_t build_ts(uint8_t *pkt, uint32_t ts)
{
	uint8_t a[sizeof(by_user) + 6];
	memcpy(a, by_user, sizeof(by_user));
	uint8_t *e = a + sizeof(by_user);
	e[0] = RADIUS_ATTR_EVENT_TIMESTAMP;
	e[1] = 6;
	e[2] = (uint8_t)(ts >> 24);
	e[3] = (uint8_t)(ts >> 16);
	e[4] = (uint8_t)(ts >> 8);
	e[5] = (uint8_t)ts;
	return build(pkt, RADIUS_CODE_DISCONNECT_REQUEST, a, sizeof(a));
}

static uint32_t error_cause(const uint8_t *ans, size_t len)
{
	struct radius_attr_iter it;
	uint8_t t;
	const uint8_t *v;
	size_t l;
	radius_attr_iter_init(&it, ans, len);
	while (radius_attr_next(&it, &t, &v, &l, NULL) > 0)
		if (t == RADIUS_ATTR_ERROR_CAUSE && l == 4)
			return (uint32_t)v[2] << 8 | v[3];
	return 0;
}

Test(dae_codec, event_timestamp_is_decoded_and_checked_against_the_window)
{
	uint8_t pkt[RADIUS_MAX_PACKET];
	struct dae_request r;
	struct radius_err err = { 0 };
	size_t n = build_ts(pkt, 1000);
	cr_assert_eq(dae_request_decode(pkt, n, secret, SECRET_LEN, true, &r, &err), 0, "%s", err.msg);
	cr_expect(r.has_event_timestamp);
	cr_expect_eq(r.event_timestamp, 1000);
	cr_expect_eq(r.refuse, DAE_ERR_NONE);
	cr_expect(dae_request_timestamp_ok(&r, 1300, 300, true));
	cr_expect(!dae_request_timestamp_ok(&r, 1301, 300, true), "older than the window");
	cr_expect(dae_request_timestamp_ok(&r, 700, 300, true), "a server clock a little ahead");
	cr_expect(!dae_request_timestamp_ok(&r, 699, 300, true), "too far in the future");
	static const uint8_t short_ts[] = { 1, 7, 'c', 'a', 'r', 'o', 'l', RADIUS_ATTR_EVENT_TIMESTAMP, 5, 0, 0, 1 };
	n = build(pkt, RADIUS_CODE_DISCONNECT_REQUEST, short_ts, sizeof(short_ts));
	cr_assert_eq(dae_request_decode(pkt, n, secret, SECRET_LEN, true, &r, &err), 0);
	cr_expect_eq(r.refuse, DAE_ERR_INVALID_REQUEST, "a 3-octet Event-Timestamp");
	n = build(pkt, RADIUS_CODE_DISCONNECT_REQUEST, by_user, sizeof(by_user));
	cr_assert_eq(dae_request_decode(pkt, n, secret, SECRET_LEN, true, &r, &err), 0);
	cr_expect(dae_request_timestamp_ok(&r, 1, 300, false), "absent and not required");
	cr_expect(!dae_request_timestamp_ok(&r, 1, 300, true), "absent and required");
}

Test(dae_codec, a_nak_echoes_every_proxy_state_of_a_long_chain)
{
	uint8_t attrs[RADIUS_MAX_PACKET], pkt[RADIUS_MAX_PACKET], ans[RADIUS_MAX_PACKET];
	size_t n = 0;
	memcpy(attrs, by_user, sizeof(by_user));
	n = sizeof(by_user);
	for (int i = 0; i < 20; i++) {
		attrs[n] = RADIUS_ATTR_PROXY_STATE;
		attrs[n + 1] = 2 + 100;
		memset(attrs + n + 2, 'a' + i, 100);
		n += 102;
	}
	size_t len = build(pkt, RADIUS_CODE_DISCONNECT_REQUEST, attrs, n);
	struct dae_request r;
	struct radius_err err = { 0 };
	cr_assert_eq(dae_request_decode(pkt, len, secret, SECRET_LEN, true, &r, &err), 0, "%s", err.msg);
	cr_expect_eq(r.n_proxy_state, 20);
	ssize_t m = dae_reply_encode(ans, sizeof(ans), &r, DAE_ERR_SESSION_NOT_FOUND, secret, SECRET_LEN);
	cr_assert_gt(m, 0, "2,040 octets of Proxy-State fit");
	cr_expect_gt(radius_response_verify(ans, (size_t)m, pkt + 4, secret, SECRET_LEN, &err), 0, "%s", err.msg);
	struct radius_attr_iter it;
	uint8_t t;
	const uint8_t *v;
	size_t l;
	unsigned k = 0;
	radius_attr_iter_init(&it, ans, (size_t)m);
	while (radius_attr_next(&it, &t, &v, &l, NULL) > 0)
		if (t == RADIUS_ATTR_PROXY_STATE) {
			cr_expect_eq(l, 100);
			cr_expect_eq(v[0], 'a' + k, "in order");
			k++;
		}
	cr_expect_eq(k, 20);
}

Test(dae_server, the_same_request_from_a_new_source_port_is_nakked_not_run_again)
{
	struct dae_rig r;
	uint8_t pkt[RADIUS_MAX_PACKET], ans[RADIUS_MAX_PACKET];
	fake_now = 1700000000;
	rig_open(&r, true, "127.0.0.1");
	size_t n = build_ts(pkt, (uint32_t)fake_now);
	size_t m = exchange(&r, pkt, n, ans);
	cr_assert_gt(m, 0);
	cr_expect_eq(ans[0], RADIUS_CODE_DISCONNECT_ACK);
	close(r.cli);
	r.cli = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	fake_now += 10;
	m = exchange(&r, pkt, n, ans);
	cr_assert_gt(m, 0);
	cr_expect_eq(ans[0], RADIUS_CODE_DISCONNECT_NAK);
	cr_expect_eq(error_cause(ans, m), DAE_ERR_INVALID_REQUEST);
	struct radius_err err = { 0 };
	cr_expect_gt(radius_response_verify(ans, m, pkt + 4, secret, SECRET_LEN, &err), 0, "%s", err.msg);
	cr_expect_eq(r.h.calls, 1, "executed once");
	struct dae_server_counters c;
	dae_server_counters_get(r.srv, &c);
	cr_expect_eq(c.replays, 1);
	cr_expect_eq(c.duplicates, 0);
	/* the same packet 400 s later (from a third port, past the
	 * retransmission cache): its Event-Timestamp is stale */
	close(r.cli);
	r.cli = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	fake_now += 390;
	m = exchange(&r, pkt, n, ans);
	cr_assert_gt(m, 0);
	cr_expect_eq(ans[0], RADIUS_CODE_DISCONNECT_NAK);
	dae_server_counters_get(r.srv, &c);
	cr_expect_eq(c.stale, 1);
	cr_expect_eq(r.h.calls, 1);
	rig_close(&r);
}

Test(dae_server, event_timestamp_outside_the_window_is_nakked_and_not_run)
{
	struct dae_rig r;
	uint8_t pkt[RADIUS_MAX_PACKET], ans[RADIUS_MAX_PACKET];
	fake_now = 1700000000;
	rig_open(&r, true, "127.0.0.1");
	size_t n = build_ts(pkt, (uint32_t)fake_now - 301);
	size_t m = exchange(&r, pkt, n, ans);
	cr_assert_gt(m, 0);
	cr_expect_eq(ans[0], RADIUS_CODE_DISCONNECT_NAK);
	cr_expect_eq(error_cause(ans, m), DAE_ERR_INVALID_REQUEST);
	n = build_ts(pkt, (uint32_t)fake_now + 400);
	m = exchange(&r, pkt, n, ans);
	cr_assert_gt(m, 0);
	cr_expect_eq(ans[0], RADIUS_CODE_DISCONNECT_NAK);
	n = build_ts(pkt, (uint32_t)fake_now - 299);
	m = exchange(&r, pkt, n, ans);
	cr_assert_gt(m, 0);
	cr_expect_eq(ans[0], RADIUS_CODE_DISCONNECT_ACK, "inside the window");
	struct dae_server_counters c;
	dae_server_counters_get(r.srv, &c);
	cr_expect_eq(c.stale, 2);
	cr_expect_eq(r.h.calls, 1);
	rig_close(&r);

	rig_require_ts = true;
	rig_open(&r, true, "127.0.0.1");
	n = build(pkt, RADIUS_CODE_DISCONNECT_REQUEST, by_user, sizeof(by_user));
	m = exchange(&r, pkt, n, ans);
	rig_require_ts = false;
	cr_assert_gt(m, 0);
	cr_expect_eq(ans[0], RADIUS_CODE_DISCONNECT_NAK, "required and absent");
	cr_expect_eq(r.h.calls, 0);
	rig_close(&r);
}
