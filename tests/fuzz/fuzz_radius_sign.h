/* Signing a RADIUS packet the way a peer would, for the harnesses that need
 * their mutated packets to get past the authenticator checks: the codec's
 * own walkers are under test, so the Message-Authenticator is found by hand. */
#ifndef FUZZ_RADIUS_SIGN_H
#define FUZZ_RADIUS_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aaa/radius_codec.h"
#include "util/md5.h"

/* Offset of the value of the first 16-octet Message-Authenticator within the
 * first plen octets, or 0. */
static inline size_t fuzz_radius_find_ma(const uint8_t *pkt, size_t plen)
{
	size_t off = RADIUS_HDR_LEN;

	while (off + 2 <= plen) {
		size_t alen = pkt[off + 1];

		if (alen < 2 || off + alen > plen)
			return 0;
		if (pkt[off] == RADIUS_ATTR_MESSAGE_AUTHENTICATOR && alen == 2 + RADIUS_AUTH_LEN)
			return off + 2;
		off += alen;
	}
	return 0;
}

/* Signs pkt[0..plen) (plen >= RADIUS_HDR_LEN) in place: as a response to
 * req_auth, or with req_auth NULL as an Accounting, Disconnect or CoA
 * request (a zero authenticator in both computations, RFC 2866 3, RFC 5176
 * 2.3, RFC 3579 3.2). */
static inline void fuzz_radius_sign(uint8_t *pkt, size_t plen, const uint8_t *req_auth,
				    const uint8_t *secret, size_t secret_len)
{
	static const uint8_t zero[RADIUS_AUTH_LEN];
	uint8_t digest[MD5_DIGEST_LEN];
	struct md5_ctx ctx;
	size_t ma = fuzz_radius_find_ma(pkt, plen);

	memcpy(pkt + 4, req_auth ? req_auth : zero, RADIUS_AUTH_LEN);
	if (ma) {
		memset(pkt + ma, 0, RADIUS_AUTH_LEN);
		hmac_md5(secret, secret_len, pkt, plen, digest);
		memcpy(pkt + ma, digest, RADIUS_AUTH_LEN);
	}
	md5_init(&ctx);
	md5_update(&ctx, pkt, plen);
	md5_update(&ctx, secret, secret_len);
	md5_final(&ctx, digest);
	memcpy(pkt + 4, digest, RADIUS_AUTH_LEN);
}

#endif
