/* Accounting: the content of an Accounting-Request (RFC 2866, RFC 2867 tunnel
 * attributes, every Class), and the transport against scripted servers on
 * 127.0.0.1 in this process: an unsigned but correct Accounting-Response ends
 * a record, a forged one does not; a retransmission carries a new id and a
 * larger Acct-Delay-Time; failover to the second server; a full queue drops
 * the oldest Interim-Update first and counts it. Timeouts are tens of ms. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aaa/radius_acct.h"
#include "ev/ev.h"
#include "util/md5.h"

static const uint8_t secret[] = "acct-secret";
#define SECRET_LEN (sizeof(secret) - 1)

/* Finds attribute `type` (the n-th occurrence) in a packet. */
static const uint8_t *attr(const uint8_t *pkt, size_t len, uint8_t type, unsigned nth, size_t *alen)
{
	struct radius_attr_iter it;
	uint8_t t;
	const uint8_t *v;
	size_t l;
	radius_attr_iter_init(&it, pkt, len);
	while (radius_attr_next(&it, &t, &v, &l, NULL) > 0)
		if (t == type && nth-- == 0) {
			*alen = l;
			return v;
		}
	return NULL;
}

static uint32_t attr_u32(const uint8_t *pkt, size_t len, uint8_t type)
{
	size_t l = 0;
	const uint8_t *v = attr(pkt, len, type, 0, &l);
	cr_assert(v && l == 4, "attribute %u missing", type);
	return (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
}

static void expect_attr(const uint8_t *pkt, size_t len, uint8_t type, unsigned nth, const void *want,
			size_t want_len)
{
	size_t l = 0;
	const uint8_t *v = attr(pkt, len, type, nth, &l);
	cr_assert(v, "attribute %u #%u missing", type, nth);
	cr_expect_eq(l, want_len, "attribute %u length", type);
	cr_expect(memcmp(v, want, want_len) == 0, "attribute %u value", type);
}

Test(radius_acct, stop_of_a_tunnelled_session_carries_rfc_2867_attributes)
{
	static const uint8_t c1[] = "class-one", c2[] = { 0x00, 0x01, 0xff };
	struct radius_acct_tunnel t = {
		.tag = 1, .type = RADIUS_TUNNEL_TYPE_L2TP, .medium = RADIUS_TUNNEL_MEDIUM_IPV4,
		.client_endpoint = "10.88.2.1", .server_endpoint = "10.88.2.2", .assignment_id = "corp",
		.client_auth_id = "lac1", .server_auth_id = "lns1", .connection = "42",
	};
	struct radius_acct_params p = {
		.status_type = RADIUS_ACCT_STATUS_STOP, .user_name = "alice@corp.example",
		.acct_session_id = "0A1B2C3D00000007", .has_counters = true, .session_time = 5,
		.input_octets = 100, .output_octets = 200, .input_packets = 1, .output_packets = 2,
		.terminate_cause = RADIUS_TERM_ADMIN_RESET, .n_class = 2, .class_val = { c1, c2 },
		.class_len = { 9, 3 }, .tunnel = &t,
	};
	uint8_t buf[RADIUS_MAX_PACKET];
	ssize_t n = radius_accounting_request_encode(buf, sizeof(buf), 5, &p, secret, SECRET_LEN);
	cr_assert_gt(n, 0);
	struct radius_err err = { 0 };
	cr_expect_eq(radius_request_verify(buf, (size_t)n, secret, SECRET_LEN, &err), n, "%s", err.msg);
	cr_expect_eq(attr_u32(buf, (size_t)n, RADIUS_ATTR_ACCT_STATUS_TYPE), RADIUS_ACCT_STATUS_STOP);
	cr_expect_eq(attr_u32(buf, (size_t)n, RADIUS_ATTR_ACCT_TERMINATE_CAUSE), 6);
	/* RFC 2868 3.1/3.2: tag octet then a 24-bit value */
	expect_attr(buf, (size_t)n, RADIUS_ATTR_TUNNEL_TYPE, 0, "\x01\x00\x00\x03", 4);
	expect_attr(buf, (size_t)n, RADIUS_ATTR_TUNNEL_MEDIUM_TYPE, 0, "\x01\x00\x00\x01", 4);
	/* tagged strings: tag octet then the text */
	expect_attr(buf, (size_t)n, RADIUS_ATTR_TUNNEL_SERVER_ENDPOINT, 0, "\x01" "10.88.2.2", 10);
	expect_attr(buf, (size_t)n, RADIUS_ATTR_TUNNEL_CLIENT_ENDPOINT, 0, "\x01" "10.88.2.1", 10);
	expect_attr(buf, (size_t)n, RADIUS_ATTR_TUNNEL_ASSIGNMENT_ID, 0, "\x01" "corp", 5);
	expect_attr(buf, (size_t)n, RADIUS_ATTR_TUNNEL_CLIENT_AUTH_ID, 0, "\x01" "lac1", 5);
	expect_attr(buf, (size_t)n, RADIUS_ATTR_TUNNEL_SERVER_AUTH_ID, 0, "\x01" "lns1", 5);
	/* RFC 2867 4.1: untagged text */
	expect_attr(buf, (size_t)n, RADIUS_ATTR_ACCT_TUNNEL_CONNECTION, 0, "42", 2);
	expect_attr(buf, (size_t)n, RADIUS_ATTR_CLASS, 0, c1, 9);
	expect_attr(buf, (size_t)n, RADIUS_ATTR_CLASS, 1, c2, 3);

	/* untagged group: strings go without a tag unless they could be misread */
	t.tag = 0;
	t.assignment_id = "\x05odd";
	n = radius_accounting_request_encode(buf, sizeof(buf), 5, &p, secret, SECRET_LEN);
	cr_assert_gt(n, 0);
	expect_attr(buf, (size_t)n, RADIUS_ATTR_TUNNEL_SERVER_ENDPOINT, 0, "10.88.2.2", 9);
	expect_attr(buf, (size_t)n, RADIUS_ATTR_TUNNEL_ASSIGNMENT_ID, 0, "\x00\x05odd", 5);
	expect_attr(buf, (size_t)n, RADIUS_ATTR_TUNNEL_TYPE, 0, "\x00\x00\x00\x03", 4);
}

/* ---- transport ---- */

enum acct_mode { ACCT_SILENT, ACCT_ANSWER, ACCT_FORGED_THEN_ANSWER };

struct acct_server {
	int fd;
	uint16_t port;
	enum acct_mode mode;
	unsigned received;
	uint8_t pkts[8][RADIUS_MAX_PACKET];
	size_t lens[8];
};

static struct ev_loop *loop;
static struct acct_server srv[2];

static void answer(struct acct_server *s, const uint8_t *req, const struct sockaddr *to, socklen_t tl,
		   bool forge)
{
	/* unsigned, like FreeRADIUS 3.2.1: Response Authenticator only */
	uint8_t out[20] = { RADIUS_CODE_ACCOUNTING_RESPONSE, req[1], 0, 20 };
	struct md5_ctx ctx;
	md5_init(&ctx);
	md5_update(&ctx, out, 4);
	md5_update(&ctx, req + 4, 16);
	md5_update(&ctx, forge ? (const uint8_t *)"x" : secret, forge ? 1 : SECRET_LEN);
	md5_final(&ctx, out + 4);
	sendto(s->fd, out, sizeof(out), 0, to, tl);
}

static void server_readable(struct ev_loop *l, int fd, unsigned events, void *arg)
{
	struct acct_server *s = arg;
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	uint8_t buf[RADIUS_MAX_PACKET];
	ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	if (n <= 0)
		return;
	if (s->received < 8) {
		memcpy(s->pkts[s->received], buf, (size_t)n);
		s->lens[s->received] = (size_t)n;
	}
	s->received++;
	if (s->mode == ACCT_ANSWER)
		answer(s, buf, (struct sockaddr *)&from, fl, false);
	else if (s->mode == ACCT_FORGED_THEN_ANSWER)
		answer(s, buf, (struct sockaddr *)&from, fl, s->received == 1);
}

static void server_open(struct acct_server *s, enum acct_mode mode)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->fd = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert(s->fd >= 0);
	cr_assert_eq(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(s->fd, (struct sockaddr *)&a, &al);
	s->port = ntohs(a.sin_port);
	ev_io_add(loop, s->fd, EV_READ, server_readable, s);
}

static void cfg_for(struct radius_client_config *cfg, size_t n)
{
	radius_client_config_defaults(cfg);
	cfg->timeout_ms = 40;
	cfg->tries = 2;
	cfg->deadtime_s = 0;
	for (size_t i = 0; i < n; i++) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&cfg->servers[i].addr;
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin->sin_port = htons(srv[i].port);
		cfg->servers[i].addr_len = sizeof(*sin);
		memcpy(cfg->servers[i].secret, secret, SECRET_LEN);
		cfg->servers[i].secret_len = SECRET_LEN;
		snprintf(cfg->servers[i].name, sizeof(cfg->servers[i].name), "srv%zu", i);
	}
	cfg->n_servers = n;
}

