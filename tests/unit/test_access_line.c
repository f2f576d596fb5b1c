/* Access-line codec (TR-101 PPPoE tag, RFC 4679 RADIUS attributes, RFC 5515
 * L2TP AVPs) on byte vectors. The three vectors below describe one line and
 * were dissected by tshark 4.0 without a malformed or expert flag
 * (tests/integration/access_line_vectors.sh re-checks them on every run, so
 * keep their names and the hex-string form). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "access/access_line.h"
#include "access/pppoe_codec.h"

/* vectors: TR-101 tag value (vendor 3561): Agent-Circuit-Id
 * "dslam-7 eth 1/2/3:100", Agent-Remote-Id "cpe-0042", actual rates 1024 /
 * 16384 kbit/s up/down, minimum 64 / 512, maximum 2048 / 24000,
 * Access-Loop-Encapsulation Ethernet / single-tagged / NA, DSL-Type 5 (VDSL2). */
static const char tr101_hex[] =
	"00000de9011564736c616d2d372065746820312f322f333a3130300208637065"
	"2d30303432810400000400820400004000830400000040840400000200870400"
	"000800880400005dc09003010200910400000005";
/* The same line as RFC 4679 Vendor-Specific attributes (rates in bit/s). */
static const char radius_hex[] =
	"1a1d00000de9011764736c616d2d372065746820312f322f333a3130301a1000"
	"000de9020a6370652d303034321a0c00000de98106000fa0001a0c00000de982"
	"0600fa00001a0c00000de983060000fa001a0c00000de984060007d0001a0c00"
	"000de98706001f40001a0c00000de98806016e36001a0b00000de99005010200"
	"1a0c00000de9910600000005";
/* The same line as RFC 5515 AVPs (64-bit rates in bit/s, M clear). */
static const char l2tp_hex[] =
	"001b0de9000164736c616d2d372065746820312f322f333a313030000e0de900"
	"026370652d30303432000e0de9008100000000000fa000000e0de90082000000"
	"0000fa0000000e0de90083000000000000fa00000e0de90084000000000007d0"
	"00000e0de9008700000000001f4000000e0de9008800000000016e360000090d"
	"e90090010200000a0de9009100000005";
