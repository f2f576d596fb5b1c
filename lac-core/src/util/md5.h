/* MD5 (RFC 1321) and HMAC-MD5 (RFC 2104).
 *
 * Why our own: L2TP tunnel authentication and hidden AVPs (RFC 2661 4.3, 5.1.1),
 * CHAP-MD5 (RFC 1994) and RADIUS authenticators (RFC 2865, 3579) all need MD5,
 * and OpenSSL 3 marks the low-level MD5 API deprecated. Pure functions, no
 * allocation. */
#ifndef UTIL_MD5_H
#define UTIL_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MD5_DIGEST_LEN 16

struct md5_ctx {
	uint32_t state[4];
	uint64_t bytes;         /* total bytes fed so far */
	uint8_t block[64];
	size_t block_len;       /* bytes pending in block */
};

void md5_init(struct md5_ctx *ctx);
void md5_update(struct md5_ctx *ctx, const void *data, size_t len);
void md5_final(struct md5_ctx *ctx, uint8_t digest[MD5_DIGEST_LEN]);

/* One-shot MD5 of a single buffer. */
void md5(const void *data, size_t len, uint8_t digest[MD5_DIGEST_LEN]);

/* HMAC-MD5 of data under key (any key length). */
void hmac_md5(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
	      uint8_t digest[MD5_DIGEST_LEN]);

#endif
