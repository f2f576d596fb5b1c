/* libFuzzer harness: RADIUS codec, lac-core/src/aaa/radius_codec.c (RFC 2865 3
 * and 5, RFC 2868 3.5, RFC 3579 3.2) and the RFC 5176 request decoder of
 * lac-core/src/aaa/dae_codec.c.
 *
 * Input: one flag octet, then a packet (or a Tunnel-Password value).
 *   flags & 3 == 0: radius_reply_decode() as the answer to a fixed request;
 *   flags & 3 == 1: dae_request_decode() (Disconnect/CoA-Request), then
 *                   dae_reply_encode() of the answer;
 *   flags & 3 == 2: radius_tunnel_password_decrypt() of the bytes;
 *   flags & 3 == 3: radius_packet_check(), radius_accounting_response_verify(),
 *                   radius_request_verify_ext().
 *   flags & 4:  re-sign the mutated packet before decoding: Message-
 *               Authenticator (if the packet has one of 16 octets) and the
 *               Response (mode 0) or Request (mode 1) Authenticator, so the
 *               fuzzer reaches the attribute decoders behind the checks;
 *   flags & 8:  set the Length field to the input size first;
 *   flags & 16: DAE requires a Message-Authenticator;
 *   flags & 32: use the DAE unit test's secret instead of the codec test's.
 * The request authenticator is the one of the unit test's tunnel vector, so
 * its Access-Accept (and its Tunnel-Password) verifies as it is. */
#include "fuzz_common.h"

#include "aaa/dae_codec.h"
#include "aaa/radius_codec.h"
#include "util/md5.h"
#include "fuzz_radius_sign.h"

