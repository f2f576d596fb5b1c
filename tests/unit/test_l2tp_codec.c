/* L2TP codecs (RFC 2661 3.1, 4.1, 4.3, 4.4, 6): every message type decoded
 * from and re-encoded to byte vectors, every truncated prefix rejected, hidden
 * AVPs round-tripped, header variants, and the mandatory-AVP checks. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2tp/avp.h"
#include "l2tp/msg.h"
#include "l2tp/proto.h"

/* Parses "80 08 00 00 ..." (spaces ignored) into buf; returns the length. */
static size_t hex(const char *s, uint8_t *buf, size_t cap)
{
	size_t n = 0;

	while (*s) {
		unsigned v;

		if (*s == ' ' || *s == '\n') {
			s++;
			continue;
		}
		cr_assert(sscanf(s, "%2x", &v) == 1, "bad hex at %s", s);
		cr_assert(n < cap);
		buf[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

struct vec {
	const char *name;
	uint16_t type;
	const char *body;
};

/* AVPs in type order with the M bits RFC 2661 4.4 gives, as our encoder writes them. */
static const struct vec vectors[] = {
	{ "SCCRQ", L2TP_MSG_SCCRQ,
	  "8008 0000 0000 0001  8008 0000 0002 0100  800a 0000 0003 0000 0003"
	  "800a 0000 0004 0000 0003  000e 0000 0005 0102 0304 0506 0708  0008 0000 0006 0100"
	  "800a 0000 0007 6c61 6331  0008 0000 0008 726c  8008 0000 0009 1234  8008 0000 000a 0008"
	  "800a 0000 000b dead beef" },
	{ "SCCRP", L2TP_MSG_SCCRP,
	  "8008 0000 0000 0002  8008 0000 0002 0100  800a 0000 0003 0000 0003"
	  "8009 0000 0007 6c6e 73  8008 0000 0009 4321  800a 0000 000b 0102 0304"
	  "8016 0000 000d 0011 2233 4455 6677 8899 aabb ccdd eeff" },
	{ "SCCCN", L2TP_MSG_SCCCN,
	  "8008 0000 0000 0003  8016 0000 000d ffee ddcc bbaa 9988 7766 5544 3322 1100" },
	{ "StopCCN", L2TP_MSG_STOPCCN,
	  "8008 0000 0000 0004  800c 0000 0001 0002 0006 6869  8008 0000 0009 1234" },
	{ "HELLO", L2TP_MSG_HELLO, "8008 0000 0000 0006" },
	{ "OCRQ", L2TP_MSG_OCRQ,
	  "8008 0000 0000 0007  8008 0000 000e 0009  800a 0000 000f 0000 0001"
	  "800a 0000 0010 0000 2580  800a 0000 0011 0001 f400  800a 0000 0012 0000 0002"
	  "800a 0000 0013 0000 0002  8009 0000 0015 3939 39" },
	{ "OCRP", L2TP_MSG_OCRP, "8008 0000 0000 0008  8008 0000 000e 0009" },
	{ "OCCN", L2TP_MSG_OCCN,
	  "8008 0000 0000 0009  800a 0000 0013 0000 0002  800a 0000 0018 0000 e100" },
	{ "ICRQ", L2TP_MSG_ICRQ,
	  "8008 0000 0000 000a  8008 0000 000e 002a  800a 0000 000f 0000 0007"
	  "800a 0000 0012 0000 0001  8009 0000 0015 3132 33  8009 0000 0016 3435 36"
	  "8007 0000 0017 37  000a 0000 0019 0000 0005" },
	{ "ICRP", L2TP_MSG_ICRP, "8008 0000 0000 000b  8008 0000 000e 0033" },
	{ "ICCN", L2TP_MSG_ICCN,
	  "8008 0000 0000 000c  800a 0000 0013 0000 0001  800a 0000 0018 05f5 e100"
	  "000a 0000 001a 0104 05dc  0010 0000 001b 0104 05d4 0506 1122 3344"
	  "000a 0000 001c 0104 05dc  0008 0000 001d 0002  000b 0000 001e 616c 6963 65"
	  "000a 0000 001f 0102 0304  0008 0000 0020 0007  000a 0000 0021 aabb ccdd"
	  "000a 0000 0025 7072 6976  000a 0000 0026 05f5 e100  8006 0000 0027" },
	{ "CDN", L2TP_MSG_CDN,
	  "8008 0000 0000 000e  800a 0000 0001 0003 0000  8009 0000 000c 0010 01"
	  "8008 0000 000e 002a  000e 0000 002e 0003 c021 0262 7965" },
	{ "WEN", L2TP_MSG_WEN,
	  "8008 0000 0000 000f  8020 0000 0022 0000 0000 0001 0000 0002 0000 0003"
	  "0000 0004 0000 0005 0000 0006" },
	{ "SLI", L2TP_MSG_SLI,
	  "8008 0000 0000 0010  8010 0000 0023 0000 ffff ffff 0000 0000" },
};

static void decode_vec(const struct vec *v, struct l2tp_msg *m, uint8_t *buf, size_t *len)
{
	struct l2tp_dec_err err;

	*len = hex(v->body, buf, 2048);
	cr_assert_eq(l2tp_msg_decode(buf, *len, NULL, 0, m, &err), 0, "%s: %s (avp %u)", v->name,
		     err.what, err.avp_type);
	cr_assert_eq(m->type, v->type, "%s", v->name);
}

Test(l2tp_codec, every_message_type_decodes_and_reencodes_byte_exact)
{
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		uint8_t buf[2048], out[2048];
		struct l2tp_msg m;
		size_t len;
		int n;

		decode_vec(&vectors[i], &m, buf, &len);
		n = l2tp_msg_encode(&m, NULL, 0, NULL, out, sizeof(out));
		cr_assert_eq((size_t)n, len, "%s: encoded %d bytes, vector %zu", vectors[i].name, n, len);
		cr_assert(memcmp(out, buf, len) == 0, "%s: bytes differ", vectors[i].name);
	}
}

Test(l2tp_codec, decoded_fields_match_the_vectors)
{
	uint8_t buf[2048];
	struct l2tp_msg m;
	size_t len;

	decode_vec(&vectors[0], &m, buf, &len);
	cr_assert_eq(m.proto_ver, 1);
	cr_assert_eq(m.framing_cap, 3);
	cr_assert_eq(m.assigned_tid, 0x1234);
	cr_assert_eq(m.rx_window, 8);
	cr_assert_eq(m.host_name.len, 4);
	cr_assert(memcmp(m.host_name.b, "lac1", 4) == 0);
	cr_assert_eq(m.tie_breaker[7], 8);
	cr_assert_eq(m.challenge.len, 4);

	decode_vec(&vectors[3], &m, buf, &len);
	cr_assert_eq(m.result, 2);
	cr_assert(m.has_error);
	cr_assert_eq(m.error, 6);
	cr_assert_eq(m.result_msg.len, 2);

	decode_vec(&vectors[10], &m, buf, &len);
	cr_assert_eq(m.tx_speed, 100000000);
	cr_assert_eq(m.framing_type, 1);
	cr_assert_eq(m.proxy_auth_type, L2TP_PROXY_AUTH_CHAP);
	cr_assert_eq(m.proxy_auth_id, 7);
	cr_assert_eq(m.last_tx_lcp.len, 10);
	cr_assert(l2tp_msg_has(&m, L2TP_AVP_SEQ_REQUIRED));

	decode_vec(&vectors[11], &m, buf, &len);
	cr_assert_eq(m.result, 3);
	cr_assert_eq(m.q931_cause, 0x10);
	cr_assert_eq(m.q931_msg, 1);
	cr_assert_eq(m.ppp_disc_code, 3);
	cr_assert_eq(m.ppp_disc_proto, 0xc021);
	cr_assert_eq(m.ppp_disc_dir, 2);
	cr_assert_eq(m.ppp_disc_msg.len, 3);

	decode_vec(&vectors[12], &m, buf, &len);
	cr_assert_eq(m.call_errors.crc, 1);
	cr_assert_eq(m.call_errors.alignment, 6);

	decode_vec(&vectors[13], &m, buf, &len);
	cr_assert_eq(m.send_accm, 0xffffffffu);
	cr_assert_eq(m.recv_accm, 0);
}

/* Each vector behind a control header: every proper prefix of the datagram
 * is refused by the header (Length says more), and every prefix of the AVP
 * body that cuts an AVP is refused by the decoder. Run under ASan/valgrind
 * (make check-l2tp-asan) this also proves no byte past the prefix is read. */
Test(l2tp_codec, every_truncated_prefix_is_rejected)
{
	size_t i, cut;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		uint8_t body[2048], pkt[2048];
		size_t len = hex(vectors[i].body, body, sizeof(body));
		struct l2tp_hdr h;

		l2tp_ctrl_hdr_put(pkt, (uint16_t)(12 + len), 7, 0, 0, 0);
		memcpy(pkt + 12, body, len);
		cr_assert_eq(l2tp_hdr_decode(pkt, 12 + len, &h), L2TP_HDR_OK);
		cr_assert_eq(h.payload_len, len);
		for (cut = 0; cut < 12 + len; cut++) {
			uint8_t *copy = malloc(cut ? cut : 1);

			memcpy(copy, pkt, cut);
			cr_assert_neq(l2tp_hdr_decode(copy, cut, &h), L2TP_HDR_OK, "%s cut %zu",
				      vectors[i].name, cut);
			free(copy);
		}
		for (cut = 1; cut < len; cut++) {
			uint8_t *copy = malloc(cut);
			struct l2tp_avp_iter it;
			struct l2tp_avp a;
			struct l2tp_msg m;
			struct l2tp_dec_err err;
			bool boundary = false;
			int st;

			memcpy(copy, body, cut);
			/* Is the cut on an AVP boundary? */
			l2tp_avp_iter_init(&it, copy, cut);
			while ((st = l2tp_avp_next(&it, &a)) > 0)
				;
			boundary = st == L2TP_AVP_END;
			if (!boundary)
				cr_assert_lt(l2tp_msg_decode(copy, cut, NULL, 0, &m, &err), 0,
					     "%s body cut %zu accepted", vectors[i].name, cut);
			else if (l2tp_msg_decode(copy, cut, NULL, 0, &m, &err) == 0)
				cr_assert_eq(l2tp_msg_mandatory(m.type) & ~m.present, 0);
			free(copy);
		}
	}
}

Test(l2tp_codec, hidden_avps_round_trip_and_need_the_secret)
{
	static const uint8_t secret[] = "tunnel-secret", rv[16] = "0123456789abcdef";
	uint8_t buf[2048], plain[2048];
	struct l2tp_msg m, d;
	struct l2tp_dec_err err;
	int n, np;

	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_ICCN;
	m.present = L2TP_AVP_BIT(L2TP_AVP_TX_SPEED) | L2TP_AVP_BIT(L2TP_AVP_FRAMING_TYPE) |
		    L2TP_AVP_BIT(L2TP_AVP_PROXY_AUTH_ID) | L2TP_AVP_BIT(L2TP_AVP_PROXY_AUTH_TYPE);
	m.tx_speed = 1000000;
	m.framing_type = 2;
	m.proxy_auth_id = 9;
	m.proxy_auth_type = 2;
	l2tp_msg_set_str(&m, L2TP_AVP_PROXY_AUTH_NAME, &m.proxy_auth_name,
			 "a-rather-long-user-name-that-spans-several-md5-blocks@realm.example");
	l2tp_msg_set_bytes(&m, L2TP_AVP_PROXY_AUTH_RESP, &m.proxy_auth_resp, rv, 16);
	m.hide = L2TP_AVP_BIT(L2TP_AVP_PROXY_AUTH_NAME) | L2TP_AVP_BIT(L2TP_AVP_PROXY_AUTH_ID) |
		 L2TP_AVP_BIT(L2TP_AVP_PROXY_AUTH_RESP) | L2TP_AVP_BIT(L2TP_AVP_TX_SPEED);
	n = l2tp_msg_encode(&m, secret, sizeof(secret) - 1, rv, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	np = l2tp_msg_encode(&m, NULL, 0, NULL, plain, sizeof(plain));
	cr_assert_gt(n, np, "hidden form carries a Random Vector and padding");
	cr_assert(memmem(buf, (size_t)n, "a-rather-long", 13) == NULL, "name is not in clear");
	cr_assert_eq(l2tp_msg_decode(buf, (size_t)n, secret, sizeof(secret) - 1, &d, &err), 0,
		     "%s", err.what);
	cr_assert_eq(d.tx_speed, 1000000);
	cr_assert_eq(d.proxy_auth_id, 9);
	cr_assert_eq(d.proxy_auth_name.len, m.proxy_auth_name.len);
	cr_assert(memcmp(d.proxy_auth_name.b, m.proxy_auth_name.b, d.proxy_auth_name.len) == 0);
	cr_assert(memcmp(d.proxy_auth_resp.b, rv, 16) == 0);
	/* Without a secret the hidden AVPs cannot be read: the message is refused. */
	cr_assert_lt(l2tp_msg_decode(buf, (size_t)n, NULL, 0, &d, &err), 0);
	cr_assert_eq(err.status, L2TP_DEC_HIDDEN);
	/* With another secret: refused or revealed as something else, never the name. */
	if (l2tp_msg_decode(buf, (size_t)n, (const uint8_t *)"other", 5, &d, &err) == 0)
		cr_assert(d.proxy_auth_name.len != m.proxy_auth_name.len ||
			  memcmp(d.proxy_auth_name.b, m.proxy_auth_name.b, d.proxy_auth_name.len) != 0);
}

Test(l2tp_codec, hidden_length_is_rechecked_after_decryption)
{
	static const uint8_t secret[] = "s", rv[16] = { 1 };
	uint8_t out[64], plain[8] = { 0x03, 0xff, 1, 2, 3, 4, 5, 6 }, enc[64];
	struct l2tp_wbuf w;

	/* A hidden value whose revealed length (0x03ff) exceeds what was carried. */
	l2tp_wbuf_init(&w, enc, sizeof(enc));
	l2tp_avp_put_hidden(&w, true, 30, plain + 2, 6, secret, 1, rv, 16, NULL, 0);
	cr_assert(!w.overflow);
	/* Re-encrypt by hand a forged 2-byte length: flip the first byte. */
	enc[6] ^= 0x03;
	cr_assert_lt(l2tp_avp_unhide(30, secret, 1, rv, 16, enc + 6, 8, out, sizeof(out)), 0);
	cr_assert_lt(l2tp_avp_unhide(30, secret, 1, rv, 16, enc + 6, 1, out, sizeof(out)), 0);
}

Test(l2tp_codec, mandatory_avps_are_checked_per_message)
{
	uint8_t buf[256];
	struct l2tp_msg m;
	struct l2tp_dec_err err;
	/* ICRQ without Call Serial Number. */
	size_t len = hex("8008 0000 0000 000a  8008 0000 000e 002a", buf, sizeof(buf));

	cr_assert_lt(l2tp_msg_decode(buf, len, NULL, 0, &m, &err), 0);
	cr_assert_eq(err.status, L2TP_DEC_MISSING);
	cr_assert_eq(err.avp_type, L2TP_AVP_CALL_SERIAL);
	cr_assert(err.tear_down);
}

Test(l2tp_codec, unknown_avps_skipped_unless_mandatory)
{
	uint8_t buf[256];
	struct l2tp_msg m;
	struct l2tp_dec_err err;
	size_t len;

	/* HELLO + unknown IETF AVP 99 (M=0) + vendor AVP (M=0): taken. */
	len = hex("8008 0000 0000 0006  0008 0000 0063 0000  0008 0009 0001 0000", buf, sizeof(buf));
	cr_assert_eq(l2tp_msg_decode(buf, len, NULL, 0, &m, &err), 0);
	/* Same with M=1 on the vendor AVP: refused, result 2 error 8 (4.2). */
	len = hex("8008 0000 0000 0006  8008 0009 0001 0000", buf, sizeof(buf));
	cr_assert_lt(l2tp_msg_decode(buf, len, NULL, 0, &m, &err), 0);
	cr_assert_eq(err.status, L2TP_DEC_UNKNOWN_M);
	cr_assert_eq(err.result, 2);
	cr_assert_eq(err.error, L2TP_ERR_UNKNOWN_M_AVP);
	/* Unknown message type 50: with M the tunnel goes, without it is ignored. */
	len = hex("8008 0000 0000 0032", buf, sizeof(buf));
	cr_assert_lt(l2tp_msg_decode(buf, len, NULL, 0, &m, &err), 0);
	cr_assert(err.tear_down);
	len = hex("0008 0000 0000 0032", buf, sizeof(buf));
	cr_assert_lt(l2tp_msg_decode(buf, len, NULL, 0, &m, &err), 0);
	cr_assert(!err.tear_down);
	/* A known AVP with a wrong length. */
	len = hex("8008 0000 0000 000b  8009 0000 000e 0000 00", buf, sizeof(buf));
	cr_assert_lt(l2tp_msg_decode(buf, len, NULL, 0, &m, &err), 0);
	cr_assert_eq(err.status, L2TP_DEC_BAD_VALUE);
	cr_assert_eq(err.error, L2TP_ERR_LENGTH);
	/* Message Type not first: malformed, dropped. */
	len = hex("8008 0000 000e 002a  8008 0000 0000 000b", buf, sizeof(buf));
	cr_assert_lt(l2tp_msg_decode(buf, len, NULL, 0, &m, &err), 0);
	cr_assert_eq(err.status, L2TP_DEC_MALFORMED);
	/* AVP length below 6 or past the end. */
	len = hex("8008 0000 0000 0006  8005 0000 00", buf, sizeof(buf));
	cr_assert_lt(l2tp_msg_decode(buf, len, NULL, 0, &m, &err), 0);
	len = hex("8008 0000 0000 0006  80ff 0000 0007 00", buf, sizeof(buf));
	cr_assert_lt(l2tp_msg_decode(buf, len, NULL, 0, &m, &err), 0);
}

Test(l2tp_codec, zlb_is_an_empty_body)
{
	struct l2tp_msg m;
	struct l2tp_dec_err err;

	cr_assert_eq(l2tp_msg_decode((const uint8_t *)"", 0, NULL, 0, &m, &err), 0);
	cr_assert_eq(m.type, L2TP_MSG_ZLB);
}

Test(l2tp_codec, header_variants)
{
	uint8_t buf[64];
	struct l2tp_hdr h;
	size_t len;
	int hl;

	/* Data, no options (l2tpns's form). */
	len = hex("0002 0003 0005 ff03 c021", buf, sizeof(buf));
	cr_assert_eq(l2tp_hdr_decode(buf, len, &h), L2TP_HDR_OK);
	cr_assert(!h.control);
	cr_assert_eq(h.tid, 3);
	cr_assert_eq(h.sid, 5);
	cr_assert_eq(h.payload_off, 6);
	cr_assert_eq(h.payload_len, 4);
	/* Data with L, S, O and 2 bytes of offset padding; Length excludes trailing junk. */
	len = hex("4a02 0014 0003 0005 0001 0000 0002 aaaa ff03 c021 eeee", buf, sizeof(buf));
	cr_assert_eq(l2tp_hdr_decode(buf, len, &h), L2TP_HDR_OK);
	cr_assert(h.has_seq && h.has_offset && h.has_len);
	cr_assert_eq(h.ns, 1);
	cr_assert_eq(h.payload_off, 16);
	cr_assert_eq(h.payload_len, 4);
	/* Offset pad beyond the message. */
	len = hex("0202 0003 0005 0009 ff03", buf, sizeof(buf));
	cr_assert_eq(l2tp_hdr_decode(buf, len, &h), L2TP_HDR_BAD_OFFSET);
	/* Version 3 and a control message without S. */
	len = hex("c803 000c 0001 0000 0000 0000", buf, sizeof(buf));
	cr_assert_eq(l2tp_hdr_decode(buf, len, &h), L2TP_HDR_VERSION);
	len = hex("c002 0008 0001 0000", buf, sizeof(buf));
	cr_assert_eq(l2tp_hdr_decode(buf, len, &h), L2TP_HDR_CTRL_BITS);
	/* Length below the header. */
	len = hex("c802 0004 0001 0000 0000 0000", buf, sizeof(buf));
	cr_assert_eq(l2tp_hdr_decode(buf, len, &h), L2TP_HDR_BAD_LENGTH);
	/* Encoder: data with S and L. */
	hl = l2tp_data_hdr_put(buf, sizeof(buf), 0x1111, 0x2222, true, 7, 0, true, 10);
	cr_assert_eq(hl, 12);
	cr_assert_eq(buf[0], 0x48);
	cr_assert_eq(buf[1], 0x02);
	cr_assert_eq(l2tp_get16(buf + 2), 22);
	cr_assert_eq(l2tp_get16(buf + 8), 7);
	hl = l2tp_data_hdr_put(buf, sizeof(buf), 1, 2, false, 0, 0, false, 10);
	cr_assert_eq(hl, 6);
	cr_assert_eq(l2tp_get16(buf), 0x0002);
}

Test(l2tp_codec, long_texts_are_cut_long_values_refused)
{
	uint8_t buf[1200];
	struct l2tp_msg m;
	struct l2tp_dec_err err;
	size_t len = 0;

	/* StopCCN whose Error Message (600 bytes) exceeds what we keep: taken, cut. */
	len += (size_t)hex("8008 0000 0000 0004  8008 0000 0009 1234", buf, sizeof(buf));
	l2tp_put16(buf + len, 0x8000 | (6 + 4 + 600));
	l2tp_put16(buf + len + 2, 0);
	l2tp_put16(buf + len + 4, L2TP_AVP_RESULT_CODE);
	l2tp_put16(buf + len + 6, 2);
	l2tp_put16(buf + len + 8, 6);
	memset(buf + len + 10, 'x', 600);
	len += 610;
	cr_assert_eq(l2tp_msg_decode(buf, len, NULL, 0, &m, &err), 0, "%s", err.what);
	cr_assert_eq(m.result, 2);
	cr_assert_eq(m.result_msg.len, L2TP_VAL_MAX);
	/* A Challenge that long cannot be answered faithfully: refused. */
	len = hex("8008 0000 0000 0002", buf, sizeof(buf));
	l2tp_put16(buf + len, 0x8000 | (6 + 300));
	l2tp_put16(buf + len + 2, 0);
	l2tp_put16(buf + len + 4, L2TP_AVP_CHALLENGE);
	memset(buf + len + 6, 'c', 300);
	len += 306;
	cr_assert_lt(l2tp_msg_decode(buf, len, NULL, 0, &m, &err), 0);
	cr_assert_eq(err.status, L2TP_DEC_BAD_VALUE);
}
