/* libFuzzer harness: L2TP header and control message codec (RFC 2661 3.1, 4.1,
 * 4.3, 4.4, 6), lac-core/src/l2tp/{msg,avp}.c.
 *
 * Input: one mode octet, then the bytes.
 *   mode & 3 == 0: a whole datagram: l2tp_hdr_decode(), then for a control
 *                  message l2tp_msg_decode() of its payload with the secret;
 *   mode & 3 == 1: a control message body, decoded with the secret;
 *   mode & 3 == 2: a body decoded without a secret (hidden AVPs refused);
 *   mode & 3 == 3: a body; AVP walk and l2tp_avp_unhide() of every AVP.
 * The secret is the one of the unit test's hidden-AVP vector, so seeds taken
 * from it decode.
 *
 * Properties checked beyond memory safety: the header's payload lies inside
 * the datagram; a decoded message re-encodes, the encoding decodes again and
 * re-encodes byte for byte the same (plain, and hidden under the secret). */
#include "fuzz_common.h"

#include "l2tp/avp.h"
#include "l2tp/msg.h"

static const uint8_t secret[] = "tunnel-secret";
static const uint8_t rv[16] = "0123456789abcdef";
#define SECRET_LEN (sizeof(secret) - 1)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* encode(m) must decode, and encode(decode(encode(m))) must equal encode(m). */
static void check_round_trip(const struct l2tp_msg *m)
{
	static uint8_t a[8192], b[8192], h[8192];
	struct l2tp_msg d, d2;
	struct l2tp_dec_err err;
	struct l2tp_msg hidden;
	int na, nb, nh;

	if (m->type == 0)
		return;         /* a ZLB (empty body) has nothing to encode */
	na = l2tp_msg_encode(m, NULL, 0, NULL, a, sizeof(a));
	FUZZ_CHECK(na > 0, "decoded message type %u does not re-encode", m->type);
	FUZZ_CHECK(l2tp_msg_decode(a, (size_t)na, NULL, 0, &d, &err) == 0,
		   "re-encoded message does not decode: %s (avp %u)", err.what, err.avp_type);
	nb = l2tp_msg_encode(&d, NULL, 0, NULL, b, sizeof(b));
	FUZZ_CHECK(nb == na && memcmp(a, b, (size_t)na) == 0, "encoding is not stable (%d vs %d)",
		   na, nb);

	/* Hide every AVP that may be hidden (not Message Type / Random Vector). */
	hidden = d;
	hidden.hide = d.present & ~(L2TP_AVP_BIT(0) | L2TP_AVP_BIT(36));
	nh = l2tp_msg_encode(&hidden, secret, SECRET_LEN, rv, h, sizeof(h));
	if (nh < 0)
		return;         /* hiding adds a vector and 2 octets per AVP: may not fit */
	FUZZ_CHECK(l2tp_msg_decode(h, (size_t)nh, secret, SECRET_LEN, &d2, &err) == 0,
		   "hidden re-encoding does not decode: %s (avp %u)", err.what, err.avp_type);
	nb = l2tp_msg_encode(&d2, NULL, 0, NULL, b, sizeof(b));
	FUZZ_CHECK(nb == na && memcmp(a, b, (size_t)na) == 0,
		   "hidden round trip changes the message (%d vs %d)", na, nb);
}

static void fuzz_body(const uint8_t *p, size_t n, bool with_secret)
{
	struct l2tp_msg m;
	struct l2tp_dec_err err;

	memset(&err, 0, sizeof(err));
	if (l2tp_msg_decode(p, n, with_secret ? secret : NULL, with_secret ? SECRET_LEN : 0, &m,
			    &err) == 0) {
		FUZZ_CHECK(m.type == 0 || (l2tp_msg_mandatory(m.type) & ~m.present) == 0,
			   "type %u accepted without a mandatory AVP", m.type);
		check_round_trip(&m);
		(void)l2tp_msg_type_str(m.type);
	} else {
		FUZZ_CHECK(err.status < 0, "failure without a status");
		FUZZ_CHECK(err.what != NULL, "failure without a reason");
		(void)l2tp_dec_status_str(err.status);
		(void)l2tp_avp_type_str(err.avp_type);
	}
}

static void fuzz_walk(const uint8_t *p, size_t n)
{
	struct l2tp_avp_iter it;
	struct l2tp_avp avp;
	const uint8_t *last_rv = NULL;
	size_t last_rv_len = 0;
	uint8_t out[1024];
	int r;

	l2tp_avp_iter_init(&it, p, n);
	while ((r = l2tp_avp_next(&it, &avp)) != L2TP_AVP_END && r != L2TP_AVP_BAD_LEN) {
		FUZZ_CHECK(avp.value >= p && avp.value + avp.len <= p + n, "AVP value outside input");
		if (avp.vendor == 0 && avp.type == 36) {
			last_rv = avp.value;
			last_rv_len = avp.len;
		}
		if (avp.hidden && last_rv) {
			int k = l2tp_avp_unhide(avp.type, secret, SECRET_LEN, last_rv, last_rv_len,
						avp.value, avp.len, out, sizeof(out));

			FUZZ_CHECK(k < 0 || (size_t)k + 2 <= avp.len, "unhide length %d from %zu", k,
				   avp.len);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct l2tp_hdr h;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	switch (mode & 3) {
	case 0:
		if (l2tp_hdr_decode(data, size, &h) != L2TP_HDR_OK)
			return 0;
		FUZZ_CHECK(h.payload_off <= size && h.payload_len <= size - h.payload_off,
			   "payload %zu+%zu beyond datagram %zu", h.payload_off, h.payload_len, size);
		if (h.control)
			fuzz_body(data + h.payload_off, h.payload_len, true);
		break;
	case 1:
		fuzz_body(data, size, true);
		break;
	case 2:
		fuzz_body(data, size, false);
		break;
	default:
		fuzz_walk(data, size);
		break;
	}
	return 0;
}
