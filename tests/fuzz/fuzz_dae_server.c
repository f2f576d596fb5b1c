/* libFuzzer harness: the RFC 5176 Dynamic Authorization server,
 * lac-core/src/aaa/dae_server.c (client check, verification, the
 * retransmission cache, replay protection by Event-Timestamp and the
 * per-client replay cache, NAS matching, answers), on a real loopback UDP
 * socket, with its wall clock and the loop's clock moved by the input.
 *
 * Two configured clients send: 127.0.0.1 (secret "testing123") from two
 * source ports, and 127.0.0.3 ("other-secret"); 127.0.0.2 is a stranger.
 *
 * Input: a configuration octet (bit 0 Message-Authenticator required; bit 1
 * Event-Timestamp required; bit 2 a replay window of 2 s, else 300; bit 3 our
 * NAS-Identifier is "lac-fuzz"; bits 4-5 the handler's answer: ACK, NAK 503
 * Session-Context-Not-Found, NAK 506, or from the request's Identifier),
 * then operations, the low three bits of each octet picking it:
 *   0  a raw datagram (flags: bits 0-1 the sender, 0-2 as above and 3 the
 *      second port of 127.0.0.1; bit 2 sign it as a request with the
 *      sender's secret; bit 3 set its Length to its size; 16-bit length,
 *      bytes);
 *   1  a well-formed request (code octet: bit 0 CoA, else Disconnect; bits 1-2
 *      the sender; bit 3 Message-Authenticator; bit 4 Event-Timestamp; bit 5
 *      NAS-Identifier "lac-fuzz", bit 6 another's; Identifier octet;
 *      Event-Timestamp offset octet, signed seconds; User-Name length octet
 *      and bytes; Session-Timeout for CoA);
 *   2  the last datagram sent again (a retransmission), from the same sender;
 *   3  the clocks move (octet) seconds (and the loop's by the same);
 *   4  the clocks move (octet * 10) seconds;
 *   5  a flood of distinct signed Disconnect-Requests from 127.0.0.1, each
 *      with a current Event-Timestamp: (octet % 8 + 1) * 8 of them, or with
 *      octet 255 DAE_REPLAY_CACHE + 64, past what the client's replay cache
 *      holds (then NAK 506; rare, as it costs 4,160 round trips).
 * Checks: every answer comes back to the sender of the datagram, is an
 * ACK or NAK of its request's kind with its Identifier, and its Response
 * Authenticator verifies with the sender's secret; a stranger or an
 * unverified request gets no answer; destroy frees everything (LSan). */
#include "fuzz_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aaa/dae_server.h"
#include "ev/ev.h"
#include "util/log.h"
#include "util/md5.h"
#include "fuzz_radius_sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NSENDERS 4
static const char *const sender_ip[NSENDERS] = { "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.1" };
static const char *const sender_secret[NSENDERS] = { "testing123", "stranger", "other-secret", "testing123" };
static const bool sender_known[NSENDERS] = { true, false, true, true };
static int sender_fd[NSENDERS] = { -1, -1, -1, -1 };

static uint64_t wall_s, mono_ms;
static uint64_t fake_wall(void *arg) { (void)arg; return wall_s; }
static uint64_t fake_mono(void *arg) { (void)arg; return mono_ms; }

static unsigned handler_mode;

static enum dae_error_cause handler(void *arg, const struct dae_request *req, const char *client)
{
	(void)arg;
	FUZZ_CHECK(client != NULL && memchr(client, 0, 64) != NULL, "client name");
	FUZZ_CHECK(req->code == RADIUS_CODE_DISCONNECT_REQUEST || req->code == RADIUS_CODE_COA_REQUEST,
		   "handler got code %u", req->code);
	switch (handler_mode) {
	case 0: return DAE_ERR_NONE;
	case 1: return DAE_ERR_SESSION_NOT_FOUND;
	case 2: return DAE_ERR_RESOURCES_UNAVAILABLE;
	default: return (req->id & 1) ? DAE_ERR_NONE : DAE_ERR_SESSION_NOT_FOUND;
	}
}