static void run_ms(unsigned ms)
{
	uint64_t end = ev_now_ms(loop) + ms;
	while (ev_now_ms(loop) < end)
		ev_loop_run_once(loop, 5);
}

static void setup(void)
{
	loop = ev_loop_create();
}

static void teardown(void)
{
	for (int i = 0; i < 2; i++)
		if (srv[i].fd > 0) {
			ev_io_del(loop, srv[i].fd);
			close(srv[i].fd);
			srv[i].fd = 0;
		}
	ev_loop_destroy(loop);
}

static const struct radius_acct_params start = {
	.status_type = RADIUS_ACCT_STATUS_START, .user_name = "bob@local.example",
	.acct_session_id = "00000001", .has_framed_ip = true,
};

Test(radius_acct, unsigned_response_ends_the_record_a_forged_one_does_not, .init = setup, .fini = teardown)
{
	struct radius_client_config cfg;
	server_open(&srv[0], ACCT_FORGED_THEN_ANSWER);
	cfg_for(&cfg, 1);
	struct radius_acct *a = radius_acct_create(loop, &cfg, 16);
	cr_assert(a);
	cr_assert_eq(radius_acct_send(a, &start), 0);
	run_ms(150);
	struct radius_acct_counters c;
	radius_acct_counters_get(a, &c);
	cr_expect_eq(c.replies_invalid, 1, "the forged answer is refused");
	cr_expect_eq(c.responses, 1, "the answer to the retransmission is taken");
	cr_expect_eq(c.pending, 0);
	cr_expect_eq(srv[0].received, 2);
	radius_acct_destroy(a);
}

