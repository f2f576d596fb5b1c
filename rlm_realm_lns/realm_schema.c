/*
 * realm_schema: validation of realm:<name> and lns:<realm>:<id> hashes
 * (schema version 1, policy/REDIS-SCHEMA.md). Pure: see realm_schema.h.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "realm_schema.h"

static const char *const mode_names[] = {
	[REALM_MODE_TUNNEL] = "tunnel",
	[REALM_MODE_LOCAL]  = "local",
	[REALM_MODE_REJECT] = "reject",
};

static const char *const policy_names[] = {
	[REALM_POLICY_PREFERENCE]  = "preference",
	[REALM_POLICY_WEIGHTED]    = "weighted",
	[REALM_POLICY_ROUND_ROBIN] = "round-robin",
};

const char *realm_mode_str(enum realm_mode mode)
{
	if ((unsigned)mode < sizeof(mode_names) / sizeof(mode_names[0]))
		return mode_names[mode];
	return "invalid";
}

const char *realm_policy_str(enum realm_policy policy)
{
	if ((unsigned)policy < sizeof(policy_names) / sizeof(policy_names[0]))
		return policy_names[policy];
	return "invalid";
}

/*
 * Write `value` into dst as a quoted, printable form: bytes outside 0x20..0x7e,
 * '"' and '\\' become \xNN; more than 64 input bytes are cut with "...". Values
 * come from Redis or a provisioning file, so they may hold anything.
 */
static void escape_value(char *dst, size_t dstlen, const char *value, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;
	size_t shown = len > 64 ? 64 : len;

	if (dstlen == 0)
		return;
	for (i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 >= dstlen)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	if (shown < len && o + 3 < dstlen) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

/* Format "field=F value="V": reason" into err; always returns -1. */
__attribute__((format(printf, 6, 7)))
static int fail_field(char *err, size_t errlen, const char *field,
		      const char *value, size_t len, const char *fmt, ...)
{
	char esc[4 * 64 + 8];
	char reason[128];
	va_list ap;

	if (!err || errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (value) {
		escape_value(esc, sizeof(esc), value, len);
		snprintf(err, errlen, "field=%s value=\"%s\": %s", field, esc, reason);
	} else {
		snprintf(err, errlen, "field=%s: %s", field, reason);
	}
	return -1;
}

int realm_schema_parse_uint(const char *field, const char *value, uint32_t min,
			    uint32_t max, uint32_t *out, char *err, size_t errlen)
{
	uint64_t v = 0;
	const char *p = value;
	size_t len = strlen(value);

	if (*p == '\0')
		return fail_field(err, errlen, field, value, len, "empty, want a number %u..%u", min, max);
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return fail_field(err, errlen, field, value, len,
					  "not a decimal number, want %u..%u", min, max);
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return fail_field(err, errlen, field, value, len, "out of range %u..%u", min, max);
	}
	if (v < min || v > max)
		return fail_field(err, errlen, field, value, len, "out of range %u..%u", min, max);
	*out = (uint32_t)v;
	return 0;
}

int realm_schema_parse_bool(const char *field, const char *value, int *out,
			    char *err, size_t errlen)
{
	if (strcmp(value, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (strcmp(value, "1") == 0) {
		*out = 1;
		return 0;
	}
	return fail_field(err, errlen, field, value, strlen(value), "want 0 or 1");
}

int realm_schema_parse_mode(const char *field, const char *value,
			    enum realm_mode *out, char *err, size_t errlen)
{
	unsigned i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (strcmp(value, mode_names[i]) == 0) {
			*out = (enum realm_mode)i;
			return 0;
		}
	}
	return fail_field(err, errlen, field, value, strlen(value),
			  "want tunnel, local or reject");
}

int realm_schema_parse_policy(const char *field, const char *value,
			      enum realm_policy *out, char *err, size_t errlen)
{
	unsigned i;

	for (i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++) {
		if (strcmp(value, policy_names[i]) == 0) {
			*out = (enum realm_policy)i;
			return 0;
		}
	}
	return fail_field(err, errlen, field, value, strlen(value),
			  "want preference, weighted or round-robin");
}

/*
 * Endpoint forms: "A.B.C.D", "A.B.C.D:PORT", "V6", "[V6]", "[V6]:PORT".
 * A bare IPv6 literal cannot carry a port (the colons are ambiguous), hence
 * the brackets. Port 0 is refused: it would mean "no port" in our struct.
 */
int realm_schema_parse_endpoint(const char *field, const char *value,
				struct realm_endpoint *out, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 8];
	const char *port = NULL;
	size_t len = strlen(value), hlen;
	uint32_t p = 0;
	struct realm_endpoint ep;

	memset(&ep, 0, sizeof(ep));
	if (len == 0)
		return fail_field(err, errlen, field, value, len, "empty, want an IPv4 or IPv6 address");
	if (value[0] == '[') {
		const char *close = strchr(value, ']');
		if (!close)
			return fail_field(err, errlen, field, value, len, "'[' without ']'");
		hlen = (size_t)(close - value - 1);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return fail_field(err, errlen, field, value, len, "junk after ']'");
		if (hlen == 0 || hlen >= sizeof(host))
			return fail_field(err, errlen, field, value, len, "not an IPv6 address");
		memcpy(host, value + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, &ep.addr.v6) != 1)
			return fail_field(err, errlen, field, value, len, "not an IPv6 address");
		ep.family = AF_INET6;
	} else {
		const char *colon = strchr(value, ':');
		if (colon && strchr(colon + 1, ':')) {
			/* two or more colons: a bare IPv6 literal */
			if (len >= sizeof(host) || inet_pton(AF_INET6, value, &ep.addr.v6) != 1)
				return fail_field(err, errlen, field, value, len, "not an IPv6 address");
			ep.family = AF_INET6;
		} else {
			hlen = colon ? (size_t)(colon - value) : len;
			if (colon)
				port = colon + 1;
			if (hlen == 0 || hlen >= sizeof(host))
				return fail_field(err, errlen, field, value, len, "not an IPv4 address");
			memcpy(host, value, hlen);
			host[hlen] = '\0';
			if (inet_pton(AF_INET, host, &ep.addr.v4) != 1)
				return fail_field(err, errlen, field, value, len,
						  "not an IPv4 address (IPv6 with a port needs [addr]:port)");
			ep.family = AF_INET;
		}
	}
	if (port) {
		char perr[8];
		if (realm_schema_parse_uint(field, port, 1, 65535, &p, perr, sizeof(perr)) < 0)
			return fail_field(err, errlen, field, value, len, "port not in 1..65535");
		ep.port = (uint16_t)p;
	}
	if (!inet_ntop(ep.family, &ep.addr, ep.host, sizeof(ep.host)))
		return fail_field(err, errlen, field, value, len, "cannot format address");
	*out = ep;
	return 0;
}

