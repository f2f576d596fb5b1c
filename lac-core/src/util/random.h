/* The one source of randomness of lac-core (CHAP challenges, L2TP tunnel and
 * session ids, challenge/response values, RADIUS authenticators, PPPoE cookie
 * keys, LCP magic numbers).
 *
 * Policy: getrandom(2) with GRND_NONBLOCK, so the event loop never blocks; no
 * weak fallback. random_init() is called once at start-up and fails when the
 * kernel pool is not ready (the daemon refuses to start then); after a
 * successful random_init() the pool is initialised for good, so
 * random_bytes() can only fail on an impossible kernel error, which it reports
 * with -1 (callers fail the operation, they never use the buffer). Small
 * values come from a process-wide pool of getrandom() output: not for use
 * from more than one thread (lac-core has one event loop and no threads). */
#ifndef UTIL_RANDOM_H
#define UTIL_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* 0, or -1 with errno set when the kernel cannot give random bytes without blocking. */
int random_init(void);
/* Fills buf with len random bytes: 0, or -1 (errno set, buf unspecified). */
int random_bytes(void *buf, size_t len);
/* A uniformly distributed value in [lo, hi] (lo <= hi), or -1 on failure. */
int random_range(uint32_t lo, uint32_t hi, uint32_t *out);
/* Constant-time comparison of two equal-length byte strings: 1 when equal. */
int bytes_equal_ct(const void *a, const void *b, size_t len);

#endif
