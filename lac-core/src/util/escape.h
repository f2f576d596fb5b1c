/* Escaping of peer-supplied text before it goes into a log line or a lacctl
 * row: PPP peer names and messages, L2TP host names and result texts,
 * RADIUS Reply-Message, PPPoE tags. A peer must not be able to forge a log
 * line, a key=value pair or a table column.
 *
 * Printable ASCII other than backslash, double quote and '=' is copied;
 * everything else (controls, newline, space, bytes >= 0x7f, NUL) becomes \xHH.
 * The result is always NUL-terminated and never longer than out_size - 1;
 * a value cut short ends in "..." so a reader can tell. */
#ifndef UTIL_ESCAPE_H
#define UTIL_ESCAPE_H

#include <stddef.h>

/* Escapes len bytes of in (may hold NULs) into out; returns out. */
char *escape_bytes(char *out, size_t out_size, const void *in, size_t len);
/* Same for a NUL-terminated string. */
char *escape_str(char *out, size_t out_size, const char *in);

/* A buffer large enough for any value the daemon logs in one field. */
#define ESCAPE_FIELD_MAX 256

#endif
