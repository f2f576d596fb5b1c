/* The record format of the accounting spool (aaa/acct_spool.h): pure, no
 * I/O, no allocation; tested on byte vectors (tests/unit/test_acct_spool.c).
 *
 * A spool file is a sequence of records, each (big-endian):
 *
 *    0  magic    u32  0x524C5331 ("RLS1")
 *    4  type     u8   ACCT_SPOOL_REQ / _SNAP / _DONE
 *    5  flags    u8   0 (others refused: a later format)
 *    6  len      u16  octets of body (0..4096)
 *    8  seq      u64  the request's sequence number (for DONE: the one answered)
 *   16  wall_ms  u64  when the request was queued (Unix time, ms)
 *   24  body     len  the Accounting-Request's attributes without
 *                     Message-Authenticator and Acct-Delay-Time
 *                     (radius_acct_attrs_encode())
 * 24+len crc32   u32  CRC-32 (IEEE 802.3, as zlib) of octets 0..24+len
 *
 * REQ is a request still to be answered; SNAP the last known state (Start or
 * Interim-Update) of a live session whose request was answered, written by
 * compaction; DONE says the REQ with that seq was answered (or superseded).
 * A reader that meets a bad record (magic, flags, length, checksum) counts it
 * and looks for the next magic; a record cut short by the end of the data is
 * a torn write of the last append and is counted as truncated. */
#ifndef AAA_ACCT_SPOOL_CODEC_H
#define AAA_ACCT_SPOOL_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ACCT_SPOOL_MAGIC 0x524C5331u
#define ACCT_SPOOL_HDR_LEN 24
#define ACCT_SPOOL_TRAILER_LEN 4
#define ACCT_SPOOL_MAX_BODY 4096
#define ACCT_SPOOL_MAX_REC (ACCT_SPOOL_HDR_LEN + ACCT_SPOOL_MAX_BODY + ACCT_SPOOL_TRAILER_LEN)

enum acct_spool_type {
	ACCT_SPOOL_REQ = 1,
	ACCT_SPOOL_SNAP = 2,
	ACCT_SPOOL_DONE = 3,
};

struct acct_spool_rec {
	uint8_t type;
	uint64_t seq;
	uint64_t wall_ms;
	const uint8_t *body;            /* decode: points into the caller's buffer */
	size_t body_len;
};

/* CRC-32 (reflected 0xEDB88320, init and final xor 0xFFFFFFFF). */
uint32_t acct_spool_crc32(const uint8_t *p, size_t len);

/* Encodes r into buf. Returns the record length or -1 (unknown type, body
 * too long, DONE with a body, or cap too small). */
ssize_t acct_spool_rec_encode(uint8_t *buf, size_t cap, const struct acct_spool_rec *r);

enum acct_spool_decode_result {
	ACCT_SPOOL_OK = 1,
	ACCT_SPOOL_TRUNCATED = 0,       /* fewer octets than the record needs */
	ACCT_SPOOL_CORRUPT = -1,        /* not a valid record at this offset */
};

/* Decodes the record at buf. On ACCT_SPOOL_OK *used is its length and r
 * points into buf. On CORRUPT *why names the defect. */
int acct_spool_rec_decode(const uint8_t *buf, size_t len, struct acct_spool_rec *r, size_t *used,
			  const char **why);

struct acct_spool_scan_stats {
	uint64_t records;               /* valid records */
	uint64_t corrupt;               /* bad records skipped (each resync counts one) */
	uint64_t truncated;             /* a cut-short record at the end */
	uint64_t skipped_octets;        /* octets not part of any valid record */
};

/* Walks buf, calling fn for every valid record in order (fn returns 0 to go
 * on, -1 to stop). After a corrupt record it resumes at the next offset
 * holding the magic. Returns the number of octets of valid data up to the
 * last valid record's end (where an append may continue). */
size_t acct_spool_scan(const uint8_t *buf, size_t len, int (*fn)(void *arg, const struct acct_spool_rec *r),
		       void *arg, struct acct_spool_scan_stats *st);

#endif
