/* libFuzzer harness: the TR-101 PPPoE Intermediate Agent tag parser and the
 * RFC 4679 / RFC 5515 encoders, lac-core/src/access/access_line.c.
 *
 * Input: the value of a PPPoE Vendor-Specific tag (vendor id first).
 * Properties: a decoded tag re-encodes and the encoding decodes to the same
 * fields; the RADIUS and L2TP encoders fit in what a request can carry, are
 * refused (never overrun) one octet short, and lay out well-formed
 * attributes/AVPs whose lengths add up; formatted identifiers are printable. */
#include "fuzz_common.h"

#include "access/access_line.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz check failed: %s\n", what);
		abort();
	}
}

/* Walks RFC 2865 attributes / RFC 2661 AVPs and checks they tile buf. */
static bool radius_tiles(const uint8_t *b, size_t n)
{
	size_t off = 0;
	while (off < n) {
		if (n - off < 8 || b[off] != 26 || b[off + 1] < 8 || b[off + 1] > n - off ||
		    b[off + 7] != b[off + 1] - 6)
			return false;
		off += b[off + 1];
	}
	return true;
}

static bool l2tp_tiles(const uint8_t *b, size_t n)
{
	size_t off = 0;
	while (off < n) {
		size_t len = (size_t)((b[off] & 0x03) << 8 | b[off + 1]);
		if (n - off < 6 || (b[off] & 0xfc) || len < 6 || len > n - off)
			return false;
		off += len;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct access_line l, again;
	enum access_line_err err;
	uint8_t buf[1024], small[1024];

	/* Copy, so that reads past the input's end are caught by ASan. */
	uint8_t *in = malloc(size ? size : 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	if (access_line_tr101_decode(in, size, &l, &err) < 0) {
		check(err != ACCESS_LINE_ERR_NONE, "refusal names a reason");
		free(in);
		return 0;
	}
	check(l.circuit_id_len <= ACCESS_LINE_ID_MAX && l.remote_id_len <= ACCESS_LINE_ID_MAX, "id lengths");
	int n = access_line_tr101_encode(&l, buf, sizeof(buf), &err);
	check(n >= 4, "re-encodes");
	check(access_line_tr101_decode(buf, (size_t)n, &again, &err) == 0, "re-encoding decodes");
	again.n_unknown = l.n_unknown;
	check(memcmp(&again, &l, sizeof(l)) == 0, "same fields after a round trip");

	n = access_line_radius_encode(&l, buf, sizeof(buf));
	check(n >= 0 && n <= 400, "RADIUS attributes fit");
	check(radius_tiles(buf, (size_t)n), "RADIUS attributes well formed");
	if (n > 0)
		check(access_line_radius_encode(&l, small, (size_t)n - 1) == -1, "RADIUS one short refused");
	n = access_line_l2tp_encode(&l, buf, sizeof(buf));
	check(n >= 0 && n <= 400, "L2TP AVPs fit");
	check(l2tp_tiles(buf, (size_t)n), "L2TP AVPs well formed");
	if (n > 0)
		check(access_line_l2tp_encode(&l, small, (size_t)n - 1) == -1, "L2TP one short refused");

	struct access_id_format fmt;
	const char *why;
	char id[80];
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	struct access_id_src src = { .mac = mac, .line = &l, .ifname = "eth0", .cvlan = 7 };
	check(access_id_format_parse("circuit-id,remote-id,mac,vlan", '#', &fmt, &why) == 0, "format");
	size_t len = access_id_format(&fmt, &src, id, sizeof(id));
	check(len < sizeof(id) && strlen(id) == len, "id terminated");
	for (size_t i = 0; i < len; i++)
		check(id[i] >= 0x20 && id[i] < 0x7f, "id printable");
	free(in);
	return 0;
}
