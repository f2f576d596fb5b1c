/*
 * realm_schema: pure validation of the realm-lns Redis schema (schema version 1,
 * documented in policy/REDIS-SCHEMA.md).
 *
 * Shared by the FreeRADIUS module (validating what a lookup returned), realmctl
 * (validating before it writes) and the tests. No sockets, no globals, no
 * logging, no allocation: every function fills a caller's struct and, on
 * failure, writes one human-readable line into a caller's buffer that names
 * the field and the (escaped, truncated) value, e.g.
 *   field=preference value="70000": out of range 0..65535
 */
#ifndef REALM_SCHEMA_H
#define REALM_SCHEMA_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define REALM_SCHEMA_VERSION        "1"
#define REALM_SCHEMA_VERSION_KEY    "realm_lns:schema"

#define REALM_NAME_MAX              253  /* a DNS name; wildcard "*." included */
#define REALM_LNS_ID_MAX            64
#define REALM_SECRET_MAX            128  /* RFC 2868 3.5 allows more; 128 bytes is plenty */
#define REALM_STRING_MAX            252  /* RFC 2868 string attribute after its tag octet */
#define REALM_REPLY_MESSAGE_MAX     253  /* RFC 2865 5.18 */
#define REALM_ENDPOINTS_MAX         31   /* RFC 2868 3: tags 0x01..0x1F */
#define REALM_PREFERENCE_MAX        65535
#define REALM_WEIGHT_MIN            1
#define REALM_WEIGHT_MAX            1000
#define REALM_ERR_MAX               256  /* a buffer this size never truncates a message's start */

enum realm_mode {
	REALM_MODE_TUNNEL = 0,
	REALM_MODE_LOCAL,
	REALM_MODE_REJECT,
};

enum realm_policy {
	REALM_POLICY_PREFERENCE = 0,
	REALM_POLICY_WEIGHTED,
	REALM_POLICY_ROUND_ROBIN,
};

const char *realm_mode_str(enum realm_mode mode);
const char *realm_policy_str(enum realm_policy policy);

/* An LNS endpoint: an IPv4 or IPv6 literal with an optional port
 * ("192.0.2.1", "192.0.2.1:1701", "2001:db8::1", "[2001:db8::1]:1701"). */
struct realm_endpoint {
	int      family;                   /* AF_INET or AF_INET6 */
	union {
		struct in_addr  v4;
		struct in6_addr v6;
	} addr;
	uint16_t port;                     /* 0: not given (L2TP default 1701 applies) */
	char     host[INET6_ADDRSTRLEN];   /* canonical literal without port or brackets */
};

/* One realm:<name> hash. Defaults as in the schema when a field is absent. */
struct realm_conf {
	enum realm_mode   mode;
	enum realm_policy policy;
	int               verify_password;                    /* 0|1 */
	int               access_line_forwarding;             /* 0|1: the LNS gets the access-line AVPs */
	unsigned          max_endpoints;                      /* 1..31 */
	char              reply_message[REALM_REPLY_MESSAGE_MAX + 1];
	char              client_auth_id[REALM_STRING_MAX + 1];
	unsigned          seen;                               /* REALM_SEEN_* bits */
};

/* One lns:<realm>:<id> hash. */
struct realm_lns {
	char                  id[REALM_LNS_ID_MAX + 1];
	struct realm_endpoint endpoint;
	unsigned              preference;                     /* 0..65535 */
	unsigned              weight;                         /* 1..1000 */
	char                  secret[REALM_SECRET_MAX + 1];
	size_t                secret_len;
	char                  assignment_id[REALM_STRING_MAX + 1];
	char                  server_auth_id[REALM_STRING_MAX + 1];
	uint32_t              max_sessions;                   /* 0: unlimited */
	uint32_t              sessions;
	int                   down;                           /* 0|1 */
	uint32_t              unhealthy_until;                /* unix s, 0: healthy (the health key, not the hash) */
	unsigned              seen;                           /* REALM_SEEN_* bits */
};

/* Which fields a hash held (for "required" checks and for realmctl's show). */
#define REALM_SEEN_MODE            (1u << 0)
#define REALM_SEEN_POLICY          (1u << 1)
#define REALM_SEEN_VERIFY_PASSWORD (1u << 2)
#define REALM_SEEN_MAX_ENDPOINTS   (1u << 3)
#define REALM_SEEN_REPLY_MESSAGE   (1u << 4)
#define REALM_SEEN_CLIENT_AUTH_ID  (1u << 5)
#define REALM_SEEN_ACCESS_LINE_FWD (1u << 6)

