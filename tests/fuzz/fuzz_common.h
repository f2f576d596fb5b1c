/* Shared helpers for the libFuzzer harnesses in tests/fuzz: a cursor over the
 * fuzzer's input and a deterministic replacement for getrandom(), so that a
 * crash found once reproduces every time from its input file. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fuzzer's input, consumed from the front. Reads past the end yield 0. */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fz_u8(struct fz *f)
{
	uint8_t v;

	if (f->n == 0)
		return 0;
	v = *f->p++;
	f->n--;
	return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
	uint16_t hi = fz_u8(f);

	return (uint16_t)((hi << 8) | fz_u8(f));
}

/* Takes up to want bytes; *got says how many there were. */
static inline const uint8_t *fz_bytes(struct fz *f, size_t want, size_t *got)
{
	const uint8_t *p = f->p;

	if (want > f->n)
		want = f->n;
	f->p += want;
	f->n -= want;
	*got = want;
	return p;
}

/* A property the code under test promised did not hold: print it and abort,
 * which libFuzzer reports as a crash with the reproducer. */
#define FUZZ_CHECK(cond, ...) do { \
		if (!(cond)) { \
			fprintf(stderr, "fuzz check failed at %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			abort(); \
		} \
	} while (0)

#endif
