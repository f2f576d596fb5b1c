#include "util/random.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

int random_init(void)
{
	uint8_t probe[16];
	return random_bytes(probe, sizeof(probe));
}

static int random_fill(uint8_t *p, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = getrandom(p + got, len - got, GRND_NONBLOCK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

/* A call setup asks for a handful of small values (a CHAP challenge, a RADIUS
 * authenticator, tunnel and session ids, a magic number): one getrandom()
 * per RANDOM_POOL bytes instead of one per value. The pool holds kernel
 * CSPRNG output only; a served byte is wiped from it at once. */
#define RANDOM_POOL 512
#define RANDOM_POOLED_MAX 64    /* larger requests go to the kernel directly */
static uint8_t pool[RANDOM_POOL];
static size_t pool_left;        /* unserved bytes at the end of pool */

int random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;
	if (len > RANDOM_POOLED_MAX)
		return random_fill(p, len);
	if (pool_left < len) {
		if (random_fill(pool, sizeof(pool)) < 0)
			return -1;
		pool_left = sizeof(pool);
	}
	uint8_t *src = pool + sizeof(pool) - pool_left;
	memcpy(p, src, len);
	memset(src, 0, len);
	pool_left -= len;
	return 0;
}

int random_range(uint32_t lo, uint32_t hi, uint32_t *out)
{
	if (lo > hi) {
		errno = EINVAL;
		return -1;
	}
	uint64_t span = (uint64_t)hi - lo + 1;
	/* Rejection sampling: values at or above the largest multiple of span
	 * would make the low results more likely than the high ones. */
	uint64_t limit = (UINT64_C(1) << 32) - ((UINT64_C(1) << 32) % span);
	for (;;) {
		uint32_t r;
		if (random_bytes(&r, sizeof(r)) < 0)
			return -1;
		if (r < limit) {
			*out = (uint32_t)(lo + r % span);
			return 0;
		}
	}
}

int bytes_equal_ct(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t diff = 0;
	for (size_t i = 0; i < len; i++)
		diff |= (uint8_t)(x[i] ^ y[i]);
	return diff == 0;
}
