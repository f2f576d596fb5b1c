/* RFC 1662 HDLC-like framing codec: FCS, escaping, incremental decoding. */
#include <criterion/criterion.h>
#include <string.h>

#include "ppp/hdlc.h"

/* An LCP Configure-Request as a raw frame (ff 03 c0 21 ...). */
static const uint8_t lcp_frame[] = {
	0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x0e,
	0x02, 0x06, 0x00, 0x00, 0x00, 0x00, 0x05, 0x06, 0x7e, 0x7d, 0x11, 0x22
};

struct frames {
	uint8_t data[8][HDLC_MAX_FRAME];
	size_t len[8];
	size_t n;
};

static void feed_all(struct hdlc_decoder *d, const uint8_t *in, size_t len, struct frames *out)
{
	while (len) {
		const uint8_t *f;
		size_t flen;
		size_t n = hdlc_decoder_feed(d, in, len, &f, &flen);
		cr_assert(n > 0 && n <= len);
		in += n;
		len -= n;
		if (f && out->n < 8) {
			memcpy(out->data[out->n], f, flen);
			out->len[out->n++] = flen;
		}
	}
}

Test(hdlc, fcs16_matches_the_x25_check_value)
{
	/* CRC-16/X-25 of "123456789" is 0x906e: RFC 1662's FCS complemented. */
	uint16_t fcs = hdlc_fcs16(HDLC_FCS_INIT, (const uint8_t *)"123456789", 9);
	cr_assert_eq((uint16_t)~fcs, 0x906e);
}

Test(hdlc, fcs_over_frame_and_its_fcs_gives_the_good_residue)
{
	uint8_t buf[64];
	memcpy(buf, lcp_frame, sizeof(lcp_frame));
	uint16_t fcs = (uint16_t)~hdlc_fcs16(HDLC_FCS_INIT, lcp_frame, sizeof(lcp_frame));
	buf[sizeof(lcp_frame)] = (uint8_t)fcs;
	buf[sizeof(lcp_frame) + 1] = (uint8_t)(fcs >> 8);
	cr_assert_eq(hdlc_fcs16(HDLC_FCS_INIT, buf, sizeof(lcp_frame) + 2), HDLC_FCS_GOOD);
}

Test(hdlc, encode_escapes_flag_escape_and_accm_controls)
{
	const uint8_t in[] = { 0x7e, 0x7d, 0x00, 0x11, 0x20, 0x41 };
	uint8_t out[64];
	ssize_t n = hdlc_encode(out, sizeof(out), in, sizeof(in), 0x00020000);
	cr_assert_gt(n, 0);
	cr_assert_eq(out[0], 0x7e);
	cr_assert_eq(out[n - 1], 0x7e);
	const uint8_t expect[] = { 0x7d, 0x5e, 0x7d, 0x5d, 0x00, 0x7d, 0x31, 0x20, 0x41 };
	cr_assert_arr_eq(out + 1, expect, sizeof(expect));
	/* no flag inside the frame */
	for (ssize_t i = 1; i < n - 1; i++)
		cr_assert_neq(out[i], 0x7e);
}

Test(hdlc, encode_with_default_accm_escapes_every_control_character)
{
	uint8_t out[128];
	ssize_t n = hdlc_encode(out, sizeof(out), lcp_frame, sizeof(lcp_frame), HDLC_ACCM_DEFAULT);
	cr_assert_gt(n, 0);
	for (ssize_t i = 1; i < n - 1; i++) {
		if (out[i] == 0x7d) {
			i++;
			continue;
		}
		cr_assert_geq(out[i], 0x20, "unescaped control octet at %zd", i);
	}
	/* ff 03 -> ff 7d 23 */
	cr_assert_eq(out[1], 0xff);
	cr_assert_eq(out[2], 0x7d);
	cr_assert_eq(out[3], 0x23);
}

Test(hdlc, encode_fails_cleanly_for_every_short_buffer)
{
	uint8_t out[128];
	ssize_t full = hdlc_encode(out, sizeof(out), lcp_frame, sizeof(lcp_frame), HDLC_ACCM_DEFAULT);
	cr_assert_gt(full, 0);
	cr_assert_leq((size_t)full, hdlc_encode_bound(sizeof(lcp_frame)));
	for (size_t cap = 0; cap < (size_t)full; cap++)
		cr_assert_eq(hdlc_encode(out, cap, lcp_frame, sizeof(lcp_frame), HDLC_ACCM_DEFAULT), -1,
			     "cap %zu", cap);
}

Test(hdlc, decode_round_trips_one_frame)
{
	uint8_t wire[128];
	ssize_t n = hdlc_encode(wire, sizeof(wire), lcp_frame, sizeof(lcp_frame), HDLC_ACCM_DEFAULT);
	struct hdlc_decoder d;
	struct frames got = { .n = 0 };
	hdlc_decoder_init(&d, 0);
	feed_all(&d, wire, (size_t)n, &got);
	cr_assert_eq(got.n, 1);
	cr_assert_eq(got.len[0], sizeof(lcp_frame));
	cr_assert_arr_eq(got.data[0], lcp_frame, sizeof(lcp_frame));
	cr_assert_eq(d.frames, 1);
	cr_assert_eq(d.bad_fcs, 0);
}

Test(hdlc, decode_handles_one_octet_reads)
{
	uint8_t wire[128];
	ssize_t n = hdlc_encode(wire, sizeof(wire), lcp_frame, sizeof(lcp_frame), 0);
	struct hdlc_decoder d;
	struct frames got = { .n = 0 };
	hdlc_decoder_init(&d, 0);
	for (ssize_t i = 0; i < n; i++)
		feed_all(&d, wire + i, 1, &got);
	cr_assert_eq(got.n, 1);
	cr_assert_arr_eq(got.data[0], lcp_frame, sizeof(lcp_frame));
}