static int is_label_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int realm_schema_check_realm_name(const char *name, char *err, size_t errlen)
{
	const char *field = "realm";
	size_t len = strlen(name), i, label = 0;
	const char *p = name;

	if (len == 0)
		return fail_field(err, errlen, field, name, len, "empty realm name");
	if (len > REALM_NAME_MAX)
		return fail_field(err, errlen, field, name, len, "longer than %d bytes", REALM_NAME_MAX);
	if (p[0] == '*') {
		if (p[1] != '.' || p[2] == '\0')
			return fail_field(err, errlen, field, name, len,
					  "a wildcard must be \"*.\" followed by a domain");
		p += 2;
	}
	for (i = 0; p[i]; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '.') {
			if (label == 0)
				return fail_field(err, errlen, field, name, len, "empty label");
			label = 0;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			return fail_field(err, errlen, field, name, len, "must be lower-case");
		if (!is_label_char(c))
			return fail_field(err, errlen, field, name, len,
					  "byte 0x%02x not allowed (a-z 0-9 - _ .)", c);
		if (++label > 63)
			return fail_field(err, errlen, field, name, len, "label longer than 63 bytes");
	}
	if (label == 0)
		return fail_field(err, errlen, field, name, len, "empty label");
	return 0;
}

int realm_schema_check_lns_id(const char *id, char *err, size_t errlen)
{
	size_t len = strlen(id), i;

	if (len == 0 || len > REALM_LNS_ID_MAX)
		return fail_field(err, errlen, "lns", id, len, "id must be 1..%d bytes", REALM_LNS_ID_MAX);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return fail_field(err, errlen, "lns", id, len,
					  "byte 0x%02x not allowed (A-Z a-z 0-9 _ - .)", c);
	}
	return 0;
}

int realm_schema_check_dnis(const char *dnis, char *err, size_t errlen)
{
	size_t len = strlen(dnis), i;

	if (len == 0 || len > 64)
		return fail_field(err, errlen, "dnis", dnis, len, "must be 1..64 bytes");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)dnis[i];
		if (c <= 0x20 || c >= 0x7f)
			return fail_field(err, errlen, "dnis", dnis, len,
					  "byte 0x%02x not allowed (printable ASCII, no space)", c);
	}
	return 0;
}

