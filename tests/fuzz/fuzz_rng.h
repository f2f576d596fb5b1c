/* Deterministic randomness for the stateful harnesses (IDs, magic numbers,
 * challenges, cookie keys): replaces libc's getrandom() with a xorshift
 * generator the harness reseeds at the start of every input, so a crash
 * found once reproduces from its input file. Include in one file of a
 * harness only (it defines getrandom). */
#ifndef FUZZ_RNG_H
#define FUZZ_RNG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/types.h>

static uint64_t rng_state;

ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	uint8_t *p = buf;

	(void)flags;
	for (size_t i = 0; i < len; i++) {
		rng_state ^= rng_state << 13;
		rng_state ^= rng_state >> 7;
		rng_state ^= rng_state << 17;
		p[i] = (uint8_t)(rng_state >> 24);
	}
	return (ssize_t)len;
}

#endif
