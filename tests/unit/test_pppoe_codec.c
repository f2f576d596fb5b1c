/* PPPoE codec (RFC 2516, RFC 4638) on byte vectors: each vector decodes to the
 * expected fields, encodes back to the same bytes, and every truncated prefix
 * is refused. The vectors were dissected by tshark 4.0 without warnings
 * (written to a pcap by hand and read with `tshark -V`). */
#include <criterion/criterion.h>
#include <string.h>

#include "access/pppoe_codec.h"

static const uint8_t client_mac[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t ac_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t cookie[16] = { 0xc0, 0x0c, 0x1e, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

/* PADI: empty Service-Name, Host-Uniq deadbeef (RFC 2516 5.1). */
static const uint8_t padi[] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x88, 0x63,
	0x11, 0x09, 0x00, 0x00, 0x00, 0x0c,
	0x01, 0x01, 0x00, 0x00,
	0x01, 0x03, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef,
};

/* PADO: Service-Name "", AC-Name "rlt-ac", Host-Uniq, AC-Cookie (5.2). */
static const uint8_t pado[] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x63,
	0x11, 0x07, 0x00, 0x00, 0x00, 0x2a,
	0x01, 0x01, 0x00, 0x00,
	0x01, 0x02, 0x00, 0x06, 'r', 'l', 't', '-', 'a', 'c',
	0x01, 0x03, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef,
	0x01, 0x04, 0x00, 0x10, 0xc0, 0x0c, 0x1e, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
};

/* PADR: Service-Name "isp", Host-Uniq, AC-Cookie, Relay-Session-Id,
 * PPP-Max-Payload 1500 (5.3, RFC 4638). */
static const uint8_t padr[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x88, 0x63,
	0x11, 0x19, 0x00, 0x00, 0x00, 0x31,
	0x01, 0x01, 0x00, 0x03, 'i', 's', 'p',
	0x01, 0x03, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef,
	0x01, 0x04, 0x00, 0x10, 0xc0, 0x0c, 0x1e, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	0x01, 0x10, 0x00, 0x04, 0xaa, 0xbb, 0xcc, 0xdd,
	0x01, 0x20, 0x00, 0x02, 0x05, 0xdc,
};

/* PADS: session 0x1234, Service-Name "isp", Host-Uniq (5.4). */
static const uint8_t pads[] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x63,
	0x11, 0x65, 0x12, 0x34, 0x00, 0x0f,
	0x01, 0x01, 0x00, 0x03, 'i', 's', 'p',
	0x01, 0x03, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef,
};

/* PADS refusing the service: session 0, Service-Name-Error "no" (5.4). */
static const uint8_t pads_err[] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x63,
	0x11, 0x65, 0x00, 0x00, 0x00, 0x0d,
	0x01, 0x01, 0x00, 0x03, 'x', 'y', 'z',
	0x02, 0x01, 0x00, 0x02, 'n', 'o',
};

/* PADT for session 0x1234, Generic-Error "bye" (5.5). */
static const uint8_t padt[] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x63,
	0x11, 0xa7, 0x12, 0x34, 0x00, 0x07,
	0x02, 0x03, 0x00, 0x03, 'b', 'y', 'e',
};

/* Session frame, session 0x1234, LCP Configure-Request id 1 with no options (6). */
static const uint8_t sess[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x88, 0x64,
	0x11, 0x00, 0x12, 0x34, 0x00, 0x06,
	0xc0, 0x21, 0x01, 0x01, 0x00, 0x04,
};

static const struct { const uint8_t *v; size_t len; const char *name; } disc_vectors[] = {
	{ padi, sizeof(padi), "padi" }, { pado, sizeof(pado), "pado" },
	{ padr, sizeof(padr), "padr" }, { pads, sizeof(pads), "pads" },
	{ pads_err, sizeof(pads_err), "pads_err" }, { padt, sizeof(padt), "padt" },
};
#define N_DISC (sizeof(disc_vectors) / sizeof(disc_vectors[0]))