static int open_sender(unsigned i)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, sender_ip[i], &a.sin_addr);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* What was sent last, for retransmission and for checking its answer. */
static uint8_t last[RADIUS_MAX_PACKET];
static size_t last_len;
static unsigned last_sender;
/* This input's datagrams delivered to the server and answers read back: on
 * loopback nothing is lost between the two, so the server's counters must
 * account for every one (check_counters). */
static uint64_t datagrams_sent, answers_got;

static void drain(unsigned i)
{
	uint8_t buf[RADIUS_MAX_PACKET + 1];
	ssize_t n;

	while ((n = recv(sender_fd[i], buf, sizeof(buf), 0)) >= 0)
		;
}

/* Reads the answers to the last datagram and checks them. */
static void check_answers(void)
{
	uint8_t buf[RADIUS_MAX_PACKET + 1], want[MD5_DIGEST_LEN], got[RADIUS_AUTH_LEN];
	const char *secret = sender_secret[last_sender];
	struct md5_ctx ctx;
	ssize_t n;

	for (unsigned i = 0; i < NSENDERS; i++) {
		while ((n = recv(sender_fd[i], buf, sizeof(buf), 0)) >= 0) {
			FUZZ_CHECK(i == last_sender, "answer to sender %u for a datagram of sender %u", i,
				   last_sender);
			answers_got++;
			FUZZ_CHECK(sender_known[i], "a stranger got an answer");
			FUZZ_CHECK(n >= RADIUS_HDR_LEN && n <= RADIUS_MAX_PACKET, "answer of %zd octets", n);
			FUZZ_CHECK((size_t)((buf[2] << 8) | buf[3]) == (size_t)n, "Length says %u, %zd sent",
				   (buf[2] << 8) | buf[3], n);
			FUZZ_CHECK(last_len >= RADIUS_HDR_LEN, "answer to a runt");
			FUZZ_CHECK(buf[1] == last[1], "Identifier %u for request %u", buf[1], last[1]);
			if (last[0] == RADIUS_CODE_DISCONNECT_REQUEST)
				FUZZ_CHECK(buf[0] == RADIUS_CODE_DISCONNECT_ACK || buf[0] == RADIUS_CODE_DISCONNECT_NAK,
					   "code %u to a Disconnect-Request", buf[0]);
			else
				FUZZ_CHECK(buf[0] == RADIUS_CODE_COA_ACK || buf[0] == RADIUS_CODE_COA_NAK,
					   "code %u to request code %u", buf[0], last[0]);
			/* RFC 5176 2.3: MD5(Code+Identifier+Length+Request Authenticator+Attributes+Secret) */
			memcpy(got, buf + 4, RADIUS_AUTH_LEN);
			memcpy(buf + 4, last + 4, RADIUS_AUTH_LEN);
			md5_init(&ctx);
			md5_update(&ctx, buf, (size_t)n);
			md5_update(&ctx, secret, strlen(secret));
			md5_final(&ctx, want);
			FUZZ_CHECK(memcmp(want, got, RADIUS_AUTH_LEN) == 0, "answer's Response Authenticator");
		}
	}
}

/* Every datagram is counted once, as dropped (by its reason), answered from
 * the duplicate cache, or verified; every verified request is answered unless
 * its answer outgrew a datagram; every answer read was counted as sent. */
static void check_counters(const struct dae_server_counters *c)
{
	uint64_t answered = c->disconnect_acks + c->disconnect_naks + c->coa_acks + c->coa_naks;
	uint64_t verified = c->disconnect_requests + c->coa_requests;
	uint64_t dropped = c->unknown_client + c->malformed + c->bad_authenticator +
			   c->no_message_authenticator + c->bad_message_authenticator;

	FUZZ_CHECK(dropped + c->duplicates + verified == datagrams_sent,
		   "%" PRIu64 " datagrams sent, counters account for %" PRIu64, datagrams_sent,
		   dropped + c->duplicates + verified);
	FUZZ_CHECK(answered + c->reply_too_big == verified,
		   "%" PRIu64 " verified, %" PRIu64 " answered, %" PRIu64 " too big", verified, answered,
		   c->reply_too_big);
	FUZZ_CHECK(answered + c->duplicates == answers_got,
		   "%" PRIu64 " answers read, counters say %" PRIu64, answers_got, answered + c->duplicates);
	FUZZ_CHECK(c->stale + c->replays <= c->disconnect_naks + c->coa_naks + c->reply_too_big,
		   "more stale and replayed requests than NAKs");
}