Test(radius_acct, retransmission_is_a_new_packet_with_a_larger_delay, .init = setup, .fini = teardown)
{
	struct radius_client_config cfg;
	server_open(&srv[0], ACCT_SILENT);
	cfg_for(&cfg, 1);
	cfg.timeout_ms = 1100;  /* Acct-Delay-Time counts seconds */
	struct radius_acct *a = radius_acct_create(loop, &cfg, 16);
	cr_assert_eq(radius_acct_send(a, &start), 0);
	run_ms(1250);
	cr_assert_eq(srv[0].received, 2);
	size_t l0 = 0, l1 = 0;
	cr_expect_null(attr(srv[0].pkts[0], srv[0].lens[0], RADIUS_ATTR_ACCT_DELAY_TIME, 0, &l0),
		       "no delay on the first send");
	cr_expect_eq(attr_u32(srv[0].pkts[1], srv[0].lens[1], RADIUS_ATTR_ACCT_DELAY_TIME), 1);
	cr_expect_neq(srv[0].pkts[0][1], srv[0].pkts[1][1], "RFC 2866 5.2: a new Identifier");
	cr_expect(memcmp(srv[0].pkts[0] + 4, srv[0].pkts[1] + 4, 16) != 0, "and a new authenticator");
	struct radius_err err = { 0 };
	cr_expect_gt(radius_request_verify(srv[0].pkts[1], srv[0].lens[1], secret, SECRET_LEN, &err), 0, "%s",
		     err.msg);
	(void)l1;
	radius_acct_destroy(a);
}