static bool tag_is(const struct pppoe_tag_value *t, const void *data, size_t len)
{
	return t->present && t->len == len && (len == 0 || memcmp(t->data, data, len) == 0);
}

Test(pppoe_disc_decode, padi_yields_empty_service_name_and_host_uniq)
{
	struct pppoe_disc d;
	enum pppoe_err err;
	cr_assert_eq(pppoe_disc_decode(padi, sizeof(padi), &d, &err), 0, "err=%s", pppoe_err_str(err));
	cr_expect_eq(d.code, PPPOE_CODE_PADI);
	cr_expect_eq(d.session_id, 0);
	cr_expect(memcmp(d.dst, bcast, 6) == 0);
	cr_expect(memcmp(d.src, client_mac, 6) == 0);
	cr_expect_eq(d.n_service_names, 1);
	cr_expect(tag_is(&d.service_name[0], "", 0));
	cr_expect(tag_is(&d.host_uniq, "\xde\xad\xbe\xef", 4));
	cr_expect(!d.ac_name.present);
	cr_expect(!d.ac_cookie.present);
	cr_expect(!d.has_ppp_max_payload);
}

Test(pppoe_disc_decode, pado_yields_ac_name_and_cookie)
{
	struct pppoe_disc d;
	enum pppoe_err err;
	cr_assert_eq(pppoe_disc_decode(pado, sizeof(pado), &d, &err), 0, "err=%s", pppoe_err_str(err));
	cr_expect_eq(d.code, PPPOE_CODE_PADO);
	cr_expect(pppoe_tag_eq_str(&d.ac_name, "rlt-ac"));
	cr_expect(tag_is(&d.ac_cookie, cookie, 16));
	cr_expect(tag_is(&d.host_uniq, "\xde\xad\xbe\xef", 4));
}

Test(pppoe_disc_decode, padr_yields_relay_session_id_and_max_payload)
{
	struct pppoe_disc d;
	enum pppoe_err err;
	cr_assert_eq(pppoe_disc_decode(padr, sizeof(padr), &d, &err), 0, "err=%s", pppoe_err_str(err));
	cr_expect_eq(d.code, PPPOE_CODE_PADR);
	cr_expect(pppoe_tag_eq_str(&d.service_name[0], "isp"));
	cr_expect(tag_is(&d.relay_session_id, "\xaa\xbb\xcc\xdd", 4));
	cr_expect(d.has_ppp_max_payload);
	cr_expect_eq(d.ppp_max_payload, 1500);
}

Test(pppoe_disc_decode, pads_and_padt_yield_session_id_and_errors)
{
	struct pppoe_disc d;
	enum pppoe_err err;
	cr_assert_eq(pppoe_disc_decode(pads, sizeof(pads), &d, &err), 0);
	cr_expect_eq(d.code, PPPOE_CODE_PADS);
	cr_expect_eq(d.session_id, 0x1234);
	cr_assert_eq(pppoe_disc_decode(pads_err, sizeof(pads_err), &d, &err), 0);
	cr_expect_eq(d.session_id, 0);
	cr_expect(pppoe_tag_eq_str(&d.service_name_error, "no"));
	cr_assert_eq(pppoe_disc_decode(padt, sizeof(padt), &d, &err), 0);
	cr_expect_eq(d.code, PPPOE_CODE_PADT);
	cr_expect_eq(d.session_id, 0x1234);
	cr_expect(pppoe_tag_eq_str(&d.generic_error, "bye"));
}

Test(pppoe_disc_decode, every_truncated_prefix_is_refused)
{
	for (size_t i = 0; i < N_DISC; i++) {
		for (size_t cut = 0; cut < disc_vectors[i].len; cut++) {
			struct pppoe_disc d;
			enum pppoe_err err = PPPOE_ERR_NONE;
			cr_expect_eq(pppoe_disc_decode(disc_vectors[i].v, cut, &d, &err), -1,
				     "%s cut at %zu", disc_vectors[i].name, cut);
			cr_expect_neq(err, PPPOE_ERR_NONE, "%s cut at %zu", disc_vectors[i].name, cut);
		}
	}
}