static void send_from(struct ev_loop *loop, struct dae_server *srv, unsigned sender,
		      const uint8_t *pkt, size_t len)
{
	struct sockaddr_in to;

	if (dae_server_local_addr(srv, &to) < 0)
		return;
	if (pkt != last) {
		memcpy(last, pkt, len);
		last_len = len;
	}
	last_sender = sender;
	if (sendto(sender_fd[sender], pkt, len, 0, (struct sockaddr *)&to, sizeof(to)) >= 0)
		datagrams_sent++;
	for (int i = 0; i < 3; i++)
		ev_loop_run_once(loop, 0);
	check_answers();
}

static size_t put_attr(uint8_t *p, size_t at, uint8_t type, const void *val, size_t len)
{
	if (at + 2 + len > RADIUS_MAX_PACKET || len > 253)
		return at;
	p[at] = type;
	p[at + 1] = (uint8_t)(2 + len);
	memcpy(p + at + 2, val, len);
	return at + 2 + len;
}

static size_t put_u32(uint8_t *p, size_t at, uint8_t type, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	return put_attr(p, at, type, b, 4);
}

static void op_request(struct fz *f, struct ev_loop *loop, struct dae_server *srv)
{
	static const uint8_t zero_ma[RADIUS_AUTH_LEN];
	uint8_t pkt[RADIUS_MAX_PACKET];
	uint8_t code = fz_u8(f), id = fz_u8(f);
	int8_t ts_off = (int8_t)fz_u8(f);
	unsigned sender = (code >> 1) & 3;
	size_t n, at = RADIUS_HDR_LEN;
	const uint8_t *user = fz_bytes(f, fz_u8(f) % 64, &n);
	const char *secret = sender_secret[sender];

	memset(pkt, 0, RADIUS_HDR_LEN);
	pkt[0] = (code & 1) ? RADIUS_CODE_COA_REQUEST : RADIUS_CODE_DISCONNECT_REQUEST;
	pkt[1] = id;
	if (code & 8)
		at = put_attr(pkt, at, RADIUS_ATTR_MESSAGE_AUTHENTICATOR, zero_ma, sizeof(zero_ma));
	if (n)
		at = put_attr(pkt, at, RADIUS_ATTR_USER_NAME, user, n);
	if (code & 16)
		at = put_u32(pkt, at, RADIUS_ATTR_EVENT_TIMESTAMP, (uint32_t)((int64_t)wall_s + ts_off));
	if (code & 32)
		at = put_attr(pkt, at, RADIUS_ATTR_NAS_IDENTIFIER, "lac-fuzz", 8);
	if (code & 64)
		at = put_attr(pkt, at, RADIUS_ATTR_NAS_IDENTIFIER, "another-nas", 11);
	if (code & 1)
		at = put_u32(pkt, at, RADIUS_ATTR_SESSION_TIMEOUT, 3600);
	pkt[2] = (uint8_t)(at >> 8);
	pkt[3] = (uint8_t)at;
	fuzz_radius_sign(pkt, at, NULL, (const uint8_t *)secret, strlen(secret));
	send_from(loop, srv, sender, pkt, at);
}

static void op_flood(struct fz *f, struct ev_loop *loop, struct dae_server *srv)
{
	uint8_t o = fz_u8(f);
	unsigned count = o == 255 ? DAE_REPLAY_CACHE + 64 : (o % 8u + 1u) * 8u;
	uint8_t pkt[64];

	for (unsigned i = 0; i < count; i++) {
		char user[16];
		size_t at = RADIUS_HDR_LEN;
		int n = snprintf(user, sizeof(user), "f%u", i);

		memset(pkt, 0, RADIUS_HDR_LEN);
		pkt[0] = RADIUS_CODE_DISCONNECT_REQUEST;
		pkt[1] = (uint8_t)i;
		at = put_attr(pkt, at, RADIUS_ATTR_USER_NAME, user, (size_t)n);
		at = put_u32(pkt, at, RADIUS_ATTR_EVENT_TIMESTAMP, (uint32_t)wall_s);
		pkt[2] = (uint8_t)(at >> 8);
		pkt[3] = (uint8_t)at;
		fuzz_radius_sign(pkt, at, NULL, (const uint8_t *)sender_secret[0], strlen(sender_secret[0]));
		send_from(loop, srv, 0, pkt, at);
	}
}