/* end of vectors */

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (; h[0] && h[1] && n < cap; h += 2) {
		unsigned v;
		cr_assert(sscanf(h, "%2x", &v) == 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void decode_vector(struct access_line *l)
{
	uint8_t v[256];
	enum access_line_err err;
	size_t n = unhex(tr101_hex, v, sizeof(v));
	cr_assert_eq(access_line_tr101_decode(v, n, l, &err), 0, "err=%s", access_line_err_str(err));
}

Test(access_line_tr101, vector_decodes_to_every_field)
{
	struct access_line l;
	decode_vector(&l);
	cr_assert_str_eq(l.circuit_id, "dslam-7 eth 1/2/3:100");
	cr_assert_eq(l.circuit_id_len, 21);
	cr_assert_str_eq(l.remote_id, "cpe-0042");
	cr_assert_eq(l.u32[ACCESS_LINE_ACT_UP - 0x81], 1024);
	cr_assert_eq(l.u32[ACCESS_LINE_ACT_DOWN - 0x81], 16384);
	cr_assert_eq(l.u32[ACCESS_LINE_MIN_UP - 0x81], 64);
	cr_assert_eq(l.u32[ACCESS_LINE_MIN_DOWN - 0x81], 512);
	cr_assert_eq(l.u32[ACCESS_LINE_MAX_UP - 0x81], 2048);
	cr_assert_eq(l.u32[ACCESS_LINE_MAX_DOWN - 0x81], 24000);
	cr_assert(!access_line_has(&l, ACCESS_LINE_ATT_UP));
	cr_assert(access_line_has(&l, ACCESS_LINE_LOOP_ENCAP));
	cr_assert_eq(l.loop_encap[0], 1);
	cr_assert_eq(l.loop_encap[1], 2);
	cr_assert_eq(l.loop_encap[2], 0);
	cr_assert_eq(l.dsl_type, 5);
	cr_assert_eq(l.n_unknown, 0);
	cr_assert_eq(access_line_tx_bps(&l), 16384000u);
	cr_assert_eq(access_line_rx_bps(&l), 1024000u);
}

Test(access_line_tr101, vector_encodes_back_to_the_same_bytes)
{
	struct access_line l;
	uint8_t want[256], got[256];
	enum access_line_err err;
	size_t n = unhex(tr101_hex, want, sizeof(want));
	decode_vector(&l);
	int len = access_line_tr101_encode(&l, got, sizeof(got), &err);
	cr_assert_eq(len, (int)n);
	cr_assert_arr_eq(got, want, n);
	/* Every smaller buffer is refused. */
	for (size_t cap = 0; cap < n; cap++)
		cr_assert_eq(access_line_tr101_encode(&l, got, cap, &err), -1, "cap=%zu", cap);
}

/* A prefix that cuts a sub-option is refused; one that ends on a sub-option
 * boundary is a shorter, valid tag (TR-101 has no count field). */
Test(access_line_tr101, every_prefix_cutting_a_sub_option_is_refused)
{
	uint8_t v[256];
	size_t n = unhex(tr101_hex, v, sizeof(v));
	bool boundary[257] = { false };
	for (size_t off = 4; off <= n; off += 2u + v[off + 1]) {
		boundary[off] = true;
		if (off == n)
			break;
	}
	for (size_t len = 0; len < n; len++) {
		struct access_line l;
		enum access_line_err err;
		int rc = access_line_tr101_decode(v, len, &l, &err);
		if (boundary[len])
			cr_assert_eq(rc, 0, "len=%zu", len);
		else
			cr_assert_eq(rc, -1, "len=%zu should be refused", len);
	}
}

Test(access_line_tr101, malformed_values_are_refused_with_their_reason)
{
	struct access_line l;
	enum access_line_err err;
	static const uint8_t other_vendor[] = { 0, 0, 0, 9, 1, 1, 'x' };
	static const uint8_t rate_3[] = { 0, 0, 0x0d, 0xe9, 0x81, 3, 1, 2, 3 };
	static const uint8_t empty_id[] = { 0, 0, 0x0d, 0xe9, 0x01, 0 };
	static const uint8_t dup[] = { 0, 0, 0x0d, 0xe9, 0x02, 1, 'a', 0x02, 1, 'b' };
	static const uint8_t encap_4[] = { 0, 0, 0x0d, 0xe9, 0x90, 4, 1, 2, 0, 0 };
	uint8_t long_id[4 + 2 + 64] = { 0, 0, 0x0d, 0xe9, 0x01, 64 };

	cr_assert_eq(access_line_tr101_decode(other_vendor, 3, &l, &err), -1);
	cr_assert_eq(err, ACCESS_LINE_ERR_SHORT_VENDOR);
	cr_assert_eq(access_line_tr101_decode(other_vendor, sizeof(other_vendor), &l, &err), -1);
	cr_assert_eq(err, ACCESS_LINE_ERR_VENDOR);
	cr_assert_eq(access_line_tr101_decode(rate_3, sizeof(rate_3), &l, &err), -1);
	cr_assert_eq(err, ACCESS_LINE_ERR_VALUE_LENGTH);
	cr_assert_eq(access_line_tr101_decode(empty_id, sizeof(empty_id), &l, &err), -1);
	cr_assert_eq(err, ACCESS_LINE_ERR_ID_LENGTH);
	memset(long_id + 6, 'a', 64);
	cr_assert_eq(access_line_tr101_decode(long_id, sizeof(long_id), &l, &err), -1);
	cr_assert_eq(err, ACCESS_LINE_ERR_ID_LENGTH);
	cr_assert_eq(access_line_tr101_decode(dup, sizeof(dup), &l, &err), -1);
	cr_assert_eq(err, ACCESS_LINE_ERR_DUPLICATE);
	cr_assert_eq(access_line_tr101_decode(encap_4, sizeof(encap_4), &l, &err), -1);
	cr_assert_eq(err, ACCESS_LINE_ERR_VALUE_LENGTH);
}

Test(access_line_tr101, unknown_sub_options_are_skipped_and_counted)
{
	static const uint8_t v[] = { 0, 0, 0x0d, 0xe9, 0x8f, 2, 9, 9, 0x42, 0, 0x01, 2, 'i', 'd', 0xa0, 1, 7 };
	struct access_line l;
	enum access_line_err err;
	cr_assert_eq(access_line_tr101_decode(v, sizeof(v), &l, &err), 0);
	cr_assert_eq(l.n_unknown, 3);
	cr_assert_str_eq(l.circuit_id, "id");
	cr_assert_eq(l.have, access_line_bit(ACCESS_LINE_CIRCUIT_ID));
}

Test(access_line_radius, vector_matches_rfc4679_attributes)
{
	struct access_line l;
	uint8_t want[256], got[256];
	size_t n = unhex(radius_hex, want, sizeof(want));
	decode_vector(&l);
	int len = access_line_radius_encode(&l, got, sizeof(got));
	cr_assert_eq(len, (int)n);
	cr_assert_arr_eq(got, want, n);
	for (size_t cap = 0; cap < n; cap++)
		cr_assert_eq(access_line_radius_encode(&l, got, cap), -1, "cap=%zu", cap);
}

Test(access_line_radius, rates_saturate_at_32_bits)
{
	struct access_line l;
	uint8_t got[32];
	memset(&l, 0, sizeof(l));
	l.have = access_line_bit(ACCESS_LINE_ACT_DOWN);
	l.u32[ACCESS_LINE_ACT_DOWN - 0x81] = 10000000;        /* 10 Gbit/s */
	cr_assert_eq(access_line_radius_encode(&l, got, sizeof(got)), 12);
	cr_assert_eq(got[8], 0xff);
	cr_assert_eq(got[11], 0xff);
	cr_assert_eq(access_line_tx_bps(&l), 0xffffffffu);
}

Test(access_line_l2tp, vector_matches_rfc5515_avps)
{
	struct access_line l;
	uint8_t want[256], got[256];
	size_t n = unhex(l2tp_hex, want, sizeof(want));
	decode_vector(&l);
	int len = access_line_l2tp_encode(&l, got, sizeof(got));
	cr_assert_eq(len, (int)n);
	cr_assert_arr_eq(got, want, n);
	for (size_t cap = 0; cap < n; cap++)
		cr_assert_eq(access_line_l2tp_encode(&l, got, cap), -1, "cap=%zu", cap);
}

Test(access_line_l2tp, rates_are_64_bit)
{
	struct access_line l;
	uint8_t got[32];
	memset(&l, 0, sizeof(l));
	l.have = access_line_bit(ACCESS_LINE_MAX_DOWN);
	l.u32[ACCESS_LINE_MAX_DOWN - 0x81] = 10000000;        /* 10^10 bit/s */
	cr_assert_eq(access_line_l2tp_encode(&l, got, sizeof(got)), 14);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | got[6 + i];
	cr_assert_eq(v, 10000000000ull);
}

/* The tag inside a whole PADI: the PPPoE codec hands the 3561 value over
 * even when another vendor's tag comes first, and every truncated frame is
 * refused by the PPPoE LENGTH check. */
Test(access_line_pppoe, padi_with_tr101_tag_after_another_vendor)
{
	uint8_t tag[256], frame[400];
	size_t tn = unhex(tr101_hex, tag, sizeof(tag));
	size_t n = 0;
	static const uint8_t head[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11, 0x22, 0x33,
					0x44, 0x55, 0x88, 0x63, 0x11, 0x09, 0x00, 0x00, 0, 0 };
	memcpy(frame, head, sizeof(head));
	n = sizeof(head);
	static const uint8_t sn[] = { 0x01, 0x01, 0x00, 0x00 };
	static const uint8_t cisco[] = { 0x01, 0x05, 0x00, 0x05, 0x00, 0x00, 0x00, 0x09, 0x42 };
	memcpy(frame + n, sn, sizeof(sn));
	n += sizeof(sn);
	memcpy(frame + n, cisco, sizeof(cisco));
	n += sizeof(cisco);
	frame[n++] = 0x01;
	frame[n++] = 0x05;
	frame[n++] = (uint8_t)(tn >> 8);
	frame[n++] = (uint8_t)tn;
	memcpy(frame + n, tag, tn);
	n += tn;
	frame[18] = (uint8_t)((n - 20) >> 8);
	frame[19] = (uint8_t)(n - 20);

	struct pppoe_disc d;
	enum pppoe_err perr;
	cr_assert_eq(pppoe_disc_decode(frame, n, &d, &perr), 0, "err=%s", pppoe_err_str(perr));
	cr_assert(d.vendor_specific.present);
	cr_assert_eq(d.vendor_specific.len, 5);
	cr_assert(d.bbf_vendor.present);
	cr_assert_eq(d.bbf_vendor.len, tn);
	struct access_line l;
	enum access_line_err err;
	cr_assert_eq(access_line_tr101_decode(d.bbf_vendor.data, d.bbf_vendor.len, &l, &err), 0);
	cr_assert_str_eq(l.circuit_id, "dslam-7 eth 1/2/3:100");
	for (size_t len = 0; len < n; len++)
		cr_assert_eq(pppoe_disc_decode(frame, len, &d, &perr), -1, "len=%zu", len);
}

Test(access_id, formats_fields_with_a_delimiter_and_skips_empty_ones)
{
	struct access_line l;
	struct access_id_format fmt;
	const char *why = NULL;
	char out[128];
	static const uint8_t mac[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
	decode_vector(&l);
	struct access_id_src src = { .mac = mac, .line = &l, .ifname = "eth1", .svlan = 100,
				     .cvlan = 7, .session_id = 0x2a };

	cr_assert_eq(access_id_format_parse("circuit-id,remote-id,mac", '#', &fmt, &why), 0);
	access_id_format(&fmt, &src, out, sizeof(out));
	cr_assert_str_eq(out, "dslam-7 eth 1/2/3:100#cpe-0042#00:11:22:33:44:55");
	cr_assert_eq(access_id_format_parse("interface,vlan,session", ':', &fmt, &why), 0);
	access_id_format(&fmt, &src, out, sizeof(out));
	cr_assert_str_eq(out, "eth1:100.7:42");
	src.svlan = 0;
	src.line = NULL;
	cr_assert_eq(access_id_format_parse("circuit-id,interface,vlan", '/', &fmt, &why), 0);
	access_id_format(&fmt, &src, out, sizeof(out));
	cr_assert_str_eq(out, "eth1/7");
	/* Cut to the buffer, always terminated. */
	access_id_format(&fmt, &src, out, 4);
	cr_assert_str_eq(out, "eth");
	cr_assert_eq(access_id_format_parse("mac,bogus", '#', &fmt, &why), -1);
	cr_assert_not_null(why);
	cr_assert_eq(access_id_format_parse("mac", ' ', &fmt, &why), -1);
	cr_assert_eq(access_id_format_parse("", '#', &fmt, &why), -1);
}

Test(access_id, non_printable_id_octets_are_replaced)
{
	struct access_line l;
	struct access_id_format fmt;
	const char *why;
	char out[64];
	static const uint8_t v[] = { 0, 0, 0x0d, 0xe9, 0x01, 4, 'a', '\n', 0, 'b' };
	enum access_line_err err;
	cr_assert_eq(access_line_tr101_decode(v, sizeof(v), &l, &err), 0);
	cr_assert_eq(access_id_format_parse("circuit-id", '#', &fmt, &why), 0);
	struct access_id_src src = { .line = &l };
	cr_assert_eq(access_id_format(&fmt, &src, out, sizeof(out)), 4);
	cr_assert_str_eq(out, "a??b");
}