Test(pppoe_disc_decode, ethernet_padding_after_length_is_ignored)
{
	uint8_t buf[60];
	memset(buf, 0, sizeof(buf));
	memcpy(buf, padi, sizeof(padi));
	struct pppoe_disc d;
	enum pppoe_err err;
	cr_assert_eq(pppoe_disc_decode(buf, sizeof(buf), &d, &err), 0);
	cr_expect(tag_is(&d.host_uniq, "\xde\xad\xbe\xef", 4));
	cr_expect_eq(d.n_unknown_tags, 0);
}

Test(pppoe_disc_encode, every_vector_round_trips_to_the_same_bytes)
{
	for (size_t i = 0; i < N_DISC; i++) {
		struct pppoe_disc d;
		enum pppoe_err err;
		uint8_t out[256];
		cr_assert_eq(pppoe_disc_decode(disc_vectors[i].v, disc_vectors[i].len, &d, &err), 0);
		int n = pppoe_disc_encode(out, sizeof(out), &d, &err);
		cr_assert_eq(n, (int)disc_vectors[i].len, "%s", disc_vectors[i].name);
		cr_expect(memcmp(out, disc_vectors[i].v, (size_t)n) == 0, "%s", disc_vectors[i].name);
	}
}

Test(pppoe_disc_encode, every_short_buffer_is_refused)
{
	struct pppoe_disc d;
	enum pppoe_err err;
	uint8_t out[256];
	cr_assert_eq(pppoe_disc_decode(padr, sizeof(padr), &d, &err), 0);
	for (size_t cap = 0; cap < sizeof(padr); cap++) {
		cr_expect_eq(pppoe_disc_encode(out, cap, &d, &err), -1, "cap %zu", cap);
		cr_expect_eq(err, PPPOE_ERR_NO_SPACE);
	}
}

Test(pppoe_disc_encode, builds_a_pado_from_fields)
{
	struct pppoe_disc m;
	memset(&m, 0, sizeof(m));
	memcpy(m.dst, client_mac, 6);
	memcpy(m.src, ac_mac, 6);
	m.code = PPPOE_CODE_PADO;
	m.n_service_names = 1;
	pppoe_tag_set_str(&m.service_name[0], "");
	pppoe_tag_set_str(&m.ac_name, "rlt-ac");
	pppoe_tag_set(&m.host_uniq, "\xde\xad\xbe\xef", 4);
	pppoe_tag_set(&m.ac_cookie, cookie, sizeof(cookie));
	uint8_t out[128];
	enum pppoe_err err;
	int n = pppoe_disc_encode(out, sizeof(out), &m, &err);
	cr_assert_eq(n, (int)sizeof(pado));
	cr_expect(memcmp(out, pado, sizeof(pado)) == 0);
}

Test(pppoe_disc_encode, relay_session_id_over_12_octets_is_refused)
{
	struct pppoe_disc m;
	memset(&m, 0, sizeof(m));
	m.code = PPPOE_CODE_PADO;
	pppoe_tag_set(&m.relay_session_id, "0123456789abc", 13);
	uint8_t out[128];
	enum pppoe_err err;
	cr_expect_eq(pppoe_disc_encode(out, sizeof(out), &m, &err), -1);
	cr_expect_eq(err, PPPOE_ERR_TOO_LONG);
}

/* Copies a vector so a test can damage one byte. */
static size_t copy(uint8_t *dst, const uint8_t *src, size_t len)
{
	memcpy(dst, src, len);
	return len;
}

static enum pppoe_err disc_err(const uint8_t *buf, size_t len)
{
	struct pppoe_disc d;
	enum pppoe_err err = PPPOE_ERR_NONE;
	if (pppoe_disc_decode(buf, len, &d, &err) == 0)
		return PPPOE_ERR_NONE;
	return err;
}

