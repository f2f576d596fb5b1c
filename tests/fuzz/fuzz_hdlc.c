/* libFuzzer harness: RFC 1662 HDLC-like framing decoder
 * (lac-core/src/ppp/hdlc.c), fed in fuzzer-chosen chunk sizes, and
 * ppp_frame_parse() (lac-core/src/ppp/ppp.c) on every frame it yields.
 *
 * Input: octet 0 picks the decoder's frame limit (0: the default), octets 1..8
 * are chunk sizes used in turn (0 counts as 1), the rest is the byte stream.
 *
 * Properties: frames fit the limit and the decoder's buffer; each chunk is
 * consumed (no stall); a frame re-encoded with hdlc_encode() under any ACCM
 * decodes back to itself; ppp_frame_parse() points inside the frame; the
 * counters add up (one frame per good closing flag at most). */
#include "fuzz_common.h"

#include "ppp/hdlc.h"
#include "ppp/ppp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parse(const uint8_t *f, size_t len)
{
	uint16_t proto;
	const uint8_t *info;
	size_t info_len;

	if (ppp_frame_parse(f, len, &proto, &info, &info_len) == 0) {
		FUZZ_CHECK(info >= f && info + info_len <= f + len, "info outside the frame");
		FUZZ_CHECK((proto & 1) == 1 && ((proto >> 8) & 1) == 0, "protocol %#x accepted", proto);
	}
}

static void check_reencode(const uint8_t *f, size_t len, uint32_t accm)
{
	static uint8_t enc[2 * HDLC_MAX_FRAME + 8];
	static struct hdlc_decoder d2;
	const uint8_t *g;
	size_t glen, used;
	ssize_t n;

	n = hdlc_encode(enc, sizeof(enc), f, len, accm);
	FUZZ_CHECK(n > 0 && (size_t)n <= hdlc_encode_bound(len), "encode of %zu gave %zd", len, n);
	hdlc_decoder_init(&d2, 0);
	used = hdlc_decoder_feed(&d2, enc, (size_t)n, &g, &glen);
	FUZZ_CHECK(g != NULL, "re-encoded frame of %zu not decoded", len);
	FUZZ_CHECK(glen == len && memcmp(g, f, len) == 0, "round trip changed the frame");
	FUZZ_CHECK(used <= (size_t)n, "consumed %zu of %zd", used, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hdlc_decoder d;
	static const size_t limits[8] = { 0, 3, 4, 16, 64, 1500, 1506, HDLC_MAX_FRAME + 100 };
	struct fz f = { data, size };
	uint8_t chunk[8];
	size_t limit, got, k = 0, max;
	uint64_t frames = 0;

	if (size < 9)
		return 0;
	limit = limits[fz_u8(&f) & 7];
	for (int i = 0; i < 8; i++)
		chunk[i] = fz_u8(&f);
	hdlc_decoder_init(&d, limit);
	max = (limit == 0 || limit > HDLC_MAX_FRAME) ? HDLC_MAX_FRAME : limit;
	check_parse(f.p, f.n);

	while (f.n > 0) {
		size_t want = chunk[k++ & 7];
		const uint8_t *in = fz_bytes(&f, want ? want : 1, &got);

		/* Copied to a buffer of exactly the chunk's size, so ASan sees overreads. */
		uint8_t *c = malloc(got);
		if (!c)
			return 0;
		memcpy(c, in, got);
		const uint8_t *p = c;
		size_t left = got;

		while (left > 0) {
			const uint8_t *frame;
			size_t flen, n = hdlc_decoder_feed(&d, p, left, &frame, &flen);

			FUZZ_CHECK(n <= left, "consumed %zu of %zu", n, left);
			FUZZ_CHECK(n > 0 || frame != NULL, "no progress on %zu octets", left);
			p += n;
			left -= n;
			if (frame) {
				frames++;
				FUZZ_CHECK(flen + 2 <= max, "frame of %zu with limit %zu", flen, max);
				FUZZ_CHECK(frame >= d.buf && frame + flen <= d.buf + sizeof(d.buf),
					   "frame outside the decoder");
				check_parse(frame, flen);
				check_reencode(frame, flen, (uint32_t)frames * 0x9e3779b9u);
			}
		}
		free(c);
	}
	FUZZ_CHECK(d.frames == frames, "counted %llu, handed out %llu",
		   (unsigned long long)d.frames, (unsigned long long)frames);
	return 0;
}