Test(radius_acct, silent_server_fails_over_to_the_next, .init = setup, .fini = teardown)
{
	struct radius_client_config cfg;
	server_open(&srv[0], ACCT_SILENT);
	server_open(&srv[1], ACCT_ANSWER);
	cfg_for(&cfg, 2);
	cfg.deadtime_s = 30;
	struct radius_acct *a = radius_acct_create(loop, &cfg, 16);
	cr_assert_eq(radius_acct_send(a, &start), 0);
	run_ms(200);
	struct radius_acct_counters c;
	radius_acct_counters_get(a, &c);
	cr_expect_eq(srv[0].received, 2, "tries per server");
	cr_expect_eq(srv[1].received, 1);
	cr_expect_eq(c.failovers, 1);
	cr_expect_eq(c.responses, 1);
	/* the first server is dead now: the next record goes to the second directly */
	cr_assert_eq(radius_acct_send(a, &start), 0);
	run_ms(30);
	cr_expect_eq(srv[0].received, 2);
	cr_expect_eq(srv[1].received, 2);
	radius_acct_destroy(a);
}

Test(radius_acct, full_queue_drops_the_oldest_interim_first, .init = setup, .fini = teardown)
{
	struct radius_client_config cfg;
	server_open(&srv[0], ACCT_SILENT);
	cfg_for(&cfg, 1);
	struct radius_acct *a = radius_acct_create(loop, &cfg, 3);
	struct radius_acct_params interim = start, stop = start;
	interim.status_type = RADIUS_ACCT_STATUS_INTERIM;
	stop.status_type = RADIUS_ACCT_STATUS_STOP;
	cr_assert_eq(radius_acct_send(a, &start), 0);
	cr_assert_eq(radius_acct_send(a, &interim), 0);
	cr_assert_eq(radius_acct_send(a, &interim), 0);
	cr_assert_eq(radius_acct_send(a, &stop), 0);
	struct radius_acct_counters c;
	radius_acct_counters_get(a, &c);
	cr_expect_eq(c.pending, 3);
	cr_expect_eq(c.dropped_interim, 1);
	cr_expect_eq(c.dropped_other, 0);
	cr_assert_eq(radius_acct_send(a, &stop), 0);
	cr_assert_eq(radius_acct_send(a, &stop), 0);
	radius_acct_counters_get(a, &c);
	cr_expect_eq(c.dropped_interim, 2);
	cr_expect_eq(c.dropped_other, 1, "no interim left: the oldest record goes");
	cr_expect_eq(c.pending, 3);
	radius_acct_destroy(a);
}

/* 256 requests fill the identifiers of the one socket; the records after
 * them wait for one. A full queue then drops a waiting record, not one on the
 * wire: freeing that would release its identifier to the next record (a
 * 257th send), and its late answer would not match the new request. */
