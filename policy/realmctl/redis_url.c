/*
 * redis_url: see redis_url.h. The forms follow the de-facto "redis" URI scheme
 * (IANA provisional registration) that redis-cli and most client libraries
 * accept, restricted to what realmctl needs.
 */
#include <stdio.h>
#include <string.h>

#include "redis_url.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode src[0..len) into dst (cap includes the NUL). Returns 0 or -1
 * on a bad escape, an encoded NUL or overflow. */
static int pct_decode(const char *src, size_t len, char *dst, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		char c = src[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= len)
				return -1;
			hi = hexval(src[i + 1]);
			lo = hexval(src[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (o + 1 >= cap)
			return -1;
		dst[o++] = c;
	}
	dst[o] = '\0';
	return 0;
}

/* Decimal in [min, max] from s[0..len). */
static int parse_num(const char *s, size_t len, long min, long max, int *out)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* "[user]:password@" at the start of *p (up to `end`): consumes it if present. */
static int parse_userinfo(const char **p, const char *end, struct redis_url *out,
			  char *err, size_t errlen)
{
	const char *at = memchr(*p, '@', (size_t)(end - *p));
	const char *colon;

	if (!at)
		return 0;
	colon = memchr(*p, ':', (size_t)(at - *p));
	if (!colon) {
		snprintf(err, errlen, "redis url: credentials must be \":password@\" or \"user:password@\"");
		return -1;
	}
	if (pct_decode(*p, (size_t)(colon - *p), out->user, sizeof(out->user)) < 0 ||
	    pct_decode(colon + 1, (size_t)(at - colon - 1), out->password,
		       sizeof(out->password)) < 0) {
		snprintf(err, errlen, "redis url: bad percent-encoding or over-long user/password");
		return -1;
	}
	out->has_password = 1;
	*p = at + 1;
	return 0;
}

int redis_url_parse(const char *url, struct redis_url *out, char *err, size_t errlen)
{
	const char *p, *end;
	char dummy[1];

	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	memset(out, 0, sizeof(*out));
	out->port = 6379;
	end = url + strlen(url);

	if (strncmp(url, "unix://", 7) == 0) {
		const char *q;
		size_t plen;

		out->kind = REDIS_URL_UNIX;
		p = url + 7;
		/* userinfo may only come before the path's leading '/' */
		if (*p != '/') {
			const char *slash = strchr(p, '/');
			if (parse_userinfo(&p, slash ? slash : end, out, err, errlen) < 0)
				return -1;
		}
		if (*p != '/') {
			snprintf(err, errlen, "redis url: unix:// needs an absolute path (unix:///path)");
			return -1;
		}
		q = strchr(p, '?');
		plen = q ? (size_t)(q - p) : (size_t)(end - p);
		if (plen < 2 || plen > REDIS_URL_PATH_MAX) {
			snprintf(err, errlen, "redis url: socket path must be 2..%d bytes",
				 REDIS_URL_PATH_MAX);
			return -1;
		}
		memcpy(out->path, p, plen);
		out->path[plen] = '\0';
		if (q) {
			if (strncmp(q, "?db=", 4) != 0 ||
			    parse_num(q + 4, strlen(q + 4), 0, 2147483647L, &out->db) < 0) {
				snprintf(err, errlen, "redis url: only \"?db=N\" may follow the socket path");
				return -1;
			}
		}
		return 0;
	}

	if (strncmp(url, "redis://", 8) != 0) {
		snprintf(err, errlen, "redis url: want redis://[:password@]host[:port][/db] or unix:///path");
		return -1;
	}
	out->kind = REDIS_URL_TCP;
	p = url + 8;
	{
		const char *slash = strchr(p, '/');
		const char *hend = slash ? slash : end;
		const char *hp, *portp = NULL;
		size_t hlen;

		if (parse_userinfo(&p, hend, out, err, errlen) < 0)
			return -1;
		if (*p == '[') {
			const char *close = memchr(p, ']', (size_t)(hend - p));
			if (!close) {
				snprintf(err, errlen, "redis url: '[' without ']' in host");
				return -1;
			}
			hp = p + 1;
			hlen = (size_t)(close - hp);
			if (close + 1 < hend) {
				if (close[1] != ':') {
					snprintf(err, errlen, "redis url: junk after ']' in host");
					return -1;
				}
				portp = close + 2;
			}
		} else {
			const char *colon = memchr(p, ':', (size_t)(hend - p));
			hp = p;
			hlen = colon ? (size_t)(colon - p) : (size_t)(hend - p);
			if (colon)
				portp = colon + 1;
		}
		if (hlen == 0 || hlen > REDIS_URL_HOST_MAX) {
			snprintf(err, errlen, "redis url: missing or over-long host");
			return -1;
		}
		memcpy(out->host, hp, hlen);
		out->host[hlen] = '\0';
		if (strpbrk(out->host, "@:/?#") && hp[-1] != '[') {
			snprintf(err, errlen, "redis url: bad character in host");
			return -1;
		}
		if (portp && parse_num(portp, (size_t)(hend - portp), 1, 65535, &out->port) < 0) {
			snprintf(err, errlen, "redis url: port must be 1..65535");
			return -1;
		}
		if (slash && slash[1] != '\0' &&
		    parse_num(slash + 1, strlen(slash + 1), 0, 2147483647L, &out->db) < 0) {
			snprintf(err, errlen, "redis url: database must be a number after '/'");
			return -1;
		}
	}
	return 0;
}

void redis_url_describe(const struct redis_url *url, char *buf, size_t buflen)
{
	if (url->kind == REDIS_URL_UNIX)
		snprintf(buf, buflen, "unix://%s%s", url->path, url->db ? "?db=" : "");
	else if (strchr(url->host, ':'))
		snprintf(buf, buflen, "redis://[%s]:%d/%d", url->host, url->port, url->db);
	else
		snprintf(buf, buflen, "redis://%s:%d/%d", url->host, url->port, url->db);
	if (url->kind == REDIS_URL_UNIX && url->db) {
		size_t l = strlen(buf);
		snprintf(buf + l, buflen > l ? buflen - l : 0, "%d", url->db);
	}
}