static const uint8_t secret_codec[] = "h7vector-secret";
static const uint8_t secret_dae[] = "testing123";
static const uint8_t req_auth[RADIUS_AUTH_LEN] = {
	0x61, 0x43, 0xeb, 0xac, 0x12, 0xe9, 0x5d, 0x29,
	0xdf, 0xec, 0xe4, 0xe1, 0x98, 0x84, 0xe0, 0xf6,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Signs as a response to req_auth, or as a Disconnect/CoA request. */
static void resign(uint8_t *pkt, size_t plen, bool response, const uint8_t *secret,
		   size_t secret_len)
{
	fuzz_radius_sign(pkt, plen, response ? req_auth : NULL, secret, secret_len);
}

static void fuzz_reply(const uint8_t *pkt, size_t len, const uint8_t *secret, size_t secret_len)
{
	static struct radius_reply out;
	struct radius_err err;

	memset(&err, 0, sizeof(err));
	if (radius_reply_decode(pkt, len, req_auth, secret, secret_len, NULL, NULL, &out,
				&err) < 0) {
		FUZZ_CHECK(err.msg != NULL, "failure without a message");
		FUZZ_CHECK(err.offset <= len, "error offset %zu beyond %zu", err.offset, len);
		return;
	}
	FUZZ_CHECK(out.n_tunnels <= RADIUS_MAX_TUNNELS, "%zu tunnels", out.n_tunnels);
	FUZZ_CHECK(out.n_dropped <= RADIUS_MAX_TUNNELS, "%zu dropped", out.n_dropped);
	FUZZ_CHECK(out.n_class <= RADIUS_MAX_CLASS, "%zu classes", out.n_class);
	FUZZ_CHECK(out.n_dns <= 2, "%u dns", out.n_dns);
	FUZZ_CHECK(memchr(out.reply_message, 0, sizeof(out.reply_message)) != NULL,
		   "reply message not terminated");
	for (size_t i = 0; i < out.n_tunnels; i++) {
		const struct radius_tunnel *t = &out.tunnels[i];

		FUZZ_CHECK(t->password_len <= RADIUS_MAX_ATTR_VALUE, "password %zu", t->password_len);
		FUZZ_CHECK(memchr(t->endpoint, 0, sizeof(t->endpoint)) != NULL, "endpoint");
		FUZZ_CHECK(memchr(t->assignment_id, 0, sizeof(t->assignment_id)) != NULL, "assignment");
		FUZZ_CHECK(t->addr_len <= sizeof(t->addr), "addr_len %u", (unsigned)t->addr_len);
		FUZZ_CHECK(i == 0 || out.tunnels[i - 1].preference <= t->preference,
			   "tunnels not ordered by preference");
	}
	for (size_t i = 0; i < out.n_dropped; i++)
		FUZZ_CHECK(out.dropped[i].reason != NULL, "dropped without a reason");
}

static void fuzz_dae(const uint8_t *pkt, size_t len, bool require_ma, const uint8_t *secret,
		     size_t secret_len)
{
	static struct dae_request req;
	static const struct dae_session_ids ids = {
		.user_name = "user@realm", .acct_session_id = "0000002a",
		.has_framed_ip = true, .framed_ip = { 0x0100580a }, .nas_port = 7,
		.nas_port_id = "stream/7", .calling_station_id = "00:11:22:33:44:55",
		.called_station_id = "lac",
	};
	struct radius_err err;
	uint8_t reply[RADIUS_MAX_PACKET];
	struct in_addr nas_ip = { 0x0100000a };
	ssize_t n;

	memset(&err, 0, sizeof(err));
	if (dae_request_decode(pkt, len, secret, secret_len, require_ma, &req, &err) < 0) {
		FUZZ_CHECK(err.msg != NULL, "failure without a message");
		return;
	}
	FUZZ_CHECK(req.n_proxy_state <= DAE_MAX_PROXY_STATE, "%zu proxy states", req.n_proxy_state);
	for (size_t i = 0; i < req.n_proxy_state; i++)
		FUZZ_CHECK(req.proxy_state[i] >= pkt && req.proxy_state[i] + req.proxy_state_len[i] <= pkt + len,
			   "proxy state outside the packet");
	(void)dae_request_has_session_id(&req);
	(void)dae_request_nas_matches(&req, "lac", nas_ip);
	(void)dae_session_matches(&req, &ids);
	(void)dae_error_cause_str(req.refuse);
	n = dae_reply_encode(reply, sizeof(reply), &req, req.refuse, secret, secret_len);
	if (n > 0)
		FUZZ_CHECK(radius_packet_check(reply, (size_t)n, &err) == n,
			   "our own reply does not check: %s", err.msg);
}

static void fuzz_password(const uint8_t *val, size_t len, const uint8_t *secret, size_t secret_len)
{
	uint8_t out[RADIUS_MAX_ATTR_VALUE];
	struct radius_err err;
	ssize_t n = radius_tunnel_password_decrypt(val, len, req_auth, secret, secret_len, out, &err);

	FUZZ_CHECK(n <= RADIUS_MAX_ATTR_VALUE && (n < 0 || (size_t)n + 3 <= len),
		   "password of %zd octets from %zu", n, len);
}

static void fuzz_check(const uint8_t *pkt, size_t len, const uint8_t *secret, size_t secret_len)
{
	struct radius_err err;
	bool has_ma;
	ssize_t n = radius_packet_check(pkt, len, &err);

	FUZZ_CHECK(n < 0 || (n >= RADIUS_HDR_LEN && (size_t)n <= len && n <= RADIUS_MAX_PACKET),
		   "length %zd of %zu", n, len);
	if (n > 0) {
		struct radius_attr_iter it;
		const uint8_t *val;
		uint8_t type;
		size_t alen;

		radius_attr_iter_init(&it, pkt, (size_t)n);
		while (radius_attr_next(&it, &type, &val, &alen, &err) > 0)
			FUZZ_CHECK(val >= pkt + RADIUS_HDR_LEN && val + alen <= pkt + n,
				   "attribute outside the packet");
	}
	(void)radius_accounting_response_verify(pkt, len, req_auth, secret, secret_len, &err);
	(void)radius_request_verify_ext(pkt, len, secret, secret_len, false, &has_ma, &err);
	(void)radius_request_verify(pkt, len, secret, secret_len, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *secret;
	size_t secret_len, plen;
	uint8_t flags;

	if (size < 1 || size - 1 > RADIUS_MAX_PACKET + 512)
		return 0;
	flags = data[0];
	size--;
	/* A copy exactly the input's size, so ASan sees any read past its end. */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size);
	if (flags & 32) {
		secret = secret_dae;
		secret_len = sizeof(secret_dae) - 1;
	} else {
		secret = secret_codec;
		secret_len = sizeof(secret_codec) - 1;
	}
	if ((flags & 8) && size >= RADIUS_HDR_LEN && size <= RADIUS_MAX_PACKET) {
		buf[2] = (uint8_t)(size >> 8);
		buf[3] = (uint8_t)size;
	}
	if ((flags & 4) && size >= RADIUS_HDR_LEN && (flags & 3) <= 1) {
		plen = (size_t)buf[2] << 8 | buf[3];
		if (plen >= RADIUS_HDR_LEN && plen <= size)
			resign(buf, plen, (flags & 3) == 0, secret, secret_len);
	}
	switch (flags & 3) {
	case 0:
		fuzz_reply(buf, size, secret, secret_len);
		break;
	case 1:
		fuzz_dae(buf, size, (flags & 16) != 0, secret, secret_len);
		break;
	case 2:
		fuzz_password(buf, size, secret, secret_len);
		break;
	default:
		fuzz_check(buf, size, secret, secret_len);
		break;
	}
	free(buf);
	return 0;
}
