/* RADIUS client transport against scripted servers on 127.0.0.1 in this
 * process (same event loop): retransmission with the same id and
 * authenticator, failover and dead time, identifier exhaustion opening a
 * second socket, forged/unsigned/wrong-source replies dropped without ending
 * the request, cancel without callback, Access-Challenge treated as reject.
 * Timeouts are tens of milliseconds. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aaa/radius_client.h"
#include "ev/ev.h"
#include "util/md5.h"

static const uint8_t secret[] = "unit-secret";
#define SECRET_LEN (sizeof(secret) - 1)

enum server_mode {
	SRV_SILENT,             /* records, never answers */
	SRV_ACCEPT,             /* signed Access-Accept */
	SRV_UNSIGNED,           /* Access-Accept without Message-Authenticator */
	SRV_WRONG_SECRET,       /* signed with another secret, then a good one */
	SRV_CHALLENGE,
	SRV_OTHER_PORT,         /* a good reply, but from another source port */
};

struct server {
	int fd;
	uint16_t port;
	enum server_mode mode;
	unsigned received;
	uint8_t last[RADIUS_MAX_PACKET];
	size_t last_len;
	uint8_t first[RADIUS_MAX_PACKET];
	size_t first_len;
	int other_fd;
};

static struct ev_loop *loop;
static struct server srv[2];

/* A response to req: code, the request's id, one Reply-Message, signed as
 * RFC 3579 3.2 then RFC 2865 3 (or not signed at all). */
static size_t make_reply(const uint8_t *req, uint8_t code, bool sign, const uint8_t *sec,
			 size_t sec_len, uint8_t *out)
{
	size_t n;
	if (sign) {
		struct radius_builder b;
		radius_builder_init(&b, out, RADIUS_MAX_PACKET, code, req[1], req + 4);
		radius_builder_add_str(&b, RADIUS_ATTR_REPLY_MESSAGE, "hello");
		n = (size_t)radius_builder_finish(&b, sec, sec_len);
	} else {
		out[0] = code;
		out[1] = req[1];
		out[20] = RADIUS_ATTR_REPLY_MESSAGE;
		out[21] = 7;
		memcpy(out + 22, "hello", 5);
		n = 27;
		out[2] = 0;
		out[3] = (uint8_t)n;
	}
	struct md5_ctx ctx;
	md5_init(&ctx);
	md5_update(&ctx, out, 4);
	md5_update(&ctx, req + 4, 16);
	md5_update(&ctx, out + 20, n - 20);
	md5_update(&ctx, sec, sec_len);
	md5_final(&ctx, out + 4);
	return n;
}

static void server_readable(struct ev_loop *l, int fd, unsigned events, void *arg)
{
	struct server *s = arg;
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	uint8_t out[RADIUS_MAX_PACKET];
	ssize_t n = recvfrom(fd, s->last, sizeof(s->last), 0, (struct sockaddr *)&from, &fl);
	if (n <= 0)
		return;
	s->last_len = (size_t)n;
	if (s->received++ == 0) {
		memcpy(s->first, s->last, (size_t)n);
		s->first_len = (size_t)n;
	}
	size_t rl;
	switch (s->mode) {
	case SRV_SILENT:
		return;
	case SRV_ACCEPT:
		rl = make_reply(s->last, RADIUS_CODE_ACCESS_ACCEPT, true, secret, SECRET_LEN, out);
		break;
	case SRV_UNSIGNED:
		rl = make_reply(s->last, RADIUS_CODE_ACCESS_ACCEPT, false, secret, SECRET_LEN, out);
		break;
	case SRV_WRONG_SECRET:
		rl = make_reply(s->last, RADIUS_CODE_ACCESS_ACCEPT, true, (const uint8_t *)"nope", 4, out);
		sendto(fd, out, rl, 0, (struct sockaddr *)&from, fl);
		rl = make_reply(s->last, RADIUS_CODE_ACCESS_ACCEPT, true, secret, SECRET_LEN, out);
		break;
	case SRV_CHALLENGE:
		rl = make_reply(s->last, RADIUS_CODE_ACCESS_CHALLENGE, true, secret, SECRET_LEN, out);
		break;
	case SRV_OTHER_PORT:
		rl = make_reply(s->last, RADIUS_CODE_ACCESS_ACCEPT, true, secret, SECRET_LEN, out);
		sendto(s->other_fd, out, rl, 0, (struct sockaddr *)&from, fl);
		return;
	default:
		return;
	}
	sendto(fd, out, rl, 0, (struct sockaddr *)&from, fl);
}