Test(pppoe_disc_decode, damaged_headers_give_named_errors)
{
	uint8_t b[128];
	size_t n;

	n = copy(b, padi, sizeof(padi));
	b[12] = 0x08; b[13] = 0x00;
	cr_expect_eq(disc_err(b, n), PPPOE_ERR_ETHERTYPE);

	n = copy(b, padi, sizeof(padi));
	b[14] = 0x21;
	cr_expect_eq(disc_err(b, n), PPPOE_ERR_VERSION);

	n = copy(b, padi, sizeof(padi));
	b[15] = 0x42;
	cr_expect_eq(disc_err(b, n), PPPOE_ERR_CODE);

	n = copy(b, padi, sizeof(padi));
	b[15] = 0x00;   /* session code on the discovery EtherType */
	cr_expect_eq(disc_err(b, n), PPPOE_ERR_CODE);

	n = copy(b, padi, sizeof(padi));
	b[17] = 0x01;   /* PADI with a session id */
	cr_expect_eq(disc_err(b, n), PPPOE_ERR_SESSION_ID);

	n = copy(b, padt, sizeof(padt));
	b[16] = 0; b[17] = 0;   /* PADT without one */
	cr_expect_eq(disc_err(b, n), PPPOE_ERR_SESSION_ID);

	n = copy(b, pads, sizeof(pads));
	b[16] = 0xff; b[17] = 0xff;     /* reserved id */
	cr_expect_eq(disc_err(b, n), PPPOE_ERR_SESSION_ID);

	n = copy(b, padi, sizeof(padi));
	b[19] = 0x0d;   /* LENGTH one past the frame */
	cr_expect_eq(disc_err(b, n), PPPOE_ERR_LENGTH);

	n = copy(b, padi, sizeof(padi));
	b[6] = 0x01;    /* multicast source */
	cr_expect_eq(disc_err(b, n), PPPOE_ERR_MAC);
}

Test(pppoe_disc_decode, damaged_tags_give_named_errors)
{
	uint8_t b[128];
	size_t n;

	n = copy(b, padi, sizeof(padi));
	b[27] = 0x05;   /* Host-Uniq claims 5 octets, 4 remain */
	cr_expect_eq(disc_err(b, n), PPPOE_ERR_TAG_LENGTH);

	n = copy(b, padi, sizeof(padi));
	b[19] = 0x0a;   /* LENGTH ends inside the Host-Uniq value */
	cr_expect_eq(disc_err(b, n), PPPOE_ERR_TAG_LENGTH);

	n = copy(b, padi, sizeof(padi));
	b[19] = 0x06;   /* LENGTH leaves 2 octets: half a tag header */
	cr_expect_eq(disc_err(b, n), PPPOE_ERR_SHORT_TAG);

	n = copy(b, padr, sizeof(padr));
	b[n - 3] = 0x03;        /* PPP-Max-Payload of length 3 */
	b[19] = 0x32;
	b[n++] = 0;
	cr_expect_eq(disc_err(b, n), PPPOE_ERR_TAG_VALUE);
}

Test(pppoe_disc_decode, unknown_tags_are_skipped_and_end_of_list_stops)
{
	static const uint8_t v[] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x88, 0x63,
		0x11, 0x09, 0x00, 0x00, 0x00, 0x16,
		0x01, 0x01, 0x00, 0x00,
		0x7e, 0x57, 0x00, 0x02, 0x01, 0x02,     /* unknown tag */
		0x00, 0x00, 0x00, 0x00,                 /* End-Of-List */
		0x01, 0x03, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef, /* after the end: ignored */
	};
	struct pppoe_disc d;
	enum pppoe_err err;
	cr_assert_eq(pppoe_disc_decode(v, sizeof(v), &d, &err), 0, "err=%s", pppoe_err_str(err));
	cr_expect_eq(d.n_unknown_tags, 1);
	cr_expect(!d.host_uniq.present);
}