void realm_schema_realm_init(struct realm_conf *realm)
{
	memset(realm, 0, sizeof(*realm));
	realm->mode = REALM_MODE_TUNNEL;
	realm->policy = REALM_POLICY_PREFERENCE;
	realm->verify_password = 0;
	realm->max_endpoints = REALM_ENDPOINTS_MAX;
}

void realm_schema_lns_init(struct realm_lns *lns)
{
	memset(lns, 0, sizeof(*lns));
	lns->preference = 0;
	lns->weight = 1;
}

/*
 * Copy a raw value into a NUL-terminated buffer of cap+1 bytes. Refuses
 * embedded NULs (they would silently cut the value) and oversize values.
 * `empty_ok` says whether "" is acceptable.
 */
static int copy_string(const char *field, const char *value, size_t len, char *dst,
		       size_t cap, int empty_ok, char *err, size_t errlen)
{
	/* a secret never appears in a message, not even a malformed one: the
	 * message ends up in the broker's log and in realmctl's output */
	const char *shown = strcmp(field, "secret") == 0 ? NULL : value;

	if (memchr(value, '\0', len))
		return fail_field(err, errlen, field, shown, len, "contains a NUL byte");
	if (len > cap)
		return fail_field(err, errlen, field, shown, len, "longer than %zu bytes", cap);
	if (len == 0 && !empty_ok)
		return fail_field(err, errlen, field, shown, len, "empty");
	memcpy(dst, value, len);
	dst[len] = '\0';
	return 0;
}

int realm_schema_realm_set(struct realm_conf *realm, const char *field,
			   const char *value, size_t len, int *unknown,
			   char *err, size_t errlen)
{
	char buf[REALM_REPLY_MESSAGE_MAX + 1];
	uint32_t u;

	if (unknown)
		*unknown = 0;
	if (strcmp(field, "reply_message") == 0) {
		if (copy_string(field, value, len, realm->reply_message,
				REALM_REPLY_MESSAGE_MAX, 1, err, errlen) < 0)
			return -1;
		realm->seen |= REALM_SEEN_REPLY_MESSAGE;
		return 0;
	}
	if (strcmp(field, "client_auth_id") == 0) {
		if (copy_string(field, value, len, realm->client_auth_id,
				REALM_STRING_MAX, 0, err, errlen) < 0)
			return -1;
		realm->seen |= REALM_SEEN_CLIENT_AUTH_ID;
		return 0;
	}
	if (strcmp(field, "mode") && strcmp(field, "policy") &&
	    strcmp(field, "verify_password") && strcmp(field, "max_endpoints") &&
	    strcmp(field, "access_line_forwarding")) {
		if (unknown)
			*unknown = 1;
		return 0;
	}
	/* the enumerated and numeric fields are short: anything longer is wrong anyway */
	if (copy_string(field, value, len, buf, 32, 0, err, errlen) < 0)
		return -1;
	if (strcmp(field, "mode") == 0) {
		if (realm_schema_parse_mode(field, buf, &realm->mode, err, errlen) < 0)
			return -1;
		realm->seen |= REALM_SEEN_MODE;
	} else if (strcmp(field, "policy") == 0) {
		if (realm_schema_parse_policy(field, buf, &realm->policy, err, errlen) < 0)
			return -1;
		realm->seen |= REALM_SEEN_POLICY;
	} else if (strcmp(field, "verify_password") == 0) {
		if (realm_schema_parse_bool(field, buf, &realm->verify_password, err, errlen) < 0)
			return -1;
		realm->seen |= REALM_SEEN_VERIFY_PASSWORD;
	} else if (strcmp(field, "access_line_forwarding") == 0) {
		if (realm_schema_parse_bool(field, buf, &realm->access_line_forwarding, err, errlen) < 0)
			return -1;
		realm->seen |= REALM_SEEN_ACCESS_LINE_FWD;
	} else {
		if (realm_schema_parse_uint(field, buf, 1, REALM_ENDPOINTS_MAX, &u, err, errlen) < 0)
			return -1;
		realm->max_endpoints = u;
		realm->seen |= REALM_SEEN_MAX_ENDPOINTS;
	}
	return 0;
}

