/* A growable byte buffer for text built piece by piece (control-socket replies).
 * On allocation failure it latches `failed` and drops further appends, so
 * callers check once at the end instead of after every append. */
#ifndef UTIL_STRBUF_H
#define UTIL_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *data;
	size_t len, cap;
	bool failed;
};

void strbuf_init(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
void strbuf_append(struct strbuf *sb, const char *data, size_t len);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes (after they were written out). */
void strbuf_consume(struct strbuf *sb, size_t n);

#endif