Test(radius_acct, full_queue_keeps_the_requests_on_the_wire, .init = setup, .fini = teardown)
{
	struct radius_client_config cfg;
	server_open(&srv[0], ACCT_SILENT);
	cfg_for(&cfg, 1);
	cfg.timeout_ms = 5000;          /* nothing retransmits within the test */
	struct radius_acct *a = radius_acct_create(loop, &cfg, 260);
	struct radius_acct_params stop = start;
	stop.status_type = RADIUS_ACCT_STATUS_STOP;
	for (int i = 0; i < 260; i++)
		cr_assert_eq(radius_acct_send(a, &stop), 0);
	run_ms(30);
	cr_expect_eq(srv[0].received, 256, "one socket: 256 identifiers on the wire");
	cr_assert_eq(radius_acct_send(a, &stop), 0);
	run_ms(30);
	struct radius_acct_counters c;
	radius_acct_counters_get(a, &c);
	cr_expect_eq(c.dropped_other, 1);
	cr_expect_eq(c.pending, 260);
	cr_expect_eq(srv[0].received, 256, "no identifier freed: the dropped record was a waiting one");
	radius_acct_destroy(a);
}

static void on_idle(void *arg)
{
	*(int *)arg += 1;
}

Test(radius_acct, idle_callback_fires_once_the_queue_drains, .init = setup, .fini = teardown)
{
	struct radius_client_config cfg;
	server_open(&srv[0], ACCT_ANSWER);
	cfg_for(&cfg, 1);
	struct radius_acct *a = radius_acct_create(loop, &cfg, 16);
	int fired = 0;
	cr_assert_eq(radius_acct_send(a, &start), 0);
	radius_acct_on_idle(a, on_idle, &fired);
	cr_expect_eq(fired, 0, "never from inside the call");
	run_ms(50);
	cr_expect_eq(fired, 1);
	cr_expect_eq(radius_acct_pending(a), 0);
	radius_acct_destroy(a);
}

Test(radius_acct, tunnel_link_reject_is_queued_with_status_14_and_the_tunnel, .init = setup, .fini = teardown)
{
	struct radius_client_config cfg;
	server_open(&srv[0], ACCT_ANSWER);
	cfg_for(&cfg, 1);
	struct radius_acct *a = radius_acct_create(loop, &cfg, 16);
	struct radius_acct_tunnel t = { .tag = 1, .type = RADIUS_TUNNEL_TYPE_L2TP, .medium = RADIUS_TUNNEL_MEDIUM_IPV4,
					.server_endpoint = "10.88.2.2", .client_auth_id = "lac1" };
	struct radius_acct_params p = start;
	p.tunnel = &t;
	p.has_counters = true;
	p.terminate_cause = RADIUS_TERM_SERVICE_UNAVAILABLE;
	cr_assert_eq(radius_acct_tunnel_reject(a, true, &p), 0);
	cr_assert_eq(radius_acct_tunnel_reject(a, false, &p), 0);
	run_ms(50);
	cr_assert_eq(srv[0].received, 2);
	cr_expect_eq(attr_u32(srv[0].pkts[0], srv[0].lens[0], RADIUS_ATTR_ACCT_STATUS_TYPE), 14);
	cr_expect_eq(attr_u32(srv[0].pkts[1], srv[0].lens[1], RADIUS_ATTR_ACCT_STATUS_TYPE), 11);
	cr_expect_eq(attr_u32(srv[0].pkts[0], srv[0].lens[0], RADIUS_ATTR_ACCT_TERMINATE_CAUSE), 15);
	size_t l = 0;
	cr_expect_null(attr(srv[0].pkts[0], srv[0].lens[0], RADIUS_ATTR_ACCT_SESSION_TIME, 0, &l), "no counters");
	expect_attr(srv[0].pkts[0], srv[0].lens[0], RADIUS_ATTR_TUNNEL_SERVER_ENDPOINT, 0, "\x01" "10.88.2.2", 10);
	struct radius_acct_counters c;
	radius_acct_counters_get(a, &c);
	cr_expect_eq(c.others, 2);
	cr_expect_eq(c.responses, 2);
	cr_expect_gt(c.rcvbuf, 0, "the receive buffer is reported");
	radius_acct_destroy(a);
}