int realm_schema_lns_set(struct realm_lns *lns, const char *field,
			 const char *value, size_t len, int *unknown,
			 char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 16];
	uint32_t u;

	if (unknown)
		*unknown = 0;
	if (strcmp(field, "secret") == 0) {
		if (copy_string(field, value, len, lns->secret, REALM_SECRET_MAX, 0, err, errlen) < 0)
			return -1;
		lns->secret_len = len;
		lns->seen |= REALM_SEEN_SECRET;
		return 0;
	}
	if (strcmp(field, "assignment_id") == 0) {
		if (copy_string(field, value, len, lns->assignment_id, REALM_STRING_MAX, 0,
				err, errlen) < 0)
			return -1;
		lns->seen |= REALM_SEEN_ASSIGNMENT_ID;
		return 0;
	}
	if (strcmp(field, "server_auth_id") == 0) {
		if (copy_string(field, value, len, lns->server_auth_id, REALM_STRING_MAX, 0,
				err, errlen) < 0)
			return -1;
		lns->seen |= REALM_SEEN_SERVER_AUTH_ID;
		return 0;
	}
	if (strcmp(field, "endpoint") && strcmp(field, "preference") && strcmp(field, "weight") &&
	    strcmp(field, "max_sessions") && strcmp(field, "sessions") && strcmp(field, "down") &&
	    strcmp(field, "unhealthy_until")) {
		if (unknown)
			*unknown = 1;
		return 0;
	}
	if (copy_string(field, value, len, buf, sizeof(buf) - 1, 0, err, errlen) < 0)
		return -1;
	if (strcmp(field, "endpoint") == 0) {
		if (realm_schema_parse_endpoint(field, buf, &lns->endpoint, err, errlen) < 0)
			return -1;
		lns->seen |= REALM_SEEN_ENDPOINT;
	} else if (strcmp(field, "preference") == 0) {
		if (realm_schema_parse_uint(field, buf, 0, REALM_PREFERENCE_MAX, &u, err, errlen) < 0)
			return -1;
		lns->preference = u;
		lns->seen |= REALM_SEEN_PREFERENCE;
	} else if (strcmp(field, "weight") == 0) {
		if (realm_schema_parse_uint(field, buf, REALM_WEIGHT_MIN, REALM_WEIGHT_MAX, &u,
					    err, errlen) < 0)
			return -1;
		lns->weight = u;
		lns->seen |= REALM_SEEN_WEIGHT;
	} else if (strcmp(field, "max_sessions") == 0) {
		if (realm_schema_parse_uint(field, buf, 0, UINT32_MAX, &u, err, errlen) < 0)
			return -1;
		lns->max_sessions = u;
		lns->seen |= REALM_SEEN_MAX_SESSIONS;
	} else if (strcmp(field, "sessions") == 0) {
		if (realm_schema_parse_uint(field, buf, 0, UINT32_MAX, &u, err, errlen) < 0)
			return -1;
		lns->sessions = u;
		lns->seen |= REALM_SEEN_SESSIONS;
	} else if (strcmp(field, "unhealthy_until") == 0) {
		if (realm_schema_parse_uint(field, buf, 0, UINT32_MAX, &u, err, errlen) < 0)
			return -1;
		lns->unhealthy_until = u;
		lns->seen |= REALM_SEEN_UNHEALTHY;
	} else {
		if (realm_schema_parse_bool(field, buf, &lns->down, err, errlen) < 0)
			return -1;
		lns->seen |= REALM_SEEN_DOWN;
	}
	return 0;
}

int realm_schema_realm_check(const struct realm_conf *realm, char *err, size_t errlen)
{
	if (!(realm->seen & REALM_SEEN_MODE))
		return fail_field(err, errlen, "mode", NULL, 0, "missing (tunnel, local or reject)");
	return 0;
}

int realm_schema_lns_check(const struct realm_lns *lns, char *err, size_t errlen)
{
	if (!(lns->seen & REALM_SEEN_ENDPOINT))
		return fail_field(err, errlen, "endpoint", NULL, 0, "missing");
	if (!(lns->seen & REALM_SEEN_SECRET))
		return fail_field(err, errlen, "secret", NULL, 0, "missing (Tunnel-Password is required)");
	return 0;
}

int realm_lns_available(const struct realm_lns *lns)
{
	if (lns->down)
		return 0;
	if (lns->max_sessions && lns->sessions >= lns->max_sessions)
		return 0;
	return 1;
}

int realm_endpoint_format(const struct realm_endpoint *ep, char *buf, size_t len)
{
	int n;

	if (!ep->port)
		n = snprintf(buf, len, "%s", ep->host);
	else if (ep->family == AF_INET6)
		n = snprintf(buf, len, "[%s]:%u", ep->host, (unsigned)ep->port);
	else
		n = snprintf(buf, len, "%s:%u", ep->host, (unsigned)ep->port);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}