Test(pppoe_disc_decode, relay_session_id_over_12_octets_is_refused)
{
	static const uint8_t v[] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x88, 0x63,
		0x11, 0x09, 0x00, 0x00, 0x00, 0x15,
		0x01, 0x01, 0x00, 0x00,
		0x01, 0x10, 0x00, 0x0d, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	};
	cr_expect_eq(disc_err(v, sizeof(v)), PPPOE_ERR_TAG_VALUE);
}

Test(pppoe_session_decode, lcp_frame_yields_session_and_payload)
{
	struct pppoe_session s;
	enum pppoe_err err;
	cr_assert_eq(pppoe_session_decode(sess, sizeof(sess), &s, &err), 0);
	cr_expect_eq(s.session_id, 0x1234);
	cr_expect_eq(s.payload_len, 6);
	cr_expect(memcmp(s.payload, sess + 20, 6) == 0);
	cr_expect(memcmp(s.src, client_mac, 6) == 0);
	cr_expect(memcmp(s.dst, ac_mac, 6) == 0);
}

Test(pppoe_session_decode, every_truncated_prefix_is_refused)
{
	for (size_t cut = 0; cut < sizeof(sess); cut++) {
		struct pppoe_session s;
		enum pppoe_err err = PPPOE_ERR_NONE;
		cr_expect_eq(pppoe_session_decode(sess, cut, &s, &err), -1, "cut at %zu", cut);
		cr_expect_neq(err, PPPOE_ERR_NONE);
	}
}

Test(pppoe_session_decode, bad_code_session_id_and_empty_payload_are_refused)
{
	uint8_t b[64];
	struct pppoe_session s;
	enum pppoe_err err;

	copy(b, sess, sizeof(sess));
	b[15] = 0x09;
	cr_expect_eq(pppoe_session_decode(b, sizeof(sess), &s, &err), -1);
	cr_expect_eq(err, PPPOE_ERR_CODE);

	copy(b, sess, sizeof(sess));
	b[16] = 0; b[17] = 0;
	cr_expect_eq(pppoe_session_decode(b, sizeof(sess), &s, &err), -1);
	cr_expect_eq(err, PPPOE_ERR_SESSION_ID);

	copy(b, sess, sizeof(sess));
	b[18] = 0; b[19] = 0;
	cr_expect_eq(pppoe_session_decode(b, sizeof(sess), &s, &err), -1);
	cr_expect_eq(err, PPPOE_ERR_LENGTH);

	cr_expect_eq(pppoe_session_decode(padi, sizeof(padi), &s, &err), -1);
	cr_expect_eq(err, PPPOE_ERR_ETHERTYPE);
}

Test(pppoe_session_encode, strips_address_control_and_matches_vector)
{
	static const uint8_t hdlc[] = { 0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04 };
	uint8_t out[64];
	enum pppoe_err err;
	int n = pppoe_session_encode(out, sizeof(out), ac_mac, client_mac, 0x1234, hdlc,
				     sizeof(hdlc), &err);
	cr_assert_eq(n, (int)sizeof(sess));
	cr_expect(memcmp(out, sess, sizeof(sess)) == 0);
	n = pppoe_session_encode(out, sizeof(out), ac_mac, client_mac, 0x1234, hdlc + 2,
				 sizeof(hdlc) - 2, &err);
	cr_assert_eq(n, (int)sizeof(sess));
	cr_expect(memcmp(out, sess, sizeof(sess)) == 0);
	for (size_t cap = 0; cap < sizeof(sess); cap++)
		cr_expect_eq(pppoe_session_encode(out, cap, ac_mac, client_mac, 0x1234, hdlc,
						  sizeof(hdlc), &err), -1);
}

Test(pppoe_names, codes_tags_and_errors_have_names)
{
	cr_expect_str_eq(pppoe_code_str(PPPOE_CODE_PADR), "padr");
	cr_expect_str_eq(pppoe_code_str(0x42), "unknown");
	cr_expect_str_eq(pppoe_tag_str(PPPOE_TAG_AC_COOKIE), "ac-cookie");
	cr_expect_str_eq(pppoe_err_str(PPPOE_ERR_TAG_LENGTH), "tag-length");
	char mac[18];
	pppoe_mac_format(client_mac, mac);
	cr_expect_str_eq(mac, "00:11:22:33:44:55");
}