static void op_raw(struct fz *f, struct ev_loop *loop, struct dae_server *srv)
{
	uint8_t flags = fz_u8(f), pkt[RADIUS_MAX_PACKET + 8];
	unsigned sender = flags & 3;
	size_t n;
	const uint8_t *p = fz_bytes(f, fz_u16(f) % sizeof(pkt), &n);

	memcpy(pkt, p, n);
	if ((flags & 8) && n >= 4) {
		pkt[2] = (uint8_t)(n >> 8);
		pkt[3] = (uint8_t)n;
	}
	if ((flags & 4) && n >= RADIUS_HDR_LEN && n <= RADIUS_MAX_PACKET)
		fuzz_radius_sign(pkt, n, NULL, (const uint8_t *)sender_secret[sender],
				 strlen(sender_secret[sender]));
	send_from(loop, srv, sender, pkt, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct dae_server_config cfg;
	struct dae_server_counters ctr;
	struct ev_loop *loop;
	struct dae_server *srv;
	uint8_t conf = fz_u8(&f);
	unsigned ops = 0;

	log_set_level((enum log_level)(LOG_LVL_ERROR + 1));   /* quiet: the fuzzer runs millions */
	/* the senders' sockets live across inputs (what an input left unread is drained) */
	for (unsigned i = 0; i < NSENDERS; i++) {
		if (sender_fd[i] < 0)
			sender_fd[i] = open_sender(i);
		if (sender_fd[i] < 0)
			return 0;               /* no loopback: nothing to fuzz */
		drain(i);
	}
	wall_s = 1800000000;
	mono_ms = 1000000;
	last_len = 0;
	datagrams_sent = answers_got = 0;
	handler_mode = (conf >> 4) & 3;

	memset(&cfg, 0, sizeof(cfg));
	cfg.listen.sin_family = AF_INET;
	cfg.listen.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	inet_pton(AF_INET, "127.0.0.1", &cfg.clients[0].addr);
	memcpy(cfg.clients[0].secret, "testing123", 10);
	cfg.clients[0].secret_len = 10;
	inet_pton(AF_INET, "127.0.0.3", &cfg.clients[1].addr);
	memcpy(cfg.clients[1].secret, "other-secret", 12);
	cfg.clients[1].secret_len = 12;
	cfg.n_clients = 2;
	cfg.require_message_authenticator = conf & 1;
	cfg.require_event_timestamp = conf & 2;
	cfg.replay_window_s = (conf & 4) ? 2 : 300;
	if (conf & 8)
		snprintf(cfg.nas_identifier, sizeof(cfg.nas_identifier), "lac-fuzz");
	cfg.wall_s = fake_wall;

	loop = ev_loop_create();
	if (!loop)
		return 0;
	ev_loop_set_clock(loop, fake_mono, NULL);
	srv = dae_server_create(loop, &cfg, handler, NULL);
	if (!srv) {
		ev_loop_destroy(loop);
		return 0;
	}
	while (f.n > 0 && ops++ < 128) {
		uint8_t op = fz_u8(&f);
		uint8_t o;

		switch (op & 7) {
		case 0:
			op_raw(&f, loop, srv);
			break;
		case 1:
			op_request(&f, loop, srv);
			break;
		case 2:
			if (last_len)
				send_from(loop, srv, last_sender, last, last_len);
			break;
		case 3:
		case 4:
			o = fz_u8(&f);
			wall_s += (op & 7) == 3 ? o : o * 10u;
			mono_ms += ((op & 7) == 3 ? o : o * 10u) * 1000u;
			ev_loop_run_once(loop, 0);
			break;
		case 5:
			op_flood(&f, loop, srv);
			break;
		default:
			break;
		}
	}
	dae_server_counters_get(srv, &ctr);
	check_counters(&ctr);
	dae_server_destroy(srv);
	ev_loop_destroy(loop);
	return 0;
}
