/* Accounting spool record codec (see acct_spool_codec.h). */
#include "aaa/acct_spool_codec.h"

#include <string.h>

#include "util/be.h"

static uint64_t be64_get(const uint8_t *p)
{
	return (uint64_t)be32_get(p) << 32 | be32_get(p + 4);
}

static void be64_put(uint8_t *p, uint64_t v)
{
	be32_put(p, (uint32_t)(v >> 32));
	be32_put(p + 4, (uint32_t)v);
}

/* Nibble-wise: a 16-entry table, no global state to initialise. */
uint32_t acct_spool_crc32(const uint8_t *p, size_t len)
{
	static const uint32_t t[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		c = (c >> 4) ^ t[c & 15];
		c = (c >> 4) ^ t[c & 15];
	}
	return c ^ 0xffffffffu;
}

static int type_valid(uint8_t type)
{
	return type == ACCT_SPOOL_REQ || type == ACCT_SPOOL_SNAP || type == ACCT_SPOOL_DONE;
}

ssize_t acct_spool_rec_encode(uint8_t *buf, size_t cap, const struct acct_spool_rec *r)
{
	if (!type_valid(r->type) || r->body_len > ACCT_SPOOL_MAX_BODY ||
	    (r->type == ACCT_SPOOL_DONE && r->body_len) || (r->body_len && !r->body))
		return -1;
	size_t n = ACCT_SPOOL_HDR_LEN + r->body_len + ACCT_SPOOL_TRAILER_LEN;
	if (cap < n)
		return -1;
	be32_put(buf, ACCT_SPOOL_MAGIC);
	buf[4] = r->type;
	buf[5] = 0;
	be16_put(buf + 6, (uint16_t)r->body_len);
	be64_put(buf + 8, r->seq);
	be64_put(buf + 16, r->wall_ms);
	if (r->body_len)
		memcpy(buf + ACCT_SPOOL_HDR_LEN, r->body, r->body_len);
	be32_put(buf + ACCT_SPOOL_HDR_LEN + r->body_len, acct_spool_crc32(buf, ACCT_SPOOL_HDR_LEN + r->body_len));
	return (ssize_t)n;
}

static int corrupt(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return ACCT_SPOOL_CORRUPT;
}

int acct_spool_rec_decode(const uint8_t *buf, size_t len, struct acct_spool_rec *r, size_t *used,
			  const char **why)
{
	/* Check what the octets we have can tell, then ask for more: a torn
	 * tail is told apart from garbage as far as the bytes allow. */
	static const uint8_t magic[4] = { 0x52, 0x4c, 0x53, 0x31 };
	size_t have = len < 4 ? len : 4;
	if (memcmp(buf, magic, have) != 0)
		return corrupt(why, "bad magic");
	if (len < ACCT_SPOOL_HDR_LEN) {
		if (len > 4 && !type_valid(buf[4]))
			return corrupt(why, "unknown record type");
		if (len > 5 && buf[5] != 0)
			return corrupt(why, "unknown flags");
		return ACCT_SPOOL_TRUNCATED;
	}
	uint8_t type = buf[4];
	size_t body_len = be16_get(buf + 6);
	if (!type_valid(type))
		return corrupt(why, "unknown record type");
	if (buf[5] != 0)
		return corrupt(why, "unknown flags");
	if (body_len > ACCT_SPOOL_MAX_BODY || (type == ACCT_SPOOL_DONE && body_len))
		return corrupt(why, "bad body length");
	size_t n = ACCT_SPOOL_HDR_LEN + body_len + ACCT_SPOOL_TRAILER_LEN;
	if (len < n)
		return ACCT_SPOOL_TRUNCATED;
	if (be32_get(buf + ACCT_SPOOL_HDR_LEN + body_len) != acct_spool_crc32(buf, ACCT_SPOOL_HDR_LEN + body_len))
		return corrupt(why, "checksum mismatch");
	r->type = type;
	r->seq = be64_get(buf + 8);
	r->wall_ms = be64_get(buf + 16);
	r->body = body_len ? buf + ACCT_SPOOL_HDR_LEN : NULL;
	r->body_len = body_len;
	*used = n;
	return ACCT_SPOOL_OK;
}

size_t acct_spool_scan(const uint8_t *buf, size_t len, int (*fn)(void *arg, const struct acct_spool_rec *r),
		       void *arg, struct acct_spool_scan_stats *st)
{
	size_t off = 0, valid_end = 0;
	int in_garbage = 0;
	memset(st, 0, sizeof(*st));
	while (off < len) {
		struct acct_spool_rec r;
		size_t used = 0;
		int res = acct_spool_rec_decode(buf + off, len - off, &r, &used, NULL);
		if (res == ACCT_SPOOL_OK) {
			in_garbage = 0;
			st->records++;
			off += used;
			valid_end = off;
			if (fn && fn(arg, &r) < 0)
				break;
			continue;
		}
		if (res == ACCT_SPOOL_TRUNCATED) {
			/* A torn last append, unless a record follows: then this
			 * one's length field was damaged. */
			static const uint8_t magic[4] = { 0x52, 0x4c, 0x53, 0x31 };
			const uint8_t *next = len - off > 4 ? memmem(buf + off + 1, len - off - 1, magic, 4) : NULL;
			if (!next) {
				st->truncated++;
				st->skipped_octets += len - off;
				break;
			}
			if (!in_garbage)
				st->corrupt++;
			in_garbage = 1;
			st->skipped_octets += (size_t)(next - (buf + off));
			off = (size_t)(next - buf);
			continue;
		}
		if (!in_garbage)
			st->corrupt++;
		in_garbage = 1;
		st->skipped_octets++;
		off++;
	}
	return valid_end;
}