#define REALM_SEEN_ENDPOINT        (1u << 0)
#define REALM_SEEN_PREFERENCE      (1u << 1)
#define REALM_SEEN_WEIGHT          (1u << 2)
#define REALM_SEEN_SECRET          (1u << 3)
#define REALM_SEEN_ASSIGNMENT_ID   (1u << 4)
#define REALM_SEEN_SERVER_AUTH_ID  (1u << 5)
#define REALM_SEEN_MAX_SESSIONS    (1u << 6)
#define REALM_SEEN_SESSIONS        (1u << 7)
#define REALM_SEEN_DOWN            (1u << 8)
#define REALM_SEEN_UNHEALTHY       (1u << 9)

/*
 * Scalar parsers. Each takes a NUL-terminated value, returns 0 and stores the
 * result, or returns -1 and writes "field=<field> value="...": reason" into
 * err (err may be NULL; errlen 0 is allowed). `field` only labels the message.
 */
int realm_schema_parse_endpoint(const char *field, const char *value,
				struct realm_endpoint *out, char *err, size_t errlen);
int realm_schema_parse_mode(const char *field, const char *value,
			    enum realm_mode *out, char *err, size_t errlen);
int realm_schema_parse_policy(const char *field, const char *value,
			      enum realm_policy *out, char *err, size_t errlen);
/* Decimal unsigned in [min, max]: no sign, no spaces, no leading "0x"; "007" is 7. */
int realm_schema_parse_uint(const char *field, const char *value, uint32_t min,
			    uint32_t max, uint32_t *out, char *err, size_t errlen);
/* "0" or "1" only. */
int realm_schema_parse_bool(const char *field, const char *value, int *out,
			    char *err, size_t errlen);

/*
 * Names. A realm name is lower-case LDH labels separated by dots (underscore
 * allowed, as seen in operators' realms), at most 253 bytes, optionally
 * starting with "*." (a wildcard for every sub-domain). An LNS id is 1..64 of
 * [A-Za-z0-9_.-]. A DNIS is 1..64 printable non-space ASCII bytes (':' included:
 * a Called-Station-Id may be "MAC:SSID"; it is only ever used as a key).
 */
int realm_schema_check_realm_name(const char *name, char *err, size_t errlen);
int realm_schema_check_lns_id(const char *id, char *err, size_t errlen);
int realm_schema_check_dnis(const char *dnis, char *err, size_t errlen);

/* Reset to the schema's defaults (and seen = 0). */
void realm_schema_realm_init(struct realm_conf *realm);
void realm_schema_lns_init(struct realm_lns *lns);

/*
 * Apply one hash field. value/len are the raw bytes from Redis (need not be
 * NUL-terminated; an embedded NUL is an error). Unknown field names are
 * ignored and return 0 (forward compatibility: a newer realmctl may add
 * fields), so *unknown is set to 1 for callers that want to warn (may be NULL).
 */
int realm_schema_realm_set(struct realm_conf *realm, const char *field,
			   const char *value, size_t len, int *unknown,
			   char *err, size_t errlen);
int realm_schema_lns_set(struct realm_lns *lns, const char *field,
			 const char *value, size_t len, int *unknown,
			 char *err, size_t errlen);

/*
 * Whole-object checks after all fields were applied: required fields present
 * (an LNS needs endpoint and secret; a realm needs mode), cross-field rules.
 */
int realm_schema_realm_check(const struct realm_conf *realm, char *err, size_t errlen);
int realm_schema_lns_check(const struct realm_lns *lns, char *err, size_t errlen);

/*
 * The Tunnel-Server-Endpoint text (RFC 2868 3.4): the address literal, with
 * ":port" ("[v6]:port" for IPv6) only when a port was given. Returns the
 * length, or -1 if buf is too small. INET6_ADDRSTRLEN + 8 is always enough.
 */
int realm_endpoint_format(const struct realm_endpoint *ep, char *buf, size_t len);

/* 1 if the LNS may be offered now: not down and under its session cap. */
int realm_lns_available(const struct realm_lns *lns);

#endif