static int udp_socket(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(fd, (struct sockaddr *)&a, &al);
	*port = ntohs(a.sin_port);
	return fd;
}

static void setup(void)
{
	loop = ev_loop_create();
	for (int i = 0; i < 2; i++) {
		memset(&srv[i], 0, sizeof(srv[i]));
		srv[i].fd = udp_socket(&srv[i].port);
		uint16_t p;
		srv[i].other_fd = udp_socket(&p);
		ev_io_add(loop, srv[i].fd, EV_READ, server_readable, &srv[i]);
	}
}

static void teardown(void)
{
	for (int i = 0; i < 2; i++) {
		ev_io_del(loop, srv[i].fd);
		close(srv[i].fd);
		close(srv[i].other_fd);
	}
	ev_loop_destroy(loop);
}

static void config(struct radius_client_config *cfg, size_t n_servers)
{
	radius_client_config_defaults(cfg);
	cfg->timeout_ms = 40;
	cfg->tries = 2;
	cfg->deadtime_s = 30;
	for (size_t i = 0; i < n_servers; i++) {
		struct radius_server_config *sc = &cfg->servers[i];
		struct sockaddr_in *a = (struct sockaddr_in *)&sc->addr;
		a->sin_family = AF_INET;
		a->sin_port = htons(srv[i].port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sc->addr_len = sizeof(*a);
		memcpy(sc->secret, secret, SECRET_LEN);
		sc->secret_len = SECRET_LEN;
		snprintf(sc->name, sizeof(sc->name), "srv%zu", i);
	}
	cfg->n_servers = n_servers;
	strcpy(cfg->nas_identifier, "lac-unit");
}

struct outcome {
	int calls;
	enum radius_status status;
	char server[32];
	char msg[RADIUS_REPLY_MSG_MAX];
};

static void on_done(void *arg, const struct radius_auth_result *r)
{
	struct outcome *o = arg;
	o->calls++;
	o->status = r->status;
	snprintf(o->server, sizeof(o->server), "%s", r->server ? r->server : "-");
	snprintf(o->msg, sizeof(o->msg), "%s", r->reply ? r->reply->reply_message : "");
}

static const struct radius_auth_params params = {
	.user_name = "alice@corp.example",
	.user_password = (const uint8_t *)"pw",
	.user_password_len = 2,
	.framed_ppp = true,
};

static void run_until(struct outcome *o, int calls, int max_ms)
{
	for (int i = 0; i < max_ms / 5 && o->calls < calls; i++)
		ev_loop_run_once(loop, 5);
}

/* The common start of most tests: one server answering in the given mode. */
static struct radius_client *client_one_server(enum server_mode mode)
{
	struct radius_client_config cfg;
	config(&cfg, 1);
	srv[0].mode = mode;
	return radius_client_create(loop, &cfg);
}

/* Starts one Access-Request and runs the loop until its callback or max_ms. */
static void auth_and_wait(struct radius_client *c, struct outcome *o, int max_ms)
{
	cr_assert_not_null(radius_auth_start(c, &params, on_done, o));
	run_until(o, 1, max_ms);
}

static struct radius_client_counters counters(struct radius_client *c)
{
	struct radius_client_counters k;
	radius_client_counters_get(c, &k);
	return k;
}

TestSuite(radius_client, .init = setup, .fini = teardown);

Test(radius_client, accept_from_first_server_carries_reply_and_nas_identifier)
{
	struct radius_client *c = client_one_server(SRV_ACCEPT);
	struct outcome o = { 0 };
	cr_assert_not_null(radius_auth_start(c, &params, on_done, &o));
	cr_expect_eq(o.calls, 0, "done must not run inside radius_auth_start");
	run_until(&o, 1, 500);
	cr_assert_eq(o.calls, 1);
	cr_expect_eq(o.status, RADIUS_STATUS_ACCEPT);
	cr_expect_str_eq(o.server, "srv0");
	cr_expect_str_eq(o.msg, "hello");
	/* The request was signed and carried the configured NAS-Identifier. */
	cr_expect_gt(radius_request_verify(srv[0].first, srv[0].first_len, secret, SECRET_LEN, NULL), 0);
	cr_expect(memmem(srv[0].first, srv[0].first_len, "lac-unit", 8) != NULL);
	struct radius_client_counters k = counters(c);
	cr_expect_eq(k.accepts, 1);
	cr_expect_eq(k.in_flight, 0);
	radius_client_destroy(c);
}

Test(radius_client, retransmits_keep_id_and_authenticator_then_fail_over_and_skip_dead)
{
	struct radius_client_config cfg;
	config(&cfg, 2);
	srv[0].mode = SRV_SILENT;
	srv[1].mode = SRV_ACCEPT;
	struct radius_client *c = radius_client_create(loop, &cfg);
	struct outcome o = { 0 };
	cr_assert_not_null(radius_auth_start(c, &params, on_done, &o));
	run_until(&o, 1, 1000);
	cr_assert_eq(o.calls, 1);
	cr_expect_eq(o.status, RADIUS_STATUS_ACCEPT);
	cr_expect_str_eq(o.server, "srv1");
	cr_expect_eq(srv[0].received, 2);
	/* The retransmission is byte-identical (RFC 2865 2.5). */
	cr_expect_eq(srv[0].first_len, srv[0].last_len);
	cr_expect(memcmp(srv[0].first, srv[0].last, srv[0].first_len) == 0);
	struct radius_server_status st;
	radius_client_server_status(c, 0, &st);
	cr_expect(st.dead);
	/* Next request goes straight to the live server. */
	struct outcome o2 = { 0 };
	cr_assert_not_null(radius_auth_start(c, &params, on_done, &o2));
	run_until(&o2, 1, 500);
	cr_expect_eq(o2.status, RADIUS_STATUS_ACCEPT);
	cr_expect_eq(srv[0].received, 2);
	struct radius_client_counters k = counters(c);
	cr_expect_eq(k.retransmits, 1);
	cr_expect_eq(k.failovers, 1);
	radius_client_destroy(c);
}

Test(radius_client, all_silent_times_out_and_all_dead_servers_are_still_tried)
{
	struct radius_client_config cfg;
	config(&cfg, 2);
	struct radius_client *c = radius_client_create(loop, &cfg);
	struct outcome o = { 0 };
	cr_assert_not_null(radius_auth_start(c, &params, on_done, &o));
	run_until(&o, 1, 1000);
	cr_assert_eq(o.calls, 1);
	cr_expect_eq(o.status, RADIUS_STATUS_TIMEOUT);
	cr_expect_eq(srv[0].received, 2);
	cr_expect_eq(srv[1].received, 2);
	/* Both dead now: the next request still tries them rather than failing. */
	srv[0].mode = SRV_ACCEPT;
	struct outcome o2 = { 0 };
	cr_assert_not_null(radius_auth_start(c, &params, on_done, &o2));
	run_until(&o2, 1, 500);
	cr_expect_eq(o2.status, RADIUS_STATUS_ACCEPT);
	struct radius_server_status st;
	radius_client_server_status(c, 0, &st);
	cr_expect(!st.dead, "an answer revives the server");
	radius_client_destroy(c);
}

Test(radius_client, unsigned_reply_is_dropped_and_the_request_times_out)
{
	struct radius_client *c = client_one_server(SRV_UNSIGNED);
	struct outcome o = { 0 };
	auth_and_wait(c, &o, 1000);
	cr_expect_eq(o.status, RADIUS_STATUS_TIMEOUT);
	struct radius_client_counters k = counters(c);
	cr_expect_eq(k.replies_no_message_authenticator, 2);
	radius_client_destroy(c);
}

Test(radius_client, forged_reply_does_not_end_the_request_the_genuine_one_does)
{
	struct radius_client *c = client_one_server(SRV_WRONG_SECRET);
	struct outcome o = { 0 };
	auth_and_wait(c, &o, 500);
	cr_expect_eq(o.status, RADIUS_STATUS_ACCEPT);
	struct radius_client_counters k = counters(c);
	cr_expect_eq(k.replies_bad_authenticator, 1);
	radius_client_destroy(c);
}

Test(radius_client, reply_from_another_port_is_unexpected)
{
	struct radius_client *c = client_one_server(SRV_OTHER_PORT);
	struct outcome o = { 0 };
	auth_and_wait(c, &o, 1000);
	cr_expect_eq(o.status, RADIUS_STATUS_TIMEOUT);
	struct radius_client_counters k = counters(c);
	cr_expect_eq(k.replies_unexpected, 2);
	radius_client_destroy(c);
}

Test(radius_client, challenge_is_treated_as_reject)
{
	struct radius_client *c = client_one_server(SRV_CHALLENGE);
	struct outcome o = { 0 };
	auth_and_wait(c, &o, 500);
	cr_expect_eq(o.status, RADIUS_STATUS_REJECT);
	struct radius_client_counters k = counters(c);
	cr_expect_eq(k.challenges, 1);
	radius_client_destroy(c);
}

/* Requests wait for the end of the loop iteration and go out together (one
 * sendmmsg): one cancelled before then never leaves. */
Test(radius_client, request_cancelled_in_its_iteration_never_leaves)
{
	struct radius_client *c = client_one_server(SRV_ACCEPT);
	struct outcome o = { 0 };
	struct radius_request *r = radius_auth_start(c, &params, on_done, &o);
	cr_assert_not_null(r);
	cr_expect_eq(srv[0].received, 0, "nothing is sent before the iteration ends");
	radius_request_cancel(r);
	run_until(&o, 1, 100);
	cr_expect_eq(o.calls, 0);
	cr_expect_eq(srv[0].received, 0, "the cancelled request was not sent");
	struct radius_client_counters k = counters(c);
	cr_expect_eq(k.cancels, 1);
	cr_expect_eq(k.replies_unexpected, 0);
	radius_client_destroy(c);
}

Test(radius_client, request_cancelled_after_it_left_gets_no_callback)
{
	struct radius_client *c = client_one_server(SRV_ACCEPT);
	struct outcome o = { 0 };
	struct radius_request *r = radius_auth_start(c, &params, on_done, &o);
	cr_assert_not_null(r);
	/* The server reads the request and answers in one iteration; the
	 * answer is read in a later one, after the cancel. */
	for (int i = 0; i < 100 && srv[0].received == 0; i++)
		ev_loop_run_once(loop, 5);
	cr_assert_eq(srv[0].received, 1);
	cr_assert_eq(o.calls, 0);
	radius_request_cancel(r);
	run_until(&o, 1, 100);
	cr_expect_eq(o.calls, 0);
	struct radius_client_counters k = counters(c);
	cr_expect_eq(k.cancels, 1);
	cr_expect_eq(k.replies_unexpected, 1, "the late reply finds no request");
	radius_client_destroy(c);
}

/* More requests in one iteration than one batch holds (64): the queue is sent
 * as it fills, and every request reaches the server and is answered. */
Test(radius_client, a_burst_larger_than_a_send_batch_is_answered_in_full)
{
	enum { N = 200 };
	struct radius_client *c = client_one_server(SRV_ACCEPT);
	static struct outcome o[N];
	memset(o, 0, sizeof(o));
	for (int i = 0; i < N; i++)
		cr_assert_not_null(radius_auth_start(c, &params, on_done, &o[i]), "request %d", i);
	int answered = 0;
	for (int round = 0; round < 400 && answered < N; round++) {
		ev_loop_run_once(loop, 5);
		answered = 0;
		for (int i = 0; i < N; i++)
			answered += o[i].calls == 1 && o[i].status == RADIUS_STATUS_ACCEPT;
	}
	cr_expect_eq(answered, N);
	cr_expect_eq(srv[0].received, N);
	struct radius_client_counters k = counters(c);
	cr_expect_eq(k.retransmits, 0);
	cr_expect_eq(k.replies_unexpected, 0);
	radius_client_destroy(c);
}

Test(radius_client, identifier_exhaustion_opens_a_second_socket_then_refuses)
{
	struct radius_client_config cfg;
	config(&cfg, 1);
	cfg.max_sockets = 2;
	cfg.timeout_ms = 10000;
	srv[0].mode = SRV_SILENT;
	struct radius_client *c = radius_client_create(loop, &cfg);
	static struct outcome o[513];
	for (int i = 0; i < 512; i++)
		cr_assert_not_null(radius_auth_start(c, &params, on_done, &o[i]), "request %d", i);
	struct radius_client_counters k = counters(c);
	cr_expect_eq(k.sockets, 2);
	cr_expect_eq(k.in_flight, 512);
	errno = 0;
	cr_expect_null(radius_auth_start(c, &params, on_done, &o[512]));
	cr_expect_eq(errno, EBUSY);
	radius_client_destroy(c);
	for (int i = 0; i < 513; i++)
		cr_expect_eq(o[i].calls, 0);
}

Test(radius_client, unencodable_params_are_refused_up_front)
{
	struct radius_client_config cfg;
	config(&cfg, 1);
	struct radius_client *c = radius_client_create(loop, &cfg);
	uint8_t longpw[129];
	memset(longpw, 'x', sizeof(longpw));
	struct radius_auth_params p = params;
	p.user_password = longpw;
	p.user_password_len = sizeof(longpw);
	struct outcome o = { 0 };
	errno = 0;
	cr_expect_null(radius_auth_start(c, &p, on_done, &o));
	cr_expect_eq(errno, EINVAL);
	radius_client_destroy(c);
}

Test(radius_client, radcli_configuration_is_read)
{
	char dir[] = "/tmp/rlt-radius-unit.XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char conf[256], servers[256], err[512];
	snprintf(conf, sizeof(conf), "%s/radiusclient.conf", dir);
	snprintf(servers, sizeof(servers), "%s/servers", dir);
	FILE *f = fopen(servers, "w");
	fprintf(f, "127.0.0.1\tfirst-secret\n127.0.0.2\tsecond-secret\n");
	fclose(f);
	f = fopen(conf, "w");
	fprintf(f, "nas-identifier lac-x\nauthserver 127.0.0.1:1645,127.0.0.2\n"
		"acctserver 127.0.0.1:1646\nservers %s\ndictionary %s/dictionaries/radcli/dictionary\n"
		"radius_timeout 2\nradius_retries 4\nradius_deadtime 9\nbindaddr 127.0.0.1\n"
		"default_realm\n", servers, TOP_SRCDIR);
	fclose(f);
	struct radius_client_config cfg;
	int r = radius_client_config_from_radcli(conf, &cfg, err, sizeof(err));
	cr_assert_eq(r, 0, "%s", err);
	cr_expect_eq(cfg.n_servers, 2);
	cr_expect_str_eq(cfg.servers[0].name, "127.0.0.1:1645");
	cr_expect_eq(ntohs(((struct sockaddr_in *)&cfg.servers[0].addr)->sin_port), 1645);
	cr_expect_eq(cfg.servers[0].secret_len, 12);
	cr_expect(memcmp(cfg.servers[0].secret, "first-secret", 12) == 0);
	cr_expect_str_eq(cfg.servers[1].name, "127.0.0.2:1812");
	cr_expect(memcmp(cfg.servers[1].secret, "second-secret", 13) == 0);
	cr_expect_eq(cfg.timeout_ms, 2000);
	cr_expect_eq(cfg.tries, 4);
	cr_expect_eq(cfg.deadtime_s, 9);
	cr_expect_str_eq(cfg.nas_identifier, "lac-x");
	cr_expect(cfg.has_bind);
	/* A server without a secret is an error naming the file. */
	f = fopen(servers, "w");
	fprintf(f, "127.0.0.1\tfirst-secret\n");
	fclose(f);
	cr_expect_eq(radius_client_config_from_radcli(conf, &cfg, err, sizeof(err)), -1);
	cr_expect(strstr(err, conf) != NULL, "%s", err);
	unlink(conf);
	unlink(servers);
	rmdir(dir);
}

Test(radius_client, ipv6_server_fails_over_to_ipv4_on_its_own_socket)
{
	/* srv6 is silent on [::1]; srv[0] answers on 127.0.0.1: the request
	 * moves between address families, taking an id on a socket of each. */
	int fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t al = sizeof(a6);
	cr_assert_eq(bind(fd6, (struct sockaddr *)&a6, sizeof(a6)), 0);
	getsockname(fd6, (struct sockaddr *)&a6, &al);
	struct radius_client_config cfg;
	config(&cfg, 2);
	cfg.servers[1] = cfg.servers[0];
	memset(&cfg.servers[0].addr, 0, sizeof(cfg.servers[0].addr));
	memcpy(&cfg.servers[0].addr, &a6, sizeof(a6));
	cfg.servers[0].addr_len = sizeof(a6);
	strcpy(cfg.servers[0].name, "[::1]");
	srv[0].mode = SRV_ACCEPT;
	struct radius_client *c = radius_client_create(loop, &cfg);
	struct outcome o = { 0 };
	cr_assert_not_null(radius_auth_start(c, &params, on_done, &o));
	run_until(&o, 1, 1000);
	cr_expect_eq(o.status, RADIUS_STATUS_ACCEPT);
	cr_expect_str_eq(o.server, "srv0");
	uint8_t buf[RADIUS_MAX_PACKET];
	cr_expect_gt(recv(fd6, buf, sizeof(buf), 0), 0, "the IPv6 server saw the request");
	struct radius_client_counters k = counters(c);
	cr_expect_eq(k.sockets, 2);
	cr_expect_eq(k.failovers, 1);
	radius_client_destroy(c);
	close(fd6);
}