/* PADO with Vendor-Specific (vendor 3561, the Broadband Forum, RFC 2516
 * Appendix A: first octet of the vendor id 0), AC-System-Error and Generic-
 * Error: each lands in its field and the frame round-trips. */
static const uint8_t pado_vendor[] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x63,
	0x11, 0x07, 0x00, 0x00, 0x00, 0x25,
	0x01, 0x01, 0x00, 0x00,
	0x01, 0x02, 0x00, 0x02, 'a', 'c',
	0x01, 0x05, 0x00, 0x08, 0x00, 0x00, 0x0d, 0xe9, 0x01, 0x02, 0x68, 0x69,
	0x02, 0x02, 0x00, 0x04, 'b', 'u', 's', 'y',
	0x02, 0x03, 0x00, 0x03, 'e', 'r', 'r',
};

Test(pppoe_disc_decode, vendor_specific_and_error_tags_land_in_their_fields)
{
	struct pppoe_disc d;
	enum pppoe_err err;
	cr_assert_eq(pppoe_disc_decode(pado_vendor, sizeof(pado_vendor), &d, &err), 0, "err=%s",
		     pppoe_err_str(err));
	cr_expect(tag_is(&d.vendor_specific, "\x00\x00\x0d\xe9\x01\x02\x68\x69", 8));
	cr_expect(pppoe_tag_eq_str(&d.ac_system_error, "busy"));
	cr_expect(pppoe_tag_eq_str(&d.generic_error, "err"));
	cr_expect(pppoe_tag_eq_str(&d.ac_name, "ac"));
	uint8_t out[128];
	int n = pppoe_disc_encode(out, sizeof(out), &d, &err);
	cr_assert_eq(n, (int)sizeof(pado_vendor));
	cr_expect(memcmp(out, pado_vendor, sizeof(pado_vendor)) == 0);
	for (size_t cut = 0; cut < sizeof(pado_vendor); cut++)
		cr_expect_eq(pppoe_disc_decode(pado_vendor, cut, &d, &err), -1, "cut at %zu", cut);
}

Test(pppoe_disc_decode, several_service_names_are_kept_in_order_up_to_the_limit)
{
	uint8_t b[256];
	size_t off = 20;
	memcpy(b, padi, 14);
	b[14] = 0x11; b[15] = PPPOE_CODE_PADO; b[16] = 0; b[17] = 0;
	memcpy(b, client_mac, 6);
	memcpy(b + 6, ac_mac, 6);
	for (unsigned i = 0; i < PPPOE_MAX_SERVICE_NAMES + 1; i++) {
		b[off] = 0x01; b[off + 1] = 0x01; b[off + 2] = 0; b[off + 3] = 1;
		b[off + 4] = (uint8_t)('a' + i);
		off += 5;
	}
	size_t plen = off - 20;
	b[18] = (uint8_t)(plen >> 8); b[19] = (uint8_t)plen;
	struct pppoe_disc d;
	enum pppoe_err err;
	/* One more than we keep: refused, not silently cut. */
	cr_expect_eq(pppoe_disc_decode(b, off, &d, &err), -1);
	cr_expect_eq(err, PPPOE_ERR_TOO_MANY_TAGS);
	plen -= 5;
	b[18] = (uint8_t)(plen >> 8); b[19] = (uint8_t)plen;
	cr_assert_eq(pppoe_disc_decode(b, off - 5, &d, &err), 0);
	cr_expect_eq(d.n_service_names, PPPOE_MAX_SERVICE_NAMES);
	cr_expect(pppoe_tag_eq_str(&d.service_name[0], "a"));
	cr_expect(pppoe_tag_eq_str(&d.service_name[PPPOE_MAX_SERVICE_NAMES - 1], "h"));
}