Test(hdlc, decode_splits_merged_frames_sharing_a_flag)
{
	uint8_t wire[256];
	ssize_t a = hdlc_encode(wire, sizeof(wire), lcp_frame, sizeof(lcp_frame), HDLC_ACCM_DEFAULT);
	const uint8_t second[] = { 0xff, 0x03, 0x00, 0x21, 0x45, 0x00 };
	/* second frame reuses the first one's closing flag as its opening flag */
	ssize_t b = hdlc_encode(wire + a - 1, sizeof(wire) - (size_t)a, second, sizeof(second), 0);
	struct hdlc_decoder d;
	struct frames got = { .n = 0 };
	hdlc_decoder_init(&d, 0);
	feed_all(&d, wire, (size_t)(a - 1 + b), &got);
	cr_assert_eq(got.n, 2);
	cr_assert_arr_eq(got.data[0], lcp_frame, sizeof(lcp_frame));
	cr_assert_eq(got.len[1], sizeof(second));
	cr_assert_arr_eq(got.data[1], second, sizeof(second));
}

Test(hdlc, decode_drops_bad_fcs_and_keeps_the_next_frame)
{
	uint8_t wire[256];
	ssize_t a = hdlc_encode(wire, sizeof(wire), lcp_frame, sizeof(lcp_frame), 0);
	wire[5] ^= 0x01;        /* corrupt an information octet */
	ssize_t b = hdlc_encode(wire + a, sizeof(wire) - (size_t)a, lcp_frame, sizeof(lcp_frame), 0);
	struct hdlc_decoder d;
	struct frames got = { .n = 0 };
	hdlc_decoder_init(&d, 0);
	feed_all(&d, wire, (size_t)(a + b), &got);
	cr_assert_eq(got.n, 1);
	cr_assert_eq(d.bad_fcs, 1);
	cr_assert_arr_eq(got.data[0], lcp_frame, sizeof(lcp_frame));
}

Test(hdlc, decode_counts_garbage_between_flags_and_short_frames)
{
	uint8_t wire[256] = { 0x01, 0x02, 0x7e, 0x7e, 0x7e, 0x33, 0x7e, 'g', 'a', 'r', 'b', 'a', 'g', 'e' };
	size_t pre = 14;
	ssize_t a = hdlc_encode(wire + pre, sizeof(wire) - pre, lcp_frame, sizeof(lcp_frame), 0);
	struct hdlc_decoder d;
	struct frames got = { .n = 0 };
	hdlc_decoder_init(&d, 0);
	feed_all(&d, wire, pre + (size_t)a, &got);
	cr_assert_eq(got.n, 1);
	cr_assert_arr_eq(got.data[0], lcp_frame, sizeof(lcp_frame));
	cr_assert_eq(d.too_short, 2);   /* "01 02" and "33" */
	cr_assert_eq(d.bad_fcs, 1);     /* "garbage" up to the frame's flag */
}

Test(hdlc, decode_drops_over_long_frames)
{
	uint8_t big[100];
	memset(big, 0x41, sizeof(big));
	uint8_t wire[512];
	ssize_t a = hdlc_encode(wire, sizeof(wire), big, sizeof(big), 0);
	ssize_t b = hdlc_encode(wire + a, sizeof(wire) - (size_t)a, lcp_frame, sizeof(lcp_frame), 0);
	struct hdlc_decoder d;
	struct frames got = { .n = 0 };
	hdlc_decoder_init(&d, 64);
	feed_all(&d, wire, (size_t)(a + b), &got);
	cr_assert_eq(got.n, 1);
	cr_assert_eq(d.too_long, 1);
	cr_assert_arr_eq(got.data[0], lcp_frame, sizeof(lcp_frame));
}

Test(hdlc, decode_honours_the_abort_sequence)
{
	uint8_t wire[256];
	ssize_t a = hdlc_encode(wire, sizeof(wire), lcp_frame, sizeof(lcp_frame), 0);
	/* abort: 7d 7e in place of the last FCS octet and flag */
	wire[a - 2] = 0x7d;
	wire[a - 1] = 0x7e;
	ssize_t b = hdlc_encode(wire + a, sizeof(wire) - (size_t)a, lcp_frame, sizeof(lcp_frame), 0);
	struct hdlc_decoder d;
	struct frames got = { .n = 0 };
	hdlc_decoder_init(&d, 0);
	feed_all(&d, wire, (size_t)(a + b), &got);
	cr_assert_eq(d.aborted, 1);
	cr_assert_eq(got.n, 1);
}

Test(hdlc, no_truncated_prefix_yields_a_frame)
{
	uint8_t wire[128];
	ssize_t n = hdlc_encode(wire, sizeof(wire), lcp_frame, sizeof(lcp_frame), HDLC_ACCM_DEFAULT);
	for (ssize_t cut = 0; cut < n - 1; cut++) {
		struct hdlc_decoder d;
		struct frames got = { .n = 0 };
		hdlc_decoder_init(&d, 0);
		feed_all(&d, wire, (size_t)cut, &got);
		cr_assert_eq(got.n, 0, "prefix %zd", cut);
		/* a flag after the truncated frame must not make it valid */
		const uint8_t flag = 0x7e;
		feed_all(&d, &flag, 1, &got);
		cr_assert_eq(got.n, 0, "prefix %zd + flag", cut);
	}
}
