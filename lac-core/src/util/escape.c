#include "util/escape.h"

#include <string.h>

char *escape_bytes(char *out, size_t out_size, const void *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = in;
	size_t o = 0;
	if (out_size == 0)
		return out;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		int plain = c > 0x20 && c < 0x7f && c != '\\' && c != '"' && c != '=';
		size_t need = plain ? 1 : 4;
		/* Keep room for "..." when more input follows. */
		size_t reserve = (i + 1 < len) ? 3 : 0;
		if (o + need + reserve >= out_size) {
			size_t dots = out_size - 1 - o < 3 ? out_size - 1 - o : 3;
			memset(out + o, '.', dots);
			o += dots;
			break;
		}
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

char *escape_str(char *out, size_t out_size, const char *in)
{
	return escape_bytes(out, out_size, in, in ? strlen(in) : 0);
}
