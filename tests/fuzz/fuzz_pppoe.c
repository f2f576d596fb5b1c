/* libFuzzer harness: PPPoE codec (RFC 2516, RFC 4638),
 * lac-core/src/access/pppoe_codec.c.
 *
 * Input: one mode octet, then an Ethernet frame.
 *   mode & 1 == 0: pppoe_disc_decode(); a decoded frame must re-encode, and
 *                  the encoding must decode to the same tags;
 *   mode & 1 == 1: pppoe_session_decode(); the payload must lie inside the
 *                  frame, and re-encoding it must decode to the same payload. */
#include "fuzz_common.h"

#include "access/pppoe_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool tag_same(const struct pppoe_tag_value *a, const struct pppoe_tag_value *b)
{
	if (a->present != b->present)
		return false;
	if (!a->present)
		return true;
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static bool in_frame(const struct pppoe_tag_value *t, const uint8_t *f, size_t len)
{
	return !t->present || t->len == 0 || (t->data >= f && t->data + t->len <= f + len);
}

static void fuzz_disc(const uint8_t *f, size_t len)
{
	static uint8_t out[PPPOE_FRAME_MAX];
	struct pppoe_disc d, d2;
	enum pppoe_err err = PPPOE_ERR_NONE;
	int n;

	if (pppoe_disc_decode(f, len, &d, &err) < 0) {
		FUZZ_CHECK(err != PPPOE_ERR_NONE, "failure without a reason");
		(void)pppoe_err_str(err);
		return;
	}
	(void)pppoe_code_str(d.code);
	FUZZ_CHECK(d.n_service_names <= PPPOE_MAX_SERVICE_NAMES, "%u names", d.n_service_names);
	for (unsigned i = 0; i < d.n_service_names; i++)
		FUZZ_CHECK(in_frame(&d.service_name[i], f, len), "service name outside the frame");
	FUZZ_CHECK(in_frame(&d.ac_name, f, len) && in_frame(&d.host_uniq, f, len) &&
		   in_frame(&d.ac_cookie, f, len) && in_frame(&d.vendor_specific, f, len) &&
		   in_frame(&d.relay_session_id, f, len) && in_frame(&d.service_name_error, f, len) &&
		   in_frame(&d.ac_system_error, f, len) && in_frame(&d.generic_error, f, len),
		   "tag outside the frame");
	FUZZ_CHECK(!d.relay_session_id.present || d.relay_session_id.len <= PPPOE_RELAY_SESSION_ID_MAX,
		   "relay session id of %u", d.relay_session_id.len);

	n = pppoe_disc_encode(out, sizeof(out), &d, &err);
	FUZZ_CHECK(n > 0, "a decoded frame does not re-encode: %s", pppoe_err_str(err));
	FUZZ_CHECK(pppoe_disc_decode(out, (size_t)n, &d2, &err) == 0,
		   "re-encoded frame does not decode: %s", pppoe_err_str(err));
	FUZZ_CHECK(d2.code == d.code && d2.session_id == d.session_id &&
		   d2.n_service_names == d.n_service_names &&
		   d2.has_ppp_max_payload == d.has_ppp_max_payload &&
		   (!d.has_ppp_max_payload || d2.ppp_max_payload == d.ppp_max_payload) &&
		   memcmp(d2.src, d.src, PPPOE_ETH_ALEN) == 0 &&
		   memcmp(d2.dst, d.dst, PPPOE_ETH_ALEN) == 0, "header fields changed");
	for (unsigned i = 0; i < d.n_service_names; i++)
		FUZZ_CHECK(tag_same(&d.service_name[i], &d2.service_name[i]), "service name %u", i);
	FUZZ_CHECK(tag_same(&d.ac_name, &d2.ac_name) && tag_same(&d.host_uniq, &d2.host_uniq) &&
		   tag_same(&d.ac_cookie, &d2.ac_cookie) &&
		   tag_same(&d.vendor_specific, &d2.vendor_specific) &&
		   tag_same(&d.relay_session_id, &d2.relay_session_id) &&
		   tag_same(&d.service_name_error, &d2.service_name_error) &&
		   tag_same(&d.ac_system_error, &d2.ac_system_error) &&
		   tag_same(&d.generic_error, &d2.generic_error), "a tag changed in the round trip");
}

static void fuzz_session(const uint8_t *f, size_t len)
{
	static uint8_t out[PPPOE_FRAME_MAX + 16];
	struct pppoe_session s, s2;
	enum pppoe_err err = PPPOE_ERR_NONE;
	int n;

	(void)pppoe_frame_ethertype(f, len);
	if (pppoe_session_decode(f, len, &s, &err) < 0) {
		FUZZ_CHECK(err != PPPOE_ERR_NONE, "failure without a reason");
		return;
	}
	FUZZ_CHECK(s.payload_len >= 1 && s.payload >= f && s.payload + s.payload_len <= f + len,
		   "payload outside the frame");
	FUZZ_CHECK(s.session_id != 0 && s.session_id != PPPOE_SESSION_ID_RESERVED, "session id %u",
		   s.session_id);
	n = pppoe_session_encode(out, sizeof(out), s.dst, s.src, s.session_id, s.payload,
				 s.payload_len, &err);
	if (n < 0)
		return;
	FUZZ_CHECK(pppoe_session_decode(out, (size_t)n, &s2, &err) == 0 || s.payload_len <= 2,
		   "re-encoded session frame does not decode: %s", pppoe_err_str(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_session(data + 1, size - 1);
	else
		fuzz_disc(data + 1, size - 1);
	return 0;
}
